"""Calibration of the change intervals: no change, and a known change, over many seeds.

    python benchmarks/change_coverage.py [--seeds 0-11]

For every seed, on the synthetic waves (``resilience.synthetic.make_waves``, half of the
later wave a panel of the first):

* ``category cells``: two waves estimated from the respondents' true clusters with
  paired replicates and no change; the share of category x measure cells whose 90 %
  interval excludes 0, with the basic intervals the change columns use and with
  percentile intervals (nominal 10 %);
* ``no change``: a whole run (survey model, estimates, change); the share of OAs, LSOAs
  and wards marked ``change_significant``, and of share and national-index cells whose
  interval excludes 0 (nominal 10 %);
* ``known change``: a whole run with two supergroups changing; how often the intervals
  contain the true change of the score and of the shares (nominal 90 %), and how often
  a score that truly changed is significant.

Results: ``benchmarks/results/change_coverage.json`` and ``change_coverage.md`` (also
printed; ``--out`` another folder).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))
sys.path.insert(0, str(HERE.parent))

from change_data import LEVELS, category_cells, run_change  # noqa: E402


def _seeds(text: str) -> list[int]:
    lo, _, hi = text.partition("-")
    return list(range(int(lo), int(hi or lo) + 1))


def _cell(values: list[float]) -> str:
    v = np.asarray([x for x in values if x == x], dtype=float)
    if not len(v):
        return "n/a"
    return f"{100 * v.mean():.1f} % ({100 * v.min():.0f}–{100 * v.max():.0f})"


def _markdown(rows: list[dict]) -> str:
    seeds = sorted({r["seed"] for r in rows})
    span = f"{seeds[0]}–{seeds[-1]}"
    out = [
        f"Seeds {span}; mean over seeds (range). Nominal: 10 % significant without change, "
        "90 % coverage.",
        "",
        "| measure | basic (published) | percentile |",
        "|---|---:|---:|",
        "| no change, category cells significant | "
        + " | ".join(_cell([r[f"cells_{m}"] for r in rows]) for m in ("basic", "percentile"))
        + " |",
        "",
        "| whole run | " + " | ".join(lv.upper() for lv in LEVELS) + " |",
        "|---|" + "---:|" * len(LEVELS),
    ]
    lines = [
        ("no change: score significant", "null_score", "null"),
        ("no change: share cells significant", "null_share", "null"),
        ("no change: index cells significant", "null_index", "null"),
        ("known change: unchanged score significant", "null_score", "moved"),
        ("known change: score interval covers the truth", "cover_score", "moved"),
        ("known change: share intervals cover the truth", "cover_share", "moved"),
        ("known change: changed score significant", "power", "moved"),
    ]
    for label, key, world in lines:
        cells = [_cell([r[f"{world}_{lv}_{key}"] for r in rows]) for lv in LEVELS]
        out.append(f"| {label} | " + " | ".join(cells) + " |")
    out += ["", "| seed | cells basic | cells percentile | OA | LSOA | ward (no change, score) |"]
    out.append("|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        out.append(
            f"| {r['seed']} | {100 * r['cells_basic']:.1f} | {100 * r['cells_percentile']:.1f} | "
            + " | ".join(f"{100 * r[f'null_{lv}_null_score']:.1f}" for lv in LEVELS)
            + " |"
        )
    return "\n".join(out) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", default="0-11", help="seeds, e.g. 0-11 or 3")
    parser.add_argument("--out", type=Path, default=HERE / "results", help="results folder")
    args = parser.parse_args(argv)
    rows = []
    for seed in _seeds(args.seeds):
        start = time.perf_counter()
        row: dict = {"seed": seed}
        with tempfile.TemporaryDirectory() as tmp:
            for method in ("basic", "percentile"):
                row[f"cells_{method}"] = float(
                    category_cells(Path(tmp), seed, method=method).mean()
                )
        row.update({f"null_{k}": v for k, v in run_change(seed, 0).items()})
        row.update({f"moved_{k}": v for k, v in run_change(seed, 2).items()})
        row["seconds"] = round(time.perf_counter() - start, 1)
        rows.append(row)
        print(f"seed {seed}: {row['seconds']} s", file=sys.stderr, flush=True)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "change_coverage.json").write_text(
        json.dumps(rows, indent=1) + "\n", encoding="utf-8"
    )
    table = _markdown(rows)
    (args.out / "change_coverage.md").write_text(table, encoding="utf-8")
    print(table)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
