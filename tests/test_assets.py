"""Community assets: coordinates found by name, postcodes through an ONSPD file, vector
files, points on boundaries, repeats and bad rows reported by row number, counts per LSOA."""

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from pyproj import Transformer

from resilience.config import load_config
from resilience.errors import ConfigError, DataQualityWarning, InputDataError
from resilience.inputs.assets import count_assets, read_assets, read_postcode_directory

# two 100 m squares side by side, a shared edge at easting 530100
LSOA = gpd.GeoDataFrame(
    {"lsoa_code": ["E01000002", "E01000001"], "population": [1500.0, 500.0]},
    geometry=[
        shapely.box(530100, 180000, 530200, 180100),
        shapely.box(530000, 180000, 530100, 180100),
    ],
    crs=27700,
)
TO_WGS84 = Transformer.from_crs(27700, 4326, always_xy=True)


def _read(tmp_path, filename, frame, **entry):
    path = tmp_path / filename
    frame.to_csv(path, index=False)
    return read_assets([{"path": str(path), **entry}], LSOA)


def test_grid_references_boundaries_repeats_and_bad_rows(tmp_path):
    rows = pd.DataFrame(
        [
            ("Library", "Central", "530050", "180050"),  # row 2: in E01000001
            ("Library", "Edge", "530100", "180050"),  # row 3: on the shared edge
            ("Library", "Central", "530050.2", "180049.9"),  # row 4: repeats row 2
            ("GP surgery", "Far", "600000", "180000"),  # row 5: outside
            ("GP surgery", "Swapped", "180050", "530150"),  # row 6: easting/northing swapped
            ("GP surgery", "Blank", "", ""),  # row 7: no coordinates
            ("GP surgery", "Health centre", "530150", "180020"),  # row 8: in E01000002
            ("Library", "Typo", "53o150", "180020"),  # row 9: not a number
            ("", "No type", "530160", "180030"),  # row 10: no category
            ("Library", "Corner", "530000", "180000"),  # row 11: on the outer corner
        ],
        columns=["type", "name", "Easting", "Northing"],
    )
    with pytest.warns(DataQualityWarning) as record:
        got = _read(tmp_path, "assets.csv", rows, category="type", name="name")
    message = str(record[0].message)
    assert "6 of 10 rows not counted" in message
    for text in (
        "repeats row 2: row 4",
        "outside the study area: row 5",
        "easting and northing look swapped: row 6",
        "no coordinates: rows 7, 9",
        "no category: row 10",
    ):
        assert text in message, message
    assert got.points["name"].tolist() == ["Central", "Edge", "Health centre", "Corner"]
    # the point on the shared edge goes to the first LSOA by code, counted once
    assert got.points["lsoa_code"].tolist() == ["E01000001", "E01000001", "E01000002", "E01000001"]
    assert got.problems["row"].tolist() == [4, 5, 6, 7, 9, 10]
    counts = count_assets(got.points, LSOA)
    assert counts.loc["E01000001", "assets_total"] == 3
    assert counts.loc["E01000001", "assets_library"] == 3
    assert counts.loc["E01000002", "assets_gp_surgery"] == 1
    assert counts["assets_total"].sum() == len(got.points) == 4
    assert counts.loc["E01000001", "assets_per_1000"] == pytest.approx(6.0)
    assert counts.loc["E01000002", "assets_per_1000"] == pytest.approx(1000 / 1500, abs=0.01)


def test_longitude_latitude_and_swapped_pairs(tmp_path):
    lon, lat = TO_WGS84.transform(530040, 180060)
    rows = pd.DataFrame(
        {"lon": [lon, lat, lon], "lat": [lat, lon, 91.0], "kind": ["Hall", "Hall", "Hall"]}
    )
    with pytest.warns(DataQualityWarning, match=r"longitude and latitude look swapped: row 3"):
        got = _read(tmp_path, "ll.csv", rows, category="kind")
    assert len(got.points) == 1
    p = got.points.geometry.iloc[0]
    assert (p.x, p.y) == pytest.approx((530040, 180060), abs=0.01)
    assert got.problems.set_index("row")["problem"].to_dict() == {
        3: "longitude and latitude look swapped",
        4: "not a longitude and latitude",
    }


