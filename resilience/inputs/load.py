"""Reading the inputs named in a config, and the checks that they join.

Each step is a small function so that :func:`load_inputs` (which stops at the first
problem) and ``resilience check`` (which records every problem and carries on) read and
check the files in exactly the same way.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd

from .._progress import logger
from ..config import Config, load_config
from ..errors import DataQualityWarning, InputDataError, format_examples
from ._io import read_table, require_columns
from ._match import check_join
from .boundaries import read_boundaries
from .codes import normalise_codes
from .crosswalk import Crosswalk, crosswalk_matrix, read_crosswalk
from .hard import HardData, read_hard_data
from .lookup import derive_lookup, read_lookup
from .population import read_population
from .survey import SurveyInfo, read_survey

__all__ = [
    "Inputs",
    "classification_join",
    "geography_joins",
    "load_inputs",
    "population_join",
    "read_area_boundaries",
    "read_area_lookup",
    "read_classification",
    "read_config_hard",
    "read_config_population",
    "read_config_survey",
]

Join = Callable[[], dict[str, Any]]


@dataclass
class Inputs:
    """Every input of a run, read and checked."""

    config: Config
    oa: gpd.GeoDataFrame
    lsoa: gpd.GeoDataFrame
    ward: gpd.GeoDataFrame
    lookup: pd.DataFrame  # indexed by oa_code: lsoa_code, ward_code
    lookup_report: dict[str, Any]
    population: pd.Series | None
    classification: pd.DataFrame  # indexed by (source vintage) OA code, survey level names
    crosswalk: Crosswalk | None
    survey: pd.DataFrame
    survey_info: SurveyInfo
    hard: HardData
    checks: list[dict[str, Any]] = field(default_factory=list)

    def summary(self) -> str:
        """One line of sizes for the log."""
        return (
            f"{len(self.oa):,} OAs, {len(self.lsoa):,} LSOAs, {len(self.ward):,} wards; "
            f"{len(self.survey):,} survey respondents; {len(self.hard.indicators)} hard "
            "indicators"
        )

    @property
    def levels(self) -> list[str]:
        """The classification levels as columns of ``survey`` and ``classification``."""
        return list(self.survey_info.levels)

    @property
    def level_names(self) -> dict[str, str]:
        """Each level's column → the classification's own name for it (output columns)."""
        return level_names(self.config, self.survey_info)


def level_names(cfg: Config, info: SurveyInfo) -> dict[str, str]:
    """The survey's level columns → the ``[classification] levels`` names, coarse to fine."""
    if cfg["classification"] is None:  # the MRP route without a classification
        return {}
    return dict(zip(info.levels, cfg["classification"]["levels"], strict=True))


def read_area_boundaries(cfg: Config, level: str) -> gpd.GeoDataFrame:
    """The OA, LSOA or ward boundaries named in ``[geography]``."""
    entry = cfg["geography"][level]
    return read_boundaries(
        entry["path"],
        level,
        code=entry.get("code"),
        name=entry.get("name"),
        layer=entry.get("layer"),
    )


