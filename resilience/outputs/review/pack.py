"""The review pack: ``<out>/review/`` — one printable page per flagged LSOA.

``index.html`` lists the shortlist (strong flags first, then possible ones, then the
LSOAs explained at a recent review, apart), each linked to its page
``lsoa/<code>.html``; ``all.html`` holds every page in order, to print the whole pack in
one go; ``reviews_template.csv`` is the shortlist as an empty review log. A page is a
desk-review profile on one A4 sheet: a map of the LSOA with its output areas, the flags
around it and the assets near it; the hard indicators against the study area (value,
z-score, rank, in words); the predicted cluster mix with intervals (and the national
index when the run has one); with several survey waves, how its score and shares changed
from the earliest to the latest wave, in words, with intervals and whether each is a real
change; why it is flagged and how sure; its ward's figures; its review history; and
empty fields for visit notes.

Without ``flag_strength`` (a run made before flags had a strength) every flag counts as
possible. Every string from the data is HTML-escaped; pages have no scripts and load
nothing from the network.
"""

from __future__ import annotations

import html
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from ...clusters import CLUSTERS
from ...inputs.reviews import OUTCOMES, review_template
from ...schema import REVIEW_OUTCOME_LABELS
from .._html import THEME_CSS
from .._plots import FLAG_STYLE
from ..tables import write_csv
from ._map import LsoaMaps

__all__ = ["NEAR_METRES", "PackInputs", "change_words", "pack_order", "write_review_pack"]

#: Assets within this distance of an LSOA's boundary are listed as near it.
NEAR_METRES = 400.0
_MAX_NAMED_ASSETS = 12
_STRENGTHS = ("strong", "possible")
_OUTCOME_WORDS = REVIEW_OUTCOME_LABELS


@dataclass
class PackInputs:
    """What the pack is made from (the layers and evidence of a run).

    Attributes
    ----------
    title : str
    oa, lsoa, ward : GeoDataFrame
        The run's layers (EPSG:27700).
    flags : DataFrame
        The shortlist (flags.csv).
    area : Series
        The whole study area's shares.
    indicators : sequence of (column, label, higher_is)
        The hard indicators as configured.
    assets : GeoDataFrame or None
    reviews : DataFrame or None
        The review log as read.
    explained : sequence of str
        LSOAs explained at a recent review (listed apart).
    interval : float
        Level of the intervals.
    notices : sequence of str
        Warnings every output repeats (a trial run on a synthetic survey, chance-level
        flags), shown at the top of the index and of every page.
    waves : (str, str), optional
        The earliest and latest survey wave of a run over several waves: each page then
        says how the LSOA's score and shares changed between them (the ``change_``
        columns of the LSOA layer).
    """

    title: str
    oa: gpd.GeoDataFrame
    lsoa: gpd.GeoDataFrame
    ward: gpd.GeoDataFrame
    flags: pd.DataFrame
    area: pd.Series
    indicators: Sequence[tuple[str, str, str]]
    assets: gpd.GeoDataFrame | None = None
    reviews: pd.DataFrame | None = None
    explained: Sequence[str] = ()
    interval: float = 0.9
    notices: Sequence[str] = ()
    waves: tuple[str, str] | None = None


def pack_order(flags: pd.DataFrame, explained: Sequence[str] = ()) -> dict[str, list[str]]:
    """LSOA codes of the pack by section: ``strong``, ``possible``, ``explained``.

    Within a section the shortlist's own order is kept.

    Examples
    --------
    >>> flags = pd.DataFrame({"lsoa_code": ["A", "B", "C"],
    ...                       "flag_strength": ["possible", "strong", "strong"]})
    >>> pack_order(flags, explained=["C"])
    {'strong': ['B'], 'possible': ['A'], 'explained': ['C']}
    >>> pack_order(flags.drop(columns="flag_strength"))
    {'strong': [], 'possible': ['A', 'B', 'C'], 'explained': []}
    """
    strength = _strength(flags)
    apart = set(explained)
    out: dict[str, list[str]] = {s: [] for s in (*_STRENGTHS, "explained")}
    for code, s in zip(flags["lsoa_code"], strength, strict=True):
        out["explained" if code in apart else s].append(code)
    return out


