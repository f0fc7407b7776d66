"""Disclosure control as a property: no published figure rests on fewer than
``min_respondents`` respondents, directly or by differencing a parent and its published
children, in every shrinkage mode.

The attack below is what a reader of the outputs could do: take a published parent
category and its published children, recover each one's exact respondent count from its
band and the granularity of its shares (unit weights make every raw share a multiple of
1/n), undo the shrinkage with the published α, and subtract. Before complementary
suppression it recovered the clusters of the three respondents of a suppressed category.
"""

import warnings

import numpy as np
import pandas as pd
import pytest

from resilience.clusters import CLUSTER_KEYS, share_columns
from resilience.errors import DisclosureWarning
from resilience.models import area_estimator
from resilience.models.area_estimator import AreaEstimator

SHARES = share_columns()
BANDS = {"<10": (1, 9), "10–29": (10, 29), "30–99": (30, 99), "100–299": (100, 299),
         "300+": (300, 3000)}  # fmt: skip
MODES = [0, 5.0, "empirical_bayes"]


def _toy():
    """sg 1 = 1a (38) + 1b (3, all in the first cluster); sg 2 = 2a (31) + 2b (30)."""
    rng = np.random.default_rng(3)
    sizes = {"1a": 38, "1b": 3, "2a": 31, "2b": 30}
    g = [code for code, n in sizes.items() for _ in range(n)]
    survey = pd.DataFrame({"sg": [c[0] for c in g], "g": g, "weight": 1.0})
    labels = pd.Series(rng.choice(CLUSTER_KEYS, len(g)), index=survey.index)
    labels[survey["g"] == "1b"] = CLUSTER_KEYS[0]
    return survey, labels


def _counts(pub, key, parent, alpha):
    """Exact respondent count and cluster counts of a published row, from its figures."""
    e = pub.loc[key, SHARES].to_numpy(dtype=float)
    a = 0.0 if parent is None else alpha[key[0]]
    prior = None if parent is None else pub.loc[parent, SHARES].to_numpy(dtype=float)
    lo, hi = BANDS[pub.loc[key, "respondents"]]
    for m in range(lo, hi + 1):
        raw = e if not a else ((m + a) * e - a * prior) / m
        k = m * raw
        if np.allclose(k, np.round(k), atol=1e-6):
            return np.round(k)
    raise AssertionError(f"no count in the band fits {key}")


def differencing_attack(est):
    """Cluster counts of a hidden group of 1..min-1 respondents, or None."""
    pub, levels = est.estimates_, list(est.levels)
    parent_key = {}
    for key in pub.index:
        if key[0] != "all":
            i = levels.index(key[0])
            parent_key[key] = ("all", "all") if i == 0 else (levels[i - 1], pub.loc[key, "parent"])
    for p in pub.index:
        children = [k for k, v in parent_key.items() if v == p]
        if not children:
            continue
        k_p = _counts(pub, p, parent_key.get(p), est.alpha_)
        hidden = k_p - sum(_counts(pub, c, p, est.alpha_) for c in children)
        if 0 < hidden.sum() < est.min_respondents:
            return hidden
    return None


@pytest.mark.parametrize("shrinkage", MODES, ids=str)
def test_differencing_attack_recovers_nothing(shrinkage, monkeypatch):
    survey, labels = _toy()
    kw = {"min_respondents": 10, "n_boot": 0, "shrinkage": shrinkage}
    est = AreaEstimator(["sg", "g"], **kw).fit(survey, labels)
    assert ("g", "1b") not in est.estimates_.index  # 3 respondents: suppressed
    assert ("g", "1a") not in est.estimates_.index  # its sibling goes too
    assert est.complementary_ == {"sg": 0, "g": 1}
    assert {("g", "2a"), ("g", "2b"), ("sg", "1"), ("sg", "2")} <= set(est.estimates_.index)
    assert differencing_attack(est) is None
    # without complementary suppression the same attack recovers the hidden respondents
    monkeypatch.setattr(area_estimator, "_complementary", lambda own, n, p, m: (own, []))
    leaky = AreaEstimator(["sg", "g"], **kw).fit(survey, labels)
    assert ("g", "1a") in leaky.estimates_.index
    hidden = differencing_attack(leaky)
    assert hidden is not None
    assert hidden.tolist() == [3, 0, 0, 0, 0, 0]  # the 3 of 1b, all in the first cluster


def _remainders(est, survey, labels):
    """For every published category: respondents not in any published finer category."""
    levels = list(est.levels)
    used = survey[labels.notna() & (survey["weight"] > 0)]
    pub = set(est.estimates_.index)
    out = []
    for key in pub:
        lv, code = key
        inside = (
            pd.Series(True, index=used.index)
            if lv == "all"
            else area_estimator.normalise_category(used[lv]) == code
        )
        below = levels if lv == "all" else levels[levels.index(lv) + 1 :]
        covered = pd.Series(False, index=used.index)
        for finer in below:
            codes = area_estimator.normalise_category(used[finer])
            covered |= codes.isin([c for (flv, c) in pub if flv == finer]) & inside
        out.append(int((inside & ~covered).sum()))
    return out


@pytest.mark.parametrize("shrinkage", MODES, ids=str)
@pytest.mark.parametrize("min_n", [10, 25])
def test_no_published_figure_differences_into_a_small_cell(borough, shrinkage, min_n, monkeypatch):
    survey = borough.survey.set_index("pidp").rename(columns=lambda c: c.removeprefix("f_"))
    survey = survey.rename(columns={"indscui_xw": "weight"})
    labels = _labels(survey)
    levels = ["oac_supergroup", "oac_group", "oac_subgroup"]
    survey = survey.rename(columns={lv.removeprefix("oac_"): lv for lv in levels})
    est = AreaEstimator(levels, min_respondents=min_n, n_boot=0, shrinkage=shrinkage)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DisclosureWarning)
        est.fit(survey, labels)
    rest = _remainders(est, survey, labels)
    assert all(r == 0 or r >= min_n for r in rest), sorted(rest)
    assert sum(est.complementary_.values()) > 0  # the borough does need it
    monkeypatch.setattr(area_estimator, "_complementary", lambda own, n, p, m: (own, []))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DisclosureWarning)
        leaky = AreaEstimator(levels, min_respondents=min_n, n_boot=0, shrinkage=shrinkage)
        leaky.fit(survey, labels)
    assert any(0 < r < min_n for r in _remainders(leaky, survey, labels))


def _labels(survey):
    rng = np.random.default_rng(0)
    return pd.Series(rng.choice(CLUSTER_KEYS, len(survey)), index=survey.index)
