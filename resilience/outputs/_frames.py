"""Preparing result frames for flat exports: no geometry, codes as text, counts as integers,
named columns, and text that a spreadsheet would run as a formula neutralised."""

from __future__ import annotations

import re
from collections.abc import Iterable

import numpy as np
import pandas as pd

from ..errors import InputDataError, format_examples

__all__ = [
    "COUNT_COLUMNS",
    "code_columns",
    "formula_like",
    "formula_mask",
    "integer_counts",
    "is_code_column",
    "neutralise_formula",
    "neutralise_text",
    "plain_table",
    "require",
]

_CODE = re.compile(r"(^|_)code$|^[a-z]+\d*cd$", re.IGNORECASE)

#: Columns holding counts: written as integers (``Int64``, empty where missing).
COUNT_COLUMNS = frozenset(
    {"population", "n_lsoa", "n_flagged", "n_oa", "n_respondents", "respondents"}
)

#: First characters that make Excel, LibreOffice or Google Sheets read a cell as a formula
#: (OWASP, "CSV Injection": ``=``, ``+``, ``-``, ``@``, tab and carriage return).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")


def is_code_column(name: str) -> bool:
    """True for area-code columns: ``*_code`` or ONS style ``lsoa21cd``.

    Examples
    --------
    >>> [is_code_column(c) for c in ["lsoa_code", "LSOA21CD", "code", "population"]]
    [True, True, True, False]
    """
    return bool(_CODE.search(str(name)))


def code_columns(frame: pd.DataFrame) -> list[str]:
    """Names of the columns of ``frame`` that hold area codes."""
    return [c for c in frame.columns if is_code_column(c)]


def formula_like(text: object) -> bool:
    """True when ``text`` is a string a spreadsheet would read as a formula.

    A string starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return, unless it
    is a plain number such as ``-0.3`` (which a spreadsheet reads as that number).

    Examples
    --------
    >>> [formula_like(t) for t in ["=1+1", "@SUM(A1)", "-2+3", "-0.3", "E01000001", 0]]
    [True, True, True, False, False, False]
    """
    return (
        isinstance(text, str)
        and text.startswith(_FORMULA_START)
        and _NUMBER.fullmatch(text) is None
    )


def formula_mask(values: pd.Series) -> np.ndarray:
    """:func:`formula_like` of each value of ``values``, as a boolean array.

    A column of text (pandas' string dtype) is screened by its first characters at once
    and only those starting like a formula are checked one by one.

    Examples
    --------
    >>> formula_mask(pd.Series(["=1+1", None, "-0.3", "E01000001"], dtype="string")).tolist()
    [True, False, False, False]
    >>> formula_mask(pd.Series(["@x", 3, None], dtype=object)).tolist()
    [True, False, False]
    """
    if isinstance(values.dtype, pd.StringDtype):
        start = values.str.startswith(_FORMULA_START).to_numpy(dtype=bool, na_value=False)
        out = np.zeros(len(values), dtype=bool)
        rows = np.flatnonzero(start)
        out[rows] = [formula_like(v) for v in values.iloc[rows]]
        return out
    return np.fromiter((formula_like(v) for v in values), dtype=bool, count=len(values))


def _has_return(values: pd.Series) -> bool:
    """Whether any text of ``values`` holds a carriage return."""
    if isinstance(values.dtype, pd.StringDtype):
        return bool(values.str.contains("\r", regex=False).to_numpy(bool, na_value=False).any())
    return any(isinstance(v, str) and "\r" in v for v in values)


def neutralise_formula(value: object) -> object:
    """``value`` with a leading apostrophe if it is :func:`formula_like`; else unchanged.

    The single neutraliser of every CSV the package writes (the workbook stores the same
    texts as text cells with Excel's quote prefix, the stored form of that apostrophe).

    Examples
    --------
    >>> print(neutralise_formula('=HYPERLINK("http://x")'), neutralise_formula("-0.3"))
    '=HYPERLINK("http://x") -0.3
    >>> neutralise_formula(-0.3)
    -0.3
    """
    return "'" + value if formula_like(value) else value  # type: ignore[operator]


