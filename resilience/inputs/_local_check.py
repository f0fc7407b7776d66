"""What ``resilience check`` says about the council's own files: assets, review log,
resident survey (each read as a run reads it, problems recorded, never raised)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import geopandas as gpd

from .assets import read_assets
from .resident_survey import read_resident_survey
from .reviews import OUTCOMES, read_review_log

if TYPE_CHECKING:
    from ..config import Config
    from .check import CheckReport

__all__ = ["check_local_files"]


def check_local_files(
    report: CheckReport,
    cfg: Config,
    lsoa: gpd.GeoDataFrame,
    ward: gpd.GeoDataFrame | None,
    attempt: Callable[[CheckReport, str, Callable[[], Any]], Any],
) -> None:
    """Add a section per ``[[assets]]`` entry, the review log and the resident survey."""
    for entry in cfg.data.get("assets") or []:
        section = f"Assets: {entry['path']}"
        found = attempt(report, section, lambda entry=entry: read_assets([entry], lsoa))
        if found is not None:
            n_bad = len(found.problems)
            report.add(
                section,
                "ok",
                f"{len(found.points):,} assets placed in the study area"
                + (
                    f"; {n_bad:,} row{'s' if n_bad != 1 else ''} left out (see the warning)"
                    if n_bad
                    else ""
                ),
            )
    review = cfg.data.get("review") or {}
    if review.get("log"):
        section = f"Review log: {review['log']}"
        log = attempt(report, section, lambda: read_review_log(review["log"], lsoa["lsoa_code"]))
        if log is not None:
            counts = log["outcome"].value_counts()
            text = ", ".join(f"{o} {int(counts.get(o, 0))}" for o in OUTCOMES)
            report.add(
                section,
                "ok",
                f"{len(log):,} reviews of {log['lsoa_code'].nunique():,} LSOAs ({text})",
            )
    spec = (cfg.data.get("validation") or {}).get("resident_survey")
    if spec:
        section = f"Resident survey: {Path(spec['path']).name}"
        areas = lsoa if spec["area"] == "lsoa" else ward
        if areas is None:
            return
        codes = areas[f"{spec['area']}_code"]
        found = attempt(report, section, lambda: read_resident_survey(spec, codes))
        if found is not None:
            report.add(
                section,
                "ok",
                f"{len(found):,} {spec['area']}s of the study area, "
                f"{len(spec['measures'])} measure(s)",
            )
