"""Writing every deliverable of a run into one folder."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from .._fork import Background
from .._progress import Progress, logger
from ..models.area_estimator import n_band
from ..schema import default_aliases
from . import tables as table_files
from ._frames import integer_counts, neutralise_text
from .change import change_outputs
from .gpkg import write_geopackage
from .local import local_column_meanings, map_evidence
from .manifest import build_manifest, config_hash, write_manifest
from .mrp_tables import route_description, write_mrp_tables
from .report import write_report
from .tables import write_csv, write_tables

if TYPE_CHECKING:
    from ..pipeline import Result

__all__ = ["about_for", "save_result"]


def clustering_sentence(moran: Mapping[str, Any] | None) -> str | None:
    """What the global Moran's I of the gap says, in one sentence for the maps.

    Examples
    --------
    >>> clustering_sentence({"moran_i": 0.04, "p_value": 0.21, "significant": False})[:60]
    "Disagreement does not cluster overall (global Moran's I 0.04"
    """
    if not moran or moran.get("moran_i") is None or moran.get("p_value") is None:
        return None
    figures = f"global Moran's I {moran['moran_i']:.2f}, p = {moran['p_value']:.2f}"
    if moran.get("significant"):
        return f"Disagreement clusters in space ({figures})."
    return (
        f"Disagreement does not cluster overall ({figures}): single significant LSOAs may "
        "be chance."
    )


def about_for(result: Result) -> dict[str, Any]:
    """Run metadata shared by the GeoPackage, the workbook and the report."""
    cfg = result.config
    sources = [f"{role}: {Path(p).name}" for role, p in cfg.input_files().items()]
    for src in result.hard.sources:
        if getattr(src, "release", None):
            sources.append(f"hard data release: {src.release}")
    return {
        "title": cfg["title"],
        "run_id": result.run_id,
        "created": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "config_hash": config_hash(cfg.raw),
        "seed": cfg["seed"],
        "estimation_route": route_description(cfg["estimates"]["method"]),
        "sources": sources,
        "interval": cfg["estimates"]["interval"],
        "quintile_gap": cfg["compare"]["quintile_gap"],
        "min_confidence": cfg["compare"]["min_confidence"],
        "min_respondents": cfg["survey"]["min_respondents"],
        "columns": {
            **{
                ind.slug: f"{ind.column} (as given; higher is {ind.higher_is})"
                for ind in result.hard.indicators
            },
            **local_column_meanings(list(result.lsoa.columns), _asset_categories(result)),
        },
        "synthetic_survey": result.synthetic_survey,
        **{("notice" if i == 0 else f"notice_{i + 1}"): text
           for i, text in enumerate(result.notices)},
    }  # fmt: skip


def _asset_categories(result: Result) -> list[str]:
    assets = result.local.assets
    return [] if assets is None else sorted(assets.points["category"].astype(str).unique())


def _model_tables(result: Result) -> dict[str, pd.DataFrame]:
    model = result.model
    est = None
    if result.estimator is not None:  # None: the MRP route without a classification
        est = result.estimator.estimates_.reset_index()
        est = est[est["level"] != "all"].rename(columns={"code": "category"})
        est["level"] = est["level"].map(lambda v: result.level_names.get(v, v))
    loadings = model.loadings_.reset_index()
    factor_corr = model.factor_correlations_.reset_index()
    profiles = model.profiles_.reset_index()
    sizes = model.cluster_sizes_.reset_index()
    # respondent counts are published in bands, as everywhere else
    sizes["respondents"] = sizes["respondents"].map(n_band)
    profiles = profiles.merge(sizes, on="cluster").merge(
        model.match_[["similarity"]].rename(columns={"similarity": "profile_match"}),
        left_on="cluster",
        right_index=True,
    )
    tables = {
        "cluster_profiles": profiles,
        "factor_loadings": loadings,
        "factor_correlations": factor_corr,
        "area_estimates": est,
    }
    return {k: v for k, v in tables.items() if v is not None}


def _write_model(folder: Path, result: Result, tables: dict[str, pd.DataFrame]) -> dict[str, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    model = result.model
    paths = {}
    for name, frame in tables.items():
        p = folder / f"{name}.csv"
        neutralise_text(integer_counts(frame)).to_csv(p, index=False, encoding="utf-8")
        paths[f"model_{name}"] = p
    p = folder / "summary.csv"
    neutralise_text(model.summary()).to_csv(p, index=False)
    paths["model_summary"] = p
    diag = {
        **dict(model.diagnostics_.items()),
        "stability": model.stability_,
        "label_match": model.match_.reset_index().to_dict(orient="records"),
        "alpha": result.estimator.alpha_ if result.estimator else None,
        "suppressed_categories": result.estimator.suppressed_ if result.estimator else None,
        **result.evidence.get("classification_value", {}),
        "interval_method": result.evidence.get("interval_method"),
        "gap_moran": result.evidence.get("gap_moran"),
        "benchmark_shares": result.evidence.get("benchmark"),
    }
    diag = {k: v for k, v in diag.items() if v is not None}
    mrp = getattr(result, "mrp", None)  # the MRP route, when it ran
    if mrp is not None:
        diag["mrp"] = mrp.diagnostics()
        paths.update(write_mrp_tables(folder, mrp))
    p = folder / "diagnostics.json"
    p.write_text(json.dumps(diag, indent=2, default=float), encoding="utf-8")
    paths["model_diagnostics"] = p
    table = result.evidence.get("sensitivity")
    if isinstance(table, pd.DataFrame):
        p = folder / "sensitivity.csv"
        table.to_csv(p, index=False, encoding="utf-8")
        paths["model_sensitivity"] = p
    return paths


def _local_layers(result: Result) -> dict[str, Any]:
    """GeoPackage layers of the local evidence: ``assets`` and ``validation``."""
    from .validation import validation_layer

    local, layers = result.local, {}
    if local.assets is not None:
        layers["assets"] = local.assets.points
    if local.validation is not None:
        area = local.validation_area
        shapes = result.lsoa if area == "lsoa" else result.ward
        layers["validation"] = validation_layer(local.validation, shapes, area)
    return layers


def _write_local(result: Result, folder: Path) -> dict[str, Path]:
    """The review pack, the asset problems and the resident-survey check's tables."""
    from .review import PackInputs, write_review_pack
    from .validation import write_validation_tables

    local = result.local
    pack = PackInputs(
        title=result.config["title"],
        oa=result.oa,
        lsoa=result.lsoa,
        ward=result.ward,
        flags=result.flags,
        area=result.area.iloc[0],
        indicators=[
            (ind.slug, ind.label or ind.column, ind.higher_is) for ind in result.hard.indicators
        ],
        assets=local.assets.points if local.assets is not None else None,
        reviews=local.reviews,
        explained=local.explained,
        interval=result.config["estimates"]["interval"],
        notices=list(result.notices),
        waves=(result.change.waves[0], result.change.waves[-1]) if result.change else None,
    )
    paths = dict(write_review_pack(folder / "review", pack))
    if local.assets is not None and len(local.assets.problems):
        paths["table_asset_problems"] = write_csv(
            local.assets.problems, folder / "tables" / "asset_problems.csv"
        )
    if local.validation is not None:
        written = write_validation_tables(
            folder / "tables", local.validation, _validation_names(result)
        )
        paths.update({f"table_{k}": v for k, v in written.items()})
    return paths


