"""Statistical models: the survey model (factor analysis and clustering)."""

from __future__ import annotations

__all__: list[str] = []
