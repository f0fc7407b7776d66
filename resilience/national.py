"""Every local authority in one run: one complete output folder each, the models fitted once.

``[area] lad = "all"`` (or a list of authorities) with ``resilience run --per-authority``
reads the national files once, fits the survey model and the small-area estimator once
(they depend on the survey and the classification only), then runs the stages after them
for each authority on its own OAs and LSOAs (:func:`~resilience.pipeline.analyse_area`):
its OA estimates, LSOA and ward figures, hard-data index, quintiles, flags and local
Moran's I are computed within the authority, as its council would compute them, and its
folder is the one a plain run with ``[area] lad = ["<its code>"]`` writes.

Layout of the output folder::

    out/
      authorities.json          what was run, and how each authority ended
      index.html                every authority with its OAs, LSOAs and flags, linked
      national.gpkg             oa, lsoa and ward layers of all authorities (lad_code)
      E06000001_hartlepool/     a complete output folder (report, maps, tables, ...)
      ...

Authorities run in parallel worker processes; a failure in one is reported and the others
complete. A folder appears only when complete (its ``manifest.json`` written last), so a
rerun skips the authorities already done and runs the rest.
"""

from __future__ import annotations

import copy
import html
import json
import logging
import multiprocessing
import os
import re
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pandas as pd

from ._fork import frozen_for_fork, one_process_each
from ._outdir import check_output_folder
from ._progress import Progress, logger
from .config import Config
from .errors import ConfigError, OutputExistsError, ResilienceError
from .inputs.area import lad_of_oas, study_area
from .inputs.hard import HardData
from .inputs.load import (
    Inputs,
    _keep,
    classification_join,
    geography_joins,
    load_inputs,
    missing_oas_join,
    population_join,
    read_config_crosswalk,
    wards_in_area,
)
from .pipeline import Fitted, analyse_area, fit_models

__all__ = [
    "Authority",
    "AuthorityOutcome",
    "NationalRun",
    "authorities_of",
    "authority_config",
    "authority_inputs",
    "run_per_authority",
]

#: The file that marks a folder as a per-authority run's (safe to add to on a rerun).
MARKER = "authorities.json"
#: Stages of one authority: cutting the inputs, the four after the fits, the outputs.
AUTHORITY_STAGES = 6
#: Stages of the national run: reading, the two fits, the authorities, the national files.
NATIONAL_STAGES = 5


def _slug(text: str) -> str:
    """Lower-case ASCII words joined by underscores, for folder names.

    Examples
    --------
    >>> _slug("Kingston upon Hull, City of")
    'kingston_upon_hull_city_of'
    """
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")


@dataclass(frozen=True)
class Authority:
    """A local authority of the run: its code, name and OAs."""

    code: str
    name: str
    oas: tuple[str, ...]

    @property
    def folder(self) -> str:
        """The folder name: ``<code>_<name as a slug>``.

        Examples
        --------
        >>> Authority("E06000001", "Hartlepool", ()).folder
        'E06000001_hartlepool'
        """
        slug = _slug(self.name)
        return f"{self.code}_{slug}" if slug and slug != self.code.lower() else self.code


@dataclass
class AuthorityOutcome:
    """How one authority ended: ``done``, ``skipped`` (complete before) or ``failed``."""

    code: str
    name: str
    folder: str
    status: str
    seconds: float = 0.0
    counts: dict[str, int] = field(default_factory=dict)
    error: str | None = None
    #: exit status the failure stands for: 2 bad input, 1 internal error
    exit_status: int = 0


@dataclass
class NationalRun:
    """The outcome of :func:`run_per_authority`."""

    out: Path
    outcomes: list[AuthorityOutcome]
    paths: dict[str, Path]
    timings: dict[str, float]

    @property
    def failed(self) -> list[AuthorityOutcome]:
        """The authorities that failed."""
        return [o for o in self.outcomes if o.status == "failed"]

    @property
    def exit_status(self) -> int:
        """0 when every authority is complete, 2 when those failing had bad input, else 1."""
        if not self.failed:
            return 0
        return 1 if any(o.exit_status == 1 for o in self.failed) else 2


