"""Writing downloaded products: GeoPackages, lookup CSV, provenance and starter config."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio

from .._progress import logger
from ._client import ArcGISClient
from ._config import config_text
from ._fetch import Fetched, field_of
from ._services import Service

__all__ = ["FILES", "write_all"]

#: Files written by :func:`~resilience.download.download_boundaries`, by key.
FILES: dict[str, str] = {
    "oa": "oa.gpkg",
    "lsoa": "lsoa.gpkg",
    "ward": "wards.gpkg",
    "lad": "lad.gpkg",
    "lookup": "lookup.csv",
    "provenance": "provenance.json",
    "config": "resilience.toml",
}


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _title(names: list[str]) -> str:
    joined = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
    return f"{joined} community resilience"


def _columns(svc: dict[str, Service]) -> dict[str, str]:
    return {
        "oa": field_of(svc["oa"], "code", "oa"),
        "lsoa": field_of(svc["lsoa"], "code", "lsoa"),
        "lsoa_name": field_of(svc["lsoa"], "name", "lsoa"),
        "ward": field_of(svc["ward"], "code", "ward"),
        "ward_name": field_of(svc["ward"], "name", "ward"),
        "lad": field_of(svc["lad"], "code", "lad"),
        "lad_name": field_of(svc["lad"], "name", "lad"),
    }


def _lookup_frame(fetched: dict[str, Fetched], svc: dict[str, Service]) -> pd.DataFrame:
    """OA → LSOA → ward → LAD, with names, in the boundary layers' column names."""
    ow, ol = fetched["oa_ward"], fetched["oa_lsoa"]
    fw, fl = svc["oa_ward"].fields, svc["oa_lsoa"].fields
    c = _columns(svc)
    lsoa_names = fetched["lsoa"].frame.set_index(c["lsoa"])[c["lsoa_name"]]
    lad_names = fetched["lad"].frame.set_index(c["lad"])[c["lad_name"]]
    lsoa_of = pd.Series(ol.frame[fl["lsoa"]].to_numpy(), index=ol.frame[fl["oa"]].to_numpy())
    lk = pd.DataFrame(
        {
            c["oa"]: ow.frame[fw["oa"]].to_numpy(),
            c["ward"]: ow.frame[fw["ward"]].to_numpy(),
            c["ward_name"]: ow.frame[fw["ward_name"]].to_numpy(),
            c["lad"]: ow.frame[fw["lad"]].to_numpy(),
        }
    )
    lk[c["lsoa"]] = lk[c["oa"]].map(lsoa_of)
    lk[c["lsoa_name"]] = lk[c["lsoa"]].map(lsoa_names)
    lk[c["lad_name"]] = lk[c["lad"]].map(lad_names)
    order = ["oa", "lsoa", "lsoa_name", "ward", "ward_name", "lad", "lad_name"]
    return lk[[c[k] for k in order]].sort_values(c["oa"], ignore_index=True)


def _boundary_layers(
    fetched: dict[str, Fetched], lookup: pd.DataFrame, c: dict[str, str]
) -> dict[str, gpd.GeoDataFrame]:
    """The four boundary layers, with parent codes from the lookup, sorted by code."""
    oa = fetched["oa"].frame.copy()
    parents = lookup.set_index(c["oa"])
    for col in ("lsoa", "ward", "lad"):
        oa[c[col]] = oa[c["oa"]].map(parents[c[col]])
    lsoa = fetched["lsoa"].frame.copy()
    lsoa[c["lad"]] = lsoa[c["lsoa"]].map(
        lookup.drop_duplicates(c["lsoa"]).set_index(c["lsoa"])[c["lad"]]
    )
    ward = fetched["ward"].frame.copy()
    ward[c["lad"]] = ward[c["ward"]].map(
        lookup.drop_duplicates(c["ward"]).set_index(c["ward"])[c["lad"]]
    )
    layers = {
        "oa": oa[[c["oa"], c["lsoa"], c["ward"], c["lad"], "geometry"]],
        "lsoa": lsoa[[c["lsoa"], c["lsoa_name"], c["lad"], "geometry"]],
        "ward": ward[[c["ward"], c["ward_name"], c["lad"], "geometry"]],
        "lad": fetched["lad"].frame[[c["lad"], c["lad_name"], "geometry"]],
    }
    code = {"oa": c["oa"], "lsoa": c["lsoa"], "ward": c["ward"], "lad": c["lad"]}
    return {k: v.sort_values(code[k], ignore_index=True) for k, v in layers.items()}


