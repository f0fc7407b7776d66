"""A stand-in for an ArcGIS REST services host, served on 127.0.0.1 for the download tests.

Two kinds of answers, both counted in :attr:`StandIn.requests`:

- *recorded* replies (JSON files from ``tests/data/arcgis`` or inline bodies, optionally with
  an HTTP status) for a service, matched on the request kind and a subset of its parameters;
- *emulated* layers: attribute rows and shapely geometries (EPSG:27700) answered the way a
  hosted feature layer answers (layer metadata, ``returnCountOnly``, ``returnIdsOnly``,
  ``where`` with ``IN``/``=``/``>=``/``<=``/``AND``, ``orderByFields``, ``resultOffset`` /
  ``resultRecordCount`` capped at ``maxRecordCount``, ``f=json`` EsriJSON rings or
  ``f=geojson`` in EPSG:4326).

An unknown service gets the recorded "Invalid URL" error body with HTTP 200, as ArcGIS Online
answers.
"""

from __future__ import annotations

import json
import operator
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import geopandas as gpd
import shapely
from shapely.geometry import mapping

DATA = Path(__file__).parent / "data" / "arcgis"
BASE_PATH = "/arcgis/rest/services/"


def fixture(name: str) -> dict:
    """A recorded response from ``tests/data/arcgis``."""
    return json.loads((DATA / name).read_text(encoding="utf-8"))


@dataclass
class Request:
    method: str
    service: str | None
    kind: str  # "directory", "info" or "query"
    params: dict[str, str]
    user_agent: str | None = None


@dataclass
class Reply:
    body: object
    status: int = 200
    match: dict[str, str] = field(default_factory=dict)
    times: int | None = None  # None: forever
    headers: dict[str, str] = field(default_factory=dict)


def _esri_field(name: str, kind: str = "esriFieldTypeString") -> dict:
    return {"name": name, "type": kind, "alias": name}


@dataclass
class Layer:
    """An emulated layer: attribute rows (and geometries in EPSG:27700 for feature layers)."""

    rows: list[dict]
    geometries: list | None = None
    oid: str = "FID"
    max_record_count: int = 2000
    supports_pagination: bool = True
    name: str = "layer"

    def __post_init__(self) -> None:
        for i, row in enumerate(self.rows, start=1):
            row.setdefault(self.oid, i)
        self.fields = [self.oid, *(k for k in self.rows[0] if k != self.oid)] if self.rows else []

    def info(self) -> dict:
        body = {
            "currentVersion": 11.3,
            "id": 0,
            "name": self.name,
            "type": "Feature Layer" if self.geometries is not None else "Table",
            "fields": [
                _esri_field(f, "esriFieldTypeOID" if f == self.oid else "esriFieldTypeString")
                for f in self.fields
            ],
            "objectIdField": self.oid,
            "maxRecordCount": self.max_record_count,
            "advancedQueryCapabilities": {
                "supportsPagination": self.supports_pagination,
                "supportsOrderBy": True,
            },
            "supportedQueryFormats": "JSON, geoJSON, PBF",
            "capabilities": "Query",
        }
        if self.geometries is not None:
            body["geometryType"] = "esriGeometryPolygon"
        return body

    def query(self, params: dict[str, str]) -> tuple[int, dict]:
        lower = {f.lower(): f for f in self.fields}
        try:
            keep = where_predicate(params.get("where", "1=1"))
            idx = [i for i, row in enumerate(self.rows) if keep(row, lower)]
        except ValueError:
            return 200, fixture("error_invalid_query.json")
        if params.get("returnCountOnly") == "true":
            return 200, {"count": len(idx)}
        if params.get("returnIdsOnly") == "true":
            return 200, {
                "objectIdFieldName": self.oid,
                "objectIds": [self.rows[i][self.oid] for i in idx],
            }
        order = params.get("orderByFields")
        if order:
            name = lower[order.split()[0].lower()]
            idx.sort(key=lambda i: self.rows[i][name])
        paging = "resultOffset" in params or "resultRecordCount" in params
        if paging and not self.supports_pagination:
            return 200, {
                "error": {"code": 400, "message": "Pagination is not supported.", "details": []}
            }
        offset = int(params.get("resultOffset", 0))
        size = min(
            int(params.get("resultRecordCount", self.max_record_count)), self.max_record_count
        )
        chosen = idx[offset : offset + size]
        exceeded = offset + size < len(idx)
        out = params.get("outFields", "*")
        names = self.fields if out == "*" else [lower[f.lower()] for f in out.split(",")]
        geometry = self.geometries is not None and params.get("returnGeometry", "true") == "true"
        if params.get("f") == "geojson":
            return 200, self._geojson(chosen, names, geometry, exceeded)
        body = {
            "objectIdFieldName": self.oid,
            "fields": [_esri_field(n) for n in names],
            "features": [
                {
                    "attributes": {n: self.rows[i][n] for n in names},
                    **({"geometry": esri_rings(self.geometries[i])} if geometry else {}),
                }
                for i in chosen
            ],
        }
        if geometry:
            body["geometryType"] = "esriGeometryPolygon"
            body["spatialReference"] = {"wkid": 27700, "latestWkid": 27700}
        if exceeded:
            body["exceededTransferLimit"] = True
        return 200, body

    def _geojson(self, chosen: list[int], names: list[str], geometry: bool, exceeded: bool) -> dict:
        geoms = (
            gpd.GeoSeries([self.geometries[i] for i in chosen], crs=27700).to_crs(4326)
            if geometry
            else [None] * len(chosen)
        )
        body = {
            "type": "FeatureCollection",
            "features": [
                {
                    "type": "Feature",
                    "id": self.rows[i][self.oid],
                    "geometry": mapping(g) if g is not None else None,
                    "properties": {n: self.rows[i][n] for n in names},
                }
                for i, g in zip(chosen, geoms, strict=True)
            ],
        }
        if exceeded:
            body["properties"] = {"exceededTransferLimit": True}
        return body


