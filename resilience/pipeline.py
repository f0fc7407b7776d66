"""The whole pipeline: from a config to predictions, comparisons and outputs.

:func:`run` reads and checks every input, fits the survey model, estimates cluster
shares for every output area, aggregates them to LSOAs and wards, builds the hard-data
index, compares the two and finds where disagreement clusters. It returns a
:class:`Result`; :meth:`Result.save` writes the deliverables.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
from scipy import sparse

from ._progress import Progress, logger
from .clusters import CLUSTER_KEYS, share_columns
from .compare.benchmark import benchmark_columns, bivariate
from .compare.flags import compare, shortlist
from .compare.spatial import gap_clusters, gap_moran
from .config import Config, load_config
from .inputs.hard import HardData, hard_index
from .inputs.load import Inputs, load_inputs
from .models import SurveyModel
from .models.aggregate import Aggregate, aggregate, population_weights
from .models.area_estimator import AreaEstimator
from .models.validation import classification_value

__all__ = ["Inputs", "Result", "load_inputs", "run"]

#: Stages of a run, for progress messages.
STAGES = 6


@dataclass
class Result:
    """The outcome of a run.

    Attributes
    ----------
    oa, lsoa, ward : GeoDataFrame
        Predictions and comparisons with the columns of SPEC section 4, in EPSG:27700.
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
        Sizes of the inputs and outputs.
    run_id : str
    evidence : dict
        How far the figures can be trusted: ``interval_method``, ``gap_moran`` (global
        Moran's I of the gap), ``classification_value`` (cross-validated log-loss and
        Brier score), ``benchmark`` (the survey's shares) and, after a sensitivity run,
        ``sensitivity``.
    """

    oa: gpd.GeoDataFrame
    lsoa: gpd.GeoDataFrame
    ward: gpd.GeoDataFrame
    area: pd.DataFrame
    flags: pd.DataFrame
    model: SurveyModel
    estimator: AreaEstimator
    hard: HardData
    config: Config
    timings: dict[str, float]
    counts: dict[str, Any]
    run_id: str
    checks: list[dict[str, Any]] = field(default_factory=list)
    evidence: dict[str, Any] = field(default_factory=dict)

    def __repr__(self) -> str:
        flags = self.lsoa["flag"].value_counts().to_dict() if "flag" in self.lsoa else {}
        return (
            f"<Result {self.config['title']!r}: {len(self.oa)} OAs, {len(self.lsoa)} LSOAs, "
            f"{len(self.ward)} wards; flags {flags}>"
        )

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
        """Write every deliverable into ``out`` (see SPEC section 4).

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
def _ward_of_lsoa(lookup: pd.DataFrame, pop: pd.Series) -> pd.Series:
    """Best-fit ward of each LSOA: the ward holding most of its OAs' population."""
    frame = pd.DataFrame({"lsoa": lookup["lsoa_code"], "ward": lookup["ward_code"], "p": pop})
    total = frame.groupby(["lsoa", "ward"], sort=True)["p"].sum().reset_index()
    total = total.sort_values(["lsoa", "p", "ward"], ascending=[True, False, True])
    return total.drop_duplicates("lsoa").set_index("lsoa")["ward"]


def _names(
    shapes: gpd.GeoDataFrame, lookup: pd.DataFrame, level: str, codes: pd.Index
) -> pd.Series:
    """Area names from the boundaries, else from the lookup, else the code itself."""
    name, code = f"{level}_name", f"{level}_code"
    found = pd.Series(np.nan, index=codes, dtype=object)
    if name in shapes:
        found = shapes.set_index(code)[name].reindex(codes)
    if found.isna().any() and name in lookup:
        by_lookup = lookup.drop_duplicates(code).set_index(code)[name]
        found = found.fillna(by_lookup.reindex(codes))
    return found.fillna(pd.Series(codes, index=codes)).astype(str)


def _geo_frame(table: pd.DataFrame, shapes: gpd.GeoDataFrame, key: str) -> gpd.GeoDataFrame:
    merged = shapes[[key, "geometry"]].merge(table, left_on=key, right_index=True, how="inner")
    cols = [c for c in merged.columns if c != "geometry"] + ["geometry"]
    return gpd.GeoDataFrame(merged[cols], geometry="geometry", crs=shapes.crs).reset_index(
        drop=True
    )


def run(
    config: Config | str | Path | Mapping[str, Any],
    *,
    progress: Progress | None = None,
    inputs: Inputs | None = None,
) -> Result:
    """Run the analysis stages of the pipeline on the inputs named in ``config``.

    Parameters
    ----------
    config : Config, path or mapping
        The run configuration (SPEC section 6).
    progress : Progress, optional
        Receives the staged progress messages and timings.
    inputs : Inputs, optional
        Inputs already read by :func:`load_inputs` (read from the config otherwise).

    Returns
    -------
    Result
        Call :meth:`Result.save` to write the deliverables.
    """
    cfg = config if isinstance(config, Config) else load_config(config)
    progress = progress or Progress(STAGES)
    seed = int(cfg["seed"])
    run_id = f"{datetime.now(UTC):%Y%m%dT%H%M%SZ}-{uuid.uuid4().hex[:8]}"

    with progress.stage("Reading and checking inputs", key="read_inputs"):
        inp = inputs or load_inputs(cfg)
        logger.info(
            "      %d OAs, %d LSOAs, %d wards; %d survey respondents; %d hard indicators",
            len(inp.oa),
            len(inp.lsoa),
            len(inp.ward),
            len(inp.survey),
            len(inp.hard.indicators),
        )

    survey = inp.survey
    m = cfg["model"]
    with progress.stage(
        f"Fitting the survey model to {len(survey):,} respondents", key="survey_model"
    ):
        model = SurveyModel(
            n_factors=m["n_factors"],
            n_clusters=m["n_clusters"],
            rotation=m["rotation"],
            method=m["method"],
            n_init=m["n_init"],
            n_boot=m["n_boot"],
            items=cfg["survey"]["items"],
            max_missing=m["max_missing"],
            random_state=seed,
        ).fit(survey)
        d = model.diagnostics_
        logger.info(
            "      KMO %.2f; factors %s; stability ARI %s",
            d["kmo"],
            ", ".join(d["factor_names"]),
            f"{model.stability_['ari_mean']:.2f}" if model.stability_.get("n_boot") else "not run",
        )

    e = cfg["estimates"]
    levels = list(survey.attrs["levels"])
    n_oa = len(inp.oa)
    with progress.stage(f"Estimating cluster shares for {n_oa:,} OAs", key="area_estimates"):
        est = AreaEstimator(
            levels,
            min_respondents=cfg["survey"]["min_respondents"],
            n_boot=e["n_boot"],
            interval=e["interval"],
            shrinkage=e["shrinkage"],
            random_state=seed,
        ).fit(survey, model.labels_, label_proba=model.predict_proba(survey))
        value = classification_value(
            survey,
            model.labels_,
            levels,
            random_state=seed,
            min_respondents=cfg["survey"]["min_respondents"],
            shrinkage=e["shrinkage"],
        )
        oa_codes = pd.Index(inp.oa["oa_code"], name="oa_code")
        if inp.crosswalk is not None:
            M_src, info_src = est.membership(inp.classification)
            M = sparse.csr_matrix(inp.crosswalk.matrix @ M_src)
            oa_table = est.shares_from_membership(M, oa_codes)
            best = inp.crosswalk.matrix.argmax(axis=1).A1
            info = info_src.iloc[best].set_index(oa_codes)
            oa_table = oa_table.join(info)
            oa_table["vintage_change"] = inp.crosswalk.change.reindex(oa_codes).to_numpy()
            cls_codes = inp.classification.iloc[best].set_index(oa_codes)
        else:
            areas = inp.classification.reindex(oa_codes)
            M, info = est.membership(areas)
            oa_table = est.shares_from_membership(M, oa_codes).join(info)
            cls_codes = areas
        # name the level by the classification's own column names, like the OA layer's columns
        level_names = dict(zip(levels, cfg["classification"]["levels"], strict=True))
        oa_table["estimate_level"] = oa_table["estimate_level"].map(lambda v: level_names.get(v, v))
        logger.info(
            "      estimate levels: %s",
            ", ".join(f"{k} {v}" for k, v in oa_table["estimate_level"].value_counts().items()),
        )

    with progress.stage("Aggregating to LSOAs, wards and the whole area", key="aggregation"):
        weights = population_weights(oa_codes, inp.population)
        known = inp.population.reindex(oa_codes) if inp.population is not None else None
        lk = inp.lookup.reindex(oa_codes)
        reps = {
            "membership": M,
            "category_replicates": est.replicates_,
            "interval": e["interval"],
            "population": known,
        }
        lsoa_agg: Aggregate = aggregate(oa_table, lk["lsoa_code"], weights, **reps)
        ward_agg: Aggregate = aggregate(oa_table, lk["ward_code"], weights, **reps)
        whole = pd.Series("all", index=oa_codes, name="area")
        area_agg = aggregate(oa_table, whole, weights, **reps)

    with progress.stage("Building the hard-data index", key="hard_index"):
        hard = hard_index(inp.hard, method=cfg["hard"]["method"])

    c = cfg["compare"]
    with progress.stage("Comparing the prediction with the hard data", key="comparison"):
        lsoa_scores = lsoa_agg.frame["resilience_score"]
        cmp = compare(
            lsoa_scores,
            hard.reindex(lsoa_scores.index),
            score_replicates=lsoa_agg.score_replicates if len(lsoa_agg.score_replicates) else None,
            quintile_gap=c["quintile_gap"],
            min_confidence=c["min_confidence"],
        )
        lsoa_geo = inp.lsoa.set_index("lsoa_code")
        cmp_geo = gpd.GeoDataFrame(
            cmp.join(lsoa_geo[["geometry"]]), geometry="geometry", crs=inp.lsoa.crs
        )
        cmp["gap_cluster"] = gap_clusters(
            cmp_geo,
            "gap",
            permutations=c["permutations"],
            alpha=c["alpha"],
            fdr=c["fdr"],
            seed=seed,
        )
        moran = gap_moran(
            cmp_geo, "gap", permutations=c["permutations"], alpha=c["alpha"], seed=seed
        )
        cmp["bivariate"] = bivariate(lsoa_scores, hard["hard_index"])
        counts = cmp["flag"].value_counts().to_dict()
        logger.info("      flags: %s", ", ".join(f"{k} {v}" for k, v in counts.items()) or "none")

    # -------------------------------------------------------------- assemble
    national = est.estimates_.loc[("all", "all"), share_columns()]
    national = {k: float(national[f"share_{k}"]) for k in CLUSTER_KEYS}
    oa_table = oa_table.join(benchmark_columns(oa_table, national))
    for agg in (lsoa_agg, ward_agg):
        agg.frame = agg.frame.join(benchmark_columns(agg.frame, national))
    oa_out = pd.DataFrame(index=oa_codes)
    oa_out["lsoa_code"] = lk["lsoa_code"]
    oa_out["ward_code"] = lk["ward_code"]
    for src, dst in zip(levels, cfg["classification"]["levels"], strict=True):
        oa_out[dst] = cls_codes[src].to_numpy()
    oa_out = oa_out.join(oa_table)
    oa_out["population"] = known if known is not None else float("nan")
    oa_gdf = _geo_frame(oa_out, inp.oa, "oa_code")

    ward_of = _ward_of_lsoa(lk, weights)
    lsoa_out = pd.DataFrame(index=lsoa_agg.frame.index)
    lsoa_out["lsoa_name"] = _names(inp.lsoa, inp.lookup, "lsoa", lsoa_out.index)
    lsoa_out["ward_code"] = ward_of.reindex(lsoa_out.index)
    lsoa_out = lsoa_out.join(lsoa_agg.frame.drop(columns=["dominant_cluster"]))
    raw_values = inp.hard.values.reindex(lsoa_out.index)
    lsoa_out = lsoa_out.join(raw_values)
    domain_cols = [col for col in hard.columns if col.startswith("hard_") and col != "hard_index"]
    lsoa_out = lsoa_out.join(hard[["hard_index", *domain_cols]])
    lsoa_out = lsoa_out.join(cmp.drop(columns=[col for col in cmp.columns if col in lsoa_out]))
    lsoa_out.index.name = "lsoa_code"
    lsoa_gdf = _geo_frame(lsoa_out, inp.lsoa, "lsoa_code")

    ward_out = ward_agg.frame.drop(columns=["dominant_cluster", "n_oa"]).copy()
    ward_out.insert(0, "ward_name", _names(inp.ward, inp.lookup, "ward", ward_out.index))
    lsoa_pop = weights.groupby(lk["lsoa_code"]).sum().reindex(lsoa_out.index)
    by_ward = lsoa_out.groupby("ward_code")
    hard_w = (lsoa_out["hard_index"] * lsoa_pop).groupby(
        lsoa_out["ward_code"]
    ).sum() / lsoa_pop.where(lsoa_out["hard_index"].notna()).groupby(lsoa_out["ward_code"]).sum()
    ward_out["hard_index"] = hard_w.reindex(ward_out.index)
    ward_out["n_lsoa"] = by_ward.size().reindex(ward_out.index).fillna(0).astype(int)
    flagged = lsoa_out["flag"].isin(["predicted_worse", "hard_worse"])
    ward_out["n_flagged"] = (
        flagged.groupby(lsoa_out["ward_code"]).sum().reindex(ward_out.index).fillna(0).astype(int)
    )
    ward_out.index.name = "ward_code"
    ward_gdf = _geo_frame(ward_out, inp.ward, "ward_code")

    flags = shortlist(
        lsoa_out.reset_index().merge(
            ward_out[["ward_name"]], left_on="ward_code", right_index=True, how="left"
        )
    )
    counts_out = {
        "oa": len(oa_gdf),
        "lsoa": len(lsoa_gdf),
        "ward": len(ward_gdf),
        "respondents": int(model.diagnostics_["n_respondents"]),
        "respondents_used": int(model.diagnostics_["n_used"]),
        "categories_with_estimates": int(len(est.estimates_) - 1),
        "flagged": len(flags),
        "predicted_worse": int(counts.get("predicted_worse", 0)),
        "hard_worse": int(counts.get("hard_worse", 0)),
        "strong_flags": int((flags["flag_strength"] == "strong").sum()),
        "possible_flags": int((flags["flag_strength"] == "possible").sum()),
        "gap_moran_i": moran["moran_i"],
        "gap_moran_p": moran["p_value"],
    }
    return Result(
        oa=oa_gdf,
        lsoa=lsoa_gdf,
        ward=ward_gdf,
        area=area_agg.frame,
        flags=flags,
        model=model,
        estimator=est,
        hard=inp.hard,
        config=cfg,
        timings=dict(progress.timings),
        counts=counts_out,
        run_id=run_id,
        checks=inp.checks,
        evidence={
            "interval_method": est.interval_method_,
            "gap_moran": moran,
            "classification_value": value,
            "benchmark": national,
        },
    )
