"""Quintiles, flags, confidence, reasons and the shortlist."""

import doctest
import warnings

import numpy as np
import pandas as pd
import pytest

import resilience.compare.flags
from resilience.compare.flags import compare, quintiles, shortlist
from resilience.errors import ConfigError, DataQualityWarning, InputDataError
from resilience.inputs.hard import hard_index

CODES = pd.Index([f"E0100000{i}" for i in range(10)], name="lsoa_code")


# --------------------------------------------------------------------------- quintiles


def test_quintiles_without_ties_are_fifths():
    q = quintiles(pd.Series([0.9, 0.1, 0.5, 0.3, 0.7, 0.2, 0.8, 0.4, 0.6, 1.0]))
    assert q.tolist() == [5, 1, 3, 2, 4, 1, 4, 2, 3, 5]
    assert str(q.dtype) == "Int64"
    # n = 7: sizes differ by at most one, the extra areas in the lower quintiles
    assert quintiles(pd.Series(range(7))).tolist() == [1, 1, 2, 3, 3, 4, 5]


def test_tied_values_share_a_quintile_whatever_the_order():
    # sorted: 1 | 2 2 | 4 ...: the tie at ranks 2 and 3 straddles the 1|2 boundary;
    # average rank 2.5 -> floor(5 * 1.5 / 10) + 1 = 1, so both go to quintile 1
    values = pd.Series([1, 2, 2, 4, 5, 6, 7, 8, 9, 10], index=list("abcdefghij"), dtype=float)
    q = quintiles(values)
    assert q.tolist() == [1, 1, 1, 2, 3, 3, 4, 4, 5, 5]
    shuffled = values.sample(frac=1, random_state=3)
    pd.testing.assert_series_equal(quintiles(shuffled).sort_index(), q)
    # ranks 3.5 (tie at 3 and 4) -> floor(5 * 2.5 / 10) + 1 = 2
    assert quintiles(pd.Series([1, 2, 3, 3, 5, 6, 7, 8, 9, 10.0])).tolist()[2:4] == [2, 2]
    # all equal: one quintile (the middle one)
    assert quintiles(pd.Series([0.5] * 5)).tolist() == [3] * 5


def test_missing_values_get_no_quintile():
    q = quintiles(pd.Series([np.nan, 3.0, 1.0, 2.0, np.nan, 5.0, 4.0]))
    assert q.isna().tolist() == [True, False, False, False, True, False, False]
    assert q.dropna().tolist() == [3, 1, 2, 5, 4]


# ------------------------------------------------------------------- compare by hand

# predicted vulnerability v = 1..10, hard index h below; by hand:
#   predicted quintile 1 1 2 2 3 3 4 4 5 5
#   hard ranks         9 10 1 4 5 6 7 8 3 2  -> hard quintile 5 5 1 2 3 3 4 4 2 1
#   gap               -4 -4 1 0 0 0 0 0 3 4
VULN = np.arange(1.0, 11.0)
HARD = np.array([9, 10, 1, 4, 5, 6, 7, 8, 3, 2], dtype=float)


def _hard_frame():
    income = (HARD - HARD.mean()) / HARD.std()
    health = (VULN - VULN.mean()) / VULN.std()
    return pd.DataFrame(
        {
            "income_score_rate_need": income,
            "health_deprivation_and_disability_score_need": health,
            "hard_index": HARD,
        },
        index=CODES,
    )


def test_quintiles_gap_and_flags_by_hand():
    out = compare(pd.Series(-VULN, index=CODES), _hard_frame())
    assert out["predicted_quintile"].tolist() == [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]
    assert out["hard_quintile"].tolist() == [5, 5, 1, 2, 3, 3, 4, 4, 2, 1]
    assert out["gap"].tolist() == [-4, -4, 1, 0, 0, 0, 0, 0, 3, 4]
    assert out["flag"].tolist() == ["hard_worse"] * 2 + ["agree"] * 6 + ["predicted_worse"] * 2
    assert out["flag_confidence"].isna().all()
    assert list(out.columns) == [
        "predicted_quintile",
        "hard_quintile",
        "gap",
        "flag",
        "flag_confidence",
        "flag_reason",
    ]
    loose = compare(pd.Series(-VULN, index=CODES), _hard_frame(), quintile_gap=1)
    assert loose["flag"].iloc[2] == "predicted_worse"


