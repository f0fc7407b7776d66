"""Calibration of the change intervals on the synthetic waves (no change, known change).

Shared by tests/test_waves.py and benchmarks/change_coverage.py:

* :func:`category_cells`: every category x measure cell of two waves estimated from the
  respondents' *true* clusters with paired replicates, no change between the waves:
  whether each cell's 90 % interval excludes 0 (the nominal rate is 10 %);
* :func:`run_change`: a whole run (survey model, estimates, change) on a synthetic world
  with ``n_moved`` supergroups changing, and per level how often the change is
  significant where nothing changed and how often the intervals cover the true change.
"""

from __future__ import annotations

import tempfile
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from resilience.clusters import share_columns
from resilience.config import load_config
from resilience.inputs.waves import read_waves
from resilience.models import AreaEstimator
from resilience.models._intervals import SCORE_SIGNS
from resilience.models.change import _bounds, eligible_rows, paired_multiplicities
from resilience.pipeline import run
from resilience.synthetic import make_borough, make_waves

#: The world of the category-cell measure (small: a test runs it).
CELL_WORLD = {"n_oa": 60, "n_lsoa": 12, "n_ward": 3, "n_respondents": 4000}
#: The world of a whole run.
RUN_WORLD = {"n_oa": 200, "n_lsoa": 40, "n_ward": 8, "n_respondents": 4000}
LEVELS = ("oa", "lsoa", "ward")
MEASURES = [*share_columns(), "resilience_score"]


def category_cells(
    folder: Path, seed: int, *, paired: bool = True, method: str = "basic"
) -> np.ndarray:
    """Whether each category x measure cell's change is significant (no true change).

    ``paired=False`` resamples the waves as if nobody answered both; ``method`` is
    ``"basic"`` (the intervals the change columns use) or ``"percentile"``.
    """
    b = make_borough(seed=seed, **CELL_WORLD)
    w = make_waves(b, n_moved=0)
    files = w.write(Path(folder) / f"null_{seed}_{paired}_{method}")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        read = read_waves(load_config(files["config"]))
        levels = read[0].info.levels
        labels = [
            t.reindex(r.survey.index) for t, r in zip(w.respondent_cluster, read, strict=True)
        ]
        el = [eligible_rows(r.survey, lab, levels) for r, lab in zip(read, labels, strict=True)]
        idx = [r.survey.index if paired else pd.RangeIndex(len(r.survey)) for r in read]
        mult = paired_multiplicities(idx, el, 200, seed)
        ests = [
            AreaEstimator(levels, n_boot=200, random_state=seed).fit(
                r.survey, lab, multiplicities=m
            )
            for r, lab, m in zip(read, labels, mult, strict=True)
        ]
    A, B = ests[0].estimates_, ests[1].estimates_
    common = A.index.intersection(B.index).drop(("all", "all"))
    ia = [A.index.get_loc(k) for k in common]
    ib = [B.index.get_loc(k) for k in common]
    reps = ests[1].replicates_[:, ib] - ests[0].replicates_[:, ia]
    point = B.loc[common, share_columns()].to_numpy() - A.loc[common, share_columns()].to_numpy()
    reps = np.concatenate([reps, (reps @ SCORE_SIGNS)[..., None]], axis=2)
    point = np.concatenate([point, (point @ SCORE_SIGNS)[:, None]], axis=1)
    if method == "basic":
        lo, hi = _bounds(point, reps, 0.9)
    else:
        lo = np.minimum(np.quantile(reps, 0.05, axis=0), point)
        hi = np.maximum(np.quantile(reps, 0.95, axis=0), point)
    return ((lo > 0) | (hi < 0)).ravel()


def _significant(frame: pd.DataFrame, columns: list[str]) -> np.ndarray:
    lo = frame[[f"change_{c}_lo" for c in columns]].to_numpy(float)
    hi = frame[[f"change_{c}_hi" for c in columns]].to_numpy(float)
    return (lo > 0) | (hi < 0)


def run_change(seed: int, n_moved: int, world: dict | None = None) -> dict[str, float]:
    """A whole run on a synthetic world with ``n_moved`` changing supergroups.

    Returns, per level (``oa``, ``lsoa``, ``ward``): ``<level>_null_score`` (share of
    areas whose score did not truly change with ``change_significant``),
    ``<level>_null_share`` (the same for share cells), ``<level>_null_index`` (index
    cells, only without any change, when every true index change is 0),
    ``<level>_cover_score`` and ``<level>_cover_share`` (intervals containing the true
    change) and ``<level>_power`` (significant among areas whose score changed).
    """
    b = make_borough(seed=seed, **(world or RUN_WORLD))
    w = make_waves(b, n_moved=n_moved)
    out: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as tmp, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        files = w.write(Path(tmp) / "input")
        res = run(load_config(files["config"]))
    for level in LEVELS:
        layer = getattr(res, level).set_index(f"{level}_code")
        truth = w.change[level].reindex(layer.index)[MEASURES].to_numpy(float)
        lo = layer[[f"change_{c}_lo" for c in MEASURES]].to_numpy(float)
        hi = layer[[f"change_{c}_hi" for c in MEASURES]].to_numpy(float)
        cover = (lo <= truth + 1e-9) & (truth - 1e-9 <= hi)
        sig = (lo > 0) | (hi < 0)
        still = np.abs(truth) < 1e-9
        score_still = still[:, -1]
        out[f"{level}_null_score"] = (
            float(sig[score_still, -1].mean()) if score_still.any() else np.nan
        )
        out[f"{level}_null_share"] = float(sig[:, :-1][still[:, :-1]].mean())
        if n_moved == 0:
            index = [f"index_{c.removeprefix('share_')}" for c in share_columns()]
            out[f"{level}_null_index"] = float(_significant(layer, index).mean())
        out[f"{level}_cover_score"] = float(cover[:, -1].mean())
        out[f"{level}_cover_share"] = float(cover[:, :-1].mean())
        moved = ~score_still
        out[f"{level}_power"] = float(sig[moved, -1].mean()) if moved.any() else np.nan
    return out
