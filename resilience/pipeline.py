"""The whole pipeline: from a config to predictions, comparisons and outputs.

:func:`run` reads and checks every input, fits the survey model, estimates cluster
shares for every output area, aggregates them to LSOAs and wards, builds the hard-data
index, compares the two and finds where disagreement clusters. It returns a
:class:`Result`; :meth:`Result.save` writes the deliverables.
"""

from __future__ import annotations

import contextlib
import uuid
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd

from ._fork import Background
from ._progress import Progress, logger
from .compare.benchmark import add_benchmarks, survey_shares
from .compare.hard_index import hard_index
from .compare.lsoas import compare_lsoas
from .compare.spatial import QueenGraph, queen_graph
from .config import Config, load_config
from .errors import ResilienceWarning
from .inputs.hard import HardData
from .inputs.load import Inputs, load_inputs
from .inputs.trial import SYNTHETIC_NOTICE
from .models import AreaEstimator, SurveyModel, aggregate_areas
from .models.oa_estimates import estimate_oas
from .models.validation import classification_value
from .outputs.layers import Layers, build_layers
from .outputs.local import LocalEvidence, add_local_evidence
from .schema import HARD_WORSE, PREDICTED_WORSE

__all__ = ["Inputs", "Result", "analyse_area", "fit_models", "load_inputs", "run"]

#: Stages of a run, for progress messages.
STAGES = 7


@dataclass
class Result:
    """The outcome of a run.

    Attributes
    ----------
    oa, lsoa, ward : GeoDataFrame
        Predictions and comparisons with the output columns, in EPSG:27700.
    area : DataFrame
        The whole study area in one row.
    flags : DataFrame
        The desk-review shortlist (flagged LSOAs, most confident and largest gaps first).
    model : SurveyModel
        The fitted survey model.
    estimator : AreaEstimator
        The fitted small-area estimator (category estimates in ``estimates_``).
    hard : HardData
        The hard data as read.
    config : Config
    timings : dict
        Seconds per stage.
    counts : dict
        Sizes of the inputs and outputs, and the global Moran's I of the gap.
    run_id : str
    evidence : dict
        How far the figures can be trusted: ``interval_method``, ``gap_moran`` (global
        Moran's I of the gap), ``classification_value`` (cross-validated log-loss and
        Brier score), ``benchmark`` (the survey's shares) and, after a sensitivity run,
        ``sensitivity``.
    change : OverTime or None
        With ``[survey] waves``: every wave's estimates and the change between them
        (:class:`resilience.over_time.OverTime`); the layers are the latest wave's, with
        the earliest → latest change columns.
    local : LocalEvidence
        Community assets, the review log and the resident-survey check, when configured.
    """

    oa: gpd.GeoDataFrame
    lsoa: gpd.GeoDataFrame
    ward: gpd.GeoDataFrame
    area: pd.DataFrame
    flags: pd.DataFrame
    model: SurveyModel
    estimator: AreaEstimator | None  # None for the MRP route without a classification
    hard: HardData
    config: Config
    timings: dict[str, float]
    counts: dict[str, Any]
    run_id: str
    checks: list[dict[str, Any]] = field(default_factory=list)
    level_names: dict[str, str] = field(default_factory=dict)
    local: LocalEvidence = field(default_factory=LocalEvidence)
    #: warnings every output repeats (a trial run on a synthetic survey, chance-level flags)
    notices: list[str] = field(default_factory=list)
    synthetic_survey: bool = False
    chance: dict[str, Any] = field(default_factory=dict)
    evidence: dict[str, Any] = field(default_factory=dict)
    #: With ``[survey] waves``: every wave's estimates and the change (``OverTime``).
    change: Any = None
    mrp: Any = None  # the MRP route (models.mrp_route.MrpRoute) when it ran
    #: The maps' geometry made ahead (``maps.prepare_map_geometry``), or None.
    map_geometry: dict[str, Any] | None = None

    def __repr__(self) -> str:
        flags = self.lsoa["flag"].value_counts().to_dict() if "flag" in self.lsoa else {}
        return (
            f"<Result {self.config['title']!r}: {len(self.oa)} OAs, {len(self.lsoa)} LSOAs, "
            f"{len(self.ward)} wards; flags {flags}>"
        )

    def _repr_html_(self) -> str:
        from ._notebook import result_html

        return result_html(self)

    def map(self, folder: str | Path | None = None, *, mode: str = "offline") -> Any:
        """The borough map, shown inline in a notebook (a :class:`~resilience._notebook.MapPage`).

        Written to ``folder`` (default: a temporary folder) as one self-contained page.
        """
        from ._notebook import borough_map

        return borough_map(self, folder, mode=mode)

    @property
    def indicator_labels(self) -> dict[str, str]:
        """Output column of each hard indicator → its title as given."""
        return {ind.slug: ind.column for ind in self.hard.indicators}

    def save(
        self,
        out: str | Path,
        *,
        overwrite: bool = False,
        maps: bool = True,
        map_mode: str | None = None,
        progress: Progress | None = None,
    ) -> dict[str, Path]:
        """Write every deliverable into ``out``.

        The folder appears only when everything has been written; with ``overwrite`` an
        existing folder is replaced at the end.
        """
        from ._outdir import staged_output
        from .outputs.save import save_result

        protect = [*self.config.input_files().values()]
        if self.config.path:
            protect.append(self.config.path)
        with staged_output(Path(out), overwrite, protect) as tmp:
            paths = save_result(
                self, tmp, maps=maps, map_mode=map_mode, progress=progress, label=out
            )
        return {k: Path(out) / Path(v).relative_to(tmp) for k, v in paths.items()}


