"""Are the flags better than chance? A check that prediction and hard data are related.

When the predicted vulnerability and the hard-data index are unrelated (a survey that
does not match the classification, indicators pointing the wrong way, a synthetic
survey), cutting both into quintiles and flagging gaps of ``quintile_gap`` or more flags
about as many LSOAs as two independent random quintiles would:
:func:`chance_flag_rate` gives that rate exactly, 48 % for a gap of 2.
:func:`chance_check` compares the run with it.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

__all__ = ["RHO_NEAR_ZERO", "chance_check", "chance_flag_rate"]

#: |Spearman ρ| below which prediction and hard data count as unrelated.
RHO_NEAR_ZERO = 0.1
#: Share of the chance flag rate above which the flag rate counts as "near chance".
_NEAR_CHANCE = 0.75
_N_QUANTILES = 5


def chance_flag_rate(quintile_gap: int, n: int = _N_QUANTILES) -> float:
    """Share of areas flagged when both quintiles are independent and uniform.

    For independent uniform ranks on 1..n, ``|Q1 - Q2| = k`` happens for ``2(n - k)`` of
    the ``n²`` ordered pairs (k ≥ 1), so a gap of ``g`` or more has probability
    ``(n - g)(n - g + 1) / n²``.

    Examples
    --------
    >>> chance_flag_rate(2)  # 12 of the 25 pairs of quintiles
    0.48
    >>> [chance_flag_rate(g) for g in (1, 3, 4)]
    [0.8, 0.24, 0.08]
    """
    if not 1 <= quintile_gap < n:
        raise ValueError(f"quintile_gap must be 1 to {n - 1}; got {quintile_gap}")
    return (n - quintile_gap) * (n - quintile_gap + 1) / n**2


def chance_check(
    predicted_need: pd.Series,
    hard: pd.Series,
    flag: pd.Series,
    *,
    quintile_gap: int = 2,
    interval: float = 0.9,
) -> dict[str, Any]:
    """Whether the flags are no better than chance.

    Parameters
    ----------
    predicted_need : Series
        Predicted vulnerability by LSOA (``-resilience_score``).
    hard : Series
        ``hard_index`` by LSOA (higher = more need).
    flag : Series
        The comparison's flag by LSOA (``agree``, ``predicted_worse``, ``hard_worse``).
    quintile_gap, interval
        The run's flag threshold and the level of the interval for ρ.

    Returns
    -------
    dict
        ``n``, ``rho`` (Spearman), ``rho_lo``/``rho_hi`` (the ``interval`` confidence
        interval from Fisher's z with the Bonett & Wright (2000) variance
        ``(1 + ρ²/2) / (n - 3)``), ``flag_rate``, ``chance_rate``, ``no_better`` (True when
        ρ is not clearly positive: |ρ| < :data:`RHO_NEAR_ZERO`, an interval covering 0, or
        a negative ρ (the two rank areas in opposite order); and the flag rate is at least
        three quarters of the chance rate) and ``message`` (what to check; empty when
        ``no_better`` is False).

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> a, b = pd.Series(rng.normal(size=200)), pd.Series(rng.normal(size=200))
    >>> from resilience.compare.flags import compare
    >>> flags = compare(-a, pd.DataFrame({"hard_index": b}))["flag"]
    >>> out = chance_check(a, b, flags)
    >>> out["no_better"], out["chance_rate"]
    (True, 0.48)
    """
    frame = pd.concat({"p": predicted_need, "h": hard}, axis=1).dropna()
    n = len(frame)
    rho = float(stats.spearmanr(frame["p"], frame["h"]).statistic) if n >= 3 else float("nan")
    lo = hi = float("nan")
    if n > 3 and np.isfinite(rho):
        z = math.atanh(max(min(rho, 0.999999), -0.999999))
        se = math.sqrt((1 + rho**2 / 2) / (n - 3))
        q = stats.norm.ppf(0.5 + interval / 2)
        lo, hi = math.tanh(z - q * se), math.tanh(z + q * se)
    flagged = flag.reindex(frame.index).isin(["predicted_worse", "hard_worse"])
    rate = float(flagged.mean()) if n else float("nan")
    chance = chance_flag_rate(quintile_gap)
    # not related the expected way: near zero, an interval covering 0, or reversed
    positive = abs(rho) >= RHO_NEAR_ZERO and lo > 0
    no_better = bool(np.isfinite(rho) and not positive and rate >= _NEAR_CHANCE * chance)
    message = ""
    if no_better:
        how = "rank the areas in opposite order" if hi < 0 else "are unrelated"
        message = (
            f"The flags are no better than chance: across the {n} LSOAs the predicted "
            f"vulnerability and the hard-data index {how} (Spearman rho {rho:.2f}, "
            f"{interval:.0%} CI {lo:.2f} to {hi:.2f}), and {rate:.0%} of LSOAs are flagged "
            f"where two unrelated quintile rankings would flag {chance:.0%}. Check that the "
            "survey is the real one (a synthetic trial survey is unrelated to the hard data "
            "by design), that the survey and the classification use the same categories at "
            "every level, that each indicator's higher_is direction is right, and that the "
            "hard data are for the same LSOAs and years."
        )
    return {
        "n": n,
        "rho": rho,
        "rho_lo": lo,
        "rho_hi": hi,
        "flag_rate": rate,
        "chance_rate": chance,
        "no_better": no_better,
        "message": message,
    }
