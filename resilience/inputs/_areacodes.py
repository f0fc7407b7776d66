"""Shared checks for the area-code columns of every input.

Resolving a named column case-insensitively, finding an ONS code column by pattern
(:func:`detect_code_column`, the one detector of the boundaries, lookup, population and
hard-data readers), pairing a code column with its name column, and cleaning and
validating the codes themselves.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from ..errors import InputDataError, format_examples
from ._io import file_label
from .codes import GEOGRAPHY_PREFIXES, code_column_candidates, detect_geography, normalise_codes

__all__ = [
    "LEVEL_LABELS",
    "check_level_codes",
    "detect_code_column",
    "name_column_for",
    "resolve_column",
    "squash",
]

#: How each geography level is named in messages.
LEVEL_LABELS = {
    "oa": "OA",
    "lsoa": "LSOA",
    "msoa": "MSOA",
    "ward": "ward",
    "lad": "local authority",
}
_COUNTRY = {"S": "Scottish", "N": "Northern Irish"}


def resolve_column(
    columns: Sequence[str], wanted: str, *, path: str | Path, role: str, setting: str
) -> str:
    """The column called ``wanted``: exact match first, then ignoring case and spaces.

    ``setting`` names the config key that gave the column (for the error message).
    """
    cols = [str(c) for c in columns]
    if wanted in cols:
        return wanted
    key = str(wanted).strip().lower()
    matches = [c for c in cols if c.strip().lower() == key]
    if len(matches) == 1:
        return matches[0]
    if len(matches) > 1:
        raise InputDataError(
            f"The {role} file {file_label(path)} has several columns matching {wanted!r} "
            f"when case is ignored: {format_examples(matches)}. Give the exact name in "
            f"{setting}."
        )
    raise InputDataError(
        f"The {role} file {file_label(path)} has no column {wanted!r} (given as {setting}). "
        f"Its columns are: {format_examples(cols, 30)}. Correct the name in {setting}."
    )


def detect_code_column(
    columns: Sequence[str],
    level: str | Sequence[str],
    *,
    path: str | Path,
    role: str,
    setting: str,
    also: Sequence[str] = (),
    note: str = "",
) -> str:
    """The one area-code column of a table: the single detector every reader uses.

    Parameters
    ----------
    columns : sequence of str
        The table's columns.
    level : str or sequence of str
        Geography of the codes (``"oa"``, ``"lsoa"``, ``"ward"`` …), or several to try in
        order (a population table may be of any of them). A column counts when its name
        looks like an ONS code column of the level in any case and any year
        (``OA21CD``, ``lsoa11cd``, ``WD24CD``).
    path, role : str
        The file and how it is named in messages (``"ward boundary"``).
    setting : str
        Where the user names the column, with ``...`` for the name (e.g.
        ``code = "..." in the config's [geography] ward entry``).
    also : sequence of str, optional
        Other names of a code column, tried first, ignoring case and spacing
        (``"geography code"`` in Nomis downloads).
    note : str, optional
        A sentence added to the message when no column is found.

    Raises
    ------
    InputDataError
        When there is no such column, or more than one (probably of different years):
        the message lists the columns and says how to name the right one.

    Examples
    --------
    >>> detect_code_column(["FID", "lsoa21cd", "LSOA21NM"], "lsoa", path="x.csv",
    ...                    role="LSOA", setting='code = "..."')
    'lsoa21cd'
    >>> detect_code_column(["date", "Geography Code"], ("oa", "lsoa"), path="x.csv",
    ...                    role="population", setting='code = "..."', also=["geography code"])
    'Geography Code'
    """
    cols = [str(c) for c in columns]
    named = [c for c in cols if squash(c).lower() in {a.lower() for a in also}]
    if len(named) == 1:
        return named[0]
    levels = (level,) if isinstance(level, str) else tuple(level)
    for lv in levels:
        found = code_column_candidates(cols, lv)
        if len(found) == 1:
            return found[0]
        if found:
            raise InputDataError(
                f"The {role} file {file_label(path)} has {len(found)} candidate "
                f"{LEVEL_LABELS[lv]} code columns: {format_examples(found)}, probably for "
                f"different years. Say which one to use: set {setting.replace('...', found[-1])}."
            )
    what = f"{LEVEL_LABELS[levels[0]]} code column" if len(levels) == 1 else "area code column"
    names = [repr(a) for a in also] + [_example_names(lv).split(" or ")[0] for lv in levels[:2]]
    examples = (
        _example_names(levels[0]) if len(names) == 1 else ", ".join(names[:-1]) + " or " + names[-1]
    )
    raise InputDataError(
        f"The {role} file {file_label(path)} has no {what} (names such as {examples}, in any "
        f"case).{' ' + note if note else ''} Its columns are: {format_examples(cols, 30)}. "
        f"Name the code column: set {setting.replace('...', '<column>')}."
    )


def _example_names(level: str) -> str:
    return {
        "oa": "OA21CD or OA11CD",
        "lsoa": "LSOA21CD or LSOA11CD",
        "msoa": "MSOA21CD or MSOA11CD",
        "ward": "WD24CD or WD22CD",
        "lad": "LAD24CD or LAD22CD",
    }[level]


def name_column_for(columns: Sequence[str], code_column: str) -> str | None:
    """The ``…NM`` column paired with an ONS ``…CD`` code column, if the file has one.

    The Welsh-language ``…NMW`` column is never chosen.

    Examples
    --------
    >>> name_column_for(["LSOA21CD", "LSOA21NMW", "LSOA21NM"], "LSOA21CD")
    'LSOA21NM'
    >>> name_column_for(["oa11cd"], "oa11cd") is None
    True
    """
    code = str(code_column).strip()
    if not code.lower().endswith("cd"):
        return None
    target = code[:-2].lower() + "nm"
    for c in columns:
        if str(c).strip().lower() == target:
            return str(c)
    return None


def _gss_pattern(level: str) -> str:
    return r"^(?:" + "|".join(GEOGRAPHY_PREFIXES[level]) + r")\d{6}$"


def check_level_codes(
    raw: pd.Series,
    level: str,
    *,
    path: str | Path,
    role: str,
    column: str,
    first_row: int,
    row_word: str = "rows",
) -> pd.Series:
    """Strip and upper-case codes and check that every one is a code of ``level``.

    Parameters
    ----------
    raw : Series
        The codes as read (positionally indexed).
    level : str
        Expected geography (a key of :data:`resilience.inputs.codes.GEOGRAPHY_PREFIXES`).
    first_row : int
        Number of the first data row in messages (2 for a table with a header row, 1 for
        the features of a layer).

    Raises
    ------
    InputDataError
        Missing codes (with row numbers), codes of another geography (saying which one
        they look like), or values that are not codes of ``level``.
    """
    codes = normalise_codes(raw.reset_index(drop=True))
    where = f"Column {column!r} of the {role} file {file_label(path)}"
    missing = codes.isna() | (codes == "")
    if missing.any():
        rows = [int(i) + first_row for i in codes.index[missing.to_numpy()]]
        raise InputDataError(
            f"{where} has {len(rows)} empty code(s), in {row_word} {format_examples(rows)}. "
            "Every area needs its code: fill them in or remove those rows."
        )
    ok = codes.str.match(_gss_pattern(level)).to_numpy(dtype=bool)
    if ok.all():
        return codes
    label = LEVEL_LABELS[level]
    prefixes = "/".join(GEOGRAPHY_PREFIXES[level])
    found = detect_geography(codes)
    other = found["geography"]
    if other is not None and other != level:
        raise InputDataError(
            f"{where} should hold {label} codes ({prefixes} followed by 6 digits) but "
            f"{found['share']:.0%} of them look like {LEVEL_LABELS[other]} codes "
            f"({'/'.join(GEOGRAPHY_PREFIXES[other])}…), e.g. "
            f"{format_examples(codes[codes.str[:3].isin(GEOGRAPHY_PREFIXES[other])].head(3))}"
            f". Is this the {LEVEL_LABELS[other]} "
            f"file or column? Point the {label} entry at the {label} data."
        )
    bad = codes[~ok]
    foreign = sorted({c[0] for c in bad if c[:1] in _COUNTRY})
    hint = (
        f" {' and '.join(_COUNTRY[f] for f in foreign)} codes are not supported (the method "
        "covers England and Wales): filter the file to your area."
        if foreign
        else " Check the column and remove summary or blank rows."
    )
    rows = [int(i) + first_row for i in bad.index[:5]]
    raise InputDataError(
        f"{where} should hold {label} codes ({prefixes} followed by 6 digits), but "
        f"{len(bad)} of {len(codes)} value(s) are not, e.g. "
        f"{format_examples(bad.unique().tolist())} ({row_word} {format_examples(rows)})."
        f"{hint}"
    )


_WS = re.compile(r"\s+")


def squash(text: str) -> str:
    """Collapse runs of whitespace to one space and strip the ends."""
    return _WS.sub(" ", str(text)).strip()
