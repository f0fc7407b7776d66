"""Benchmark of the tables stage alone: the CSVs and the workbook of a London-sized run.

    python benchmarks/tables.py [--oa 24339] [--lsoa 4835] [--ward 630] [--repeat 3]

Runs the pipeline once on the synthetic demo borough (not timed), then repeats its result
frames, with new codes and slightly varied numbers, up to the given sizes (the defaults are
London's: 24,339 OAs as in the issue that set the target, 4,835 LSOAs, 630 wards) and
times, alternately and ``--repeat`` times each in this process:

* ``outputs.tables``: :func:`resilience.outputs.tables.write_tables`, as a run calls it
  (three CSVs and the workbook with its About sheet and extra sheets);
* ``workbook``: only its workbook writer;
* ``floor.write_xlsxwriter``: xlsxwriter writing the same cells and nothing else;
* ``alt.openpyxl_write_only``: the same cells and formats through openpyxl's write-only
  mode (the writer the package used before);
* ``floor.write_openpyxl``: openpyxl's write-only mode with values only.

Wall and CPU time (medians and minima) go to ``benchmarks/results/tables.json`` and
``tables.md`` and are printed.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parent), str(HERE)]

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from _report import machine_info  # noqa: E402
from _xlsx_writers import WRITERS, sheets_of  # noqa: E402

TARGET_S = 3.0


def _tile(frame: pd.DataFrame, n: int, codes: dict[str, str], rng) -> pd.DataFrame:
    reps = -(-n // len(frame))
    out = pd.concat([frame] * reps, ignore_index=True).iloc[:n].copy()
    for col, prefix in codes.items():
        out[col] = [f"{prefix}{i:06d}" for i in range(n)]
    for col in out.columns:
        if out[col].dtype == "float64" and col != "population":
            out[col] = out[col] * rng.uniform(0.95, 1.05, n)
    return out


def london_frames(n_oa: int, n_lsoa: int, n_ward: int) -> dict:
    """The demo's result frames repeated up to the given sizes (and its about and model)."""
    from resilience.config import load_config
    from resilience.outputs.save import _model_tables, about_for
    from resilience.pipeline import run
    from resilience.synthetic import make_borough

    with tempfile.TemporaryDirectory() as tmp:
        paths = make_borough(seed=0).write(Path(tmp) / "input")
        result = run(load_config(paths["config"]))
        about = about_for(result)
    rng = np.random.default_rng(0)
    lsoa = _tile(result.lsoa, n_lsoa, {"lsoa_code": "E01", "lsoa_name": "Borough "}, rng)
    flagged = lsoa[lsoa["flag"] != "agree"]
    flags = lsoa.loc[flagged.index, list(result.flags.columns.intersection(lsoa.columns))]
    for col in result.flags.columns.difference(lsoa.columns):
        flags[col] = "Ward name"
    model = _model_tables(result)
    return {
        "oa": _tile(result.oa, n_oa, {"oa_code": "E00"}, rng),
        "lsoa": lsoa,
        "ward": _tile(result.ward, n_ward, {"ward_code": "E05", "ward_name": "Ward "}, rng),
        "flags": flags[result.flags.columns],
        "about": about,
        "extra": {
            "Cluster profiles": model["cluster_profiles"],
            "Factor loadings": model["factor_loadings"],
            "Area estimates": model["area_estimates"],
        },
    }


def _timed(fn) -> dict:
    w, c = time.perf_counter(), time.process_time()
    fn()
    return {"wall_s": time.perf_counter() - w, "cpu_s": time.process_time() - c}


