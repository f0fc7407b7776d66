"""The styled GeoPackage: layers, attribute tables and default QGIS styles in one file.

:func:`write_geopackage` writes the ``oa``, ``lsoa`` and ``ward`` layers in EPSG:27700,
the non-spatial tables (``cluster_profiles``, ``factor_loadings``, ``area_estimates``,
``about``) and a ``layer_styles`` table holding QML styles, one of them the default for
each layer, so the layers open in QGIS already coloured, with legends and field aliases
in words (the QGIS GeoPackage style extension,
https://github.com/pka/qgpkg/blob/master/qgis_geopackage_extension.md). Layer titles and
descriptions go into ``gpkg_contents`` (GDAL layer options ``IDENTIFIER`` and
``DESCRIPTION``), where QGIS shows them as the layer title and abstract.

The file is a GeoPackage 1.2 (:data:`GPKG_VERSION`), not the 1.4 that GDAL 3.7 and later
write by default: GDAL 3.6 and older (QGIS 3.22 on Debian 12 runs on GDAL 3.6.2) print
"This version of GeoPackage user_version=0x000028A0 (10400, v1.4.0) ... may only be
partially supported" each time they open a 1.4 file. Each ``layer_styles`` row has its own
``update_time``, a second apart: QGIS 3.22 lists the styles of the other layers once per
row that shares a timestamp. Both checked by opening the file in QGIS 3.22.

The file is built in a temporary folder beside ``path`` and moved into place at the end,
so a failed write leaves nothing half-written and keeps any earlier file at ``path``.

Examples
--------
>>> import tempfile, pathlib, shapely, geopandas as gpd
>>> ward = gpd.GeoDataFrame({"ward_code": ["E05000001"], "resilience_score": [0.1]},
...                         geometry=[shapely.box(0, 0, 100, 100)], crs=27700)
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> out = write_geopackage(folder / "resilience.gpkg", {"ward": ward})
>>> read_layer_styles(out)[["f_table_name", "styleName", "useAsDefault"]].values.tolist()
[['ward', 'Resilience score', True]]
"""

from __future__ import annotations

import json
import math
import os
import re
import shutil
import sqlite3
import tempfile
from collections.abc import Mapping
from contextlib import closing
from datetime import UTC, date, datetime, timedelta
from importlib.util import find_spec
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio

from ..errors import InputDataError, OutputExistsError, format_examples
from ..schema import default_aliases
from ._about import about_record
from .qml import default_styles

__all__ = [
    "CRS",
    "DEFAULT_DESCRIPTIONS",
    "DEFAULT_TITLES",
    "GPKG_VERSION",
    "about_frame",
    "default_aliases",
    "read_layer_styles",
    "write_geopackage",
]

#: Every layer is written in British National Grid.
CRS = "EPSG:27700"

#: GeoPackage version written (GDAL ``VERSION`` creation option; ``PRAGMA user_version``
#: 10200). Every GDAL since 2.2 reads it without a warning.
GPKG_VERSION = "1.2"

#: Layer and table titles (``gpkg_contents.identifier``) used unless others are given.
DEFAULT_TITLES: dict[str, str] = {
    "oa": "Output areas: predicted resilience clusters",
    "lsoa": "LSOAs: prediction compared with hard data",
    "ward": "Wards: resilience summary",
    "cluster_profiles": "Cluster profiles",
    "factor_loadings": "Factor loadings",
    "factor_correlations": "Factor correlations",
    "area_estimates": "Cluster shares by classification category",
    "about": "About this run",
}

