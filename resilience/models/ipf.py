"""Iterative proportional fitting of one seed table to many areas' margins at once.

IPF (raking; Deming & Stephan 1940, *Annals of Mathematical Statistics* 11: 427–444)
rescales a seed joint distribution in turn to each known margin until all are met. Here
the joint distribution is a flat vector of cells (every combination of the
characteristics' categories) and every area is fitted at once with numpy, so a whole
authority's OAs take a few array operations per sweep. (The ``ipfn`` package fits one
table per call, with pandas, and was last released in 2021; a vectorised loop over a few
thousand cells is shorter than adapting it, and the tests check that the margins are met.)

A zero cell in the seed stays zero, so a margin category that no seed cell carries cannot
be met: give the seed a small prior mass everywhere (the MRP estimator does).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

__all__ = ["cell_codes", "ipf"]


def cell_codes(sizes: Sequence[int]) -> np.ndarray:
    """Every combination of categories, one row per cell (last variable fastest).

    Examples
    --------
    >>> cell_codes([2, 3]).tolist()
    [[0, 0], [0, 1], [0, 2], [1, 0], [1, 1], [1, 2]]
    """
    grids = np.indices(tuple(sizes)).reshape(len(sizes), -1)
    return grids.T.astype(np.int64)


def ipf(
    seed: np.ndarray,
    cells: np.ndarray,
    margins: Sequence[np.ndarray],
    *,
    tol: float = 1e-6,
    max_iter: int = 200,
) -> tuple[np.ndarray, np.ndarray]:
    """Fit the seed to every area's margins.

    Parameters
    ----------
    seed : ndarray of shape (n_cells,) or (n_areas, n_cells)
        Non-negative seed (the survey's weighted joint distribution).
    cells : ndarray of shape (n_cells, n_vars)
        The category of each cell on each variable (:func:`cell_codes`).
    margins : sequence of ndarray, one per variable, of shape (n_areas, n_categories)
        Target proportions (each row sums to 1) or counts (each variable's rows with the
        same total).
    tol : float, default=1e-6
        Stop when no fitted margin differs from its target by more than ``tol``.
    max_iter : int, default=200
        Largest number of sweeps.

    Returns
    -------
    joint : ndarray of shape (n_areas, n_cells)
        The fitted joint distribution of every area (same total as its margins).
    error : ndarray of shape (n_areas,)
        Largest absolute difference between a fitted and a target margin, per area.

    Examples
    --------
    A 2 x 2 table fitted to row margins (0.3, 0.7) and column margins (0.6, 0.4):

    >>> joint, err = ipf(np.array([1.0, 1.0, 1.0, 3.0]), cell_codes([2, 2]),
    ...                  [np.array([[0.3, 0.7]]), np.array([[0.6, 0.4]])])
    >>> table = joint[0].reshape(2, 2)
    >>> table.sum(axis=1).round(6).tolist(), table.sum(axis=0).round(6).tolist()
    ([0.3, 0.7], [0.6, 0.4])
    >>> bool(err[0] < 1e-6)
    True
    """
    margins = [np.asarray(m, dtype=float) for m in margins]
    n_areas = margins[0].shape[0]
    total = margins[0].sum(axis=1)
    joint = np.array(np.broadcast_to(seed, (n_areas, cells.shape[0])), dtype=float)
    s = joint.sum(axis=1, keepdims=True)
    joint = np.divide(joint * total[:, None], s, out=np.zeros_like(joint), where=s > 0)
    onehots = [np.eye(m.shape[1])[cells[:, k]] for k, m in enumerate(margins)]
    error = np.full(n_areas, np.inf)
    for _ in range(max_iter):
        for k, m in enumerate(margins):
            current = joint @ onehots[k]
            ratio = np.divide(m, current, out=np.zeros_like(m), where=current > 0)
            joint *= ratio[:, cells[:, k]]
        error = np.max(
            [np.abs(joint @ oh - m).max(axis=1) for oh, m in zip(onehots, margins, strict=True)],
            axis=0,
        )
        if error.max() < tol:
            break
    return joint, error
