"""The one-page summary: ``<out>/report.html``.

A single self-contained HTML file (inline CSS, figures inlined as base64 PNG, no scripts,
no external requests) written for councillors and colleagues who will not open the
tables: headline findings computed from the results, the six clusters in plain words,
the five most and least resilient wards with their values, the shortlist of flagged
LSOAs, a map, a scatter of hard data against prediction, the cluster profiles, model
checks, caveats, sources and attribution. It prints on A4 (print styles included); print
to PDF from the browser to share it as a PDF.

Every string that comes from the data (names, codes, reasons, sources) is HTML-escaped.
"""

from __future__ import annotations

import html
import math
from collections.abc import Mapping, Sequence
from pathlib import Path

import pandas as pd

from ..clusters import CLUSTERS
from ..schema import DISAGREE, HARD_WORSE, PREDICTED_WORSE
from ._about import ATTRIBUTION, OGL_URL, About, normalise_about
from ._frames import plain_table, require
from ._html import THEME_CSS
from ._plots import FLAG_STYLE, map_figure, png_data_uri, profile_figure, scatter_figure
from ._summary import Summary, rank_overlap, summarise
from .ranks import RANK_RULE

__all__ = ["fmt_pct", "fmt_score", "write_report"]

_N_WARDS = 5
#: Share of ward pairs with overlapping score intervals above which ranks "mean little".
_RANKS_MEAN_LITTLE = 0.5
_MAX_FLAGGED_ROWS = 20
_DIAGNOSTIC_LABELS = {
    "n_respondents": "Survey respondents used",
    "n_excluded": "Respondents left out (missing answers or zero weight)",
    "kmo": "Kaiser-Meyer-Olkin sampling adequacy (0-1; above 0.6 is adequate)",
    "bartlett_p": "Bartlett's test of sphericity, p-value (small = items correlate)",
    "label_match": "Match of the clusters to the six profiles (1 = perfect)",
    "stability_ari": "Cluster stability over bootstrap refits (adjusted Rand index; 1 = identical)",
    "n_boot": "Bootstrap replicates",
}


def fmt_pct(x: float, digits: int = 1) -> str:
    """A share as a percentage: ``0.2834`` → ``'28.3%'``; missing → ``'n/a'``.

    Examples
    --------
    >>> fmt_pct(0.2834), fmt_pct(float("nan"))
    ('28.3%', 'n/a')
    """
    return "n/a" if _missing(x) else f"{100 * float(x):.{digits}f}%"


def fmt_score(x: float) -> str:
    """A score with two decimals: ``-0.1234`` → ``'-0.12'``; missing → ``'n/a'``.

    Examples
    --------
    >>> fmt_score(-0.1234), fmt_score(0.5)
    ('-0.12', '0.50')
    """
    if _missing(x):
        return "n/a"
    text = f"{float(x):.2f}"
    return "0.00" if text == "-0.00" else text