#: Layer and table descriptions (``gpkg_contents.description``) used unless others are given.
DEFAULT_DESCRIPTIONS: dict[str, str] = {
    "oa": (
        "Predicted share of residents in each of six resilience clusters for every output "
        "area, with intervals, the dominant cluster and the resilience score. Predicted "
        "from a national survey by area classification, not measured in the area."
    ),
    "lsoa": (
        "Population-weighted predicted resilience for each LSOA next to the hard-data "
        "index, their quintiles, the gap and a flag where the two disagree, with the "
        "indicators that drive it. Predicted, not measured."
    ),
    "ward": (
        "Population-weighted predicted resilience for each ward, with the hard-data index "
        "and the number of flagged LSOAs. Predicted, not measured."
    ),
    "cluster_profiles": "Each resilience cluster's profile on the measured constructs.",
    "factor_loadings": "Loadings of the survey items on the factors.",
    "factor_correlations": (
        "Correlations between the factors (the identity for an orthogonal rotation)."
    ),
    "area_estimates": (
        "Cluster shares and intervals for each area classification category that passes "
        "disclosure control (categories with too few respondents take their parent's)."
    ),
    "about": "Run id, title, package version, config hash, sources, attribution and caveats.",
}

_STYLE_TABLE = "layer_styles"
_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
_RESERVED_PREFIXES = ("gpkg_", "rtree_", "sqlite_")
_STYLE_DDL = """
CREATE TABLE IF NOT EXISTS "layer_styles" (
  "id" INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
  "f_table_catalog" TEXT(256),
  "f_table_schema" TEXT(256),
  "f_table_name" TEXT(256),
  "f_geometry_column" TEXT(256),
  "styleName" TEXT(30),
  "styleQML" TEXT,
  "styleSLD" TEXT,
  "useAsDefault" BOOLEAN,
  "description" TEXT,
  "owner" TEXT(30),
  "ui" TEXT(30),
  "update_time" DATETIME DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now'))
)
"""

Styles = dict[str, list[tuple[str, str, bool]]]


def write_geopackage(
    path: str | Path,
    layers: Mapping[str, gpd.GeoDataFrame],
    tables: Mapping[str, pd.DataFrame] | None = None,
    *,
    about: Mapping[str, object] | None = None,
    titles: Mapping[str, str] | None = None,
    descriptions: Mapping[str, str] | None = None,
    aliases: Mapping[str, str] | None = None,
    sidecar_dir: str | Path | None = None,
) -> Path:
    """Write layers, tables and default QGIS styles to one GeoPackage, all or nothing.

    Parameters
    ----------
    path : str or Path
        The ``.gpkg`` to write. An existing file is replaced only once the new one is
        complete.
    layers : mapping of str to GeoDataFrame
        Layer name (lower_snake_case, e.g. ``"oa"``, ``"lsoa"``, ``"ward"``) → areas. Any
        CRS is reprojected to EPSG:27700; a frame without a CRS is an error. A named
        index that is not also a column (e.g. ``lsoa_code``) is written as a column;
        other indexes are dropped.
    tables : mapping of str to DataFrame, optional
        Non-spatial tables (``cluster_profiles``, ``factor_loadings``, ``area_estimates``),
        written as GeoPackage attribute tables, indexes treated as for layers.
    about : mapping of str to object, optional
        Run metadata written as table ``about`` with text columns ``key`` and ``value``
        (lists and dicts JSON-encoded), completed by
        :func:`resilience.outputs._about.about_record` with the package version,
        attribution, licence, disclosure rule and caveats.
    titles, descriptions : mapping of str to str, optional
        Title and description of layers and tables, over :data:`DEFAULT_TITLES` and
        :data:`DEFAULT_DESCRIPTIONS`. Titles must be unique.
    aliases : mapping of str to str, optional
        Column → readable name, over :func:`default_aliases` of each layer's columns
        (pass ``default_aliases(columns, indicator_labels)`` to name hard indicators).
    sidecar_dir : str or Path, optional
        Also write each layer's default style as ``<sidecar_dir>/<layer>.qml``.

    Returns
    -------
    Path
        ``path``.

    Raises
    ------
    InputDataError
        A layer has no CRS or is not a GeoDataFrame, a name is not lower_snake_case or
        is used twice, titles repeat, or columns clash (``fid``, ``geom``, names equal
        but for case).
    OutputExistsError
        ``path`` is a folder.

    Notes
    -----
    Integer columns with missing values are stored as integers with NULLs and read back
    as floats. Each layer gets the styles of :func:`resilience.outputs.qml.default_styles`
    in ``layer_styles`` (``useAsDefault`` = 1 for exactly one per layer), with
    ``f_geometry_column`` read from ``gpkg_geometry_columns`` and ``update_time`` one
    second earlier for each row after the first, the first at the time of writing.
    """
    path = Path(path)
    if path.is_dir():
        raise OutputExistsError(f"Cannot write GeoPackage {str(path)!r}: it is a folder.")
    if not layers:
        raise InputDataError(
            f"No layers to write to {str(path)!r}; pass at least one GeoDataFrame."
        )
    tables = dict(tables or {})
    if about is not None:
        if "about" in tables:
            raise InputDataError("Pass run metadata either as about= or as tables['about'].")
        tables["about"] = about_frame(about_record(about))
    frames = {name: _prepare_layer(name, gdf) for name, gdf in layers.items()}
    plain = {name: _prepare_table(name, df) for name, df in tables.items()}
    names = _check_names([*frames, *plain])
    meta = _contents_text(names, titles, descriptions)
    styles = {
        name: default_styles(name, frame, _layer_aliases(frame, aliases))
        for name, frame in frames.items()
    }

    path.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{path.name}.partial-", dir=path.parent))
    pending: list[tuple[Path, Path]] = []
    try:
        tmp = staging / path.name
        for name, frame in [*frames.items(), *plain.items()]:
            _write_frame(tmp, name, frame, *meta[name])
        _write_styles(tmp, styles)
        if sidecar_dir is not None:
            pending = _stage_sidecars(Path(sidecar_dir), styles)
        os.replace(tmp, path)
        for src, dst in pending:
            os.replace(src, dst)
        pending = []
    finally:
        for src, _ in pending:
            src.unlink(missing_ok=True)
        shutil.rmtree(staging, ignore_errors=True)
    return path


