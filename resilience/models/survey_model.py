"""The survey model: from survey answers to the six labelled resilience clusters."""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar, NamedTuple

import numpy as np
import pandas as pd
from scipy.optimize import linear_sum_assignment
from sklearn.base import BaseEstimator
from sklearn.cluster import KMeans
from sklearn.metrics import adjusted_rand_score
from threadpoolctl import threadpool_limits

from .._fork import Background
from ..clusters import CLUSTER_KEYS, PROFILE_MATRIX
from ..errors import (
    ConfigError,
    InputDataError,
    ModelFitError,
    NotFittedError,
    PoorLabelMatchWarning,
    format_examples,
)
from ..items import Item, items_by_construct, parse_items
from ._base import (
    Constraint,
    at_least,
    between,
    check_params,
    fixed,
    forget_fit,
    int_seed,
    one_of,
    survey_weights,
)
from ._factor import FactorFit, adequacy, fit_factors, kish_n, parallel_analysis

__all__ = ["SurveyModel"]

#: A matched cluster whose centroid has a cosine similarity below this with its profile warns.
POOR_MATCH = 0.5
#: Rotations ``factor_analyzer`` offers ("none" or None: unrotated).
ROTATIONS = ("oblimin", "promax", "varimax", "quartimax", "quartimin", "oblimax", "equamax",
             "geomin_obl", "geomin_ort", "none", None)  # fmt: skip


def _single_thread() -> threadpool_limits:
    """Limit BLAS and OpenMP (k-means) to one thread while the model is fitted.

    The matrices are small (respondents x 22 items, x 5 factor scores), so threads gain
    little; on a two-core machine with other work running, OpenBLAS and OpenMP threads
    spin-waiting against each other made the fit 10-35 times slower (40,000 respondents:
    3.5-4 s on one thread, 49-136 s with the default two; see benchmarks/README.md). With
    one thread the results are also the same whatever the number of cores: with more
    threads the floating-point sums run in another order and the loadings differ in the
    ninth decimal place.
    """
    return threadpool_limits(limits=1)


def _rounded(values: Any, *, named: bool = False) -> Any:
    """Values rounded to 4 decimals for the JSON diagnostics (a dict when ``named``)."""
    if named:
        return {str(k): round(float(v), 4) for k, v in values.items()}
    return [round(float(v), 4) for v in values]


#: Expected share of distinct rows in a resample of n rows drawn with replacement, 1 - 1/e.
_DISTINCT_SHARE = 1 - np.exp(-1)


