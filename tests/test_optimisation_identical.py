"""Performance changes keep the results: each optimised path against the path it replaced.

* The survey model is fitted with BLAS and OpenMP limited to one thread
  (``resilience.models.survey_model._single_thread``). The path before the change is the
  same code with the thread pools left as they are (the limit replaced by a null context).
  Everything downstream of the cluster labels must come out identical; the factor loadings
  may differ in the ninth decimal place because sums run in another order on several
  threads.
* The GeoPackage is written through pyogrio's Arrow path when pyarrow is installed
  (``resilience.outputs.gpkg._USE_ARROW``): same field types, values and geometry as the
  plain path.
* QGIS style class edges come from ``mapclassify.classifiers.quantile`` instead of
  ``mapclassify.Quantiles(y, k).bins``: the same edges.
"""

from __future__ import annotations

import contextlib
import sqlite3
import warnings
from contextlib import closing

import mapclassify
import numpy as np
import pandas as pd
import pyogrio
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from threadpoolctl import threadpool_info

from resilience.config import load_config
from resilience.models import survey_model
from resilience.outputs import gpkg, qml
from resilience.pipeline import run
from resilience.synthetic import make_borough

# small enough for a few seconds even when the unlimited thread pools contend for the cores
OVERRIDES = "\n[model]\nn_boot = 3\nn_init = 10\n\n[estimates]\nn_boot = 50\n"


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    b = make_borough(seed=1, n_oa=60, n_lsoa=12, n_ward=3, n_respondents=3000)
    config = b.write(tmp_path_factory.mktemp("borough") / "input")["config"]
    config.write_text(config.read_text(encoding="utf-8") + OVERRIDES, encoding="utf-8")
    optimised = run(load_config(config))
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(survey_model, "_single_thread", contextlib.nullcontext)
        before = run(load_config(config))
    return before, optimised


def test_single_thread_limits_every_pool():
    with survey_model._single_thread():
        pools = threadpool_info()
    assert pools, "no BLAS or OpenMP library found to limit"
    assert {p["num_threads"] for p in pools} == {1}


@pytest.mark.parametrize("layer", ["oa", "lsoa", "ward"])
def test_output_layers_identical(runs, layer):
    before, optimised = (getattr(r, layer) for r in runs)
    pd.testing.assert_frame_equal(
        pd.DataFrame(optimised.drop(columns="geometry")),
        pd.DataFrame(before.drop(columns="geometry")),
        check_exact=True,
    )
    assert optimised.geometry.to_wkb().equals(before.geometry.to_wkb())


def test_flags_and_area_identical(runs):
    before, optimised = runs
    pd.testing.assert_frame_equal(optimised.flags, before.flags, check_exact=True)
    pd.testing.assert_frame_equal(optimised.area, before.area, check_exact=True)


def test_model_identical(runs):
    before, optimised = (r.model for r in runs)
    pd.testing.assert_series_equal(optimised.labels_, before.labels_)
    assert optimised.stability_ == before.stability_
    pd.testing.assert_frame_equal(optimised.cluster_sizes_, before.cluster_sizes_, rtol=1e-12)
    pd.testing.assert_frame_equal(optimised.profiles_, before.profiles_, rtol=1e-12)
    # the factor extraction is an L-BFGS-B minimisation: a correlation matrix that differs
    # in the last bits moves its optimum by about 1e-9
    np.testing.assert_allclose(
        optimised.loadings_.to_numpy(), before.loadings_.to_numpy(), rtol=0, atol=1e-7
    )
    assert list(optimised.loadings_.columns) == list(before.loadings_.columns)


# --------------------------------------------------------------- GeoPackage Arrow path
_TIMESTAMPS = ["last_change", "update_time", "timestamp"]  # set by the writer at write time


def _sqlite_rows(path, table: str) -> list[tuple]:
    with closing(sqlite3.connect(path)) as con:
        cur = con.execute(f'SELECT * FROM "{table}"')
        keep = [i for i, d in enumerate(cur.description) if d[0] not in _TIMESTAMPS]
        return [tuple(row[i] for i in keep) for row in cur.fetchall()]