def write_report(
    path: str | Path,
    *,
    title: str,
    oa: pd.DataFrame | None,
    lsoa: pd.DataFrame,
    ward: pd.DataFrame,
    flags: pd.DataFrame,
    profiles: pd.DataFrame | None = None,
    diagnostics: Mapping[str, object] | None = None,
    about: Mapping[str, object] | None = None,
    evidence: Mapping[str, object] | None = None,
    extra_sections: Sequence[str] = (),
) -> Path:
    """Write the one-page HTML summary of a run.

    Parameters
    ----------
    path : str or Path
        The HTML file to write (its folder is created).
    title : str
        Page title, e.g. the config's ``title``.
    oa : DataFrame or None
        OA results; used for the number of OAs and where each cluster is the largest.
    lsoa : DataFrame or GeoDataFrame
        LSOA results with ``lsoa_code``, the six ``share_<cluster>`` columns and
        ``resilience_score``; ``population``, ``hard_index``, ``flag``, ``lsoa_name`` and
        ``ward_code`` are used when present. With polygon geometry the page has a map.
    ward : DataFrame or GeoDataFrame
        Ward results with ``ward_code`` and ``resilience_score`` (``ward_name``,
        ``population``, ``hard_index``, ``n_lsoa``, ``n_flagged`` when present); ward
        polygons are drawn as outlines on the map.
    flags : DataFrame
        The flagged shortlist (rows whose ``flag`` is ``agree`` are ignored).
    profiles : DataFrame, optional
        Cluster centroids, clusters x constructs (``SurveyModel.profiles_``); drawn as
        a heatmap when given.
    diagnostics : mapping, optional
        Model checks to list (``n_respondents``, ``kmo``, ``stability_ari`` … any
        scalar values).
    about : mapping, optional
        Run metadata, sources and caveats (keys in :mod:`resilience.outputs._about`).
    evidence : mapping, optional
        How far the figures can be trusted (``Result.evidence``): ``interval_method``,
        ``gap_moran``, ``classification_value`` and ``sensitivity`` (a DataFrame), each
        stated in words where it belongs.
    extra_sections : sequence of str, optional
        More ``<section>`` HTML placed before the diagnostics (e.g. the change over time
        section of :mod:`resilience.outputs.change`).

    Returns
    -------
    Path
        ``path``.

    Raises
    ------
    InputDataError
        If a results table lacks a column the page needs.
    """
    info = normalise_about(about, title=title)
    summary = summarise(oa, lsoa, ward)
    require(flags, ["lsoa_code"], table="flags")
    ev = dict(evidence or {})
    body = "\n".join(
        [
            _header(info),
            _howto(info, ev),
            _headlines(summary, diagnostics, ev),
            _clusters(summary),
            _figures(lsoa, ward, profiles),
            _wards(summary),
            _flagged(flags, lsoa, ward, info, ev),
            _sensitivity(ev),
            *extra_sections,
            _diagnostics(diagnostics),
            _caveats(info),
            _sources(info),
        ]
    )
    page = _PAGE.format(title=_e(info.title), css=_CSS, body=body)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(page, encoding="utf-8")
    return path


# --- sections ---------------------------------------------------------------------------


def _header(info: About) -> str:
    meta = " · ".join(
        _e(f"{k}: {v}") for k, v in info.metadata.items() if k in ("Created (UTC)", "Run id")
    )
    notices = "".join(
        f'<p class="notice" role="alert">{_e(v)}</p>'
        for k, v in info.metadata.items()
        if k.startswith("Notice")
    )
    return (
        f"{notices}<header><h1>{_e(info.title)}</h1>"
        f'<p class="sub">Community resilience: one-page summary{" · " + meta if meta else ""}'
        "</p></header>"
    )


def _howto(info: About, ev: Mapping[str, object]) -> str:
    items = [
        "Each area gets a <b>predicted</b> share of adults in six resilience clusters, "
        + (
            "estimated from a national survey by who lives there (a model of respondents' "
            "characteristics applied to the area's Census 2021 population). "
            if info.metadata.get("Estimation route", "").startswith("mrp")
            else "estimated from a national survey through the area's classification. "
        )
        + "<b>Predicted, not measured.</b>",
        "<b>Resilience score</b> = share in the three asset clusters minus share in the "
        "three vulnerability clusters. It runs from -1 to 1; <b>higher = more resilient</b>; "
        "0 means assets and vulnerabilities balance.",
        "<b>Hard-data index</b>: the average of the local deprivation indicators, each "
        "standardised within the area; <b>higher = more need</b>, 0 = local average.",
        "<b>Quintiles</b> are within this area: 1 = least need, 5 = most need. An LSOA is "
        f"<b>flagged</b> when its predicted and hard-data quintiles differ by "
        f"{info.quintile_gap} or more.",
        f"<b>Ward ranks</b>: {_e(RANK_RULE)}",
        f"Ranges shown as intervals are {_e(_pct_label(info.interval))} bootstrap intervals"
        + (f" ({_e(ev['interval_method'])})." if ev.get("interval_method") else "."),
        "<b>Index</b> (tables and GeoPackage): 100 × an area's share ÷ the survey's share "
        "nationally, so 100 = the national average; <b>bands</b>: well below (under 80), "
        "below (80-95), around average (95-105, or whenever the interval covers 100), above "
        "(105-120), well above (over 120).",
    ]
    lis = "".join(f"<li>{i}</li>" for i in items)
    return f'<section class="howto"><h2>How to read this</h2><ul>{lis}</ul></section>'


