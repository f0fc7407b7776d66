"""A small, careful client for ArcGIS REST feature services (the ONS Open Geography Portal).

What it does, following the ArcGIS REST API query documentation (Esri):

- pages with ``resultOffset``/``resultRecordCount`` (page size ``min(page_size,
  maxRecordCount)``), ordered by the layer's ObjectID field so pages neither overlap nor skip;
- stops only when ``exceededTransferLimit`` is no longer true (top level in ``f=json``,
  ``properties.exceededTransferLimit`` in ``f=geojson``); short or empty pages with the flag
  still set are followed (Esri's query documentation, quoted in Esri/esri-leaflet#786);
- falls back to ObjectID ranges (``returnIdsOnly``) on layers without pagination;
- treats ``{"error": {...}}`` bodies, which ArcGIS sends with HTTP 200, as errors, and says
  how to find a renamed service when the name is unknown;
- retries connection errors, HTTP 429 and 5xx with exponential backoff, waits ``delay``
  seconds between calls, and sends a User-Agent;
- checks the number of features against ``returnCountOnly`` and, on request, that a code
  field is unique.
"""

from __future__ import annotations

import difflib
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import pandas as pd
import requests

from .._progress import logger
from ..errors import ConfigError, format_examples
from ._errors import DownloadError, ServiceNotFoundError
from ._geometry import check_coordinates, esri_polygon, geojson_geometry
from ._services import BASE_URL, PORTAL_URL

__all__ = ["ArcGISClient", "LayerInfo", "default_user_agent"]

_RETRY_STATUS = frozenset({429, 500, 502, 503, 504})
# Longer GET URLs go as POST (the query operation accepts both): proxies and some servers
# refuse URLs over about 2,000 characters, and an IN (...) list of a few hundred codes is longer.
_MAX_GET_URL = 2000
_MAX_WAIT = 60.0
_NOT_FOUND = re.compile(
    r"service.{0,80}(not found|does not exist)|could not find a service|^not found$",
    re.IGNORECASE,
)


def default_user_agent() -> str:
    """The User-Agent sent by default: package, version and purpose."""
    from .. import __version__

    return (
        f"resilience/{__version__} (community resilience mapping; python-requests/"
        f"{requests.__version__})"
    )


@dataclass(frozen=True)
class LayerInfo:
    """What a layer's metadata (``{layer}?f=json``) says about querying it."""

    service: str
    layer: int
    url: str
    name: str
    max_record_count: int
    object_id_field: str
    fields: tuple[str, ...]
    supports_pagination: bool
    geometry_type: str | None


def _exceeded(body: dict) -> bool:
    flag = body.get("exceededTransferLimit")
    if flag is None:
        flag = (body.get("properties") or {}).get("exceededTransferLimit")
    return flag is True or str(flag).lower() == "true"


