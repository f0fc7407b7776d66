"""Workbook writers measured beside the package's: the floor and the alternative.

``bare_xlsxwriter``
    The floor of ``outputs.tables``: xlsxwriter in ``constant_memory`` mode writing the same
    cells (the header and every non-missing value, text as strings, numbers as numbers) and
    nothing else: no formats, widths, About sheet or page setup.
``openpyxl_write_only``
    The same cells with the same number formats, text cells and bold header through
    openpyxl's write-only mode (``WriteOnlyCell``), the writer the package used before.
``bare_openpyxl``
    openpyxl's write-only mode with plain values only: that library's floor.

Each takes ``{sheet name: frame}`` as :func:`sheets_of` makes them (the frames
``resilience.outputs.tables.write_tables`` turns into sheets) and a path.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd

__all__ = ["WRITERS", "bare_openpyxl", "bare_xlsxwriter", "openpyxl_write_only", "sheets_of"]


def sheets_of(lsoa, ward, flags, oa=None, extra: Mapping[str, pd.DataFrame] | None = None):
    """The data sheets of the workbook as plain frames (geometry dropped, codes as text)."""
    from resilience.outputs._frames import plain_table

    sheets = {"LSOAs": lsoa, "Wards": ward, "Flags": flags}
    if oa is not None:
        sheets["OAs"] = oa
    sheets.update(extra or {})
    return {name: plain_table(frame, table=name) for name, frame in sheets.items()}


def _columns(frame: pd.DataFrame) -> list[list[object]]:
    """Each column as Python values, ``None`` where missing or not finite."""
    out = []
    for col in frame.columns:
        s = frame[col]
        cells = s.astype(object).to_numpy(copy=True)
        if pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s):
            cells[~np.isfinite(s.to_numpy(dtype=float, na_value=np.nan))] = None
        else:
            cells[s.isna().to_numpy()] = None
        out.append(cells.tolist())
    return out


def bare_xlsxwriter(sheets: Mapping[str, pd.DataFrame], path: Path) -> None:
    import xlsxwriter

    wb = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    for name, frame in sheets.items():
        ws = wb.add_worksheet(name)
        for c, col in enumerate(frame.columns):
            ws.write_string(0, c, str(col))
        columns = _columns(frame)
        text = [not pd.api.types.is_numeric_dtype(frame[c]) for c in frame.columns]
        writers = [ws.write_string if t else ws.write_number for t in text]
        for r, values in enumerate(zip(*columns, strict=True), 1):
            for c, v in enumerate(values):
                if v is not None:
                    writers[c](r, c, v if not text[c] else str(v))
    wb.close()


def openpyxl_write_only(sheets: Mapping[str, pd.DataFrame], path: Path) -> None:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    from resilience.outputs._xlsx import _kind

    wb = Workbook(write_only=True)
    bold = Font(bold=True)
    for name, frame in sheets.items():
        ws = wb.create_sheet(name)
        ws.freeze_panes = "A2"
        header = []
        for col in frame.columns:
            cell = WriteOnlyCell(ws, value=str(col))
            cell.font = bold
            header.append(cell)
        ws.append(header)
        kinds = [_kind(c, frame[c]) for c in frame.columns]
        columns = _columns(frame)
        for values in zip(*columns, strict=True):
            row = []
            for v, kind in zip(values, kinds, strict=True):
                if v is None:
                    row.append(None)
                    continue
                cell = WriteOnlyCell(ws, value=str(v) if kind == "@" else v)
                if kind == "@":
                    cell.data_type = "s"
                cell.number_format = kind
                row.append(cell)
            ws.append(row)
    wb.save(path)


def bare_openpyxl(sheets: Mapping[str, pd.DataFrame], path: Path) -> None:
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    for name, frame in sheets.items():
        ws = wb.create_sheet(name)
        ws.append([str(c) for c in frame.columns])
        for values in zip(*_columns(frame), strict=True):
            ws.append(list(values))
    wb.save(path)


WRITERS = {
    "floor.write_xlsxwriter": bare_xlsxwriter,
    "alt.openpyxl_write_only": openpyxl_write_only,
    "floor.write_openpyxl": bare_openpyxl,
}
