"""HTML maps: content of the borough and ward pages (no browser; see test_maps_browser)."""

from __future__ import annotations

import html
import json
import logging
import re
import sys
import warnings

import geopandas as gpd
import numpy as np
import pytest
import shapely
from map_frames import AMP_NAME, INDICATORS, SCRIPT_NAME, map_frames, without_oas

from resilience.clusters import CLUSTER_KEYS, CLUSTERS, share_columns
from resilience.compare.benchmark import BANDS as BANDS_ORDER
from resilience.errors import (
    CodeMatchError,
    ConfigError,
    DataQualityWarning,
    InputDataError,
    ResilienceWarning,
)
from resilience.maps import ATTRIBUTION, MODES, write_maps
from resilience.maps._assets import asset_files
from resilience.maps._classify import category_classes, format_value, quantile_classes
from resilience.maps._geometry import prepare_geometry
from resilience.maps._palettes import MISSING
from resilience.outputs.qml import BIVARIATE_CATEGORIES

MB = 1024 * 1024
BANDS = [f"band_{k}" for k in CLUSTER_KEYS]
CHANGE = "change_resilience_score"
LAYERS = ["resilience_score", CHANGE, *share_columns(), *BANDS, "hard_index", "flag",
          "gap_cluster", "bivariate"]  # fmt: skip
OA_LAYERS = {"resilience_score", CHANGE, *share_columns(), *BANDS}
DATA_RE = re.compile(r'<script type="application/json" id="rz-data">(.*?)</script>', re.S)


@pytest.fixture(scope="module")
def frames():
    return map_frames(seed=0)


@pytest.fixture(scope="module")
def maps(frames, tmp_path_factory):
    """The maps of the synthetic borough in every mode: mode -> (result, folder).

    ``bare`` is the shared mode without a street map.
    """
    out = {}
    for name, mode, tiles in (*((m, m, "OpenStreetMap") for m in MODES), ("bare", "shared", None)):
        folder = tmp_path_factory.mktemp(f"maps_{name}")
        result = write_maps(folder, *frames, mode=mode, tiles=tiles, indicator_labels=INDICATORS)
        out[name] = (result, folder)
    return out


def read(path) -> str:
    return path.read_text(encoding="utf-8")


def data_of(text: str) -> dict:
    return json.loads(DATA_RE.search(text).group(1))


def legend_sections(text: str) -> dict[str, str]:
    return dict(re.findall(r'<section data-layer="([^"]+)"[^>]*>(.*?)</section>', text, re.S))


@pytest.fixture(scope="module")
def index(maps):
    result, _ = maps["offline"]
    return read(result["index"])


# ---- files ------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
def test_writes_borough_map_and_one_map_per_ward_under_3_mb(maps, frames, mode):
    result, folder = maps[mode]
    ward = frames[2]
    assert result["index"] == folder / "index.html"
    assert set(result["wards"]) == set(ward["ward_code"])
    for code, path in result["wards"].items():
        assert path == folder / "wards" / f"{code}.html"
    written = [result["index"], *result["wards"].values()]
    assets = [] if mode == "offline" else [folder / "assets" / name for name in asset_files()]
    assert set(result["bytes"]) == set(written) | set(assets)
    for path in [*written, *assets]:
        assert result["bytes"][path] == path.stat().st_size
        assert path.stat().st_size < 3 * MB


def test_logs_the_size_of_every_file(frames, tmp_path, caplog):
    with caplog.at_level(logging.INFO, logger="resilience"):
        result = write_maps(tmp_path, *frames, mode="shared", tiles=None)
    logged = [r.getMessage() for r in caplog.records if r.name == "resilience"]
    assert len(logged) == 2 + len(result["wards"])
    assert re.fullmatch(r"      maps/assets/: 7 files, \d+ KB", logged[0])
    assert logged[1] == f"      maps/index.html: {result['bytes'][result['index']] / 1024:.0f} KB"
    assert all(re.fullmatch(r" +maps/(wards/E05\d{6}|index)\.html: \d+ KB", m) for m in logged[1:])


def test_warns_about_pages_too_big_to_open_quickly(frames, tmp_path, monkeypatch):
    import resilience.maps._write as writer

    monkeypatch.setattr(writer, "LARGE_PAGE_BYTES", 200 * 1024)
    with pytest.warns(ResilienceWarning, match=r"index\.html is \d+ KB; browsers may be slow"):
        write_maps(tmp_path, *frames, mode="shared", tiles=None, ward_pages=False)


def test_rerun_writes_identical_files(frames, tmp_path):
    a = write_maps(tmp_path / "a", *frames, mode="offline", ward_pages=False)
    b = write_maps(tmp_path / "b", *frames, mode="offline", ward_pages=False)
    assert a["index"].read_bytes() == b["index"].read_bytes()


def test_geometry_made_ahead_is_used_for_the_same_shapes_only(frames, tmp_path, monkeypatch):
    import pickle

    from resilience.maps import _write, prepare_map_geometry

    oa, lsoa, ward = frames
    ready = pickle.loads(pickle.dumps(prepare_map_geometry(oa, lsoa, ward)))
    assert ready["oa"].geojson == prepare_geometry(oa, 5.0, labels=False).geojson
    assert shapely.equals_exact(
        ready["lsoa"].projected, prepare_geometry(lsoa, 10.0, labels=False).projected, 0
    ).all()  # through a pickle, as from the process that made them
    own = write_maps(tmp_path / "own", *frames, mode="offline", ward_pages=False)
    made = []
    original = _write.prepare_geometry
    monkeypatch.setattr(
        _write, "prepare_geometry", lambda *a, **k: made.append(1) or original(*a, **k)
    )
    page = {"mode": "offline", "ward_pages": False}
    used = write_maps(tmp_path / "used", *frames, **page, prepared=ready)
    assert made == [] and used["index"].read_bytes() == own["index"].read_bytes()
    # moved shapes, or another tolerance: made again, and drawn as they are
    moved = ward.copy()
    moved.geometry = moved.geometry.translate(50.0, 0.0)
    write_maps(tmp_path / "moved", oa, lsoa, moved, **page, prepared=ready)
    write_maps(tmp_path / "coarse", *frames, **page, prepared=ready, simplify={"oa": 8.0})
    assert made == [1, 1]
    # frames in degrees are reprojected the same way by both
    in_degrees = (oa.to_crs(4326), lsoa, ward)
    ready = prepare_map_geometry(*in_degrees)
    del made[:]
    write_maps(tmp_path / "deg", *in_degrees, **page, prepared=ready)
    assert made == []


