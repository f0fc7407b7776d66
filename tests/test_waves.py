"""Change over time: several survey waves, one model, paired intervals, change outputs.

Figures pinned here were measured on the synthetic waves (``resilience.synthetic.
make_waves``) at the commit that added them; the nominal rate of significant cells
without any change is 10 % (90 % intervals).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import warnings
import xml.etree.ElementTree as ET
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from change_data import category_cells

from resilience.clusters import CLUSTER_KEYS, share_columns
from resilience.config import load_config
from resilience.errors import ConfigError, InputDataError
from resilience.inputs.waves import read_waves
from resilience.models import AreaEstimator
from resilience.models.change import (
    change_columns,
    eligible_rows,
    paired_multiplicities,
)
from resilience.outputs.gpkg import read_layer_styles
from resilience.pipeline import run
from resilience.synthetic import make_borough, make_waves

ROOT = Path(__file__).resolve().parents[1]
SMALL = {"n_oa": 200, "n_lsoa": 40, "n_ward": 8, "n_respondents": 4000}


def _quiet_run(cfg):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return run(cfg)


@pytest.fixture(scope="module")
def waves():
    return make_waves(make_borough(seed=0, **SMALL), n_waves=2)


@pytest.fixture(scope="module")
def written(waves, tmp_path_factory):
    return waves.write(tmp_path_factory.mktemp("waves") / "input")


@pytest.fixture(scope="module")
def result(written):
    return _quiet_run(load_config(written["config"]))


# ------------------------------------------------------------------------- config
def _strip_none(value):
    """A validated config section as input again (defaults left out)."""
    if isinstance(value, dict):
        return {k: _strip_none(v) for k, v in value.items() if v is not None}
    return value


def _absolute(cfg, **survey):
    """The config as a dict with absolute paths and the given [survey] section."""
    raw = {k: _strip_none(cfg[k]) for k in ("geography", "classification")}
    raw["hard"] = {"tables": cfg["hard"]["tables"]}
    raw["survey"] = {"levels": cfg["survey"]["levels"], **survey}
    return raw


def _survey_config(written, **survey):
    return _absolute(load_config(written["config"]), **survey)


def test_config_rejects_bad_waves(written):
    base = Path(written["config"]).parent
    f6, f9 = str(base / "data/f_indresp.tab"), str(base / "data/i_indresp.tab")
    bad = [
        ({"waves": [{"path": f6}]}, "at least two"),
        ({"waves": [{"path": f6}, {"prefix": "i_"}]}, "'path' is missing from entry 2"),
        ({"waves": [{"path": f6}, {"path": f9, "colour": 1}]}, "Unknown key 'colour'"),
        ({"path": f6, "waves": [{"path": f6}, {"path": f9}]}, "both 'path' and a list"),
        ({"path": f6, "wave_column": "wave", "waves": [{"wave": "6"}, {}]}, "'wave' is missing"),
        (
            {"waves": [{"path": f6, "label": "a"}, {"path": f9, "label": "a"}]},
            "repeated labels",
        ),
        ({"waves": [{"path": f6}, {"path": f9}], "wave_model": "both"}, "'wave_model'"),
        (
            {"waves": [{"path": f6}, {"path": f9}], "classification_vintage": "own"},
            "needs 'classification",
        ),
        ({"waves": [{"path": f6}, {"path": str(base / "nope.tab")}]}, "nope.tab"),
    ]
    for survey, message in bad:
        with pytest.raises(ConfigError, match=message):
            load_config(_survey_config(written, **survey))
    with pytest.raises(ConfigError, match="'path' in \\[survey\\] is required"):
        load_config(_survey_config(written))


def test_both_file_layouts_read_the_same_waves(waves, tmp_path):
    files = waves.write(tmp_path / "files")
    long = waves.write(tmp_path / "long", long=True)
    assert "wave_column" in long["config"].read_text()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        a = read_waves(load_config(files["config"]))
        b = read_waves(load_config(long["config"]))
    assert [w.label for w in a] == [w.label for w in b] == ["wave 6", "wave 9"]
    for x, y in zip(a, b, strict=True):
        assert x.info.prefix != y.info.prefix  # "f_"/"i_" against none
        pd.testing.assert_frame_equal(x.survey, y.survey)
        assert x.survey.index.name == "pidp" and x.survey.index.is_unique
    # the panel: about half of wave 9 answered wave 6 (make_waves panel=0.5)
    overlap = a[1].survey.index.isin(a[0].survey.index).mean()
    assert overlap == pytest.approx(0.5, abs=0.01)


def test_long_file_with_an_unknown_wave_names_the_values(waves, tmp_path):
    long = waves.write(tmp_path / "long", long=True)
    text = long["config"].read_text(encoding="utf-8")
    long["config"].write_text(text.replace('wave = "9"', 'wave = "12"'), encoding="utf-8")
    with pytest.raises(InputDataError, match=r"no rows of wave '12'.*'6', '9'"):
        read_waves(load_config(long["config"]))


# --------------------------------------------------------------------- bootstrap
def test_panel_persons_are_resampled_jointly():
    a = pd.Index([1, 2, 3, 4], name="pidp")
    b = pd.Index([3, 4, 5], name="pidp")
    ok = [np.ones(4, bool), np.array([True, True, False])]
    ma, mb = paired_multiplicities([a, b], ok, 300, 7)
    assert (ma[:, 2] == mb[:, 0]).all() and (ma[:, 3] == mb[:, 1]).all()
    assert (mb[:, 2] == 0).all()  # not eligible: never drawn
    # strata by the waves answered: {1, 2} in wave 6 only, {3, 4} in both, {} in 9 only
    assert (ma[:, :2].sum(axis=1) == 2).all() and (ma[:, 2:].sum(axis=1) == 2).all()
    again = paired_multiplicities([a, b], ok, 300, 7)
    assert all((x == y).all() for x, y in zip([ma, mb], again, strict=True))
    # without respondent ids the waves are resampled independently, each within itself
    ia, ib = paired_multiplicities([pd.RangeIndex(4), pd.RangeIndex(3)], ok, 300, 7)
    assert (ia.sum(axis=1) == 4).all() and (ib.sum(axis=1) == 2).all()
    assert not (ia[:, 2] == ib[:, 0]).all()


def _same_wave_twice(survey, labels, index_b):
    """Change frames of one survey estimated twice, as wave 6 and wave 9."""
    from resilience.models.change import WaveEstimate, change_frames
    from resilience.models.oa_estimates import estimate_oas

    levels = ["sg", "g"]
    b = survey.set_axis(index_b)
    lb = labels.set_axis(index_b)
    el = [eligible_rows(s, lab, levels) for s, lab in ((survey, labels), (b, lb))]
    mult = paired_multiplicities([survey.index, b.index], el, 100, 0)
    cls = pd.DataFrame({"sg": ["1", "2", "2"], "g": ["1a", "2a", "2b"]}, index=["o1", "o2", "o3"])
    lookup = pd.DataFrame({"lsoa_code": ["L1", "L1", "L2"], "ward_code": "W1"}, index=cls.index)
    out = []
    for s, lab, m in ((survey, labels, mult[0]), (b, lb, mult[1])):
        est = AreaEstimator(levels, min_respondents=5, n_boot=100, random_state=0)
        est.fit(s, lab, multiplicities=m)
        oa = estimate_oas(est, cls, cls.index)
        from resilience.models import aggregate_areas

        summaries = aggregate_areas(oa.table, lookup, None)
        out.append(WaveEstimate("w", est, oa, summaries))
    return change_frames(*out, lookup)


def test_same_people_same_answers_give_no_change_and_no_width():
    rng = np.random.default_rng(0)
    survey = pd.DataFrame({"sg": rng.choice(["1", "2"], 600), "weight": rng.uniform(0.5, 2, 600)})
    survey["g"] = survey["sg"] + rng.choice(["a", "b"], 600)
    survey.index = pd.Index(np.arange(600) * 4 + 1, name="pidp")
    labels = pd.Series(rng.choice(CLUSTER_KEYS, 600), index=survey.index)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        paired = _same_wave_twice(survey, labels, survey.index)
        independent = _same_wave_twice(survey, labels, pd.RangeIndex(600))
    for level in ("oa", "lsoa", "ward", "area"):
        f = paired[level]
        assert list(f.columns) == change_columns()
        np.testing.assert_allclose(f.drop(columns="change_significant").to_numpy(), 0, atol=1e-6)
        assert not f["change_significant"].any()
    # the same answers treated as different people: the change is 0, the interval is not
    width = (
        independent["area"]["change_resilience_score_hi"]
        - independent["area"]["change_resilience_score_lo"]
    )
    assert float(width.iloc[0]) > 0.05


def test_no_change_gives_about_the_nominal_rate_of_significant_cells(tmp_path):
    """Nominal 10 %: category x measure cells from the true clusters, no change. Measured
    with the basic intervals the change columns use: 9.3 %, 7.1 %, 7.3 % (seeds 0-2,
    539-623 cells each; 8.1 % over seeds 0-11 in benchmarks/change_coverage.py); with
    percentile intervals, as before, 14.5 %, 14.8 %, 12.3 % (13.1 % over 0-11). Resampled
    as if nobody were in both waves: 1.9 % (seed 1), too wide, the panel ignored."""
    rates = [category_cells(tmp_path, s).mean() for s in range(3)]
    assert 0.06 <= np.mean(rates) <= 0.11 and max(rates) <= 0.12
    percentile = category_cells(tmp_path, 1, method="percentile").mean()
    assert 0.12 <= percentile <= 0.17 and percentile > rates[1] + 0.05
    independent = category_cells(tmp_path, 1, paired=False).mean()
    assert independent < 0.04 < rates[1]


# ------------------------------------------------------------------ the whole run
def test_known_change_is_recovered(result, waves):
    """Measured (seed 0, basic intervals): the true LSOA score change is inside its 90 %
    interval in 95 % of LSOAs (OAs 97.5 %, wards 100 %); it is significant in 76 % of the
    21 LSOAs that changed and 5 % of the 19 that did not; the whole-area interval covers
    the true change. Shares are covered in 65-100 % of LSOAs (mean 81 %); neighbourhood
    support (65 %) and competence (70 %) lowest: LSOAs share few category estimates, and
    the survey model puts 7 % of high-wellbeing respondents in each of those two
    clusters (12 seeds: benchmarks/change_coverage.py)."""
    over = result.change
    assert over.waves == ["wave 6", "wave 9"] and over.wave_model == "pooled"
    assert over.classification_vintage == "same"
    for level, key in (("oa", "oa_code"), ("lsoa", "lsoa_code"), ("ward", "ward_code")):
        layer = getattr(result, level)
        assert set(change_columns()) <= set(layer.columns)
        assert layer.columns[0] == key and layer.columns[-1] == "geometry"
    lsoa = result.lsoa.set_index("lsoa_code")
    truth = waves.change["lsoa"].reindex(lsoa.index)
    coverage = []
    for col in ["resilience_score", *share_columns()]:
        est = lsoa[f"change_{col}"]
        lo, hi = lsoa[f"change_{col}_lo"], lsoa[f"change_{col}_hi"]
        assert ((lo <= est) & (est <= hi)).all()
        coverage.append(((lo <= truth[col] + 1e-9) & (truth[col] - 1e-9 <= hi)).mean())
    assert np.mean(coverage[1:]) >= 0.7 and min(coverage[1:]) >= 0.45
    score = truth["resilience_score"]
    covered = (lsoa["change_resilience_score_lo"] <= score) & (
        score <= lsoa["change_resilience_score_hi"]
    )
    assert covered.mean() >= 0.8
    moved = score.abs() > 1e-9
    assert 0.3 <= moved.mean() <= 0.7  # some areas move, most categories do not
    assert lsoa.loc[moved, "change_significant"].mean() >= 0.6
    assert lsoa.loc[~moved, "change_significant"].mean() <= 0.25
    assert np.corrcoef(lsoa["change_resilience_score"], score)[0, 1] > 0.8
    # significant only where the interval excludes 0
    sig = (lsoa["change_resilience_score_lo"] > 0) | (lsoa["change_resilience_score_hi"] < 0)
    assert (lsoa["change_significant"] == sig).all()
    # whole area: population-weighted true change inside the interval
    oa = waves.borough.oa.set_index("oa_code")
    true_area = np.average(
        waves.change["oa"]["resilience_score"].reindex(oa.index), weights=oa["population"]
    )
    area = over.overall["area"].iloc[0]
    assert area["change_resilience_score_lo"] <= true_area <= area["change_resilience_score_hi"]
    # the latest wave's estimates are the layers' levels
    np.testing.assert_allclose(
        lsoa["resilience_score"], over.latest.summaries.lsoa.frame["resilience_score"]
    )


def test_change_of_the_national_index_is_against_each_waves_own_survey(result):
    """change_index_<cluster> = the later wave's index − the earlier wave's, each against
    that wave's survey-wide share; its intervals come from the same paired replicates."""
    over = result.change
    early, late = over.estimates
    lsoa = result.lsoa.set_index("lsoa_code")
    for k in CLUSTER_KEYS:
        s = f"share_{k}"
        national = [float(e.estimator.estimates_.loc[("all", "all"), s]) for e in (early, late)]
        before = early.summaries.lsoa.frame[s].reindex(lsoa.index) * 100 / national[0]
        # the layer's index is the latest wave's, against the latest wave's survey
        np.testing.assert_allclose(lsoa[f"index_{k}"], lsoa[s] * 100 / national[1], rtol=1e-6)
        np.testing.assert_allclose(
            lsoa[f"change_index_{k}"], lsoa[f"index_{k}"] - before, rtol=1e-5, atol=1e-4
        )
        lo, hi = lsoa[f"change_index_{k}_lo"], lsoa[f"change_index_{k}_hi"]
        assert ((lo <= lsoa[f"change_index_{k}"]) & (lsoa[f"change_index_{k}"] <= hi)).all()
        # the replicates give (almost) every LSOA an interval of some width
        assert (hi - lo).gt(0).mean() > 0.9
    # the same at the whole area and in the change table
    area = over.overall["area"].iloc[0]
    table = over.table()
    row = table[(table["level"] == "area")].iloc[0]
    assert row["change_index_isolation"] == pytest.approx(area["change_index_isolation"])
    assert {"change_index_competence_lo", "change_index_competence_hi"} <= set(table.columns)


