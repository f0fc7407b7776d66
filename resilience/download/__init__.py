"""Download ONS boundaries and lookups from the Open Geography Portal (needs internet).

:func:`download_boundaries` fetches OA, LSOA and ward boundaries and the OA → LSOA → ward
lookup for one or more local authorities, with a provenance record and a starter config.
:class:`ArcGISClient` is the paging, retrying, checking client underneath. Service names live
in :data:`SERVICES` and can be overridden, because ONS renames them.

Examples
--------
>>> from resilience.download import SERVICES, resolve_services
>>> resolve_services(2024)["oa_ward"].name
'OA21_WD24_LAD24_EW_LU_v2'
"""

from __future__ import annotations

from .._lazy import lazy_exports

#: Public name → the module of this package that defines it.
_EXPORTS = {
    "CHUNK_SIZE": "_boundaries",
    "download_boundaries": "_boundaries",
    "add_parser": "_cli",
    "run": "_cli",
    "ArcGISClient": "_client",
    "LayerInfo": "_client",
    "default_user_agent": "_client",
    "DownloadError": "_errors",
    "ServiceNotFoundError": "_errors",
    "BASE_URL": "_services",
    "DEFAULT_VINTAGE": "_services",
    "PORTAL_URL": "_services",
    "PRODUCTS": "_services",
    "SERVICES": "_services",
    "Service": "_services",
    "resolve_services": "_services",
    "FILES": "_write",
}

__all__ = [
    "BASE_URL",
    "CHUNK_SIZE",
    "DEFAULT_VINTAGE",
    "FILES",
    "PORTAL_URL",
    "PRODUCTS",
    "SERVICES",
    "ArcGISClient",
    "DownloadError",
    "LayerInfo",
    "Service",
    "ServiceNotFoundError",
    "add_parser",
    "default_user_agent",
    "download_boundaries",
    "resolve_services",
    "run",
]

__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, globals())
