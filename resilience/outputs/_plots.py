"""Static figures for the report, drawn with matplotlib's Agg canvas and inlined as PNG.

No ``pyplot``: figures are :class:`matplotlib.figure.Figure` objects rendered by
:class:`~matplotlib.backends.backend_agg.FigureCanvasAgg`, so the global backend and
pyplot's figure list are never touched. PNGs carry no software or date metadata, so the
same data give the same bytes.

Colours: flags use the Okabe–Ito colour-blind-safe palette (Okabe and Ito, *Color
Universal Design*, https://jfly.uni-koeln.de/color/) and a different marker or line style
per flag, so colour is never the only cue; the map uses viridis (sequential,
perceptually uniform) and the profile chart PuOr (diverging, ColorBrewer), both
colour-blind safe.
"""

from __future__ import annotations

import base64
import io

import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import PatchCollection
from matplotlib.colors import Normalize
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import PathPatch
from matplotlib.path import Path as MplPath

from ..clusters import CONSTRUCTS, label
from ..schema import AGREE, DISAGREE, HARD_WORSE, PREDICTED_WORSE

__all__ = ["FLAG_STYLE", "map_figure", "png_data_uri", "profile_figure", "scatter_figure"]

#: Colour, marker, line style and legend text of each flag value.
FLAG_STYLE: dict[str, dict[str, str]] = {
    AGREE: {"color": "#999999", "marker": "o", "linestyle": "-", "text": "Agree"},
    PREDICTED_WORSE: {
        "color": "#E69F00",
        "marker": "^",
        "linestyle": "-",
        "text": "Prediction shows more need",
    },
    HARD_WORSE: {
        "color": "#0072B2",
        "marker": "s",
        "linestyle": "--",
        "text": "Hard data show more need",
    },
}
_DPI = 110


def png_data_uri(fig: Figure) -> str:
    """Render ``fig`` to a ``data:image/png;base64,...`` URI."""
    FigureCanvasAgg(fig)
    buffer = io.BytesIO()
    fig.savefig(
        buffer,
        format="png",
        dpi=_DPI,
        bbox_inches="tight",
        pad_inches=0.05,
        metadata={"Software": None},
    )
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def profile_figure(profiles: pd.DataFrame) -> Figure:
    """Heatmap of cluster centroids (clusters x constructs), values written in each cell."""
    prof = profiles.apply(pd.to_numeric, errors="coerce")
    cols = [c for c in CONSTRUCTS if c in prof.columns] + [
        c for c in prof.columns if c not in CONSTRUCTS
    ]
    prof = prof[cols]
    values = prof.to_numpy(dtype=float)
    limit = float(np.nanmax(np.abs(values))) if np.isfinite(values).any() else 1.0
    limit = limit or 1.0
    fig = Figure(figsize=(4.6, 3.4))
    ax = fig.add_subplot()
    image = ax.imshow(values, cmap="PuOr", vmin=-limit, vmax=limit, aspect="auto")
    ax.set_xticks(
        range(len(cols)),
        [_text(str(c).capitalize()) for c in cols],
        fontsize=10,
        rotation=30,
        ha="right",
        rotation_mode="anchor",
    )
    ax.set_yticks(range(len(prof)), [_text(_cluster_label(i)) for i in prof.index], fontsize=10)
    ax.tick_params(length=0)
    for (i, j), v in np.ndenumerate(values):
        if np.isfinite(v):
            colour = "white" if abs(v) > 0.6 * limit else "black"
            ax.text(j, i, f"{v:.2f}", ha="center", va="center", fontsize=9, color=colour)
    bar = fig.colorbar(image, ax=ax, shrink=0.9)
    bar.set_label("Centroid (standard deviations)", fontsize=9)
    bar.ax.tick_params(labelsize=8.5)
    fig.subplots_adjust(left=0.33, right=0.98, top=0.97, bottom=0.1)
    return fig


def scatter_figure(lsoa: pd.DataFrame) -> Figure | None:
    """Hard-data index against predicted vulnerability (−resilience_score), by flag."""
    if "hard_index" not in lsoa.columns:
        return None
    data = pd.DataFrame(
        {
            "hard": pd.to_numeric(lsoa["hard_index"], errors="coerce"),
            "predicted": -pd.to_numeric(lsoa["resilience_score"], errors="coerce"),
            "flag": lsoa["flag"].astype("string") if "flag" in lsoa.columns else AGREE,
        }
    ).dropna(subset=["hard", "predicted"])
    if data.empty:
        return None
    fig = Figure(figsize=(4.2, 3.6))
    ax = fig.add_subplot()
    for flag, style in FLAG_STYLE.items():
        part = data[data["flag"].eq(flag).fillna(False).to_numpy(dtype=bool)]
        if part.empty:
            continue
        ax.scatter(
            part["hard"],
            part["predicted"],
            s=30 if flag == AGREE else 46,
            c=style["color"],
            marker=style["marker"],
            edgecolors="black" if flag != AGREE else "none",
            linewidths=0.5,
            alpha=0.75 if flag == AGREE else 1.0,
            label=f"{style['text']} ({len(part)})",
            zorder=2 if flag == AGREE else 3,
        )
    ax.set_xlabel("Hard-data need index (higher = more need)", fontsize=10)
    ax.set_ylabel("Predicted vulnerability\n(−resilience score; higher = more need)", fontsize=10)
    ax.tick_params(labelsize=8.5)
    ax.grid(True, color="#dddddd", linewidth=0.5, zorder=0)
    ax.legend(fontsize=8, loc="best", frameon=True, title="LSOAs", title_fontsize=8)
    fig.subplots_adjust(left=0.2, right=0.97, top=0.97, bottom=0.15)
    return fig


