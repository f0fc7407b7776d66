"""Make ``factor_analyzer`` work with the installed scikit-learn.

``factor_analyzer`` 0.5.1, its newest release, calls ``sklearn.utils.check_array`` with
the keyword ``force_all_finite``. scikit-learn renamed it ``ensure_all_finite`` in 1.6
and removed the old name in 1.8, so ``FactorAnalyzer.fit`` fails with a ``TypeError``
on a fresh install. Rather than cap scikit-learn, :func:`patch_factor_analyzer` replaces
the ``check_array`` name inside factor_analyzer's modules with a wrapper that renames the
keyword when the installed scikit-learn does not know it. The patch is idempotent, does
nothing on versions that need no help, and is tested by ``tests/test_fa_compat.py``.
"""

from __future__ import annotations

import functools
import inspect
from typing import Any

__all__ = [
    "FactorAnalyzer",
    "calculate_bartlett_sphericity",
    "calculate_kmo",
    "patch_factor_analyzer",
]


def patch_factor_analyzer() -> bool:
    """Install the keyword adapter if needed. Returns True when a patch is in place."""
    import factor_analyzer.confirmatory_factor_analyzer as cfa
    import factor_analyzer.factor_analyzer as fa
    from sklearn.utils import check_array

    params = inspect.signature(check_array).parameters
    if "force_all_finite" in params:
        return False
    if getattr(fa.check_array, "_resilience_patched", False):
        return True

    @functools.wraps(check_array)
    def _check_array(*args: Any, **kwargs: Any) -> Any:
        if "force_all_finite" in kwargs:
            kwargs["ensure_all_finite"] = kwargs.pop("force_all_finite")
        return check_array(*args, **kwargs)

    _check_array._resilience_patched = True  # type: ignore[attr-defined]
    for module in (fa, cfa):
        if hasattr(module, "check_array"):
            module.check_array = _check_array
    return True


patch_factor_analyzer()

from factor_analyzer import (  # noqa: E402  (imported after the patch on purpose)
    FactorAnalyzer,
    calculate_bartlett_sphericity,
    calculate_kmo,
)
