"""The ONS downloader against a stand-in ArcGIS server on 127.0.0.1 (no internet needed)."""

from __future__ import annotations

import argparse
import hashlib
import json
import socket
import tomllib

import geopandas as gpd
import pandas as pd
import pyogrio
import pytest
import shapely
from arcgis_stand_in import Layer, StandIn, fixture

from resilience.download import (
    ArcGISClient,
    DownloadError,
    Service,
    ServiceNotFoundError,
    add_parser,
    download_boundaries,
    resolve_services,
    run,
)
from resilience.download._geometry import check_coordinates, esri_polygon
from resilience.errors import ConfigError, OutputExistsError
from resilience.synthetic import make_borough

LOOKUP = "OA21_WD24_LAD24_EW_LU_v2"
LSOA = "Lower_layer_Super_Output_Areas_2021_EW_BGC_V3"
LOOKUP_FIELDS = ["OA21CD", "WD24CD", "WD24NM", "LAD24CD"]


@pytest.fixture
def stand_in():
    with StandIn() as server:
        yield server


def make_client(server: StandIn, **kw) -> ArcGISClient:
    opts = {"delay": 0, "backoff": 0, "retries": 2, "page_size": 2} | kw
    return ArcGISClient(server.base_url, **opts)


def record_lookup(server: StandIn, count: dict | None = None) -> None:
    """The recorded three-page lookup query (offsets 0, 2, 3; page size 2)."""
    server.reply(LOOKUP, "info", fixture("layer_lookup.json"))
    server.reply(LOOKUP, "query", count or fixture("count.json"), match={"returnCountOnly": "true"})
    for offset, name in (("0", "page1"), ("2", "page2"), ("3", "page3")):
        server.reply(
            LOOKUP, "query", fixture(f"lookup_{name}.json"), match={"resultOffset": offset}
        )


# --------------------------------------------------------------------------- paging


def test_layer_info_reads_recorded_metadata(stand_in):
    stand_in.reply(LOOKUP, "info", fixture("layer_lookup.json"))
    info = make_client(stand_in).layer_info(LOOKUP)
    assert info.max_record_count == 2000
    assert info.object_id_field == "ObjectId"
    assert info.supports_pagination is True
    assert {"OA21CD", "WD24CD", "LAD24CD"} <= set(info.fields)
    assert info.url == f"{stand_in.base_url}{LOOKUP}/FeatureServer/0"


def test_multi_page_fetch_follows_exceeded_transfer_limit(stand_in):
    record_lookup(stand_in)
    client = make_client(stand_in)
    frame = client.query_all(
        LOOKUP, "LAD24CD IN ('E09000040')", LOOKUP_FIELDS, geometry=False, unique="OA21CD"
    )
    assert frame.columns.tolist() == LOOKUP_FIELDS
    assert frame["OA21CD"].tolist() == [f"E0017000{i}" for i in range(1, 6)]
    assert frame["OA21CD"].is_unique
    queries = stand_in.queries(LOOKUP)
    # The short page (1 row, flag still true) is followed from offset 3, and the last page,
    # with the flag false, ends the loop.
    assert [q.params["resultOffset"] for q in queries] == ["0", "2", "3"]
    assert all(q.params["orderByFields"] == "ObjectId" for q in queries)
    assert all(q.params["resultRecordCount"] == "2" for q in queries)
    assert all(q.params["outFields"].split(",")[0] == "ObjectId" for q in queries)
    assert all(q.params["where"] == "LAD24CD IN ('E09000040')" for q in queries)
    assert all(q.user_agent.startswith("resilience/") for q in stand_in.requests)


def test_object_id_is_kept_and_ordered_when_asked_for(stand_in):
    record_lookup(stand_in)
    frame = make_client(stand_in).query_all(LOOKUP, "1=1", ["ObjectId", "OA21CD"], geometry=False)
    assert frame["ObjectId"].tolist() == [101, 102, 103, 104, 105]