# ------------------------------------------------------------------------ run
def _log_counts(label: str, counts: Mapping[str, Any]) -> None:
    logger.info("      %s: %s", label, ", ".join(f"{k} {v}" for k, v in counts.items()) or "none")


def run(
    config: Config | str | Path | Mapping[str, Any],
    *,
    progress: Progress | None = None,
    inputs: Inputs | None = None,
    maps: bool = True,
) -> Result:
    """Run the analysis stages of the pipeline on the inputs named in ``config``.

    Parameters
    ----------
    config : Config, path or mapping
        The run configuration (a TOML file, see the README).
    progress : Progress, optional
        Receives the staged progress messages and timings.
    inputs : Inputs, optional
        Inputs already read by :func:`load_inputs` (read from the config otherwise).
    maps : bool, default=True
        Make the maps' geometry ahead (beside the model fits), for :meth:`Result.save`;
        False when the maps will not be written.

    Returns
    -------
    Result
        Call :meth:`Result.save` to write the deliverables.
    """
    cfg = config if isinstance(config, Config) else load_config(config)
    progress = progress or Progress(STAGES)
    # What needs the boundaries alone (the LSOAs' contiguity, the maps' geometry) is made
    # by a forked process, started as soon as they are read, beside the reading of the
    # tables and the model fits, on a CPU that would often wait.
    with contextlib.ExitStack() as stack:
        started: list[Background | None] = []

        def start(oa: gpd.GeoDataFrame, lsoa: gpd.GeoDataFrame, ward: gpd.GeoDataFrame) -> None:
            job = stack.enter_context(Background(prepare_boundaries, oa, lsoa, ward, maps=maps))
            # made ahead only where it can be made beside the rest; else each in its stage
            started.append(job if job.forked else None)

        with progress.stage("Reading and checking inputs", key="read_inputs"):
            inp = inputs or load_inputs(cfg, boundaries_read=start)
            logger.info("      %s", inp.summary())
        if not started:
            start(inp.oa, inp.lsoa, inp.ward)
        ahead = started[0]
        if inp.waves:  # several waves: one model, per-wave estimates, change (over_time.py)
            from .over_time import estimate_waves

            over = estimate_waves(cfg, inp, progress)
            fitted = Fitted(over.labelling.model, over.latest.estimator)
            return analyse_area(cfg, inp, fitted, progress, over=over, ahead=ahead)
        return analyse_area(cfg, inp, fit_models(cfg, inp, progress), progress, ahead=ahead)


