"""Honest uncertainty: interval coverage on synthetic truth, the design bootstrap, label
draws, the national benchmark, what the classification tells, sensitivity and rankings."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from coverage_data import LEVELS, coverage_of_seed, survey_frame
from outputs_data import make_results

from resilience.clusters import CLUSTER_KEYS, share_columns
from resilience.compare.benchmark import BANDS, band, benchmark_columns, bivariate
from resilience.config import load_config
from resilience.errors import ConfigError, DataQualityWarning, InputDataError
from resilience.models._bootstrap import Design, design_multipliers, draw_labels
from resilience.models.area_estimator import AreaEstimator
from resilience.models.validation import classification_value
from resilience.outputs.qml import BIVARIATE_CATEGORIES, default_styles
from resilience.outputs.report import write_report
from resilience.synthetic import make_borough

_survey = survey_frame
SHARES = share_columns()


# ------------------------------------------------------------------------- coverage


def test_ninety_percent_intervals_cover_the_synthetic_truth():
    """Coverage of the true OA, LSOA and ward shares by the 90 % intervals, seeds 0-2.

    Labels from the fitted SurveyModel, replicates drawing labels from its 20 bootstrap
    refits (each cluster with its own spread). Measured over seeds 0-7
    (benchmarks/coverage.py): OA 0.917, LSOA 0.911, ward 0.884; with label draws from
    the one full fit instead, 0.887, 0.884 and 0.838. Here seeds 0-2 (measured: OA 0.950,
    LSOA 0.940, ward 0.928; from the one fit 0.923, 0.917, 0.881).
    """
    got = pd.DataFrame([coverage_of_seed(s) for s in (0, 1, 2)]).mean()
    assert got["oa"] == pytest.approx(0.950, abs=0.02)
    assert got["lsoa"] == pytest.approx(0.940, abs=0.02)
    assert got["ward"] == pytest.approx(0.928, abs=0.03)


@pytest.mark.slow
def test_coverage_is_within_87_to_93_percent_at_every_level_over_seeds_0_to_7():
    """The issue's target, on the mean over seeds 0-7; and the refits widen the ward
    intervals where the one fit's label draws fall short."""
    got = pd.DataFrame([coverage_of_seed(s) for s in range(8)]).mean()
    for level in ("oa", "lsoa", "ward"):
        assert 0.87 <= got[level] <= 0.93, (level, got[level])
    one_fit = pd.DataFrame([coverage_of_seed(s, refits=0) for s in range(8)]).mean()
    assert one_fit["ward"] < 0.87 <= got["ward"]


def test_interval_method_is_named(borough):
    survey = _survey(borough)
    labels = borough.truth.respondent_cluster
    est = AreaEstimator(LEVELS, n_boot=5, random_state=0).fit(survey, labels)
    assert est.interval_method_ == (
        "percentile intervals of 5 replicates: bootstrap of respondents; cluster labels "
        "fixed; prior strength re-estimated; shares drawn from the Dirichlet posterior"
    )
    none = AreaEstimator(LEVELS, n_boot=0).fit(survey, labels)
    assert none.interval_method_ == "none (n_boot = 0)"


# ------------------------------------------------------------------ design bootstrap


def test_rao_wu_multipliers_keep_stratum_totals_and_collapse_single_psu_strata():
    psu = [1, 1, 2, 2, 3, 3, 1, 1, 2, 2, 7]
    strata = ["a"] * 6 + ["b"] * 4 + ["c"]  # stratum c has one PSU: merged into b
    d = Design(psu=psu, strata=strata, n=len(psu))
    assert (d.n_psu, d.n_strata, d.collapsed) == (6, 2, 1)
    assert d.method == "Rao–Wu rescaling bootstrap of PSUs within strata"
    rng = np.random.default_rng(0)
    m = np.array([design_multipliers(d, rng) for _ in range(4000)])
    # n_h − 1 PSUs drawn, rescaled by n_h / (n_h − 1): each stratum keeps its PSU count
    per_psu_a = m[:, [0, 2, 4]]
    np.testing.assert_allclose(per_psu_a.sum(axis=1), 3.0)
    np.testing.assert_allclose(m[:, [6, 8, 10]].sum(axis=1), 3.0)
    # respondents of one PSU share their multiplier; every multiplier averages 1
    np.testing.assert_array_equal(m[:, 0], m[:, 1])
    np.testing.assert_allclose(m.mean(axis=0), 1.0, atol=0.05)