def _strength(flags: pd.DataFrame) -> list[str]:
    if "flag_strength" not in flags:
        return ["possible"] * len(flags)
    return [s if s in _STRENGTHS else "possible" for s in flags["flag_strength"].astype(str)]


def write_review_pack(folder: str | Path, pack: PackInputs) -> dict[str, Path]:
    """Write ``index.html``, ``all.html``, one page per flagged LSOA and the template.

    Returns
    -------
    dict of str to Path
        ``review_index``, ``review_all``, ``review_template`` and ``review_<code>`` per
        page.
    """
    folder = Path(folder)
    (folder / "lsoa").mkdir(parents=True, exist_ok=True)
    order = pack_order(pack.flags, pack.explained)
    lsoa = pack.lsoa.set_index("lsoa_code", drop=False)
    stats = _indicator_stats(lsoa, pack.indicators)
    categories = (
        sorted(pack.assets["category"].astype(str).unique()) if pack.assets is not None else []
    )
    flags = pack.flags.set_index("lsoa_code", drop=False)
    strength = dict(zip(pack.flags["lsoa_code"], _strength(pack.flags), strict=True))
    paths: dict[str, Path] = {}
    sections = []
    geo = _slim(pack)
    maps = LsoaMaps(geo.lsoa, geo.oa, geo.assets, categories)
    paged = list(dict.fromkeys(code for codes in order.values() for code in codes))
    # a ward without a code matches no LSOA; a repeated one, its first row (as before)
    wards = geo.ward.dropna(subset=["ward_code"]).drop_duplicates("ward_code")
    rows = _Rows(
        lsoa=_records(lsoa, paged),
        flags=_records(flags, paged),
        stats={col: _records(table, paged) for col, table in stats.items()},
        ward=wards.set_index("ward_code", drop=False).to_dict("index"),
    )
    for section, codes in order.items():
        for code in codes:
            body = _page(code, section, rows, strength, geo, maps)
            sections.append(body)
            p = folder / "lsoa" / f"{code}.html"
            p.write_text(
                _document(f"{rows.lsoa[code]['lsoa_name']} — review", body, "../"),
                encoding="utf-8",
            )
            paths[f"review_{code}"] = p
    paths["review_all"] = folder / "all.html"
    paths["review_all"].write_text(
        _document(f"{pack.title}: review pack", "\n".join(sections), ""), encoding="utf-8"
    )
    paths["review_index"] = folder / "index.html"
    paths["review_index"].write_text(_index(pack, order, rows), encoding="utf-8")
    template = review_template(pack.flags)
    paths["review_template"] = write_csv(template, folder / "reviews_template.csv")
    return paths


@dataclass
class _Rows:
    """The rows a page reads, as plain dicts by code (a page reads a few dozen values of
    each, which a dict gives at once and a row of a wide frame slowly: London's 506
    pages spent a third of their time selecting rows)."""

    lsoa: dict[str, dict[str, Any]]
    flags: dict[str, dict[str, Any]]
    stats: dict[str, dict[str, dict[str, Any]]]  # hard indicator -> LSOA -> its figures
    ward: dict[str, dict[str, Any]]


def _records(frame: pd.DataFrame, codes: list[str]) -> dict[str, dict[str, Any]]:
    """Rows ``codes`` of ``frame`` (indexed by code) as dicts."""
    return frame.loc[codes].to_dict("index")


def _slim(pack: PackInputs) -> PackInputs:
    """The pack with its layers cut to the columns the pages look up row by row.

    Each page selects its LSOA, OAs, neighbours and ward by code; on the full layers
    (a hundred and more columns) every selection copies them all, which made London's
    506 pages take 15 s of the 17 s the pack took.
    """
    ward_cols = [
        "ward_code", "ward_name", "population", "resilience_score", "resilience_score_lo",
        "resilience_score_hi", "hard_index", "n_flagged", "n_lsoa",
    ]  # fmt: skip
    lsoa_cols = ["lsoa_code", "lsoa_name", "ward_code", "flag", "geometry"]
    ward = pd.DataFrame(pack.ward[[c for c in ward_cols if c in pack.ward]])
    ward["_need_rank"] = (-pd.to_numeric(ward["resilience_score"], errors="coerce")).rank(
        ascending=False, method="min"
    )
    return replace(
        pack,
        lsoa=pack.lsoa[[c for c in lsoa_cols if c in pack.lsoa]],
        oa=pack.oa[[c for c in ("oa_code", "lsoa_code", "geometry") if c in pack.oa]],
        ward=ward,
    )


