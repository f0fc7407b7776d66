"""CSV tables and the Excel workbook of a run: ``<out>/tables/``.

Files written:

``lsoa.csv``, ``ward.csv``, ``flags.csv``
    One row per LSOA, per ward, per flagged LSOA, with the columns of the specification
    (section 4). Geometry is dropped; a named index becomes a column.
``resilience.xlsx``
    An *About* sheet (title, run metadata, sources and attribution, caveats, the list of
    sheets and a column dictionary), then the sheets *LSOAs*, *Wards*, *Flags*, *OAs*
    (when given) and any extra sheets.

CSV conventions
---------------
* **UTF-8 with a byte-order mark** (``utf-8-sig``). Excel on Windows opens a BOM-less
  UTF-8 file in the local code page and garbles names with accents (Welsh place names,
  for example); with the BOM it reads them correctly. pandas, R's ``readr`` and QGIS
  strip the mark. Python's :mod:`csv` module on a file opened as plain ``utf-8`` sees
  ``"\\ufeff"`` in front of the first column name: open it with ``utf-8-sig``.
* Comma separated, ``\\n`` line ends, ``.`` decimal point, empty field for missing values,
  decimals at full precision (they round-trip exactly).
* Dates and times in ISO 8601 (``2025-03-31``, ``2025-03-31T14:05:00``).
* Area codes are written as text (never ``1.0``); read them back with ``dtype=str``.
  GSS codes start with a letter, so Excel keeps them as text too.
* Counts (``population``, ``n_lsoa``, ``n_flagged`` ...) are whole numbers (``2068``,
  never ``2068.0``).
* A text cell that a spreadsheet would run as a formula (starting with ``=``, ``+``, ``-``,
  ``@``, a tab or a carriage return, and not a plain number such as ``-0.3``) is written
  with a leading apostrophe: ``'=HYPERLINK(...)``. Numbers are never changed.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pandas as pd

from .._fork import Background
from ..errors import InputDataError
from ._about import normalise_about
from ._csv import frame_to_csv
from ._frames import neutralise_text, plain_table, require
from ._xlsx import check_sheet_name, write_workbook

__all__ = [
    "CSV_ENCODING",
    "PARALLEL_CSV_CELLS",
    "WORKBOOK_MAX_OAS",
    "large_csvs",
    "write_csv",
    "write_tables",
]

#: Encoding of every CSV written: UTF-8 with a byte-order mark (see the module docstring).
CSV_ENCODING = "utf-8-sig"

#: Above this many OAs the OA table goes to ``tables/oa.csv`` rather than the workbook's
#: *OAs* sheet. A borough has 600 to 1,500 OAs; London's 25,000 made 1.4 million of the
#: workbook's 1.8 million cells and two thirds of the time it took to write (about 8 s of
#: 11 s), for a sheet nobody reads in Excel: its figures are in the GeoPackage's ``oa``
#: layer and the CSV, and the About sheet says so.
WORKBOOK_MAX_OAS = 10_000

#: From this many cells in the CSVs, they are written by a forked process beside the
#: workbook (below it, starting the process costs more than it saves).
PARALLEL_CSV_CELLS = 500_000


def write_tables(
    out_dir: str | Path,
    *,
    lsoa: pd.DataFrame,
    ward: pd.DataFrame,
    flags: pd.DataFrame,
    oa: pd.DataFrame | None = None,
    about: Mapping[str, object] | None = None,
    extra_sheets: Mapping[str, pd.DataFrame] | None = None,
    csv: bool = True,
    workbook: bool = True,
) -> dict[str, Path]:
    """Write the run's CSV tables and Excel workbook under ``out_dir / "tables"``.

    Parameters
    ----------
    out_dir : str or Path
        The run's output folder; the files go to its ``tables`` subfolder (created).
    lsoa, ward, flags : DataFrame or GeoDataFrame
        LSOA results (needs ``lsoa_code``), ward results (needs ``ward_code``) and the
        flagged shortlist (needs ``lsoa_code``).
    oa : DataFrame, optional
        OA results (needs ``oa_code``): the workbook's *OAs* sheet, or ``oa.csv`` when
        there are more than :data:`WORKBOOK_MAX_OAS` OAs.
    about : mapping, optional
        Run metadata, sources, caveats and column meanings for the About sheet; the keys
        are described in :mod:`resilience.outputs._about`.
    extra_sheets : mapping of str to DataFrame, optional
        More workbook sheets, e.g. ``{"Cluster profiles": model.profiles_}``. Names must
        be valid Excel sheet names (at most 31 characters, none of ``[]:*?/\\``).
    csv, workbook : bool, default=True
        Write the CSVs, the workbook (both by default; a run writes them in two processes).

    Returns
    -------
    dict of str to Path
        ``lsoa``, ``ward``, ``flags`` (the CSVs), ``oa`` (when the OAs are too many for
        the workbook) and ``xlsx`` (the workbook).

    Raises
    ------
    InputDataError
        If a table lacks its code column, has repeated column names, or a sheet name is
        invalid.

    Examples
    --------
    >>> import tempfile
    >>> lsoa = pd.DataFrame({"lsoa_code": ["E01000001"], "resilience_score": [0.1]})
    >>> ward = pd.DataFrame({"ward_code": ["E05000001"], "resilience_score": [0.1]})
    >>> paths = write_tables(tempfile.mkdtemp(), lsoa=lsoa, ward=ward, flags=lsoa.iloc[:0])
    >>> sorted(paths)
    ['flags', 'lsoa', 'ward', 'xlsx']
    """
    info = normalise_about(about)
    tables = {
        "lsoa": _checked(lsoa, "lsoa", "lsoa_code"),
        "ward": _checked(ward, "ward", "ward_code"),
        "flags": _checked(flags, "flags", "lsoa_code"),
    }
    sheets = {"LSOAs": tables["lsoa"], "Wards": tables["ward"], "Flags": tables["flags"]}
    elsewhere: dict[str, str] = {}
    if oa is not None and len(oa) > WORKBOOK_MAX_OAS:
        if csv:
            tables["oa"] = _checked(oa, "oa", "oa_code")
        elsewhere["OAs"] = (
            f"Not in this workbook: {len(oa):,} OAs are more than the {WORKBOOK_MAX_OAS:,} "
            "it holds. They are in tables/oa.csv and the oa layer of resilience.gpkg."
        )
    elif oa is not None:
        sheets["OAs"] = _checked(oa, "oa", "oa_code")
    for name, frame in (extra_sheets or {}).items():
        if str(name).lower() in {s.lower() for s in [*sheets, "About"]}:
            raise InputDataError(
                f"Extra sheet name {name!r} is already used by the workbook (its sheets are "
                f"About, {', '.join(sheets)}; names are case-insensitive). Choose another name."
            )
        sheets[name] = plain_table(frame, table=f"extra sheet {name!r}")
    seen = {"about"}
    for name in sheets:  # before anything is written
        check_sheet_name(name, seen)
    folder = Path(out_dir) / "tables"
    folder.mkdir(parents=True, exist_ok=True)
    if not workbook:
        return _write_csvs(tables, folder) if csv else {}
    # Large tables: a forked process writes the CSVs while this one writes the workbook
    # (London: 2.0 s and 2.3 s, one after the other before); the same files either way.
    beside = csv and large_csvs(lsoa, ward, flags, oa)
    csvs = Background(_write_csvs, tables if csv else {}, folder, enabled=beside)
    paths = csvs.result() if not csvs.forked else {}  # in turn: the CSVs first
    try:
        xlsx = write_workbook(folder / "resilience.xlsx", sheets, info, elsewhere)
    except Exception:
        csvs.close()  # the CSVs are finished, as when they were written before the workbook
        raise
    except BaseException:
        csvs.stop()  # interrupted: nothing more is wanted
        raise
    if csvs.forked:
        paths = csvs.result()
    paths["xlsx"] = xlsx
    return paths


def large_csvs(
    lsoa: pd.DataFrame, ward: pd.DataFrame, flags: pd.DataFrame, oa: pd.DataFrame | None = None
) -> bool:
    """Whether the CSVs :func:`write_tables` writes for these frames hold at least
    :data:`PARALLEL_CSV_CELLS` cells (``oa.csv`` is written above :data:`WORKBOOK_MAX_OAS`).

    Examples
    --------
    >>> one = pd.DataFrame({"lsoa_code": ["E01000001"]})
    >>> large_csvs(one, one, one)
    False
    """
    frames = [lsoa, ward, flags]
    if oa is not None and len(oa) > WORKBOOK_MAX_OAS:
        frames.append(oa)
    return sum(frame.size for frame in frames) >= PARALLEL_CSV_CELLS


def _write_csvs(tables: Mapping[str, pd.DataFrame], folder: Path) -> dict[str, Path]:
    return {name: write_csv(frame, folder / f"{name}.csv") for name, frame in tables.items()}


def write_csv(frame: pd.DataFrame, path: str | Path) -> Path:
    """Write one table as CSV with the conventions of this module; return the path.

    Examples
    --------
    >>> import tempfile
    >>> p = write_csv(pd.DataFrame({"ward_name": ["Ynys Môn"]}), Path(tempfile.mkdtemp()) / "w.csv")
    >>> p.read_bytes()[:3]
    b'\\xef\\xbb\\xbf'
    """
    path = Path(path)
    df = neutralise_text(plain_table(frame, table=path.stem))
    for col in df.columns:
        if pd.api.types.is_datetime64_any_dtype(df[col]):
            df[col] = _iso(df[col])
    path.parent.mkdir(parents=True, exist_ok=True)
    frame_to_csv(df, path, CSV_ENCODING)
    return path


def _checked(frame: pd.DataFrame, table: str, code: str) -> pd.DataFrame:
    df = plain_table(frame, table=table)
    require(df, [code], table=table)
    return df


def _iso(series: pd.Series) -> pd.Series:
    """ISO 8601 text: dates alone when every time is midnight."""
    times = series.dropna()
    with_time = len(times) and (times.dt.normalize() != times).any()
    text = series.dt.strftime("%Y-%m-%dT%H:%M:%S" if with_time else "%Y-%m-%d")
    return text.astype(object).where(series.notna(), None)
