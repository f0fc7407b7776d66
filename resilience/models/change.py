"""Change between survey waves: one survey model, paired replicates, change with intervals.

Three steps, each a function here:

1. :func:`label_waves` gives every respondent of every wave a cluster from *one* survey
   model. ``"pooled"`` (the default) fits a single :class:`~resilience.SurveyModel` to all
   waves stacked, so every wave is clustered with the same factors and centroids.
   ``"per_wave"`` also fits each wave on its own and renames that fit's clusters after
   the pooled clusters they are nearest to (Hungarian assignment of the per-wave
   clusters' mean pooled factor scores to the pooled centroids), so labels mean the same
   in every wave while the per-wave clustering is kept.
2. :func:`paired_multiplicities` draws the bootstrap for every wave in one replicate loop
   from one seed: replicate *b* of every wave comes from the same draw. Respondents are
   different people in a cross-sectional survey, so each wave is resampled within itself
   (waves are strata); but Understanding Society is a panel, and a person (the same
   ``pidp``) answering in several waves is resampled *jointly*: drawn once, counted in
   every wave they answered. Persons are resampled within strata of the waves they
   answered, so every wave keeps its sample size up to the panel overlap. The
   correlation of a panel member's answers between waves then enters the replicates of
   the change, which is narrower than with independent resampling when that
   correlation is positive.
3. :func:`change_frames` takes two waves' estimates (each with its estimator, OA
   estimates and area summaries) and returns, for OAs, LSOAs, wards and the whole area,
   ``change_share_<cluster>``, ``change_resilience_score`` and ``change_index_<cluster>``
   (later − earlier; each wave's national index against its own survey-wide share) with
   ``_lo``/``_hi`` bounds of basic bootstrap intervals from the differences of paired
   replicates, and ``change_significant`` (the score's interval excludes 0).

With the same classification for both waves an OA's change is the change of its area
type (the national, within-type change: method note step 12, mode A); with each wave's
own classification it also includes the OA's reclassification (mode B).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import sparse
from scipy.optimize import linear_sum_assignment

from ..clusters import CLUSTER_KEYS, share_columns
from ..errors import ConfigError
from ._base import int_seed, survey_weights, unique_rows
from ._intervals import SCORE_SIGNS
from .aggregate import AreaSummaries, _group_matrix
from .area_estimator import ALL, AreaEstimator, normalise_category
from .oa_estimates import OaEstimates
from .survey_model import SurveyModel

__all__ = [
    "CHANGE_PREFIX",
    "WaveEstimate",
    "WaveLabels",
    "change_columns",
    "change_frames",
    "eligible_rows",
    "label_waves",
    "match_to_pooled",
    "paired_multiplicities",
]

#: Prefix of every change column.
CHANGE_PREFIX = "change_"
_ID_NAMES = ("pidp", "pid", "id", "respondent_id")
_LEVELS = ("oa", "lsoa", "ward", "area")
#: The national index columns whose change is estimated (``index_<cluster>``).
_INDEXES = tuple(f"index_{k}" for k in CLUSTER_KEYS)


def change_columns(*, intervals: bool = True) -> list[str]:
    """The change columns, in order: every share, the resilience score, every national
    index (``index_<cluster>``), then ``change_significant``.

    Examples
    --------
    >>> change_columns()[:3]
    ['change_share_low_wellbeing', 'change_share_low_wellbeing_lo', 'change_share_low_wellbeing_hi']
    >>> change_columns(intervals=False)[5:8]
    ['change_share_emotional_fragility', 'change_resilience_score', 'change_index_low_wellbeing']
    >>> change_columns()[-1]
    'change_significant'
    """
    out = []
    for col in [*share_columns(), "resilience_score", *_INDEXES]:
        out.append(CHANGE_PREFIX + col)
        if intervals:
            out += [f"{CHANGE_PREFIX}{col}_lo", f"{CHANGE_PREFIX}{col}_hi"]
    return [*out, f"{CHANGE_PREFIX}significant"]


# ------------------------------------------------------------------------ labelling
@dataclass
class WaveLabels:
    """Clusters of every wave's respondents from one survey model.

    Attributes
    ----------
    mode : {"pooled", "per_wave"}
    model : SurveyModel
        The pooled fit (every wave stacked): the clusters every label refers to.
    labels : dict of str to Series
        Wave label → cluster key of each respondent used (indexed like that wave).
    models : dict of str to SurveyModel
        The per-wave fits (``"per_wave"`` only).
    match : DataFrame or None
        ``"per_wave"``: per wave and per-wave cluster, the pooled cluster it was matched
        to, the distance between them (pooled factor-score units) and the share of the
        wave's respondents whose matched label is their pooled label (``agreement``).
    """

    mode: str
    model: SurveyModel
    labels: dict[str, pd.Series]
    models: dict[str, SurveyModel] = field(default_factory=dict)
    match: pd.DataFrame | None = None


def _pooled_centres(model: SurveyModel) -> np.ndarray:
    """The pooled k-means centroids in cluster-key order."""
    order = [list(model.cluster_keys_).index(k) for k in CLUSTER_KEYS]
    return model.kmeans_.cluster_centers_[order]


def match_to_pooled(
    pooled: SurveyModel, own: SurveyModel, survey: pd.DataFrame
) -> tuple[pd.Series, pd.DataFrame]:
    """Rename a per-wave fit's clusters after the nearest pooled clusters.

    Each cluster of ``own`` is placed in the pooled factor space by the weighted mean of
    its respondents' pooled factor scores (``pooled.transform``); clusters are then
    assigned one to one to the pooled centroids minimising the total Euclidean distance
    (Hungarian algorithm).

    Returns
    -------
    labels : Series
        ``own.labels_`` renamed to the matched pooled cluster keys.
    match : DataFrame
        One row per cluster of ``own``: ``own_cluster`` (its own rule-based name),
        ``cluster`` (the matched pooled key) and ``distance``.
    """
    lab = own.labels_
    scores = pooled.transform(survey.loc[lab.index]).to_numpy()
    w = survey_weights(survey.loc[lab.index], None, who="the wave match")
    ok = np.isfinite(scores).all(axis=1)
    means = np.zeros((len(CLUSTER_KEYS), scores.shape[1]))
    for k, key in enumerate(CLUSTER_KEYS):
        m = ok & (lab.to_numpy() == key)
        if m.any():
            means[k] = np.average(scores[m], axis=0, weights=w[m] if w[m].sum() > 0 else None)
    centres = _pooled_centres(pooled)
    dist = np.linalg.norm(means[:, None, :] - centres[None], axis=2)
    rows, cols = linear_sum_assignment(dist)
    mapping = {CLUSTER_KEYS[r]: CLUSTER_KEYS[c] for r, c in zip(rows, cols, strict=True)}
    match = pd.DataFrame(
        {
            "own_cluster": [CLUSTER_KEYS[r] for r in rows],
            "cluster": [CLUSTER_KEYS[c] for c in cols],
            "distance": dist[rows, cols].round(4),
        }
    )
    return lab.map(mapping).rename("cluster"), match


def _wave_part(labels: pd.Series, wave: str, index: pd.Index) -> pd.Series:
    part = labels.xs(wave, level=0)
    part.index = part.index.rename(index.name)
    return part


def label_waves(
    waves: Mapping[str, pd.DataFrame], params: Mapping[str, Any], mode: str = "pooled"
) -> WaveLabels:
    """Cluster every wave's respondents with one survey model (see the module notes).

    Parameters
    ----------
    waves : mapping of str to DataFrame
        Wave label → respondents (as from :func:`~resilience.inputs.survey.read_survey`),
        earliest first.
    params : mapping
        Parameters of :class:`~resilience.SurveyModel`.
    mode : {"pooled", "per_wave"}
    """
    if mode not in ("pooled", "per_wave"):
        raise ConfigError(f"wave_model must be 'pooled' or 'per_wave'; got {mode!r}.")
    stacked = pd.concat(list(waves.values()), keys=list(waves), names=["wave", "respondent"])
    pooled = SurveyModel(**params).fit(stacked)
    labels = {w: _wave_part(pooled.labels_, w, s.index) for w, s in waves.items()}
    if mode == "pooled":
        return WaveLabels(mode, pooled, labels)
    models, matches, own_labels = {}, [], {}
    for w, survey in waves.items():
        own = SurveyModel(**params).fit(survey)
        lab, match = match_to_pooled(pooled, own, survey)
        common = lab.index.intersection(labels[w].index)
        match["agreement"] = round(
            float((lab.loc[common] == labels[w].loc[common]).mean()) if len(common) else np.nan,
            4,
        )
        match.insert(0, "wave", w)
        models[w], own_labels[w] = own, lab
        matches.append(match)
    return WaveLabels(mode, pooled, own_labels, models, pd.concat(matches, ignore_index=True))


# ------------------------------------------------------------------------- bootstrap
def eligible_rows(
    survey: pd.DataFrame, labels: pd.Series, levels: Sequence[str], sample_weight: Any = None
) -> np.ndarray:
    """Rows that enter a wave's estimates: labelled, positive weight, a top-level code.

    The same rule as :class:`~resilience.AreaEstimator` uses, so that the bootstrap of
    :func:`paired_multiplicities` resamples exactly the respondents that are estimated.
    """
    w = survey_weights(survey, sample_weight, who="the area estimator")
    top = normalise_category(survey[levels[0]]).notna().to_numpy()
    return labels.reindex(survey.index).notna().to_numpy() & (w > 0) & top


def _person_keys(index: pd.Index, wave: int) -> list[object]:
    """Person identifiers: the respondent id when the index is one (``pidp``), otherwise
    a key of this wave alone (the person answered no other wave)."""
    if index.name in _ID_NAMES and index.is_unique:
        return list(index)
    return [("row", wave, i) for i in range(len(index))]


def paired_multiplicities(
    indexes: Sequence[pd.Index],
    eligible: Sequence[np.ndarray],
    n_boot: int,
    random_state: int | None = None,
) -> list[np.ndarray]:
    """Bootstrap multiplicities for several waves from one replicate loop.

    Parameters
    ----------
    indexes : sequence of Index
        Each wave's respondent index. Where it is a respondent id (``pidp``), a person
        answering in several waves is resampled once for all of them.
    eligible : sequence of bool arrays
        Each wave's rows that enter the estimates (:func:`eligible_rows`).
    n_boot : int
        Replicates.
    random_state : int, optional
        Seed: the same seed gives the same draws.

    Returns
    -------
    list of ndarray
        Per wave, an (n_boot, rows) array of how often each row is drawn in each
        replicate (0 for rows not eligible), for ``AreaEstimator.fit(multiplicities=)``.

    Examples
    --------
    >>> a = pd.Index([1, 2, 3], name="pidp")
    >>> b = pd.Index([2, 3, 4, 5], name="pidp")
    >>> ma, mb = paired_multiplicities([a, b], [np.ones(3, bool), np.ones(4, bool)], 50, 0)
    >>> ma.shape, mb.shape
    ((50, 3), (50, 4))
    >>> bool((ma[:, 1] == mb[:, 0]).all() and (ma[:, 2] == mb[:, 1]).all())  # pidp 2 and 3
    True
    """
    keys: list[object] = []
    rows: list[tuple[int, int]] = []
    for t, (index, ok) in enumerate(zip(indexes, eligible, strict=True)):
        people = _person_keys(index, t)
        for i in np.flatnonzero(ok):
            keys.append(people[i])
            rows.append((t, i))
    codes, uniques = pd.factorize(pd.Series(keys, dtype=object))
    n_people = len(uniques)
    # each person's stratum: the set of waves they answered
    pattern = np.zeros(n_people, dtype=np.int64)
    for (t, _), c in zip(rows, codes, strict=True):
        pattern[c] |= 1 << t
    strata = [np.flatnonzero(pattern == p) for p in np.unique(pattern)]
    rng = np.random.default_rng(int_seed(random_state))
    out = [np.zeros((n_boot, len(index)), dtype=np.float32) for index in indexes]
    wave_of = np.array([t for t, _ in rows], dtype=np.int64)
    row_of = np.array([i for _, i in rows], dtype=np.int64)
    for b in range(n_boot):
        counts = np.zeros(n_people)
        for members in strata:
            draw = members[rng.integers(0, len(members), len(members))]
            counts += np.bincount(draw, minlength=n_people)
        for t in range(len(indexes)):
            sel = wave_of == t
            out[t][b, row_of[sel]] = counts[codes[sel]]
    return out


# ---------------------------------------------------------------------------- change
@dataclass
class WaveEstimate:
    """One wave's small-area estimates."""

    label: str
    estimator: AreaEstimator
    oa: OaEstimates
    summaries: AreaSummaries


