"""Helpers shared by the library's scikit-learn style estimators."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pandas as pd
from sklearn.utils import check_random_state

from ..errors import DataQualityWarning, InputDataError
from ..inputs.survey import WEIGHT

__all__ = ["forget_fit", "int_seed", "survey_weights"]


def int_seed(random_state: int | np.random.RandomState | None) -> int | None:
    """An integer seed from a ``random_state`` parameter (None stays None).

    Integers are used as they are, so results for an integer seed do not depend on how
    the seed is passed; a ``numpy.random.RandomState`` gives a seed drawn from it.

    Examples
    --------
    >>> int_seed(3), int_seed(None)
    (3, None)
    """
    if random_state is None or isinstance(random_state, (int, np.integer)):
        return None if random_state is None else int(random_state)
    return int(check_random_state(random_state).randint(np.iinfo(np.int32).max))


def forget_fit(estimator: object) -> None:
    """Remove every fitted attribute, so a failed fit leaves an unfitted estimator."""
    for name in [k for k in vars(estimator) if k.endswith("_") and not k.startswith("__")]:
        delattr(estimator, name)


def survey_weights(
    survey: pd.DataFrame, sample_weight: Any, *, who: str, stacklevel: int = 3
) -> np.ndarray:
    """The weight of each survey row: ``sample_weight``, else the ``weight`` column.

    ``sample_weight`` may be an array or Series (one weight per row; a Series is aligned
    on the survey's index) or the name of a column. Without either, every respondent
    counts the same and a :class:`~resilience.errors.DataQualityWarning` says so.

    Examples
    --------
    >>> frame = pd.DataFrame({"weight": [1.0, 0.0, 2.5]})
    >>> survey_weights(frame, None, who="the model").tolist()
    [1.0, 0.0, 2.5]
    >>> survey_weights(frame, [1, 1, 1], who="the model").tolist()
    [1.0, 1.0, 1.0]
    """
    if sample_weight is None:
        if WEIGHT not in survey.columns:
            warnings.warn(
                f"Fitting {who} without survey weights: the frame has no {WEIGHT!r} column "
                f"and no sample_weight was given, so all {len(survey):,} respondents count the "
                "same. Read the file with resilience.read_survey(..., weight=...) or pass "
                "sample_weight.",
                DataQualityWarning,
                stacklevel=stacklevel,
            )
            return np.ones(len(survey))
        sample_weight, source = survey[WEIGHT], f"column {WEIGHT!r}"
    elif isinstance(sample_weight, str):
        if sample_weight not in survey.columns:
            raise InputDataError(
                f"sample_weight names the column {sample_weight!r}, which the survey frame "
                f"does not have; its columns include {list(survey.columns)[:12]}."
            )
        sample_weight, source = survey[sample_weight], f"column {sample_weight!r}"
    else:
        source = "sample_weight"
    if isinstance(sample_weight, pd.Series) and not sample_weight.index.equals(survey.index):
        if not sample_weight.index.is_unique:
            raise InputDataError(
                "sample_weight is a Series with repeated index labels; it cannot be aligned "
                "with the survey's rows. Pass an array with one weight per row."
            )
        sample_weight = sample_weight.reindex(survey.index)
    w = pd.to_numeric(pd.Series(np.asarray(sample_weight).ravel()), errors="coerce")
    w = w.to_numpy(dtype=float)
    if len(w) != len(survey):
        raise InputDataError(
            f"{source} has {len(w):,} weights for {len(survey):,} survey rows; give one per row."
        )
    bad = np.isnan(w) | (w < 0) | np.isinf(w)
    if bad.any():
        raise InputDataError(
            f"{source} has {int(bad.sum()):,} missing, negative or infinite weight(s) (e.g. "
            f"rows {list(survey.index[bad][:5])}); weights must be 0 or more. After a merge, "
            "check that every respondent kept its weight (a left merge that adds rows leaves "
            "them without one)."
        )
    return w
