"""Geometry from ArcGIS responses: EsriJSON polygons to shapely, and coordinate checks.

EsriJSON polygons (``f=json``) list all rings of a feature in one ``rings`` array: outer
rings run clockwise and holes anticlockwise (Esri's geometry objects reference), with no
grouping of holes under their outer ring. :func:`esri_polygon` rebuilds the grouping.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import shapely
from shapely.geometry import MultiPolygon, Polygon, shape
from shapely.geometry.base import BaseGeometry

from ._errors import DownloadError

__all__ = ["check_coordinates", "esri_polygon", "geojson_geometry"]

#: Plausible bounds of British National Grid coordinates (metres).
_BNG = (0.0, 0.0, 700_000.0, 1_300_000.0)
#: Longitude/latitude bounds of any WGS84 data.
_WGS84 = (-180.0, -90.0, 180.0, 90.0)


def _signed_area(ring: np.ndarray) -> float:
    x, y = ring[:, 0], ring[:, 1]
    return 0.5 * float(np.dot(x[:-1], y[1:]) - np.dot(x[1:], y[:-1]))


def esri_polygon(geometry: dict | None) -> BaseGeometry | None:
    """A shapely (Multi)Polygon from an EsriJSON polygon (``{"rings": [...]}``).

    Clockwise rings are outer rings; each anticlockwise ring becomes a hole of the smallest
    outer ring that contains it, or an outer ring of its own when none does. When no ring is
    clockwise (a server that ignores the convention), every ring is an outer ring.

    Examples
    --------
    >>> outer = [[0, 0], [0, 10], [10, 10], [10, 0], [0, 0]]       # clockwise
    >>> hole = [[2, 2], [4, 2], [4, 4], [2, 4], [2, 2]]            # anticlockwise
    >>> esri_polygon({"rings": [outer, hole]}).area
    96.0
    """
    if geometry is None:
        return None
    if "curveRings" in geometry:
        raise DownloadError(
            "The service returned curved polygon rings (curveRings), which the downloader "
            "does not convert. ONS boundaries have straight edges; check the service name."
        )
    rings = [np.asarray(r, dtype=float)[:, :2] for r in geometry.get("rings") or [] if len(r)]
    if not rings:
        return None
    rings = [r if np.array_equal(r[0], r[-1]) else np.vstack([r, r[:1]]) for r in rings]
    areas = [_signed_area(r) for r in rings]
    outers = [r for r, a in zip(rings, areas, strict=True) if a < 0]
    holes = [r for r, a in zip(rings, areas, strict=True) if a > 0]
    if not outers:
        outers, holes = holes, []
    shells = [Polygon(r) for r in outers]
    owned: list[list[np.ndarray]] = [[] for _ in shells]
    for hole in holes:
        point = shapely.Point(hole[0])
        inside = [i for i, s in enumerate(shells) if s.covers(point)]
        if inside:
            owned[min(inside, key=lambda i: shells[i].area)].append(hole)
        else:
            outers.append(hole[::-1])
            shells.append(Polygon(hole[::-1]))
            owned.append([])
    polygons = [Polygon(o, h) for o, h in zip(outers, owned, strict=True)]
    return polygons[0] if len(polygons) == 1 else MultiPolygon(polygons)


def geojson_geometry(geometry: dict | None) -> BaseGeometry | None:
    """A shapely geometry from a GeoJSON geometry object (``None`` stays ``None``)."""
    return None if not geometry else shape(geometry)


def check_coordinates(
    geometries: Sequence[BaseGeometry | None], epsg: int, *, service: str
) -> None:
    """Raise when coordinates do not look like ``epsg`` (27700 metres or 4326 degrees).

    ArcGIS labels its output with the requested ``outSR`` but some formats ignore it
    (GeoJSON output is WGS84), so the numbers themselves are checked.

    Examples
    --------
    >>> check_coordinates([shapely.box(530000, 180000, 530100, 180100)], 27700, service="x")
    >>> try:
    ...     check_coordinates([shapely.box(-0.1, 51.5, -0.09, 51.51)], 27700, service="x")
    ... except DownloadError as err:
    ...     print(str(err)[:58])
    Coordinates from service 'x' do not look like EPSG:27700 (
    """
    present = [g for g in geometries if g is not None and not g.is_empty]
    if not present:
        return
    bounds = shapely.total_bounds(np.asarray(present, dtype=object))
    xmin, ymin, xmax, ymax = (float(b) for b in bounds)
    lo_x, lo_y, hi_x, hi_y = _BNG if epsg == 27700 else _WGS84
    wx0, wy0, wx1, wy1 = _WGS84
    looks_degrees = wx0 <= xmin and xmax <= wx1 and wy0 <= ymin and ymax <= wy1
    ok = lo_x <= xmin and xmax <= hi_x and lo_y <= ymin and ymax <= hi_y
    if epsg == 27700 and looks_degrees:
        ok = False
    if not ok:
        expected = (
            "British National Grid metres (x 0–700,000, y 0–1,300,000)"
            if epsg == 27700
            else "longitude/latitude degrees"
        )
        raise DownloadError(
            f"Coordinates from service {service!r} do not look like EPSG:{epsg} "
            f"({expected}): bounds {xmin:.6g}, {ymin:.6g}, {xmax:.6g}, {ymax:.6g}. The server "
            "may have ignored outSR; report it, or download the file from the portal instead."
        )
