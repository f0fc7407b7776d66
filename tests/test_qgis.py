"""The GeoPackage of a run opened in QGIS itself: styles applied, listed once, no warning, drawn.

PyQGIS runs under the system Python (Debian ``qgis`` and ``python3-qgis``, which ``.ci/run``
installs), so the checks run ``tests/qgis_probe.py`` in a subprocess with
``QT_QPA_PLATFORM=offscreen`` and read the JSON it prints. The tests skip when
``/usr/bin/python3`` cannot import ``qgis.core``.

The GeoPackage is the synthetic borough's run, written by :func:`save_result`, with values
removed from some areas of every layer (as when disclosure control suppresses an estimate
or an LSOA has no hard data) so the grey "No data / suppressed" class is exercised. The
renders are saved to ``tests/artifacts/qgis/`` for people to look at.
"""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import sqlite3
import subprocess
import xml.etree.ElementTree as ET
from contextlib import closing
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import resilience as rs
from resilience.clusters import CLUSTERS, share_columns
from resilience.outputs.qml import NO_DATA_COLOUR, NO_DATA_LABEL
from resilience.outputs.save import save_result

pytestmark = pytest.mark.qgis

SYSTEM_PYTHON = "/usr/bin/python3"
PROBE = Path(__file__).resolve().parent / "qgis_probe.py"
ARTIFACTS = Path(__file__).resolve().parent / "artifacts" / "qgis"
GREY = tuple(int(NO_DATA_COLOUR[i : i + 2], 16) for i in (1, 3, 5))
SHARES = share_columns()


def _qgis_available() -> bool:
    if not Path(SYSTEM_PYTHON).is_file():
        return False
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    try:
        done = subprocess.run(
            [SYSTEM_PYTHON, "-c", "import qgis.core"], env=env, capture_output=True, timeout=60
        )
    except (OSError, subprocess.TimeoutExpired):
        return False
    return done.returncode == 0


if not _qgis_available():
    pytest.skip(
        f"{SYSTEM_PYTHON} cannot import qgis.core (install qgis, python3-qgis)",
        allow_module_level=True,
    )


def _with_missing_values(result):
    """The run with values removed: 5 OAs, 3 LSOAs and 2 wards."""
    oa, lsoa, ward = result.oa.copy(), result.lsoa.copy(), result.ward.copy()
    estimate = [*SHARES, *share_columns("_lo"), *share_columns("_hi"), "resilience_score"]
    oa.loc[oa.index[[3, 50, 120, 300, 650]], [*estimate, "dominant_cluster"]] = None
    hard = [i.slug for i in result.hard.indicators]
    comparison = ["hard_index", "hard_quintile", "gap", "flag", "flag_confidence", "flag_reason"]
    lsoa.loc[lsoa.index[[7, 70]], [*hard, *comparison]] = None
    lsoa.loc[lsoa.index[[100]], [c for c in estimate if c in lsoa]] = None
    ward.loc[ward.index[[4]], [*SHARES, "resilience_score"]] = None
    ward.loc[ward.index[[12]], "hard_index"] = None
    return dataclasses.replace(result, oa=oa, lsoa=lsoa, ward=ward)


@pytest.fixture(scope="module")
def gpkg(borough, tmp_path_factory):
    folder = tmp_path_factory.mktemp("qgis")
    files = borough.write(folder / "northbridge")
    result = _with_missing_values(rs.run(files["config"]))
    paths = save_result(result, folder / "out", maps=False)
    return paths["geopackage"]


def _probe(path: Path, folder: Path, runtime: Path) -> tuple[dict, str]:
    folder.mkdir(parents=True, exist_ok=True)
    runtime.mkdir(mode=0o700, exist_ok=True)
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "XDG_RUNTIME_DIR": str(runtime)}
    done = subprocess.run(
        [SYSTEM_PYTHON, str(PROBE), str(path), str(folder)],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout), done.stderr


