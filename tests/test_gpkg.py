"""The styled GeoPackage: round trips, gpkg_contents, layer_styles, QML, atomic writes."""

from __future__ import annotations

import json
import re
import sqlite3
import xml.etree.ElementTree as ET
from contextlib import closing
from datetime import UTC, datetime
from itertools import pairwise

import branca.colormap as cm
import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest
import shapely
from geopandas.testing import assert_geodataframe_equal

import resilience as rs
from resilience.clusters import CLUSTER_KEYS, CLUSTERS, CONSTRUCTS, share_columns
from resilience.errors import InputDataError, OutputExistsError
from resilience.models.area_estimator import n_band
from resilience.outputs import gpkg as gpkg_module
from resilience.outputs._about import (
    DEFAULT_CAVEATS,
    ONS_ATTRIBUTION,
    SURVEY_ATTRIBUTION,
    about_record,
)
from resilience.outputs.gpkg import read_layer_styles, write_geopackage
from resilience.outputs.manifest import config_hash
from resilience.outputs.qml import (
    CLUSTER_COLOURS,
    FLAG_CATEGORIES,
    HARD_INDEX_RAMP,
    NO_DATA_COLOUR,
    NO_DATA_LABEL,
    RESILIENCE_RAMP,
    SHARE_RAMP,
    categorized_qml,
    default_styles,
    graduated_qml,
    quantile_breaks,
    range_labels,
)
from resilience.outputs.save import save_result
from resilience.schema import default_aliases
from resilience.synthetic import make_borough

ODD_NAME = 'Smith & Sons <Estate> "North"'
REASON = "hard data: income — much higher than predicted"
INDICATORS = {"income": "Income Score (rate)", "health": "Health Deprivation & Disability"}


# ----------------------------------------------------------------------------- data


