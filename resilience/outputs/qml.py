"""QGIS layer styles (QML) for the GeoPackage layers.

A QML document is the XML QGIS writes with *Layer Properties → Style → Save Style*. The
functions here build the two kinds of style the deliverable needs — categories (dominant
cluster, disagreement flag) and graduated colour classes (resilience score, hard-data
index, cluster shares) — with plain ``SimpleFill`` symbols and readable field aliases, so a
layer opens in QGIS coloured, with a legend in words and attribute-table headers in words.
Both draw every feature: a feature with no value (missing, or suppressed by disclosure
control) is drawn grey as "No data / suppressed". Categories do that with QGIS's
empty-value ("all other values") category; graduated classes are written as the rules of a
rule-based renderer ending in an ``ELSE`` rule, because a QGIS graduated renderer does not
draw NULL values. Checked by loading and rendering the styles in QGIS 3.22.

The documents follow the QGIS 3 layout: ``<qgis styleCategories="Symbology|Fields">``
holding a ``<renderer-v2>`` and an ``<aliases>`` block. Symbol layer properties are written
both as an ``<Option type="Map">`` (read by QGIS 3.16 and later) and as ``<prop k v>``
elements (read by older 3.x releases), as QGIS 3.16–3.26 themselves write them.

Palettes are colour-blind safe: Paul Tol's "bright" qualitative scheme for the six
clusters (https://personal.sron.nl/~pault/) and ColorBrewer ramps (Cynthia Brewer,
https://colorbrewer2.org) for graduated styles and flags. Missing or suppressed values
are a neutral grey labelled "No data / suppressed".

Examples
--------
>>> qml = categorized_qml("flag", [("agree", "Agree", "#f7f7f7")])
>>> qml.startswith("<!DOCTYPE qgis")
True
>>> 'type="categorizedSymbol"' in qml
True
"""

from __future__ import annotations

import re
import warnings
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Mapping, Sequence
from itertools import pairwise

import mapclassify
import numpy as np
import pandas as pd

from ..clusters import CLUSTERS
from ..schema import (
    AGREE,
    HARD_WORSE,
    PREDICTED_WORSE,
    SURVEY_DISAGREEMENT_LABELS,
    SURVEY_DISAGREEMENTS,
    default_aliases,
)

__all__ = [
    "ASSET_COLOURS",
    "BIVARIATE_CATEGORIES",
    "CLUSTER_COLOURS",
    "DISAGREEMENT_CATEGORIES",
    "FLAG_CATEGORIES",
    "HARD_INDEX_RAMP",
    "NO_DATA_COLOUR",
    "NO_DATA_LABEL",
    "RESILIENCE_RAMP",
    "SHARE_RAMP",
    "asset_colours",
    "categorized_points_qml",
    "categorized_qml",
    "change_qml",
    "default_styles",
    "graduated_qml",
    "quantile_breaks",
    "range_labels",
    "single_qml",
]

#: QGIS version written into the ``<qgis>`` element.
QGIS_VERSION = "3.28.0-Firenze"

#: Fill colour and legend label of the category for missing or suppressed values.
NO_DATA_COLOUR = "#bbbbbb"
NO_DATA_LABEL = "No data / suppressed"

#: Paul Tol's "bright" qualitative colours, assets in cool hues, vulnerabilities in warm.
CLUSTER_COLOURS: dict[str, str] = {
    "low_wellbeing": "#ee6677",  # red
    "high_wellbeing": "#4477aa",  # blue
    "neighbourhood_support": "#228833",  # green
    "isolation": "#aa3377",  # purple
    "competence": "#66ccee",  # cyan
    "emotional_fragility": "#ccbb44",  # yellow
}

#: Disagreement flag categories: value, legend label, colour (ColorBrewer PuOr ends and
#: its light neutral middle).
FLAG_CATEGORIES: tuple[tuple[str, str, str], ...] = (
    (AGREE, "Agree", "#f7f7f7"),
    (PREDICTED_WORSE, "Prediction worse than hard data", "#e66101"),
    (HARD_WORSE, "Hard data worse than prediction", "#5e3c99"),
)