def esri_rings(geom) -> dict:
    """EsriJSON polygon: outer rings clockwise, holes anticlockwise, all in one list."""
    geom = shapely.orient_polygons(geom, exterior_cw=True)
    parts = list(geom.geoms) if geom.geom_type == "MultiPolygon" else [geom]
    rings = []
    for p in parts:
        rings.append([list(c) for c in p.exterior.coords])
        rings.extend([list(c) for c in r.coords] for r in p.interiors)
    return {"rings": rings, "spatialReference": {"wkid": 27700, "latestWkid": 27700}}


def _split_and(text: str) -> list[str]:
    parts, depth, start, i = [], 0, 0, 0
    upper = text.upper()
    while i < len(text):
        ch = text[i]
        if ch == "'":
            i = text.index("'", i + 1) + 1
            while i < len(text) and text[i] == "'":  # doubled quote inside a string
                i = text.index("'", i + 1) + 1
            continue
        depth += ch == "("
        depth -= ch == ")"
        if depth == 0 and upper.startswith(" AND ", i):
            parts.append(text[start:i])
            start = i + 5
            i += 5
            continue
        i += 1
    parts.append(text[start:])
    return [p.strip() for p in parts]


def _wraps_whole(text: str) -> bool:
    """True when the parenthesis opening ``text`` closes at its very end."""
    depth = 0
    for i, ch in enumerate(text):
        depth += ch == "("
        depth -= ch == ")"
        if depth == 0 and i < len(text) - 1:
            return False
    return True


def _strip_parens(text: str) -> str:
    text = text.strip()
    while text.startswith("(") and text.endswith(")") and _wraps_whole(text):
        text = text[1:-1].strip()
    return text


def _literal(text: str) -> object:
    text = text.strip()
    if text.startswith("'") and text.endswith("'"):
        return text[1:-1].replace("''", "'")
    return float(text) if "." in text else int(text)


def _contains(value: object, values: set) -> bool:
    return value in values


_OPS = {">=": operator.ge, "<=": operator.le, "=": operator.eq}


def where_predicate(where: str) -> Callable[[dict, dict], bool]:
    """A row filter for the small SQL subset the downloader sends; ValueError otherwise."""
    nested: list[Callable[[dict, dict], bool]] = []
    tests: list[tuple[str, Callable[[object, object], bool], object]] = []
    for cond in (_strip_parens(c) for c in _split_and(_strip_parens(where))):
        if len(_split_and(cond)) > 1:
            nested.append(where_predicate(cond))
            continue
        if cond.replace(" ", "") == "1=1":
            continue
        m = re.fullmatch(r"(\w+)\s+IN\s*\((.*)\)", cond, re.IGNORECASE | re.DOTALL)
        if m:
            values = {v.replace("''", "'") for v in re.findall(r"'((?:[^']|'')*)'", m.group(2))}
            tests.append((m.group(1), _contains, values))
            continue
        m = re.fullmatch(r"(\w+)\s*(>=|<=|=)\s*(.+)", cond)
        if not m:
            raise ValueError(cond)
        tests.append((m.group(1), _OPS[m.group(2)], _literal(m.group(3))))

    def keep(row: dict, lower: dict) -> bool:
        try:
            return all(op(row[lower[f.lower()]], v) for f, op, v in tests) and all(
                n(row, lower) for n in nested
            )
        except KeyError as err:  # unknown field
            raise ValueError(str(err)) from None

    return keep


