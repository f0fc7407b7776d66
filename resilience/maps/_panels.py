"""The HTML boxes of a map page: legend, borough panel with ward search, ward panel.

They are plain HTML and CSS (no script library), written into the page once and shown
by the page's script. Every string from the input data is escaped here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..clusters import CLUSTERS
from ..outputs.ranks import higher_is_need, need_rank, rank_note
from ..schema import REVIEW_COLUMNS, REVIEW_OUTCOME_LABELS
from ._classify import format_value
from ._layers import FLAG_LABELS, LayerSpec
from ._palettes import MISSING
from ._payload import esc

__all__ = ["AreaFigures", "borough_panel", "legend_html", "ward_panel"]

PREDICTED_NOTE = (
    "Cluster shares and the resilience score are predictions from survey data for each "
    "area's type of neighbourhood, not measurements of the people who live there."
)
MISSING_LABEL = "No data / suppressed"


def legend_html(layers: list[LayerSpec], initial: str) -> str:
    """One legend section per layer; only the section of the layer shown is visible."""
    parts = ['<div id="rz-legend" class="rz-box rz-legend" hidden aria-live="polite">']
    for spec in layers:
        c = spec.classes
        hidden = "" if spec.id == initial else " hidden"
        parts.append(f'<section data-layer="{esc(spec.id)}"{hidden}>')
        parts.append(f"<h2>{esc(spec.title)}</h2>")
        parts.append(f'<p class="rz-small">{esc(spec.subtitle)}</p><ul>')
        show_words = spec.kind != "category"
        for colour, label, word in zip(c.colors, c.labels, c.words, strict=True):
            extra = f' <span class="rz-word">{esc(word)}</span>' if show_words else ""
            parts.append(
                f'<li><span class="rz-sw" style="background:{colour}"></span>'
                f"<span>{esc(label)}</span>{extra}</li>"
            )
        parts.append(
            f'<li><span class="rz-sw rz-sw-missing" style="background:{MISSING}"></span>'
            f"<span>{MISSING_LABEL}</span></li></ul>"
        )
        parts.append(f'<p class="rz-small">{esc(c.method)}</p>')
        if spec.predicted:
            parts.append('<p class="rz-note">Predicted, not measured.</p>')
        parts.append("</section>")
    parts.append("</div>")
    return "".join(parts)


def _search_box() -> str:
    return (
        '<div class="rz-search" role="search">'
        '<label for="rz-search">Find a ward</label>'
        '<input id="rz-search" type="search" autocomplete="off" '
        'placeholder="Ward name or code">'
        '<ul id="rz-results" aria-live="polite"></ul></div>'
    )


def _footer(attribution: str) -> str:
    return f'<p class="rz-small">{esc(attribution)}</p>'


def borough_panel(title: str, n_wards: int, *, ward_pages: bool, attribution: str) -> str:
    """Panel of the borough map: title, the predicted-not-measured note, ward search."""
    more = "more and a link to the ward's own map" if ward_pages else "more"
    return (
        '<div id="rz-panel" class="rz-box rz-panel" hidden><details open>'
        f"<summary>{esc(title)}</summary>"
        f'<p class="rz-note">{PREDICTED_NOTE}</p>'
        f"{_search_box()}"
        f'<p class="rz-small">{n_wards:,} ward{"s" if n_wards != 1 else ""}. Choose a layer '
        f"on the right. Hover over an area for its figures; click it for {more}.</p>"
        f"{_footer(attribution)}</details></div>"
    )


@dataclass
class AreaFigures:
    """Ward figures and the whole area's, for the ward panels.

    ``rows`` lists (column, label, kind) of the ward columns shown; ``area`` holds the
    whole area's value of each column (population-weighted mean of the wards for shares,
    score and index; sums for counts); ``rank`` each ward's rank by need (1 = most need:
    lowest score, highest index; see :mod:`resilience.outputs.ranks`).
    """

    rows: list[tuple[str, str, str]]
    area: dict[str, float]
    rank: dict[str, np.ndarray]
    n_wards: int

    @classmethod
    def from_wards(cls, ward: pd.DataFrame) -> AreaFigures:
        """Summarise the ward frame."""
        candidates = [
            ("population", "Population", "int"),
            *[(f"share_{c.key}", c.label, "pct") for c in CLUSTERS],
            ("resilience_score", "Resilience score", "signed"),
            ("hard_index", "Hard-data need index", "signed"),
            ("n_lsoa", "LSOAs", "int"),
            ("n_flagged", "Flagged LSOAs", "int"),
        ]
        rows = [r for r in candidates if r[0] in ward.columns]
        if "population" in ward.columns:
            weights = ward["population"].to_numpy(dtype=float)
            weights = np.where(np.isfinite(weights), weights, 0.0)
        else:
            weights = np.ones(len(ward))
        area, rank = {}, {}
        for col, _, kind in rows:
            v = ward[col].to_numpy(dtype=float)
            ok = np.isfinite(v)
            if kind == "int":
                area[col] = float(v[ok].sum()) if ok.any() else np.nan
                continue
            w = weights[ok]
            area[col] = float(np.average(v[ok], weights=w)) if ok.any() and w.sum() > 0 else np.nan
            if higher_is_need(col) is not None:
                rank[col] = need_rank(v, col)
        return cls(rows=rows, area=area, rank=rank, n_wards=len(ward))


def _fmt(value: float, kind: str) -> str:
    if not np.isfinite(value):
        return '<span class="rz-nodata">no data</span>'
    if kind == "int":
        return f"{round(value):,}"
    return format_value(value, kind, 0 if kind == "pct" else 2)


def _flagged_list(flagged: pd.DataFrame) -> str:
    if flagged.empty:
        return "<p>No LSOA of this ward is flagged.</p>"
    items = []
    date_col, outcome_col = REVIEW_COLUMNS
    wanted = ["lsoa_name", "lsoa_code", "flag", "flag_confidence", "flag_reason", *REVIEW_COLUMNS]
    flagged = flagged[[c for c in wanted if c in flagged.columns]]  # itertuples is per column
    for row in flagged.itertuples(index=False):
        outcome = getattr(row, outcome_col, None)
        review = (
            f"<br><span class='rz-small'>Reviewed {esc(getattr(row, date_col, '') or '')}: "
            f"{esc(REVIEW_OUTCOME_LABELS[outcome])}</span>"
            if isinstance(outcome, str) and outcome in REVIEW_OUTCOME_LABELS
            else ""
        )
        conf = getattr(row, "flag_confidence", np.nan)
        conf_text = f", confidence {conf * 100:.0f}%" if np.isfinite(conf) else ""
        reason = getattr(row, "flag_reason", None)
        reason_text = (
            f"<br><span class='rz-small'>Reason: {esc(reason)}</span>"
            if isinstance(reason, str) and reason.strip()
            else ""
        )
        items.append(
            f"<li><b>{esc(row.lsoa_name)}</b> <span class='rz-code'>{esc(row.lsoa_code)}</span>"
            f": {esc(FLAG_LABELS[row.flag])}{conf_text}{reason_text}{review}</li>"
        )
    return f'<ul class="rz-flagged">{"".join(items)}</ul>'


def _figures_table(rows: list[str], n_wards: int) -> str:
    if not rows:
        return "<p>The ward table gives no figures (shares, score, index) to compare.</p>"
    return (
        '<table class="rz-figures"><thead><tr><th>Measure</th><th>Ward</th>'
        "<th>Whole area</th><th>Rank<br><span class='rz-small'>1 = most need</span></th>"
        "</tr></thead>"
        f"<tbody>{''.join(rows)}</tbody></table>"
        '<p class="rz-small">Bars: the ward; marks: the whole area. Whole area: '
        "population-weighted mean of the wards (sums for counts). "
        f"Rank among the {n_wards:,} wards: 1 = most need, as in the Indices of "
        "Deprivation (1 = most deprived): the least resilient ward, the highest hard-data "
        "need index, the lowest share in an asset cluster, the highest share in a "
        "vulnerability cluster. Ties share a rank.</p>"
    )


#: Said on the map of a ward that has no output areas in the data.
NO_AREAS = (
    "No data: none of this ward's output areas are in the data, so it has no figures. "
    "It is drawn grey on the maps."
)


def ward_panel(
    ward: Mapping[str, object],
    pos: int,
    figures: AreaFigures,
    flagged: pd.DataFrame,
    *,
    has_areas: bool = True,
    home_href: str,
    attribution: str,
) -> str:
    """Panel of one ward's map: its figures against the whole area and its flagged LSOAs.

    A ward without output areas (``has_areas=False``) says it has no data.
    """
    body = []
    for col, label, kind in figures.rows:
        value = float(ward[col]) if pd.notna(ward[col]) else np.nan  # type: ignore[arg-type]
        area = figures.area[col]
        bar = ""
        if kind == "pct" and np.isfinite(value) and np.isfinite(area):
            bar = (
                f'<span class="rz-bar" title="Ward (bar) against the whole area (mark)">'
                f'<i style="width:{min(value, 1) * 100:.1f}%"></i>'
                f'<b style="left:{min(area, 1) * 100:.1f}%"></b></span>'
            )
        rank = ""
        if col in figures.rank:
            r = figures.rank[col][pos]
            shown = f"{int(r)} of {figures.n_wards}" if np.isfinite(r) else "no rank"
            rank = f'{shown}<br><span class="rz-small">{esc(rank_note(col))}</span>'
        body.append(
            f"<tr><th>{esc(label)}{bar}</th><td>{_fmt(value, kind)}</td>"
            f"<td>{_fmt(area, kind)}</td><td>{rank}</td></tr>"
        )
    no_data = "" if has_areas else f'<p class="rz-nodata-note">{NO_AREAS}</p>'
    return (
        '<div id="rz-panel" class="rz-box rz-panel" hidden>'
        f'<p><a href="{esc(home_href)}">← Map of all wards</a></p>'
        f"<details open><summary>{esc(ward['ward_name'])} "
        f"<span class='rz-code'>{esc(ward['ward_code'])}</span></summary>"
        f"{no_data}"
        f'<p class="rz-note">{PREDICTED_NOTE}</p>'
        f"{_figures_table(body, figures.n_wards)}"
        f"<h3>Flagged LSOAs</h3>{_flagged_list(flagged)}"
        f"{_footer(attribution)}</details></div>"
    )
