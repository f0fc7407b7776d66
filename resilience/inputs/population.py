"""Reading area populations for weighting: plain tables and Census 2021 tables from Nomis.

:func:`read_population` returns one population figure per area (adults where the table
allows it). It reads

* plain tables: a code column and a value column (``adults``, ``population`` or named);
* Census 2021 topic summaries as Nomis publishes them in its bulk files (headers
  ``date, geography, geography code, <Topic>: <Category>; measures: Value``), including
  copies that drop the ``; measures: Value`` suffix or replace ``geography code`` with an
  ONS code column (``LSOA21CD``);
* the same tables with columns re-coded as ``ts0010001`` … when the ``_dictionary.csv``
  that names them (columns ``column``, ``Table_Name``, ``Variable_Name``) sits beside the
  file;
* Census 2011 key statistics with plain headers (``All usual residents``, ``Age 0 to 4``);
* the ONS mid-year small-area population estimates as published, one row per LSOA with
  ``All Ages`` and single years ``0`` … ``90+``, or the broad bands ``Persons_All-Ages``,
  ``Persons_0-15`` … ``Persons_65+`` (the male and female columns are left aside).

:func:`spread_to_oas` spreads LSOA figures to their OAs, in proportion to an OA count
(such as the Census 2021 TS001 usual residents) or equally.

Headers are compared after :func:`census_label`, case-insensitively.
"""

from __future__ import annotations

import math
import re
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import DataQualityWarning, InputDataError, format_examples
from ._areacodes import LEVEL_LABELS, detect_code_column, resolve_column, squash
from ._io import file_label, read_table, to_numeric
from .codes import GEOGRAPHY_PREFIXES, detect_geography, normalise_codes

__all__ = [
    "ADULT_AGE",
    "DICTIONARY_NAME",
    "census_label",
    "counts_across_vintages",
    "read_population",
    "spread_to_oas",
]

#: File name of the variable dictionary of re-coded Census tables (``ts0010001`` …).
DICTIONARY_NAME = "_dictionary.csv"
#: Age from which a resident counts as an adult.
ADULT_AGE = 16

_ROLE = "population"
_ENTRY = "the config's [geography] population entry"
_MEASURES = re.compile(r"\s*;\s*measures\s*:\s*value\s*$", re.IGNORECASE)
_PERCENT = re.compile(r";\s*measures\s*:\s*percent", re.IGNORECASE)
_COLON = re.compile(r"\s*:\s*")
_TS_CODED = re.compile(r"^ts\d{3}[a-z]?\d{4}$", re.IGNORECASE)
_META = {"date", "geography", "geography name", "geography code", "mnemonic"}
_NAMED_VALUES = ("adults", "population")
_AGE_TOTALS = {"total", "all usual residents", "total: all usual residents", "all persons"}
_PERSON_TOTALS = {"all usual residents", "total: all usual residents", "all persons"}
_PERSON_TOPICS = {"residence type", "sex", "age"}
_BANDS = (
    (re.compile(r"^aged? (?:under|less than) (\d+)(?: years?)?$"), lambda a, b: (0, a - 1)),
    (re.compile(r"^aged? (\d+)(?: years?)? and under$"), lambda a, b: (0, a)),
    (re.compile(r"^aged? (\d+)(?: years?)? (?:and|or) over$"), lambda a, b: (a, math.inf)),
    (re.compile(r"^aged? (\d+) ?\+$"), lambda a, b: (a, math.inf)),
    (re.compile(r"^aged? (\d+)(?: years?)? to (\d+)(?: years?)?$"), lambda a, b: (a, b)),
    (re.compile(r"^aged? (\d+)(?: years?)?$"), lambda a, b: (a, a)),
)


def census_label(header: str) -> str:
    """The label of a Census column: its header without ``; measures: Value``, tidily spaced.

    Labels keep their case (they are shown in messages); compare them with ``.lower()``.

    Examples
    --------
    >>> census_label("Age: Total; measures: Value")
    'Age: Total'
    >>> census_label("Country of birth:  British Overseas ; measures: Value")
    'Country of birth: British Overseas'
    """
    text = _MEASURES.sub("", str(header))
    return _COLON.sub(": ", squash(text)).strip()


