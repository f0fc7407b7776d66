"""Preparing result frames for flat exports: no geometry, codes as text, named columns."""

from __future__ import annotations

import re
from collections.abc import Iterable

import numpy as np
import pandas as pd

from ..errors import InputDataError, format_examples

__all__ = ["code_columns", "is_code_column", "plain_table", "require"]

_CODE = re.compile(r"(^|_)code$|^[a-z]+\d*cd$", re.IGNORECASE)


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
    (``None`` where missing), never numbers.

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
    return df


def _is_geometry(series: pd.Series) -> bool:
    return getattr(series.dtype, "name", "") == "geometry"


def _as_text(series: pd.Series) -> pd.Series:
    """Codes as strings; integral floats lose their '.0'; missing stays missing."""

    def one(v: object) -> object:
        if v is None or (isinstance(v, float) and np.isnan(v)) or v is pd.NA:
            return None
        if isinstance(v, float | np.floating) and float(v).is_integer():
            return str(int(v))
        return str(v)

    return pd.Series([one(v) for v in series], index=series.index, dtype=object)
