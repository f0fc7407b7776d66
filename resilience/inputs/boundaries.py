"""Reading OA, LSOA and ward boundary files as councils have them.

:func:`read_boundaries` reads any vector file pyogrio reads (GeoPackage, shapefile,
GeoJSON, FlatGeobuf …), finds the ONS code and name columns, checks the codes, repairs
invalid polygons and returns the areas in British National Grid (EPSG:27700) with
standard column names (``oa_code``/``oa_name``, ``lsoa_code``/``lsoa_name``,
``ward_code``/``ward_name``).
"""

from __future__ import annotations

import warnings
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely
from pyproj import CRS

from ..errors import ConfigError, DataQualityWarning, InputDataError, format_examples
from ._areacodes import (
    LEVEL_LABELS,
    check_level_codes,
    detect_code_column,
    name_column_for,
    resolve_column,
)
from ._io import file_label
from .codes import column_vintage

__all__ = ["BNG", "LEVELS", "read_boundaries"]

#: The CRS every boundary is returned in: British National Grid.
BNG = "EPSG:27700"
#: Geography levels that have boundary files.
LEVELS = ("oa", "lsoa", "ward")

# Valid British National Grid coordinates (metres; Ordnance Survey, "A guide to coordinate
# systems in Great Britain") and the lon/lat box of Great Britain; a small margin allows for
# offshore islands and rounding.
_BNG_X, _BNG_Y = (0.0, 700_000.0), (0.0, 1_300_000.0)
_LON, _LAT = (-8.7, 1.8), (49.8, 60.9)
_POLYGONAL = {"Polygon", "MultiPolygon"}


