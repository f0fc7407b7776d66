"""Rebuild the demo borough's boundaries in this folder.

    python boundaries/make_demo_boundaries.py

Writes ``northbridge.gpkg`` with layers ``oa``, ``lsoa`` and ``ward`` (EPSG:27700),
exactly the boundaries ``resilience demo`` uses (``make_borough(seed=0)``).
"""

from __future__ import annotations

from pathlib import Path

import pyogrio

from resilience.synthetic import make_borough


def main() -> Path:
    """Write the GeoPackage next to this script and return its path."""
    out = Path(__file__).resolve().parent / "northbridge.gpkg"
    b = make_borough(seed=0)
    out.unlink(missing_ok=True)
    pyogrio.write_dataframe(
        b.oa[["oa_code", "lsoa_code", "ward_code", "population", "geometry"]], out, layer="oa"
    )
    pyogrio.write_dataframe(b.lsoa, out, layer="lsoa")
    pyogrio.write_dataframe(b.ward, out, layer="ward")
    return out


if __name__ == "__main__":
    print(main())
