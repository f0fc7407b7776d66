"""The Excel workbook: an About sheet, then one sheet per table (openpyxl, write-only mode).

Every data sheet has a bold header row frozen in place, an autofilter over the whole table,
column widths fitted to the content (8-60 characters) and number formats by column:
shares and confidences ``0.0%``, ``resilience_score`` and ``hard_index`` ``0.00``, other
decimals ``0.000``, counts ``#,##0``, dates ``yyyy-mm-dd``. Text, including every area
code, is stored as text cells (never numbers, never formulas: a value starting with ``=``
stays a string).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from datetime import date, datetime
from pathlib import Path

import numpy as np
import pandas as pd
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from ..errors import InputDataError
from ._about import ATTRIBUTION, OGL_URL, UNKNOWN_MEANING, About, column_meaning
from ._frames import is_code_column

__all__ = ["check_sheet_name", "write_workbook"]

_MIN_WIDTH, _MAX_WIDTH = 8, 60
_BAD_SHEET_CHARS = re.compile(r"[\[\]:*?/\\]")
_HEADER_FONT = Font(bold=True)
_HEADER_FILL = PatternFill("solid", fgColor="DDE4EE")
_TITLE_FONT = Font(bold=True, size=14)
_SECTION_FONT = Font(bold=True, size=12)
_WRAP = Alignment(wrap_text=True, vertical="top")

_PERCENT, _SCORE, _DECIMAL, _COUNT, _INTEGER, _TEXT = "0.0%", "0.00", "0.000", "#,##0", "0", "@"
_SCORE_COLUMNS = {"resilience_score", "hard_index"}
_COUNT_COLUMNS = {"population", "n_lsoa", "n_flagged", "n_oa", "n_respondents"}


def check_sheet_name(name: str, seen: set[str]) -> None:
    """Raise :class:`InputDataError` unless ``name`` is a valid, new Excel sheet name."""
    problem = None
    if not isinstance(name, str) or not name.strip():
        problem = "is empty"
    elif len(name) > 31:
        problem = f"is {len(name)} characters long; Excel allows at most 31"
    elif _BAD_SHEET_CHARS.search(name):
        problem = "contains one of the characters [ ] : * ? / \\ that Excel forbids"
    elif name.startswith("'") or name.endswith("'"):
        problem = "starts or ends with an apostrophe"
    elif name.lower() == "history":
        problem = "is reserved by Excel"
    elif name.lower() in seen:
        problem = "is used twice (sheet names are case-insensitive)"
    if problem:
        raise InputDataError(f"Sheet name {name!r} {problem}. Choose another name.")
    seen.add(name.lower())


def write_workbook(path: Path, sheets: Mapping[str, pd.DataFrame], about: About) -> Path:
    """Write ``sheets`` (name -> plain frame) after an About sheet to ``path``."""
    seen: set[str] = {"about"}
    for name in sheets:
        check_sheet_name(name, seen)
    wb = Workbook(write_only=True)
    _about_sheet(wb, sheets, about)
    for name, frame in sheets.items():
        _data_sheet(wb, name, frame)
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    return path


def _cell(ws, value, *, font=None, fmt=None, align=None) -> WriteOnlyCell:
    cell = WriteOnlyCell(ws, value=_clean(value))
    if isinstance(cell.value, str):
        cell.data_type = "s"  # never a formula or an error value
    if font is not None:
        cell.font = font
    if fmt is not None:
        cell.number_format = fmt
    if align is not None:
        cell.alignment = align
    return cell


def _clean(value: object) -> object:
    """A value openpyxl can store: Python scalars, no NaN, no control characters."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, pd.Timestamp):
        if value.tzinfo is not None:
            value = value.tz_convert("UTC").tz_localize(None)
        return value.to_pydatetime()
    if isinstance(value, str):
        return ILLEGAL_CHARACTERS_RE.sub("", value)
    if isinstance(value, bool | int | float | datetime | date):
        return value
    return ILLEGAL_CHARACTERS_RE.sub("", str(value))