def test_change_bounds_reflect_the_replicates_about_the_point():
    from resilience.models.change import _bounds

    # replicates skewed away from 0 beyond a point of 0.1: reflected, the interval
    # reaches towards 0 instead (2 x point - the upper quantile)
    reps = np.concatenate([np.full(50, 0.08), np.linspace(0.1, 0.4, 50)])[:, None, None]
    lo, hi = _bounds(np.array([[0.1]]), reps, 0.9)
    q05, q95 = np.quantile(reps, [0.05, 0.95])
    assert lo[0, 0] == pytest.approx(0.2 - q95) and hi[0, 0] == pytest.approx(0.2 - q05)
    assert lo[0, 0] < 0 < q05  # percentile: significant; basic: not
    # widened to contain the point; a share's change kept within [-1, 1]
    lo, hi = _bounds(np.array([[0.95]]), np.full((10, 1, 1), -0.5), 0.9, limit=1.0)
    assert lo[0, 0] == 0.95 and hi[0, 0] == 1.0


def test_per_wave_labels_match_the_pooled_profiles(written, result):
    cfg = load_config(written["config"])
    cfg.data["survey"]["wave_model"] = "per_wave"
    per = _quiet_run(cfg)
    lab = per.change.labelling
    assert lab.mode == "per_wave" and set(lab.models) == {"wave 6", "wave 9"}
    match = lab.match
    assert len(match) == 12
    for _, m in match.groupby("wave"):
        assert sorted(m["cluster"]) == sorted(CLUSTER_KEYS)  # one to one
        assert sorted(m["own_cluster"]) == sorted(CLUSTER_KEYS)
    # measured: 0.9915 and 0.9894 of respondents get the pooled model's label
    assert (match.groupby("wave")["agreement"].first() >= 0.95).all()
    pooled = result.change.labelling
    for wave in ("wave 6", "wave 9"):
        common = lab.labels[wave].index.intersection(pooled.labels[wave].index)
        same = (lab.labels[wave].loc[common] == pooled.labels[wave].loc[common]).mean()
        agreement = match.loc[match["wave"] == wave, "agreement"].iloc[0]
        assert same == pytest.approx(agreement, abs=1e-4)
    # the change estimates barely depend on the choice (measured r = 0.999 over LSOAs)
    r = np.corrcoef(per.lsoa["change_resilience_score"], result.lsoa["change_resilience_score"])
    assert r[0, 1] > 0.98