#: Bivariate classes (predicted-need tertile - hard-need tertile): value, legend label,
#: colour. Joshua Stevens' 3 x 3 scheme (red: predicted need, blue: hard-data need;
#: https://www.joshuastevens.net/cartography/make-a-bivariate-choropleth-map/).
BIVARIATE_CATEGORIES: tuple[tuple[str, str, str], ...] = tuple(
    (f"{p}-{h}", f"Predicted need {p} / hard need {h} (tertiles)", colour)
    for (p, h), colour in zip(
        [(p, h) for h in (1, 2, 3) for p in (1, 2, 3)],
        ["#e8e8e8", "#e4acac", "#c85a5a", "#b0d5df", "#ad9ea5", "#985356",
         "#64acbe", "#627f8c", "#574249"],
        strict=True,
    )
)  # fmt: skip

#: ColorBrewer RdBu, 5 classes, red (less resilient) to blue (more resilient).
RESILIENCE_RAMP: tuple[str, ...] = ("#ca0020", "#f4a582", "#f7f7f7", "#92c5de", "#0571b0")
#: ColorBrewer YlOrRd, 5 classes: light (less need) to dark red (more need).
HARD_INDEX_RAMP: tuple[str, ...] = ("#ffffb2", "#fecc5c", "#fd8d3c", "#f03b20", "#bd0026")
#: ColorBrewer PuBu, 5 classes, for cluster shares.
SHARE_RAMP: tuple[str, ...] = ("#f1eef6", "#bdc9e1", "#74a9cf", "#2b8cbe", "#045a8d")

_LIGHT_OUTLINE = "#ffffff"
_DARK_OUTLINE = "#636363"
_N_CLASSES = 5
_HEX = re.compile(r"^#?([0-9a-fA-F]{6})$")
# Characters XML 1.0 does not allow, even escaped.
_INVALID_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


# --------------------------------------------------------------------------- public API


def categorized_qml(
    field: str,
    categories: Sequence[tuple[object, str, str]],
    *,
    aliases: Mapping[str, str] | None = None,
    outline: str = _LIGHT_OUTLINE,
    no_data: bool = True,
) -> str:
    """Build a QML document that colours polygons by the categories of one field.

    Parameters
    ----------
    field : str
        The attribute holding the category values.
    categories : sequence of (value, label, colour)
        One entry per category, in legend order. ``colour`` is a hex string (``"#4477aa"``).
    aliases : mapping of str to str, optional
        Field name → readable name, written as QGIS field aliases.
    outline : str, default="#ffffff"
        Hex colour of the polygon outlines.
    no_data : bool, default=True
        Append a grey "No data / suppressed" category with the empty value, which QGIS
        uses for missing values and for any value not listed.

    Returns
    -------
    str
        The QML document.

    Examples
    --------
    >>> qml = categorized_qml("flag", [("agree", "Agree", "#f7f7f7")], aliases={"flag": "Flag"})
    >>> import xml.etree.ElementTree as ET
    >>> root = ET.fromstring(qml.split("\\n", 1)[1])
    >>> [c.get("label") for c in root.iter("category")]
    ['Agree', 'No data / suppressed']
    """
    entries = [(_value_text(v), str(label), colour) for v, label, colour in categories]
    if no_data:
        entries.append(("", NO_DATA_LABEL, NO_DATA_COLOUR))
    values = [v for v, _, _ in entries]
    if len(set(values)) != len(values):
        raise ValueError(f"Category values for field {field!r} must be unique; got {values}.")
    renderer = _categories(field, entries, lambda i, colour: _fill_symbol(i, colour, outline))
    _append_source_symbol(renderer, outline)
    _append_tail(renderer)
    return _document(renderer, aliases)


def categorized_points_qml(
    field: str,
    categories: Sequence[tuple[object, str, str]],
    *,
    aliases: Mapping[str, str] | None = None,
) -> str:
    """Build a QML document that draws points as circles coloured by one field's categories.

    Examples
    --------
    >>> qml = categorized_points_qml("category", [("Library", "Library", "#4477aa")])
    >>> 'class="SimpleMarker"' in qml and "<layerGeometryType>0<" in qml
    True
    """
    entries = [(_value_text(v), str(label), colour) for v, label, colour in categories]
    entries.append(("", NO_DATA_LABEL, NO_DATA_COLOUR))
    renderer = _categories(field, entries, _marker_symbol)
    source = ET.SubElement(renderer, "source-symbol")
    source.append(_marker_symbol("0", "#dddddd"))
    _append_tail(renderer)
    return _document(renderer, aliases, geometry_type="0")


