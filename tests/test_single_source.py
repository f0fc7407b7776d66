"""Each rule lives in one place: parameter ranges, fitted state, code columns, code
matching, output columns and flag values are declared once and used everywhere."""

import inspect
import re
import tomllib

import numpy as np
import pandas as pd
import pytest

from resilience.config import validate
from resilience.errors import ConfigError
from resilience.models._base import at_least, forget_fit
from resilience.models.area_estimator import AreaEstimator
from resilience.models.survey_model import SurveyModel


@pytest.fixture
def raw(borough, tmp_path):
    paths = borough.write(tmp_path / "b")
    return tomllib.loads(paths["config"].read_text()), paths["config"]


# ---- parameter constraints -------------------------------------------------------------


@pytest.mark.parametrize(
    ("section", "key", "value", "owner", "message"),
    [
        (
            "model",
            "n_factors",
            0,
            SurveyModel,
            r"'n_factors' in \[model\] must be at least 1; got 0",
        ),
        (
            "survey",
            "min_respondents",
            0,
            AreaEstimator,
            r"'min_respondents' in \[survey\] must be at least 1; got 0",
        ),
        (
            "estimates",
            "n_boot",
            -1,
            AreaEstimator,
            r"'n_boot' in \[estimates\] must be 0 or more \(0 gives no intervals\); got -1",
        ),
        (
            "model",
            "n_clusters",
            5,
            SurveyModel,
            r"'n_clusters' in \[model\] must be 6 \(one cluster per resilience profile\); got 5",
        ),
    ],
)
def test_config_ranges_are_the_estimators_declarations(
    raw, monkeypatch, section, key, value, owner, message
):
    data, path = raw
    data.setdefault(section, {})[key] = value
    with pytest.raises(ConfigError, match=message):
        validate(data, path.parent)
    # the estimator says the same about the same value
    what = owner._parameter_constraints[key].what
    assert what in re.sub(r"\\", "", message)
    # change the declaration and the config follows: there is no second copy of the rule
    stricter = dict(owner._parameter_constraints, **{key: at_least(value + 10)})
    monkeypatch.setattr(owner, "_parameter_constraints", stricter)
    data[section][key] = value + 5
    with pytest.raises(ConfigError, match=rf"'{key}' in \[{section}\] must be at least"):
        validate(data, path.parent)


def test_every_declared_parameter_is_an_init_parameter_and_config_key():
    from resilience.config import SCHEMA

    for owner, sections in ((SurveyModel, ("model",)), (AreaEstimator, ("estimates", "survey"))):
        params = set(inspect.signature(owner.__init__).parameters)
        declared = set(owner._parameter_constraints)
        assert declared <= params
        in_config = {k for s in sections for k in SCHEMA[s] if k in declared}
        assert in_config == declared


def test_the_estimator_message_names_the_parameter_the_rule_and_the_value():
    survey = pd.DataFrame({"a": ["1"] * 20})
    labels = pd.Series(["isolation"] * 20)
    with pytest.raises(
        ConfigError,
        match=r"^min_respondents must be a whole number, at least 1; got 0 \(a parameter of "
        r"AreaEstimator\)\.$",
    ):
        AreaEstimator(["a"], min_respondents=0).fit(survey, labels)
    with pytest.raises(ConfigError, match=r"n_boot must be a whole number, 0 or more .*got 2\.5"):
        AreaEstimator(["a"], n_boot=2.5).fit(survey, labels)
    with pytest.raises(ConfigError, match=r"rotation must be one of oblimin, .*got 'sideways'"):
        SurveyModel(rotation="sideways").fit(survey)


def test_a_failed_refit_forgets_all_fitted_state(borough):
    survey = borough.survey.rename(columns=lambda c: c.removeprefix("f_"))
    survey.attrs["weight"] = "indscui_xw"
    levels = ["oac_supergroup", "oac_group"]
    model = SurveyModel(n_boot=0, n_init=3, random_state=0).fit(survey)
    labels = model.labels_
    est = AreaEstimator(levels, n_boot=5, random_state=0).fit(survey, labels)
    for fitted, bad in ((model, {"n_factors": 0}), (est, {"interval": 2.0})):
        params = set(fitted.get_params())
        assert set(vars(fitted)) > params  # fitted state, public and private
        with pytest.raises(ConfigError):
            fitted.set_params(**bad).fit(survey, labels)
        assert set(vars(fitted)) == params


def test_forget_fit_keeps_only_the_parameters():
    est = AreaEstimator(["a"], n_boot=3)
    est.estimates_, est._table = "x", "y"
    forget_fit(est)
    assert vars(est) == {
        "levels": ["a"],
        "min_respondents": 10,
        "n_boot": 3,
        "interval": 0.9,
        "shrinkage": "empirical_bayes",
        "random_state": None,
    }


# ---- random_state everywhere -----------------------------------------------------------


def test_functions_and_estimators_take_random_state_not_seed():
    from resilience.compare import spatial
    from resilience.models import _factor, area_estimator, survey_model

    for module in (spatial, _factor, area_estimator, survey_model):
        for name, fn in inspect.getmembers(module, inspect.isfunction):
            if fn.__module__ != module.__name__:
                continue
            params = inspect.signature(fn).parameters
            assert "seed" not in params or name == "gap_clusters", f"{module.__name__}.{name}"
    assert "random_state" in inspect.signature(spatial.gap_clusters).parameters


def test_gap_clusters_seed_is_a_deprecated_spelling_of_random_state():
    import geopandas as gpd
    from shapely.geometry import box

    from resilience.compare.spatial import gap_clusters

    gap = np.array([2, 2, 0, -2, -2, 0, 1, 2, 0])
    lsoa = gpd.GeoDataFrame(
        {"gap": gap}, geometry=[box(i % 3, i // 3, i % 3 + 1, i // 3 + 1) for i in range(9)]
    )
    with pytest.warns(DeprecationWarning, match="random_state"):
        old = gap_clusters(lsoa, permutations=99, seed=3)
    pd.testing.assert_series_equal(old, gap_clusters(lsoa, permutations=99, random_state=3))