def test_rao_wu_variance_matches_the_textbook_estimator():
    """Bootstrap variance of a weighted total against the with-replacement formula
    v = Σ_h n_h / (n_h − 1) Σ_i (y_hi − ȳ_h)² (Rao & Wu 1988: equal for m_h = n_h − 1)."""
    rng = np.random.default_rng(1)
    strata = np.repeat([0, 1, 2], [5, 8, 4])
    y = rng.gamma(2.0, 3.0, len(strata)) * (1 + strata)
    d = Design(psu=np.arange(len(y)), strata=strata, n=len(y))
    totals = [design_multipliers(d, rng) @ y for _ in range(20000)]
    textbook = sum(
        (n := (strata == h).sum()) / (n - 1) * ((y[strata == h] - y[strata == h].mean()) ** 2).sum()
        for h in range(3)
    )
    assert np.var(totals) == pytest.approx(textbook, rel=0.05)


def _clustered_survey(n_psu=60, size=20, seed=0):
    """Respondents in PSUs whose members mostly share a cluster (as neighbours do)."""
    rng = np.random.default_rng(seed)
    rows = []
    for p in range(n_psu):
        cat = "1" if p % 2 else "2"
        k = rng.integers(0, 6)
        same = rng.uniform(size=size) < 0.8
        lab = np.where(same, k, rng.integers(0, 6, size))
        for i in range(size):
            rows.append((f"r{p}_{i}", cat, f"{cat}a", p, p % 2, CLUSTER_KEYS[lab[i]]))
    df = pd.DataFrame(rows, columns=["id", "sg", "g", "psu", "strata", "cluster"]).set_index("id")
    df["weight"] = 1.0
    return df


def test_design_bootstrap_widens_intervals_when_clusters_share_a_psu():
    survey = _clustered_survey()
    labels = survey.pop("cluster")
    kw = {"n_boot": 300, "random_state": 0, "shrinkage": 0}
    by_design = AreaEstimator(["sg", "g"], **kw).fit(survey, labels)
    naive = AreaEstimator(["sg", "g"], psu=None, strata=None, **kw).fit(survey, labels)
    assert by_design.interval_method_.startswith("percentile intervals of 300 replicates: Rao–Wu")
    assert naive.interval_method_.startswith("percentile intervals of 300 replicates: bootstrap of")

    def width(est):
        e = est.estimates_.loc["sg"]
        return float(
            (e[share_columns("_hi")].to_numpy() - e[share_columns("_lo")].to_numpy()).mean()
        )

    # 20 respondents per PSU, 80 % sharing a cluster: a design effect of about 1 + 19 ρ
    # on the variance; measured width ratio 2.5 (posterior part unaffected by the design)
    ratio = width(by_design) / width(naive)
    assert ratio == pytest.approx(2.5, abs=0.4)
    np.testing.assert_allclose(by_design.estimates_[SHARES], naive.estimates_[SHARES])


# --------------------------------------------------------------------- label draws


def test_labels_drawn_from_membership_probabilities_widen_intervals(borough):
    survey = _survey(borough)
    labels = borough.truth.respondent_cluster
    # uncertain membership: half the mass on the respondent's own cluster
    own = pd.get_dummies(labels).reindex(columns=list(CLUSTER_KEYS), fill_value=0).astype(float)
    proba = 0.5 * own + 0.5 / 6
    kw = {"n_boot": 100, "random_state": 0}
    fixed = AreaEstimator(LEVELS, **kw).fit(survey, labels)
    drawn = AreaEstimator(LEVELS, **kw).fit(survey, labels, label_proba=proba)
    assert "cluster labels drawn from membership probabilities" in drawn.interval_method_

    def width(est):
        e = est.estimates_
        return float(
            (e[share_columns("_hi")].to_numpy() - e[share_columns("_lo")].to_numpy()).mean()
        )

    assert width(drawn) > 1.05 * width(fixed)
    # sure probabilities draw the fixed labels: widths as without them
    sure = AreaEstimator(LEVELS, **kw).fit(survey, labels, label_proba=own)
    assert width(sure) == pytest.approx(width(fixed), rel=0.05)


