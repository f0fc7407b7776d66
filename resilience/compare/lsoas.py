"""The comparison stage: every LSOA's prediction against its hard data, whether the flags
beat chance, and where the disagreement clusters in space."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from .benchmark import bivariate
from .chance import chance_check
from .flags import compare
from .spatial import QueenGraph, contiguity, gap_clusters, gap_moran

__all__ = ["Comparison", "compare_lsoas"]


@dataclass
class Comparison:
    """The comparison of every LSOA and the evidence behind it.

    Attributes
    ----------
    table : DataFrame
        Indexed by LSOA code: the columns of :func:`~resilience.compare.flags.compare`,
        ``gap_cluster`` and ``bivariate``.
    moran : dict
        Global Moran's I of the gap (:func:`~resilience.compare.spatial.gap_moran`).
    chance : dict
        Whether the flags are no better than chance
        (:func:`~resilience.compare.chance.chance_check`).
    """

    table: pd.DataFrame
    moran: dict[str, Any] = field(default_factory=dict)
    chance: dict[str, Any] = field(default_factory=dict)

    def __repr__(self) -> str:
        flags = self.table["flag"].value_counts().to_dict()
        return f"<Comparison: {len(self.table):,} LSOAs; flags {flags}>"


def compare_lsoas(
    score: pd.Series,
    hard: pd.DataFrame,
    shapes: gpd.GeoDataFrame,
    *,
    score_replicates: np.ndarray | None = None,
    quintile_gap: int = 2,
    min_confidence: float = 0.8,
    permutations: int = 999,
    alpha: float = 0.05,
    fdr: bool = True,
    interval: float = 0.9,
    random_state: int = 0,
    neighbours: QueenGraph | None = None,
) -> Comparison:
    """Quintiles, gap, flag, confidence, strength and reason of every LSOA, its gap cluster
    and bivariate class, the global Moran's I of the gap and the chance check.

    Parameters
    ----------
    score : Series
        ``resilience_score`` of every LSOA, indexed by LSOA code.
    hard : DataFrame
        The hard-data index (:func:`~resilience.compare.hard_index.hard_index`), indexed
        by LSOA code; LSOAs without hard data are missing from it.
    shapes : GeoDataFrame
        LSOA polygons with ``lsoa_code`` (for the neighbours of each LSOA).
    score_replicates : ndarray of shape (n_boot, n_lsoa), optional
        Bootstrap replicates of ``score`` (for ``flag_confidence``).
    quintile_gap : int, default=2
        Smallest quintile difference that counts as disagreement.
    min_confidence : float, default=0.8
        ``flag_confidence`` at which a flag is ``strong``.
    permutations, alpha, fdr, random_state
        Local and global Moran's I of the gap (see
        :func:`~resilience.compare.spatial.gap_clusters`).
    interval : float, default=0.9
        Level of the interval of the rank correlation in the chance check.
    neighbours : QueenGraph, optional
        The LSOAs' contiguity built ahead (:func:`~resilience.compare.spatial.queen_graph`
        of ``shapes``); used when it fits the LSOAs compared, built here otherwise.

    Returns
    -------
    Comparison
    """
    hard = hard.reindex(score.index)
    table = compare(
        score,
        hard,
        score_replicates=score_replicates
        if score_replicates is not None and len(score_replicates)
        else None,
        quintile_gap=quintile_gap,
        min_confidence=min_confidence,
    )
    geometry = shapes.set_index("lsoa_code")[["geometry"]]
    located = gpd.GeoDataFrame(table.join(geometry), geometry="geometry", crs=shapes.crs)
    moran_args = {
        "permutations": permutations,
        "alpha": alpha,
        "random_state": random_state,
        "neighbours": contiguity(located, "gap", ready=neighbours),
    }
    table["gap_cluster"] = gap_clusters(located, "gap", fdr=fdr, **moran_args)
    table["bivariate"] = bivariate(score, hard["hard_index"])
    moran = gap_moran(located, "gap", **moran_args)
    chance = chance_check(
        -score, hard["hard_index"], table["flag"], quintile_gap=quintile_gap, interval=interval
    )
    return Comparison(table, moran, chance)
