"""Readable names for output columns (QGIS field aliases, table headers).

They belong to the output schema: :data:`FIXED_ALIASES` and :func:`default_aliases` are
defined in :mod:`resilience.schema` and re-exported here.

Examples
--------
>>> default_aliases(["share_isolation", "flag_confidence"])
{'share_isolation': 'Isolation (predicted share)', 'flag_confidence': 'Flag confidence'}
"""

from __future__ import annotations

from ..schema import FIXED_ALIASES, default_aliases

__all__ = ["FIXED_ALIASES", "default_aliases"]
