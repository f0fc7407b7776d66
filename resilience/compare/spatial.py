"""Where disagreement clusters: local Moran's I of the prediction–hard-data gap.

:func:`gap_clusters` labels every LSOA by the local indicator of spatial association
(LISA) of its ``gap`` (predicted quintile − hard quintile): a significant ``high-high``
LSOA sits in a patch where the prediction says more need than the hard data, a
``low-low`` one in a patch where the hard data say more need than predicted; ``high-low``
and ``low-high`` are outliers against their neighbours. Neighbours are queen contiguity
(sharing an edge or a corner), row-standardised; significance is from conditional
permutations (esda's ``Moran_Local``; Anselin 1995, "Local indicators of spatial
association — LISA", *Geographical Analysis* 27(2)). By default the significance threshold
controls the false discovery rate over all tested LSOAs (Benjamini & Hochberg 1995), since
among some 100 LSOAs a handful pass p ≤ 0.05 by chance alone.

:func:`gap_moran` gives the global Moran's I of the gap over the same neighbours, with its
permutation p-value (esda's ``Moran``): when it is not significant, disagreement between
prediction and hard data does not cluster in space.
"""

from __future__ import annotations

import warnings
from typing import Any, NamedTuple

import geopandas as gpd
import numpy as np
import pandas as pd

from .._digest import shapes_digest
from ..errors import ConfigError, InputDataError, format_examples
from ..schema import GAP_CLUSTERS, NO_DATA, NO_NEIGHBOURS, NOT_SIGNIFICANT

__all__ = [
    "CLUSTER_LABELS",
    "Neighbours",
    "QueenGraph",
    "contiguity",
    "gap_clusters",
    "gap_moran",
    "queen_graph",
]

#: Values of the ``gap_cluster`` column (the output schema's).
CLUSTER_LABELS = GAP_CLUSTERS
# esda quadrant codes (geoda_quads=False): 1 HH, 2 LH, 3 LL, 4 HL
_QUADS = {1: "high-high", 2: "low-high", 3: "low-low", 4: "high-low"}


def _check(lsoa: object, column: str, permutations: int, alpha: float) -> None:
    if not isinstance(lsoa, gpd.GeoDataFrame):
        raise InputDataError(
            f"gap_clusters() needs a GeoDataFrame of LSOA polygons; got {type(lsoa).__name__}."
        )
    if column not in lsoa.columns:
        raise InputDataError(
            f"gap_clusters(): no column {column!r}; columns are "
            f"{format_examples(list(lsoa.columns), 12)}."
        )
    if isinstance(permutations, bool) or not isinstance(permutations, (int, np.integer)):
        raise ConfigError(f"permutations must be a whole number; got {permutations!r}.")
    if permutations < 19:
        raise ConfigError(
            f"permutations must be at least 19 for a pseudo p-value of 0.05; got {permutations}."
        )
    if not (isinstance(alpha, (int, float)) and 0 < alpha < 1):
        raise ConfigError(f"alpha must be between 0 and 1; got {alpha!r}.")


def _tie_aware_p(sim: np.ndarray, observed: np.ndarray) -> np.ndarray:
    """Folded pseudo p-values that count permutations tied with the observed I on both sides.

    esda's ``p_sim`` counts ties only as "at least as large" and then takes the smaller
    tail, so a tie is treated as less extreme on both sides at once. With an integer gap
    that is 0 in most LSOAs, most permuted values tie with the observed one and most
    LSOAs come out "significant". Here p = (min(#sim ≥ I, #sim ≤ I) + 1) / (m + 1), with
    a tolerance for floating-point noise, which is conservative under ties and equal to
    esda's value without them.
    """
    tol = 1e-9 * np.maximum(1.0, np.abs(observed))
    upper = (sim >= observed - tol).sum(axis=0)
    lower = (sim <= observed + tol).sum(axis=0)
    return (np.minimum(upper, lower) + 1.0) / (sim.shape[0] + 1.0)