def read_layer_styles(path: str | Path) -> pd.DataFrame:
    """Read the ``layer_styles`` table of a GeoPackage.

    Returns
    -------
    DataFrame
        One row per style, ordered by ``id``, with the columns of the table;
        ``useAsDefault`` as bool.

    Raises
    ------
    InputDataError
        The file does not exist or has no ``layer_styles`` table.
    """
    path = Path(path)
    if not path.is_file():
        raise InputDataError(f"GeoPackage {str(path)!r} not found.")
    with closing(sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)) as con:
        found = con.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (_STYLE_TABLE,)
        ).fetchone()
        if found is None:
            raise InputDataError(
                f"GeoPackage {str(path)!r} has no {_STYLE_TABLE} table, so it holds no "
                "QGIS styles. Write it with resilience.outputs.gpkg.write_geopackage."
            )
        styles = pd.read_sql_query(f'SELECT * FROM "{_STYLE_TABLE}" ORDER BY id', con)
    styles["useAsDefault"] = styles["useAsDefault"].fillna(0).astype(int).astype(bool)
    return styles


def about_frame(about: Mapping[str, object]) -> pd.DataFrame:
    """Run metadata as a two-column text table (``key``, ``value``).

    Strings stay as they are, lists, tuples and dicts are JSON-encoded, dates use ISO
    8601, ``None`` becomes an empty string and anything else its ``str``.

    Examples
    --------
    >>> about_frame({"run_id": "abc", "sources": ["IMD 2019"], "seed": 42}).values.tolist()
    [['run_id', 'abc'], ['sources', '["IMD 2019"]'], ['seed', '42']]
    """
    bad = [k for k in about if not isinstance(k, str)]
    if bad:
        raise InputDataError(f"Keys of about= must be text; got {format_examples(bad)}.")
    return pd.DataFrame(
        {
            "key": pd.Series(list(about), dtype="str"),
            "value": pd.Series([_about_text(v) for v in about.values()], dtype="str"),
        }
    )


# ------------------------------------------------------------------ preparing frames


