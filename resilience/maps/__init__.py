"""HTML maps: the borough map and one map per ward, for browsers, with or without network.

:func:`write_maps` writes ``index.html`` (the borough map) and ``wards/<ward_code>.html``:
folium/Leaflet maps whose areas, classes, legend and tooltips come from one embedded JSON
document, with boundaries coverage-simplified in metres (no slivers between neighbours)
and rounded to about 1 m. Two modes: ``shared`` (the default: Leaflet and the page script
written once to ``assets/`` and linked from every page, which holds only its data; an
optional street map) and ``offline`` (everything in every page; no network use at all).
When given, the council's own evidence is drawn as overlays with a legend box: community
assets, LSOAs reviewed in the review log and the areas where the resident survey and the
prediction disagree. :func:`prepare_map_geometry` makes the pages' geometry ahead of
them (a run does it beside the model fits).
"""

from __future__ import annotations

from ._write import ATTRIBUTION, DEFAULT_SIMPLIFY, MODES, prepare_map_geometry, write_maps

__all__ = ["ATTRIBUTION", "DEFAULT_SIMPLIFY", "MODES", "prepare_map_geometry", "write_maps"]