def _headlines(
    s: Summary, diagnostics: Mapping[str, object] | None, ev: Mapping[str, object]
) -> str:
    shares = s.shares.dropna().sort_values(ascending=False)
    labels = {c.key: c.label for c in CLUSTERS}
    items = []
    balance = (
        "asset clusters outweigh vulnerability clusters"
        if s.score > 0
        else "vulnerability clusters outweigh asset clusters"
        if s.score < 0
        else "assets and vulnerabilities balance"
    )
    weight = "population-weighted" if s.weighted else "all LSOAs weighted equally"
    items.append(
        f"The area's resilience score is <b>{fmt_score(s.score)}</b> (scale -1 to 1, "
        f"{weight}): {balance}. Asset clusters together hold <b>{fmt_pct(s.asset_share)}</b> "
        f"of adults, vulnerability clusters <b>{fmt_pct(s.vulnerability_share)}</b>."
    )
    if len(shares):
        top, bottom = shares.index[0], shares.index[-1]
        items.append(
            f"Largest cluster: <b>{_e(labels[top])}</b>, <b>{fmt_pct(shares.iloc[0])}</b> of "
            f"adults. Smallest: <b>{_e(labels[bottom])}</b>, "
            f"<b>{fmt_pct(shares.iloc[-1])}</b>."
        )
    if s.flag_counts:
        n_flag = sum(s.flag_counts[f] for f in DISAGREE)
        items.append(
            f"<b>{n_flag}</b> of {s.n_lsoa} LSOAs are flagged for a closer look: "
            f"<b>{s.flag_counts[PREDICTED_WORSE]}</b> where the prediction shows more need "
            f"than the hard data, <b>{s.flag_counts[HARD_WORSE]}</b> where the hard data "
            "show more need than the prediction."
        )
    value = ev.get("classification_value")
    if isinstance(value, Mapping) and value.get("log_loss_gain") is not None:
        from ..models.validation import NEAR_ZERO_GAIN, gain_sentence

        gain = float(value["log_loss_gain"])  # type: ignore[arg-type]
        sentence = gain_sentence(gain)
        warn = " <b>The maps mostly show the survey average.</b>" if gain < NEAR_ZERO_GAIN else ""
        items.append(
            f"How much the classification tells: <b>{_e(sentence)}</b> (cross-validated "
            f"log-loss {float(value['classification_log_loss']):.3f} against "  # type: ignore[arg-type]
            f"{float(value['baseline_log_loss']):.3f} for the survey-wide shares)." + warn
        )
    if s.correlation is not None:
        items.append(
            "Predicted vulnerability and the hard-data index have a rank correlation of "
            f"<b>{s.correlation:.2f}</b> across LSOAs (1 = the same order; "
            "near 1 means the prediction adds little beyond the hard data)."
        )
    if len(s.wards):
        lowest = s.wards.head(3)
        names = ", ".join(
            f"<b>{_e(_ward_label(r))}</b> ({fmt_score(r['resilience_score'])})"
            for _, r in lowest.iterrows()
        )
        items.append(f"Lowest-scoring wards: {names}.")
    counts = [f"{s.n_ward} wards", f"{s.n_lsoa} LSOAs"]
    if s.n_oa is not None:
        counts.append(f"{s.n_oa} output areas")
    extra = ""
    if s.population is not None:
        extra = f" with a population of {s.population:,.0f}"
    n_resp = (diagnostics or {}).get("n_respondents")
    if n_resp is not None:
        extra += f", estimated from {_num(n_resp)} survey respondents"
    items.append(f"Coverage: {', '.join(counts)}{extra}.")
    lis = "".join(f"<li>{i}</li>" for i in items)
    return f'<section><h2>Headline findings</h2><ul class="headlines">{lis}</ul></section>'


def _clusters(s: Summary) -> str:
    where = "output areas" if s.n_oa is not None else "LSOAs"
    rows = []
    for c in CLUSTERS:
        kind = "Asset" if c.asset else "Vulnerability"
        rows.append(
            f'<tr><th scope="row">{_e(c.label)}</th><td>{kind}</td>'
            f"<td>{_e(c.description[0].upper() + c.description[1:])}.</td>"
            f'<td class="num">{fmt_pct(s.shares.get(c.key, float("nan")))}</td>'
            f'<td class="num">{int(s.largest_in.get(c.key, 0))}</td></tr>'
        )
    return (
        "<section><h2>The six resilience clusters</h2>"
        "<p>Survey respondents are grouped by how they answer questions on wellbeing, "
        "belonging, neighbourly solidarity, capability and stress. Three groups are "
        "assets for a community, three are vulnerabilities.</p>"
        '<table class="clusters"><thead><tr><th scope="col">Cluster</th>'
        '<th scope="col">Type</th><th scope="col">What it means</th>'
        '<th scope="col">Share of adults here</th>'
        f'<th scope="col">Largest cluster in (number of {where})</th></tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table></section>"
    )


