"""A run's results in a notebook: an HTML summary of a :class:`~resilience.Result` and its
borough map as an embeddable page.
"""

from __future__ import annotations

import html
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    from .pipeline import Result

__all__ = ["MapPage", "borough_map", "result_html"]


def _table(rows: list[tuple[str, str]]) -> str:
    body = "".join(
        f"<tr><th style='text-align:left'>{html.escape(k)}</th><td>{html.escape(v)}</td></tr>"
        for k, v in rows
    )
    return f"<table>{body}</table>"


def result_html(result: Result) -> str:
    """A readable HTML summary of a run: sizes, flags, the least resilient wards, notices."""
    lsoa, ward = result.lsoa, result.ward
    flags = lsoa["flag"].value_counts() if "flag" in lsoa else {}
    rows = [
        ("Areas", f"{len(result.oa):,} OAs, {len(lsoa):,} LSOAs, {len(ward):,} wards"),
        ("Respondents used", f"{result.counts.get('respondents_used', 0):,}"),
        (
            "LSOAs flagged",
            f"{result.counts.get('flagged', 0):,} of {len(lsoa):,} "
            f"(prediction worse {int(flags.get('predicted_worse', 0))}, hard data worse "
            f"{int(flags.get('hard_worse', 0))})",
        ),
        ("Run id", result.run_id),
    ]
    scored = ward.dropna(subset=["resilience_score"]).sort_values("resilience_score").head(5)
    least = ", ".join(
        f"{n} ({s:+.2f})"
        for n, s in zip(scored["ward_name"], scored["resilience_score"], strict=True)
    )
    rows.append(("Least resilient wards (score)", least or "none"))
    notices = "".join(
        f"<p style='background:#fde8e8;border:2px solid #b00020;padding:4px'><b>"
        f"{html.escape(n)}</b></p>"
        for n in result.notices
    )
    return (
        f"<div><h3>{html.escape(str(result.config['title']))}</h3>{notices}{_table(rows)}"
        "<p><code>.oa</code>, <code>.lsoa</code>, <code>.ward</code>, <code>.flags</code> hold "
        "the tables; <code>.map()</code> shows the borough map; <code>.save(folder)</code> "
        "writes every deliverable.</p></div>"
    )


@dataclass(frozen=True)
class MapPage:
    """A written map page; shown inline in a notebook (``_repr_html_``)."""

    path: Path
    height: int = 600

    def _repr_html_(self) -> str:
        page = html.escape(self.path.read_text(encoding="utf-8"), quote=True)
        return (
            f'<iframe srcdoc="{page}" style="width:100%;height:{self.height}px;border:none" '
            'sandbox="allow-scripts allow-same-origin"></iframe>'
        )


def borough_map(result: Result, folder: str | Path | None = None, *, mode: str = "offline"):
    """Write the borough map of ``result`` (no ward pages) and return it as a :class:`MapPage`.

    ``mode="offline"`` (the default) makes one self-contained page, which a notebook shows
    without a network. ``folder`` defaults to a new temporary folder.
    """
    from .inputs.trial import SYNTHETIC_NOTICE, map_title
    from .maps import write_maps
    from .outputs.local import map_evidence

    out = Path(folder) if folder is not None else Path(tempfile.mkdtemp(prefix="resilience-map-"))
    title = map_title(str(result.config["title"]), result.synthetic_survey)
    write_maps(
        out,
        result.oa,
        result.lsoa,
        result.ward,
        mode=mode,
        title=title,
        indicator_labels=result.indicator_labels,
        ward_pages=False,
        tiles=result.config["maps"]["tiles"],
        tiles_attribution=result.config["maps"]["tiles_attribution"],
        notice=SYNTHETIC_NOTICE if result.synthetic_survey else None,
        **map_evidence(result.local),
    )
    return MapPage(out / "index.html")
