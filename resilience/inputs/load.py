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
import numpy as np
import pandas as pd
import shapely

from .._progress import logger
from ..config import Config, load_config
from ..errors import DataQualityWarning, InputDataError, ResilienceWarning, format_examples
from ._codematch import MatchReport, check_join
from ._io import read_table, require_columns
from .area import area_oas, lad_of_oas, rows_inside, study_area
from .boundaries import read_boundaries
from .codes import normalise_codes
from .crosswalk import Crosswalk, crosswalk_matrix, read_crosswalk
from .hard import HardData, read_hard_data
from .lookup import derive_lookup, read_lookup
from .population import counts_across_vintages, read_population, spread_to_oas
from .survey import SurveyInfo, read_survey
from .trial import SYNTHETIC_NOTICE, is_synthetic_survey
from .waves import Wave, read_waves

__all__ = [
    "Inputs",
    "classification_join",
    "geography_joins",
    "load_inputs",
    "missing_oas_join",
    "oa_ward_fit",
    "population_join",
    "read_area_boundaries",
    "read_area_lookup",
    "read_classification",
    "read_config_hard",
    "read_config_population",
    "read_config_survey",
    "study_area_oas",
    "wards_in_area",
]

Join = Callable[[], MatchReport]


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
    #: rows of each input inside the study area: (what, inside, total)
    area_rows: list[tuple[str, int, int]] = field(default_factory=list)
    #: the survey is a synthetic one made by ``resilience synth-survey`` (a trial run)
    synthetic: bool = False
    #: Every survey wave, earliest first, with ``[survey] waves`` (``survey`` is the latest).
    waves: list[Wave] = field(default_factory=list)

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


def _keep(frame: gpd.GeoDataFrame, key: str, codes: pd.Index) -> gpd.GeoDataFrame:
    # isin against the unique codes: far faster on pandas' text columns
    out = frame[frame[key].isin(pd.unique(np.asarray(codes)))].reset_index(drop=True)
    out.attrs = dict(frame.attrs)
    return out


def study_area_oas(
    cfg: Config, oa: gpd.GeoDataFrame, lookup: pd.DataFrame | None = None
) -> pd.Index | None:
    """The OA codes inside ``[area]`` (None when the area is every OA of the files).

    The local authority of each OA comes from the LAD column of the configured lookup,
    or without one, of the OA boundaries. Without ``lookup`` (before it is derived from
    the boundaries) only the ``lad`` cut is made; ``wards`` need the lookup's wards.
    """
    area = study_area(cfg["area"])
    if not area.cuts or (lookup is None and area.lad is None):
        return None
    lad = None
    if area.lad is not None:
        lk = cfg["geography"].get("lookup")
        if lk:
            lad = lad_of_oas(lk["path"], oa_column=lk.get("oa"), lads=area.lad, role="lookup")
        else:
            a = oa.attrs
            lad = lad_of_oas(
                a["path"],
                oa_column=a.get("code_column"),
                lads=area.lad,
                role="OA boundaries",
                layer=a.get("layer"),
            )
    if lookup is None:
        return pd.Index(lad.index[lad.isin(list(area.lad))], name="oa_code")
    return area_oas(area, lad, lookup)


def missing_oas_join(
    cfg: Config, oa: gpd.GeoDataFrame, lookup: pd.DataFrame, inside: pd.Index | None
) -> Join:
    """Check that the lookup's OAs of the study area all have a boundary.

    The area's OAs are those of ``[area]`` (``inside``), or without it, the lookup's OAs
    sharing an LSOA or a ward with the boundaries' OAs (so that an LSOA or ward whose OAs
    are missing from the boundary file cannot vanish unnoticed). Over
    ``[geography] max_missing_oas`` of them missing is an error naming them; fewer, a
    warning naming them.
    """
    codes = pd.Index(oa["oa_code"])
    if inside is None:
        rows = lookup.loc[lookup.index.intersection(codes)]
        near = lookup["lsoa_code"].isin(rows["lsoa_code"].unique()) | lookup["ward_code"].isin(
            rows["ward_code"].unique()
        )
        inside = pd.Index(lookup.index[near.to_numpy()])
    geo = cfg["geography"]
    return lambda: check_join(
        inside,
        codes,
        needed_label="the lookup's OAs in the study area",
        available_label=f"the OA boundaries '{geo['oa']['path']}'",
        what="OA",
        max_missing=geo["max_missing_oas"],
        fix="Their LSOAs and wards would be drawn with holes or not at all. Use OA boundaries "
        "covering the whole area (or raise [geography] max_missing_oas).",
    )