# ------------------------------------------------------------------ authorities
def authorities_of(cfg: Config, inp: Inputs) -> list[Authority]:
    """The local authorities of the study area's OAs, by code, with their names.

    The LAD of every OA comes from the LAD column of the lookup (or without one, of the OA
    boundaries), as for ``[area] lad``.
    """
    area = study_area(cfg["area"])
    lk = cfg["geography"].get("lookup")
    if lk:
        lad = lad_of_oas(lk["path"], oa_column=lk.get("oa"), lads=area.lad or (), role="lookup")
    else:
        a = inp.oa.attrs
        lad = lad_of_oas(
            a["path"],
            oa_column=a.get("code_column"),
            lads=area.lad or (),
            role="OA boundaries",
            layer=a.get("layer"),
        )
    codes = lad.reindex(pd.Index(inp.oa["oa_code"]))
    if codes.isna().any():
        missing = codes.index[codes.isna()]
        raise ConfigError(
            f"--per-authority needs the local authority of every OA, but {len(missing)} OA(s) "
            f"have none in column {lad.attrs['column']!r} of {lad.attrs['path']}, e.g. "
            f"{', '.join(missing[:5])}. Use a lookup with a LAD code for every OA."
        )
    names = lad.attrs.get("names") or {}
    groups = pd.Series(codes.index, index=codes.to_numpy()).groupby(level=0, sort=True)
    return [
        Authority(str(code), str(names.get(code, code)), tuple(oas.tolist()))
        for code, oas in groups
    ]


def authority_config(cfg: Config, lad: str) -> Config:
    """``cfg`` with ``[area] lad = [lad]``: the config of a plain run of that authority."""
    data = copy.deepcopy(cfg.data)
    raw = copy.deepcopy(cfg.raw)
    data["area"] = {**data["area"], "lad": [lad]}
    raw["area"] = {**raw.get("area", {}), "lad": [lad]}
    return replace(cfg, data=data, raw=raw)


_CODE_SETS: dict[int, tuple[pd.Index, frozenset]] = {}


def _among(available: pd.Index, codes) -> list:
    """The ``codes`` found in ``available`` (a national index, made a set once)."""
    key = id(available)
    if key not in _CODE_SETS or _CODE_SETS[key][0] is not available:
        _CODE_SETS[key] = (available, frozenset(available.tolist()))
    found = _CODE_SETS[key][1]
    return [c for c in codes if c in found]


def authority_inputs(inp: Inputs, cfg: Config, oas: tuple[str, ...]) -> Inputs:
    """The inputs a plain run of one authority reads, cut from the national ones.

    OAs, lookup, LSOAs, wards and hard data are cut exactly as :func:`load_inputs` cuts
    the files for ``[area] lad``, in the files' order, and the join checks are made again
    on the authority's OAs. The survey, the classification and the population are shared
    (a population given by LSOA is spread to OAs within each LSOA, and LSOAs nest in
    local authorities).
    """
    oa = _keep(inp.oa, "oa_code", list(oas))
    lookup = inp.lookup.loc[oa["oa_code"]]
    lsoa = _keep(inp.lsoa, "lsoa_code", lookup["lsoa_code"].unique())
    ward = wards_in_area(inp.ward, oa, lookup)
    # the checks of a plain run, against the national codes the authority's could match
    # (the same codes found missing; the national tables are matched once per process)
    codes = oa["oa_code"].to_numpy()
    checks = [join() for join in geography_joins(cfg, oa, lsoa, ward, lookup)]
    checks.append(missing_oas_join(cfg, oa, inp.lookup, pd.Index(codes))())
    if inp.population is not None:
        population = inp.population.loc[_among(inp.population.index, codes)]
        checks.append(population_join(cfg, oa, population)())
    classification, crosswalk = inp.classification, None
    if inp.crosswalk is None:
        found = classification.loc[_among(classification.index, codes)]
        checks.append(classification_join(cfg, oa, found)())
    else:
        crosswalk = read_config_crosswalk(cfg, oa, inp.classification, inp.population)
        classification = classification.loc[crosswalk.sources]
    values = inp.hard.values.reindex(lsoa["lsoa_code"].to_numpy())
    values.index.name = inp.hard.values.index.name
    hard = HardData(values, inp.hard.indicators, inp.hard.sources)
    return replace(
        inp,
        config=cfg,
        oa=oa,
        lsoa=lsoa,
        ward=ward,
        lookup=lookup,
        classification=classification,
        crosswalk=crosswalk,
        hard=hard,
        checks=checks,
        area_rows=[],
    )


# ------------------------------------------------------------------ workers
@dataclass
class _State:
    cfg: Config
    inp: Inputs
    fitted: Fitted | None
    out: Path
    overwrite: bool
    maps: bool
    map_mode: str | None


_STATE: _State | None = None