@pytest.fixture(scope="module")
def probed(gpkg):
    if ARTIFACTS.exists():
        shutil.rmtree(ARTIFACTS)
    return _probe(gpkg, ARTIFACTS, gpkg.parent.parent / "xdg")


@pytest.fixture(scope="module")
def report(probed):
    return probed[0]


def _styles(path: Path) -> dict[str, list[tuple[str, str, bool]]]:
    with closing(sqlite3.connect(path)) as con:
        rows = con.execute(
            "SELECT f_table_name, styleName, styleQML, useAsDefault FROM layer_styles ORDER BY id"
        ).fetchall()
    out: dict[str, list[tuple[str, str, bool]]] = {}
    for table, name, qml, default in rows:
        out.setdefault(table, []).append((name, qml, bool(default)))
    return out


def _root(qml: str) -> ET.Element:
    return ET.fromstring(qml.split("\n", 1)[1])


def _labels(qml: str) -> list[str]:
    return [e.get("label") for e in _root(qml).iter() if e.tag in ("category", "rule", "range")]


def _fill_colours(qml: str) -> set[tuple[int, ...]]:
    """Fill colours of a style's classes (RGB), from its symbols."""
    found = _root(qml).findall("renderer-v2/symbols/symbol/layer/Option/Option[@name='color']")
    return {tuple(int(v) for v in o.get("value").split(",")[:3]) for o in found}


def _pixels(path: str) -> np.ndarray:
    return np.asarray(Image.open(path).convert("RGB")).reshape(-1, 3)


def _share_of(pixels: np.ndarray, rgb: tuple[int, int, int]) -> float:
    return float((pixels == rgb).all(axis=1).mean())


# --------------------------------------------------------------------------- loading


def test_qgis_opens_every_layer_without_a_warning(probed):
    report, stderr = probed
    assert report["qgis"].startswith("3.")
    for name, layer in report["layers"].items():
        assert layer["valid"], name
    assert layer_counts(report) == {"oa": 700, "lsoa": 140, "ward": 20}
    warnings = [
        m
        for m in report["messages"]
        if m[1] >= report["warning_level"] and not _missing_grid_notice(m[2])
    ]
    assert warnings == []
    # GDAL prints its own warnings (e.g. an unsupported GeoPackage version) on stderr.
    noisy = [
        line for line in stderr.splitlines() if "warning" in line.lower() or "error" in line.lower()
    ]
    assert noisy == []
    assert "GeoPackage" not in stderr


def _missing_grid_notice(text: str) -> bool:
    """QGIS's notice that PROJ lacks the OSTN15 grid (Debian's proj-data has none).

    QGIS prints it for any EPSG:27700 layer when it computes the layer's WGS 84 extent on a
    machine without the grid, whatever the file; it says nothing about the GeoPackage.
    """
    return (
        text.startswith("Using non-preferred coordinate operation between EPSG:27700 and EPSG:4326")
        and "uk_os_OSTN15_NTv2_OSGBtoETRS" in text
    )


def layer_counts(report: dict) -> dict[str, int]:
    return {name: layer["features"] for name, layer in report["layers"].items()}


def test_default_style_is_applied(report, gpkg):
    stored = _styles(gpkg)
    for name, layer in report["layers"].items():
        ((_, qml, _),) = [s for s in stored[name] if s[2]]
        assert [c["label"] for c in layer["classes"]] == _labels(qml), name
    oa, lsoa, ward = (report["layers"][n] for n in ("oa", "lsoa", "ward"))
    assert oa["renderer"] == "categorizedSymbol"
    assert [c["label"] for c in oa["classes"]] == [c.label for c in CLUSTERS] + [NO_DATA_LABEL]
    assert lsoa["renderer"] == "categorizedSymbol"
    assert [c["value"] for c in lsoa["classes"]] == ["agree", "predicted_worse", "hard_worse", ""]
    assert ward["renderer"] == "RuleRenderer"
    rules = ward["classes"]
    assert [r["else"] for r in rules] == [False] * (len(rules) - 1) + [True]
    assert rules[-1]["label"] == NO_DATA_LABEL and 3 <= len(rules) - 1 <= 5
    assert all('"resilience_score"' in r["filter"] for r in rules[:-1])


