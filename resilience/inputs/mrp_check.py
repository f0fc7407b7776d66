"""``resilience check`` for the MRP route: the characteristics and the Census tables."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pandas as pd

from ..config import Config
from .census import census_margins, read_census_tables
from .characteristics import read_characteristics

__all__ = ["check_mrp_inputs"]


def check_mrp_inputs(
    report: Any,
    attempt: Callable[[Any, str, Callable[[], Any]], Any],
    cfg: Config,
    lookup: pd.DataFrame | None,
) -> None:
    """Read the MRP route's inputs as a run would and add what was found to ``report``.

    ``attempt(report, section, fn)`` runs ``fn`` and records its warnings and errors;
    ``lookup`` is the study area's OA → LSOA lookup (None when it could not be read).
    Does nothing for ``[estimates] method = "classification"``.
    """
    if cfg["estimates"]["method"] == "classification":
        return
    ps, sv = cfg["poststratification"], cfg["survey"]
    section = "MRP characteristics: " + sv["path"]
    household = sv.get("household")
    chars = attempt(
        report,
        section,
        lambda: read_characteristics(
            sv["path"],
            prefix=sv.get("prefix"),
            household=household["path"] if household else None,
            variables=ps["variables"],
        ),
    )
    if chars is not None:
        complete = int(chars[ps["variables"]].notna().all(axis=1).sum())
        report.add(section, "ok", f"{complete:,} of {len(chars):,} respondents have every variable")
    section = "Census tables: " + ps["tables"]
    tables = attempt(report, section, lambda: read_census_tables(ps["tables"]))
    if tables is None:
        return
    found = ", ".join(f"{c} ({lv})" for c, lv in sorted(tables))
    report.add(section, "ok", f"tables for {found}")
    if lookup is not None:
        margins = attempt(
            report,
            section,
            lambda: census_margins(
                tables, pd.Index(lookup.index), lookup["lsoa_code"], variables=ps["variables"]
            ),
        )
        if margins is not None:
            report.add(section, "ok", f"margins for all {len(margins.index):,} OAs")
