"""The data a map page embeds: one JSON document read by the page's script.

Tables are stored by column (codes, numbers, class indices, text as a dictionary plus
indices), geometry as one GeoJSON geometry per area, and the parent LSOA and ward of each
area as indices into the page's own tables. Every string from the input data is
HTML-escaped here, before it enters the page, so the script can show it as HTML.
"""

from __future__ import annotations

import html
import json
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..clusters import label as cluster_label
from ._geometry import MapGeometry
from ._inputs import MapInputs
from ._layers import LayerSpec, class_index

__all__ = ["PayloadBuilder", "dumps", "esc", "numbers", "positions", "row_groups"]

_GEOM_TOKEN = "@@resilience-geometry:{}@@"
_COMMON_TOKEN = "@@resilience-common:{}@@"
_TEXT_FIELDS = {"text", "cat"}


def esc(value: object) -> str:
    """HTML-escape a value for the page (quotes too)."""
    return html.escape(str(value), quote=True)


def positions(rows: np.ndarray, n: int) -> np.ndarray:
    """Position of each of ``n`` areas among the page's ``rows`` (-1 when not drawn)."""
    pos = np.full(n, -1, dtype=np.int64)
    pos[rows] = np.arange(len(rows))
    return pos


def row_groups(codes: np.ndarray, n: int) -> list[np.ndarray]:
    """Row positions of each group 0..n-1 (codes are group positions), ascending."""
    order = np.argsort(codes, kind="stable")
    cuts = np.searchsorted(codes[order], np.arange(n + 1))
    return [order[cuts[i] : cuts[i + 1]] for i in range(n)]


