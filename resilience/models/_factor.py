"""Exploratory factor analysis behind a small, labelled adapter around ``factor_analyzer``.

``factor_analyzer`` is fitted on the survey-weighted correlation matrix of the
standardised items (``is_corr_matrix=True``), so survey weights enter the factor model.
Scores are Thurstone regression scores, ``Z R⁻¹ S`` with ``S = L Φ`` the structure
matrix (loadings times factor correlations for an oblique rotation), standardised with
the survey weights. Factors are named after the construct whose items load most on them,
and signed so that their own construct's items load positively.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..errors import ModelFitError
from ..items import Item
from ._fa_compat import FactorAnalyzer, calculate_bartlett_sphericity, calculate_kmo

__all__ = ["FactorFit", "fit_factors", "parallel_analysis", "weighted_corr"]


def weighted_corr(z: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Correlation matrix of the columns of ``z`` with observation weights ``w``."""
    w = w / w.sum()
    mu = w @ z
    zc = z - mu
    cov = (zc * w[:, None]).T @ zc
    sd = np.sqrt(np.diag(cov))
    return cov / np.outer(sd, sd)


def parallel_analysis(
    corr: np.ndarray,
    n_obs: int,
    *,
    n_iter: int = 20,
    quantile: float = 0.95,
    random_state: int = 0,
) -> tuple[int, np.ndarray, np.ndarray]:
    """Horn's parallel analysis (Horn 1965, Psychometrika 30:179–185).

    Returns the number of eigenvalues of ``corr`` above the ``quantile`` of eigenvalues
    from uncorrelated normal data of the same size, with both sets of eigenvalues.
    """
    rng = np.random.default_rng(random_state)
    p = corr.shape[0]
    sims = np.empty((n_iter, p))
    for i in range(n_iter):
        x = rng.standard_normal((n_obs, p))
        sims[i] = np.sort(np.linalg.eigvalsh(np.corrcoef(x, rowvar=False)))[::-1]
    observed = np.sort(np.linalg.eigvalsh(corr))[::-1]
    threshold = np.quantile(sims, quantile, axis=0)
    above = observed > threshold
    n = int(np.argmin(above)) if not above.all() else p
    return n, observed, threshold


@dataclass
class FactorFit:
    """A fitted factor model (internal state of :class:`~resilience.SurveyModel`)."""

    loadings: pd.DataFrame  # items x factors (named)
    factor_corr: pd.DataFrame  # factors x factors
    score_weights: np.ndarray  # items x factors: scores = z @ score_weights
    score_mean: np.ndarray
    score_sd: np.ndarray
    names: list[str]
    missing_constructs: list[str]
    communalities: pd.Series
    variance: pd.DataFrame  # SS loadings, proportion, cumulative

    def scores(self, z: np.ndarray) -> np.ndarray:
        """Standardised factor scores of standardised, imputed item values."""
        return (z @ self.score_weights - self.score_mean) / self.score_sd


def _name_factors(
    load: np.ndarray, items: Sequence[Item]
) -> tuple[list[str], np.ndarray, list[str]]:
    """Name each factor by the construct whose items load most; sign it accordingly."""
    constructs = list(dict.fromkeys(it.construct for it in items))
    item_construct = np.array([it.construct for it in items])
    n_f = load.shape[1]
    strength = np.array(
        [[np.mean(np.abs(load[item_construct == c, j])) for c in constructs] for j in range(n_f)]
    )
    best = strength.argmax(axis=1)
    signs = np.ones(n_f)
    raw_names = []
    for j in range(n_f):
        c = constructs[best[j]]
        own = load[item_construct == c, j]
        signs[j] = 1.0 if own.sum() >= 0 else -1.0
        raw_names.append(c)
    counts: dict[str, int] = {}
    names = []
    for c in raw_names:
        counts[c] = counts.get(c, 0) + 1
        names.append(c if counts[c] == 1 else f"{c}_{counts[c]}")
    missing = [c for c in constructs if c not in raw_names]
    return names, signs, missing


def fit_factors(
    z: np.ndarray,
    w: np.ndarray,
    items: Sequence[Item],
    *,
    n_factors: int,
    rotation: str | None,
    method: str,
) -> FactorFit:
    """Fit the factor model on standardised, imputed items ``z`` with weights ``w``."""
    corr = weighted_corr(z, w)
    if not np.isfinite(corr).all():
        bad = [items[i].name for i in np.where(~np.isfinite(np.diag(corr)))[0]]
        raise ModelFitError(
            f"Items {bad} have no variation among the respondents used; the factor model "
            "cannot be fitted. Leave them out of the item set."
        )
    rot = None if rotation in (None, "none") else rotation
    fa = FactorAnalyzer(n_factors=n_factors, rotation=rot, method=method, is_corr_matrix=True)
    try:
        fa.fit(corr)
    except (np.linalg.LinAlgError, ValueError) as err:
        raise ModelFitError(f"The factor analysis failed: {err}") from err
    load = np.asarray(fa.loadings_, dtype=float)
    # factor_analyzer 0.5.1 sorts the factors by variance after an oblique rotation and
    # reorders loadings_ and structure_ but not phi_, so phi_ belongs to the unsorted
    # factors. Recover the factor correlations from the (correctly ordered) structure
    # matrix instead: S = L Φ.
    structure = getattr(fa, "structure_", None)
    if structure is None:
        phi = np.eye(n_factors)
    else:
        phi = np.linalg.lstsq(load, np.asarray(structure, dtype=float), rcond=None)[0]
        phi = (phi + phi.T) / 2.0
    names, signs, missing = _name_factors(load, items)
    load = load * signs
    phi = phi * np.outer(signs, signs)
    structure = load @ phi
    weights = np.linalg.solve(corr, structure)
    raw = z @ weights
    wn = w / w.sum()
    mean = wn @ raw
    sd = np.sqrt(wn @ (raw - mean) ** 2)
    index = pd.Index([it.name for it in items], name="item")
    cols = pd.Index(names, name="factor")
    ss = (load**2).sum(axis=0)
    variance = pd.DataFrame({"ss_loadings": ss, "proportion": ss / len(items)}, index=cols)
    variance["cumulative"] = variance["proportion"].cumsum()
    return FactorFit(
        loadings=pd.DataFrame(load, index=index, columns=cols),
        factor_corr=pd.DataFrame(phi, index=cols, columns=cols),
        score_weights=weights,
        score_mean=mean,
        score_sd=sd,
        names=names,
        missing_constructs=missing,
        communalities=pd.Series((load**2).sum(axis=1), index=index, name="communality"),
        variance=variance,
    )


def adequacy(z: np.ndarray) -> dict[str, float]:
    """KMO measure of sampling adequacy and Bartlett's test of sphericity (unweighted)."""
    try:
        with warnings.catch_warnings():
            # factor_analyzer warns (without a category) when it falls back to a
            # pseudo-inverse; the statistics are still defined, so keep the output quiet
            warnings.simplefilter("ignore", UserWarning)
            chi2, p = calculate_bartlett_sphericity(z)
            _, kmo = calculate_kmo(z)
    except (np.linalg.LinAlgError, ValueError):  # singular matrices: report as missing
        return {"kmo": float("nan"), "bartlett_chi2": float("nan"), "bartlett_p": float("nan")}
    return {"kmo": float(kmo), "bartlett_chi2": float(chi2), "bartlett_p": float(p)}