def test_each_waves_own_classification_includes_reclassification(written, tmp_path):
    """The same respondents in both waves: only OAs whose classification changed change."""
    cfg = load_config(written["config"])
    oac = pd.read_csv(cfg["classification"]["path"], dtype=str)
    code = cfg["classification"]["code"]
    moved = oac[code].iloc[::10]
    own = oac.copy()
    subgroups = sorted(oac["subgroup"].unique())
    swap = {s: subgroups[(i + 1) % len(subgroups)] for i, s in enumerate(subgroups)}
    sel = own[code].isin(moved)
    own.loc[sel, "subgroup"] = own.loc[sel, "subgroup"].map(swap)
    own.loc[sel, "group"] = own.loc[sel, "subgroup"].str[:-1]
    own.loc[sel, "supergroup"] = own.loc[sel, "subgroup"].str[:-2]
    own_path = tmp_path / "oac_own.csv"
    own.to_csv(own_path, index=False)
    f6 = str(Path(written["config"]).parent / "data" / "f_indresp.tab")
    entry = {"path": f6, "prefix": "f_", "weight": "f_indscui_xw"}
    raw = _absolute(
        cfg,
        classification_vintage="own",
        waves=[
            {**entry, "label": "then", "classification": {"path": cfg["classification"]["path"]}},
            {**entry, "label": "now", "classification": {"path": str(own_path)}},
        ],
    )
    res = _quiet_run(load_config(raw))
    assert res.change.classification_vintage == "own"
    oa = res.oa.set_index("oa_code")
    changed = oa.index.isin(moved)
    score = oa["change_resilience_score"]
    np.testing.assert_allclose(score[~changed], 0, atol=1e-9)
    assert (score[changed].abs() > 1e-6).mean() > 0.9
    assert res.change.describe()["classification_vintage_meaning"].startswith("each wave's own")


