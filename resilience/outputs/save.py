"""Writing every deliverable of a run into one folder."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from .._progress import Progress, logger
from ..models.area_estimator import n_band
from ..schema import default_aliases
from ._frames import integer_counts, neutralise_text
from .gpkg import write_geopackage
from .manifest import build_manifest, config_hash, write_manifest
from .report import write_report
from .tables import write_tables

if TYPE_CHECKING:
    from ..pipeline import Result

__all__ = ["about_for", "save_result"]


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
        "sources": sources,
        "interval": cfg["estimates"]["interval"],
        "quintile_gap": cfg["compare"]["quintile_gap"],
        "min_respondents": cfg["survey"]["min_respondents"],
        "columns": {
            ind.slug: f"{ind.column} (as given; higher is {ind.higher_is})"
            for ind in result.hard.indicators
        },
        "synthetic_survey": result.synthetic_survey,
        **{("notice" if i == 0 else f"notice_{i + 1}"): text
           for i, text in enumerate(result.notices)},
    }  # fmt: skip


def _model_tables(result: Result) -> dict[str, pd.DataFrame]:
    model = result.model
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
    return {
        "cluster_profiles": profiles,
        "factor_loadings": loadings,
        "factor_correlations": factor_corr,
        "area_estimates": est,
    }


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
        "alpha": result.estimator.alpha_,
        "suppressed_categories": result.estimator.suppressed_,
    }
    p = folder / "diagnostics.json"
    p.write_text(json.dumps(diag, indent=2, default=float), encoding="utf-8")
    paths["model_diagnostics"] = p
    return paths


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
    with progress.stage(f"Writing outputs to {label or folder}", key="outputs"):
        model_tables = _model_tables(result)
        aliases = default_aliases(
            list(dict.fromkeys([*result.oa.columns, *result.lsoa.columns, *result.ward.columns])),
            indicator_labels=labels,
        )
        gpkg_about = {k: v for k, v in about.items() if k != "columns"}
        paths["geopackage"] = write_geopackage(
            folder / "resilience.gpkg",
            {"oa": result.oa, "lsoa": result.lsoa, "ward": result.ward},
            model_tables,
            about=gpkg_about,
            aliases=aliases,
            sidecar_dir=folder / "styles",
        )
        logger.info("      resilience.gpkg: %.1f MB", paths["geopackage"].stat().st_size / 1e6)
        paths.update(_write_model(folder / "model", result, model_tables))

        extra = {
            "Cluster profiles": model_tables["cluster_profiles"],
            "Factor loadings": model_tables["factor_loadings"],
            "Area estimates": model_tables["area_estimates"],
        }
        written = write_tables(
            folder,
            lsoa=result.lsoa,
            ward=result.ward,
            flags=result.flags,
            oa=result.oa if len(result.oa) <= 50_000 else None,
            about=about,
            extra_sheets=extra,
        )
        paths.update({f"table_{k}": v for k, v in written.items()})

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
        )
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
        "estimates": {**result.config["estimates"], "alpha": result.estimator.alpha_},
        "hard_method": result.config["hard"]["method"],
        "compare": result.config["compare"],
        "min_respondents": result.config["survey"]["min_respondents"],
    }
    manifest["synthetic_survey"] = result.synthetic_survey
    manifest["notices"] = list(result.notices)
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