# ---- layers, features, classes ----------------------------------------------------------


def test_every_layer_draws_every_area(index, frames):
    oa, lsoa, ward = frames
    d = data_of(index)
    assert [layer["id"] for layer in d["layers"]] == LAYERS
    for geo, frame, code in (("oa", oa, "oa_code"), ("lsoa", lsoa, "lsoa_code")):
        t = d[geo]
        assert t["n"] == len(frame) == len(t["geom"]) == len(t["code"])
        assert t["code"] == frame[code].tolist()
    for layer in d["layers"]:
        assert layer["geo"] == ("oa" if layer["id"] in OA_LAYERS else "lsoa")
        assert len(d[layer["geo"]]["cls"][layer["id"]]) == len(frame_of(frames, layer["geo"]))
    assert d["ward"]["n"] == len(ward) == len(d["ward"]["geom"])
    assert all(g["type"] in ("Polygon", "MultiPolygon") for g in d["oa"]["geom"])


def frame_of(frames, geo):
    return frames[0] if geo == "oa" else frames[1]


def test_layer_control_offers_each_layer_once_and_ward_overlays(index):
    d = data_of(index)
    base = re.search(r"base_layers : \{(.*?)\},\s*overlays :\s*\{(.*?)\}", index, re.S)
    for layer in d["layers"]:
        assert base.group(1).count(json.dumps(layer["name"])) == 1
    assert '"Ward boundaries"' in base.group(2) and '"Ward names"' in base.group(2)
    assert "L.control.layers" in index and '"collapsed": false' in index
    assert '"preferCanvas": true' in index


def test_class_indices_follow_values_and_missing_is_minus_one(index, frames):
    oa = frames[0]
    d = data_of(index)
    colours = {layer["id"]: layer["colors"] for layer in d["layers"]}
    for col in share_columns():
        cls = np.array(d["oa"]["cls"][col])
        values = oa[col].to_numpy()
        assert (cls == -1).sum() == np.isnan(values).sum() == 6
        ok = cls >= 0
        order = np.argsort(values[ok], kind="stable")
        assert np.all(np.diff(cls[ok][order]) >= 0), col  # higher value, same or higher class
        assert set(cls[ok]) == set(range(len(colours[col])))  # no empty class
        assert 4 <= len(colours[col]) <= 5  # ties in the synthetic shares merge some
        assert d["oa"]["cols"][col].count(None) == 6


def test_flag_and_gap_cluster_classes(index, frames):
    lsoa = frames[1]
    d = data_of(index)
    flag = {layer["id"]: layer for layer in d["layers"]}["flag"]
    cls = d["lsoa"]["cls"]["flag"]
    words = [flag["words"][c] for c in cls]
    expected = lsoa["flag"].map(
        {
            "agree": "Prediction and hard data agree",
            "hard_worse": "Hard data show more need than predicted",
            "predicted_worse": "Prediction shows more need than hard data",
        }
    )
    assert words == expected.tolist()
    assert flag["colors"] == ["#e66101", "#f7f7f7", "#5e3c99"]  # ColorBrewer PuOr, diverging
    gap = {layer["id"]: layer for layer in d["layers"]}["gap_cluster"]
    assert gap["words"] == ["high-high", "low-low", "not significant"]


# ---- benchmark bands, bivariate class, flag strength, change ------------------------------


def layer_of(d: dict, layer_id: str) -> dict:
    return {layer["id"]: layer for layer in d["layers"]}[layer_id]


def legend_labels(body: str) -> list[str]:
    return re.findall(r'<li><span class="rz-sw[^"]*"[^>]*></span><span>([^<]+)</span>', body)


def counts(d: dict, geo: str, layer_id: str) -> dict:
    """Areas drawn in each class of a layer, by class word (None: no data)."""
    words = layer_of(d, layer_id)["words"]
    cls = d[geo]["cls"][layer_id]
    return {w: n for w, n in ((None, cls.count(-1)), *((w, cls.count(i)) for i, w in
            enumerate(words))) if n}  # fmt: skip


def test_bivariate_layer_has_the_qgis_colours_and_counts_every_lsoa(index, frames):
    lsoa = frames[1]
    d = data_of(index)
    layer = layer_of(d, "bivariate")
    assert layer["geo"] == "lsoa" and layer["name"] == "Predicted × hard need (LSOA)"
    # Joshua Stevens' 3 x 3 scheme, as resilience.outputs.qml styles the GeoPackage
    assert layer["colors"] == ["#e8e8e8", "#e4acac", "#c85a5a", "#b0d5df", "#ad9ea5",
                               "#985356", "#64acbe", "#627f8c", "#574249"]  # fmt: skip
    assert layer["colors"] == [c for _, _, c in BIVARIATE_CATEGORIES]
    body = legend_sections(index)["bivariate"]
    labels = legend_labels(body)
    assert labels[0] == "Predicted need 1 / hard need 1"
    assert labels[2] == "Predicted need 3 / hard need 1"
    assert labels[-2:] == ["Predicted need 3 / hard need 3", "No data / suppressed"]
    assert len(labels) == 10
    got = counts(d, "lsoa", "bivariate")
    assert sum(got.values()) == len(lsoa)
    assert got["Predicted need 1 / hard need 1"] == 46
    assert got["Predicted need 3 / hard need 3"] == 46
    assert got["Predicted need 2 / hard need 2"] == 44
    by_value = lsoa["bivariate"].value_counts()
    for value, _, _ in BIVARIATE_CATEGORIES:
        p, h = value.split("-")
        assert got.get(f"Predicted need {p} / hard need {h}", 0) == by_value.get(value, 0)
    field = {f["key"]: f for f in d["fields"]["lsoa"]}["bivariate"]
    assert field["layer"] == "bivariate" and field["fmt"] == "cat"


