"""How much the classification tells: cross-validated prediction of respondents' clusters.

:func:`classification_value` splits the respondents into k folds. For every fold the
:class:`~resilience.models.area_estimator.AreaEstimator` is fitted on the other folds and
predicts each held-out respondent's cluster as the shares of their classification
category; the baseline predicts the other folds' whole-sample shares for everyone. Both
are scored by the (weighted) mean log-loss, −log p(own cluster), and the multi-class Brier
score, Σ_k (p_k − y_k)² (Brier 1950, *Monthly Weather Review* 78(1)). The gain
1 − log-loss / baseline log-loss says how much knowing a resident's area type improves the
prediction of their cluster; near zero, the map mostly shows the survey average.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from sklearn.model_selection import KFold

from ..clusters import CLUSTER_KEYS, share_columns
from ..errors import DataQualityWarning, DisclosureWarning, InputDataError
from ._base import survey_weights
from .area_estimator import AreaEstimator, normalise_category

__all__ = ["NEAR_ZERO_GAIN", "classification_value", "gain_sentence"]

#: A gain in log-loss below this (1 %) counts as "near zero".
NEAR_ZERO_GAIN = 0.01
_EPS = 1e-6


def gain_sentence(gain: float) -> str:
    """The gain in words, for the report and the warning.

    Examples
    --------
    >>> gain_sentence(0.1302)
    "knowing the area type improves the prediction of a resident's cluster by 13.0 %"
    >>> gain_sentence(-0.006)
    "knowing the area type does not improve the prediction of a resident's cluster (-0.6 %)"
    """
    if gain > 0:
        return (
            "knowing the area type improves the prediction of a resident's cluster by "
            f"{100 * gain:.1f} %"
        )
    return (
        "knowing the area type does not improve the prediction of a resident's cluster "
        f"({100 * gain:.1f} %)"
    )


def _scores(p: np.ndarray, y: np.ndarray, w: np.ndarray) -> tuple[float, float]:
    """Weighted mean log-loss and multi-class Brier score."""
    p = np.clip(p, _EPS, 1.0)
    p = p / p.sum(axis=1, keepdims=True)
    onehot = np.eye(p.shape[1])[y]
    ll = -np.log(p[np.arange(len(y)), y])
    brier = ((p - onehot) ** 2).sum(axis=1)
    return float(np.average(ll, weights=w)), float(np.average(brier, weights=w))


def classification_value(
    survey: pd.DataFrame,
    labels: pd.Series,
    levels: Sequence[str],
    *,
    n_splits: int = 5,
    random_state: int | None = 0,
    warn: bool = True,
    **estimator_params: Any,
) -> dict[str, float]:
    """Cross-validated log-loss and Brier score of the classification against the baseline.

    Parameters
    ----------
    survey : DataFrame
        Respondents with the ``levels`` columns and the ``weight`` column, as for
        :meth:`AreaEstimator.fit`.
    labels : Series
        Cluster key of each respondent (index matching ``survey``).
    levels : sequence of str
        Classification columns, coarse to fine.
    n_splits : int, default=5
        Folds.
    random_state : int, optional
        Seed of the fold split.
    warn : bool, default=True
        Warn (:class:`~resilience.errors.DataQualityWarning`) when the gain is near zero.
    **estimator_params
        Passed to :class:`AreaEstimator` (``min_respondents``, ``shrinkage``); no
        bootstrap is run.

    Returns
    -------
    dict
        ``classification_log_loss``, ``baseline_log_loss``, ``classification_brier``,
        ``baseline_brier``, ``log_loss_gain`` (1 − classification / baseline),
        ``brier_gain``, ``n_folds`` and ``n_respondents`` (held-out respondents scored).

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> survey = pd.DataFrame({"sg": rng.choice(["1", "2"], 600), "weight": np.ones(600)})
    >>> # cluster depends on the area type: the classification tells a lot
    >>> p = np.where(survey["sg"].to_numpy()[:, None] == "1", [0.5, 0.3, 0.05, 0.05, 0.05, 0.05],
    ...              [0.05, 0.05, 0.05, 0.05, 0.3, 0.5])
    >>> keys = np.array(CLUSTER_KEYS)
    >>> labels = pd.Series([keys[rng.choice(6, p=q)] for q in p], index=survey.index)
    >>> out = classification_value(survey, labels, ["sg"])
    >>> out["log_loss_gain"] > 0.2
    True
    """
    if not isinstance(n_splits, int) or n_splits < 2:
        raise InputDataError(f"n_splits must be a whole number of at least 2; got {n_splits!r}.")
    w_all = survey_weights(survey, None, who="the classification check")
    lab = labels.reindex(survey.index)
    top = normalise_category(survey[levels[0]])
    use = (lab.notna() & top.notna()).to_numpy() & (w_all > 0)
    sub = survey.loc[use].assign(weight=w_all[use])
    y = pd.Categorical(lab[use], categories=list(CLUSTER_KEYS)).codes.astype(np.int64)
    w = w_all[use]
    if len(sub) < 2 * n_splits:
        raise InputDataError(
            f"Only {len(sub)} labelled respondents with a classification code; too few for "
            f"{n_splits}-fold cross-validation."
        )
    params = {k: v for k, v in estimator_params.items() if k not in ("n_boot",)}
    folds = KFold(n_splits=n_splits, shuffle=True, random_state=random_state)
    p_cls = np.empty((len(sub), len(CLUSTER_KEYS)))
    p_base = np.empty_like(p_cls)
    for train, test in folds.split(np.arange(len(sub))):
        tr = sub.iloc[train]
        est = AreaEstimator(list(levels), n_boot=0, **params).fit(tr, lab[use].iloc[train])
        overall = est.estimates_.loc[("all", "all"), share_columns()].to_numpy(dtype=float)
        p_base[test] = overall
        p_cls[test] = overall
        te = sub.iloc[test][list(levels)]
        known = set(est.estimates_.loc[levels[0]].index)
        ok = normalise_category(te[levels[0]]).isin(known).to_numpy()
        if ok.any():
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", DisclosureWarning)
                pred = est.predict(te[ok])
            p_cls[test[ok]] = pred[share_columns()].to_numpy(dtype=float)
    ll_c, br_c = _scores(p_cls, y, w)
    ll_b, br_b = _scores(p_base, y, w)
    out = {
        "classification_log_loss": round(ll_c, 5),
        "baseline_log_loss": round(ll_b, 5),
        "classification_brier": round(br_c, 5),
        "baseline_brier": round(br_b, 5),
        "log_loss_gain": round(1 - ll_c / ll_b, 5),
        "brier_gain": round(1 - br_c / br_b, 5),
        "n_folds": n_splits,
        "n_respondents": len(sub),
    }
    if warn and out["log_loss_gain"] < NEAR_ZERO_GAIN:
        sentence = gain_sentence(out["log_loss_gain"])
        warnings.warn(
            f"{sentence[0].upper()}{sentence[1:]} ({n_splits}-fold cross-validated log-loss "
            f"{ll_c:.3f} against {ll_b:.3f} for the survey-wide shares): the map mostly shows "
            "the survey average.",
            DataQualityWarning,
            stacklevel=2,
        )
    return out
