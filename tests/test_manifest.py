"""The run manifest (resilience.outputs.manifest)."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from importlib.metadata import version
from pathlib import Path

import numpy as np
import pytest

import resilience
from resilience.errors import InputDataError
from resilience.outputs.manifest import (
    DEPENDENCIES,
    build_manifest,
    config_hash,
    dependency_versions,
    file_sha256,
    write_manifest,
)

CONFIG = {
    "title": "Hounslow community resilience",
    "seed": 42,
    "survey": {"path": "data/f_indresp.tab", "levels": ["a", "b"], "min_respondents": 10},
    "hard": {"indicators": [{"column": "Income Score (rate)", "higher_is": "worse"}]},
    "compare": {"quintile_gap": 2},
}


def _reordered(d):
    if isinstance(d, dict):
        return {k: _reordered(d[k]) for k in reversed(list(d))}
    return d


def test_config_hash_is_stable_and_sensitive():
    h = config_hash(CONFIG)
    assert re.fullmatch(r"[0-9a-f]{64}", h)
    assert config_hash(_reordered(CONFIG)) == h
    assert config_hash(json.loads(json.dumps(CONFIG))) == h
    changed = json.loads(json.dumps(CONFIG))
    changed["survey"]["min_respondents"] = 11
    assert config_hash(changed) != h
    assert config_hash({**CONFIG, "seed": 43}) != h
    # documented canonical form: sorted keys, no whitespace, UTF-8
    canonical = json.dumps(CONFIG, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    assert h == hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def test_config_values_are_made_json_ready():
    cfg = {
        "path": Path("data") / "x.csv",
        "levels": ("a", "b"),
        "when": dt.date(2025, 1, 2),
        "n": np.int64(3),
        "nan": float("nan"),
    }
    same = {"path": "data/x.csv", "levels": ["a", "b"], "when": "2025-01-02", "n": 3, "nan": "nan"}
    assert config_hash(cfg) == config_hash(same)
    with pytest.raises(TypeError, match=r"config\.bad: object value"):
        config_hash({"bad": object()})


def test_file_sha256_matches_hashlib(tmp_path):
    data = bytes(range(256)) * 5000  # larger than one chunk below
    p = tmp_path / "f.bin"
    p.write_bytes(data)
    assert file_sha256(p) == hashlib.sha256(data).hexdigest()
    assert file_sha256(p, chunk_size=1000) == hashlib.sha256(data).hexdigest()
    with pytest.raises(InputDataError, match="does not exist"):
        file_sha256(tmp_path / "missing.csv")


def test_dependency_versions():
    versions = dependency_versions()
    assert list(versions) == list(DEPENDENCIES)
    for name in ("numpy", "pandas", "scikit-learn", "geopandas", "openpyxl", "factor_analyzer"):
        assert versions[name] == version(name)
    assert dependency_versions(("no-such-dist-xyz",)) == {"no-such-dist-xyz": "not installed"}


@pytest.fixture
def files(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    (data / "survey.tab").write_text("pidp\tx\n1\t2\n", encoding="utf-8")
    for ext in ("shp", "shx", "dbf", "prj"):
        (data / f"wards.{ext}").write_bytes(ext.encode() * 10)
    (data / "wardsX.dbf").write_bytes(b"other")  # not a sidecar of wards.shp
    (data / "hard").mkdir()
    (data / "hard" / "a.csv").write_text("x\n1\n", encoding="utf-8")
    (data / "hard" / "b.csv").write_text("x\n2\n", encoding="utf-8")
    config = tmp_path / "resilience.toml"
    config.write_text('title = "x"\n', encoding="utf-8")
    return tmp_path, config


def test_build_and_write_manifest(files):
    tmp, config_path = files
    data = tmp / "data"
    manifest = build_manifest(
        config=CONFIG,
        config_path=config_path,
        inputs={
            "survey": data / "survey.tab",
            "wards": str(data / "wards.shp"),
            "hard": [data / "hard"],
        },
        seed=np.int64(42),
        counts={"oa": np.int64(60), "lsoa": 12},
        timings={"fit": 1.23456, "write": 0.1},
        outputs={"config_copy": config_path},
    )
    assert manifest["package"]["version"] == resilience.__version__
    assert manifest["config"] == CONFIG
    assert manifest["config_hash"] == config_hash(CONFIG)
    assert manifest["config_file"]["sha256"] == hashlib.sha256(b'title = "x"\n').hexdigest()
    survey = manifest["inputs"]["survey"]
    content = b"pidp\tx\n1\t2\n"
    assert survey == [
        {
            "path": (data / "survey.tab").as_posix(),
            "bytes": len(content),
            "sha256": hashlib.sha256(content).hexdigest(),
        }
    ]
    assert [Path(r["path"]).name for r in manifest["inputs"]["wards"]] == [
        "wards.shp",
        "wards.dbf",
        "wards.prj",
        "wards.shx",
    ]
    assert [Path(r["path"]).name for r in manifest["inputs"]["hard"]] == ["a.csv", "b.csv"]
    assert manifest["seed"] == 42 and manifest["counts"] == {"oa": 60, "lsoa": 12}
    assert manifest["timings"] == {"fit": 1.235, "write": 0.1}
    assert manifest["dependencies"]["pandas"] == version("pandas")
    assert manifest["python"]["version"].count(".") == 2
    assert re.fullmatch(r"[0-9a-f]{32}", manifest["run_id"])
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", manifest["created"])
    assert manifest["outputs"]["config_copy"][0]["bytes"] == config_path.stat().st_size

    out = write_manifest(tmp / "out" / "manifest.json", manifest)
    back = json.loads(out.read_text(encoding="utf-8"))
    assert back == manifest


def test_run_id_is_kept_and_missing_input_is_reported(files):
    tmp, _ = files
    m = build_manifest(config={}, inputs={}, seed=None, counts={}, timings={}, run_id="abc")
    assert m["run_id"] == "abc" and m["config_file"] is None and m["outputs"] == {}
    with pytest.raises(InputDataError, match=r"input file '.*nope\.csv' given for 'hard'"):
        build_manifest(config={}, inputs={"hard": tmp / "nope.csv"}, seed=1, counts={}, timings={})


def test_write_manifest_refuses_values_json_cannot_hold(tmp_path):
    with pytest.raises(TypeError, match="cannot be recorded in JSON"):
        write_manifest(tmp_path / "m.json", {"x": {1, object()}})