def test_band_layers_diverge_about_around_average_and_count_every_oa(index, frames):
    oa = frames[0]
    d = data_of(index)
    sections = legend_sections(index)
    for c in CLUSTERS:
        layer = layer_of(d, f"band_{c.key}")
        assert layer["geo"] == "oa" and layer["kind"] == "category" and layer["predicted"]
        assert layer["name"] == f"{c.label}: against national (OA)"
        # ColorBrewer BrBG: brown below, near-white around average, teal above
        assert layer["colors"] == ["#a6611a", "#dfc27d", "#f5f5f5", "#80cdc1", "#018571"]
        labels = legend_labels(sections[f"band_{c.key}"])
        assert labels == [
            "Well below (index under 80)",
            "Below (80–95)",
            "Around average (95–105, or the interval covers 100)",
            "Above (105–120)",
            "Well above (over 120)",
            "No data / suppressed",
        ]
        got = counts(d, "oa", f"band_{c.key}")
        assert got[None] == 6  # the suppressed OAs
        by_value = oa[f"band_{c.key}"].value_counts()
        assert {w: n for w, n in got.items() if w} == {
            labels[BANDS_ORDER.index(v)]: n for v, n in by_value.items()
        }
    assert counts(d, "oa", "band_isolation") == {
        None: 6,
        "Well below (index under 80)": 360,
        "Around average (95–105, or the interval covers 100)": 76,
        "Well above (over 120)": 258,
    }
    assert "Isolation: against national (OA)" in index  # in the layer list


def test_flag_strength_is_in_the_flag_tooltip_and_legend(index, frames):
    lsoa = frames[1]
    d = data_of(index)
    flag = {f["key"]: f for f in d["fields"]["lsoa"]}["flag"]
    assert flag["with"] == "flag_strength"
    strength = d["lsoa"]["cols"]["flag_strength"]
    assert strength["dict"] == ["none", "possible", "strong"]
    words = [strength["dict"][i] for i in strength["idx"]]
    assert words == lsoa["flag_strength"].tolist()
    assert (
        "Flags are strong (confident) or possible: 7 strong, 7 possible"
        in (legend_sections(index)["flag"])
    )
    js = asset_files()["map.js"].decode("utf-8")
    assert 'f["with"]' in js and 's !== "none"' in js


def test_change_layer_is_centred_on_0_and_grey_where_not_significant(index, frames):
    oa = frames[0]
    d = data_of(index)
    layer = layer_of(d, CHANGE)
    # light grey, then ColorBrewer RdBu: falls red, rises blue (as the QGIS change style)
    assert layer["colors"] == ["#e0e0e0", "#ca0020", "#f4a582", "#92c5de", "#0571b0"]
    assert layer["words"] == ["no significant change", "large fall", "fall", "rise", "large rise"]
    labels = legend_labels(legend_sections(index)[CHANGE])
    assert labels[0] == "No significant change (interval includes 0)"
    lows = [lab.split(" to ") for lab in labels[1:5]]
    assert lows[1][1] == "0.00" and lows[2][0] == "0.00"
    assert lows[0][0] == lows[3][1].replace("+", "−")  # symmetric about 0
    cls = np.array(d["oa"]["cls"][CHANGE])
    change = oa[CHANGE].to_numpy(dtype=float)
    sig = oa["change_significant"]
    assert (cls == -1).sum() == np.isnan(change).sum() == 6
    quiet = (sig == False).to_numpy()  # noqa: E712 (object column with None)
    assert quiet.sum() == 360 and np.all(cls[quiet] == 0) and (cls == 0).sum() == 360
    loud = (sig == True).to_numpy()  # noqa: E712
    assert np.all(np.isin(cls[loud & (change < 0)], [1, 2]))
    assert np.all(np.isin(cls[loud & (change > 0)], [3, 4]))
    assert set(cls[loud]) == {1, 2, 3, 4}
    field = {f["key"]: f for f in d["fields"]["oa"]}[CHANGE]
    assert field["layer"] == CHANGE and field["lo"] == f"{CHANGE}_lo"
    assert CHANGE in {f["key"] for f in d["fields"]["lsoa"]}


def test_new_layers_are_absent_when_their_columns_are(frames, tmp_path):
    oa, lsoa, ward = frames
    change = [CHANGE, f"{CHANGE}_lo", f"{CHANGE}_hi", "change_significant"]
    oa = oa.drop(columns=[*BANDS, *change])
    lsoa = lsoa.drop(columns=["bivariate", "flag_strength", *change])
    result = write_maps(tmp_path, oa, lsoa, ward, mode="shared", tiles=None, ward_pages=False)
    text = read(result["index"])
    d = data_of(text)
    assert [x["id"] for x in d["layers"]] == [x for x in LAYERS if x not in (CHANGE, "bivariate",
                                                                             *BANDS)]  # fmt: skip
    assert "with" not in {f["key"]: f for f in d["fields"]["lsoa"]}["flag"]
    assert "flag_strength" not in d["lsoa"]["cols"]
    assert "strong" not in legend_sections(text)["flag"]
    assert CHANGE not in {f["key"] for f in d["fields"]["oa"]}


def test_change_without_significance_is_classed_by_value(frames, tmp_path):
    oa, lsoa, ward = frames
    oa = oa.drop(columns="change_significant")
    result = write_maps(tmp_path, oa, lsoa, ward, mode="shared", tiles=None, ward_pages=False)
    cls = data_of(read(result["index"]))["oa"]["cls"][CHANGE]
    assert 0 not in cls and cls.count(-1) == 6


