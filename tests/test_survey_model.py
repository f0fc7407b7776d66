"""The survey model: recovery of the synthetic truth, labelling, contract and errors."""

import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import adjusted_rand_score

from resilience.clusters import CLUSTER_KEYS, CONSTRUCTS, PROFILE_MATRIX
from resilience.errors import ConfigError, DataQualityWarning, NotFittedError
from resilience.inputs.survey import read_survey
from resilience.items import DEFAULT_ITEMS, Item
from resilience.models import SurveyModel
from resilience.models._factor import bartlett, kmo


@pytest.fixture(scope="module")
def survey(borough, tmp_path_factory):
    path = tmp_path_factory.mktemp("survey") / "f_indresp.tab"
    borough.survey.to_csv(path, sep="\t", index=False)
    return read_survey(
        path, weight="f_indscui_xw", levels=["oac_supergroup", "oac_group", "oac_subgroup"]
    )


@pytest.fixture(scope="module")
def model(survey):
    return SurveyModel(random_state=0, n_boot=10).fit(survey)


def test_recovers_the_true_clusters(model, borough, survey):
    assert len(survey) >= 5000
    truth = borough.truth.respondent_cluster.reindex(model.labels_.index)
    table = pd.crosstab(truth, model.labels_)
    # every true cluster's most common predicted label is the right one (6 of 6)
    assert (table.idxmax(axis=1) == table.index).all()
    accuracy = float((truth == model.labels_).mean())
    ari = adjusted_rand_score(truth, model.labels_)
    # measured on seed 0: accuracy 0.914, adjusted Rand index 0.803 (chance: 1/6 and 0)
    assert accuracy >= 0.85, accuracy
    assert ari >= 0.7, ari


def test_factors_are_named_after_their_constructs(model):
    assert sorted(model.loadings_.columns) == sorted(CONSTRUCTS)
    for it in DEFAULT_ITEMS:
        row = model.loadings_.loc[it.name]
        assert row.abs().idxmax() == it.construct
        assert row[it.construct] > 0.5  # own construct, positive direction
    assert model.diagnostics_["missing_constructs"] == []


def test_diagnostics(model, survey):
    d = model.diagnostics_
    assert d["kmo"] > 0.8
    assert d["bartlett_p"] < 1e-10
    # stress and capability correlate strongly in the synthetic world, so 4 or 5
    assert 4 <= d["parallel_analysis_factors"] <= 5
    weights = survey["weight"]
    assert d["n_zero_weight"] == int((weights == 0).sum())
    assert d["n_used"] + d["n_zero_weight"] + d["n_dropped_missing"] == len(survey)
    assert d["n_dropped_missing"] > 50  # the neighbourhood-module skippers
    assert len(model.labels_) == d["n_used"]
    # a respondent with weight 0 is never among those used
    assert (weights.loc[model.labels_.index] > 0).all()
    s = model.summary()
    assert {"section", "measure", "value"} == set(s.columns)
    assert "KMO" in set(s["measure"])


def test_communalities_and_variance_from_the_structure(model):
    load = model.loadings_.to_numpy()
    phi = model.factor_correlations_.to_numpy()
    assert list(model.factor_correlations_.index) == list(model.loadings_.columns)
    np.testing.assert_allclose(phi, phi.T)
    np.testing.assert_allclose(np.diag(phi), 1.0)
    h2 = np.diag(load @ phi @ load.T)  # R psych's h² of an oblique solution
    np.testing.assert_allclose(model.communalities_, h2, atol=1e-12)
    assert ((h2 > 0) & (h2 < 1)).all()
    d = model.diagnostics_
    # measured on seed 0: 65.56 % from the structure; the pattern alone (Σ L² / p) gave
    # the 65.29 % reported before
    assert d["variance_explained"] == pytest.approx(h2.sum() / 22, abs=1e-12)
    assert d["variance_explained"] == pytest.approx(0.6556, abs=0.001)
    assert (load**2).sum() / 22 == pytest.approx(0.6529, abs=0.001)
    var = model.variance_explained_
    # per factor diag(Φ Lᵀ L) (psych's SS loadings); they add up to Σ h²
    np.testing.assert_allclose(var["ss_loadings"], np.diag(phi @ load.T @ load), atol=1e-12)
    assert var["cumulative"].iloc[-1] == pytest.approx(d["variance_explained"], abs=1e-12)
    assert sum(d["variance_explained_by_factor"].values()) == pytest.approx(
        d["variance_explained"], abs=1e-3
    )


