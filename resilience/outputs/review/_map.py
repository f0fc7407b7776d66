"""The small map of one LSOA for its review page: an SVG drawn with matplotlib.

The LSOA is outlined in black over its output areas (thin grey lines); the LSOAs around
it are filled by their flag (the report's colours and, for print in grey, hatching for
the two disagreement flags); assets are points, one marker per category. No tiles, no
network: the figure is inlined in the page as ``data:image/svg+xml``.
"""

from __future__ import annotations

import base64
import io

import geopandas as gpd
import numpy as np
from matplotlib import rc_context
from matplotlib.backends.backend_svg import FigureCanvasSVG
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from .._plots import FLAG_STYLE

__all__ = ["ASSET_MARKERS", "lsoa_map_uri"]

#: Marker of each asset category, in order of first appearance (cycled).
ASSET_MARKERS: tuple[str, ...] = ("o", "s", "^", "D", "v", "P", "X", "*")
_ASSET_COLOURS = ("#000000", "#117733", "#882255", "#332288", "#999933", "#44aa99")
_HATCH = {"predicted_worse": "///", "hard_worse": "\\\\\\"}


def _svg_uri(fig: Figure) -> str:
    """The figure as an SVG data URI, the same bytes for the same figure (fixed id salt)."""
    FigureCanvasSVG(fig)
    buffer = io.BytesIO()
    with rc_context({"svg.hashsalt": "resilience"}):
        fig.savefig(
            buffer,
            format="svg",
            bbox_inches="tight",
            pad_inches=0.02,
            metadata={"Date": None, "Creator": None},
        )
    return "data:image/svg+xml;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def lsoa_map_uri(
    code: str,
    lsoa: gpd.GeoDataFrame,
    oa: gpd.GeoDataFrame,
    assets: gpd.GeoDataFrame | None,
    categories: list[str],
) -> str:
    """The map of LSOA ``code`` as a data URI.

    Parameters
    ----------
    code : str
        The LSOA to draw.
    lsoa : GeoDataFrame
        Every LSOA with ``lsoa_code`` and ``flag`` (EPSG:27700).
    oa : GeoDataFrame
        Every OA with ``lsoa_code``.
    assets : GeoDataFrame or None
        Asset points with ``category``.
    categories : list of str
        Every asset category of the run, so a category keeps its marker on every page.
    """
    me = lsoa[lsoa["lsoa_code"] == code]
    xmin, ymin, xmax, ymax = me.total_bounds
    pad = 0.35 * max(xmax - xmin, ymax - ymin, 200.0)
    box = (xmin - pad, ymin - pad, xmax + pad, ymax + pad)
    fig = Figure(figsize=(3.5, 3.7))
    ax = fig.add_subplot()
    near = lsoa.cx[box[0] : box[2], box[1] : box[3]]
    handles = []
    for flag, style in FLAG_STYLE.items():
        part = near[(near["flag"] == flag) & (near["lsoa_code"] != code)]
        colour = style["color"] if flag != "agree" else "#eeeeee"
        if len(part):
            part.plot(
                ax=ax,
                facecolor=colour,
                edgecolor="#ffffff",
                linewidth=0.6,
                hatch=_HATCH.get(flag),
                alpha=0.55 if flag != "agree" else 1.0,
            )
        handles.append(
            Patch(
                facecolor=colour,
                edgecolor="#999999",
                hatch=_HATCH.get(flag),
                alpha=0.55 if flag != "agree" else 1.0,
                label=style["text"],
            )
        )
    oa[oa["lsoa_code"] == code].boundary.plot(ax=ax, color="#777777", linewidth=0.5)
    me.boundary.plot(ax=ax, color="#000000", linewidth=1.8)
    handles.append(Line2D([], [], color="#000000", lw=1.8, label="This LSOA"))
    handles.append(Line2D([], [], color="#777777", lw=0.5, label="Its output areas"))
    if assets is not None and len(assets):
        shown = assets.cx[box[0] : box[2], box[1] : box[3]]
        for i, cat in enumerate(categories):
            pts = shown[shown["category"] == cat]
            marker = ASSET_MARKERS[i % len(ASSET_MARKERS)]
            colour = _ASSET_COLOURS[i % len(_ASSET_COLOURS)]
            if len(pts):
                ax.scatter(
                    pts.geometry.x,
                    pts.geometry.y,
                    marker=marker,
                    s=18,
                    c=colour,
                    edgecolors="white",
                    linewidths=0.4,
                    zorder=5,
                )
                handles.append(
                    Line2D(
                        [], [], marker=marker, color=colour, lw=0, markersize=4.5, label=str(cat)
                    )
                )
    ax.set_xlim(box[0], box[2])
    ax.set_ylim(box[1], box[3])
    ax.set_aspect("equal")
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_xlabel("")
    ax.set_ylabel("")
    for side in ax.spines.values():
        side.set_color("#bbbbbb")
    bar = 10 ** np.floor(np.log10(max((box[2] - box[0]) / 4, 1.0)))
    x0, y0 = box[0] + 0.05 * (box[2] - box[0]), box[1] + 0.05 * (box[3] - box[1])
    ax.plot([x0, x0 + bar], [y0, y0], color="black", lw=2)
    ax.text(x0, y0 + 0.02 * (box[3] - box[1]), f"{bar:,.0f} m", fontsize=7)
    ax.legend(
        handles=handles,
        fontsize=6.5,
        loc="upper center",
        bbox_to_anchor=(0.5, 0.0),
        ncol=2,
        frameon=False,
    )
    fig.subplots_adjust(left=0.01, right=0.99, top=0.99, bottom=0.2)
    return _svg_uri(fig)
