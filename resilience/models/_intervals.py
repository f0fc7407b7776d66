"""Point estimates and bootstrap percentile intervals of shares and the resilience score."""

from __future__ import annotations

import numpy as np

from ..clusters import CLUSTER_KEYS, resilience_score, share_columns

__all__ = ["SCORE_SIGNS", "summary_columns"]

#: +1 for the three asset clusters, -1 for the three vulnerabilities (cluster-key order).
SCORE_SIGNS = resilience_score(np.eye(len(CLUSTER_KEYS)))


def summary_columns(
    shares: np.ndarray, reps: np.ndarray | None, interval: float
) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """Interval, dominant-cluster and score columns for areas with the given shares.

    Parameters
    ----------
    shares : ndarray of shape (n, 6)
        Point estimates, clusters in :data:`resilience.clusters.CLUSTER_KEYS` order.
    reps : ndarray of shape (n_boot, n, 6), optional
        Bootstrap replicates of the same areas (None or empty: no intervals).
    interval : float
        Coverage of the percentile intervals (0.9 → 5th and 95th percentiles).

    Returns
    -------
    columns : dict
        ``share_<cluster>_lo``/``_hi`` (when there are replicates), ``dominant_cluster``,
        ``resilience_score`` and its ``_lo``/``_hi``. Bounds are widened where needed so
        that every interval contains its point estimate.
    score_reps : ndarray of shape (n_boot, n)
        Replicates of the resilience score (empty without replicates).
    """
    score = shares @ SCORE_SIGNS
    cols: dict[str, np.ndarray] = {}
    score_reps = np.empty((0, len(shares)), dtype=np.float32)
    has_reps = reps is not None and len(reps) > 0
    if has_reps:
        lo_q, hi_q = (1 - interval) / 2, 1 - (1 - interval) / 2
        lo = np.minimum(np.quantile(reps, lo_q, axis=0), shares)
        hi = np.maximum(np.quantile(reps, hi_q, axis=0), shares)
        cols.update(dict(zip(share_columns("_lo"), lo.T, strict=True)))
        cols.update(dict(zip(share_columns("_hi"), hi.T, strict=True)))
        score_reps = reps @ SCORE_SIGNS.astype(reps.dtype)
    cols["dominant_cluster"] = np.asarray(CLUSTER_KEYS, dtype=object)[shares.argmax(axis=1)]
    cols["resilience_score"] = score
    if has_reps:
        cols["resilience_score_lo"] = np.minimum(np.quantile(score_reps, lo_q, axis=0), score)
        cols["resilience_score_hi"] = np.maximum(np.quantile(score_reps, hi_q, axis=0), score)
    return cols, score_reps
