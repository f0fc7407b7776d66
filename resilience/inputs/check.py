"""``resilience check``: read and validate every input without fitting anything.

:func:`check` runs the same readers and join checks as a real run, but keeps going after
a problem so that one report lists everything that would fail, with what was found in
each file (rows, code columns and their geography and vintage, CRS, matches between
inputs, survey items and weights, classification coverage).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from ..config import Config, load_config
from ..errors import ResilienceError, format_examples
from . import load as inputs
from .area import rows_inside, study_area
from .codes import detect_geography
from .mrp_check import check_mrp_inputs
from .survey import WEIGHT, SurveyInfo

__all__ = ["CheckReport", "check"]


@dataclass
class CheckReport:
    """What ``check`` found: lines of information, warnings and problems per input."""

    sections: list[tuple[str, list[tuple[str, str]]]] = field(default_factory=list)

    @property
    def problems(self) -> list[str]:
        """Every problem found (each would stop a run)."""
        return [text for _, lines in self.sections for kind, text in lines if kind == "FAIL"]

    @property
    def ok(self) -> bool:
        """True when a run would get past reading its inputs."""
        return not self.problems

    def add(self, section: str, kind: str, text: str) -> None:
        """Add a line (kind: "ok", "info", "warn" or "FAIL") under ``section``."""
        for name, lines in self.sections:
            if name == section:
                lines.append((kind, text))
                return
        self.sections.append((section, [(kind, text)]))

    def __str__(self) -> str:
        return self.format()

    def format(self, *, quiet: bool = False) -> str:
        """The report as text; ``quiet`` keeps only the warnings and problems (``check -q``)."""
        marks = {"ok": "  ok  ", "info": "      ", "warn": " warn ", "FAIL": " FAIL "}
        out = []
        for name, all_lines in self.sections:
            lines = [ln for ln in all_lines if not quiet or ln[0] in ("warn", "FAIL")]
            if not lines:
                continue
            out.append(name)
            for kind, text in lines:
                first, *rest = text.splitlines() or [""]
                out.append(f"[{marks[kind]}] {first}")
                out.extend(f"{'':9}{r}" for r in rest)
        verdict = (
            "All inputs can be read and joined."
            if self.ok
            else f"{len(self.problems)} problem(s) would stop a run; fix them and check again."
        )
        return "\n".join([*out, "", verdict])


def _attempt(report: CheckReport, section: str, fn: Callable[[], Any]) -> Any:
    """Run ``fn``; record its warnings and any input error under ``section``."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            value = fn()
        except ResilienceError as err:
            report.add(section, "FAIL", str(err))
            value = None
    for w in caught:
        if issubclass(w.category, UserWarning):
            report.add(section, "warn", str(w.message))
    return value


def _crs_text(path: str, layer: str | None) -> str:
    import pyogrio

    try:
        info = pyogrio.read_info(path, layer=layer)
    except Exception:
        return "unknown"
    return str(info.get("crs") or "none")


def _describe_codes(codes: pd.Series) -> str:
    d = detect_geography(codes)
    names = {"oa": "OA", "lsoa": "LSOA", "msoa": "MSOA", "ward": "ward", "lad": "local authority"}
    geog = names.get(d["geography"] or "", "unrecognised")
    return f"{geog} codes ({d['share']:.0%} of values)"


def _boundary_section(report: CheckReport, cfg: Config, level: str) -> Any:
    entry = cfg["geography"][level]
    section = f"{ {'oa': 'OA', 'lsoa': 'LSOA', 'ward': 'Ward'}[level] } boundaries: {entry['path']}"
    gdf = _attempt(report, section, lambda: inputs.read_area_boundaries(cfg, level))
    if gdf is not None:
        a = gdf.attrs
        codes = _describe_codes(gdf[f"{level}_code"])
        crs = _crs_text(entry["path"], entry.get("layer"))
        report.add(
            section,
            "ok",
            f"{len(gdf):,} areas; code column {a.get('code_column')!r} ({codes}, vintage "
            f"{a.get('vintage') or 'not stated'}); name column {a.get('name_column')!r}; "
            f"CRS in the file {crs} (worked in EPSG:27700)",
        )
    return gdf


