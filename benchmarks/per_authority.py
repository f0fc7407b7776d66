"""Benchmark of ``resilience run --per-authority`` on the national synthetic world.

``python benchmarks/per_authority.py [--scale national] [--out DIR] [--reuse-inputs]
[--workers 2] [--no-maps]``

Measured, each in a fresh process from the command line, in this order:

1. **floor: one authority's run**: ``resilience run`` of the config with ``[area] lad``
   set to one authority of median size (the national files cut to it, the survey model
   fitted, every output written): what a council runs for itself;
2. **the per-authority run**: ``resilience run --per-authority`` of the same config with
   ``lad = "all"``: every authority's folder, the index page and the national GeoPackage;
3. **the rerun**: the same command again, which finds every authority complete.

For each: wall time, CPU time of the process and all its workers (``wait4``), and peak
memory of the whole process tree sampled every 0.2 s: the sum of the resident sets (RSS,
counting pages the forked workers share with the parent once per process, so an upper
bound) and the sum of the proportional sets (PSS, shared pages divided among the
processes: the memory really used). Results go to ``results/<scale>_per_authority.json``
and ``.md`` and are printed.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path[:0] = [str(ROOT), str(HERE)]

from _inputs import AUTHORITIES  # noqa: E402


def _children() -> dict[int, list[int]]:
    kids: dict[int, list[int]] = {}
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                with open(f"/proc/{d}/stat", encoding="ascii", errors="replace") as f:
                    ppid = int(f.read().rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                continue
            kids.setdefault(ppid, []).append(int(d))
    return kids


def _tree(pid: int) -> list[int]:
    kids, out, todo = _children(), [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo += kids.get(p, [])
    return out


def _kib(pid: int, path: str, key: str) -> int:
    try:
        with open(f"/proc/{pid}/{path}", encoding="ascii") as f:
            for line in f:
                if line.startswith(key):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def _spawn(argv: list[str], log: Path) -> dict:
    """Run a command; wall, CPU (with its workers), peak RSS and PSS of the process tree."""
    peak = {"rss": 0, "pss": 0, "procs": 0}
    with open(log, "a", encoding="utf-8") as fh:
        fh.write(f"\n$ {' '.join(argv)}\n")
        fh.flush()
        env = dict(os.environ, PYTHONPATH=str(ROOT))
        t0 = time.perf_counter()
        proc = subprocess.Popen(argv, stdout=fh, stderr=fh, env=env, cwd=ROOT)
        done = threading.Event()

        def sample() -> None:
            while not done.is_set():
                pids = _tree(proc.pid)
                rss = sum(_kib(p, "status", "VmRSS:") for p in pids)
                pss = sum(_kib(p, "smaps_rollup", "Pss:") for p in pids)
                peak["rss"], peak["pss"] = max(peak["rss"], rss), max(peak["pss"], pss)
                peak["procs"] = max(peak["procs"], len(pids))
                done.wait(0.2)

        t = threading.Thread(target=sample, daemon=True)
        t.start()
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - t0
        done.set()
        t.join()
    code = os.waitstatus_to_exitcode(status)
    if code:
        raise SystemExit(f"{' '.join(argv)} failed (exit {code}); see {log}")
    return {
        "wall_s": round(wall, 2),
        "cpu_s": round(usage.ru_utime + usage.ru_stime, 2),
        "peak_rss_mib": round(peak["rss"] / 1024),
        "peak_pss_mib": round(peak["pss"] / 1024),
        "processes": peak["procs"],
    }


def _load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def _one_authority(config: Path, work: Path) -> tuple[Path, str]:
    """A config for the authority of median size, beside ``config``."""
    import pandas as pd

    lookup = pd.read_csv(config.parent / "data" / "lookup.csv", dtype=str)
    lad = next(c for c in lookup.columns if c.upper().startswith("LAD") and c.endswith("CD"))
    sizes = lookup[lad].value_counts().sort_values(kind="stable")
    code = sizes.index[len(sizes) // 2]
    path = config.with_name("resilience_one_authority.toml")
    text = config.read_text(encoding="utf-8")
    path.write_text(text + f'\n[area]\nlad = ["{code}"]\n', encoding="utf-8")
    return path, f"{code} ({sizes[code]} OAs)"


def main(argv: list[str] | None = None) -> dict:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--scale", choices=["borough", "london", "national"], default="national")
    p.add_argument("--out", type=Path, default=None)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--reuse-inputs", action="store_true")
    p.add_argument("--workers", type=int, default=None)
    p.add_argument("--no-maps", action="store_true")
    a = p.parse_args(argv)
    work = a.out or Path(tempfile.gettempdir()) / f"resilience-bench-{a.scale}-per-authority"
    work.mkdir(parents=True, exist_ok=True)
    log = work / "bench.log"
    inputs = work / "input"
    if not (a.reuse_inputs and (inputs / "bench_inputs.json").exists()):
        print(f"Building the {a.scale} inputs in {inputs} (not timed) ...", flush=True)
        _spawn([sys.executable, str(HERE / "_child.py"), "build", a.scale, str(a.seed),
                str(inputs), "ons", str(work / "build.json")], log)  # fmt: skip
    info = json.loads((inputs / "bench_inputs.json").read_text(encoding="utf-8"))
    config = Path(info["config"])
    one_cfg, one_label = _one_authority(config, work)
    cli = [sys.executable, "-m", "resilience.cli", "run"]
    extra = ["-q", "--overwrite"] + (["--no-maps"] if a.no_maps else [])
    workers = ["--workers", str(a.workers)] if a.workers else []
    res: dict = {"scale": a.scale, "inputs": info, "one_authority": one_label,
                 "load_before": _load(), "maps": not a.no_maps}  # fmt: skip
    print(f"floor: one authority's run, {one_label} ...", flush=True)
    res["floor_one_authority"] = _spawn([*cli, str(one_cfg), "--out", str(work / "one"), *extra],
                                        log)  # fmt: skip
    res["load_after_floor"] = _load()
    national = work / "national"
    if national.exists():
        import shutil

        shutil.rmtree(national)
    print(f"per-authority run of {AUTHORITIES[a.scale]} authorities ...", flush=True)
    cmd = [*cli, str(config), "--out", str(national), "--per-authority", *workers, *extra]
    res["per_authority"] = _spawn(cmd, log)
    res["load_after_run"] = _load()
    rows = json.loads((national / "authorities.json").read_text(encoding="utf-8"))["authorities"]
    res["authorities"] = len(rows)
    res["statuses"] = {s: sum(r["status"] == s for r in rows) for s in {r["status"] for r in rows}}
    print("rerun (every authority complete) ...", flush=True)
    res["rerun"] = _spawn(cmd, log)
    res["load_after"] = _load()
    timings = []
    for r in rows:
        m = json.loads((national / r["folder"] / "manifest.json").read_text(encoding="utf-8"))
        timings.append(sum(m["timings"].values()))
    res["authority_stage_s"] = {
        "median": round(statistics.median(timings), 2),
        "max": round(max(timings), 2),
        "sum": round(sum(timings), 1),
    }
    res["output_bytes"] = sum(f.stat().st_size for f in national.rglob("*") if f.is_file())
    res["national_gpkg_bytes"] = (national / "national.gpkg").stat().st_size
    out_json = HERE / "results" / f"{a.scale}_per_authority.json"
    out_json.write_text(json.dumps(res, indent=2), encoding="utf-8")
    md = markdown(res)
    out_json.with_suffix(".md").write_text(md, encoding="utf-8")
    print(md)
    return res


def markdown(res: dict) -> str:
    """The results as a Markdown table, each figure beside its floor."""
    f, r, rr = res["floor_one_authority"], res["per_authority"], res["rerun"]
    n = res["authorities"]
    stage = res["authority_stage_s"]
    lines = [
        f"Per-authority run, {res['scale']} synthetic world: {res['inputs']['sizes']['oa']:,} "
        f"OAs, {n} authorities, maps {'on' if res['maps'] else 'off'}; load average "
        f"{res['load_before']} before, {res['load_after_run']} after the run.",
        "",
        "| run | wall s | CPU s | peak RSS (sum) MiB | peak PSS MiB |",
        "|---|---:|---:|---:|---:|",
        f"| floor: one authority's run ({res['one_authority']}) | {f['wall_s']} | {f['cpu_s']} "
        f"| {f['peak_rss_mib']:,} | {f['peak_pss_mib']:,} |",
        f"| **every authority** (`--per-authority`) | **{r['wall_s']}** | {r['cpu_s']} | "
        f"{r['peak_rss_mib']:,} | **{r['peak_pss_mib']:,}** |",
        f"| rerun, all complete | {rr['wall_s']} | {rr['cpu_s']} | {rr['peak_rss_mib']:,} | "
        f"{rr['peak_pss_mib']:,} |",
        "",
        f"Every authority ÷ one authority's run: {r['wall_s'] / f['wall_s']:.1f} × wall, "
        f"{r['cpu_s'] / f['cpu_s']:.1f} × CPU, for {n} authorities "
        f"({n} separate runs: about {n * f['cpu_s'] / 60:.0f} CPU minutes). Stages of one "
        f"authority after the fits (from its manifest): median {stage['median']} s, max "
        f"{stage['max']} s. Outputs {res['output_bytes'] / 1e6:,.0f} MB (national.gpkg "
        f"{res['national_gpkg_bytes'] / 1e6:,.0f} MB). Statuses: {res['statuses']}.",
        "",
        "| target | measured | limit | verdict |",
        "|---|---:|---:|---|",
        f"| every authority, wall | {r['wall_s'] / 60:.1f} min | 10 min | "
        f"{'met' if r['wall_s'] <= 600 else 'missed'} |",
        f"| peak memory (PSS of all processes) | {r['peak_pss_mib'] / 1024:.2f} GiB | 4 GiB | "
        f"{'met' if r['peak_pss_mib'] <= 4096 else 'missed'} |",
        "",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
