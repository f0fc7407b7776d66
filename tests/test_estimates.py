"""Small-area estimates: accuracy against the synthetic truth, disclosure, invariants."""

import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from resilience.clusters import CLUSTER_KEYS, share_columns
from resilience.errors import (
    CodeMatchError,
    ConfigError,
    DataQualityWarning,
    DisclosureWarning,
    InputDataError,
    NotFittedError,
)
from resilience.models import SurveyModel
from resilience.models.aggregate import aggregate, population_weights
from resilience.models.area_estimator import AreaEstimator, n_band, normalise_category

LEVELS = ["oac_supergroup", "oac_group", "oac_subgroup"]
SHARES = share_columns()


@pytest.fixture(scope="module")
def fitted(borough):
    survey = borough.survey.set_index("pidp").rename(columns=lambda c: c.removeprefix("f_"))
    survey = survey.rename(columns={"indscui_xw": "weight"})
    model = SurveyModel(random_state=0, n_boot=0).fit(survey)
    est = AreaEstimator(LEVELS, n_boot=200, random_state=0).fit(survey, model.labels_)
    return survey, model, est


@pytest.fixture(scope="module")
def areas(borough):
    return borough.classification.rename(columns=lambda c: f"oac_{c}")


def _mae(pred, truth, pop):
    err = (pred[SHARES] - truth.loc[pred.index, SHARES]).abs().mean(axis=1)
    return float((err * pop.loc[pred.index]).sum() / pop.loc[pred.index].sum())


def test_oa_shares_are_close_to_the_truth(fitted, areas, borough):
    survey, _, est = fitted
    assert len(survey) >= 5000
    pred = est.predict(areas)
    pop = borough.oa.set_index("oa_code")["population"]
    mae = _mae(pred, borough.truth.oa_shares, pop)
    # measured on seed 0 (8,000 respondents, labels from the fitted SurveyModel): 0.022
    assert mae <= 0.03, mae


def test_shrinkage_helps_small_categories(fitted, borough):
    survey, model, est = fitted
    raw = AreaEstimator(LEVELS, n_boot=0, shrinkage=0, random_state=0).fit(survey, model.labels_)
    truth = borough.truth.category_shares.loc["subgroup"]
    n = survey["oac_subgroup"].str.lower().value_counts()
    small = [c for c in est.estimates_.loc["oac_subgroup"].index if n[c] < 40]
    assert len(small) >= 5

    def err(e):
        got = e.estimates_.loc["oac_subgroup"].loc[small, SHARES]
        return float((got - truth.loc[small, SHARES]).abs().to_numpy().mean())

    # measured: 0.042 with empirical Bayes shrinkage against 0.064 for raw shares
    assert err(est) < 0.8 * err(raw)
    assert 1 < est.alpha_["oac_subgroup"] < 1000


def test_intervals_cover_the_truth_in_a_sensible_share(fitted, areas, borough):
    _, _, est = fitted
    pred = est.predict(areas)
    truth = borough.truth.oa_shares.loc[pred.index, SHARES].to_numpy()
    lo = pred[share_columns("_lo")].to_numpy()
    hi = pred[share_columns("_hi")].to_numpy()
    coverage = float(((truth >= lo) & (truth <= hi)).mean())
    # nominal 90 %; measured 0.928 with fixed labels (posterior draws, α re-estimated) on
    # this seed; over random_state 0-39 mean 0.919 (sd 0.013) with a random stream per
    # replicate, 0.921 (sd 0.012) with the one stream used before; 0.84 before replicates
    # drew from the posterior. See test_uncertainty.py for coverage with label draws.
    assert coverage == pytest.approx(0.928, abs=0.02), coverage


def test_shares_sum_to_one_and_intervals_contain_the_estimate(fitted, areas):
    _, _, est = fitted
    pred = est.predict(areas)
    np.testing.assert_allclose(pred[SHARES].sum(axis=1), 1.0, atol=1e-9)
    for k in CLUSTER_KEYS:
        s = pred[f"share_{k}"]
        assert (pred[f"share_{k}_lo"] <= s + 1e-12).all()
        assert (s <= pred[f"share_{k}_hi"] + 1e-12).all()
    assert (pred["resilience_score_lo"] <= pred["resilience_score"]).all()
    assert (pred["resilience_score"] <= pred["resilience_score_hi"]).all()
    assert set(pred["dominant_cluster"]) <= set(CLUSTER_KEYS)
    assert (
        pred[SHARES].idxmax(axis=1).str.removeprefix("share_") == pred["dominant_cluster"]
    ).all()
    est_table = est.estimates_
    np.testing.assert_allclose(est_table[SHARES].sum(axis=1), 1.0, atol=1e-9)


