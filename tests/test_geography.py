"""Reading geography inputs: boundaries, OA → LSOA → ward lookups and populations."""

from __future__ import annotations

import warnings
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest
import shapely

from resilience.errors import ConfigError, DataQualityWarning, InputDataError
from resilience.inputs import (
    census_label,
    derive_lookup,
    read_boundaries,
    read_lookup,
    read_population,
    vintage_of_codes,
)
from resilience.synthetic import make_borough

X0, Y0, SIDE = 530_000.0, 180_000.0, 100.0


def _grid(
    code_col: str = "OA21CD", prefix: str = "E00", crs: object = "EPSG:27700"
) -> gpd.GeoDataFrame:
    """3 x 3 grid of 100 m squares in west London, codes <prefix>000001 … 9 row by row."""
    boxes = [
        shapely.box(X0 + i * SIDE, Y0 + j * SIDE, X0 + (i + 1) * SIDE, Y0 + (j + 1) * SIDE)
        for j in range(3)
        for i in range(3)
    ]
    codes = [f"{prefix}{k:06d}" for k in range(1, 10)]
    return gpd.GeoDataFrame({code_col: codes}, geometry=boxes, crs=crs)


def _write(gdf: gpd.GeoDataFrame, path: Path, **kwargs) -> Path:
    pyogrio.write_dataframe(gdf, path, **kwargs)
    return path


# ---- read_boundaries --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("suffix", "code_col", "name_col"),
    [
        (".gpkg", "LSOA21CD", "LSOA21NM"),
        (".shp", "lsoa11cd", "lsoa11nm"),
        (".geojson", "LSOA21CD", "LSOA21NM"),
    ],
    ids=["gpkg-upper", "shp-lower", "geojson"],
)
def test_read_boundaries_formats_and_column_case(tmp_path, suffix, code_col, name_col):
    gdf = _grid(code_col, prefix="E01")
    gdf[name_col] = [f"Borough 00{k}A" for k in range(1, 10)]
    gdf["LSOA21NMW"] = "Welsh name"  # never chosen as the name column
    gdf[code_col] = gdf[code_col].str.lower() + " "  # messy case and whitespace
    path = _write(gdf, tmp_path / f"lsoa{suffix}")

    out = read_boundaries(path, "lsoa")

    assert list(out.columns) == ["lsoa_code", "lsoa_name", "geometry"]
    assert out["lsoa_code"].tolist() == [f"E01{k:06d}" for k in range(1, 10)]
    assert out["lsoa_name"].tolist()[:2] == ["Borough 001A", "Borough 002A"]
    assert out.crs.to_epsg() == 27700
    assert isinstance(out.index, pd.RangeIndex)
    np.testing.assert_allclose(out.area.to_numpy(), SIDE * SIDE)
    assert out.attrs["code_column"] == code_col
    assert out.attrs["name_column"] == name_col
    assert out.attrs["vintage"] == (2011 if "11" in code_col else 2021)


def test_read_boundaries_named_columns_ignore_case(tmp_path):
    gdf = _grid("OA11CD")
    gdf["label"] = list("abcdefghi")
    path = _write(gdf, tmp_path / "oa.gpkg")
    out = read_boundaries(path, "oa", code="oa11cd", name="LABEL")
    assert out["oa_name"].tolist() == list("abcdefghi")
    assert out.attrs["code_column"] == "OA11CD"
    assert out.attrs["name_column"] == "label"


def test_read_boundaries_without_name_column_has_no_name(tmp_path):
    path = _write(_grid("WD24CD", prefix="E05"), tmp_path / "wards.gpkg")
    out = read_boundaries(path, "ward")
    assert list(out.columns) == ["ward_code", "geometry"]
    assert out.attrs["name_column"] is None
    assert out.attrs["vintage"] == 2024


def test_read_boundaries_reprojects_lonlat_and_keeps_areas(tmp_path):
    gdf = _grid()
    path = _write(gdf.to_crs(4326), tmp_path / "oa.geojson")
    out = read_boundaries(path, "oa")
    assert out.crs.to_epsg() == 27700
    assert out.attrs["source_crs"] == "EPSG:4326"
    np.testing.assert_allclose(out.area.to_numpy(), gdf.area.to_numpy(), rtol=0.005)
    np.testing.assert_allclose(out.total_bounds, gdf.total_bounds, atol=1.0)


