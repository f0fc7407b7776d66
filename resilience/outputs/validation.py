"""The resident-survey check in the deliverables: tables, calibration plot, report section.

``tables/validation.csv`` has a row per measure and area (:data:`AREA_COLUMNS` of
:mod:`resilience.compare.validation`, with the area's name); ``tables/validation_summary.csv``
a row per measure (correlation with its interval, calibration line, areas that disagree).
The report section shows the calibration plot of each measure: survey share against the
tracked prediction, both with their intervals, the calibration line, and the areas that
disagree beyond the sampling error of both marked and named. :func:`validation_layer` puts
the per-area table on the areas' polygons for the GeoPackage layer ``validation``.
"""

from __future__ import annotations

import html
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from ..compare.validation import DISAGREEMENTS, SurveyCheck
from ..schema import default_aliases
from ._plots import png_data_uri
from .tables import write_csv

__all__ = [
    "calibration_figure",
    "validation_layer",
    "validation_section",
    "write_validation_tables",
]


def write_validation_tables(
    folder: str | Path, check: SurveyCheck, names: pd.Series
) -> dict[str, Path]:
    """Write ``validation.csv`` and ``validation_summary.csv`` into ``folder``.

    ``names`` maps area codes to names (a column ``area_name`` after ``area_code``).
    """
    areas = check.areas.copy()
    areas.insert(2, "area_name", areas["area_code"].map(names).fillna(areas["area_code"]))
    folder = Path(folder)
    return {
        "validation": write_csv(areas, folder / "validation.csv"),
        "validation_summary": write_csv(check.summary, folder / "validation_summary.csv"),
    }


def validation_layer(check: SurveyCheck, areas: gpd.GeoDataFrame, area: str) -> gpd.GeoDataFrame:
    """The per-area table on the areas' polygons: one feature per measure and area.

    ``areas`` is the ward or LSOA layer (``<area>_code``, ``<area>_name``).
    """
    code, name = f"{area}_code", f"{area}_name"
    shapes = areas[[code, name, "geometry"]].rename(columns={code: "area_code", name: "area_name"})
    table = check.areas.merge(shapes, on="area_code", how="inner")
    cols = [c for c in table.columns if c != "geometry"] + ["geometry"]
    return gpd.GeoDataFrame(table[cols], geometry="geometry", crs=areas.crs)


def calibration_figure(check: SurveyCheck, measure: str, names: pd.Series) -> Figure:
    """Survey share against the tracked prediction for one measure, with intervals."""
    a = check.areas[check.areas["measure"] == measure]
    s = check.summary.set_index("measure").loc[measure]
    fig = Figure(figsize=(4.6, 3.6))
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    x = a["predicted"].to_numpy()
    xerr = np.vstack([x - a["predicted_lo"].to_numpy(), a["predicted_hi"].to_numpy() - x])
    y = a["survey_share"].to_numpy()
    yerr = np.vstack([y - a["survey_lo"].to_numpy(), a["survey_hi"].to_numpy() - y])
    off = a["disagreement"].ne(DISAGREEMENTS[2]).to_numpy()
    for mask, colour, marker, label in (
        (~off, "#555555", "o", "Within sampling error"),
        (off, "#D55E00", "s", "Disagree"),
    ):
        if mask.any():
            ax.errorbar(
                x[mask],
                y[mask],
                xerr=np.nan_to_num(xerr[:, mask]),
                yerr=yerr[:, mask],
                fmt=marker,
                color=colour,
                ms=4,
                elinewidth=0.6,
                capsize=0,
                label=label,
            )
    sign = -1.0 if str(s["tracks"]).startswith("-") else 1.0
    grid = np.linspace(np.nanmin(x), np.nanmax(x), 20)
    ax.plot(
        grid,
        s["intercept"] + s["slope"] * sign * grid,
        color="#0072B2",
        lw=1.2,
        label="Calibration line",
    )
    for xi, yi, code in zip(x[off], y[off], a["area_code"].to_numpy()[off], strict=True):
        ax.annotate(
            str(names.get(code, code))[:24],
            (xi, yi),
            fontsize=6.5,
            xytext=(3, 3),
            textcoords="offset points",
        )
    column = str(s["tracks"]).lstrip("-")
    ax.set_xlabel(default_aliases([column])[column], fontsize=8.5)
    ax.set_ylabel(f"Resident survey: {measure} (agree share)", fontsize=8.5)
    ax.tick_params(labelsize=8)
    ax.legend(fontsize=7, frameon=False)
    fig.tight_layout()
    return fig


def validation_section(check: SurveyCheck, area: str, names: pd.Series) -> str:
    """The report section: a paragraph, a table per measure and its calibration plot."""
    level = round(100 * check.interval)
    parts = [
        "<h2>Checked against the council's resident survey</h2>",
        f"<p>Each measure of the resident survey is set against the predicted figure it should "
        f"track, over the {html.escape(area)}s both cover. The correlation has a {level}% "
        "interval (Fisher z); an area <em>disagrees</em> when its survey share differs from "
        "the calibrated prediction by more than the sampling error of both (binomial for the "
        "survey, the bootstrap interval for the prediction). The list is in "
        "tables/validation.csv.</p>",
    ]
    rows = []
    for _, s in check.summary.iterrows():
        off = check.areas[
            (check.areas["measure"] == s["measure"])
            & check.areas["disagreement"].ne(DISAGREEMENTS[2])
        ]
        named = ", ".join(
            f"{html.escape(str(names.get(c, c)))} ({html.escape(d)})"
            for c, d in zip(off["area_code"], off["disagreement"], strict=True)
        )
        rows.append(
            f"<tr><td>{html.escape(str(s['measure']))}</td><td>{html.escape(str(s['tracks']))}"
            f"</td><td class='num'>{int(s['n_areas'])}</td><td class='num'>"
            f"{_r(s['correlation'])} ({_r(s['correlation_lo'])} to {_r(s['correlation_hi'])})"
            f"</td><td>{_strength(s)}</td><td>{named or 'none'}</td></tr>"
        )
    parts.append(
        "<table><thead><tr><th>Measure</th><th>Tracks</th><th>Areas</th>"
        f"<th>Correlation ({level}% interval)</th><th>In words</th><th>Areas that disagree"
        f"</th></tr></thead><tbody>{''.join(rows)}</tbody></table><div class='figures'>"
    )
    for measure in check.summary["measure"]:
        uri = png_data_uri(calibration_figure(check, measure, names))
        parts.append(
            f"<figure><img src='{uri}' alt='Calibration plot for {html.escape(measure)}'>"
            f"<figcaption>{html.escape(measure)}: survey share against the prediction, "
            f"{level}% intervals.</figcaption></figure>"
        )
    parts.append("</div>")
    return "\n".join(parts)


def _r(x: float) -> str:
    return "n/a" if not np.isfinite(x) else f"{x:.2f}"


def _strength(s: pd.Series) -> str:
    lo, hi, r = s["correlation_lo"], s["correlation_hi"], s["correlation"]
    if not np.isfinite(r):
        return "too few areas"
    if lo <= 0 <= hi:
        return "no clear relation: the prediction is not confirmed by the survey"
    if lo > 0:
        return "the survey agrees with the prediction" + (" strongly" if lo > 0.5 else "")
    return "the survey runs against the prediction: check the 'tracks' direction"
