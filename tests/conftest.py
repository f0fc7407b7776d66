"""Shared fixtures. Data are built in code; real data are read from ../shared/realdata."""

import shutil
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


@pytest.fixture(scope="session")
def small_borough_files(tmp_path_factory):
    """The written input files of a small synthetic borough (150 OAs), to copy and break."""
    b = make_borough(seed=5, n_oa=150, n_lsoa=30, n_ward=5, n_respondents=3000)
    return b.write(tmp_path_factory.mktemp("src") / "borough")


@pytest.fixture
def borough_copy(small_borough_files, tmp_path):
    """A fresh copy of the small borough's folder (config and data) under ``tmp_path``."""
    folder = tmp_path / "borough"
    shutil.copytree(small_borough_files["config"].parent, folder)
    return folder
