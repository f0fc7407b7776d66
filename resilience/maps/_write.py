"""Writing the borough map and one map per ward."""

from __future__ import annotations

import logging
import warnings
from collections.abc import Mapping
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely

from ..errors import ConfigError, DataQualityWarning, ResilienceWarning, format_examples
from ..schema import DISAGREE
from ._geometry import MapGeometry, coverage_warning, prepare_geometry
from ._inputs import MapInputs, check_inputs
from ._layers import build_layers, tooltip_fields
from ._page import TILES, PageTemplate, tile_layer
from ._palettes import MISSING
from ._panels import AreaFigures, borough_panel, legend_html, ward_panel
from ._payload import PayloadBuilder, esc

__all__ = ["ATTRIBUTION", "DEFAULT_SIMPLIFY", "MODES", "write_maps"]

logger = logging.getLogger("resilience")

MODES = ("tiles", "tileless", "offline")
#: Coverage-simplification tolerance of each geography, in metres.
DEFAULT_SIMPLIFY = {"oa": 5.0, "lsoa": 10.0, "ward": 20.0}
ATTRIBUTION = (
    "Source: Office for National Statistics licensed under the Open Government Licence "
    "v.3.0; Contains OS data © Crown copyright and database right"
)
INITIAL_LAYER = "resilience_score"
#: Pages larger than this are slow to open; the writer warns.
LARGE_PAGE_BYTES = 20 * 1024 * 1024


def _tolerances(simplify: float | Mapping[str, float] | None) -> dict[str, float]:
    out = dict(DEFAULT_SIMPLIFY)
    if simplify is None:
        return out
    if isinstance(simplify, Mapping):
        unknown = [k for k in simplify if k not in out]
        if unknown:
            raise ConfigError(
                f"simplify names unknown geographies {format_examples(unknown)}; use "
                f"{format_examples(list(out))}."
            )
        out.update({k: float(v) for k, v in simplify.items()})
    else:
        out = dict.fromkeys(out, float(simplify))
    bad = {k: v for k, v in out.items() if not np.isfinite(v) or v < 0}
    if bad:
        raise ConfigError(
            f"simplify tolerances are metres and must be 0 or more; got {bad}. "
            "Use 0 to keep the boundaries as they are."
        )
    return out


def _size(n: int) -> str:
    return f"{n / 1024 / 1024:.1f} MB" if n >= 1024 * 1024 else f"{n / 1024:.0f} KB"


def _write(path: Path, text: str, sizes: dict[Path, int]) -> None:
    data = text.encode("utf-8")
    path.write_bytes(data)
    sizes[path] = len(data)
    # name the file by its place in the maps folder (the folder itself may be temporary)
    shown = Path(*path.parts[-2:]) if path.parent.name == "wards" else Path(path.name)
    logger.info("      maps/%s: %s", shown.as_posix(), _size(len(data)))
    if len(data) > LARGE_PAGE_BYTES:
        warnings.warn(
            f"The map {path} is {_size(len(data))}; browsers may be slow to open it. "
            "Raise the simplify tolerances or map a smaller area.",
            ResilienceWarning,
            stacklevel=4,
        )


def _groups(codes: np.ndarray, n: int) -> list[np.ndarray]:
    """Row positions of each group 0..n-1 (codes are group positions)."""
    order = np.argsort(codes, kind="stable")
    cuts = np.searchsorted(codes[order], np.arange(n + 1))
    return [order[cuts[i] : cuts[i + 1]] for i in range(n)]


def _centre(extent: list[list[float]]) -> tuple[float, float]:
    (s, w), (n, e) = extent
    return ((s + n) / 2, (w + e) / 2)


