"""Change between survey waves in the deliverables: layer columns, tables, report section.

With ``[survey] waves`` a run's OA, LSOA and ward layers (and so the GeoPackage, the CSV
tables and the workbook sheets made from them) carry ``change_<column>`` with ``_lo`` and
``_hi`` for every share, the resilience score and every national index (each wave's
``index_<cluster>`` against its own survey-wide share), from the earliest to the latest
wave, and ``change_significant`` (the score's interval excludes 0). :class:`ChangeOutputs`
collects the rest: the ``change`` table (every consecutive pair of waves, LSOAs, wards
and the whole area; ``tables/change.csv``, a *Change* sheet and a GeoPackage table), the
per-wave label match (``per_wave`` only), the report's change section, column aliases
and meanings, and the manifest entry.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import pandas as pd

from ..clusters import CLUSTERS
from .layers import Layers

if TYPE_CHECKING:
    from ..over_time import OverTime
    from ..pipeline import Result

__all__ = [
    "INDEX_CHANGE_MEANING",
    "ChangeOutputs",
    "add_change",
    "change_aliases",
    "change_outputs",
    "change_section",
]

_CHANGE_LEVELS = ("oa", "lsoa", "ward")
#: What a change of the national index means, in words.
INDEX_CHANGE_MEANING = (
    "0 = the cluster's share changed in proportion to its share in the survey as a whole "
    "(in step with the nation), positive = it grew relatively more (or fell relatively "
    "less) here than nationally, in index points (100 = the national share)"
)


def _join(layer: gpd.GeoDataFrame, frame: pd.DataFrame, key: str) -> gpd.GeoDataFrame:
    merged = layer.merge(frame, left_on=key, right_index=True, how="left")
    cols = [c for c in merged.columns if c != layer.geometry.name] + [layer.geometry.name]
    return gpd.GeoDataFrame(merged[cols], geometry=layer.geometry.name, crs=layer.crs)


def add_change(layers: Layers, over: OverTime) -> Layers:
    """The layers with the earliest → latest change columns joined on."""
    ch = over.overall
    return Layers(
        oa=_join(layers.oa, ch["oa"], "oa_code"),
        lsoa=_join(layers.lsoa, ch["lsoa"], "lsoa_code"),
        ward=_join(layers.ward, ch["ward"], "ward_code"),
        flags=layers.flags,
    )


def change_aliases(first: str = "earliest", last: str = "latest") -> dict[str, str]:
    """Readable names of the change columns (QGIS aliases, table headers).

    Examples
    --------
    >>> change_aliases("wave 9", "wave 12")["change_resilience_score_lo"]
    'Change in resilience score, wave 9 to wave 12 (lower bound)'
    >>> change_aliases()["change_index_isolation"]
    'Change in Isolation national index, earliest to latest'
    """
    names = {f"share_{c.key}": f"{c.label} share" for c in CLUSTERS}
    names["resilience_score"] = "resilience score"
    names.update({f"index_{c.key}": f"{c.label} national index" for c in CLUSTERS})
    out = {}
    for col, words in names.items():
        base = f"Change in {words}, {first} to {last}"
        out[f"change_{col}"] = base
        out[f"change_{col}_lo"] = f"{base} (lower bound)"
        out[f"change_{col}_hi"] = f"{base} (upper bound)"
    out["change_significant"] = f"Resilience score changed, {first} to {last} (interval excludes 0)"
    return out


def _meanings(over: OverTime) -> dict[str, str]:
    first, last = over.waves[0], over.waves[-1]
    pct = f"{over.interval:.0%}"
    out = {}
    for col, alias in change_aliases(first, last).items():
        if col.endswith(("_lo", "_hi")):
            bound = "Lower" if col.endswith("_lo") else "Upper"
            out[col] = (
                f"{bound} end of the {pct} interval of the change, from paired bootstrap "
                "replicates of both waves"
            )
        elif col == "change_significant":
            out[col] = f"True where the {pct} interval of the change in resilience score excludes 0"
        elif col.startswith("change_index_"):
            out[col] = (
                f"{alias} ({last} minus {first}), each wave's index against that wave's own "
                f"survey-wide share: {INDEX_CHANGE_MEANING}"
            )
        else:
            out[col] = f"{alias} ({last} minus {first})"
    return out


def _fmt(x: float, kind: str) -> str:
    """A change as text: ``share`` in percentage points, ``index`` in index points."""
    if pd.isna(x):
        return "n/a"
    if kind == "share":
        return f"{x * 100:+.1f} pts"
    return f"{x:+.1f}" if kind == "index" else f"{x:+.2f}"


def change_section(over: OverTime, lsoa: pd.DataFrame) -> str:
    """The report's *Change over time* section (HTML)."""
    d = over.describe()
    area = over.overall["area"].iloc[0]
    rows = []
    measures = [("resilience_score", "Resilience score", "score")]
    measures += [(f"share_{c.key}", f"{c.label} share", "share") for c in CLUSTERS]
    measures += [(f"index_{c.key}", f"{c.label} national index", "index") for c in CLUSTERS]
    for col, label, kind in measures:
        if f"change_{col}" not in area:
            continue
        lo, hi = area.get(f"change_{col}_lo"), area.get(f"change_{col}_hi")
        interval = "" if lo is None else f"{_fmt(lo, kind)} to {_fmt(hi, kind)}"
        rows.append(
            f"<tr><td>{html.escape(label)}</td><td>{_fmt(area[f'change_{col}'], kind)}</td>"
            f"<td>{interval}</td></tr>"
        )
    sig = lsoa["change_significant"].fillna(False).astype(bool) if len(lsoa) else pd.Series()
    up = int((sig & (lsoa["change_resilience_score"] > 0)).sum()) if len(lsoa) else 0
    down = int((sig & (lsoa["change_resilience_score"] < 0)).sum()) if len(lsoa) else 0
    waves = ", ".join(f"{w['label']} ({w['respondents']:,} respondents)" for w in d["waves"])
    panel = "; ".join(f"{k}: {v:,}" for k, v in d["panel_persons"].items())
    text = [
        f"<p>Waves: {html.escape(waves)}. Change is {html.escape(d['change'])}; "
        "positive means more of that cluster (or a higher resilience score) in the later "
        "wave.</p>",
        f"<p><b>Survey model:</b> {html.escape(d['wave_model'])}: "
        f"{html.escape(d['wave_model_meaning'])}.</p>",
        f"<p><b>Classification vintage:</b> {html.escape(d['classification_vintage'])}: "
        f"{html.escape(d['classification_vintage_meaning'])}.</p>",
        f"<p><b>Intervals:</b> {over.interval:.0%}, {html.escape(d['bootstrap'])}. Persons "
        f"in both waves: {html.escape(panel or 'none')}. A change is marked significant "
        "only where its interval excludes 0, so some unchanged areas are marked "
        "by chance: with 90 % intervals on synthetic waves with no change, 9 % of LSOAs and "
        "wards and 13 % of output areas (these share few category estimates, so a chance "
        "change repeats in many of them).</p>",
        "<p><b>National index:</b> each wave's index is 100 × the share ÷ that wave's "
        "survey-wide share of the cluster, so its change compares the area with the "
        f"survey as a whole: {html.escape(INDEX_CHANGE_MEANING)}. A share can rise while "
        "its index falls, when the cluster grew faster nationally.</p>",
        f"<p>LSOAs whose resilience score changed significantly: {up} up, {down} down "
        f"(of {len(lsoa)}).</p>",
        "<table><caption>Whole area: change</caption><thead><tr><th>Measure</th>"
        "<th>Change</th><th>Interval</th></tr></thead><tbody>" + "".join(rows) + "</tbody>"
        "</table>",
    ]
    return '<section id="change"><h2>Change over time</h2>' + "".join(text) + "</section>"


