"""``resilience demo``: the pipeline on the built-in synthetic borough."""

from __future__ import annotations

from pathlib import Path

from ._outdir import staged_output
from ._progress import Progress, file_handler, logger
from .synthetic import make_borough

__all__ = ["run_demo"]


def run_demo(out: Path, *, seed: int = 0, overwrite: bool = False) -> Path:
    """Write the synthetic borough's files under ``out/input`` and run the pipeline on them.

    Returns the output folder. Nothing is left behind if a stage fails.
    """
    out = Path(out)
    with staged_output(out, overwrite) as tmp:
        handler = file_handler(tmp / "run.log")
        logger.addHandler(handler)
        try:
            progress = Progress(2)
            with progress.stage("Building the synthetic borough"):
                borough = make_borough(seed=seed)
                logger.info("      %r", borough)
            with progress.stage(f"Writing its input files to {out / 'input'}"):
                paths = borough.write(tmp / "input")
            logger.info("Done: %s (config: %s)", out, out / "input" / paths["config"].name)
        finally:
            logger.removeHandler(handler)
            handler.close()
    return out
