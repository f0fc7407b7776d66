"""Build a synthetic borough of your chosen size and write it as input files.

    python examples/make_synthetic_borough.py OUT_FOLDER [--seed N] [--n-oa N] ...

The folder then holds boundaries, lookups, a survey file, a File 7 CSV, a ready-made
``resilience.toml`` and the ground truth (``truth/``).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from resilience.synthetic import make_borough


def main() -> None:
    """Parse arguments, build the borough and write it."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("out", type=Path)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--n-oa", type=int, default=700)
    p.add_argument("--n-lsoa", type=int, default=140)
    p.add_argument("--n-ward", type=int, default=20)
    p.add_argument("--n-respondents", type=int, default=8000)
    p.add_argument("--vintage", type=int, choices=(2011, 2021), default=2021)
    a = p.parse_args()
    borough = make_borough(
        seed=a.seed,
        n_oa=a.n_oa,
        n_lsoa=a.n_lsoa,
        n_ward=a.n_ward,
        n_respondents=a.n_respondents,
        vintage=a.vintage,
    )
    print(borough)
    for role, path in borough.write(a.out).items():
        print(f"{role:>15}: {path}")


if __name__ == "__main__":
    main()