def main(argv: list[str] | None = None) -> dict:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--oa", type=int, default=24_339)
    p.add_argument("--lsoa", type=int, default=4_835)
    p.add_argument("--ward", type=int, default=630)
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--results", type=Path, default=HERE / "results")
    a = p.parse_args(argv)

    from resilience.outputs._about import normalise_about
    from resilience.outputs._xlsx import write_workbook
    from resilience.outputs.tables import write_tables

    print("Building the frames (not timed) ...", flush=True)
    f = london_frames(a.oa, a.lsoa, a.ward)
    sheets = sheets_of(f["lsoa"], f["ward"], f["flags"], f["oa"], f["extra"])
    cells = sum(frame.size for frame in sheets.values())
    info = normalise_about(f["about"])
    work = Path(tempfile.mkdtemp(prefix="resilience-bench-tables-"))
    kinds = {
        "outputs.tables": lambda: write_tables(
            work / "run",
            lsoa=f["lsoa"],
            ward=f["ward"],
            flags=f["flags"],
            oa=f["oa"],
            about=f["about"],
            extra_sheets=f["extra"],
        ),
        "workbook": lambda: write_workbook(work / "w.xlsx", sheets, info),
        **{
            name: (lambda w=w, n=name: w(sheets, work / f"{n}.xlsx")) for name, w in WRITERS.items()
        },
    }
    runs: dict[str, list[dict]] = {k: [] for k in kinds}
    load_before = " ".join(f"{x:.2f}" for x in os.getloadavg())
    for i in range(a.repeat):
        for name, fn in kinds.items():
            runs[name].append(_timed(fn))
            print(f"  run {i + 1}: {name} {runs[name][-1]['wall_s']:.2f} s", flush=True)
    shutil.rmtree(work, ignore_errors=True)
    stats = {
        name: {
            "wall_s": round(statistics.median(r["wall_s"] for r in rs), 3),
            "wall_min_s": round(min(r["wall_s"] for r in rs), 3),
            "cpu_s": round(statistics.median(r["cpu_s"] for r in rs), 3),
            "cpu_min_s": round(min(r["cpu_s"] for r in rs), 3),
        }
        for name, rs in runs.items()
    }
    floor = stats["floor.write_xlsxwriter"]
    tables = stats["outputs.tables"]
    report = {
        "sizes": {name: list(frame.shape) for name, frame in sheets.items()},
        "cells": int(cells),
        "repeat": a.repeat,
        "machine": machine_info(HERE.parent),
        "load_before": load_before,
        "load_after": " ".join(f"{x:.2f}" for x in os.getloadavg()),
        "stages": stats,
        "tables_vs_xlsxwriter": round(tables["wall_s"] / floor["wall_s"], 2),
        "tables_vs_xlsxwriter_cpu": round(tables["cpu_s"] / floor["cpu_s"], 2),
        "target": {
            "target": f"tables of {cells:,} cells (the London target)",
            "value": tables["wall_s"],
            "limit": TARGET_S,
            "verdict": "met" if tables["wall_s"] <= TARGET_S else "missed",
        },
        "runs": runs,
    }
    a.results.mkdir(parents=True, exist_ok=True)
    (a.results / "tables.json").write_text(json.dumps(report, indent=2), encoding="utf-8")
    text = markdown(report)
    (a.results / "tables.md").write_text(text, encoding="utf-8")
    print(text)
    return report


def markdown(report: dict) -> str:
    m = report["machine"]
    sizes = ", ".join(f"{k} {r:,} × {c}" for k, (r, c) in report["sizes"].items())
    lines = [
        f"### tables stage ({report['cells']:,} cells: {sizes})",
        "",
        f"{m['cpu']}, {m['cores_usable']} cores; Python {m['python']}; xlsxwriter "
        f"{m['packages'].get('xlsxwriter')}, openpyxl {m['packages'].get('openpyxl')}; commit "
        f"{m['commit']}; {report['repeat']} repeat(s), medians; load average "
        f"{report['load_before']} before, {report['load_after']} after.",
        "",
        "| writer | wall s | min s | CPU s | min CPU s |",
        "|---|---:|---:|---:|---:|",
    ]
    for name, st in report["stages"].items():
        lines.append(
            f"| {name} | {st['wall_s']:.2f} | {st['wall_min_s']:.2f} | {st['cpu_s']:.2f} | "
            f"{st['cpu_min_s']:.2f} |"
        )
    t = report["target"]
    lines += [
        "",
        f"outputs.tables ÷ floor.write_xlsxwriter: {report['tables_vs_xlsxwriter']} (wall), "
        f"{report['tables_vs_xlsxwriter_cpu']} (CPU). Target {t['target']} ≤ {t['limit']} s: "
        f"{t['verdict']} ({t['value']:.2f} s).",
    ]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
