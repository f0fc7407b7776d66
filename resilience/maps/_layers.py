"""The map layers (one shown at a time) and the tooltip fields of each geography.

Cluster shares, the resilience score, its change over survey waves and the national
benchmark bands are drawn by output area (OA), where they are predicted; the hard-data
index, the flag, the gap cluster and the bivariate class by LSOA, where hard data exist.
Optional layers appear only when their column is in the frame. Classes are computed once
over the whole area and reused on every ward map, so the colours mean the same everywhere.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..clusters import CLUSTERS
from ..compare.benchmark import BAND_EDGES, BANDS
from ..errors import DataQualityWarning, format_examples
from ..outputs.qml import BIVARIATE_CATEGORIES, CHANGE_SCORE_RAMP, CHANGE_SHARE_RAMP
from ..schema import AGREE, ASSET_COLUMNS, HARD_WORSE, PREDICTED_WORSE
from ._classify import Classes, category_classes, change_classes, quantile_classes
from ._inputs import FLAGS, MapInputs
from ._palettes import PALETTES

__all__ = ["FLAG_LABELS", "LayerSpec", "build_layers", "class_index", "tooltip_fields"]

FLAG_LABELS = {
    HARD_WORSE: "Hard data show more need than predicted",
    AGREE: "Prediction and hard data agree",
    PREDICTED_WORSE: "Prediction shows more need than hard data",
}
_MAX_CATEGORIES = len(PALETTES["tol_muted"])


@dataclass(frozen=True)
class LayerSpec:
    """One choropleth layer.

    Attributes
    ----------
    id : str
        The column drawn (``share_isolation``, ``flag`` ...); also the layer's id in the page.
    geo : {"oa", "lsoa"}
        The geography it is drawn on.
    name : str
        Its name in the layer list.
    title, subtitle : str
        Legend heading and the line under it.
    kind : {"pct", "signed", "category"}
        How values are shown.
    classes : Classes
        Colours, legend labels and words.
    suffix : str
        Appended to the class word in tooltips ("very high" + " need").
    predicted : bool
        True for layers predicted from the survey (cluster shares, resilience score).
    significant : str, optional
        Change layers: the boolean column whose false values are drawn "no significant
        change", or :data:`BY_INTERVAL`: not significant where the ``<id>_lo`` to
        ``<id>_hi`` interval includes 0.
    """

    id: str
    geo: str
    name: str
    title: str
    subtitle: str
    kind: str
    classes: Classes
    suffix: str
    predicted: bool
    significant: str | None = None


def _share_layers(oa: pd.DataFrame) -> list[LayerSpec]:
    layers = []
    for c in CLUSTERS:
        col = f"share_{c.key}"
        role = "an asset" if c.asset else "a vulnerability"
        layers.append(
            LayerSpec(
                id=col,
                geo="oa",
                name=f"{c.label} (share, OA)",
                title=f"{c.label}: predicted share of residents",
                subtitle=f"By output area. {c.label} ({role}): {c.description}.",
                kind="pct",
                classes=quantile_classes(
                    oa[col].to_numpy(),
                    kind="pct",
                    palette="YlGnBu" if c.asset else "RdPu",
                    what="output areas",
                ),
                suffix=" share",
                predicted=True,
            )
        )
    return layers


def _gap_cluster_layer(lsoa: pd.DataFrame, clustering: str | None = None) -> LayerSpec | None:
    if "gap_cluster" not in lsoa.columns:
        return None
    values = lsoa["gap_cluster"]
    present = values[values.notna()].astype(str).str.strip()
    cats = sorted(c for c in present.unique() if c)
    if not cats:
        return None
    if len(cats) > _MAX_CATEGORIES:
        warnings.warn(
            f"Column 'gap_cluster' of the lsoa frame has {len(cats)} distinct values; the "
            f"maps can tell at most {_MAX_CATEGORIES} apart, so the layer was left out. "
            "The values still appear in the LSOA tooltips.",
            DataQualityWarning,
            stacklevel=5,
        )
        return None
    return LayerSpec(
        id="gap_cluster",
        geo="lsoa",
        name="Gap cluster (LSOA)",
        title="Gap cluster",
        subtitle="By LSOA: the gap cluster of each LSOA, from the comparison of prediction "
        "and hard data." + (f" {clustering}" if clustering else ""),
        kind="category",
        classes=category_classes(
            cats, cats, list(PALETTES["tol_muted"][: len(cats)]), "One colour per cluster."
        ),
        suffix="",
        predicted=False,
    )


def _warn_unknown(frame: pd.DataFrame, col: str, known: tuple[str, ...], role: str) -> None:
    values = frame[col][frame[col].notna()].astype(str).str.strip()
    unknown = sorted(set(values[(values != "") & ~values.isin(known)]))
    if unknown:
        warnings.warn(
            f"Column {col!r} of the {role} frame has {len(unknown)} value(s) the maps do not "
            f"know, e.g. {format_examples(unknown)}; those areas are drawn as no data. The "
            f"values are {format_examples(list(known), len(known))}.",
            DataQualityWarning,
            stacklevel=5,
        )


def _bivariate_layer(lsoa: pd.DataFrame) -> LayerSpec | None:
    if "bivariate" not in lsoa.columns:
        return None
    cats, _, colours = (list(x) for x in zip(*BIVARIATE_CATEGORIES, strict=True))
    # the QGIS style's colours; shorter labels, the legend's subtitle says what they count
    labels = [f"Predicted need {c[0]} / hard need {c[2]}" for c in cats]
    _warn_unknown(lsoa, "bivariate", tuple(cats), "lsoa")
    return LayerSpec(
        id="bivariate",
        geo="lsoa",
        name="Predicted × hard need (LSOA)",
        title="Predicted need against hard-data need",
        subtitle="By LSOA: tertile of predicted need (1 = least, 3 = most; redder as it "
        "rises) against tertile of the hard-data index (1 to 3; bluer as it rises).",
        kind="category",
        classes=category_classes(
            cats, labels, colours, "Nine classes, the same colours as the QGIS style."
        ),
        suffix="",
        predicted=False,
    )


def _band_labels() -> list[str]:
    e = [f"{x:g}" for x in BAND_EDGES]
    return [
        f"Well below (index under {e[0]})",
        f"Below ({e[0]}–{e[1]})",
        f"Around average ({e[1]}–{e[2]}, or the interval covers 100)",
        f"Above ({e[2]}–{e[3]})",
        f"Well above (over {e[3]})",
    ]


def _band_layers(oa: pd.DataFrame) -> list[LayerSpec]:
    layers = []
    for c in CLUSTERS:
        col = f"band_{c.key}"
        if col not in oa.columns:
            continue
        _warn_unknown(oa, col, BANDS, "oa")
        layers.append(
            LayerSpec(
                id=col,
                geo="oa",
                name=f"{c.label}: against national (OA)",
                title=f"{c.label}: against the national share",
                subtitle=f"By output area: index = 100 × the predicted share of {c.label} ÷ "
                "the whole survey's share.",
                kind="category",
                classes=category_classes(
                    list(BANDS),
                    _band_labels(),
                    list(PALETTES["BrBG"]),
                    "Bands of the national benchmark index (100 = the survey as a whole).",
                ),
                suffix="",
                predicted=True,
            )
        )
    return layers


#: ``LayerSpec.significant`` of a change judged by its own interval.
BY_INTERVAL = "<interval>"


def _change_spec(
    oa: pd.DataFrame, col: str, text: tuple[str, str, str], ramp: tuple[str, ...], sig: str | None
) -> LayerSpec:
    """A change layer on OAs, ``text`` its name, title and subtitle: classes symmetric about
    0, grey where not significant (``sig``: see :attr:`LayerSpec.significant`)."""
    name, title, subtitle = text
    return LayerSpec(
        id=col,
        geo="oa",
        name=name,
        title=title,
        subtitle=subtitle,
        kind="signed",
        classes=change_classes(oa[col].to_numpy(), colors=ramp, what="output areas"),
        suffix="",
        predicted=True,
        significant=sig,
    )


def _change_share_layers(oa: pd.DataFrame) -> list[LayerSpec]:
    """Change of each cluster share (latest wave minus earliest), in percentage points as
    fractions; not significant where its interval includes 0."""
    subtitle = (
        "By output area: predicted share of the latest survey wave minus the earliest "
        "(0.05 = 5 percentage points more residents in the cluster)."
    )
    layers = []
    for c in CLUSTERS:
        col = f"change_share_{c.key}"
        if col not in oa.columns:
            continue
        what = c.label.lower()
        text = (f"Change in {what} (share, OA)", f"Change in the {what} share", subtitle)
        interval = f"{col}_lo" in oa.columns and f"{col}_hi" in oa.columns
        sig = BY_INTERVAL if interval else None
        layers.append(_change_spec(oa, col, text, CHANGE_SHARE_RAMP, sig))
    return layers


def _change_layer(oa: pd.DataFrame) -> LayerSpec | None:
    col = "change_resilience_score"
    if col not in oa.columns:
        return None
    text = (
        "Change in resilience score (OA)",
        "Change in the resilience score",
        "By output area: predicted resilience score of the latest survey wave minus the "
        "earliest (below 0 = less resilient).",
    )
    sig = "change_significant" if "change_significant" in oa.columns else None
    return _change_spec(oa, col, text, CHANGE_SCORE_RAMP, sig)


def _flag_method(lsoa: pd.DataFrame) -> str:
    method = "Quintile gap of two or more is flagged."
    if "flag_strength" in lsoa.columns:
        flagged = lsoa["flag"].notna() & (lsoa["flag"] != AGREE)
        strength = lsoa.loc[flagged, "flag_strength"].astype(str)
        n_strong, n_possible = (
            int((strength == "strong").sum()),
            int((strength == "possible").sum()),
        )
        method += (
            f" Flags are strong (confident) or possible: {n_strong} strong, "
            f"{n_possible} possible; tooltips say which."
        )
    return method


def build_layers(inputs: MapInputs) -> list[LayerSpec]:
    """Layer specifications, classed over the whole area, in layer-list order."""
    oa, lsoa = inputs.oa, inputs.lsoa
    layers = [
        LayerSpec(
            id="resilience_score",
            geo="oa",
            name="Resilience score (OA)",
            title="Resilience score (predicted)",
            subtitle=(
                "By output area: predicted share of residents in the three asset clusters "
                "minus the three vulnerability clusters (−1 to 1; higher = more resilient)."
            ),
            kind="signed",
            classes=quantile_classes(
                oa["resilience_score"].to_numpy(),
                kind="signed",
                palette="viridis",
                what="output areas",
            ),
            suffix=" resilience",
            predicted=True,
        ),
        *_optional(_change_layer(oa)),
        *_share_layers(oa),
        *_change_share_layers(oa),
        *_band_layers(oa),
        LayerSpec(
            id="hard_index",
            geo="lsoa",
            name="Hard-data need index (LSOA)",
            title="Hard-data need index",
            subtitle=(
                "By LSOA: mean of the standardised hard-data indicators (z-scores within "
                "the area; higher = more need)."
            ),
            kind="signed",
            classes=quantile_classes(
                lsoa["hard_index"].to_numpy(), kind="signed", palette="YlOrBr", what="LSOAs"
            ),
            suffix=" need",
            predicted=False,
        ),
        LayerSpec(
            id="flag",
            geo="lsoa",
            name="Prediction vs hard data: flag (LSOA)",
            title="Where prediction and hard data disagree",
            subtitle=(
                "By LSOA: flagged where the predicted need quintile and the hard-data "
                "quintile differ by two or more."
            ),
            kind="category",
            classes=category_classes(
                list(FLAGS),
                [FLAG_LABELS[f] for f in FLAGS],
                list(PALETTES["PuOr"][::2]),
                _flag_method(lsoa),
            ),
            suffix="",
            predicted=False,
        ),
    ]
    gap = _gap_cluster_layer(lsoa, inputs.clustering)
    layers += [*_optional(gap), *_optional(_bivariate_layer(lsoa))]
    return layers


def _optional(spec: LayerSpec | None) -> list[LayerSpec]:
    return [] if spec is None else [spec]


def tooltip_fields(inputs: MapInputs, layers: list[LayerSpec]) -> dict[str, list[dict]]:
    """Tooltip rows of each geography: column, label, format, decimals and layer for words.

    Only columns present in the frames are listed.
    """
    by_id = {spec.id: spec for spec in layers}

    def dp(col: str, default: int) -> int:
        spec = by_id.get(col)
        return spec.classes.decimals if spec is not None and spec.classes.breaks else default

    def field(col, label, fmt, *, decimals=0, layer=None, interval=False, more=False):
        out = {"key": col, "label": label, "fmt": fmt, "dp": decimals}
        if more:
            out["more"] = True
        if layer is not None and layer in by_id:
            out["layer"] = layer
        if interval:
            out["lo"], out["hi"] = f"{col}_lo", f"{col}_hi"
        return out

    oa_cols, lsoa_cols = set(inputs.oa.columns), set(inputs.lsoa.columns)
    score_dp = dp("resilience_score", 2)
    oa_fields = [field("resilience_score", "Resilience score", "signed", decimals=score_dp,
                       layer="resilience_score")]  # fmt: skip
    for c in CLUSTERS:
        col = f"share_{c.key}"
        interval = f"{col}_lo" in oa_cols and f"{col}_hi" in oa_cols
        oa_fields.append(
            field(col, c.label, "pct", decimals=dp(col, 0), layer=col, interval=interval)
        )
    oa_fields += (
        [_change_field(field, by_id, oa_cols)] if "change_resilience_score" in oa_cols else []
    )
    oa_fields += [
        _change_field(field, by_id, oa_cols, col, f"Change in {c.label.lower()}", more=True)
        for c in CLUSTERS
        if (col := f"change_share_{c.key}") in oa_cols
    ]
    oa_fields += [
        field(f"band_{c.key}", f"{c.label} vs national", "cat", layer=f"band_{c.key}", more=True)
        for c in CLUSTERS
        if f"band_{c.key}" in oa_cols
    ]
    oa_fields += [
        field(col, label, fmt)
        for col, label, fmt in (
            ("dominant_cluster", "Largest cluster", "text"),
            ("estimate_level", "Estimated from", "text"),
            ("population", "Population", "int"),
        )
        if col in oa_cols
    ]
    gap_fmt = "cat" if "gap_cluster" in by_id else "text"
    lsoa_rows = [  # column, label, format, decimals, layer for words
        ("hard_index", "Hard-data need index", "signed", dp("hard_index", 2), "hard_index"),
        ("flag", "Flag", "cat", 0, "flag"),
        ("flag_confidence", "Flag confidence", "pct", 0, None),
        ("predicted_quintile", "Predicted need quintile (1 = least, 5 = most)", "int", 0, None),
        ("hard_quintile", "Hard-data quintile (1 = least, 5 = most need)", "int", 0, None),
        ("gap", "Quintile gap (predicted − hard)", "int", 0, None),
        ("gap_cluster", "Gap cluster", gap_fmt, 0, "gap_cluster"),
        ("bivariate", "Predicted × hard need (tertiles)", "cat", 0, "bivariate"),
        ("resilience_score", "Resilience score (predicted)", "signed", score_dp, None),
    ]
    lsoa_fields = [
        field(col, label, fmt, decimals=d, layer=layer)
        for col, label, fmt, d, layer in lsoa_rows
        if col in lsoa_cols
    ]
    if "flag_strength" in lsoa_cols:  # "(strong)" or "(possible)" after the flag
        lsoa_fields[[f["key"] for f in lsoa_fields].index("flag")]["with"] = "flag_strength"
    if "change_resilience_score" in lsoa_cols:
        lsoa_fields.append(_change_field(field, by_id, lsoa_cols))
    for c in CLUSTERS:  # in pop-ups only
        col = f"share_{c.key}"
        if col in lsoa_cols:
            label = f"{c.label} (predicted)"
            lsoa_fields.append(field(col, label, "pct", decimals=dp(col, 0), more=True))
    if "population" in lsoa_cols:
        lsoa_fields.append(field("population", "Population", "int", more=True))
    assets_total, per_1000 = ASSET_COLUMNS
    if assets_total in lsoa_cols:
        lsoa_fields.append(field(assets_total, "Community assets", "int", more=True))
    if per_1000 in lsoa_cols:
        lsoa_fields.append(field(per_1000, "Assets per 1,000 residents", "num", more=True))
    lsoa_fields += [field(col, label, "num", more=True) for col, label in inputs.indicators.items()]
    return {"oa": oa_fields, "lsoa": lsoa_fields}


def _change_field(
    field,
    by_id: dict,
    cols: set[str],
    col: str = "change_resilience_score",
    label: str = "Change in resilience score",
    *,
    more: bool = False,
) -> dict:
    """The tooltip field of a change column: its layer's decimals and its interval."""
    spec = by_id.get(col)
    d = spec.classes.decimals if spec is not None and spec.classes.breaks else 2
    interval = f"{col}_lo" in cols and f"{col}_hi" in cols
    return field(col, label, "signed", decimals=d, layer=col, interval=interval, more=more)


def class_index(spec: LayerSpec, frame: pd.DataFrame) -> np.ndarray:
    """Class of every area of ``frame`` on ``spec``'s layer (-1 for missing)."""
    values = frame[spec.id]
    if spec.kind == "category":
        v = values.astype(object).where(values.notna(), None)
        v = np.array([None if x is None else str(x).strip() for x in v], dtype=object)
        return spec.classes.assign(v)
    quiet = None
    if spec.significant == BY_INTERVAL:
        lo, hi = (frame[f"{spec.id}{end}"].to_numpy(dtype=float) for end in ("_lo", "_hi"))
        with np.errstate(invalid="ignore"):
            quiet = np.isfinite(lo) & np.isfinite(hi) & (lo <= 0) & (hi >= 0)
    elif spec.significant is not None:
        sig = frame[spec.significant]
        quiet = (sig.notna() & ~sig.astype(object).isin([True, 1, "true", "True"])).to_numpy()
    return spec.classes.assign(values.to_numpy(dtype=float), quiet)