def read_boundaries(
    path: str | Path,
    level: str,
    *,
    code: str | None = None,
    name: str | None = None,
    layer: str | None = None,
) -> gpd.GeoDataFrame:
    """Read OA, LSOA or ward boundaries into a standard GeoDataFrame in EPSG:27700.

    Parameters
    ----------
    path : str or Path
        Any vector file pyogrio reads: GeoPackage, shapefile, GeoJSON, FlatGeobuf.
    level : {"oa", "lsoa", "ward"}
        Which geography the file holds.
    code : str, optional
        The code column. By default the one column named like an ONS code column of
        ``level`` (``OA21CD``, ``lsoa11cd``, ``WD24CD`` …, any case).
    name : str, optional
        The name column. By default the ``…NM`` column paired with the code column
        (``LSOA21NM`` for ``LSOA21CD``; never the Welsh ``…NMW``), if there is one.
    layer : str, optional
        Layer of a multi-layer file. By default the file's only layer with geometry, or
        the layer named after ``level`` (``oa``, ``lsoa``, ``ward``/``wards``).

    Returns
    -------
    GeoDataFrame
        Columns ``<level>_code`` (upper-case text), ``<level>_name`` (when the file has
        names) and ``geometry`` (polygons), a RangeIndex, CRS EPSG:27700. ``attrs`` holds
        ``path``, ``layer``, ``code_column``, ``name_column``, ``vintage`` (the year in
        the code column's name, e.g. 2011 for ``OA11CD``, or None) and ``source_crs``.

    Raises
    ------
    InputDataError
        The file, layer or a column is missing; the code column is ambiguous; codes are
        empty, duplicated or not codes of ``level``; geometries are empty or not
        polygons; the file has no CRS, or its coordinates do not fit its CRS.

    Warns
    -----
    DataQualityWarning
        When invalid polygons were repaired with :func:`shapely.make_valid`.

    Examples
    --------
    >>> import tempfile, pathlib, shapely
    >>> squares = gpd.GeoDataFrame(
    ...     {"LSOA21CD": ["E01000001", "e01000002 "], "LSOA21NM": ["A 001A", "A 001B"]},
    ...     geometry=[shapely.box(0, 0, 100, 100), shapely.box(100, 0, 200, 100)],
    ...     crs="EPSG:27700",
    ... )
    >>> f = pathlib.Path(tempfile.mkdtemp()) / "lsoa.gpkg"
    >>> squares.to_file(f)
    >>> lsoa = read_boundaries(f, "lsoa")
    >>> lsoa["lsoa_code"].tolist(), lsoa.attrs["vintage"], lsoa.crs.to_epsg()
    (['E01000001', 'E01000002'], 2021, 27700)
    """
    if level not in LEVELS:
        raise ConfigError(f"level must be one of {', '.join(LEVELS)}; got {level!r}.")
    p = Path(path)
    role = f"{LEVEL_LABELS[level]} boundaries"
    entry = f"the config's [geography] {level} entry"
    if not p.exists():
        raise InputDataError(
            f"The {role} file {file_label(p)} does not exist. Check the path (paths in a "
            "config file are relative to the config file)."
        )
    chosen = _choose_layer(p, level, layer, role=role, entry=entry)
    try:
        gdf = pyogrio.read_dataframe(p, layer=chosen)
    except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError) as err:
        raise InputDataError(
            f"The {role} file {file_label(p)} could not be read as a vector file ({err}). "
            "Use a GeoPackage, shapefile (with its .shx, .dbf and .prj) or GeoJSON."
        ) from err
    if not isinstance(gdf, gpd.GeoDataFrame) or gdf.geometry.isna().all():
        raise InputDataError(
            f"The {role} file {file_label(p)} has no geometry: it is a table, not "
            "boundaries. Point the entry at the polygon file (or layer)."
        )
    if len(gdf) == 0:
        raise InputDataError(f"The {role} file {file_label(p)} has no features.")

    columns = [str(c) for c in gdf.columns if c != gdf.geometry.name]
    if code is not None:
        code_col = resolve_column(columns, code, path=p, role=role, setting=f"code in {entry}")
    else:
        code_col = detect_code_column(
            columns, level, path=p, role=role, setting=f'code = "..." in {entry}'
        )
    if name is not None:
        name_col = resolve_column(columns, name, path=p, role=role, setting=f"name in {entry}")
    else:
        name_col = name_column_for(columns, code_col)

    codes = check_level_codes(
        gdf[code_col], level, path=p, role=role, column=code_col, first_row=1, row_word="features"
    )
    _check_unique(codes, path=p, role=role, column=code_col)

    geoms = _check_geometries(gdf.geometry.reset_index(drop=True), codes, path=p, role=role)
    source_crs = gdf.crs
    if source_crs is None:
        raise InputDataError(_no_crs_message(geoms, p, role))
    geoms, repaired = _repair(geoms, codes, path=p, role=role)
    if repaired:
        warnings.warn(repaired, DataQualityWarning, stacklevel=2)

    data = {f"{level}_code": codes.astype(str).to_numpy()}
    if name_col is not None:
        data[f"{level}_name"] = _names(gdf[name_col])
    out = gpd.GeoDataFrame(data, geometry=gpd.GeoSeries(geoms.to_numpy(), crs=source_crs))
    out = _to_bng(out, path=p, role=role)
    out.attrs = {
        "path": str(p),
        "layer": chosen,
        "code_column": code_col,
        "name_column": name_col,
        "vintage": column_vintage(code_col),
        "source_crs": CRS(source_crs).to_string(),
    }
    return out


def _choose_layer(p: Path, level: str, layer: str | None, *, role: str, entry: str) -> str | None:
    """The layer to read: the one given, the only spatial one, or the one named after level."""
    try:
        layers = pyogrio.list_layers(p)
    except pyogrio.errors.DataSourceError as err:
        raise InputDataError(
            f"The {role} file {file_label(p)} could not be opened as a vector file ({err}). "
            "Use a GeoPackage, shapefile (with its .shx, .dbf and .prj) or GeoJSON."
        ) from err
    names = [str(n) for n, _ in layers]
    if layer is not None:
        if layer not in names:
            raise InputDataError(
                f"The {role} file {file_label(p)} has no layer {layer!r}. Its layers are: "
                f"{format_examples(names, 20)}. Correct layer in {entry}."
            )
        return layer
    spatial = [str(n) for n, g in layers if g is not None]
    if len(spatial) <= 1:
        return spatial[0] if spatial else None
    named = [n for n in spatial if n.lower() in (level, f"{level}s")]
    if len(named) == 1:
        return named[0]
    raise InputDataError(
        f"The {role} file {file_label(p)} has {len(spatial)} layers with geometry: "
        f'{format_examples(spatial, 20)}. Say which one to use: set layer = "{spatial[0]}" '
        f"(or another) in {entry}."
    )