# ------------------------------------------------------------------------ the pages
def _index(pack: PackInputs, order, rows: _Rows) -> str:
    heads = {
        "strong": "Strong flags (visit first)",
        "possible": "Possible flags",
        "explained": "Explained at a recent review (kept apart from the new flags)",
    }
    parts = [
        _notices(pack),
        f"<h1>{_e(pack.title)}: review pack</h1>",
        "<p class='sub'>One page per flagged LSOA, for a desk review or a site visit. Print "
        "a page from the browser (A4), or <a href='all.html'>every page at once</a>. Record "
        "what reviews find in the review log, starting from <a href='reviews_template.csv'>"
        "reviews_template.csv</a>; the next run shows it.</p>",
    ]
    for section, codes in order.items():
        parts.append(f"<h2>{heads[section]} ({len(codes)})</h2>")
        if not codes:
            none = "None."
            if section == "strong" and "flag_strength" not in pack.flags:
                none = (
                    "None: this run gives flags no strength, so every flag is listed as possible."
                )
            parts.append(f"<p class='sub'>{none}</p>")
            continue
        lines = []
        for code in codes:
            f = rows.flags[code]
            lines.append(
                "<tr>"
                f"<td><a href='lsoa/{_e(code)}.html'>{_e(rows.lsoa[code]['lsoa_name'])}</a> "
                f"<span class='code'>{_e(code)}</span></td>"
                f"<td>{_e(f.get('ward_name', ''))}</td>"
                f"<td>{_e(FLAG_STYLE.get(str(f['flag']), {}).get('text', f['flag']))}</td>"
                f"<td class='num'>{_pct(f.get('flag_confidence'), 0)}</td>"
                f"<td>{_e(_review_words(f))}</td></tr>"
            )
        parts.append(
            "<table><thead><tr><th>LSOA</th><th>Ward</th><th>Flag</th><th>Confidence</th>"
            f"<th>Last review</th></tr></thead><tbody>{''.join(lines)}</tbody></table>"
        )
    return _document(f"{pack.title}: review pack", "\n".join(parts), "", page_class="index")


def _page(code, section, rows: _Rows, strength, pack: PackInputs, maps: LsoaMaps) -> str:
    row, f = rows.lsoa[code], rows.flags[code]
    head = (
        _notices(pack)
        + f"<header><h1>{_e(row['lsoa_name'])} <span class='code'>{_e(code)}</span></h1>"
        f"<p class='sub'>Ward: {_e(f.get('ward_name', row.get('ward_code', '')))} · "
        f"{_e(pack.title)} · {_section_words(section)}</p></header>"
    )
    map_uri = maps.uri(code)
    left = (
        f"<figure><img src='{map_uri}' alt='Map of {_e(row['lsoa_name'])}, its output areas, "
        "the flags of the LSOAs around it and the assets near it'></figure>"
        + _neighbours(code, pack.lsoa, maps)
        + _assets_near(code, pack)
    )
    right = _why(f, row, strength.get(code, "possible"), pack) + _indicators(code, rows.stats)
    right += _clusters(row, pack)
    change = _change(row, pack)
    bottom = (
        change
        + "<div class='cols'>"
        + _ward(row, rows.ward)
        + _history(code, pack.reviews)
        + "</div>"
        # the change section takes a note line, to keep the page on one A4 sheet
        + _visit_notes(4 if change else 5)
    )
    return (
        f"<section class='page' id='{_e(code)}'>{head}<div class='grid'><div>{left}</div>"
        f"<div>{right}</div></div>{bottom}</section>"
    )


def _notices(pack: PackInputs) -> str:
    return "".join(f"<p class='notice' role='alert'>{_e(t)}</p>" for t in pack.notices)


def _section_words(section: str) -> str:
    return {
        "strong": "strong flag",
        "possible": "possible flag",
        "explained": "explained at a recent review",
    }[section]


