"""The whole pipeline on the synthetic borough's files: results, accuracy and outputs."""

import json
import sqlite3

import numpy as np
import pandas as pd
import pyogrio
import pytest

import resilience as rs
from resilience.clusters import CLUSTER_KEYS, share_columns

SHARES = share_columns()


@pytest.fixture(scope="module")
def written(borough, tmp_path_factory):
    return borough.write(tmp_path_factory.mktemp("borough") / "northbridge")


@pytest.fixture(scope="module")
def result(written):
    return rs.run(written["config"])


def test_result_has_the_spec_columns(result):
    oa, lsoa, ward = result.oa, result.lsoa, result.ward
    for col in ["oa_code", "lsoa_code", "ward_code", "supergroup", "group", "subgroup",
                *SHARES, *share_columns("_lo"), *share_columns("_hi"), "dominant_cluster",
                "resilience_score", "estimate_level", "population"]:  # fmt: skip
        assert col in oa.columns, col
    for col in ["lsoa_code", "lsoa_name", "ward_code", "population", *SHARES,
                *share_columns("_lo"), *share_columns("_hi"), "resilience_score",
                "income_score_rate", "crime_rank_where_1_is_most_deprived", "hard_index",
                "predicted_quintile", "hard_quintile", "gap", "flag", "flag_confidence",
                "flag_reason", "gap_cluster"]:  # fmt: skip
        assert col in lsoa.columns, col
    for col in ["ward_code", "ward_name", "population", *SHARES, "resilience_score",
                "hard_index", "n_lsoa", "n_flagged"]:  # fmt: skip
        assert col in ward.columns, col
    assert (len(oa), len(lsoa), len(ward)) == (700, 140, 20)
    assert oa.crs.to_epsg() == lsoa.crs.to_epsg() == ward.crs.to_epsg() == 27700
    for frame, code in ((oa, "oa_code"), (lsoa, "lsoa_code"), (ward, "ward_code")):
        assert frame[code].is_unique
        assert frame[code].map(type).eq(str).all()
    assert "Northbridge" in repr(result)


def test_population_and_shares_are_consistent(result, borough):
    oa, lsoa, ward = result.oa, result.lsoa, result.ward
    total = borough.oa["population"].sum()
    assert oa["population"].sum() == lsoa["population"].sum() == ward["population"].sum() == total
    for frame in (oa, lsoa, ward):
        np.testing.assert_allclose(frame[SHARES].sum(axis=1), 1.0, atol=1e-9)
    # the whole area is the population-weighted mean of the OAs
    w = oa["population"] / total
    np.testing.assert_allclose(
        result.area[SHARES].iloc[0].to_numpy(dtype=float),
        (oa[SHARES].mul(w, axis=0)).sum().to_numpy(),
    )
    assert ward["n_lsoa"].sum() == 140
    assert ward["n_flagged"].sum() == lsoa["flag"].isin(["predicted_worse", "hard_worse"]).sum()


def test_oa_predictions_match_the_truth(result, borough):
    truth = borough.truth.oa_shares
    oa = result.oa.set_index("oa_code")
    err = (oa[SHARES] - truth.loc[oa.index, SHARES]).abs().mean(axis=1)
    mae = float((err * oa["population"]).sum() / oa["population"].sum())
    assert mae <= 0.04, mae  # measured 0.022


def test_planted_disagreements_are_recovered(result, borough):
    lsoa = result.lsoa.set_index("lsoa_code")
    planted = borough.truth.planted.set_index("lsoa_code")["direction"]
    flagged = lsoa.index[lsoa["flag"] != "agree"]
    right = [c for c in flagged if c in planted.index and planted[c] == lsoa.at[c, "flag"]]
    precision = len(right) / len(flagged)
    recall = len(right) / len(planted)
    # measured on seed 0 through the whole pipeline: precision 1.00, recall 1.00
    assert precision >= 0.8, (precision, recall)
    assert recall >= 0.8, (precision, recall)
    shortlist = result.flags
    assert set(shortlist["lsoa_code"]) == set(flagged)
    assert list(shortlist.columns[:3]) == ["lsoa_code", "lsoa_name", "ward_code"]
    conf = shortlist["flag_confidence"].to_numpy()
    assert (np.diff(conf) <= 1e-12).all()  # most confident first


