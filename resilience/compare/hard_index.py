"""Standardising hard-data indicators and combining them into ``hard_index``.

Split from :mod:`resilience.inputs.hard` (which reads the tables); import ``hard_index`` from
there.
"""

from __future__ import annotations

import math
import re
import warnings
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from scipy.stats import norm

from ..errors import ConfigError, DataQualityWarning
from ..inputs._file7 import header_key

if TYPE_CHECKING:
    from ..inputs.hard import HardData, Indicator

__all__ = ["METHODS", "group_hard_index", "hard_index", "slug"]

#: Standardisation methods of :func:`hard_index`.
METHODS = ("zscore", "rank", "exponential")


def slug(text: str) -> str:
    """lower_snake_case form of a column title (``"Income Score (rate)"`` → ``income_score_rate``).

    Examples
    --------
    >>> slug("Income Score (rate)")
    'income_score_rate'
    """
    return re.sub(r"[^0-9a-z]+", "_", header_key(text)).strip("_")


def _standardise(x: pd.Series, method: str, ind: Indicator) -> pd.Series:
    ok = x.notna()
    n = int(ok.sum())
    if n and x[ok].nunique() == 1:
        warnings.warn(
            f"Hard-data indicator {ind.column!r} has the same value ({x[ok].iloc[0]:g}) in "
            f"all {n} LSOAs with data, so it cannot tell them apart; its standardised "
            "value is the same everywhere.",
            DataQualityWarning,
            stacklevel=3,
        )
    if method == "zscore":
        sd = float(x.std(ddof=0)) if n else 0.0
        if not sd:
            return x.where(~ok, 0.0)
        return (x - x.mean()) / sd
    r = x.rank(method="average")  # 1 = least need; NaN stays NaN
    if method == "rank":
        return pd.Series(norm.ppf((r - 0.5) / n), index=x.index).where(ok)
    # exponential: R = rank / n, with R = 1/n for the least and 1 for the most need
    big_r = r / n
    return -23.0 * np.log(1.0 - big_r * (1.0 - math.exp(-100.0 / 23.0)))


def _weighted_mean(frame: pd.DataFrame, weights: Sequence[float]) -> pd.Series:
    w = np.asarray(weights, dtype=float)
    x = frame.to_numpy(dtype=float)
    avail = ~np.isnan(x)
    wsum = (avail * w).sum(axis=1)
    total = np.where(avail, x, 0.0) @ w
    with np.errstate(invalid="ignore", divide="ignore"):
        out = np.where(wsum > 0, total / wsum, np.nan)
    return pd.Series(out, index=frame.index)


def hard_index(data: HardData, *, method: str = "zscore") -> pd.DataFrame:
    """Align, standardise, weight and combine the indicators into ``hard_index``.

    Every indicator is turned round where ``higher_is = "better"`` so that higher always
    means more need, then standardised within the LSOAs of ``data`` (the study area):

    - ``"zscore"`` (default): (x − mean) / standard deviation (population
      form, ddof = 0).
    - ``"rank"``: rank-based normal scores Φ⁻¹((r − ½) / n), r the rank from least to
      most need (ties take their average rank). Robust to outliers and skew.
    - ``"exponential"``: the exponential transformation of the English Indices of
      Deprivation, X = −23 ln(1 − R(1 − e^(−100/23))), R = r / n the rank scaled to
      (0, 1] with 1/n for the least and 1 for the most need; X runs up to 100 and about
      10 % of areas score above 50, so a high value on one indicator is not cancelled
      out by low values on others. Source: McLennan et al. (2019), *The English Indices
      of Deprivation 2019: Technical report*, MHCLG, which combines its domains this
      way; the formula as published for the Scottish Indices of Deprivation 2003
      (Appendix 5, http://scotland.gov.uk/Publications/2003/02/16377/18206).

    ``hard_index`` is the weighted mean of the standardised indicators, with the weights
    normalised to sum to one. Where an LSOA lacks some indicator values, the mean is
    taken over the indicators it has (their weights renormalised); an LSOA with none gets
    a missing ``hard_index``.

    Parameters
    ----------
    data : HardData
    method : {"zscore", "rank", "exponential"}, default="zscore"

    Returns
    -------
    DataFrame
        Indexed like ``data.values`` (``lsoa_code``): ``<slug>_need`` for each indicator
        (aligned and standardised, higher = more need), ``hard_index``, and
        ``hard_<domain>`` for each domain named in the indicators (same rule within the
        domain). ``attrs["indicators"]`` lists, per indicator, its need column,
        plain-English name, domain and weight; ``attrs["method"]`` the method.
    """
    if method not in METHODS:
        raise ConfigError(
            f"The hard-data standardisation method must be one of {', '.join(METHODS)}; "
            f"got {method!r}."
        )
    if not data.indicators:
        raise ConfigError("hard_index needs at least one indicator.")
    vals = data.values
    out = pd.DataFrame(index=vals.index)
    for ind in data.indicators:
        x = vals[ind.slug].astype(float)
        aligned = x if ind.higher_is == "worse" else -x
        out[ind.need_column] = _standardise(aligned, method, ind)
    need_cols = [i.need_column for i in data.indicators]
    out["hard_index"] = _weighted_mean(out[need_cols], [i.weight for i in data.indicators])
    domains = list(dict.fromkeys(slug(i.domain) for i in data.indicators if i.domain))
    for dom in domains:
        members = [i for i in data.indicators if i.domain and slug(i.domain) == dom]
        out[f"hard_{dom}"] = _weighted_mean(
            out[[i.need_column for i in members]], [i.weight for i in members]
        )
    out.attrs["method"] = method
    out.attrs["indicators"] = [
        {
            "column": i.need_column,
            "slug": i.slug,
            "name": i.plain_name,
            "domain": i.domain,
            "weight": i.weight,
        }
        for i in data.indicators
    ]
    return out


def group_hard_index(hard: pd.Series, groups: pd.Series, population: pd.Series) -> pd.Series:
    """Population-weighted mean ``hard_index`` of the LSOAs in each group (e.g. ward).

    LSOAs without hard data are left out of their group's mean (and of its weights).

    Examples
    --------
    >>> h = pd.Series([1.0, -1.0, np.nan], index=["L1", "L2", "L3"])
    >>> wards = pd.Series(["W1", "W1", "W2"], index=h.index)
    >>> group_hard_index(h, wards, pd.Series([30.0, 10.0, 5.0], index=h.index)).to_dict()
    {'W1': 0.5, 'W2': nan}
    """
    weighted = (hard * population).groupby(groups).sum()
    total = population.where(hard.notna()).groupby(groups).sum()
    return (weighted / total.replace(0, np.nan)).rename("hard_index")
