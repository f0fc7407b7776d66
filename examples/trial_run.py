"""A trial run before the survey arrives: a synthetic survey for your own geography.

python examples/trial_run.py [WORK_FOLDER]

It writes the demo borough's files (stand-ins for your own boundaries, classification and
hard data), makes a synthetic Understanding Society-shaped respondent file for their
classification with ``resilience synth-survey``, points the config at it and runs the
whole pipeline. Every output says it is a trial run on a synthetic survey.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from resilience.cli import main as resilience
from resilience.synthetic import make_borough


def main() -> int:
    """Write the inputs, make the trial survey, run; return the exit status of the run."""
    work = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(tempfile.mkdtemp())
    files = make_borough(seed=0).write(work / "input", overwrite=True)
    config = files["config"]

    # 1. a synthetic respondent file for the config's own classification
    trial = config.parent / "data" / "trial_indresp.tab"
    code = resilience(["synth-survey", str(config), "--out", str(trial)])
    if code:
        return code

    # 2. the config's [survey] path pointed at it (a council edits its resilience.toml)
    text = config.read_text(encoding="utf-8")
    survey_line = next(
        ln for ln in text.splitlines() if ln.startswith("path = ") and "indresp" in ln
    )
    config.write_text(
        text.replace(survey_line, 'path = "data/trial_indresp.tab"'), encoding="utf-8"
    )

    # 3. everything, maps included, marked as a trial run
    return resilience(["run", str(config), "--out", str(work / "trial_out"), "--overwrite"])


if __name__ == "__main__":
    sys.exit(main())
