"""The council's own evidence on the HTML maps: asset points, reviewed LSOAs and the areas
where the resident survey disagrees with the prediction (page data and legend)."""

from __future__ import annotations

import html
import json
import re

import geopandas as gpd
import numpy as np
import pytest
from map_frames import (
    ASSET_CATEGORIES,
    REVIEWED,
    local_evidence,
    map_frames,
    write_local_maps,
)

from resilience.errors import CodeMatchError, ConfigError, DataQualityWarning, InputDataError
from resilience.maps import write_maps
from resilience.maps._local import NEAR_METRES, REVIEW_STYLE
from resilience.outputs.qml import asset_colours
from resilience.schema import REVIEW_OUTCOME_LABELS, SURVEY_DISAGREEMENT_LABELS

DATA_RE = re.compile(r'<script type="application/json" id="rz-data">(.*?)</script>', re.S)
LOCAL_RE = re.compile(r'<div id="rz-local".*?</details></div>', re.S)


def data_of(path) -> dict:
    return json.loads(DATA_RE.search(path.read_text(encoding="utf-8")).group(1))


def local_box(path) -> str:
    found = LOCAL_RE.search(path.read_text(encoding="utf-8"))
    return found.group(0) if found else ""


@pytest.fixture(scope="module")
def frames():
    return map_frames(seed=0)


@pytest.fixture(scope="module")
def evidence(frames):
    return local_evidence(frames)


@pytest.fixture(scope="module")
def local_maps(frames, evidence, tmp_path_factory):
    folder = tmp_path_factory.mktemp("maps_local")
    return write_local_maps(folder, frames, evidence)


def test_pages_without_local_evidence_carry_none(frames, tmp_path):
    result = write_maps(tmp_path, *frames, tiles=None)
    for path in [result["index"], *result["wards"].values()]:
        assert "local" not in data_of(path)
        assert local_box(path) == "" and "rz-local" not in path.read_text(encoding="utf-8")


def test_the_borough_map_carries_every_asset_in_its_category_colour(local_maps, evidence):
    lsoa, assets, _ = evidence
    a = data_of(local_maps["index"])["local"]["assets"]
    assert a["n"] == len(assets) == 2 * len(lsoa)
    colours = asset_colours(ASSET_CATEGORIES)
    assert [html.unescape(c["name"]) for c in a["cats"]] == list(colours)  # sorted
    assert [c["color"] for c in a["cats"]] == list(colours.values())
    assert [c["key"] for c in a["cats"]] == ["assets-0", "assets-1", "assets-2"]
    assert not any(c["ring"] for c in a["cats"])
    names = [html.unescape(a["cats"][k]["name"]) for k in a["cat"]]
    assert names == assets["category"].tolist()
    assert [c["n"] for c in a["cats"]] == [names.count(n) for n in colours]
    # WGS 84 to 5 decimals (about 1 m), latitude first as Leaflet wants
    ll = assets.to_crs(4326)
    np.testing.assert_allclose(np.array(a["ll"]), np.c_[ll.geometry.y, ll.geometry.x], atol=6e-6)
    assert a["name"][0] is None and a["name"][1] == "Asset 2"  # blank names are None
    sized = assets["size"].notna().to_numpy()
    assert [a["size"][i] for i in np.flatnonzero(sized)] == assets.loc[sized, "size"].tolist()
    assert all(a["size"][i] is None for i in np.flatnonzero(~sized))
    codes = data_of(local_maps["index"])["lsoa"]["code"]
    assert [codes[i] for i in a["lsoa"]] == assets["lsoa_code"].tolist()
    # the category name with markup is escaped in the data and the legend
    assert "Hall &lt;b&gt;&amp; café&lt;/b&gt;" in local_box(local_maps["index"])


def test_a_ward_map_carries_the_assets_in_the_ward_or_within_400_m(local_maps, evidence, frames):
    _, assets, _ = evidence
    ward = frames[2].set_index("ward_code")
    checked = 0
    for code, path in local_maps["wards"].items():
        near = assets.distance(ward.loc[code, "geometry"]) <= NEAR_METRES
        doc = data_of(path)
        if not near.any():
            assert "assets" not in doc.get("local", {})
            continue
        a = doc["local"]["assets"]
        assert a["n"] == int(near.sum()) and a["near"] is True
        got = sorted(tuple(p) for p in a["ll"])
        ll = assets[near].to_crs(4326).geometry
        assert got == sorted(zip(np.round(ll.y, 5), np.round(ll.x, 5), strict=True))
        # a category keeps its colour and key on every page
        board = {html.unescape(c["name"]): (c["key"], c["color"]) for c in a["cats"]}
        colours = asset_colours(ASSET_CATEGORIES)
        keys = {n: f"assets-{i}" for i, n in enumerate(colours)}
        assert board == {n: (keys[n], colours[n]) for n in board}
        assert f"{a['n']:,} from the council's lists, in the ward or within 400 m" in (
            local_box(path)
        )
        checked += 1
    assert checked == len(local_maps["wards"])  # every ward has assets near it here


