"""Reading tabular inputs (CSV, tab-separated, Excel, GeoPackage, Parquet, Stata) as text.

Every reader returns columns as strings (``dtype=str``) so that area codes keep their
leading letters and zeros and so that a non-numeric value in a numeric column can be
reported by value. :func:`to_numeric` converts named columns afterwards, with an error
that names the file, the column and examples of the offending values.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..errors import InputDataError, format_examples

__all__ = ["file_label", "not_a_file", "not_utf8", "read_table", "require_columns", "to_numeric"]

_CSV = {".csv", ".txt"}
_TAB = {".tab", ".tsv"}
_EXCEL = {".xlsx", ".xlsm", ".xls"}
_GEO = {".gpkg", ".shp", ".geojson", ".json", ".fgb"}


def file_label(path: str | Path) -> str:
    """How a file is named in messages: its path as given."""
    return f"'{path}'"


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
        A ``.csv``/``.txt`` (comma-separated; a UTF-8 byte-order mark is removed),
        ``.tab``/``.tsv`` (tab-separated), Excel workbook, GeoPackage/shapefile/GeoJSON
        (attributes only), ``.parquet`` or Stata ``.dta`` file.
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
    if p.is_dir() and ext not in _GEO:
        raise not_a_file(role, p)
    try:
        if ext in _CSV or ext in _TAB:
            df = pd.read_csv(
                p,
                sep="\t" if ext in _TAB else ",",
                dtype=str,
                encoding="utf-8-sig",
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
    except UnicodeDecodeError as err:
        raise not_utf8(role, p, err) from err
    except (pd.errors.ParserError, ValueError, OSError) as err:
        raise InputDataError(
            f"The {role} file {file_label(p)} could not be read as a {ext[1:]} table "
            f"({type(err).__name__}: {err}). Is it the file the config says it is?"
        ) from err
    df.columns = [str(c).strip() for c in df.columns]
    if len(df) == 0:
        raise InputDataError(f"The {role} file {file_label(p)} has a header but no rows.")
    return df


def not_a_file(role: str, path: Path) -> InputDataError:
    """The error for a folder given where a file is needed."""
    return InputDataError(
        f"The {role} file {file_label(path)} is a folder, not a file. Give the path of the "
        "file itself in the config."
    )


def not_utf8(role: str, path: Path, err: UnicodeDecodeError) -> InputDataError:
    """The error for a text file in another encoding than UTF-8."""
    head = Path(path).read_bytes()[:2]
    kind = " (it is UTF-16)" if head in (b"\xff\xfe", b"\xfe\xff") else ""
    return InputDataError(
        f"The {role} file {file_label(path)} is not UTF-8 text{kind}, or not a text file at "
        f"all: byte {err.start} cannot be read. Save it as UTF-8 (in Excel: Save As, "
        "'CSV UTF-8'; in LibreOffice: Character set 'Unicode (UTF-8)')."
    )


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

    Empty cells become missing values. Thousands separators (``1,234``) are accepted.
    """
    out = df.copy()
    for col in columns:
        raw = out[col]
        text = raw.astype("string").str.strip().str.replace(",", "", regex=False)
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