def test_empty_page_with_flag_set_is_followed(stand_in):
    page = fixture("lookup_page1.json")
    stand_in.reply(LOOKUP, "info", fixture("layer_lookup.json"))
    stand_in.reply(LOOKUP, "query", {"count": 3}, match={"returnCountOnly": "true"})
    stand_in.reply(LOOKUP, "query", page, match={"resultOffset": "0"})
    empty = {**page, "features": [], "exceededTransferLimit": True}
    stand_in.reply(LOOKUP, "query", empty, match={"resultOffset": "2"})
    last = {**fixture("lookup_page3.json")}
    last["features"] = last["features"][:1]
    stand_in.reply(LOOKUP, "query", last, match={"resultOffset": "4"})
    frame = make_client(stand_in).query_all(LOOKUP, "1=1", LOOKUP_FIELDS, geometry=False)
    assert frame["OA21CD"].tolist() == ["E00170001", "E00170002", "E00170004"]
    assert [q.params["resultOffset"] for q in stand_in.queries()] == ["0", "2", "4"]


def test_a_server_that_never_clears_the_flag_is_stopped(stand_in):
    stand_in.reply(LOOKUP, "info", fixture("layer_lookup.json"))
    stand_in.reply(LOOKUP, "query", fixture("count.json"), match={"returnCountOnly": "true"})
    stand_in.reply(LOOKUP, "query", fixture("lookup_page1.json"))  # every page, flag true
    with pytest.raises(DownloadError, match=r"still says more features remain at offset 8"):
        make_client(stand_in).query_all(LOOKUP, "1=1", LOOKUP_FIELDS, geometry=False)
    assert [q.params["resultOffset"] for q in stand_in.queries()] == ["0", "2", "4", "6"]


def test_geojson_pages_are_read_in_wgs84(stand_in):
    stand_in.reply(LSOA, "info", fixture("layer_lsoa.json"))
    stand_in.reply(LSOA, "query", {"count": 4}, match={"returnCountOnly": "true"})
    stand_in.reply(LSOA, "query", fixture("lsoa_geojson_page1.json"), match={"resultOffset": "0"})
    stand_in.reply(LSOA, "query", fixture("lsoa_geojson_page2.json"), match={"resultOffset": "3"})
    client = make_client(stand_in, page_size=3)
    gdf = client.query_all(LSOA, "1=1", ["LSOA21CD", "LSOA21NM"], out_sr=4326)
    assert isinstance(gdf, gpd.GeoDataFrame)
    assert gdf.crs.to_epsg() == 4326
    assert gdf["LSOA21CD"].tolist() == ["E01040001", "E01040002", "E01040003", "E01040004"]
    assert gdf.geometry.geom_type.eq("Polygon").all()
    xmin, ymin, xmax, ymax = gdf.total_bounds
    assert -0.42 < xmin < xmax < -0.40 and 51.46 < ymin < ymax < 51.48
    # ~97 m x 100 m squares once in British National Grid
    area = gdf.to_crs(27700).area
    assert area.between(9000, 10500).all()
    assert all(
        q.params["f"] == "geojson" and q.params["outSR"] == "4326" for q in stand_in.queries()
    )


def test_pagination_unsupported_falls_back_to_object_id_ranges(stand_in):
    rows = [{"CODE": f"E01{i:06d}"} for i in range(8)]
    stand_in.add_layer("Old_Table", Layer(rows, supports_pagination=False, max_record_count=3))
    client = make_client(stand_in, page_size=10)
    frame = client.query_all("Old_Table", "1=1", ["CODE"], geometry=False, unique="CODE")
    assert frame["CODE"].tolist() == [r["CODE"] for r in rows]
    assert any(r.params.get("returnIdsOnly") == "true" for r in stand_in.requests)
    queries = stand_in.queries("Old_Table")
    assert len(queries) == 3  # ObjectIDs 1-3, 4-6, 7-8
    assert not any("resultOffset" in q.params for q in queries)
    assert queries[1].params["where"] == "(1=1) AND FID >= 4 AND FID <= 6"


def test_long_where_clause_is_posted(stand_in):
    codes = [f"E00{i:06d}" for i in range(300)]
    stand_in.add_layer("Big", Layer([{"OA21CD": c} for c in codes]))
    client = make_client(stand_in, page_size=2000)
    where = "OA21CD IN (" + ",".join(f"'{c}'" for c in codes[:250]) + ")"
    frame = client.query_all("Big", where, ["OA21CD"], geometry=False)
    assert frame["OA21CD"].tolist() == codes[:250]
    methods = {q.method for q in stand_in.queries("Big")}
    assert methods == {"POST"}
    assert client.query_url("Big", where, ["OA21CD"], geometry=False).startswith(
        f"{stand_in.base_url}Big/FeatureServer/0/query?where=OA21CD+IN"
    )