def test_reviewed_lsoas_are_marked_with_their_outcome_and_date(local_maps, evidence):
    lsoa, _, _ = evidence
    reviewed = lsoa[lsoa["review_outcome"].notna()]
    doc = data_of(local_maps["index"])
    r = doc["local"]["reviews"]
    assert [doc["lsoa"]["code"][i] for i in r["lsoa"]] == reviewed["lsoa_code"].tolist()
    assert [r["outcomes"][k]["value"] for k in r["outcome"]] == reviewed["review_outcome"].tolist()
    assert sorted(reviewed["review_outcome"]) == sorted(REVIEWED)
    assert r["date"] == reviewed["last_review"].tolist()
    assert [(o["value"], o["color"], o["dash"], o["n"]) for o in r["outcomes"]] == [
        ("confirmed", REVIEW_STYLE["confirmed"][0], None, 1),
        ("explained", REVIEW_STYLE["explained"][0], "8 5", 2),
        ("not_confirmed", REVIEW_STYLE["not_confirmed"][0], "2 5", 1),
    ]
    box = local_box(local_maps["index"])
    for outcome, n in (("confirmed", 1), ("explained", 2), ("not_confirmed", 1)):
        label = html.escape(REVIEW_OUTCOME_LABELS[outcome])
        assert f'<span>{label}</span><span class="rz-word">{n}</span>' in box
    # a ward map marks the reviewed LSOAs it draws, and only those
    for path in local_maps["wards"].values():
        d = data_of(path)
        codes = set(d["lsoa"]["code"]) & set(reviewed["lsoa_code"])
        got = d.get("local", {}).get("reviews")
        assert (sorted(d["lsoa"]["code"][i] for i in got["lsoa"]) if got else []) == sorted(codes)
        assert ("Reviewed LSOAs" in local_box(path)) == bool(codes)


def test_only_the_areas_where_the_survey_disagrees_are_drawn(local_maps, evidence, frames):
    _, _, validation = evidence
    ward = frames[2]
    doc = data_of(local_maps["index"])
    s = doc["local"]["survey"]
    assert s["area"] == "ward"
    assert [(m["name"], m["key"], m["n"]) for m in s["measures"]] == [
        ("pull_together", "survey-0", 2),
        ("lonely", "survey-1", 1),
    ]
    assert s["measures"][1]["tracks"] == "Isolation (predicted share), inverse"
    disagree = validation[validation["disagreement"] != "within sampling error"]
    assert [doc["ward"]["code"][i] for i in s["i"]] == disagree["area_code"].tolist()
    assert [s["dirs"][d]["value"] for d in s["d"]] == disagree["disagreement"].tolist()
    assert s["s"] == disagree["survey_share"].round(4).tolist()
    assert s["e"] == [0.45] * 3 and s["resp"] == disagree["respondents"].tolist()
    assert [d["label"] for d in s["dirs"]] == [
        SURVEY_DISAGREEMENT_LABELS["survey higher"],
        SURVEY_DISAGREEMENT_LABELS["survey lower"],
    ]
    box = local_box(local_maps["index"])
    assert "Resident survey against the prediction" in box and "2 wards" in box and "1 ward<" in box
    # a ward map shows the disagreements among the wards it draws
    first = ward["ward_code"].iloc[0]
    d = data_of(local_maps["wards"][first])
    assert [d["ward"]["code"][i] for i in d["local"]["survey"]["i"]] == [first, first]
    for code, path in local_maps["wards"].items():
        d = data_of(path)
        shown = {d["ward"]["code"][i] for i in d.get("local", {}).get("survey", {}).get("i", [])}
        assert shown == set(d["ward"]["code"]) & set(disagree["area_code"]), code


def test_a_survey_with_no_disagreement_and_no_reviews_adds_no_layer(frames, evidence, tmp_path):
    _, assets, validation = evidence
    calm = validation.assign(disagreement="within sampling error")
    result = write_maps(tmp_path, *frames, tiles=None, ward_pages=False, validation=calm)
    assert "local" not in data_of(result["index"])  # the frames have no review columns
    result = write_maps(tmp_path / "a", *frames, tiles=None, ward_pages=False, assets=assets)
    assert set(data_of(result["index"])["local"]) == {"assets"}


def test_lsoa_level_survey_draws_markers_inside_the_lsoas(frames, evidence, tmp_path):
    lsoa = frames[1]
    _, _, validation = evidence
    table = validation.iloc[:4].assign(area_code=lsoa["lsoa_code"].iloc[:4].to_numpy())
    table.loc[1, "disagreement"] = "survey higher"  # rows 0 and 2 disagree already
    result = write_maps(tmp_path, *frames, tiles=None, ward_pages=False, validation=table,
                        validation_area="lsoa")  # fmt: skip
    doc = data_of(result["index"])
    s = doc["local"]["survey"]
    assert [doc["lsoa"]["code"][i] for i in s["i"]] == lsoa["lsoa_code"].iloc[:3].tolist()
    assert s["words"] == ["LSOA", "LSOAs"]
    points = gpd.GeoSeries.from_xy([p[1] for p in s["ll"]], [p[0] for p in s["ll"]], crs=4326)
    inside = points.to_crs(lsoa.crs).within(lsoa.geometry.iloc[:3].buffer(2), align=False)
    assert inside.all()


