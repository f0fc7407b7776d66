"""Running a script of examples/ as a user would, for the tests that check it."""

import runpy
import sys
from pathlib import Path

import pytest


def run_example(script: Path, work: Path) -> int | None:
    """Run ``examples/<script>`` as a user would (``python script WORK``); its exit status."""
    argv = sys.argv
    sys.argv = [str(script), str(work)]
    try:
        with pytest.raises(SystemExit) as done:
            runpy.run_path(str(script), run_name="__main__")
    finally:
        sys.argv = argv
    return done.value.code
