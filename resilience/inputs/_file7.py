"""What the library knows about English Indices of Deprivation "File 7" tables.

File 7 ("All IoD Scores, Ranks, Deciles and Population Denominators") is the CSV most
councils download. Its layout (MHCLG, "English Indices of Deprivation: File 7"):

- IoD2019 on 2011 LSOAs: ``LSOA code (2011)``, ``LSOA name (2011)``,
  ``Local Authority District code (2019)``, …, denominators ``… mid 2015 (excluding
  prisoners)``.
- IoD2025 on 2021 LSOAs: ``LSOA code (2021)``, ``Local Authority District code (2024)``,
  …, denominators ``… mid 2022``.
- IoD2015 on 2011 LSOAs: ``mid 2012`` denominators.

Headers are compared after :func:`header_key` (byte-order mark, case and runs of
white space removed) and may match by prefix, because some Excel copies cut long titles
short (``… 10% of LSO``).
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

from ..errors import ConfigError, format_examples

__all__ = [
    "File7Release",
    "detect_release",
    "find_header",
    "header_key",
    "header_suggestions",
    "plain_name",
]

#: Shortest normalised header that may match by prefix (guards against "crime" matching
#: "Crime Score", "Crime Rank …" and "Crime Decile …" at once).
_MIN_PREFIX = 10


@dataclass(frozen=True)
class File7Release:
    """A recognised English Indices of Deprivation table.

    Attributes
    ----------
    name : str
        Short name (``"IoD2019"``, ``"IoD2025"``, ``"IoD2015"`` or ``"IoD"`` when the
        release cannot be told from the headers).
    description : str
        How the release is named in reports.
    lsoa_vintage : int
        2011 or 2021: the LSOA geography the table is published on.
    code_column, name_column, lad_column, lad_name_column : str or None
        Headers as they appear in the file.
    """

    name: str
    description: str
    lsoa_vintage: int
    code_column: str
    name_column: str | None = None
    lad_column: str | None = None
    lad_name_column: str | None = None


def header_key(header: object) -> str:
    """A File 7 header as a key for comparing titles: no byte-order mark, folded case,
    single spaces (for lookups only; messages show the header as written).

    Examples
    --------
    >>> header_key("\\ufeffLSOA code (2011) ")
    'lsoa code (2011)'
    """
    text = unicodedata.normalize("NFKC", str(header)).replace("\ufeff", "")
    return re.sub(r"\s+", " ", text).strip().casefold()


def _first(columns: list[str], prefix: str) -> str | None:
    for c in columns:
        if header_key(c).startswith(prefix):
            return c
    return None


def detect_release(columns: Iterable[object]) -> File7Release | None:
    """Recognise a File 7 (or File 1–5 style) IoD table from its headers.

    Returns None when there is no ``LSOA code (2011)`` or ``LSOA code (2021)`` column.

    Examples
    --------
    >>> r = detect_release(["\\ufeffLSOA code (2011)", "Income Score (rate)",
    ...                     "Total population: mid 2015 (excluding prisoners)"])
    >>> r.name, r.lsoa_vintage
    ('IoD2019', 2011)
    >>> detect_release(["LSOA code (2021)", "Total population: mid 2022"]).name
    'IoD2025'
    >>> detect_release(["LSOA11CD", "income_score"]) is None
    True
    """
    cols = [str(c) for c in columns]
    code = {v: _first(cols, f"lsoa code ({v})") for v in (2011, 2021)}
    vintage = 2021 if code[2021] and not code[2011] else 2011 if code[2011] else None
    if vintage is None:
        return None
    norm = [header_key(c) for c in cols]
    mid = {y for y in ("2012", "2015", "2022") if any(f"mid {y}" in h for h in norm)}
    if vintage == 2011 and "2015" in mid:
        name, desc = "IoD2019", "English Indices of Deprivation 2019 (on 2011 LSOAs)"
    elif vintage == 2011 and "2012" in mid:
        name, desc = "IoD2015", "English Indices of Deprivation 2015 (on 2011 LSOAs)"
    elif vintage == 2021 and ("2022" in mid or not mid):
        name, desc = "IoD2025", "English Indices of Deprivation 2025 (on 2021 LSOAs)"
    else:
        name, desc = "IoD", f"English Indices of Deprivation (on {vintage} LSOAs)"
    return File7Release(
        name=name,
        description=desc,
        lsoa_vintage=vintage,
        code_column=code[vintage],  # type: ignore[arg-type]
        name_column=_first(cols, f"lsoa name ({vintage})"),
        lad_column=_first(cols, "local authority district code"),
        lad_name_column=_first(cols, "local authority district name"),
    )


def find_header(wanted: str, columns: Iterable[object]) -> str | None:
    """The column of ``columns`` that ``wanted`` names, or None.

    Tried in order: the exact title; the same title after :func:`header_key`; a
    title that starts with ``wanted`` or that ``wanted`` starts with (a truncated Excel
    header), when the shorter of the two has at least 10 characters.

    Raises
    ------
    ConfigError
        When more than one column matches by prefix.

    Examples
    --------
    >>> find_header("Income Score (rate)", ["\\ufeffIncome Score (rate)"])
    '\\ufeffIncome Score (rate)'
    >>> find_header("Income Deprivation Affecting Children Index (IDACI) Decile (where 1 "
    ...             "is most deprived 10% of LSOAs)",
    ...             ["Income Deprivation Affecting Children Index (IDACI) Decile (where 1 "
    ...              "is most deprived 10% of LSO"])[-10:]
    '10% of LSO'
    """
    cols = [str(c) for c in columns]
    if wanted in cols:
        return wanted
    w = header_key(wanted)
    same = [c for c in cols if header_key(c) == w]
    if len(same) == 1:
        return same[0]
    if len(same) > 1:
        raise ConfigError(
            f"Column {wanted!r} matches more than one column: {format_examples(same)}. "
            "Rename the duplicates in the file."
        )
    prefix = []
    for c in cols:
        h = header_key(c)
        shorter = min(len(h), len(w))
        if shorter >= _MIN_PREFIX and (h.startswith(w) or w.startswith(h)):
            prefix.append(c)
    if len(prefix) > 1:
        raise ConfigError(
            f"Column {wanted!r} could mean any of {format_examples(prefix)}. Give the full "
            "column title in the config."
        )
    return prefix[0] if prefix else None


def header_suggestions(wanted: str, columns: Iterable[object]) -> list[str]:
    """Up to three columns whose titles resemble ``wanted`` (for error messages)."""
    cols = [str(c) for c in columns]
    by_norm = {header_key(c): c for c in cols}
    close = difflib.get_close_matches(header_key(wanted), list(by_norm), n=3, cutoff=0.5)
    return [by_norm[c] for c in close]


# Plain-English names of the IoD domains, sub-domains and supplementary indices, keyed
# by the normalised stem of the column title (what comes before "Score"/"Rank"/"Decile").
_PLAIN: dict[str, str] = {
    "index of multiple deprivation (imd)": "overall deprivation (IMD)",
    "index of multiple deprivation": "overall deprivation (IMD)",
    "imd": "overall deprivation (IMD)",
    "income": "income deprivation",
    "employment": "employment deprivation",
    "education, skills and training": "education, skills and training deprivation",
    "education skills and training": "education, skills and training deprivation",
    "education": "education, skills and training deprivation",
    "health deprivation and disability": "health deprivation and disability",
    "health": "health deprivation and disability",
    "crime": "crime",
    "barriers to housing and services": "barriers to housing and services",
    "barriers": "barriers to housing and services",
    "living environment": "living environment deprivation",
    "living env": "living environment deprivation",
    "income deprivation affecting children index (idaci)": (
        "income deprivation affecting children"
    ),
    "income deprivation affecting children index": "income deprivation affecting children",
    "idaci": "income deprivation affecting children",
    "income deprivation affecting older people (idaopi)": (
        "income deprivation affecting older people"
    ),
    "income deprivation affecting older people": "income deprivation affecting older people",
    "idaopi": "income deprivation affecting older people",
    "children and young people": "children and young people's education",
    "adult skills": "adult skills",
    "geographical barriers": "geographical barriers to services",
    "wider barriers": "wider barriers to housing",
    "indoors": "indoor living environment (housing quality)",
    "outdoors": "outdoor living environment (air quality, road accidents)",
}
_STEM = re.compile(r"^(.*?)[\s_]+(score|rank|decile)(?![a-z])")


def plain_name(column: str) -> str | None:
    """Plain-English name of an IoD column title (or its snake_case form), else None.

    Examples
    --------
    >>> plain_name("Income Score (rate)")
    'income deprivation'
    >>> plain_name("Crime Rank (where 1 is most deprived)")
    'crime'
    >>> plain_name("health_score")
    'health deprivation and disability'
    >>> plain_name("Households in temporary accommodation") is None
    True
    """
    h = header_key(column)
    m = _STEM.match(h)
    if not m:
        return None
    stem = re.sub(r"[\s_]+", " ", m.group(1)).strip()
    stem = re.sub(r"\s*sub-?\s?domain$", "", stem)
    return _PLAIN.get(stem)