def _drawn_once(idx: np.ndarray, w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A resample's distinct rows and their weights times the times each was drawn.

    Every step of a refit is weighted (correlations, k-means, profiles, spreads), so a
    row drawn ``c`` times counts as one row of weight ``c w``: the same fit on about
    63 % of the rows (k-means++ then draws its starting centres among distinct rows, and
    scikit-learn's stopping tolerance, taken from the rows' unweighted variance, moves by
    under 1 %).

    Examples
    --------
    >>> rows, wr = _drawn_once(np.array([3, 0, 3, 3, 1]), np.array([1.0, 2.0, 0.5, 4.0]))
    >>> rows.tolist(), wr.tolist()
    ([0, 1, 3], [1.0, 2.0, 12.0])
    """
    rows, times = np.unique(idx, return_counts=True)
    return rows, w[rows] * times


class _Prepared:
    """Items recoded, standardised and imputed, ready for the factor model."""

    def __init__(self, z: np.ndarray, keep: np.ndarray, construct_scores: np.ndarray) -> None:
        self.z = z
        self.keep = keep
        self.construct_scores = construct_scores


class _Screened(NamedTuple):
    """What :meth:`SurveyModel._screen` finds before fitting."""

    items: tuple[Item, ...]
    mean: np.ndarray
    sd: np.ndarray
    prep: _Prepared
    used: np.ndarray


class _Mixture(NamedTuple):
    """What membership probabilities need from one fit (the full fit or a refit).

    A Gaussian mixture reading of a k-means partition of the factor scores: cluster k is
    normal around its centre with diagonal covariance ``spread[k]`` and has prior
    probability ``prior[k]`` (its weighted size).
    """

    factors: FactorFit
    centres: np.ndarray
    keys: np.ndarray
    spread: np.ndarray  # (n_clusters, n_factors) variances
    prior: np.ndarray

    @classmethod
    def of(
        cls, fac: FactorFit, km: KMeans, keys: np.ndarray, z: np.ndarray, w: np.ndarray
    ) -> _Mixture:
        """Each cluster's own spread: its weighted variance about its centre, per factor.

        Examples
        --------
        >>> class Fac:
        ...     def scores(self, z):
        ...         return z
        >>> class KM:  # two clusters on one factor, spreads 1 and 4
        ...     labels_ = np.array([0, 0, 1, 1])
        ...     cluster_centers_ = np.array([[0.0], [10.0]])
        >>> z = np.array([[-1.0], [1.0], [8.0], [12.0]])
        >>> m = _Mixture.of(Fac(), KM(), np.array(["a", "b"]), z, np.ones(4))
        >>> m.spread.ravel().tolist(), m.prior.tolist()
        ([1.0, 4.0], [0.5, 0.5])
        """
        scores = fac.scores(z)
        raw = km.labels_
        centres = km.cluster_centers_
        k = len(keys)
        prior = np.array([w[raw == j].sum() for j in range(k)]) / w.sum()
        spread = np.array(
            [
                np.average((scores[raw == j] - centres[j]) ** 2, axis=0, weights=w[raw == j])
                if w[raw == j].sum() > 0
                else np.ones(scores.shape[1])
                for j in range(k)
            ]
        )
        return cls(fac, centres, keys, np.clip(spread, 1e-6, None), prior)

    def proba(self, z: np.ndarray) -> np.ndarray:
        """Membership probabilities of standardised items ``z``, clusters in key order."""
        scores = self.factors.scores(z)
        d2 = ((scores[:, None, :] - self.centres[None]) ** 2 / self.spread[None]).sum(axis=2)
        with np.errstate(divide="ignore"):
            logp = -0.5 * (d2 + np.log(self.spread).sum(axis=1)) + np.log(self.prior)
        logp -= logp.max(axis=1, keepdims=True)
        p = np.exp(logp)
        p /= p.sum(axis=1, keepdims=True)
        return p[:, [list(self.keys).index(k) for k in CLUSTER_KEYS]]


class SurveyModel(BaseEstimator):
    """Factor analysis and k-means clustering of survey answers into six resilience clusters.

    The method:

    1. items are recoded to their construct direction (higher = better, except stress);
       respondents missing more than half of any construct's items are left out (counted)
       and the remaining gaps are imputed within construct (mean of the respondent's other
       standardised answers on that construct);
    2. an exploratory factor analysis (``factor_analyzer``) on the survey-weighted
       correlation matrix; each factor is named after the construct whose items load most
       on it; KMO, Bartlett's test (with Kish's effective sample size) and parallel
       analysis in its principal-components and factor variants are reported, all on
       the same weighted correlation matrix;
    3. k-means on the standardised regression factor scores, with the survey weights as
       sample weights and ``n_init`` restarts;
    4. every cluster is named by an optimal one-to-one assignment (Hungarian algorithm,
       maximising total cosine similarity) of its centroid profile — the mean standardised
       score on each construct — to the six profiles of :data:`resilience.clusters.CLUSTERS`;
       a matched similarity below 0.5 warns (:class:`~resilience.errors.PoorLabelMatchWarning`);
    5. ``n_boot`` bootstrap refits of steps 2–4 (each resample fitted as its distinct
       respondents, each weighted by its survey weight times the times it was drawn: the
       same weighted fit in less time); each refitted model labels every respondent
       and is compared with the full fit by the adjusted Rand index (and by the share of
       respondents keeping their label, which needs the label matching). The refits are
       kept: :meth:`predict_proba_refits` gives every respondent's membership
       probabilities under each of them (each cluster with its own spread), so that the
       area estimator's bootstrap carries the uncertainty of the fit itself (where k-means
       draws a boundary), not only that of each respondent's label under one fit.

    A fitted model keeps what it needs to label another wave without refitting (item
    means and standard deviations, factor score weights, centroids): ``predict`` a later
    wave read with :func:`resilience.read_survey`, or save the model with ``joblib.dump``
    and load it next year.

    Parameters
    ----------
    n_factors : int, default=5
        Number of factors.
    n_clusters : int, default=6
        Number of k-means clusters; must be 6, one per resilience profile.
    rotation : {"oblimin", "promax", "varimax", "quartimax", None}, default="oblimin"
        Factor rotation (``factor_analyzer`` names).
    method : {"minres", "ml", "principal"}, default="minres"
        Factor extraction method.
    n_init : int, default=50
        k-means restarts for the full fit.
    n_boot : int, default=20
        Bootstrap refits for the stability check (0 skips it).
    items : sequence of Item or mapping, optional
        The item set (default: :data:`resilience.items.DEFAULT_ITEMS`).
    max_missing : float, default=0.5
        Respondents missing more than this share of any construct's items are left out.
    random_state : int, optional
        Seed for k-means, the parallel analysis and the bootstrap.

    Attributes
    ----------
    labels_ : Series
        Cluster key of every respondent used in the fit (indexed like the input).
    loadings_ : DataFrame of shape (n_items, n_factors)
        Rotated loadings; factor names are constructs (``stress_2`` when two factors share
        one).
    profiles_ : DataFrame of shape (6, n_constructs)
        Weighted mean standardised construct score of each cluster (rows: cluster keys).
    cluster_sizes_ : DataFrame
        Respondents (unweighted) and weighted share per cluster.
    match_ : DataFrame
        The label assignment: cosine similarity of each cluster with its profile and with
        the next best profile.
    diagnostics_ : dict
        Counts (used, dropped for missing answers, zero weight), ``n_effective`` (Kish),
        KMO, Bartlett's test (``bartlett_chi2``, ``bartlett_df``, ``bartlett_p``), the
        parallel analysis suggestions (``parallel_analysis_factors``: principal
        components; ``parallel_analysis_factors_fa``: factor variant) with their
        eigenvalues and thresholds, missing constructs, ``communalities``,
        ``variance_explained`` (``Σ h² / p``) and ``variance_explained_by_factor``.
    n_refits_ : int
        Bootstrap refits kept for :meth:`predict_proba_refits` (0 when ``n_boot`` is 0).
    stability_ : dict
        Bootstrap stability: ``ari_mean``, ``ari_min``, ``ari`` (all replicates),
        ``label_agreement`` per cluster, ``n_boot``.
    factor_correlations_ : DataFrame of shape (n_factors, n_factors)
        Factor correlations Φ, rows and columns named like the factors (the identity for
        orthogonal rotations).
    communalities_ : Series
        Communality of each item, ``diag(L Φ Lᵀ)`` (R psych's h²).
    variance_explained_ : DataFrame
        Per factor: ``ss_loadings`` (``diag(Φ Lᵀ L)``, psych's "SS loadings"),
        ``ss_pattern`` (``Σ L²``), ``proportion`` of the total item variance and its
        ``cumulative`` sum; see :mod:`resilience.models._factor`.

    Examples
    --------
    >>> from resilience.synthetic import make_borough
    >>> b = make_borough(seed=1, n_oa=60, n_lsoa=12, n_ward=3, n_respondents=3000)
    >>> survey = b.survey.rename(columns=lambda c: c.removeprefix("f_"))
    >>> model = SurveyModel(n_boot=0, n_init=10, random_state=0)
    >>> model = model.fit(survey, sample_weight=survey["indscui_xw"])
    >>> sorted(model.labels_.unique()) == sorted(CLUSTER_KEYS)
    True
    """

    #: Legal values of the parameters; the config's [model] keys are checked against them.
    #: ``n_clusters`` has one legal value: clusters are named by a one-to-one assignment
    #: to the six profiles, but the parameter stays because the documented call passes it.
    _parameter_constraints: ClassVar[dict[str, Constraint]] = {
        "n_factors": at_least(1),
        "n_clusters": fixed(len(CLUSTER_KEYS), "one cluster per resilience profile"),
        "rotation": one_of(ROTATIONS),
        "method": one_of(("minres", "ml", "principal"), "minres, ml or principal"),
        "n_init": at_least(1),
        "n_boot": at_least(0, "0 skips the stability check"),
        "max_missing": between(0, 1),
    }

    def __init__(
        self,
        n_factors: int = 5,
        n_clusters: int = 6,
        rotation: str | None = "oblimin",
        method: str = "minres",
        n_init: int = 50,
        n_boot: int = 20,
        items: Sequence[Item | Mapping[str, object]] | None = None,
        max_missing: float = 0.5,
        random_state: int | None = None,
    ) -> None:
        self.n_factors = n_factors
        self.n_clusters = n_clusters
        self.rotation = rotation
        self.method = method
        self.n_init = n_init
        self.n_boot = n_boot
        self.items = items
        self.max_missing = max_missing
        self.random_state = random_state

    # ------------------------------------------------------------------ helpers
    def __repr__(self) -> str:
        params = ", ".join(
            f"{k}={getattr(self, k)!r}"
            for k in ("n_factors", "n_clusters", "rotation", "n_init", "n_boot", "random_state")
        )
        state = "fitted" if hasattr(self, "labels_") else "not fitted"
        return f"SurveyModel({params}) [{state}]"

    def _check_params(self) -> tuple[Item, ...]:
        check_params(self)
        items = parse_items(self.items)
        thin = {c: [i.name for i in g] for c, g in items_by_construct(items).items() if len(g) < 2}
        if thin:
            raise ConfigError(
                "Each construct needs at least two items for the factor model; "
                + "; ".join(f"{c} has only {v}" for c, v in thin.items())
                + ". Add items or merge the construct into another."
            )
        if self.n_factors > len(items) // 2:
            raise ConfigError(
                f"n_factors={self.n_factors} is too many for {len(items)} items; use at most "
                f"{len(items) // 2}."
            )
        return items

    def _item_matrix(self, survey: pd.DataFrame, items: Sequence[Item]) -> np.ndarray:
        names = [it.name for it in items]
        absent = [n for n in names if n not in survey.columns]
        if absent:
            raise InputDataError(
                f"The survey frame lacks the item column(s) {format_examples(absent, 10)}. "
                f"Its columns are: {format_examples(list(survey.columns), 12)}."
            )
        x = survey[names].apply(pd.to_numeric, errors="coerce").to_numpy(dtype=float, copy=True)
        for j, it in enumerate(items):
            col = x[:, j]
            col[(col < it.low) | (col > it.high)] = np.nan  # negative codes and out of range
            if it.reverse:
                x[:, j] = it.low + it.high - col
        return x

    def _prepare(
        self,
        x: np.ndarray,
        items: Sequence[Item],
        mean: np.ndarray | None = None,
        sd: np.ndarray | None = None,
    ) -> _Prepared:
        """Standardise with the item moments (default: the fitted ones), drop and impute
        within construct."""
        mean = self.item_mean_ if mean is None else mean
        sd = self.item_sd_ if sd is None else sd
        z = (x - mean) / sd
        groups = items_by_construct(items)
        keep = np.ones(len(z), dtype=bool)
        col = {it.name: j for j, it in enumerate(items)}
        scores = np.empty((len(z), len(groups)))
        for k, (_, group) in enumerate(groups.items()):
            idx = [col[it.name] for it in group]
            block = z[:, idx]
            miss = np.isnan(block)
            keep &= miss.sum(axis=1) <= self.max_missing * len(idx)
            with np.errstate(invalid="ignore"), warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                row_mean = np.nanmean(block, axis=1)
            block = np.where(miss, row_mean[:, None], block)
            z[:, idx] = block
            scores[:, k] = block.mean(axis=1)
        return _Prepared(z, keep, scores)

    def _fit_core(
        self,
        z: np.ndarray,
        w: np.ndarray,
        items: Sequence[Item],
        constructs: np.ndarray,
        random_state: int | np.random.RandomState | None,
        n_init: int,
    ) -> tuple[FactorFit, KMeans, np.ndarray, pd.DataFrame, pd.DataFrame]:
        fac = fit_factors(
            z, w, items, n_factors=self.n_factors, rotation=self.rotation, method=self.method
        )
        scores = fac.scores(z)
        km = KMeans(n_clusters=self.n_clusters, n_init=n_init, random_state=random_state)
        km.fit(scores, sample_weight=w)
        raw = km.labels_
        profiles = self._profiles(constructs, w, raw)
        keys, match = self._assign(profiles)
        return fac, km, keys, profiles, match

    def _profiles(self, constructs: np.ndarray, w: np.ndarray, raw: np.ndarray) -> pd.DataFrame:
        """Weighted mean of each standardised construct score per raw k-means cluster."""
        wn = w / w.sum()
        mean = wn @ constructs
        sd = np.sqrt(wn @ (constructs - mean) ** 2)
        zc = (constructs - mean) / sd
        rows = []
        for k in range(self.n_clusters):
            m = raw == k
            rows.append(
                np.average(zc[m], axis=0, weights=w[m]) if w[m].sum() > 0 else zc[m].mean(axis=0)
            )
        return pd.DataFrame(np.array(rows), columns=self.constructs_)

    def _assign(self, profiles: pd.DataFrame) -> tuple[np.ndarray, pd.DataFrame]:
        """Optimal one-to-one assignment of raw clusters to the six resilience profiles."""
        target = PROFILE_MATRIX.reindex(columns=profiles.columns, fill_value=0.0)
        a = profiles.to_numpy()
        b = target.to_numpy()
        na = np.linalg.norm(a, axis=1, keepdims=True)
        nb = np.linalg.norm(b, axis=1, keepdims=True)
        sim = (a @ b.T) / np.where(na == 0, 1, na) / np.where(nb.T == 0, 1, nb.T)
        rows, cols = linear_sum_assignment(-sim)
        keys = np.empty(self.n_clusters, dtype=object)
        keys[rows] = np.asarray(CLUSTER_KEYS)[cols]
        sim_df = pd.DataFrame(sim, columns=list(CLUSTER_KEYS))
        match = pd.DataFrame(
            {
                "cluster": keys,
                "similarity": sim[
                    np.arange(self.n_clusters), [CLUSTER_KEYS.index(k) for k in keys]
                ],
                "next_best": [
                    sim_df.drop(columns=[keys[i]]).iloc[i].max() for i in range(self.n_clusters)
                ],
            }
        )
        return keys, match

    def fit_summary(self) -> str:
        """One line on the fit for the log: KMO, factor names, stability."""
        self._check_fitted()
        d = self.diagnostics_
        ari = self.stability_.get("ari_mean") if self.stability_.get("n_boot") else None
        return f"KMO {d['kmo']:.2f}; factors {', '.join(d['factor_names'])}; stability ARI " + (
            f"{ari:.2f}" if ari is not None else "not run"
        )

    def _check_fitted(self) -> None:
        if not hasattr(self, "labels_"):
            raise NotFittedError(
                "This SurveyModel is not fitted yet. Call fit(survey) before predict, "
                "predict_proba, transform or summary."
            )

    # ---------------------------------------------------------------------- fit
    def fit(self, survey: pd.DataFrame, y: Any = None, sample_weight: Any = None) -> SurveyModel:
        """Fit the factor model, the clusters and their labels.

        Parameters
        ----------
        survey : DataFrame
            Respondents, as returned by :func:`resilience.read_survey`, with one column per
            survey item. Not modified.
        y : ignored
        sample_weight : array-like, Series or str, optional
            Survey weight of each row (a Series is aligned on the index; a string names a
            column). Default: the ``weight`` column that :func:`resilience.read_survey`
            writes; without one every respondent counts the same, with a warning.
            Respondents of weight 0 are left out of the fit and counted.

        Returns
        -------
        self

        Notes
        -----
        The fit runs with BLAS and OpenMP limited to one thread (see :func:`_single_thread`).
        """
        forget_fit(self)
        with _single_thread():
            return self._fit(survey, survey_weights(survey, sample_weight, who="the survey model"))

    def check_input(self, survey: pd.DataFrame, sample_weight: Any = None) -> pd.Index:
        """Every check :meth:`fit` makes before fitting, without fitting anything.

        ``resilience check`` calls this, so it fails exactly when a run's fit would stop
        on its input: bad parameters, missing item columns, an item without variation, too
        few usable respondents.

        Returns
        -------
        Index
            The respondents the fit would use (positive weight, enough answers).

        Raises
        ------
        ConfigError, InputDataError, ModelFitError
        """
        w_all = survey_weights(survey, sample_weight, who="the survey model")
        screened = self._screen(survey, w_all)
        return survey.index[screened.used]

    def _screen(self, survey: pd.DataFrame, w_all: np.ndarray) -> _Screened:
        """Parameters, item matrix, weighted item moments and the respondents used."""
        items = self._check_params()
        x = self._item_matrix(survey, items)
        positive = w_all > 0
        wpos = w_all[positive]
        xp = x[positive]
        # weighted item moments over respondents with a positive weight
        mean = np.array(
            [
                np.average(xp[~np.isnan(c), j], weights=wpos[~np.isnan(c)])
                for j, c in enumerate(xp.T)
            ]
        )
        var = np.array(
            [
                np.average((xp[~np.isnan(c), j] - mean[j]) ** 2, weights=wpos[~np.isnan(c)])
                for j, c in enumerate(xp.T)
            ]
        )
        if (var == 0).any():
            flat = [items[j].name for j in np.where(var == 0)[0]]
            raise ModelFitError(
                f"Survey item(s) {flat} have no variation among the respondents with a "
                "positive weight (every answer is the same); leave them out of the item set "
                "([survey] items) or check that the right column was read."
            )
        prep = self._prepare(x, items, mean, np.sqrt(var))
        used = positive & prep.keep
        n_used = int(used.sum())
        if n_used < 10 * len(items):
            raise InputDataError(
                f"Only {n_used} respondents have a positive weight and enough answers; the "
                f"model needs at least {10 * len(items)} ({len(items)} items x 10)."
            )
        return _Screened(items, mean, np.sqrt(var), prep, used)

    def _fit(self, survey: pd.DataFrame, w_all: np.ndarray) -> SurveyModel:
        seed = int_seed(self.random_state)
        screened = self._screen(survey, w_all)
        items, prep, used = screened.items, screened.prep, screened.used
        zero = w_all == 0
        positive = ~zero
        n_used = int(used.sum())
        self.item_mean_ = screened.mean
        self.item_sd_ = screened.sd
        self.item_names_ = [it.name for it in items]
        self.constructs_ = list(items_by_construct(items))
        self._items = items

        z, w, cs = prep.z[used], w_all[used], prep.construct_scores[used]
        # Step 5's refits are independent of the full fit: a forked process starts on its
        # share of them now, while this one fits the full model and then the rest
        # (London: 20 refits were 5.4 s of a 6.2 s fit). Each refit is fixed by its
        # resample and seed, drawn in the order of a one-by-one loop: the same refits.
        draws = self._draws(len(z), seed)
        split = self._child_share(len(draws))
        with Background(
            self._refit_each, z, w, cs, items, draws[:split], enabled=split > 0
        ) as other:
            fac, km, keys, profiles, match = self._fit_core(z, w, items, cs, seed, self.n_init)
            self.factors_ = fac
            self.kmeans_ = km
            self.cluster_keys_ = keys
            raw = km.labels_
            labels = pd.Series(keys[raw], index=survey.index[used], name="cluster")
            # construct-score standardisation for profiles of new data
            wn = w / w.sum()
            self.construct_mean_ = wn @ cs
            self.construct_sd_ = np.sqrt(wn @ (cs - self.construct_mean_) ** 2)
            order = [list(keys).index(k) for k in CLUSTER_KEYS]
            self.profiles_ = profiles.iloc[order].set_axis(pd.Index(CLUSTER_KEYS, name="cluster"))
            self.profiles_.columns.name = "construct"
            self.match_ = match.set_index("cluster").loc[list(CLUSTER_KEYS)]
            self.loadings_ = fac.loadings
            self.factor_correlations_ = fac.factor_corr
            self.labels_ = labels
            # pooled within-cluster variance of the factor scores, for predict_proba
            mixture = _Mixture.of(fac, km, keys, z, w)
            self.within_var_ = float(np.average(mixture.spread.mean(axis=1), weights=mixture.prior))
            self.cluster_prior_ = mixture.prior

            sizes = pd.DataFrame(
                {
                    "respondents": labels.value_counts().reindex(CLUSTER_KEYS, fill_value=0),
                    "weighted_share": pd.Series(w, index=labels.index)
                    .groupby(labels.to_numpy())
                    .sum()
                    .reindex(CLUSTER_KEYS, fill_value=0.0)
                    / w.sum(),
                }
            )
            sizes.index.name = "cluster"
            self.cluster_sizes_ = sizes

            n_eff = kish_n(w)
            pa = parallel_analysis(fac.corr, w, random_state=0 if seed is None else seed)
            self.communalities_ = fac.communalities
            self.variance_explained_ = fac.variance
            self.diagnostics_ = {
                "n_respondents": len(survey),
                "n_used": n_used,
                "n_zero_weight": int(zero.sum()),
                "n_dropped_missing": int((positive & ~prep.keep).sum()),
                "n_effective": n_eff,
                **adequacy(fac.corr, n_eff),
                "parallel_analysis_factors": pa.n_components,
                "parallel_analysis_factors_fa": pa.n_factors,
                "eigenvalues": _rounded(pa.eigenvalues),
                "parallel_threshold": _rounded(pa.threshold),
                "reduced_eigenvalues": _rounded(pa.reduced_eigenvalues),
                "parallel_threshold_fa": _rounded(pa.reduced_threshold),
                "factor_names": list(fac.names),
                "missing_constructs": list(fac.missing_constructs),
                "variance_explained": float(fac.communalities.sum() / len(items)),
                "variance_explained_by_factor": _rounded(fac.variance["proportion"], named=True),
                "communalities": _rounded(fac.communalities, named=True),
                "min_match_similarity": float(self.match_["similarity"].min()),
            }
            if fac.missing_constructs:
                warnings.warn(
                    f"No factor was named after {', '.join(fac.missing_constructs)}: its items "
                    f"load most on other factors ({', '.join(fac.names)}). Cluster profiles "
                    "still use every construct's own items.",
                    PoorLabelMatchWarning,
                    stacklevel=3,
                )
            poor = self.match_[self.match_["similarity"] < POOR_MATCH]
            if len(poor):
                warnings.warn(
                    "Clusters match their resilience profile poorly: "
                    + ", ".join(f"{k} (similarity {v:.2f})" for k, v in poor["similarity"].items())
                    + f" (below {POOR_MATCH}). Check profiles_ before relying on the labels.",
                    PoorLabelMatchWarning,
                    stacklevel=3,
                )
            # this process's share first, then the child's (waiting for it before starting
            # these left this CPU idle while the child finished: 2 s of a London fit)
            own = self._refit_each(z, w, cs, items, draws[split:])
            refits = other.result() + own
        self.stability_ = self._stability(refits, raw)
        return self

    def _draws(self, n: int, random_state: int | None) -> list[tuple[np.ndarray, int]]:
        """Resample (row positions) and k-means seed of each of the ``n_boot`` refits."""
        rng = np.random.default_rng(random_state)
        return [
            (rng.choice(n, size=n, replace=True), int(rng.integers(2**31 - 1)))
            for _ in range(self.n_boot)
        ]

    def _child_share(self, n_refits: int) -> int:
        """Refits for the forked process: half of the k-means work, counting the full
        fit's ``n_init`` restarts on this side against each refit's ``min(n_init, 10)``
        on its distinct rows (:data:`_DISTINCT_SHARE` of the rows, so of the work).

        Examples
        --------
        >>> SurveyModel(n_init=50, n_boot=20)._child_share(20)
        14
        >>> SurveyModel(n_init=5, n_boot=3)._child_share(3), SurveyModel(n_boot=0)._child_share(0)
        (2, 0)
        """
        if n_refits < 2:
            return 0
        per_refit = max(1, min(self.n_init, 10)) * _DISTINCT_SHARE
        share = round((self.n_init + n_refits * per_refit) / (2 * per_refit))
        return int(min(max(share, 1), n_refits - 1))

    def _stability(self, refits: list, raw: np.ndarray) -> dict[str, Any]:
        """ARI and label agreement of each refit against the full fit's labels ``raw``."""
        self._refits: list[_Mixture] = []
        self.n_refits_ = 0
        if not self.n_boot:
            return {"n_boot": 0}
        # labels as integers (positions in CLUSTER_KEYS): the same ARI and agreement as on
        # the key texts, without sorting 20 x n strings (about 1 s of a London fit)
        code = {k: i for i, k in enumerate(CLUSTER_KEYS)}
        full = np.array([code[k] for k in self.cluster_keys_])[raw]
        aris, agree = [], []
        relabelled = 0
        for refit in refits:
            if refit is None:  # the refit failed (ModelFitError): left out
                continue
            mixture, boot, poor = refit
            self._refits.append(mixture)
            aris.append(adjusted_rand_score(full, boot))
            agree.append([float(np.mean(boot[full == i] == i)) for i in range(len(CLUSTER_KEYS))])
            relabelled += poor
        self.n_refits_ = len(self._refits)
        if not aris:
            return {"n_boot": 0}
        agree_arr = np.array(agree)
        return {
            "n_boot": len(aris),
            "ari_mean": float(np.mean(aris)),
            "ari_min": float(np.min(aris)),
            "ari": [round(float(a), 4) for a in aris],
            "label_agreement": dict(
                zip(CLUSTER_KEYS, agree_arr.mean(axis=0).round(4).tolist(), strict=True)
            ),
            "n_poor_match": relabelled,
        }

    def _refit_each(
        self,
        z: np.ndarray,
        w: np.ndarray,
        cs: np.ndarray,
        items: Sequence[Item],
        draws: Sequence[tuple[np.ndarray, int]],
    ) -> list[tuple[_Mixture, np.ndarray, int] | None]:
        """Refit steps 2-4 on each resample: its mixture, its labels of every respondent
        (positions in ``CLUSTER_KEYS``) and whether it matched the profiles poorly; None
        where the refit failed."""
        code = {k: i for i, k in enumerate(CLUSTER_KEYS)}
        n_init = max(1, min(self.n_init, 10))
        out: list[tuple[_Mixture, np.ndarray, int] | None] = []
        for idx, boot_state in draws:
            rows, wr = _drawn_once(idx, w)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", PoorLabelMatchWarning)
                try:
                    fac, km, keys, _, match = self._fit_core(
                        z[rows], wr, items, cs[rows], boot_state, n_init
                    )
                except ModelFitError:
                    out.append(None)
                    continue
            boot = np.array([code[k] for k in keys])[km.predict(fac.scores(z))]
            out.append(
                (
                    _Mixture.of(fac, km, keys, z[rows], wr),
                    boot.astype(np.int8),
                    int((match["similarity"] < POOR_MATCH).any()),
                )
            )
        return out

    # ------------------------------------------------------------------ predict
    def _scores_for(self, survey: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
        z, ok = self._standardised(survey)
        scores = np.full((len(survey), len(self.factors_.names)), np.nan)
        scores[ok] = self.factors_.scores(z[ok])
        return scores, ok

    def _standardised(self, survey: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
        """Standardised, imputed items (fitted moments) and which rows can be scored."""
        self._check_fitted()
        prep = self._prepare(self._item_matrix(survey, self._items), self._items)
        return prep.z, prep.keep

    def _proba_frame(
        self,
        survey: pd.DataFrame,
        mixture: _Mixture,
        standardised: tuple[np.ndarray, np.ndarray] | None = None,
    ) -> pd.DataFrame:
        z, ok = standardised or self._standardised(survey)
        out = np.full((len(survey), self.n_clusters), np.nan)
        if ok.any():
            out[ok] = mixture.proba(z[ok])
        return pd.DataFrame(out, index=survey.index, columns=list(CLUSTER_KEYS))

    def transform(self, survey: pd.DataFrame) -> pd.DataFrame:
        """Standardised factor scores (NaN for respondents who cannot be scored)."""
        scores, _ = self._scores_for(survey)
        return pd.DataFrame(scores, index=survey.index, columns=self.factors_.names)

    def predict(self, survey: pd.DataFrame) -> pd.Series:
        """Cluster key of each respondent (missing where too many answers are missing).

        Uses the fitted item standardisation, factor scores and centroids, so it applies
        the same model to another wave without refitting.
        """
        scores, ok = self._scores_for(survey)
        out = pd.Series(pd.NA, index=survey.index, name="cluster", dtype="string")
        if ok.any():
            raw = self.kmeans_.predict(scores[ok])
            out[ok] = self.cluster_keys_[raw]
        return out

    def predict_proba(self, survey: pd.DataFrame) -> pd.DataFrame:
        """Membership probabilities over the six clusters.

        A Gaussian mixture reading of k-means: equal spherical covariance (the pooled
        within-cluster variance of the factor scores) and the clusters' weighted sizes as
        prior probabilities. Columns are the cluster keys in canonical order; rows of
        respondents who cannot be scored are missing.
        """
        self._check_fitted()
        centres = self.kmeans_.cluster_centers_
        full = _Mixture(
            self.factors_,
            centres,
            self.cluster_keys_,
            np.full(centres.shape, self.within_var_),
            self.cluster_prior_,
        )
        return self._proba_frame(survey, full)

    def predict_proba_refits(self, survey: pd.DataFrame) -> list[pd.DataFrame]:
        """Membership probabilities under each bootstrap refit (step 5 of the method).

        Every refit (factor analysis, k-means and labelling on a bootstrap resample) reads
        ``survey`` with the full fit's item standardisation, its clusters named by its own
        assignment to the six profiles. Its probabilities are those of a Gaussian mixture
        around its k-means centres in which every cluster keeps its own spread (weighted
        variance about its centre on each factor) and its weighted size as prior, whereas
        :meth:`predict_proba` gives every cluster the same spherical spread, as k-means
        assumes. So a respondent between a tight and a diffuse cluster is less sure of
        the tight one than the k-means boundary says: the draws carry the uncertainty of
        where k-means draws a boundary as well as that of refitting on another sample.
        Pass them to :meth:`AreaEstimator.fit` as ``label_proba_replicates``.

        Returns
        -------
        list of DataFrame
            One frame per refit (:attr:`n_refits_`; empty when ``n_boot`` is 0), shaped
            like :meth:`predict_proba`.

        Examples
        --------
        >>> from resilience.synthetic import make_borough
        >>> s = make_borough(seed=1, n_oa=60, n_lsoa=12, n_ward=3, n_respondents=3000).survey
        >>> s = s.rename(columns=lambda c: c.removeprefix("f_"))
        >>> model = SurveyModel(n_boot=3, n_init=5, random_state=0).fit(s, None, "indscui_xw")
        >>> [p.shape for p in model.predict_proba_refits(s)] == [model.predict_proba(s).shape] * 3
        True
        """
        self._check_fitted()
        refits = getattr(self, "_refits", [])
        # every refit reads the items with the full fit's standardisation: prepare them once
        standardised = self._standardised(survey) if refits else None
        return [self._proba_frame(survey, m, standardised) for m in refits]

    def summary(self) -> pd.DataFrame:
        """A readable table of the model's diagnostics (section, measure, value)."""
        self._check_fitted()
        d = self.diagnostics_
        s = self.stability_
        rows = [
            ("respondents", "in the file", d["n_respondents"]),
            ("respondents", "used in the fit", d["n_used"]),
            ("respondents", "left out: weight 0", d["n_zero_weight"]),
            ("respondents", "left out: over half of a construct missing", d["n_dropped_missing"]),
            ("respondents", "effective sample size (Kish)", round(d["n_effective"], 1)),
            ("adequacy", "KMO", round(d["kmo"], 3)),
            ("adequacy", "Bartlett chi-square", round(d["bartlett_chi2"], 1)),
            ("adequacy", "Bartlett p-value", f"{d['bartlett_p']:.3g}"),
            ("factors", "number fitted", len(d["factor_names"])),
            ("factors", "parallel analysis suggests", d["parallel_analysis_factors"]),
            (
                "factors",
                "parallel analysis (factor variant) suggests",
                d["parallel_analysis_factors_fa"],
            ),
            ("factors", "names", ", ".join(d["factor_names"])),
            (
                "factors",
                "constructs without a factor",
                ", ".join(d["missing_constructs"]) or "none",
            ),
            ("factors", "variance explained", f"{d['variance_explained']:.1%}"),
        ]
        for name, share in d["variance_explained_by_factor"].items():
            rows.append(("factors", f"variance explained: {name}", f"{share:.1%}"))
        for key, row in self.cluster_sizes_.iterrows():
            sim = self.match_.loc[key, "similarity"]
            rows.append(
                (
                    "clusters",
                    key,
                    f"{row['weighted_share']:.1%} weighted, {int(row['respondents'])} respondents, "
                    f"profile match {sim:.2f}",
                )
            )
        if s.get("n_boot"):
            rows.append(("stability", "bootstrap refits", s["n_boot"]))
            rows.append(("stability", "adjusted Rand index (mean)", round(s["ari_mean"], 3)))
            rows.append(("stability", "adjusted Rand index (min)", round(s["ari_min"], 3)))
        return pd.DataFrame(rows, columns=["section", "measure", "value"])