def test_label_proba_is_checked(borough):
    survey = _survey(borough)
    labels = borough.truth.respondent_cluster
    est = AreaEstimator(LEVELS, n_boot=2)
    with pytest.raises(InputDataError, match="no column\\(s\\) 'isolation'"):
        est.fit(
            survey,
            labels,
            label_proba=pd.DataFrame(1.0, index=survey.index, columns=["x"]).assign(
                **{k: 1.0 for k in CLUSTER_KEYS if k != "isolation"}
            ),
        )
    bad = pd.DataFrame(1 / 6, index=survey.index, columns=list(CLUSTER_KEYS))
    bad.iloc[3] = np.nan
    with pytest.raises(InputDataError, match="no usable probabilities for 1 labelled"):
        est.fit(survey, labels, label_proba=bad)
    with pytest.raises(InputDataError, match="must be a DataFrame"):
        est.fit(survey, labels, label_proba=bad.to_numpy())


def _one_hot(index, key):
    return pd.DataFrame({k: float(k == key) for k in CLUSTER_KEYS}, index=index)


def test_replicate_b_draws_labels_from_refit_b_mod_r(borough):
    """Refit 0 puts everyone in the first cluster, refit 1 in the second: replicates
    alternate, whatever label_proba says."""
    survey = _survey(borough)
    labels = borough.truth.respondent_cluster
    refits = [_one_hot(survey.index, CLUSTER_KEYS[0]), _one_hot(survey.index, CLUSTER_KEYS[1])]
    est = AreaEstimator(LEVELS, n_boot=6, random_state=0).fit(
        survey,
        labels,
        label_proba=_one_hot(survey.index, CLUSTER_KEYS[5]),
        label_proba_replicates=refits,
    )
    whole = est.replicates_[:, 0, :]  # the ("all", "all") row
    np.testing.assert_allclose(whole[0::2, 0], 1.0)
    np.testing.assert_allclose(whole[1::2, 1], 1.0)
    assert est.interval_method_ == (
        "percentile intervals of 6 replicates: bootstrap of respondents; cluster assignment "
        "refitted: labels drawn from the membership probabilities (each cluster with its own "
        "spread) of 2 bootstrap refits of the survey model in turn; prior strength "
        "re-estimated; shares drawn from the Dirichlet posterior"
    )
    # the point estimate still comes from the labels
    assert est.estimates_.loc[("all", "all"), "share_low_wellbeing"] < 0.5


def test_label_proba_replicates_are_checked(borough):
    survey = _survey(borough)
    labels = borough.truth.respondent_cluster
    est = AreaEstimator(LEVELS, n_boot=2)
    with pytest.raises(InputDataError, match="non-empty list of DataFrames"):
        est.fit(survey, labels, label_proba_replicates=[])
    with pytest.raises(InputDataError, match="non-empty list of DataFrames"):
        est.fit(survey, labels, label_proba_replicates=_one_hot(survey.index, "isolation"))
    bad = _one_hot(survey.index, "isolation")
    bad.iloc[0] = np.nan
    with pytest.raises(InputDataError, match=r"label_proba_replicates\[1\] has no usable"):
        est.fit(survey, labels, label_proba_replicates=[_one_hot(survey.index, "isolation"), bad])


def test_draw_labels_follows_the_probabilities():
    p = np.tile([0.1, 0.2, 0.7], (20000, 1))
    got = np.bincount(draw_labels(p, np.random.default_rng(0)), minlength=3) / 20000
    np.testing.assert_allclose(got, [0.1, 0.2, 0.7], atol=0.01)


# ----------------------------------------------------------------------- benchmark