def _local_sections(result: Result) -> list[str]:
    """The report's section on the resident-survey check (none without one)."""
    from .validation import validation_section

    local = result.local
    if local.validation is None:
        return []
    names = _validation_names(result)
    return [validation_section(local.validation, local.validation_area, names)]


def _validation_names(result: Result) -> pd.Series:
    """Name of each area of the resident-survey check's level, by code."""
    area = result.local.validation_area
    layer = result.lsoa if area == "lsoa" else result.ward
    return layer.set_index(f"{area}_code")[f"{area}_name"]


def _write_geopackage(
    result: Result, folder: Path, about: dict[str, Any], change: Any, model_tables: dict
) -> dict[str, Path]:
    """The GeoPackage with its QGIS styles (and their sidecar files)."""
    aliases = default_aliases(
        list(dict.fromkeys([*result.oa.columns, *result.lsoa.columns, *result.ward.columns])),
        indicator_labels={**result.indicator_labels, **change.aliases},
    )
    gpkg_about = {k: v for k, v in about.items() if k != "columns"}
    gpkg_layers = {"oa": result.oa, "lsoa": result.lsoa, "ward": result.ward}
    gpkg_layers.update(_local_layers(result))
    path = write_geopackage(
        folder / "resilience.gpkg",
        gpkg_layers,
        {**model_tables, **change.tables},
        about=gpkg_about,
        aliases=aliases,
        sidecar_dir=folder / "styles",
    )
    logger.info("      resilience.gpkg: %.1f MB", path.stat().st_size / 1e6)
    return {"geopackage": path}


def _write_data(
    result: Result, folder: Path, about: dict[str, Any], change: Any, model_tables: dict
) -> dict:
    """The model files and the workbook."""
    paths = _write_model(folder / "model", result, model_tables)
    extra = {
        "Cluster profiles": model_tables["cluster_profiles"],
        "Factor loadings": model_tables["factor_loadings"],
        "Area estimates": model_tables.get("area_estimates"),
        **change.sheets,
    }
    extra = {k: v for k, v in extra.items() if v is not None}
    paths.update(_write_tables(result, folder, about, extra, csv=False))
    return paths


def _write_tables(
    result: Result,
    folder: Path,
    about: dict[str, Any],
    extra: dict[str, pd.DataFrame] | None = None,
    *,
    csv: bool = True,
    workbook: bool = True,
) -> dict[str, Path]:
    """:func:`write_tables` of the run's layers: the CSVs, the workbook or both."""
    written = write_tables(
        folder,
        lsoa=result.lsoa,
        ward=result.ward,
        flags=result.flags,
        oa=result.oa,
        about=about,
        extra_sheets=extra,
        csv=csv,
        workbook=workbook,
    )
    return {f"table_{k}": v for k, v in written.items()}