@dataclass(frozen=True)
class _Column:
    """A value column of a population table and its normalised label."""

    raw: str
    label: str

    @property
    def key(self) -> str:
        return self.label.lower()

    @property
    def topic(self) -> str | None:
        return self.key.split(": ", 1)[0] if ": " in self.key else None

    @property
    def category(self) -> str:
        return self.key.split(": ", 1)[1] if ": " in self.key else self.key

    @property
    def leaf(self) -> str:
        return self.key.rsplit(": ", 1)[-1]


def read_population(
    path: str | Path, *, code: str | None = None, column: str | None = None
) -> pd.Series:
    """Read one population figure per area, adults (16 and over) where the table allows.

    Without ``column``, the figure is chosen in this order:

    1. **Adults from age bands** (Census 2021 TS007A or TS007, Census 2011 KS102EW): the
       table's total minus the residents under 16. Bands that straddle 16 are split
       assuming ages are spread evenly within the band. For TS007A that is
       ``total − (0–4 + 5–9 + 10–14) − 1/5 × (15–19)``: one fifth of the 15–19 band is
       taken to be aged 15. The total comes from the same table (Census tables are
       perturbed independently, so totals differ slightly between tables).
    2. A column named ``adults`` or ``population``.
    3. The count of usual residents: a total of Census 2021 TS001 (residence type),
       TS008 (sex) or an age table, or a column labelled ``All usual residents``.

    Parameters
    ----------
    path : str or Path
        CSV, tab-separated or Excel file, one row per area.
    code : str, optional
        Code column. By default ``geography code`` (Nomis) or the ONS code column of the
        finest geography in the file (``OA21CD`` before ``LSOA21CD`` before ``LAD22CD``).
    column : str, optional
        Value column to use instead of the rules above: a column name, a normalised
        Census label (``"Residence type: Lives in a household"``, any case, with or
        without ``; measures: Value``) or a category alone if unambiguous
        (``"Lives in a household"``).

    Returns
    -------
    Series
        Float populations named ``population``, indexed by area code (index named
        ``oa_code``, ``lsoa_code`` … after the geography of the codes). ``attrs`` holds
        ``path``, ``code_column``, ``columns`` (source columns used), ``measure`` (what
        the figure is), ``layout`` (``plain``, ``census`` or ``census-coded``) and
        ``geography``.

    Raises
    ------
    InputDataError
        Missing or ambiguous columns (listing what exists, and the normalised Census
        categories), codes that are empty, duplicated or not area codes, values that are
        not numbers, missing or negative, and age bands that do not cover every age once.

    Warns
    -----
    DataQualityWarning
        When a Census table's categories do not sum to its total in some areas.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> f = pathlib.Path(tempfile.mkdtemp()) / "ts001.csv"
    >>> _ = f.write_text(
    ...     "date,geography,geography code,Residence type: Total; measures: Value,"
    ...     "Residence type: Lives in a household; measures: Value,"
    ...     "Residence type: Lives in a communal establishment; measures: Value\\n"
    ...     "2021,City of London 001A,E01000001,1473,1465,8\\n"
    ... )
    >>> pop = read_population(f)
    >>> pop.to_dict(), pop.attrs["measure"]
    ({'E01000001': 1473.0}, 'usual residents (Residence type: Total)')
    """
    df = read_table(path, role=_ROLE)
    labels, layout = _labels(df.columns, Path(path))
    code_col = _code_column(list(df.columns), code, path)
    codes = _codes(df[code_col], path=path, column=code_col)
    values = _value_columns(df.columns, labels, code_col)

    if (
        column is not None
        and column.strip().lower() == "adults"
        and not any(v.key == "adults" for v in values)
    ):
        # adults asked for and not a column: computed from the age columns
        result, measure, used = _default_figure(df, values, codes, path=path, layout=layout)
        if not measure.startswith("adults"):
            _match_column(values, column, path=path, layout=layout)  # raises, listing columns
    elif column is not None:
        chosen = _match_column(values, column, path=path, layout=layout)
        num = to_numeric(df, [chosen.raw], path=path, role=_ROLE)
        result, measure, used = num[chosen.raw].to_numpy(), chosen.label, [chosen.raw]
    else:
        result, measure, used = _default_figure(df, values, codes, path=path, layout=layout)

    _check_values(result, codes, path=path, columns=used)
    geography = detect_geography(codes)["geography"]
    out = pd.Series(
        np.asarray(result, dtype=float),
        index=pd.Index(codes.astype(str).to_numpy(), name=f"{geography}_code"),
        name="population",
    )
    out.attrs = {
        "path": str(path),
        "code_column": code_col,
        "columns": used,
        "measure": measure,
        "layout": layout,
        "geography": geography,
    }
    return out


