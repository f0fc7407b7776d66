"""``resilience demo``: the whole pipeline on the built-in synthetic borough."""

from __future__ import annotations

from pathlib import Path

from ._progress import Progress, logger
from .config import load_config
from .pipeline import STAGES, Result
from .runner import run_to_folder
from .synthetic import make_borough, make_waves

__all__ = ["run_demo"]


def run_demo(
    out: Path,
    *,
    seed: int = 0,
    overwrite: bool = False,
    maps: bool = True,
    map_mode: str | None = None,
    waves: int = 1,
    method: str = "classification",
) -> Result:
    """Write the synthetic borough's files under ``out/input`` and run the pipeline on them.

    Every output of a real run lands in ``out``; the borough's ground truth is in
    ``out/input/truth``. Nothing is left behind if a stage fails. The maps are made in
    ``shared`` mode, the default (Leaflet in ``maps/assets/``), so they open from disk with
    no internet; ``map_mode="offline"`` makes one self-contained file per page.
    With ``waves`` of 2 or more the borough is surveyed in that many waves with a known
    change (:func:`resilience.synthetic.make_waves`; true change in ``out/input/truth``).
    ``method`` (``classification``, ``mrp`` or ``both``) is the config's ``[estimates]
    method``; for the MRP route the borough also gets respondent characteristics, a
    household file and Census tables consistent with its OAs' residents.
    """
    progress = Progress(STAGES + 3)  # building and writing the borough, the run, the outputs

    def prepare(tmp: Path, progress: Progress):
        with progress.stage("Building the synthetic borough", key="synthetic_borough"):
            borough = make_borough(seed=seed)
            logger.info("      %r", borough)
        with progress.stage(
            f"Writing its input files to {Path(out) / 'input'}", key="write_inputs"
        ):
            if waves > 1:
                paths = make_waves(borough, n_waves=waves).write(tmp / "input")
            else:
                paths = borough.write(tmp / "input")
            if method != "classification":
                from .synthetic._mrp import write_mrp_inputs

                write_mrp_inputs(borough, tmp / "input", method)
        return load_config(paths["config"])

    return run_to_folder(
        None,  # type: ignore[arg-type]  (the config is made by prepare)
        Path(out),
        overwrite=overwrite,
        maps=maps,
        map_mode=map_mode,
        progress=progress,
        prepare=prepare,
    )