def _figures(lsoa: pd.DataFrame, ward: pd.DataFrame, profiles: pd.DataFrame | None) -> str:
    figures = []
    fig = map_figure(lsoa, ward)
    if fig is not None:
        figures.append(
            _figure(
                png_data_uri(fig),
                "Map of LSOAs coloured by predicted resilience score, with ward boundaries "
                "and flagged LSOAs outlined",
                "Resilience score by LSOA (predicted, not measured). Flagged LSOAs are "
                "outlined; black lines are ward boundaries. " + _e(ATTRIBUTION) + ".",
            )
        )
    fig = scatter_figure(lsoa)
    if fig is not None:
        figures.append(
            _figure(
                png_data_uri(fig),
                "Scatter plot of LSOAs: hard-data need index against predicted vulnerability, "
                "marked by flag",
                "Each point is an LSOA. Points far from the general trend are where the "
                "prediction and the hard data disagree; flagged LSOAs are marked by colour "
                "and shape.",
            )
        )
    if profiles is not None and len(profiles):
        figures.append(
            _figure(
                png_data_uri(profile_figure(profiles)),
                "Heatmap of the six cluster profiles across the five constructs",
                "What each cluster looks like: the average of its members on each construct, "
                "in standard deviations from the survey mean (stress: higher = more stress).",
            )
        )
    if not figures:
        return ""
    return (
        f'<section><h2>Map and charts</h2><div class="figures">{"".join(figures)}</div></section>'
    )


def _figure(uri: str, alt: str, caption: str) -> str:
    return f'<figure><img src="{uri}" alt="{_e(alt)}"><figcaption>{caption}</figcaption></figure>'


def _wards(s: Summary) -> str:
    w = s.wards
    n = len(w)
    intro = f"<p>Rank among {n} wards by resilience score. {_e(RANK_RULE)}</p>"
    if n == 0:
        return "<section><h2>Wards</h2><p>No ward has a resilience score.</p></section>"
    overlap = rank_overlap(w)
    if overlap is not None:
        if overlap >= _RANKS_MEAN_LITTLE:
            intro += (
                f'<p class="caution"><b>The ranks mean little:</b> the score intervals of '
                f"{fmt_pct(overlap, 0)} of ward pairs overlap, so most wards cannot be told "
                "apart. Read the plausible ranks, not the rank.</p>"
            )
        else:
            intro += (
                f"<p>The score intervals of {fmt_pct(overlap, 0)} of ward pairs overlap; "
                "plausible ranks show how far each ward's rank could move.</p>"
            )
    if n <= 2 * _N_WARDS:
        table = _ward_table(w, f"All {n} wards, least resilient first")
    else:
        most = w.iloc[::-1].head(_N_WARDS)
        least = w.head(_N_WARDS)
        table = (
            '<div class="pair">'
            + _ward_table(most, f"{_N_WARDS} most resilient wards")
            + _ward_table(least, f"{_N_WARDS} least resilient wards")
            + "</div>"
        )
    return f'<section class="wards"><h2>Wards</h2>{intro}{table}</section>'