def _init_worker(state: _State) -> None:
    """Keep the national state; one BLAS thread; console messages name the authority."""
    global _STATE
    _STATE = state
    one_process_each()  # the authorities are the parallel work: no processes within one
    try:
        from threadpoolctl import threadpool_limits

        threadpool_limits(1)
    except ImportError:  # pragma: no cover - threadpoolctl comes with scikit-learn
        pass
    for h in logger.handlers:
        if type(h) is logging.StreamHandler:  # the terminal, not run.log
            h.setLevel(max(h.level, logging.WARNING))


def _complete(folder: Path, cfg: Config) -> bool:
    """True when ``folder`` holds a finished run of ``cfg`` (its manifest, same config)."""
    from .outputs.manifest import config_hash

    try:
        manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return manifest.get("config_hash") == config_hash(cfg.raw)


def _run_authority(auth: Authority) -> AuthorityOutcome:
    """Write one authority's folder (in a worker process)."""
    from .runner import run_to_folder

    s = _STATE
    assert s is not None, "worker not initialised"
    cfg = authority_config(s.cfg, auth.code)
    folder = s.out / auth.folder
    outcome = AuthorityOutcome(auth.code, auth.name, auth.folder, "done")

    def analyse(c: Config, progress: Progress):
        with progress.stage(f"Cutting the inputs to {auth.name} ({auth.code})", key="read_inputs"):
            inp = authority_inputs(s.inp, c, auth.oas)
            logger.info("      %s", inp.summary())
        return analyse_area(c, inp, s.fitted, progress)

    for h in logger.handlers:
        if type(h) is logging.StreamHandler:  # warnings on the terminal name the authority
            h.setFormatter(logging.Formatter(f"      {auth.code}: %(message)s"))
    start = time.perf_counter()
    try:
        result = run_to_folder(
            cfg,
            folder,
            overwrite=s.overwrite,
            maps=s.maps,
            map_mode=s.map_mode,
            progress=Progress(AUTHORITY_STAGES),
            analyse=analyse,
        )
        outcome.counts = dict(result.counts)
    except ResilienceError as err:
        outcome.status, outcome.error, outcome.exit_status = "failed", str(err), 2
    except Exception as err:  # reported; the other authorities carry on
        logger.debug("%s failed", auth.code, exc_info=True)
        outcome.status, outcome.exit_status = "failed", 1
        outcome.error = f"internal error: {type(err).__name__}: {err}"
    outcome.seconds = round(time.perf_counter() - start, 2)
    return outcome


# ------------------------------------------------------------------ the run
def _check_folder(out: Path, overwrite: bool, protect: list[Path]) -> None:
    """``out`` is new, empty, or an earlier per-authority run's (it holds the marker)."""
    if (out / MARKER).is_file():
        return
    check_output_folder(out, overwrite, protect)
    if out.exists() and any(out.iterdir()):  # pragma: no cover - refused above
        raise OutputExistsError(f"Output folder {str(out)!r} is not a per-authority run's.")


def _write_json(path: Path, data: Any) -> None:
    tmp = path.with_name(f".{path.name}.partial")
    tmp.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    tmp.replace(path)


