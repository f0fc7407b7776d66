"""HTML maps: the borough map and one map per ward, for browsers, with or without network.

:func:`write_maps` writes ``index.html`` (the borough map) and ``wards/<ward_code>.html``.
Each page is a single self-contained file: a folium/Leaflet map whose areas, classes,
legend and tooltips come from one embedded JSON document, with boundaries
coverage-simplified in metres (no slivers between neighbours) and rounded to about 1 m.
Three modes: ``tiles`` (web base map), ``tileless`` and ``offline`` (Leaflet inlined; no
network use at all).
"""

from __future__ import annotations

from ._write import ATTRIBUTION, DEFAULT_SIMPLIFY, MODES, write_maps

__all__ = ["ATTRIBUTION", "DEFAULT_SIMPLIFY", "MODES", "write_maps"]
