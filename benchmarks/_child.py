"""The measured processes of the benchmark; run by ``run.py``, one fresh process each.

``python benchmarks/_child.py build SCALE SEED DIR VERTICES JSON``
    build and write the synthetic inputs (not timed).
``python benchmarks/_child.py pipeline CONFIG OUT [--analysis-only] [--floors] [--explore] JSON``
    the stages of ``resilience run`` through the library, as the CLI runs them (and the
    process ends as the command ends it, without freeing the run's objects), each stage
    measured; with ``--floors`` also the pyogrio-alone write of the same output layers and
    a bare xlsxwriter write of the workbook's cells, and with ``--explore`` the borough map
    alone and ``GeoDataFrame.explore()`` of its layers.
``python benchmarks/_child.py read-floor CONFIG JSON``
    pyogrio alone reading every input file of the config.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import time
from importlib.util import find_spec
from pathlib import Path

sys.path[:0] = [str(Path(__file__).resolve().parents[1]), str(Path(__file__).resolve().parent)]

from _meter import Meter, measuring_progress, wrap  # noqa: E402
from _xlsx_writers import bare_xlsxwriter, sheets_of  # noqa: E402

#: Writers called by resilience.outputs.save.save_result, measured as sub-stages.
OUTPUT_PARTS = {
    "write_geopackage": "outputs.geopackage",
    "_write_model": "outputs.model_files",
    "write_tables": "outputs.tables",
    "write_report": "outputs.report",
    "_write_local": "outputs.review_pack",
    "build_manifest": "manifest",
}


def _dump(path: str, data: dict) -> None:
    Path(path).write_text(json.dumps(data, indent=2, default=str), encoding="utf-8")


def _threads() -> list[dict]:
    from threadpoolctl import threadpool_info

    return [
        {k: i.get(k) for k in ("user_api", "internal_api", "num_threads", "version")}
        for i in threadpool_info()
    ]


def explore_map(oa, lsoa, ward, path: Path) -> None:
    """The borough map's layers drawn with ``GeoDataFrame.explore()`` and saved to HTML.

    One layer per mapped column (resilience score and the six shares on OAs; hard index,
    flag and gap cluster on LSOAs), each from a frame holding only its code and value
    (so the default tooltip shows those two), ward outlines, and a layer control.
    """
    import folium

    from resilience.clusters import share_columns

    layers = [(oa, "oa_code", c) for c in ["resilience_score", *share_columns()]]
    layers += [(lsoa, "lsoa_code", c) for c in ("hard_index", "flag", "gap_cluster") if c in lsoa]
    m = None
    for gdf, code, col in layers:
        m = gdf[[code, col, "geometry"]].explore(column=col, m=m, name=col, show=m is None)
    ward[["ward_code", "ward_name", "geometry"]].explore(
        m=m, name="wards", style_kwds={"fill": False, "color": "black", "weight": 2}
    )
    folium.LayerControl().add_to(m)
    m.save(str(path))


def _workbook_sheets(result) -> dict:
    """The data sheets ``save_result`` gives the workbook, as plain frames (not timed)."""
    from resilience.outputs.save import _model_tables
    from resilience.outputs.tables import WORKBOOK_MAX_OAS

    model = _model_tables(result)
    extra = {
        "Cluster profiles": model["cluster_profiles"],
        "Factor loadings": model["factor_loadings"],
        "Area estimates": model["area_estimates"],
    }
    oa = result.oa if len(result.oa) <= WORKBOOK_MAX_OAS else None  # as write_tables decides
    return sheets_of(result.lsoa, result.ward, result.flags, oa, extra)


def _floors(result, cfg, out: Path, meter: Meter, explore: bool, write_maps) -> dict:
    import pyogrio

    sizes = {}
    scratch = out.parent / (out.name + "_floors")
    scratch.mkdir(parents=True, exist_ok=True)
    layers = {"oa": result.oa, "lsoa": result.lsoa, "ward": result.ward}
    for arrow in (False, True):
        path = scratch / f"pyogrio{'_arrow' if arrow else ''}.gpkg"
        path.unlink(missing_ok=True)
        with meter.measure(f"floor.write_pyogrio{'_arrow' if arrow else ''}"):
            for name, gdf in layers.items():
                pyogrio.write_dataframe(gdf, path, layer=name, use_arrow=arrow)
        sizes[path.name] = path.stat().st_size
    sheets = _workbook_sheets(result)
    with meter.measure("floor.write_xlsxwriter"):
        bare_xlsxwriter(sheets, scratch / "bare.xlsx")
    sizes["bare.xlsx"] = (scratch / "bare.xlsx").stat().st_size
    if explore:
        if write_maps is not None:
            with meter.measure("floor.borough_map_only"):
                write_maps(
                    scratch / "maps",
                    result.oa,
                    result.lsoa,
                    result.ward,
                    mode=cfg["maps"]["mode"],
                    title=cfg["title"],
                    indicator_labels=result.indicator_labels,
                    ward_pages=False,
                    tiles=cfg["maps"]["tiles"],
                    tiles_attribution=cfg["maps"]["tiles_attribution"],
                )
            sizes["borough_map_html"] = (scratch / "maps" / "index.html").stat().st_size
        with meter.measure("floor.explore"):
            explore_map(result.oa, result.lsoa, result.ward, scratch / "explore.html")
        sizes["explore_html"] = (scratch / "explore.html").stat().st_size
    return sizes


def pipeline(config: str, out: str, json_path: str, flags: list[str]) -> None:
    """Measure every stage of one run (stages as logged by the library)."""
    from resilience.cli import tune_allocator

    tune_allocator()  # as the installed command does before it runs
    t0 = time.perf_counter()
    meter = Meter()
    with meter.measure("import"):
        import resilience.outputs.save as save
        from resilience.config import load_config
        from resilience.pipeline import STAGES, run
        from resilience.runner import run_to_folder
    for attr, name in OUTPUT_PARTS.items():
        wrap(save, attr, name, meter)
    maps_available = find_spec("resilience.maps") is not None
    original_write_maps = None
    if maps_available:
        import resilience.maps as maps
        from resilience.maps import _write as map_writer

        original_write_maps = maps.write_maps
        wrap(maps, "write_maps", "outputs.maps", meter)
        # the ward pages and the borough map beside them (workers when there are many)
        wrap(map_writer._Run, "write_wards", "outputs.maps.ward_pages", meter)
    cfg = load_config(config)
    analysis_only = "--analysis-only" in flags
    progress = measuring_progress(STAGES + 1, meter)
    with meter.measure("total"):
        if analysis_only:
            result = run(cfg, progress=progress)
        else:
            result = run_to_folder(
                cfg, Path(out), overwrite=True, maps=maps_available, progress=progress
            )
    data = {
        "maps": "measured" if maps_available and not analysis_only else "not available",
        "counts": result.counts,
        "threads": _threads(),
    }
    if not analysis_only:
        files = [p for p in Path(out).rglob("*") if p.is_file()]
        data["output_bytes"] = {
            "resilience.gpkg": (Path(out) / "resilience.gpkg").stat().st_size,
            "maps": sum(p.stat().st_size for p in files if "maps" in p.parts),
            "n_map_files": sum(1 for p in files if "maps" in p.parts),
            "all": sum(p.stat().st_size for p in files),
        }
    if "--floors" in flags:
        data["floor_bytes"] = _floors(
            result, cfg, Path(out), meter, "--explore" in flags, original_write_maps
        )
    data["stages"] = meter.records
    data["peak_mib"] = meter.overall_mib
    data["peak_resettable"] = meter.resettable
    data["process_wall_s"] = round(time.perf_counter() - t0, 3)
    _dump(json_path, data)


def _input_files(cfg) -> dict[str, Path]:
    files = {}
    for role in ("oa", "lsoa", "ward", "lookup", "population"):
        entry = cfg["geography"].get(role)
        if entry:
            files[role] = Path(entry["path"])
    files["classification"] = Path(cfg["classification"]["path"])
    files["survey"] = Path(cfg["survey"]["path"])
    for i, table in enumerate(cfg["hard"]["tables"]):
        files[f"hard{i}"] = Path(table["path"])
    return files


def read_floor(config: str, json_path: str) -> None:
    """pyogrio alone reading every input file (text tables through GDAL's CSV driver)."""
    import pyogrio

    from resilience.config import load_config

    files = _input_files(load_config(config))
    meter = Meter()
    for arrow in (False, True):
        suffix = "_arrow" if arrow else ""
        with meter.measure(f"floor.read_pyogrio{suffix}"):
            for role, path in files.items():
                source = str(path) if path.suffix == ".gpkg" else f"CSV:{path}"
                with meter.measure(f"floor.read_pyogrio{suffix}.{role}"):
                    pyogrio.read_dataframe(source, use_arrow=arrow)
    _dump(json_path, {"stages": meter.records, "files": {k: str(v) for k, v in files.items()}})


def main(argv: list[str]) -> None:
    cmd, *rest = argv
    if cmd == "build":
        from _inputs import build_inputs

        scale, seed, folder, vertices, json_path = rest
        _dump(json_path, build_inputs(scale, int(seed), Path(folder), vertices))
    elif cmd == "pipeline":
        config, out, *flags, json_path = rest
        pipeline(config, out, json_path, flags)
        # the process then ends as the installed command ends (resilience.cli.console):
        # streams flushed, the run's objects not freed one by one
        logging.shutdown()
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(0)
    elif cmd == "read-floor":
        read_floor(*rest)
    else:
        raise SystemExit(f"unknown command {cmd!r}")


if __name__ == "__main__":
    main(sys.argv[1:])
