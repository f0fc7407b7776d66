"""Writing the borough map and one map per ward."""

from __future__ import annotations

import logging
import multiprocessing
import warnings
from collections.abc import Mapping
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from .._fork import can_fork, cpu_count, frozen_for_fork
from ..config import MAP_MODES, check_map_mode
from ..errors import ConfigError, DataQualityWarning, ResilienceWarning, format_examples
from ..schema import DISAGREE, REVIEW_COLUMNS
from ._assets import ASSETS_FOLDER, asset_files
from ._geometry import MapGeometry, coverage_warning, geometry_key, prepare_geometry
from ._inputs import CRS as MAP_CRS
from ._inputs import MapInputs, check_inputs
from ._layers import build_layers, tooltip_fields
from ._local import LocalInputs, LocalLayers, check_local, local_legend
from ._page import NO_TILES, TILES, PageTemplate, tile_layer
from ._palettes import MISSING
from ._panels import AreaFigures, borough_panel, legend_html, ward_panel
from ._payload import PayloadBuilder, esc, row_groups

__all__ = ["ATTRIBUTION", "DEFAULT_SIMPLIFY", "MODES", "prepare_map_geometry", "write_maps"]

logger = logging.getLogger("resilience")

#: ``shared`` (the default): Leaflet and the page script in ``assets/``; ``offline``: all
#: in every page.
MODES = MAP_MODES
#: Coverage-simplification tolerance of each geography, in metres.
DEFAULT_SIMPLIFY = {"oa": 5.0, "lsoa": 10.0, "ward": 20.0}
ATTRIBUTION = (
    "Source: Office for National Statistics licensed under the Open Government Licence "
    "v.3.0; Contains OS data © Crown copyright and database right"
)
INITIAL_LAYER = "resilience_score"
#: Pages larger than this are slow to open; the writer warns.
LARGE_PAGE_BYTES = 20 * 1024 * 1024
#: With at least this many ward pages, worker processes write them (where processes can
#: be forked); below it starting the workers costs more than it saves.
PARALLEL_MIN_PAGES = 100
#: At most this many worker processes.
MAX_WORKERS = 4


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


def _write(path: Path, text: str) -> int:
    data = text.encode("utf-8")
    path.write_bytes(data)
    return len(data)


def _record(path: Path, n: int, sizes: dict[Path, int], *, large: bool = True) -> None:
    """Note a written file's size in ``sizes`` and the log; warn about a large page."""
    sizes[path] = n
    # name the file by its place in the maps folder (the folder itself may be temporary)
    shown = Path(*path.parts[-2:]) if path.parent.name == "wards" else Path(path.name)
    if path.parent.name == ASSETS_FOLDER or path.parent.parent.name == ASSETS_FOLDER:
        return  # the assets are listed together
    logger.info("      maps/%s: %s", shown.as_posix(), _size(n))
    if large and n > LARGE_PAGE_BYTES:
        warnings.warn(
            f"The map {path} is {_size(n)}; browsers may be slow to open it. "
            "Raise the simplify tolerances or map a smaller area.",
            ResilienceWarning,
            stacklevel=4,
        )


def _write_assets(folder: Path, sizes: dict[Path, int]) -> None:
    """Write Leaflet, its images and the page script and styles into ``folder``."""
    total = 0
    for name, data in asset_files().items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        _record(path, len(data), sizes)
        total += len(data)
    logger.info("      maps/%s/: %d files, %s", ASSETS_FOLDER, len(asset_files()), _size(total))