def test_field_names_match_case_insensitively_and_missing_fields_are_named(stand_in):
    stand_in.add_layer("Lower", Layer([{"oa21cd": "E00000001", "lsoa21cd": "E01000001"}]))
    client = make_client(stand_in)
    frame = client.query_all("Lower", "1=1", ["OA21CD"], geometry=False)
    assert frame.columns.tolist() == ["oa21cd"]
    with pytest.raises(DownloadError, match=r"no field\(s\) 'WD24CD'.*fields are 'FID', 'oa21cd'"):
        client.query_all("Lower", "1=1", ["OA21CD", "WD24CD"], geometry=False)


# ------------------------------------------------------------------- errors, retries


def test_error_body_with_http_200_raises_with_its_message(stand_in):
    stand_in.reply(LOOKUP, "info", fixture("layer_lookup.json"))
    stand_in.reply(LOOKUP, "query", fixture("error_invalid_query.json"))
    with pytest.raises(
        DownloadError,
        match=r"ArcGIS error 400 from service 'OA21_WD24_LAD24_EW_LU_v2': Cannot perform "
        r"query\. Invalid query parameters\. 'where' parameter is invalid",
    ):
        make_client(stand_in).count(LOOKUP, "LAD24CD = ")


def test_missing_service_explains_renaming_and_suggests_names(stand_in):
    client = make_client(stand_in)
    with pytest.raises(ServiceNotFoundError, match="renames services") as info:
        client.layer_info("Wards_December_2024_Boundaries_UK_BGC_V9")
    message = str(info.value)
    assert f"{stand_in.base_url}?f=json" in message
    assert "resilience download services Wards_December_2024_Boundaries_UK_BGC" in message
    assert "--service KEY=NEW_NAME" in message
    # services.json lists the current name, which is offered as a suggestion
    assert info.value.similar == ["Wards_December_2024_Boundaries_UK_BGC"]


def test_http_404_is_a_missing_service(stand_in):
    stand_in.reply("Gone", "info", "Not Found", status=404)
    with pytest.raises(ServiceNotFoundError, match="'Gone' was not found"):
        make_client(stand_in).layer_info("Gone")


def test_retries_on_503_then_succeeds_with_exponential_backoff(stand_in):
    stand_in.reply(LOOKUP, "info", {"message": "busy"}, status=503, times=2)
    stand_in.reply(LOOKUP, "info", fixture("layer_lookup.json"))
    client = make_client(stand_in, backoff=1.0, retries=3)
    waits: list[float] = []
    client._sleep = waits.append
    assert client.layer_info(LOOKUP).object_id_field == "ObjectId"
    assert waits == [1.0, 2.0]
    assert client.requests_made == 3


def test_retry_after_header_is_honoured(stand_in):
    stand_in.reply(LOOKUP, "info", "slow down", status=429, times=1, headers={"Retry-After": "3"})
    stand_in.reply(LOOKUP, "info", fixture("layer_lookup.json"))
    client = make_client(stand_in)
    waits: list[float] = []
    client._sleep = waits.append
    client.layer_info(LOOKUP)
    assert waits == [3.0]


def test_arcgis_5xx_error_body_is_retried(stand_in):
    busy = {"error": {"code": 503, "message": "Service unavailable", "details": []}}
    stand_in.reply(LOOKUP, "info", busy, times=1)
    stand_in.reply(LOOKUP, "info", fixture("layer_lookup.json"))
    assert make_client(stand_in).layer_info(LOOKUP).max_record_count == 2000


def test_gives_up_after_the_last_retry(stand_in):
    stand_in.reply(LOOKUP, "info", "down", status=503)
    with pytest.raises(DownloadError, match=r"Gave up .* after 2 attempts; last problem: HTTP 503"):
        make_client(stand_in, retries=1).layer_info(LOOKUP)


def test_connection_errors_are_retried_then_reported():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    client = ArcGISClient(
        f"http://127.0.0.1:{port}/arcgis/rest/services/", delay=0, backoff=0, retries=1, timeout=5
    )
    with pytest.raises(DownloadError, match=r"after 2 attempts; last problem: ConnectionError"):
        client.count("Anything")
    assert client.requests_made == 2


