"""The Excel workbook: an About sheet, then one sheet per table (xlsxwriter, constant memory).

Every data sheet has a bold header row frozen in place, an autofilter over the whole table,
column widths fitted to the content (8-60 characters) and number formats by column:
shares and confidences ``0.0%``, ``resilience_score`` and ``hard_index`` ``0.00``, other
decimals ``0.000``, counts ``#,##0``, dates ``yyyy-mm-dd``. Text, including every area
code, is stored as text cells (never numbers, never formulas): a text that a spreadsheet
would read as a formula (see :func:`resilience.outputs._frames.formula_like`) keeps its
value and gets Excel's quote prefix, the stored form of a typed leading apostrophe, so
editing the cell keeps it text too.

Printing (A4): the About sheet is portrait, one page wide, with row heights set for its
wrapped text. Data sheets are landscape, repeat their header row on every page, carry the
sheet name and page numbers in the page header and footer, and print their grid. A data
sheet is fitted to as few pages wide as keep its text at least :data:`_MIN_PRINT_SCALE`
of full size: one page for a narrow table; a wide one (the LSOAs sheet has 44 columns,
which one page would shrink to 10 %) spreads across pages, each starting with the code
column again, printed row block by row block ("over, then down").

The sheets are written row by row in xlsxwriter's ``constant_memory`` mode (each row goes
to disk when the next begins), about three times faster than openpyxl's write-only mode
on London's tables; ``benchmarks/tables.py`` measures both.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from pathlib import Path

import numpy as np
import pandas as pd
import xlsxwriter
from xlsxwriter.format import Format
from xlsxwriter.worksheet import Worksheet

from ..errors import InputDataError
from ._about import ATTRIBUTION, OGL_URL, UNKNOWN_MEANING, About, column_meaning
from ._frames import COUNT_COLUMNS, formula_like, is_code_column

__all__ = ["check_sheet_name", "write_workbook"]

_MIN_WIDTH, _MAX_WIDTH = 8, 60
_BAD_SHEET_CHARS = re.compile(r"[\[\]:*?/\\]")
#: Characters XML 1.0 cannot hold (the C0 controls other than tab, line feed, return),
#: and carriage returns, which become line feeds (as in the CSVs).
_ILLEGAL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
_NEEDS_CLEANING = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\r]")

_PERCENT, _SCORE, _DECIMAL, _COUNT, _INTEGER, _TEXT = "0.0%", "0.00", "0.000", "#,##0", "0", "@"
_GENERAL = "General"
_SCORE_COLUMNS = {"resilience_score", "hard_index"}

_HEADER = {"bold": True, "bg_color": "#DDE4EE", "pattern": 1}
_WRAP = {"text_wrap": True, "valign": "top"}
_ABOUT_WIDTHS = (34, 100)
#: Printed header and footer of every sheet: its name, and page x of y.
_PAGE_HEADER, _PAGE_FOOTER = "&C&A", "&CPage &P of &N"
_A4 = 9
#: Smallest print scale of a data sheet's text (the number of pages wide is chosen for it).
_MIN_PRINT_SCALE = 0.6
#: Printable width of landscape A4 with the default 0.7 inch margins, in pixels at 96 dpi
#: (Excel column widths: 7 pixels a character plus 5 of padding, in 11 pt Calibri).
_LANDSCAPE_PX = (11.69 - 2 * 0.7) * 96
#: Row height (points) of one line of 11 pt Calibri, and of the About title (14 pt) and
#: section headings (12 pt).
_LINE_PT, _TITLE_PT, _SECTION_PT = 15.0, 18.75, 15.75
_DATA_ROW_PT = 15.75
_CHARS_PER_UNIT = 1.15


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


class _Formats:
    """The workbook's cell formats, made once each (xlsxwriter keeps one per style)."""

    def __init__(self, wb: xlsxwriter.Workbook) -> None:
        self._wb = wb
        self._made: dict[tuple, Format] = {}

    def get(self, **props: object) -> Format:
        key = tuple(sorted(props.items()))
        if key not in self._made:
            self._made[key] = self._wb.add_format(dict(props))
        return self._made[key]