def save_result(
    result: Result,
    folder: Path,
    *,
    maps: bool = True,
    map_mode: str | None = None,
    progress: Progress | None = None,
    label: str | Path | None = None,
) -> dict[str, Path]:
    """Write the GeoPackage, maps, tables, report, model diagnostics and manifest.

    ``label`` is how the folder is named in progress messages (the final folder when
    ``folder`` is a temporary one).
    """
    progress = progress or Progress(1)
    folder = Path(folder)
    about = about_for(result)
    labels = result.indicator_labels
    paths: dict[str, Path] = {}
    change = change_outputs(result)  # empty unless [survey] waves
    about["columns"].update(change.meanings)
    model_tables = _model_tables(result)  # in the GeoPackage, the model files and workbook
    # Forked processes write the GeoPackage, the model files and workbook, the CSV tables,
    # and the review pack, while this one writes the maps and the report: the same files, in
    # less time on two cores (London's workbook, CSVs and review pack take seconds each).
    # The report's sections are made here, so it is written without waiting for them.
    with (
        progress.stage(f"Writing outputs to {label or folder}", key="outputs"),
        Background(_write_geopackage, result, folder, about, change, model_tables) as gpkg,
        Background(_write_data, result, folder, about, change, model_tables) as data,
        Background(
            _write_tables,
            result,
            folder,
            about,
            workbook=False,
            enabled=table_files.large_csvs(result.lsoa, result.ward, result.flags, result.oa),
        ) as csvs,
        Background(_write_local, result, folder) as local,
    ):
        change_paths = change.write_csv(folder / "tables")

        if maps:
            from ..inputs.trial import SYNTHETIC_NOTICE, map_title
            from ..maps import write_maps

            mode = map_mode or result.config["maps"]["mode"]
            written_maps = write_maps(
                folder / "maps",
                result.oa,
                result.lsoa,
                result.ward,
                mode=mode,
                title=map_title(result.config["title"], result.synthetic_survey),
                indicator_labels=labels,
                ward_pages=result.config["maps"]["ward_pages"],
                tiles=result.config["maps"]["tiles"],
                tiles_attribution=result.config["maps"]["tiles_attribution"],
                notice=SYNTHETIC_NOTICE if result.synthetic_survey else None,
                clustering=clustering_sentence(result.evidence.get("gap_moran")),
                prepared=result.map_geometry,
                **map_evidence(result.local),
            )
            paths["map_index"] = folder / "maps" / "index.html"
            paths.update(
                {f"map_{k}": Path(v) for k, v in written_maps.items() if isinstance(v, (str, Path))}
            )

        d = result.model.diagnostics_
        diagnostics = {
            "n_respondents": d["n_used"],
            "kmo": d["kmo"],
            "stability_ari": result.model.stability_.get("ari_mean"),
            "label_match": d["min_match_similarity"],
        }
        paths["report"] = write_report(
            folder / "report.html",
            title=result.config["title"],
            oa=result.oa,
            lsoa=result.lsoa,
            ward=result.ward,
            flags=result.flags,
            profiles=result.model.profiles_,
            diagnostics=diagnostics,
            about=about,
            evidence=result.evidence,
            extra_sections=[*change.sections, *_local_sections(result)],
        )
        # listed in the order of writing them one after another
        data_paths = {**gpkg.result(), **data.result()}
        local_paths = local.result()
        workbook = {"table_xlsx": data_paths.pop("table_xlsx")}
        paths = {**data_paths, **csvs.result(), **workbook, **change_paths, **local_paths, **paths}
    manifest = build_manifest(
        config=result.config.raw,
        config_path=result.config.path,
        inputs={k: str(v) for k, v in result.config.input_files().items()},
        seed=result.config["seed"],
        counts=result.counts,
        timings=dict(result.timings) | dict(progress.timings),
        outputs={k: str(v) for k, v in paths.items() if Path(v).is_file()},
        run_id=result.run_id,
    )
    manifest["parameters"] = {
        "model": result.config["model"],
        "estimates": {
            **result.config["estimates"],
            "alpha": result.estimator.alpha_ if result.estimator else None,
            "interval_method": result.evidence.get("interval_method"),
        },
        "hard_method": result.config["hard"]["method"],
        "compare": result.config["compare"],
        "min_respondents": result.config["survey"]["min_respondents"],
    }
    manifest["synthetic_survey"] = result.synthetic_survey
    manifest["notices"] = list(result.notices)
    if change.manifest is not None:
        manifest["over_time"] = change.manifest
    paths["manifest"] = write_manifest(folder / "manifest.json", _relative(manifest, folder))
    return paths


def _relative(value: Any, folder: Path) -> Any:
    """Paths inside the (possibly temporary) output folder, written relative to it."""
    if isinstance(value, dict):
        return {k: _relative(v, folder) for k, v in value.items()}
    if isinstance(value, list):
        return [_relative(v, folder) for v in value]
    if isinstance(value, str) and value.startswith(str(folder) + "/"):
        return str(Path(value).relative_to(folder))
    return value