def test_same_config_same_results(result, written):
    again = rs.run(written["config"])
    pd.testing.assert_frame_equal(
        again.lsoa.drop(columns="geometry"), result.lsoa.drop(columns="geometry")
    )
    pd.testing.assert_frame_equal(
        again.oa.drop(columns="geometry"), result.oa.drop(columns="geometry")
    )


def test_save_writes_every_output(result, tmp_path):
    paths = result.save(tmp_path / "out", maps=False)
    out = tmp_path / "out"
    for name in ["resilience.gpkg", "report.html", "manifest.json", "tables/lsoa.csv",
                 "tables/ward.csv", "tables/flags.csv", "tables/resilience.xlsx",
                 "model/factor_loadings.csv", "model/cluster_profiles.csv",
                 "model/diagnostics.json", "styles/oa.qml"]:  # fmt: skip
        assert (out / name).is_file(), name
    assert paths["geopackage"] == out / "resilience.gpkg"
    assert not list(tmp_path.glob(".out*"))  # no temporary folder left
    layers = dict(pyogrio.list_layers(out / "resilience.gpkg"))
    assert {"oa", "lsoa", "ward", "cluster_profiles", "factor_loadings", "area_estimates", "about",
            "layer_styles"} <= set(layers)  # fmt: skip
    with sqlite3.connect(out / "resilience.gpkg") as con:
        defaults = con.execute(
            "select f_table_name from layer_styles where useAsDefault = 1 order by 1"
        ).fetchall()
    assert defaults == [("lsoa",), ("oa",), ("ward",)]
    # the area estimates table holds only categories that passed disclosure control
    est = pyogrio.read_dataframe(out / "resilience.gpkg", layer="area_estimates")
    assert set(est["respondents"]) <= {"10–29", "30–99", "100–299", "300+"}
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["seed"] == 0
    assert manifest["counts"]["flagged"] == len(result.flags)
    assert {"survey_model", "area_estimates", "comparison", "outputs"} <= set(manifest["timings"])
    assert all(len(f["sha256"]) == 64 for f in manifest["inputs"]["survey"])
    lsoa = pd.read_csv(out / "tables" / "lsoa.csv", dtype={"lsoa_code": str})
    assert len(lsoa) == 140 and lsoa["lsoa_code"].str.startswith("E01").all()
    with pytest.raises(rs.errors.OutputExistsError):
        result.save(tmp_path / "out", maps=False)


def test_model_diagnostics_written(result, tmp_path):
    result.save(tmp_path / "o", maps=False)
    diag = json.loads((tmp_path / "o" / "model" / "diagnostics.json").read_text())
    assert diag["kmo"] > 0.8 and diag["stability"]["n_boot"] == 20
    loadings = pd.read_csv(tmp_path / "o" / "model" / "factor_loadings.csv")
    assert len(loadings) == 22
    # factor correlations: a named, symmetric matrix with a unit diagonal, also in the gpkg
    phi = pd.read_csv(tmp_path / "o" / "model" / "factor_correlations.csv", index_col="factor")
    assert list(phi.index) == list(phi.columns) == list(loadings.columns[1:])
    np.testing.assert_allclose(phi.to_numpy(), phi.to_numpy().T, atol=1e-12)
    np.testing.assert_allclose(np.diag(phi), 1.0, atol=1e-9)
    stored = pyogrio.read_dataframe(tmp_path / "o" / "resilience.gpkg", layer="factor_correlations")
    np.testing.assert_allclose(stored.set_index("factor").to_numpy(), phi.to_numpy())
    assert diag["variance_explained"] == pytest.approx(
        sum(diag["communalities"].values()) / 22, abs=1e-3
    )
    profiles = pd.read_csv(tmp_path / "o" / "model" / "cluster_profiles.csv")
    assert list(profiles["cluster"]) == list(CLUSTER_KEYS)


def test_check_report_on_good_inputs(written):
    report = rs.check(written["config"])
    assert report.ok, str(report)
    text = str(report)
    assert "700 areas; code column 'OA21CD'" in text
    assert "recognised as English Indices of Deprivation 2025" in text
    assert "All inputs can be read and joined." in text