@dataclass
class Ahead:
    """Work on the boundaries alone, made before it is needed (:func:`prepare_boundaries`).

    Each part is None when it could not be made ahead; the stage that needs it then makes
    it, with the same result and the same warnings or errors.
    """

    neighbours: QueenGraph | None = None
    maps: dict[str, Any] | None = None


def prepare_boundaries(
    oa: gpd.GeoDataFrame, lsoa: gpd.GeoDataFrame, ward: gpd.GeoDataFrame, *, maps: bool = True
) -> Ahead:
    """The LSOAs' queen contiguity and (with ``maps``) the maps' geometry.

    Made from the boundaries as read; the comparison and the maps use them only for the
    same shapes (checked by a digest). Anything that fails or warns here is left to its
    stage, which makes it again and reports it where it always has.
    """
    # the comparison's LSOAs come in code order: the contiguity is built in that order
    in_order = lsoa.sort_values("lsoa_code", ignore_index=True)
    ahead = Ahead(neighbours=_quietly(queen_graph, in_order))
    if maps:
        from .maps import prepare_map_geometry

        ahead.maps = _quietly(prepare_map_geometry, oa, lsoa, ward)
    return ahead


def _quietly(make: Any, *args: Any) -> Any:
    """``make(*args)``, or None if it raises or issues a warning that would be shown."""
    with warnings.catch_warnings(record=True) as caught:  # the caller's filters apply
        try:
            out = make(*args)
        except Exception:  # the stage that needs it makes it again and reports the error
            return None
    return None if caught else out


@dataclass
class Fitted:
    """What is fitted once, whatever the study area: the survey model, the small-area
    estimator (None on the MRP route alone) and what the classification tells."""

    model: SurveyModel
    estimator: AreaEstimator | None
    classification_value: dict[str, Any] = field(default_factory=dict)


def fit_models(cfg: Config, inp: Inputs, progress: Progress) -> Fitted:
    """Fit the survey model and the small-area estimator (two stages).

    Both depend on the survey and the classification only, never on the study area's
    OAs, so a run over many authorities fits them once
    (:func:`resilience.national.run_per_authority`).
    """
    with progress.stage(
        f"Fitting the survey model to {len(inp.survey):,} respondents", key="survey_model"
    ):
        model = SurveyModel(**cfg.survey_model_params()).fit(inp.survey)
        logger.info("      %s", model.fit_summary())
    with progress.stage(
        f"Estimating cluster shares for {len(inp.levels)} classification levels",
        key="area_estimates",
    ):
        est, value = _classification_fit(cfg, inp, model)
    return Fitted(model, est, value)