def _check_unique(codes: pd.Series, *, path: Path, role: str, column: str) -> None:
    dup = codes[codes.duplicated(keep=False)]
    if dup.empty:
        return
    examples = []
    for value, rows in list(dup.groupby(dup, sort=False).groups.items())[:3]:
        examples.append(f"{value!r} (features {format_examples([int(r) + 1 for r in rows], 4)})")
    raise InputDataError(
        f"Column {column!r} of the {role} file {file_label(path)} has "
        f"{dup.nunique()} duplicated code(s): {'; '.join(examples)}. ONS boundary files have "
        "one row per area; if your file splits areas into several rows, dissolve them on "
        "the code first (QGIS: Vector > Geoprocessing Tools > Dissolve; geopandas: "
        "gdf.dissolve(by=...)). If the file holds several years, filter it to one."
    )


def _names(raw: pd.Series) -> np.ndarray:
    return raw.astype("string").str.strip().astype(str).to_numpy()


def _check_geometries(
    geoms: gpd.GeoSeries, codes: pd.Series, *, path: Path, role: str
) -> gpd.GeoSeries:
    """Reject missing, empty and non-polygonal geometries."""
    empty = (geoms.isna() | geoms.is_empty).to_numpy()
    if empty.any():
        raise InputDataError(
            f"The {role} file {file_label(path)} has {int(empty.sum())} area(s) with no "
            f"geometry, e.g. {format_examples(codes[empty].tolist())}. Every area needs its "
            "polygon: fix or remove them (QGIS: Vector > Geometry Tools > Check Validity)."
        )
    types = geoms.geom_type.to_numpy()
    wrong = ~np.isin(types, list(_POLYGONAL))
    if wrong.any():
        kinds = sorted(set(types[wrong]))
        hint = (
            " Points are centroids, not boundaries: use the boundary (polygon) file."
            if set(kinds) <= {"Point", "MultiPoint"}
            else ""
        )
        raise InputDataError(
            f"The {role} file {file_label(path)} should hold polygons but "
            f"{int(wrong.sum())} area(s) are {', '.join(kinds)}, e.g. "
            f"{format_examples(codes[wrong].tolist())}.{hint}"
        )
    return geoms


def _polygonal(geom: shapely.Geometry) -> shapely.Geometry:
    """The polygonal part of a repaired geometry (lines and points from make_valid dropped)."""
    if geom.geom_type in _POLYGONAL:
        return geom
    parts = [q for q in shapely.get_parts(geom) if q.geom_type in _POLYGONAL]
    polys = [poly for q in parts for poly in shapely.get_parts(q)]
    if not polys:
        return shapely.Polygon()
    return polys[0] if len(polys) == 1 else shapely.MultiPolygon(polys)


def _repair(
    geoms: gpd.GeoSeries, codes: pd.Series, *, path: Path, role: str
) -> tuple[gpd.GeoSeries, str]:
    """Repair invalid polygons; return the geometries and a warning message ('' if none)."""
    invalid = ~geoms.is_valid.to_numpy()
    if not invalid.any():
        return geoms, ""
    arr = geoms.to_numpy().copy()
    fixed = shapely.make_valid(arr[invalid])
    arr[invalid] = [_polygonal(g) for g in fixed]
    collapsed = invalid & shapely.is_empty(arr)
    if collapsed.any():
        raise InputDataError(
            f"The {role} file {file_label(path)} has {int(collapsed.sum())} invalid "
            "polygon(s) with no area left after repair, e.g. "
            f"{format_examples(codes[collapsed].tolist())}. Redraw or remove them."
        )
    message = (
        f"{int(invalid.sum())} of {len(arr)} polygons in the {role} file {file_label(path)} "
        "were invalid (e.g. self-intersecting) and were repaired with shapely.make_valid, "
        f"keeping their polygonal parts: {format_examples(codes[invalid].tolist())}. Check "
        "them in QGIS (Vector > Geometry Tools > Check Validity) if they look wrong."
    )
    return gpd.GeoSeries(arr, index=geoms.index, crs=geoms.crs), message


