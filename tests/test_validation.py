"""The prediction against a resident survey: the correlation and its Fisher-z interval,
agree-shares as proportions or percentages, areas that disagree beyond both errors."""

import numpy as np
import pandas as pd
import pytest
from scipy.stats import pearsonr

from resilience.compare.validation import fisher_interval, validate_against_survey
from resilience.errors import ConfigError, InputDataError
from resilience.inputs.resident_survey import read_resident_survey

N_AREAS = 140
MEASURE = [{"column": "belong", "respondents": "belong_n", "tracks": "share_neighbourhood_support"}]


def _prediction(seed=0, se=0.01):
    """True shares, and a prediction of them with a bootstrap-like 90 % interval."""
    rng = np.random.default_rng(seed)
    codes = pd.Index([f"E0104{i:04d}" for i in range(N_AREAS)])
    truth = pd.Series(rng.uniform(0.05, 0.35, N_AREAS), index=codes)
    est = truth + rng.normal(0, se, N_AREAS)
    half = 1.6449 * se
    pred = pd.DataFrame(
        {
            "share_neighbourhood_support": est,
            "share_neighbourhood_support_lo": est - half,
            "share_neighbourhood_support_hi": est + half,
            "share_isolation": 0.4 - est,
            "share_isolation_lo": 0.4 - est - half,
            "share_isolation_hi": 0.4 - est + half,
        }
    )
    return truth, pred, rng


