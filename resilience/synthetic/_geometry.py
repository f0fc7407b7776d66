"""Synthetic nested geography: OAs in LSOAs in wards, tiling an irregular outline.

OA polygons are the Voronoi cells of density-weighted seed points, their edges made
wiggly by a smooth displacement field (applied to shared vertices identically, so the
cells stay a coverage), snapped to a 1 cm grid and clipped to the outline. LSOAs are
balanced spatial groups of OAs (recursive bisection of the seed points) and wards are
balanced groups of LSOAs, so nesting is exact: every LSOA is the union of its OAs and
every ward the union of its LSOAs.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

__all__ = ["GeographySpec", "make_geography"]

GRID = 0.01  # metres: all coordinates snapped to a 1 cm grid so shared vertices coincide


class GeographySpec:
    """Sizes and placement of a synthetic area (plain holder; validated by the caller)."""

    def __init__(
        self,
        n_oa: int,
        n_lsoa: int,
        n_ward: int,
        centre: tuple[float, float],
        area_per_oa_m2: float,
        wiggle: float,
        n_centres: int,
    ) -> None:
        self.n_oa = n_oa
        self.n_lsoa = n_lsoa
        self.n_ward = n_ward
        self.centre = centre
        self.area_per_oa_m2 = area_per_oa_m2
        self.wiggle = wiggle
        self.n_centres = n_centres


def _outline(rng: np.random.Generator, centre: tuple[float, float], area: float) -> shapely.Polygon:
    """An irregular, star-shaped outline of the given area (m²)."""
    theta = np.linspace(0.0, 2.0 * np.pi, 720, endpoint=False)
    r = np.ones_like(theta)
    for k in range(2, 9):
        r += rng.uniform(0.02, 0.16) / np.sqrt(k) * np.cos(k * theta + rng.uniform(0, 2 * np.pi))
    # a few sharper notches, like a river or a borough boundary following a road
    for _ in range(3):
        c = rng.uniform(0, 2 * np.pi)
        r -= 0.08 * np.exp(-(((theta - c + np.pi) % (2 * np.pi) - np.pi) ** 2) / 0.004)
    xy = np.column_stack([r * np.cos(theta), r * np.sin(theta)])
    unit = shapely.Polygon(xy)
    scale = np.sqrt(area / unit.area)
    poly = shapely.Polygon(xy * scale + np.asarray(centre))
    return shapely.set_precision(poly, GRID)


def _density(xy: np.ndarray, centres: np.ndarray, spread: float) -> np.ndarray:
    """Relative population density: denser around town centres."""
    d = np.zeros(len(xy))
    for c in centres:
        d += np.exp(-np.sum((xy - c) ** 2, axis=1) / (2.0 * spread**2))
    return 1.0 + 5.0 * d / len(centres)


def _sample_points(
    rng: np.random.Generator,
    outline: shapely.Polygon,
    n: int,
    centres: np.ndarray,
    spread: float,
) -> np.ndarray:
    """Density-weighted points inside ``outline`` by rejection sampling."""
    xmin, ymin, xmax, ymax = outline.bounds
    shapely.prepare(outline)
    out: list[np.ndarray] = []
    have = 0
    while have < n:
        cand = rng.uniform((xmin, ymin), (xmax, ymax), size=(max(4 * n, 1000), 2))
        keep = shapely.contains_xy(outline, cand[:, 0], cand[:, 1])
        cand = cand[keep]
        dens = _density(cand, centres, spread)
        cand = cand[rng.uniform(0, dens.max(), len(cand)) < dens]
        out.append(cand)
        have += len(cand)
    return np.concatenate(out)[:n]


def _voronoi(points: np.ndarray, extent: shapely.Geometry) -> np.ndarray:
    cells = shapely.voronoi_polygons(shapely.MultiPoint(points), extend_to=extent, ordered=True)
    return np.asarray(shapely.get_parts(cells))


def _relax(points: np.ndarray, outline: shapely.Polygon, extent: shapely.Geometry) -> np.ndarray:
    """One half-step of Lloyd relaxation: removes clumps, keeps the density pattern."""
    cells = shapely.intersection(_voronoi(points, extent), outline)
    cent = shapely.get_coordinates(shapely.centroid(cells))
    if len(cent) != len(points):  # an empty cell: leave the points as they are
        return points
    moved = points + 0.5 * (cent - points)
    inside = shapely.contains_xy(outline, moved[:, 0], moved[:, 1])
    return np.where(inside[:, None], moved, points)


def _bisect(
    rng: np.random.Generator,
    xy: np.ndarray,
    weight: np.ndarray,
    k: int,
    min_size: int,
    jitter: float,
) -> np.ndarray:
    """Split points into ``k`` spatially compact groups of similar total weight.

    Recursive bisection along a direction near each group's long axis, at the weighted
    quantile that gives each side its share of the ``k`` groups (with some jitter so sizes
    vary like real areas). Returns a group number per point.
    """
    labels = np.zeros(len(xy), dtype=np.int64)
    next_label = [0]

    def split(idx: np.ndarray, parts: int) -> None:
        if parts == 1:
            labels[idx] = next_label[0]
            next_label[0] += 1
            return
        pts = xy[idx]
        cov = np.cov(pts.T) if len(idx) > 2 else np.eye(2)
        vals, vecs = np.linalg.eigh(cov)
        axis = vecs[:, np.argmax(vals)]
        ang = rng.normal(0.0, 0.35)
        rot = np.array([[np.cos(ang), -np.sin(ang)], [np.sin(ang), np.cos(ang)]])
        proj = pts @ (rot @ axis)
        order = np.argsort(proj, kind="stable")
        left_parts = parts // 2
        frac = left_parts / parts
        if jitter:
            frac *= 1.0 + rng.uniform(-jitter, jitter)
        w = np.cumsum(weight[idx][order])
        cut = int(np.searchsorted(w, frac * w[-1]))
        lo = left_parts * min_size
        hi = len(idx) - (parts - left_parts) * min_size
        cut = int(np.clip(cut, lo, max(lo, hi)))
        split(idx[order[:cut]], left_parts)
        split(idx[order[cut:]], parts - left_parts)

    split(np.arange(len(xy)), k)
    return labels


def _displace(geoms: np.ndarray, rng: np.random.Generator, amplitude: float, wavelength: float):
    """Move every vertex by the same smooth field, so shared edges stay shared."""
    n_waves = 6
    dirs = rng.uniform(0, 2 * np.pi, n_waves)
    phases = rng.uniform(0, 2 * np.pi, (2, n_waves))
    lengths = wavelength * rng.uniform(0.6, 1.4, n_waves)
    kvec = np.column_stack([np.cos(dirs), np.sin(dirs)]) * (2 * np.pi / lengths)[:, None]
    # amplitude per wave keeps the field's gradient well below 1: no folds
    amp = amplitude / np.sqrt(n_waves)

    def field(xy: np.ndarray) -> np.ndarray:
        arg = xy @ kvec.T
        dx = amp * np.sin(arg + phases[0]).sum(axis=1)
        dy = amp * np.sin(arg + phases[1]).sum(axis=1)
        return xy + np.column_stack([dx, dy])

    return shapely.transform(geoms, field)


def _polygonal(geoms: np.ndarray) -> np.ndarray:
    """Keep only the polygonal part of each geometry (clipping can leave slivers of lines)."""
    out = []
    for g in geoms:
        if g.geom_type in ("Polygon", "MultiPolygon"):
            out.append(g)
        else:
            parts = [p for p in shapely.get_parts(g) if p.geom_type == "Polygon"]
            out.append(shapely.MultiPolygon(parts) if len(parts) > 1 else parts[0])
    return np.asarray(out, dtype=object)


def make_geography(rng: np.random.Generator, spec: GeographySpec) -> dict[str, object]:
    """Build the outline, OA cells and the OA → LSOA → ward grouping.

    Returns a dict with ``outline`` (Polygon), ``oa_geom`` (array of polygons),
    ``oa_xy`` (seed points), ``oa_lsoa`` and ``lsoa_ward`` (group numbers), ``density``
    (relative density at each OA seed) and ``centres``.
    """
    area = spec.n_oa * spec.area_per_oa_m2
    outline = _outline(rng, spec.centre, area)
    radius = np.sqrt(area / np.pi)
    centres = np.asarray(spec.centre) + rng.normal(0.0, 0.35 * radius, (spec.n_centres, 2))
    spread = 0.35 * radius / np.sqrt(spec.n_centres)
    spacing = np.sqrt(spec.area_per_oa_m2)

    xy = _sample_points(rng, outline, spec.n_oa, centres, spread)
    extent = shapely.box(*outline.buffer(10 * spacing).bounds)
    xy = _relax(xy, outline, extent)

    cells = _voronoi(xy, extent)
    if spec.wiggle > 0:
        cells = shapely.segmentize(cells, max_segment_length=spacing / 6.0)
        cells = _displace(cells, rng, amplitude=spec.wiggle * spacing, wavelength=2.5 * spacing)
    cells = shapely.set_precision(cells, GRID)
    cells = shapely.set_precision(_polygonal(shapely.intersection(cells, outline)), GRID)

    dens = _density(xy, centres, spread)
    # OAs hold similar populations, so group them by count, not by area
    oa_lsoa = _bisect(rng, xy, np.ones(len(xy)), spec.n_lsoa, min_size=3, jitter=0.12)
    lsoa_xy = pd.DataFrame(xy).groupby(oa_lsoa).mean().to_numpy()
    lsoa_n = np.bincount(oa_lsoa, minlength=spec.n_lsoa).astype(float)
    lsoa_ward = _bisect(rng, lsoa_xy, lsoa_n, spec.n_ward, min_size=2, jitter=0.15)
    return {
        "outline": outline,
        "oa_geom": cells,
        "oa_xy": xy,
        "oa_lsoa": oa_lsoa,
        "lsoa_ward": lsoa_ward,
        "density": dens,
        "centres": centres,
        "radius": radius,
    }


def dissolve_groups(geoms: np.ndarray, groups: np.ndarray, n: int) -> np.ndarray:
    """Union the cells of each group (coverage union: the cells share edges exactly)."""
    s = gpd.GeoSeries(geoms)
    frame = gpd.GeoDataFrame({"g": groups}, geometry=s)
    merged = frame.dissolve(by="g", method="coverage").geometry
    merged = merged.reindex(range(n))
    return shapely.set_precision(np.asarray(merged.values, dtype=object), GRID)