def _why(f: Mapping[str, Any], row: Mapping[str, Any], strength: str, pack: PackInputs) -> str:
    flag = str(f["flag"])
    text = FLAG_STYLE.get(flag, {}).get("text", flag)
    conf = f.get("flag_confidence")
    reason = str(f.get("flag_reason") or "")
    score = (
        f"{_num(row.get('resilience_score'))} ({_num(row.get('resilience_score_lo'))} to "
        f"{_num(row.get('resilience_score_hi'))})"
    )
    sure = (
        f"{_pct(conf, 0)} of bootstrap replicates of the prediction give the same flag"
        if not _missing(conf)
        else "confidence not known"
    )
    items = [
        f"<li><b>{_e(text)}</b> — a <b>{_e(strength)}</b> flag; {_e(sure)}.</li>",
        f"<li>Predicted need quintile {_int(f.get('predicted_quintile'))}, hard-data need "
        f"quintile {_int(f.get('hard_quintile'))} (1 = least need, 5 = most in the study "
        f"area): a gap of {_int(f.get('gap'))}.</li>",
        f"<li>{_e(reason[:1].upper() + reason[1:]) if reason else 'No reason recorded'}.</li>",
        f"<li>Resilience score {score} (higher = more resilient; "
        f"{round(100 * pack.interval)}% interval).</li>",
    ]
    if "gap_cluster" in row and not _missing(row["gap_cluster"]):
        items.append(f"<li>Gap among its neighbours: {_e(row['gap_cluster'])}.</li>")
    if "assets_total" in row and not _missing(row["assets_total"]):
        items.append(
            f"<li>{_int(row['assets_total'])} community asset(s) recorded in it "
            f"({_num(row.get('assets_per_1000'))} per 1,000 residents).</li>"
        )
    return f"<h2>Why it is flagged, and how sure</h2><ul class='why'>{''.join(items)}</ul>"


def _indicator_stats(lsoa: pd.DataFrame, indicators) -> dict[str, pd.DataFrame]:
    out = {}
    for column, label, higher_is in indicators:
        if column not in lsoa:
            continue
        v = pd.to_numeric(lsoa[column], errors="coerce")
        sd = v.std(ddof=0)
        z = (v - v.mean()) / sd if sd > 0 else v * 0.0
        need = z if higher_is == "worse" else -z
        rank = need.rank(ascending=False, method="min")
        out[column] = pd.DataFrame(
            {"value": v, "z": z, "need": need, "rank": rank, "n": int(v.notna().sum())}
        ).assign(label=label, higher_is=higher_is, mean=v.mean())
    return out


def _need_words(need: float) -> str:
    if _missing(need):
        return "no value"
    if need >= 1:
        return "much more need than the study-area average"
    if need >= 0.5:
        return "more need than average"
    if need > -0.5:
        return "close to the study-area average"
    if need > -1:
        return "less need than average"
    return "much less need than the study-area average"


def _indicators(code: str, stats: Mapping[str, Mapping[str, Mapping[str, Any]]]) -> str:
    rows = []
    for table in stats.values():
        r = table[code]
        rows.append(
            f"<tr><td>{_e(r['label'])}</td><td class='num'>{_num(r['value'], 3)}</td>"
            f"<td class='num'>{_num(r['mean'], 3)}</td><td class='num'>{_num(r['z'])}</td>"
            f"<td class='num'>{_int(r['rank'])} of {int(r['n'])}</td>"
            f"<td>{_e(_need_words(r['need']))}</td></tr>"
        )
    return (
        "<h2>Hard indicators against the study area</h2><table><thead><tr><th>Indicator</th>"
        "<th>Value</th><th>Area mean</th><th>z-score</th><th>Rank (1 = most need)</th>"
        f"<th>In words</th></tr></thead><tbody>{''.join(rows)}</tbody></table>"
    )


def _clusters(row: Mapping[str, Any], pack: PackInputs) -> str:
    has_index = any(f"index_{c.key}" in row for c in CLUSTERS)
    rows = []
    for c in CLUSTERS:
        s = f"share_{c.key}"
        cells = (
            f"<td>{_e(c.label)}</td><td class='num'>{_pct(row.get(s))}</td>"
            f"<td class='num'>{_pct(row.get(s + '_lo'))} to {_pct(row.get(s + '_hi'))}</td>"
            f"<td class='num'>{_pct(pack.area.get(s))}</td>"
        )
        if has_index:
            band = row.get(f"band_{c.key}", "")
            cells += (
                f"<td class='num'>{_num(row.get(f'index_{c.key}'), 0)}</td>"
                f"<td class='band'>{_e('' if _missing(band) else band)}</td>"
            )
        rows.append(f"<tr>{cells}</tr>")
    extra = "<th>National index (100 = survey)</th><th>Band</th>" if has_index else ""
    return (
        "<h2>Predicted cluster mix</h2><table><thead><tr><th>Cluster</th><th>Share</th>"
        f"<th>{round(100 * pack.interval)}% interval</th><th>Study area</th>{extra}</tr></thead>"
        f"<tbody>{''.join(rows)}</tbody></table>"
    )


