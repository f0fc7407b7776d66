"""The small map of one LSOA for its review page: an SVG built from the geometries.

The LSOA is outlined in black over its output areas (thin grey lines); the LSOAs around
it are filled by their flag (the report's colours and, for print in grey, hatching for
the two disagreement flags); assets are points, one marker per category. No tiles, no
network: the figure is inlined in the page as ``data:image/svg+xml``.

The SVG is written from the shapely geometries directly rather than through matplotlib:
a matplotlib figure per page took about 60 ms (30 s for London's 506 flagged LSOAs),
this takes about 1 ms, and the drawing is a handful of filled paths, markers and a
legend, for which a plotting library adds nothing.
"""

from __future__ import annotations

import base64
from html import escape
from itertools import pairwise

import geopandas as gpd
import numpy as np
import shapely

from .._plots import FLAG_STYLE

__all__ = ["ASSET_MARKERS", "LsoaMaps"]

#: Marker of each asset category, in order of the sorted categories (cycled).
ASSET_MARKERS: tuple[str, ...] = ("o", "s", "^", "D", "v", "P", "X", "*")
_ASSET_COLOURS = ("#000000", "#117733", "#882255", "#332288", "#999933", "#44aa99")
_HATCH = {"predicted_worse": 45, "hard_worse": -45}
_WIDTH = 336.0  # px: 3.5 in at 96 dpi, the width of the map column
_ASPECT = 0.85  # height of the map over its width
_ROW = 13.0  # px per legend row
_FONT = "font-family:'DejaVu Sans',Arial,sans-serif"


def _paths(geoms, x0: float, y1: float, s: float) -> list[str]:
    """SVG path data of each geometry in page pixels (y down), simplified below 0.4 px.

    Each polygon ring is ``M x y L x y ... Z`` with coordinates to 0.1 px in their
    shortest form (``12``, ``-3.5``); parts that are not polygons are left out.

    Examples
    --------
    >>> from shapely.geometry import box
    >>> _paths([box(0, 0, 10, 5)], 0.0, 6.0, 2.0)
    ['M20 12L20 2L0 2L0 12L20 12Z']
    """
    geoms = np.asarray(geoms, dtype=object)
    shifted = shapely.transform(geoms, lambda c: (c - [x0, y1]) * [s, -s])
    parts, of_geom = shapely.get_parts(shapely.simplify(shifted, 0.4), return_index=True)
    keep = (shapely.get_type_id(parts) == shapely.GeometryType.POLYGON) & ~shapely.is_empty(parts)
    rings, of_part = shapely.get_rings(parts[keep], return_index=True)
    coords, of_ring = shapely.get_coordinates(rings, return_index=True)
    # every coordinate written once per distinct value (its bits: -0 stays "-0"), each ring
    # joined in one call (London's 506 maps: 335,000 points; 0.6 s one by one)
    xy = np.round(coords, 1)
    bits, position = np.unique(xy.view(np.int64), return_inverse=True)
    text = np.array([f"{v:g}" for v in bits.view(np.float64)], dtype=object)
    pieces = np.empty(4 * len(xy), dtype=object)  # x, " ", y, "L" of every point
    pieces[0::4], pieces[2::4] = text[position.reshape(xy.shape)].T
    pieces[1::4], pieces[3::4] = " ", "L"
    pieces = pieces.tolist()
    ends = 4 * np.searchsorted(of_ring, np.arange(len(rings) + 1))
    ring_text = ["M" + "".join(pieces[a : b - 1]) + "Z" for a, b in pairwise(ends.tolist())]
    out = [[] for _ in range(len(geoms))]
    for geom, ring in zip(of_geom[keep][of_part].tolist(), ring_text, strict=True):
        out[geom].append(ring)
    return ["".join(rings) for rings in out]


def _marker(kind: str, x: float, y: float, colour: str, r: float = 3.2) -> str:
    """An SVG marker of the matplotlib-style ``kind`` centred on (x, y)."""
    style = f"fill='{colour}' stroke='#ffffff' stroke-width='0.6'"
    if kind == "o":
        return f"<circle cx='{x:.1f}' cy='{y:.1f}' r='{r:.1f}' {style}/>"
    shapes = {
        "s": [(-1, -1), (1, -1), (1, 1), (-1, 1)],
        "^": [(0, -1.2), (1.1, 0.9), (-1.1, 0.9)],
        "v": [(0, 1.2), (1.1, -0.9), (-1.1, -0.9)],
        "D": [(0, -1.3), (1.1, 0), (0, 1.3), (-1.1, 0)],
        "P": [(-0.4, -1.2), (0.4, -1.2), (0.4, -0.4), (1.2, -0.4), (1.2, 0.4), (0.4, 0.4),
              (0.4, 1.2), (-0.4, 1.2), (-0.4, 0.4), (-1.2, 0.4), (-1.2, -0.4), (-0.4, -0.4)],
        "X": [(-0.9, -1.2), (0, -0.3), (0.9, -1.2), (1.2, -0.9), (0.3, 0), (1.2, 0.9),
              (0.9, 1.2), (0, 0.3), (-0.9, 1.2), (-1.2, 0.9), (-0.3, 0), (-1.2, -0.9)],
        "*": [(np.sin(a) * rad, -np.cos(a) * rad)
              for a, rad in zip(np.arange(10) * np.pi / 5, [1.3, 0.55] * 5, strict=True)],
    }  # fmt: skip
    pts = " ".join(f"{x + dx * r:.1f},{y + dy * r:.1f}" for dx, dy in shapes[kind])
    return f"<polygon points='{pts}' {style}/>"