def test_flag_confidence_from_replicates_by_hand():
    score = -VULN
    # replicates 0 and 1 repeat the estimate; replicate 2 reverses it, giving predicted
    # quintiles 5 5 4 4 3 3 2 2 1 1 and gaps 0 0 3 2 0 0 -2 -2 -1 0, which keep the
    # point flag only for the 5th and 6th LSOAs (agree)
    reps = np.vstack([score, score, -(11.0 - VULN)])
    out = compare(pd.Series(score, index=CODES), _hard_frame(), score_replicates=reps)
    expected = [2 / 3] * 4 + [1.0, 1.0] + [2 / 3] * 4
    np.testing.assert_allclose(out["flag_confidence"], expected)
    with pytest.raises(InputDataError, match=r"shape \(n_boot, 10\).*got shape \(3, 9\)"):
        compare(pd.Series(score, index=CODES), _hard_frame(), score_replicates=reps[:, :9])


def test_flag_reason_names_the_indicators_that_pull_apart():
    out = compare(pd.Series(-VULN, index=CODES), _hard_frame())
    # income follows the hard index, health follows the prediction exactly, so only
    # income is named; both differ by more than one SD
    assert out["flag_reason"].iloc[0] == "hard data much higher than predicted: income deprivation"
    assert out["flag_reason"].iloc[9] == "hard data much lower than predicted: income deprivation"
    assert (out["flag_reason"].iloc[2:8] == "").all()


def test_reason_lists_strongest_first_and_collapses_names():
    # every column is a permutation of 1..10, so all have the same mean and SD; for the
    # first LSOA (vulnerability z = -1.57) the values 10, 9, 8, 7 are 3.1, 2.8, 2.4 and
    # 2.1 SD above the prediction: the three strongest are named, strongest first
    hard = _hard_frame()
    hard["employment_score_rate_need"] = [10, 9, 1, 2, 3, 4, 5, 6, 7, 8]
    hard["health_deprivation_and_disability_score_need"] = [8, 10, 1, 2, 3, 4, 5, 6, 7, 9]
    hard["crime_score_need"] = [7, 10, 1, 2, 3, 4, 5, 6, 8, 9]
    out = compare(pd.Series(-VULN, index=CODES), hard)
    assert out["flag_reason"].iloc[0] == (
        "hard data much higher than predicted: employment and income deprivation; "
        "health deprivation and disability"
    )


def test_lsoas_without_hard_data_are_not_flagged():
    hard = _hard_frame()
    hard.loc[CODES[3], "hard_index"] = np.nan
    with pytest.warns(DataQualityWarning, match="Only 9 LSOAs can be compared"):
        out = compare(pd.Series(-VULN, index=CODES), hard)
    assert out["flag"].isna().tolist() == [False] * 3 + [True] + [False] * 6
    assert out.loc[CODES[3], "flag_reason"] == "no hard data for this LSOA"
    assert pd.isna(out.loc[CODES[3], "predicted_quintile"])
    # quintiles are cut over the nine LSOAs that have both values
    assert out["predicted_quintile"].dropna().value_counts().sort_index().tolist() == [
        2,
        2,
        2,
        2,
        1,
    ]


def test_compare_checks_its_inputs():
    score = pd.Series(-VULN, index=CODES)
    with pytest.raises(ConfigError, match="quintile_gap must be from 1 to 4"):
        compare(score, _hard_frame(), quintile_gap=5)
    with pytest.raises(InputDataError, match="needs the hard_index column"):
        compare(score, _hard_frame().drop(columns="hard_index"))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out = compare(score, _hard_frame().iloc[1:])
    assert [str(w.message)[:48] for w in caught] == [
        "1 LSOA(s) with a prediction have no row in the h",
        "Only 9 LSOAs can be compared; quintiles of so fe",
    ]
    assert out["flag"].isna().sum() == 1


