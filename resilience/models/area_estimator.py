"""Small-area estimates: cluster shares for every category of an area classification.

:class:`AreaEstimator` turns respondents' clusters into cluster shares for every category
of a hierarchical area classification (for example OAC supergroup → group → subgroup),
shrinks each category towards its parent, protects small cells, and keeps bootstrap
replicates so that intervals for output areas, LSOAs and wards can be computed from the
same draws.

Shrinkage rule (empirical Bayes)
--------------------------------
At each level, a category's cluster counts are modelled as Dirichlet–multinomial around
its parent's (already shrunk) shares π with prior strength α ("pseudo-respondents"). The
estimate is the posterior mean

    (n_eff · p + α · π) / (n_eff + α),

where p are the category's weighted shares and n_eff = (Σw)² / Σw² its Kish effective
sample size, so a category is pulled towards its parent more the fewer effective
respondents it has. α is chosen per level by maximising the Dirichlet–multinomial
marginal likelihood of all categories' effective counts at that level (bounded to
[0.5, 10 000]), each category judged against its parent's shares *without* its own
respondents (otherwise a category that dominates its parent looks like it and α comes
out too large); the top level shrinks towards the whole sample. ``shrinkage`` may instead
be a fixed α, or 0 for raw shares.

Intervals
---------
Every bootstrap replicate carries each source of uncertainty the method has:

1. the survey design: respondents' weights are multiplied by a Rao–Wu rescaling
   bootstrap of PSUs within strata when the survey has ``psu``/``strata`` columns
   (UKHLS ``psu``, ``strata``), by a bootstrap of respondents otherwise
   (:mod:`resilience.models._bootstrap`);
2. the cluster assignment: with ``label_proba_replicates`` (the survey model's bootstrap
   refits, ``SurveyModel.predict_proba_refits``), replicate b draws every respondent's
   cluster from the membership probabilities of refit b mod R: factor analysis, k-means
   and labelling refitted on a bootstrap sample, each cluster read as a Gaussian with its
   own spread, so the draws carry where a refit, and a boundary that respects the
   clusters' spreads, would put each respondent. With only ``label_proba`` (e.g.
   ``SurveyModel.predict_proba``, one fit) every respondent's cluster is drawn from those
   probabilities instead;
3. the prior strength: α is re-estimated from the replicate (empirical Bayes);
4. the shrinkage itself: each category's shares are drawn from its Dirichlet posterior
   Dirichlet(n_eff · p + α · π), top-down, π being the parent's draw, so a heavily shrunk
   category's interval spans the spread between categories and not only the sampling
   error of its (shrunk) mean.

Steps 1 and 4 both contain the sampling error of a category's own respondents, so a
category with many respondents gets an interval up to √2 wider than its sampling error
alone. The widening is kept on purpose: part of the error of the k-means assignment (a
boundary between two clusters drawn in the wrong place) is common to every category and
is carried by the refits only in part. Measured on the synthetic borough (seeds 0–7,
labels and refits from the fitted survey model with its default 20 refits,
``benchmarks/coverage.py``), 90 % intervals cover the true shares in 92 % of OA cells,
91 % of LSOA cells and 88 % of ward cells (see the README).

Disclosure control
------------------
A category with fewer than ``min_respondents`` unweighted respondents (with a positive
weight) has no estimate of its own: areas of that category take the estimate of its
parent (recursively; ``all`` for the whole sample). Such categories never appear in
:attr:`AreaEstimator.estimates_`. Nor can they be recovered by differencing: when a
published category minus its published children (or finer published descendants) would
leave between 1 and ``min_respondents - 1`` respondents, the smallest of those children is
suppressed too (complementary suppression), in every shrinkage mode, since a fixed or
estimated α is published and can be undone. Respondent counts are only ever reported in bands
(``10–29``, ``30–99``, ``100–299``, ``300+``) so that a suppressed count cannot be
recovered by differencing.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any, ClassVar

import numpy as np
import pandas as pd
from scipy import sparse
from scipy.optimize import minimize_scalar
from scipy.special import gammaln
from sklearn.base import BaseEstimator

from .._fork import Background
from ..clusters import CLUSTER_KEYS, share_columns
from ..errors import (
    ConfigError,
    DisclosureWarning,
    InputDataError,
    NotFittedError,
    format_examples,
)
from ._base import (
    Constraint,
    at_least,
    between,
    check_params,
    forget_fit,
    int_seed,
    survey_weights,
    unique_rows,
)
from ._bootstrap import Design, design_multipliers, draw_labels
from ._intervals import summary_columns

__all__ = [
    "MIN_BOOT_INTERVALS",
    "UKDS_MIN_RESPONDENTS",
    "AreaEstimator",
    "n_band",
    "normalise_category",
]

ALL = "all"

#: From this many replicates × respondents, half the bootstrap replicates are made by a
#: forked process (below it, starting the process costs more than it saves).
PARALLEL_REPLICATE_ROWS = 2_000_000

#: Fewest bootstrap replicates (``n_boot``) that give an interval; 0 means no intervals.
#: With fewer, the 5th and 95th percentiles are one or two draws and a "90 %" interval
#: (and the flags' confidence) means nothing.
MIN_BOOT_INTERVALS = 50

#: The UK Data Service rule: no published figure rests on fewer respondents.
UKDS_MIN_RESPONDENTS = 10


def normalise_category(codes: pd.Series) -> pd.Series:
    """Classification codes compared case- and space-insensitively (``' 1A1'`` → ``'1a1'``).

    Missing values and negative survey codes stay missing.

    Examples
    --------
    >>> normalise_category(pd.Series([" 1A1", "1a 1", None, "-9"])).tolist()
    ['1a1', '1a1', <NA>, <NA>]
    """
    s = codes.astype("string").str.replace(r"\s+", "", regex=True).str.lower()
    return s.mask(s.isin(["", "nan", "none"]) | s.str.match(r"^-\d+$", na=False))


def n_band(n: int | float) -> str:
    """A respondent count as a band that cannot be differenced into a small cell.

    Examples
    --------
    >>> n_band(12), n_band(150), n_band(4000)
    ('10–29', '100–299', '300+')
    """
    for lo, hi in ((300, None), (100, 299), (30, 99), (10, 29)):
        if n >= lo:
            return f"{lo}+" if hi is None else f"{lo}–{hi}"
    return "<10"


def _dm_negloglik(
    log_alpha: float, counts: np.ndarray, totals: np.ndarray, prior: np.ndarray
) -> float:
    """Negative Dirichlet–multinomial log-likelihood (terms free of α dropped)."""
    a = np.exp(log_alpha)
    ap = np.clip(a * prior, 1e-12, None)
    ll = gammaln(a) - gammaln(totals + a) + (gammaln(counts + ap) - gammaln(ap)).sum(axis=1)
    return float(-ll.sum())


def _fit_alpha(counts: np.ndarray, totals: np.ndarray, prior: np.ndarray) -> float:
    ok = totals > 0
    if ok.sum() < 2:
        return 10_000.0
    res = minimize_scalar(
        _dm_negloglik,
        bounds=(np.log(0.5), np.log(10_000.0)),
        args=(counts[ok], totals[ok], prior[ok]),
        method="bounded",
    )
    return float(np.exp(res.x))


def _complementary(
    own: np.ndarray, n: np.ndarray, parent_pos: np.ndarray, min_n: int
) -> tuple[np.ndarray, list[int]]:
    """Complementary suppression: nothing published can be differenced into a small cell.

    Categories form a tree (``parent_pos``; row 0 is the whole sample). A published
    category minus its largest published descendants (its published children, or the
    published children of a suppressed child …) leaves the respondents of its suppressed
    children and those with no finer code. When that remainder holds between 1 and
    ``min_n - 1`` respondents, its figures could be recovered by differencing, so the
    smallest of those published descendants is suppressed too, until the remainder is
    empty or holds at least ``min_n`` (or only the category itself is published).

    Returns the new ``own`` flags and the rows suppressed here, in order.

    Examples
    --------
    >>> own = np.array([True, True, False, True])  # all > {a (40), b (3)}; all > c (30)
    >>> parent = np.array([-1, 0, 0, 0])
    >>> _complementary(own, np.array([73, 40, 3, 30]), parent, 10)[1]  # c goes too
    [3]
    """
    own = own.copy()
    children: list[list[int]] = [[] for _ in own]
    for i, p in enumerate(parent_pos):
        if p >= 0:
            children[p].append(i)
    extra: list[int] = []

    def published_below(i: int) -> list[int]:
        out, stack = [], list(children[i])
        while stack:
            j = stack.pop()
            if own[j]:
                out.append(j)
            else:
                stack.extend(children[j])
        return out

    for i in range(len(own)):  # parents come before their children
        if not own[i]:
            continue
        while True:
            below = published_below(i)
            rest = int(n[i] - sum(n[j] for j in below))
            if not below or rest <= 0 or rest >= min_n:
                break
            j = min(below, key=lambda k: (n[k], k))
            own[j] = False
            extra.append(j)
    return own, extra


def _unknown_areas_error(
    unknown: list[tuple[object, str]], level: str, known: list[str]
) -> InputDataError:
    """The error for areas whose classification codes the survey knows at no level."""
    others = format_examples([f"{a}: {c}" for a, c in unknown[1:]], 4) or "no others"
    return InputDataError(
        f"{len(unknown)} area(s) have classification codes that the survey knows at no level, "
        f"e.g. area {unknown[0][0]!r} with {level} code {unknown[0][1]!r} ({others}). The "
        f"survey's {level} codes are {format_examples(known, 12)}. Check that the areas and the "
        "survey use the same classification (e.g. OAC 2011 in both)."
    )


def _shrinkage_ok(s: object) -> bool:
    """``"empirical_bayes"``, a fixed prior strength of 0 or more, or None (no shrinkage)."""
    if s is None or s == "empirical_bayes":
        return True
    return isinstance(s, (int, float)) and not isinstance(s, bool) and s >= 0


def _dirichlet(rng: np.random.Generator, params: np.ndarray) -> np.ndarray:
    """One Dirichlet draw per row (rows of zeros give zeros: the caller falls back)."""
    g = rng.standard_gamma(np.clip(params, 1e-12, None))
    g = np.where(params > 0, g, 0.0)
    total = g.sum(axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(total > 0, g / total, np.nan)


class AreaEstimator(BaseEstimator):
    """Cluster shares per classification category, shrunk, protected and bootstrapped.

    Parameters
    ----------
    levels : sequence of str
        Classification columns, coarse to fine, as named in the survey frame (and in the
        area classification given to :meth:`predict`).
    min_respondents : int, default=10
        Smallest number of unweighted respondents for a category to get its own estimate.
    n_boot : int, default=200
        Bootstrap replicates (resampling respondents) for intervals.
    interval : float, default=0.9
        Coverage of the percentile intervals.
    shrinkage : "empirical_bayes", float or None, default="empirical_bayes"
        Prior strength α towards the parent: chosen from the data per level, a fixed
        number of pseudo-respondents, or ``None``/0 for raw weighted shares.
    random_state : int, optional
        Seed of the bootstrap.
    psu, strata : str or None, default="psu", "strata"
        Survey columns holding the design's primary sampling units and strata; used by
        the bootstrap when present in the survey (a Rao–Wu rescaling bootstrap of PSUs
        within strata), otherwise respondents are resampled.

    Attributes
    ----------
    estimates_ : DataFrame
        One row per category with its own estimate, indexed by (``level``, ``code``):
        ``parent``, ``respondents`` (a band), ``alpha``,
        ``share_<cluster>`` with ``_lo``/``_hi``, and ``resilience_score`` with its
        interval. The whole sample is the row (``all``, ``all``).
    alpha_ : dict
        Prior strength used at each level.
    suppressed_ : dict
        Number of categories per level without an estimate of their own.
    complementary_ : dict
        Of those, the number per level suppressed although large enough, so that no
        published figure can be differenced into a small one (complementary suppression).
    replicates_ : ndarray of shape (n_boot, n_categories, 6)
        Bootstrap replicates of the shares of :attr:`estimates_` rows (same order).
    interval_method_ : str
        The interval method in words (for the manifest).
    design_ : Design
        PSUs and strata the bootstrap resampled.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> survey = pd.DataFrame({"sg": rng.choice(["1", "2"], 400),
    ...                        "weight": np.ones(400)})
    >>> survey["g"] = survey["sg"] + rng.choice(["a", "b"], 400)
    >>> labels = pd.Series(rng.choice(CLUSTER_KEYS, 400), index=survey.index)
    >>> est = AreaEstimator(["sg", "g"], n_boot=20, random_state=0).fit(survey, labels)
    >>> areas = pd.DataFrame({"sg": ["1", "2"], "g": ["1A", "2c"]}, index=["E00000001", "E0000002"])
    >>> import warnings
    >>> with warnings.catch_warnings():  # "2c" is not in the survey: it falls back to "2"
    ...     warnings.simplefilter("ignore")
    ...     est.predict(areas)["estimate_level"].tolist()
    ['g', 'sg']
    """

    #: Legal values of the parameters; the config's [estimates] keys and [survey]
    #: min_respondents are checked against them.
    _parameter_constraints: ClassVar[dict[str, Constraint]] = {
        "min_respondents": at_least(1),
        "n_boot": at_least(0, "0 gives no intervals"),
        "interval": between(0, 1, "e.g. 0.9"),
        "shrinkage": Constraint(
            "'empirical_bayes' or a number of pseudo-respondents, 0 or more", _shrinkage_ok
        ),
    }

    def __init__(
        self,
        levels: Sequence[str],
        min_respondents: int = 10,
        n_boot: int = 200,
        interval: float = 0.9,
        shrinkage: str | float | None = "empirical_bayes",
        random_state: int | None = None,
        psu: str | None = "psu",
        strata: str | None = "strata",
    ) -> None:
        self.levels = levels
        self.min_respondents = min_respondents
        self.n_boot = n_boot
        self.interval = interval
        self.shrinkage = shrinkage
        self.random_state = random_state
        self.psu = psu
        self.strata = strata

    def __repr__(self) -> str:
        state = (
            f"{len(self.estimates_) - 1} categories with own estimates"
            if hasattr(self, "estimates_")
            else "not fitted"
        )
        return (
            f"AreaEstimator(levels={list(self.levels)!r}, min_respondents={self.min_respondents}, "
            f"n_boot={self.n_boot}, interval={self.interval}) [{state}]"
        )

    # ------------------------------------------------------------------ checks
    def _check_params(self) -> list[str]:
        levels = list(self.levels)
        if not levels or len(set(levels)) != len(levels):
            raise ConfigError(
                f"levels must be a non-empty list of distinct columns; got {levels!r}."
            )
        check_params(self)
        return levels

    def _check_fitted(self) -> None:
        if not hasattr(self, "estimates_"):
            raise NotFittedError("This AreaEstimator is not fitted yet. Call fit(survey, labels).")

    # --------------------------------------------------------------------- fit
    def check_input(
        self,
        survey: pd.DataFrame,
        respondents: Any = None,
        sample_weight: Any = None,
        areas: pd.DataFrame | None = None,
    ) -> None:
        """Every check :meth:`fit` makes before estimating, without estimating anything.

        ``resilience check`` calls this, so it fails exactly when a run's estimates would
        stop on their input.

        Parameters
        ----------
        survey : DataFrame
            As for :meth:`fit`.
        respondents : index-like, optional
            The respondents that will have a cluster label (those the survey model uses,
            :meth:`SurveyModel.check_input`); default all.
        sample_weight : optional
            As for :meth:`fit`.
        areas : DataFrame, optional
            The areas to be predicted (as for :meth:`predict`): each must have a code the
            survey knows at some level.

        Raises
        ------
        ConfigError, InputDataError
        """
        self._check_unique(survey)
        w = survey_weights(survey, sample_weight, who="the area estimator")
        labelled = (
            np.ones(len(survey), dtype=bool)
            if respondents is None
            else survey.index.isin(pd.Index(respondents))
        )
        levels, codes, use = self._screen(survey, labelled, w)
        if areas is None:
            return
        known = {(lv, c) for lv in levels for c in codes[lv][use].dropna().unique()}
        area_codes = {lv: normalise_category(areas[lv]) for lv in levels if lv in areas}
        unknown = [
            (area, str(area_codes[levels[0]].iloc[i]))
            for i, area in enumerate(areas.index)
            if not any((lv, area_codes[lv].iloc[i]) in known for lv in area_codes)
        ]
        if unknown:
            top = sorted(c for lv, c in known if lv == levels[0])
            raise _unknown_areas_error(unknown, levels[0], top)

    @staticmethod
    def _check_unique(survey: pd.DataFrame) -> None:
        if not survey.index.is_unique:
            dup = survey.index[survey.index.duplicated()].unique()
            raise InputDataError(
                f"The survey has repeated respondent identifiers, e.g. "
                f"{format_examples(list(dup))}; give one row per respondent."
            )

    def _screen(
        self, survey: pd.DataFrame, labelled: np.ndarray, w: np.ndarray
    ) -> tuple[list[str], dict[str, pd.Series], np.ndarray]:
        """Parameters, level columns, codes and the respondents that enter the estimates."""
        levels = self._check_params()
        missing = [lv for lv in levels if lv not in survey.columns]
        if missing:
            raise InputDataError(
                f"The survey has no classification column(s) {format_examples(missing)}; its "
                f"columns are {format_examples(list(survey.columns), 12)}."
            )
        codes = {lv: normalise_category(survey[lv]) for lv in levels}
        # a respondent needs a code at the top level; finer codes may be missing
        use = labelled & (w > 0) & codes[levels[0]].notna().to_numpy()
        n = int(use.sum())
        if n < self.min_respondents:
            raise InputDataError(
                f"Only {n:,} labelled respondents have a positive weight and a {levels[0]!r} "
                f"classification code, fewer than min_respondents = {self.min_respondents:,}: "
                "no category, not even the whole sample, could have an estimate. Lower "
                "[survey] min_respondents (10 is the UK Data Service rule) or use a larger "
                "survey."
            )
        return levels, codes, use

    def fit(
        self,
        survey: pd.DataFrame,
        labels: pd.Series,
        sample_weight: Any = None,
        *,
        label_proba: pd.DataFrame | None = None,
        label_proba_replicates: Sequence[pd.DataFrame] | None = None,
        multiplicities: np.ndarray | None = None,
    ) -> AreaEstimator:
        """Estimate cluster shares for every category at every level.

        Parameters
        ----------
        survey : DataFrame
            Respondents with the ``levels`` columns (as from :func:`resilience.read_survey`).
        labels : Series
            Cluster key of each respondent used (index matching ``survey``), e.g.
            ``SurveyModel.labels_``. Respondents without a label are left out.
        sample_weight : array-like, Series or str, optional
            Survey weight of each row (a Series is aligned on the index; a string names a
            column). Default: the ``weight`` column that :func:`resilience.read_survey`
            writes; without one every respondent counts the same, with a warning.
        label_proba : DataFrame, optional
            Membership probabilities (one column per cluster key, index matching
            ``survey``), e.g. ``SurveyModel.predict_proba(survey)``. The point estimate
            uses ``labels``; each bootstrap replicate draws every respondent's cluster
            from these probabilities.
        label_proba_replicates : sequence of DataFrame, optional
            Membership probabilities under each of R refits of the survey model, shaped
            like ``label_proba``, e.g. ``SurveyModel.predict_proba_refits(survey)``.
            Replicate b draws every respondent's cluster from refit b mod R (instead of
            from ``label_proba``), so the intervals also carry the uncertainty of the
            fit itself.
        multiplicities : ndarray of shape (n_boot, len(survey)), optional
            How many times each survey row is drawn in each bootstrap replicate, instead
            of resampling the respondents here; rows left out of the estimates are
            ignored. Several waves' estimators share one replicate loop this way
            (:func:`resilience.models.change.paired_multiplicities`).

        Returns
        -------
        self
        """
        forget_fit(self)
        if multiplicities is not None and np.shape(multiplicities) != (self.n_boot, len(survey)):
            raise ValueError(
                f"multiplicities must have shape (n_boot, survey rows) = ({self.n_boot}, "
                f"{len(survey)}); got {np.shape(multiplicities)}."
            )
        if not isinstance(labels, pd.Series):
            if len(labels) != len(survey):
                raise InputDataError(
                    f"labels must be a Series indexed like the survey, or one label per survey "
                    f"row; got {len(labels)} labels for {len(survey)} rows."
                )
            labels = pd.Series(np.asarray(labels, dtype=object), index=survey.index)
        self._check_unique(survey)
        lab = labels.reindex(survey.index)
        unknown = set(lab.dropna().unique()) - set(CLUSTER_KEYS)
        if unknown:
            raise InputDataError(
                f"Labels must be cluster keys; got {format_examples(sorted(unknown))}."
            )
        w = survey_weights(survey, sample_weight, who="the area estimator")
        levels, codes, use = self._screen(survey, lab.notna().to_numpy(), w)
        self.n_respondents_ = int(use.sum())
        y = pd.Categorical(lab[use], categories=list(CLUSTER_KEYS)).codes.astype(np.int64)
        w = w[use]
        self._n_used = len(y)
        cat_codes = {lv: codes[lv][use].to_numpy() for lv in levels}

        # category table: every category seen among respondents, with its parent
        rows: list[tuple[str, str, str]] = [(ALL, ALL, "")]
        members: list[np.ndarray] = [np.arange(len(y))]
        for k, lv in enumerate(levels):
            parent_lv = levels[k - 1] if k else None
            s = pd.Series(cat_codes[lv])
            for code, idx in s.groupby(s, sort=True).groups.items():
                idx = np.asarray(idx)
                if parent_lv is None:
                    parent = ALL
                else:
                    pcodes = pd.Series(cat_codes[parent_lv][idx]).dropna()
                    if pcodes.empty:
                        continue
                    parent = str(pcodes.mode().iloc[0])
                rows.append((lv, str(code), parent))
                members.append(idx)
        table = pd.DataFrame(rows, columns=["level", "code", "parent"])
        n_cat = len(table)
        # sparse membership: respondents x categories
        r_idx = np.concatenate(members)
        c_idx = np.concatenate([np.full(len(m), j) for j, m in enumerate(members)])
        A = sparse.csr_matrix((np.ones(len(r_idx)), (r_idx, c_idx)), shape=(len(y), n_cat))
        Y = self._label_matrix(y, w)
        counts_n = np.asarray(A.sum(axis=0)).ravel().astype(int)
        table["n"] = counts_n
        table["own"] = counts_n >= self.min_respondents
        table.loc[0, "own"] = True

        parent_pos = np.full(n_cat, -1)
        key = {(r.level, r.code): i for i, r in enumerate(table.itertuples())}
        for i, r in enumerate(table.itertuples()):
            if i:
                plv = levels[levels.index(r.level) - 1] if r.level != levels[0] else ALL
                parent_pos[i] = key[(plv, r.parent)] if plv != ALL else 0
        own, extra = _complementary(
            table["own"].to_numpy(), counts_n, parent_pos, self.min_respondents
        )
        table["own"] = own
        self._levels = levels
        self._table = table
        self._parent_pos = parent_pos

        # point estimate, with alpha chosen per level from the data
        point, alpha = self._estimate(A, Y, w, alpha=None)
        self.alpha_ = alpha
        self._point = point

        # bootstrap
        probas = self._probas(label_proba, label_proba_replicates, survey.index, use)
        design = Design(
            *(
                survey[c].to_numpy()[use] if c and c in survey.columns else None
                for c in (self.psu, self.strata)
            ),
            n=len(y),
        )
        self.design_ = design
        reps = np.empty((self.n_boot, n_cat, len(CLUSTER_KEYS)), dtype=np.float32)
        if self.n_boot:
            # Replicate b draws from a random stream of its own (spawned from the seed), so a
            # forked process can make the second half while this one makes the first (London:
            # 200 replicates, 1.8 s): the same replicates either way.
            streams = np.random.SeedSequence(int_seed(self.random_state)).spawn(self.n_boot)
            split = self.n_boot // 2 if self.n_boot * len(y) >= PARALLEL_REPLICATE_ROWS else 0
            job = (A, Y, w, alpha, probas, multiplicities, use)
            with Background(
                self._replicates, *job, streams, range(split, self.n_boot), enabled=split > 0
            ) as other:
                reps[:split] = self._replicates(*job, streams, range(split))
                reps[split:] = other.result()
        self._reps_all = reps
        self.interval_method_ = self._describe_method(
            design,
            len(probas) if label_proba_replicates is not None else 0,
            bool(probas),
            paired=multiplicities is not None,
        )

        # effective estimates: suppressed categories resolve to their nearest own ancestor
        resolved = np.arange(n_cat)
        for i in range(n_cat):
            j = i
            while not table.loc[j, "own"]:
                j = parent_pos[j]
            resolved[i] = j
        self._resolved = resolved
        own = np.where(table["own"].to_numpy())[0]
        self._own = own
        self.suppressed_ = {
            lv: int(((table["level"] == lv) & ~table["own"]).sum()) for lv in levels
        }
        lv_of = table["level"].to_numpy()
        self.complementary_ = {lv: int(sum(lv_of[j] == lv for j in extra)) for lv in levels}
        self.estimates_ = self._summarise(own)
        self.replicates_ = reps[:, own, :]
        return self

    def _replicates(
        self,
        A: sparse.csr_matrix,
        Y: sparse.csr_matrix,
        w: np.ndarray,
        alpha: dict[str, float],
        probas: list[np.ndarray],
        multiplicities: np.ndarray | None,
        use: np.ndarray,
        streams: list[np.random.SeedSequence],
        which: range,
    ) -> np.ndarray:
        """Bootstrap replicates ``which`` of every category's shares (replicate b drawn
        from ``streams[b]``)."""
        refit = None if self.shrinkage == "empirical_bayes" else alpha
        out = np.empty((len(which), *self._point.shape), dtype=np.float32)
        for i, b in enumerate(which):
            rng = np.random.default_rng(streams[b])
            if multiplicities is None:
                m = design_multipliers(self.design_, rng)
            else:  # drawn outside, e.g. jointly for several waves
                m = np.asarray(multiplicities[b], dtype=float)[use]
            Yb = (
                Y
                if not probas
                else self._label_matrix(draw_labels(probas[b % len(probas)], rng), w)
            )
            # paired replicates (change between waves) carry the sampling error in the
            # joint resampling itself; a posterior draw on top would count it twice
            draw = rng if multiplicities is None else None
            out[i], _ = self._estimate(A, Yb, w, alpha=refit, multiplicity=m, rng=draw)
        return out

    def _label_matrix(self, y: np.ndarray, w: np.ndarray) -> sparse.csr_matrix:
        return sparse.csr_matrix((w, (np.arange(len(y)), y)), shape=(len(y), len(CLUSTER_KEYS)))

    def _probas(
        self,
        label_proba: pd.DataFrame | None,
        replicates: Sequence[pd.DataFrame] | None,
        index: pd.Index,
        use: np.ndarray,
    ) -> list[np.ndarray]:
        """The probabilities label draws come from: one per refit, or ``label_proba``."""
        if replicates is None:
            return [] if label_proba is None else [self._proba(label_proba, index, use)]
        if isinstance(replicates, pd.DataFrame) or not len(replicates):
            raise InputDataError(
                "label_proba_replicates must be a non-empty list of DataFrames, one per refit "
                "of the survey model, e.g. SurveyModel.predict_proba_refits(survey)."
            )
        return [
            self._proba(p, index, use, name=f"label_proba_replicates[{i}]")
            for i, p in enumerate(replicates)
        ]

    def _proba(
        self,
        label_proba: pd.DataFrame,
        index: pd.Index,
        use: np.ndarray,
        *,
        name: str = "label_proba",
    ) -> np.ndarray:
        """Membership probabilities of the respondents used, rows summing to 1."""
        if not isinstance(label_proba, pd.DataFrame):
            raise InputDataError(
                f"{name} must be a DataFrame indexed like the survey with one column per "
                f"cluster key ({', '.join(CLUSTER_KEYS)}), e.g. SurveyModel.predict_proba(survey)."
            )
        absent = [k for k in CLUSTER_KEYS if k not in label_proba.columns]
        if absent:
            raise InputDataError(
                f"{name} has no column(s) {format_examples(absent)}; it needs one column "
                "per cluster key, e.g. SurveyModel.predict_proba(survey)."
            )
        p = label_proba.reindex(index=index)[list(CLUSTER_KEYS)].to_numpy(dtype=float)[use]
        bad = ~np.isfinite(p).all(axis=1) | (p < 0).any(axis=1) | (p.sum(axis=1) <= 0)
        if bad.any():
            ex = index[use][bad]
            raise InputDataError(
                f"{name} has no usable probabilities for {int(bad.sum())} labelled "
                f"respondent(s), e.g. {format_examples(list(ex))}: every labelled respondent "
                "needs non-negative probabilities that do not all vanish."
            )
        return p / p.sum(axis=1, keepdims=True)

    def _describe_method(
        self, design: Design, n_refits: int, drawn: bool, *, paired: bool = False
    ) -> str:
        """The interval method in words, for the manifest and the report."""
        if not self.n_boot:
            return "none (n_boot = 0)"
        parts = [design.method]
        if paired:
            parts = ["respondents resampled jointly across the waves (a person in several waves "
                     "drawn once for all of them)"]  # fmt: skip
        elif design.collapsed:
            parts[0] += f" ({design.collapsed} single-PSU strata collapsed)"
        if n_refits:
            parts.append(
                "cluster assignment refitted: labels drawn from the membership probabilities "
                f"(each cluster with its own spread) of {n_refits} bootstrap "
                f"refit{'s' if n_refits > 1 else ''} of the survey model in turn"
            )
        else:
            parts.append(
                "cluster labels drawn from membership probabilities"
                if drawn
                else "cluster labels fixed"
            )
        if self.shrinkage == "empirical_bayes":
            parts.append("prior strength re-estimated")
        if not paired:
            parts.append("shares drawn from the Dirichlet posterior")
        return f"percentile intervals of {self.n_boot} replicates: " + "; ".join(parts)

    def _estimate(
        self,
        A: sparse.csr_matrix,
        Y: sparse.csr_matrix,
        w: np.ndarray,
        *,
        alpha: dict[str, float] | None,
        multiplicity: np.ndarray | None = None,
        rng: np.random.Generator | None = None,
    ) -> tuple[np.ndarray, dict[str, float]]:
        """Shrunk shares of every category (rows of the category table).

        With ``rng``, each category's shares are instead drawn from its posterior
        Dirichlet(n_eff · p + α · π), top-down, π being the parent's draw.
        """
        table = self._table
        m = np.ones(len(w)) if multiplicity is None else multiplicity
        wm = w * m
        weighted = np.asarray((A.T @ sparse.diags(m) @ Y).todense())  # cat x clusters
        sw = np.asarray(A.T @ wm).ravel()
        sw2 = np.asarray(A.T @ (w * wm)).ravel()
        with np.errstate(invalid="ignore", divide="ignore"):
            raw = weighted / sw[:, None]
            n_eff = np.where(sw2 > 0, sw**2 / sw2, 0.0)
        out = np.empty_like(raw)
        out[0] = raw[0] if rng is None else _dirichlet(rng, raw[0:1] * n_eff[0])[0]
        chosen: dict[str, float] = {}
        for lv in self._levels:
            rows = np.where(table["level"].to_numpy() == lv)[0]
            prior = out[self._parent_pos[rows]]
            x = np.nan_to_num(raw[rows]) * n_eff[rows, None]
            if alpha is not None:
                a = alpha[lv]
            elif self.shrinkage == "empirical_bayes":
                # judge each category against its parent *without* its own respondents, or
                # a category that dominates its parent would look like its parent and the
                # heterogeneity between categories (hence 1/α) would be underestimated
                par = self._parent_pos[rows]
                rest_w = weighted[par] - weighted[rows]
                rest_s = sw[par] - sw[rows]
                with np.errstate(invalid="ignore", divide="ignore"):
                    loo = rest_w / rest_s[:, None]
                ok = (rest_s > 1e-9)[:, None] & np.isfinite(loo)
                a = _fit_alpha(x, n_eff[rows], np.where(ok, loo, prior))
            else:
                a = float(self.shrinkage or 0.0)
            chosen[lv] = a
            denom = n_eff[rows] + a
            if rng is not None:
                est = _dirichlet(rng, x + a * prior)
            else:
                with np.errstate(invalid="ignore", divide="ignore"):
                    est = (x + a * prior) / denom[:, None]
            # no (resampled) respondents and no shrinkage: fall back to the parent
            est = np.where((denom > 0)[:, None], est, prior)
            out[rows] = est
        return out, chosen

    def _summarise(self, own: np.ndarray) -> pd.DataFrame:
        table = self._table
        shares = self._point[own]
        frame = pd.DataFrame(
            {
                "level": table["level"].to_numpy()[own],
                "code": table["code"].to_numpy()[own],
                "parent": table["parent"].to_numpy()[own],
                "respondents": [n_band(n) for n in table["n"].to_numpy()[own]],
                "alpha": [
                    np.nan if lv == ALL else round(self.alpha_[lv], 2)
                    for lv in table["level"].to_numpy()[own]
                ],
            }
        )
        frame[share_columns()] = shares
        reps = self._reps_all[:, own, :] if self.n_boot else None
        cols, _ = summary_columns(shares, reps, self.interval)
        frame = frame.assign(**cols).drop(columns="dominant_cluster")
        return frame.set_index(["level", "code"])

    # ----------------------------------------------------------------- predict
    def membership(self, areas: pd.DataFrame) -> tuple[sparse.csr_matrix, pd.DataFrame]:
        """Which category's estimate each area takes.

        Returns a sparse (areas x categories with own estimates) matrix with one 1 per
        row, in the order of :attr:`estimates_`, and a frame (indexed like ``areas``)
        with ``estimate_level`` and ``estimate_category``.

        Raises
        ------
        InputDataError
            When an area has no classification code, or codes the survey knows at no level.
        """
        self._check_fitted()
        levels = self._levels
        missing_cols = [lv for lv in levels if lv not in areas.columns]
        if missing_cols:
            found = list(areas.columns)
            rename = (
                f"areas.columns = {levels!r} (these {len(found)} columns, coarse to fine)"
                if len(found) == len(levels)
                else f"areas = areas[[<{len(levels)} columns, coarse to fine>]].set_axis("
                f"{levels!r}, axis=1)"
            )
            raise InputDataError(
                f"The area classification has no column(s) {format_examples(missing_cols)}; "
                f"expected one column per level {levels}, named as in the survey (columns "
                f"found: {format_examples(found, 10)}). Name them: {rename}; and index the "
                "frame by OA code: areas = areas.set_index('OA21CD')."
            )
        table = self._table
        key = {(r.level, r.code): i for i, r in enumerate(table.itertuples())}
        codes = {lv: normalise_category(areas[lv]).to_numpy() for lv in levels}
        top = codes[levels[0]]
        no_code = pd.isna(top)
        if no_code.any():
            ex = areas.index[no_code]
            raise InputDataError(
                f"{int(no_code.sum())} area(s) have no {levels[0]!r} classification code, e.g. "
                f"{format_examples(list(ex))}. Every output area needs a code; if the areas are on "
                "a newer geography than the classification, give the OA 2011 → 2021 lookup so "
                "codes can be carried across."
            )
        chosen = np.empty(len(areas), dtype=np.int64)
        fell_back: dict[str, set[str]] = {lv: set() for lv in reversed(levels)}
        unknown_top: list[tuple[object, str]] = []
        for i in range(len(areas)):
            found = -1
            for lv in reversed(levels):
                c = codes[lv][i]
                if pd.isna(c):
                    continue
                j = key.get((lv, str(c)))
                if j is not None:
                    found = j
                    break
                fell_back[lv].add(str(c))
            if found < 0:
                unknown_top.append((areas.index[i], str(top[i])))
                continue
            chosen[i] = self._resolved[found]
        if unknown_top:
            known = sorted(table.loc[table["level"] == levels[0], "code"])
            raise _unknown_areas_error(unknown_top, levels[0], known)
        absent = {lv: sorted(c) for lv, c in fell_back.items() if c}
        if absent:
            warnings.warn(
                "Classification categories of some areas are absent from the survey, so those "
                "areas take the estimate of a coarser level: "
                + "; ".join(
                    f"{len(c)} {lv} {'category' if len(c) == 1 else 'categories'} "
                    f"({format_examples(c, 4)})"
                    for lv, c in absent.items()
                )
                + ".",
                DisclosureWarning,
                stacklevel=3,
            )
        pos = {j: k for k, j in enumerate(self._own)}
        cols = np.array([pos[j] for j in chosen], dtype=np.int64)
        M = sparse.csr_matrix(
            (np.ones(len(areas)), (np.arange(len(areas)), cols)),
            shape=(len(areas), len(self._own)),
        )
        info = pd.DataFrame(
            {
                "estimate_level": table["level"].to_numpy()[chosen],
                "estimate_category": table["code"].to_numpy()[chosen],
            },
            index=areas.index,
        )
        return M, info

    def predict(self, areas: pd.DataFrame) -> pd.DataFrame:
        """Cluster shares, intervals, dominant cluster and resilience score for each area.

        Parameters
        ----------
        areas : DataFrame
            One column per level (named as in ``levels``), indexed by area (OA) code.

        Returns
        -------
        DataFrame
            Indexed like ``areas``: ``share_<cluster>`` and ``_lo``/``_hi``,
            ``dominant_cluster``, ``resilience_score`` with ``_lo``/``_hi``,
            ``estimate_level`` (the level whose estimate was used, or ``all``) and
            ``estimate_category``.
        """
        M, info = self.membership(areas)
        return self.shares_from_membership(M, index=areas.index).join(info)

    def shares_from_membership(self, M: sparse.spmatrix, index: pd.Index) -> pd.DataFrame:
        """Shares and intervals of areas that are (weighted) mixes of categories.

        ``M`` has one row per area and one column per row of :attr:`estimates_`; each row
        sums to 1 (a single 1 for an area of one category, population weights for an area
        merged from several). Areas with identical rows share their figures, so the
        intervals are computed once per distinct row.
        """
        self._check_fitted()
        M = sparse.csr_matrix(M)
        first, row_of = unique_rows(M)
        U = M[first]
        point = self.estimates_[share_columns()].to_numpy()
        shares_u = np.asarray(U @ point)
        frame = pd.DataFrame(shares_u, columns=share_columns())
        cols, _ = summary_columns(
            shares_u, self.replicates(U) if self.n_boot else None, self.interval
        )
        frame = frame.assign(**cols)
        out = frame.iloc[row_of].reset_index(drop=True)
        out.index = index
        return out

    def replicates(self, M: sparse.spmatrix) -> np.ndarray:
        """Bootstrap replicates of the shares of areas given by membership ``M``.

        Returns an array of shape (n_boot, n_areas, 6), computed as ``M @ replicate`` for
        every replicate, so aggregates and flags can use the same draws.
        """
        self._check_fitted()
        M = sparse.csr_matrix(M)
        out = np.empty((self.n_boot, M.shape[0], len(CLUSTER_KEYS)), dtype=np.float32)
        for b in range(self.n_boot):
            out[b] = M @ self.replicates_[b]
        return out