def change_words(
    change: float, lo: float, hi: float, what: str, kind: str, interval: float | None = None
) -> str:
    """A change with its interval, in words, and whether it is a real change.

    ``kind`` is ``"share"`` (written in percentage points) or ``"score"``; ``interval``
    (e.g. 0.9) is named in the text when given.

    Examples
    --------
    >>> change_words(-0.08, -0.14, -0.02, "resilience score", "score", 0.9)
    'resilience score fell by 0.08 (90% interval −0.14 to −0.02): a real change'
    >>> change_words(0.012, -0.01, 0.03, "Isolation", "share")
    'Isolation rose by 1.2 points (−1.0 to +3.0): may be no change'
    >>> change_words(-0.0004, -0.02, 0.019, "Competence", "share")
    'Competence barely changed (−2.0 to +1.9): may be no change'
    """
    if _missing(change):
        return f"{what}: no estimate of its change"

    def signed(x: float) -> str:
        text = f"{abs(x) * 100:.1f}" if kind == "share" else f"{abs(x):.2f}"
        if float(text) == 0:
            return text
        return ("−" if x < 0 else "+") + text

    size = f"{abs(change) * 100:.1f} points" if kind == "share" else f"{abs(change):.2f}"
    verb = "rose by" if change > 0 else "fell by"
    head = f"{what} {verb} {size}" if float(size.split()[0]) else f"{what} barely changed"
    level = "" if interval is None else f"{round(100 * interval)}% interval "
    verdict = "a real change" if lo > 0 or hi < 0 else "may be no change"
    return f"{head} ({level}{signed(lo)} to {signed(hi)}): {verdict}"


def _change(row: Mapping[str, Any], pack: PackInputs) -> str:
    """How the LSOA's score and shares changed: the score in a sentence, the shares in
    two columns (the page has room for little more than seven short lines)."""
    if pack.waves is None or _missing(row.get("change_resilience_score")):
        return ""

    def words(col: str, what: str, kind: str, interval: float | None) -> str:
        c = f"change_{col}"
        text = change_words(row[c], row.get(f"{c}_lo"), row.get(f"{c}_hi"), what, kind, interval)
        return _e(text[:1].upper() + text[1:]) + "."

    score = words("resilience_score", "resilience score", "score", pack.interval)
    shares = "".join(
        f"<li>{words(f'share_{c.key}', c.label, 'share', None)}</li>"
        for c in CLUSTERS
        if f"change_share_{c.key}" in row
    )
    first, last = pack.waves
    return (
        f"<h2>Change, {_e(first)} to {_e(last)} <span class='sub'>(predicted; shares in "
        f"percentage points; {round(100 * pack.interval)}% intervals; real where the "
        "interval excludes 0)</span></h2>"
        f"<p class='small change'>{score}</p><ul class='small change'>{shares}</ul>"
    )


def _neighbours(code: str, lsoa: gpd.GeoDataFrame, maps: LsoaMaps) -> str:
    around = maps.neighbours(code)
    if not len(around):
        return "<h2>Neighbours</h2><p class='sub'>No LSOA shares a boundary with it.</p>"
    names = lsoa["lsoa_name"].to_numpy()
    items = []
    for i in around:
        flag = maps.flags[i]
        words = FLAG_STYLE.get(flag, {}).get("text", flag)
        items.append(
            f"<li>{_e(names[i])} <span class='code'>{_e(maps.codes[i])}</span>: {_e(words)}</li>"
        )
    flagged = int(np.isin(maps.flags[around], ["predicted_worse", "hard_worse"]).sum())
    return (
        f"<h2>Neighbours ({flagged} of {len(around)} flagged)</h2>"
        f"<ul class='small'>{''.join(items)}</ul>"
    )