def _survey_line(survey: pd.DataFrame, info: SurveyInfo) -> str:
    w = survey.get(WEIGHT)
    proxies = sum(v.get(-7, 0) for v in info.missing_codes.values()) // max(len(info.items), 1)
    return (
        f"{len(survey):,} respondents; prefix {info.prefix!r}; all {len(info.items)} items "
        f"present; weight {info.weight!r}"
        + (f" ({int((w == 0).sum()):,} respondents with weight 0)" if w is not None else "")
        + f"; about {proxies:,} proxy respondents (-7 on the items)"
    )


def _model_inputs(
    report: CheckReport,
    cfg: Config,
    survey: pd.DataFrame,
    info: SurveyInfo,
    areas: pd.DataFrame | None,
) -> None:
    """The checks the survey model and the area estimator make before fitting.

    The same methods :meth:`SurveyModel.fit` and :meth:`AreaEstimator.fit` call first, so
    ``check`` fails whenever a run would stop there.
    """
    from ..models import AreaEstimator, SurveyModel

    section = "Survey model"
    used = _attempt(
        report, section, lambda: SurveyModel(**cfg.survey_model_params()).check_input(survey)
    )
    if used is None:
        return
    report.add(
        section, "ok", f"{len(used):,} respondents have a positive weight and enough answers"
    )
    if not info.levels:  # the MRP route without a classification
        return
    est = AreaEstimator(info.levels, **cfg.area_estimator_params())
    _attempt(
        report, "Area estimates", lambda: est.check_input(survey, respondents=used, areas=areas)
    )


def _coverage(
    report: CheckReport,
    section: str,
    cfg: Config,
    survey: pd.DataFrame,
    classification: pd.DataFrame,
) -> None:
    """How much of the area the survey covers at the finest level (for information).

    ``classification`` holds the study area's OAs only (those of the boundaries, or the
    classification OAs linked to them by the vintage lookup).
    """
    from ..models.area_estimator import normalise_category

    min_n = cfg["survey"]["min_respondents"]
    finest = classification.columns[-1]
    used = survey if WEIGHT not in survey else survey[survey[WEIGHT] > 0]
    n = normalise_category(used[finest]).value_counts()
    area_codes = normalise_category(classification[finest])
    own = area_codes.map(n).fillna(0) >= min_n
    absent = sorted(set(area_codes.dropna()) - set(n.index))
    report.add(
        section,
        "info" if own.mean() > 0.5 else "warn",
        f"{own.mean():.0%} of OAs are in a finest-level ({finest}) category with at least "
        f"{min_n} survey respondents; the rest fall back to a coarser level"
        + (f"; categories absent from the survey: {format_examples(absent, 8)}" if absent else ""),
    )


def _study_area(
    report: CheckReport, cfg: Config, oa: Any, lookup: pd.DataFrame, sizes: dict[str, int]
) -> pd.Index | None:
    """The OAs of ``[area]`` (None without one), with the rows of each file inside it."""
    section = "Study area"
    inside = _attempt(report, section, lambda: inputs.study_area_oas(cfg, oa, lookup))
    if inside is None:
        return None
    report.add(section, "ok", study_area(cfg["area"]).describe())
    lk = lookup.reindex(pd.Index(oa["oa_code"]).intersection(inside))
    inside_of = {
        "OA boundaries": len(lk),
        "LSOA boundaries": lk["lsoa_code"].nunique(),
        "ward boundaries": lk["ward_code"].nunique(),
    }
    for what, total in sizes.items():
        report.add(section, "info", f"{what}: {inside_of[what]:,} of {total:,} rows inside the "
                   "study area")  # fmt: skip
    n_in, n_all = rows_inside(lookup.index, inside)
    report.add(section, "info", f"lookup: {n_in:,} of {n_all:,} rows inside the study area")
    return inside