# ---- headers ---------------------------------------------------------------------------


_MYE_BAND = re.compile(r"^(?:persons[_ ]?)?(\d+)\s*[-_]\s*(\d+)$", re.IGNORECASE)
_MYE_OPEN = re.compile(r"^(?:persons[_ ]?)?(\d+)\s*\+$", re.IGNORECASE)
_MYE_YEAR = re.compile(r"^(?:persons[_ ]?)?(\d+)$", re.IGNORECASE)
_MYE_TOTAL = re.compile(r"^(?:persons[_ ]?)?all[ _-]?ages$", re.IGNORECASE)


def _mid_year_label(column: str) -> str | None:
    """The Census-style label of a mid-year estimates column (``Persons_0-15``, ``90+``).

    Examples
    --------
    >>> _mid_year_label("Persons_0-15"), _mid_year_label("90+"), _mid_year_label("All Ages")
    ('Age: Aged 0 to 15', 'Age: Aged 90 and over', 'Age: Total')
    """
    c = squash(str(column))
    if _MYE_TOTAL.match(c):
        return "Age: Total"
    if m := _MYE_BAND.match(c):
        return f"Age: Aged {m.group(1)} to {m.group(2)}"
    if m := _MYE_OPEN.match(c):
        return f"Age: Aged {m.group(1)} and over"
    if m := _MYE_YEAR.match(c):
        return f"Age: Aged {m.group(1)}"
    return None


def _labels(columns: pd.Index, path: Path) -> tuple[dict[str, str], str]:
    """Normalised label of every column, translating re-coded ``ts…`` names if possible."""
    labels = {str(c): census_label(c) for c in columns}
    mid_year = {c: _mid_year_label(c) for c in labels}
    if any(v == "Age: Total" for v in mid_year.values()):
        labels.update({c: v for c, v in mid_year.items() if v is not None})
        return labels, "mid-year"
    coded = [c for c in labels if _TS_CODED.match(c)]
    layout = "census" if any(": " in v for v in labels.values()) else "plain"
    if not coded:
        return labels, layout
    dictionary = path.parent / DICTIONARY_NAME
    if not dictionary.is_file():
        return labels, layout
    d = read_table(dictionary, role="Census variable dictionary")
    cols = list(d.columns)
    setting = f"the dictionary {file_label(dictionary)}"
    name = resolve_column(cols, "column", path=dictionary, role="dictionary", setting=setting)
    table = resolve_column(cols, "Table_Name", path=dictionary, role="dictionary", setting=setting)
    var = resolve_column(cols, "Variable_Name", path=dictionary, role="dictionary", setting=setting)
    names = d[name].astype("string").str.strip().str.lower()
    meaning = dict(zip(names, d[table].astype(str) + ": " + d[var].astype(str), strict=True))
    for c in coded:
        if c.lower() in meaning:
            labels[c] = census_label(meaning[c.lower()])
    return labels, "census-coded"


