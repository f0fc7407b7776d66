"""How far to trust the figures: intervals, benchmark bands, flag strength, what the
classification tells and what changes under other choices.

python examples/uncertainty.py [OUT_FOLDER]
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

import pandas as pd

from resilience.config import load_config
from resilience.runner import run_to_folder
from resilience.synthetic import make_borough


def main() -> None:
    """Run a synthetic borough with the sensitivity refits and print the evidence."""
    work = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(tempfile.mkdtemp())
    borough = make_borough(seed=0, n_oa=300, n_lsoa=60, n_ward=10, n_respondents=5000)
    cfg = load_config(borough.write(work / "input", overwrite=True)["config"])
    result = run_to_folder(cfg, work / "out", overwrite=True, maps=False, sensitivity=True)

    ev = result.evidence
    print("intervals:", ev["interval_method"])
    value = ev["classification_value"]
    print(
        f"classification log-loss {value['classification_log_loss']:.3f} against "
        f"{value['baseline_log_loss']:.3f} for the survey-wide shares "
        f"(gain {100 * value['log_loss_gain']:.1f} %)"
    )
    moran = ev["gap_moran"]
    print(f"global Moran's I of the gap {moran['moran_i']:.3f}, p = {moran['p_value']:.3f}")

    # how often each 90 % interval covers the truth the borough was built from
    truth = borough.truth.lsoa_shares
    lsoa = result.lsoa.set_index("lsoa_code")
    cols = [c for c in truth.columns if c.startswith("share_")]
    covered = (lsoa[[f"{c}_lo" for c in cols]].to_numpy() <= truth.loc[lsoa.index, cols]) & (
        truth.loc[lsoa.index, cols] <= lsoa[[f"{c}_hi" for c in cols]].to_numpy()
    )
    print(f"LSOA cells whose interval covers the true share: {covered.to_numpy().mean():.0%}")

    print(lsoa["band_isolation"].value_counts().to_string())
    print(pd.crosstab(lsoa["flag"], lsoa["flag_strength"]))
    print(pd.read_csv(work / "out" / "model" / "sensitivity.csv").round(3).to_string(index=False))
    diag = json.loads((work / "out" / "model" / "diagnostics.json").read_text(encoding="utf-8"))
    print("diagnostics.json:", {k: diag[k] for k in ("classification_brier", "baseline_brier")})


if __name__ == "__main__":
    main()