def graduated_qml(
    field: str,
    breaks: Sequence[float],
    colours: Sequence[str],
    *,
    labels: Sequence[str] | None = None,
    aliases: Mapping[str, str] | None = None,
    outline: str = _DARK_OUTLINE,
    no_data: bool = True,
) -> str:
    """Build a QML document that colours polygons by classes of a numeric field.

    The classes are written as rules of a QGIS rule-based renderer, one rule per class
    and, last, an ``ELSE`` rule drawing every other feature (a missing or suppressed
    value) in grey as "No data / suppressed". A QGIS graduated renderer cannot do that:
    it does not draw a feature whose value is NULL.

    Parameters
    ----------
    field : str
        The numeric attribute.
    breaks : sequence of float
        Class edges, ``k + 1`` non-decreasing numbers: the first is the lowest value, the
        last the highest. The first class holds both its edges; each later class holds
        its upper edge but not its lower one, so every value is in one class only (as a
        QGIS graduated renderer assigns them).
    colours : sequence of str
        ``k`` hex colours, lowest class first.
    labels : sequence of str, optional
        ``k`` legend labels; default :func:`range_labels` of ``breaks``.
    aliases : mapping of str to str, optional
        Field name → readable name, written as QGIS field aliases.
    outline : str, default="#636363"
        Hex colour of the polygon outlines.
    no_data : bool, default=True
        Append the grey "No data / suppressed" ``ELSE`` rule.

    Returns
    -------
    str
        The QML document.

    Examples
    --------
    >>> qml = graduated_qml("score", [0.0, 0.5, 1.0], ["#f7f7f7", "#0571b0"])
    >>> import xml.etree.ElementTree as ET
    >>> root = ET.fromstring(qml.split("\\n", 1)[1])
    >>> [(r.get("label"), r.get("filter")) for r in root.iter("rule")]
    ... # doctest: +NORMALIZE_WHITESPACE
    [('0 to 0.5', '"score" >= 0.0 AND "score" <= 0.5'),
     ('0.5 to 1', '"score" > 0.5 AND "score" <= 1.0'),
     ('No data / suppressed', 'ELSE')]
    """
    edges = [float(b) for b in breaks]
    k = len(edges) - 1
    if k < 1 or not np.all(np.isfinite(edges)) or any(a > b for a, b in pairwise(edges)):
        raise ValueError(
            f"Breaks for field {field!r} must be at least two finite, non-decreasing "
            f"numbers; got {edges}."
        )
    if len(colours) != k:
        raise ValueError(f"{k} classes of field {field!r} need {k} colours; got {len(colours)}.")
    labels = list(labels) if labels is not None else range_labels(edges)
    if len(labels) != k:
        raise ValueError(f"{k} classes of field {field!r} need {k} labels; got {len(labels)}.")
    column = _quote_field(field)
    rules = [
        (
            f"{column} {'>=' if i == 0 else '>'} {edges[i]!r} AND {column} <= {edges[i + 1]!r}",
            str(labels[i]),
            colours[i],
        )
        for i in range(k)
    ]
    if no_data:
        rules.append(("ELSE", NO_DATA_LABEL, NO_DATA_COLOUR))
    return _rule_document(field, rules, outline, aliases)


def _rule_document(
    field: str,
    rules: Sequence[tuple[str, str, str]],
    outline: str,
    aliases: Mapping[str, str] | None,
) -> str:
    """A rule-based renderer document from (filter, label, colour) rules, in order."""
    renderer = _renderer("RuleRenderer", None)
    # Rule keys are fixed (QGIS would make random ones), so a style is the same every run.
    root = ET.SubElement(renderer, "rules", {"key": f"{_clean(str(field))}:rules"})
    symbols = ET.SubElement(renderer, "symbols")
    for i, (expression, label, colour) in enumerate(rules):
        ET.SubElement(
            root,
            "rule",
            {
                "key": f"{_clean(str(field))}:{i}",
                "symbol": str(i),
                "label": _clean(label),
                "filter": _clean(expression),
            },
        )
        symbols.append(_fill_symbol(str(i), colour, outline))
    return _document(renderer, aliases)