def test_estimate_level_and_fallback(fitted, areas, borough):
    survey, model, est = fitted
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # every borough category is in the survey
        pred = est.predict(areas)
    used = survey.loc[model.labels_.index]
    used = used[used["weight"] > 0]
    counts = used["oac_subgroup"].str.lower().value_counts()
    own = set(est.estimates_.loc["oac_subgroup"].index)
    assert all(counts[c] >= 10 for c in own)  # never an estimate from fewer than 10
    # large enough but suppressed so that no small sibling can be recovered by differencing
    assert (
        sum(counts[c] >= 10 and c not in own for c in counts.index)
        == (est.complementary_["oac_subgroup"])
    )
    for oa, row in pred.iterrows():
        sub = areas.loc[oa, "oac_subgroup"]
        if sub in own:
            assert row["estimate_level"] == "oac_subgroup"
            assert row["estimate_category"] == sub
        else:
            assert row["estimate_level"] in ("oac_group", "oac_supergroup", "all")
    assert set(pred["estimate_level"]) > {"oac_subgroup"}  # some OAs did fall back


def test_disclosure_threshold_is_exact():
    rng = np.random.default_rng(0)
    n_big, threshold = 200, 10
    # 1b and 1d (9 each) are suppressed; together (18) they cannot be told apart by
    # differencing "1" and its published children, so 1c (10) keeps its estimate
    groups = (
        ["1a"] * n_big + ["1b"] * (threshold - 1) + ["1c"] * threshold + ["1d"] * (threshold - 1)
    )
    survey = pd.DataFrame({"sg": ["1"] * len(groups), "g": groups, "w": 1.0})
    survey = survey.rename(columns={"w": "weight"})
    labels = pd.Series(rng.choice(CLUSTER_KEYS, len(groups)), index=survey.index)
    est = AreaEstimator(["sg", "g"], min_respondents=threshold, n_boot=20, random_state=0)
    est.fit(survey, labels)
    own = set(est.estimates_.index)
    assert ("g", "1a") in own and ("g", "1c") in own
    assert ("g", "1b") not in own  # 9 respondents: no estimate of its own, anywhere
    assert est.suppressed_ == {"sg": 0, "g": 2} and est.complementary_ == {"sg": 0, "g": 0}
    areas = pd.DataFrame({"sg": ["1", "1", "1"], "g": ["1a", "1b", "1c"]}, index=["x", "y", "z"])
    pred = est.predict(areas)
    assert pred.loc["y", "estimate_level"] == "sg"
    np.testing.assert_allclose(
        pred.loc["y", SHARES], est.estimates_.loc[("sg", "1"), SHARES].to_numpy(dtype=float)
    )
    # counts are only reported in bands
    assert set(est.estimates_["respondents"]) <= {"10–29", "30–99", "100–299", "300+"}
    assert n_band(9) == "<10"


def test_codes_are_normalised(fitted):
    _survey, _model, est = fitted
    code = est.estimates_.loc["oac_subgroup"].index[0]
    group = est.estimates_.loc[("oac_subgroup", code), "parent"]
    sg = group[0]
    messy = pd.DataFrame(
        {
            "oac_supergroup": [f" {sg} "],
            "oac_group": [group.upper()],
            "oac_subgroup": [f"{code.upper()} "],
        },
        index=["E00999999"],
    )
    pred = est.predict(messy)
    assert pred.loc["E00999999", "estimate_category"] == code
    assert normalise_category(pd.Series(["1 A 1"])).iloc[0] == "1a1"


