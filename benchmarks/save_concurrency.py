"""The outputs stage with the workbook written by a second process, against one process.

``python benchmarks/save_concurrency.py CONFIG [--repeat 2] [--no-maps]``

Runs the analysis of ``CONFIG`` once, then writes its outputs alternately with
``resilience.outputs.save.CONCURRENT_TABLES_MIN_OAS`` at 0 (the workbook and CSVs in a
forked process while the GeoPackage, maps and report are written) and at a size no run
reaches (everything in one process), timing each (wall, and CPU of the process and its
children), and checks that both wrote the same CSV bytes and workbook sheets.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time
import zipfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def _cpu() -> float:
    me, kids = (resource.getrusage(w) for w in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN))
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def _same(a: Path, b: Path) -> bool:
    for name in ("lsoa.csv", "ward.csv", "flags.csv"):
        if (a / name).read_bytes() != (b / name).read_bytes():
            return False
    with zipfile.ZipFile(a / "resilience.xlsx") as za, zipfile.ZipFile(b / "resilience.xlsx") as zb:
        members = [m for m in za.namelist() if m != "docProps/core.xml"]
        return za.namelist() == zb.namelist() and all(za.read(m) == zb.read(m) for m in members)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("config", type=Path)
    p.add_argument("--repeat", type=int, default=2)
    p.add_argument("--no-maps", action="store_true")
    a = p.parse_args()
    from resilience.config import load_config
    from resilience.outputs import save
    from resilience.pipeline import run

    result = run(load_config(a.config))
    about = save.about_for(result)
    save.about_for = lambda _: about  # one creation time for every write
    work = Path(tempfile.mkdtemp(prefix="save-concurrency-"))
    times: dict[str, list[tuple[float, float]]] = {"one process": [], "tables concurrent": []}
    folders = {}
    print(f"load average {os.getloadavg()[0]:.2f}", flush=True)
    for i in range(a.repeat):
        for name, limit in (("one process", 10**9), ("tables concurrent", 0)):
            save.CONCURRENT_TABLES_MIN_OAS = limit
            folder = work / f"{name.replace(' ', '_')}_{i}"
            t0, c0 = time.perf_counter(), _cpu()
            save.save_result(result, folder, maps=not a.no_maps)
            times[name].append((time.perf_counter() - t0, _cpu() - c0))
            folders[name] = folder
            print(f"{name}: {times[name][-1][0]:.2f} s wall, {times[name][-1][1]:.2f} s CPU",
                  flush=True)  # fmt: skip
    same = _same(*(folders[k] / "tables" for k in times))
    print(f"same tables: {same}; load average {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