@pytest.mark.parametrize(
    ("crs_of_coordinates", "expected"),
    [
        ("EPSG:27700", "look like British National Grid metres"),
        ("EPSG:4326", "look like longitude/latitude degrees"),
        ("EPSG:3857", "look neither like British National Grid"),
    ],
    ids=["bng", "lonlat", "web-mercator"],
)
def test_read_boundaries_without_crs_says_what_coordinates_look_like(
    tmp_path, crs_of_coordinates, expected
):
    gdf = _grid().to_crs(crs_of_coordinates).set_crs(None, allow_override=True)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "'crs' was not provided", UserWarning)
        path = _write(gdf, tmp_path / "oa.shp")
    assert not path.with_suffix(".prj").exists()
    with pytest.raises(InputDataError, match=f"has no coordinate reference system.*{expected}"):
        read_boundaries(path, "oa")


def test_read_boundaries_rejects_coordinates_that_contradict_the_crs(tmp_path):
    gdf = _grid().set_crs(4326, allow_override=True)  # BNG metres labelled as degrees
    path = _write(gdf, tmp_path / "oa.gpkg")
    with pytest.raises(
        InputDataError, match=r"says its CRS is EPSG:4326.*look like British National Grid"
    ):
        read_boundaries(path, "oa")


def test_read_boundaries_repairs_bow_tie_with_warning(tmp_path):
    gdf = _grid()
    x, y = X0 + 3 * SIDE, Y0  # a bow-tie east of the grid: two triangles of 2,500 m² each
    bow_tie = shapely.Polygon([(x, y), (x + 100, y + 100), (x + 100, y), (x, y + 100)])
    assert not bow_tie.is_valid
    gdf.loc[len(gdf)] = ["E00000010", bow_tie]
    path = _write(gdf, tmp_path / "oa.gpkg")

    with pytest.warns(
        DataQualityWarning, match=r"1 of 10 polygons .* repaired.*'E00000010'"
    ) as rec:
        out = read_boundaries(path, "oa")

    assert Path(rec[0].filename) == Path(__file__)  # stacklevel points at the caller
    repaired = out.geometry.iloc[-1]
    assert repaired.is_valid
    assert repaired.geom_type == "MultiPolygon"
    assert repaired.area == pytest.approx(5000.0)
    assert out.is_valid.all()


def test_read_boundaries_valid_file_gives_no_warning(tmp_path):
    path = _write(_grid(), tmp_path / "oa.gpkg")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        read_boundaries(path, "oa")


def test_read_boundaries_duplicate_codes(tmp_path):
    gdf = _grid()
    gdf.loc[4, "OA21CD"] = "E00000001"
    path = _write(gdf, tmp_path / "oa.gpkg")
    with pytest.raises(
        InputDataError, match=r"1 duplicated code\(s\): 'E00000001' \(features 1, 5\).*dissolve"
    ):
        read_boundaries(path, "oa")


def test_read_boundaries_codes_of_another_geography(tmp_path):
    path = _write(_grid("OA21CD", prefix="E01"), tmp_path / "oa.gpkg")
    with pytest.raises(
        InputDataError, match=r"100% of them look like LSOA codes.*e.g. 'E01000001'.*LSOA file"
    ):
        read_boundaries(path, "oa")


def test_read_boundaries_invalid_and_scottish_codes(tmp_path):
    gdf = _grid()
    gdf.loc[2, "OA21CD"] = "S00000003"
    gdf.loc[6, "OA21CD"] = "total"
    path = _write(gdf, tmp_path / "oa.gpkg")
    with pytest.raises(
        InputDataError, match=r"2 of 9 value\(s\) are not.*'S00000003', 'TOTAL'.*Scottish"
    ):
        read_boundaries(path, "oa")


def test_read_boundaries_empty_codes_give_feature_numbers(tmp_path):
    gdf = _grid()
    gdf.loc[1, "OA21CD"] = None
    gdf.loc[7, "OA21CD"] = "  "
    path = _write(gdf, tmp_path / "oa.gpkg")
    with pytest.raises(InputDataError, match=r"2 empty code\(s\), in features 2, 8"):
        read_boundaries(path, "oa")


def test_read_boundaries_two_candidate_code_columns(tmp_path):
    gdf = _grid("WD22CD", prefix="E05")
    gdf["WD24CD"] = gdf["WD22CD"]
    path = _write(gdf, tmp_path / "wards.gpkg")
    with pytest.raises(
        InputDataError,
        match=r"2 candidate ward code columns: 'WD22CD', 'WD24CD'.*set code = \"WD24CD\" in "
        r"the config's \[geography\] ward entry",
    ):
        read_boundaries(path, "ward")
    assert read_boundaries(path, "ward", code="WD22CD").attrs["vintage"] == 2022


