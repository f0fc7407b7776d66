"""Make ``factor_analyzer`` work with the installed scikit-learn, for this package's calls only.

``factor_analyzer`` 0.5.1, its newest release, calls ``sklearn.utils.check_array`` with
the keyword ``force_all_finite``. scikit-learn renamed it ``ensure_all_finite`` in 1.6
and removed the old name in 1.8, so ``FactorAnalyzer.fit`` fails with a ``TypeError``
on a fresh install. Rather than cap scikit-learn, :func:`compatible_check_array` swaps
the ``check_array`` name inside factor_analyzer's modules for a wrapper that renames the
keyword, for the duration of a ``with`` block, and puts the original back afterwards.
Importing this package changes nothing in factor_analyzer: only the package's own calls
(:class:`FactorAnalyzer` here, whose ``fit`` and ``transform`` run inside the block) see
the wrapper. A lock keeps concurrent blocks from restoring the name under each other;
code elsewhere in the process that calls factor_analyzer while a block is open gets the
wrapper too, which passes every call through unchanged apart from the keyword's name.
Nothing is swapped on scikit-learn versions that still know ``force_all_finite``.
Tested by ``tests/test_fa_compat.py``.

Examples
--------
>>> import factor_analyzer.factor_analyzer as fa_module
>>> from sklearn.utils import check_array
>>> with compatible_check_array():
...     pass
>>> fa_module.check_array is check_array
True
"""

from __future__ import annotations

import functools
import inspect
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import factor_analyzer.confirmatory_factor_analyzer as _cfa
import factor_analyzer.factor_analyzer as _fa
from factor_analyzer import FactorAnalyzer as _FactorAnalyzer
from sklearn.utils import check_array as _check_array

__all__ = ["FactorAnalyzer", "compatible_check_array", "needs_patch"]

_MODULES = tuple(m for m in (_fa, _cfa) if hasattr(m, "check_array"))
_LOCK = threading.RLock()
_depth = 0  # nesting depth of open blocks (guarded by _LOCK)


def needs_patch() -> bool:
    """True when the installed scikit-learn no longer accepts ``force_all_finite``."""
    return "force_all_finite" not in inspect.signature(_check_array).parameters


@functools.wraps(_check_array)
def _renaming_check_array(*args: Any, **kwargs: Any) -> Any:
    if "force_all_finite" in kwargs:
        kwargs["ensure_all_finite"] = kwargs.pop("force_all_finite")
    return _check_array(*args, **kwargs)


@contextmanager
def compatible_check_array() -> Iterator[None]:
    """Within the block, factor_analyzer calls scikit-learn with the keyword it knows.

    Re-entrant and serialised by a lock: the first block to open installs the wrapper,
    the last to close restores whatever factor_analyzer held before.
    """
    global _depth
    if not needs_patch():
        yield
        return
    with _LOCK:
        saved: list[tuple[Any, Callable[..., Any]]] = []
        if _depth == 0:
            saved = [(m, m.check_array) for m in _MODULES]
            for m in _MODULES:
                m.check_array = _renaming_check_array
        _depth += 1
        try:
            yield
        finally:
            _depth -= 1
            for m, original in saved:
                m.check_array = original


class FactorAnalyzer(_FactorAnalyzer):
    """``factor_analyzer.FactorAnalyzer`` whose ``fit`` and ``transform`` run in
    :func:`compatible_check_array`; the parameters and attributes are the original's."""

    def fit(self, X: Any, y: Any = None) -> FactorAnalyzer:
        with compatible_check_array():
            return super().fit(X, y)

    def transform(self, X: Any) -> Any:
        with compatible_check_array():
            return super().transform(X)