def test_saved_outputs_carry_the_change(result, tmp_path):
    paths = result.save(tmp_path / "out", maps=False)
    out = tmp_path / "out"
    change = pd.read_csv(paths["table_change"], encoding="utf-8-sig", dtype={"code": str})
    assert set(change["level"]) == {"lsoa", "ward", "area"}
    assert set(zip(change["from_wave"], change["to_wave"], strict=True)) == {("wave 6", "wave 9")}
    lsoa_csv = pd.read_csv(out / "tables" / "lsoa.csv", encoding="utf-8-sig")
    assert set(change_columns()) <= set(lsoa_csv.columns)
    gpkg = out / "resilience.gpkg"
    for layer in ("oa", "lsoa", "ward"):
        frame = gpd.read_file(gpkg, layer=layer)
        assert "change_significant" in frame and "change_share_isolation_hi" in frame
    assert len(gpd.read_file(gpkg, layer="change")) == len(change)
    styles = read_layer_styles(gpkg)
    names = styles.groupby("f_table_name")["styleName"].apply(set)
    for layer in ("oa", "lsoa", "ward"):
        assert {"Change: Resilience score", "Change: Isolation"} <= names[layer]
        assert "Change: Isolation index" in names[layer]
    index_qml = styles.loc[
        (styles["f_table_name"] == "ward") & (styles["styleName"] == "Change: Isolation index"),
        "styleQML",
    ].iloc[0]
    index_rules = [
        (r.get("label"), r.get("filter"))
        for r in ET.fromstring(index_qml.split("\n", 1)[1]).iter("rule")
    ]
    quiet = '"change_index_isolation_lo" <= 0 AND "change_index_isolation_hi" >= 0'
    assert index_rules[0] == ("No significant change (interval includes 0)", quiet)
    ward = result.ward["change_index_isolation"]
    m = float(ward.abs().max())
    # centred on 0: the middle class edge is 0 and the classes are symmetric
    assert f'"change_index_isolation" <= {m!r}' in index_rules[4][1]
    assert f'"change_index_isolation" >= {-m!r}' in index_rules[1][1]
    assert '"change_index_isolation" <= 0.0' in index_rules[2][1]
    qml = styles.loc[
        (styles["f_table_name"] == "lsoa") & (styles["styleName"] == "Change: Resilience score"),
        "styleQML",
    ].iloc[0]
    rules = [
        (r.get("label"), r.get("filter")) for r in ET.fromstring(qml.split("\n", 1)[1]).iter("rule")
    ]
    assert rules[0] == (
        "No significant change (interval includes 0)",
        '"change_significant" = false',
    )
    assert rules[-1][1] == "ELSE" and len(rules) == 6
    from openpyxl import load_workbook

    wb = load_workbook(paths["table_xlsx"], read_only=True)
    assert "Change" in wb.sheetnames
    manifest = json.loads((out / "manifest.json").read_text())
    over = manifest["over_time"]
    assert over["wave_model"] == "pooled" and over["classification_vintage"] == "same"
    assert over["change"] == "wave 9 minus wave 6"
    assert {"survey.wave 6", "survey.wave 9"} <= set(manifest["inputs"])
    report = (out / "report.html").read_text()
    assert "Change over time" in report and "Classification vintage:" in report
    assert (
        "Isolation national index" in report
        and "changed in proportion to its share in the survey" in report
    )
    dictionary = pd.read_excel(paths["table_xlsx"], sheet_name=None)
    sheet = next(f for name, f in dictionary.items() if "change_index_isolation" in f.values)
    assert sheet.astype(str).apply(lambda c: c.str.contains("in step with")).any().any()
    # the review pack: each flagged LSOA's change in words
    flags = pd.read_csv(out / "tables" / "flags.csv", dtype={"lsoa_code": str})
    code = flags["lsoa_code"].iloc[0]
    page = (out / "review" / "lsoa" / f"{code}.html").read_text(encoding="utf-8")
    row = result.lsoa.set_index("lsoa_code").loc[code]
    from resilience.outputs.review.pack import change_words

    words = change_words(
        row["change_resilience_score"],
        row["change_resilience_score_lo"],
        row["change_resilience_score_hi"],
        "resilience score",
        "score",
        0.9,
    )
    assert "Change, wave 6 to wave 9" in page and words[1:] in page
    assert words.endswith("a real change" if row["change_significant"] else "may be no change")


