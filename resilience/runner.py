"""Running the pipeline into an output folder, with staged progress and a run log."""

from __future__ import annotations

import time
from pathlib import Path

from ._outdir import staged_output
from ._progress import Progress, file_handler, logger
from .config import Config
from .pipeline import STAGES, Result, run
from .schema import HARD_WORSE, PREDICTED_WORSE

__all__ = ["run_to_folder"]


def run_to_folder(
    cfg: Config,
    out: Path,
    *,
    overwrite: bool = False,
    maps: bool = True,
    map_mode: str | None = None,
    extra_stages: int = 0,
    progress: Progress | None = None,
    prepare=None,
    sensitivity: bool = False,
    analyse=None,
) -> Result:
    """Run every stage and write every output into ``out``, all or nothing.

    ``run.log`` (everything, with times) is written beside the outputs. ``prepare`` is an
    optional callable given the temporary folder before the run (the demo writes its
    input files there). With ``sensitivity`` (or ``[compare] sensitivity = true``) the
    model is refitted under other choices (:mod:`resilience.compare.sensitivity`);
    ``analyse`` replaces :func:`~resilience.pipeline.run` (called
    with the config and ``progress=``; a per-authority run passes the fitted models).
    """
    out = Path(out)
    protect = list(cfg.input_files().values()) + ([cfg.path] if cfg.path else []) if cfg else []
    progress = progress or Progress(STAGES + 1 + extra_stages)
    start = time.perf_counter()
    with staged_output(out, overwrite, protect) as tmp:
        handler = file_handler(tmp / "run.log")
        logger.addHandler(handler)
        try:
            if prepare is not None:
                cfg = prepare(tmp, progress) or cfg
            if analyse is None:
                result = run(cfg, progress=progress, maps=maps)
            else:
                result = analyse(cfg, progress=progress)
            if sensitivity or result.config["compare"]["sensitivity"]:
                from .compare.sensitivity import VARIANTS
                from .compare.sensitivity import sensitivity as refit

                progress.total += 1
                with progress.stage(
                    f"Sensitivity: refitting under {len(VARIANTS)} other choices",
                    key="sensitivity",
                ):
                    result.evidence["sensitivity"] = refit(result.config, result)
            from .outputs.save import save_result

            save_result(result, tmp, maps=maps, map_mode=map_mode, progress=progress, label=out)
            flags = result.counts
            logger.info(
                "Done in %.1f s: %s. %d LSOAs flagged (%d prediction worse, %d hard data worse); "
                "start with %s and %s.",
                time.perf_counter() - start,
                out,
                flags["flagged"],
                flags[PREDICTED_WORSE],
                flags[HARD_WORSE],
                out / "report.html",
                out / "tables" / "flags.csv",
            )
        finally:
            logger.removeHandler(handler)
            handler.close()
    return result
