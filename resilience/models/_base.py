"""Helpers shared by the library's scikit-learn style estimators."""

from __future__ import annotations

import numpy as np
from sklearn.utils import check_random_state

__all__ = ["forget_fit", "int_seed"]


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