def analyse_area(
    cfg: Config,
    inp: Inputs,
    fitted: Fitted,
    progress: Progress,
    *,
    over: Any = None,
    ahead: Background | None = None,
) -> Result:
    """The stages after the fits, on the study area of ``inp``.

    OA estimates, aggregation to LSOAs and wards, the hard-data index and the comparison
    (quintiles, flags and the local Moran's I of the gap) are all computed within the
    area's own OAs and LSOAs, as its council would compute them. With several survey
    waves (``over``, from :func:`resilience.over_time.estimate_waves`) the latest wave's
    estimates are used and the change is joined on. ``ahead`` is the job of
    :func:`prepare_boundaries` on ``inp``, when started.
    """
    run_id = f"{datetime.now(UTC):%Y%m%dT%H%M%SZ}-{uuid.uuid4().hex[:8]}"
    model, est = fitted.model, fitted.estimator
    mrp = None
    if over is not None:
        oa, summaries = over.latest.oa, over.latest.summaries
    else:
        with progress.stage(
            f"Estimating cluster shares for {len(inp.oa):,} OAs", key="oa_estimates"
        ):
            oa = _classification_oas(inp, est)
            reps = est.replicates_ if est is not None else None
            oa, replicates, mrp = _estimator_stage(cfg, inp, model, oa, reps)
        with progress.stage("Aggregating to LSOAs, wards and the whole area", key="aggregation"):
            summaries = aggregate_areas(
                oa.table,
                inp.lookup,
                inp.population,
                membership=oa.membership,
                category_replicates=replicates,
                interval=cfg["estimates"]["interval"],
            )
    national = national_shares(model, est)
    oa.table = add_benchmarks(oa.table, summaries, national)
    with progress.stage("Building the hard-data index", key="hard_index"):
        hard = hard_index(inp.hard, method=cfg["hard"]["method"])
    c = cfg["compare"]
    with progress.stage("Comparing the prediction with the hard data", key="comparison"):
        made = _made_ahead(ahead)
        lsoa = summaries.lsoa
        comparison = compare_lsoas(
            lsoa.frame["resilience_score"],
            hard,
            inp.lsoa,
            score_replicates=lsoa.score_replicates,
            quintile_gap=c["quintile_gap"],
            min_confidence=c["min_confidence"],
            permutations=c["permutations"],
            alpha=c["alpha"],
            fdr=c["fdr"],
            interval=cfg["estimates"]["interval"],
            random_state=int(cfg["seed"]),
            neighbours=made.neighbours,
        )
        _log_counts("flags", comparison.table["flag"].value_counts())
        notices = [SYNTHETIC_NOTICE] if inp.synthetic else []
        if comparison.chance["no_better"]:
            # stacklevel: the caller of run()
            warnings.warn(comparison.chance["message"], ResilienceWarning, stacklevel=3)
            notices.append(comparison.chance["message"])
    layers = build_layers(
        oa_shapes=inp.oa,
        lsoa_shapes=inp.lsoa,
        ward_shapes=inp.ward,
        lookup=inp.lookup,
        oa=oa,
        summaries=summaries,
        hard_values=inp.hard.values,
        hard=hard,
        comparison=comparison.table,
        level_names=inp.level_names,
    )
    if over is not None:
        from .outputs.change import add_change

        layers = add_change(layers, over)
    layers, local = add_local_evidence(cfg, layers)
    return Result(
        oa=layers.oa,
        lsoa=layers.lsoa,
        ward=layers.ward,
        area=summaries.area.frame,
        flags=layers.flags,
        model=model,
        estimator=est,
        hard=inp.hard,
        config=cfg,
        timings=dict(progress.timings),
        counts=run_counts(layers, model, est, comparison.moran),
        run_id=run_id,
        checks=inp.checks,
        level_names=inp.level_names,
        notices=notices,
        synthetic_survey=inp.synthetic,
        chance=comparison.chance,
        change=over,
        local=local,
        mrp=mrp,
        map_geometry=made.maps,
        evidence={
            "interval_method": interval_method(cfg, est, mrp),
            "gap_moran": comparison.moran,
            "classification_value": fitted.classification_value,
            "benchmark": national,
        },
    )


def _made_ahead(ahead: Background | None) -> Ahead:
    """What :func:`prepare_boundaries` made, or nothing (each stage then makes its own) if
    it was not started or its process failed (killed, out of memory)."""
    if ahead is None:
        return Ahead()
    try:
        return ahead.result()
    except Exception as err:
        logger.debug("      the boundaries' work made ahead was lost (%s); made here", err)
        return Ahead()


def national_shares(model: SurveyModel, est: AreaEstimator | None) -> dict[str, float]:
    """The benchmark of the national index: the whole survey's weighted cluster shares
    (those the area estimator starts from; the survey model's without one)."""
    if est is not None:
        return survey_shares(est.estimates_)
    shares = model.cluster_sizes_["weighted_share"]
    return {k: float(v) for k, v in shares.items()}


def interval_method(cfg: Config, est: AreaEstimator | None, mrp: Any) -> str | None:
    """How the published intervals were made, in words (by the route that made them)."""
    if mrp is not None and cfg["estimates"]["method"] == "mrp":
        return (
            f"percentile intervals of {mrp.replicates.shape[0]} bootstrap refits of the MRP "
            "model (respondents resampled; census margins and the IPF seed fixed)"
        )
    return est.interval_method_ if est is not None else None


