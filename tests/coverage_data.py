"""Coverage of the synthetic truth by the area estimates' 90 % intervals.

Shared by tests/test_uncertainty.py and benchmarks/coverage.py: fits the survey model and
the area estimator to a synthetic borough as the pipeline does and measures how often the
intervals of OA, LSOA and ward shares contain the true shares.
"""

from __future__ import annotations

import warnings

from resilience.clusters import share_columns
from resilience.models import SurveyModel
from resilience.models.aggregate import aggregate
from resilience.models.area_estimator import AreaEstimator
from resilience.synthetic import make_borough

LEVELS = ["oac_supergroup", "oac_group", "oac_subgroup"]
SHARES = share_columns()


def survey_frame(borough):
    survey = borough.survey.set_index("pidp").rename(columns=lambda c: c.removeprefix("f_"))
    survey = survey.rename(columns={"indscui_xw": "weight"})
    return survey


def coverage(frame, truth):
    t = truth.loc[frame.index, SHARES].to_numpy()
    lo = frame[share_columns("_lo")].to_numpy()
    hi = frame[share_columns("_hi")].to_numpy()
    return float(((t >= lo - 1e-9) & (t <= hi + 1e-9)).mean())


def coverage_of_seed(seed: int, refits: int = 20) -> dict[str, float]:
    """Coverage of the true OA, LSOA and ward shares in one synthetic borough.

    Labels and membership probabilities come from a SurveyModel fitted as the pipeline
    fits it; with ``refits`` bootstrap refits (``[model] n_boot``) the replicates draw
    labels from the refits in turn, with 0 from the one full fit.
    """
    b = make_borough(seed=seed)
    survey = survey_frame(b)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = SurveyModel(random_state=seed, n_boot=refits).fit(survey)
        est = AreaEstimator(LEVELS, n_boot=200, random_state=seed).fit(
            survey,
            model.labels_,
            label_proba=model.predict_proba(survey),
            label_proba_replicates=model.predict_proba_refits(survey) if refits else None,
        )
        areas = b.classification.rename(columns=lambda c: f"oac_{c}")
        M, _ = est.membership(areas)
    oa = est.shares_from_membership(M, areas.index)
    lk = b.oa.set_index("oa_code").reindex(areas.index)
    pop = lk["population"].astype(float)
    reps = {"membership": M, "category_replicates": est.replicates_, "interval": 0.9}
    lsoa = aggregate(oa, lk["lsoa_code"], pop, **reps).frame
    ward = aggregate(oa, lk["ward_code"], pop, **reps).frame
    return {
        "oa": coverage(oa, b.truth.oa_shares),
        "lsoa": coverage(lsoa, b.truth.lsoa_shares),
        "ward": coverage(ward, b.truth.ward_shares),
    }