def test_bands_by_hand_and_around_average_when_the_interval_covers_100():
    idx = np.array([79.9, 80.0, 94.9, 95.0, 104.9, 105.0, 120.0, 120.1, np.nan])
    assert band(idx).tolist() == [
        "well below", "below", "below", "around average", "around average", "around average",
        "above", "well above", None,
    ]  # fmt: skip
    assert BANDS == ("well below", "below", "around average", "above", "well above")
    lo = np.array([60.0, 101.0])
    hi = np.array([100.0, 140.0])
    assert band(np.array([70.0, 125.0]), lo, hi).tolist() == ["around average", "well above"]


def test_index_and_band_columns_from_shares_and_intervals():
    bench = dict.fromkeys(CLUSTER_KEYS, 0.2) | {"isolation": 0.1, "competence": 0.1}
    f = pd.DataFrame(
        {
            **{f"share_{k}": [0.2, 0.2] for k in CLUSTER_KEYS},
            "share_isolation": [0.15, 0.15],
            "share_isolation_lo": [0.12, 0.09],
            "share_isolation_hi": [0.18, 0.2],
        },
        index=["A", "B"],
    )
    out = benchmark_columns(f, bench)
    assert out.loc["A", "index_isolation"] == pytest.approx(150.0)
    assert out.loc["A", "index_isolation_lo"] == pytest.approx(120.0)
    assert out.loc["A", "band_isolation"] == "well above"
    assert out.loc["B", "band_isolation"] == "around average"  # interval 90–200 covers 100
    assert out.loc["A", "index_competence"] == pytest.approx(200.0)
    assert out.loc["A", "band_low_wellbeing"] == "around average"
    with pytest.raises(InputDataError, match="benchmark share of isolation is 0"):
        benchmark_columns(f, bench | {"isolation": 0.0})


def test_bivariate_tertiles_by_hand():
    score = pd.Series([0.3, 0.2, 0.1, 0.0, -0.1, -0.2, None], index=list("abcdefg"))
    hard = pd.Series([1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 1.0], index=list("abcdefg"))
    got = bivariate(score, hard)
    # least predicted need and least hard need in a, most of both in f
    assert got.iloc[:6].tolist() == ["1-1", "1-1", "2-2", "2-2", "3-3", "3-3"]
    assert pd.isna(got.iloc[6])


def test_bivariate_qgis_style_has_nine_colours():
    assert [c[0] for c in BIVARIATE_CATEGORIES] == [
        f"{p}-{h}" for h in (1, 2, 3) for p in (1, 2, 3)
    ]
    assert len({c[2] for c in BIVARIATE_CATEGORIES}) == 9
    frame = pd.DataFrame({"lsoa_code": ["E01000001"], "flag": ["agree"], "bivariate": ["1-3"]})
    styles = {name: qml for name, qml, _ in default_styles("lsoa", frame)}
    qml = styles["Bivariate: predicted x hard need"]
    assert qml.count("<category ") == 10  # nine classes and "no data"
    assert 'value="3-3"' in qml and "87,66,73,255" in qml


# --------------------------------------------------------- what the classification tells


def test_classification_value_with_and_without_area_signal(borough):
    survey = _survey(borough)
    labels = borough.truth.respondent_cluster
    out = classification_value(survey, labels, LEVELS)
    assert set(out) >= {
        "classification_log_loss", "baseline_log_loss", "classification_brier", "baseline_brier",
    }  # fmt: skip
    # measured on seed 0 with the true clusters: gain 0.144 in log-loss, 0.113 in Brier
    assert out["log_loss_gain"] == pytest.approx(0.144, abs=0.01)
    assert out["brier_gain"] == pytest.approx(0.113, abs=0.01)
    assert out["classification_log_loss"] < out["baseline_log_loss"]
    # the same clusters shuffled across respondents: the area type tells nothing
    shuffled = pd.Series(np.random.default_rng(0).permutation(labels.to_numpy()), labels.index)
    with pytest.warns(DataQualityWarning, match="does not improve.*mostly shows the survey"):
        none = classification_value(survey, shuffled, LEVELS)
    assert abs(none["log_loss_gain"]) < 0.01
    # baseline log-loss of near-equal shares of six clusters: about log 6
    assert none["baseline_log_loss"] == pytest.approx(np.log(6), abs=0.05)


# ------------------------------------------------------------------ config and report


