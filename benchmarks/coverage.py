"""Coverage of the synthetic truth by the 90 % intervals, before and after refits.

    python benchmarks/coverage.py [--seeds 0-7] [--refits 20]

For every seed, builds the default synthetic borough, fits the survey model and the area
estimator as ``resilience run`` does, and counts how often the 90 % intervals of the OA,
LSOA and ward shares contain the true shares, in two ways:

* ``one fit``: every replicate draws respondents' labels from the membership
  probabilities of the one full fit (``[model] n_boot = 0``);
* ``refits``: replicate b draws them from bootstrap refit b mod R of the survey model
  (``[model] n_boot = R``, the default 20), each cluster with its own spread.

Results: ``benchmarks/results/coverage.json`` and ``coverage.md`` (also printed; ``--out``
another folder).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))
sys.path.insert(0, str(HERE.parent))

from coverage_data import coverage_of_seed  # noqa: E402

LEVELS = ("oa", "lsoa", "ward")


def _seeds(text: str) -> list[int]:
    lo, _, hi = text.partition("-")
    return list(range(int(lo), int(hi or lo) + 1))


def _markdown(rows: list[dict], modes: dict[str, int]) -> str:
    out = [
        "| seeds | intervals from | " + " | ".join(f"{lv.upper()} mean (range)" for lv in LEVELS),
        "|---|---|" + "---:|" * len(LEVELS),
    ]
    seeds = sorted({r["seed"] for r in rows})
    for mode in modes:
        got = [r for r in rows if r["mode"] == mode]
        cells = []
        for lv in LEVELS:
            v = [r[lv] for r in got]
            cells.append(f"{sum(v) / len(v):.3f} ({min(v):.2f}–{max(v):.2f})")
        out.append(f"| {seeds[0]}–{seeds[-1]} | {mode} | " + " | ".join(cells) + " |")
    out += ["", "| seed | intervals from | " + " | ".join(LEVELS) + " | seconds |"]
    out.append("|---:|---|" + "---:|" * (len(LEVELS) + 1))
    for r in rows:
        cells = " | ".join(f"{r[lv]:.3f}" for lv in LEVELS)
        out.append(f"| {r['seed']} | {r['mode']} | {cells} | {r['seconds']:.1f} |")
    return "\n".join(out) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", default="0-7", help="seeds, e.g. 0-7 or 3")
    parser.add_argument("--refits", type=int, default=20, help="[model] n_boot of the refits")
    parser.add_argument("--out", type=Path, default=HERE / "results", help="results folder")
    args = parser.parse_args(argv)
    modes = {"one fit": 0, f"{args.refits} refits": args.refits}
    rows = []
    for seed in _seeds(args.seeds):
        for mode, refits in modes.items():
            start = time.perf_counter()
            got = coverage_of_seed(seed, refits)
            rows.append({"seed": seed, "mode": mode, **got, "seconds": time.perf_counter() - start})
    results = args.out
    results.mkdir(parents=True, exist_ok=True)
    (results / "coverage.json").write_text(json.dumps(rows, indent=1) + "\n", encoding="utf-8")
    table = _markdown(rows, modes)
    (results / "coverage.md").write_text(table, encoding="utf-8")
    print(table)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
