"""Exploratory factor analysis behind a small, labelled adapter around ``factor_analyzer``.

``factor_analyzer`` is fitted on the survey-weighted correlation matrix of the
standardised items (``is_corr_matrix=True``), so survey weights enter the factor model.
Scores are Thurstone regression scores, ``Z R⁻¹ S`` with ``S = L Φ`` the structure
matrix (loadings times factor correlations for an oblique rotation), standardised with
the survey weights. Factors are named after the construct whose items load most on them,
and signed so that their own construct's items load positively.

Communalities and variance explained follow R ``psych::fa``, which holds for oblique and
orthogonal rotations alike (``Φ = I`` for the latter):

- communality of item i: ``h²_i = diag(L Φ Lᵀ)_i = Σ_j L_ij S_ij``, the share of its
  variance the common factors reproduce (the same before and after any rotation);
- variance of factor j (``ss_loadings``): ``diag(Φ Lᵀ L)_j = Σ_i L_ij S_ij``, psych's
  "SS loadings", the sum over items of pattern times structure loading. It counts the
  variance a factor shares with correlated factors, so it exceeds ``Σ_i L_ij²``
  (``ss_pattern``, kept for reference) when the factors correlate positively;
- proportions are divided by the number of items (the total variance of a correlation
  matrix), and the total variance explained is ``Σ_i h²_i / p``, the sum of the factors'
  proportions.

Sampling adequacy (KMO, Bartlett's test) and the parallel analyses are computed on the
same weighted correlation matrix, Bartlett's test with Kish's effective sample size.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.stats import chi2 as chi2_dist

from ..errors import ModelFitError
from ..items import Item
from ._fa_compat import FactorAnalyzer

__all__ = [
    "FactorFit",
    "ParallelAnalysis",
    "adequacy",
    "bartlett",
    "fit_factors",
    "kish_n",
    "kmo",
    "parallel_analysis",
    "smc",
    "variance_explained",
    "weighted_corr",
]


def weighted_corr(z: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Correlation matrix of the columns of ``z`` with observation weights ``w``."""
    w = w / w.sum()
    mu = w @ z
    zc = z - mu
    cov = (zc * w[:, None]).T @ zc
    sd = np.sqrt(np.diag(cov))
    return cov / np.outer(sd, sd)


def kish_n(w: np.ndarray) -> float:
    """Kish's effective sample size of weights ``w``: ``(Σw)² / Σw²``.

    Kish (1965), *Survey Sampling*, Wiley, section 11.7. Equal weights give ``len(w)``.

    >>> kish_n(np.array([1.0, 1.0, 1.0, 1.0]))
    4.0
    >>> kish_n(np.array([1.0, 1.0, 2.0, 0.0]))
    2.6666666666666665
    """
    w = np.asarray(w, dtype=float)
    return float(w.sum() ** 2 / (w**2).sum())


def smc(corr: np.ndarray) -> np.ndarray:
    """Squared multiple correlation of each variable with all others: ``1 - 1/diag(R⁻¹)``.

    >>> smc(np.array([[1.0, 0.5], [0.5, 1.0]])).round(4).tolist()
    [0.25, 0.25]
    """
    return 1.0 - 1.0 / np.diag(np.linalg.inv(corr))


def kmo(corr: np.ndarray) -> tuple[np.ndarray, float]:
    """Kaiser-Meyer-Olkin measure of sampling adequacy of a correlation matrix.

    With ``a_ij = -R⁻¹_ij / sqrt(R⁻¹_ii R⁻¹_jj)`` the partial correlations,
    ``KMO = Σ r_ij² / (Σ r_ij² + Σ a_ij²)`` over ``i ≠ j`` (Kaiser 1974, Psychometrika
    39:31–36); per item, the sums run over that item's column. Returns (per item, overall).

    >>> r = np.array([[1.0, 0.5, 0.5], [0.5, 1.0, 0.5], [0.5, 0.5, 1.0]])
    >>> round(kmo(r)[1], 4)
    0.6923
    """
    inv = np.linalg.inv(corr)
    d = np.sqrt(np.diag(inv))
    partial = -inv / np.outer(d, d)
    r2 = corr**2
    a2 = partial**2
    np.fill_diagonal(r2, 0.0)
    np.fill_diagonal(a2, 0.0)
    per_item = r2.sum(axis=0) / (r2.sum(axis=0) + a2.sum(axis=0))
    return per_item, float(r2.sum() / (r2.sum() + a2.sum()))