class ArcGISClient:
    """Query ArcGIS REST feature services politely and completely.

    Parameters
    ----------
    base_url : str, default :data:`BASE_URL`
        Root of the services directory (``.../arcgis/rest/services/``).
    session : requests.Session, optional
        Session to use (proxies, certificates); a new one by default.
    page_size : int, default 2000
        Features per request; the layer's ``maxRecordCount`` caps it.
    delay : float, default 0.5
        Minimum seconds between two requests.
    retries : int, default 4
        Extra attempts after a connection error, HTTP 429/5xx or an ArcGIS 5xx error body.
    backoff : float, default 1.0
        Wait before retry ``k`` (from 0) is ``backoff * 2**k`` seconds, or the server's
        ``Retry-After`` when longer (at most 60 s).
    timeout : float, default 60
        Seconds to wait for a response.
    user_agent : str, optional
        Defaults to :func:`default_user_agent`.

    Attributes
    ----------
    requests_made : int
        HTTP requests sent so far, retries included.

    Examples
    --------
    >>> client = ArcGISClient(page_size=1000, delay=1.0)
    >>> client.layer_url("Output_Areas_2021_EW_BGC_V2")
    'https://services1.arcgis.com/ESMARspQHYMw9BZ9/arcgis/rest/services/Output_Areas_2021_EW_BGC_V2/FeatureServer/0'
    """

    def __init__(
        self,
        base_url: str = BASE_URL,
        *,
        session: requests.Session | None = None,
        page_size: int = 2000,
        delay: float = 0.5,
        retries: int = 4,
        backoff: float = 1.0,
        timeout: float = 60,
        user_agent: str | None = None,
    ) -> None:
        if page_size < 1 or retries < 0 or delay < 0 or backoff < 0 or timeout <= 0:
            raise ConfigError(
                "ArcGISClient needs page_size >= 1, retries >= 0, delay >= 0, backoff >= 0 "
                f"and timeout > 0; got page_size={page_size}, retries={retries}, "
                f"delay={delay}, backoff={backoff}, timeout={timeout}."
            )
        if not re.match(r"^https?://", base_url):
            raise ConfigError(f"Base URL must start with http:// or https://; got {base_url!r}.")
        self.base_url = base_url.rstrip("/") + "/"
        self.page_size = page_size
        self.delay = delay
        self.retries = retries
        self.backoff = backoff
        self.timeout = timeout
        self.user_agent = user_agent or default_user_agent()
        self.requests_made = 0
        self._session = session if session is not None else requests.Session()
        self._own_session = session is None
        self._last_request: float | None = None
        self._layers: dict[tuple[str, int], LayerInfo] = {}
        self._sleep = time.sleep
        self._listing = False

    def __enter__(self) -> ArcGISClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the HTTP session if this client created it."""
        if self._own_session:
            self._session.close()

    # ------------------------------------------------------------------ URLs

    def layer_url(self, service: str, layer: int = 0) -> str:
        """URL of layer ``layer`` of FeatureServer ``service``."""
        return f"{self.base_url}{service}/FeatureServer/{layer}"

    def query_url(
        self,
        service: str,
        where: str,
        out_fields: Sequence[str],
        *,
        geometry: bool = True,
        out_sr: int = 27700,
        layer: int = 0,
    ) -> str:
        """The GET URL of a query (without paging parameters), as recorded in provenance."""
        info = self.layer_info(service, layer=layer)
        fields = self._resolve_fields(info, out_fields)
        params = self._query_params(info, where, fields, geometry=geometry, out_sr=out_sr)
        return _get_url(f"{info.url}/query", params)

    # ------------------------------------------------------------- requests

    def _wait(self) -> None:
        if self._last_request is not None and self.delay > 0:
            remaining = self.delay - (time.monotonic() - self._last_request)
            if remaining > 0:
                self._sleep(remaining)

    def _retry_wait(self, attempt: int, retry_after: str | None) -> float:
        wait = self.backoff * 2**attempt
        if retry_after and retry_after.strip().isdigit():
            wait = max(wait, float(retry_after))
        return min(wait, _MAX_WAIT)

    def _request(self, url: str, params: dict[str, Any], *, service: str) -> dict:
        """One JSON request with retries; raise on HTTP errors and ArcGIS error bodies."""
        get_url = _get_url(url, params)
        use_post = len(get_url) > _MAX_GET_URL
        headers = {"User-Agent": self.user_agent}
        problem = ""
        for attempt in range(self.retries + 1):
            self._wait()
            retry_after = None
            logger.debug("%s %s (attempt %d)", "POST" if use_post else "GET", get_url, attempt + 1)
            self.requests_made += 1
            try:
                if use_post:
                    resp = self._session.post(
                        url, data=params, headers=headers, timeout=self.timeout
                    )
                else:
                    resp = self._session.get(
                        url, params=params, headers=headers, timeout=self.timeout
                    )
            except requests.exceptions.SSLError as err:
                raise DownloadError(
                    f"TLS certificate check failed for {url}: {err}. Networks that inspect "
                    "HTTPS need their certificate bundle: set REQUESTS_CA_BUNDLE to it, or "
                    f"download the files by hand from {PORTAL_URL}."
                ) from err
            except (
                requests.ConnectionError,
                requests.Timeout,
                requests.exceptions.ChunkedEncodingError,
            ) as err:
                problem = f"{type(err).__name__}: {err}"
            else:
                body, problem, retry_after = self._check_response(resp, service, get_url)
                if body is not None:
                    return body
            finally:
                self._last_request = time.monotonic()
            if attempt < self.retries:
                wait = self._retry_wait(attempt, retry_after)
                logger.debug("retrying in %.1f s after %s", wait, problem)
                if wait > 0:
                    self._sleep(wait)
        raise DownloadError(
            f"Gave up on service {service!r} after {self.retries + 1} attempts; last problem: "
            f"{problem}. Request: {_shorten(get_url)}. Check the internet connection (council "
            "networks may need HTTPS_PROXY set), try again later, or download the files by "
            f"hand from {PORTAL_URL}."
        )

    def _check_response(
        self, resp: requests.Response, service: str, get_url: str
    ) -> tuple[dict | None, str, str | None]:
        """(body, "", None) on success, (None, problem, retry_after) when worth retrying."""
        status = resp.status_code
        if status == 404:
            raise self._not_found(service)
        if status in _RETRY_STATUS:
            return None, f"HTTP {status}", resp.headers.get("Retry-After")
        if status >= 400:
            raise DownloadError(
                f"HTTP {status} from service {service!r}: {_shorten(resp.text, 300)}. "
                f"Request: {_shorten(get_url)}."
            )
        try:
            body = resp.json()
        except ValueError as err:
            raise DownloadError(
                f"Service {service!r} answered with something that is not JSON "
                f"({resp.headers.get('Content-Type', 'no content type')}): "
                f"{_shorten(resp.text, 200)!r}. A proxy or login page may be in the way. "
                f"Request: {_shorten(get_url)}."
            ) from err
        if not isinstance(body, dict):
            raise DownloadError(
                f"Service {service!r} answered with a JSON {type(body).__name__}, not an "
                f"object. Request: {_shorten(get_url)}."
            )
        error = body.get("error")
        if error is None:
            return body, "", None
        if not isinstance(error, dict):
            error = {"message": str(error)}
        code = error.get("code")
        message = str(error.get("message") or "").strip()
        details = "; ".join(str(d) for d in error.get("details") or [] if d)
        text = " ".join(f"{message} {details}".split())
        invalid_url = code == 400 and message.lower() == "invalid url"
        if code == 404 or invalid_url or _NOT_FOUND.search(text):
            raise self._not_found(service)
        if code in _RETRY_STATUS:
            return None, f"ArcGIS error {code}: {text}", None
        raise DownloadError(
            f"ArcGIS error {code} from service {service!r}: {text or 'no message'}. "
            f"Request: {_shorten(get_url)}."
        )

    def _not_found(self, service: str) -> ServiceNotFoundError:
        return ServiceNotFoundError(service, self.base_url, self._similar_services(service))

    def _similar_services(self, service: str) -> list[str]:
        if self._listing:
            return []
        self._listing = True
        try:
            names = self.list_services()
        except DownloadError:
            return []
        finally:
            self._listing = False
        return difflib.get_close_matches(service, names, n=5, cutoff=0.6)

    # --------------------------------------------------------------- metadata

    def list_services(self, contains: str | None = None) -> list[str]:
        """Names of the FeatureServer services in the directory, optionally filtered.

        ``contains`` is matched case-insensitively; words separated by spaces must all match.
        """
        try:
            body = self._request(self.base_url, {"f": "json"}, service="(services directory)")
        except ServiceNotFoundError as err:
            raise DownloadError(
                f"No services directory at {self.base_url}; check the base URL (it ends in "
                "/arcgis/rest/services/)."
            ) from err
        services = body.get("services")
        if not isinstance(services, list):
            raise DownloadError(
                f"{self.base_url}?f=json did not list services; is the base URL a "
                "services directory (ending in /arcgis/rest/services/)?"
            )
        names = sorted(
            {
                str(s.get("name"))
                for s in services
                if isinstance(s, dict) and s.get("name") and s.get("type") == "FeatureServer"
            }
        )
        words = (contains or "").lower().split()
        return [n for n in names if all(w in n.lower() for w in words)]

    def layer_info(self, service: str, *, layer: int = 0) -> LayerInfo:
        """Metadata of a layer: maxRecordCount, ObjectID field, fields, pagination support."""
        key = (service, layer)
        if key in self._layers:
            return self._layers[key]
        url = self.layer_url(service, layer)
        body = self._request(url, {"f": "json"}, service=service)
        fields = body.get("fields")
        if not isinstance(fields, list):
            raise DownloadError(
                f"{url} is not a feature layer or table (its metadata has no fields). Check "
                "the service name and layer number."
            )
        names = tuple(str(f.get("name")) for f in fields if isinstance(f, dict))
        oid = body.get("objectIdField") or next(
            (str(f["name"]) for f in fields if f.get("type") == "esriFieldTypeOID"), None
        )
        if not oid:
            raise DownloadError(
                f"Layer {url} has no ObjectID field, so it cannot be paged in a stable order."
            )
        advanced = body.get("advancedQueryCapabilities") or {}
        info = LayerInfo(
            service=service,
            layer=layer,
            url=url,
            name=str(body.get("name") or service),
            max_record_count=int(body.get("maxRecordCount") or 1000),
            object_id_field=str(oid),
            fields=names,
            supports_pagination=bool(advanced.get("supportsPagination", False)),
            geometry_type=body.get("geometryType"),
        )
        self._layers[key] = info
        return info

    def count(self, service: str, where: str = "1=1", *, layer: int = 0) -> int:
        """Number of features matching ``where`` (``returnCountOnly``)."""
        body = self._request(
            f"{self.layer_url(service, layer)}/query",
            {"where": where, "returnCountOnly": "true", "f": "json"},
            service=service,
        )
        if not isinstance(body.get("count"), int):
            raise DownloadError(
                f"The count query on service {service!r} returned no count: "
                f"{_shorten(str(body), 200)}."
            )
        return body["count"]

    def object_ids(self, service: str, where: str = "1=1", *, layer: int = 0) -> list[int]:
        """ObjectIDs of the features matching ``where`` (``returnIdsOnly``), sorted."""
        body = self._request(
            f"{self.layer_url(service, layer)}/query",
            {"where": where, "returnIdsOnly": "true", "f": "json"},
            service=service,
        )
        ids = body.get("objectIds")
        if ids is None and "objectIdFieldName" not in body:
            raise DownloadError(
                f"The ObjectID query on service {service!r} returned no objectIds: "
                f"{_shorten(str(body), 200)}."
            )
        return sorted(int(i) for i in ids or [])

    # ------------------------------------------------------------------ query

    def resolve_fields(
        self, service: str, out_fields: Sequence[str], *, layer: int = 0
    ) -> list[str]:
        """The layer's spelling of ``out_fields`` (matched case-insensitively); raise if absent.

        Also a cheap check that a service exists and has the fields a download needs.
        """
        return self._resolve_fields(self.layer_info(service, layer=layer), out_fields)

    @staticmethod
    def _resolve_fields(info: LayerInfo, out_fields: Sequence[str]) -> list[str]:
        by_lower = {f.lower(): f for f in info.fields}
        missing = [f for f in out_fields if f.lower() not in by_lower]
        if missing:
            raise DownloadError(
                f"Service {info.service!r} has no field(s) {format_examples(missing)}; its "
                f"fields are {format_examples(info.fields, limit=15)}. ONS may have renamed "
                "them in a new version of the service: choose the vintage whose fields match, "
                "or pass a Service with the new field names in services=."
            )
        return [by_lower[f.lower()] for f in out_fields]

    @staticmethod
    def _query_params(
        info: LayerInfo, where: str, fields: list[str], *, geometry: bool, out_sr: int
    ) -> dict[str, Any]:
        out = [info.object_id_field, *(f for f in fields if f != info.object_id_field)]
        params: dict[str, Any] = {
            "where": where,
            "outFields": ",".join(out),
            "orderByFields": info.object_id_field,
            "returnGeometry": "true" if geometry else "false",
            "f": "json",
        }
        if geometry:
            params["outSR"] = out_sr
            params["f"] = "json" if out_sr == 27700 else "geojson"
        return params

    def query_all(
        self,
        service: str,
        where: str,
        out_fields: Sequence[str],
        *,
        geometry: bool = True,
        out_sr: int = 27700,
        layer: int = 0,
        unique: str | None = None,
    ) -> pd.DataFrame:
        """Every feature matching ``where``, paged, checked against the count.

        Parameters
        ----------
        service, where, out_fields
            Service name, SQL-92 filter (``"LAD24CD IN ('E09000018')"``) and fields to return
            (matched case-insensitively; the layer's spelling is kept).
        geometry : bool, default True
            Return a GeoDataFrame. With ``out_sr=27700`` the request is ``f=json&outSR=27700``
            (EsriJSON rings in British National Grid, converted here); with ``out_sr=4326``
            it is ``f=geojson&outSR=4326``. Coordinates are checked for the expected range.
        out_sr : {27700, 4326}
        unique : str, optional
            A field whose values must be unique (a code); duplicates raise.

        Returns
        -------
        pandas.DataFrame or geopandas.GeoDataFrame
            One row per feature in ObjectID order, columns ``out_fields`` (and ``geometry``).
        """
        if out_sr not in (27700, 4326):
            raise ConfigError(f"out_sr must be 27700 or 4326; got {out_sr!r}.")
        info = self.layer_info(service, layer=layer)
        fields = self._resolve_fields(info, out_fields)
        if geometry and out_sr == 27700 and info.geometry_type != "esriGeometryPolygon":
            raise DownloadError(
                f"Service {service!r} has geometry type {info.geometry_type!r}; EsriJSON "
                "conversion reads polygons only. Use out_sr=4326 (GeoJSON) for other types."
            )
        params = self._query_params(info, where, fields, geometry=geometry, out_sr=out_sr)
        expected = self.count(service, where, layer=layer)
        url = f"{info.url}/query"
        if info.supports_pagination:
            records = self._pages_by_offset(
                url, params, info, out_sr if geometry else None, expected
            )
        else:
            records = self._pages_by_ids(url, params, info, where, out_sr if geometry else None)
        frame = self._frame(records, info, fields, geometry=geometry, out_sr=out_sr)
        if len(frame) != expected:
            raise DownloadError(
                f"Service {service!r} returned {len(frame)} features for where={where!r}, but "
                f"its count query said {expected}. The layer may have changed during the "
                "download: run the command again. If it happens again, paging on this service "
                "is unreliable; download the whole file from the portal instead."
            )
        if unique is not None:
            column = self._resolve_fields(info, [unique])[0]
            dup = frame[column][frame[column].duplicated()].unique().tolist()
            if dup:
                raise DownloadError(
                    f"Service {service!r} returned duplicate {column} values: "
                    f"{format_examples(dup)}. Codes must be unique; check the service is the "
                    "right product and vintage."
                )
        return frame

    def _page(self, url: str, params: dict[str, Any], info: LayerInfo, out_sr: int | None):
        body = self._request(url, params, service=info.service)
        raw = body.get("features")
        if not isinstance(raw, list):
            raise DownloadError(
                f"A query on service {info.service!r} returned no feature list: "
                f"{_shorten(str(body), 200)}."
            )
        if out_sr is not None and params["f"] == "json":
            sr = body.get("spatialReference") or {}
            wkids = {sr.get("wkid"), sr.get("latestWkid")} - {None}
            if wkids and out_sr not in wkids:
                raise DownloadError(
                    f"Service {info.service!r} returned coordinates in spatial reference "
                    f"{sorted(wkids)}, not the requested EPSG:{out_sr}."
                )
        return body, raw

    def _pages_by_offset(
        self,
        url: str,
        params: dict[str, Any],
        info: LayerInfo,
        out_sr: int | None,
        expected: int,
    ) -> list[dict]:
        size = min(self.page_size, info.max_record_count)
        offset, records = 0, []
        while True:
            page = {**params, "resultOffset": offset, "resultRecordCount": size}
            body, raw = self._page(url, page, info, out_sr)
            records.extend(raw)
            logger.debug("%s: %d features at offset %d", info.service, len(raw), offset)
            if not _exceeded(body):
                return records
            # Short pages continue from what arrived; an empty page with the flag still set
            # steps over the window the server filtered away (Esri: keep paging until the
            # flag is gone). Repeats are dropped by ObjectID afterwards.
            offset += len(raw) if raw else size
            if offset >= expected + size:
                raise DownloadError(
                    f"Service {info.service!r} still says more features remain at offset "
                    f"{offset}, beyond the {expected} its count query reported; giving up. "
                    "Try again later, or download the whole file from the portal instead."
                )

    def _pages_by_ids(
        self,
        url: str,
        params: dict[str, Any],
        info: LayerInfo,
        where: str,
        out_sr: int | None,
    ) -> list[dict]:
        ids = self.object_ids(info.service, where, layer=info.layer)
        size = min(self.page_size, info.max_record_count)
        oid, records = info.object_id_field, []
        for start in range(0, len(ids), size):
            lo, hi = ids[start], ids[min(start + size, len(ids)) - 1]
            chunk_where = f"({where}) AND {oid} >= {lo} AND {oid} <= {hi}"
            body, raw = self._page(url, {**params, "where": chunk_where}, info, out_sr)
            if _exceeded(body):
                raise DownloadError(
                    f"Service {info.service!r} truncated ObjectIDs {lo}–{hi} ({size} features) "
                    "although they fit its maxRecordCount; lower page_size and retry."
                )
            records.extend(raw)
        return records

    @staticmethod
    def _frame(
        records: list[dict], info: LayerInfo, fields: list[str], *, geometry: bool, out_sr: int
    ) -> pd.DataFrame:
        geojson = geometry and out_sr == 4326
        oid = info.object_id_field
        rows, geoms, seen = [], [], set()
        for rec in records:
            attrs = (rec.get("properties") if geojson else rec.get("attributes")) or {}
            key = attrs.get(oid, rec.get("id"))
            if key is not None:
                if key in seen:
                    continue
                seen.add(key)
            rows.append({oid: key, **{f: attrs.get(f) for f in fields}})
            if geometry:
                g = rec.get("geometry")
                geoms.append(geojson_geometry(g) if geojson else esri_polygon(g))
        dropped = len(records) - len(rows)
        if dropped:
            logger.debug("%s: dropped %d repeated features", info.service, dropped)
        frame = pd.DataFrame(rows, columns=[oid, *(f for f in fields if f != oid)])
        if geometry:
            check_coordinates(geoms, out_sr, service=info.service)
            frame = gpd.GeoDataFrame(frame, geometry=geoms, crs=f"EPSG:{out_sr}")
        frame = frame.sort_values(oid, kind="stable", ignore_index=True)
        return frame[[*fields, "geometry"] if geometry else fields]


def _get_url(url: str, params: dict[str, Any]) -> str:
    return str(requests.Request("GET", url, params=params).prepare().url)


def _shorten(text: str, limit: int = 500) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
