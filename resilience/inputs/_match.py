"""Where :func:`check_join` used to live; it is now in :mod:`resilience.inputs._codematch`.

Kept only so that ``from ._match import check_join`` (in :mod:`resilience.inputs.load`)
keeps working until that import names the new module.
"""

from __future__ import annotations

from ._codematch import check_join

__all__ = ["check_join"]