def single_qml(
    colour: str = "#dddddd",
    *,
    aliases: Mapping[str, str] | None = None,
    outline: str = _DARK_OUTLINE,
) -> str:
    """Build a QML document drawing every polygon with one fill, plus field aliases.

    Used for a layer that has none of the styled columns, so it still opens with
    readable field names.

    Examples
    --------
    >>> 'type="singleSymbol"' in single_qml()
    True
    """
    renderer = _renderer("singleSymbol", None)
    symbols = ET.SubElement(renderer, "symbols")
    symbols.append(_fill_symbol("0", colour, outline))
    _append_tail(renderer)
    return _document(renderer, aliases)


def quantile_breaks(values: object, k: int = _N_CLASSES) -> list[float] | None:
    """Class edges of up to ``k`` quantile classes (mapclassify ``Quantiles``).

    Returns ``k + 1`` edges from the minimum to the maximum, fewer when the values have
    fewer distinct levels, or ``None`` when there is no finite value.

    Examples
    --------
    >>> quantile_breaks([1.0, 2.0, 3.0, 4.0, 5.0], k=2)
    [1.0, 3.0, 5.0]
    >>> quantile_breaks([float("nan")]) is None
    True
    """
    y = pd.to_numeric(pd.Series(values, dtype="object"), errors="coerce").to_numpy(float)
    y = y[np.isfinite(y)]
    if y.size == 0:
        return None
    k = max(1, min(k, np.unique(y).size))
    with warnings.catch_warnings():
        # mapclassify warns when ties leave fewer than k classes; duplicates are dropped below.
        warnings.filterwarnings("ignore", message="Not enough unique values", category=UserWarning)
        # the function behind Quantiles(y, k).bins, without classifying every value and
        # computing fit statistics that are not used (4 times faster on 188,880 OAs)
        bins = np.asarray(mapclassify.classifiers.quantile(y, k=k), dtype=float)
    low = float(y.min())
    edges = [low, *(b for b in np.unique(bins).tolist() if b > low)]
    if len(edges) == 1:  # every value is the same
        edges.append(low)
    return edges


def range_labels(breaks: Sequence[float], *, percent: bool = False) -> list[str]:
    """Legend labels "lower to upper" with the fewest decimals that keep edges distinct.

    Examples
    --------
    >>> range_labels([-0.4123, -0.1, 0.25])
    ['-0.41 to -0.1', '-0.1 to 0.25']
    >>> range_labels([0.1, 0.104, 0.3], percent=True)
    ['10% to 10.4%', '10.4% to 30%']
    """
    edges = np.asarray(breaks, dtype=float) * (100.0 if percent else 1.0)
    distinct = np.unique(edges).size
    decimals = 0 if percent else 2
    while decimals < 6 and np.unique(np.round(edges, decimals)).size < distinct:
        decimals += 1
    unit = "%" if percent else ""
    text = [_number(e, decimals) + unit for e in edges]
    return [f"{lo} to {hi}" for lo, hi in pairwise(text)]


