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

from ._match import check_join
from .codes import detect_geography
from .config import Config, load_config
from .errors import ResilienceError, format_examples

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
        marks = {"ok": "  ok  ", "info": "      ", "warn": " warn ", "FAIL": " FAIL "}
        out = []
        for name, lines in self.sections:
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
    from .boundaries import read_boundaries

    entry = cfg["geography"][level]
    section = f"{ {'oa': 'OA', 'lsoa': 'LSOA', 'ward': 'Ward'}[level] } boundaries: {entry['path']}"
    gdf = _attempt(
        report,
        section,
        lambda: read_boundaries(
            entry["path"],
            level,
            code=entry.get("code"),
            name=entry.get("name"),
            layer=entry.get("layer"),
        ),
    )
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
    report.add(
        "Config", "ok", f"{cfg.path or 'given as a mapping'}: every key known, every file found"
    )

    oa = _boundary_section(report, cfg, "oa")
    lsoa = _boundary_section(report, cfg, "lsoa")
    ward = _boundary_section(report, cfg, "ward")

    geo = cfg["geography"]
    lookup = None
    section = "OA → LSOA → ward lookup"
    if geo.get("lookup"):
        from .lookup import read_lookup

        lk = geo["lookup"]
        section = f"OA → LSOA → ward lookup: {lk['path']}"
        lookup = _attempt(
            report,
            section,
            lambda: read_lookup(
                lk["path"],
                oa=lk.get("oa"),
                lsoa=lk.get("lsoa"),
                ward=lk.get("ward"),
                lsoa_name=lk.get("lsoa_name"),
                ward_name=lk.get("ward_name"),
            ),
        )
    elif oa is not None and lsoa is not None and ward is not None:
        from .lookup import derive_lookup

        derived = _attempt(report, section, lambda: derive_lookup(oa, lsoa, ward))
        if derived is not None:
            lookup = derived[0]
            report.add(section, "info", "no lookup given: derived from the boundaries (best fit)")
    if lookup is not None:
        report.add(section, "ok", f"{len(lookup):,} rows")
        lookup = lookup.drop_duplicates("oa_code").set_index("oa_code")
        if oa is not None:
            _attempt(
                report,
                section,
                lambda: check_join(
                    oa["oa_code"],
                    lookup.index,
                    needed_label="the OA boundaries",
                    available_label="the lookup",
                    what="OA",
                    vintages=(oa.attrs.get("vintage"), None),
                ),
            )
            lookup = lookup.reindex(oa["oa_code"]).dropna(subset=["lsoa_code"])
        if lsoa is not None:
            _attempt(
                report,
                section,
                lambda: check_join(
                    lookup["lsoa_code"],
                    lsoa["lsoa_code"],
                    needed_label="the lookup's LSOAs",
                    available_label="the LSOA boundaries",
                    what="LSOA",
                    vintages=(None, lsoa.attrs.get("vintage")),
                ),
            )
        if ward is not None:
            _attempt(
                report,
                section,
                lambda: check_join(
                    lookup["ward_code"],
                    ward["ward_code"],
                    needed_label="the lookup's wards",
                    available_label="the ward boundaries",
                    what="ward",
                    vintages=(None, ward.attrs.get("vintage")),
                ),
            )

    if geo.get("population"):
        from .population import read_population

        p = geo["population"]
        section = f"Population: {p['path']}"
        pop = _attempt(
            report,
            section,
            lambda: read_population(p["path"], code=p.get("code"), column=p.get("column")),
        )
        if pop is not None:
            report.add(section, "ok", f"{len(pop):,} areas, total {pop.sum():,.0f}")
            if oa is not None:
                _attempt(
                    report,
                    section,
                    lambda: check_join(
                        oa["oa_code"],
                        pop.index,
                        needed_label="the OA boundaries",
                        available_label="the population file",
                        what="OA",
                        max_missing=0.05,
                    ),
                )
    else:
        report.add("Population", "warn", "none given: OAs will be weighted equally")

    from .survey import read_survey

    sv = cfg["survey"]
    section = f"Survey: {sv['path']}"
    survey = _attempt(
        report,
        section,
        lambda: read_survey(
            sv["path"],
            prefix=sv.get("prefix"),
            weight=sv.get("weight"),
            levels=sv["levels"],
            items=sv.get("items"),
        ),
    )
    if survey is not None:
        a = survey.attrs
        w = survey[a["weight"]] if a.get("weight") else None
        proxies = sum(v.get(-7, 0) for v in a["missing_codes"].values()) // max(len(a["items"]), 1)
        report.add(
            section,
            "ok",
            f"{len(survey):,} respondents; prefix {a['prefix']!r}; all {len(a['items'])} items "
            f"present; weight {a.get('weight')!r}"
            + (f" ({int((w == 0).sum()):,} respondents with weight 0)" if w is not None else "")
            + f"; about {proxies:,} proxy respondents (-7 on the items)",
        )

    from .pipeline import _classification

    c = cfg["classification"]
    section = f"Classification: {c['path']}"
    classification = None
    if survey is not None:
        classification = _attempt(
            report, section, lambda: _classification(cfg, list(survey.attrs["levels"]))
        )
    if classification is not None:
        counts = ", ".join(
            f"{lv} {classification[col].nunique()}"
            for lv, col in zip(c["levels"], classification.columns, strict=True)
        )
        report.add(section, "ok", f"{len(classification):,} OAs; categories per level: {counts}")
        if oa is not None and not geo.get("vintage_lookup"):
            _attempt(
                report,
                section,
                lambda: check_join(
                    oa["oa_code"],
                    classification.index,
                    needed_label="the OA boundaries",
                    available_label="the classification file",
                    what="OA",
                ),
            )
        if survey is not None:
            from .estimates import normalise_category

            finest = classification.columns[-1]
            used = (
                survey
                if not survey.attrs.get("weight")
                else survey[survey[survey.attrs["weight"]] > 0]
            )
            n = normalise_category(used[finest]).value_counts()
            area_codes = normalise_category(classification[finest])
            if oa is not None:
                area_codes = area_codes.reindex(oa["oa_code"])
            own = area_codes.map(n).fillna(0) >= sv["min_respondents"]
            absent = sorted(set(area_codes.dropna()) - set(n.index))
            report.add(
                section,
                "info" if own.mean() > 0.5 else "warn",
                f"{own.mean():.0%} of OAs are in a finest-level ({finest}) category with at "
                f"least {sv['min_respondents']} survey respondents; the rest fall back to a "
                "coarser level"
                + (
                    f"; categories absent from the survey: {format_examples(absent, 8)}"
                    if absent
                    else ""
                ),
            )
            top = classification.columns[0]
            unknown = sorted(
                set(normalise_category(classification[top]).dropna())
                - set(normalise_category(survey[top]).dropna())
            )
            if unknown:
                report.add(
                    section,
                    "FAIL",
                    f"{top} codes {format_examples(unknown)} are unknown to the survey (it has "
                    f"{format_examples(sorted(set(normalise_category(survey[top]).dropna())), 10)})"
                    ". The areas and the survey must use the same classification.",
                )

    if geo.get("vintage_lookup"):
        from .crosswalk import read_crosswalk

        vl = geo["vintage_lookup"]
        section = f"Vintage lookup: {vl['path']}"
        links = _attempt(
            report,
            section,
            lambda: read_crosswalk(
                vl["path"], source=vl["source"], target=vl["target"], change=vl.get("change")
            ),
        )
        if links is not None:
            report.add(
                section,
                "ok",
                f"{len(links):,} links: "
                + ", ".join(f"{k} {v}" for k, v in links["change"].value_counts().items()),
            )

    from .hard import read_hard_data

    h = cfg["hard"]
    section = "Hard data: " + ", ".join(Path(t["path"]).name for t in h["tables"])
    lsoa_codes = None
    if lsoa is not None:
        lsoa_codes = pd.Series(
            lsoa["lsoa_code"].to_numpy(), name=lsoa.attrs.get("code_column") or "lsoa_code"
        )
        if lookup is not None:
            lsoa_codes = lsoa_codes[lsoa_codes.isin(lookup["lsoa_code"])]
    hard = _attempt(
        report,
        section,
        lambda: read_hard_data(
            h["tables"],
            lsoa_codes=lsoa_codes,
            max_unmatched=h["max_unmatched"],
            area_label="the LSOA boundaries",
        ),
    )
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
                ),
            )
        report.add(
            section,
            "info",
            "indicators: "
            + "; ".join(f"{i.column} (higher is {i.higher_is})" for i in hard.indicators),
        )
    return report