def _ward_table(w: pd.DataFrame, caption: str) -> str:
    has = set(w.columns)
    head = ["Rank", "Ward", "Code", "Resilience score"]
    if "rank_lo" in has:
        head.insert(1, "Plausible ranks")
    if "hard_index" in has:
        head.append("Hard-data index")
    if "population" in has:
        head.append("Population")
    if "n_flagged" in has:
        head.append("Flagged LSOAs")
    rows = []
    for _, r in w.iterrows():
        cells = [f'<td class="num">{int(r["rank"])}</td>']
        if "rank_lo" in has:
            cells.append(f'<td class="num">{int(r["rank_lo"])}-{int(r["rank_hi"])}</td>')
        cells += [
            f'<th scope="row">{_e(r.get("ward_name", "") or "")}</th>',
            f'<td class="code">{_e(r["ward_code"])}</td>',
            f'<td class="num">{fmt_score(r["resilience_score"])}</td>',
        ]
        if "hard_index" in has:
            cells.append(f'<td class="num">{fmt_score(r["hard_index"])}</td>')
        if "population" in has:
            cells.append(f'<td class="num">{_num(r["population"])}</td>')
        if "n_flagged" in has:
            of = f" of {_num(r['n_lsoa'])}" if "n_lsoa" in has else ""
            cells.append(f'<td class="num">{_num(r["n_flagged"])}{of}</td>')
        rows.append(f"<tr>{''.join(cells)}</tr>")
    heads = "".join(f'<th scope="col">{h}</th>' for h in head)
    return (
        f"<table><caption>{_e(caption)}</caption><thead><tr>{heads}</tr></thead>"
        f"<tbody>{''.join(rows)}</tbody></table>"
    )


def _moran_sentence(ev: Mapping[str, object]) -> str:
    moran = ev.get("gap_moran")
    if not isinstance(moran, Mapping) or moran.get("moran_i") is None:
        return ""
    i, p = float(moran["moran_i"]), float(moran["p_value"])  # type: ignore[arg-type]
    if moran.get("significant"):
        return (
            f" Disagreement clusters in space (global Moran's I of the gap {i:.2f}, "
            f"p = {p:.3f}): flagged LSOAs tend to sit next to each other."
        )
    return (
        f" <b>Disagreement does not cluster</b> in space (global Moran's I of the gap {i:.2f}, "
        f"p = {p:.2f}): flagged LSOAs are scattered, as chance would scatter them."
    )


def _flagged(
    flags: pd.DataFrame,
    lsoa: pd.DataFrame,
    ward: pd.DataFrame,
    info: About,
    ev: Mapping[str, object] | None = None,
) -> str:
    ev = ev or {}
    f = plain_table(flags, table="flags")
    if "flag" in f.columns:
        f = f[f["flag"].astype("string").isin(DISAGREE).fillna(False)]
    f = _with_names(f, lsoa, ward)
    heading = "<h2>Flagged LSOAs: the shortlist for review</h2>"
    if f.empty:
        return (
            f"<section>{heading}<p>No LSOA is flagged: the predicted and hard-data quintiles "
            f"differ by less than {info.quintile_gap} everywhere.{_moran_sentence(ev)}</p>"
            "</section>"
        )
    # the shortlist keeps the order of flags.csv (most confident, then largest gap, first)
    shown = f.head(_MAX_FLAGGED_ROWS)
    rows = []
    for _, r in shown.iterrows():
        flag = str(r.get("flag", ""))
        style = FLAG_STYLE.get(flag)
        confidence = fmt_pct(r["flag_confidence"], 0) if "flag_confidence" in r else ""
        if "flag_strength" in r and isinstance(r["flag_strength"], str):
            confidence = f"{confidence} ({_e(r['flag_strength'])})"
        quintiles = f"{_value(r, 'predicted_quintile', int)} / {_value(r, 'hard_quintile', int)}"
        cells = [
            f'<th scope="row">{_e(_value(r, "lsoa_name"))}</th>',
            f'<td class="code">{_e(r["lsoa_code"])}</td>',
            f"<td>{_e(_value(r, 'ward_name'))}</td>",
            f'<td class="flag-{_e(flag)}">{_e(style["text"] if style else flag)}</td>',
            f'<td class="num">{_e(quintiles)}</td>',
            f'<td class="num">{confidence}</td>',
            f"<td>{_e(_value(r, 'flag_reason'))}</td>",
        ]
        rows.append(f"<tr>{''.join(cells)}</tr>")
    head = [
        "LSOA",
        "Code",
        "Ward",
        "Direction",
        "Quintile: predicted / hard (5 = most need)",
        "Confidence (strength)",
        "Indicators driving the difference",
    ]
    heads = "".join(f'<th scope="col">{h}</th>' for h in head)
    more = ""
    if len(f) > len(shown):
        more = f"<p>And {len(f) - len(shown)} more: see <code>tables/flags.csv</code>.</p>"
    strength = ""
    if "flag_strength" in f.columns:
        n_strong = int((f["flag_strength"] == "strong").sum())
        strength = (
            f" <b>{n_strong}</b> of the {len(f)} flags are <b>strong</b> (confidence at least "
            f"{fmt_pct(info.min_confidence, 0)}) and listed first; the others are "
            "<b>possible</b>."
        )
    return (
        f"<section>{heading}<p>Where the prediction and the hard data disagree by "
        f"{info.quintile_gap} or more quintiles. Confidence is the share of bootstrap "
        "replicates giving the same flag. A flag is a reason to look, not a finding."
        f"{strength}{_moran_sentence(ev)}</p>"
        f'<table class="flagged"><thead><tr>{heads}</tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table>{more}</section>"
    )