# ---------------------------------------------------------------------- shortlist


def test_shortlist_orders_by_confidence_then_gap_then_code():
    lsoa = pd.DataFrame(
        {
            "lsoa_code": ["E01000005", "E01000001", "E01000002", "E01000003", "E01000004"],
            "lsoa_name": list("ABCDE"),
            "ward_code": ["E05000001"] * 5,
            "ward_name": ["Ward"] * 5,
            "flag": ["hard_worse", "predicted_worse", "agree", "hard_worse", "predicted_worse"],
            "predicted_quintile": [1, 5, 3, 2, 4],
            "hard_quintile": [4, 2, 3, 4, 2],
            "gap": [-3, 3, 0, -2, 2],
            "flag_confidence": [0.9, 0.9, 1.0, np.nan, 0.95],
            "flag_reason": ["r1", "r2", "", "r4", "r5"],
            "population": [1500] * 5,
        }
    )
    out = shortlist(lsoa)
    assert out["lsoa_code"].tolist() == ["E01000004", "E01000001", "E01000005", "E01000003"]
    assert list(out.columns) == [
        "lsoa_code",
        "lsoa_name",
        "ward_code",
        "ward_name",
        "flag",
        "predicted_quintile",
        "hard_quintile",
        "gap",
        "flag_confidence",
        "flag_reason",
    ]
    assert out.index.tolist() == [0, 1, 2, 3]
    # lsoa_code as index, no names: still works
    short = shortlist(lsoa.drop(columns=["lsoa_name", "ward_name"]).set_index("lsoa_code"))
    assert short.columns[:3].tolist() == ["lsoa_code", "ward_code", "flag"]
    with pytest.raises(InputDataError, match="missing 'flag_confidence'"):
        shortlist(lsoa.drop(columns="flag_confidence"))


# ---------------------------------------------------------------- synthetic borough


def test_planted_disagreements_are_found_in_the_right_direction(borough, tmp_path):
    from resilience.inputs.hard import read_hard_data

    path = tmp_path / "file7.csv"
    borough.hard.to_csv(path, index=False, encoding="utf-8-sig")
    codes = borough.lsoa["lsoa_code"]
    data = read_hard_data([{"path": path, "indicators": borough.indicators}], lsoa_codes=codes)
    hard = hard_index(data)

    rng = np.random.default_rng(0)
    truth = borough.truth.lsoa_shares["resilience_score"].reindex(codes.to_numpy())
    predicted = truth + rng.normal(0.0, 0.03, len(truth))
    reps = predicted.to_numpy()[None, :] + rng.normal(0.0, 0.03, (200, len(truth)))
    out = compare(predicted, hard, score_replicates=reps)

    planted = borough.truth.planted.set_index("lsoa_code")
    flagged = out[out["flag"] != "agree"]
    hits = [
        c
        for c in flagged.index
        if c in planted.index and planted.at[c, "direction"] == flagged.at[c, "flag"]
    ]
    precision = len(hits) / max(len(flagged), 1)
    recall = len(hits) / len(planted)
    figures = (
        f"precision {precision:.2f}, recall {recall:.2f} "
        f"({len(flagged)} flagged, {len(planted)} planted)"
    )
    assert precision >= 0.8, figures
    assert recall >= 0.8, figures
    # the reasons speak of the planted domains; confidence is high where the gap is large
    for code in hits:
        domains = planted.at[code, "indicators"].split(";")
        assert any(d in out.at[code, "flag_reason"] for d in domains), (code, domains)
        word = "higher" if planted.at[code, "direction"] == "hard_worse" else "lower"
        assert f" {word} than predicted" in out.at[code, "flag_reason"]
    conf = out.loc[hits, "flag_confidence"]
    assert conf.median() >= 0.9
    big = [c for c in hits if abs(out.at[c, "gap"]) >= 3]
    assert out.loc[big, "flag_confidence"].min() >= 0.8


def test_docstring_examples():
    result = doctest.testmod(resilience.compare.flags, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0