def test_geopackage_arrow_path_writes_the_same_file(runs, tmp_path, monkeypatch):
    pytest.importorskip("pyarrow")
    result = runs[1]
    layers = {"oa": result.oa, "lsoa": result.lsoa, "ward": result.ward}
    tables = {"factor_loadings": result.model.loadings_}
    paths = {}
    for arrow in (False, True):
        monkeypatch.setattr(gpkg, "_USE_ARROW", arrow)
        paths[arrow] = gpkg.write_geopackage(
            tmp_path / f"arrow_{arrow}.gpkg", layers, tables, about={"title": "t", "seed": 1}
        )
    plain, arrow = paths[False], paths[True]
    names = pyogrio.list_layers(plain)[:, 0].tolist()
    assert names == pyogrio.list_layers(arrow)[:, 0].tolist()
    assert {"oa", "lsoa", "ward", "factor_loadings", "about"} <= set(names)
    for name in names:
        a, b = pyogrio.read_info(plain, layer=name), pyogrio.read_info(arrow, layer=name)
        for key in ("fields", "dtypes", "ogr_types", "ogr_subtypes"):
            np.testing.assert_array_equal(a[key], b[key], err_msg=f"{name}: {key}")
        for key in ("geometry_type", "crs", "features", "fid_column", "geometry_name"):
            assert a[key] == b[key], f"{name}: {key}"
        frames = [pd.DataFrame(pyogrio.read_dataframe(p, layer=name)) for p in (plain, arrow)]
        frames = [f.drop(columns=_TIMESTAMPS, errors="ignore") for f in frames]
        pd.testing.assert_frame_equal(*frames, check_exact=True)
    for table in ("gpkg_contents", "gpkg_geometry_columns", "layer_styles"):
        assert _sqlite_rows(plain, table) == _sqlite_rows(arrow, table), table


# ------------------------------------------------------------------ style class edges
def _breaks_before(values, k):
    """quantile_breaks as it was: edges from mapclassify.Quantiles(y, k).bins."""
    y = pd.to_numeric(pd.Series(values, dtype="object"), errors="coerce").to_numpy(float)
    y = y[np.isfinite(y)]
    if y.size == 0:
        return None
    k = max(1, min(k, np.unique(y).size))
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Not enough unique values", category=UserWarning)
        bins = np.asarray(mapclassify.Quantiles(y, k=k).bins, dtype=float)
    low = float(y.min())
    edges = [low, *(b for b in np.unique(bins).tolist() if b > low)]
    return edges if len(edges) > 1 else [low, low]


def test_quantile_breaks_same_as_quantiles_class_on_outputs(runs):
    oa = runs[1].oa
    columns = [c for c in oa.columns if c.startswith("share_") or c == "resilience_score"]
    assert len(columns) == 19
    for col in columns:
        for k in (5, 7):
            assert qml.quantile_breaks(oa[col], k) == _breaks_before(oa[col], k), col


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.sampled_from([0.0, 0.1, 0.25, 1.0, float("nan"), float("inf")]),
            st.floats(-1e6, 1e6, allow_nan=False),
        ),
        max_size=40,
    ),
    st.integers(1, 9),
)
def test_quantile_breaks_same_as_quantiles_class(values, k):
    assert qml.quantile_breaks(values, k) == _breaks_before(values, k)


# ------------------------------------------------------------------ stability on integer labels
def test_stability_on_integer_labels_same_as_on_the_key_texts(borough, monkeypatch):
    from sklearn.metrics import adjusted_rand_score

    from resilience.clusters import CLUSTER_KEYS

    keys = np.array(CLUSTER_KEYS)
    compared = []

    def checked(full, boot):
        value = adjusted_rand_score(full, boot)
        assert value == adjusted_rand_score(keys[full], keys[boot])  # the texts it replaced
        compared.append(value)
        return value

    monkeypatch.setattr(survey_model, "adjusted_rand_score", checked)
    survey = borough.survey.set_index("pidp").rename(columns=lambda c: c.removeprefix("f_"))
    survey = survey.rename(columns={"indscui_xw": "weight"})
    model = survey_model.SurveyModel(n_boot=5, random_state=0).fit(survey)
    assert len(compared) == 5
    # measured when refits became fits of their distinct rows (on the key texts before
    # that: 0.9911, 0.9907, 0.9904, 0.9888, 0.9897, commit c1a81d5)
    assert model.stability_["ari"] == [0.9908, 0.9907, 0.9904, 0.9882, 0.9897]
    assert model.stability_["label_agreement"] == {
        "low_wellbeing": 0.9957, "high_wellbeing": 0.9929, "neighbourhood_support": 0.9966,
        "isolation": 0.9981, "competence": 0.9943, "emotional_fragility": 0.9974,
    }  # fmt: skip