def test_polite_delay_between_requests(stand_in):
    record_lookup(stand_in)
    client = make_client(stand_in, delay=0.25)
    waits: list[float] = []
    client._sleep = waits.append
    client.query_all(LOOKUP, "1=1", LOOKUP_FIELDS, geometry=False)
    assert len(waits) == client.requests_made - 1 == 4  # info, count, 3 pages
    assert all(0 < w <= 0.25 for w in waits)


def test_count_mismatch_raises(stand_in):
    record_lookup(stand_in, count={"count": 6})
    with pytest.raises(DownloadError, match=r"returned 5 features .* its count query said 6"):
        make_client(stand_in).query_all(LOOKUP, "1=1", LOOKUP_FIELDS, geometry=False)


def test_duplicate_codes_raise(stand_in):
    stand_in.add_layer("Dup", Layer([{"CODE": "E01000001"}, {"CODE": "E01000001"}]))
    with pytest.raises(DownloadError, match="duplicate CODE values: 'E01000001'"):
        make_client(stand_in).query_all("Dup", "1=1", ["CODE"], geometry=False, unique="CODE")


def test_coordinates_in_degrees_labelled_bng_are_refused(stand_in):
    square = shapely.box(-0.41, 51.47, -0.40, 51.48)  # lon/lat, served as if it were BNG
    stand_in.add_layer("Mislabelled", Layer([{"CODE": "E01000001"}], geometries=[square]))
    with pytest.raises(DownloadError, match="do not look like EPSG:27700"):
        make_client(stand_in).query_all("Mislabelled", "1=1", ["CODE"])


def test_bad_client_settings_are_config_errors():
    with pytest.raises(ConfigError, match="page_size >= 1"):
        ArcGISClient(page_size=0)
    with pytest.raises(ConfigError, match="must start with http"):
        ArcGISClient("services1.arcgis.com/x")


# -------------------------------------------------------------------------- geometry


def test_esri_rings_become_polygons_with_holes_and_parts():
    outer = [[0, 0], [0, 10], [10, 10], [10, 0], [0, 0]]  # clockwise
    hole = [[2, 2], [4, 2], [4, 4], [2, 4], [2, 2]]  # anticlockwise
    island = [[20, 0], [20, 5], [25, 5], [25, 0], [20, 0]]  # clockwise, second part
    geom = esri_polygon({"rings": [outer, island, hole]})
    assert geom.geom_type == "MultiPolygon"
    assert geom.area == pytest.approx(100 - 4 + 25)
    assert geom.is_valid
    big = max(geom.geoms, key=lambda p: p.area)
    assert len(big.interiors) == 1


def test_esri_rings_without_clockwise_rings_are_all_outer():
    ccw = [[0, 0], [10, 0], [10, 10], [0, 10], [0, 0]]
    assert esri_polygon({"rings": [ccw]}).area == pytest.approx(100)
    assert esri_polygon(None) is None
    assert esri_polygon({"rings": []}) is None


def test_check_coordinates_accepts_bng_and_degrees_as_labelled():
    check_coordinates([shapely.box(510000, 175000, 511000, 176000)], 27700, service="s")
    check_coordinates([shapely.box(-0.41, 51.47, -0.40, 51.48)], 4326, service="s")
    with pytest.raises(DownloadError, match="EPSG:4326"):
        check_coordinates([shapely.box(510000, 175000, 511000, 176000)], 4326, service="s")


# -------------------------------------------------------------------------- services


def test_service_overrides_keep_fields_or_replace_entries():
    s = resolve_services(2024, {"ward": "Wards_December_2024_Boundaries_UK_BGC_V2"})
    assert s["ward"].name == "Wards_December_2024_Boundaries_UK_BGC_V2"
    assert s["ward"].fields == {"code": "WD24CD", "name": "WD24NM"}
    custom = Service("WD_MAY_2025_UK_BGC_V2", {"code": "WD25CD", "name": "WD25NM"})
    assert resolve_services(2024, {"ward": custom})["ward"] is custom
    assert resolve_services(2023)["oa_ward"].name == "OA21_WD23_LAD23_EW_LU"
    with pytest.raises(ConfigError, match=r"Unknown service key 'wards'.*'oa_ward'"):
        resolve_services(2024, {"wards": "x"})
    with pytest.raises(ConfigError, match="No default ONS services for vintage 2019"):
        resolve_services(2019)
    with pytest.raises(ConfigError, match="must be a service name"):
        resolve_services(2024, {"ward": "https://example.org/x/FeatureServer"})