def _survey(p, rng, n=150):
    n = pd.Series(rng.integers(n // 2, n * 3 // 2, len(p)), index=p.index)
    return pd.DataFrame({"belong": rng.binomial(n, p) / n, "belong_n": n})


def test_fisher_interval_matches_the_formula_and_scipy():
    # tanh(atanh(0.5) -/+ 1.96/sqrt(47)), computed by hand: 0.2575, 0.6832
    lo, hi = fisher_interval(0.5, 50)
    assert (lo, hi) == pytest.approx((0.2575, 0.6832), abs=1e-4)
    rng = np.random.default_rng(3)
    x = rng.normal(size=40)
    y = x + rng.normal(size=40)
    ref = pearsonr(x, y).confidence_interval(0.95)
    assert fisher_interval(pearsonr(x, y).statistic, 40) == pytest.approx((ref.low, ref.high))
    assert np.isnan(fisher_interval(0.5, 3)[0])


def test_survey_drawn_from_the_truth_correlates_and_rarely_disagrees():
    truth, pred, rng = _prediction()
    survey = _survey(0.3 + 1.5 * truth, rng)
    check = validate_against_survey(survey, pred, MEASURE)
    s = check.summary.iloc[0]
    assert s["n_areas"] == N_AREAS
    assert s["correlation"] > 0.93  # measured 0.963 (0.948 to 0.973)
    assert s["correlation_lo"] > 0.9
    assert s["slope"] == pytest.approx(1.5, abs=0.15)
    # a 95 % test: about 5 % of 140 areas by chance
    assert s["n_disagree"] <= 14  # measured 3
    assert len(check.areas) == N_AREAS


def test_survey_of_noise_shows_no_relation():
    _, pred, rng = _prediction(seed=1)
    survey = _survey(pd.Series(0.5, index=pred.index), rng)
    s = validate_against_survey(survey, pred, MEASURE).summary.iloc[0]
    assert s["correlation_lo"] < 0 < s["correlation_hi"]
    assert abs(s["correlation"]) < 0.15  # measured -0.03 (-0.20 to 0.14)


def test_planted_disagreements_are_found_in_the_right_direction():
    truth, pred, rng = _prediction(seed=2)
    p = 0.3 + 1.5 * truth
    planted_up, planted_down = truth.index[:3], truth.index[3:6]
    p[planted_up] += 0.3
    p[planted_down] -= 0.3
    areas = validate_against_survey(_survey(p.clip(0, 1), rng, n=400), pred, MEASURE).areas
    words = areas.set_index("area_code")["disagreement"]
    assert (words[planted_up] == "survey higher").all()
    assert (words[planted_down] == "survey lower").all()


def test_inverse_relation_with_a_minus_sign():
    truth, pred, rng = _prediction(seed=4)
    survey = _survey(0.9 - 1.5 * (0.4 - truth), rng)  # agree falls as isolation rises
    inverse = [{**MEASURE[0], "tracks": "-share_isolation"}]
    direct = [{**MEASURE[0], "tracks": "share_isolation"}]
    assert validate_against_survey(survey, pred, inverse).summary.loc[0, "correlation"] > 0.85
    assert validate_against_survey(survey, pred, direct).summary.loc[0, "correlation"] < -0.85


def test_unknown_tracked_column_is_a_config_error():
    _, pred, rng = _prediction()
    with pytest.raises(ConfigError, match="'share_belonging', which is not an output column"):
        validate_against_survey(
            _survey(pred["share_isolation"], rng),
            pred,
            [{**MEASURE[0], "tracks": "share_belonging"}],
        )


def test_reader_detects_percentages_and_checks_values(tmp_path):
    spec = {"path": str(tmp_path / "s.csv"), "area": "lsoa", "code": "LSOA", "measures": MEASURE}
    (tmp_path / "s.csv").write_text("LSOA,belong,belong_n\nA,0.5,10\nB,0.25,20\nZ,0.2,5\n")
    with pytest.warns(UserWarning, match=r"1 area\(s\).*not in the study area.*'Z'"):
        got = read_resident_survey(spec, ["A", "B"])
    assert got["belong"].tolist() == [0.5, 0.25]
    (tmp_path / "s.csv").write_text("LSOA,belong,belong_n\nA,50,10\nB,25%,20\n")
    assert read_resident_survey(spec, ["A", "B"])["belong"].tolist() == [0.5, 0.25]
    (tmp_path / "s.csv").write_text("LSOA,belong,belong_n\nA,150,10\n")
    with pytest.raises(InputDataError, match="outside 0–100"):
        read_resident_survey(spec, ["A"])
    (tmp_path / "s.csv").write_text("LSOA,belong,belong_n\nA,0.5,0\n")
    with pytest.raises(InputDataError, match="count respondents"):
        read_resident_survey(spec, ["A"])
    (tmp_path / "s.csv").write_text("LSOA,belong,belong_n\nQ,0.5,3\n")
    with pytest.raises(InputDataError, match="Is 'area' right"):
        read_resident_survey(spec, ["A"])


def test_config_section_checked(borough, tmp_path):
    from resilience.config import load_config

    files = borough.write(tmp_path / "b")
    (tmp_path / "b" / "s.csv").write_text("ward,belong,belong_n\nW,0.5,10\n")
    base = files["config"].read_text() + '\n[validation]\nresident_survey = { path = "s.csv", '
    good = (
        'code = "ward", measures = [{ column = "belong", respondents = "belong_n", '
        'tracks = "share_isolation" }] }\n'
    )
    cases = {
        "ok": good,
        "area": 'area = "msoa", ' + good,
        "key": good.replace("tracks", "track"),
        "empty": 'code = "ward", measures = [] }\n',
    }
    for name, text in cases.items():
        (tmp_path / "b" / f"{name}.toml").write_text(base + text)
    cfg = load_config(tmp_path / "b" / "ok.toml")
    assert cfg["validation"]["resident_survey"]["area"] == "ward"
    assert cfg["review"] == {"log": None, "review_valid_years": 2}
    with pytest.raises(ConfigError, match="'area' in .* must be 'ward' or 'lsoa'; got 'msoa'"):
        load_config(tmp_path / "b" / "area.toml")
    with pytest.raises(ConfigError, match=r"Unknown key 'track' in measure 1"):
        load_config(tmp_path / "b" / "key.toml")
    with pytest.raises(ConfigError, match="at least one measure"):
        load_config(tmp_path / "b" / "empty.toml")