def bartlett(corr: np.ndarray, n: float) -> tuple[float, float, int]:
    """Bartlett's test of sphericity of a correlation matrix from a sample of size ``n``.

    ``χ² = -(n - 1 - (2p + 5)/6) ln|R|`` on ``p(p - 1)/2`` degrees of freedom (Bartlett
    1951, JRSS B 13:1–8). Returns (chi-square, p-value, degrees of freedom).

    >>> chi2, p, df = bartlett(np.array([[1.0, 0.5], [0.5, 1.0]]), 100)
    >>> round(chi2, 3), df
    (28.049, 1)
    """
    p = corr.shape[0]
    sign, logdet = np.linalg.slogdet(corr)
    if sign <= 0:
        raise np.linalg.LinAlgError("the correlation matrix is not positive definite")
    stat = float(-(n - 1 - (2 * p + 5) / 6) * logdet)
    df = p * (p - 1) // 2
    return stat, float(chi2_dist.sf(stat, df)), df


def adequacy(corr: np.ndarray, n_eff: float) -> dict[str, float]:
    """KMO and Bartlett's test of a (weighted) correlation matrix of effective size ``n_eff``."""
    try:
        _, kmo_total = kmo(corr)
        stat, p, df = bartlett(corr, n_eff)
    except np.linalg.LinAlgError:  # singular matrices: report as missing
        nan = float("nan")
        return {"kmo": nan, "bartlett_chi2": nan, "bartlett_df": nan, "bartlett_p": nan}
    return {"kmo": kmo_total, "bartlett_chi2": stat, "bartlett_df": df, "bartlett_p": p}


@dataclass
class ParallelAnalysis:
    """Both parallel analyses of one correlation matrix (see :func:`parallel_analysis`)."""

    n_components: int  # Horn's principal-components variant
    n_factors: int  # the factor variant (reduced matrix, SMCs on the diagonal)
    eigenvalues: np.ndarray
    threshold: np.ndarray
    reduced_eigenvalues: np.ndarray
    reduced_threshold: np.ndarray