def wards_in_area(
    ward: gpd.GeoDataFrame, oa: gpd.GeoDataFrame, lookup: pd.DataFrame
) -> gpd.GeoDataFrame:
    """The wards of the study area: those with OAs, and those without any lying inside it.

    A ward without OAs (its representative point inside the area's OAs but no OA
    assigned to it by the best-fit lookup) is kept, with no figures, and named in a
    warning; the area's maps and tables show it as "no data".
    """
    with_oas = pd.Index(lookup["ward_code"].unique())
    has = np.array(ward["ward_code"].isin(with_oas), dtype=bool)
    others = np.flatnonzero(~has)
    if len(others):
        points = shapely.point_on_surface(ward.geometry.to_numpy()[others])
        tree = shapely.STRtree(oa.geometry.to_numpy())
        hit, _ = tree.query(points, predicate="within")
        empty = others[np.unique(hit)]
        has[empty] = True
        if len(empty):
            names = ward["ward_name"] if "ward_name" in ward else ward["ward_code"]
            listed = [f"{c} ({n})" for c, n in zip(ward["ward_code"].iloc[empty],
                                                   names.iloc[empty], strict=True)]  # fmt: skip
            warnings.warn(
                f"{len(empty)} ward(s) of the study area have no OA in the lookup (no OA's "
                f"best-fit ward): {format_examples(listed, 12)}. They are kept in the ward "
                "layer with no figures (no data). Wards of another vintage than the lookup's "
                "often do this: use the lookup of the wards' own year.",
                DataQualityWarning,
                stacklevel=2,
            )
    out = ward[has].reset_index(drop=True)
    out.attrs = dict(ward.attrs)
    return out


#: Share of OAs lying over 10 % outside their assigned ward above which a run warns.
WARD_FIT_WARN_SHARE = 0.02


def oa_ward_fit(
    oa: gpd.GeoDataFrame, ward: gpd.GeoDataFrame, lookup: pd.DataFrame
) -> dict[str, Any]:
    """How well the OAs fit in their assigned wards: the share of their area outside.

    Returns ``n_oa``, ``mostly_outside`` (OAs with over half their area outside their
    ward), ``over_10pct`` (OAs with over 10 % outside), ``area_share_outside`` (of the
    OAs' total area) and ``examples``. Warns (:class:`DataQualityWarning`) when more than
    :data:`WARD_FIT_WARN_SHARE` of the OAs have over 10 % of their area outside their ward,
    as with 2011 OAs on 2022 wards (8.6 % of London's OAs; 0.3 % on the 2011 wards, whose
    misfit is boundary generalisation): best-fit ward figures then mix in neighbouring
    wards' residents.
    """
    codes = oa["oa_code"].to_numpy()
    wards = ward.set_index("ward_code").geometry
    assigned = lookup["ward_code"].reindex(codes)
    known = assigned.isin(wards.index).to_numpy()
    geoms = oa.geometry.to_numpy()[known]
    target = wards.reindex(assigned[known]).to_numpy()
    area = shapely.area(geoms)
    # most OAs lie wholly in their ward: a prepared covers test tells those apart, and only
    # the others are intersected with it (London: 0.8 s -> 0.2 s, the same report)
    shapely.prepare(target)
    inside = area.copy()
    cut = ~shapely.covers(target, geoms)
    inside[cut] = shapely.area(shapely.intersection(geoms[cut], target[cut]))
    outside = np.clip(1 - inside / np.where(area > 0, area, 1), 0, 1)
    mostly = outside > 0.5
    share = float((area * outside).sum() / area.sum()) if area.sum() else 0.0
    report = {
        "n_oa": int(known.sum()),
        "mostly_outside": int(mostly.sum()),
        "over_10pct": int((outside > 0.1).sum()),
        "area_share_outside": share,
        "examples": codes[known][np.argsort(-outside)][: int(min(mostly.sum(), 10))].tolist(),
    }
    if report["over_10pct"] > WARD_FIT_WARN_SHARE * max(report["n_oa"], 1):
        warnings.warn(
            f"{report['mostly_outside']} of {report['n_oa']} OAs lie mostly outside their "
            f"assigned ward (e.g. {format_examples(report['examples'])}); "
            f"{report['over_10pct']} have over 10 % of their area outside it, and "
            f"{share:.1%} of the OAs' area lies outside their wards. The OAs and wards are "
            "probably of different years (2011 OAs on 2022 wards): ward figures are best-fit "
            "and include some residents of neighbouring wards.",
            DataQualityWarning,
            stacklevel=2,
        )
    return report


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
                available_label="the OA → LSOA → ward lookup"
                + (f" '{geo['lookup']['path']}'" if geo.get("lookup") else ""),
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