def gap_clusters(
    lsoa: gpd.GeoDataFrame,
    column: str = "gap",
    *,
    permutations: int = 999,
    alpha: float = 0.05,
    fdr: bool = True,
    random_state: int = 0,
    neighbours: Neighbours | None = None,
) -> pd.Series:
    """Local Moran's I cluster label of every LSOA's gap.

    Parameters
    ----------
    lsoa : GeoDataFrame
        LSOA polygons with the ``column`` to test.
    column : str, default="gap"
    permutations : int, default=999
        Conditional permutations for the pseudo p-values (at least 19).
    alpha : float, default=0.05
        Significance level: an LSOA is significant when its pseudo p-value is at most
        ``alpha`` (or the false-discovery-rate threshold with ``fdr=True``). Pseudo
        p-values count permutations tied with the observed statistic on both sides
        (see :func:`_tie_aware_p`): the integer gap is 0 in most LSOAs, and esda's own
        ``p_sim`` would call most of those significant.
    fdr : bool, default=True
        Control the false discovery rate over all tested LSOAs with ``esda.fdr``
        (Benjamini–Hochberg step-up; when nothing passes, esda falls back to the
        Bonferroni bound alpha / n).
    random_state : int, default=0
        Seed of the permutations: the same inputs give the same labels.
    neighbours : Neighbours, optional
        :func:`contiguity` of ``lsoa`` and ``column``, when already built (the graph of
        London's 4,800 LSOAs takes 0.7 s): the same labels either way.

    Returns
    -------
    Series named ``gap_cluster``, indexed like ``lsoa``, with values in
    :data:`CLUSTER_LABELS`:

    - ``high-high``, ``low-low``, ``high-low``, ``low-high``: significant, by the
      quadrant of the LSOA's gap and its neighbours' mean gap (both relative to the mean);
    - ``not significant``; also every LSOA when the gap does not vary at all;
    - ``no neighbours``: islands (no LSOA shares an edge or corner with it). esda gives
      an island a local I of 0 with a spuriously small pseudo p-value, so islands are
      labelled here and left out of the significance threshold;
    - ``no data``: LSOAs with a missing gap (or empty geometry), left out of the analysis.
    """
    _check(lsoa, column, permutations, alpha)
    from esda import fdr as esda_fdr
    from esda.moran import Moran_Local

    labels = np.full(len(lsoa), NO_DATA, dtype=object)
    prepared = neighbours if neighbours is not None else contiguity(lsoa, column)
    if prepared.graph is None:
        return pd.Series(labels, index=lsoa.index, name="gap_cluster", dtype="str")
    pos, y, graph, island = prepared
    sub = np.full(len(pos), NOT_SIGNIFICANT, dtype=object)
    sub[island] = NO_NEIGHBOURS
    connected = ~island
    if _testable(y, connected):
        with warnings.catch_warnings(), np.errstate(divide="ignore", invalid="ignore"):
            # esda announces a future change of its default alternative hypothesis
            warnings.filterwarnings("ignore", category=DeprecationWarning, module=r"esda\.")
            lisa = Moran_Local(
                y, graph.transform("r"), permutations=int(permutations), seed=int(random_state)
            )
        p = _tie_aware_p(np.asarray(lisa.sim, dtype=float), np.asarray(lisa.Is, dtype=float))
        threshold = float(esda_fdr(p[connected], alpha)) if fdr else float(alpha)
        significant = connected & (p <= threshold)
        quad = np.asarray(lisa.q, dtype=int)
        for code, name in _QUADS.items():
            sub[significant & (quad == code)] = name
    labels[pos] = sub
    return pd.Series(labels, index=lsoa.index, name="gap_cluster", dtype="str")


class Neighbours(NamedTuple):
    """The LSOAs a spatial test uses: positions in the layer, values, graph, islands."""

    pos: np.ndarray
    y: np.ndarray
    graph: Any  # libpysal.graph.Graph over the usable LSOAs; None when there are none
    island: np.ndarray


class QueenGraph(NamedTuple):
    """Queen contiguity of some shapes, built ahead, with the digest of those shapes."""

    key: str
    graph: Any  # libpysal.graph.Graph


def _shapes_key(geometry: gpd.GeoSeries) -> str:
    return shapes_digest(geometry.values, str(geometry.crs), "queen")


def _build(geometry: gpd.GeoSeries) -> Any:
    from libpysal.graph import Graph

    geo = gpd.GeoDataFrame(geometry=geometry.to_numpy(), crs=geometry.crs)
    return Graph.build_contiguity(geo, rook=False)


def queen_graph(shapes: gpd.GeoDataFrame) -> QueenGraph:
    """Queen contiguity of the LSOAs of ``shapes`` that have a geometry, in their order.

    :func:`contiguity` uses it when its usable LSOAs are exactly these (every LSOA has a
    gap), so it can be built from the boundaries alone, before the gap is known (a run
    builds it beside the model fits).

    Examples
    --------
    >>> from shapely.geometry import box
    >>> g = gpd.GeoDataFrame({"gap": [1, 0]}, geometry=[box(0, 0, 1, 1), box(1, 0, 2, 1)],
    ...     crs="EPSG:27700")
    >>> ahead = queen_graph(g)
    >>> contiguity(g, ready=ahead).graph is ahead.graph
    True
    """
    geometry = shapes.geometry
    geometry = geometry[~(geometry.isna() | geometry.is_empty).to_numpy()]
    return QueenGraph(_shapes_key(geometry), _build(geometry))