def default_styles(
    layer: str,
    frame: pd.DataFrame,
    aliases: Mapping[str, str] | None = None,
) -> list[tuple[str, str, bool]]:
    """The QGIS styles of one output layer, the default first.

    Parameters
    ----------
    layer : str
        ``"oa"``, ``"lsoa"`` or ``"ward"`` (another name gets a generic set).
    frame : DataFrame
        The layer's data; styles whose column is absent or entirely missing are skipped
        and graduated classes are quantiles of the layer's own values.
    aliases : mapping of str to str, optional
        Field aliases; default :func:`resilience.schema.default_aliases` of the
        frame's columns.

    Returns
    -------
    list of (style_name, qml, is_default)
        ``oa``: "Dominant cluster" (default), "Resilience score"; ``lsoa``: "Disagreement
        flag" (default), "Resilience score", "Hard index", "Bivariate: predicted x hard
        need" (nine categories); ``ward``: "Resilience score"
        (default), "Hard index"; each followed by one "Share: <cluster>" style per
        cluster share column. Exactly one entry is the default; a frame with none of the
        styled columns gets a single-colour "Outline" style.

    Examples
    --------
    >>> import pandas as pd
    >>> frame = pd.DataFrame({"ward_code": ["E05000001", "E05000002"],
    ...                       "resilience_score": [-0.1, 0.2]})
    >>> [(name, default) for name, _, default in default_styles("ward", frame)]
    [('Resilience score', True)]
    """
    columns = [c for c in frame.columns if c != _geometry_name(frame)]
    if aliases is None:
        aliases = default_aliases(columns)
    field_aliases = {c: aliases[c] for c in columns if c in aliases}
    builders = {
        "dominant_cluster": ("Dominant cluster", _dominant_style),
        "flag": ("Disagreement flag", _flag_style),
        "bivariate": ("Bivariate: predicted x hard need", _bivariate_style),
        "resilience_score": ("Resilience score", _resilience_style),
        "hard_index": ("Hard index", _hard_style),
    }
    if layer == "assets" and "category" in frame.columns:
        return [("Asset category", _asset_style(frame["category"], field_aliases), True)]
    if layer == "validation" and "disagreement" in frame.columns:
        qml = categorized_qml("disagreement", DISAGREEMENT_CATEGORIES, aliases=field_aliases)
        return [("Survey against prediction", qml, True)]
    order = _STYLE_ORDER.get(layer, _STYLE_ORDER[""])
    styles: list[tuple[str, str]] = []
    for column in order:
        if column in frame.columns and frame[column].notna().any():
            name, build = builders[column]
            qml = build(frame[column], field_aliases)
            if qml is not None:
                styles.append((name, qml))
    for cluster in CLUSTERS:
        column = f"share_{cluster.key}"
        if column in frame.columns:
            qml = _graduated_for(frame[column], SHARE_RAMP, field_aliases, percent=True)
            if qml is not None:
                styles.append((f"Share: {cluster.label}", qml))
    styles += _change_styles(frame, field_aliases)
    if not styles:
        styles.append(("Outline", single_qml(aliases=field_aliases)))
    return [(name, qml, i == 0) for i, (name, qml) in enumerate(styles)]


#: ColorBrewer RdBu, 4 classes: falls in red, rises in blue (resilience score change).
CHANGE_SCORE_RAMP: tuple[str, ...] = ("#ca0020", "#f4a582", "#92c5de", "#0571b0")
#: ColorBrewer PuOr, 4 classes, for changes in cluster shares (falls orange, rises purple).
CHANGE_SHARE_RAMP: tuple[str, ...] = ("#e66101", "#fdb863", "#b2abd2", "#5e3c99")
#: Fill and legend label of changes whose interval includes 0.
NOT_SIGNIFICANT = ("#e0e0e0", "No significant change (interval includes 0)")


