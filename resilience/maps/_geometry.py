"""Map geometry: coverage-simplified in metres, reprojected, rounded, written as GeoJSON.

Simplification happens in British National Grid with ``simplify_coverage``, which moves
shared edges together so neighbours keep meeting without slivers. Coordinates are then
reprojected to WGS 84 and rounded to 5 decimals (about 1 m). Each area's GeoJSON geometry
text is made once, so the borough map and every ward map reuse the same strings.
"""

from __future__ import annotations

import re

import geopandas as gpd
import numpy as np
import shapely

from .._digest import shapes_digest

__all__ = ["MapGeometry", "coverage_warning", "geometry_key", "prepare_geometry"]

_DECIMALS = 5
WGS84 = "EPSG:4326"


class MapGeometry:
    """Simplified WGS 84 geometry of one geography.

    Attributes
    ----------
    geojson : list of str
        GeoJSON geometry text of each area, in frame order.
    bounds : ndarray of shape (n, 4)
        (west, south, east, north) of each area in degrees.
    label_xy : ndarray of shape (n, 2)
        A point well inside each area (centre of its largest inscribed circle), as
        (longitude, latitude).
    area_m2 : ndarray of shape (n,)
        Area of each simplified polygon in square metres.
    projected : ndarray of shapely geometries
        The simplified geometry in EPSG:27700 (for neighbour queries).
    coverage : bool
        False when the input was not a valid coverage (overlaps, edges that nearly meet)
        and was simplified polygon by polygon instead.
    key : str
        :func:`geometry_key` of the input and settings it was made from, so geometry
        prepared ahead (beside the model fits) is used only for the same boundaries.
    """

    def __init__(self, geojson, bounds, label_xy, area_m2, projected, coverage=True, key=""):
        self.geojson = geojson
        self.bounds = bounds
        self.label_xy = label_xy
        self.area_m2 = area_m2
        self.projected = projected
        self.coverage = coverage
        self.key = key

    def __getstate__(self) -> dict:
        # the projected shapes travel between processes as one array of WKB, written and
        # read in one vectorised call each (pickling 25,000 shapes one by one took 0.8 s)
        state = dict(self.__dict__)
        state["projected"] = shapely.to_wkb(self.projected)
        return state

    def __setstate__(self, state: dict) -> None:
        state["projected"] = shapely.from_wkb(state["projected"])
        self.__dict__.update(state)

    def extent(self, rows: np.ndarray | None = None) -> list[list[float]]:
        """[[south, west], [north, east]] of the given rows (all rows by default)."""
        b = self.bounds if rows is None else self.bounds[rows]
        return [
            [round(float(b[:, 1].min()), 5), round(float(b[:, 0].min()), 5)],
            [round(float(b[:, 3].max()), 5), round(float(b[:, 2].max()), 5)],
        ]


#: GEOS writes some doubles with 17 significant digits (-0.40377999999999997).
_LONG_NUMBER = re.compile(r"-?\d+\.\d{6,}")
#: What every such number holds; found fast (a literal first), so only the few texts with
#: one are rewritten (London's OAs: 771 of 25,000; 0.04 s rather than 0.36 s for all).
_LONG_FRACTION = re.compile(r"\.\d{6}")


def _shorten(match: re.Match) -> str:
    return repr(round(float(match.group()), _DECIMALS))


def _round(coords: np.ndarray) -> np.ndarray:
    """Round to 5 decimals so that every number prints with at most 5 decimals.

    Dividing the rounded integer (rather than multiplying by 1e-5, as ``np.round`` does)
    gives the double nearest to the decimal value, whose shortest form is that decimal.
    """
    scale = 10.0**_DECIMALS
    return np.rint(coords * scale) / scale