def _ward_lines(
    report: CheckReport, cfg: Config, oa: Any, ward: Any, lookup: pd.DataFrame, cut: bool
) -> None:
    """Wards without OAs and OAs lying outside their ward, as a run reports them."""
    section = "Wards and OAs"
    kept = _attempt(report, section, lambda: inputs.wards_in_area(ward, oa, lookup))
    fit = _attempt(report, section, lambda: inputs.oa_ward_fit(oa, ward, lookup))
    if kept is not None and fit is not None:
        report.add(
            section,
            "ok",
            f"{len(kept):,} wards in the area; {fit['mostly_outside']:,} of {fit['n_oa']:,} OAs "
            f"lie mostly outside their ward ({fit['area_share_outside']:.1%} of the OAs' area "
            "outside)",
        )


def _check_waves(report: CheckReport, cfg: Config) -> tuple[Any, Any]:
    """Read every survey wave into ``report``; the latest wave's survey and info."""
    from .waves import read_wave

    first = latest = None
    for entry in cfg["survey"]["waves"]:
        where = Path(entry.get("path") or cfg["survey"]["path"]).name
        section = f"Survey: {entry['label']} ({where})"
        wave = _attempt(report, section, lambda e=entry, f=first: read_wave(cfg, e, f))
        if wave is None:
            latest = None
            continue
        first = first or wave
        latest = wave
        report.add(section, "ok", _survey_line(wave.survey, wave.info))
    return (latest.survey, latest.info) if latest is not None else (None, None)