def _eigen_pair(corr: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Descending eigenvalues of ``corr`` and of ``corr`` with SMCs on the diagonal."""
    reduced = corr.copy()
    np.fill_diagonal(reduced, smc(corr))
    return np.linalg.eigvalsh(corr)[::-1], np.linalg.eigvalsh(reduced)[::-1]


def _n_above(observed: np.ndarray, threshold: np.ndarray) -> int:
    """How many leading observed eigenvalues exceed their threshold."""
    above = observed > threshold
    return int(np.argmin(above)) if not above.all() else len(observed)


def parallel_analysis(
    corr: np.ndarray,
    w: np.ndarray,
    *,
    n_iter: int = 20,
    quantile: float = 0.95,
    random_state: int = 0,
) -> ParallelAnalysis:
    """Parallel analysis of a weighted correlation matrix, in both of its usual variants.

    Horn's variant (Horn 1965, Psychometrika 30:179–185) compares the eigenvalues of
    ``corr`` with those of correlation matrices of uncorrelated normal data; the factor
    variant compares the eigenvalues of the reduced matrix, ``corr`` with squared multiple
    correlations on its diagonal, with the same from the random data (as R
    ``psych::fa.parallel(fa = "both", SMC = TRUE)``; Humphreys & Ilgen 1969). The random
    data have as many rows as ``w`` and are correlated with the same weights, so they vary
    as much as the weighted matrix the model uses. A factor is suggested while its
    eigenvalue exceeds the ``quantile`` of the random ones (Glorfeld 1995).

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> f = rng.standard_normal((500, 1))
    >>> z = f @ np.full((1, 4), 0.8) + 0.6 * rng.standard_normal((500, 4))
    >>> w = np.ones(500)
    >>> pa = parallel_analysis(weighted_corr(z, w), w)
    >>> pa.n_components, pa.n_factors
    (1, 1)
    """
    rng = np.random.default_rng(random_state)
    p = corr.shape[0]
    sims = np.empty((n_iter, p))
    reduced_sims = np.empty((n_iter, p))
    for i in range(n_iter):
        x = rng.standard_normal((len(w), p))
        sims[i], reduced_sims[i] = _eigen_pair(weighted_corr(x, w))
    observed, reduced = _eigen_pair(corr)
    threshold = np.quantile(sims, quantile, axis=0)
    reduced_threshold = np.quantile(reduced_sims, quantile, axis=0)
    return ParallelAnalysis(
        n_components=_n_above(observed, threshold),
        n_factors=_n_above(reduced, reduced_threshold),
        eigenvalues=observed,
        threshold=threshold,
        reduced_eigenvalues=reduced,
        reduced_threshold=reduced_threshold,
    )


@dataclass
class FactorFit:
    """A fitted factor model (internal state of :class:`~resilience.SurveyModel`)."""

    corr: np.ndarray  # the weighted correlation matrix the model was fitted on
    loadings: pd.DataFrame  # items x factors (named)
    factor_corr: pd.DataFrame  # factors x factors
    score_weights: np.ndarray  # items x factors: scores = z @ score_weights
    score_mean: np.ndarray
    score_sd: np.ndarray
    names: list[str]
    missing_constructs: list[str]
    communalities: pd.Series
    variance: pd.DataFrame  # ss_loadings, ss_pattern, proportion, cumulative

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


def variance_explained(load: np.ndarray, phi: np.ndarray) -> tuple[pd.Series, pd.DataFrame]:
    """Communalities and variance explained of pattern ``load`` with factor correlations ``phi``.

    ``h² = diag(L Φ Lᵀ)``; per factor ``ss_loadings = diag(Φ Lᵀ L)`` (R psych's "SS
    loadings"), ``ss_pattern = Σ L²``, ``proportion = ss_loadings / p`` and its
    ``cumulative`` sum, whose last value is ``Σ h² / p``.

    Examples
    --------
    Two items on each of two factors correlating 0.5:

    >>> load = np.array([[0.8, 0.0], [0.6, 0.0], [0.0, 0.7], [0.1, 0.5]])
    >>> phi = np.array([[1.0, 0.5], [0.5, 1.0]])
    >>> h2, var = variance_explained(load, phi)
    >>> h2.round(4).tolist()
    [0.64, 0.36, 0.49, 0.31]
    >>> var.round(4).to_dict(orient="list")["ss_loadings"]
    [1.035, 0.765]
    >>> round(float(var["cumulative"].iloc[-1]), 4)
    0.45
    """
    load = np.asarray(load, dtype=float)
    structure = load @ phi
    by_cell = load * structure
    ss = by_cell.sum(axis=0)
    variance = pd.DataFrame(
        {"ss_loadings": ss, "ss_pattern": (load**2).sum(axis=0), "proportion": ss / len(load)}
    )
    variance["cumulative"] = variance["proportion"].cumsum()
    return pd.Series(by_cell.sum(axis=1), name="communality"), variance


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
        np.fill_diagonal(phi, 1.0)  # factors have unit variance; lstsq leaves 1 ± 1e-15
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
    communalities, variance = variance_explained(load, phi)
    communalities.index = index
    variance.index = cols
    return FactorFit(
        corr=corr,
        loadings=pd.DataFrame(load, index=index, columns=cols),
        factor_corr=pd.DataFrame(phi, index=cols, columns=cols),
        score_weights=weights,
        score_mean=mean,
        score_sd=sd,
        names=names,
        missing_constructs=missing,
        communalities=communalities,
        variance=variance,
    )