def read_area_lookup(
    cfg: Config, oa: gpd.GeoDataFrame, lsoa: gpd.GeoDataFrame, ward: gpd.GeoDataFrame
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """The OA → LSOA → ward lookup (indexed by OA code), read or derived from the boundaries."""
    lk = cfg["geography"].get("lookup")
    if lk:
        lookup = read_lookup(
            lk["path"],
            oa=lk.get("oa"),
            lsoa=lk.get("lsoa"),
            ward=lk.get("ward"),
            lsoa_name=lk.get("lsoa_name"),
            ward_name=lk.get("ward_name"),
        )
        report: dict[str, Any] = {"source": lk["path"]}
    else:
        lookup, report = derive_lookup(oa, lsoa, ward)
        report["source"] = "derived from the boundaries (representative point in polygon)"
    return lookup.drop_duplicates("oa_code").set_index("oa_code"), report


def geography_joins(
    cfg: Config,
    oa: gpd.GeoDataFrame | None,
    lsoa: gpd.GeoDataFrame | None,
    ward: gpd.GeoDataFrame | None,
    lookup: pd.DataFrame,
) -> list[Join]:
    """Checks that the OAs are in the lookup and the lookup's LSOAs and wards in the boundaries."""
    geo = cfg["geography"]
    joins: list[Join] = []
    if oa is not None:
        joins.append(
            lambda: check_join(
                oa["oa_code"],
                lookup.index,
                needed_label=f"the OA boundaries '{geo['oa']['path']}'",
                available_label="the OA → LSOA → ward lookup",
                what="OA",
                vintages=(oa.attrs.get("vintage"), None),
                fix="Use a lookup of the same OA vintage as the boundaries (or leave "
                "[geography] lookup out to derive it from the boundaries).",
            )
        )
        rows = lookup.reindex(oa["oa_code"]).dropna(subset=["lsoa_code"])
    else:
        rows = lookup
    if lsoa is not None:
        joins.append(
            lambda: check_join(
                rows["lsoa_code"],
                lsoa["lsoa_code"],
                needed_label="the lookup's LSOAs",
                available_label=f"the LSOA boundaries '{geo['lsoa']['path']}'",
                what="LSOA",
                vintages=(None, lsoa.attrs.get("vintage")),
                fix="Use LSOA boundaries of the same vintage and area as the OAs.",
            )
        )
    if ward is not None:
        joins.append(
            lambda: check_join(
                rows["ward_code"],
                ward["ward_code"],
                needed_label="the lookup's wards",
                available_label=f"the ward boundaries '{geo['ward']['path']}'",
                what="ward",
                vintages=(None, ward.attrs.get("vintage")),
                fix="Use a lookup and ward boundaries of the same ward vintage (WD22CD, WD24CD, "
                "…).",
            )
        )
    return joins


def read_config_population(cfg: Config) -> pd.Series | None:
    """The OA population named in ``[geography] population`` (None when not given)."""
    p = cfg["geography"].get("population")
    if not p:
        return None
    return read_population(p["path"], code=p.get("code"), column=p.get("column"))


def population_join(cfg: Config, oa: gpd.GeoDataFrame, population: pd.Series) -> Join:
    """Check that (almost) every OA has a population."""
    p = cfg["geography"]["population"]
    return lambda: check_join(
        oa["oa_code"],
        population.index,
        needed_label="the OA boundaries",
        available_label=f"the population file '{p['path']}'",
        what="OA",
        max_missing=0.05,
        fix="Give adult population for the same OA vintage as the boundaries.",
    )


def read_config_survey(cfg: Config) -> tuple[pd.DataFrame, SurveyInfo]:
    """The respondent file named in ``[survey]``, and what was found in it."""
    sv = cfg["survey"]
    return read_survey(
        sv["path"],
        prefix=sv.get("prefix"),
        weight=sv.get("weight"),
        levels=sv["levels"],
        items=sv.get("items"),
        return_info=True,
    )


def read_classification(cfg: Config, survey_levels: list[str]) -> pd.DataFrame:
    """The OA classification, indexed by OA code, columns renamed to the survey's levels."""
    c = cfg["classification"]
    if c is None:  # the MRP route without a classification: no codes
        return pd.DataFrame(index=pd.Index([], name="oa_code"))
    df = read_table(c["path"], role="classification", sheet=c.get("sheet"), layer=c.get("layer"))
    lower = {col.lower(): col for col in df.columns}
    if c["code"].lower() not in lower:
        require_columns(df, [c["code"]], path=c["path"], role="classification")
    code = lower[c["code"].lower()]
    cols = []
    for lv in c["levels"]:
        if lv.lower() not in lower:
            require_columns(
                df,
                [lv],
                path=c["path"],
                role="classification",
                hint="Name the classification columns, coarse to fine, in [classification] levels.",
            )
        cols.append(lower[lv.lower()])
    out = df[[code, *cols]].copy()
    out[code] = normalise_codes(out[code])
    dup = out[code][out[code].duplicated()]
    if len(dup):
        raise InputDataError(
            f"The classification file '{c['path']}' lists {dup.nunique()} OA code(s) more than "
            f"once in column {code!r}, e.g. {format_examples(dup.unique().tolist())}. Give one "
            "row per output area."
        )
    out = out.set_index(code)
    out.index.name = "oa_code"
    out.columns = survey_levels
    return out


def classification_join(cfg: Config, oa: gpd.GeoDataFrame, classification: pd.DataFrame) -> Join:
    """Check that every OA has a classification (when no vintage lookup carries it across)."""
    return lambda: check_join(
        oa["oa_code"],
        classification.index,
        needed_label="the OA boundaries",
        available_label=f"the classification file '{cfg['classification']['path']}'",
        what="OA",
        vintages=(oa.attrs.get("vintage"), None),
        fix="Give a classification for the boundaries' OAs, or add [geography] vintage_lookup "
        "(the ONS OA 2011 → 2021 lookup) to carry it across vintages.",
    )


def read_config_crosswalk(
    cfg: Config,
    oa: gpd.GeoDataFrame,
    classification: pd.DataFrame,
    population: pd.Series | None,
) -> Crosswalk | None:
    """Weights from the classification's OAs to the boundaries' OAs (None without a lookup)."""
    vl = cfg["geography"].get("vintage_lookup")
    if not vl or cfg["classification"] is None:
        return None
    links = read_crosswalk(
        vl["path"], source=vl["source"], target=vl["target"], change=vl.get("change")
    )
    targets = pd.Index(oa["oa_code"])
    # only the classification's OAs linked to the study area's OAs take part
    linked = pd.Index(links.loc[links["target"].isin(targets), "source"].unique())
    sources = pd.Index(classification.index).intersection(linked)
    if vl.get("population"):
        p = vl["population"]
        src_pop = read_population(p["path"], code=p.get("code"), column=p.get("column"))
    else:
        # codes that did not change are the same in both vintages; the others are unknown
        src_pop = population.reindex(sources) if population is not None else None
    xw = crosswalk_matrix(links, targets, sources, src_pop)
    # the classification OAs that merged or irregular OAs are made from need a population
    mixed = xw.change.isin(["M", "X"])
    parts = pd.Index(links.loc[links["target"].isin(xw.targets[mixed.to_numpy()]), "source"])
    parts = parts.unique().intersection(sources)
    known = src_pop.reindex(parts).notna() if src_pop is not None else pd.Series(False, parts)
    if len(parts) and not known.all():
        warnings.warn(
            f"{int(mixed.sum())} merged or irregular OA(s) are made from classification OAs "
            f"without a population ({int((~known).sum())} of {len(parts)} such OAs have none), "
            "so their parts weigh the same. Give the population of the classification's OAs in "
            "[geography] vintage_lookup population = { path = ... }.",
            DataQualityWarning,
            stacklevel=2,
        )
    return xw


def read_config_hard(cfg: Config, lsoa: gpd.GeoDataFrame | None) -> HardData:
    """The hard data of ``[hard]``, matched against the study area's LSOAs."""
    codes = None
    if lsoa is not None:
        codes = pd.Series(
            lsoa["lsoa_code"].to_numpy(), name=lsoa.attrs.get("code_column") or "lsoa_code"
        )
    h = cfg["hard"]
    return read_hard_data(
        h["tables"],
        lsoa_codes=codes,
        max_unmatched=h["max_unmatched"],
        area_label=f"LSOA boundaries '{Path(cfg['geography']['lsoa']['path']).name}'",
    )


def load_inputs(config: Config | str | Path | Mapping[str, Any]) -> Inputs:
    """Read and check every input named in ``config`` without fitting anything.

    Raises
    ------
    InputDataError, CodeMatchError, ConfigError
        With the file, the column, examples of the offending values and the fix.
    """
    cfg = config if isinstance(config, Config) else load_config(config)
    oa = read_area_boundaries(cfg, "oa")
    lsoa = read_area_boundaries(cfg, "lsoa")
    ward = read_area_boundaries(cfg, "ward")
    lookup, report = read_area_lookup(cfg, oa, lsoa, ward)
    checks = [join() for join in geography_joins(cfg, oa, lsoa, ward, lookup)]
    lookup = lookup.loc[oa["oa_code"]]
    # the study area is what the OAs cover; LSOA and ward files may hold more
    # (isin against the unique codes: far faster on pandas' text columns)
    lsoa = lsoa[lsoa["lsoa_code"].isin(lookup["lsoa_code"].unique())].reset_index(drop=True)
    ward = ward[ward["ward_code"].isin(lookup["ward_code"].unique())].reset_index(drop=True)

    population = read_config_population(cfg)
    if population is not None:
        checks.append(population_join(cfg, oa, population)())
    survey, survey_info = read_config_survey(cfg)
    classification = read_classification(cfg, survey_info.levels)
    crosswalk = read_config_crosswalk(cfg, oa, classification, population)
    if crosswalk is None:
        if cfg["classification"] is not None:
            checks.append(classification_join(cfg, oa, classification)())
    else:
        classification = classification.loc[crosswalk.sources]
        logger.info(
            "      vintage lookup: %s", ", ".join(f"{k} {v}" for k, v in crosswalk.counts.items())
        )
    hard = read_config_hard(cfg, lsoa)
    return Inputs(
        cfg, oa, lsoa, ward, lookup, report, population, classification, crosswalk, survey,
        survey_info, hard, checks,
    )  # fmt: skip
