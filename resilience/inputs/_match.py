"""Checking that the area codes of two inputs that must join actually match."""

from __future__ import annotations

import warnings
from collections.abc import Iterable

import pandas as pd

from ..errors import CodeMatchError, DataQualityWarning, format_examples

__all__ = ["check_join"]


def check_join(
    needed: Iterable[str],
    available: Iterable[str],
    *,
    needed_label: str,
    available_label: str,
    what: str,
    max_missing: float = 0.0,
    vintages: tuple[int | None, int | None] = (None, None),
    fix: str = "",
) -> dict[str, object]:
    """Every code of ``needed`` should be in ``available``; report and stop if not.

    Returns a small report (counts and examples). Raises :class:`CodeMatchError` when
    the share of ``needed`` codes missing from ``available`` exceeds ``max_missing``, with
    the likely cause (codes of another vintage, another geography, another area) and the
    fix; below the threshold a :class:`DataQualityWarning` names them.
    """
    need = pd.Index(pd.unique(pd.Series(list(needed), dtype="string").dropna()))
    have = pd.Index(pd.unique(pd.Series(list(available), dtype="string").dropna()))
    missing = need.difference(have)
    extra = have.difference(need)
    report = {
        "what": what,
        "needed": len(need),
        "matched": len(need) - len(missing),
        "missing": len(missing),
        "missing_examples": list(missing[:10]),
        "extra": len(extra),
    }
    if len(missing) == 0:
        return report
    share = len(missing) / max(len(need), 1)
    causes = []
    pm = set(missing.str[:3])
    pe = set(have.str[:3])
    v_need, v_have = vintages
    if v_need and v_have and v_need != v_have:
        causes.append(
            f"{needed_label} are on {v_need} codes and {available_label} on {v_have} codes; "
            "put both on one vintage (the ONS 2011 → 2021 lookups give the U/S/M/X changes)."
        )
    if pm and pe and not pm & pe:
        causes.append(
            f"the codes look like different geographies ({', '.join(sorted(pm))} against "
            f"{', '.join(sorted(pe))}): is the right file or column named?"
        )
    elif len(missing) and len(extra) and not causes:
        causes.append(
            "some codes are present on one side only: the files may be of different vintages "
            "(2011 vs 2021 codes) or cover different areas."
        )
    message = (
        f"{len(missing)} of {len(need)} {what} codes of {needed_label} are not in "
        f"{available_label}, e.g. {format_examples(list(missing))}"
        + (f"; {available_label} has {len(extra)} codes that are not needed" if len(extra) else "")
        + ". "
        + (" ".join(f"Likely cause: {c}" for c in causes) + " " if causes else "")
        + (fix or "")
    ).strip()
    if share > max_missing:
        raise CodeMatchError(message)
    warnings.warn(message, DataQualityWarning, stacklevel=2)
    return report
