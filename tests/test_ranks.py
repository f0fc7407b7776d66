"""The one rank rule (1 = most need) and its use by the report and the ward maps."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from resilience.clusters import CLUSTERS
from resilience.outputs._summary import rank_wards
from resilience.outputs.ranks import RANK_RULE, higher_is_need, need_rank, rank_note


def test_rank_one_is_the_least_resilient_and_the_most_need():
    score = [0.20, -0.35, 0.05, np.nan, -0.35]
    assert need_rank(score, "resilience_score").tolist()[:3] == [4.0, 1.0, 3.0]
    r = need_rank(score, "resilience_score")
    assert np.isnan(r[3]) and r[4] == 1.0  # ties share the lower rank; missing: no rank
    assert need_rank([0.5, 1.2, -0.4], "hard_index").tolist() == [2.0, 1.0, 3.0]
    for c in CLUSTERS:  # asset cluster: 1 = lowest share; vulnerability: 1 = highest
        expected = [2.0, 1.0, 3.0] if not c.asset else [2.0, 3.0, 1.0]
        assert need_rank([0.3, 0.5, 0.1], f"share_{c.key}").tolist() == expected
        assert higher_is_need(f"share_{c.key}") is (not c.asset)
        assert rank_note(f"share_{c.key}") == (
            "1 = lowest share" if c.asset else "1 = highest share"
        )


def test_unranked_measures_are_refused():
    assert higher_is_need("population") is None
    with pytest.raises(KeyError, match="'population' is not ranked"):
        need_rank([1, 2], "population")


def test_the_report_ranking_follows_the_same_rule():
    ward = pd.DataFrame(
        {"ward_code": ["A", "B", "C", "D"], "resilience_score": [0.1, -0.3, 0.1, np.nan]}
    )
    ranked = rank_wards(ward)
    assert ranked[["ward_code", "rank"]].values.tolist() == [["B", 1], ["A", 2], ["C", 2]]
    by_rule = need_rank(ward["resilience_score"], "resilience_score")
    assert ranked.set_index("ward_code")["rank"].to_dict() == {"A": 2, "B": 1, "C": 2}
    assert by_rule[:3].tolist() == [2.0, 1.0, 2.0]
    assert RANK_RULE.startswith("Rank 1 = least resilient") and "1 = most deprived" in RANK_RULE
