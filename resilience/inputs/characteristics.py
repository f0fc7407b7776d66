"""Respondent characteristics for the MRP route, read with their Understanding Society names.

:func:`read_characteristics` reads, from the same ``w_indresp`` file as
:func:`~resilience.inputs.survey.read_survey` (wave prefix removed), the variables that
the post-stratification concepts need (``sex``, ``dvage``, ``hiqual_dv``, ``ukborn``,
``scsf1``/``sf1``/``health``, ``hhsize``, ``tenure_dv``), the region ``gor_dv``, the
urban/rural indicator ``urban_dv`` and ``jbstat``. Household variables (``tenure_dv``,
``hhsize``) come from the household file ``w_hhresp`` merged by ``w_hidp`` when it is
given. Negative codes (−1 don't know … −9 missing) become missing, and every concept is
mapped onto its shared categories (:mod:`resilience.inputs.concepts`).
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import DataQualityWarning, InputDataError, format_examples
from ._io import file_label
from .concepts import CONCEPTS, DEFAULT_VARIABLES, age_band
from .survey import _ID_COLUMNS, _PREFIX_RE, _read_columns, _read_frame

__all__ = ["AREA_VARIABLES", "map_concept", "read_characteristics"]

#: Respondent-level area variables kept beside the concepts.
AREA_VARIABLES: tuple[str, ...] = ("gor_dv", "urban_dv", "jbstat")


def map_concept(concept: str, values: pd.Series) -> pd.Series:
    """UKHLS codes of one concept → its shared categories (negative and unknown → missing).

    Examples
    --------
    >>> map_concept("qualification", pd.Series([1, 2, 3, 4, 5, 9, -8])).tolist()
    ['level4', 'level4', 'level3', 'level1_2', 'other', 'none', nan]
    >>> map_concept("tenure", pd.Series([1, 3, 7, -9])).tolist()
    ['owned', 'social_rented', 'private_rented', nan]
    """
    c = CONCEPTS[concept]
    num = pd.to_numeric(values, errors="coerce")
    if concept == "age":
        return age_band(num)
    out = num.map(lambda v: c.ukhls_codes.get(int(v)) if pd.notna(v) else None)
    return out.astype(object).where(out.notna(), np.nan)


def _columns(path: Path, prefix: str | None) -> tuple[dict[str, str], str]:
    cols = _read_columns(path)
    lookup = {str(c).strip().lower(): str(c) for c in cols}
    if prefix is None:
        found = [m.group(1) for c in lookup if (m := _PREFIX_RE.match(c)) and m.group(2) == "hidp"]
        prefix = found[0] if found else ""
    return lookup, prefix.lower()


def _find(name: str, lookup: dict[str, str], prefix: str) -> str | None:
    return lookup.get(prefix + name) or lookup.get(name)


def read_characteristics(
    path: str | Path,
    *,
    prefix: str | None = None,
    household: str | Path | None = None,
    variables: Sequence[str] = DEFAULT_VARIABLES,
) -> pd.DataFrame:
    """The respondents' characteristics as post-stratification categories.

    Parameters
    ----------
    path : str or Path
        The respondent file (``w_indresp``: ``.tab``, ``.csv``, ``.dta`` or ``.parquet``).
    prefix : str, optional
        Wave prefix (``"f_"``); detected from ``w_hidp`` when not given.
    household : str or Path, optional
        The household file (``w_hhresp``) with ``tenure_dv`` and ``hhsize``, merged by
        ``w_hidp``.
    variables : sequence of str
        The concepts wanted (:data:`~resilience.inputs.concepts.DEFAULT_VARIABLES`).

    Returns
    -------
    DataFrame
        Indexed like :func:`read_survey`'s frame (``pidp``): one column per concept (its
        category, or missing), and ``gor_dv``, ``urban_dv``, ``jbstat`` (numbers; missing
        when absent or negative).

    Raises
    ------
    InputDataError
        When a concept's variable is in neither file (naming what was looked for), or
        the household file has no ``w_hidp``.
    """
    p = Path(path)
    lookup, prefix = _columns(p, prefix)
    hh_lookup: dict[str, str] = {}
    if household is not None:
        hh_lookup, _ = _columns(Path(household), prefix)
    wanted: dict[str, tuple[str, str]] = {}  # concept -> (file key, column)
    for v in variables:
        c = CONCEPTS[v]
        for name in c.ukhls:
            col = _find(name, lookup, prefix)
            if col is not None:
                wanted[v] = ("ind", col)
                break
            col = _find(name, hh_lookup, prefix)
            if col is not None:
                wanted[v] = ("hh", col)
                break
        else:
            names = " or ".join(prefix + n for n in c.ukhls)
            where = f"{file_label(p)}" + (
                f" nor the household file {file_label(household)}" if household else ""
            )
            hint = (
                " It is on the household file: give [survey] household = { path = "
                f'"{prefix}hhresp.tab" }}.'
                if c.ukhls[0] in ("tenure_dv", "hhsize") and household is None
                else ""
            )
            raise InputDataError(
                f"The post-stratification variable {v!r} needs {names}, which neither the "
                f"respondent file {where} has.{hint} Or drop {v!r} from [poststratification] "
                "variables."
            )
    id_col = next((lookup[c] for c in _ID_COLUMNS if c in lookup), None)
    hidp = _find("hidp", lookup, prefix)
    extra = [col for n in AREA_VARIABLES if (col := _find(n, lookup, prefix))]
    ind_cols = [col for f, col in wanted.values() if f == "ind"]
    need_hh = any(f == "hh" for f, _ in wanted.values())
    usecols = list(
        dict.fromkeys(c for c in [id_col, hidp if need_hh else None, *ind_cols, *extra] if c)
    )
    raw = _read_frame(p, usecols, [])
    if need_hh:
        if hidp is None or _find("hidp", hh_lookup, prefix) is None:
            raise InputDataError(
                f"To merge the household file {file_label(household)} both files need "
                f"{prefix}hidp; {'the household file' if hidp else 'the respondent file'} has "
                "none."
            )
        hh_key = _find("hidp", hh_lookup, prefix)
        hh_cols = [col for f, col in wanted.values() if f == "hh"]
        hh = _read_frame(Path(household), [hh_key, *hh_cols], [])  # type: ignore[arg-type]
        hh = hh.drop_duplicates(hh_key).rename(columns={hh_key: hidp})
        raw = raw.merge(hh, on=hidp, how="left", suffixes=("", "_hh"))
        unmatched = int((~raw[hidp].isin(hh[hidp])).sum())
        if unmatched:
            warnings.warn(
                f"{unmatched:,} of {len(raw):,} respondents have a {prefix}hidp that is not in "
                f"the household file {file_label(household)}; their household variables "
                "are missing.",
                DataQualityWarning,
                stacklevel=2,
            )
    out = pd.DataFrame(index=raw.index)
    for v, (_, col) in wanted.items():
        out[v] = map_concept(v, raw[col])
    for n in AREA_VARIABLES:
        col = _find(n, lookup, prefix)
        if col is not None:
            num = pd.to_numeric(raw[col], errors="coerce")
            out[n] = num.where(num >= 0)
    if id_col is not None and raw[id_col].is_unique:
        out.index = pd.Index(raw[id_col].to_numpy(), name=id_col.lower())
    empty = [v for v in wanted if out[v].isna().all()]
    if empty:
        raise InputDataError(
            f"The post-stratification variable(s) {format_examples(empty)} have no valid "
            f"value in {file_label(p)} (every code negative or unknown)."
        )
    return out