def _national(est: AreaEstimator) -> np.ndarray:
    """100 ÷ a wave's survey-wide share of each cluster: the scale of its national index."""
    whole = est.estimates_.loc[(ALL, ALL), share_columns()].to_numpy(float)
    return 100.0 / whole


def _difference_replicates(
    m_early: sparse.spmatrix,
    m_late: sparse.spmatrix,
    r_early: np.ndarray,
    r_late: np.ndarray,
    scales: tuple[np.ndarray, np.ndarray],
) -> tuple[np.ndarray, np.ndarray]:
    """(n_boot, n_areas, 6) replicates of later − earlier of the shares and of the
    national index (shares times each wave's ``scales``) for areas given by memberships."""
    both = sparse.csr_matrix(sparse.hstack([m_early, m_late]))
    first, row_of = unique_rows(both)
    ue = sparse.csr_matrix(m_early)[first]
    ul = sparse.csr_matrix(m_late)[first]
    shares, index = [], []
    for re, rl in zip(r_early, r_late, strict=True):
        e, late = ue @ re, ul @ rl
        shares.append(late - e)
        index.append(late * scales[1] - e * scales[0])
    return (
        np.stack(shares)[:, row_of, :].astype(np.float32),
        np.stack(index)[:, row_of, :].astype(np.float32),
    )