def _workers(requested: int | None, n_pages: int) -> int:
    """Worker processes for ``n_pages`` ward pages (1 = write them in this process)."""
    if requested is not None and (
        isinstance(requested, bool) or not isinstance(requested, int) or requested < 1
    ):
        raise ConfigError(f"workers must be a whole number of at least 1; got {requested!r}.")
    # workers inherit the prepared pages by forking; elsewhere the pages are written here
    if not can_fork():
        return 1
    if requested is not None:
        return requested
    if n_pages < PARALLEL_MIN_PAGES:
        return 1
    return max(1, min(cpu_count(), MAX_WORKERS))


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
        self.oa_by_ward = row_groups(self.oa_ward, n_ward)
        self.lsoa_by_ward = row_groups(self.lsoa_ward, n_ward)
        tree = shapely.STRtree(ward_geom.projected)
        a, b = tree.query(ward_geom.projected, predicate="dwithin", distance=1.0)
        self.neighbours = row_groups(a, n_ward)
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
    mode: str = "shared",
    title: str = "Community resilience",
    indicator_labels: Mapping[str, str] | None = None,
    ward_pages: bool = True,
    simplify: float | Mapping[str, float] | None = None,
    tiles: str | None = TILES,
    tiles_attribution: str | None = None,
    notice: str | None = None,
    workers: int | None = None,
    clustering: str | None = None,
    assets: gpd.GeoDataFrame | None = None,
    validation: pd.DataFrame | None = None,
    validation_area: str = "ward",
    prepared: Mapping[str, MapGeometry] | None = None,
) -> dict:
    """Write the borough map ``index.html`` and one map per ward under ``wards/``.

    The borough map has one layer per cluster share and the resilience score (by output
    area) and the hard-data index, the flag and, when present, the gap cluster (by LSOA),
    shown one at a time with a legend that follows the layer; ward outlines and names on
    top; tooltips with names, codes and values in numbers and words; a ward search and a
    link to each ward's map. Each ward map shows the ward's OAs and LSOAs with the same
    layers and classes, and a panel with the ward's figures against the whole area and
    its ranks (1 = most need). A ward without output areas is drawn grey, "No data".

    The council's own evidence is drawn when it exists, as overlays with their own legend:
    community ``assets`` (one overlay per category; a ward map shows those in the ward or
    within 400 m of it), LSOAs with a ``review_outcome`` (outlined by outcome, with the
    outcome and date in the tooltips) and the areas where the resident survey and the
    prediction disagree beyond the sampling error of both (``validation``).

    Parameters
    ----------
    out_dir : str or Path
        Folder to write into (created if needed; files of the same names are replaced).
    oa, lsoa, ward : GeoDataFrame
        The pipeline's OA, LSOA and ward layers (the output columns), any CRS.
        OA shares may be missing (suppressed); they are drawn grey.
    mode : {"shared", "offline"}, default="shared"
        ``shared``: Leaflet, its images and the page script and styles are written once
        to ``assets/`` and linked relatively from every page, so the pages hold only their
        data and the folder opens from disk, offline or from a shared drive (keep the
        folder together). ``offline``: everything in every page (no street map), so a
        single page can be emailed.
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
    tiles : str or None, default="OpenStreetMap"
        The street map of ``shared`` mode, an optional layer the page goes without when
        its tiles cannot load (the areas always draw): an xyzservices provider name, a URL
        template (``https://.../{z}/{x}/{y}.png``), or None or ``"none"`` for no street
        map. OpenStreetMap's servers may refuse pages opened from disk, which send no
        Referer; serve the maps over HTTP or use another provider (e.g. one with your
        organisation's key).
    tiles_attribution : str, optional
        Attribution of a URL template (HTML allowed, shown as given).
    notice : str, optional
        A warning shown as a banner across the top of every page (plain text), such as
        "TRIAL RUN on a SYNTHETIC survey".
    clustering : str, optional
        What the global Moran's I of the gap says (e.g. "disagreement does not cluster"),
        added to the gap-cluster legend.
    workers : int, optional
        Processes writing the ward pages. By default worker processes (up to
        ``MAX_WORKERS``, one per available CPU) write them when there are at least
        ``PARALLEL_MIN_PAGES``; 1 writes them in this process. Workers are forked, so
        where processes cannot be forked (Windows, macOS) the pages are written in this
        process. The files are the same either way.
    assets : GeoDataFrame, optional
        Community assets, one point each, with ``category`` and optionally ``name``,
        ``size`` and ``lsoa_code`` (the points of a run's ``assets`` layer), any CRS.
    validation : DataFrame, optional
        The per-area table of the resident-survey check (``tables/validation.csv``:
        ``measure``, ``area_code``, ``survey_share``, ``respondents``, ``expected_share``,
        ``disagreement`` and, when known, ``tracks``, the intervals, ``predicted`` and
        ``z``); the areas that disagree are drawn.
    validation_area : {"ward", "lsoa"}, default="ward"
        The areas of ``validation``.
    prepared : mapping, optional
        Geography (``oa``, ``lsoa``, ``ward``) -> its map geometry made ahead by
        :func:`prepare_map_geometry` (e.g. beside the model fits, in another process).
        Each is used only when made from the same shapes with the same tolerance; the
        others are made here. The pages are the same either way.

    Returns
    -------
    dict
        ``index``: path of the borough map; ``wards``: ward code -> path of its map;
        ``assets``: the assets folder (None in ``offline`` mode); ``bytes``: path -> file
        size in bytes (every file written).

    Raises
    ------
    ConfigError
        Unknown ``mode`` (a mode of earlier versions names its replacement) or bad
        ``simplify``/``indicator_labels``/``workers``/``validation_area``.
    InputDataError, CodeMatchError
        The frames (or ``assets``, ``validation``) lack columns or do not fit together
        (see the message).

    Examples
    --------
    >>> import tempfile
    >>> from resilience.synthetic import make_borough
    >>> b = make_borough(seed=1, n_oa=60, n_lsoa=12, n_ward=3, n_respondents=800)
    >>> t = b.truth
    >>> oa = b.oa.join(t.oa_shares, on="oa_code")
    >>> lsoa = b.lsoa.join(t.lsoa_shares.drop(columns="planted"), on="lsoa_code")
    >>> lsoa["hard_index"] = -lsoa["resilience_score"] * 2
    >>> lsoa["flag"] = "agree"
    >>> ward = b.ward
    >>> out = write_maps(tempfile.mkdtemp(), oa, lsoa, ward)
    >>> out["index"].name, len(out["wards"]), out["assets"].name
    ('index.html', 3, 'assets')
    >>> 'src="../assets/leaflet.js"' in out["wards"][ward["ward_code"][0]].read_text()
    True
    """
    check_map_mode(mode)
    tolerances = _tolerances(simplify)
    if tiles is not None and tiles.strip().lower() == NO_TILES:
        tiles = None
    if mode == "offline":
        tiles = None  # a single file to email: no network use at all
    if tiles is not None:
        tile_layer(tiles, tiles_attribution)  # fail early on a bad provider
    inputs = check_inputs(oa, lsoa, ward, indicator_labels)
    inputs.clustering = clustering
    local = check_local(assets, validation, validation_area, inputs)
    n_workers = _workers(workers, len(inputs.ward) if ward_pages else 0)
    run = _Run(
        inputs,
        local,
        tolerances,
        prepared=prepared,
        shared=mode == "shared",
        tiles=tiles,
        tiles_attribution=tiles_attribution,
    )
    if notice:
        run.legend = _notice_html(notice) + run.legend  # the boxes of every page
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    sizes: dict[Path, int] = {}
    assets = None
    if mode == "shared":
        assets = out / ASSETS_FOLDER
        _write_assets(assets, sizes)
    index = out / "index.html"
    if ward_pages:
        wards = run.write_wards(out / "wards", title, sizes, n_workers, index)
    else:
        _record(index, run.write_borough(index, title, ward_pages=False), sizes)
        wards = {}
    return {"index": index, "wards": wards, "assets": assets, "bytes": sizes}