def test_change_qml_is_centred_on_zero():
    from resilience.outputs.qml import change_qml

    qml = change_qml("c", [-0.3, 0.1], bounds=("c_lo", "c_hi"), percent=True)
    rules = [
        (r.get("label"), r.get("filter")) for r in ET.fromstring(qml.split("\n", 1)[1]).iter("rule")
    ]
    quiet = '"c_lo" <= 0 AND "c_hi" >= 0'
    assert rules[0] == ("No significant change (interval includes 0)", quiet)
    assert [label for label, _ in rules[1:]] == [
        "-30% to -15%",
        "-15% to 0%",
        "0% to 15%",
        "15% to 30%",
        "No data / suppressed",
    ]
    assert rules[2][1] == f'("c" > -0.15 AND "c" <= 0.0) AND NOT ({quiet})'
    assert change_qml("c", [np.nan]) is None


def test_demo_with_two_waves(tmp_path):
    from resilience.cli import main

    out = tmp_path / "demo"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert main(["demo", "--waves", "2", "--no-maps", "--out", str(out), "-q"]) == 0
    manifest = json.loads((out / "manifest.json").read_text())
    assert [w["label"] for w in manifest["over_time"]["waves"]] == ["wave 6", "wave 9"]
    assert (out / "input" / "truth" / "change_lsoa.csv").is_file()
    assert (out / "tables" / "change.csv").is_file()


def test_example_script_runs(tmp_path):
    proc = subprocess.run(
        [sys.executable, str(ROOT / "examples" / "change_over_time.py"), str(tmp_path)],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "whole area, resilience score:" in proc.stdout
    assert (tmp_path / "out" / "tables" / "change.csv").is_file()


def test_check_reads_every_wave(written, tmp_path):
    from resilience.inputs.check import check

    report = check(written["config"])
    text = str(report)
    assert report.ok, text
    assert "Survey: wave 6 (f_indresp.tab)" in text and "Survey: wave 9 (i_indresp.tab)" in text
    # a broken later wave is named, and the check carries on
    cfg = load_config(written["config"])
    bad = tmp_path / "i_indresp.tab"
    survey = pd.read_csv(written["survey.wave 9"], sep="\t").drop(columns="i_scghqa")
    survey.to_csv(bad, sep="\t", index=False)
    raw = _absolute(
        cfg, waves=[cfg["survey"]["waves"][0], {**cfg["survey"]["waves"][1], "path": str(bad)}]
    )
    broken = check(load_config(raw))
    assert not broken.ok
    assert any("i_scghqa" in p for p in broken.problems)
