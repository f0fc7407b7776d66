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

from ._boundaries import CHUNK_SIZE, download_boundaries
from ._cli import add_parser, run
from ._client import ArcGISClient, LayerInfo, default_user_agent
from ._errors import DownloadError, ServiceNotFoundError
from ._services import (
    BASE_URL,
    DEFAULT_VINTAGE,
    PORTAL_URL,
    PRODUCTS,
    SERVICES,
    Service,
    resolve_services,
)
from ._write import FILES

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
