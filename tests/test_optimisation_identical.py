"""Performance changes keep the results: each optimised path against the path it replaced.

The survey model is fitted with BLAS and OpenMP limited to one thread
(``resilience.models.survey_model._single_thread``). The path before the change is the
same code with the thread pools left as they are (the limit replaced by a null context).
Everything downstream of the cluster labels must come out identical; the factor loadings
may differ in the ninth decimal place because sums run in another order on several threads.
"""

from __future__ import annotations

import contextlib

import numpy as np
import pandas as pd
import pytest
from threadpoolctl import threadpool_info

from resilience.config import load_config
from resilience.models import survey_model
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
