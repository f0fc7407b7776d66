"""Shared fixtures. Data are built in code; real data are read from ../shared/realdata."""

from pathlib import Path

import pytest

from resilience.synthetic import make_borough

REALDATA = Path(__file__).resolve().parents[1].parent / "shared" / "realdata" / "london"

# Runs under the system Python with PyQGIS (see test_qgis.py), not under pytest.
collect_ignore = ["qgis_probe.py"]


@pytest.fixture(scope="session")
def borough():
    """The default synthetic borough (seed 0), shared read-only by many tests."""
    return make_borough(seed=0)


@pytest.fixture(scope="session")
def realdata():
    """Folder of the shared real London data; tests using it skip when it is absent."""
    if not REALDATA.is_dir():
        pytest.skip(f"real data not found at {REALDATA}")
    return REALDATA