def _about_sheet(wb: Workbook, sheets: Mapping[str, pd.DataFrame], about: About) -> None:
    ws = wb.create_sheet("About")
    ws.column_dimensions["A"].width = 34
    ws.column_dimensions["B"].width = 100

    def row(*values, font=None):
        ws.append([_cell(ws, v, font=font, align=_WRAP) for v in values])

    def section(heading):
        ws.append([])
        row(heading, font=_SECTION_FONT)

    row(about.title, font=_TITLE_FONT)
    row("Community resilience tables written by the resilience package.")
    section("Run")
    for key, value in about.metadata.items():
        row(key, value)
    section("Sources and attribution")
    for source in about.sources or ["Not recorded for this run."]:
        row("Source", source)
    row("Attribution", ATTRIBUTION)
    row("Licence", f"Open Government Licence v3.0: {OGL_URL}")
    section("Caveats")
    for i, caveat in enumerate(about.caveats, 1):
        row(f"{i}.", caveat)
    section("Sheets")
    row("About", "This sheet")
    for name, frame in sheets.items():
        row(name, f"{len(frame):,} rows, {len(frame.columns)} columns")
    section("Column dictionary")
    main = {"LSOAs", "Wards", "Flags", "OAs"}
    for name, frame in sheets.items():
        row(name, font=_HEADER_FONT)
        fallback = None if name in main else f"Column of the {name} table"
        for col in frame.columns:
            meaning = column_meaning(col, about.columns, interval=about.interval)
            if fallback and col not in about.columns and meaning == UNKNOWN_MEANING:
                meaning = fallback
            row(col, meaning)


def _data_sheet(wb: Workbook, name: str, frame: pd.DataFrame) -> None:
    ws = wb.create_sheet(name)
    ws.freeze_panes = "A2"
    kinds = [_kind(col, frame[col]) for col in frame.columns]
    for i, col in enumerate(frame.columns, 1):
        ws.column_dimensions[get_column_letter(i)].width = _width(col, frame[col], kinds[i - 1])
    header = [_cell(ws, col, font=_HEADER_FONT) for col in frame.columns]
    for cell in header:
        cell.fill = _HEADER_FILL
    ws.append(header)
    columns = [_values(frame[col], kind) for col, kind in zip(frame.columns, kinds, strict=True)]
    for values in zip(*columns, strict=True):
        ws.append(
            [
                None if _missing(v) else _cell(ws, v, fmt=kind)
                for v, kind in zip(values, kinds, strict=True)
            ]
        )
    if len(frame.columns):
        last = get_column_letter(len(frame.columns))
        ws.auto_filter.ref = f"A1:{last}{len(frame) + 1}"


def _kind(col: str, series: pd.Series) -> str:
    """The number format of a column (``@`` for text)."""
    if is_code_column(col):
        return _TEXT
    if pd.api.types.is_bool_dtype(series):
        return "General"
    if pd.api.types.is_datetime64_any_dtype(series):
        times = series.dropna()
        if len(times) and (times.dt.normalize() != times).any():
            return "yyyy-mm-dd hh:mm:ss"
        return "yyyy-mm-dd"
    if not pd.api.types.is_numeric_dtype(series):
        return _TEXT
    if col.startswith("share_") or col == "flag_confidence":
        return _PERCENT
    if col in _SCORE_COLUMNS:
        return _SCORE
    if col in _COUNT_COLUMNS:
        return _COUNT
    if pd.api.types.is_integer_dtype(series):
        return _INTEGER
    return _DECIMAL


def _values(series: pd.Series, kind: str) -> list[object]:
    if kind == _TEXT:
        return [None if _missing(v) else str(v) for v in series]
    return series.tolist()


def _missing(v: object) -> bool:
    return v is None or v is pd.NA or v is pd.NaT or (isinstance(v, float) and math.isnan(v))


def _width(col: str, series: pd.Series, kind: str) -> float:
    """Characters wide enough for the header and the formatted values, within limits."""
    longest = len(col)
    if kind == _TEXT:
        lengths = series.dropna().astype(str).str.len()
        if len(lengths):
            longest = max(longest, int(lengths.max()))
    elif kind in (_PERCENT, _SCORE):
        longest = max(longest, 7)
    elif kind.startswith("yyyy"):
        longest = max(longest, len(kind))
    elif pd.api.types.is_numeric_dtype(series):
        numbers = pd.to_numeric(series, errors="coerce").abs().dropna()
        digits = len(f"{numbers.max():,.0f}") if len(numbers) else 1
        longest = max(longest, digits + (4 if kind == _DECIMAL else 1))
    return float(min(max(longest + 2, _MIN_WIDTH), _MAX_WIDTH))