def change_qml(
    field: str,
    values: object,
    colours: Sequence[str] = CHANGE_SCORE_RAMP,
    *,
    significant: str | None = None,
    bounds: tuple[str, str] | None = None,
    percent: bool = False,
    aliases: Mapping[str, str] | None = None,
) -> str | None:
    """A diverging style centred on 0 for a change column; non-significant changes grey.

    Classes are symmetric about 0 (edges at ±m and ±m/2, m the largest absolute change),
    so the middle break is always 0: falls take the first half of ``colours``, rises the
    second. A feature whose change is not significant — ``significant`` is false, or its
    interval ``bounds`` (``_lo``, ``_hi`` fields) includes 0 — is drawn light grey, and a
    feature with no value in the "No data / suppressed" grey. Returns None when every
    value is missing.

    Examples
    --------
    >>> qml = change_qml("change_resilience_score", [-0.2, 0.1, 0.05],
    ...                  significant="change_significant")
    >>> import xml.etree.ElementTree as ET
    >>> root = ET.fromstring(qml.split("\\n", 1)[1])
    >>> [r.get("label") for r in root.iter("rule")][:3]
    ['No significant change (interval includes 0)', '-0.2 to -0.1', '-0.1 to 0']
    """
    v = pd.to_numeric(pd.Series(values, dtype=object), errors="coerce").dropna()
    if v.empty:
        return None
    m = float(v.abs().max()) or 1e-9
    k = len(colours)
    edges = [float(e) for e in np.linspace(-m, m, k + 1)]
    column = _quote_field(field)
    quiet = None
    if significant is not None:
        quiet = f"{_quote_field(significant)} = false"
    elif bounds is not None:
        lo, hi = (_quote_field(b) for b in bounds)
        quiet = f"{lo} <= 0 AND {hi} >= 0"
    rules: list[tuple[str, str, str]] = []
    if quiet is not None:
        rules.append((quiet, NOT_SIGNIFICANT[1], NOT_SIGNIFICANT[0]))
    labels = range_labels(edges, percent=percent)
    for i in range(k):
        op = ">=" if i == 0 else ">"
        rules.append(
            (
                f"{column} {op} {edges[i]!r} AND {column} <= {edges[i + 1]!r}",
                labels[i],
                colours[i],
            )
        )
    rules.append(("ELSE", NO_DATA_LABEL, NO_DATA_COLOUR))
    if quiet is not None:
        # QGIS applies every matching rule: the classes must skip the grey features
        rules = [rules[0]] + [
            (f"({e}) AND NOT ({quiet})", lab, col) if e != "ELSE" else (e, lab, col)
            for e, lab, col in rules[1:]
        ]
    return _rule_document(field, rules, _DARK_OUTLINE, aliases)


def _change_styles(frame: pd.DataFrame, aliases: Mapping[str, str]) -> list[tuple[str, str]]:
    """Change styles of a layer with change columns (runs over several survey waves): the
    resilience score, every share and every national index, each diverging about 0."""
    out: list[tuple[str, str]] = []
    score = "change_resilience_score"
    if score in frame.columns:
        known = "change_significant" in frame.columns and frame["change_significant"].notna().any()
        sig = "change_significant" if known else None
        qml = change_qml(score, frame[score], significant=sig, aliases=aliases)
        if qml is not None:
            out.append(("Change: Resilience score", qml))
    kinds = (("change_share_", "", True), ("change_index_", " index", False))
    for prefix, suffix, percent in kinds:
        for cluster in CLUSTERS:
            column = f"{prefix}{cluster.key}"
            if column not in frame.columns:
                continue
            bounds = (f"{column}_lo", f"{column}_hi")
            qml = change_qml(
                column,
                frame[column],
                CHANGE_SHARE_RAMP,
                bounds=bounds if set(bounds) <= set(frame.columns) else None,
                percent=percent,
                aliases=aliases,
            )
            if qml is not None:
                out.append((f"Change: {cluster.label}{suffix}", qml))
    return out


# ------------------------------------------------------------------- default style set

_STYLE_ORDER: dict[str, tuple[str, ...]] = {
    "oa": ("dominant_cluster", "resilience_score"),
    "lsoa": ("flag", "resilience_score", "hard_index", "bivariate"),
    "ward": ("resilience_score", "hard_index"),
    "": ("resilience_score", "flag", "dominant_cluster", "hard_index"),
}


def _dominant_style(values: pd.Series, aliases: Mapping[str, str]) -> str:
    present = set(values.dropna().astype(str))
    labels = {c.label for c in CLUSTERS}
    keys = {c.key for c in CLUSTERS}
    # The column normally holds cluster keys; accept labels too.
    use_labels = bool(present) and present <= labels and not present <= keys
    categories = [
        (c.label if use_labels else c.key, c.label, CLUSTER_COLOURS[c.key]) for c in CLUSTERS
    ]
    return categorized_qml(values.name, categories, aliases=aliases)


#: Resident survey against the prediction (ColorBrewer PuOr ends, as the flags): value,
#: legend label, colour.
DISAGREEMENT_CATEGORIES: tuple[tuple[str, str, str], ...] = tuple(
    (value, SURVEY_DISAGREEMENT_LABELS[value], colour)
    for value, colour in zip(SURVEY_DISAGREEMENTS, ("#e66101", "#5e3c99", "#f7f7f7"), strict=True)
)