# ------------------------------------------------------------------ whole downloads

OTHER_LAD = "E09000041"


def serve_borough(server: StandIn, vintage: int = 2024) -> object:
    """Emulate the six ONS services for the synthetic borough plus one other council."""
    b = make_borough(seed=1, n_oa=60, n_lsoa=12, n_ward=3, n_respondents=800)
    svc = resolve_services(vintage)
    yy = str(vintage)[2:]
    lsoa_names = b.lsoa.set_index("lsoa_code")["lsoa_name"]
    ward_names = b.ward.set_index("ward_code")["ward_name"]
    # Served in reverse code order, so ObjectID order differs from code order.
    oa = b.oa.iloc[::-1]
    far = shapely.box(530000, 180000, 530100, 180100)
    other_oas = ["E00999001", "E00999002"]
    lookup_rows = [
        {"OA21CD": o, f"WD{yy}CD": w, f"WD{yy}NM": ward_names[w], f"LAD{yy}CD": b.lad_code}
        for o, w in zip(oa["oa_code"], oa["ward_code"], strict=True)
    ] + [
        {"OA21CD": o, f"WD{yy}CD": "E05999001", f"WD{yy}NM": "Far Ward", f"LAD{yy}CD": OTHER_LAD}
        for o in other_oas
    ]
    server.add_layer(svc["oa_ward"].name, Layer(lookup_rows, oid="ObjectId", max_record_count=25))
    server.add_layer(
        svc["oa_lsoa"].name,
        Layer(
            [
                {"OA21CD": o, "LSOA21CD": ls, "MSOA21CD": "E02000001"}
                for o, ls in zip(oa["oa_code"], oa["lsoa_code"], strict=True)
            ]
            + [{"OA21CD": o, "LSOA21CD": "E01999001", "MSOA21CD": "E02000002"} for o in other_oas],
            oid="ObjectId",
        ),
    )
    server.add_layer(
        svc["oa"].name,
        Layer(
            [
                {"OA21CD": o, "LSOA21CD": ls}
                for o, ls in zip(oa["oa_code"], oa["lsoa_code"], strict=True)
            ]
            + [{"OA21CD": o, "LSOA21CD": "E01999001"} for o in other_oas],
            geometries=[*oa.geometry, far, far],
        ),
    )
    server.add_layer(
        svc["lsoa"].name,
        Layer(
            [{"LSOA21CD": c, "LSOA21NM": lsoa_names[c]} for c in b.lsoa["lsoa_code"]]
            + [{"LSOA21CD": "E01999001", "LSOA21NM": "Elsewhere 001A"}],
            geometries=[*b.lsoa.geometry, far],
        ),
    )
    server.add_layer(
        svc["ward"].name,
        Layer(
            [{f"WD{yy}CD": c, f"WD{yy}NM": ward_names[c]} for c in b.ward["ward_code"]]
            + [{f"WD{yy}CD": "E05999001", f"WD{yy}NM": "Far Ward"}],
            geometries=[*b.ward.geometry, far],
        ),
    )
    server.add_layer(
        svc["lad"].name,
        Layer(
            [
                {f"LAD{yy}CD": b.lad_code, f"LAD{yy}NM": b.name},
                {f"LAD{yy}CD": OTHER_LAD, f"LAD{yy}NM": "Elsewhere"},
            ],
            geometries=[b.outline, far],
        ),
    )
    return b