def neutralise_text(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` ready for a CSV: :func:`neutralise_formula` applied to every text
    cell and column name, and carriage returns inside text made line feeds (a CSV with
    ``\\n`` line ends does not quote a lone ``\\r``, which readers take for the end of the
    row). Numeric columns are untouched.

    Examples
    --------
    >>> df = pd.DataFrame({"name": ["+cmd", "Ash"], "x": [-0.3, 1.0]})
    >>> neutralise_text(df).to_dict("list")
    {'name': ["'+cmd", 'Ash'], 'x': [-0.3, 1.0]}
    """
    df = frame.copy()
    for i in range(df.shape[1]):
        column = df.iloc[:, i]
        if pd.api.types.is_numeric_dtype(column) or pd.api.types.is_datetime64_any_dtype(column):
            continue
        if formula_mask(column).any() or _has_return(column):
            df.isetitem(i, column.map(_csv_text))
    df.columns = [_csv_text(str(c)) for c in df.columns]
    return df


def _csv_text(value: object) -> object:
    value = neutralise_formula(value)
    if isinstance(value, str) and "\r" in value:
        return value.replace("\r\n", "\n").replace("\r", "\n")
    return value


def integer_counts(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with its :data:`COUNT_COLUMNS` as ``Int64`` when every value is a whole
    number (a column of fractions, e.g. weighted counts, stays as it is).

    Examples
    --------
    >>> df = pd.DataFrame({"population": [2068.0, None], "n_oa": [5.0, 6.0]})
    >>> integer_counts(df).dtypes.astype(str).tolist()
    ['Int64', 'Int64']
    >>> integer_counts(pd.DataFrame({"population": [10.5]}))["population"].tolist()
    [10.5]
    """
    df = frame.copy()
    for col in [c for c in df.columns if c in COUNT_COLUMNS]:
        series = df[col]
        if not pd.api.types.is_numeric_dtype(series) or pd.api.types.is_bool_dtype(series):
            continue
        values = series.to_numpy(dtype=float, na_value=np.nan)
        known = values[~np.isnan(values)]
        if np.isfinite(known).all() and (known == np.round(known)).all():
            df[col] = series.astype("Int64")
    return df


def require(frame: pd.DataFrame, columns: Iterable[str], *, table: str) -> None:
    """Raise :class:`InputDataError` if ``frame`` lacks any of ``columns``."""
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise InputDataError(
            f"The {table} table has no column {format_examples(missing)}. Its columns are: "
            f"{format_examples(list(frame.columns), 15)}. Pass the {table} results with the "
            "columns of the output schema."
        )


def plain_table(frame: pd.DataFrame, *, table: str) -> pd.DataFrame:
    """A copy of ``frame`` ready for CSV and Excel.

    Geometry columns are dropped; a named index that is not already a column becomes the
    first column (so codes are never only an index), and so does an unnamed index of
    labels (as ``index``), while an integer index is dropped; code columns hold text
    (``None`` where missing), never numbers; counts are integers (:func:`integer_counts`).

    Raises
    ------
    InputDataError
        If ``frame`` is not a DataFrame or its column names are not unique.

    Examples
    --------
    >>> df = pd.DataFrame({"population": [10]}, index=pd.Index(["E01000001"], name="lsoa_code"))
    >>> list(plain_table(df, table="lsoa").columns)
    ['lsoa_code', 'population']
    """
    if not isinstance(frame, pd.DataFrame):
        raise InputDataError(
            f"The {table} table must be a pandas DataFrame; got {type(frame).__name__}."
        )
    df = frame.copy()
    index_names = [n for n in df.index.names if n is not None]
    labelled = df.index.nlevels == 1 and not pd.api.types.is_integer_dtype(df.index)
    if index_names and not any(n in df.columns for n in index_names):
        df = df.reset_index()
    elif not index_names and labelled and "index" not in df.columns:
        df = df.reset_index()  # e.g. cluster keys as an unnamed index: keep them
    else:
        df = df.reset_index(drop=True)
    df.columns = [str(c) for c in df.columns]
    dupes = sorted({c for c in df.columns if list(df.columns).count(c) > 1})
    if dupes:
        raise InputDataError(
            f"The {table} table has repeated column names {format_examples(dupes)}. "
            "Rename or drop the duplicates before writing."
        )
    geometry = [c for c in df.columns if _is_geometry(df[c])]
    df = pd.DataFrame(df.drop(columns=geometry))
    for col in code_columns(df):
        df[col] = _as_text(df[col])
    return integer_counts(df)


def _is_geometry(series: pd.Series) -> bool:
    return getattr(series.dtype, "name", "") == "geometry"


def _as_text(series: pd.Series) -> pd.Series:
    """Codes as strings; integral floats lose their '.0'; missing stays missing."""
    if isinstance(series.dtype, pd.StringDtype):  # text already: None where missing
        return pd.Series(
            series.to_numpy(dtype=object, na_value=None), index=series.index, dtype=object
        )

    def one(v: object) -> object:
        if v is None or (isinstance(v, float) and np.isnan(v)) or v is pd.NA:
            return None
        if isinstance(v, float | np.floating) and float(v).is_integer():
            return str(int(v))
        return str(v)

    return pd.Series([one(v) for v in series], index=series.index, dtype=object)