def test_share_changes_are_layers_grey_where_their_interval_includes_0(frames, tmp_path):
    oa, lsoa, ward = frames
    oa = oa.copy()
    col = "change_share_isolation"
    oa[col] = np.linspace(-0.1, 0.1, len(oa))
    oa[f"{col}_lo"], oa[f"{col}_hi"] = oa[col] - 0.02, oa[col] + 0.02
    oa.loc[oa.index[:2], col] = np.nan
    result = write_maps(tmp_path, oa, lsoa, ward, mode="shared", tiles=None, ward_pages=False)
    d = data_of(read(result["index"]))
    layer = layer_of(d, col)
    # light grey, then the QGIS share-change ramp (PuOr): falls orange, rises purple
    assert layer["colors"] == ["#e0e0e0", "#e66101", "#fdb863", "#b2abd2", "#5e3c99"]
    assert layer["name"] == "Change in isolation (share, OA)"
    cls = np.array(d["oa"]["cls"][col])
    value = oa[col].to_numpy(dtype=float)
    includes_0 = (oa[f"{col}_lo"] <= 0).to_numpy() & (oa[f"{col}_hi"] >= 0).to_numpy()
    assert (cls == -1).sum() == 2
    assert np.all(cls[includes_0 & np.isfinite(value)] == 0)
    assert (cls == 0).sum() == int((includes_0 & np.isfinite(value)).sum()) > 0
    assert np.all(np.isin(cls[~includes_0 & (value < 0)], [1, 2]))
    assert np.all(np.isin(cls[~includes_0 & (value > 0)], [3, 4]))
    field = {f["key"]: f for f in d["fields"]["oa"]}[col]
    assert field["layer"] == col and field["hi"] == f"{col}_hi"
    # the other shares have no change columns: no layers for them
    assert "change_share_competence" not in {x["id"] for x in d["layers"]}


def test_unknown_bivariate_values_warn_and_draw_as_no_data(frames, tmp_path):
    oa, lsoa, ward = frames
    lsoa = lsoa.copy()
    lsoa.loc[lsoa.index[:3], "bivariate"] = "4-1"
    with pytest.warns(DataQualityWarning, match=r"'bivariate' of the lsoa frame has 1 value"):
        result = write_maps(tmp_path, oa, lsoa, ward, mode="shared", tiles=None, ward_pages=False)
    assert data_of(read(result["index"]))["lsoa"]["cls"]["bivariate"][:3] == [-1, -1, -1]


# ---- legend -----------------------------------------------------------------------------


def test_one_legend_per_layer_with_grey_no_data_swatch(index):
    sections = legend_sections(index)
    d = data_of(index)
    assert list(sections) == LAYERS
    visible = re.findall(r'<section data-layer="([^"]+)">', index)
    assert visible == ["resilience_score"]  # the others carry `hidden`
    for layer in d["layers"]:
        body = sections[layer["id"]]
        swatches = re.findall(r'class="rz-sw[^"]*" style="background:(#[0-9a-f]{6})"', body)
        assert swatches == [*layer["colors"], MISSING]
        assert "No data / suppressed" in body
        assert ("Predicted, not measured." in body) == (layer["id"] in OA_LAYERS)
    assert "branca" not in index and "d3.min.js" not in index


def test_numeric_legend_labels_show_rounded_ranges_and_words(index):
    body = legend_sections(index)["share_isolation"]
    labels = re.findall(r"<li><span class=\"rz-sw\"[^>]*></span><span>([^<]+)</span>", body)
    assert len(labels) == 5
    assert all(re.fullmatch(r"\d+(\.\d+)?% to \d+(\.\d+)?%", label) for label in labels)
    assert re.findall(r'<span class="rz-word">([^<]+)</span>', body) == [
        "very low", "low", "middling", "high", "very high",
    ]  # fmt: skip
    assert "fifths (quintiles) of the 694 output areas" in body
    score = legend_sections(index)["resilience_score"]
    assert re.search(r"<span>[−+]\d\.\d\d to [−+]\d\.\d\d</span>", score)


# ---- tooltips ---------------------------------------------------------------------------


def test_tooltip_fields_name_values_intervals_and_reasons(index):
    d = data_of(index)
    oa_fields = {f["key"]: f for f in d["fields"]["oa"]}
    assert set(oa_fields) == {
        "resilience_score",
        *share_columns(),
        CHANGE,
        *BANDS,
        "dominant_cluster",
        "estimate_level",
        "population",
    }
    for col in share_columns():
        assert oa_fields[col]["lo"] == f"{col}_lo" and oa_fields[col]["hi"] == f"{col}_hi"
        assert oa_fields[col]["layer"] == col and oa_fields[col]["fmt"] == "pct"
        assert len(d["oa"]["cols"][f"{col}_lo"]) == d["oa"]["n"]
    lsoa_fields = {f["key"]: f for f in d["fields"]["lsoa"]}
    for key in ("hard_index", "flag", "flag_confidence", "predicted_quintile", "gap"):
        assert key in lsoa_fields
    assert lsoa_fields["crime_rank"]["label"] == "Crime &lt;rank&gt; &amp; more"
    assert lsoa_fields["income_rate"]["label"] == "Income Score (rate)"
    reasons = d["lsoa"]["cols"]["flag_reason"]
    flagged = [i for i, c in enumerate(d["lsoa"]["cls"]["flag"]) if c != 1]
    assert flagged and all(reasons["idx"][i] >= 0 for i in flagged)
    assert reasons["dict"] == [
        "Income Score (rate) &amp; Crime &lt;rank&gt; pull the hard data apart"
    ]
    level = d["oa"]["cols"]["estimate_level"]
    assert sorted(level["dict"]) == sorted(["group", "subgroup", "supergroup", "suppressed"])
    assert d["lsoa"]["name"][0] == html.escape(AMP_NAME)
    assert len(d["oa"]["lsoa"]) == d["oa"]["n"] and min(d["oa"]["lsoa"]) >= 0


def test_script_describes_areas_with_names_codes_words_and_reasons():
    js = asset_files()["map.js"].decode("utf-8")
    for needle in (
        "Output area",
        "LSOA: ",
        "Ward: ",
        "rz-word",
        "Reason:",
        "No data / suppressed",
        "not measured.",
        'map.on("baselayerchange"'.replace("map.", "this.map."),
    ):
        assert needle in js


# ---- escaping ---------------------------------------------------------------------------


def test_names_from_data_are_escaped_everywhere(maps, frames):
    ward = frames[2]
    bad_code = ward.loc[ward["ward_name"] == SCRIPT_NAME, "ward_code"].item()
    for mode in MODES:
        result, _ = maps[mode]
        for path in [result["index"], *result["wards"].values()]:
            text = read(path)
            assert SCRIPT_NAME not in text, path
            assert "alert(1)</" not in text
            assert AMP_NAME not in text
        text = read(result["wards"][bad_code])
        assert f"<title>{html.escape(SCRIPT_NAME)} ({bad_code})" in text
        assert f"<summary>{html.escape(SCRIPT_NAME)} " in text
        assert html.escape(SCRIPT_NAME) in data_of(read(result["index"]))["ward"]["name"]


