"""Each rule lives in one place: parameter ranges, fitted state, code columns, code
matching, output columns and flag values are declared once and used everywhere."""

import inspect
import re
import tomllib

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
    survey = survey.rename(columns={"indscui_xw": "weight"})
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
            assert "seed" not in params, f"{module.__name__}.{name}"
    assert "random_state" in inspect.signature(spatial.gap_clusters).parameters


def _write_input(reader, columns, tmp_path):
    import geopandas as gpd
    from shapely.geometry import box

    rows = 3
    prefix = {"boundaries": "E00", "lookup": "E00", "population": "E00", "hard": "E01"}[reader]
    data = {c: [f"{prefix}{i:06d}" for i in range(rows)] for c in columns}
    data.update({"value": [1.0, 2.0, 3.0]})
    if reader == "boundaries":
        path = tmp_path / "oa.gpkg"
        geom = [box(i, 0, i + 1, 1) for i in range(rows)]
        gpd.GeoDataFrame(data, geometry=geom, crs=27700).to_file(path)
    else:
        path = tmp_path / f"{reader}.csv"
        pd.DataFrame(data).to_csv(path, index=False)
    return path


def _read_input(reader, path):
    from resilience.inputs.boundaries import read_boundaries
    from resilience.inputs.hard import read_hard_data
    from resilience.inputs.lookup import read_lookup
    from resilience.inputs.population import read_population

    if reader == "boundaries":
        return read_boundaries(path, "oa")
    if reader == "lookup":
        return read_lookup(path)
    if reader == "population":
        return read_population(path)
    return read_hard_data(
        [{"path": path, "indicators": [{"column": "value", "higher_is": "worse"}]}]
    )


@pytest.mark.parametrize("reader", ["boundaries", "lookup", "population", "hard"])
@pytest.mark.parametrize(
    ("columns", "message"),
    [
        (["area"], r"has no (OA|area|LSOA) code column \(names such as .*Its columns are: "),
        (
            ["OA11CD", "OA21CD", "LSOA11CD", "LSOA21CD"],
            r"has 2 candidate (OA|LSOA) code columns: '(OA|LSOA)11CD', '(OA|LSOA)21CD', probably "
            r"for different years\. Say which one to use: set .*21CD",
        ),
    ],
)
def test_one_code_column_detector_with_one_error_class(tmp_path, reader, columns, message):
    from resilience.errors import InputDataError

    path = _write_input(reader, columns, tmp_path)
    with pytest.raises(InputDataError, match=message) as err:
        _read_input(reader, path)
    assert type(err.value) is InputDataError


def test_geography_joins_and_hard_data_share_one_report_type():
    from resilience.errors import CodeMatchError
    from resilience.inputs._codematch import MatchReport, check_join, match_codes

    joined = check_join(
        ["E00000001", "E00000002"],
        ["E00000001", "E00000002", "E00000003"],
        needed_label="the OAs",
        available_label="the lookup",
        what="OA",
    )
    hard = match_codes(["E01000001", "E01000002", "E01000003"], ["E01000001", "E01000002"])
    for report in (joined, hard):
        assert isinstance(report, MatchReport)
        assert (report.n_matched, report.n_areas, report.unmatched_in_data) == (
            2,
            2,
            [f"{report.unmatched_in_data[0][:3]}000003"],
        )
        assert report.ok and report.share_unmatched == 0.0
    assert str(joined).startswith("OA codes of the lookup against the OAs:")
    assert str(hard).startswith("LSOA codes of the data against the study area's LSOAs:")
    with pytest.raises(CodeMatchError, match=r"1 of 2 ward codes of the lookup's wards are not"):
        check_join(
            ["E05000001", "E05000002"],
            ["E05000001"],
            needed_label="the lookup's wards",
            available_label="the ward boundaries",
            what="ward",
        )


# ---- one output schema -----------------------------------------------------------------


@pytest.fixture(scope="module")
def saved(borough, tmp_path_factory):
    import resilience as rs

    root = tmp_path_factory.mktemp("schema")
    paths = borough.write(root / "b")
    result = rs.run(paths["config"])
    result.save(root / "out", maps=False)
    return result, root / "out"


def _expected(result):
    from resilience import schema
    from resilience.compare.hard_index import slug

    inds = result.hard.indicators
    domains = [f"hard_{d}" for d in dict.fromkeys(slug(i.domain) for i in inds if i.domain)]
    levels = result.config["classification"]["levels"]
    return {
        "oa": schema.oa_columns(levels),
        "lsoa": schema.lsoa_columns([i.slug for i in inds], domains),
        "ward": schema.ward_columns(),
        "flags": list(schema.SHORTLIST_COLUMNS),
    }


def test_schema_columns_are_the_written_geopackage_and_csv_columns(saved):
    import pyogrio

    result, out = saved
    expected = _expected(result)
    for layer in ("oa", "lsoa", "ward"):
        fields = list(pyogrio.read_info(out / "resilience.gpkg", layer=layer)["fields"])
        assert fields == expected[layer], layer
        assert list(getattr(result, layer).columns) == [*expected[layer], "geometry"]
    for table in ("lsoa", "ward", "flags"):
        header = pd.read_csv(out / "tables" / f"{table}.csv", nrows=0).columns.tolist()
        assert header == expected[table], table


def test_flag_values_and_gap_clusters_come_from_the_schema(saved):
    from resilience import schema
    from resilience.compare import FLAGS, spatial
    from resilience.maps import _inputs
    from resilience.outputs import _summary, qml

    result, _ = saved
    assert FLAGS is schema.FLAGS and spatial.CLUSTER_LABELS is schema.GAP_CLUSTERS
    assert set(_inputs.FLAGS) == set(_summary.FLAG_VALUES) == set(schema.FLAGS)
    assert [c[0] for c in qml.FLAG_CATEGORIES] == list(schema.FLAGS)
    assert set(result.lsoa["flag"].dropna()) <= set(schema.FLAGS)
    assert set(result.lsoa["gap_cluster"]) <= set(schema.GAP_CLUSTERS)
    assert set(result.flags["flag"]) <= set(schema.DISAGREE)
    assert result.counts["flagged"] == int(result.lsoa["flag"].isin(schema.DISAGREE).sum())


def test_the_workbook_dictionary_and_the_aliases_are_the_schemas(saved):
    from openpyxl import load_workbook

    from resilience import schema
    from resilience.outputs import _about

    assert _about.column_meaning is schema.column_meaning
    result, out = saved
    sheet = load_workbook(out / "tables" / "resilience.xlsx", read_only=True)["About"]
    rows = [tuple(v for v in r if v is not None) for r in sheet.iter_rows(values_only=True)]
    start = rows.index(("Column dictionary",))
    end = rows.index(("Wards",), start)
    dictionary = [r for r in rows[start + 2 : end] if len(r) == 2]
    meanings = dict(dictionary)
    assert meanings["flag"] == schema.COLUMN_DESCRIPTIONS["flag"]
    assert "predicted_worse (prediction shows more need" in meanings["flag"]
    assert meanings["gap"] == "predicted_quintile minus hard_quintile"
    # the LSOA sheet's columns, in the schema's order, each with the schema's meaning
    assert [c for c, _ in dictionary] == _expected(result)["lsoa"]
    indicators = {i.slug for i in result.hard.indicators}
    for column, meaning in dictionary:
        if column not in indicators:
            assert meaning == schema.column_meaning(column, interval=0.9), column