def _code_column(columns: list[str], code: str | None, path: str | Path) -> str:
    if code is not None:
        return resolve_column(columns, code, path=path, role=_ROLE, setting=f"code in {_ENTRY}")
    return detect_code_column(
        columns,
        ("oa", "lsoa", "msoa", "ward", "lad"),
        path=path,
        role=_ROLE,
        setting=f'code = "..." in {_ENTRY}',
        also=("geography code",),
    )


def _codes(raw: pd.Series, *, path: str | Path, column: str) -> pd.Series:
    """Codes, checked: present, all of one geography, unique."""
    codes = normalise_codes(raw.reset_index(drop=True))
    where = f"Column {column!r} of the {_ROLE} file {file_label(path)}"
    missing = codes.isna() | (codes == "")
    if missing.any():
        rows = [int(i) + 2 for i in codes.index[missing.to_numpy()]]
        raise InputDataError(
            f"{where} has {len(rows)} empty code(s), in rows {format_examples(rows)}. Fill "
            "them in or remove those rows."
        )
    geography = detect_geography(codes)["geography"]
    if geography is None:
        raise InputDataError(
            f"{where} does not hold area codes of one geography (such as E00… for OAs or "
            f"E01… for LSOAs): e.g. {format_examples(codes.unique()[:5].tolist())}. Point "
            f"code in {_ENTRY} at the column of GSS codes."
        )
    odd = ~codes.str[:3].isin(GEOGRAPHY_PREFIXES[geography]).to_numpy()
    if odd.any():
        rows = [int(i) + 2 for i in np.flatnonzero(odd)[:5]]
        raise InputDataError(
            f"{where} holds {LEVEL_LABELS[geography]} codes but also {int(odd.sum())} other "
            f"value(s), e.g. {format_examples(codes[odd].unique().tolist())} (rows "
            f"{format_examples(rows)}). Remove summary rows and rows of other geographies."
        )
    dup = codes[codes.duplicated(keep=False)]
    if len(dup):
        raise InputDataError(
            f"{where} has {dup.nunique()} duplicated code(s), e.g. "
            f"{format_examples(dup.unique().tolist())}. The file needs one row per area: "
            "remove the repeats (or sum them first if they are parts of one area)."
        )
    return codes


def _value_columns(columns: pd.Index, labels: dict[str, str], code_col: str) -> list[_Column]:
    """Candidate value columns: not codes, names, Nomis metadata or percentages."""
    out = []
    for c in map(str, columns):
        low = squash(c).lower()
        if c == code_col or low in _META or _PERCENT.search(c):
            continue
        if re.match(r"^[a-z_]*\d{0,2}(cd|nm|nmw)$", low):
            continue
        out.append(_Column(c, labels[c]))
    return out


def _listing(values: list[_Column], layout: str) -> str:
    if layout == "plain":
        text = f"Its columns are: {format_examples([v.raw for v in values], 30)}."
    else:
        text = f"Its columns are, normalised: {format_examples([v.label for v in values], 30)}."
    if any(_TS_CODED.match(v.label) for v in values):
        text += (
            f" Columns coded like ts0010001 are named by a {DICTIONARY_NAME} beside the file "
            "(columns column, Table_Name, Variable_Name), or give the coded name."
        )
    return text


def _match_column(values: list[_Column], column: str, *, path: str | Path, layout: str) -> _Column:
    key = census_label(column).lower()
    for test in (
        lambda v: v.raw == column,
        lambda v: v.key == key,
        lambda v: squash(v.raw).lower() == squash(column).lower(),
        lambda v: v.category == key,
    ):
        hits = [v for v in values if test(v)]
        if len(hits) == 1:
            return hits[0]
        if len(hits) > 1:
            raise InputDataError(
                f"Column {column!r} matches {len(hits)} columns of the {_ROLE} file "
                f"{file_label(path)}: {format_examples([v.label for v in hits])}. Give the "
                f"full label in column in {_ENTRY}."
            )
    raise InputDataError(
        f"The {_ROLE} file {file_label(path)} has no column {column!r} (given as column in "
        f"{_ENTRY}). {_listing(values, layout)}"
        + (
            " Leave column out to compute adults (16+) from the age bands of an age table."
            if key == "adults"
            else ""
        )
    )