def test_unknown_codes_fall_back_with_a_warning_or_fail_by_name(fitted):
    _, _, est = fitted
    sg = est.estimates_.loc["oac_supergroup"].index[0]
    areas = pd.DataFrame(
        {
            "oac_supergroup": [sg, sg],
            "oac_group": [f"{sg}z", f"{sg}z"],
            "oac_subgroup": [f"{sg}z9", f"{sg}z9"],
        },
        index=["E00000001", "E00000002"],
    )
    with pytest.warns(
        DisclosureWarning, match=f"1 oac_subgroup category \\('{sg}z9'\\); 1 oac_group"
    ):
        pred = est.predict(areas)
    assert (pred["estimate_level"] == "oac_supergroup").all()
    bad = pd.DataFrame(
        {"oac_supergroup": ["Q"], "oac_group": ["Q1"], "oac_subgroup": ["Q1a"]}, index=["E00123456"]
    )
    with pytest.raises(InputDataError, match="area 'E00123456' with oac_supergroup code 'q'"):
        est.predict(bad)
    nocode = pd.DataFrame(
        {"oac_supergroup": [None], "oac_group": [None], "oac_subgroup": [None]}, index=["E00000009"]
    )
    with pytest.raises(InputDataError, match="no 'oac_supergroup' classification code.*E00000009"):
        est.predict(nocode)
    with pytest.raises(InputDataError, match="no column"):
        est.predict(pd.DataFrame({"sg": ["1"]}, index=["a"]))


def test_deterministic_for_a_seed(fitted, areas):
    survey, model, est = fitted
    again = AreaEstimator(LEVELS, n_boot=200, random_state=0).fit(survey, model.labels_)
    pd.testing.assert_frame_equal(again.predict(areas), est.predict(areas))
    other = AreaEstimator(LEVELS, n_boot=200, random_state=1).fit(survey, model.labels_)
    assert not np.allclose(
        other.predict(areas)[share_columns("_lo")], est.predict(areas)[share_columns("_lo")]
    )


def test_not_fitted_and_bad_parameters():
    with pytest.raises(NotFittedError):
        AreaEstimator(["a"]).predict(pd.DataFrame({"a": ["1"]}))
    survey = pd.DataFrame({"a": ["1"] * 20})
    labels = pd.Series(["isolation"] * 20)
    with pytest.raises(ConfigError, match="interval"):
        AreaEstimator(["a"], interval=1.5).fit(survey, labels)
    with pytest.raises(ConfigError, match="shrinkage"):
        AreaEstimator(["a"], shrinkage="lots").fit(survey, labels)
    with pytest.raises(InputDataError, match="cluster keys"):
        AreaEstimator(["a"]).fit(survey, pd.Series(["lonely"] * 20))


def test_input_is_not_modified(fitted, areas):
    _, _, est = fitted
    before = areas.copy()
    est.predict(areas)
    pd.testing.assert_frame_equal(areas, before)


# ---------------------------------------------------------------- aggregation
def test_lsoa_and_ward_intervals_come_from_replicates(fitted, areas, borough):
    _, _, est = fitted
    M, _ = est.membership(areas)
    pred = est.shares_from_membership(M, areas.index)
    reps = est.replicates(M)
    oa = borough.oa.set_index("oa_code").loc[areas.index]
    pop = population_weights(areas.index, oa["population"])
    lsoa = aggregate(pred, oa["lsoa_code"], pop, replicates=reps, population=pop)
    assert len(lsoa.frame) == 140
    assert lsoa.score_replicates.shape == (200, 140)
    assert lsoa.frame["population"].sum() == oa["population"].sum()
    # intervals of an aggregate are not the average of the OA bounds: narrower here
    avg_width = (
        (pred["share_isolation_hi"] - pred["share_isolation_lo"]).groupby(oa["lsoa_code"]).mean()
    )
    width = lsoa.frame["share_isolation_hi"] - lsoa.frame["share_isolation_lo"]
    assert (width <= avg_width.loc[width.index] + 1e-6).all()
    assert (width < avg_width.loc[width.index] - 1e-4).mean() > 0.3
    # the ward figures against the truth
    ward = aggregate(pred, oa["ward_code"], pop, replicates=reps).frame
    truth = borough.truth.ward_shares.loc[ward.index, SHARES]
    assert (ward[SHARES] - truth).abs().to_numpy().mean() < 0.03


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.integers(0, 3), min_size=1, max_size=25),
    st.lists(st.floats(0.0, 1000.0), min_size=25, max_size=25),
    st.integers(0, 2**31 - 1),
)
def test_aggregation_conserves_population_weighted_totals(groups, pops, seed):
    rng = np.random.default_rng(seed)
    n = len(groups)
    idx = pd.Index([f"E00{i:06d}" for i in range(n)])
    shares = rng.dirichlet(np.ones(6), n)
    oa = pd.DataFrame(shares, index=idx, columns=SHARES)
    pop = pd.Series(pops[:n], index=idx)
    g = pd.Series([f"L{x}" for x in groups], index=idx)
    reps = rng.dirichlet(np.ones(6), (7, n)).astype(np.float32)
    agg = aggregate(oa, g, pop, replicates=reps, population=pop).frame
    np.testing.assert_allclose(agg[SHARES].sum(axis=1), 1.0, atol=1e-9)
    for code, members in g.groupby(g).groups.items():
        p = pop.loc[members].to_numpy()
        w = p / p.sum() if p.sum() > 0 else np.full(len(p), 1.0 / len(p))
        np.testing.assert_allclose(
            agg.loc[code, SHARES], w @ shares[[idx.get_loc(m) for m in members]], atol=1e-9
        )
    assert agg["population"].sum() == pytest.approx(pop.sum())