def write_workbook(
    path: Path,
    sheets: Mapping[str, pd.DataFrame],
    about: About,
    elsewhere: Mapping[str, str] | None = None,
) -> Path:
    """Write ``sheets`` (name -> plain frame) after an About sheet to ``path``.

    ``elsewhere`` lists tables left out of the workbook (name -> where they are), for the
    About sheet's list of sheets.
    """
    seen: set[str] = {"about"}
    for name in sheets:
        check_sheet_name(name, seen)
    path.parent.mkdir(parents=True, exist_ok=True)
    wb = xlsxwriter.Workbook(
        str(path),
        {"constant_memory": True, "strings_to_numbers": False, "strings_to_urls": False},
    )
    formats = _Formats(wb)
    _about_sheet(wb.add_worksheet("About"), formats, sheets, about, elsewhere or {})
    for name, frame in sheets.items():
        _data_sheet(wb.add_worksheet(name), formats, frame)
    wb.close()
    return path


def _text(value: object) -> str:
    text = str(value)
    if _NEEDS_CLEANING.search(text) is None:
        return text
    return _ILLEGAL_CHARACTERS.sub("", text).replace("\r\n", "\n").replace("\r", "\n")


def _page_setup(ws: Worksheet, *, landscape: bool, pages_wide: int = 1) -> None:
    ws.set_paper(_A4)
    if landscape:
        ws.set_landscape()
    else:
        ws.set_portrait()
    ws.fit_to_pages(pages_wide, 0)  # as many pages tall as needed
    ws.set_header(_PAGE_HEADER)
    ws.set_footer(_PAGE_FOOTER)


def _pages_wide(widths: list[float]) -> int:
    """Landscape pages across that print columns of these widths at no less than
    :data:`_MIN_PRINT_SCALE`, the first column repeated on each page.

    Examples
    --------
    >>> _pages_wide([12.0] * 6), _pages_wide([20.0] * 44)
    (1, 5)
    """
    px = [w * 7 + 5 for w in widths]
    if not px or sum(px) * _MIN_PRINT_SCALE <= _LANDSCAPE_PX:
        return 1
    first, rest = px[0], sum(px[1:])
    return math.ceil(rest * _MIN_PRINT_SCALE / (_LANDSCAPE_PX - first * _MIN_PRINT_SCALE))


def _lines(text: str, width: float) -> int:
    """Printed lines of ``text`` wrapped in a column ``width`` characters wide.

    A width counts the widest digits; prose in Calibri (Carlito in LibreOffice) fits about
    1.2 characters a unit (124 on a line of the About sheet's value column, measured in
    LibreOffice 7.4's PDF). 1.15 leaves a margin, so a row is never too short.

    Examples
    --------
    >>> _lines("x" * 100, 100), _lines("x" * 215, 100), _lines("a\\nb", 100)
    (1, 2, 2)
    """
    if math.isinf(width):
        return 1
    per_line = max(int(width * _CHARS_PER_UNIT) - 1, 1)
    return sum(max(1, math.ceil(len(part) / per_line)) for part in text.split("\n"))


def _about_sheet(
    ws: Worksheet,
    formats: _Formats,
    sheets: Mapping[str, pd.DataFrame],
    about: About,
    elsewhere: Mapping[str, str],
) -> None:
    for col, width in enumerate(_ABOUT_WIDTHS):
        ws.set_column(col, col, width)
    _page_setup(ws, landscape=False)
    title = formats.get(bold=True, font_size=14)
    section_font = formats.get(bold=True, font_size=12, **_WRAP)
    bold = formats.get(bold=True, **_WRAP)
    plain = formats.get(**_WRAP)
    quoted = formats.get(quote_prefix=True, **_WRAP)
    r = 0

    def row(
        *values: object, fmt: Format = plain, line: float = _LINE_PT, wrap: bool = True
    ) -> None:
        nonlocal r
        texts = [_text(v) for v in values]
        widths = _ABOUT_WIDTHS if wrap else (math.inf,)
        lines = max(_lines(t, w) for t, w in zip(texts, widths, strict=False))
        ws.set_row(r, line * lines)
        for c, t in enumerate(texts):
            ws.write_string(r, c, t, quoted if fmt is plain and formula_like(t) else fmt)
        r += 1

    def section(heading: str) -> None:
        nonlocal r
        r += 1
        row(heading, fmt=section_font, line=_SECTION_PT)

    row(about.title, fmt=title, line=_TITLE_PT, wrap=False)
    intro = "Community resilience tables written by the resilience package."
    row(intro, fmt=formats.get(valign="top"), wrap=False)
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
    for name, where in elsewhere.items():
        row(name, where)
    section("Column dictionary")
    main = {"LSOAs", "Wards", "Flags", "OAs"}
    for name, frame in sheets.items():
        row(name, fmt=bold)
        fallback = None if name in main else f"Column of the {name} table"
        for col in frame.columns:
            meaning = column_meaning(col, about.columns, interval=about.interval)
            if fallback and col not in about.columns and meaning == UNKNOWN_MEANING:
                meaning = fallback
            row(col, meaning)