def _prepare_layer(name: str, gdf: object) -> gpd.GeoDataFrame:
    if not isinstance(gdf, gpd.GeoDataFrame):
        raise InputDataError(
            f"Layer {name!r} must be a GeoDataFrame; got {type(gdf).__name__}. "
            "Pass non-spatial tables in tables=."
        )
    if gdf.crs is None:
        raise InputDataError(
            f"Layer {name!r} has no coordinate reference system. Set the one its "
            "coordinates are in, e.g. gdf.set_crs(27700) for British National Grid metres."
        )
    if gdf.crs.to_epsg() != 27700:
        gdf = gdf.to_crs(CRS)
    extra = [c for c in gdf.columns if c != gdf.geometry.name and _is_geometry(gdf[c])]
    if extra:
        raise InputDataError(
            f"Layer {name!r} has more than one geometry column: {format_examples(extra)} "
            f"besides {gdf.geometry.name!r}. Drop them or convert them to WKT text."
        )
    gdf = _index_to_column(gdf)
    _check_columns(name, [c for c in gdf.columns if c != gdf.geometry.name])
    return gdf


def _prepare_table(name: str, df: object) -> pd.DataFrame:
    if isinstance(df, gpd.GeoDataFrame) or not isinstance(df, pd.DataFrame):
        raise InputDataError(
            f"Table {name!r} must be a plain DataFrame; got {type(df).__name__}. "
            "Pass areas with geometry in layers=."
        )
    if df.shape[1] == 0 and not (df.index.name and df.index.name not in df.columns):
        raise InputDataError(f"Table {name!r} has no columns to write.")
    df = _index_to_column(df)
    _check_columns(name, list(df.columns))
    return df


def _index_to_column(frame: pd.DataFrame) -> pd.DataFrame:
    names = [n for n in frame.index.names if n is not None]
    if names and not any(n in frame.columns for n in names):
        return frame.reset_index()
    return frame.reset_index(drop=True)


def _check_columns(name: str, columns: list[object]) -> None:
    not_text = [c for c in columns if not isinstance(c, str)]
    if not_text:
        raise InputDataError(
            f"Column names of {name!r} must be text; got {format_examples(not_text)}. "
            "Rename them, e.g. frame.columns = frame.columns.astype(str)."
        )
    reserved = [c for c in columns if c.lower() in ("fid", "geom")]
    if reserved:
        raise InputDataError(
            f"{name!r} has column(s) {format_examples(reserved)}, which the GeoPackage uses "
            "for the feature id and the geometry. Rename them."
        )
    lowered = pd.Series([c.lower() for c in columns])
    clash = sorted({c for c in columns if (lowered == c.lower()).sum() > 1})
    if clash:
        raise InputDataError(
            f"{name!r} has columns whose names differ only in case: {format_examples(clash)}; "
            "a GeoPackage cannot hold both. Rename one of each pair."
        )


def _is_geometry(column: pd.Series) -> bool:
    return isinstance(column.dtype, gpd.array.GeometryDtype)


def _check_names(names: list[str]) -> list[str]:
    bad = [
        n
        for n in names
        if not isinstance(n, str) or not _NAME.match(n) or n.startswith(_RESERVED_PREFIXES)
    ]
    if bad:
        raise InputDataError(
            f"Layer and table names must be lower_snake_case, start with a letter and not "
            f"start with gpkg_, rtree_ or sqlite_; got {format_examples(bad)}."
        )
    seen = pd.Series(names)
    repeated = sorted(set(seen[seen.duplicated()]))
    if repeated or _STYLE_TABLE in names:
        shown = format_examples(repeated or [_STYLE_TABLE])
        raise InputDataError(
            f"Each layer and table needs its own name; {shown} is used twice or is reserved "
            f"({_STYLE_TABLE!r} holds the QGIS styles)."
        )
    return names


def _contents_text(
    names: list[str],
    titles: Mapping[str, str] | None,
    descriptions: Mapping[str, str] | None,
) -> dict[str, tuple[str, str]]:
    titles = {**DEFAULT_TITLES, **(titles or {})}
    descriptions = {**DEFAULT_DESCRIPTIONS, **(descriptions or {})}
    chosen = {n: (str(titles.get(n, n)), str(descriptions.get(n, ""))) for n in names}
    used = pd.Series([t for t, _ in chosen.values()] + [_STYLE_TABLE])
    repeated = sorted(set(used[used.duplicated()]))
    if repeated:
        raise InputDataError(
            f"Layer and table titles must be unique (GeoPackage identifiers); "
            f"{format_examples(repeated)} is used more than once. Pass distinct titles=."
        )
    return chosen


