"""Every authority in one run (``resilience run --per-authority``) on a synthetic world of
three authorities: the same outputs as plain runs of each, reruns skip what is complete,
and one failing authority does not stop the others."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pyogrio
import pytest
from example_script import run_example

from resilience import national
from resilience.cli import main
from resilience.config import load_config
from resilience.errors import InputDataError
from resilience.runner import run_to_folder

LADS = ["E06000001", "E06000002", "E06000003"]
TABLES = ["lsoa.csv", "ward.csv", "flags.csv"]


EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "every_authority.py"


@pytest.fixture(scope="module")
def example(tmp_path_factory):
    """examples/every_authority.py run as a user would, in a fresh folder."""
    work = tmp_path_factory.mktemp("every")
    return run_example(EXAMPLE, work), work


@pytest.fixture(scope="module")
def world(example):
    return example[1] / "input" / "resilience.toml"


@pytest.fixture(scope="module")
def per_authority(example):
    return example[0], example[1] / "out"


def _folder(out: Path, lad: str) -> Path:
    (found,) = [p for p in out.iterdir() if p.name.startswith(lad + "_")]
    return found


def test_one_folder_per_authority_index_and_national_geopackage(per_authority):
    code, out = per_authority
    assert code == 0
    folders = sorted(p.name for p in out.iterdir() if p.is_dir())
    assert [f.split("_")[0] for f in folders] == LADS
    assert folders[0] == "E06000001_" + folders[0].split("_", 1)[1]  # <code>_<slug name>
    marker = json.loads((out / "authorities.json").read_text())
    assert [a["status"] for a in marker["authorities"]] == ["done"] * 3
    oas = 0
    for lad in LADS:
        f = _folder(out, lad)
        assert {"report.html", "manifest.json", "resilience.gpkg", "run.log"} <= {
            p.name for p in f.iterdir()
        }
        oas += json.loads((f / "manifest.json").read_text())["counts"]["oa"]
    assert oas == 700  # every OA of the world in exactly one authority
    page = (out / "index.html").read_text()
    for lad in LADS:
        assert f'href="{_folder(out, lad).name}/report.html"' in page
        assert f'href="{_folder(out, lad).name}/maps/index.html"' in page
        assert (_folder(out, lad) / "maps" / "index.html").is_file()
    gpkg = out / "national.gpkg"
    for layer, key in [("oa", "oa_code"), ("lsoa", "lsoa_code"), ("ward", "ward_code")]:
        df = pyogrio.read_dataframe(gpkg, layer=layer, read_geometry=False)
        assert sorted(df["lad_code"].unique()) == LADS
        assert df[key].is_unique
        parts = [
            pyogrio.read_dataframe(_folder(out, lad) / "resilience.gpkg", layer=layer,
                                   read_geometry=False)
            for lad in LADS
        ]  # fmt: skip
        assert len(df) == sum(len(p) for p in parts)


@pytest.mark.parametrize("lad", [LADS[1]])
def test_an_authority_equals_a_plain_run_of_it(per_authority, world, lad, tmp_path):
    _, out = per_authority
    text = world.read_text(encoding="utf-8") + f'\n[area]\nlad = ["{lad}"]\n'
    cfg_path = world.with_name(f"plain_{lad}.toml")
    cfg_path.write_text(text, encoding="utf-8")
    plain = tmp_path / "plain"
    run_to_folder(load_config(cfg_path), plain, map_mode="offline")
    mine = _folder(out, lad)
    for name in TABLES:
        a = pd.read_csv(mine / "tables" / name, dtype=str, keep_default_na=False)
        b = pd.read_csv(plain / "tables" / name, dtype=str, keep_default_na=False)
        pd.testing.assert_frame_equal(a, b, obj=name)
    assert len(pd.read_csv(plain / "tables" / "lsoa.csv")) < 140  # cut to the authority
    a = pd.read_excel(mine / "tables" / "resilience.xlsx", sheet_name=None)
    b = pd.read_excel(plain / "tables" / "resilience.xlsx", sheet_name=None)
    assert list(a) == list(b) and "OAs" in a
    for sheet in a:
        if sheet != "About":  # the About sheet has the run's time and id
            pd.testing.assert_frame_equal(a[sheet], b[sheet], obj=sheet)
    for layer in ("oa", "lsoa", "ward"):
        a = pyogrio.read_dataframe(mine / "resilience.gpkg", layer=layer)
        b = pyogrio.read_dataframe(plain / "resilience.gpkg", layer=layer)
        pd.testing.assert_frame_equal(a.drop(columns="geometry"), b.drop(columns="geometry"))
        assert a.geometry.geom_equals_exact(b.geometry, 0).all()
    ma = json.loads((mine / "manifest.json").read_text())
    mb = json.loads((plain / "manifest.json").read_text())
    assert ma["config_hash"] == mb["config_hash"] and ma["counts"] == mb["counts"]


def test_rerun_skips_complete_authorities(per_authority, world, capsys):
    _, out = per_authority
    before = {lad: (_folder(out, lad) / "manifest.json").stat().st_mtime_ns for lad in LADS}
    code = main(["run", str(world), "--out", str(out), "--per-authority", "--no-maps"])
    assert code == 0
    err = capsys.readouterr().err
    assert "Running 0 of 3 authorities" in err and "nothing to fit" in err
    after = {lad: (_folder(out, lad) / "manifest.json").stat().st_mtime_ns for lad in LADS}
    assert after == before


def test_a_failing_authority_is_reported_and_the_others_complete(
    world, tmp_path, monkeypatch, capsys
):
    real = national.analyse_area

    def failing(cfg, inp, *args):
        if cfg["area"]["lad"] == [LADS[0]]:
            raise InputDataError("no hard data for this authority (test)")
        return real(cfg, inp, *args)

    monkeypatch.setattr(national, "analyse_area", failing)  # inherited by forked workers
    out = tmp_path / "out"
    code = main(["run", str(world), "--out", str(out), "--per-authority", "--no-maps"])
    err = capsys.readouterr().err
    assert code == 2
    assert "1 authorities failed: E06000001" in err and "no hard data" in err
    assert not any(p.name.startswith(LADS[0]) for p in out.iterdir())
    for lad in LADS[1:]:
        assert (_folder(out, lad) / "manifest.json").is_file()
    marker = json.loads((out / "authorities.json").read_text())
    assert [a["status"] for a in marker["authorities"]] == ["failed", "done", "done"]
    assert "failed: no hard data" in (out / "index.html").read_text()
    # a rerun (the failure fixed) runs only the failed authority
    monkeypatch.setattr(national, "analyse_area", real)
    code = main(["run", str(world), "--out", str(out), "--per-authority", "--no-maps"])
    assert code == 0
    assert "Running 1 of 3 authorities" in capsys.readouterr().err
    assert (_folder(out, LADS[0]) / "manifest.json").is_file()


def test_per_authority_refuses_wards_and_foreign_folders(world, tmp_path, capsys):
    text = world.read_text(encoding="utf-8") + '\n[area]\nwards = ["E05020001"]\n'
    cfg_path = world.with_name("wards.toml")
    cfg_path.write_text(text, encoding="utf-8")
    assert main(["run", str(cfg_path), "--out", str(tmp_path / "o"), "--per-authority"]) == 2
    assert "leave [area] wards out" in capsys.readouterr().err
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("keep")
    assert main(["run", str(world), "--out", str(mine), "--per-authority", "--no-maps"]) == 2
    assert "already exists" in capsys.readouterr().err
    assert [p.name for p in mine.iterdir()] == ["notes.txt"]
