"""Regression and post-stratification (MRP): cluster shares from who lives in each OA.

:class:`MRPEstimator` models each respondent's cluster on characteristics that Census
2021 publishes for every output area (sex, age, tenure, qualification, health, country of
birth, …), optionally with the region, urban/rural and an area-level predictor (the
respondent's OAC supergroup when the survey carries it, so the two routes combine), and
post-stratifies the model to each OA's census population.

Model
    Multinomial logistic regression on one-hot characteristics (every category kept, no
    reference level), with an L2 penalty whose strength is chosen by cross-validated log
    loss (scikit-learn ``LogisticRegressionCV``). The penalty plays the part of the
    multilevel model's prior: each characteristic's effects are shrunk towards zero, more
    for categories with few respondents. Respondents weigh by their survey weight.
Post-stratification
    The census publishes each concept's margin per OA, not their joint distribution. Each
    OA's joint distribution over the cells (every combination of categories) is built by
    iterative proportional fitting (:func:`~resilience.models.ipf.ipf`) of the survey's
    weighted joint distribution — of the study area's region when it has at least
    ``min_region`` respondents — to the OA's margins: correlations between
    characteristics come from the survey, totals from the census (synthetic
    post-stratification, Leemann & Wasserfallen 2017). A small prior mass
    (``seed_prior`` pseudo-respondents spread as the product of the survey's margins)
    lets every margin be met. An OA's predicted shares are the cell probabilities
    weighted by its fitted joint distribution.
Uncertainty
    ``n_boot`` bootstrap replicates resample respondents and refit the model at the
    chosen penalty; each replicate is post-stratified with the same joint distributions,
    giving per-OA replicates that flow into the LSOA, ward and area intervals exactly
    like the classification route's. (The census margins are taken as known; the survey
    design's strata and PSUs are not resampled.)
Disclosure
    Only OA totals are ever published: no cell of a joint distribution is written.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from numbers import Integral, Real
from typing import Any, ClassVar

import numpy as np
import pandas as pd
from scipy import sparse
from sklearn.base import BaseEstimator
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression, LogisticRegressionCV
from sklearn.model_selection import StratifiedKFold
from threadpoolctl import threadpool_limits

from ..clusters import CLUSTER_KEYS, share_columns
from ..errors import InputDataError, NotFittedError, format_examples
from ..inputs.census import Margins
from ..inputs.concepts import CONCEPTS, DEFAULT_VARIABLES
from ._base import (
    Constraint,
    at_least,
    between,
    check_params,
    forget_fit,
    int_seed,
    survey_weights,
)
from ._intervals import summary_columns
from .area_estimator import n_band, normalise_category
from .ipf import cell_codes, ipf
from .oa_estimates import OaEstimates

__all__ = ["MRPEstimator", "mrp_oa_estimates"]

K = len(CLUSTER_KEYS)


def _whole(v: Any) -> bool:
    return isinstance(v, Integral) and not isinstance(v, bool)


_CHUNK = 2000  # OAs post-stratified at once


def _weighted_metrics(prob: np.ndarray, y: np.ndarray, w: np.ndarray) -> tuple[float, float]:
    """Weighted multinomial log loss and Brier score (sum over clusters, mean over people)."""
    p = np.clip(prob, 1e-15, 1.0)
    onehot = np.eye(prob.shape[1])[y]
    ll = -np.log(p[np.arange(len(y)), y])
    brier = ((prob - onehot) ** 2).sum(axis=1)
    return float(np.average(ll, weights=w)), float(np.average(brier, weights=w))


class MRPEstimator(BaseEstimator):
    """Multinomial regression of cluster membership, post-stratified to census margins.

    Parameters
    ----------
    variables : sequence of str
        Post-stratification concepts (columns of the characteristics frame, categories as
        in :mod:`resilience.inputs.concepts`).
    area_predictor : str, optional
        A column of the characteristics frame with an area-level code (e.g. the OAC
        supergroup); OAs then need the same code (``area=`` in :meth:`predict`).
    region : int, optional
        The study area's ``gor_dv`` region: enters the model as a predictor (from the
        ``gor_dv`` column) and selects the respondents of the post-stratification seed.
    urban : int, optional
        The study area's ``urban_dv`` (1 urban, 2 rural): enters the model as a predictor.
    Cs : int or sequence of float, default=8
        Penalty strengths tried by cross-validation (as ``LogisticRegressionCV``).
    cv : int, default=5
        Cross-validation folds (penalty choice and the diagnostics).
    n_boot : int, default=200
        Bootstrap replicates (refitting the model).
    interval : float, default=0.9
        Coverage of the percentile intervals.
    seed_prior : float, default=5.0
        Pseudo-respondents of prior mass in the post-stratification seed.
    min_region : int, default=200
        Fewest respondents of ``region`` for the seed to be the region's own.
    random_state : int, optional
        Seed of the folds and the bootstrap.

    Attributes
    ----------
    C_ : float
        The chosen inverse penalty strength.
    model_ : LogisticRegression
        The model refitted on every respondent used.
    categories_ : dict
        Predictor → its categories (the one-hot columns, in order).
    seed_ : ndarray of shape (n_cells,)
        The post-stratification seed (proportions over the cells).
    cells_ : ndarray of shape (n_cells, n_variables)
        Category codes of each cell.
    cv_ : dict
        ``mrp_log_loss``, ``mrp_brier`` (cross-validated, weighted), ``baseline_log_loss``,
        ``baseline_brier`` (the training folds' national shares), ``folds``, ``C``.
    calibration_ : DataFrame
        Cross-validated predicted probability against observed share, by cluster and
        probability decile (``respondents`` banded).
    boot_coef_, boot_intercept_ : ndarray
        Coefficients of the bootstrap refits, (n_boot, 6, n_features) and (n_boot, 6).
    n_respondents_ : int

    Examples
    --------
    >>> from resilience.synthetic import make_mrp_world
    >>> world = make_mrp_world(seed=0, n_oa=40, n_respondents=1500)
    >>> est = MRPEstimator(n_boot=5, Cs=4, cv=3, random_state=0).fit(
    ...     world.characteristics, world.labels)
    >>> shares = est.predict(world.margins)
    >>> shares.shape, bool(np.allclose(shares.sum(axis=1), 1))
    ((40, 6), True)
    """

    _parameter_constraints: ClassVar[dict[str, Constraint]] = {
        "variables": Constraint(
            "a list of distinct concepts among " + ", ".join(CONCEPTS),
            lambda v: (
                not isinstance(v, str)
                and len(list(v)) > 0
                and all(x in CONCEPTS for x in v)
                and len(set(v)) == len(list(v))
            ),
        ),
        "area_predictor": Constraint(
            "a column name or None", lambda v: v is None or isinstance(v, str)
        ),
        "region": Constraint(
            "a gor_dv code 1 to 12, or None", lambda v: v is None or (_whole(v) and 1 <= v <= 12)
        ),
        "urban": Constraint("1 (urban), 2 (rural) or None", lambda v: v in (None, 1, 2)),
        "Cs": Constraint(
            "a number of penalty strengths (1 or more) or a list of them",
            lambda v: (_whole(v) and v >= 1) or (not isinstance(v, str) and len(list(v)) > 0),
        ),
        "cv": at_least(2),
        "n_boot": at_least(0, "0 gives no intervals"),
        "interval": between(0, 1, "e.g. 0.9"),
        "seed_prior": Constraint(
            "a positive number",
            lambda v: isinstance(v, Real) and not isinstance(v, bool) and v > 0,
            "a number",
        ),
        "min_region": at_least(1),
    }

    def __init__(
        self,
        variables: Sequence[str] = DEFAULT_VARIABLES,
        area_predictor: str | None = None,
        region: int | None = None,
        urban: int | None = None,
        Cs: int | Sequence[float] = 8,
        cv: int = 5,
        n_boot: int = 200,
        interval: float = 0.9,
        seed_prior: float = 5.0,
        min_region: int = 200,
        random_state: int | None = None,
    ) -> None:
        self.variables = variables
        self.area_predictor = area_predictor
        self.region = region
        self.urban = urban
        self.Cs = Cs
        self.cv = cv
        self.n_boot = n_boot
        self.interval = interval
        self.seed_prior = seed_prior
        self.min_region = min_region
        self.random_state = random_state

    def __repr__(self) -> str:
        state = (
            f"C={self.C_:.3g}, {self.n_respondents_:,} respondents"
            if hasattr(self, "C_")
            else "not fitted"
        )
        return f"MRPEstimator(variables={list(self.variables)!r}, n_boot={self.n_boot}) [{state}]"

    # ------------------------------------------------------------------ checks
    def _check_params(self) -> list[str]:
        check_params(self)
        variables = list(self.variables)
        return variables

    def _predictors(self) -> list[str]:
        cols = list(self.variables)
        if self.region is not None:
            cols.append("gor_dv")
        if self.urban is not None:
            cols.append("urban_dv")
        if self.area_predictor is not None:
            cols.append(self.area_predictor)
        return cols

    def _check_fitted(self) -> None:
        if not hasattr(self, "C_"):
            raise NotFittedError("This MRPEstimator is not fitted yet. Call fit(frame, labels).")

    # -------------------------------------------------------------- design
    def _values(self, frame: pd.DataFrame, col: str) -> pd.Series:
        if col in CONCEPTS:
            return frame[col].astype(object)
        if col == self.area_predictor:
            return normalise_category(frame[col]).astype(object)
        num = pd.to_numeric(frame[col], errors="coerce")
        return num.map(lambda v: str(int(v)) if pd.notna(v) else np.nan)

    def _design(self, values: dict[str, np.ndarray]) -> np.ndarray:
        """One-hot design matrix: every category of every predictor (unknown → all zero)."""
        blocks = []
        for col, cats in self.categories_.items():
            pos = {c: j for j, c in enumerate(cats)}
            idx = np.array([pos.get(v, -1) for v in values[col]])
            block = np.zeros((len(idx), len(cats)))
            ok = idx >= 0
            block[np.where(ok)[0], idx[ok]] = 1.0
            blocks.append(block)
        return np.hstack(blocks)

    # --------------------------------------------------------------------- fit
    def fit(
        self, characteristics: pd.DataFrame, labels: pd.Series, sample_weight: Any = None
    ) -> MRPEstimator:
        """Fit the model, its cross-validated diagnostics, the seed and the bootstrap.

        Parameters
        ----------
        characteristics : DataFrame
            One row per respondent: the ``variables`` columns as categories (from
            :func:`~resilience.inputs.characteristics.read_characteristics`), ``gor_dv`` /
            ``urban_dv`` when ``region`` / ``urban`` are given, the ``area_predictor``
            column, and the survey weight in ``weight`` unless ``sample_weight`` is given.
        labels : Series
            Cluster key of each respondent (index matching), e.g. ``SurveyModel.labels_``;
            respondents without a label or with a missing characteristic are left out.
        sample_weight : array-like, Series or str, optional
            As for :class:`~resilience.AreaEstimator`.

        Returns
        -------
        self
        """
        forget_fit(self)
        variables = self._check_params()
        cols = self._predictors()
        missing = [c for c in cols if c not in characteristics.columns]
        if missing:
            raise InputDataError(
                f"The respondents' characteristics have no column(s) "
                f"{format_examples(missing)}; columns found: "
                f"{format_examples(list(characteristics.columns), 12)}."
            )
        w_all = survey_weights(characteristics, sample_weight, who="the MRP model")
        lab = (
            labels.reindex(characteristics.index)
            if isinstance(labels, pd.Series)
            else (pd.Series(np.asarray(labels, dtype=object), index=characteristics.index))
        )
        values = {c: self._values(characteristics, c) for c in cols}
        for v in variables:
            odd = values[v][values[v].notna() & ~values[v].isin(CONCEPTS[v].categories)]
            if len(odd):
                raise InputDataError(
                    f"Column {v!r} of the characteristics has values that are not its "
                    f"categories, e.g. {format_examples(sorted(map(str, odd.unique())))}; "
                    f"expected {', '.join(CONCEPTS[v].categories)}. Map UKHLS codes with "
                    "resilience.inputs.characteristics.read_characteristics (or map_concept)."
                )
        use = lab.isin(CLUSTER_KEYS).to_numpy() & (w_all > 0)
        for c in cols:
            use &= values[c].notna().to_numpy()
        n = int(use.sum())
        if n < 50:
            raise InputDataError(
                f"Only {n:,} respondents have a cluster, a positive weight and every "
                f"predictor ({', '.join(cols)}); the MRP model needs at least 50."
            )
        self.n_respondents_ = n
        y = pd.Categorical(lab[use], categories=list(CLUSTER_KEYS)).codes.astype(np.int64)
        w = w_all[use] / w_all[use].mean()
        vals = {c: values[c].to_numpy()[use] for c in cols}
        self.categories_ = {
            c: list(CONCEPTS[c].categories) if c in CONCEPTS else sorted(set(vals[c])) for c in cols
        }
        X = self._design(vals)
        seed = int_seed(self.random_state)
        folds = StratifiedKFold(self.cv, shuffle=True, random_state=seed or 0)
        # one BLAS thread: these small dense problems run many times faster than with
        # threads competing for the cores
        with warnings.catch_warnings(), threadpool_limits(limits=1):
            warnings.simplefilter("ignore", ConvergenceWarning)
            warnings.simplefilter("ignore", FutureWarning)
            search = LogisticRegressionCV(
                Cs=self.Cs,
                cv=folds,
                scoring="neg_log_loss",
                l1_ratios=(0.0,),
                max_iter=500,
                use_legacy_attributes=False,
            ).fit(X, y, sample_weight=w)
            self.C_ = float(np.ravel(search.C_)[0])
            self.model_ = self._refit(X, y, w)
            self._cross_validate(X, y, w, folds)
            self._bootstrap(X, y, w, seed)
        self._fit_seed(vals, w_all[use], values, characteristics, variables)
        return self

    def _refit(self, X: np.ndarray, y: np.ndarray, w: np.ndarray) -> LogisticRegression:
        return LogisticRegression(C=self.C_, max_iter=500).fit(X, y, sample_weight=w)

    @staticmethod
    def _proba(model: LogisticRegression, X: np.ndarray) -> np.ndarray:
        """Probabilities of all six clusters (clusters absent from the fit get 0)."""
        out = np.zeros((len(X), K))
        out[:, model.classes_] = model.predict_proba(X)
        return out

    def _cross_validate(
        self, X: np.ndarray, y: np.ndarray, w: np.ndarray, folds: StratifiedKFold
    ) -> None:
        prob = np.zeros((len(y), K))
        base = np.zeros((len(y), K))
        for train, test in folds.split(X, y):
            m = LogisticRegression(C=self.C_, max_iter=500).fit(
                X[train], y[train], sample_weight=w[train]
            )
            prob[test] = self._proba(m, X[test])
            shares = np.bincount(y[train], weights=w[train], minlength=K)
            base[test] = shares / shares.sum()
        ll, br = _weighted_metrics(prob, y, w)
        bll, bbr = _weighted_metrics(base, y, w)
        self.cv_ = {
            "mrp_log_loss": round(ll, 4),
            "mrp_brier": round(br, 4),
            "baseline_log_loss": round(bll, 4),
            "baseline_brier": round(bbr, 4),
            "folds": folds.get_n_splits(),
            "C": self.C_,
        }
        rows = []
        for k, key in enumerate(CLUSTER_KEYS):
            p = prob[:, k]
            bins = np.minimum((p * 10).astype(int), 9)
            for b in range(10):
                sel = bins == b
                if sel.sum() == 0:
                    continue
                rows.append(
                    {
                        "cluster": key,
                        "bin": f"{b / 10:.1f}–{(b + 1) / 10:.1f}",
                        "predicted": round(float(np.average(p[sel], weights=w[sel])), 4),
                        "observed": round(float(np.average(y[sel] == k, weights=w[sel])), 4),
                        "respondents": n_band(int(sel.sum())),
                    }
                )
        self.calibration_ = pd.DataFrame(rows)

    def _bootstrap(self, X: np.ndarray, y: np.ndarray, w: np.ndarray, seed: int | None) -> None:
        rng = np.random.default_rng(seed)
        coef = np.zeros((self.n_boot, K, X.shape[1]))
        intercept = np.zeros((self.n_boot, K))
        # each refit starts from the previous solution (warm start): same optimum, faster
        fit = LogisticRegression(C=self.C_, max_iter=500, warm_start=True).fit(
            X, y, sample_weight=w
        )
        for b in range(self.n_boot):
            m = np.bincount(rng.integers(0, len(y), len(y)), minlength=len(y)).astype(float)
            keep = m > 0
            if len(np.unique(y[keep])) != len(fit.classes_):
                fit = LogisticRegression(C=self.C_, max_iter=500, warm_start=True)
            fit.fit(X[keep], y[keep], sample_weight=(w * m)[keep])
            # absent clusters get a very negative intercept (probability ~ 0)
            coef[b], intercept[b] = 0.0, -50.0
            if len(fit.classes_) == 2:  # binary fits carry one row of coefficients
                coef[b, fit.classes_[1]] = fit.coef_[0]
                intercept[b, fit.classes_] = [0.0, fit.intercept_[0]]
            else:
                coef[b, fit.classes_] = fit.coef_
                intercept[b, fit.classes_] = fit.intercept_
        self.boot_coef_, self.boot_intercept_ = coef, intercept

    def _fit_seed(
        self,
        vals: dict[str, np.ndarray],
        w: np.ndarray,
        values: dict[str, pd.Series],
        frame: pd.DataFrame,
        variables: list[str],
    ) -> None:
        sizes = [len(CONCEPTS[v].categories) for v in variables]
        self.cells_ = cell_codes(sizes)
        codes = np.column_stack(
            [pd.Categorical(vals[v], categories=CONCEPTS[v].categories).codes for v in variables]
        )
        self.seed_region_ = "all respondents"
        if self.region is not None:
            in_region = vals["gor_dv"] == str(int(self.region))
            if in_region.sum() >= self.min_region:
                codes, w = codes[in_region], w[in_region]
                self.seed_region_ = f"gor_dv {self.region} ({int(in_region.sum()):,} respondents)"
        flat = np.ravel_multi_index(codes.T, sizes)
        joint = np.bincount(flat, weights=w, minlength=int(np.prod(sizes)))
        joint = joint / joint.sum()
        n_eff = w.sum() ** 2 / (w**2).sum()
        indep = np.ones(len(self.cells_))
        for k, size in enumerate(sizes):
            marg = np.bincount(codes[:, k], weights=w, minlength=size) + 1e-3
            indep *= (marg / marg.sum())[self.cells_[:, k]]
        self.seed_ = (joint * n_eff + self.seed_prior * indep) / (n_eff + self.seed_prior)

    # ----------------------------------------------------------------- predict
    def _cell_design(self, area_value: str | None) -> np.ndarray:
        variables = list(self.variables)
        values: dict[str, np.ndarray] = {
            v: np.asarray(CONCEPTS[v].categories, dtype=object)[self.cells_[:, k]]
            for k, v in enumerate(variables)
        }
        n = len(self.cells_)
        if self.region is not None:
            values["gor_dv"] = np.full(n, str(int(self.region)), dtype=object)
        if self.urban is not None:
            values["urban_dv"] = np.full(n, str(int(self.urban)), dtype=object)
        if self.area_predictor is not None:
            values[self.area_predictor] = np.full(n, area_value, dtype=object)
        return self._design(values)

    @staticmethod
    def _softmax(eta: np.ndarray) -> np.ndarray:
        eta = eta - eta.max(axis=-1, keepdims=True)
        e = np.exp(eta)
        return e / e.sum(axis=-1, keepdims=True)

    def _area_values(self, margins: Margins, area: pd.Series | None) -> np.ndarray:
        if self.area_predictor is None:
            return np.full(len(margins.index), None, dtype=object)
        if area is None:
            raise InputDataError(
                f"The MRP model uses the area predictor {self.area_predictor!r}: give each "
                "OA's code (area=...)."
            )
        codes = normalise_category(area.reindex(margins.index)).astype(object)
        unknown = codes[~codes.isin(self.categories_[self.area_predictor])]
        if len(unknown):
            raise InputDataError(
                f"{len(unknown)} OA(s) have {self.area_predictor} codes the survey does not "
                f"have, e.g. {format_examples([f'{a}: {c}' for a, c in unknown.items()])}; "
                f"the survey's are {format_examples(self.categories_[self.area_predictor])}."
            )
        return codes.to_numpy()

    def post_stratify(
        self, margins: Margins, area: pd.Series | None = None, *, replicates: bool = True
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Point shares, bootstrap replicates and IPF margin error of every OA.

        Returns
        -------
        shares : ndarray of shape (n_oa, 6)
        reps : ndarray of shape (n_boot, n_oa, 6) (float32; empty without replicates)
        error : ndarray of shape (n_oa,)
            Largest difference between an IPF-fitted and a census margin (proportions).
        """
        self._check_fitted()
        variables = list(self.variables)
        missing = [v for v in variables if v not in margins.shares]
        if missing:
            raise InputDataError(
                f"The census margins lack {format_examples(missing)}; they have "
                f"{format_examples(margins.variables)}."
            )
        idx = margins.index
        area_vals = self._area_values(margins, area)
        n_b = self.n_boot if replicates else 0
        shares = np.zeros((len(idx), K))
        reps = np.zeros((n_b, len(idx), K), dtype=np.float32)
        error = np.zeros(len(idx))
        probs: dict[Any, tuple[np.ndarray, np.ndarray]] = {}
        for a in pd.unique(area_vals):
            Xc = self._cell_design(a)
            point = self._proba(self.model_, Xc)
            boot = (
                self._softmax(
                    np.einsum("cp,bkp->bck", Xc, self.boot_coef_[:n_b])
                    + self.boot_intercept_[:n_b, None]
                )
                if n_b
                else np.zeros((0, len(Xc), K))
            )
            probs[a] = (point, boot)
        arrays = []
        for v in variables:
            frame = margins.shares[v]
            cats = list(CONCEPTS[v].categories)
            if set(frame.columns) != set(cats):
                raise InputDataError(
                    f"The census margins of {v!r} have columns {format_examples(list(frame))}; "
                    f"expected the categories {', '.join(cats)}."
                )
            arrays.append(frame[cats].to_numpy(dtype=float))
        for start in range(0, len(idx), _CHUNK):
            sl = slice(start, start + _CHUNK)
            joint, err = ipf(self.seed_, self.cells_, [m[sl] for m in arrays])
            error[sl] = err
            joint /= joint.sum(axis=1, keepdims=True)
            for a, (point, boot) in probs.items():
                rows = (
                    np.where(area_vals[sl] == a)[0] if a is not None else np.arange(joint.shape[0])
                )
                if not len(rows):
                    continue
                shares[start + rows] = joint[rows] @ point
                for b in range(n_b):
                    reps[b, start + rows] = joint[rows] @ boot[b]
        return shares, reps, error

    def predict(self, margins: Margins, area: pd.Series | None = None) -> pd.DataFrame:
        """Post-stratified cluster shares of every OA (``share_<cluster>``).

        Parameters
        ----------
        margins : Margins
            From :func:`~resilience.inputs.census.census_margins`.
        area : Series, optional
            Each OA's area-predictor code (needed when ``area_predictor`` is set).
        """
        shares, _, _ = self.post_stratify(margins, area, replicates=False)
        return pd.DataFrame(shares, index=margins.index, columns=share_columns())


def mrp_oa_estimates(
    estimator: MRPEstimator,
    margins: Margins,
    *,
    area: pd.Series | None = None,
    codes: pd.DataFrame | None = None,
) -> tuple[OaEstimates, np.ndarray, np.ndarray]:
    """The MRP route's OA estimates in the classification route's shape.

    Returns the :class:`~resilience.models.oa_estimates.OaEstimates` (``estimate_level`` =
    ``mrp``; ``membership`` the identity, so each OA is its own "category"), the per-OA
    replicates (n_boot, n_oa, 6) to pass as ``category_replicates`` to
    :func:`~resilience.models.aggregate.aggregate_areas`, and each OA's largest IPF
    margin error (proportions).

    Examples
    --------
    >>> from resilience.synthetic import make_mrp_world
    >>> world = make_mrp_world(seed=0, n_oa=30, n_respondents=1200)
    >>> est = MRPEstimator(n_boot=4, Cs=3, cv=3, random_state=0).fit(
    ...     world.characteristics, world.labels)
    >>> oa, reps, err = mrp_oa_estimates(est, world.margins)
    >>> oa.table["estimate_level"].unique().tolist(), reps.shape, oa.membership.shape
    (['mrp'], (4, 30, 6), (30, 30))
    """
    shares, reps, error = estimator.post_stratify(margins, area)
    idx = pd.Index(margins.index, name="oa_code")
    table = pd.DataFrame(shares, index=idx, columns=share_columns())
    cols, _ = summary_columns(shares, reps if len(reps) else None, estimator.interval)
    table = table.assign(**cols)
    table["estimate_level"] = "mrp"
    table["estimate_category"] = (
        normalise_category(area.reindex(idx)).to_numpy() if area is not None else "census"
    )
    membership = sparse.identity(len(idx), format="csr")
    codes = codes.reindex(idx) if codes is not None else pd.DataFrame(index=idx)
    return OaEstimates(table, membership, codes), reps, error