def _with_intervals(frame: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    for col in [*share_columns(), "resilience_score"]:
        width = rng.uniform(0.01, 0.05, len(frame))
        frame[f"{col}_lo"] = frame[col] - width
        frame[f"{col}_hi"] = frame[col] + width
    return frame


@pytest.fixture(scope="module")
def frames():
    """OA, LSOA and ward layers with every output column, and the tables."""
    b = make_borough(seed=1, n_oa=60, n_lsoa=12, n_ward=3, n_respondents=800)
    rng = np.random.default_rng(3)
    truth = b.truth

    oa = b.oa.merge(truth.oa_shares, left_on="oa_code", right_index=True)
    oa = _with_intervals(oa, rng)
    keep = ["oa_code", "lsoa_code", "ward_code", "supergroup", "group", "subgroup"]
    shares = oa[share_columns()].to_numpy()
    oa["dominant_cluster"] = np.array(CLUSTER_KEYS)[shares.argmax(axis=1)]
    oa["estimate_level"] = np.where(np.arange(len(oa)) % 7 == 0, "all", "subgroup")
    oa.loc[oa.index[:3], "share_isolation_lo"] = np.nan
    cols = [
        *keep,
        *share_columns(),
        *share_columns("_lo"),
        *share_columns("_hi"),
        "dominant_cluster",
        "resilience_score",
        "resilience_score_lo",
        "resilience_score_hi",
        "estimate_level",
        "population",
        "geometry",
    ]
    oa = oa[cols]

    lsoa = b.lsoa.merge(truth.lsoa_shares, left_on="lsoa_code", right_index=True)
    lsoa = _with_intervals(lsoa, rng)
    n = len(lsoa)
    lsoa["population"] = rng.integers(1000, 2000, n)
    lsoa.loc[lsoa.index[0], "lsoa_name"] = ODD_NAME
    lsoa["income"] = rng.uniform(0.05, 0.3, n)
    lsoa["health"] = rng.normal(0, 1, n)
    lsoa["hard_index"] = rng.normal(0, 1, n)
    lsoa.loc[lsoa.index[-1], ["income", "health", "hard_index"]] = np.nan
    lsoa["predicted_quintile"] = (np.arange(n) % 5 + 1).astype("int64")
    hard_q = pd.array((np.arange(n)[::-1] % 5 + 1), dtype="Int64")
    hard_q[-1] = pd.NA
    lsoa["hard_quintile"] = hard_q
    lsoa["gap"] = (lsoa["predicted_quintile"] - lsoa["hard_quintile"]).astype("Int64")
    gap = lsoa["gap"].to_numpy(dtype=float, na_value=np.nan)
    lsoa["flag"] = pd.Series(
        np.where(gap >= 2, "predicted_worse", np.where(gap <= -2, "hard_worse", "agree")),
        index=lsoa.index,
        dtype="str",
    )
    lsoa.loc[lsoa.index[-1], "flag"] = None
    lsoa["flag_confidence"] = rng.uniform(0.5, 1, n)
    lsoa["flag_reason"] = np.where(lsoa["flag"] == "hard_worse", REASON, "")
    lsoa = lsoa[
        [
            "lsoa_code",
            "lsoa_name",
            "ward_code",
            "population",
            *share_columns(),
            *share_columns("_lo"),
            *share_columns("_hi"),
            "resilience_score",
            "income",
            "health",
            "hard_index",
            "predicted_quintile",
            "hard_quintile",
            "gap",
            "flag",
            "flag_confidence",
            "flag_reason",
            "geometry",
        ]
    ]

    ward = b.ward.merge(truth.ward_shares, left_on="ward_code", right_index=True)
    ward["population"] = rng.integers(5000, 9000, len(ward))
    ward["hard_index"] = [0.3, -0.2, np.nan]
    ward["n_lsoa"] = lsoa.groupby("ward_code").size().reindex(ward["ward_code"]).to_numpy()
    ward["n_flagged"] = np.array([1, 0, 2], dtype="int64")
    ward = ward[
        [
            "ward_code",
            "ward_name",
            "population",
            *share_columns(),
            "resilience_score",
            "hard_index",
            "n_lsoa",
            "n_flagged",
            "geometry",
        ]
    ]

    profiles = pd.DataFrame(
        rng.normal(0, 1, (6, len(CONSTRUCTS))),
        index=pd.Index(CLUSTER_KEYS, name="cluster"),
        columns=list(CONSTRUCTS),
    )
    loadings = pd.DataFrame(
        rng.uniform(-1, 1, (4, 2)),
        index=pd.Index(["sclfsato", "sclfsat2", "scghqa", "scghqb"], name="item"),
        columns=["wellbeing", "stress"],
    )
    estimates = pd.DataFrame(
        {
            "level": ["supergroup", "group", "subgroup"],
            "category": ["1", "1a", "1a1"],
            "n_respondents": [120, 40, 12],
            **{c: rng.uniform(0, 0.3, 3) for c in share_columns()},
        }
    )
    about = {
        "run_id": "2024-05-01T10:00:00Z-abc123",
        "title": "Northbridge community resilience",
        "package_version": "0.1.0",
        "config_hash": "sha256:deadbeef",
        "sources": ["Understanding Society wave 6", "English IoD 2025 File 7"],
        "attribution": "Contains OS data © Crown copyright and database right 2024",
        "caveats": "Cluster shares are predicted, not measured.",
        "seed": 42,
    }
    return {
        "layers": {"oa": oa, "lsoa": lsoa, "ward": ward},
        "tables": {
            "cluster_profiles": profiles,
            "factor_loadings": loadings,
            "area_estimates": estimates,
        },
        "about": about,
    }


@pytest.fixture(scope="module")
def written(frames, tmp_path_factory):
    folder = tmp_path_factory.mktemp("gpkg")
    aliases = default_aliases(frames["layers"]["lsoa"].columns, INDICATORS)
    path = write_geopackage(
        folder / "resilience.gpkg",
        frames["layers"],
        frames["tables"],
        about=frames["about"],
        titles={"lsoa": "LSOAs — flags & <gaps>"},
        descriptions={"ward": 'Wards "summary" — predicted, not measured'},
        aliases=aliases,
        sidecar_dir=folder / "qml",
    )
    return path


def _sql(path, query, args=()):
    with closing(sqlite3.connect(path)) as con:
        return con.execute(query, args).fetchall()


def _parse(qml: str) -> ET.Element:
    assert qml.startswith("<!DOCTYPE qgis")
    return ET.fromstring(qml.split("\n", 1)[1])


def _expected_after_round_trip(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Nullable integers come back as floats; everything else as written."""
    out = frame.reset_index(drop=True).copy()
    for col in out.columns:
        if isinstance(out[col].dtype, pd.Int64Dtype):
            out[col] = out[col].astype("float64")
    return out


# ---------------------------------------------------------------------- round trips


@pytest.mark.parametrize("name", ["oa", "lsoa", "ward"])
def test_layer_round_trip(frames, written, name):
    original = frames["layers"][name]
    back = pyogrio.read_dataframe(written, layer=name)
    assert list(back.columns) == list(original.columns)
    assert len(back) == len(original)
    assert back.crs.to_epsg() == 27700
    code = f"{name}_code"
    assert back[code].dtype == "str"
    assert back[code].str.match(r"^E0[015]\d{6}$").all()
    # Promoting Polygon to MultiPolygon is the only geometry change allowed.
    assert shapely.equals(back.geometry.values, original.geometry.values).all()
    expected = _expected_after_round_trip(original)
    back = back.set_geometry(expected.geometry.values)
    assert_geodataframe_equal(back, expected, check_dtype=True, check_like=False)


def test_round_trip_keeps_special_values(frames, written):
    lsoa = pyogrio.read_dataframe(written, layer="lsoa")
    assert lsoa.loc[0, "lsoa_name"] == ODD_NAME
    assert REASON in set(lsoa["flag_reason"])
    assert lsoa["flag"].isna().sum() == 1 and lsoa["hard_index"].isna().sum() == 1
    assert lsoa["predicted_quintile"].dtype == "int64"
    assert lsoa["hard_quintile"].dtype == "float64"  # nullable integer -> float with NaN
    assert lsoa["population"].dtype == "int64"
    oa = pyogrio.read_dataframe(written, layer="oa")
    assert oa["share_isolation_lo"].isna().sum() == 3
    assert oa["population"].dtype == "int64"


def test_tables_round_trip(frames, written):
    for name, original in frames["tables"].items():
        back = pyogrio.read_dataframe(written, layer=name)
        assert not isinstance(back, gpd.GeoDataFrame)
        expected = original.reset_index() if original.index.name else original
        pd.testing.assert_frame_equal(back, expected.reset_index(drop=True))
    contents = dict(_sql(written, "SELECT table_name, data_type FROM gpkg_contents"))
    assert contents == {
        "oa": "features",
        "lsoa": "features",
        "ward": "features",
        "cluster_profiles": "attributes",
        "factor_loadings": "attributes",
        "area_estimates": "attributes",
        "about": "attributes",
        "layer_styles": "attributes",
    }


def test_about_table(frames, written):
    about = pyogrio.read_dataframe(written, layer="about")
    assert list(about.columns) == ["key", "value"]
    values = dict(zip(about["key"], about["value"], strict=True))
    assert list(values) == [
        "title",
        "run_id",
        "package_version",
        "config_hash",
        "seed",
        "sources",
        "attribution",
        "licence",
        "disclosure_control",
        "caveats",
    ]
    assert values["run_id"] == frames["about"]["run_id"]
    assert values["package_version"] == "0.1.0"
    assert json.loads(values["sources"]) == frames["about"]["sources"]
    assert values["seed"] == "42"
    assert json.loads(values["caveats"]) == ["Cluster shares are predicted, not measured."]
    # the required statements first (no run date given: the OS year is this year's), then
    # the one passed in; Understanding Society is named only when a source is the survey
    attribution = json.loads(values["attribution"])
    year = datetime.now(UTC).year
    assert attribution[:2] == [
        ONS_ATTRIBUTION,
        f"Contains OS data © Crown copyright and database right {year}",
    ]
    assert attribution[2:] == ["Contains OS data © Crown copyright and database right 2024"]
    assert "Open Government Licence v3.0" in values["licence"]
    assert "fewer than 10 survey respondents" in values["disclosure_control"]
    assert "10–29, 30–99, 100–299, 300+" in values["disclosure_control"]
    types = _sql(written, 'SELECT DISTINCT typeof("value") FROM "about"')
    assert types == [("text",)]


def test_about_record_completes_the_run_metadata():
    about = {
        "title": "Northbridge",
        "run_id": "r1",
        "created": "2026-05-01T10:00:00Z",
        "config_hash": "sha256:ab",
        "seed": 7,
        "sources": ["survey: f_indresp.tab", "hard: file7.csv"],
        "min_respondents": 15,
        "interval": 0.8,
        "columns": {"income": "Income"},
    }
    record = about_record(about)
    assert list(record)[:11] == [
        "title",
        "run_id",
        "created",
        "package_version",
        "config_hash",
        "seed",
        "sources",
        "attribution",
        "licence",
        "disclosure_control",
        "caveats",
    ]
    assert "columns" not in record and record["min_respondents"] == 15
    assert record["package_version"] == rs.__version__
    assert record["attribution"] == [
        ONS_ATTRIBUTION,
        "Contains OS data © Crown copyright and database right 2026",
        SURVEY_ATTRIBUTION,
    ]
    assert "fewer than 15 survey respondents" in record["disclosure_control"]
    caveats = record["caveats"]
    assert len(caveats) == len(DEFAULT_CAVEATS)
    assert caveats[0].startswith("Predicted, not measured.")
    assert "fewer than 15 respondents" in caveats[2] and "80% bootstrap" in caveats[7]
    # without a survey source there is no survey acknowledgement
    assert SURVEY_ATTRIBUTION not in about_record({"sources": ["hard: x.csv"]})["attribution"]


def test_saved_run_has_a_complete_about_table_and_banded_counts(borough, tmp_path):
    files = borough.write(tmp_path / "in")
    result = rs.run(files["config"])
    out = tmp_path / "out"
    save_result(result, out, maps=False)
    path = out / "resilience.gpkg"
    about = pyogrio.read_dataframe(path, layer="about")
    values = dict(zip(about["key"], about["value"], strict=True))
    for key in ("title", "run_id", "created", "package_version", "config_hash", "seed"):
        assert values[key], key
    assert values["run_id"] == result.run_id and values["seed"] == "0"
    assert values["config_hash"] == config_hash(result.config.raw)
    assert any(s.startswith("survey: ") for s in json.loads(values["sources"]))
    year = values["created"][:4]
    attribution = json.loads(values["attribution"])
    assert f"Contains OS data © Crown copyright and database right {year}" in attribution
    assert SURVEY_ATTRIBUTION in attribution and ONS_ATTRIBUTION in attribution
    assert json.loads(values["caveats"])[0].startswith("Predicted, not measured.")
    assert "disclosure_control" in values and "licence" in values
    # every respondent count is a band, in the GeoPackage and the model tables alike
    bands = {"10–29", "30–99", "100–299", "300+"}
    profiles = pyogrio.read_dataframe(path, layer="cluster_profiles")
    assert set(profiles["respondents"]) <= bands and profiles["respondents"].dtype == "str"
    csv = pd.read_csv(out / "model" / "cluster_profiles.csv")
    assert set(csv["respondents"]) <= bands
    exact = result.model.cluster_sizes_["respondents"]
    assert profiles.set_index("cluster")["respondents"].to_dict() == {
        k: n_band(n) for k, n in exact.items()
    }
    assert set(pyogrio.read_dataframe(path, layer="area_estimates")["respondents"]) <= bands


def test_contents_titles_and_descriptions(written):
    rows = {
        name: (ident, desc)
        for name, ident, desc in _sql(
            written, "SELECT table_name, identifier, description FROM gpkg_contents"
        )
    }
    assert rows["lsoa"][0] == "LSOAs — flags & <gaps>"
    assert rows["ward"][1] == 'Wards "summary" — predicted, not measured'
    assert rows["oa"][0] == gpkg_module.DEFAULT_TITLES["oa"]
    assert "not measured" in rows["oa"][1]
    assert rows["area_estimates"][1] == gpkg_module.DEFAULT_DESCRIPTIONS["area_estimates"]


def test_reprojects_to_british_national_grid(tmp_path):
    square = shapely.box(530000, 180000, 530100, 180100)
    gdf = gpd.GeoDataFrame({"ward_code": ["E05000001"]}, geometry=[square], crs=27700)
    path = write_geopackage(tmp_path / "x.gpkg", {"ward": gdf.to_crs(4326)})
    back = pyogrio.read_dataframe(path, layer="ward")
    assert back.crs.to_epsg() == 27700
    np.testing.assert_allclose(back.total_bounds, square.bounds, atol=1e-3)


def test_named_index_becomes_a_column(tmp_path):
    gdf = gpd.GeoDataFrame(
        {"resilience_score": [0.1, -0.2]},
        geometry=[shapely.box(0, 0, 1, 1), shapely.box(1, 0, 2, 1)],
        index=pd.Index(["E05000001", "E05000002"], name="ward_code"),
        crs=27700,
    )
    path = write_geopackage(tmp_path / "x.gpkg", {"ward": gdf})
    back = pyogrio.read_dataframe(path, layer="ward")
    assert list(back.columns) == ["ward_code", "resilience_score", "geometry"]
    assert back["ward_code"].tolist() == ["E05000001", "E05000002"]


# --------------------------------------------------------------------- layer_styles


def test_one_default_style_per_layer(written):
    styles = read_layer_styles(written)
    geometry = dict(_sql(written, "SELECT table_name, column_name FROM gpkg_geometry_columns"))
    assert set(styles["f_table_name"]) == {"oa", "lsoa", "ward"} == set(geometry)
    defaults = styles[styles["useAsDefault"]]
    assert sorted(defaults["f_table_name"]) == ["lsoa", "oa", "ward"]
    assert dict(zip(defaults["f_table_name"], defaults["styleName"], strict=True)) == {
        "oa": "Dominant cluster",
        "lsoa": "Disagreement flag",
        "ward": "Resilience score",
    }
    for _, row in styles.iterrows():
        assert row["f_geometry_column"] == geometry[row["f_table_name"]]
        assert row["f_table_catalog"] == "" and row["f_table_schema"] == ""
        assert len(row["styleName"]) <= 30
    assert _sql(written, "SELECT DISTINCT typeof(styleQML) FROM layer_styles") == [("text",)]
    names = styles.groupby("f_table_name")["styleName"].apply(list)
    assert names["lsoa"][:3] == ["Disagreement flag", "Resilience score", "Hard index"]
    assert names["oa"][:2] == ["Dominant cluster", "Resilience score"]
    assert names["ward"][:2] == ["Resilience score", "Hard index"]
    assert "Share: Isolation" in names["ward"]


def test_every_qml_parses_and_references_its_symbols(written):
    for qml in read_layer_styles(written)["styleQML"]:
        root = _parse(qml)
        assert root.tag == "qgis" and root.get("styleCategories") == "Symbology|Fields"
        (renderer,) = root.findall("renderer-v2")
        used = {e.get("symbol") for e in renderer.iter() if e.tag in ("category", "rule")}
        defined = {s.get("name") for s in renderer.find("symbols").findall("symbol")}
        assert used == defined
        for layer in renderer.iter("layer"):
            assert layer.get("class") == "SimpleFill"


def test_dominant_cluster_style(written):
    styles = read_layer_styles(written)
    qml = styles.query("f_table_name == 'oa' and useAsDefault")["styleQML"].item()
    renderer = _parse(qml).find("renderer-v2")
    assert renderer.get("type") == "categorizedSymbol"
    assert renderer.get("attr") == "dominant_cluster"
    cats = [(c.get("value"), c.get("label")) for c in renderer.iter("category")]
    assert cats == [(c.key, c.label) for c in CLUSTERS] + [("", NO_DATA_LABEL)]


def test_flag_style_and_aliases(written):
    styles = read_layer_styles(written)
    qml = styles.query("f_table_name == 'lsoa' and useAsDefault")["styleQML"].item()
    root = _parse(qml)
    renderer = root.find("renderer-v2")
    assert (renderer.get("type"), renderer.get("attr")) == ("categorizedSymbol", "flag")
    cats = {c.get("value"): c.get("label") for c in renderer.iter("category")}
    assert cats == {
        "agree": "Agree",
        "predicted_worse": "Prediction worse than hard data",
        "hard_worse": "Hard data worse than prediction",
        "": NO_DATA_LABEL,
    }
    aliases = {a.get("field"): a.get("name") for a in root.iter("alias")}
    assert aliases["share_isolation"] == "Isolation (predicted share)"
    assert aliases["flag_confidence"] == "Flag confidence"
    assert aliases["income"] == "Income Score (rate)"
    assert aliases["health"] == "Health Deprivation & Disability"
    assert "geometry" not in aliases
    indexes = [int(a.get("index")) for a in root.iter("alias")]
    assert indexes == list(range(1, len(indexes) + 1))


_RULE = re.compile(r'^"(\w+)" (>=|>) (\S+) AND "\1" <= (\S+)$')


def _rules(qml: str) -> tuple[ET.Element, list[tuple[str, str, float, float]], ET.Element]:
    """The renderer, the class rules as (label, lower operator, lower, upper), the ELSE rule."""
    renderer = _parse(qml).find("renderer-v2")
    *classes, last = renderer.find("rules").findall("rule")
    parsed = []
    for rule in classes:
        match = _RULE.match(rule.get("filter"))
        assert match, rule.get("filter")
        parsed.append((rule.get("label"), match[2], float(match[3]), float(match[4])))
    return renderer, parsed, last


def _class_of(value: float, rules: list[tuple[str, str, float, float]]) -> list[int]:
    """Indexes of the rules a value satisfies, evaluated as QGIS would."""
    return [
        i
        for i, (_, op, lo, hi) in enumerate(rules)
        if (value >= lo if op == ">=" else value > lo) and value <= hi
    ]


@pytest.mark.parametrize(
    ("layer", "style", "field", "ramp", "n_classes"),
    [
        ("ward", "Resilience score", "resilience_score", RESILIENCE_RAMP, 3),
        ("lsoa", "Hard index", "hard_index", HARD_INDEX_RAMP, 5),
        # OAs share their category's estimate, so ties merge some quantile classes.
        ("oa", "Resilience score", "resilience_score", RESILIENCE_RAMP, None),
    ],
)
def test_graduated_styles(frames, written, layer, style, field, ramp, n_classes):
    styles = read_layer_styles(written)
    row = styles[(styles["f_table_name"] == layer) & (styles["styleName"] == style)]
    renderer, rules, last = _rules(row["styleQML"].item())
    # a rule-based renderer: QGIS's graduated renderer does not draw NULL values
    assert renderer.get("type") == "RuleRenderer"
    assert renderer.get("attr") is None
    values = frames["layers"][layer][field].dropna()
    if n_classes is None:
        assert 2 <= len(rules) <= 5
    else:
        assert len(rules) == n_classes
    lower = [lo for _, _, lo, _ in rules]
    upper = [hi for _, _, _, hi in rules]
    assert lower[0] == values.min() and upper[-1] == values.max()
    assert lower[1:] == upper[:-1]
    assert [op for _, op, _, _ in rules] == [">="] + [">"] * (len(rules) - 1)
    # Every value falls in exactly one class; a missing value in none, so the ELSE rule.
    assert all(len(_class_of(v, rules)) == 1 for v in values)
    assert (last.get("filter"), last.get("label")) == ("ELSE", NO_DATA_LABEL)
    colours = [
        s.find("layer/Option/Option[@name='color']").get("value")
        for s in renderer.find("symbols").findall("symbol")
    ]
    assert len(colours) == len(rules) + 1
    assert colours[0] == _rgba(ramp[0]) and colours[-2] == _rgba(ramp[-1])
    assert colours[-1] == _rgba(NO_DATA_COLOUR)
    keys = [r.get("key") for r in renderer.iter("rule")]
    assert len(set(keys)) == len(keys) and renderer.find("rules").get("key") not in keys
    labels = [label for label, _, _, _ in rules]
    assert len(set(labels)) == len(labels) and all(" to " in lab for lab in labels)


def test_graduated_qml_rules_hold_the_exact_edges():
    edges = [-0.6768918678957071, 1e-05, 0.1 + 0.2, 2.5]
    qml = graduated_qml('odd "name"', edges, list(RESILIENCE_RAMP[:3]), no_data=False)
    rules = [r.get("filter") for r in _parse(qml).iter("rule")]
    quoted = '"odd ""name"""'
    assert rules[0] == f"{quoted} >= -0.6768918678957071 AND {quoted} <= 1e-05"
    assert rules[1] == f"{quoted} > 1e-05 AND {quoted} <= 0.30000000000000004"
    assert rules[2].endswith("<= 2.5") and len(rules) == 3  # no ELSE rule
    # the same style twice is the same text (fixed rule keys)
    assert qml == graduated_qml('odd "name"', edges, list(RESILIENCE_RAMP[:3]), no_data=False)


def test_geopackage_version_and_style_times(written):
    # GeoPackage 1.2: QGIS 3.22 (GDAL 3.6) warns on every open of a 1.4 file
    assert _sql(written, "PRAGMA application_id") == [(0x47504B47,)]  # "GPKG"
    assert _sql(written, "PRAGMA user_version") == [(10200,)]
    assert gpkg_module.GPKG_VERSION == "1.2"
    times = [t for (t,) in _sql(written, "SELECT update_time FROM layer_styles ORDER BY id")]
    parsed = [datetime.strptime(t, "%Y-%m-%dT%H:%M:%S.%fZ") for t in times]
    # distinct to the second (QGIS 3.22 reads whole seconds), newest first, one apart
    assert len({p.replace(microsecond=0) for p in parsed}) == len(times) > 20
    assert all((a - b).total_seconds() == 1 for a, b in pairwise(parsed))
    assert abs((datetime.now(UTC).replace(tzinfo=None) - parsed[0]).total_seconds()) < 600


def test_sidecar_files_equal_default_styles(written):
    styles = read_layer_styles(written)
    folder = written.parent / "qml"
    assert sorted(p.name for p in folder.iterdir()) == ["lsoa.qml", "oa.qml", "ward.qml"]
    for _, row in styles[styles["useAsDefault"]].iterrows():
        text = (folder / f"{row['f_table_name']}.qml").read_text(encoding="utf-8")
        assert text == row["styleQML"]


def test_nothing_else_left_in_the_folder(written):
    assert sorted(p.name for p in written.parent.iterdir()) == ["qml", "resilience.gpkg"]


# -------------------------------------------------------------------- atomic writes


def _small_layers():
    gdf = gpd.GeoDataFrame(
        {"ward_code": ["E05000001", "E05000002"], "resilience_score": [0.1, -0.3]},
        geometry=[shapely.box(0, 0, 1, 1), shapely.box(1, 0, 2, 1)],
        crs=27700,
    )
    return {"ward": gdf}


def _boom(*args, **kwargs):
    raise RuntimeError("disk full while writing styles")


def test_failure_leaves_no_file(tmp_path, monkeypatch):
    monkeypatch.setattr(gpkg_module, "_write_styles", _boom)
    with pytest.raises(RuntimeError, match="disk full"):
        write_geopackage(tmp_path / "out.gpkg", _small_layers(), sidecar_dir=tmp_path / "qml")
    assert list(tmp_path.iterdir()) == []


def test_failure_keeps_existing_file(tmp_path, monkeypatch):
    path = write_geopackage(tmp_path / "out.gpkg", _small_layers(), sidecar_dir=tmp_path)
    before = path.read_bytes()
    sidecar = (tmp_path / "ward.qml").read_text(encoding="utf-8")
    monkeypatch.setattr(gpkg_module, "_write_styles", _boom)
    layers = _small_layers()
    layers["ward"]["resilience_score"] = [0.9, 0.8]
    with pytest.raises(RuntimeError):
        write_geopackage(path, layers, sidecar_dir=tmp_path)
    assert path.read_bytes() == before
    assert (tmp_path / "ward.qml").read_text(encoding="utf-8") == sidecar
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.gpkg", "ward.qml"]


def test_failure_in_sidecars_keeps_existing_file(tmp_path, monkeypatch):
    path = write_geopackage(tmp_path / "out.gpkg", _small_layers())
    before = path.read_bytes()
    monkeypatch.setattr(gpkg_module, "_stage_sidecars", _boom)
    with pytest.raises(RuntimeError):
        write_geopackage(path, _small_layers(), sidecar_dir=tmp_path / "qml")
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.gpkg"]


def test_writing_twice_replaces_cleanly(tmp_path):
    path = tmp_path / "out.gpkg"
    write_geopackage(path, _small_layers(), tables={"extra": pd.DataFrame({"a": [1]})})
    layers = _small_layers()
    layers["ward"] = layers["ward"].iloc[[1]]
    write_geopackage(path, layers)
    assert pyogrio.list_layers(path)[:, 0].tolist() == ["ward", "layer_styles"]
    assert len(pyogrio.read_dataframe(path, layer="ward")) == 1
    styles = read_layer_styles(path)
    assert styles["useAsDefault"].sum() == 1 and len(styles) == 1
    assert [p.name for p in tmp_path.iterdir()] == ["out.gpkg"]


# ------------------------------------------------------------------------- errors


def test_layer_without_crs_is_refused(tmp_path):
    gdf = _small_layers()["ward"].set_crs(None, allow_override=True)
    with pytest.raises(InputDataError, match="'ward' has no coordinate reference system"):
        write_geopackage(tmp_path / "x.gpkg", {"ward": gdf})
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("layers", "tables", "match"),
    [
        ({"Ward Layer": None}, None, "lower_snake_case"),
        ({"ward": None}, {"layer_styles": pd.DataFrame({"a": [1]})}, "reserved"),
        ({"ward": None}, {"ward": pd.DataFrame({"a": [1]})}, "used twice"),
        ({"ward": None}, {"t": gpd.GeoDataFrame()}, "must be a plain DataFrame"),
    ],
    ids=["bad-name", "reserved", "twice", "geo-table"],
)
def test_bad_names_are_refused(tmp_path, layers, tables, match):
    layers = {k: _small_layers()["ward"] for k in layers}
    with pytest.raises(InputDataError, match=match):
        write_geopackage(tmp_path / "x.gpkg", layers, tables)


@pytest.mark.parametrize(
    ("column", "match"),
    [("fid", "feature id and the geometry"), ("WARD_CODE", "differ only in case")],
)
def test_clashing_columns_are_refused(tmp_path, column, match):
    layers = _small_layers()
    layers["ward"][column] = 1
    with pytest.raises(InputDataError, match=match):
        write_geopackage(tmp_path / "x.gpkg", layers)


def test_plain_frame_as_layer_and_repeated_titles(tmp_path):
    with pytest.raises(InputDataError, match="'ward' must be a GeoDataFrame"):
        write_geopackage(tmp_path / "x.gpkg", {"ward": pd.DataFrame({"a": [1]})})
    with pytest.raises(InputDataError, match="titles must be unique"):
        write_geopackage(
            tmp_path / "x.gpkg",
            _small_layers(),
            {"t": pd.DataFrame({"a": [1]})},
            titles={"ward": "Same", "t": "Same"},
        )
    with pytest.raises(OutputExistsError, match="it is a folder"):
        write_geopackage(tmp_path, _small_layers())


def test_read_layer_styles_errors(tmp_path):
    with pytest.raises(InputDataError, match="not found"):
        read_layer_styles(tmp_path / "missing.gpkg")
    plain = tmp_path / "plain.gpkg"
    pyogrio.write_dataframe(_small_layers()["ward"], plain, layer="ward")
    with pytest.raises(InputDataError, match="has no layer_styles table"):
        read_layer_styles(plain)


# ---------------------------------------------------------------------- QML units


def _rgba(hex_colour: str) -> str:
    h = hex_colour.lstrip("#")
    return ",".join(str(int(h[i : i + 2], 16)) for i in (0, 2, 4)) + ",255"


def test_categorized_qml_escapes_text():
    qml = categorized_qml(
        "name",
        [(ODD_NAME, 'A & B <c> "d" — é', "#112233"), (3, "three", "#445566")],
        aliases={"name": 'Name & "alias" <x>'},
    )
    root = _parse(qml)
    cats = [(c.get("value"), c.get("label")) for c in root.iter("category")]
    assert cats == [
        (ODD_NAME, 'A & B <c> "d" — é'),
        ("3", "three"),
        ("", NO_DATA_LABEL),
    ]
    assert root.find("aliases/alias").get("name") == 'Name & "alias" <x>'
    colour = root.find("renderer-v2/symbols/symbol/layer/Option/Option[@name='color']")
    assert colour.get("value") == "17,34,51,255"
    prop = root.find("renderer-v2/symbols/symbol/layer/prop[@k='color']")
    assert prop.get("v") == "17,34,51,255"


def test_control_characters_are_removed():
    root = _parse(categorized_qml("f", [("a", "bad\x01label", "#000000")]))
    assert root.find("renderer-v2/categories/category").get("label") == "badlabel"


def test_qml_input_errors():
    with pytest.raises(ValueError, match="need 2 colours"):
        graduated_qml("x", [0, 1, 2], ["#000000"])
    with pytest.raises(ValueError, match="non-decreasing"):
        graduated_qml("x", [2, 1], ["#000000"])
    with pytest.raises(ValueError, match="hex strings"):
        categorized_qml("x", [("a", "A", "red")])
    with pytest.raises(ValueError, match="must be unique"):
        categorized_qml("x", [("a", "A", "#000000"), ("a", "B", "#111111")])


def test_quantile_breaks():
    values = np.arange(1, 21, dtype=float)
    breaks = quantile_breaks(values)
    assert len(breaks) == 6 and breaks[0] == 1 and breaks[-1] == 20
    assert breaks == sorted(breaks)
    counts = np.histogram(values, bins=breaks)[0]
    assert counts.tolist() == [4, 4, 4, 4, 4]
    assert quantile_breaks([1.0, 1.0, 1.0, 2.0]) == [1.0, 2.0]
    assert quantile_breaks([0.5, 0.5]) == [0.5, 0.5]
    assert quantile_breaks([np.nan, None]) is None


def test_range_labels_stay_distinct():
    assert range_labels([0.1, 0.104, 0.2]) == ["0.1 to 0.104", "0.104 to 0.2"]
    assert range_labels([-1.0, 0.0, 1.0]) == ["-1 to 0", "0 to 1"]
    assert range_labels([0.05, 0.2], percent=True) == ["5% to 20%"]


def test_palettes_are_colorbrewer():
    def hexes(name):
        colours = getattr(cm.linear, name).colors
        return ["#" + "".join(f"{round(v * 255):02x}" for v in c[:3]) for c in colours]

    assert list(RESILIENCE_RAMP) == hexes("RdBu_05")
    assert list(HARD_INDEX_RAMP) == hexes("YlOrRd_05")
    assert list(SHARE_RAMP) == hexes("PuBu_05")
    puor = hexes("PuOr_05")
    assert [c for _, _, c in FLAG_CATEGORIES] == [puor[2], puor[0], puor[4]]
    assert len(set(CLUSTER_COLOURS.values())) == 6 and set(CLUSTER_COLOURS) == set(CLUSTER_KEYS)


def test_default_styles_skip_absent_and_empty_columns():
    frame = pd.DataFrame(
        {"lsoa_code": ["E01000001", "E01000002"], "hard_index": [np.nan, np.nan], "x": [1, 2]}
    )
    styles = default_styles("lsoa", frame)
    assert [(n, d) for n, _, d in styles] == [("Outline", True)]
    assert _parse(styles[0][1]).find("renderer-v2").get("type") == "singleSymbol"
    frame["flag"] = ["agree", None]
    frame["hard_index"] = [0.5, 0.5]
    styles = default_styles("lsoa", frame)
    assert [(n, d) for n, _, d in styles] == [("Disagreement flag", True), ("Hard index", False)]
    _, rules, _ = _rules(styles[1][1])
    assert [(lo, hi) for _, _, lo, hi in rules] == [(0.5, 0.5)]


def test_dominant_cluster_labels_are_accepted():
    frame = pd.DataFrame({"dominant_cluster": ["Isolation", "Competence"]})
    (name, qml, default), *_ = default_styles("oa", frame)
    values = [c.get("value") for c in _parse(qml).iter("category")]
    assert name == "Dominant cluster" and default
    assert values == [c.label for c in CLUSTERS] + [""]


def test_default_aliases_cover_spec_columns():
    spec = [
        "oa_code",
        "lsoa_code",
        "lsoa_name",
        "ward_code",
        "ward_name",
        *share_columns(),
        *share_columns("_lo"),
        *share_columns("_hi"),
        "dominant_cluster",
        "resilience_score",
        "resilience_score_lo",
        "resilience_score_hi",
        "estimate_level",
        "population",
        "hard_index",
        "predicted_quintile",
        "hard_quintile",
        "gap",
        "flag",
        "flag_confidence",
        "flag_reason",
        "gap_cluster",
        "n_lsoa",
        "n_flagged",
        "geometry",
    ]
    aliases = default_aliases(spec)
    assert list(aliases) == spec[:-1]
    assert all("_" not in a for a in aliases.values())
    assert len(set(aliases.values())) == len(aliases)
    assert aliases["share_isolation_lo"] == "Isolation (predicted share, lower bound)"
    assert aliases["resilience_score"] == "Resilience score"
    assert default_aliases(["income"], {"income": "Income Score (rate)"}) == {
        "income": "Income Score (rate)"
    }