def test_adequacy_and_parallel_analysis_use_the_weighted_matrix(model, survey):
    d = model.diagnostics_
    w = survey["weight"].loc[model.labels_.index].to_numpy()
    assert d["n_effective"] == pytest.approx(w.sum() ** 2 / (w**2).sum())
    # measured on seed 0: Kish n 6718 of 7333 respondents used
    assert d["n_effective"] == pytest.approx(6718, abs=1)
    corr = model.factors_.corr
    _, kmo_total = kmo(corr)
    chi2, _, df = bartlett(corr, d["n_effective"])
    assert (d["kmo"], d["bartlett_chi2"], d["bartlett_df"]) == (kmo_total, chi2, df)
    assert df == 22 * 21 // 2
    # the unweighted figures differ: measured KMO 0.9352 weighted, 0.9360 unweighted;
    # Bartlett 93,900 with Kish n, 102,118 with the unweighted n
    assert d["kmo"] == pytest.approx(0.9352, abs=0.001)
    assert d["bartlett_chi2"] == pytest.approx(93_900, rel=0.01)
    eig = np.sort(np.linalg.eigvalsh(corr))[::-1]
    np.testing.assert_allclose(d["eigenvalues"], eig, atol=1e-4)
    # Horn's components variant suggests 4 (stress and capability correlate -0.74 in the
    # synthetic world); the factor variant on the reduced matrix suggests the true 5
    assert d["parallel_analysis_factors"] == 4
    assert d["parallel_analysis_factors_fa"] == 5
    assert len(d["reduced_eigenvalues"]) == len(d["parallel_threshold_fa"]) == 22


def test_profiles_match_their_labels(model):
    p = model.profiles_
    assert list(p.index) == list(CLUSTER_KEYS)
    assert p.loc["high_wellbeing", "wellbeing"] > 1.0 > -1.0 > p.loc["low_wellbeing", "wellbeing"]
    assert p.loc["neighbourhood_support", ["belonging", "solidarity"]].min() > 0.8
    assert p.loc["isolation", ["belonging", "solidarity"]].max() < -0.8
    assert p.loc["emotional_fragility", "stress"] > 1.0
    assert p.loc["competence", "capability"] > 1.0
    assert (model.match_["similarity"] > 0.85).all()
    sizes = model.cluster_sizes_
    assert sizes["weighted_share"].sum() == pytest.approx(1.0)
    assert sizes["respondents"].sum() == len(model.labels_)


def test_stability(model):
    s = model.stability_
    assert s["n_boot"] == 10
    assert 0.9 < s["ari_mean"] <= 1.0
    assert set(s["label_agreement"]) == set(CLUSTER_KEYS)


def test_labelling_does_not_depend_on_kmeans_numbering(model):
    profiles = model.profiles_.reset_index(drop=True)
    keys, _ = model._assign(profiles)
    assert list(keys) == list(CLUSTER_KEYS)
    rng = np.random.default_rng(1)
    for _ in range(5):
        perm = rng.permutation(len(profiles))
        permuted, _ = model._assign(profiles.iloc[perm].reset_index(drop=True))
        assert list(permuted) == [CLUSTER_KEYS[i] for i in perm]


def test_labelling_of_the_textbook_profiles():
    m = SurveyModel()
    m.constructs_ = list(CONSTRUCTS)
    keys, match = m._assign(PROFILE_MATRIX.reset_index(drop=True).iloc[::-1].reset_index(drop=True))
    assert list(keys) == list(CLUSTER_KEYS)[::-1]
    np.testing.assert_allclose(match["similarity"], 1.0)


def test_same_seed_same_labels(survey, model):
    again = SurveyModel(random_state=0, n_boot=10).fit(survey)
    pd.testing.assert_series_equal(again.labels_, model.labels_)
    pd.testing.assert_frame_equal(again.loadings_, model.loadings_)
    assert again.stability_ == model.stability_


def test_input_frame_is_not_modified(survey):
    before = survey.copy()
    attrs = dict(survey.attrs)
    SurveyModel(random_state=1, n_boot=0, n_init=5).fit(survey)
    pd.testing.assert_frame_equal(survey, before)
    assert survey.attrs == attrs