def _classification_fit(
    cfg: Config, inp: Inputs, model: SurveyModel
) -> tuple[AreaEstimator | None, dict[str, Any]]:
    """The classification route's estimator and what the classification tells (None and
    nothing without a classification: the MRP route alone)."""
    if not inp.levels:
        return None, {}
    # the cross-validated value of the classification needs only the labels: a forked
    # process works it out while this one fits the estimator (London: 1.8 s of 4.4 s)
    with Background(
        classification_value,
        inp.survey,
        model.labels_,
        inp.levels,
        random_state=int(cfg["seed"]),
        min_respondents=cfg["survey"]["min_respondents"],
        shrinkage=cfg["estimates"]["shrinkage"],
    ) as value:
        est = AreaEstimator(inp.levels, **cfg.area_estimator_params())
        est.fit(
            inp.survey,
            model.labels_,
            label_proba=model.predict_proba(inp.survey),
            label_proba_replicates=model.predict_proba_refits(inp.survey) or None,
        )
        return est, value.result()


def _classification_oas(inp: Inputs, est: AreaEstimator | None) -> Any:
    """The classification route's OA estimates (None on the MRP route alone)."""
    if est is None:
        return None
    oa = estimate_oas(
        est,
        inp.classification,
        pd.Index(inp.oa["oa_code"]),
        crosswalk=inp.crosswalk,
        level_names=inp.level_names,
    )
    _log_counts("estimate levels", oa.table["estimate_level"].value_counts())
    return oa


def _estimator_stage(cfg: Config, inp: Inputs, model: SurveyModel, oa: Any, reps: Any) -> Any:
    """The OA estimates to publish: the classification route's, or the MRP route's
    (``[estimates] method``); with ``both`` the classification's, compared with MRP's."""
    method = cfg["estimates"]["method"]
    if method == "classification":
        return oa, reps, None
    from .models.mrp_route import compare_routes, run_mrp_route

    mrp = run_mrp_route(cfg, inp, model.labels_, oa)
    logger.info("      MRP: C %.3g, CV %s", mrp.estimator.C_, mrp.estimator.cv_)
    if method == "mrp":
        logger.info("      published: MRP estimates for %d OAs", len(mrp.oa.table))
        return mrp.oa, mrp.replicates, mrp
    mrp.routes = compare_routes(oa.table, mrp.oa.table)
    logger.info(
        "      routes disagree on %d of %d OAs (score intervals apart); dominant cluster "
        "differs on %d",
        int(mrp.routes["disagree"].sum()),
        len(mrp.routes),
        int(mrp.routes["dominant_differs"].sum()),
    )
    return oa, reps, mrp


def run_counts(
    layers: Layers, model: SurveyModel, est: AreaEstimator | None, moran: Mapping[str, Any]
) -> dict[str, Any]:
    """Sizes of a run's inputs and outputs, for the manifest and the report."""
    flags = layers.lsoa["flag"].value_counts()
    strength = layers.flags["flag_strength"].value_counts()
    return {
        "oa": len(layers.oa),
        "lsoa": len(layers.lsoa),
        "ward": len(layers.ward),
        "respondents": int(model.diagnostics_["n_respondents"]),
        "respondents_used": int(model.diagnostics_["n_used"]),
        "categories_with_estimates": int(len(est.estimates_) - 1) if est is not None else 0,
        "flagged": len(layers.flags),
        PREDICTED_WORSE: int(flags.get(PREDICTED_WORSE, 0)),
        HARD_WORSE: int(flags.get(HARD_WORSE, 0)),
        "strong_flags": int(strength.get("strong", 0)),
        "possible_flags": int(strength.get("possible", 0)),
        "gap_moran_i": moran.get("moran_i"),
        "gap_moran_p": moran.get("p_value"),
    }