def dumps(value: object) -> str:
    """Compact JSON that is safe inside a ``<script>`` element (no ``<`` or ``>``)."""
    text = json.dumps(value, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e")


def _esc_array(values: pd.Series) -> np.ndarray:
    return np.array([esc(v) for v in values], dtype=object)


def numbers(values: np.ndarray, decimals: int) -> list:
    scale = 10.0**decimals
    v = np.rint(np.asarray(values, dtype=float) * scale) / scale
    out = v.astype(object)
    out[~np.isfinite(v)] = None
    if decimals == 0:
        ok = np.isfinite(v)
        out[ok] = v[ok].astype(np.int64)
    return out.tolist()


def _text(values: np.ndarray) -> dict:
    """Dictionary-encode escaped text (None for missing)."""
    present = np.array([v is not None for v in values], dtype=bool)
    idx = np.full(len(values), -1, dtype=np.int64)
    uniq: list[str] = []
    if present.any():
        found, inverse = np.unique(values[present].astype(str), return_inverse=True)
        idx[present] = inverse
        uniq = found.tolist()
    return {"dict": uniq, "idx": idx.tolist()}


@dataclass
class _Table:
    """Page-independent columns of one geography."""

    codes: np.ndarray
    names: np.ndarray | None
    numeric: dict[str, tuple[np.ndarray, int]]
    text: dict[str, np.ndarray]
    classes: dict[str, np.ndarray]
    parents: dict[str, np.ndarray]
    geometry: MapGeometry


def _text_column(values: pd.Series, convert=None) -> np.ndarray:
    out = []
    for v in values:
        if v is None or (isinstance(v, float) and np.isnan(v)) or v is pd.NA:
            out.append(None)
            continue
        s = str(v).strip()
        out.append(esc(convert(s) if convert else s) if s else None)
    return np.array(out, dtype=object)


def _dominant_label(key: str) -> str:
    try:
        return cluster_label(key)
    except KeyError:
        return key


def _numeric_columns(frame: pd.DataFrame, fields: list[dict]) -> dict:
    out = {}
    for f in fields:
        if f["fmt"] in _TEXT_FIELDS:
            continue
        for key in (f["key"], f.get("lo"), f.get("hi")):
            if key and key in frame.columns:
                decimals = 0 if f["fmt"] == "int" else 4
                out[key] = (frame[key].to_numpy(dtype=float), decimals)
    return out


class PayloadBuilder:
    """Builds the JSON document of the borough page and of each ward page.

    Columns, classes and geometry are prepared once; :meth:`page` slices them.
    """

    def __init__(
        self,
        inputs: MapInputs,
        layers: list[LayerSpec],
        geometry: dict[str, MapGeometry],
        fields: dict[str, list[dict]],
        meta: dict,
    ):
        self.layers = layers
        self.fields = fields
        self.meta = meta
        oa, lsoa, ward = inputs.oa, inputs.lsoa, inputs.ward
        lsoa_pos = pd.Index(lsoa["lsoa_code"])
        ward_pos = pd.Index(ward["ward_code"])
        self.tables = {
            "oa": _Table(
                codes=_esc_array(oa["oa_code"]),
                names=None,
                numeric=_numeric_columns(oa, fields["oa"]),
                text={
                    k: _text_column(oa[k], _dominant_label if k == "dominant_cluster" else None)
                    for k in ("dominant_cluster", "estimate_level")
                    if k in oa.columns
                },
                classes={s.id: class_index(s, oa) for s in layers if s.geo == "oa"},
                parents={
                    "lsoa": lsoa_pos.get_indexer(oa["lsoa_code"]),
                    "ward": ward_pos.get_indexer(oa["ward_code"]),
                },
                geometry=geometry["oa"],
            ),
            "lsoa": _Table(
                codes=_esc_array(lsoa["lsoa_code"]),
                names=_esc_array(lsoa["lsoa_name"]),
                numeric=_numeric_columns(lsoa, fields["lsoa"]),
                text={
                    k: _text_column(lsoa[k])
                    for k in ("flag_reason", "flag_strength", "gap_cluster")
                    if k in lsoa.columns
                },
                classes={s.id: class_index(s, lsoa) for s in layers if s.geo == "lsoa"},
                parents={"ward": ward_pos.get_indexer(lsoa["ward_code"])},
                geometry=geometry["lsoa"],
            ),
        }
        #: wards with no output area: drawn grey, "No data"
        self.ward_nodata = ~ward_pos.isin(oa["ward_code"])
        self.ward_codes = _esc_array(ward["ward_code"])
        self.ward_names = _esc_array(ward["ward_name"])
        self.ward_geometry = geometry["ward"]
        # the same on every page: encoded once
        self._common = {"layers": dumps(self._layer_meta()), "fields": dumps(self._fields())}

    def _layer_meta(self) -> list[dict]:
        return [
            {
                "id": s.id,
                "geo": s.geo,
                "name": esc(s.name),
                "title": esc(s.title),
                "kind": s.kind,
                "colors": list(s.classes.colors),
                "words": [esc(w) for w in s.classes.words],
                "suffix": esc(s.suffix),
                "dp": s.classes.decimals,
                "predicted": s.predicted,
            }
            for s in self.layers
        ]

    def _fields(self) -> dict:
        return {
            geo: [{**f, "label": esc(f["label"])} for f in fields]
            for geo, fields in self.fields.items()
        }

    def _table(self, name: str, rows: np.ndarray, remap: dict[str, np.ndarray]) -> dict:
        t = self.tables[name]
        out: dict = {"n": len(rows), "code": t.codes[rows].tolist()}
        if t.names is not None:
            out["name"] = t.names[rows].tolist()
        for parent, glob in t.parents.items():
            out[parent] = remap[parent][glob[rows]].tolist()
        out["cols"] = {k: numbers(v[rows], d) for k, (v, d) in t.numeric.items()}
        out["cols"].update({k: _text(v[rows]) for k, v in t.text.items()})
        out["cls"] = {k: v[rows].tolist() for k, v in t.classes.items()}
        out["geom"] = _GEOM_TOKEN.format(name)
        return out

    def page(
        self,
        *,
        oa_rows: np.ndarray,
        lsoa_rows: np.ndarray,
        ward_rows: np.ndarray,
        focus: int | None,
        page_meta: dict,
        local: dict | None = None,
    ) -> str:
        """The JSON text of one page.

        Parameters
        ----------
        oa_rows, lsoa_rows, ward_rows : array of int
            Positions (in the input frames) of the areas drawn on the page. The LSOAs and
            wards of every OA, and the ward of every LSOA, must be among them.
        focus : int, optional
            Position of the page's own ward (ward pages).
        page_meta : dict
            Page-specific settings merged into the document's ``meta``.
        local : dict, optional
            The page's assets, reviewed LSOAs and survey disagreements (``local``; left
            out when empty).
        """
        remap = {
            "lsoa": positions(lsoa_rows, len(self.tables["lsoa"].codes)),
            "ward": positions(ward_rows, len(self.ward_codes)),
        }
        wg = self.ward_geometry
        doc = {
            "meta": {**self.meta, **page_meta},
            "layers": _COMMON_TOKEN.format("layers"),
            "fields": _COMMON_TOKEN.format("fields"),
            "oa": self._table("oa", oa_rows, remap),
            "lsoa": self._table("lsoa", lsoa_rows, remap),
            "ward": {
                "n": len(ward_rows),
                "code": self.ward_codes[ward_rows].tolist(),
                "name": self.ward_names[ward_rows].tolist(),
                "label": wg.label_xy[ward_rows][:, ::-1].tolist(),
                "area": np.round(wg.area_m2[ward_rows]).astype(np.int64).tolist(),
                "focus": -1 if focus is None else int(remap["ward"][focus]),
                "nodata": np.flatnonzero(self.ward_nodata[ward_rows]).tolist(),
                "geom": _GEOM_TOKEN.format("ward"),
            },
        }
        if local:
            doc["local"] = local
        text = dumps(doc)
        for key, value in self._common.items():
            text = text.replace(json.dumps(_COMMON_TOKEN.format(key)), value, 1)
        for name, rows, geoms in (
            ("oa", oa_rows, self.tables["oa"].geometry.geojson),
            ("lsoa", lsoa_rows, self.tables["lsoa"].geometry.geojson),
            ("ward", ward_rows, wg.geojson),
        ):
            joined = "[" + ",".join([geoms[i] for i in rows]) + "]"
            text = text.replace(json.dumps(_GEOM_TOKEN.format(name)), joined, 1)
        return text
