"""A national benchmark: every area's cluster shares as an index against the survey.

For every OA, LSOA and ward, ``index_<cluster>`` = 100 × the area's share ÷ the whole
survey's weighted share of that cluster (the benchmark: 100 = the same as the survey
population, nationally), and ``band_<cluster>`` reads the index in five bands:

=================  ============
band               index
=================  ============
``well below``     below 80
``below``          80 to 95
``around average`` 95 to 105
``above``          105 to 120
``well above``     above 120
=================  ============

An area is ``around average`` whatever its index whenever the share's interval, as an
index, covers 100: the estimate cannot tell it from the benchmark. Edges are read
symmetrically about 100: 80 and 120 are ``below`` and ``above``, 95 and 105 ``around
average``. The benchmark share is taken
as known: with thousands of respondents its own sampling error is small against an
area's.

``bivariate`` (LSOAs) crosses tertiles of predicted need (−``resilience_score``) with
tertiles of ``hard_index`` within the study area: ``1-1`` (low predicted need, low hard
need) … ``3-3`` (high on both); ``1-3`` and ``3-1`` are where the two disagree most.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ..clusters import CLUSTER_KEYS
from ..errors import InputDataError, format_examples
from .flags import ntiles

if TYPE_CHECKING:
    from ..models.aggregate import AreaSummaries

__all__ = [
    "BANDS",
    "BAND_EDGES",
    "BIVARIATE_CLASSES",
    "add_benchmarks",
    "band",
    "benchmark_columns",
    "bivariate",
    "survey_shares",
]

#: Band labels, lowest first.
BANDS = ("well below", "below", "around average", "above", "well above")
#: Index values where the next band begins (80, 95, 105, 120).
BAND_EDGES = (80.0, 95.0, 105.0, 120.0)
#: The nine classes of ``bivariate``: predicted-need tertile – hard-need tertile.
BIVARIATE_CLASSES = tuple(f"{p}-{h}" for p in (1, 2, 3) for h in (1, 2, 3))


def band(index: np.ndarray | pd.Series, lo: object = None, hi: object = None) -> np.ndarray:
    """Band of each index value; ``around average`` where ``lo ≤ 100 ≤ hi``.

    Examples
    --------
    >>> band(np.array([70.0, 80.0, 99.0, 105.0, 120.0, 130.0])).tolist()
    ['well below', 'below', 'around average', 'around average', 'above', 'well above']
    >>> band(np.array([130.0]), lo=np.array([98.0]), hi=np.array([160.0])).tolist()
    ['around average']
    """
    x = np.asarray(index, dtype=float)
    low, high = np.asarray(BAND_EDGES[:2]), np.asarray(BAND_EDGES[2:])
    pos = np.where(
        x < 100.0, np.searchsorted(low, x, side="right"), 2 + np.searchsorted(high, x, side="left")
    )
    out = np.asarray(BANDS, dtype=object)[np.clip(pos, 0, len(BANDS) - 1)]
    if lo is not None and hi is not None:
        covers = (np.asarray(lo, dtype=float) <= 100.0) & (np.asarray(hi, dtype=float) >= 100.0)
        out = np.where(covers, "around average", out)
    return np.where(np.isnan(x), None, out)


def benchmark_columns(frame: pd.DataFrame, benchmark: Mapping[str, float]) -> pd.DataFrame:
    """``index_<cluster>`` (with ``_lo``/``_hi`` when the shares have intervals) and
    ``band_<cluster>`` for every row of ``frame``.

    Parameters
    ----------
    frame : DataFrame
        ``share_<cluster>`` columns (and ``share_<cluster>_lo``/``_hi``).
    benchmark : mapping
        Cluster key → the whole survey's weighted share.

    Examples
    --------
    >>> f = pd.DataFrame({f"share_{k}": [1 / 6] for k in CLUSTER_KEYS})
    >>> bench = dict.fromkeys(CLUSTER_KEYS, 1 / 6) | {"isolation": 0.125}
    >>> out = benchmark_columns(f, bench)
    >>> float(round(out.loc[0, "index_isolation"], 1)), out.loc[0, "band_isolation"]
    (133.3, 'well above')
    """
    missing = [k for k in CLUSTER_KEYS if f"share_{k}" not in frame.columns]
    if missing:
        raise InputDataError(
            f"benchmark_columns() needs the share columns; missing "
            f"{format_examples([f'share_{k}' for k in missing])}."
        )
    out = pd.DataFrame(index=frame.index)
    for k in CLUSTER_KEYS:
        ref = float(benchmark[k])
        if not ref > 0:
            raise InputDataError(
                f"The benchmark share of {k} is {ref!r}; an index needs a positive share."
            )
        idx = 100.0 * frame[f"share_{k}"].to_numpy(dtype=float) / ref
        out[f"index_{k}"] = idx
        bounds = [f"share_{k}_lo", f"share_{k}_hi"]
        lo = hi = None
        if all(c in frame.columns for c in bounds):
            lo = 100.0 * frame[bounds[0]].to_numpy(dtype=float) / ref
            hi = 100.0 * frame[bounds[1]].to_numpy(dtype=float) / ref
            out[f"index_{k}_lo"], out[f"index_{k}_hi"] = lo, hi
        out[f"band_{k}"] = band(idx, lo, hi)
    return out


def bivariate(predicted_score: pd.Series, hard_index: pd.Series) -> pd.Series:
    """3 × 3 class of predicted-need tertile × hard-need tertile (``1-1`` … ``3-3``).

    Tertiles are cut within the areas that have both values, by the rule of
    :func:`~resilience.compare.flags.quintiles` (average ranks for ties).

    Examples
    --------
    >>> score = pd.Series([0.3, 0.2, 0.1, 0.0, -0.1, -0.2])
    >>> hard = pd.Series([3.0, 2.0, 1.0, 6.0, 5.0, 4.0])
    >>> bivariate(score, hard).tolist()
    ['1-2', '1-1', '2-1', '2-3', '3-3', '3-2']
    """
    score = pd.to_numeric(predicted_score, errors="coerce").astype(float)
    hard = pd.to_numeric(hard_index.reindex(score.index), errors="coerce").astype(float)
    both = score.notna() & hard.notna()
    p = ntiles((-score).where(both), 3)
    h = ntiles(hard.where(both), 3)
    out = pd.Series(None, index=score.index, dtype=object, name="bivariate")
    out[both] = p[both].astype(str) + "-" + h[both].astype(str)
    return out


def survey_shares(estimates: pd.DataFrame) -> dict[str, float]:
    """The whole survey's weighted share of each cluster: the national benchmark.

    ``estimates`` is :attr:`AreaEstimator.estimates_`, whose ``("all", "all")`` row is
    the whole sample.
    """
    row = estimates.loc[("all", "all")]
    return {k: float(row[f"share_{k}"]) for k in CLUSTER_KEYS}


def add_benchmarks(
    oa: pd.DataFrame, summaries: AreaSummaries, benchmark: Mapping[str, float]
) -> pd.DataFrame:
    """The OA table with :func:`benchmark_columns` joined, and the same joined onto the
    LSOA and ward summaries (in place); returns the new OA table."""
    for agg in (summaries.lsoa, summaries.ward):
        agg.frame = agg.frame.join(benchmark_columns(agg.frame, benchmark))
    return oa.join(benchmark_columns(oa, benchmark))