def test_title_is_escaped(frames, tmp_path):
    result = write_maps(
        tmp_path, *frames, mode="shared", tiles=None, title="<b>Bold</b> & co", ward_pages=False
    )
    text = read(result["index"])
    assert "<b>Bold</b>" not in text
    assert "<title>&lt;b&gt;Bold&lt;/b&gt; &amp; co</title>" in text


# ---- modes ------------------------------------------------------------------------------

REMOTE = re.compile(r"<(?:script|link)\b[^>]*\b(?:src|href)\s*=\s*[\"']?(?:https?:)?//", re.I)


def test_offline_pages_load_nothing_from_the_network(maps):
    result, _ = maps["offline"]
    for path in [result["index"], *result["wards"].values()]:
        text = read(path)
        assert not REMOTE.search(text), path
        assert "<script src" not in text and '<link rel="stylesheet"' not in text
        assert "L.tileLayer" not in text
        assert "url(images/" not in text  # Leaflet's images are inlined too
    text = read(result["index"])
    assert "Leaflet 1.9.3" in text or '"1.9.3"' in text  # Leaflet itself is in the file


@pytest.mark.parametrize("name", ["shared", "bare"])
def test_shared_pages_link_one_assets_folder_and_hold_only_their_data(maps, name):
    result, folder = maps[name]
    assert result["assets"] == folder / "assets"
    assert sorted(p.name for p in folder.iterdir()) == ["assets", "index.html", "wards"]
    assert not list(folder.glob("wards/**/assets"))  # one assets folder for every page
    for path in [result["index"], *result["wards"].values()]:
        text = read(path)
        up = "" if path == result["index"] else "../"
        assert re.findall(r'<script src="([^"]+)"', text) == [
            f"{up}assets/leaflet.js",
            f"{up}assets/map.js",
        ]
        assert re.findall(r'<link rel="stylesheet" href="([^"]+)"', text) == [
            f"{up}assets/leaflet.css",
            f"{up}assets/map.css",
        ]
        for link in re.findall(r'(?:src|href)="([^"]*assets/[^"]+)"', text):
            assert (path.parent / link).is_file(), link
        # the code is in the assets, not in the page
        assert "Leaflet 1.9.3" not in text and "ChoroplethLayer" not in text
        assert "jquery" not in text.lower() and "bootstrap" not in text.lower()
        assert not REMOTE.search(text), path
    assert (folder / "assets" / "images" / "layers.png").is_file()  # named by leaflet.css
    assert (folder / "assets" / "map.js").read_bytes() == asset_files()["map.js"]


def test_ward_pages_are_small(maps):
    result, _ = maps["shared"]
    sizes = sorted(result["bytes"][p] for p in result["wards"].values())
    # measured 70-92 KB (20-50 OAs each): data 62 KB, legend 19 KB (with the benchmark,
    # change and bivariate layers), page skeleton 9 KB
    assert sizes[0] > 55 * 1024 and sizes[-1] < 110 * 1024


def test_street_map_is_an_optional_layer_the_page_can_do_without(maps):
    text = read(maps["shared"][0]["index"])
    assert text.count("L.tileLayer(") == 1
    assert "https://tile.openstreetmap.org/{z}/{x}/{y}.png" in text
    assert "OpenStreetMap" in text and "referrerPolicy" in text
    overlays = re.search(r"overlays :\s*\{(.*?)\}", text, re.S).group(1)
    assert '"Street map"' in overlays  # a check box, not the base of the map
    # the page script drops the street map when its tiles fail
    assert re.search(r'\.streetMap\(tile_layer_\w+, "Street map"\)', text)
    js = asset_files()["map.js"].decode("utf-8")
    assert 'layer.on("tileerror"' in js and "(not available)" in js
    for name in ("bare", "offline"):
        other = read(maps[name][0]["index"])
        assert "L.tileLayer" not in other and "tile.openstreetmap.org" not in other


def test_tiles_none_means_no_street_map(frames, tmp_path):
    result = write_maps(tmp_path, *frames, tiles="none", ward_pages=False)
    assert "L.tileLayer" not in read(result["index"])
    assert data_of(read(result["index"]))["meta"]["fillOpacity"] == 0.9


def test_custom_tiles_need_an_attribution(frames, tmp_path):
    with pytest.raises(ConfigError, match="tiles_attribution"):
        write_maps(tmp_path, *frames, tiles="https://example.org/{z}/{x}/{y}.png")
    result = write_maps(
        tmp_path, *frames, tiles="https://example.org/{z}/{x}/{y}.png",
        tiles_attribution="© Example", ward_pages=False,
    )  # fmt: skip
    assert "https://example.org/{z}/{x}/{y}.png" in read(result["index"])


def test_unknown_mode_lists_the_choices_and_old_modes_name_their_replacement(frames, tmp_path):
    with pytest.raises(ConfigError, match="must be one of 'shared', 'offline'; got 'satellite'"):
        write_maps(tmp_path, *frames, mode="satellite")
    with pytest.raises(ConfigError, match=r"'tiles' is no longer offered: use mode = 'shared'"):
        write_maps(tmp_path, *frames, mode="tiles")
    with pytest.raises(ConfigError, match="use mode = 'shared' with tiles = 'none'"):
        write_maps(tmp_path, *frames, mode="tileless")
    assert not list(tmp_path.iterdir())  # nothing written


def test_attribution_and_prediction_note_are_visible(index):
    assert html.escape(ATTRIBUTION) in index
    assert data_of(index)["meta"]["attribution"] == html.escape(ATTRIBUTION)
    assert "addAttribution" in index
    panel = re.search(r'<div id="rz-panel".*?</div>', index, re.S).group(0)
    assert "predictions from survey data" in panel and "not measurements" in panel


# ---- ward pages and links ---------------------------------------------------------------