def _simplify(geoms: np.ndarray, tolerance: float) -> tuple[np.ndarray, bool]:
    """Simplified geometry, and whether it could be simplified as a coverage."""
    if tolerance <= 0:
        return geoms, True
    coverage = bool(shapely.coverage_is_valid(geoms))
    if coverage:
        out = shapely.coverage_simplify(geoms, tolerance)
    else:
        out = shapely.simplify(geoms, tolerance, preserve_topology=True)
    invalid = ~shapely.is_valid(out)
    if invalid.any():
        out[invalid] = shapely.make_valid(out[invalid])
    return out, coverage


def coverage_warning(role: str, tolerance: float) -> str:
    """The message of the warning for boundaries that are not a valid coverage."""
    return (
        f"The {role} boundaries overlap or have edges that nearly but not exactly meet, "
        f"so they are not a valid coverage; they were simplified one by one "
        f"({tolerance:g} m), and thin slivers may show between neighbours on the maps. "
        "Clean them (e.g. snap and make valid) for seamless maps."
    )


def _label_points(projected: np.ndarray, area: np.ndarray) -> np.ndarray:
    """Centre of the largest inscribed circle of each area's largest part."""
    parts = shapely.get_parts(projected, return_index=True)
    part_area = shapely.area(parts[0])
    order = np.lexsort((-part_area, parts[1]))
    first = np.ones(len(order), dtype=bool)
    first[1:] = parts[1][order][1:] != parts[1][order][:-1]
    largest = parts[0][order][first]
    return shapely.get_point(
        shapely.maximum_inscribed_circle(largest, np.sqrt(area) / 50.0 + 1.0), 0
    )


def geometry_key(gdf: gpd.GeoDataFrame, tolerance: float, *, labels: bool = True) -> str:
    """A digest of ``gdf``'s shapes, CRS and the settings of :func:`prepare_geometry`.

    Examples
    --------
    >>> from shapely.geometry import box
    >>> g = gpd.GeoDataFrame(geometry=[box(0, 0, 1, 1)], crs=27700)
    >>> key = geometry_key(g, 5.0)
    >>> key == geometry_key(g.copy(), 5.0), key == geometry_key(g, 6.0)
    (True, False)
    """
    return shapes_digest(gdf.geometry.values, str(gdf.crs), float(tolerance), bool(labels))


def prepare_geometry(
    gdf: gpd.GeoDataFrame, tolerance: float, *, labels: bool = True
) -> MapGeometry:
    """Simplify ``gdf``'s polygons (EPSG:27700) by ``tolerance`` metres and encode them.

    Boundaries that are not a valid coverage are simplified one polygon at a time
    (``coverage`` is then False). With ``labels=False`` no label points are computed
    (``label_xy`` is NaN), which saves time on the many small areas that carry no label.

    Examples
    --------
    >>> from shapely.geometry import box
    >>> g = gpd.GeoDataFrame(geometry=[box(530000, 180000, 530100, 180100)], crs=27700)
    >>> m = prepare_geometry(g, 5.0)
    >>> m.geojson[0][:30]
    '{"type":"Polygon","coordinates'
    """
    geoms, coverage = _simplify(np.asarray(gdf.geometry.values, dtype=object), tolerance)
    projected = geoms
    area = shapely.area(projected)
    n = len(projected)
    centre = _label_points(projected, area) if labels else np.empty(0, dtype=object)
    ll = gpd.GeoSeries(np.concatenate([projected, centre]), crs=gdf.crs).to_crs(WGS84).values
    wgs, centre_ll = ll[:n], ll[n:]
    wgs = shapely.transform(wgs, _round)
    wgs = shapely.remove_repeated_points(wgs)
    label_xy = _round(shapely.get_coordinates(centre_ll)) if labels else np.full((n, 2), np.nan)
    return MapGeometry(
        geojson=[
            _LONG_NUMBER.sub(_shorten, g) if _LONG_FRACTION.search(g) else g
            for g in shapely.to_geojson(wgs).tolist()
        ],
        bounds=shapely.bounds(wgs),
        label_xy=label_xy,
        area_m2=area,
        projected=projected,
        coverage=coverage,
        key=geometry_key(gdf, tolerance, labels=labels),
    )