def _fill(flag: str) -> tuple[str, float]:
    colour = FLAG_STYLE[flag]["color"] if flag != "agree" else "#eeeeee"
    return colour, (0.55 if flag != "agree" else 1.0)


class LsoaMaps:
    """The small maps of a run's LSOAs, drawn one at a time by code.

    The layers are taken apart into arrays and a spatial index once, so each page's
    map costs a few index look-ups rather than selections on the full layers.

    Parameters
    ----------
    lsoa : GeoDataFrame
        Every LSOA with ``lsoa_code`` and ``flag`` (EPSG:27700).
    oa : GeoDataFrame
        Every OA with ``lsoa_code``.
    assets : GeoDataFrame or None
        Asset points with ``category``.
    categories : list of str
        Every asset category of the run, so a category keeps its marker on every page.

    Examples
    --------
    >>> import base64
    >>> from shapely.geometry import box
    >>> lsoa = gpd.GeoDataFrame({"lsoa_code": ["A", "B"], "flag": ["hard_worse", "agree"]},
    ...     geometry=[box(0, 0, 500, 500), box(500, 0, 1000, 500)], crs=27700)
    >>> oa = gpd.GeoDataFrame({"lsoa_code": ["A", "A"]},
    ...     geometry=[box(0, 0, 250, 500), box(250, 0, 500, 500)], crs=27700)
    >>> maps = LsoaMaps(lsoa, oa, None, [])
    >>> svg = base64.b64decode(maps.uri("A")[26:]).decode()
    >>> svg.count("fill='none' stroke='#777777'"), "This LSOA" in svg, "Agree" in svg
    (2, True, True)
    >>> maps.neighbours("A")
    array([1])
    """

    def __init__(
        self,
        lsoa: gpd.GeoDataFrame,
        oa: gpd.GeoDataFrame,
        assets: gpd.GeoDataFrame | None,
        categories: list[str],
    ) -> None:
        self.codes = lsoa["lsoa_code"].astype(str).to_numpy()
        self.flags = lsoa["flag"].astype(str).to_numpy()
        self.geoms = lsoa.geometry.to_numpy()
        self._row = {c: i for i, c in enumerate(self.codes)}
        self._tree = shapely.STRtree(self.geoms)
        oa_geoms = oa.geometry.to_numpy()
        self._oas = {
            str(k): oa_geoms[v] for k, v in oa.groupby("lsoa_code", sort=False).indices.items()
        }
        self._points: list[tuple[str, str, np.ndarray, str]] = []  # marker, colour, xy, category
        if assets is not None and len(assets):
            cats = assets["category"].astype(str).to_numpy()
            xy = shapely.get_coordinates(assets.geometry.to_numpy())
            for i, cat in enumerate(categories):
                kind = ASSET_MARKERS[i % len(ASSET_MARKERS)]
                colour = _ASSET_COLOURS[i % len(_ASSET_COLOURS)]
                self._points.append((kind, colour, xy[cats == str(cat)], str(cat)))

    def neighbours(self, code: str) -> np.ndarray:
        """Rows of the LSOAs that touch or overlap LSOA ``code``, in code order."""
        i = self._row[code]
        rows = self._tree.query(self.geoms[i], predicate="intersects")
        rows = rows[rows != i]
        return rows[np.argsort(self.codes[rows], kind="stable")]

    def uri(self, code: str) -> str:
        """The map of LSOA ``code`` as an SVG data URI, the same bytes for the same inputs."""
        me = self.geoms[self._row[code]]
        xmin, ymin, xmax, ymax = me.bounds
        pad = 0.35 * max(xmax - xmin, ymax - ymin, 200.0)
        # a frame of fixed shape around the padded LSOA, so every page has the same layout
        wide = max(xmax - xmin + 2 * pad, (ymax - ymin + 2 * pad) / _ASPECT)
        cx, cy = (xmin + xmax) / 2, (ymin + ymax) / 2
        box = (cx - wide / 2, cy - wide * _ASPECT / 2, cx + wide / 2, cy + wide * _ASPECT / 2)
        s = _WIDTH / wide
        height = _WIDTH * _ASPECT
        x0, y1 = box[0], box[3]
        near = self._tree.query(shapely.box(*box), predicate="intersects")
        near = near[self.codes[near] != code]
        near = near[np.argsort(self.codes[near], kind="stable")]
        body = []
        legend: list[tuple[str, str]] = []  # (swatch drawn at 0,0; its text)
        for flag in FLAG_STYLE:
            colour, alpha = _fill(flag)
            hatch = f"url(#h-{flag})" if flag in _HATCH else ""
            for d in _paths(self.geoms[near[self.flags[near] == flag]], x0, y1, s):
                body.append(
                    f"<path d='{d}' fill='{colour}' fill-opacity='{alpha}' stroke='#ffffff' "
                    "stroke-width='0.6' fill-rule='evenodd'/>"
                )
                if hatch:
                    body.append(f"<path d='{d}' fill='{hatch}' fill-rule='evenodd'/>")
            swatch = (
                f"<rect width='14' height='9' fill='{colour}' fill-opacity='{alpha}' "
                "stroke='#999999' stroke-width='0.5'/>"
            )
            if hatch:
                swatch += f"<rect width='14' height='9' fill='{hatch}'/>"
            legend.append((swatch, FLAG_STYLE[flag]["text"]))
        for d in _paths(self._oas.get(code, []), x0, y1, s):
            body.append(f"<path d='{d}' fill='none' stroke='#777777' stroke-width='0.5'/>")
        for d in _paths([me], x0, y1, s):
            body.append(f"<path d='{d}' fill='none' stroke='#000000' stroke-width='1.8'/>")
        legend.append(("<path d='M0 4.5H14' stroke='#000000' stroke-width='1.8'/>", "This LSOA"))
        legend.append(
            ("<path d='M0 4.5H14' stroke='#777777' stroke-width='0.5'/>", "Its output areas")
        )
        for kind, colour, xy, cat in self._points:
            inside = (
                (xy[:, 0] >= box[0]) & (xy[:, 0] <= box[2])
                & (xy[:, 1] >= box[1]) & (xy[:, 1] <= box[3])
            )  # fmt: skip
            if not inside.any():
                continue
            for x, y in xy[inside]:
                body.append(_marker(kind, (x - x0) * s, (y1 - y) * s, colour))
            legend.append((_marker(kind, 7, 4.5, colour, r=3.0), cat))
        return _svg(body, legend, height, bar_metres=_bar(box[2] - box[0]), scale=s)


