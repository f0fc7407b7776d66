"""The comparison stage: every LSOA's prediction against its hard data, and where the
disagreement clusters in space."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd

from .flags import compare
from .spatial import gap_clusters

__all__ = ["compare_lsoas"]


def compare_lsoas(
    score: pd.Series,
    hard: pd.DataFrame,
    shapes: gpd.GeoDataFrame,
    *,
    score_replicates: np.ndarray | None = None,
    quintile_gap: int = 2,
    permutations: int = 999,
    alpha: float = 0.05,
    fdr: bool = False,
    random_state: int = 0,
) -> pd.DataFrame:
    """Quintiles, gap, flag, confidence and reason of every LSOA, and its gap cluster.

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
    permutations, alpha, fdr, random_state
        Local Moran's I of the gap (see :func:`~resilience.compare.spatial.gap_clusters`).

    Returns
    -------
    DataFrame
        Indexed like ``score``: the columns of :func:`~resilience.compare.flags.compare`
        and ``gap_cluster``.
    """
    cmp = compare(
        score,
        hard.reindex(score.index),
        score_replicates=score_replicates
        if score_replicates is not None and len(score_replicates)
        else None,
        quintile_gap=quintile_gap,
    )
    geometry = shapes.set_index("lsoa_code")[["geometry"]]
    located = gpd.GeoDataFrame(cmp.join(geometry), geometry="geometry", crs=shapes.crs)
    cmp["gap_cluster"] = gap_clusters(
        located, "gap", permutations=permutations, alpha=alpha, fdr=fdr, random_state=random_state
    )
    return cmp