def _extent(geoms: gpd.GeoSeries) -> tuple[float, float, float, float]:
    return tuple(float(v) for v in shapely.total_bounds(geoms.to_numpy()))


def _looks_like(bounds: tuple[float, float, float, float]) -> str:
    """'lonlat', 'bng' or 'unknown', from a layer's bounds."""
    xmin, ymin, xmax, ymax = bounds
    if _LON[0] <= xmin and xmax <= _LON[1] and _LAT[0] <= ymin and ymax <= _LAT[1]:
        return "lonlat"
    if _BNG_X[0] <= xmin and xmax <= _BNG_X[1] and _BNG_Y[0] <= ymin and ymax <= _BNG_Y[1]:
        return "bng"
    return "unknown"


def _describe_bounds(bounds: tuple[float, float, float, float]) -> str:
    xmin, ymin, xmax, ymax = bounds
    return f"x {xmin:,.6g} to {xmax:,.6g}, y {ymin:,.6g} to {ymax:,.6g}"


def _no_crs_message(geoms: gpd.GeoSeries, path: Path, role: str) -> str:
    bounds = _extent(geoms)
    kind = _looks_like(bounds)
    head = (
        f"The {role} file {file_label(path)} has no coordinate reference system (CRS), so "
        f"its coordinates ({_describe_bounds(bounds)}) cannot be placed on the map. "
    )
    if kind == "bng":
        guess = (
            "They look like British National Grid metres (EPSG:27700), as ONS publishes. "
            "Set the CRS to EPSG:27700: in QGIS, Layer Properties > Source > Assigned "
            "CRS, then export; for a shapefile, add the .prj file that came with it."
        )
    elif kind == "lonlat":
        guess = (
            "They look like longitude/latitude degrees (EPSG:4326, WGS 84). Set the CRS "
            "to EPSG:4326: in QGIS, Layer Properties > Source > Assigned CRS, then "
            "export; for a shapefile, add the .prj file that came with it."
        )
    else:
        guess = (
            "They look neither like British National Grid metres (x 0–700,000, y "
            "0–1,300,000) nor like longitude/latitude in Great Britain. Find the CRS from "
            "whoever supplied the file, set it (QGIS: Layer Properties > Source > Assigned "
            "CRS) and export again."
        )
    return head + guess


def _to_bng(gdf: gpd.GeoDataFrame, *, path: Path, role: str) -> gpd.GeoDataFrame:
    """Reproject to EPSG:27700 and check the result lies in Great Britain."""
    source = CRS(gdf.crs)
    if source.equals(CRS(BNG), ignore_axis_order=True):
        out = gdf.set_crs(BNG, allow_override=True)
    else:
        out = gdf.to_crs(BNG)
    bounds = _extent(out.geometry)
    inside = (
        np.isfinite(bounds).all()
        and _BNG_X[0] <= bounds[0]
        and bounds[2] <= _BNG_X[1]
        and _BNG_Y[0] <= bounds[1]
        and bounds[3] <= _BNG_Y[1]
    )
    if not inside:
        original = _extent(gdf.geometry)
        kind = {
            "bng": "British National Grid metres (EPSG:27700)",
            "lonlat": "longitude/latitude degrees (EPSG:4326)",
            "unknown": "neither British National Grid nor longitude/latitude",
        }[_looks_like(original)]
        raise InputDataError(
            f"The {role} file {file_label(path)} says its CRS is {source.to_string()}, but "
            f"its coordinates ({_describe_bounds(original)}) then fall outside Great "
            f"Britain. They look like {kind}: the file's CRS is probably wrong. Assign the "
            "right CRS (QGIS: Layer Properties > Source > Assigned CRS; for a shapefile, "
            "the .prj file) without reprojecting, and export again."
        )
    return out