def _sensitivity(ev: Mapping[str, object]) -> str:
    table = ev.get("sensitivity")
    if not isinstance(table, pd.DataFrame) or table.empty:
        return ""
    rows = "".join(
        f'<tr><th scope="row">{_e(r["variant"])}</th>'
        f'<td class="num">{fmt_pct(r["oa_dominant_changed"], 0)}</td>'
        f'<td class="num">{fmt_pct(r["oa_band_changed"], 0)}</td>'
        f'<td class="num">{fmt_pct(r["lsoa_flag_changed"], 0)}</td></tr>'
        for _, r in table.iterrows()
    )
    return (
        "<section><h2>Sensitivity: what changes under other choices</h2>"
        "<p>The model refitted under each choice below; shares of areas whose result "
        "changes (<code>model/sensitivity.csv</code>). Large shares mean that result "
        "depends on the choice more than on the data.</p>"
        '<table><thead><tr><th scope="col">Choice</th><th scope="col">OAs: dominant cluster '
        'changes</th><th scope="col">OAs: a band changes</th><th scope="col">LSOAs: flag '
        f"changes</th></tr></thead><tbody>{rows}</tbody></table></section>"
    )


def _with_names(f: pd.DataFrame, lsoa: pd.DataFrame, ward: pd.DataFrame) -> pd.DataFrame:
    """Add lsoa_name, ward_code and ward_name from the LSOA and ward tables when missing."""
    f = f.copy()
    for col in ("lsoa_name", "ward_code"):
        if col not in f.columns and col in lsoa.columns:
            f[col] = f["lsoa_code"].map(
                lsoa.drop_duplicates("lsoa_code").set_index("lsoa_code")[col]
            )
    if "ward_name" not in f.columns and "ward_code" in f.columns and "ward_name" in ward.columns:
        names = ward.drop_duplicates("ward_code").set_index("ward_code")["ward_name"]
        f["ward_name"] = f["ward_code"].map(names)
    return f


def _diagnostics(diagnostics: Mapping[str, object] | None) -> str:
    if not diagnostics:
        return ""
    rows = "".join(
        f'<tr><th scope="row">{_e(_DIAGNOSTIC_LABELS.get(k, k.replace("_", " ")))}</th>'
        f'<td class="num">{_e(_num(v))}</td></tr>'
        for k, v in diagnostics.items()
        if not isinstance(v, Mapping | list | tuple)
    )
    return f'<section><h2>Model checks</h2><table class="checks">{rows}</table></section>'


def _caveats(info: About) -> str:
    lis = "".join(f"<li>{_e(c)}</li>" for c in info.caveats)
    return f'<section class="caveats"><h2>Caveats</h2><ol>{lis}</ol></section>'


def _sources(info: About) -> str:
    sources = "".join(f"<li>{_e(s)}</li>" for s in info.sources) or (
        "<li>Not recorded for this run.</li>"
    )
    meta = "".join(
        f'<tr><th scope="row">{_e(k)}</th><td>{_e(v)}</td></tr>' for k, v in info.metadata.items()
    )
    return (
        '<section class="sources"><h2>Data sources and attribution</h2>'
        f"<ul>{sources}</ul>"
        f'<p class="attribution">{_e(ATTRIBUTION)}. Licence: Open Government Licence v3.0, '
        f"{_e(OGL_URL)}</p>"
        f'<table class="meta">{meta}</table></section>'
    )


# --- helpers ----------------------------------------------------------------------------


def _e(value: object) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def _missing(x: object) -> bool:
    try:
        return x is None or x is pd.NA or math.isnan(float(x))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return True