def test_missing_population_warns_and_falls_back():
    idx = pd.Index(["a", "b", "c"])
    with pytest.warns(DataQualityWarning, match="weight every OA equally"):
        assert (population_weights(idx, None) == 1.0).all()
    with pytest.warns(DataQualityWarning, match="1 of 3 OAs have no population"):
        pop = population_weights(idx, pd.Series({"a": 100.0, "b": 300.0}))
    assert pop["c"] == 200.0
    with pytest.raises(InputDataError, match="must not be negative"):
        population_weights(idx, pd.Series({"a": -1.0, "b": 1.0, "c": 1.0}))


# ------------------------------------------------------------------ vintages
def test_u_s_m_x_carry_over_on_a_hand_made_lookup():
    from resilience.inputs.crosswalk import crosswalk_matrix

    links = pd.DataFrame(
        [
            ("A11", "A21", "U"),  # unchanged
            ("B11", "B21a", "S"),  # split into two
            ("B11", "B21b", "S"),
            ("C11", "C21", "M"),  # two merged into one
            ("D11", "C21", "M"),
            ("E11", "E21", "X"),  # irregular: best fit is the larger source
            ("F11", "E21", "X"),
        ],
        columns=["source", "target", "change"],
    )
    sources = pd.Index(["A11", "B11", "C11", "D11", "E11", "F11"])
    targets = pd.Index(["A21", "B21a", "B21b", "C21", "E21"])
    pop = pd.Series([100, 200, 300, 100, 50, 150], index=sources, dtype=float)
    xw = crosswalk_matrix(links, targets, sources, pop)
    W = xw.matrix.toarray()
    np.testing.assert_allclose(W.sum(axis=1), 1.0)
    np.testing.assert_allclose(W[0], [1, 0, 0, 0, 0, 0])
    np.testing.assert_allclose(W[1], [0, 1, 0, 0, 0, 0])
    np.testing.assert_allclose(W[2], [0, 1, 0, 0, 0, 0])
    np.testing.assert_allclose(W[3], [0, 0, 0.75, 0.25, 0, 0])
    np.testing.assert_allclose(W[4], [0, 0, 0, 0, 0, 1])
    assert xw.change.tolist() == ["U", "S", "S", "M", "X"]
    assert xw.counts == {"U": 1, "S": 2, "M": 1, "X": 1}
    with pytest.raises(CodeMatchError, match="no row in the vintage lookup.*'Z21'"):
        crosswalk_matrix(links, targets.append(pd.Index(["Z21"])), sources, pop)