def test_links_between_maps_are_relative_and_resolve(maps, frames):
    result, folder = maps["offline"]
    d = data_of(read(result["index"]))
    assert d["meta"]["wardHref"] == "wards/{code}.html"
    for code in d["ward"]["code"]:
        assert (folder / d["meta"]["wardHref"].format(code=code)).is_file()
    for path in result["wards"].values():
        text = read(path)
        home = re.search(r'<a href="([^"]+)">← Map of all wards</a>', text).group(1)
        assert (path.parent / home).resolve() == result["index"].resolve()
        wd = data_of(text)
        assert wd["meta"]["wardHref"] == "{code}.html"
        for code in wd["ward"]["code"]:
            assert (path.parent / f"{code}.html").is_file()


def test_ward_page_draws_its_areas_and_compares_with_the_whole_area(maps, frames):
    oa, lsoa, ward = frames
    result, _ = maps["bare"]
    flagged = lsoa[lsoa["flag"] != "agree"]
    code = flagged["ward_code"].iloc[0]
    text = read(result["wards"][code])
    d = data_of(text)
    assert sorted(d["oa"]["code"]) == sorted(oa.loc[oa["ward_code"] == code, "oa_code"])
    assert set(lsoa.loc[lsoa["ward_code"] == code, "lsoa_code"]) <= set(d["lsoa"]["code"])
    assert d["ward"]["code"][d["ward"]["focus"]] == code
    assert len(d["ward"]["code"]) > 1  # neighbours for context
    assert [layer["id"] for layer in d["layers"]] == LAYERS
    assert legend_sections(text) == legend_sections(read(result["index"]))  # same classes
    row = ward.set_index("ward_code").loc[code]
    panel = re.search(r'<div id="rz-panel".*?</details></div>', text, re.S).group(0)
    rows = dict(re.findall(r"<tr><th>([^<]+)(?:<span.*?</span>)?</th><td>([^<]+)</td>", panel))
    assert rows["Isolation"] == format_value(row["share_isolation"], "pct", 0)
    assert rows["Resilience score"] == format_value(row["resilience_score"], "signed", 2)
    assert rows["Flagged LSOAs"] == str(int(row["n_flagged"]))
    for name in flagged.loc[flagged["ward_code"] == code, "lsoa_name"]:
        assert html.escape(name) in panel
    assert "Whole area" in panel and "of 20" in panel


def test_without_ward_pages_there_are_no_links(frames, tmp_path):
    result = write_maps(tmp_path, *frames, mode="offline", ward_pages=False)
    assert result["wards"] == {} and not (tmp_path / "wards").exists()
    assert data_of(read(result["index"]))["meta"]["wardHref"] is None


# ---- geometry ---------------------------------------------------------------------------


def test_geometry_is_coverage_simplified_and_rounded_to_5_decimals(frames):
    oa = frames[0]
    geom = prepare_geometry(oa, 5.0)
    before = shapely.get_num_coordinates(oa.geometry.values).sum()
    after = shapely.get_num_coordinates(geom.projected).sum()
    assert after < 0.9 * before
    assert bool(shapely.coverage_is_valid(geom.projected))  # neighbours still share edges
    union = shapely.union_all(geom.projected)
    assert abs(union.area - shapely.area(geom.projected).sum()) < 1.0  # no overlaps
    assert abs(union.area - shapely.union_all(oa.geometry.values).area) < 0.01 * union.area
    numbers = re.findall(r"-?\d+\.(\d+)", "".join(geom.geojson))
    assert numbers and max(len(n) for n in numbers) <= 5
    # label points (wards only) inside their areas; skipping them changes nothing else
    lon, lat = geom.label_xy.T
    points = gpd.GeoSeries(gpd.points_from_xy(lon, lat), crs=4326).to_crs(27700)
    assert shapely.contains_xy(geom.projected, points.x.to_numpy(), points.y.to_numpy()).all()
    bare = prepare_geometry(oa, 5.0, labels=False)
    assert np.isnan(bare.label_xy).all() and bare.label_xy.shape == (len(oa), 2)
    assert bare.geojson == geom.geojson and (bare.bounds == geom.bounds).all()


def test_simplify_zero_keeps_vertices_and_bad_tolerances_are_rejected(frames, tmp_path):
    oa = frames[0]
    geom = prepare_geometry(oa, 0.0)
    assert (
        shapely.get_num_coordinates(geom.projected).sum()
        == shapely.get_num_coordinates(oa.geometry.values).sum()
    )
    with pytest.raises(ConfigError, match="must be 0 or more"):
        write_maps(tmp_path, *frames, simplify=-1)
    with pytest.raises(ConfigError, match="unknown geographies 'msoa'"):
        write_maps(tmp_path, *frames, simplify={"msoa": 5})


def test_overlapping_boundaries_warn_and_still_map(frames, tmp_path):
    oa, lsoa, ward = frames
    ward = ward.copy()
    ward["geometry"] = ward.geometry.buffer(30)
    with pytest.warns(DataQualityWarning, match="ward boundaries overlap"):
        result = write_maps(tmp_path, oa, lsoa, ward, mode="shared", tiles=None, ward_pages=False)
    assert data_of(read(result["index"]))["ward"]["n"] == len(ward)


def test_other_crs_is_reprojected(frames, tmp_path):
    oa, lsoa, ward = (f.to_crs(4326) for f in frames)
    result = write_maps(tmp_path, oa, lsoa, ward, mode="shared", tiles=None, ward_pages=False)
    (s, w), (n, e) = data_of(read(result["index"]))["meta"]["bounds"]
    assert 51.3 < s < n < 51.7 and -0.6 < w < e < 0.0


# ---- input errors -----------------------------------------------------------------------


def test_missing_column_names_frame_and_column(frames, tmp_path):
    oa, lsoa, ward = frames
    with pytest.raises(InputDataError, match=r"lsoa frame has no column 'flag'"):
        write_maps(tmp_path, oa, lsoa.drop(columns="flag"), ward)


def test_unknown_flag_values_are_listed(frames, tmp_path):
    oa, lsoa, ward = frames
    lsoa = lsoa.copy()
    lsoa.loc[lsoa.index[:2], "flag"] = "maybe"
    with pytest.raises(InputDataError, match=r"holds 'maybe'; allowed values are 'hard_worse'"):
        write_maps(tmp_path, oa, lsoa, ward)


def test_unmatched_codes_are_an_error(frames, tmp_path):
    oa, lsoa, ward = frames
    with pytest.raises(CodeMatchError, match=r"1 OA-to-ward code\(s\).*'E05999999'"):
        oa = oa.copy()
        oa.loc[oa.index[0], "ward_code"] = "E05999999"
        write_maps(tmp_path, oa, lsoa, ward)


