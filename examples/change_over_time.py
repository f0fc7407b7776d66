"""Change over time: two survey waves of the synthetic borough, with a known change.

python examples/change_over_time.py [OUT_FOLDER]

Writes a small synthetic borough surveyed in waves 6 and 9 (two supergroups improve, the
rest do not), runs the pipeline on its config (``[survey] waves = [...]``), prints the
whole-area change with its interval, and checks the LSOA changes against the truth.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import resilience as rs
from resilience.synthetic import make_borough, make_waves


def main() -> None:
    """Run two waves and compare the estimated change with the true change."""
    work = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(tempfile.mkdtemp())
    borough = make_borough(seed=0, n_oa=200, n_lsoa=40, n_ward=8, n_respondents=4000)
    waves = make_waves(borough, n_waves=2)
    files = waves.write(work / "input", overwrite=True)
    print(waves)

    result = rs.run(files["config"])
    over = result.change
    print(over.describe()["wave_model_meaning"])
    print(over.describe()["classification_vintage_meaning"])
    area = over.overall["area"].iloc[0]
    print(
        f"whole area, resilience score: {area['change_resilience_score']:+.3f} "
        f"({area['change_resilience_score_lo']:+.3f} to {area['change_resilience_score_hi']:+.3f})"
    )

    lsoa = result.lsoa.set_index("lsoa_code")
    truth = waves.change["lsoa"]["resilience_score"].reindex(lsoa.index)
    covered = (lsoa["change_resilience_score_lo"] <= truth) & (
        truth <= lsoa["change_resilience_score_hi"]
    )
    moved = truth.abs() > 1e-9
    print(
        f"LSOAs: true change covered by its 90% interval in {covered.mean():.0%}; "
        f"significant in {lsoa.loc[moved, 'change_significant'].mean():.0%} of the "
        f"{int(moved.sum())} that changed and {lsoa.loc[~moved, 'change_significant'].mean():.0%} "
        f"of the {int((~moved).sum())} that did not"
    )
    paths = result.save(work / "out", maps=False)
    print("change table:", paths["table_change"])


if __name__ == "__main__":
    main()