def _bounds(
    point: np.ndarray, reps: np.ndarray, interval: float, limit: float | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """The basic bootstrap interval of a change: ``2·point − q_hi`` to ``2·point − q_lo``.

    The replicates of a shrunk estimate are not spread around it as the estimate is
    around the truth: a replicate shrinks towards its own resampled parent, so their
    distribution sits a little further from 0 than the point and is skewed away from 0.
    The percentile interval inherits both and, with no true change, excluded 0 in 13 %
    of category cells at 90 % (shares left raw: 10.6 %); reflected about the point (the
    basic interval, Davison & Hinkley 1997, §5.2) it does not. Bounds are widened to
    contain the point and kept within ``±limit`` (the largest change possible).

    Examples
    --------
    >>> reps = np.array([[0.0], [0.1], [0.2], [0.5]])[:, :, None]
    >>> lo, hi = _bounds(np.array([[0.1]]), reps, 0.5)
    >>> float(lo[0, 0].round(3)), float(hi[0, 0].round(3))
    (-0.075, 0.125)
    """
    lo_q, hi_q = (1 - interval) / 2, 1 - (1 - interval) / 2
    q_lo, q_hi = np.quantile(reps, [lo_q, hi_q], axis=0)
    lo = np.minimum(2 * point - q_hi, point)
    hi = np.maximum(2 * point - q_lo, point)
    if limit is not None:
        lo, hi = np.clip(lo, -limit, limit), np.clip(hi, -limit, limit)
    return lo, hi


def _frame(
    point: np.ndarray,
    reps: np.ndarray | None,
    index_point: np.ndarray,
    index_reps: np.ndarray | None,
    index: pd.Index,
    interval: float,
) -> pd.DataFrame:
    cols = {}
    score = point @ SCORE_SIGNS
    has_reps = reps is not None and len(reps) > 0
    measures = [  # names, point, replicates, the largest change possible
        (share_columns(), point, reps, 1.0),
        (["resilience_score"], score[:, None], None if not has_reps else reps @ SCORE_SIGNS, 2.0),
        (list(_INDEXES), index_point, index_reps, None),
    ]
    for names, values, r, limit in measures:
        if has_reps:
            r = r if r.ndim == 3 else r[..., None]
            lo, hi = _bounds(values, r, interval, limit)
        for j, name in enumerate(names):
            col = CHANGE_PREFIX + name
            cols[col] = values[:, j]
            if has_reps:
                cols[f"{col}_lo"], cols[f"{col}_hi"] = lo[:, j], hi[:, j]
    frame = pd.DataFrame(cols, index=index)
    if has_reps:
        lo, hi = frame["change_resilience_score_lo"], frame["change_resilience_score_hi"]
        frame["change_significant"] = (lo > 0) | (hi < 0)
    else:
        frame["change_significant"] = pd.Series(pd.NA, index=index, dtype="boolean")
    return frame[[c for c in change_columns() if c in frame.columns]]


def change_frames(
    earlier: WaveEstimate,
    later: WaveEstimate,
    lookup: pd.DataFrame,
    *,
    interval: float = 0.9,
) -> dict[str, pd.DataFrame]:
    """Change from ``earlier`` to ``later`` for OAs, LSOAs, wards and the whole area.

    Point changes are differences of the two waves' estimates; intervals are basic
    bootstrap intervals (:func:`_bounds`) of the differences of paired replicates
    (replicate *b* of both waves, from one draw: :func:`paired_multiplicities`), widened
    where needed to contain the point. The national index of each wave is 100 × its
    share ÷ that wave's survey-wide share (``("all", "all")`` of its estimator), taken as
    known as in :func:`resilience.compare.benchmark.benchmark_columns`; its change is
    the area's change against the survey as a whole.

    Parameters
    ----------
    earlier, later : WaveEstimate
        The two waves' estimates of the same OAs (the same population weights).
    lookup : DataFrame
        ``lsoa_code`` and ``ward_code`` of every OA, indexed by OA code.
    interval : float, default=0.9

    Returns
    -------
    dict
        ``oa``, ``lsoa``, ``ward``, ``area`` → frames of :func:`change_columns`, indexed
        by area code (``all`` for the area).
    """
    oa_e, oa_l = earlier.oa.table, later.oa.table
    if not oa_e.index.equals(oa_l.index):
        raise ValueError("Both waves must estimate the same OAs in the same order.")
    n_boot = min(earlier.estimator.n_boot, later.estimator.n_boot)
    r_e = earlier.estimator.replicates_[:n_boot]
    r_l = later.estimator.replicates_[:n_boot]
    weights = later.summaries.weights.reindex(oa_e.index)
    lk = lookup.reindex(oa_e.index)
    scales = (_national(earlier.estimator), _national(later.estimator))
    share_e, share_l = (t[share_columns()].to_numpy(float) for t in (oa_e, oa_l))
    point_oa = share_l - share_e
    index_oa = share_l * scales[1] - share_e * scales[0]
    groups = {
        "oa": None,
        "lsoa": lk["lsoa_code"],
        "ward": lk["ward_code"],
        "area": pd.Series("all", index=oa_e.index, name="area"),
    }
    out = {}
    for level, by in groups.items():
        if by is None:
            G, index = sparse.identity(len(oa_e), format="csr"), oa_e.index
        else:
            G, index = _group_matrix(by, weights)
        reps = index_reps = None
        if n_boot:
            reps, index_reps = _difference_replicates(
                G @ earlier.oa.membership, G @ later.oa.membership, r_e, r_l, scales
            )
        out[level] = _frame(
            np.asarray(G @ point_oa),
            reps,
            np.asarray(G @ index_oa),
            index_reps,
            pd.Index(index),
            interval,
        )
    return out