def test_estimates_carried_across_vintages(fitted):
    from resilience.inputs.crosswalk import crosswalk_matrix

    _, _, est = fitted
    codes = est.estimates_.loc["oac_subgroup"].index[:2]
    groups = (
        est.estimates_.loc[("oac_subgroup", codes[0]), "parent"],
        est.estimates_.loc[("oac_subgroup", codes[1]), "parent"],
    )
    oa11 = pd.DataFrame(
        {
            "oac_supergroup": [g[0] for g in groups],
            "oac_group": list(groups),
            "oac_subgroup": list(codes),
        },
        index=["C11", "D11"],
    )
    links = pd.DataFrame(
        [("C11", "C21", "M"), ("D11", "C21", "M")], columns=["source", "target", "change"]
    )
    xw = crosswalk_matrix(
        links, pd.Index(["C21"]), oa11.index, pd.Series([300.0, 100.0], index=oa11.index)
    )
    M11, _ = est.membership(oa11)
    merged = est.shares_from_membership(xw.matrix @ M11, pd.Index(["C21"]))
    parts = est.predict(oa11)
    np.testing.assert_allclose(
        merged.loc["C21", SHARES].to_numpy(dtype=float),
        0.75 * parts.loc["C11", SHARES].to_numpy(dtype=float)
        + 0.25 * parts.loc["D11", SHARES].to_numpy(dtype=float),
    )


def test_read_crosswalk(tmp_path):
    from resilience.inputs.crosswalk import read_crosswalk

    path = tmp_path / "oa11_oa21.csv"
    path.write_text(
        "OA11CD,CHNGIND,OA21CD,LAD22CD\nE00000001,U,E00000001,E09000001\nE00000002,S,E00190001,E09000001\n"
    )
    links = read_crosswalk(path, source="oa11cd", target="OA21CD")
    assert links["change"].tolist() == ["U", "S"]
    path.write_text("OA11CD,CHNGIND,OA21CD\nE00000001,Q,E00000001\n")
    with pytest.raises(InputDataError, match="must be U, S, M or X; found 'Q'"):
        read_crosswalk(path, source="OA11CD", target="OA21CD")


# ----------------------------------------------------------------- real data
def test_real_london_borough_gets_a_prediction_for_every_oa_and_ward(realdata):
    import pyogrio

    from resilience.inputs import read_boundaries, read_lookup
    from resilience.synthetic import make_survey

    lad = "E09000002"  # Barking and Dagenham
    oa = read_boundaries(realdata / "oa11_london.gpkg", "oa", code="OA11CD")
    attrs = pyogrio.read_dataframe(realdata / "oa11_london.gpkg", read_geometry=False)
    attrs = attrs[attrs["LAD11CD"] == lad]
    oa = oa[oa["oa_code"].isin(attrs["OA11CD"])]
    lookup = read_lookup(
        realdata / "lookup_oa11_lsoa11_msoa11_ward_lad_london.csv",
        oa="OA11CD",
        lsoa="LSOA11CD",
        ward="WD11CD",
    )
    lookup = lookup.set_index("oa_code").loc[oa["oa_code"]]
    loac = pd.read_csv(realdata / "loac2011_oa11_london.csv", dtype=str).set_index("OA11CD")
    areas = loac.loc[oa["oa_code"], ["LOAC11_SPRGRP", "LOAC11_GRP"]]
    # a survey of the whole of London's classification, as a national survey would be
    cats = loac[["LOAC11_SPRGRP", "LOAC11_GRP"]].drop_duplicates()
    survey, _, _truth = make_survey(cats, n_respondents=6000, seed=2)
    survey = survey.set_index("pidp").rename(columns=lambda c: c.removeprefix("f_"))
    survey = survey.rename(columns={"indscui_xw": "weight"})
    model = SurveyModel(random_state=0, n_boot=0, n_init=10).fit(survey)
    est = AreaEstimator(["LOAC11_SPRGRP", "LOAC11_GRP"], n_boot=50, random_state=0).fit(
        survey, model.labels_
    )
    pred = est.predict(areas)
    assert len(pred) == len(oa) > 500
    assert pred[SHARES].notna().all().all()
    pop = population_weights(pred.index, pd.Series(150.0, index=pred.index))
    wards = aggregate(
        pred, lookup["ward_code"], pop, replicates=est.replicates(est.membership(areas)[0])
    )
    assert set(wards.frame.index) == set(lookup["ward_code"])
    assert len(wards.frame) == 17