def test_read_boundaries_no_code_column_lists_columns(tmp_path):
    gdf = _grid("area").assign(OBJECTID=range(9))
    path = _write(gdf, tmp_path / "oa.gpkg")
    with pytest.raises(InputDataError, match=r"no OA code column.*'area', 'OBJECTID'"):
        read_boundaries(path, "oa")


def test_read_boundaries_missing_named_column(tmp_path):
    path = _write(_grid("OA11CD"), tmp_path / "oa.gpkg")
    with pytest.raises(
        InputDataError, match=r"has no column 'OA21CD' \(given as code in .*'OA11CD'"
    ):
        read_boundaries(path, "oa", code="OA21CD")
    with pytest.raises(InputDataError, match=r"no column 'OA11NM' \(given as name"):
        read_boundaries(path, "oa", name="OA11NM")


def test_read_boundaries_empty_geometry(tmp_path):
    gdf = _grid()
    gdf.loc[3, "geometry"] = shapely.Polygon()
    path = _write(gdf, tmp_path / "oa.gpkg")
    with pytest.raises(InputDataError, match=r"1 area\(s\) with no geometry, e.g. 'E00000004'"):
        read_boundaries(path, "oa")


def test_read_boundaries_points_are_not_boundaries(tmp_path):
    gdf = _grid()
    gdf["geometry"] = gdf.centroid
    path = _write(gdf, tmp_path / "oa.gpkg")
    with pytest.raises(InputDataError, match=r"should hold polygons.*centroids"):
        read_boundaries(path, "oa")


def test_read_boundaries_layers(tmp_path):
    path = tmp_path / "all.gpkg"
    _write(_grid("OA21CD"), path, layer="oa")
    _write(_grid("LSOA21CD", prefix="E01"), path, layer="lsoa", append=False)
    assert read_boundaries(path, "lsoa")["lsoa_code"].iloc[0] == "E01000001"
    assert read_boundaries(path, "oa", layer="oa")["oa_code"].iloc[0] == "E00000001"

    other = tmp_path / "other.gpkg"
    _write(_grid("OA21CD"), other, layer="first")
    _write(_grid("OA21CD"), other, layer="second")
    with pytest.raises(InputDataError, match=r"2 layers with geometry.*set layer = \"first\""):
        read_boundaries(other, "oa")
    with pytest.raises(InputDataError, match=r"no layer 'third'.*'first', 'second'"):
        read_boundaries(other, "oa", layer="third")


def test_read_boundaries_bad_level_and_missing_file(tmp_path):
    with pytest.raises(ConfigError, match="level must be one of oa, lsoa, ward"):
        read_boundaries(tmp_path / "x.gpkg", "msoa")
    with pytest.raises(InputDataError, match="does not exist"):
        read_boundaries(tmp_path / "x.gpkg", "oa")


# ---- lookups ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def small_borough():
    return make_borough(seed=1, n_oa=60, n_lsoa=12, n_ward=3, n_respondents=800)


@pytest.fixture(scope="module")
def small_files(small_borough, tmp_path_factory):
    return small_borough.write(tmp_path_factory.mktemp("borough") / "northbridge")


def _expected_lookup(b) -> pd.DataFrame:
    return b.oa[["oa_code", "lsoa_code", "ward_code"]].sort_values("oa_code", ignore_index=True)


def test_read_lookup_of_synthetic_borough(small_borough, small_files):
    lookup = read_lookup(small_files["lookup"])
    pd.testing.assert_frame_equal(
        lookup[["oa_code", "lsoa_code", "ward_code"]].sort_values("oa_code", ignore_index=True),
        _expected_lookup(small_borough),
        check_dtype=False,
    )
    names = small_borough.lsoa.set_index("lsoa_code")["lsoa_name"]
    assert (lookup["lsoa_name"] == lookup["lsoa_code"].map(names)).all()
    assert lookup.attrs["columns"]["ward_code"] == "WD24CD"
    assert lookup.attrs["vintage"] == {"oa_code": 2021, "lsoa_code": 2021, "ward_code": 2024}


def test_read_lookup_excel_lower_case_with_repeated_rows(tmp_path):
    rows = pd.DataFrame(
        {
            "pcd7": ["AB1 1AA", "AB1 1AB", "AB1 1AC", "AB1 1AD"],
            "oa21cd": ["E00000001", "E00000001", "e00000002", "E00000003"],
            "lsoa21cd": ["E01000001", "E01000001", "E01000001", "E01000002"],
            "wd23cd": ["E05000001", "E05000001", "E05000002", "E05000002"],
            "wd23nm": ["North", "North", "South", "South"],
        }
    )
    path = tmp_path / "postcodes.xlsx"
    rows.to_excel(path, index=False)
    lookup = read_lookup(path)
    assert lookup.to_dict("list") == {
        "oa_code": ["E00000001", "E00000002", "E00000003"],
        "lsoa_code": ["E01000001", "E01000001", "E01000002"],
        "ward_code": ["E05000001", "E05000002", "E05000002"],
        "ward_name": ["North", "South", "South"],
    }


