"""The stages of a run over several survey waves: one model, per-wave estimates, change.

:func:`estimate_waves` replaces the single-wave survey-model, estimate and aggregation
stages of :func:`resilience.pipeline.run` when the config lists ``[survey] waves``. The
latest wave's estimates become the run's layers (as in a single-wave run); the change
from the earliest to the latest wave is added to them as ``change_<column>`` columns
(:mod:`resilience.outputs.change`), and every consecutive pair of waves is kept for the
``change`` table. See :mod:`resilience.models.change` for the statistics and
:mod:`resilience.inputs.waves` for the configuration.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import pairwise
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ._progress import Progress, logger
from .models.aggregate import aggregate_areas
from .models.area_estimator import AreaEstimator
from .models.change import (
    WaveEstimate,
    WaveLabels,
    change_frames,
    eligible_rows,
    label_waves,
    paired_multiplicities,
)
from .models.oa_estimates import estimate_oas

if TYPE_CHECKING:
    from .config import Config
    from .inputs.load import Inputs

__all__ = ["VINTAGE_MEANING", "WAVE_MODEL_MEANING", "OverTime", "estimate_waves"]

#: What each ``[survey] classification_vintage`` means for the change, in words.
VINTAGE_MEANING = {
    "same": "the same area classification for every wave: change is the change within "
    "each area type (areas keep their type), not local change in who lives there",
    "own": "each wave's own area classification: change includes areas whose "
    "classification changed between the waves",
}
#: What each ``[survey] wave_model`` means, in words.
WAVE_MODEL_MEANING = {
    "pooled": "one survey model fitted to every wave pooled: the same factors and "
    "clusters for every wave",
    "per_wave": "a survey model fitted to each wave, its clusters matched to the clusters "
    "of a pooled fit (nearest centroids, one to one)",
}
_LEVELS = ("lsoa", "ward", "area")


@dataclass
class OverTime:
    """Everything a run over several waves estimated.

    Attributes
    ----------
    waves : list of str
        Wave labels, earliest first.
    wave_model, classification_vintage : str
        The choices made (``[survey] wave_model``, ``classification_vintage``).
    labelling : WaveLabels
        The survey model(s) and every wave's respondent clusters.
    estimates : list of WaveEstimate
        Each wave's estimator, OA estimates and area summaries.
    change : dict
        (earlier, later) → {``oa``, ``lsoa``, ``ward``, ``area``: change frame}, for every
        consecutive pair and for earliest → latest.
    panel : dict
        (earlier, later) → persons (``pidp``) answering in both waves.
    n_boot : int
        Paired replicates behind the intervals.
    interval : float
    """

    waves: list[str]
    wave_model: str
    classification_vintage: str
    labelling: WaveLabels
    estimates: list[WaveEstimate]
    change: dict[tuple[str, str], dict[str, pd.DataFrame]]
    panel: dict[tuple[str, str], int]
    n_boot: int
    interval: float

    @property
    def latest(self) -> WaveEstimate:
        """The latest wave's estimates (the run's layers)."""
        return self.estimates[-1]

    @property
    def overall(self) -> dict[str, pd.DataFrame]:
        """Change from the earliest to the latest wave, per level."""
        return self.change[(self.waves[0], self.waves[-1])]

    def table(self) -> pd.DataFrame:
        """The ``change`` table: LSOAs, wards and the area for every consecutive pair.

        Columns ``from_wave``, ``to_wave``, ``level``, ``code``, then the change columns.
        With more than two waves the earliest → latest pair is included as well.
        """
        pairs = list(pairwise(self.waves))
        if len(self.waves) > 2:
            pairs.append((self.waves[0], self.waves[-1]))
        frames = []
        for a, b in pairs:
            for level in _LEVELS:
                f = self.change[(a, b)][level].rename_axis("code").reset_index()
                f.insert(0, "level", level)
                f.insert(0, "to_wave", b)
                f.insert(0, "from_wave", a)
                frames.append(f)
        return pd.concat(frames, ignore_index=True)

    def describe(self) -> dict[str, Any]:
        """The choices and sizes, for the manifest and the report."""
        sig = {
            level: int(self.overall[level]["change_significant"].fillna(False).sum())
            for level in ("oa", "lsoa", "ward")
        }
        return {
            "waves": [
                {"label": e.label, "respondents": int(e.estimator.n_respondents_)}
                for e in self.estimates
            ],
            "wave_model": self.wave_model,
            "wave_model_meaning": WAVE_MODEL_MEANING[self.wave_model],
            "classification_vintage": self.classification_vintage,
            "classification_vintage_meaning": VINTAGE_MEANING[self.classification_vintage],
            "change": f"{self.waves[-1]} minus {self.waves[0]}",
            "pairs": [f"{a} → {b}" for a, b in self.change],
            "panel_persons": {f"{a} → {b}": n for (a, b), n in self.panel.items()},
            "bootstrap": (
                f"{self.n_boot} paired replicates from one replicate loop (one seed): each "
                "wave resampled within itself, persons in several waves (same pidp) "
                "resampled jointly, labels drawn in a random stream per wave; basic "
                "bootstrap intervals of the change (replicates reflected about the estimate)"
            ),
            "interval": self.interval,
            "significant_score_changes": sig,
        }


def _panel(a: pd.Index, b: pd.Index) -> int:
    if a.name != b.name or a.name is None:
        return 0
    return len(a.intersection(b))


def estimate_waves(cfg: Config, inp: Inputs, progress: Progress) -> OverTime:
    """Survey model, per-wave estimates and change for a config with ``[survey] waves``.

    Runs as three progress stages (``survey_model``, ``area_estimates``,
    ``aggregation``), like the single-wave run it replaces.
    """
    sv = cfg["survey"]
    waves = inp.waves
    surveys = {w.label: w.survey for w in waves}
    n = sum(len(s) for s in surveys.values())
    mode, vintage = sv["wave_model"], sv["classification_vintage"]
    with progress.stage(
        f"Fitting the survey model to {n:,} respondents in {len(waves)} waves ({mode})",
        key="survey_model",
    ):
        labelling = label_waves(surveys, cfg.survey_model_params(), mode)
        logger.info("      %s", labelling.model.fit_summary())
    params = cfg.area_estimator_params()
    oa_codes = pd.Index(inp.oa["oa_code"])
    with progress.stage(
        f"Estimating cluster shares for {len(oa_codes):,} OAs in each of {len(waves)} waves",
        key="area_estimates",
    ):
        eligible = [eligible_rows(w.survey, labelling.labels[w.label], inp.levels) for w in waves]
        mult = paired_multiplicities(
            [w.survey.index for w in waves], eligible, params["n_boot"], int(cfg["seed"])
        )
        fitted = []
        # each wave draws its labels from a stream of its own: one shared seed would give
        # row i of every wave the same uniform, correlating the waves' label draws by
        # row position (and with the resampling drawn from that seed)
        streams = np.random.SeedSequence(int(cfg["seed"])).spawn(len(waves))
        for w, m, stream in zip(waves, mult, streams, strict=True):
            seed = int(stream.generate_state(1)[0])
            est = AreaEstimator(inp.levels, **{**params, "random_state": seed}).fit(
                w.survey,
                labelling.labels[w.label],
                label_proba=labelling.model.predict_proba(w.survey),
                multiplicities=m,
            )
            classification = inp.classification
            if vintage == "own" and w.classification is not None:
                classification = w.classification
                if inp.crosswalk is not None:
                    classification = classification.reindex(inp.crosswalk.sources)
            oa = estimate_oas(
                est,
                classification,
                oa_codes,
                crosswalk=inp.crosswalk,
                level_names=inp.level_names,
            )
            fitted.append((w.label, est, oa))
    with progress.stage(
        "Aggregating every wave to LSOAs, wards and the whole area; change", key="aggregation"
    ):
        interval = cfg["estimates"]["interval"]
        estimates = [
            WaveEstimate(
                label,
                est,
                oa,
                aggregate_areas(
                    oa.table,
                    inp.lookup,
                    inp.population,
                    membership=oa.membership,
                    category_replicates=est.replicates_,
                    interval=interval,
                ),
            )
            for label, est, oa in fitted
        ]
        by_label = {e.label: e for e in estimates}
        pairs = list(pairwise(by_label))
        if len(by_label) > 2:
            pairs.append((waves[0].label, waves[-1].label))
        change = {
            (a, b): change_frames(by_label[a], by_label[b], inp.lookup, interval=interval)
            for a, b in pairs
        }
        panel = {(a, b): _panel(surveys[a].index, surveys[b].index) for a, b in pairs}
    over = OverTime(
        [w.label for w in waves],
        mode,
        vintage,
        labelling,
        estimates,
        change,
        panel,
        int(params["n_boot"]),
        interval,
    )
    sig = over.describe()["significant_score_changes"]
    logger.info(
        "      change %s: score changes significant in %d OAs, %d LSOAs, %d wards",
        over.describe()["change"],
        sig["oa"],
        sig["lsoa"],
        sig["ward"],
    )
    return over