def prepare_map_geometry(
    oa: gpd.GeoDataFrame,
    lsoa: gpd.GeoDataFrame,
    ward: gpd.GeoDataFrame,
    *,
    simplify: float | Mapping[str, float] | None = None,
) -> dict[str, MapGeometry]:
    """The map geometry of the three geographies, for ``write_maps(prepared=...)``.

    It depends on the boundaries alone, so a run makes it beside the model fits (in
    another process, on a CPU that would otherwise wait) and the maps need not. Frames in
    another CRS are reprojected to British National Grid first, as :func:`write_maps` does.

    Examples
    --------
    >>> from resilience.synthetic import make_borough
    >>> b = make_borough(seed=1, n_oa=60, n_lsoa=12, n_ward=3, n_respondents=800)
    >>> ready = prepare_map_geometry(b.oa, b.lsoa, b.ward)
    >>> sorted(ready), len(ready["oa"].geojson)
    (['lsoa', 'oa', 'ward'], 60)
    """
    tolerances = _tolerances(simplify)
    out = {}
    for name, gdf in (("oa", oa), ("lsoa", lsoa), ("ward", ward)):
        shapes = gdf if gdf.crs is None or gdf.crs == MAP_CRS else gdf.to_crs(MAP_CRS)
        out[name] = prepare_geometry(shapes, tolerances[name], labels=name == "ward")
    return out


