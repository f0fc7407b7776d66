"""Reading tabular inputs (CSV, tab-separated, Excel, GeoPackage, Parquet, Stata) as text.

Every reader returns columns as strings (``dtype=str``) so that area codes keep their
leading letters and zeros and so that a non-numeric value in a numeric column can be
reported by value. :func:`to_numeric` converts named columns afterwards, with an error
that names the file, the column and examples of the offending values.
"""

from __future__ import annotations

import csv
import warnings
from pathlib import Path

import pandas as pd

from ..errors import DataQualityWarning, InputDataError, format_examples

__all__ = ["file_label", "read_table", "require_columns", "text_encoding", "to_numeric"]

_CSV = {".csv", ".txt"}
_TAB = {".tab", ".tsv"}
_EXCEL = {".xlsx", ".xlsm", ".xls"}
_GEO = {".gpkg", ".shp", ".geojson", ".json", ".fgb"}


def file_label(path: str | Path) -> str:
    """How a file is named in messages: its path as given."""
    return f"'{path}'"


def text_encoding(path: str | Path, *, role: str = "table") -> str:
    """The encoding of a text file: UTF-8 (with or without a byte-order mark) or Windows-1252.

    Excel on Windows saves "CSV" in the Windows-1252 code page unless told "CSV UTF-8", so
    a file that is not valid UTF-8 is read as Windows-1252 with a
    :class:`~resilience.errors.DataQualityWarning` naming it.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> f = pathlib.Path(tempfile.mkdtemp()) / "t.csv"
    >>> _ = f.write_bytes("code,name\\nE01000001,Caf\\u00e9\\n".encode("utf-8"))
    >>> text_encoding(f)
    'utf-8-sig'
    """
    data = Path(path).read_bytes()
    try:
        data.decode("utf-8")
        return "utf-8-sig"
    except UnicodeDecodeError as err:
        where = err.start
    try:
        data.decode("cp1252")
    except UnicodeDecodeError as err:
        raise InputDataError(
            f"The {role} file {file_label(path)} is neither UTF-8 nor Windows-1252 text "
            f"(byte {err.start}). Save it as 'CSV UTF-8' (Excel: File > Save As > CSV UTF-8)."
        ) from err
    warnings.warn(
        f"The {role} file {file_label(path)} is not UTF-8 (first odd byte at position "
        f"{where}); it was read as Windows-1252, the code page Excel uses for CSV on Windows. "
        "Check names with accents or £ signs, or save it as 'CSV UTF-8'.",
        DataQualityWarning,
        stacklevel=3,
    )
    return "cp1252"


def _delimiter(path: Path, encoding: str, default: str) -> str:
    """The field separator of a delimited text file: the one splitting its header most.

    European Excel saves "CSV" with semicolons; the header decides, since its fields may
    hold commas inside quotes ("Education, Skills and Training Score").
    """
    with open(path, encoding=encoding, newline="") as fh:
        header = fh.readline()
    fields = {
        sep: len(next(csv.reader([header], delimiter=sep), [])) for sep in (",", ";", "\t", "|")
    }
    best = max(fields, key=lambda sep: (fields[sep], sep == default))
    return best if fields[best] > fields[default] else default