def test_ward_codes_must_be_safe_file_names(frames, tmp_path):
    oa, lsoa, ward = (f.copy() for f in frames)
    old = ward["ward_code"].iloc[0]
    for frame in (oa, lsoa, ward):
        frame.loc[frame["ward_code"] == old, "ward_code"] = "../evil"
    with pytest.raises(InputDataError, match=r"'\.\./evil'"):
        write_maps(tmp_path, oa, lsoa, ward)
    assert not list(tmp_path.rglob("*.html"))


def test_frames_without_crs_or_geometry_are_rejected(frames, tmp_path):
    oa, lsoa, ward = frames
    with pytest.raises(InputDataError, match="no coordinate reference system"):
        write_maps(tmp_path, oa.set_crs(None, allow_override=True), lsoa, ward)
    with pytest.raises(InputDataError, match="must be a GeoDataFrame"):
        write_maps(tmp_path, oa, lsoa, ward.drop(columns="geometry").copy())


def test_unknown_indicator_label_column(frames, tmp_path):
    with pytest.raises(ConfigError, match="indicator_labels names column"):
        write_maps(tmp_path, *frames, indicator_labels={"nope": "Nope"})


def test_frames_with_only_the_required_columns_still_map(frames, tmp_path):
    oa, lsoa, ward = frames
    oa = oa[["oa_code", "lsoa_code", "ward_code", *share_columns(), "resilience_score", "geometry"]]
    lsoa = lsoa[["lsoa_code", "lsoa_name", "ward_code", "hard_index", "flag", "geometry"]]
    ward = ward[["ward_code", "ward_name", "geometry"]]
    result = write_maps(tmp_path, oa, lsoa, ward, mode="offline")
    d = data_of(read(result["index"]))
    assert [f["key"] for f in d["fields"]["lsoa"]] == ["hard_index", "flag"]
    assert "lo" not in d["fields"]["oa"][1]
    page = read(next(iter(result["wards"].values())))
    assert "gives no figures" in page and '<table class="rz-figures"' not in page


def test_all_missing_layer_is_grey_with_a_legend_saying_so(frames, tmp_path):
    oa, lsoa, ward = frames
    oa = oa.copy()
    oa["share_competence"] = np.nan
    result = write_maps(tmp_path, oa, lsoa, ward, mode="shared", tiles=None, ward_pages=False)
    text = read(result["index"])
    assert set(data_of(text)["oa"]["cls"]["share_competence"]) == {-1}
    body = legend_sections(text)["share_competence"]
    assert "No values for any of the output areas." in body and "No data / suppressed" in body


def test_gap_cluster_is_optional_and_many_categories_drop_the_layer(frames, tmp_path):
    oa, lsoa, ward = frames
    result = write_maps(tmp_path / "a", oa, lsoa.drop(columns="gap_cluster"), ward,
                        mode="shared", tiles=None, ward_pages=False)  # fmt: skip
    assert "gap_cluster" not in [x["id"] for x in data_of(read(result["index"]))["layers"]]
    many = lsoa.copy()
    many["gap_cluster"] = [f"c{i % 12}" for i in range(len(many))]
    with pytest.warns(DataQualityWarning, match="12 distinct values"):
        result = write_maps(
            tmp_path / "b", oa, many, ward, mode="shared", tiles=None, ward_pages=False
        )
    assert "gap_cluster" not in [x["id"] for x in data_of(read(result["index"]))["layers"]]


# ---- classes ----------------------------------------------------------------------------


def test_quantile_classes_round_breaks_and_merge_ties():
    c = quantile_classes(np.linspace(0, 1, 101), kind="pct", palette="viridis", what="areas")
    assert c.breaks == (0.2, 0.4, 0.6, 0.8) and c.decimals == 0
    assert c.colors == ("#440154", "#3b528b", "#21918c", "#5ec962", "#fde725")
    ties = np.array([0.1] * 50 + [0.2] * 50)
    t = quantile_classes(ties, kind="pct", palette="YlGnBu", what="areas")
    assert t.labels == ("10% to 20%", "20% to 20%") and t.words == ("lower", "higher")
    assert t.method.startswith("2 quantile classes") and "ties merged" in t.method
    fine = quantile_classes(np.linspace(0.1, 0.104, 50), kind="pct", palette="RdPu", what="a")
    assert fine.decimals == 2 and len(fine.labels) == 5


def test_format_value_and_categories():
    assert format_value(-0.004, "signed", 2) == "0.00"
    assert format_value(0.125, "pct", 1) == "12.5%"
    c = category_classes(["x", "y"], ["X", "Y"], ["#000000", "#ffffff"], "Two.")
    assert c.assign(np.array(["y", "z", None], dtype=object)).tolist() == [1, -1, -1]


def test_writer_is_quiet_on_clean_input(frames, tmp_path):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        write_maps(tmp_path, *frames, mode="offline", ward_pages=False)


def test_a_notice_explains_a_shared_page_copied_away_from_its_assets(maps):
    text = read(maps["shared"][0]["index"])
    assert 'id="rz-noleaflet"' in text and "--map-mode offline" in text
    assert "next to <code>assets</code>" in text
    # the page removes the notice once Leaflet is there
    assert 'if (window.L) { document.getElementById("rz-noleaflet").remove(); }' in text
    # an offline page carries Leaflet itself: nothing to explain
    assert "rz-noleaflet" not in read(maps["offline"][0]["index"])


# ---- worker processes -------------------------------------------------------------------


def _tree(folder):
    return {
        p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()
    }


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="workers are forked on Linux")
def test_ward_pages_written_by_workers_are_byte_identical(frames, tmp_path, caplog):
    one = write_maps(tmp_path / "one", *frames, workers=1)
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="resilience"):
        two = write_maps(tmp_path / "two", *frames, workers=2)
    a, b = _tree(tmp_path / "one"), _tree(tmp_path / "two")
    assert len(a) == 1 + 20 + 7 and a.keys() == b.keys()
    assert [k for k in a if a[k] != b[k]] == []
    assert {p.name: n for p, n in one["bytes"].items()} == {
        p.name: n for p, n in two["bytes"].items()
    }
    # the log lists the pages in ward order, as the sequential writer does
    logged = [
        r.getMessage().split(":")[0].strip() for r in caplog.records if r.name == "resilience"
    ]
    assert logged[:2] == ["maps/assets/", "maps/index.html"] and logged[2:] == [
        f"maps/wards/{c}.html" for c in frames[2]["ward_code"]
    ]