#: Paul Tol's "muted" qualitative colours for asset categories (cycled).
ASSET_COLOURS: tuple[str, ...] = ("#332288", "#117733", "#cc6677", "#88ccee", "#999933",
                                  "#aa4499", "#44aa99", "#882255", "#ddcc77")  # fmt: skip


def asset_colours(categories: Iterable[object]) -> dict[str, str]:
    """Colour of each asset category (sorted, :data:`ASSET_COLOURS` cycled), as the
    GeoPackage style and the HTML maps draw them.

    Examples
    --------
    >>> asset_colours(["Library", "Café"])
    {'Café': '#332288', 'Library': '#117733'}
    """
    present = sorted({str(c) for c in categories})
    return {c: ASSET_COLOURS[i % len(ASSET_COLOURS)] for i, c in enumerate(present)}


def _asset_style(values: pd.Series, aliases: Mapping[str, str]) -> str:
    colours = asset_colours(values.dropna())
    categories = [(v, v, colour) for v, colour in colours.items()]
    return categorized_points_qml(str(values.name), categories, aliases=aliases)


def _flag_style(values: pd.Series, aliases: Mapping[str, str]) -> str:
    return categorized_qml(values.name, FLAG_CATEGORIES, aliases=aliases, outline=_DARK_OUTLINE)


def _bivariate_style(values: pd.Series, aliases: Mapping[str, str]) -> str:
    return categorized_qml(values.name, BIVARIATE_CATEGORIES, aliases=aliases)


def _resilience_style(values: pd.Series, aliases: Mapping[str, str]) -> str | None:
    return _graduated_for(values, RESILIENCE_RAMP, aliases)


def _hard_style(values: pd.Series, aliases: Mapping[str, str]) -> str | None:
    return _graduated_for(values, HARD_INDEX_RAMP, aliases)