def run_per_authority(
    cfg: Config,
    out: str | Path,
    *,
    overwrite: bool = False,
    maps: bool = True,
    map_mode: str | None = None,
    workers: int | None = None,
) -> NationalRun:
    """Write one complete output folder per local authority, an index page and a
    national GeoPackage into ``out``.

    Parameters
    ----------
    cfg : Config
        A config with ``[area] lad = "all"`` (every authority of the files) or a list of
        authorities, and no ``[area] wards``.
    out : path
        The national folder (new, empty, or an earlier per-authority run's).
    overwrite : bool, default=False
        Replace authority folders that exist but are not a finished run of this config.
        Finished ones are always kept (skipped).
    maps, map_mode
        As for ``resilience run``.
    workers : int, optional
        Worker processes (default: ``min(2, CPUs)``).

    Returns
    -------
    NationalRun
        Every authority's outcome; ``exit_status`` is 0 when all are complete.
    """
    out = Path(out)
    if study_area(cfg["area"]).wards is not None:
        raise ConfigError(
            "--per-authority runs whole local authorities; leave [area] wards out of the "
            'config (and set [area] lad = "all" or a list of authorities).'
        )
    protect = [*cfg.input_files().values(), *([cfg.path] if cfg.path else [])]
    _check_folder(out, overwrite, protect)
    progress = Progress(NATIONAL_STAGES)
    start = time.perf_counter()
    with progress.stage("Reading and checking the national inputs", key="read_inputs"):
        inp = load_inputs(cfg)
        logger.info("      %s", inp.summary())
        authorities = authorities_of(cfg, inp)
        logger.info("      %d local authorities", len(authorities))
    outcomes: dict[str, AuthorityOutcome] = {}
    todo = []
    for auth in authorities:
        if _complete(out / auth.folder, authority_config(cfg, auth.code)):
            outcomes[auth.code] = AuthorityOutcome(auth.code, auth.name, auth.folder, "skipped")
        else:
            todo.append(auth)
    if todo:
        fitted = fit_models(cfg, inp, progress)
    else:
        fitted = None
        progress.done += 2
        logger.info("      every authority is complete: nothing to fit")

    out.mkdir(parents=True, exist_ok=True)
    _write_json(out / MARKER, _marker(cfg, authorities, {}))
    from .outputs.manifest import file_sha256

    for path in cfg.input_files().values():  # hashed once, before the workers start
        if Path(path).is_file():
            file_sha256(path)
    n_workers = max(1, min(workers or min(2, os.cpu_count() or 1), len(todo) or 1))
    state = _State(cfg, inp, fitted, out, overwrite, maps, map_mode)
    with progress.stage(
        f"Running {len(todo)} of {len(authorities)} authorities in {n_workers} processes "
        f"({len(authorities) - len(todo)} complete before)",
        key="authorities",
    ):
        _run_all(todo, state, n_workers, outcomes, len(authorities) - len(todo), len(authorities))
    ordered = [outcomes[a.code] for a in authorities]
    for o in ordered:
        if o.status == "skipped":
            o.counts = _counts(out / o.folder)
    paths: dict[str, Path] = {}
    with progress.stage("Writing the national GeoPackage and index", key="national"):
        paths["geopackage"] = _national_geopackage(out, ordered, cfg)
        paths["index"] = _index_page(out, cfg, ordered)
    _write_json(out / MARKER, _marker(cfg, authorities, {o.code: o for o in ordered}))
    paths["marker"] = out / MARKER
    national = NationalRun(out, ordered, paths, dict(progress.timings))
    done = [o for o in ordered if o.status != "failed"]
    logger.info(
        "Done in %.1f s: %d of %d authorities complete in %s; start with %s.",
        time.perf_counter() - start,
        len(done),
        len(ordered),
        out,
        out / "index.html",
    )
    for o in national.failed:
        logger.error("failed: %s %s: %s", o.code, o.name, o.error)
    return national


def _run_all(todo, state, n_workers, outcomes, n_before, total) -> None:
    """Run ``todo`` in ``n_workers`` processes, logging each authority as it ends."""
    n = n_before

    def report(o: AuthorityOutcome) -> None:
        nonlocal n
        n += 1
        outcomes[o.code] = o
        if o.status == "failed":
            logger.warning("      [%d/%d] %s %s: FAILED: %s", n, total, o.code, o.name, o.error)
        else:
            logger.info(
                "      [%d/%d] %s %s: %s OAs, %s LSOAs, %d flagged (%.1f s)", n, total, o.code,
                o.name, f"{o.counts.get('oa', 0):,}", f"{o.counts.get('lsoa', 0):,}",
                o.counts.get("flagged", 0), o.seconds,
            )  # fmt: skip

    if not todo:
        return
    methods = multiprocessing.get_all_start_methods()
    # fork shares the national inputs and fitted models with the workers without copying
    ctx = multiprocessing.get_context("fork" if "fork" in methods else None)
    with ProcessPoolExecutor(
        n_workers, mp_context=ctx, initializer=_init_worker, initargs=(state,)
    ) as pool:
        with frozen_for_fork():  # the workers are forked at the first submit
            futures = {pool.submit(_run_authority, a): a for a in todo}
        for fut in as_completed(futures):
            auth = futures[fut]
            try:
                report(fut.result())
            except Exception as err:  # a worker died (killed, out of memory)
                report(
                    AuthorityOutcome(
                        auth.code, auth.name, auth.folder, "failed",
                        error=f"worker failed: {type(err).__name__}: {err}", exit_status=1,
                    )
                )  # fmt: skip


def _counts(folder: Path) -> dict[str, int]:
    try:
        return json.loads((folder / "manifest.json").read_text(encoding="utf-8"))["counts"]
    except (OSError, ValueError, KeyError):
        return {}