def test_predict_reproduces_the_fit_and_applies_to_new_waves(model, survey):
    pred = model.predict(survey)
    used = model.labels_.index
    assert (pred.loc[used] == model.labels_).all()
    # respondents missing over half of any construct's items cannot be scored
    too_few = np.zeros(len(survey), dtype=bool)
    for construct in CONSTRUCTS:
        cols = [it.name for it in DEFAULT_ITEMS if it.construct == construct]
        too_few |= survey[cols].isna().sum(axis=1).to_numpy() > len(cols) / 2
    assert (pred.isna().to_numpy() == too_few).all()
    proba = model.predict_proba(survey)
    assert list(proba.columns) == list(CLUSTER_KEYS)
    ok = proba.notna().all(axis=1)
    np.testing.assert_allclose(proba[ok].sum(axis=1), 1.0)
    agree = (proba[ok].idxmax(axis=1) == pred[ok]).mean()
    assert agree > 0.97
    # another "wave": the same people, items in another column order, no refit
    other = survey.iloc[:500][list(reversed(survey.columns))]
    pd.testing.assert_series_equal(model.predict(other), pred.iloc[:500])
    assert model.transform(other).shape == (500, 5)


def test_items_in_another_order_fit_the_same_model(survey, model):
    shuffled = list(DEFAULT_ITEMS)[::-1]
    m = SurveyModel(items=shuffled, random_state=0, n_boot=0).fit(survey)
    assert (m.labels_ == model.labels_).mean() > 0.99
    assert sorted(m.loadings_.columns) == sorted(CONSTRUCTS)


def test_weight_zero_respondents_are_left_out(survey):
    s = survey.copy()
    idx = s.index[s["weight"] > 0][:200]
    s.loc[idx, "weight"] = 0.0
    m = SurveyModel(random_state=0, n_boot=0, n_init=5).fit(s)
    assert not set(idx) & set(m.labels_.index)


def test_unweighted_frames_work(survey):
    s = survey.drop(columns="weight")
    with pytest.warns(DataQualityWarning, match="without survey weights"):
        m = SurveyModel(random_state=0, n_boot=0, n_init=5).fit(s)
    assert m.diagnostics_["n_zero_weight"] == 0
    assert m.diagnostics_["n_effective"] == pytest.approx(m.diagnostics_["n_used"])


def test_not_fitted():
    m = SurveyModel()
    for call in (m.predict, m.predict_proba, m.transform):
        with pytest.raises(NotFittedError, match="not fitted yet"):
            call(pd.DataFrame())
    with pytest.raises(NotFittedError):
        m.summary()
    assert "not fitted" in repr(m)


def test_construct_with_too_few_items(survey):
    items = [it for it in DEFAULT_ITEMS if it.construct != "belonging"]
    items.append(Item("scopngbha", "belonging", 1, 5, "lower"))
    with pytest.raises(ConfigError, match="belonging has only \\['scopngbha'\\]"):
        SurveyModel(items=items).fit(survey)


def test_bad_parameters(survey):
    with pytest.raises(ConfigError, match="n_clusters must be 6"):
        SurveyModel(n_clusters=5).fit(survey)
    with pytest.raises(ConfigError, match="n_factors=12 is too many"):
        SurveyModel(n_factors=12).fit(survey)


def test_a_construct_without_its_own_factor_is_reported(survey):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        m = SurveyModel(n_factors=3, random_state=0, n_boot=0, n_init=5).fit(survey)
    assert len(m.diagnostics_["missing_constructs"]) == 2
    assert any("No factor was named after" in str(w.message) for w in caught)
    # clusters are still profiled on every construct
    assert list(m.profiles_.columns) == list(CONSTRUCTS)


def test_scikit_learn_contract(survey, model):
    from sklearn.base import clone

    m = SurveyModel(n_factors=4, random_state=3)
    assert clone(m).get_params() == m.get_params()
    assert m.get_params()["n_factors"] == 4
    # a failed refit leaves no half-updated model behind
    fitted = clone(model).set_params(n_boot=0, n_init=5).fit(survey)
    with pytest.raises(ConfigError):
        fitted.set_params(n_clusters=5).fit(survey)
    with pytest.raises(NotFittedError):
        fitted.predict(survey)
    # a RandomState instance is accepted as random_state
    rs = SurveyModel(random_state=np.random.RandomState(0), n_boot=2, n_init=2).fit(survey)
    assert len(rs.labels_) == model.diagnostics_["n_used"]


def test_a_saved_model_labels_another_wave_without_refitting(model, survey, tmp_path):
    import joblib

    path = tmp_path / "model.joblib"
    joblib.dump(model, path)
    loaded = joblib.load(path)
    other_wave = survey.sample(frac=0.5, random_state=1)
    pd.testing.assert_series_equal(loaded.predict(other_wave), model.predict(other_wave))
    pd.testing.assert_frame_equal(loaded.predict_proba(other_wave), model.predict_proba(other_wave))