def test_many_asset_categories_become_rings_then_warn(frames, evidence, tmp_path):
    _, assets, _ = evidence
    many = assets.assign(category=[f"Kind {i:02d}" for i in range(len(assets))])
    with pytest.warns(DataQualityWarning, match=r"have 280 categories; the maps tell 18 apart"):
        result = write_maps(tmp_path, *frames, tiles=None, ward_pages=False, assets=many)
    cats = data_of(result["index"])["local"]["assets"]["cats"]
    assert [c["ring"] for c in cats[:20]] == [False] * 9 + [True] * 9 + [False] * 2


def test_local_evidence_errors_name_the_problem(frames, evidence, tmp_path):
    oa, _, ward = frames
    reviewed, assets, validation = evidence
    with pytest.raises(InputDataError, match="assets frame has no column 'category'"):
        write_maps(tmp_path, *frames, assets=assets.drop(columns="category"))
    with pytest.raises(InputDataError, match=r"1 row\(s\) of the assets frame are not points"):
        bad = assets.copy()
        bad.loc[3, "geometry"] = bad.geometry.iloc[3].buffer(5)
        write_maps(tmp_path, *frames, assets=bad)
    with pytest.raises(InputDataError, match="must be a GeoDataFrame of points"):
        write_maps(tmp_path, *frames, assets=assets.drop(columns="geometry").to_dict())
    with pytest.raises(CodeMatchError, match="validation_area='lsoa' if it is by that area"):
        write_maps(tmp_path, *frames, validation=validation.assign(area_code="E05999999"))
    with pytest.raises(InputDataError, match="'disagreement' of the validation table holds 'odd'"):
        write_maps(tmp_path, *frames, validation=validation.assign(disagreement="odd"))
    with pytest.raises(InputDataError, match="validation table has no column 'expected_share'"):
        write_maps(tmp_path, *frames, validation=validation.drop(columns="expected_share"))
    with pytest.raises(ConfigError, match="validation_area must be 'ward' or 'lsoa'"):
        write_maps(tmp_path, *frames, validation=validation, validation_area="msoa")
    odd = reviewed.assign(review_outcome=reviewed["review_outcome"].replace("explained", "fine"))
    with pytest.raises(InputDataError, match="'review_outcome' of the lsoa frame holds 'fine'"):
        write_maps(tmp_path, oa, odd, ward)


def test_asset_and_review_columns_are_not_taken_for_hard_indicators(frames, evidence, tmp_path):
    oa, _, ward = frames
    lsoa = evidence[0].assign(assets_total=2, assets_library=1, assets_per_1000=0.5)
    result = write_maps(tmp_path, oa, lsoa, ward, tiles=None, ward_pages=False)
    fields = {f["key"]: f for f in data_of(result["index"])["fields"]["lsoa"]}
    assert "assets_library" not in fields and "last_review" not in fields
    assert fields["assets_total"]["label"] == "Community assets" and fields["assets_total"]["more"]
    assert {"income_rate", "crime_rank"} <= set(fields)  # still found by default


def test_pages_with_local_evidence_stay_small(local_maps):
    sizes = sorted(local_maps["bytes"][p] for p in local_maps["wards"].values())
    # measured 73-96 KB with their assets, reviews and survey markers (70-92 KB without);
    # the borough map 634 KB with its 280 assets (618 KB without)
    assert sizes[-1] < 110 * 1024
    assert local_maps["bytes"][local_maps["index"]] < 700 * 1024


def test_the_ward_panel_says_which_flagged_lsoas_were_reviewed(local_maps, evidence):
    lsoa, _, _ = evidence
    flagged = lsoa[(lsoa["flag"] != "agree") & lsoa["review_outcome"].notna()]
    assert len(flagged) == 3
    for _, row in flagged.iterrows():
        text = local_maps["wards"][row["ward_code"]].read_text(encoding="utf-8")
        panel = text[text.index('<div id="rz-panel"') : text.index('<div id="rz-legend"')]
        label = html.escape(REVIEW_OUTCOME_LABELS[row["review_outcome"]])
        item = panel[panel.index(row["lsoa_code"]) :].split("</li>")[0]
        assert f"Reviewed {row['last_review']}: {label}" in item


def test_workers_write_the_same_pages_with_the_evidence(local_maps, frames, evidence, tmp_path):
    two = write_local_maps(tmp_path, frames, evidence, workers=2)
    for code, path in local_maps["wards"].items():
        assert two["wards"][code].read_bytes() == path.read_bytes(), code
    assert two["index"].read_bytes() == local_maps["index"].read_bytes()
