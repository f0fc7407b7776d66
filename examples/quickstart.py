"""The Python API on the synthetic borough: fit, estimate, compare, save.

python examples/quickstart.py [OUT_FOLDER]
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import resilience as rs
from resilience.synthetic import make_borough


def main() -> None:
    """Write the synthetic borough, run the pipeline step by step, then as one call."""
    work = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(tempfile.mkdtemp())
    files = make_borough(seed=0).write(work / "input", overwrite=True)

    # step by step: the survey model and the small-area estimates
    survey = rs.read_survey(
        files["survey"],
        weight="f_indscui_xw",
        levels=["oac_supergroup", "oac_group", "oac_subgroup"],
    )
    model = rs.SurveyModel(random_state=0).fit(survey)
    print(model.summary().to_string(index=False))
    est = rs.AreaEstimator(
        ["oac_supergroup", "oac_group", "oac_subgroup"], n_boot=200, random_state=0
    )
    est.fit(survey, model.labels_)
    print(est.estimates_[["respondents", "share_isolation", "share_isolation_lo"]].head())

    # the whole pipeline from the config, then every deliverable
    result = rs.run(files["config"])
    print(result)
    print(result.flags[["lsoa_code", "lsoa_name", "flag", "flag_confidence", "flag_reason"]])
    result.save(work / "out", overwrite=True)
    print("outputs in", work / "out")


if __name__ == "__main__":
    main()
