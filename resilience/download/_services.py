"""The ONS FeatureServer services the downloader reads, in one versioned table.

ONS republishes boundaries and lookups under new service names (a ``_V2`` suffix, a new
vintage), and the old names then stop answering. Every name the downloader uses is therefore
in :data:`SERVICES`, keyed by ward/LAD vintage and product, and each one can be overridden:
``download_boundaries(..., services={"ward": "NEW_NAME"})`` in Python, or
``resilience download boundaries ... --service ward=NEW_NAME`` on the command line.

The names below were current in public code that queried these services
(``services1.arcgis.com/ESMARspQHYMw9BZ9``): the Open Geography Portal's service names
(``OA21_WD23_LAD23_EW_LU``,
``Wards_December_2023_Boundaries_UK_BGC``, ``Wards_December_2024_Boundaries_UK_BGC``,
``Local_Authority_Districts_December_2023_Boundaries_UK_BGC``, ``Output_Areas_2021_EW_BGC_V2``,
``Lower_layer_Super_Output_Areas_2021_EW_BGC_V3``), and public scripts that query
``OA21_WD24_LAD24_EW_LU_v2``, ``OA_LSOA_MSOA_EW_DEC_2021_LU_v3`` and
``Local_Authority_Districts_December_2024_Boundaries_UK_BGC``. They may have changed since:
the services directory (:data:`BASE_URL` ``?f=json``, or ``resilience download services
TEXT``) and the portal (:data:`PORTAL_URL`) list the current ones.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace

from ..errors import ConfigError, format_examples

__all__ = [
    "BASE_URL",
    "DEFAULT_VINTAGE",
    "PORTAL_URL",
    "PRODUCTS",
    "SERVICES",
    "Service",
    "resolve_services",
]

#: Root of the ONS Open Geography Portal's hosted feature services.
BASE_URL = "https://services1.arcgis.com/ESMARspQHYMw9BZ9/arcgis/rest/services/"

#: The portal's search page, where every boundary and lookup has a page naming its service.
PORTAL_URL = "https://geoportal.statistics.gov.uk/"

#: Ward and LAD vintage used when none is given.
DEFAULT_VINTAGE = 2024


@dataclass(frozen=True)
class Service:
    """One FeatureServer layer and the fields the downloader reads from it.

    Parameters
    ----------
    name : str
        Service name, the path part before ``/FeatureServer``.
    fields : Mapping[str, str]
        Role → field name. Boundary layers have ``code`` (and ``name``); the OA → ward
        lookup has ``oa``, ``ward``, ``ward_name`` and ``lad`` (the field filtered on); the
        OA → LSOA lookup has ``oa`` and ``lsoa``.
    layer : int, default 0
        Layer index inside the service.

    Examples
    --------
    >>> s = Service("Wards_December_2024_Boundaries_UK_BGC", {"code": "WD24CD", "name": "WD24NM"})
    >>> s.fields["code"], s.layer
    ('WD24CD', 0)
    """

    name: str
    fields: Mapping[str, str] = field(default_factory=dict)
    layer: int = 0


#: Products the downloader fetches, with what each one is.
PRODUCTS: dict[str, str] = {
    "lad": "local authority district boundaries",
    "oa_ward": "OA 2021 → ward best-fit lookup, filtered by LAD",
    "oa_lsoa": "OA 2021 → LSOA 2021 lookup",
    "oa": "OA 2021 boundaries (generalised, BGC)",
    "lsoa": "LSOA 2021 boundaries (generalised, BGC)",
    "ward": "ward boundaries (generalised, BGC)",
}


def _census_2021() -> dict[str, Service]:
    return {
        "oa": Service("Output_Areas_2021_EW_BGC_V2", {"code": "OA21CD"}),
        "lsoa": Service(
            "Lower_layer_Super_Output_Areas_2021_EW_BGC_V3",
            {"code": "LSOA21CD", "name": "LSOA21NM"},
        ),
        "oa_lsoa": Service("OA_LSOA_MSOA_EW_DEC_2021_LU_v3", {"oa": "OA21CD", "lsoa": "LSOA21CD"}),
    }


def _vintage(year: int, *, lad: str, ward: str, oa_ward: str) -> dict[str, Service]:
    yy = f"{year % 100:02d}"
    return {
        "lad": Service(lad, {"code": f"LAD{yy}CD", "name": f"LAD{yy}NM"}),
        "oa_ward": Service(
            oa_ward,
            {"oa": "OA21CD", "ward": f"WD{yy}CD", "ward_name": f"WD{yy}NM", "lad": f"LAD{yy}CD"},
        ),
        "ward": Service(ward, {"code": f"WD{yy}CD", "name": f"WD{yy}NM"}),
        **_census_2021(),
    }


#: Default services per ward/LAD vintage and product. Names change when ONS republishes;
#: override them with ``services=`` / ``--service KEY=NAME`` rather than editing this table.
SERVICES: dict[int, dict[str, Service]] = {
    2023: _vintage(
        2023,
        lad="Local_Authority_Districts_December_2023_Boundaries_UK_BGC",
        ward="Wards_December_2023_Boundaries_UK_BGC",
        oa_ward="OA21_WD23_LAD23_EW_LU",
    ),
    2024: _vintage(
        2024,
        lad="Local_Authority_Districts_December_2024_Boundaries_UK_BGC",
        ward="Wards_December_2024_Boundaries_UK_BGC",
        oa_ward="OA21_WD24_LAD24_EW_LU_v2",
    ),
}


def resolve_services(
    vintage: int = DEFAULT_VINTAGE, overrides: Mapping[str, str | Service] | None = None
) -> dict[str, Service]:
    """The services for ``vintage`` with ``overrides`` applied.

    An override given as a string replaces the service name and keeps the field names; a
    :class:`Service` replaces the entry whole (use it when ONS also renamed fields).

    Examples
    --------
    >>> s = resolve_services(2024, {"ward": "Wards_December_2024_Boundaries_UK_BGC_V2"})
    >>> s["ward"].name, s["ward"].fields["code"]
    ('Wards_December_2024_Boundaries_UK_BGC_V2', 'WD24CD')
    """
    if vintage not in SERVICES:
        raise ConfigError(
            f"No default ONS services for vintage {vintage!r}. Vintages with defaults: "
            f"{format_examples(sorted(SERVICES))}. Choose one of them."
        )
    out = dict(SERVICES[vintage])
    for key, value in (overrides or {}).items():
        if key not in out:
            raise ConfigError(
                f"Unknown service key {key!r} in the service overrides. Known keys: "
                f"{format_examples(list(PRODUCTS), limit=len(PRODUCTS))}."
            )
        if isinstance(value, Service):
            out[key] = value
        elif isinstance(value, str) and value.strip() and "/" not in value:
            out[key] = replace(out[key], name=value.strip())
        else:
            raise ConfigError(
                f"Service override for {key!r} must be a service name such as "
                f"'{out[key].name}' (the part of the URL before /FeatureServer) or a Service; "
                f"got {value!r}."
            )
    return out