def test_download_boundaries_writes_files_provenance_and_config(stand_in, tmp_path):
    b = serve_borough(stand_in)
    client = make_client(stand_in, page_size=7)
    out = tmp_path / "geo"
    paths = download_boundaries(b.lad_code, out, client=client, chunk_size=25)
    assert sorted(p.name for p in out.iterdir()) == sorted(
        [
            "oa.gpkg",
            "lsoa.gpkg",
            "wards.gpkg",
            "lad.gpkg",
            "lookup.csv",
            "provenance.json",
            "resilience.toml",
        ]
    )
    assert paths["ward"] == out / "wards.gpkg"

    oa = pyogrio.read_dataframe(paths["oa"], layer="oa")
    assert oa.crs.to_epsg() == 27700
    assert oa["OA21CD"].tolist() == sorted(b.oa["oa_code"])  # the other council's OAs left out
    truth = b.oa.set_index("oa_code").geometry
    for code, geom in zip(oa["OA21CD"], oa.geometry, strict=True):
        assert geom.symmetric_difference(truth[code]).area < 1e-6 * truth[code].area
    lsoa = pyogrio.read_dataframe(paths["lsoa"])
    assert lsoa["LSOA21CD"].tolist() == sorted(b.lsoa["lsoa_code"])
    assert lsoa["LSOA21NM"].tolist() == b.lsoa.sort_values("lsoa_code")["lsoa_name"].tolist()
    wards = pyogrio.read_dataframe(paths["ward"])
    assert wards["WD24CD"].tolist() == sorted(b.ward["ward_code"])
    assert (wards["LAD24CD"] == b.lad_code).all()

    lookup = pd.read_csv(paths["lookup"], dtype=str)
    assert lookup.columns.tolist() == [
        "OA21CD",
        "LSOA21CD",
        "LSOA21NM",
        "WD24CD",
        "WD24NM",
        "LAD24CD",
        "LAD24NM",
    ]
    expected = b.oa.set_index("oa_code").sort_index()
    assert lookup["OA21CD"].tolist() == expected.index.tolist()
    assert lookup["LSOA21CD"].tolist() == expected["lsoa_code"].tolist()
    assert lookup["WD24CD"].tolist() == expected["ward_code"].tolist()
    assert set(lookup["LAD24NM"]) == {b.name}

    prov = json.loads(paths["provenance"].read_text())
    assert prov["lad_codes"] == [b.lad_code] and prov["vintage"] == 2024
    assert prov["requests"] == client.requests_made
    for name, entry in prov["files"].items():
        data = (out / name).read_bytes()
        assert entry["sha256"] == hashlib.sha256(data).hexdigest()
        assert entry["bytes"] == len(data)
        for source in entry["sources"]:
            assert source["retrieved"].endswith("Z")
            assert all(q.startswith(stand_in.base_url) for q in source["queries"])
    assert prov["files"]["oa.gpkg"]["count"] == 60
    oa_source = prov["files"]["oa.gpkg"]["sources"][0]
    assert oa_source["service"] == "Output_Areas_2021_EW_BGC_V2"
    assert len(oa_source["queries"]) == 3  # 60 codes in chunks of 25
    assert "orderByFields=FID" in oa_source["queries"][0]
    assert [s["product"] for s in prov["files"]["lookup.csv"]["sources"]] == ["oa_ward", "oa_lsoa"]

    config = tomllib.loads(paths["config"].read_text())
    assert config["title"] == "Northbridge community resilience"
    geo = config["geography"]
    assert geo["oa"] == {"path": "oa.gpkg", "code": "OA21CD"}
    assert geo["lsoa"] == {"path": "lsoa.gpkg", "code": "LSOA21CD", "name": "LSOA21NM"}
    assert geo["ward"] == {"path": "wards.gpkg", "code": "WD24CD", "name": "WD24NM"}
    assert geo["lookup"] == {
        "path": "lookup.csv",
        "oa": "OA21CD",
        "lsoa": "LSOA21CD",
        "ward": "WD24CD",
    }
    for entry in geo.values():
        columns = (
            pyogrio.read_info(out / entry["path"])["fields"].tolist()
            if entry["path"].endswith(".gpkg")
            else pd.read_csv(out / entry["path"], nrows=0).columns.tolist()
        )
        assert {v for k, v in entry.items() if k != "path"} <= set(columns)
    assert not {"classification", "survey", "hard"} & set(config)
    text = paths["config"].read_text()
    assert "# [survey]" in text and "# [hard]" in text and "# [classification]" in text

    # Every query was ordered by ObjectID and paged within maxRecordCount.
    for q in stand_in.queries():
        assert q.params["orderByFields"] in {"FID", "ObjectId"}
        assert int(q.params["resultRecordCount"]) <= 7