class _WardPages:
    """Which areas each ward page draws."""

    def __init__(self, inputs: MapInputs, ward_geom: MapGeometry):
        ward_index = {c: i for i, c in enumerate(inputs.ward["ward_code"])}
        lsoa_index = {c: i for i, c in enumerate(inputs.lsoa["lsoa_code"])}
        n_ward = len(inputs.ward)
        self.oa_ward = inputs.oa["ward_code"].map(ward_index).to_numpy(dtype=np.int64)
        self.oa_lsoa = inputs.oa["lsoa_code"].map(lsoa_index).to_numpy(dtype=np.int64)
        self.lsoa_ward = inputs.lsoa["ward_code"].map(ward_index).to_numpy(dtype=np.int64)
        self.oa_by_ward = _groups(self.oa_ward, n_ward)
        self.lsoa_by_ward = _groups(self.lsoa_ward, n_ward)
        tree = shapely.STRtree(ward_geom.projected)
        a, b = tree.query(ward_geom.projected, predicate="dwithin", distance=1.0)
        self.neighbours = _groups(a, n_ward)
        self.neighbour_ids = b

    def rows(self, w: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        oa_rows = self.oa_by_ward[w]
        lsoa_rows = np.union1d(self.lsoa_by_ward[w], self.oa_lsoa[oa_rows])
        ward_rows = np.union1d(
            self.neighbour_ids[self.neighbours[w]],
            np.concatenate([[w], self.oa_ward[oa_rows], self.lsoa_ward[lsoa_rows]]),
        ).astype(np.int64)
        return oa_rows, lsoa_rows.astype(np.int64), ward_rows


def write_maps(
    out_dir: str | Path,
    oa: gpd.GeoDataFrame,
    lsoa: gpd.GeoDataFrame,
    ward: gpd.GeoDataFrame,
    *,
    mode: str = "tiles",
    title: str = "Community resilience",
    indicator_labels: Mapping[str, str] | None = None,
    ward_pages: bool = True,
    simplify: float | Mapping[str, float] | None = None,
    tiles: str = TILES,
    tiles_attribution: str | None = None,
    notice: str | None = None,
) -> dict:
    """Write the borough map ``index.html`` and one map per ward under ``wards/``.

    The borough map has one layer per cluster share and the resilience score (by output
    area) and the hard-data index, the flag and, when present, the gap cluster (by LSOA),
    shown one at a time with a legend that follows the layer; ward outlines and names on
    top; tooltips with names, codes and values in numbers and words; a ward search and a
    link to each ward's map. Each ward map shows the ward's OAs and LSOAs with the same
    layers and classes, and a panel with the ward's figures against the whole area.

    Parameters
    ----------
    out_dir : str or Path
        Folder to write into (created if needed; files of the same names are replaced).
    oa, lsoa, ward : GeoDataFrame
        The pipeline's OA, LSOA and ward layers (the output columns), any CRS.
        OA shares may be missing (suppressed); they are drawn grey.
    mode : {"tiles", "tileless", "offline"}, default="tiles"
        ``tiles``: a web base map, Leaflet from its CDN. ``tileless``: no base map.
        ``offline``: no base map and Leaflet written into every page, so the maps open
        with no network at all.
    title : str, default="Community resilience"
        Title of the borough map.
    indicator_labels : mapping, optional
        Hard-indicator column of ``lsoa`` -> readable title, shown in LSOA pop-ups. By
        default every other numeric LSOA column is shown under its own name.
    ward_pages : bool, default=True
        Also write ``wards/<ward_code>.html``.
    simplify : float or mapping, optional
        Coverage-simplification tolerance in metres, for all geographies or per
        geography (``{"oa": 5, "lsoa": 10, "ward": 20}``, the default); 0 keeps the
        boundaries unchanged.
    tiles : str, default="OpenStreetMap"
        Base map of ``tiles`` mode: an xyzservices provider name or a URL template
        (``https://.../{z}/{x}/{y}.png``). OpenStreetMap's servers may refuse pages
        opened from disk, which send no Referer; serve the maps over HTTP or use another
        provider (e.g. one with your organisation's key).
    tiles_attribution : str, optional
        Attribution of a URL template (HTML allowed, shown as given).
    notice : str, optional
        A warning shown as a banner across the top of every page (plain text), such as
        "TRIAL RUN on a SYNTHETIC survey".

    Returns
    -------
    dict
        ``index``: path of the borough map; ``wards``: ward code -> path of its map;
        ``bytes``: path -> file size in bytes (every file written).

    Raises
    ------
    ConfigError
        Unknown ``mode`` or bad ``simplify``/``indicator_labels``.
    InputDataError, CodeMatchError
        The frames lack columns or do not fit together (see the message).

    Examples
    --------
    >>> import tempfile
    >>> from resilience.synthetic import make_borough
    >>> b = make_borough(seed=1, n_oa=60, n_lsoa=12, n_ward=3, n_respondents=800)
    >>> t = b.truth
    >>> oa = b.oa.join(t.oa_shares, on="oa_code")
    >>> lsoa = b.lsoa.join(t.lsoa_shares.drop(columns="planted"), on="lsoa_code")
    >>> lsoa["hard_index"] = -lsoa["resilience_score"]
    >>> lsoa["flag"] = "agree"
    >>> ward = b.ward
    >>> out = write_maps(tempfile.mkdtemp(), oa, lsoa, ward, mode="offline")
    >>> out["index"].name, len(out["wards"])
    ('index.html', 3)
    """
    if mode not in MODES:
        raise ConfigError(f"Unknown map mode {mode!r}; choose one of {format_examples(MODES)}.")
    tolerances = _tolerances(simplify)
    if mode == "tiles":
        tile_layer(tiles, tiles_attribution)  # fail early on a bad provider
    run = _Run(
        check_inputs(oa, lsoa, ward, indicator_labels),
        tolerances,
        mode=mode,
        tiles=tiles,
        tiles_attribution=tiles_attribution,
    )
    if notice:
        run.legend = _notice_html(notice) + run.legend  # the boxes of every page
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    sizes: dict[Path, int] = {}
    index = run.write_borough(out / "index.html", title, ward_pages, sizes)
    wards = run.write_wards(out / "wards", title, sizes) if ward_pages else {}
    return {"index": index, "wards": wards, "bytes": sizes}


def _notice_html(text: str) -> str:
    """A banner across the top of the page, above the map."""
    return (
        '<div class="rz-notice" role="alert" style="position:fixed;top:8px;left:50%;'
        "transform:translateX(-50%);z-index:2000;max-width:60%;background:#fde8e8;"
        "border:2px solid #b00020;color:#600010;font:bold 14px sans-serif;padding:6px 10px;"
        f'border-radius:4px">{esc(text)}</div>'
    )


class _Run:
    """What every page of one run shares: layers, geometry, data columns, page template."""

    def __init__(self, inputs: MapInputs, tolerances: dict[str, float], *, mode: str,
                 tiles: str, tiles_attribution: str | None):  # fmt: skip
        self.inputs = inputs
        self.layers = build_layers(inputs)
        self.geometry: dict[str, MapGeometry] = {}
        for name in ("oa", "lsoa", "ward"):
            self.geometry[name] = prepare_geometry(getattr(inputs, name), tolerances[name])
            if not self.geometry[name].coverage:
                warnings.warn(
                    coverage_warning(name, tolerances[name]), DataQualityWarning, stacklevel=3
                )
        meta = {
            "attribution": esc(ATTRIBUTION),
            "missing": MISSING,
            "fillOpacity": 0.75 if mode == "tiles" else 0.9,
            "areaSize": round(float(np.sqrt(np.median(self.geometry["oa"].area_m2)))),
        }
        fields = tooltip_fields(inputs, self.layers)
        self.builder = PayloadBuilder(inputs, self.layers, self.geometry, fields, meta)
        self.legend = legend_html(self.layers, INITIAL_LAYER)
        self.extent = _union(self.geometry["ward"].extent(), self.geometry["oa"].extent())
        self.template = PageTemplate(
            mode=mode,
            layers=self.layers,
            initial=INITIAL_LAYER,
            centre=_centre(self.extent),
            tiles=tiles,
            tiles_attribution=tiles_attribution,
        )

    def write_borough(
        self, path: Path, title: str, ward_pages: bool, sizes: dict[Path, int]
    ) -> Path:
        """Write the map of the whole area."""
        n = {name: len(getattr(self.inputs, name)) for name in ("oa", "lsoa", "ward")}
        data = self.builder.page(
            oa_rows=np.arange(n["oa"]),
            lsoa_rows=np.arange(n["lsoa"]),
            ward_rows=np.arange(n["ward"]),
            focus=None,
            page_meta={
                "kind": "borough",
                "title": esc(title),
                "bounds": self.extent,
                "wardHref": "wards/{code}.html" if ward_pages else None,
            },
        )
        panel = borough_panel(title, n["ward"], ward_pages=ward_pages, attribution=ATTRIBUTION)
        page = self.template.fill(title=title, data_json=data, boxes_html=panel + self.legend)
        _write(path, page, sizes)
        return path

    def write_wards(self, folder: Path, title: str, sizes: dict[Path, int]) -> dict[str, Path]:
        """Write one map per ward into ``folder``; return ward code -> path."""
        folder.mkdir(exist_ok=True)
        inputs, geometry = self.inputs, self.geometry
        pages = _WardPages(inputs, geometry["ward"])
        figures = AreaFigures.from_wards(inputs.ward)
        flagged = inputs.lsoa[inputs.lsoa["flag"].isin(DISAGREE)]
        flagged_by_ward = dict(list(flagged.groupby("ward_code", sort=False)))
        paths: dict[str, Path] = {}
        for w in range(len(inputs.ward)):
            row = inputs.ward.iloc[w]
            code = row["ward_code"]
            oa_rows, lsoa_rows, ward_rows = pages.rows(w)
            extent = geometry["ward"].extent(np.array([w]))
            if len(oa_rows):
                extent = _union(extent, geometry["oa"].extent(oa_rows))
            data = self.builder.page(
                oa_rows=oa_rows,
                lsoa_rows=lsoa_rows,
                ward_rows=ward_rows,
                focus=w,
                page_meta={
                    "kind": "ward",
                    "title": esc(row["ward_name"]),
                    "bounds": extent,
                    "wardHref": "{code}.html",
                },
            )
            panel = ward_panel(
                row,
                w,
                figures,
                flagged_by_ward.get(code, flagged.iloc[:0]),
                home_href="../index.html",
                attribution=ATTRIBUTION,
            )
            page = self.template.fill(
                title=f"{row['ward_name']} ({code}) – {title}",
                data_json=data,
                boxes_html=panel + self.legend,
            )
            paths[code] = folder / f"{code}.html"
            _write(paths[code], page, sizes)
        return paths


def _union(a: list[list[float]], b: list[list[float]]) -> list[list[float]]:
    return [
        [min(a[0][0], b[0][0]), min(a[0][1], b[0][1])],
        [max(a[1][0], b[1][0]), max(a[1][1], b[1][1])],
    ]
