"""The figures a one-page summary states: borough-wide shares, score, flags, ward ranking."""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..clusters import ASSETS, CLUSTER_KEYS, VULNERABILITIES, share_columns
from ..errors import DataQualityWarning
from ..schema import AGREE, DISAGREE
from ._frames import require

__all__ = ["FLAG_VALUES", "Summary", "rank_wards", "summarise"]

#: The flag values, in display order: disagreements first.
FLAG_VALUES: tuple[str, ...] = (*DISAGREE, AGREE)


@dataclass(frozen=True)
class Summary:
    """Headline figures of a run.

    Attributes
    ----------
    n_oa, n_lsoa, n_ward : int
        Areas in the results (``n_oa`` is None without OA results).
    population : float or None
        Total population of the LSOAs, when the weights are known.
    weighted : bool
        Whether the borough-wide figures are population-weighted (False: LSOAs weigh
        equally because ``population`` is missing or zero).
    shares : Series
        Borough-wide share of each cluster, indexed by cluster key.
    score : float
        Borough-wide resilience score.
    asset_share, vulnerability_share : float
        Sums of the asset and of the vulnerability shares.
    flag_counts : dict of str to int
        LSOAs per flag value (``predicted_worse``, ``hard_worse``, ``agree``).
    correlation : float or None
        Spearman correlation over LSOAs of predicted vulnerability (−resilience_score)
        with ``hard_index``; None without enough hard data.
    largest_in : Series
        Number of areas (OAs when given, else LSOAs) where each cluster is the largest.
    wards : DataFrame
        Wards ranked by :func:`rank_wards`.
    """

    n_oa: int | None
    n_lsoa: int
    n_ward: int
    population: float | None
    weighted: bool
    shares: pd.Series
    score: float
    asset_share: float
    vulnerability_share: float
    flag_counts: dict[str, int]
    correlation: float | None
    largest_in: pd.Series
    wards: pd.DataFrame


def summarise(oa: pd.DataFrame | None, lsoa: pd.DataFrame, ward: pd.DataFrame) -> Summary:
    """Compute the headline figures from the OA, LSOA and ward results.

    Borough-wide shares are population-weighted means of the LSOA shares (the LSOA
    figures are themselves population-weighted means of their OAs, so this equals the
    population-weighted OA mean).

    Examples
    --------
    >>> from resilience.clusters import share_columns
    >>> lsoa = pd.DataFrame([[.2, .2, .1, .2, .1, .2, -0.2, 100],
    ...                      [.1, .3, .2, .1, .2, .1, 0.4, 300]],
    ...                     columns=[*share_columns(), "resilience_score", "population"])
    >>> lsoa["lsoa_code"] = ["E01000001", "E01000002"]
    >>> ward = pd.DataFrame({"ward_code": ["E05000001"], "resilience_score": [0.25]})
    >>> s = summarise(None, lsoa, ward)
    >>> round(s.score, 2), round(float(s.shares["high_wellbeing"]), 3)
    (0.25, 0.275)
    """
    require(lsoa, ["lsoa_code", "resilience_score", *share_columns()], table="lsoa")
    require(ward, ["ward_code", "resilience_score"], table="ward")
    weights, weighted = _weights(lsoa)
    shares = pd.Series(
        [_wmean(lsoa[c], weights) for c in share_columns()], index=list(CLUSTER_KEYS)
    )
    areas = oa if oa is not None and set(share_columns()) <= set(oa.columns) else lsoa
    return Summary(
        n_oa=None if oa is None else len(oa),
        n_lsoa=len(lsoa),
        n_ward=len(ward),
        population=float(weights.sum()) if weighted else None,
        weighted=weighted,
        shares=shares,
        score=_wmean(lsoa["resilience_score"], weights),
        asset_share=float(shares[list(ASSETS)].sum()),
        vulnerability_share=float(shares[list(VULNERABILITIES)].sum()),
        flag_counts=_flag_counts(lsoa),
        correlation=_correlation(lsoa),
        largest_in=_largest_in(areas),
        wards=rank_wards(ward),
    )


def rank_wards(ward: pd.DataFrame) -> pd.DataFrame:
    """Wards with a score, least resilient first, with ``rank`` (1 = lowest score).

    Tied scores share the lower rank (``method="min"``); wards without a score are left
    out.

    Examples
    --------
    >>> w = pd.DataFrame({"ward_code": ["A", "B", "C"], "resilience_score": [0.1, -0.3, 0.1]})
    >>> rank_wards(w)[["ward_code", "rank"]].to_dict("list")
    {'ward_code': ['B', 'A', 'C'], 'rank': [1, 2, 2]}
    """
    w = ward.copy()
    w["resilience_score"] = pd.to_numeric(w["resilience_score"], errors="coerce")
    w = w[w["resilience_score"].notna()]
    w["rank"] = w["resilience_score"].rank(method="min", ascending=True).astype(int)
    return w.sort_values(["rank", "ward_code"], kind="stable").reset_index(drop=True)


def _weights(lsoa: pd.DataFrame) -> tuple[pd.Series, bool]:
    if "population" in lsoa.columns:
        pop = pd.to_numeric(lsoa["population"], errors="coerce").fillna(0.0)
        if (pop >= 0).all() and pop.sum() > 0:
            return pop.astype(float), True
    warnings.warn(
        f"The LSOA results have no usable 'population' column; the report weights all "
        f"{len(lsoa)} LSOAs equally in borough-wide figures.",
        DataQualityWarning,
        stacklevel=4,  # _weights <- summarise <- write_report <- the caller
    )
    return pd.Series(1.0, index=lsoa.index), False


def _wmean(values: pd.Series, weights: pd.Series) -> float:
    v = pd.to_numeric(values, errors="coerce")
    ok = v.notna() & (weights > 0)
    if not ok.any():
        return float("nan")
    return float(np.average(v[ok], weights=weights[ok]))


def _flag_counts(lsoa: pd.DataFrame) -> dict[str, int]:
    if "flag" not in lsoa.columns:
        return {}
    counts = lsoa["flag"].astype("string").value_counts()
    return {f: int(counts.get(f, 0)) for f in FLAG_VALUES}


def _correlation(lsoa: pd.DataFrame) -> float | None:
    if "hard_index" not in lsoa.columns:
        return None
    pair = pd.DataFrame(
        {
            "predicted": -pd.to_numeric(lsoa["resilience_score"], errors="coerce"),
            "hard": pd.to_numeric(lsoa["hard_index"], errors="coerce"),
        }
    ).dropna()
    if len(pair) < 3 or pair["predicted"].nunique() < 2 or pair["hard"].nunique() < 2:
        return None
    return float(pair["predicted"].rank().corr(pair["hard"].rank()))


def _largest_in(areas: pd.DataFrame) -> pd.Series:
    if "dominant_cluster" in areas.columns:
        dominant = areas["dominant_cluster"].astype("string")
    else:
        values = areas[share_columns()].apply(pd.to_numeric, errors="coerce")
        ok = values.notna().all(axis=1)
        dominant = pd.Series(
            np.asarray(CLUSTER_KEYS)[values[ok].to_numpy().argmax(axis=1)], dtype="string"
        )
    counts = dominant.value_counts()
    return pd.Series([int(counts.get(k, 0)) for k in CLUSTER_KEYS], index=list(CLUSTER_KEYS))