def test_each_style_is_listed_once(report, gpkg):
    stored = _styles(gpkg)
    total = sum(len(v) for v in stored.values())
    for name, layer in report["layers"].items():
        styles = layer["styles"]
        assert styles["related"] == len(stored[name]), name
        assert len(styles["ids"]) == len(set(styles["ids"])) == total, name
        assert styles["names"][: styles["related"]] == [s[0] for s in stored[name]]


def test_every_style_loads_and_draws_every_feature_once(report, gpkg):
    stored = _styles(gpkg)
    for name, layer in report["layers"].items():
        renders = layer["renders"]
        assert [r["name"] for r in renders] == [s[0] for s in stored[name]]
        for entry, (_, qml, _) in zip(renders, stored[name], strict=True):
            assert entry["error"] == "", (name, entry["name"])
            assert entry["renderer"] in ("categorizedSymbol", "RuleRenderer")
            assert [c["label"] for c in entry["classes"]] == _labels(qml)
            # one class per feature: nothing left undrawn, nothing drawn twice
            drawn = entry["drawn"]
            assert len(drawn) == layer["features"]
            assert all(len(d) == 1 for d in drawn.values()), (name, entry["name"])
            grey = {int(fid) for fid, d in drawn.items() if d == [NO_DATA_LABEL]}
            assert grey == set(entry["missing"]), (name, entry["name"])


def test_missing_values_exist_where_planted(report):
    missing = {
        (name, r["name"]): len(r["missing"])
        for name, layer in report["layers"].items()
        for r in layer["renders"]
    }
    assert missing[("oa", "Dominant cluster")] == 5
    assert missing[("oa", "Resilience score")] == 5
    assert missing[("lsoa", "Disagreement flag")] == 2
    assert missing[("lsoa", "Hard index")] == 2
    assert missing[("lsoa", "Resilience score")] == 1
    assert missing[("ward", "Resilience score")] == 1
    assert missing[("ward", "Hard index")] == 1


# --------------------------------------------------------------------------- renders


def test_renders_draw_every_area(report):
    drawn = {}
    for name, layer in report["layers"].items():
        for entry in layer["renders"]:
            pixels = _pixels(entry["png"])
            drawn[name, entry["name"]] = 1 - _share_of(pixels, tuple(report["background"]))
            assert len({tuple(p) for p in pixels[::7]}) >= 4, (name, entry["name"])
    # Every style of every layer covers the whole borough: the same share of the image
    # (measured 0.6140 to 0.6142 for all 25 styles; before the grey class, graduated
    # styles left the areas without a value undrawn: 0.6110 for OAs, 0.5783 for wards).
    assert min(drawn.values()) > 0.6
    assert max(drawn.values()) - min(drawn.values()) < 0.0005, drawn


def test_features_without_a_value_are_drawn_grey(report, gpkg):
    stored = _styles(gpkg)
    checked = 0
    for name, layer in report["layers"].items():
        for entry, (_, qml, _) in zip(layer["renders"], stored[name], strict=True):
            if not entry["missing"]:
                assert "null_png" not in entry
                continue
            # Those features alone: grey fill and outlines, no class colour (measured: grey
            # is 0.69 of the drawn pixels for small OAs, 0.95 for wards; 0 before the change).
            alone = _pixels(entry["null_png"])
            filled = alone[~(alone == report["background"]).all(axis=1)]
            assert len(filled) > 0, (name, entry["name"])
            assert _share_of(filled, GREY) > 0.6, (name, entry["name"])
            present = {tuple(p) for p in np.unique(filled, axis=0)}
            assert not (_fill_colours(qml) - {GREY}) & present, (name, entry["name"])
            assert _share_of(_pixels(entry["png"]), GREY) > 0, (name, entry["name"])
            checked += 1
    assert checked == 25