def check(config: Config | str | Path | Mapping[str, Any]) -> CheckReport:
    """Validate the config and every input it names; never fits a model.

    Returns a :class:`CheckReport`; ``report.ok`` is False when a run would fail.
    """
    report = CheckReport()
    cfg = _attempt(
        report, "Config", lambda: config if isinstance(config, Config) else load_config(config)
    )
    if cfg is None:
        return report
    report.add("Config", "ok", f"{cfg.path or 'a mapping'}: every key known, every file found")

    oa = _boundary_section(report, cfg, "oa")
    lsoa = _boundary_section(report, cfg, "lsoa")
    ward = _boundary_section(report, cfg, "ward")
    geo = cfg["geography"]

    section = "OA → LSOA → ward lookup" + (
        f": {geo['lookup']['path']}" if geo.get("lookup") else ""
    )
    lookup = None
    sizes = {"OA boundaries": oa, "LSOA boundaries": lsoa, "ward boundaries": ward}
    sizes = {k: len(v) for k, v in sizes.items() if v is not None}
    if oa is not None and not geo.get("lookup"):
        pre = _attempt(report, "Study area", lambda: inputs.study_area_oas(cfg, oa))
        oa = oa[oa["oa_code"].isin(pre)] if pre is not None else oa
    if geo.get("lookup") or (oa is not None and lsoa is not None and ward is not None):
        found = _attempt(report, section, lambda: inputs.read_area_lookup(cfg, oa, lsoa, ward))
        if found is not None:
            lookup, info = found
            report.add(section, "ok", f"{len(lookup):,} OAs; {info['source']}")
            inside = None
            if oa is not None:
                inside = _study_area(report, cfg, oa, lookup, sizes)
                oa = oa[oa["oa_code"].isin(inside)] if inside is not None else oa
            for join in inputs.geography_joins(cfg, oa, lsoa, ward, lookup):
                _attempt(report, section, join)
            if oa is not None:
                _attempt(report, section, inputs.missing_oas_join(cfg, oa, lookup, inside))
                lookup = lookup.reindex(oa["oa_code"]).dropna(subset=["lsoa_code"])
                if ward is not None:
                    _ward_lines(report, cfg, oa, ward, lookup, inside is not None)

    population = None
    if geo.get("population"):
        section = f"Population: {geo['population']['path']}"
        population = _attempt(report, section, lambda: inputs.read_config_population(cfg, lookup))
        if population is not None:
            report.add(section, "ok", f"{len(population):,} areas, total {population.sum():,.0f}")
            if oa is not None:
                _attempt(report, section, inputs.population_join(cfg, oa, population))
    else:
        report.add("Population", "warn", "none given: OAs will be weighted equally")

    if cfg["survey"].get("waves"):  # every wave read and checked; the latest goes on
        survey, info = _check_waves(report, cfg)
    else:
        section = f"Survey: {cfg['survey']['path']}"
        read = _attempt(report, section, lambda: inputs.read_config_survey(cfg))
        survey, info = read or (None, None)
        if survey is not None:
            report.add(section, "ok", _survey_line(survey, info))

    section = f"Classification: {(cfg['classification'] or {}).get('path')}"
    classification = area = None
    if survey is not None and cfg["classification"] is not None:
        levels = info.levels
        classification = _attempt(report, section, lambda: inputs.read_classification(cfg, levels))
    if classification is not None:
        counts = ", ".join(
            f"{lv} {classification[col].nunique()}"
            for lv, col in zip(cfg["classification"]["levels"], classification.columns, strict=True)
        )
        report.add(section, "ok", f"{len(classification):,} OAs; categories per level: {counts}")
        if oa is not None and study_area(cfg["area"]).cuts:
            n_in, n_all = rows_inside(classification.index, oa["oa_code"])
            report.add(section, "info", f"{n_in:,} of {n_all:,} rows inside the study area")
        if oa is not None and not geo.get("vintage_lookup"):
            _attempt(report, section, inputs.classification_join(cfg, oa, classification))
        area = classification
        if oa is not None and not geo.get("vintage_lookup"):
            area = classification.reindex(oa["oa_code"]).dropna(how="all")
        if geo.get("vintage_lookup") and oa is not None:
            xw_section = f"Vintage lookup: {geo['vintage_lookup']['path']}"
            xw = _attempt(
                report,
                xw_section,
                lambda: inputs.read_config_crosswalk(cfg, oa, classification, population),
            )
            if xw is not None:
                report.add(xw_section, "ok", ", ".join(f"{k} {v}" for k, v in xw.counts.items()))
                area = classification.loc[xw.sources]
        _coverage(report, section, cfg, survey, area)
    if survey is not None:
        _model_inputs(report, cfg, survey, info, area)

    check_mrp_inputs(report, _attempt, cfg, lookup)

    section = "Hard data: " + ", ".join(Path(t["path"]).name for t in cfg["hard"]["tables"])
    if lsoa is not None and lookup is not None:
        lsoa = lsoa[lsoa["lsoa_code"].isin(lookup["lsoa_code"])]
    hard = _attempt(report, section, lambda: inputs.read_config_hard(cfg, lsoa))
    if hard is not None:
        for src in hard.sources:
            report.add(
                section,
                "ok",
                f"{Path(src.path).name}: {src.n_rows:,} rows; code column {src.code_column!r}"
                + (f"; recognised as {src.release}" if src.release else "")
                + (
                    f"; {src.match.n_matched:,} of the study area's LSOAs matched"
                    if src.match
                    else ""
                )
                + (
                    f"; {src.match.n_matched:,} of {src.n_rows:,} rows inside the study area"
                    if src.match and study_area(cfg["area"]).cuts
                    else ""
                ),
            )
        names = "; ".join(f"{i.column} (higher is {i.higher_is})" for i in hard.indicators)
        report.add(section, "info", f"indicators: {names}")
    if lsoa is not None:
        from ._local_check import check_local_files

        check_local_files(report, cfg, lsoa, ward, _attempt)
    return report