def _lookup_csv(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "lookup.csv"
    path.write_text(text)
    return path


def test_read_lookup_oa_with_two_parents(tmp_path):
    path = _lookup_csv(
        tmp_path,
        "OA21CD,LSOA21CD,WD24CD\n"
        "E00000001,E01000001,E05000001\n"
        "E00000002,E01000001,E05000001\n"
        "E00000001,E01000002,E05000001\n",
    )
    with pytest.raises(
        InputDataError,
        match=r"1 OA\(s\) more than one LSOA in column 'LSOA21CD': 'E00000001' in rows 2, 4 "
        r"with 'E01000001', 'E01000002'",
    ):
        read_lookup(path)


def test_read_lookup_wrong_geography_in_column(tmp_path):
    path = _lookup_csv(
        tmp_path,
        "OA21CD,LSOA21CD,WD24CD,LAD24CD\n"
        "E00000001,E01000001,E09000018,E09000018\n"
        "E00000002,E01000001,E09000018,E09000018\n",
    )
    with pytest.raises(
        InputDataError, match=r"Column 'WD24CD'.*should hold ward codes.*look like local authority"
    ):
        read_lookup(path)


def test_read_lookup_missing_and_ambiguous_columns(tmp_path):
    path = _lookup_csv(
        tmp_path,
        "OA11CD,LSOA11CD,WD11CD,WD22CD\nE00000001,E01000001,E05000001,E05000002\n",
    )
    with pytest.raises(InputDataError, match=r"set ward = \"WD22CD\" in the config's"):
        read_lookup(path)
    assert read_lookup(path, ward="wd11cd")["ward_code"].tolist() == ["E05000001"]
    with pytest.raises(
        InputDataError, match=r"no column 'LSOA21CD'.*'OA11CD', 'LSOA11CD', 'WD11CD', 'WD22CD'"
    ):
        read_lookup(path, lsoa="LSOA21CD", ward="WD11CD")


def test_read_lookup_warns_on_mixed_census_years(tmp_path):
    path = _lookup_csv(tmp_path, "OA21CD,LSOA11CD,WD24CD\nE00000001,E01000001,E05000001\n")
    with pytest.warns(DataQualityWarning, match="OA codes of 2021.*LSOA codes of 2011"):
        read_lookup(path)


def test_derive_lookup_reproduces_synthetic_borough(small_borough, small_files):
    oa = read_boundaries(small_files["oa"], "oa")
    lsoa = read_boundaries(small_files["lsoa"], "lsoa")
    ward = read_boundaries(small_files["ward"], "ward")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        lookup, report = derive_lookup(oa, lsoa, ward)
    assert list(lookup.columns) == ["oa_code", "lsoa_code", "lsoa_name", "ward_code", "ward_name"]
    pd.testing.assert_frame_equal(
        lookup[["oa_code", "lsoa_code", "ward_code"]].sort_values("oa_code", ignore_index=True),
        _expected_lookup(small_borough),
        check_dtype=False,
    )
    assert report["n_oa"] == 60
    assert report["oa_outside_lsoa"]["count"] == 0
    assert report["oa_outside_ward"]["count"] == 0
    assert report["lsoa_split_across_wards"]["count"] == 0
    pd.testing.assert_frame_equal(lookup, read_lookup(small_files["lookup"]).loc[:, lookup.columns])


def test_derive_lookup_reports_outside_and_split():
    oa = _grid("oa_code")
    # LSOAs are the three columns of the grid; wards are the top row and the rest
    lsoa = gpd.GeoDataFrame(
        {"lsoa_code": ["E01000001", "E01000002", "E01000003"]},
        geometry=[
            shapely.box(X0 + i * SIDE, Y0, X0 + (i + 1) * SIDE, Y0 + 3 * SIDE) for i in range(3)
        ],
        crs=27700,
    )
    ward = gpd.GeoDataFrame(
        {"ward_code": ["E05000001", "E05000002"], "ward_name": ["Low", "High"]},
        geometry=[
            shapely.box(X0, Y0, X0 + 3 * SIDE, Y0 + 2 * SIDE),
            shapely.box(X0, Y0 + 2 * SIDE, X0 + 3 * SIDE, Y0 + 3 * SIDE),
        ],
        crs=27700,
    )
    # a tenth OA 1 km east of the grid, level with the top row: outside everything
    far = shapely.box(X0 + 1300, Y0 + 2 * SIDE, X0 + 1400, Y0 + 3 * SIDE)
    oa.loc[9] = ["E00000010", far]

    with pytest.warns(DataQualityWarning) as rec:
        lookup, report = derive_lookup(oa, lsoa, ward)

    messages = [str(w.message) for w in rec]
    assert any("1 of 10 OAs lie outside every LSOA" in m and "1,050 m" in m for m in messages)
    assert any("outside every ward" in m and "'E00000010'" in m for m in messages)
    expected_lsoa = [f"E0100000{i}" for i in (1, 2, 3) * 3] + ["E01000003"]
    expected_ward = ["E05000001"] * 6 + ["E05000002"] * 4
    assert lookup["lsoa_code"].tolist() == expected_lsoa
    assert lookup["ward_code"].tolist() == expected_ward
    assert lookup["ward_name"].tolist() == ["Low"] * 6 + ["High"] * 4
    assert report["oa_outside_lsoa"] == {
        "count": 1,
        "examples": ["E00000010"],
        "max_distance_m": pytest.approx(1050.0),  # point-on-surface at the centre
    }
    assert report["oa_outside_ward"]["examples"] == ["E00000010"]
    assert report["lsoa_split_across_wards"] == {
        "count": 3,
        "examples": ["E01000001", "E01000002", "E01000003"],
    }


def test_derive_lookup_point_on_shared_edge_goes_to_largest_overlap():
    # the OA's representative point (150, 50) lies on the edge between two LSOAs
    oa = gpd.GeoDataFrame(
        {"oa_code": ["E00000001"]}, geometry=[shapely.box(0, 0, 300, 100)], crs=27700
    )
    assert shapely.point_on_surface(oa.geometry.iloc[0]).equals(shapely.Point(150, 50))
    lsoa = gpd.GeoDataFrame(
        {"lsoa_code": ["E01000009", "E01000001", "E01000005"]},
        geometry=[
            shapely.box(0, 0, 150, 100),  # overlaps the OA by 15,000 m²
            shapely.box(150, 45, 300, 55),  # 1,500 m², lower code
            shapely.box(150, 0, 300, 45).union(shapely.box(150, 55, 300, 100)),
        ],
        crs=27700,
    )
    tied = lsoa.iloc[:2].assign(
        geometry=[shapely.box(0, 0, 150, 100), shapely.box(150, 0, 300, 100)]
    )
    ward = gpd.GeoDataFrame(
        {"ward_code": ["E05000001"]}, geometry=[shapely.box(0, 0, 300, 100)], crs=27700
    )
    assert derive_lookup(oa, lsoa, ward)[0]["lsoa_code"].tolist() == ["E01000009"]
    # equal overlaps: the lower code wins, whatever the row order
    assert derive_lookup(oa, tied, ward)[0]["lsoa_code"].tolist() == ["E01000001"]


def test_derive_lookup_needs_one_crs():
    oa = _grid("oa_code")
    lsoa = _grid("lsoa_code", prefix="E01").to_crs(4326)
    with pytest.raises(InputDataError, match=r"all boundaries in one CRS.*lsoa EPSG:4326"):
        derive_lookup(oa, lsoa, _grid("ward_code", prefix="E05"))
    with pytest.raises(InputDataError, match="'ward_code' column"):
        derive_lookup(oa, oa.rename(columns={"oa_code": "lsoa_code"}), oa)


def test_vintage_of_codes_by_membership():
    lists = {
        "lookup_2011_codes": ["E01000001", "E01000002", "E01000003"],
        "lookup_2021_codes": ["E01000001", "E01000003", "E01035000", "E01035001"],
    }
    r2011 = vintage_of_codes(["E01000001", "e01000002 "], **lists)
    assert (r2011["vintage"], r2011["only_2011"], r2011["mixed"]) == (2011, ["E01000002"], False)
    r2021 = vintage_of_codes(["E01000003", "E01035001"], **lists)
    assert (r2021["vintage"], r2021["only_2021"]) == (2021, ["E01035001"])
    unchanged = vintage_of_codes(["E01000001", "E01000003"], **lists)
    assert unchanged["vintage"] is None and not unchanged["mixed"]
    mixed = vintage_of_codes(["E01000002", "E01035000", "E01999999"], **lists)
    assert mixed["vintage"] is None and mixed["mixed"]
    assert mixed["in_neither"] == ["E01999999"]
    one = vintage_of_codes(["E01000002"], lookup_2021_codes=lists["lookup_2021_codes"])
    assert (one["vintage"], one["in_2011"], one["in_neither"]) == (None, None, ["E01000002"])
    with pytest.raises(TypeError, match="needs lookup_2011_codes"):
        vintage_of_codes(["E01000001"])


# ---- populations ------------------------------------------------------------------------


def _csv(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


TS001 = (
    "date,geography,geography code,Residence type: Total; measures: Value,"
    "Residence type: Lives in a household,"
    "Residence type:  Lives in a communal establishment ; measures: Value\n"
    "2021,Northbridge 001A,E01000001,1473,1465,8\n"
    "2021,Northbridge 001B,E01000002,1384,1384,0\n"
)

TS007A_HEAD = (
    "date,geography,geography code,Age: Total; measures: Value,"
    "Age: Aged 4 years and under,Age: Aged 5 to 9 years; measures: Value,"
    "Age: Aged 10 to 14 years,Age: Aged 15 to 19 years; measures: Value,"
    "Age: Aged 20 to 64 years,Age: Aged 65 years and over; measures: Value\n"
)
# rows: total, 0-4, 5-9, 10-14, 15-19, 20-64, 65+ (each row sums exactly to its total)
TS007A_ROWS = [
    ("E01000001", 1000, 50, 60, 70, 80, 600, 140),
    ("E01000002", 500, 10, 20, 30, 45, 300, 95),
]


def _ts007a(tmp_path: Path, rows=TS007A_ROWS) -> Path:
    body = "".join(f"2021,Area {r[0][-1]},{','.join(map(str, r))}\n" for r in rows)
    return _csv(tmp_path, "ts007a.csv", TS007A_HEAD + body)


def test_read_population_plain_csv(tmp_path):
    path = _csv(tmp_path, "pop.csv", "OA21CD,adults,LAD22CD\ne00000001 ,120,E09000001\n")
    pop = read_population(path)
    assert pop.to_dict() == {"E00000001": 120.0}
    assert (pop.name, pop.index.name, pop.dtype) == ("population", "oa_code", np.float64)
    assert pop.attrs["measure"] == "adults"
    assert read_population(path, code="oa21cd", column="ADULTS").to_dict() == {"E00000001": 120.0}


def test_read_population_plain_excel_with_named_column(tmp_path):
    path = tmp_path / "pop.xlsx"
    pd.DataFrame({"area": ["E01000001", "E01000002"], "residents": [1500, 1600]}).to_excel(
        path, index=False
    )
    pop = read_population(path, code="area", column="residents")
    assert pop.to_dict() == {"E01000001": 1500.0, "E01000002": 1600.0}
    assert pop.index.name == "lsoa_code"


def test_read_population_synthetic_borough(small_borough, small_files):
    pop = read_population(small_files["population"], code="OA21CD", column="adults")
    expected = small_borough.oa.set_index("oa_code")["population"].astype(float)
    pd.testing.assert_series_equal(
        pop.sort_index(), expected.sort_index(), check_names=False, check_index_type=False
    )


def test_read_population_nomis_ts001_total(tmp_path):
    pop = read_population(_csv(tmp_path, "ts001.csv", TS001))
    assert pop.to_dict() == {"E01000001": 1473.0, "E01000002": 1384.0}
    assert pop.attrs["measure"] == "usual residents (Residence type: Total)"
    assert pop.attrs["code_column"] == "geography code"
    assert pop.attrs["layout"] == "census"


@pytest.mark.parametrize(
    "column",
    [
        "Residence type: Lives in a household",
        "residence type: lives in a household; measures: Value",
        "Lives in a household",
    ],
)
def test_read_population_nomis_selected_category(tmp_path, column):
    pop = read_population(_csv(tmp_path, "ts001.csv", TS001), column=column)
    assert pop.to_dict() == {"E01000001": 1465.0, "E01000002": 1384.0}


def test_read_population_ts007a_adults(tmp_path):
    pop = read_population(_ts007a(tmp_path))
    # 16+ = total - (0-4 + 5-9 + 10-14) - 1/5 of 15-19
    assert pop.to_dict() == {
        "E01000001": pytest.approx(1000 - (50 + 60 + 70) - 80 / 5),  # 804
        "E01000002": pytest.approx(500 - (10 + 20 + 30) - 45 / 5),  # 431
    }
    assert pop.attrs["measure"].startswith("adults (16+")
    total = read_population(_ts007a(tmp_path), column="Age: Total")
    assert (pop < total).all()


def test_read_population_ts007a_bands_not_summing_warn(tmp_path):
    rows = [TS007A_ROWS[0], ("E01000002", 510, 10, 20, 30, 45, 300, 95)]
    with pytest.warns(
        DataQualityWarning, match=r"In 1 of 2 areas.*largest difference 10.*E01000002"
    ) as rec:
        pop = read_population(_ts007a(tmp_path, rows))
    assert Path(rec[0].filename) == Path(__file__)
    assert pop["E01000002"] == pytest.approx(510 - 60 - 9)


def test_read_population_nested_age_bands_use_the_leaves(tmp_path):
    text = (
        "geography code,Age: Total,Age: Aged 9 years and under,"
        "Age: Aged 9 years and under: Aged 4 years and under,"
        "Age: Aged 9 years and under: Aged 5 to 9 years,Age: Aged 10 to 19 years,"
        "Age: Aged 10 to 19 years: Aged 10 to 15 years,"
        "Age: Aged 10 to 19 years: Aged 16 to 19 years,Age: Aged 20 years and over\n"
        "E00000001,100,20,8,12,30,18,12,50\n"
    )
    pop = read_population(_csv(tmp_path, "ts007.csv", text))
    assert pop.to_dict() == {"E00000001": 100 - 8 - 12 - 18}
    assert pop.attrs["columns"][:2] == [
        "Age: Aged 9 years and under: Aged 4 years and under",
        "Age: Aged 9 years and under: Aged 5 to 9 years",
    ]


def test_read_population_age_bands_with_gap(tmp_path):
    text = (
        "geography code,Age: Total,Age: Aged 4 years and under,Age: Aged 10 to 14 years,"
        "Age: Aged 15 years and over\nE01000001,100,10,10,70\n"
    )
    with pytest.raises(InputDataError, match="leaves ages 5 to 9 uncovered"):
        read_population(_csv(tmp_path, "ages.csv", text))


def test_read_population_missing_column_lists_categories(tmp_path):
    with pytest.raises(
        InputDataError,
        match=r"no column 'Age: Aged 16 years'.*normalised: 'Age: Total', "
        r"'Age: Aged 4 years and under'",
    ):
        read_population(_ts007a(tmp_path), column="Age: Aged 16 years")


def test_read_population_household_table_is_not_a_population(tmp_path):
    text = (
        "geography code,Tenure of household: Total: All households,Tenure of household: Owned\n"
        "E01000001,600,300\n"
    )
    with pytest.raises(InputDataError, match=r"no adults, population or usual-residents column"):
        read_population(_csv(tmp_path, "ts054.csv", text))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("OA21CD,adults\nE00000001,12x\n", r"should be numeric.*'12x'"),
        ("OA21CD,adults\nE00000001,-3\nE00000002,5\n", r"negative populations.*'E00000001'"),
        ("OA21CD,adults\nE00000001,3\nE00000001,5\n", r"1 duplicated code\(s\), e.g. 'E00000001'"),
        ("OA21CD,adults\nE00000001,3\nE00000002,\n", r"no value in 'adults'.*'E00000002'"),
        (
            "OA21CD,adults\nE00000001,3\nE00000002,4\nE09000001,7\n",
            r"OA codes but also 1 other value.*'E09000001' \(rows 4\)",
        ),
        ("code,adults\nE00000001,3\n", r"no area code column.*'code', 'adults'"),
        ("OA21CD,people\nE00000001,3\n", r"set column = \"...\".*'people'"),
    ],
    ids=["non-numeric", "negative", "duplicate", "empty", "summary-row", "no-code", "no-value"],
)
def test_read_population_errors(tmp_path, text, message):
    with pytest.raises(InputDataError, match=message):
        read_population(_csv(tmp_path, "pop.csv", text))


