"""Synthetic benchmark inputs at borough, London and national scale (building is not timed).

OA boundaries from :func:`resilience.synthetic.make_borough` carry about 27 vertices per
polygon; ONS generalised (BGC, 20 m) boundaries carry fewer: the London OA 2011
generalised polygons in ``/work/shared/realdata/london/oa11_london.gpkg`` average 13.6
vertices (median 13) and the ONS BGC LSOA 2021 polygons 32.9. With ``vertices="ons"`` the
OAs are coverage-simplified (shared edges stay shared) with a tolerance proportional to the
OA spacing that gives about 14 vertices, and the LSOAs and wards are dissolved again from
the simplified OAs, so nesting stays exact.
"""

from __future__ import annotations

import json
from pathlib import Path

__all__ = ["AUTHORITIES", "SCALES", "VARIANTS", "build_inputs", "variant_configs", "vertex_stats"]

#: Sizes per scale. The survey is a national UKHLS-like file at every scale but the
#: borough, where it is the demo's own (8,000 respondents).
SCALES: dict[str, dict[str, float]] = {
    "borough": {
        "n_oa": 700, "n_lsoa": 140, "n_ward": 20, "n_respondents": 8_000,
        "area_per_oa_m2": 70_000,
    },
    "london": {
        "n_oa": 25_000, "n_lsoa": 4_800, "n_ward": 630, "n_respondents": 40_000,
        "area_per_oa_m2": 62_350,  # the mean of the London OA 2011 polygons
    },
    "national": {  # England and Wales: about 151,000 km² over 188,880 OAs (2021)
        "n_oa": 188_880, "n_lsoa": 35_672, "n_ward": 7_000, "n_respondents": 40_000,
        "area_per_oa_m2": 800_000,
    },
}  # fmt: skip

#: Local authorities the wards are grouped into (``resilience.synthetic.split_authorities``):
#: London's 33 and about the 330 of England and Wales; the borough is one.
AUTHORITIES = {"borough": 1, "london": 33, "national": 330}

#: Config variants measured besides the defaults: the cost of the resampling steps.
VARIANTS = {
    "model_n_boot_0": "[model]\nn_boot = 0\n",
    "estimates_n_boot_0": "[estimates]\nn_boot = 0\n",
}

#: Coverage-simplification tolerance as a share of the OA spacing (sqrt of the OA area);
#: 0.042 gives 13-14 vertices per OA, as the ONS generalised London OAs have.
ONS_TOLERANCE = 0.042


def vertex_stats(geoms) -> dict[str, float]:
    """Mean and median vertex count of polygons."""
    import numpy as np
    import shapely

    n = shapely.get_num_coordinates(np.asarray(geoms))
    return {"mean": round(float(n.mean()), 1), "median": float(np.median(n))}


def _dissolve(gdf, by: str, order):
    import numpy as np

    merged = gdf[[by, "geometry"]].dissolve(by=by, method="coverage").geometry
    return np.asarray(merged.reindex(order).values, dtype=object)


def _ons_like(b, area_per_oa_m2: float) -> float:
    """Coverage-simplify the OAs; rebuild LSOAs and wards from them. Returns the tolerance."""
    import geopandas as gpd
    import numpy as np
    import shapely

    tol = ONS_TOLERANCE * float(np.sqrt(area_per_oa_m2))
    crs = b.oa.crs
    oa_geom = shapely.coverage_simplify(np.asarray(b.oa.geometry.values), tol)
    b.oa = b.oa.set_geometry(gpd.GeoSeries(oa_geom, index=b.oa.index, crs=crs))
    lsoa_geom = _dissolve(b.oa, "lsoa_code", b.lsoa["lsoa_code"])
    b.lsoa = b.lsoa.set_geometry(gpd.GeoSeries(lsoa_geom, index=b.lsoa.index, crs=crs))
    ward_geom = _dissolve(b.lsoa, "ward_code", b.ward["ward_code"])
    b.ward = b.ward.set_geometry(gpd.GeoSeries(ward_geom, index=b.ward.index, crs=crs))
    return tol


def build_inputs(scale: str, seed: int, folder: Path, vertices: str = "ons") -> dict:
    """Build the synthetic area of ``scale``, write its files and variant configs to ``folder``.

    Returns a description (sizes, vertex counts, paths) that is also written to
    ``folder/bench_inputs.json``.
    """
    from resilience.synthetic import make_borough, split_authorities

    sizes = SCALES[scale]
    b = make_borough(
        seed=seed, **{k: (int(v) if k != "area_per_oa_m2" else v) for k, v in sizes.items()}
    )
    tol = _ons_like(b, sizes["area_per_oa_m2"]) if vertices == "ons" else None
    if AUTHORITIES[scale] > 1:
        split_authorities(b, AUTHORITIES[scale])
    paths = b.write(folder, overwrite=True)
    info = {
        "scale": scale,
        "seed": seed,
        "sizes": {
            "oa": len(b.oa),
            "lsoa": len(b.lsoa),
            "ward": len(b.ward),
            "respondents": len(b.survey),
            "authorities": AUTHORITIES[scale],
        },
        "area_km2": round(float(b.oa.geometry.area.sum()) / 1e6, 1),
        "vertices_mode": vertices,
        "simplify_tolerance_m": None if tol is None else round(tol, 2),
        "vertices": {
            k: vertex_stats(getattr(b, k).geometry.values) for k in ("oa", "lsoa", "ward")
        },
        "input_bytes": {p.name: p.stat().st_size for p in sorted((folder / "data").iterdir())},
        "config": str(paths["config"]),
    }
    (folder / "bench_inputs.json").write_text(json.dumps(info, indent=2), encoding="utf-8")
    return info


def variant_configs(config: Path) -> dict[str, str]:
    """The default config and one per :data:`VARIANTS` entry, written beside it."""
    base = config.read_text(encoding="utf-8")
    out = {"default": str(config)}
    for name, extra in VARIANTS.items():
        p = config.with_name(f"resilience_{name}.toml")
        p.write_text(base + "\n" + extra, encoding="utf-8")
        out[name] = str(p)
    return out