def test_min_confidence_in_config_range(tmp_path):
    paths = make_borough(seed=1, n_oa=60, n_lsoa=12, n_ward=3, n_respondents=800).write(
        tmp_path / "b"
    )
    cfg = load_config(paths["config"])
    assert cfg["compare"]["min_confidence"] == 0.8 and cfg["compare"]["fdr"] is True
    raw = dict(cfg.raw)
    raw["compare"] = {"min_confidence": 1.2}
    with pytest.raises(ConfigError, match="'min_confidence' in \\[compare\\] must be between 0"):
        load_config(raw, check_files=False)


def test_report_says_when_ranks_mean_little_and_disagreement_does_not_cluster(tmp_path):
    r = make_results()
    ward = r.ward.copy()
    ward["resilience_score_lo"] = ward["resilience_score"] - 1.0  # everything overlaps
    ward["resilience_score_hi"] = ward["resilience_score"] + 1.0
    evidence = {
        "gap_moran": {"moran_i": 0.04, "p_value": 0.21, "significant": False},
        "classification_value": {
            "log_loss_gain": 0.002,
            "classification_log_loss": 1.77,
            "baseline_log_loss": 1.774,
        },
    }
    path = write_report(
        tmp_path / "r.html", title="T", oa=r.oa, lsoa=r.lsoa, ward=ward, flags=r.flags,
        evidence=evidence,
    )  # fmt: skip
    page = path.read_text(encoding="utf-8")
    assert "The ranks mean little:</b> the score intervals of 100% of ward pairs overlap" in page
    assert "Plausible ranks" in page
    assert "<b>Disagreement does not cluster</b> in space (global Moran's I of the gap 0.04" in page
    assert "improves the prediction of a resident&#x27;s cluster by 0.2 %" in page
    assert "The maps mostly show the survey average." in page


# ---------------------------------------------------------------------- sensitivity


def test_sensitivity_run_writes_its_table_and_report_section(tmp_path):
    from resilience.compare.sensitivity import VARIANTS, compare_results
    from resilience.runner import run_to_folder

    b = make_borough(seed=2, n_oa=150, n_lsoa=30, n_ward=5, n_respondents=3000)
    cfg = load_config(b.write(tmp_path / "in")["config"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = run_to_folder(cfg, tmp_path / "out", maps=False, sensitivity=True)
    table = pd.read_csv(tmp_path / "out" / "model" / "sensitivity.csv")
    assert table["variant"].tolist() == list(VARIANTS)
    shares = table[["oa_dominant_changed", "oa_band_changed", "lsoa_flag_changed"]]
    assert ((shares >= 0) & (shares <= 1)).all().all()
    # a coarser classification changes some OAs' estimates, hence some bands
    assert table.set_index("variant").loc["coarser classification", "oa_band_changed"] > 0
    page = (tmp_path / "out" / "report.html").read_text(encoding="utf-8")
    assert "Sensitivity: what changes under other choices" in page
    same = compare_results(result, result)
    assert same == {"oa_dominant_changed": 0.0, "oa_band_changed": 0.0, "lsoa_flag_changed": 0.0}
    # the run's new columns reach the layers
    assert {"index_isolation", "band_isolation"} <= set(result.oa.columns)
    assert {"band_isolation", "bivariate", "flag_strength"} <= set(result.lsoa.columns)
    assert "band_isolation" in result.ward.columns
    assert set(result.lsoa["bivariate"].dropna()) <= {
        f"{p}-{h}" for p in (1, 2, 3) for h in (1, 2, 3)
    }


def test_uncertainty_example_runs(tmp_path, monkeypatch, capsys):
    import runpy
    import sys
    from pathlib import Path

    script = Path(__file__).resolve().parents[1] / "examples" / "uncertainty.py"
    monkeypatch.setattr(sys, "argv", [str(script), str(tmp_path)])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        runpy.run_path(str(script), run_name="__main__")
    out = capsys.readouterr().out
    assert "intervals: percentile intervals of 200 replicates" in out
    assert "LSOA cells whose interval covers the true share" in out
    assert (tmp_path / "out" / "model" / "sensitivity.csv").is_file()