def test_download_refuses_to_overwrite_and_failures_leave_nothing(stand_in, tmp_path):
    b = serve_borough(stand_in)
    client = make_client(stand_in, page_size=50)
    out = tmp_path / "geo"
    download_boundaries([b.lad_code], out, client=client)
    before = (out / "oa.gpkg").stat().st_mtime_ns
    with pytest.raises(OutputExistsError, match=r"already has 'oa.gpkg'.*--overwrite"):
        download_boundaries([b.lad_code], out, client=client)
    assert (out / "oa.gpkg").stat().st_mtime_ns == before
    download_boundaries([b.lad_code], out, client=client, overwrite=True)

    fresh = tmp_path / "fresh"
    queries = len(stand_in.queries())
    with pytest.raises(ServiceNotFoundError, match=r"--service ward=NEW_NAME"):
        download_boundaries(
            [b.lad_code], fresh, client=client, services={"ward": "Wards_December_2099_BGC"}
        )
    assert not fresh.exists()
    assert len(stand_in.queries()) == queries  # every service is checked before any download


def test_unknown_and_malformed_lad_codes_are_config_errors(stand_in, tmp_path):
    serve_borough(stand_in)
    client = make_client(stand_in, page_size=50)
    with pytest.raises(ConfigError, match=r"'E09000099' are not in .*LAD24CD.*--vintage"):
        download_boundaries(["E09000040", "e09000099"], tmp_path / "a", client=client)
    with pytest.raises(ConfigError, match=r"Not local authority district codes: 'E05000001'"):
        download_boundaries(["E05000001"], tmp_path / "b", client=client)


def test_missing_boundary_for_a_looked_up_code_is_reported(stand_in, tmp_path):
    b = serve_borough(stand_in)
    ward_layer = stand_in.layers["Wards_December_2024_Boundaries_UK_BGC"]
    ward_layer.rows = ward_layer.rows[1:]
    ward_layer.geometries = ward_layer.geometries[1:]
    with pytest.raises(DownloadError, match=r"has no row for 1 wards: 'E05020001'"):
        download_boundaries(
            [b.lad_code], tmp_path / "c", client=make_client(stand_in, page_size=50)
        )
    assert not (tmp_path / "c").exists()


def test_multiple_councils_and_vintage_2023(stand_in, tmp_path):
    serve_borough(stand_in, vintage=2023)
    paths = download_boundaries(
        ["E09000040", OTHER_LAD], tmp_path, vintage=2023, client=make_client(stand_in, page_size=50)
    )
    lookup = pd.read_csv(paths["lookup"], dtype=str)
    assert set(lookup["LAD23CD"]) == {"E09000040", OTHER_LAD}
    assert len(lookup) == 62
    config = tomllib.loads(paths["config"].read_text())
    assert config["title"] == "Northbridge and Elsewhere community resilience"
    assert config["geography"]["ward"]["code"] == "WD23CD"


# ------------------------------------------------------------------------------- CLI


def cli_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="resilience")
    sub = parser.add_subparsers(dest="command", required=True)

    def common(p: argparse.ArgumentParser) -> None:
        p.add_argument("-q", "--quiet", action="store_true")

    add_parser(sub, common=common)
    return parser


def test_cli_download_boundaries_runs_against_the_stand_in(stand_in, tmp_path):
    serve_borough(stand_in)
    stand_in.add_layer("Wards_V2", stand_in.layers["Wards_December_2024_Boundaries_UK_BGC"])
    args = cli_parser().parse_args(
        [
            "download",
            "boundaries",
            "E09000040",
            "--out",
            str(tmp_path / "cli"),
            "--base-url",
            stand_in.base_url,
            "--delay",
            "0",
            "--service",
            "ward=Wards_V2",
            "-q",
        ]
    )
    assert run(args) == 0
    prov = json.loads((tmp_path / "cli" / "provenance.json").read_text())
    assert prov["services"]["ward"] == "Wards_V2"
    assert prov["base_url"] == stand_in.base_url
    assert any(r.service == "Wards_V2" for r in stand_in.requests)


def test_cli_download_services_lists_matching_names(stand_in, capsys):
    args = cli_parser().parse_args(
        ["download", "services", "wards", "2024", "--base-url", stand_in.base_url]
    )
    assert run(args) == 0
    assert capsys.readouterr().out.splitlines() == ["Wards_December_2024_Boundaries_UK_BGC"]


def test_cli_rejects_malformed_service_overrides(capsys):
    with pytest.raises(SystemExit):
        cli_parser().parse_args(
            ["download", "boundaries", "E09000040", "--out", "x", "--service", "wards=Foo"]
        )
    assert "unknown service key 'wards'" in capsys.readouterr().err