def _assets_near(code: str, pack: PackInputs) -> str:
    if pack.assets is None:
        return ""
    me = pack.lsoa.loc[pack.lsoa["lsoa_code"] == code, "geometry"].iloc[0]
    pts = pack.assets
    inside = pts["lsoa_code"] == code
    near = ~inside & (pts.distance(me) <= NEAR_METRES).to_numpy()
    if not (inside | near).any():
        return (
            f"<h2>Assets</h2><p class='sub'>None recorded in it or within {NEAR_METRES:.0f} m.</p>"
        )
    table = pd.DataFrame({"category": pts["category"].astype(str), "inside": inside, "near": near})
    counts = table.groupby("category")[["inside", "near"]].sum()
    counts = counts[(counts["inside"] + counts["near"]) > 0]
    rows = "".join(
        f"<tr><td>{_e(cat)}</td><td class='num'>{int(r['inside'])}</td>"
        f"<td class='num'>{int(r['near'])}</td></tr>"
        for cat, r in counts.iterrows()
    )
    named = pts[inside & pts["name"].astype(str).str.len().gt(0)].head(_MAX_NAMED_ASSETS)
    names = ", ".join(_e(n) for n in named["name"])
    return (
        f"<h2>Assets</h2><table><thead><tr><th>Category</th><th>In it</th><th>Within "
        f"{NEAR_METRES:.0f} m</th></tr></thead><tbody>{rows}</tbody></table>"
        + (f"<p class='small'>In it: {names}.</p>" if names else "")
    )


def _ward(row: Mapping[str, Any], wards: Mapping[str, Mapping[str, Any]]) -> str:
    w = wards.get(row.get("ward_code"))  # type: ignore[arg-type]
    if w is None:
        return "<div><h2>Its ward</h2><p class='sub'>Not known.</p></div>"
    rank = w["_need_rank"]
    items = [
        ("Ward", f"{_e(w.get('ward_name', ''))} <span class='code'>{_e(w['ward_code'])}</span>"),
        ("Population", _int(w.get("population"))),
        (
            "Resilience score",
            f"{_num(w.get('resilience_score'))} ({_num(w.get('resilience_score_lo'))}"
            f" to {_num(w.get('resilience_score_hi'))})",
        ),
        ("Rank by predicted need", f"{_int(rank)} of {len(wards)} (1 = least resilient)"),
        ("Hard-data index", _num(w.get("hard_index"))),
        ("Flagged LSOAs", f"{_int(w.get('n_flagged'))} of {_int(w.get('n_lsoa'))}"),
    ]
    body = "".join(f"<tr><th>{k}</th><td>{v}</td></tr>" for k, v in items)
    return f"<div><h2>Its ward</h2><table class='kv'>{body}</table></div>"


def _history(code: str, reviews: pd.DataFrame | None) -> str:
    if reviews is None:
        return "<div><h2>Review history</h2><p class='sub'>No review log configured.</p></div>"
    mine = reviews[reviews["lsoa_code"] == code]
    if not len(mine):
        return "<div><h2>Review history</h2><p class='sub'>Not reviewed before.</p></div>"
    rows = "".join(
        f"<tr><td class='num'>{r['date'].isoformat()}</td>"
        f"<td>{_e(_OUTCOME_WORDS[r['outcome']])}</td>"
        f"<td>{_e(r['reviewer'])}</td><td>{_e(r['note'])}</td></tr>"
        for _, r in mine.iloc[::-1].iterrows()
    )
    return (
        "<div><h2>Review history</h2><table><thead><tr><th>Date</th><th>Outcome</th>"
        f"<th>By</th><th>Note</th></tr></thead><tbody>{rows}</tbody></table></div>"
    )


def _visit_notes(n_lines: int = 5) -> str:
    boxes = " ".join(f"<span class='box'></span> {_e(o.replace('_', ' '))}" for o in OUTCOMES)
    lines = "".join("<div class='line'></div>" for _ in range(n_lines))
    return (
        "<h2>Visit notes</h2><div class='notes'><div class='fields'><span>Date: "
        "<span class='blank'></span></span><span>Visited by: <span class='blank'></span>"
        f"</span></div><p>Outcome: {boxes}</p><p>What we found:</p>{lines}</div>"
    )