def read_config_population(cfg: Config, lookup: pd.DataFrame | None = None) -> pd.Series | None:
    """The OA population named in ``[geography] population`` (None when not given).

    With ``level = "lsoa"`` the LSOA figures are spread to the OAs of ``lookup`` (OA →
    LSOA, indexed by OA code) by :func:`resilience.inputs.population.spread_to_oas`, in
    proportion to ``oa_counts`` when given, else equally. Without ``lookup`` the LSOA
    figures are returned as read.
    """
    p = cfg["geography"].get("population")
    if not p:
        return None
    pop = read_population(p["path"], code=p.get("code"), column=p.get("column"))
    if p["level"] != "lsoa" or lookup is None:
        return pop
    counts = None
    if p.get("oa_counts"):
        c = p["oa_counts"]
        counts = read_population(c["path"], code=c.get("code"), column=c.get("column"))
        vl = cfg["geography"].get("vintage_lookup")
        if vl and not lookup.index.isin(counts.index).all():
            # counts on the other OA vintage (Census 2021 on 2011 boundaries): carry them over
            links = read_crosswalk(
                vl["path"], source=vl["source"], target=vl["target"], change=vl.get("change")
            )
            on_source = counts.index.isin(links["source"]).mean()
            if on_source > counts.index.isin(links["target"]).mean():
                counts = counts_across_vintages(counts, links)
    spread = spread_to_oas(pop, lookup["lsoa_code"], counts)
    logger.info("      population: %s", spread.attrs["measure"])
    return spread


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
    """The respondent file named in ``[survey]``, and what was found in it.

    With ``[survey] waves``, the latest wave (see :mod:`resilience.inputs.waves`).
    """
    sv = cfg["survey"]
    if sv.get("waves"):
        latest = read_waves(cfg)[-1]
        return latest.survey, latest.info
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


def load_inputs(
    config: Config | str | Path | Mapping[str, Any],
    *,
    boundaries_read: Callable[[gpd.GeoDataFrame, gpd.GeoDataFrame, gpd.GeoDataFrame], None]
    | None = None,
) -> Inputs:
    """Read and check every input named in ``config`` without fitting anything.

    ``boundaries_read``, when given, is called with the OA, LSOA and ward boundaries of
    the study area as soon as they are final, before the tables are read (a run starts
    the work that needs the boundaries alone there).

    Raises
    ------
    InputDataError, CodeMatchError, ConfigError
        With the file, the column, examples of the offending values and the fix.
    """
    cfg = config if isinstance(config, Config) else load_config(config)
    oa = read_area_boundaries(cfg, "oa")
    lsoa = read_area_boundaries(cfg, "lsoa")
    ward = read_area_boundaries(cfg, "ward")
    rows: list[tuple[str, int, int]] = []
    n_oa_file = len(oa)
    if not cfg["geography"].get("lookup"):
        pre = study_area_oas(cfg, oa)  # by the OA boundaries' LAD column, before deriving
        if pre is not None:
            oa = _keep(oa, "oa_code", pre)
    lookup, report = read_area_lookup(cfg, oa, lsoa, ward)
    inside = study_area_oas(cfg, oa, lookup)
    if inside is not None:
        oa = _keep(oa, "oa_code", inside)
        rows.append(("OA boundaries", len(oa), n_oa_file))
        rows.append(("lookup", *rows_inside(lookup.index, inside)))
        logger.info("      study area: %s", study_area(cfg["area"]).describe())
    checks = [join() for join in geography_joins(cfg, oa, lsoa, ward, lookup)]
    checks.append(missing_oas_join(cfg, oa, lookup, inside)())
    lookup = lookup.loc[oa["oa_code"]]
    # the study area is what the OAs cover; LSOA and ward files may hold more
    n_lsoa_file, n_ward_file = len(lsoa), len(ward)
    lsoa = _keep(lsoa, "lsoa_code", lookup["lsoa_code"].unique())
    ward = wards_in_area(ward, oa, lookup)
    if inside is not None:
        rows += [("LSOA boundaries", len(lsoa), n_lsoa_file), ("ward boundaries", len(ward),
                 n_ward_file)]  # fmt: skip
    if boundaries_read is not None:  # final now: the checks below only report on them
        boundaries_read(oa, lsoa, ward)
    report["ward_fit"] = oa_ward_fit(oa, ward, lookup)

    population = read_config_population(cfg, lookup)
    if population is not None:
        if inside is not None and cfg["geography"]["population"]["level"] == "oa":
            rows.append(("population", *rows_inside(population.index, inside)))
        checks.append(population_join(cfg, oa, population)())
    waves = read_waves(cfg) if cfg["survey"].get("waves") else []
    survey, survey_info = (waves[-1].survey, waves[-1].info) if waves else read_config_survey(cfg)
    sources = [w.info.source for w in waves] or [cfg["survey"]["path"]]
    synthetic = any(is_synthetic_survey(p) for p in sources)
    if synthetic:
        warnings.warn(SYNTHETIC_NOTICE, ResilienceWarning, stacklevel=2)
    classification = read_classification(cfg, survey_info.levels)
    if inside is not None:
        rows.append(("classification", *rows_inside(classification.index, inside)))
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
    if inside is not None:
        rows += [(f"hard data {Path(src.path).name}", src.match.n_matched if src.match else 0,
                  src.n_rows) for src in hard.sources]  # fmt: skip
    for what, n_in, n_all in rows:
        logger.info("      %s: %s of %s rows inside the study area", what, f"{n_in:,}",
                    f"{n_all:,}")  # fmt: skip
    return Inputs(
        cfg, oa, lsoa, ward, lookup, report, population, classification, crosswalk, survey,
        survey_info, hard, checks, rows, synthetic, waves,
    )  # fmt: skip