def test_predict_proba_is_the_pooled_spherical_mixture_by_hand(model, survey):
    """exp(−d²/(2σ²)) π_k, normalised: the k-means reading with one pooled variance."""
    scores = model.transform(survey).dropna()
    centres = model.kmeans_.cluster_centers_
    d2 = ((scores.to_numpy()[:, None, :] - centres[None]) ** 2).sum(axis=2)
    p = np.exp(-d2 / (2 * model.within_var_)) * model.cluster_prior_
    p /= p.sum(axis=1, keepdims=True)
    order = [list(model.cluster_keys_).index(k) for k in CLUSTER_KEYS]
    np.testing.assert_allclose(model.predict_proba(survey).loc[scores.index], p[:, order])


def test_refits_give_membership_probabilities_with_each_clusters_own_spread(model, survey):
    refits = model.predict_proba_refits(survey)
    assert model.n_refits_ == len(refits) == model.stability_["n_boot"] == 10
    full = model.predict_proba(survey)
    labels = model.labels_
    for p in refits:
        assert list(p.columns) == list(CLUSTER_KEYS)
        pd.testing.assert_index_equal(p.index, survey.index)
        ok = p.notna().all(axis=1)
        assert (ok == full.notna().all(axis=1)).all()
        np.testing.assert_allclose(p[ok].sum(axis=1), 1.0)
        # a refit labels nearly everyone as the full fit does, with other probabilities
        assert (p.loc[labels.index].idxmax(axis=1) == labels).mean() > 0.85
        assert np.abs(p[ok].to_numpy() - full[ok].to_numpy()).max() > 0.05
    # the spreads differ between clusters: not the pooled spherical reading
    spread = model._refits[0].spread
    assert spread.shape == (6, model.n_factors)
    assert spread.max() / spread.min() > 1.5
    assert SurveyModel(random_state=0, n_boot=0).fit(survey).predict_proba_refits(survey) == []


def test_a_refit_of_the_distinct_rows_is_the_fit_of_the_resample(survey):
    """Every step of a refit is weighted, so a resample's distinct rows, each weighted by
    its weight times the times it was drawn, give the fit of the resample itself."""
    from sklearn.cluster import KMeans

    from resilience.models._factor import fit_factors
    from resilience.models.survey_model import _drawn_once, _Mixture

    w_all = survey["weight"].to_numpy(dtype=float)
    screened = SurveyModel(random_state=0)._screen(survey, w_all)
    z, w = screened.prep.z[screened.used], w_all[screened.used]
    idx = np.random.default_rng(1).choice(len(z), size=len(z), replace=True)
    rows, wr = _drawn_once(idx, w)
    assert 0.6 < len(rows) / len(idx) < 0.66  # 1 - 1/e = 0.632 of the rows
    assert wr.sum() == pytest.approx(w[idx].sum(), rel=1e-12)

    kw = {"n_factors": 5, "rotation": "oblimin", "method": "minres"}
    drawn = fit_factors(z[idx], w[idx], screened.items, **kw)
    once = fit_factors(z[rows], wr, screened.items, **kw)
    np.testing.assert_allclose(once.loadings, drawn.loadings, atol=1e-7)
    np.testing.assert_allclose(once.scores(z), drawn.scores(z), atol=1e-6)

    # k-means from the same starting centres: the same centres, inertia and labels
    scores = drawn.scores(z)
    start = scores[rows[:6]]
    fits = [
        KMeans(6, init=start, n_init=1, tol=0, max_iter=1000).fit(x, sample_weight=sw)
        for x, sw in ((scores[idx], w[idx]), (scores[rows], wr))
    ]
    np.testing.assert_allclose(fits[1].cluster_centers_, fits[0].cluster_centers_, atol=1e-9)
    assert fits[1].inertia_ == pytest.approx(fits[0].inertia_, rel=1e-9)
    np.testing.assert_array_equal(fits[1].predict(scores), fits[0].predict(scores))

    # and the same mixture (each cluster's spread and weighted size)
    keys = np.array(CLUSTER_KEYS)
    mixtures = [
        _Mixture.of(drawn, fits[0], keys, z[idx], w[idx]),
        _Mixture.of(drawn, fits[1], keys, z[rows], wr),
    ]
    np.testing.assert_allclose(mixtures[1].spread, mixtures[0].spread, rtol=1e-9)
    np.testing.assert_allclose(mixtures[1].prior, mixtures[0].prior, rtol=1e-12)