@dataclass
class ChangeOutputs:
    """What a run over several waves adds to the deliverables (empty for one wave)."""

    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    sheets: dict[str, pd.DataFrame] = field(default_factory=dict)
    sections: list[str] = field(default_factory=list)
    aliases: dict[str, str] = field(default_factory=dict)
    meanings: dict[str, str] = field(default_factory=dict)
    manifest: dict[str, Any] | None = None

    def write_csv(self, folder: Path) -> dict[str, Path]:
        """Write ``change.csv`` (and ``wave_match.csv``) into ``folder``; paths by role."""
        from .tables import write_csv

        return {
            f"table_{name}": write_csv(frame, Path(folder) / f"{name}.csv")
            for name, frame in self.tables.items()
        }


def change_outputs(result: Result) -> ChangeOutputs:
    """The change outputs of ``result`` (empty without ``[survey] waves``)."""
    over = result.change
    if over is None:
        return ChangeOutputs()
    tables = {"change": over.table()}
    sheets = {"Change": tables["change"]}
    if over.labelling.match is not None:
        tables["wave_match"] = over.labelling.match
        sheets["Wave match"] = over.labelling.match
    return ChangeOutputs(
        tables=tables,
        sheets=sheets,
        sections=[change_section(over, result.lsoa)],
        aliases=change_aliases(over.waves[0], over.waves[-1]),
        meanings=_meanings(over),
        manifest=over.describe(),
    )