def test_workers_start_from_a_threshold_and_are_checked(monkeypatch):
    from resilience import _fork
    from resilience.maps import _write

    assert _write._workers(None, _write.PARALLEL_MIN_PAGES - 1) == 1
    assert _write._workers(1, 5000) == 1
    monkeypatch.setattr(_fork.os, "sched_getaffinity", lambda pid: {0, 1}, raising=False)
    monkeypatch.setattr(_fork.sys, "platform", "linux")
    assert _write._workers(None, 630) == 2
    monkeypatch.setattr(_fork.os, "sched_getaffinity", lambda pid: set(range(64)), raising=False)
    assert _write._workers(None, 630) == _write.MAX_WORKERS == 4
    monkeypatch.setattr(_fork, "_ALONE", True)  # a worker of a run over many authorities
    assert _write._workers(None, 630) == 1
    monkeypatch.setattr(_fork, "_ALONE", False)
    monkeypatch.setattr(_fork.sys, "platform", "win32")
    assert _write._workers(None, 630) == 1 and _write._workers(3, 630) == 1
    for bad in (0, -2, 1.5, True):
        with pytest.raises(ConfigError, match="workers must be a whole number of at least 1"):
            _write._workers(bad, 630)


# ---- ranks ------------------------------------------------------------------------------


def _panel_rows(text):
    panel = re.search(r'<div id="rz-panel".*?</details></div>', text, re.S).group(0)
    return dict(re.findall(r"<tr><th>([^<]+)(?:<span.*?</span>)?</th><td>.*?</td><td>.*?</td>"
                           r"<td>(.*?)</td></tr>", panel))  # fmt: skip


def test_ward_ranks_put_the_most_need_first_and_say_so(maps, frames):
    ward = frames[2]
    result, _ = maps["shared"]
    n = len(ward)
    for _, row in ward.iterrows():
        rows = _panel_rows(read(result["wards"][row["ward_code"]]))
        lower = int((ward["resilience_score"] < row["resilience_score"]).sum())
        assert rows["Resilience score"] == (
            f'{lower + 1} of {n}<br><span class="rz-small">1 = least resilient</span>'
        )
        higher = int((ward["hard_index"] > row["hard_index"]).sum())
        assert rows["Hard-data need index"] == (
            f'{higher + 1} of {n}<br><span class="rz-small">1 = most need</span>'
        )
        # asset cluster: 1 = lowest share; vulnerability cluster: 1 = highest share
        low = int((ward["share_competence"] < row["share_competence"]).sum())
        assert (
            rows["Competence"]
            == f'{low + 1} of {n}<br><span class="rz-small">1 = lowest share</span>'
        )
        high = int((ward["share_isolation"] > row["share_isolation"]).sum())
        assert rows["Isolation"] == (
            f'{high + 1} of {n}<br><span class="rz-small">1 = highest share</span>'
        )
        assert rows["Population"] == ""  # counts are not ranked
    text = read(next(iter(result["wards"].values())))
    assert (
        "Rank<br><span class='rz-small'>1 = most need</span>" in text
        and "Rank among the 20 wards: 1 = most need" in text
    )


# ---- wards without output areas ---------------------------------------------------------


@pytest.fixture(scope="module")
def empty_ward(frames, tmp_path_factory):
    """Maps of the borough with one ward that has no OAs (and so no LSOAs and no figures)."""
    code, oa, lsoa, ward = without_oas(frames)
    folder = tmp_path_factory.mktemp("maps_empty_ward")
    return code, write_maps(folder, oa, lsoa, ward, indicator_labels=INDICATORS)


def test_a_ward_without_output_areas_is_drawn_as_no_data(empty_ward, frames):
    code, result = empty_ward
    d = data_of(read(result["index"]))
    assert [d["ward"]["code"][i] for i in d["ward"]["nodata"]] == [code]
    assert d["ward"]["n"] == len(frames[2])  # kept in the ward layer
    for path in result["wards"].values():
        w = data_of(read(path))["ward"]
        assert [w["code"][i] for i in w["nodata"]] == ([code] if code in w["code"] else [])
    own = data_of(read(result["wards"][code]))
    assert own["oa"]["n"] == 0 and own["ward"]["nodata"] == [own["ward"]["focus"]]
    js = asset_files()["map.js"].decode("utf-8")
    assert "fillColor: this.meta.missing" in js and "d.nodata" in js


def test_the_panel_of_a_ward_without_output_areas_says_no_data(empty_ward):
    from resilience.maps._panels import NO_AREAS

    code, result = empty_ward
    text = read(result["wards"][code])
    assert NO_AREAS in text
    rows = _panel_rows(text)
    assert rows["Resilience score"].startswith("no rank<br>")
    assert text.count('<span class="rz-nodata">no data</span>') >= 8  # every ward figure
    other = read(next(p for c, p in result["wards"].items() if c != code))
    assert NO_AREAS not in other and "no rank" not in other


def test_the_gap_cluster_legend_says_whether_disagreement_clusters(tmp_path):
    """The global Moran's I of the gap, in words, beside the local clusters."""
    from resilience.maps import write_maps
    from resilience.outputs.save import clustering_sentence

    oa, lsoa, ward = map_frames()
    sentence = clustering_sentence({"moran_i": 0.04, "p_value": 0.21, "significant": False})
    assert sentence.startswith("Disagreement does not cluster overall")
    write_maps(tmp_path, oa, lsoa, ward, mode="offline", ward_pages=False, clustering=sentence)
    page = (tmp_path / "index.html").read_text(encoding="utf-8")
    assert "Disagreement does not cluster overall (global Moran" in page
    assert clustering_sentence({"moran_i": 0.3, "p_value": 0.001, "significant": True}) == (
        "Disagreement clusters in space (global Moran's I 0.30, p = 0.00)."
    )
    assert clustering_sentence(None) is None