def _bar(width_m: float) -> float:
    """A round length for the scale bar, about a quarter of the map's width."""
    return float(10 ** np.floor(np.log10(max(width_m / 4, 1.0))))


def _svg(body: list[str], legend, height: float, bar_metres: float, scale: float) -> str:
    """The SVG document of a map: its frame, scale bar and legend, as a data URI."""
    bx, by = 0.05 * _WIDTH, 0.95 * height
    body.append(
        f"<path d='M{bx:.1f} {by:.1f}h{bar_metres * scale:.1f}' stroke='#000000' "
        f"stroke-width='2'/><text x='{bx:.1f}' y='{by - 4:.1f}' font-size='9' "
        f'style="{_FONT}">{bar_metres:,.0f} m</text>'
    )
    rows = []
    half = _WIDTH / 2
    for i, (swatch, text) in enumerate(legend):
        lx, ly = 6 + (i % 2) * half, height + 8 + (i // 2) * _ROW
        rows.append(
            f"<g transform='translate({lx:.1f} {ly:.1f})'>{swatch}<text x='18' y='9' "
            f"font-size='9.5' style=\"{_FONT}\">{escape(text)}</text></g>"
        )
    total = height + 10 + ((len(legend) + 1) // 2) * _ROW
    patterns = "".join(
        f"<pattern id='h-{flag}' width='5' height='5' patternUnits='userSpaceOnUse' "
        f"patternTransform='rotate({angle})'><path d='M0 0V5' stroke='#333333' "
        "stroke-width='0.7'/></pattern>"
        for flag, angle in _HATCH.items()
    )
    svg = (
        f"<svg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 {_WIDTH:g} {total:.1f}' "
        f"width='{_WIDTH:g}' height='{total:.1f}'><defs>{patterns}<clipPath id='frame'>"
        f"<rect width='{_WIDTH:g}' height='{height:.1f}'/></clipPath></defs>"
        f"<rect width='{_WIDTH:g}' height='{total:.1f}' fill='#ffffff'/>"
        f"<g clip-path='url(#frame)'>{''.join(body)}</g>"
        f"<rect width='{_WIDTH:g}' height='{height:.1f}' fill='none' stroke='#bbbbbb'/>"
        f"{''.join(rows)}</svg>"
    )
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode("utf-8")).decode("ascii")