def _num(x: object) -> str:
    """Counts with thousands separators, other numbers with two decimals, text as is."""
    if isinstance(x, (bool, str)):
        return str(x)
    if _missing(x):
        return "n/a"
    v = float(x)  # type: ignore[arg-type]
    return f"{v:,.0f}" if v.is_integer() else f"{v:,.2f}"


def _value(row: pd.Series, col: str, cast=str) -> str:
    v = row.get(col)
    if v is None or (_missing(v) and not isinstance(v, str)):
        return ""
    return str(cast(v))


def _ward_label(row: pd.Series) -> str:
    name = row.get("ward_name")
    return str(name) if isinstance(name, str) and name else str(row["ward_code"])


def _pct_label(x: float) -> str:
    return f"{x * 100:g}%"


_PAGE = """<!DOCTYPE html>
<html lang="en-GB">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>{css}</style>
</head>
<body>
<main>
{body}
</main>
</body>
</html>
"""

_CSS = (
    THEME_CSS
    + """
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, Arial, sans-serif;
  color: var(--ink); margin: 0; line-height: 1.4; font-size: 15px; }
main { max-width: 62rem; margin: 0 auto; padding: 1rem 1.2rem 2rem; }
h1 { font-size: 1.6rem; margin: 0.2rem 0; color: var(--accent); }
h2 { font-size: 1.15rem; margin: 1.2rem 0 0.4rem; border-bottom: 2px solid var(--line);
  padding-bottom: 0.15rem; }
.sub { color: var(--muted); margin: 0 0 0.6rem; }
.howto { background: var(--band); border-left: 4px solid var(--accent);
  padding: 0.2rem 1rem 0.4rem; }
.howto h2 { border: 0; margin-top: 0.5rem; }
ul, ol { padding-left: 1.3rem; margin: 0.3rem 0; }
.headlines li { margin-bottom: 0.25rem; }
table { border-collapse: collapse; width: 100%; margin: 0.3rem 0 0.6rem; font-size: 0.9em; }
caption { text-align: left; font-weight: 600; padding: 0.2rem 0; }
th, td { border-bottom: 1px solid var(--line); padding: 0.25rem 0.4rem; text-align: left;
  vertical-align: top; }
thead th { background: var(--band); }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
.code { font-family: ui-monospace, Consolas, monospace; font-size: 0.9em; color: var(--muted); }
.pair { display: grid; grid-template-columns: repeat(auto-fit, minmax(32rem, 1fr)); gap: 1rem; }
.figures { display: grid; grid-template-columns: repeat(auto-fit, minmax(18rem, 1fr));
  gap: 0.8rem; }
figure { margin: 0; }
figure img { width: 100%; height: auto; border: 1px solid var(--line); }
figcaption { font-size: 0.82em; color: var(--muted); }
.flag-predicted_worse { border-left: 4px solid #E69F00; }
.flag-hard_worse { border-left: 4px dashed #0072B2; }
.checks th { width: 70%; font-weight: normal; }
.caution { border-left: 4px solid #b35900; padding-left: 0.5rem; }
.caveats li, .sources li { margin-bottom: 0.15rem; }
.notice { background: #fde8e8; border: 2px solid #b00020; color: #600010; padding: 0.5rem;
  font-weight: bold; }
.attribution { font-size: 0.9em; }
.meta { width: auto; font-size: 0.8em; color: var(--muted); }
.meta th { font-weight: normal; }
@media (max-width: 40rem) { .pair { grid-template-columns: 1fr; } }
@page { size: A4; margin: 11mm; }
@media print {
  body { font-size: 8pt; line-height: 1.3; }
  main { max-width: none; padding: 0; }
  h1 { font-size: 15pt; }
  h2 { font-size: 11pt; margin-top: 0.6rem; }
  table { font-size: 7.5pt; }
  th, td { padding: 0.1rem 0.3rem; }
  .figures { grid-template-columns: repeat(3, 1fr); }
  .caveats ol, .howto ul { column-count: 2; column-gap: 1.2rem; }
  .caveats li, .howto li { break-inside: avoid; }
  figure, .howto, .pair, table.clusters, table.checks, tr { break-inside: avoid; }
  thead { display: table-header-group; }
  h2 { break-after: avoid; }
}
"""
)