def _marker(cfg: Config, authorities: list[Authority], outcomes: dict) -> dict[str, Any]:
    from .outputs.manifest import config_hash

    rows = []
    for a in authorities:
        o = outcomes.get(a.code)
        rows.append(
            {"code": a.code, "name": a.name, "folder": a.folder, "oas": len(a.oas),
             "status": o.status if o else "pending", "error": o.error if o else None}
        )  # fmt: skip
    return {"config_hash": config_hash(cfg.raw), "title": cfg["title"], "authorities": rows}


# ------------------------------------------------------------------ national files
def _national_geopackage(out: Path, outcomes, cfg: Config) -> Path:
    """The oa, lsoa and ward layers of every complete authority, with ``lad_code``."""
    import geopandas as gpd
    import pyogrio

    from .outputs.gpkg import write_geopackage

    layers: dict[str, list] = {"oa": [], "lsoa": [], "ward": []}
    for o in outcomes:
        path = out / o.folder / "resilience.gpkg"
        if o.status == "failed" or not path.is_file():
            continue
        for name, frames in layers.items():
            # not through Arrow: each frame read so keeps its batch buffers (about 16 MB a
            # layer), 16 GB for 330 authorities against 0.45 GB read plainly
            gdf = pyogrio.read_dataframe(path, layer=name)
            gdf.insert(1, "lad_code", o.code)
            frames.append(gdf)
    merged = {
        name: gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), crs=frames[0].crs)
        for name, frames in layers.items()
        if frames
    }
    path = out / "national.gpkg"
    if not merged:
        path.unlink(missing_ok=True)
        return path
    about = {
        "title": cfg["title"],
        "authorities": len(layers["oa"]),
        "note": "Each authority's figures (quintiles, flags, gap clusters) are computed "
        "within that authority; compare authorities' flags with care.",
    }
    return write_geopackage(path, merged, about=about)


_PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 2rem; color: #222; }}
table {{ border-collapse: collapse; }}
th, td {{ padding: .25rem .6rem; border-bottom: 1px solid #ddd; text-align: left; }}
td.n, th.n {{ text-align: right; font-variant-numeric: tabular-nums; }}
tr.failed td {{ color: #a00; }}
</style></head><body>
<h1>{title}</h1>
<p>{summary}</p>
<p>Each authority's quintiles, flags and gap clusters are computed within the authority, as
its council would compute them. All authorities' areas are in
<a href="national.gpkg">national.gpkg</a> (layers oa, lsoa and ward, with lad_code).</p>
<table>
<thead><tr><th>Code</th><th>Authority</th><th class="n">OAs</th><th class="n">LSOAs</th>
<th class="n">Flagged</th><th class="n">Prediction worse</th><th class="n">Hard data worse</th>
<th>Maps</th></tr></thead>
<tbody>
{rows}
</tbody></table>
</body></html>
"""


def _index_page(out: Path, cfg: Config, outcomes: list[AuthorityOutcome]) -> Path:
    """``index.html``: a row per authority linking its report and maps."""
    from .schema import HARD_WORSE, PREDICTED_WORSE

    esc = html.escape
    rows = []
    for o in outcomes:
        if o.status == "failed":
            rows.append(
                f'<tr class="failed"><td>{esc(o.code)}</td><td>{esc(o.name)}</td>'
                f'<td colspan="6">failed: {esc(o.error or "")}</td></tr>'
            )
            continue
        c = o.counts
        maps = out / o.folder / "maps" / "index.html"
        link = f'<a href="{esc(o.folder)}/maps/index.html">map</a>' if maps.is_file() else ""
        rows.append(
            f"<tr><td>{esc(o.code)}</td>"
            f'<td><a href="{esc(o.folder)}/report.html">{esc(o.name)}</a></td>'
            + "".join(
                f'<td class="n">{int(c.get(k, 0)):,}</td>'
                for k in ("oa", "lsoa", "flagged", PREDICTED_WORSE, HARD_WORSE)
            )
            + f"<td>{link}</td></tr>"
        )
    n_failed = sum(o.status == "failed" for o in outcomes)
    summary = f"{len(outcomes) - n_failed} of {len(outcomes)} local authorities complete" + (
        f"; {n_failed} failed (rerun the same command to retry them)." if n_failed else "."
    )
    path = out / "index.html"
    tmp = path.with_name(".index.html.partial")
    tmp.write_text(
        _PAGE.format(title=esc(cfg["title"]), summary=esc(summary), rows="\n".join(rows)),
        encoding="utf-8",
    )
    tmp.replace(path)
    return path