def contiguity(
    lsoa: gpd.GeoDataFrame, column: str = "gap", *, ready: QueenGraph | None = None
) -> Neighbours:
    """Queen contiguity of the LSOAs with a ``column`` value and a geometry.

    Built once, it serves :func:`gap_clusters` and :func:`gap_moran` alike. ``ready``
    (from :func:`queen_graph`) is used when it was built from exactly these LSOAs' shapes.

    Examples
    --------
    >>> from shapely.geometry import box
    >>> g = gpd.GeoDataFrame({"gap": [1, 0, None, 2]}, crs="EPSG:27700",
    ...     geometry=[box(0, 0, 1, 1), box(1, 0, 2, 1), box(2, 0, 3, 1), box(9, 9, 10, 10)])
    >>> nb = contiguity(g)
    >>> nb.pos.tolist(), nb.island.tolist()
    ([0, 1, 3], [False, False, True])
    """
    y_all = pd.to_numeric(lsoa[column], errors="coerce").astype(float)
    usable = y_all.notna().to_numpy() & ~(lsoa.geometry.isna() | lsoa.geometry.is_empty).to_numpy()
    pos = np.flatnonzero(usable)
    if len(pos) == 0:
        return Neighbours(pos, np.empty(0), None, np.empty(0, dtype=bool))
    geometry = lsoa.geometry.iloc[pos]
    if ready is not None and ready.key == _shapes_key(geometry):
        graph = ready.graph
    else:
        graph = _build(geometry)
    card = graph.cardinalities.reindex(pd.RangeIndex(len(pos)), fill_value=0).to_numpy()
    return Neighbours(pos, y_all.to_numpy()[pos], graph, card == 0)


def _testable(y: np.ndarray, connected: np.ndarray) -> bool:
    return bool(connected.sum() >= 2 and np.ptp(y[connected]) > 0 and np.ptp(y) > 0)


def gap_moran(
    lsoa: gpd.GeoDataFrame,
    column: str = "gap",
    *,
    permutations: int = 999,
    alpha: float = 0.05,
    random_state: int = 0,
    neighbours: Neighbours | None = None,
) -> dict[str, float | int | bool | None]:
    """Global Moran's I of the gap, with its permutation p-value.

    Same neighbours as :func:`gap_clusters` (queen contiguity, row-standardised) over the
    LSOAs with a gap and at least one neighbour; islands are left out. The p-value is
    one-sided, for clustering: the share of random permutations (from esda's ``Moran``)
    whose I is at least the observed one, (#sim ≥ I + 1) / (permutations + 1).
    ``neighbours`` is :func:`contiguity` of ``lsoa`` and ``column`` when already built.

    Returns
    -------
    dict
        ``moran_i``, ``expected_i`` (−1 / (n − 1)), ``p_value``, ``n`` (LSOAs tested),
        ``significant`` (p ≤ ``alpha``); I and p are None when the gap does not vary or
        fewer than three LSOAs can be tested.

    Examples
    --------
    >>> from shapely.geometry import box
    >>> cells = [box(x, y, x + 1, y + 1) for y in range(6) for x in range(6)]
    >>> gap = [1 if x < 3 else -1 for y in range(6) for x in range(6)]  # west vs east
    >>> # by hand: 24 cells with only like neighbours (lag 1); the 12 by the divide have
    >>> # lag (5 - 3) / 8 (8 in the middle rows) or (3 - 2) / 5 (4 in the top and bottom
    >>> # rows): I = (24 + 8 * 0.25 + 4 * 0.2) / 36 = 0.744
    >>> g = gpd.GeoDataFrame({"gap": gap}, geometry=cells, crs="EPSG:27700")
    >>> out = gap_moran(g, permutations=199)
    >>> round(out["moran_i"], 2), out["significant"]
    (0.74, True)
    """
    _check(lsoa, column, permutations, alpha)
    from esda.moran import Moran

    empty = {"moran_i": None, "expected_i": None, "p_value": None, "n": 0, "significant": False}
    prepared = neighbours if neighbours is not None else contiguity(lsoa, column)
    if prepared.graph is None:
        return empty
    _, y, graph, island = prepared
    connected = ~island
    n = int(connected.sum())
    if n < 3 or not _testable(y, connected):
        return {**empty, "n": n}
    keep = np.flatnonzero(connected)
    sub = graph.subgraph(keep) if island.any() else graph
    with warnings.catch_warnings(), np.errstate(divide="ignore", invalid="ignore"):
        warnings.filterwarnings("ignore", category=DeprecationWarning, module=r"esda\.")
        # esda's Moran permutes with numpy's global generator: seed it, then restore it
        state = np.random.get_state()
        np.random.seed(int(random_state))
        try:
            mi = Moran(y[keep], sub.transform("r"), permutations=int(permutations))
        finally:
            np.random.set_state(state)
    # one-sided: does the gap cluster (I above its expectation)? esda's p_sim folds the
    # two tails, so a chequerboard (negative I) would count as "clustering" too
    sim = np.asarray(mi.sim, dtype=float)
    p = float(((sim >= mi.I - 1e-12).sum() + 1) / (len(sim) + 1))
    return {
        "moran_i": float(mi.I),
        "expected_i": float(mi.EI),
        "p_value": p,
        "n": n,
        "significant": bool(p <= alpha),
    }