def write_all(
    fetched: dict[str, Fetched],
    svc: dict[str, Service],
    out_dir: Path,
    *,
    codes: list[str],
    vintage: int,
    created: str,
    version: str,
    client: ArcGISClient,
) -> dict[str, Path]:
    """Write every file into a hidden staging folder, then move them into ``out_dir``."""
    c = _columns(svc)
    lookup = _lookup_frame(fetched, svc)
    layers = _boundary_layers(fetched, lookup, c)
    attribution = (
        "Source: Office for National Statistics licensed under the Open Government Licence "
        f"v.3.0. Contains OS data © Crown copyright and database right {created[:4]}."
    )
    created_dir = not out_dir.exists()
    out_dir.mkdir(parents=True, exist_ok=True)
    stage = Path(tempfile.mkdtemp(prefix=".resilience-download-", dir=out_dir))
    try:
        files: dict[str, dict[str, object]] = {}
        for key, gdf in layers.items():
            path = stage / FILES[key]
            src = fetched[key]
            pyogrio.write_dataframe(
                gdf,
                path,
                layer=key,
                driver="GPKG",
                promote_to_multi=True,
                layer_metadata={
                    "source": f"ONS Open Geography Portal, {src.layer_url}",
                    "retrieved": src.retrieved,
                    "attribution": attribution,
                },
            )
            files[FILES[key]] = {"layer": key, "sources": [src.source()]}
        lookup.to_csv(stage / FILES["lookup"], index=False, encoding="utf-8", lineterminator="\n")
        files[FILES["lookup"]] = {
            "sources": [fetched[k].source() for k in ("oa_ward", "oa_lsoa")],
            "names_from": [fetched[k].service.name for k in ("lsoa", "lad")],
        }
        for name, entry in files.items():
            path = stage / name
            count = len(lookup) if name == FILES["lookup"] else len(layers[str(entry["layer"])])
            entry.update(
                count=count,
                sha256=_sha256(path),
                bytes=path.stat().st_size,
                resilience_version=version,
            )
        lad_names = layers["lad"].set_index(c["lad"])[c["lad_name"]]
        config = config_text(
            title=_title([str(lad_names.get(code, code)) for code in codes]),
            files={k: FILES[k] for k in ("oa", "lsoa", "ward", "lookup")},
            columns=c,
            lad_codes=codes,
            vintage=vintage,
            created=created,
            version=version,
            attribution=attribution,
        )
        (stage / FILES["config"]).write_text(config, encoding="utf-8")
        provenance = {
            "created": created,
            "generator": f"resilience {version}: resilience download boundaries",
            "resilience_version": version,
            "base_url": client.base_url,
            "vintage": vintage,
            "lad_codes": codes,
            "services": {k: s.name for k, s in svc.items()},
            "requests": client.requests_made,
            "attribution": attribution,
            "files": files,
            "config": FILES["config"],
        }
        (stage / FILES["provenance"]).write_text(
            json.dumps(provenance, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
        )
        paths = {}
        for key, name in FILES.items():
            os.replace(stage / name, out_dir / name)
            paths[key] = out_dir / name
    except BaseException:
        shutil.rmtree(stage, ignore_errors=True)
        if created_dir and not any(out_dir.iterdir()):
            out_dir.rmdir()
        raise
    stage.rmdir()
    logger.info(
        "Wrote %s to %s: %d OAs, %d LSOAs, %d wards. Next: add your survey, classification "
        "and hard data to %s, then run `resilience check %s`.",
        ", ".join(FILES.values()),
        out_dir,
        len(layers["oa"]),
        len(layers["lsoa"]),
        len(layers["ward"]),
        FILES["config"],
        out_dir / FILES["config"],
    )
    return paths