def read_table(
    path: str | Path,
    *,
    role: str = "table",
    sheet: str | int | None = None,
    layer: str | None = None,
) -> pd.DataFrame:
    """Read a table of any supported format with every column as text.

    Parameters
    ----------
    path : str or Path
        A ``.csv``/``.txt`` (comma-separated; a UTF-8 byte-order mark is removed; a
        header with no comma but semicolons or tabs is read with that separator, as
        European Excel saves "CSV"; Windows-1252 text is read with a warning, see
        :func:`text_encoding`), ``.tab``/``.tsv`` (tab-separated), Excel workbook,
        GeoPackage/shapefile/GeoJSON (attributes only), ``.parquet`` or Stata ``.dta`` file.
    role : str
        What the file is for, used in error messages ("hard data", "lookup", …).
    sheet : str or int, optional
        Excel sheet (default: the first).
    layer : str, optional
        Layer of a GeoPackage (default: the first).

    Returns
    -------
    DataFrame
        Columns with surrounding whitespace stripped from their names.

    Raises
    ------
    InputDataError
        If the file is missing, empty, or cannot be read as a table.
    """
    p = Path(path)
    if not p.exists():
        raise InputDataError(
            f"The {role} file {file_label(p)} does not exist. Check the path "
            "(paths in a config file are relative to the config file)."
        )
    if p.is_file() and p.stat().st_size == 0:
        raise InputDataError(f"The {role} file {file_label(p)} is empty (0 bytes).")
    ext = p.suffix.lower()
    try:
        if ext in _CSV or ext in _TAB:
            encoding = text_encoding(p, role=role)
            sep = _delimiter(p, encoding, "\t" if ext in _TAB else ",")
            df = pd.read_csv(
                p,
                sep=sep,
                dtype=str,
                encoding=encoding,
                keep_default_na=True,
                na_values=[""],
                low_memory=False,
            )
        elif ext in _EXCEL:
            try:
                df = pd.read_excel(p, sheet_name=sheet if sheet is not None else 0, dtype=str)
            except ValueError as err:
                if "Worksheet" in str(err) or "not found" in str(err):
                    sheets = pd.ExcelFile(p).sheet_names
                    raise InputDataError(
                        f"The {role} workbook {file_label(p)} has no sheet {sheet!r}. "
                        f"Its sheets are: {format_examples(sheets, 20)}."
                    ) from err
                raise
        elif ext in _GEO:
            import pyogrio

            if layer is not None:
                names = [n for n, _ in pyogrio.list_layers(p)]
                if layer not in names:
                    raise InputDataError(
                        f"The {role} file {file_label(p)} has no layer {layer!r}. "
                        f"Its layers are: {format_examples(names, 20)}."
                    )
            df = pyogrio.read_dataframe(p, layer=layer, read_geometry=False)
            df = df.astype({c: str for c in df.columns if df[c].dtype == object})
        elif ext == ".parquet":
            df = pd.read_parquet(p)
        elif ext == ".dta":
            df = pd.read_stata(p, convert_categoricals=False)
        else:
            raise InputDataError(
                f"The {role} file {file_label(p)} has an extension ({ext or 'none'}) that "
                "resilience cannot read. Use CSV, tab-separated (.tab/.tsv), Excel, "
                "GeoPackage, Parquet or Stata (.dta)."
            )
    except InputDataError:
        raise
    except pd.errors.EmptyDataError as err:
        raise InputDataError(f"The {role} file {file_label(p)} is empty.") from err
    except (UnicodeDecodeError, pd.errors.ParserError, ValueError, OSError) as err:
        raise InputDataError(
            f"The {role} file {file_label(p)} could not be read as a {ext[1:]} table "
            f"({type(err).__name__}: {err}). Is it the file the config says it is?"
        ) from err
    df.columns = [str(c).strip() for c in df.columns]
    if ext in _CSV and sep == ";":
        df.attrs["decimal"] = ","  # semicolon CSVs come from locales writing 1,5 for 1.5
    if len(df) == 0:
        raise InputDataError(f"The {role} file {file_label(p)} has a header but no rows.")
    return df


def require_columns(
    df: pd.DataFrame, columns: list[str], *, path: str | Path, role: str, hint: str = ""
) -> None:
    """Raise if any of ``columns`` is missing, listing the columns the file does have."""
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise InputDataError(
            f"The {role} file {file_label(path)} has no column "
            f"{format_examples(missing)}. Its columns are: "
            f"{format_examples(list(df.columns), 15)}. {hint}".rstrip()
        )


def to_numeric(
    df: pd.DataFrame, columns: list[str], *, path: str | Path, role: str
) -> pd.DataFrame:
    """Convert ``columns`` to floats; non-numeric values are an error naming them.

    Empty cells become missing values. Thousands separators (``1,234``) are accepted; in
    a semicolon-separated file (``df.attrs["decimal"] == ","``) the comma is the decimal
    mark instead (``1,5`` is 1.5).
    """
    out = df.copy()
    comma_decimal = df.attrs.get("decimal") == ","
    for col in columns:
        raw = out[col]
        text = raw.astype("string").str.strip()
        if comma_decimal:
            text = text.str.replace(".", "", regex=False).str.replace(",", ".", regex=False)
        else:
            text = text.str.replace(",", "", regex=False)
        num = pd.to_numeric(text, errors="coerce")
        bad = raw[num.isna() & text.notna() & (text != "")]
        if len(bad):
            raise InputDataError(
                f"Column {col!r} of the {role} file {file_label(path)} should be numeric but "
                f"holds {len(bad)} value(s) that are not numbers, e.g. "
                f"{format_examples(bad.unique().tolist())} (rows "
                f"{format_examples([int(i) + 2 for i in bad.index[:5]])} counting the header "
                "as row 1). Correct or blank them."
            )
        out[col] = num.astype(float)
    return out