def _layer_aliases(frame: gpd.GeoDataFrame, aliases: Mapping[str, str] | None) -> dict[str, str]:
    columns = [c for c in frame.columns if c != frame.geometry.name]
    chosen = default_aliases(columns)
    chosen.update({c: str(a) for c, a in (aliases or {}).items() if c in chosen})
    return chosen


def _about_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, (bool, np.bool_)):
        return "true" if value else "false"
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, float) and math.isnan(value):
        return ""
    if isinstance(value, (list, tuple, dict)):
        return json.dumps(value, ensure_ascii=False, default=str)
    return str(value)


# ------------------------------------------------------------------------- writing


#: Write through pyogrio's Arrow path when it is available (pyarrow installed, GDAL 3.8 or
#: later): the same file (field types, values and geometry), written about a quarter faster
#: (national layers: 2.0 s instead of 2.6 s; see benchmarks/README.md).
_USE_ARROW = find_spec("pyarrow") is not None and pyogrio.__gdal_version__ >= (3, 8, 0)


def _write_frame(path: Path, name: str, frame: pd.DataFrame, title: str, description: str) -> None:
    pyogrio.write_dataframe(
        frame,
        path,
        layer=name,
        driver="GPKG",
        use_arrow=_USE_ARROW,
        # the version is chosen when the file is created, by its first layer
        dataset_options=None if path.exists() else {"VERSION": GPKG_VERSION},
        layer_options={"IDENTIFIER": title, "DESCRIPTION": description},
    )


def _write_styles(path: Path, styles: Styles) -> None:
    """Create ``layer_styles``, register it and insert every layer's styles."""
    with closing(sqlite3.connect(path)) as con, con:
        geometry = dict(
            con.execute("SELECT table_name, column_name FROM gpkg_geometry_columns").fetchall()
        )
        missing = [name for name in styles if name not in geometry]
        if missing:
            raise RuntimeError(f"Layers {missing} were not written with a geometry column.")
        con.execute(_STYLE_DDL)
        con.execute(
            "INSERT INTO gpkg_contents (table_name, data_type, identifier, description, "
            "last_change, min_x, min_y, max_x, max_y, srs_id) VALUES (?, 'attributes', ?, ?, "
            "strftime('%Y-%m-%dT%H:%M:%fZ','now'), NULL, NULL, NULL, NULL, 0)",
            (_STYLE_TABLE, _STYLE_TABLE, "Default and alternative QGIS styles of the layers."),
        )
        rows = [
            ("", "", name, geometry[name], style_name, qml, "", int(is_default), style_name, "")
            for name, layer_styles in styles.items()
            for style_name, qml, is_default in layer_styles
        ]
        # QGIS 3.22 reads update_time to the second and lists the other layers' styles once
        # per row that shares a second: each row gets its own, newest first.
        now = datetime.now(UTC).replace(microsecond=0)
        times = [
            (now - timedelta(seconds=i)).strftime("%Y-%m-%dT%H:%M:%S.000Z")
            for i in range(len(rows))
        ]
        con.executemany(
            f'INSERT INTO "{_STYLE_TABLE}" (f_table_catalog, f_table_schema, f_table_name, '
            "f_geometry_column, styleName, styleQML, styleSLD, useAsDefault, description, "
            "owner, update_time) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [(*row, time) for row, time in zip(rows, times, strict=True)],
        )


def _stage_sidecars(folder: Path, styles: Styles) -> list[tuple[Path, Path]]:
    """Write each layer's default QML beside its final name; return (temp, final) pairs."""
    folder.mkdir(parents=True, exist_ok=True)
    staged: list[tuple[Path, Path]] = []
    try:
        for name, layer_styles in styles.items():
            qml = next(q for _, q, is_default in layer_styles if is_default)
            final = folder / f"{name}.qml"
            tmp = folder / f".{name}.qml.partial"
            staged.append((tmp, final))
            tmp.write_text(qml, encoding="utf-8")
    except BaseException:
        for tmp, _ in staged:
            tmp.unlink(missing_ok=True)
        raise
    return staged