# ---- choosing and computing the figure ------------------------------------------------


def _band(text: str) -> tuple[float, float] | None:
    for pattern, make in _BANDS:
        m = pattern.match(text)
        if m:
            nums = [int(g) for g in m.groups()] + [0]
            return make(nums[0], nums[1])
    return None


def _leaves(cols: list[_Column]) -> list[_Column]:
    """Columns that are not the headline of a more detailed column (``A`` of ``A: B``)."""
    keys = [c.key for c in cols]
    return [c for c in cols if not any(k.startswith(c.key + ": ") for k in keys)]


def _age_bands(values: list[_Column]) -> list[tuple[_Column, float, float]]:
    """Leaf age-band columns (of the ``Age`` topic or without a topic), sorted by age."""
    ages = [v for v in values if v.topic in (None, "age") and _band(v.leaf) is not None]
    bands = [(v, *_band(v.leaf)) for v in _leaves(ages)]
    return sorted(bands, key=lambda b: (b[1], b[2]))


def _check_tiling(bands: list[tuple[_Column, float, float]], path: str | Path) -> None:
    expected = 0.0
    for col, lo, hi in bands:
        if lo != expected:
            what = "overlaps the band before it" if lo < expected else f"leaves ages {expected:g}"
            if lo > expected:
                what += f" to {lo - 1:g} uncovered"
            raise InputDataError(
                f"The age bands of the {_ROLE} file {file_label(path)} do not cover every age "
                f"once: {col.label!r} {what}. Adults (16+) cannot be computed. Restore the "
                f'missing columns, or set column = "..." in {_ENTRY} to use one column.'
            )
        expected = hi + 1
    if not math.isinf(expected):
        raise InputDataError(
            f"The age bands of the {_ROLE} file {file_label(path)} stop at age "
            f"{expected - 1:g} (no open-ended oldest band). Adults (16+) cannot be computed; "
            f'set column = "..." in {_ENTRY} to use one column.'
        )


def _under_adult_fraction(lo: float, hi: float) -> float:
    """Share of a band's residents under 16, assuming ages spread evenly in the band."""
    if hi < ADULT_AGE:
        return 1.0
    if lo >= ADULT_AGE:
        return 0.0
    return (ADULT_AGE - lo) / (hi - lo + 1)