class StandIn:
    """The local server. Use as a context manager or call :meth:`close`."""

    def __init__(self) -> None:
        self.layers: dict[str, Layer] = {}
        self.replies: dict[tuple[str | None, str], list[Reply]] = {}
        self.requests: list[Request] = []
        self.directory = fixture("services.json")
        self._lock = threading.Lock()
        handler = type("Handler", (_Handler,), {"stand_in": self})
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True
        )
        self._thread.start()

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}{BASE_PATH}"

    def add_layer(self, service: str, layer: Layer) -> None:
        self.layers[service] = layer

    def reply(
        self,
        service: str | None,
        kind: str,
        body: object,
        *,
        status: int = 200,
        match: dict[str, str] | None = None,
        times: int | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        """Answer requests of ``kind`` to ``service`` whose parameters include ``match``."""
        self.replies.setdefault((service, kind), []).append(
            Reply(body, status, dict(match or {}), times, dict(headers or {}))
        )

    def queries(self, service: str | None = None) -> list[Request]:
        """Query requests (not count or id queries) made so far, to ``service`` if given."""
        return [
            r
            for r in self.requests
            if r.kind == "query"
            and (service is None or r.service == service)
            and "returnCountOnly" not in r.params
            and "returnIdsOnly" not in r.params
        ]

    def answer(
        self, method: str, path: str, params: dict[str, str], user_agent: str | None = None
    ) -> tuple[int, object, dict]:
        rest = path[len(BASE_PATH) :] if path.startswith(BASE_PATH) else None
        if rest is None:
            return 404, "not found", {}
        m = re.fullmatch(r"([^/]+)/FeatureServer/(\d+)(/query)?", rest.rstrip("/"))
        if rest.strip("/") == "":
            service, kind = None, "directory"
        elif m:
            service, kind = m.group(1), "query" if m.group(3) else "info"
        else:
            return 200, fixture("error_invalid_url.json"), {}
        with self._lock:
            self.requests.append(Request(method, service, kind, params, user_agent))
            for reply in self.replies.get((service, kind), []):
                if reply.times == 0 or any(params.get(k) != v for k, v in reply.match.items()):
                    continue
                if reply.times is not None:
                    reply.times -= 1
                return reply.status, reply.body, reply.headers
        if kind == "directory":
            listed = [*self.directory["services"]]
            listed += [
                {"name": n, "type": "FeatureServer", "url": f"{self.base_url}{n}/FeatureServer"}
                for n in self.layers
            ]
            return 200, {**self.directory, "services": listed}, {}
        layer = self.layers.get(service)
        if layer is None:
            return 200, fixture("error_invalid_url.json"), {}
        if kind == "info":
            return 200, layer.info(), {}
        status, body = layer.query(params)
        return status, body, {}

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> StandIn:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class _Handler(BaseHTTPRequestHandler):
    stand_in: StandIn

    def log_message(self, format: str, *args: object) -> None:  # quiet
        pass

    def _respond(self, method: str, params: dict[str, str]) -> None:
        path = urlsplit(self.path).path
        status, body, headers = self.stand_in.answer(
            method, path, params, self.headers.get("User-Agent")
        )
        data = (body if isinstance(body, str) else json.dumps(body)).encode()
        self.send_response(status)
        content_type = "text/plain" if isinstance(body, str) else "application/json; charset=utf-8"
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        for k, v in headers.items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:
        self._respond("GET", dict(parse_qsl(urlsplit(self.path).query, keep_blank_values=True)))

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", 0))
        form = self.rfile.read(length).decode()
        params = dict(parse_qsl(urlsplit(self.path).query, keep_blank_values=True))
        params.update(parse_qsl(form, keep_blank_values=True))
        self._respond("POST", params)
