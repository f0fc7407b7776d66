"""The MRP route through the whole pipeline, the demo switch and the example script."""

from __future__ import annotations

import json
import re
import runpy
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import resilience as rs
from resilience.clusters import share_columns
from resilience.errors import ConfigError
from resilience.synthetic import make_borough
from resilience.synthetic._mrp import write_mrp_inputs

ROOT = Path(__file__).resolve().parents[1]


def _config(tmp_path_factory, method: str, *, eul: bool = False) -> Path:
    b = make_borough(seed=2, n_oa=120, n_lsoa=30, n_ward=5, n_respondents=3000)
    folder = tmp_path_factory.mktemp(method) / "borough"
    files = b.write(folder)
    write_mrp_inputs(b, folder, method, end_user_licence=eul)
    cfg = files["config"]
    text = cfg.read_text().replace(f'method = "{method}"', f'method = "{method}"\nn_boot = 50')
    cfg.write_text(text)
    return cfg


@pytest.fixture(scope="module")
def both(tmp_path_factory):
    cfg = _config(tmp_path_factory, "both")
    return rs.run(cfg), cfg


@pytest.fixture(scope="module")
def mrp_only(tmp_path_factory):
    return rs.run(_config(tmp_path_factory, "mrp"))


def test_mrp_route_publishes_its_own_oa_estimates(mrp_only):
    oa = mrp_only.oa
    assert set(oa["estimate_level"]) == {"mrp"}
    assert len(oa) == 120 and oa[share_columns()].notna().all(axis=None)
    np.testing.assert_allclose(oa[share_columns()].sum(axis=1), 1.0, atol=1e-6)
    # every OA its own estimate: far more distinct scores than classification categories
    assert oa["resilience_score"].round(6).nunique() == 120
    for layer in (mrp_only.oa, mrp_only.lsoa, mrp_only.ward):
        assert (layer["resilience_score_lo"] <= layer["resilience_score"]).all()
        assert (layer["resilience_score"] <= layer["resilience_score_hi"]).all()
    assert mrp_only.mrp.replicates.shape == (50, 120, 6)
    assert mrp_only.mrp.margin_error < 1e-5


def test_both_routes_compared(both, tmp_path):
    result, _ = both
    # "both" publishes the classification route and compares it with MRP
    assert "mrp" not in set(result.oa["estimate_level"])
    routes = result.mrp.routes
    assert len(routes) == 120
    assert {"resilience_score_classification", "resilience_score_mrp", "disagree"} <= set(
        routes.columns
    )
    gap_apart = (
        routes["resilience_score_lo_mrp"] > routes["resilience_score_hi_classification"]
    ) | (routes["resilience_score_hi_mrp"] < routes["resilience_score_lo_classification"])
    assert (routes["disagree"] == gap_apart).all()
    result.save(tmp_path / "out", maps=False)
    model = tmp_path / "out" / "model"
    diag = json.loads((model / "diagnostics.json").read_text())
    assert diag["mrp"]["mrp_log_loss"] < diag["mrp"]["baseline_log_loss"]
    assert diag["mrp"]["mrp_brier"] < diag["mrp"]["baseline_brier"]
    saved = pd.read_csv(model / "routes.csv", index_col="oa_code")
    assert saved["disagree"].sum() == routes["disagree"].sum()
    cal = pd.read_csv(model / "calibration.csv")
    assert set(cal["cluster"]) == set(result.oa["dominant_cluster"]) | set(cal["cluster"])
    assert cal["respondents"].str.match(r"^(<10|\d+–\d+|300\+)$").all()


def test_config_needs_tables_for_mrp(both):
    _, cfg = both
    text = cfg.read_text().replace('tables = "data/census"\n', "")
    bad = cfg.with_name("bad.toml")
    bad.write_text(text)
    with pytest.raises(ConfigError, match=r"needs the Census 2021 tables"):
        rs.load_config(bad)


def test_demo_passes_the_method(monkeypatch):
    from resilience import cli, demo

    seen = {}
    monkeypatch.setattr(demo, "run_demo", lambda out, **kw: seen.update(kw))
    assert cli.main(["demo", "--method", "mrp", "--no-maps", "--out", "x"]) == 0
    assert seen["method"] == "mrp"


def test_example_script_runs(capsys, monkeypatch):
    monkeypatch.setattr(sys, "argv", ["mrp_route.py", "--small"])
    runpy.run_path(str(ROOT / "examples" / "mrp_route.py"), run_name="__main__")
    out = capsys.readouterr().out
    assert "OA mean absolute error" in out and "MRP" in out


def test_check_reads_the_mrp_inputs(both):
    from resilience.inputs.check import check

    _, cfg = both
    report = check(cfg)
    text = str(report)
    assert report.ok, text
    assert "Census tables:" in text and "margins for all 120 OAs" in text
    assert "3,000 of 3,000 respondents have every variable" in text


def test_end_user_licence_run_without_classification(tmp_path_factory, tmp_path):
    """Only the survey (no OAC columns), the household file and the Census: OA estimates
    with intervals through the whole pipeline, and every output written."""
    from resilience.inputs.check import check

    cfg = _config(tmp_path_factory, "mrp", eul=True)
    text = cfg.read_text()
    assert "[classification]" not in text and "levels" not in text
    assert check(cfg).ok, str(check(cfg))
    result = rs.run(cfg)
    assert result.estimator is None and set(result.oa["estimate_level"]) == {"mrp"}
    assert result.mrp.estimator.area_predictor is None
    for layer in (result.oa, result.lsoa, result.ward):
        assert (layer["resilience_score_lo"] <= layer["resilience_score"]).all()
        assert (layer["resilience_score"] < layer["resilience_score_hi"]).mean() > 0.9
    paths = result.save(tmp_path / "out", maps=False)
    assert paths["geopackage"].exists()
    diag = json.loads((tmp_path / "out" / "model" / "diagnostics.json").read_text())
    assert "alpha" not in diag and diag["mrp"]["area_predictor"] is None
    assert (tmp_path / "out" / "model" / "calibration.csv").exists()


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("variables", '["sex", "ethnicity"]', r"'variables' in \[poststratification\] must be"),
        ("region", "13", r"'region' in \[poststratification\] must be a gor_dv code 1 to 12"),
        ("urban", "3", r"'urban' in \[poststratification\] must be 1 \(urban\), 2"),
    ],
)
def test_config_checks_poststratification_against_the_estimator(both, key, value, message):
    _, cfg = both
    bad = cfg.with_name(f"bad_{key}.toml")
    text = cfg.read_text()
    line = f"{key} = {value}\n"
    text = (
        re.sub(rf"^{key} = .*\n", line, text, flags=re.M)
        if f"\n{key} = " in text
        else (text.replace('tables = "data/census"\n', f'tables = "data/census"\n{line}'))
    )
    bad.write_text(text)
    with pytest.raises(ConfigError, match=message):
        rs.load_config(bad)