def _default_figure(
    df: pd.DataFrame, values: list[_Column], codes: pd.Series, *, path: str | Path, layout: str
) -> tuple[np.ndarray, str, list[str]]:
    bands = _age_bands(values)
    if len(bands) >= 2:
        _check_tiling(bands, path)
        totals = [v for v in values if v.topic in (None, "age") and v.category in _AGE_TOTALS]
        total = totals[0] if len(totals) == 1 else None
        raw = [b[0].raw for b in bands] + ([total.raw] if total else [])
        num = to_numeric(df, raw, path=path, role=_ROLE)
        band_counts = num[[b[0].raw for b in bands]].to_numpy()
        under = np.array([_under_adult_fraction(lo, hi) for _, lo, hi in bands])
        if total is None:
            # no total column: the bands are the whole table
            adults = band_counts @ (1.0 - under)
            return adults, "adults (16+, from age bands)", raw
        total_counts = num[total.raw].to_numpy()
        _check_sums(band_counts.sum(axis=1), total_counts, codes, path=path, what="age bands")
        # adults = the table's own total minus residents under 16, a band straddling 16
        # (15–19 in TS007A) contributing the share of its single years below 16 (1/5)
        adults = total_counts - band_counts @ under
        return adults, f"adults (16+, from age bands; total {total.label!r})", raw

    named = [v for v in values if v.key in _NAMED_VALUES]
    if named:
        chosen = sorted(named, key=lambda v: _NAMED_VALUES.index(v.key))[0]
        num = to_numeric(df, [chosen.raw], path=path, role=_ROLE)
        return num[chosen.raw].to_numpy(), chosen.label, [chosen.raw]

    persons = [
        v
        for v in values
        if v.category in _PERSON_TOTALS or (v.category == "total" and v.topic in _PERSON_TOPICS)
    ]
    if len(persons) != 1:
        found = (
            f"several totals of usual residents ({format_examples([v.label for v in persons])})"
            if persons
            else "no adults, population or usual-residents column"
        )
        raise InputDataError(
            f"The {_ROLE} file {file_label(path)} has {found}. Say which column holds the "
            f'population: set column = "..." in {_ENTRY}. {_listing(values, layout)}'
        )
    total = persons[0]
    leaves = [
        v
        for v in _leaves([v for v in values if v.topic == total.topic and v is not total])
        if v.category not in _AGE_TOTALS and not v.category.startswith("total")
    ]
    raw = [total.raw] + [v.raw for v in leaves]
    num = to_numeric(df, raw, path=path, role=_ROLE)
    if total.topic is not None and len(leaves) >= 2:
        parts = num[[v.raw for v in leaves]].to_numpy().sum(axis=1)
        _check_sums(parts, num[total.raw].to_numpy(), codes, path=path, what="categories")
    return num[total.raw].to_numpy(), f"usual residents ({total.label})", [total.raw]


def _check_sums(
    parts: np.ndarray, total: np.ndarray, codes: pd.Series, *, path: str | Path, what: str
) -> None:
    """Warn when a table's leaf categories do not add up to its total."""
    diff = np.abs(parts - total)
    bad = np.nan_to_num(diff, nan=0.0) > 0.5
    if bad.any():
        worst = int(np.nanargmax(diff))
        warnings.warn(
            f"In {int(bad.sum())} of {len(total)} areas of the {_ROLE} file "
            f"{file_label(path)} the {what} do not sum to the table's total (largest "
            f"difference {diff[worst]:g}, in {codes.iloc[worst]!r}). Within one Census table "
            "the published categories add up to the total: check that no column is missing "
            "or was edited.",
            DataQualityWarning,
            stacklevel=4,
        )


def _check_values(values: np.ndarray, codes: pd.Series, *, path: str | Path, columns: list) -> None:
    values = np.asarray(values, dtype=float)
    source = format_examples(columns, 3)
    missing = np.isnan(values)
    if missing.any():
        raise InputDataError(
            f"The {_ROLE} file {file_label(path)} has no value in {source} for "
            f"{int(missing.sum())} area(s), e.g. {format_examples(codes[missing].tolist())}. "
            "Fill them in (0 if nobody lives there) or remove those rows."
        )
    negative = values < 0
    if negative.any():
        raise InputDataError(
            f"The {_ROLE} file {file_label(path)} has negative populations in {source} for "
            f"{int(negative.sum())} area(s), e.g. {format_examples(codes[negative].tolist())} "
            f"({format_examples(values[negative].tolist())}). Populations cannot be negative: "
            "is this the right column?"
        )


# ---- spreading LSOA figures to OAs -------------------------------------------------------