def _graduated_for(
    values: pd.Series, ramp: Sequence[str], aliases: Mapping[str, str], *, percent: bool = False
) -> str | None:
    breaks = quantile_breaks(values, len(ramp))
    if breaks is None:
        return None
    k = len(breaks) - 1
    if k == 1:
        colours = [ramp[len(ramp) // 2]]
    else:
        colours = [ramp[int(i)] for i in np.round(np.linspace(0, len(ramp) - 1, k))]
    return graduated_qml(
        str(values.name),
        breaks,
        colours,
        labels=range_labels(breaks, percent=percent),
        aliases=aliases,
    )


# ------------------------------------------------------------------------ XML helpers


def _categories(field: str, entries: Sequence[tuple[str, str, str]], symbol) -> ET.Element:
    """A categorized renderer: one category per ``(value, label, colour)`` and its symbol."""
    renderer = _renderer("categorizedSymbol", field)
    cats = ET.SubElement(renderer, "categories")
    symbols = ET.SubElement(renderer, "symbols")
    for i, (value, label, colour) in enumerate(entries):
        ET.SubElement(
            cats,
            "category",
            {"value": _clean(value), "label": _clean(label), "symbol": str(i), "render": "true"},
        )
        symbols.append(symbol(str(i), colour))
    return renderer


def _quote_field(name: str) -> str:
    """A field name as a QGIS expression column reference (``"name"``, ``"`` doubled)."""
    return '"' + str(name).replace('"', '""') + '"'


def _renderer(kind: str, field: str | None) -> ET.Element:
    attrs = {
        "type": kind,
        "symbollevels": "0",
        "forceraster": "0",
        "enableorderby": "0",
        "referencescale": "-1",
    }
    if field is not None:
        attrs["attr"] = _clean(str(field))
    return ET.Element("renderer-v2", attrs)


def _document(
    renderer: ET.Element, aliases: Mapping[str, str] | None, geometry_type: str = "2"
) -> str:
    root = ET.Element("qgis", {"version": QGIS_VERSION, "styleCategories": "Symbology|Fields"})
    root.append(renderer)
    if aliases:
        block = ET.SubElement(root, "aliases")
        # QGIS matches aliases by field name; the index counts the GeoPackage fid as 0.
        for i, (field, name) in enumerate(aliases.items(), start=1):
            ET.SubElement(
                block, "alias", {"field": _clean(str(field)), "index": str(i), "name": _clean(name)}
            )
    ET.SubElement(root, "layerGeometryType").text = geometry_type  # 0 point, 2 polygon
    ET.indent(root, space="  ")
    body = ET.tostring(root, encoding="unicode")
    return "<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>\n" + body + "\n"


def _fill_symbol(name: str, colour: str, outline: str) -> ET.Element:
    return _symbol("fill", "SimpleFill", name, {
        "border_width_map_unit_scale": "3x:0,0,0,0,0,0",
        "color": _rgba(colour),
        "joinstyle": "bevel",
        "offset": "0,0",
        "offset_map_unit_scale": "3x:0,0,0,0,0,0",
        "offset_unit": "MM",
        "outline_color": _rgba(outline),
        "outline_style": "solid",
        "outline_width": "0.2",
        "outline_width_unit": "MM",
        "style": "solid",
    })  # fmt: skip


def _marker_symbol(name: str, colour: str) -> ET.Element:
    return _symbol("marker", "SimpleMarker", name, {
        "angle": "0",
        "color": _rgba(colour),
        "name": "circle",
        "offset": "0,0",
        "offset_unit": "MM",
        "outline_color": _rgba("#ffffff"),
        "outline_style": "solid",
        "outline_width": "0.3",
        "outline_width_unit": "MM",
        "scale_method": "diameter",
        "size": "2.6",
        "size_unit": "MM",
    })  # fmt: skip


def _symbol(kind: str, layer_class: str, name: str, props: Mapping[str, str]) -> ET.Element:
    symbol = ET.Element(
        "symbol",
        {"type": kind, "name": name, "alpha": "1", "clip_to_extent": "1", "force_rhr": "0"},
    )
    symbol.append(_data_defined())
    layer = ET.SubElement(
        symbol, "layer", {"class": layer_class, "enabled": "1", "locked": "0", "pass": "0"}
    )
    _append_props(layer, props)
    layer.append(_data_defined())
    return symbol


def _append_props(parent: ET.Element, props: Mapping[str, str]) -> None:
    option_map = ET.SubElement(parent, "Option", {"type": "Map"})
    for key, value in props.items():
        ET.SubElement(option_map, "Option", {"name": key, "type": "QString", "value": value})
    for key, value in props.items():
        ET.SubElement(parent, "prop", {"k": key, "v": value})


def _data_defined() -> ET.Element:
    element = ET.Element("data_defined_properties")
    option_map = ET.SubElement(element, "Option", {"type": "Map"})
    ET.SubElement(option_map, "Option", {"name": "name", "type": "QString", "value": ""})
    ET.SubElement(option_map, "Option", {"name": "properties"})
    ET.SubElement(option_map, "Option", {"name": "type", "type": "QString", "value": "collection"})
    return element


def _append_source_symbol(renderer: ET.Element, outline: str) -> None:
    source = ET.SubElement(renderer, "source-symbol")
    source.append(_fill_symbol("0", "#dddddd", outline))


def _append_tail(renderer: ET.Element) -> None:
    ET.SubElement(renderer, "rotation")
    ET.SubElement(renderer, "sizescale")


def _rgba(colour: str) -> str:
    match = _HEX.match(colour)
    if match is None:
        raise ValueError(f"Colours must be hex strings like '#4477aa'; got {colour!r}.")
    h = match.group(1)
    return ",".join(str(int(h[i : i + 2], 16)) for i in (0, 2, 4)) + ",255"


def _clean(text: str) -> str:
    """Remove characters XML 1.0 cannot carry; escaping is left to ElementTree."""
    return _INVALID_XML.sub("", text)


def _value_text(value: object) -> str:
    if isinstance(value, (bool, np.bool_)):
        return "1" if value else "0"
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    return str(value)


def _number(value: float, decimals: int) -> str:
    text = f"{value:.{decimals}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _geometry_name(frame: pd.DataFrame) -> str | None:
    geometry = getattr(frame, "geometry", None)
    return getattr(geometry, "name", None) if geometry is not None else None