def test_postcodes_through_an_ons_postcode_directory(tmp_path):
    onspd = pd.DataFrame(
        {
            "pcd": ["NB1 1AA", "NB1 2BB", "NB9 9ZZ"],
            "pcd2": ["NB1  1AA", "NB1  2BB", "NB9  9ZZ"],
            "pcds": ["NB1 1AA", "NB1 2BB", "NB9 9ZZ"],
            "dointr": ["198001", "198001", "198001"],
            "doterm": ["", "", "201206"],
            "oseast1m": ["530020", "530180", ""],  # a terminated postcode without a grid ref
            "osnrth1m": ["180010", "180090", ""],
            "osgrdind": ["1", "1", "9"],
            "lat": ["51.5", "51.5", "99.999999"],
            "long": ["-0.1", "-0.1", "0.000000"],
        }
    )
    onspd.to_csv(tmp_path / "ONSPD_extract.csv", index=False)
    directory = read_postcode_directory(tmp_path / "ONSPD_extract.csv")
    assert directory.loc["NB11AA"].tolist() == [530020.0, 180010.0]
    halls = pd.DataFrame(
        {"Post Code": ["nb1 1aa", "NB12BB", "NB9 9ZZ", "ZZ1 1ZZ"], "hall": list("abcd")}
    )
    with pytest.warns(DataQualityWarning) as record:
        got = _read(
            tmp_path,
            "halls.csv",
            halls,
            label="Community hall",
            postcode="Post Code",
            postcodes={"path": str(tmp_path / "ONSPD_extract.csv")},
        )
    assert "postcode has no grid reference: row 4" in str(record[0].message)
    assert "postcode not in the directory: row 5" in str(record[0].message)
    assert got.points["lsoa_code"].tolist() == ["E01000001", "E01000002"]
    assert set(got.points["category"]) == {"Community hall"}


def test_postcode_column_found_by_name_needs_a_directory(tmp_path):
    (tmp_path / "a.csv").write_text("pcds,type\nNB1 1AA,Library\n")
    with pytest.raises(InputDataError, match=r"postcodes = \{ path"):
        read_assets([{"path": str(tmp_path / "a.csv"), "category": "type"}], LSOA)


def test_vector_file_with_sizes(tmp_path):
    frame = gpd.GeoDataFrame(
        {"use": ["New development", "New development", "HMO"], "units": [40, 12, 6]},
        geometry=[
            shapely.box(530010, 180010, 530030, 180030),  # a polygon: a point inside it
            shapely.Point(530150, 180050),
            shapely.Point(530160, 180060),
        ],
        crs=27700,
    ).to_crs(4326)
    frame.to_file(tmp_path / "dev.gpkg", layer="sites")
    got = read_assets(
        [{"path": str(tmp_path / "dev.gpkg"), "category": "use", "size": "units"}], LSOA
    )
    counts = count_assets(got.points, LSOA)
    assert counts.loc["E01000001", "assets_new_development"] == 1
    assert counts.loc["E01000001", "assets_new_development_size"] == pytest.approx(40)
    assert counts.loc["E01000002", "assets_new_development_size"] == pytest.approx(12)
    assert counts.loc["E01000002", "assets_hmo_size"] == pytest.approx(6)
    assert got.points["row"].tolist() == [1, 2, 3]


def test_no_coordinate_columns_names_the_choices(tmp_path):
    (tmp_path / "a.csv").write_text("where,type\nhere,Library\n")
    with pytest.raises(InputDataError, match="easting/northing, longitude/latitude or postcode"):
        read_assets([{"path": str(tmp_path / "a.csv"), "category": "type"}], LSOA)


def test_config_entries(borough, tmp_path):
    files = borough.write(tmp_path / "b")
    (tmp_path / "b" / "assets.csv").write_text("easting,northing,type\n1,2,Library\n")
    base = files["config"].read_text()
    ok = base + '\n[[assets]]\npath = "assets.csv"\ncategory = "type"\n'
    (tmp_path / "b" / "ok.toml").write_text(ok)
    cfg = load_config(tmp_path / "b" / "ok.toml")
    assert cfg["assets"][0]["category"] == "type"
    assert cfg.input_files()["assets.1"] == (tmp_path / "b" / "assets.csv").resolve()
    both = ok + 'label = "Hall"\n'
    (tmp_path / "b" / "both.toml").write_text(both)
    with pytest.raises(ConfigError, match="exactly one of 'category'"):
        load_config(tmp_path / "b" / "both.toml")
    typo = base + '\n[[assets]]\npath = "assets.csv"\ncategroy = "type"\n'
    (tmp_path / "b" / "typo.toml").write_text(typo)
    with pytest.raises(ConfigError, match=r"Unknown key 'categroy' in \[assets 1\]"):
        load_config(tmp_path / "b" / "typo.toml")
    assert load_config(files["config"])["assets"] == []


def test_counts_are_zero_without_assets():
    empty = gpd.GeoDataFrame({"category": [], "size": [], "lsoa_code": []}, geometry=[], crs=27700)
    counts = count_assets(empty, LSOA)
    assert counts["assets_total"].tolist() == [0, 0]
    assert np.allclose(counts["assets_per_1000"], 0.0)