def spread_to_oas(
    lsoa_population: pd.Series, oa_lsoa: pd.Series, oa_counts: pd.Series | None = None
) -> pd.Series:
    """Spread LSOA populations to their OAs; each LSOA's total is kept exactly.

    Each OA gets its LSOA's figure times its share of the LSOA's ``oa_counts`` (such as
    Census 2021 usual residents, TS001), or an equal share without counts. OAs missing
    from ``oa_counts`` (2011 OAs whose code changed in 2021, when the counts are on 2021
    OAs) take the mean count of the counted OAs of their LSOA (an equal share when none
    is counted), with a :class:`DataQualityWarning` giving how many.

    Parameters
    ----------
    lsoa_population : Series
        Population by LSOA code (from :func:`read_population`).
    oa_lsoa : Series
        LSOA code of each OA, indexed by OA code (the study area's OAs).
    oa_counts : Series, optional
        A count by OA code used as the spreading weight.

    Returns
    -------
    Series
        Population by OA code (NaN for OAs whose LSOA has no figure); ``attrs["measure"]``
        says how it was made.

    Examples
    --------
    >>> lsoa = pd.Series({"E01000001": 300.0})
    >>> oas = pd.Series("E01000001", index=["E00000001", "E00000002"])
    >>> spread_to_oas(lsoa, oas, pd.Series({"E00000001": 10.0, "E00000002": 20.0})).tolist()
    [100.0, 200.0]
    >>> spread_to_oas(lsoa, oas).tolist()
    [150.0, 150.0]
    """
    lsoa_of = oa_lsoa.astype(str)
    what = lsoa_population.attrs.get("measure", "population")
    if oa_counts is None:
        weight = pd.Series(1.0, index=lsoa_of.index)
        how = "equally"
    else:
        weight = oa_counts.reindex(lsoa_of.index).astype(float)
        missing = weight.isna()
        mean = weight.groupby(lsoa_of).transform("mean")
        weight = weight.fillna(mean).fillna(1.0)
        label = oa_counts.attrs.get("path", "the OA counts")
        how = f"in proportion to {oa_counts.attrs.get('measure', 'the OA counts')} ({label})"
        if missing.any():
            warnings.warn(
                f"{int(missing.sum())} of {len(weight)} OAs have no count in the OA counts file "
                f"{file_label(label)} (their codes are not in it: OAs whose code changed "
                "between censuses, or a file of another area); they take the mean count of "
                "their LSOA's other OAs. Give counts on the boundaries' OA vintage for exact "
                "shares.",
                DataQualityWarning,
                stacklevel=2,
            )
    weight = weight.clip(lower=0)
    total = weight.groupby(lsoa_of).transform("sum")
    n = weight.groupby(lsoa_of).transform("size")
    share = (weight / total).where(total > 0, 1.0 / n)
    out = (lsoa_of.map(lsoa_population.astype(float)) * share).rename("population")
    out.index.name = "oa_code"
    out.attrs = dict(lsoa_population.attrs)
    out.attrs["measure"] = f"{what}, per LSOA, spread to OAs {how}"
    out.attrs["geography"] = "oa"
    return out


def counts_across_vintages(counts: pd.Series, links: pd.DataFrame) -> pd.Series:
    """OA counts of one OA vintage carried to another through the ONS OA lookup.

    Each OA of ``counts`` shares its count equally among the OAs it links to (a 2021 OA
    made by merging two 2011 OAs gives each half); an OA adds up the shares it receives
    (a 2011 OA split in two in 2021 gets both halves' counts). Used only as spreading
    weights, so the LSOA totals stay exact whatever the approximation.

    Parameters
    ----------
    counts : Series
        Counts by OA code of the ``links["source"]`` vintage.
    links : DataFrame
        ``source`` and ``target`` OA codes, one row per link (as from
        :func:`resilience.inputs.crosswalk.read_crosswalk`).

    Examples
    --------
    >>> links = pd.DataFrame({"source": ["A", "B", "C"], "target": ["X", "X", "Y"]})
    >>> counts_across_vintages(pd.Series({"A": 10.0, "B": 5.0, "C": 7.0}), links).to_dict()
    {'X': 15.0, 'Y': 7.0}
    """
    lk = links[["source", "target"]].drop_duplicates()
    n_targets = lk.groupby("source")["target"].transform("size")
    part = lk["source"].map(counts.astype(float)) / n_targets
    out = part.groupby(lk["target"]).sum(min_count=1).dropna().rename("population")
    out.index.name = "oa_code"
    out.attrs = dict(counts.attrs)
    out.attrs["measure"] = (
        f"{counts.attrs.get('measure', 'OA counts')} carried across OA vintages by the lookup"
    )
    return out
