"""Population-weighted aggregation of OA estimates to LSOAs, wards and the whole area.

Point estimates are population-weighted means of the OA shares. Intervals come from
the bootstrap replicates aggregated the same way (never from averaging the OA bounds),
so an LSOA's interval is narrower than its OAs' when they draw on different categories
and the same when they share one.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import sparse

from ..clusters import share_columns
from ..errors import DataQualityWarning, InputDataError, format_examples
from ._intervals import summary_columns

__all__ = ["Aggregate", "AreaSummaries", "aggregate", "aggregate_areas", "population_weights"]


@dataclass
class Aggregate:
    """Aggregated estimates for a set of groups (LSOAs, wards or the whole area).

    Attributes
    ----------
    frame : DataFrame
        Indexed by group code: ``population``, ``n_oa``, ``share_<cluster>`` with
        ``_lo``/``_hi``, ``dominant_cluster``, ``resilience_score`` with ``_lo``/``_hi``.
    score_replicates : ndarray of shape (n_boot, n_groups)
        Bootstrap replicates of each group's resilience score (same order as ``frame``).
    """

    frame: pd.DataFrame
    score_replicates: np.ndarray


def population_weights(oa_codes: pd.Index, population: pd.Series | None) -> pd.Series:
    """Adult population per OA for weighting, with missing values made explicit.

    No population at all: every OA weighs the same (a warning says so). Some OAs missing:
    they take the median of the others (a warning counts them). Negative values are an
    error.
    """
    if population is None:
        warnings.warn(
            "No OA population given: LSOA and ward figures weight every OA equally. Add "
            "[geography] population (adults, e.g. Census 2021 TS007A) for population weights.",
            DataQualityWarning,
            stacklevel=2,
        )
        return pd.Series(1.0, index=oa_codes, name="population")
    pop = pd.to_numeric(population.reindex(oa_codes), errors="coerce").astype(float)
    if (pop < 0).any():
        bad = pop[pop < 0]
        raise InputDataError(
            f"Population must not be negative; {len(bad)} OA(s) are, e.g. "
            f"{format_examples([f'{c}: {v:g}' for c, v in bad.items()])}."
        )
    missing = pop.isna()
    if missing.all():
        warnings.warn(
            "None of the OAs has a population (are the codes from another vintage?): LSOA and "
            "ward figures weight every OA equally.",
            DataQualityWarning,
            stacklevel=2,
        )
        return pd.Series(1.0, index=oa_codes, name="population")
    if missing.any():
        fill = float(pop.median())
        warnings.warn(
            f"{int(missing.sum())} of {len(pop)} OAs have no population, e.g. "
            f"{format_examples(list(pop.index[missing]))}; they are weighted with the median OA "
            f"population ({fill:g}).",
            DataQualityWarning,
            stacklevel=2,
        )
        pop = pop.fillna(fill)
    return pop.rename("population")


def _group_matrix(groups: pd.Series, weights: pd.Series) -> tuple[sparse.csr_matrix, pd.Index]:
    """Row-normalised (groups x OAs) weight matrix; a group of zero population weighs its
    OAs equally."""
    codes = pd.Index(sorted(groups.dropna().unique()), name=groups.name)
    pos = pd.Series(np.arange(len(codes)), index=codes)
    ok = groups.notna().to_numpy()
    rows = pos.reindex(groups[ok].to_numpy()).to_numpy()
    cols = np.where(ok)[0]
    w = weights.to_numpy(dtype=float)[ok]
    totals = np.bincount(rows, weights=w, minlength=len(codes))
    w = np.where(totals[rows] > 0, w, 1.0)
    totals = np.bincount(rows, weights=w, minlength=len(codes))
    G = sparse.csr_matrix((w / totals[rows], (rows, cols)), shape=(len(codes), len(groups)))
    return G, codes


def aggregate(
    oa: pd.DataFrame,
    groups: pd.Series,
    weights: pd.Series,
    *,
    population: pd.Series | None = None,
    replicates: np.ndarray | None = None,
    membership: sparse.spmatrix | None = None,
    category_replicates: np.ndarray | None = None,
    interval: float = 0.9,
) -> Aggregate:
    """Population-weighted means of OA shares within groups, with replicate intervals.

    Parameters
    ----------
    oa : DataFrame
        OA estimates indexed by OA code, with the six ``share_<cluster>`` columns.
    groups : Series
        Group code of every OA (same index as ``oa``; missing = in no group).
    weights : Series
        Weight of every OA (same index), e.g. from :func:`population_weights`.
    population : Series, optional
        The OAs' population as known (missing where unknown). A group's ``population`` is
        its sum, and missing when any of its OAs' is unknown: weights made up for missing
        populations are never reported as population.
    replicates : ndarray of shape (n_boot, n_oa, 6), optional
        Bootstrap replicates of the OA shares, in the order of ``oa``.
    membership, category_replicates : optional
        Instead of ``replicates``: the (n_oa x n_categories) membership matrix of the OAs
        and the replicates of the categories (n_boot, n_categories, 6), as kept by
        :class:`~resilience.AreaEstimator`. Groups are then computed as
        ``(G @ membership) @ replicate`` without ever holding OA-level replicates.
    interval : float, default=0.9
        Coverage of the percentile intervals.

    Returns
    -------
    Aggregate

    Examples
    --------
    >>> oa = pd.DataFrame(np.tile([0.5, 0.1, 0.1, 0.1, 0.1, 0.1], (3, 1)),
    ...                   index=["a", "b", "c"], columns=share_columns())
    >>> oa.iloc[2] = [0.1, 0.5, 0.1, 0.1, 0.1, 0.1]
    >>> pop = pd.Series([100.0, 300.0, 50.0], index=oa.index)
    >>> agg = aggregate(oa, pd.Series(["L1", "L1", "L2"], index=oa.index), pop, population=pop)
    >>> agg.frame.loc["L1", "population"], agg.frame.loc["L2", "dominant_cluster"]
    (np.float64(400.0), 'high_wellbeing')
    """
    if not oa.index.equals(groups.index) or not oa.index.equals(weights.index):
        raise ValueError("oa, groups and weights must share one index (OA codes).")
    G, codes = _group_matrix(groups, weights)
    shares = G @ oa[share_columns()].to_numpy(dtype=float)
    out = pd.DataFrame(shares, index=codes, columns=share_columns())
    ok = groups.notna()
    if population is None:
        pop = pd.Series(np.nan, index=codes)
    else:
        known = population.reindex(oa.index)
        pop = known[ok].groupby(groups[ok]).sum().reindex(codes)
        incomplete = known[ok].isna().groupby(groups[ok]).any().reindex(codes)
        pop = pop.mask(incomplete)
    out.insert(0, "population", pop.astype(float))
    out.insert(1, "n_oa", groups[ok].value_counts().reindex(codes).astype(int))
    if membership is not None and category_replicates is not None and len(category_replicates):
        GM = sparse.csr_matrix(G @ membership)
        replicates = None
        reps = np.stack([GM @ r for r in category_replicates]).astype(np.float32)
    elif replicates is not None and len(replicates):
        reps = np.stack([G @ r for r in replicates]).astype(np.float32)
    else:
        reps = None
    cols, score_reps = summary_columns(shares, reps, interval)
    return Aggregate(out.assign(**cols), score_reps)


@dataclass
class AreaSummaries:
    """Population-weighted summaries of the OA estimates for every LSOA, ward and the area.

    Attributes
    ----------
    lsoa, ward, area : Aggregate
        The LSOAs, the wards and the whole study area (one row, ``all``).
    weights : Series
        The weight of every OA (population, with gaps filled; see
        :func:`population_weights`).
    population : Series or None
        The OAs' population as given (missing where unknown; None without a population).
    """

    lsoa: Aggregate
    ward: Aggregate
    area: Aggregate
    weights: pd.Series
    population: pd.Series | None

    def __repr__(self) -> str:
        return (
            f"<AreaSummaries: {len(self.lsoa.frame):,} LSOAs, {len(self.ward.frame):,} wards, "
            f"{len(self.weights):,} OAs>"
        )


def aggregate_areas(
    oa: pd.DataFrame,
    lookup: pd.DataFrame,
    population: pd.Series | None,
    *,
    membership: sparse.spmatrix | None = None,
    category_replicates: np.ndarray | None = None,
    interval: float = 0.9,
) -> AreaSummaries:
    """Summaries of the OA estimates ``oa`` for the LSOAs, wards and the whole area.

    Parameters
    ----------
    oa : DataFrame
        OA estimates indexed by OA code, with the six ``share_<cluster>`` columns.
    lookup : DataFrame
        ``lsoa_code`` and ``ward_code`` of every OA, indexed by OA code.
    population : Series, optional
        OA population (the weights; see :func:`population_weights`).
    membership, category_replicates, interval
        As for :func:`aggregate`.

    Examples
    --------
    >>> oa = pd.DataFrame(np.full((2, 6), 1 / 6), index=["a", "b"], columns=share_columns())
    >>> lk = pd.DataFrame({"lsoa_code": ["L1", "L2"], "ward_code": ["W1", "W1"]}, index=oa.index)
    >>> s = aggregate_areas(oa, lk, pd.Series([10.0, 30.0], index=oa.index))
    >>> s.ward.frame.loc["W1", "population"], len(s.lsoa.frame)
    (np.float64(40.0), 2)
    """
    codes = oa.index
    weights = population_weights(codes, population)
    known = population.reindex(codes) if population is not None else None
    lk = lookup.reindex(codes)
    reps = {
        "membership": membership,
        "category_replicates": category_replicates,
        "interval": interval,
        "population": known,
    }
    whole = pd.Series("all", index=codes, name="area")
    return AreaSummaries(
        lsoa=aggregate(oa, lk["lsoa_code"], weights, **reps),
        ward=aggregate(oa, lk["ward_code"], weights, **reps),
        area=aggregate(oa, whole, weights, **reps),
        weights=weights,
        population=known,
    )