def test_read_population_recoded_columns_with_dictionary(tmp_path):
    _csv(
        tmp_path,
        "_dictionary.csv",
        "Table_ID,column,Table_Name,Variable_Name,Type\n"
        "ts001,ts0010001,Residence type,Total,Value\n"
        "ts001,ts0010002,Residence type,Lives in a household,Value\n"
        "ts001,ts0010003,Residence type,Lives in a communal establishment,Value\n",
    )
    path = _csv(
        tmp_path,
        "ts001_oa21.csv",
        "OA21CD,ts0010001,ts0010002,ts0010003,LAD22CD\n"
        "E00000001,176.0,170.0,6.0,E09000001\nE00000003,256.0,256.0,0.0,E09000001\n",
    )
    pop = read_population(path)
    assert pop.to_dict() == {"E00000001": 176.0, "E00000003": 256.0}
    assert pop.attrs["layout"] == "census-coded"
    assert pop.attrs["columns"] == ["ts0010001"]
    assert read_population(path, column="ts0010003").to_dict() == {
        "E00000001": 6.0,
        "E00000003": 0.0,
    }
    (tmp_path / "_dictionary.csv").unlink()
    with pytest.raises(InputDataError, match=r"_dictionary\.csv beside the file"):
        read_population(path)


def test_census_label():
    assert census_label("Age: Total; measures: Value") == "Age: Total"
    assert census_label("Age:  Aged 4 years and under ;measures:  value") == (
        "Age: Aged 4 years and under"
    )


