"""Benchmark of ``resilience run`` at borough, London and national scale.

    python benchmarks/run.py --scale borough|london|national [--out DIR] [--seed N] [--repeat N]

Builds a synthetic area of the given size with :mod:`resilience.synthetic` and writes it
to files (not timed), then runs every stage of ``resilience run`` in a fresh process per
measured run and records each stage's wall time, CPU time and peak resident memory. In
the same invocation it measures floors, so the figures read as ratios rather than
machine-dependent times: pyogrio alone reading the same input files, pyogrio alone
writing the same output layers and, at borough scale, ``GeoDataFrame.explore()`` of the
borough map's layers saved to HTML (size and time). The resampling steps are measured by
running the analysis again with ``[model] n_boot = 0`` and with ``[estimates] n_boot = 0``.
At borough scale ``resilience demo`` is also timed end to end from the command line.
"End to end" is the median process time of the measured runs, leaving out the first (which
also measures the floors) when there are several.

Results: ``benchmarks/results/<scale>.json`` and ``<scale>.md`` (also printed).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from importlib.util import find_spec
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(ROOT))

from _inputs import SCALES, VARIANTS, variant_configs  # noqa: E402
from _report import check_targets, derived, machine_info, markdown, summarise  # noqa: E402


class ChildFailedError(RuntimeError):
    """A measured process exited with an error (its traceback is in the log)."""


def _env(threads: int | None) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH")) if p)
    if threads:
        for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
            env[var] = str(threads)
    return env


def _spawn(argv: list[str], log: Path, threads: int | None) -> dict:
    """Run a child process to completion; its wall time, CPU time and peak RSS (wait4)."""
    with open(log, "a", encoding="utf-8") as fh:
        fh.write(f"\n$ {' '.join(argv)}\n")
        fh.flush()
        t0 = time.perf_counter()
        proc = subprocess.Popen(argv, stdout=fh, stderr=fh, env=_env(threads), cwd=ROOT)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode:
        raise ChildFailedError(f"{' '.join(argv[1:3])} failed (exit {proc.returncode}); see {log}")
    return {
        "wall_s": round(wall, 3),
        "cpu_s": round(usage.ru_utime + usage.ru_stime, 3),
        "maxrss_mib": round(usage.ru_maxrss / 1024, 1),
    }


def _child(args: list[str], log: Path, threads: int | None) -> tuple[dict, dict]:
    """Run ``_child.py`` with ``args`` (the last one is its JSON output)."""
    proc = _spawn([sys.executable, str(HERE / "_child.py"), *args], log, threads)
    return proc, json.loads(Path(args[-1]).read_text(encoding="utf-8"))


def _inputs(a: argparse.Namespace, work: Path, log: Path) -> dict:
    folder = work / "input"
    stamp = folder / "bench_inputs.json"
    if a.reuse_inputs and stamp.exists():
        info = json.loads(stamp.read_text(encoding="utf-8"))
        if (info["scale"], info["seed"], info["vertices_mode"]) == (a.scale, a.seed, a.vertices):
            print(f"Reusing the inputs in {folder}", flush=True)
            return info
    print(f"Building the {a.scale} inputs in {folder} (not timed) ...", flush=True)
    build = work / "build.json"
    proc, info = _child(
        ["build", a.scale, str(a.seed), str(folder), a.vertices, str(build)], log, a.threads
    )
    info["build_s"] = proc["wall_s"]
    return info


def _load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def _cli_floor(log: Path, threads: int | None, repeat: int) -> dict:
    """``resilience --help`` and its floor ``python -c pass``, alternately, medians."""
    cmds = {
        "help": [sys.executable, "-m", "resilience.cli", "--help"],
        "python_pass": [sys.executable, "-c", "pass"],
    }
    runs: dict[str, list[dict]] = {k: [] for k in cmds}
    for _ in range(repeat):
        for name, argv in cmds.items():
            runs[name].append(_spawn(argv, log, threads))
    out = {
        f"{name}_{key}": sorted(r[key] for r in rs)[len(rs) // 2]
        for name, rs in runs.items()
        for key in ("wall_s", "cpu_s")
    }
    out["runs"] = runs
    return out


def main(argv: list[str] | None = None) -> dict:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--scale", choices=list(SCALES), required=True)
    p.add_argument("--out", type=Path, help="work folder (default: a folder in the temp dir)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--repeat", type=int, default=1, help="measured runs of each kind")
    p.add_argument(
        "--vertices",
        choices=("ons", "generator"),
        default="ons",
        help="OA vertex density: like ONS generalised boundaries, or as generated",
    )
    p.add_argument("--reuse-inputs", action="store_true", help="reuse inputs already built")
    p.add_argument("--no-variants", action="store_true", help="skip the n_boot = 0 runs")
    p.add_argument("--threads", type=int, help="set OMP/OPENBLAS/MKL_NUM_THREADS in the runs")
    p.add_argument("--results", type=Path, default=HERE / "results")
    a = p.parse_args(argv)

    work = a.out or Path(tempfile.gettempdir()) / f"resilience-bench-{a.scale}"
    work.mkdir(parents=True, exist_ok=True)
    log = work / "bench.log"
    report: dict = {
        "scale": a.scale,
        "repeat": a.repeat,
        "seed": a.seed,
        "threads": a.threads,
        "machine": machine_info(ROOT),
        "load_before": _load(),
    }
    report["inputs"] = info = _inputs(a, work, log)
    configs = variant_configs(Path(info["config"]))
    borough = a.scale == "borough"

    runs, e2e = [], []
    for i in range(a.repeat):
        print(f"Measured run {i + 1}/{a.repeat} ...", flush=True)
        flags = ["--floors", *(["--explore"] if borough else [])] if i == 0 else []
        out, js = work / f"out{i}", work / f"run{i}.json"
        proc, data = _child(
            ["pipeline", configs["default"], str(out), *flags, str(js)], log, a.threads
        )
        runs.append(data)
        if not flags or a.repeat == 1:  # the floors run its process longer: left out if it can be
            e2e.append(proc["wall_s"])
    first = runs[0]
    report.update(
        stages=summarise(runs),
        end_to_end_s=round(statistics.median(e2e), 3),
        peak_mib=max(r["peak_mib"] for r in runs),
        maps=first["maps"],
        counts=first["counts"],
        threads_in_run=first["threads"],
        output_bytes=first.get("output_bytes"),
        floor_bytes=first.get("floor_bytes", {}),
        runs=runs,
    )

    variants = {}
    for name in [] if a.no_variants else VARIANTS:
        print(f"Variant {name} (analysis only) ...", flush=True)
        vruns = []
        for i in range(a.repeat):
            js = work / f"variant_{name}_{i}.json"
            argv = ["pipeline", configs[name], str(work / "unused"), "--analysis-only", str(js)]
            try:
                vruns.append(_child(argv, log, a.threads)[1])
            except ChildFailedError as err:
                print(f"  {err}", flush=True)
        if vruns:
            variants[name] = summarise(vruns)
    report["variants"] = variants

    print("Floor: pyogrio reading the inputs ...", flush=True)
    floors = [
        _child(["read-floor", configs["default"], str(work / f"read{i}.json")], log, a.threads)[1]
        for i in range(a.repeat)
    ]
    report["read_floor"] = summarise(floors)

    if borough:
        print("resilience demo end to end ...", flush=True)
        maps = find_spec("resilience.maps") is not None
        cli = [
            sys.executable,
            "-m",
            "resilience.cli",
            "demo",
            "--out",
            str(work / "demo"),
            "--overwrite",
            "-q",
            *([] if maps else ["--no-maps"]),
        ]
        demos = [_spawn(cli, log, a.threads) for _ in range(a.repeat)]
        report["demo_s"] = sorted(d["wall_s"] for d in demos)[len(demos) // 2]
        report["demo_runs"] = demos
    print("resilience --help against python -c pass ...", flush=True)
    report["cli"] = _cli_floor(log, a.threads, max(a.repeat, 5))
    report["derived"] = derived(report["stages"], variants, report["read_floor"])
    report["targets"] = check_targets(a.scale, report)
    report["load_after"] = _load()

    a.results.mkdir(parents=True, exist_ok=True)
    (a.results / f"{a.scale}.json").write_text(json.dumps(report, indent=2), encoding="utf-8")
    text = markdown(report)
    (a.results / f"{a.scale}.md").write_text(text, encoding="utf-8")
    print(text)
    return report


if __name__ == "__main__":
    main()