def _data_sheet(ws: Worksheet, formats: _Formats, frame: pd.DataFrame) -> None:
    ws.freeze_panes(1, 0)
    # A row height of its own: with Excel's default (15 pt, not marked custom) LibreOffice
    # paginates with one height and prints with another, and adds empty pages.
    ws.set_default_row(_DATA_ROW_PT)
    kinds = [_kind(col, frame[col]) for col in frame.columns]
    widths = [_width(col, frame[col], kind) for col, kind in zip(frame.columns, kinds, strict=True)]
    for i, width in enumerate(widths):
        ws.set_column(i, i, width)
    pages_wide = _pages_wide(widths)
    _page_setup(ws, landscape=True, pages_wide=pages_wide)
    ws.repeat_rows(0)
    if pages_wide > 1:
        ws.repeat_columns(0)
        ws.print_across()
    ws.hide_gridlines(0)  # print the grid: rows of numbers are hard to follow without it
    header = formats.get(**_HEADER)
    header_quoted = formats.get(quote_prefix=True, **_HEADER)
    for i, col in enumerate(frame.columns):
        text = _text(col)
        ws.write_string(0, i, text, header_quoted if formula_like(text) else header)
    columns = [_values(frame[col], kind) for col, kind in zip(frame.columns, kinds, strict=True)]
    calls = [_writer(ws, formats, kind, cells) for kind, cells in zip(kinds, columns, strict=True)]
    writers = [w for w, _ in calls]
    cell_formats = [f for _, f in calls]
    for r, values in enumerate(zip(*columns, strict=True), 1):
        for c, v in enumerate(values):
            if v is not None:
                writers[c](r, c, v, cell_formats[c])
    if len(frame.columns):
        ws.autofilter(0, 0, len(frame), len(frame.columns) - 1)


def _writer(
    ws: Worksheet, formats: _Formats, kind: str, cells: list[object]
) -> tuple[Callable[..., object], Format | None]:
    """The worksheet method and format that write the non-missing cells of one column."""
    if kind == _TEXT:
        text = formats.get(num_format=_TEXT)
        if not any(formula_like(v) for v in cells):
            return ws.write_string, text
        quoted = formats.get(num_format=_TEXT, quote_prefix=True)

        def string(r: int, c: int, v: str, fmt: Format) -> object:
            return ws.write_string(r, c, v, quoted if formula_like(v) else fmt)

        return string, text
    if kind == _GENERAL:
        return ws.write_boolean, None
    if kind.startswith("yyyy"):
        return ws.write_datetime, formats.get(num_format=kind)
    return ws.write_number, formats.get(num_format=kind)


def _kind(col: str, series: pd.Series) -> str:
    """The number format of a column (``@`` for text)."""
    if is_code_column(col):
        return _TEXT
    if pd.api.types.is_bool_dtype(series):
        return _GENERAL
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
    if col in COUNT_COLUMNS:
        return _COUNT
    if pd.api.types.is_integer_dtype(series):
        return _INTEGER
    return _DECIMAL


def _values(series: pd.Series, kind: str) -> list[object]:
    """The column's cells as Python values, ``None`` where missing or not finite."""
    if kind == _TEXT and isinstance(series.dtype, pd.StringDtype):
        clean = ~series.str.contains(_NEEDS_CLEANING.pattern).to_numpy(bool, na_value=False)
        if clean.all():  # the texts as they are (most columns): no per-cell check
            cells = series.to_numpy(dtype=object, na_value=None)
            cells[cells == ""] = None  # an empty text is an empty cell
            return cells.tolist()
    if kind == _TEXT:
        texts = (None if _missing(v) else _text(v) for v in series)
        return [t or None for t in texts]  # an empty text is an empty cell
    if kind.startswith("yyyy"):
        times = series.dt.tz_convert("UTC").dt.tz_localize(None) if series.dt.tz else series
        return [None if pd.isna(v) else v.to_pydatetime() for v in times]
    if kind == _GENERAL:
        return [None if _missing(v) else bool(v) for v in series]
    cells = series.astype(object).to_numpy(copy=True)
    cells[~np.isfinite(series.to_numpy(dtype=float, na_value=np.nan))] = None
    return cells.tolist()


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
