"""Helpers shared by the library's scikit-learn style estimators."""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from numbers import Integral, Real
from typing import Any

import numpy as np
import pandas as pd
from scipy import sparse
from sklearn.utils import check_random_state

from ..errors import ConfigError, DataQualityWarning, InputDataError
from ..inputs.survey import WEIGHT

__all__ = [
    "Constraint",
    "at_least",
    "between",
    "check_params",
    "fixed",
    "forget_fit",
    "int_seed",
    "one_of",
    "survey_weights",
    "unique_rows",
]


@dataclass(frozen=True)
class Constraint:
    """The legal values of one estimator parameter, declared once.

    An estimator lists them in its ``_parameter_constraints`` (parameter name →
    :class:`Constraint`), in the spirit of scikit-learn's; :func:`check_params` checks an
    estimator against them when it is fitted and :mod:`resilience.config` checks the
    config keys that set those parameters against the same declarations, so the two
    cannot drift apart.

    Attributes
    ----------
    what : str
        What the value must be, completing "must be ..." (``"at least 1"``).
    ok : callable
        True for a legal value.
    kind : str
        The type in words (``"a whole number"``), for messages about Python arguments;
        the config checks types itself, so its messages use :attr:`what` alone.

    Examples
    --------
    >>> c = at_least(1)
    >>> c.ok(3), c.ok(0), c.ok(2.5), c.what
    (True, False, False, 'at least 1')
    """

    what: str
    ok: Callable[[Any], bool]
    kind: str = ""

    def describe(self) -> str:
        """The rule with its type, e.g. ``'a whole number, at least 1'``."""
        return f"{self.kind}, {self.what}" if self.kind else self.what


def _whole(v: Any) -> bool:
    return isinstance(v, Integral) and not isinstance(v, bool)


def _number(v: Any) -> bool:
    return isinstance(v, Real) and not isinstance(v, bool)


def at_least(low: int, note: str = "") -> Constraint:
    """A whole number of at least ``low`` (``note`` says what the smallest value means).

    Examples
    --------
    >>> at_least(0, "0 skips it").what
    '0 or more (0 skips it)'
    """
    what = f"at least {low}" if low else "0 or more"
    return Constraint(
        what + (f" ({note})" if note else ""), lambda v: _whole(v) and v >= low, "a whole number"
    )


def between(low: float, high: float, example: str = "") -> Constraint:
    """A number strictly between ``low`` and ``high``.

    Examples
    --------
    >>> c = between(0, 1, "e.g. 0.9")
    >>> c.ok(0.5), c.ok(1), c.what
    (True, False, 'between 0 and 1 (e.g. 0.9)')
    """
    what = f"between {low:g} and {high:g}" + (f" ({example})" if example else "")
    return Constraint(what, lambda v: _number(v) and low < v < high, "a number")


def one_of(values: tuple[Any, ...], what: str = "") -> Constraint:
    """One of ``values`` (``what`` words them when the default listing does not suit).

    Examples
    --------
    >>> one_of(("ml", "minres")).what
    'one of ml, minres'
    """
    words = what or "one of " + ", ".join(str(v) for v in values if v is not None)
    return Constraint(words, lambda v: isinstance(v, (str, type(None))) and v in values)


def fixed(value: Any, reason: str) -> Constraint:
    """A parameter with a single legal value, kept because callers pass it (``reason``).

    Examples
    --------
    >>> fixed(6, "one cluster per profile").what
    '6 (one cluster per profile)'
    """
    return Constraint(f"{value!r} ({reason})", lambda v: _whole(v) and v == value)


def check_params(estimator: Any) -> None:
    """Check an estimator's parameters against its ``_parameter_constraints``.

    Raises
    ------
    ConfigError
        Naming the parameter, what it must be and the value given.

    Examples
    --------
    >>> class Toy:
    ...     _parameter_constraints = {"n": at_least(1)}
    ...     n = 0
    >>> check_params(Toy())
    Traceback (most recent call last):
    ...
    resilience.errors.ConfigError: n must be a whole number, at least 1; got 0 (a parameter of Toy).
    """
    constraints: Mapping[str, Constraint] = type(estimator)._parameter_constraints
    for name, c in constraints.items():
        value = getattr(estimator, name)
        if not c.ok(value):
            raise ConfigError(
                f"{name} must be {c.describe()}; got {value!r} (a parameter of "
                f"{type(estimator).__name__})."
            )


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


def forget_fit(estimator: Any) -> None:
    """Remove all fitted state, so a failed fit leaves an unfitted estimator.

    Everything in the instance that is not a constructor parameter is fitted state (the
    public ``…_`` attributes and the private ones kept for ``predict``).

    Examples
    --------
    >>> from sklearn.base import BaseEstimator
    >>> class Toy(BaseEstimator):
    ...     def __init__(self, n=1):
    ...         self.n = n
    >>> toy = Toy()
    >>> toy.mean_, toy._table = 1.0, "kept for predict"
    >>> forget_fit(toy)
    >>> sorted(vars(toy))
    ['n']
    """
    params = set(estimator._get_param_names())
    for name in [k for k in vars(estimator) if k not in params]:
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


def unique_rows(M: sparse.csr_matrix) -> tuple[np.ndarray, np.ndarray]:
    """Positions of the distinct rows of ``M`` (the first of each) and each row's distinct row.

    Rows are compared by their non-zero columns and values (rounded to 12 decimals), so areas
    taking the same mix of categories share their figures.

    Examples
    --------
    >>> M = sparse.csr_matrix(np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 0.0]]))
    >>> first, row_of = unique_rows(M)
    >>> first.tolist(), row_of.tolist()
    ([0, 1], [0, 1, 0])
    """
    keys = [
        (
            tuple(M.indices[M.indptr[i] : M.indptr[i + 1]]),
            tuple(np.round(M.data[M.indptr[i] : M.indptr[i + 1]], 12)),
        )
        for i in range(M.shape[0])
    ]
    seen: dict[tuple, int] = {}
    row_of = np.array([seen.setdefault(k, len(seen)) for k in keys], dtype=np.int64)
    first = np.zeros(len(seen), dtype=np.int64)
    first[row_of[::-1]] = np.arange(M.shape[0])[::-1]
    return first, row_of
