"""Package attributes imported on first use (PEP 562), so that importing a package, or the
command line, does not import geopandas, scikit-learn and the rest until they are needed."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["lazy_exports"]


def lazy_exports(
    package: str, exports: Mapping[str, str], namespace: dict[str, Any]
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """``__getattr__`` and ``__dir__`` for a package whose names live in its submodules.

    Parameters
    ----------
    package : str
        The package's ``__name__``.
    exports : mapping
        Public name → the submodule (relative to the package) that defines it; a name
        mapped to ``""`` is a submodule itself.
    namespace : dict
        The package's ``globals()``; a name is cached there once imported.

    Examples
    --------
    >>> getattr_, dir_ = lazy_exports("json", {"JSONEncoder": "encoder"}, {})
    >>> getattr_("JSONEncoder").__name__, "JSONEncoder" in dir_()
    ('JSONEncoder', True)
    """

    def getattr_(name: str) -> Any:
        module = exports.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        if module == "":
            value = importlib.import_module(f"{package}.{name}")
        else:
            value = getattr(importlib.import_module(f".{module}", package), name)
        namespace[name] = value
        return value

    def dir_() -> list[str]:
        return sorted({*namespace, *exports})

    return getattr_, dir_