def map_figure(lsoa: pd.DataFrame, ward: pd.DataFrame | None) -> Figure | None:
    """Small map: LSOAs coloured by resilience score, flagged LSOAs outlined, ward outlines."""
    geo = _geometry(lsoa)
    if geo is None:
        return None
    crs = getattr(lsoa, "crs", None)
    if crs is not None and crs.is_geographic:
        geo = lsoa.to_crs(27700).geometry
        crs = geo.crs
    score = pd.to_numeric(lsoa["resilience_score"], errors="coerce").to_numpy()
    fig = Figure(figsize=(4.2, 3.9))
    ax = fig.add_subplot()
    finite = score[np.isfinite(score)]
    norm = Normalize(*(finite.min(), finite.max()) if len(finite) else (-1.0, 1.0))
    fills = PatchCollection(
        [PathPatch(p) for p in _paths(geo)], cmap="viridis", norm=norm, linewidths=0.2
    )
    fills.set_array(np.ma.masked_invalid(score))
    fills.set_edgecolor("white")
    ax.add_collection(fills)
    handles = []
    if "flag" in lsoa.columns:
        for flag in DISAGREE:
            mask = (lsoa["flag"].astype("string") == flag).fillna(False).to_numpy(dtype=bool)
            if not mask.any():
                continue
            style = FLAG_STYLE[flag]
            ax.add_collection(
                PatchCollection(
                    [PathPatch(p) for p in _paths(geo[mask])],
                    facecolor="none",
                    edgecolor=style["color"],
                    linestyle=style["linestyle"],
                    linewidths=2.0,
                    zorder=4,
                )
            )
            handles.append(
                Line2D(
                    [],
                    [],
                    color=style["color"],
                    linestyle=style["linestyle"],
                    lw=2,
                    label=f"{style['text']} ({int(mask.sum())})",
                )
            )
    ward_geo = _geometry(ward) if ward is not None else None
    if ward_geo is not None:
        if crs is not None and getattr(ward, "crs", None) is not None:
            ward_geo = ward.to_crs(crs).geometry
        ax.add_collection(
            PatchCollection(
                [PathPatch(p) for p in _paths(ward_geo)],
                facecolor="none",
                edgecolor="black",
                linewidths=0.9,
                zorder=3,
            )
        )
        handles.append(Line2D([], [], color="black", lw=0.9, label="Ward boundary"))
    xmin, ymin, xmax, ymax = geo.total_bounds
    pad = 0.02 * max(xmax - xmin, ymax - ymin, 1.0)
    ax.set_xlim(xmin - pad, xmax + pad)
    ax.set_ylim(ymin - pad, ymax + pad)
    ax.set_aspect("equal")
    ax.set_axis_off()
    bar = fig.colorbar(fills, ax=ax, shrink=0.65, pad=0.02)
    bar.set_label("Resilience score (higher = more resilient)", fontsize=9)
    bar.ax.tick_params(labelsize=8.5)
    if handles:
        ax.legend(
            handles=handles,
            fontsize=8,
            loc="upper center",
            bbox_to_anchor=(0.5, -0.01),
            ncol=2,
            frameon=False,
        )
    fig.subplots_adjust(left=0.01, right=0.97, top=0.99, bottom=0.12)
    return fig


def _geometry(frame: pd.DataFrame | None):
    """The frame's GeoSeries of polygons, or None when it has no usable geometry."""
    if frame is None:
        return None
    try:
        geo = frame.geometry
    except AttributeError:
        return None
    if geo is None or len(geo) == 0 or geo.isna().all() or geo.is_empty.all():
        return None
    if not geo.geom_type.isin(["Polygon", "MultiPolygon"]).any():
        return None
    return geo


def _paths(geoms) -> list[MplPath]:
    """One compound path per geometry (every ring of every part); empty for non-polygons."""
    paths = []
    for geom in geoms:
        vertices, codes = [], []
        parts = [] if geom is None or geom.is_empty else getattr(geom, "geoms", [geom])
        for poly in parts:
            if poly.geom_type != "Polygon":
                continue
            for ring in (poly.exterior, *poly.interiors):
                xy = np.asarray(ring.coords)[:, :2]
                vertices.append(xy)
                codes.append(
                    [MplPath.MOVETO] + [MplPath.LINETO] * (len(xy) - 2) + [MplPath.CLOSEPOLY]
                )
        if vertices:
            paths.append(MplPath(np.concatenate(vertices), np.concatenate(codes)))
        else:
            paths.append(MplPath(np.empty((0, 2))))
    return paths


def _cluster_label(key: object) -> str:
    try:
        return label(str(key))
    except KeyError:
        return str(key)


def _text(s: str) -> str:
    """Text shown literally by matplotlib (a ``$`` would start mathtext)."""
    return s.replace("$", r"\$")
