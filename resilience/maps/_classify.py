"""Classing a layer's values into coloured classes, with legend labels and words.

Numeric layers are cut at quantiles of the whole area's values (five classes unless ties
merge some). The breaks are rounded to the precision the legend prints and the rounded
breaks are the ones used, so an area's colour always agrees with the legend. Categorical
layers map each category to one colour. Change layers (runs over several survey waves)
are cut symmetrically about 0, with a first, light-grey class for changes that are not
significant. Missing values get class -1 (grey, "No data / suppressed").
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..outputs.qml import NOT_SIGNIFICANT
from ._palettes import pick

__all__ = [
    "NOT_SIGNIFICANT",
    "Classes",
    "category_classes",
    "change_classes",
    "format_value",
    "quantile_classes",
]
#: Words of the change classes, the non-significant class first.
_CHANGE_WORDS = ("no significant change", "large fall", "fall", "rise", "large rise")

#: Words for n classes, low to high.
_WORDS = {
    1: ("similar everywhere",),
    2: ("lower", "higher"),
    3: ("low", "middling", "high"),
    4: ("very low", "low", "high", "very high"),
    5: ("very low", "low", "middling", "high", "very high"),
}

#: Candidate numbers of decimals shown, per value kind (in display units).
_DECIMALS = {"pct": (0, 1, 2), "signed": (2, 3, 4)}


def format_value(value: float, kind: str, decimals: int) -> str:
    """Format a number as the legend and the tooltips show it.

    ``kind`` is ``"pct"`` (a share shown as a percentage) or ``"signed"`` (a score with an
    explicit sign and a true minus sign).

    Examples
    --------
    >>> format_value(0.2314, "pct", 0)
    '23%'
    >>> format_value(-0.125, "signed", 2)
    '−0.12'
    >>> format_value(0.3, "signed", 2)
    '+0.30'
    """
    if kind == "pct":
        return f"{value * 100:.{decimals}f}%"
    text = f"{value:.{decimals}f}"
    if text.lstrip("-").strip("0.") == "":
        return f"{0:.{decimals}f}"
    return text.replace("-", "−") if value < 0 else "+" + text


def _scale(kind: str, decimals: int) -> int:
    """Decimals in value units for ``decimals`` in display units."""
    return decimals + 2 if kind == "pct" else decimals


@dataclass(frozen=True)
class Classes:
    """How one layer's values become colours.

    Attributes
    ----------
    colors : tuple of str
        Hex colour of each class.
    labels : tuple of str
        Legend label of each class (plain text, escaped when written out).
    words : tuple of str
        The class in words ("very low" ... "very high"), for tooltips.
    method : str
        How the classes were made, for the legend.
    breaks : tuple of float
        Upper-exclusive class breaks (numeric layers); empty for categorical layers.
    categories : tuple of str
        Category values (categorical layers); empty for numeric layers.
    decimals : int
        Decimals shown for the layer's values (numeric layers).
    quiet : bool
        True for change layers: class 0 holds the areas whose change is not significant
        (given to :meth:`assign` as ``quiet``) and the breaks class values from 1.
    """

    colors: tuple[str, ...]
    labels: tuple[str, ...]
    words: tuple[str, ...]
    method: str
    breaks: tuple[float, ...] = ()
    categories: tuple[str, ...] = ()
    decimals: int = 0
    quiet: bool = False

    def assign(self, values: np.ndarray, quiet: np.ndarray | None = None) -> np.ndarray:
        """Class index of every value (-1 where missing or not a known category).

        ``quiet`` (change layers only) marks the values whose change is not significant.
        """
        if self.categories:
            lookup = {c: i for i, c in enumerate(self.categories)}
            return np.array([lookup.get(v, -1) for v in values], dtype=np.int8)
        v = np.asarray(values, dtype=float)
        out = np.searchsorted(np.asarray(self.breaks, dtype=float), v, side="right")
        out = out.astype(np.int8)
        if self.quiet:
            out += 1
            if quiet is not None:
                out[np.asarray(quiet, dtype=bool)] = 0
        out[~np.isfinite(v)] = -1
        if not self.colors:
            out[:] = -1
        return out


def _rounded_breaks(v: np.ndarray, k: int, kind: str) -> tuple[np.ndarray, int]:
    """Quantile breaks rounded to the fewest decimals that keep them distinct."""
    lo, hi = float(v.min()), float(v.max())
    raw = np.unique(np.quantile(v, np.linspace(0, 1, k + 1)[1:-1]))
    raw = raw[raw > lo]
    candidates = []
    for d in _DECIMALS[kind]:
        r = np.unique(np.round(raw, _scale(kind, d)))
        candidates.append((r[(r > lo) & (r <= hi)], d))
        if len(candidates[-1][0]) == len(raw):
            return candidates[-1]
    return max(candidates, key=lambda c: len(c[0]))


def quantile_classes(
    values: np.ndarray, *, kind: str, palette: str, what: str, k: int = 5
) -> Classes:
    """Quantile classes of ``values`` (NaN ignored), breaks rounded to the shown precision.

    Parameters
    ----------
    values : array of float
        The values over the whole mapped area.
    kind : {"pct", "signed"}
        How values are shown (see :func:`format_value`).
    palette : str
        A palette name from :data:`resilience.maps._palettes.PALETTES`.
    what : str
        What the values belong to, for the method note ("output areas").
    k : int, default=5
        Number of classes before ties are merged.

    Examples
    --------
    >>> c = quantile_classes(np.linspace(0, 1, 101), kind="pct", palette="viridis", what="areas")
    >>> c.labels[0], c.labels[-1]
    ('0% to 20%', '80% to 100%')
    >>> c.assign(np.array([0.05, 0.2, np.nan])).tolist()
    [0, 1, -1]
    """
    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v)]
    if v.size == 0:
        return Classes((), (), (), f"No values for any of the {what}.")
    breaks, d = _rounded_breaks(v, k, kind)
    edges = [float(v.min()), *breaks.tolist(), float(v.max())]
    labels = tuple(
        f"{format_value(edges[i], kind, d)} to {format_value(edges[i + 1], kind, d)}"
        for i in range(len(edges) - 1)
    )
    n = len(labels)
    if n == k == 5:
        method = f"Classes are fifths (quintiles) of the {v.size:,} {what}."
    else:
        method = (
            f"{n} quantile class{'es' if n != 1 else ''} of the {v.size:,} {what} (ties merged)."
        )
    return Classes(
        colors=tuple(pick(palette, n)),
        labels=labels,
        words=_WORDS[n] if n in _WORDS else tuple(f"class {i + 1} of {n}" for i in range(n)),
        method=method,
        breaks=tuple(breaks.tolist()),
        decimals=d,
    )


def category_classes(
    categories: list[str], labels: list[str], colors: list[str], method: str
) -> Classes:
    """Classes of a categorical layer: one colour and label per category value.

    Examples
    --------
    >>> c = category_classes(["a", "b"], ["A", "B"], ["#000000", "#ffffff"], "Categories.")
    >>> c.assign(np.array(["b", None, "a"], dtype=object)).tolist()
    [1, -1, 0]
    """
    return Classes(
        colors=tuple(colors),
        labels=tuple(labels),
        words=tuple(labels),
        method=method,
        categories=tuple(categories),
    )


def change_classes(values: np.ndarray, *, colors: tuple[str, ...], what: str) -> Classes:
    """Four classes of a change, symmetric about 0, after a grey "not significant" class.

    The edges are ±m and ±m/2 (m the largest absolute change), rounded to the fewest
    decimals that keep m/2 above 0, so 0 is always a break: falls take the first two
    ``colors``, rises the last two. This is the classing of the QGIS change styles.

    Examples
    --------
    >>> c = change_classes(np.array([-0.2, 0.05, 0.1]), colors=("a", "b", "c", "d"),
    ...                    what="areas")
    >>> c.labels
    ('No significant change (interval includes 0)', '−0.20 to −0.10', '−0.10 to 0.00', \
'0.00 to +0.10', '+0.10 to +0.20')
    >>> c.assign(np.array([-0.2, 0.05, 0.1, np.nan]), np.array([0, 1, 0, 0])).tolist()
    [1, 0, 4, -1]
    """
    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v)]
    if v.size == 0:
        return Classes((), (), (), f"No values for any of the {what}.")
    m = float(np.abs(v).max()) or 1e-9
    d = next((d for d in _DECIMALS["signed"] if round(m / 2, d) > 0), _DECIMALS["signed"][-1])
    half = max(round(m / 2, d), 10.0**-d)
    edges = [-m, -half, 0.0, half, m]
    labels = tuple(
        f"{format_value(edges[i], 'signed', d)} to {format_value(edges[i + 1], 'signed', d)}"
        for i in range(4)
    )
    return Classes(
        colors=(NOT_SIGNIFICANT[0], *colors),
        labels=(NOT_SIGNIFICANT[1], *labels),
        words=_CHANGE_WORDS,
        method=(
            f"Classes are symmetric about 0 over the {v.size:,} {what}; light grey where "
            "the change is not significant."
        ),
        breaks=(-half, 0.0, half),
        decimals=d,
        quiet=True,
    )
