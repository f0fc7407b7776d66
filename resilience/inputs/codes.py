"""ONS GSS area codes: patterns, validation and detection of geography and vintage."""

from __future__ import annotations

import re

import pandas as pd

__all__ = [
    "GEOGRAPHY_PREFIXES",
    "code_column_candidates",
    "column_vintage",
    "detect_geography",
    "normalise_codes",
]

#: Prefixes (England, Wales) of each geography level used by the library.
GEOGRAPHY_PREFIXES: dict[str, tuple[str, ...]] = {
    "oa": ("E00", "W00"),
    "lsoa": ("E01", "W01"),
    "msoa": ("E02", "W02"),
    "ward": ("E05", "W05"),
    "lad": ("E06", "E07", "E08", "E09", "W06"),
}

_CODE_RE = re.compile(r"^[EWSN]\d{8}$")
_COLUMN_PATTERNS: dict[str, re.Pattern[str]] = {
    "oa": re.compile(r"^oa(\d{2})?cd$"),
    "lsoa": re.compile(r"^lsoa(\d{2})?cd$"),
    "msoa": re.compile(r"^msoa(\d{2})?cd$"),
    "ward": re.compile(r"^(wd|ward)(\d{2})?cd$"),
    "lad": re.compile(r"^(lad|lau|ltla)(\d{2})?cd$"),
}


def normalise_codes(codes: pd.Series) -> pd.Series:
    """Codes as stripped, upper-case strings (missing values stay missing).

    Examples
    --------
    >>> normalise_codes(pd.Series([" e01000001", "E01000002 "])).tolist()
    ['E01000001', 'E01000002']
    """
    out = codes.astype("string").str.strip().str.upper()
    return out


def detect_geography(codes: pd.Series) -> dict[str, object]:
    """Say which geography a set of codes belongs to, from their prefixes.

    Returns a dict with ``geography`` (``"oa"``, ``"lsoa"``, … or ``None`` when mixed or
    unknown), ``share`` (fraction of codes with that prefix), ``invalid`` (examples of values
    that are not GSS codes) and ``countries`` (set of first letters).

    Examples
    --------
    >>> detect_geography(pd.Series(["E01000001", "W01000002"]))["geography"]
    'lsoa'
    """
    s = normalise_codes(codes.dropna())
    valid = s[s.str.match(_CODE_RE.pattern, na=False)]
    invalid = s[~s.index.isin(valid.index)].unique().tolist()[:10]
    prefixes = valid.str[:3]
    best, share = None, 0.0
    for geog, pre in GEOGRAPHY_PREFIXES.items():
        frac = float(prefixes.isin(pre).mean()) if len(prefixes) else 0.0
        if frac > share:
            best, share = geog, frac
    return {
        "geography": best if share > 0.5 else None,
        "share": share,
        "invalid": invalid,
        "countries": set(valid.str[0].unique()),
    }


def code_column_candidates(columns: list[str], geography: str) -> list[str]:
    """Columns whose names look like ONS code columns of ``geography`` (any case, any year).

    The pattern behind :func:`resilience.inputs._areacodes.detect_code_column`, which
    picks the one column or says why it cannot.

    Examples
    --------
    >>> code_column_candidates(["FID", "lsoa21cd", "LSOA21NM"], "lsoa")
    ['lsoa21cd']
    >>> code_column_candidates(["WD24CD", "WD24NM"], "ward")
    ['WD24CD']
    """
    pat = _COLUMN_PATTERNS[geography]
    return [c for c in columns if pat.match(str(c).strip().lower())]


def column_vintage(column: str) -> int | None:
    """The census or boundary year in an ONS column name (``LSOA11CD`` → 2011).

    Examples
    --------
    >>> column_vintage("OA21CD"), column_vintage("WD24CD"), column_vintage("code")
    (2021, 2024, None)
    """
    m = re.search(r"(\d{2})(cd|nm)$", str(column).strip().lower())
    return 2000 + int(m.group(1)) if m else None