def _review_words(f: Mapping[str, Any]) -> str:
    outcome = f.get("review_outcome")
    if _missing(outcome) or not outcome:
        return "not reviewed"
    return f"{str(outcome).replace('_', ' ')} ({f.get('last_review')})"


# ------------------------------------------------------------------------ formatting
def _e(value: object) -> str:
    return html.escape("" if _missing(value) else str(value), quote=True)


def _missing(x: object) -> bool:
    if x is None or x is pd.NA:
        return True
    try:
        return isinstance(x, (float, np.floating)) and math.isnan(x)
    except TypeError:
        return False


def _num(x: object, digits: int = 2) -> str:
    try:
        v = float(x)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return "n/a"
    if math.isnan(v):
        return "n/a"
    text = f"{v:,.{digits}f}"
    return text[1:] if text.startswith("-") and float(text[1:].replace(",", "")) == 0 else text


def _int(x: object) -> str:
    return _num(x, 0)


def _pct(x: object, digits: int = 1) -> str:
    try:
        v = float(x)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return "n/a"
    return "n/a" if math.isnan(v) else f"{100 * v:.{digits}f}%"


def _document(title: str, body: str, up: str, page_class: str = "pages") -> str:
    return (
        "<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<title>{_e(title)}</title><style>{_CSS}</style></head>"
        f"<body class='{page_class}'><main>{body}</main></body></html>\n"
    )


_CSS = (
    THEME_CSS
    + """
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, Arial, sans-serif;
  color: var(--ink); margin: 0; line-height: 1.35; font-size: 14px; }
main { max-width: 62rem; margin: 0 auto; padding: 1rem 1.2rem 2rem; }
h1 { font-size: 1.4rem; margin: 0.1rem 0; color: var(--accent); }
h2 { font-size: 1rem; margin: 0.7rem 0 0.3rem; border-bottom: 2px solid var(--line); }
.sub { color: var(--muted); margin: 0 0 0.4rem; }
.code { font-family: ui-monospace, Consolas, monospace; font-size: 0.85em; color: var(--muted); }
table { border-collapse: collapse; width: 100%; font-size: 0.88em; margin: 0.2rem 0; }
th, td { border-bottom: 1px solid var(--line); padding: 0.15rem 0.3rem; text-align: left;
  vertical-align: top; }
thead th { background: var(--band); }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
.kv th { font-weight: normal; color: var(--muted); width: 45%; }
.grid { display: grid; grid-template-columns: 19rem 1fr; gap: 1rem; }
.cols { display: grid; grid-template-columns: 1fr 1fr; gap: 1rem; }
figure { margin: 0; }
figure img { width: 100%; height: auto; border: 1px solid var(--line); }
ul { padding-left: 1.1rem; margin: 0.2rem 0; }
.small { font-size: 0.85em; }
.notes .fields { display: flex; gap: 2rem; }
.blank { display: inline-block; width: 12rem; border-bottom: 1px solid var(--ink); }
.box { display: inline-block; width: 0.8rem; height: 0.8rem; border: 1px solid var(--ink);
  margin: 0 0.2rem 0 0.8rem; vertical-align: middle; }
.line { border-bottom: 1px solid var(--line); height: 1.6rem; }
h2 .sub { font-weight: normal; font-size: 0.85em; }
.change { margin: 0; }
ul.change { display: grid; grid-template-columns: 1fr 1fr; column-gap: 1.6rem; }
td.band { white-space: nowrap; }
.notice { background: #fde8e8; border: 2px solid #b00020; color: #600010; padding: 0.3rem;
  font-weight: 600; margin: 0 0 0.4rem; }
.page { border-top: 3px solid var(--accent); padding-top: 0.4rem; margin-bottom: 2rem; }
@page { size: A4; margin: 10mm; }
@media print {
  body { font-size: 7.6pt; line-height: 1.25; }
  main { max-width: none; padding: 0; }
  h1 { font-size: 13pt; }
  h2 { font-size: 9pt; margin: 0.35rem 0 0.15rem; }
  .grid { grid-template-columns: 68mm 1fr; gap: 4mm; }
  .cols { gap: 4mm; }
  .page { break-after: page; margin: 0; border-top: 0; }
  .page:last-child { break-after: auto; }
  .line { height: 6.5mm; }
  table, tr, figure { break-inside: avoid; }
  a { color: inherit; text-decoration: none; }
}
"""
)