# ---- real London data (skipped when ../shared/realdata is absent) -----------------------

REALDATA = Path(__file__).resolve().parents[2] / "shared" / "realdata" / "london"
BARKING = "E09000002"


@pytest.fixture(scope="module")
def london():
    if not REALDATA.is_dir():
        pytest.skip(f"real data not found at {REALDATA}")
    return REALDATA


@pytest.fixture(scope="module")
def london_lookup(london):
    return read_lookup(
        london / "lookup_oa11_lsoa11_msoa11_ward_lad_london.csv",
        oa="OA11CD",
        lsoa="LSOA11CD",
        ward="WD11CD",
    )


@pytest.mark.realdata
def test_real_oa11_boundaries_of_one_borough(london, london_lookup, tmp_path):
    source = london / "oa11_london.gpkg"
    barking = pyogrio.read_dataframe(source, where=f"LAD11CD = '{BARKING}'")
    path = _write(barking, tmp_path / "oa11_barking.gpkg")

    oa = read_boundaries(path, "oa")

    assert len(oa) == len(barking) > 500
    assert oa["oa_code"].str.match(r"^E00\d{6}$").all()
    assert oa["oa_code"].is_unique
    assert oa.crs.to_epsg() == 27700
    assert oa.attrs["vintage"] == 2011
    expected = set(london_lookup.loc[london_lookup["oa_code"].isin(oa["oa_code"]), "oa_code"])
    assert expected == set(oa["oa_code"])

    lsoa = read_boundaries(london / "lsoa11_london.gpkg", "lsoa")
    lsoa = lsoa[lsoa["lsoa_code"].isin(barking["LSOA11CD"])]
    wards = read_boundaries(london / "wards2011era_london.gpkg", "ward")
    wards = wards[wards["ward_code"].isin(barking["WD11CD"])]
    derived, report = derive_lookup(oa, lsoa, wards)
    assert report["oa_outside_lsoa"]["count"] == 0
    assert report["oa_outside_ward"]["count"] == 0
    official = london_lookup.set_index("oa_code").loc[derived["oa_code"]]
    # LSOAs from the ONS lookup (independent of the geometry); wards best-fit as here
    assert (derived["lsoa_code"].to_numpy() == official["lsoa_code"].to_numpy()).all()
    assert (derived["ward_code"].to_numpy() == official["ward_code"].to_numpy()).all()


