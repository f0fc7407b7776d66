"""Fetching one product for a list of codes, and checking what came back."""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import geopandas as gpd
import pandas as pd

from ..errors import ConfigError, format_examples
from ..inputs.codes import GEOGRAPHY_PREFIXES
from ._client import ArcGISClient
from ._errors import DownloadError, ServiceNotFoundError
from ._services import PRODUCTS, Service

__all__ = [
    "Fetched",
    "check_prefix",
    "fetch",
    "field_of",
    "in_clauses",
    "require_codes",
    "utc_now",
]


@dataclass
class Fetched:
    """One product as downloaded, with what provenance needs."""

    key: str
    service: Service
    layer_url: str
    frame: pd.DataFrame
    queries: list[str] = field(default_factory=list)
    retrieved: str = ""

    def source(self) -> dict[str, object]:
        """The provenance record of this product."""
        return {
            "product": self.key,
            "description": PRODUCTS[self.key],
            "service": self.service.name,
            "layer_url": self.layer_url,
            "queries": self.queries,
            "retrieved": self.retrieved,
            "count": len(self.frame),
        }


def utc_now() -> str:
    """Current UTC time, ISO 8601 with ``Z``, to the second."""
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


def in_clauses(field_name: str, codes: Sequence[str], chunk_size: int) -> list[str]:
    """``FIELD IN ('a','b',...)`` filters of at most ``chunk_size`` codes each.

    Examples
    --------
    >>> in_clauses("OA21CD", ["E00000001", "E00000002", "E00000003"], 2)
    ["OA21CD IN ('E00000001','E00000002')", "OA21CD IN ('E00000003')"]
    """
    # Codes are validated before they get here; doubling quotes keeps any other value literal.
    quoted = ["'" + c.replace("'", "''") + "'" for c in codes]
    return [
        f"{field_name} IN ({','.join(quoted[i : i + chunk_size])})"
        for i in range(0, len(quoted), chunk_size)
    ]


def field_of(service: Service, role: str, key: str) -> str:
    """The field that plays ``role`` in ``service`` (product ``key``); ConfigError if none."""
    try:
        return service.fields[role]
    except KeyError:
        raise ConfigError(
            f"Service {service.name!r} (key {key!r}) names no {role!r} field; its fields "
            f"mapping must include {role!r}."
        ) from None


def fetch(
    client: ArcGISClient,
    key: str,
    service: Service,
    wheres: list[str],
    roles: list[str],
    *,
    geometry: bool,
    unique: str,
) -> Fetched:
    """Query ``service`` once per where clause; columns named as in ``service.fields``."""
    fields = [field_of(service, r, key) for r in roles]
    unique_field = field_of(service, unique, key)
    frames, queries = [], []
    try:
        for where in wheres:
            frame = client.query_all(
                service.name,
                where,
                fields,
                geometry=geometry,
                layer=service.layer,
                unique=unique_field,
            )
            frame.columns = [*fields, "geometry"] if geometry else fields
            frames.append(frame)
            queries.append(
                client.query_url(
                    service.name, where, fields, geometry=geometry, layer=service.layer
                )
            )
    except ServiceNotFoundError as err:
        raise ServiceNotFoundError(err.service, err.base_url, err.similar, key) from None
    frame = pd.concat(frames, ignore_index=True)
    if geometry:
        frame = gpd.GeoDataFrame(frame, geometry="geometry", crs=frames[0].crs)
    dup = frame[unique_field][frame[unique_field].duplicated()].unique().tolist()
    if dup:
        raise DownloadError(
            f"Service {service.name!r} returned {unique_field} values more than once: "
            f"{format_examples(dup)}."
        )
    return Fetched(
        key=key,
        service=service,
        layer_url=client.layer_url(service.name, service.layer),
        frame=frame,
        queries=queries,
        retrieved=utc_now(),
    )


def require_codes(got: pd.Series, expected: Iterable[str], *, fetched: Fetched, what: str) -> None:
    """Raise when codes in ``expected`` have no row in ``got``."""
    missing = sorted(set(expected) - set(got))
    if missing:
        raise DownloadError(
            f"Service {fetched.service.name!r} ({fetched.key}: {PRODUCTS[fetched.key]}) has "
            f"no row for {len(missing)} {what}: {format_examples(missing)}. The lookup and "
            "this service may be of different vintages or versions; check the service names "
            "(--service) and --vintage."
        )


def check_prefix(codes: pd.Series, level: str, *, fetched: Fetched, column: str) -> None:
    """Raise when ``codes`` are not all GSS codes of geography ``level``."""
    prefixes = GEOGRAPHY_PREFIXES[level]
    bad = codes[~codes.astype(str).str[:3].isin(prefixes)].unique().tolist()
    if bad:
        raise DownloadError(
            f"Column {column} of service {fetched.service.name!r} holds values that are not "
            f"{level.upper()} codes ({'/'.join(prefixes)}...): {format_examples(bad)}. Check the "
            "service's field names."
        )
