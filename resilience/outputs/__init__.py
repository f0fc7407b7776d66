"""Writers of the run's deliverables: GeoPackage with QGIS styles, tables, report, manifest."""

from __future__ import annotations

__all__: list[str] = []