#: The run whose ward pages forked workers write (set only while they run).
_FORKED: _Run | None = None


def _write_ward_chunk(folder: Path, title: str, positions: list[int]) -> list[int]:
    """In a worker: write the ward pages at ``positions``; return their sizes."""
    assert _FORKED is not None  # set by the parent before forking
    return [_FORKED.write_ward(folder, title, w)[1] for w in positions]


def _notice_html(text: str) -> str:
    """A banner across the top of the page, above the map."""
    return (
        '<div class="rz-notice" role="alert" style="position:fixed;top:8px;left:50%;'
        "transform:translateX(-50%);z-index:2000;max-width:60%;background:#fde8e8;"
        "border:2px solid #b00020;color:#600010;font:bold 14px sans-serif;padding:6px 10px;"
        f'border-radius:4px">{esc(text)}</div>'
    )


class _Run:
    """What every page of one run shares: layers, geometry, data columns, page templates."""

    def __init__(self, inputs: MapInputs, local: LocalInputs, tolerances: dict[str, float], *,
                 prepared: Mapping[str, MapGeometry] | None, shared: bool, tiles: str | None,
                 tiles_attribution: str | None):  # fmt: skip
        self.inputs = inputs
        self.layers = build_layers(inputs)
        self.geometry: dict[str, MapGeometry] = {}
        for name in ("oa", "lsoa", "ward"):
            gdf, labels = getattr(inputs, name), name == "ward"
            ready = (prepared or {}).get(name)
            if ready is None or ready.key != geometry_key(gdf, tolerances[name], labels=labels):
                ready = prepare_geometry(gdf, tolerances[name], labels=labels)
            self.geometry[name] = ready
            if not self.geometry[name].coverage:
                warnings.warn(
                    coverage_warning(name, tolerances[name]), DataQualityWarning, stacklevel=3
                )
        meta = {
            "attribution": esc(ATTRIBUTION),
            "missing": MISSING,
            "fillOpacity": 0.75 if tiles is not None else 0.9,
            "areaSize": round(float(np.sqrt(np.median(self.geometry["oa"].area_m2)))),
        }
        fields = tooltip_fields(inputs, self.layers)
        self.builder = PayloadBuilder(inputs, self.layers, self.geometry, fields, meta)
        self.legend = legend_html(self.layers, INITIAL_LAYER)
        self.local = LocalLayers(inputs, local, self.geometry["ward"])
        self.extent = _union(self.geometry["ward"].extent(), self.geometry["oa"].extent())
        self.templates = {
            where: PageTemplate(
                assets=(prefix + ASSETS_FOLDER + "/") if shared else None,
                layers=self.layers,
                initial=INITIAL_LAYER,
                centre=_centre(self.extent),
                tiles=tiles,
                tiles_attribution=tiles_attribution,
            )
            for where, prefix in (("borough", ""), ("ward", "../"))
        }

    def write_borough(self, path: Path, title: str, *, ward_pages: bool) -> int:
        """Write the map of the whole area; return its size in bytes."""
        n = {name: len(getattr(self.inputs, name)) for name in ("oa", "lsoa", "ward")}
        local = self.local.page(np.arange(n["lsoa"]), np.arange(n["ward"]), None)
        data = self.builder.page(
            oa_rows=np.arange(n["oa"]),
            lsoa_rows=np.arange(n["lsoa"]),
            ward_rows=np.arange(n["ward"]),
            focus=None,
            local=local,
            page_meta={
                "kind": "borough",
                "title": esc(title),
                "bounds": self.extent,
                "wardHref": "wards/{code}.html" if ward_pages else None,
            },
        )
        panel = borough_panel(title, n["ward"], ward_pages=ward_pages, attribution=ATTRIBUTION)
        page = self.templates["borough"].fill(
            title=title,
            data_json=data,
            boxes_html=panel + self.legend + local_legend(local),
        )
        return _write(path, page)

    def _prepare_wards(self) -> None:
        """What the ward pages need besides the shared columns (made once, before forking)."""
        inputs = self.inputs
        self.pages = _WardPages(inputs, self.geometry["ward"])
        self.local.prepare_wards(inputs.ward)
        self.figures = AreaFigures.from_wards(inputs.ward)
        self.ward_rows = pd.DataFrame(inputs.ward.drop(columns=inputs.ward.geometry.name)).to_dict(
            "records"
        )
        wanted = ["ward_code", "lsoa_name", "lsoa_code", "flag", "flag_confidence", "flag_reason",
                  *REVIEW_COLUMNS]  # fmt: skip
        lsoa = pd.DataFrame(inputs.lsoa[[c for c in wanted if c in inputs.lsoa.columns]])
        flagged = lsoa[lsoa["flag"].isin(DISAGREE)]
        self.no_flags = flagged.iloc[:0]
        self.flagged_by_ward = dict(list(flagged.groupby("ward_code", sort=False)))

    def write_ward(self, folder: Path, title: str, w: int) -> tuple[Path, int]:
        """Write the map of the ward at position ``w``; return its path and size."""
        geometry, pages = self.geometry, self.pages
        row = self.ward_rows[w]
        code = row["ward_code"]
        oa_rows, lsoa_rows, ward_rows = pages.rows(w)
        extent = geometry["ward"].extent(np.array([w]))
        if len(oa_rows):
            extent = _union(extent, geometry["oa"].extent(oa_rows))
        local = self.local.page(lsoa_rows, ward_rows, w)
        data = self.builder.page(
            oa_rows=oa_rows,
            lsoa_rows=lsoa_rows,
            ward_rows=ward_rows,
            focus=w,
            local=local,
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
            self.figures,
            self.flagged_by_ward.get(code, self.no_flags),
            has_areas=len(oa_rows) > 0,
            home_href="../index.html",
            attribution=ATTRIBUTION,
        )
        page = self.templates["ward"].fill(
            title=f"{row['ward_name']} ({code}) – {title}",
            data_json=data,
            boxes_html=panel + self.legend + local_legend(local),
        )
        path = folder / f"{code}.html"
        return path, _write(path, page)

    def write_wards(
        self, folder: Path, title: str, sizes: dict[Path, int], workers: int, index: Path
    ) -> dict[str, Path]:
        """Write the borough map ``index`` and one map per ward into ``folder``.

        With ``workers`` > 1, forked worker processes write the ward pages in contiguous
        chunks while this process writes the borough map; the files are the same.
        Returns ward code -> path.
        """
        global _FORKED
        folder.mkdir(exist_ok=True)
        self._prepare_wards()
        n = len(self.inputs.ward)
        codes = self.inputs.ward["ward_code"].tolist()
        paths = {code: folder / f"{code}.html" for code in codes}
        if workers <= 1:
            _record(index, self.write_borough(index, title, ward_pages=True), sizes)
            for w in range(n):
                path, size = self.write_ward(folder, title, w)
                _record(path, size, sizes)
            return paths
        chunks = [c.tolist() for c in np.array_split(np.arange(n), workers * 4) if len(c)]
        _FORKED = self
        try:
            context = multiprocessing.get_context("fork")
            with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
                with frozen_for_fork():  # the workers are forked at the first submit
                    futures = [pool.submit(_write_ward_chunk, folder, title, c) for c in chunks]
                borough = self.write_borough(index, title, ward_pages=True)
                done = [f.result() for f in futures]
        finally:
            _FORKED = None
        _record(index, borough, sizes)
        for chunk, chunk_sizes in zip(chunks, done, strict=True):
            for w, size in zip(chunk, chunk_sizes, strict=True):
                _record(paths[codes[w]], size, sizes)
        return paths


def _union(a: list[list[float]], b: list[list[float]]) -> list[list[float]]:
    return [
        [min(a[0][0], b[0][0]), min(a[0][1], b[0][1])],
        [max(a[1][0], b[1][0]), max(a[1][1], b[1][1])],
    ]
