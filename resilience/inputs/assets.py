"""Community assets: points read from the ``[[assets]]`` entries and counted per LSOA.

Each entry is one file: a CSV (or any table :func:`~resilience.inputs._io.read_table`
reads) with coordinates or postcodes, or a vector file (GeoPackage, shapefile, GeoJSON)
whose features are used as they are (a polygon by a point inside it). Coordinate columns
are taken from the entry (``x``/``y``, ``postcode``) or found by name, in this order:
``easting``/``northing``, ``x``/``y``, ``longitude``/``latitude``, ``lon``/``lat``,
``long``/``lat``, ``lng``/``lat``, then ``postcode``, ``pcds``, ``pcd``. Easting and northing
are British National Grid (EPSG:27700); longitude and latitude are WGS 84 (EPSG:4326);
``x``/``y`` are read as longitude/latitude when every value lies within ±180, else as grid
references. Postcodes are looked up in an ONS Postcode Directory file
(``postcodes = { path }``; columns ``pcds`` or ``pcd``, ``oseast1m``, ``osnrth1m``).

Rows that cannot be placed are left out and reported by row number (a CSV row as a
spreadsheet shows it, the header being row 1; a vector feature from 1): no coordinates,
coordinates outside the study area, longitude and latitude (or easting and northing)
swapped, a postcode not in the directory or without a grid reference, no category, and
repeats of an earlier row (the same category and name at the same metre).

Examples
--------
>>> import shapely, geopandas as gpd, pandas as pd
>>> lsoa = gpd.GeoDataFrame({"lsoa_code": ["A", "B"], "population": [1000.0, 500.0]},
...                         geometry=[shapely.box(0, 0, 10, 10), shapely.box(10, 0, 20, 10)],
...                         crs=27700)
>>> pts = gpd.GeoDataFrame({"category": ["Library", "GP surgery", "Library"],
...                         "size": [float("nan")] * 3},
...                        geometry=gpd.points_from_xy([5, 10, 15], [5, 5, 5]), crs=27700)
>>> count_assets(pts, lsoa)[["assets_total", "assets_library", "assets_per_1000"]]
... # doctest: +NORMALIZE_WHITESPACE
           assets_total  assets_library  assets_per_1000
lsoa_code
A                     2               1              2.0
B                     1               1              2.0
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from ..errors import DataQualityWarning, InputDataError, format_examples
from ._io import _GEO, file_label, read_table, require_columns

__all__ = [
    "ASSET_COLUMNS",
    "AssetPoints",
    "asset_slug",
    "count_assets",
    "read_assets",
    "read_postcode_directory",
]

#: Columns of the ``assets`` layer (besides the geometry), in order.
ASSET_COLUMNS: tuple[str, ...] = ("category", "name", "size", "source", "row", "lsoa_code")

_PAIRS: tuple[tuple[str, str, int | None], ...] = (
    ("easting", "northing", 27700),
    ("x", "y", None),
    ("longitude", "latitude", 4326),
    ("lon", "lat", 4326),
    ("long", "lat", 4326),
    ("lng", "lat", 4326),
)
_POSTCODE_NAMES = ("postcode", "pcds", "pcd", "pcd2", "post_code")
_DIRECTORY_CODES = ("pcds", "pcd", "pcd2", "postcode")


@dataclass
class AssetPoints:
    """The assets placed in the study area and the rows left out.

    Attributes
    ----------
    points : GeoDataFrame
        :data:`ASSET_COLUMNS` and point geometry in EPSG:27700.
    problems : DataFrame
        ``source``, ``row``, ``problem`` and ``value`` of every row left out.
    """

    points: gpd.GeoDataFrame
    problems: pd.DataFrame = field(default_factory=pd.DataFrame)


def asset_slug(category: object) -> str:
    """The column-name form of an asset category.

    Examples
    --------
    >>> asset_slug("GP surgery")
    'gp_surgery'
    >>> asset_slug("Café & community hub")
    'cafe_community_hub'
    """
    import unicodedata

    text = unicodedata.normalize("NFKD", str(category)).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")
    return slug or "other"


def read_postcode_directory(path: str | Path) -> pd.DataFrame:
    """Grid references of postcodes from an ONS Postcode Directory (ONSPD) file.

    Parameters
    ----------
    path : str or Path
        The ONSPD CSV as published (or any table with a postcode column ``pcds``/``pcd``
        and ``oseast1m``/``osnrth1m``).

    Returns
    -------
    DataFrame
        ``x`` and ``y`` (EPSG:27700, missing where the directory has none), indexed by the
        postcode in capitals without spaces.
    """
    table = read_table(path, role="postcode directory")
    lower = {c.lower(): c for c in table.columns}
    code = next((lower[c] for c in _DIRECTORY_CODES if c in lower), None)
    if code is None or "oseast1m" not in lower or "osnrth1m" not in lower:
        require_columns(
            table,
            ["pcds", "oseast1m", "osnrth1m"],
            path=path,
            role="postcode directory",
            hint="Use the ONS Postcode Directory CSV (columns pcds, oseast1m, osnrth1m).",
        )
    out = pd.DataFrame(
        {
            "x": pd.to_numeric(table[lower["oseast1m"]], errors="coerce").to_numpy(),
            "y": pd.to_numeric(table[lower["osnrth1m"]], errors="coerce").to_numpy(),
        },
        index=pd.Index(_postcode_key(table[code]).to_numpy(), name="postcode"),
    )
    return out[~out.index.duplicated()]


def _postcode_key(values: pd.Series) -> pd.Series:
    return values.astype("string").str.upper().str.replace(r"\s+", "", regex=True)


def read_assets(entries: Sequence[Mapping[str, Any]], study_area: gpd.GeoDataFrame) -> AssetPoints:
    """Read every ``[[assets]]`` entry and keep the points inside the study area.

    Parameters
    ----------
    entries : sequence of mapping
        The validated ``[[assets]]`` entries (``path``, ``category`` or ``label``, and the
        optional keys described in the module notes).
    study_area : GeoDataFrame
        The LSOA boundaries (``lsoa_code``), EPSG:27700. Each point is given the LSOA it
        falls in; a point on a shared boundary goes to the first LSOA by code.

    Returns
    -------
    AssetPoints

    Warns
    -----
    DataQualityWarning
        Once per file with rows left out, naming the rows and why.
    """
    frames, problems = [], []
    area = study_area[["lsoa_code", "geometry"]].sort_values("lsoa_code").reset_index(drop=True)
    for entry in entries:
        points, bad = _read_entry(entry, area)
        frames.append(points)
        problems.append(bad)
    columns = [*ASSET_COLUMNS, "geometry"]
    points = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=columns)
    points = gpd.GeoDataFrame(points[columns], geometry="geometry", crs=27700)
    problem_table = (
        pd.concat(problems, ignore_index=True)
        if problems
        else pd.DataFrame(columns=["source", "row", "problem", "value"])
    )
    return AssetPoints(points=points, problems=problem_table)


def _read_entry(
    entry: Mapping[str, Any], area: gpd.GeoDataFrame
) -> tuple[pd.DataFrame, pd.DataFrame]:
    path = Path(entry["path"])
    if (path.suffix.lower() in _GEO and path.suffix.lower() != ".json") or _is_geojson(path):
        table, xy, problems = _read_vector(path, entry)
        first_row = 1
    else:
        table = read_table(path, role="assets", sheet=entry.get("sheet"))
        xy, problems = _coordinates(table, entry, path)
        first_row = 2
    rows = pd.Series(np.arange(len(table)) + first_row, index=table.index)
    category = _category(table, entry, path)
    problems = problems.copy()
    problems.loc[category.isna() & problems.eq("")] = "no category"
    pts = gpd.GeoDataFrame(
        {
            "category": category.astype(object),
            "name": _optional(table, entry.get("name"), path, "name"),
            "size": _size(table, entry.get("size"), path),
            "source": path.name,
            "row": rows.astype(int),
        },
        geometry=gpd.points_from_xy(xy["x"], xy["y"]),
        crs=27700,
        index=table.index,
    )
    placed = _place(pts, area)
    ok = problems.eq("")
    outside = ok & placed.isna()
    swapped = (
        outside
        & _place(
            gpd.GeoDataFrame(
                geometry=gpd.points_from_xy(xy["sx"], xy["sy"]), crs=27700, index=xy.index
            ),
            area,
        ).notna()
    )
    problems[swapped] = xy["swap_words"][swapped]
    problems[outside & ~swapped] = "outside the study area"
    pts["lsoa_code"] = placed
    ok = problems.eq("")
    key = pd.DataFrame(
        {
            "c": pts["category"].astype(str),
            "n": pts["name"].astype(str),
            "x": np.round(xy["x"]),
            "y": np.round(xy["y"]),
        }
    )
    first = key[ok].drop_duplicates().index
    dup = ok & ~pts.index.isin(first)
    if dup.any():
        firsts = key[ok].reset_index().merge(key[dup].reset_index(), on=["c", "n", "x", "y"])
        firsts = firsts[firsts["index_x"].isin(first)].set_index("index_y")["index_x"]
        problems[dup] = [f"repeats row {rows[firsts[i]]}" for i in pts.index[dup]]
    ok = problems.eq("")
    bad = pd.DataFrame(
        {
            "source": path.name,
            "row": rows[~ok].to_numpy(),
            "problem": problems[~ok].to_numpy(),
            "value": xy["raw"][~ok].to_numpy(),
        }
    )
    if len(bad):
        _warn(path, bad, len(table))
    return pts[ok].reset_index(drop=True), bad


def _is_geojson(path: Path) -> bool:
    if path.suffix.lower() != ".json":
        return False
    with path.open("rb") as fh:
        head = fh.read(2048)
    return b'"FeatureCollection"' in head or b'"Feature"' in head


def _read_vector(
    path: Path, entry: Mapping[str, Any]
) -> tuple[pd.DataFrame, pd.DataFrame, pd.Series]:
    try:
        gdf = gpd.read_file(path, layer=entry.get("layer"))
    except Exception as err:  # pyogrio raises its own error classes
        raise InputDataError(
            f"The assets file {file_label(path)} could not be read as a vector file ({err})."
        ) from err
    if gdf.crs is None:
        raise InputDataError(
            f"The assets file {file_label(path)} has no coordinate reference system. Save it "
            "with one (EPSG:27700 for British National Grid)."
        )
    geom = gdf.geometry.to_crs(27700)
    empty = geom.isna() | geom.is_empty
    point = geom.where(empty | (geom.geom_type == "Point"), geom.representative_point())
    x = pd.Series(np.where(empty, np.nan, point.x.where(~empty)), index=gdf.index)
    y = pd.Series(np.where(empty, np.nan, point.y.where(~empty)), index=gdf.index)
    xy = _xy_frame(x, y, x.astype(str) + ", " + y.astype(str), "easting and northing")
    problems = pd.Series(np.where(empty, "no geometry", ""), index=gdf.index, dtype=object)
    return pd.DataFrame(gdf.drop(columns=gdf.geometry.name)), xy, problems


def _xy_frame(x: pd.Series, y: pd.Series, raw: pd.Series, pair: str) -> pd.DataFrame:
    """Grid coordinates, their swapped version and how a swap is described."""
    return pd.DataFrame(
        {"x": x, "y": y, "sx": y, "sy": x, "raw": raw, "swap_words": f"{pair} look swapped"}
    )


def _find(table: pd.DataFrame, names: Sequence[str]) -> str | None:
    lower = {c.lower().strip(): c for c in table.columns}
    return next((lower[n] for n in names if n in lower), None)


def _coordinates(
    table: pd.DataFrame, entry: Mapping[str, Any], path: Path
) -> tuple[pd.DataFrame, pd.Series]:
    """Grid coordinates of every row (from coordinates or postcodes) and the problems."""
    if entry.get("x"):
        require_columns(table, [entry["x"], entry["y"]], path=path, role="assets")
        return _from_xy(table, entry["x"], entry["y"], None)
    if entry.get("postcode"):
        require_columns(table, [entry["postcode"]], path=path, role="assets")
        return _from_postcodes(table, entry["postcode"], entry, path)
    for xn, yn, crs in _PAIRS:
        xc, yc = _find(table, [xn]), _find(table, [yn])
        if xc and yc:
            return _from_xy(table, xc, yc, crs)
    pc = _find(table, _POSTCODE_NAMES)
    if pc:
        return _from_postcodes(table, pc, entry, path)
    raise InputDataError(
        f"The assets file {file_label(path)} has no coordinate or postcode columns. Its "
        f"columns are: {format_examples(list(table.columns), 15)}. Name them easting/northing, "
        "longitude/latitude or postcode, or give x = ..., y = ... (or postcode = ...) in its "
        "[[assets]] entry."
    )


def _from_xy(
    table: pd.DataFrame, xc: str, yc: str, crs: int | None
) -> tuple[pd.DataFrame, pd.Series]:
    raw_x, raw_y = table[xc], table[yc]
    x = pd.to_numeric(raw_x.astype("string").str.strip(), errors="coerce").astype(float)
    y = pd.to_numeric(raw_y.astype("string").str.strip(), errors="coerce").astype(float)
    raw = raw_x.astype(str) + ", " + raw_y.astype(str)
    missing = x.isna() | y.isna() | ~np.isfinite(x) | ~np.isfinite(y)
    if crs is None:
        ok = ~missing
        crs = (
            4326
            if ok.any() and (x[ok].abs() <= 180).all() and (y[ok].abs() <= 180).all()
            else 27700
        )
    problems = pd.Series(np.where(missing, "no coordinates", ""), index=table.index, dtype=object)
    if crs == 4326:
        bad = ~missing & ((x.abs() > 180) | (y.abs() > 90))
        problems[bad] = "not a longitude and latitude"
        gx, gy = _to_bng(x, y)
        sx, sy = _to_bng(y, x)
        xy = _xy_frame(gx, gy, raw, "longitude and latitude")
        xy["sx"], xy["sy"] = sx, sy
        return xy, problems
    return _xy_frame(x, y, raw, "easting and northing"), problems


def _to_bng(lon: pd.Series, lat: pd.Series) -> tuple[pd.Series, pd.Series]:
    ok = lon.notna() & lat.notna() & (lon.abs() <= 180) & (lat.abs() <= 90)
    x = pd.Series(np.nan, index=lon.index)
    y = pd.Series(np.nan, index=lon.index)
    if ok.any():
        pts = gpd.GeoSeries(gpd.points_from_xy(lon[ok], lat[ok]), crs=4326).to_crs(27700)
        x[ok], y[ok] = pts.x.to_numpy(), pts.y.to_numpy()
    return x, y


def _from_postcodes(
    table: pd.DataFrame, column: str, entry: Mapping[str, Any], path: Path
) -> tuple[pd.DataFrame, pd.Series]:
    if not entry.get("postcodes"):
        raise InputDataError(
            f"The assets file {file_label(path)} places assets by postcode (column "
            f"{column!r}) but its [[assets]] entry has no postcode directory. Add "
            'postcodes = { path = "ONSPD_....csv" } (the ONS Postcode Directory).'
        )
    directory = read_postcode_directory(entry["postcodes"]["path"])
    key = _postcode_key(table[column])
    found = directory.reindex(key.to_numpy())
    x = pd.Series(found["x"].to_numpy(), index=table.index)
    y = pd.Series(found["y"].to_numpy(), index=table.index)
    known = key.isin(directory.index).fillna(False).to_numpy(dtype=bool)
    problems = pd.Series("", index=table.index, dtype=object)
    problems[~known] = "postcode not in the directory"
    problems[key.isna().to_numpy(dtype=bool)] = "no postcode"
    problems[known & (x.isna() | y.isna()).to_numpy()] = "postcode has no grid reference"
    xy = _xy_frame(x, y, table[column].astype(str), "easting and northing")
    xy["sx"], xy["sy"] = np.nan, np.nan  # a postcode cannot be swapped
    return xy, problems


def _category(table: pd.DataFrame, entry: Mapping[str, Any], path: Path) -> pd.Series:
    if entry.get("label"):
        return pd.Series(entry["label"], index=table.index, dtype=object)
    require_columns(
        table,
        [entry["category"]],
        path=path,
        role="assets",
        hint="Name the category column with category = ..., or give one "
        "label = ... for the whole file.",
    )
    values = table[entry["category"]].astype("string").str.strip()
    return values.mask(values.eq("")).astype(object).where(values.notna(), None)


def _optional(table: pd.DataFrame, column: str | None, path: Path, what: str) -> pd.Series:
    if column is None:
        return pd.Series("", index=table.index, dtype=object)
    require_columns(table, [column], path=path, role="assets")
    return table[column].fillna("").astype(str)


def _size(table: pd.DataFrame, column: str | None, path: Path) -> pd.Series:
    if column is None:
        return pd.Series(np.nan, index=table.index)
    require_columns(table, [column], path=path, role="assets")
    text = table[column].astype("string").str.replace(",", "", regex=False).str.strip()
    return pd.to_numeric(text, errors="coerce").astype(float)


def _place(points: gpd.GeoDataFrame, area: gpd.GeoDataFrame) -> pd.Series:
    """LSOA code of each point (the first by code when it lies on a boundary)."""
    out = pd.Series(None, index=points.index, dtype=object)
    valid = points.geometry.notna() & ~points.geometry.is_empty
    valid &= np.isfinite(points.geometry.x.fillna(np.nan)) if valid.any() else valid
    if not valid.any():
        return out
    joined = gpd.sjoin(points[valid][["geometry"]], area, how="inner", predicate="intersects")
    joined = joined.sort_values("lsoa_code")
    first = joined[~joined.index.duplicated()]
    out[first.index] = first["lsoa_code"].to_numpy()
    return out


def _warn(path: Path, bad: pd.DataFrame, n: int) -> None:
    parts = []
    for problem, rows in bad.groupby("problem", sort=False)["row"]:
        parts.append(f"{problem}: row{'s' if len(rows) > 1 else ''} {format_examples(rows, 10)}")
    warnings.warn(
        f"Assets file {file_label(path)}: {len(bad)} of {n} rows not counted ({'; '.join(parts)}). "
        "Rows are numbered as a spreadsheet shows them (header = row 1).",
        DataQualityWarning,
        stacklevel=4,
    )


def count_assets(points: gpd.GeoDataFrame, lsoa: pd.DataFrame) -> pd.DataFrame:
    """Assets per LSOA: total, per category, per 1,000 residents and summed sizes.

    Parameters
    ----------
    points : GeoDataFrame
        Placed assets with ``category``, ``size`` and ``lsoa_code`` (as from
        :func:`read_assets`), or with geometry only inside ``lsoa``.
    lsoa : DataFrame
        ``lsoa_code`` and ``population`` (and ``geometry`` when ``points`` has no
        ``lsoa_code``).

    Returns
    -------
    DataFrame
        Indexed by ``lsoa_code`` (every LSOA of ``lsoa``): ``assets_total``,
        ``assets_<category slug>`` (categories in alphabetical order),
        ``assets_per_1000`` (``assets_total`` per 1,000 of ``population``) and, for
        categories with sizes, ``assets_<slug>_size``.
    """
    codes = pd.Index(lsoa["lsoa_code"], name="lsoa_code")
    if "lsoa_code" not in points:
        area = gpd.GeoDataFrame(lsoa[["lsoa_code"]], geometry=lsoa.geometry, crs=points.crs)
        points = points.assign(lsoa_code=_place(points, area.sort_values("lsoa_code")))
    pts = pd.DataFrame(points.drop(columns="geometry", errors="ignore"))
    pts = pts[pts["lsoa_code"].notna()]
    # a category must not take the name of the total or the rate
    slug = pts["category"].map(asset_slug).replace({"total": "total_", "per_1000": "per_1000_"})
    pts = pts.assign(slug=slug)
    out = pd.DataFrame(index=codes)
    out["assets_total"] = pts.groupby("lsoa_code").size().reindex(codes).fillna(0).astype(int)
    counts = pts.groupby(["lsoa_code", "slug"]).size().unstack(fill_value=0)
    for slug in sorted(counts.columns):
        out[f"assets_{slug}"] = counts[slug].reindex(codes).fillna(0).astype(int)
    pop = pd.to_numeric(lsoa.set_index("lsoa_code")["population"], errors="coerce")
    pop = pop.reindex(codes)
    out["assets_per_1000"] = (1000 * out["assets_total"] / pop.where(pop > 0)).round(2)
    sized = pts[pts["size"].notna()] if "size" in pts else pts.iloc[:0]
    if len(sized):
        sums = sized.groupby(["lsoa_code", "slug"])["size"].sum().unstack(fill_value=0.0)
        for slug in sorted(sums.columns):
            out[f"assets_{slug}_size"] = sums[slug].reindex(codes).fillna(0.0)
    return out
