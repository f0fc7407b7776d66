"""Replicate weights and label draws for the small-area bootstrap.

:func:`design_multipliers` draws the weight multipliers of one replicate of the
rescaling bootstrap of Rao & Wu (1988; Rao, Wu & Yue 1992, *Survey Methodology* 18(2)):
in every stratum with n_h primary sampling units (PSUs), n_h − 1 PSUs are drawn with
replacement and each respondent's weight is multiplied by n_h / (n_h − 1) times the number
of times its PSU was drawn. Without PSUs every respondent is its own PSU, and without
strata the whole sample is one stratum, so the same rule gives the ordinary bootstrap of
respondents (with n − 1 draws). A stratum with a single PSU cannot be resampled: it is
merged with the next stratum in sort order (the usual "collapsed strata" remedy).

:func:`draw_labels` draws every respondent's cluster from their membership
probabilities, so a replicate carries the uncertainty of the cluster assignment.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["Design", "design_multipliers", "draw_labels"]


class Design:
    """PSUs within strata, as integer codes ready for resampling.

    Parameters
    ----------
    psu, strata : array-like, optional
        PSU and stratum of every respondent (any hashable values; missing values make a
        respondent its own PSU, or put it in a stratum of its own kind). PSU codes are
        read within strata, as in ``svydesign(id = ~psu, strata = ~strata, nest = TRUE)``.
    n : int
        Number of respondents.

    Attributes
    ----------
    method : str
        ``"Rao–Wu rescaling bootstrap of PSUs within strata"`` when PSUs are given, else
        ``"bootstrap of respondents"`` (within strata when strata are given).
    n_psu, n_strata : int
        After collapsing strata with a single PSU.
    collapsed : int
        Number of single-PSU strata merged into a neighbour.

    Examples
    --------
    >>> d = Design(psu=[1, 1, 2, 2, 3, 3], strata=["a", "a", "a", "a", "b", "b"], n=6)
    >>> d.n_psu, d.n_strata, d.collapsed
    (3, 1, 1)
    """

    def __init__(self, psu: object = None, strata: object = None, *, n: int) -> None:
        if strata is None:
            s = pd.Series(np.zeros(n, dtype=np.int64))
        else:
            s = pd.Series(pd.Series(strata).astype("string").fillna("<missing>").to_numpy())
        if psu is None:
            p = pd.Series(np.arange(n).astype(str))
        else:
            raw = pd.Series(pd.Series(psu).astype("string").to_numpy())
            own = pd.Series([f"<respondent {i}>" for i in range(n)])
            p = raw.where(raw.notna(), own)
        strat_codes, strat_names = pd.factorize(s, sort=True)
        psu_codes = pd.factorize(pd.Series(strat_codes).astype(str) + "|" + p.astype(str))[0]
        # PSUs per stratum; merge single-PSU strata into the next (the last into the previous)
        n_s = len(strat_names)
        psus_in = [set() for _ in range(n_s)]
        for sc, pc in zip(strat_codes, psu_codes, strict=True):
            psus_in[sc].add(pc)
        target = np.arange(n_s)
        collapsed = 0
        groups: list[list[int]] = []
        current: list[int] = []
        count = 0
        for h in range(n_s):
            current.append(h)
            count += len(psus_in[h])
            if count >= 2:
                groups.append(current)
                current, count = [], 0
        if current:
            if groups:
                groups[-1].extend(current)
            else:
                groups.append(current)
        for g, members in enumerate(groups):
            target[members] = g
            collapsed += sum(1 for h in members if len(psus_in[h]) == 1 and len(members) > 1)
        self.stratum = target[strat_codes]
        self.psu = psu_codes
        self.n_strata = len(groups)
        self.n_psu = int(psu_codes.max()) + 1 if n else 0
        self.collapsed = int(collapsed)
        self.has_psu = psu is not None
        self.method = (
            "Rao–Wu rescaling bootstrap of PSUs within strata"
            if self.has_psu
            else "bootstrap of respondents" + (" within strata" if strata is not None else "")
        )
        # PSUs of each stratum, for drawing
        psu_stratum = np.zeros(self.n_psu, dtype=np.int64)
        psu_stratum[psu_codes] = self.stratum
        self._psus = [np.flatnonzero(psu_stratum == h) for h in range(self.n_strata)]


def design_multipliers(design: Design, rng: np.random.Generator) -> np.ndarray:
    """Weight multipliers of every respondent for one Rao–Wu replicate.

    Examples
    --------
    >>> d = Design(n=5)
    >>> m = design_multipliers(d, np.random.default_rng(0))
    >>> float(m.sum())  # n − 1 draws rescaled by n / (n − 1): the total weight is kept
    5.0
    """
    per_psu = np.zeros(design.n_psu)
    for units in design._psus:
        n_h = len(units)
        if n_h < 2:
            per_psu[units] = 1.0
            continue
        drawn = np.bincount(rng.integers(0, n_h, n_h - 1), minlength=n_h)
        per_psu[units] = drawn * (n_h / (n_h - 1))
    return per_psu[design.psu]


def draw_labels(proba: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """One cluster index per respondent, drawn from their membership probabilities.

    Examples
    --------
    >>> p = np.array([[1.0, 0.0], [0.0, 1.0]])
    >>> draw_labels(p, np.random.default_rng(0)).tolist()
    [0, 1]
    """
    cum = np.cumsum(proba, axis=1)
    u = rng.random((len(proba), 1)) * cum[:, -1:]
    return (u > cum).sum(axis=1).clip(0, proba.shape[1] - 1)