@pytest.mark.realdata
def test_real_lookup(london, london_lookup):
    assert len(london_lookup) == 24_339
    assert london_lookup["oa_code"].is_unique
    assert london_lookup["ward_code"].str.match(r"^E05\d{6}$").all()
    assert london_lookup.loc[0, "ward_name"] == "Aldersgate"
    oa21 = pd.read_csv(london / "lookup_oa21_ward22_lad_london.csv", dtype=str)["OA21CD"]
    found = vintage_of_codes(london_lookup["oa_code"], london_lookup["oa_code"], oa21)
    assert found["vintage"] == 2011
    assert vintage_of_codes(oa21, london_lookup["oa_code"], oa21)["vintage"] == 2021


@pytest.mark.realdata
def test_real_ts007a_adults_below_total(london):
    path = london / "census2021_lsoa21" / "ts007a_lsoa21_london.csv"
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the published bands sum to the total exactly
        adults = read_population(path)
    total = read_population(path, column="Age: Total")
    assert len(adults) == 4_844
    assert adults.index.name == "lsoa_code"
    assert (adults < total).all()
    assert (adults > 0).all()
    assert adults["E01000001"] == pytest.approx(1473 - (52 + 34 + 32) - 23 / 5)


@pytest.mark.realdata
def test_real_census2011_ks102ew_adults(london):
    adults = read_population(london / "census2011_lsoa11" / "ks102ew_lsoa11_london.csv")
    assert len(adults) == 4_693 and adults.index.name == "lsoa_code"
    # Camden 001A: all usual residents minus ages 0-4, 5-7, 8-9, 10-14 and 15 (bands end at 15)
    assert adults["E01000907"] == 1430 - (97 + 61 + 38 + 84 + 15)