def test_population_is_reported_only_where_known():
    idx = pd.Index(["a", "b", "c", "d"])
    oa = pd.DataFrame(np.full((4, 6), 1 / 6), index=idx, columns=SHARES)
    groups = pd.Series(["L1", "L1", "L2", "L2"], index=idx)
    known = pd.Series([100.0, 200.0, 50.0, np.nan], index=idx)
    with pytest.warns(DataQualityWarning):
        weights = population_weights(idx, known)
    agg = aggregate(oa, groups, weights, population=known).frame
    assert agg.loc["L1", "population"] == 300.0
    assert np.isnan(agg.loc["L2", "population"])  # the made-up weight is not a population
    assert aggregate(oa, groups, weights).frame["population"].isna().all()


def test_no_bootstrap_gives_estimates_without_intervals(fitted, areas):
    survey, model, _ = fitted
    est = AreaEstimator(LEVELS, n_boot=0, random_state=0).fit(survey, model.labels_)
    M, _ = est.membership(areas)
    pred = est.shares_from_membership(M, areas.index)
    assert "share_isolation_lo" not in pred.columns
    pop = pd.Series(1.0, index=areas.index)
    agg = aggregate(
        pred, pd.Series("all", index=areas.index), pop, membership=M,
        category_replicates=est.replicates_,
    )  # fmt: skip
    assert agg.score_replicates.shape == (0, 1)
    np.testing.assert_allclose(agg.frame[SHARES].sum(axis=1), 1.0)


def test_scikit_learn_contract_and_input_checks(fitted):
    from sklearn.base import clone

    survey, model, est = fitted
    assert clone(est).get_params() == est.get_params()
    with pytest.raises(InputDataError, match="sample_weight names the column 'w'"):
        AreaEstimator(LEVELS, n_boot=0).fit(survey, model.labels_, sample_weight="w")
    with pytest.raises(InputDataError, match="repeated respondent identifiers"):
        AreaEstimator(LEVELS, n_boot=0).fit(
            pd.concat([survey.iloc[:5], survey.iloc[:5]]), model.labels_
        )
    labels = model.labels_.reindex(survey.index).to_numpy()
    as_array = AreaEstimator(LEVELS, n_boot=0).fit(survey, labels)
    pd.testing.assert_frame_equal(
        as_array.estimates_, AreaEstimator(LEVELS, n_boot=0).fit(survey, model.labels_).estimates_
    )
    with pytest.raises(InputDataError, match="one label per survey row"):
        AreaEstimator(LEVELS, n_boot=0).fit(survey, labels[:10])


def test_a_merged_survey_fits_exactly_like_the_original(fitted):
    """Weights are a column, so an ordinary merge keeps them (no DataFrame.attrs)."""
    survey, model, est = fitted
    extra = pd.DataFrame({"pidp": survey.index, "tenure": "owned"})
    merged = survey.reset_index().merge(extra, on="pidp", how="left").set_index("pidp")
    assert merged.attrs == {}
    again = AreaEstimator(LEVELS, n_boot=200, random_state=0).fit(merged, model.labels_)
    pd.testing.assert_frame_equal(again.estimates_, est.estimates_)
    np.testing.assert_array_equal(again.replicates_, est.replicates_)
    refit = SurveyModel(random_state=0, n_boot=0).fit(merged)
    pd.testing.assert_series_equal(refit.labels_, model.labels_)
    # the same weights given explicitly
    explicit = AreaEstimator(LEVELS, n_boot=200, random_state=0).fit(
        merged.drop(columns="weight"), model.labels_, sample_weight=survey["weight"]
    )
    pd.testing.assert_frame_equal(explicit.estimates_, est.estimates_)


def test_lost_or_missing_weights_fail_or_warn(fitted):
    survey, model, _ = fitted
    # a merge that adds respondents without a weight: a clear error, not a silent refit
    stray = survey.iloc[:3].copy()
    stray.index = pd.Index([-1, -2, -3], name=survey.index.name)
    stray["weight"] = np.nan
    with pytest.raises(InputDataError, match="3 missing, negative or infinite weight") as err:
        AreaEstimator(LEVELS, n_boot=0).fit(pd.concat([survey, stray]), model.labels_)
    assert "merge" in str(err.value)
    with pytest.warns(DataQualityWarning, match="without survey weights"):
        AreaEstimator(LEVELS, n_boot=0).fit(survey.drop(columns="weight"), model.labels_)
    with pytest.warns(DataQualityWarning, match="without survey weights"):
        SurveyModel(random_state=0, n_boot=0, n_init=2).fit(survey.drop(columns="weight"))
