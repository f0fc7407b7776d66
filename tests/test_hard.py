"""Hard data: indicators, File 7 reading, code matching and hard_index."""

import doctest
import math
import warnings

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest
from scipy.stats import norm
from shapely.geometry import box

import resilience.inputs._codematch
import resilience.inputs._file7
import resilience.inputs.hard
from resilience.errors import CodeMatchError, ConfigError, DataQualityWarning, InputDataError
from resilience.inputs._file7 import detect_release
from resilience.inputs.hard import (
    HardData,
    Indicator,
    MatchReport,
    hard_index,
    match_codes,
    read_hard_data,
)

INCOME = "Income Score (rate)"
HEALTH = "Health Deprivation and Disability Score"
CRIME_RANK = "Crime Rank (where 1 is most deprived)"


def _codes(start, n, prefix="E01"):
    return [f"{prefix}{start + i:06d}" for i in range(n)]


def file7(codes, *, vintage=2011, lad="E09000002", lad_name="Barking and Dagenham"):
    """A File 7-shaped table (IoD2019 on 2011 LSOAs, or IoD2025 on 2021 LSOAs)."""
    n = len(codes)
    yy, lad_year, mid = (
        ("2011", "2019", "mid 2015 (excluding prisoners)")
        if vintage == 2011
        else ("2021", "2024", "mid 2022")
    )
    i = np.arange(n)
    return pd.DataFrame(
        {
            f"LSOA code ({yy})": codes,
            f"LSOA name ({yy})": [f"Somewhere {k:03d}A" for k in range(n)],
            f"Local Authority District code ({lad_year})": lad,
            f"Local Authority District name ({lad_year})": lad_name,
            "Index of Multiple Deprivation (IMD) Score": 10 + 3.0 * i,
            "Index of Multiple Deprivation (IMD) Rank (where 1 is most deprived)": 9000 - 10 * i,
            INCOME: np.round(0.05 + 0.02 * i, 3),
            "Income Rank (where 1 is most deprived)": 30000 - 1000 * i,
            HEALTH: np.round(-1 + 0.25 * i, 3),
            "Crime Score": np.round(0.5 - 0.1 * i, 3),
            CRIME_RANK: 1000 + 500 * i,
            f"Total population: {mid}": 1500 + i,
        }
    )


def write_csv(df, path):
    df.to_csv(path, index=False, encoding="utf-8-sig")
    return path


# ------------------------------------------------------------------------- Indicator


def test_indicator_validates_direction_and_weight():
    with pytest.raises(ConfigError, match=r"higher_is must be 'worse'.*got 'higher'"):
        Indicator(INCOME, "higher")
    with pytest.raises(ConfigError, match="weight must be greater than 0"):
        Indicator(INCOME, "worse", weight=0)
    with pytest.raises(ConfigError, match="weight must be a number"):
        Indicator(INCOME, "worse", weight="2")
    with pytest.raises(ConfigError, match=r"Unknown key 'direction'.*Allowed keys"):
        Indicator.from_config({"column": INCOME, "direction": "worse"})
    with pytest.raises(ConfigError, match="has no 'higher_is'"):
        Indicator.from_config({"column": INCOME})


@pytest.mark.parametrize(
    ("column", "name", "slug"),
    [
        (INCOME, "income deprivation", "income_score_rate"),
        (HEALTH, "health deprivation and disability", "health_deprivation_and_disability_score"),
        (CRIME_RANK, "crime", "crime_rank_where_1_is_most_deprived"),
        (
            "Education, Skills and Training Score",
            "education, skills and training deprivation",
            "education_skills_and_training_score",
        ),
        ("income_score", "income deprivation", "income_score"),
        (
            "Households in temporary accommodation",
            "Households in temporary accommodation",
            "households_in_temporary_accommodation",
        ),
    ],
)
def test_indicator_plain_name_and_slug(column, name, slug):
    ind = Indicator(column, "worse")
    assert ind.plain_name == name
    assert ind.slug == slug
    assert ind.need_column == f"{slug}_need"


def test_indicator_label_overrides_plain_name():
    assert Indicator(INCOME, "worse", label="families on low income").plain_name == (
        "families on low income"
    )


# ---------------------------------------------------------------------- hard_index


def _data(values, indicators):
    idx = pd.Index(_codes(1, len(next(iter(values.values())))), name="lsoa_code")
    return HardData(pd.DataFrame(values, index=idx, dtype=float), indicators)


def test_higher_is_better_is_turned_round():
    x = [1.0, 4.0, 2.0, 8.0, 5.0]
    worse = hard_index(_data({"a": [-v for v in x]}, [Indicator("a", "worse")]))
    better = hard_index(_data({"a": x}, [Indicator("a", "better")]))
    np.testing.assert_allclose(better["a_need"], worse["a_need"])
    # the largest "better" value is the least need
    assert better["hard_index"].idxmin() == "E01000004"
    assert better["hard_index"].idxmax() == "E01000001"


def test_zscore_weights_domains_and_missing_values():
    data = _data(
        {"a": [1.0, 2.0, 3.0, 4.0], "b": [10.0, 10.0, 30.0, np.nan], "c": [4.0, 3.0, 2.0, 1.0]},
        [
            Indicator("a", "worse", weight=3, domain="Money"),
            Indicator("b", "worse", weight=1, domain="money"),
            Indicator("c", "better", domain="health"),
        ],
    )
    out = hard_index(data)
    za = (np.array([1, 2, 3, 4]) - 2.5) / math.sqrt(1.25)  # population SD
    b = np.array([10.0, 10.0, 30.0])
    zb = (b - b.mean()) / b.std()
    np.testing.assert_allclose(out["a_need"], za)
    np.testing.assert_allclose(out["b_need"].iloc[:3], zb)
    assert np.isnan(out["b_need"].iloc[3])
    np.testing.assert_allclose(out["c_need"], za)  # 'better' reversed = same as a
    expected = [(3 * za[i] + zb[i] + za[i]) / 5 for i in range(3)]
    expected.append((3 * za[3] + za[3]) / 4)  # b missing: mean over a and c only
    np.testing.assert_allclose(out["hard_index"], expected)
    # domains by slug: "Money" and "money" are one domain
    np.testing.assert_allclose(out["hard_money"].iloc[:3], (3 * za[:3] + zb) / 4)
    assert out["hard_money"].iloc[3] == pytest.approx(za[3])
    np.testing.assert_allclose(out["hard_health"], za)
    assert [m["name"] for m in out.attrs["indicators"]] == ["a", "b", "c"]


def test_rank_and_exponential_methods():
    data = _data({"a": [5.0, 1.0, 3.0, 3.0]}, [Indicator("a", "worse")])
    ranks = np.array([4.0, 1.0, 2.5, 2.5])
    rank = hard_index(data, method="rank")
    np.testing.assert_allclose(rank["a_need"], norm.ppf((ranks - 0.5) / 4))
    exp = hard_index(data, method="exponential")
    expected = -23 * np.log(1 - ranks / 4 * (1 - math.exp(-100 / 23)))
    np.testing.assert_allclose(exp["a_need"], expected)
    assert exp["a_need"].max() == pytest.approx(100.0)  # the most deprived scores 100
    with pytest.raises(ConfigError, match="must be one of zscore, rank, exponential"):
        hard_index(data, method="minmax")


def test_constant_indicator_warns_and_contributes_nothing():
    data = _data(
        {"a": [1.0, 2.0, 3.0], "k": [7.0, 7.0, 7.0]},
        [Indicator("a", "worse"), Indicator("k", "worse")],
    )
    with pytest.warns(DataQualityWarning, match=r"same value \(7\) in all 3 LSOAs"):
        out = hard_index(data)
    assert out["k_need"].tolist() == [0.0, 0.0, 0.0]


# ------------------------------------------------------------------- reading File 7


def test_file7_with_bom_read_without_code(tmp_path):
    codes = _codes(1, 6)
    path = write_csv(file7(codes), tmp_path / "File_7_IoD2019.csv")
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")
    data = read_hard_data(
        [
            {
                "path": path,
                "indicators": [
                    {"column": INCOME, "higher_is": "worse", "domain": "income"},
                    {"column": CRIME_RANK, "higher_is": "better"},
                ],
            }
        ],
        lsoa_codes=pd.Series(codes, name="LSOA11CD"),
    )
    src = data.sources[0]
    assert src.code_column == "LSOA code (2011)"
    assert src.release == "English Indices of Deprivation 2019 (on 2011 LSOAs)"
    assert src.lsoa_vintage == 2011
    assert src.match.n_matched == 6
    assert list(data.values.columns) == ["income_score_rate", "crime_rank_where_1_is_most_deprived"]
    assert data.values.index.tolist() == codes
    assert data.values["income_score_rate"].tolist() == pytest.approx(
        [0.05, 0.07, 0.09, 0.11, 0.13, 0.15]
    )
    assert repr(data) == (
        "<HardData: 2 indicators for 6 LSOAs from File_7_IoD2019.csv (English Indices of "
        "Deprivation 2019 (on 2011 LSOAs)); 6 of 6 study-area LSOAs have data>"
    )


def test_file7_2025_release_and_truncated_excel_headers(tmp_path):
    codes = _codes(40001, 5)
    df = file7(codes, vintage=2021).rename(columns={HEALTH: "Health Deprivation and Disab"})
    path = tmp_path / "iod2025.xlsx"
    df.to_excel(path, sheet_name="IoD2025 Scores", index=False)
    data = read_hard_data(
        [
            {
                "path": path,
                "sheet": "IoD2025 Scores",
                "indicators": [{"column": HEALTH, "higher_is": "worse"}],
            }
        ]
    )
    src = data.sources[0]
    assert src.release == "English Indices of Deprivation 2025 (on 2021 LSOAs)"
    assert src.lsoa_vintage == 2021
    assert src.columns == {HEALTH: "Health Deprivation and Disab"}
    assert data.values.iloc[:, 0].tolist() == pytest.approx([-1, -0.75, -0.5, -0.25, 0])


def test_geopackage_layer_and_snake_case_table(tmp_path):
    codes = _codes(1, 4)
    gdf = gpd.GeoDataFrame(
        {"LSOA21CD": codes, "LAD22CD": "E09000002", "income_score": [0.1, 0.2, 0.3, 0.4]},
        geometry=[box(i, 0, i + 1, 1) for i in range(4)],
        crs="EPSG:27700",
    )
    path = tmp_path / "hard.gpkg"
    pyogrio.write_dataframe(gdf, path, layer="imd")
    data = read_hard_data(
        [
            {
                "path": path,
                "layer": "imd",
                "indicators": [{"column": "income_score", "higher_is": "worse"}],
            }
        ]
    )
    assert data.sources[0].code_column == "LSOA21CD"
    assert data.sources[0].lsoa_vintage == 2021
    assert data.sources[0].release is None
    assert data.indicators[0].plain_name == "income deprivation"


def test_several_tables_are_outer_joined(tmp_path):
    codes = _codes(1, 4)
    write_csv(file7(codes), tmp_path / "f7.csv")
    pd.DataFrame({"LSOA11CD": [*codes[1:], "E01000099"], "homeless_rate": [1, 2, 3, 4]}).to_csv(
        tmp_path / "council.csv", index=False
    )
    tables = [
        {"path": tmp_path / "f7.csv", "indicators": [{"column": INCOME, "higher_is": "worse"}]},
        {
            "path": tmp_path / "council.csv",
            "code": "LSOA11CD",
            "indicators": [{"column": "homeless_rate", "higher_is": "worse", "weight": 2}],
        },
    ]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        data = read_hard_data(tables)
    assert sorted(str(w.message)[:40] for w in caught) == [
        "Hard-data indicator 'Income Score (rate)",
        "Hard-data indicator 'homeless_rate' is m",
    ]
    assert sorted(data.values.index) == [*codes, "E01000099"]
    assert np.isnan(data.values.loc["E01000001", "homeless_rate"])
    assert np.isnan(data.values.loc["E01000099", "income_score_rate"])
    # matched to the study area: the LSOA missing from the council table is warned about
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        data = read_hard_data(tables, lsoa_codes=codes, max_unmatched=0.3)
    messages = [str(w.message) for w in caught if w.category is DataQualityWarning]
    assert len(messages) == 2, messages
    assert messages[0].startswith("1 of 4 study-area LSOAs (25.0%) have no data in hard data")
    assert "'E01000001'" in messages[0]
    assert messages[1].startswith("Hard-data indicator 'homeless_rate' is missing for 1 LSOA")
    assert data.values.index.tolist() == codes
    out = hard_index(data)
    assert out["hard_index"].notna().all()


def test_indicator_in_two_tables_is_an_error(tmp_path):
    write_csv(file7(_codes(1, 3)), tmp_path / "a.csv")
    ind = [{"column": INCOME, "higher_is": "worse"}]
    with pytest.raises(ConfigError, match=r"appears in tables 1 and 2"):
        read_hard_data([{"path": tmp_path / "a.csv", "indicators": ind}] * 2)


@pytest.mark.parametrize(
    ("indicators", "error", "match"),
    [
        (
            [{"column": "Income Scor (rate)", "higher_is": "worse"}],
            InputDataError,
            r"no column 'Income Scor \(rate\)'.*Similar columns: 'Income Score \(rate\)'",
        ),
        (
            [{"column": CRIME_RANK, "higher_is": "worse"}],
            ConfigError,
            r'1 is most deprived.*set higher_is = "better"',
        ),
        ([{"column": "Crime", "higher_is": "worse"}], InputDataError, r"no column 'Crime'"),
    ],
)
def test_column_errors(tmp_path, indicators, error, match):
    path = write_csv(file7(_codes(1, 3)), tmp_path / "f7.csv")
    with pytest.raises(error, match=match):
        read_hard_data([{"path": path, "indicators": indicators}])


def test_ambiguous_prefix_is_an_error(tmp_path):
    path = write_csv(file7(_codes(1, 3)), tmp_path / "f7.csv")
    ind = [{"column": "Index of Multiple Deprivation (IMD)", "higher_is": "worse"}]
    with pytest.raises(
        ConfigError,
        match=r"could mean any of 'Index of Multiple Deprivation "
        r"\(IMD\) Score', 'Index of Multiple Deprivation \(IMD\) Rank",
    ):
        read_hard_data([{"path": path, "indicators": ind}])
    # a prefix of one column only is fine
    ind = [{"column": "Crime Scor", "higher_is": "worse"}]
    assert read_hard_data([{"path": path, "indicators": ind}]).sources[0].columns == {
        "Crime Scor": "Crime Score"
    }


def test_bad_tables_are_reported(tmp_path):
    df = file7(_codes(1, 4))
    df.loc[2, "LSOA code (2011)"] = "E01000001"
    path = write_csv(df, tmp_path / "dup.csv")
    ind = [{"column": INCOME, "higher_is": "worse"}]
    with pytest.raises(InputDataError, match=r"1 LSOA code\(s\) on more than one row.*'E01000001'"):
        read_hard_data([{"path": path, "indicators": ind}])
    df = file7(_codes(1, 4))
    df[INCOME] = df[INCOME].astype(str)
    df.loc[1, INCOME] = "*"
    path = write_csv(df, tmp_path / "text.csv")
    with pytest.raises(InputDataError, match=r"Income Score \(rate\).*'\*'"):
        read_hard_data([{"path": path, "indicators": ind}])
    path = write_csv(file7(_codes(1, 4, prefix="E00")), tmp_path / "oa.csv")
    with pytest.raises(InputDataError, match=r"holds OA codes, not LSOA codes"):
        read_hard_data([{"path": path, "indicators": ind}])
    with pytest.raises(ConfigError, match=r"Unknown key 'file'"):
        read_hard_data([{"file": path, "indicators": ind}])
    with pytest.raises(InputDataError, match=r"does not exist"):
        read_hard_data([{"path": tmp_path / "nope.csv", "indicators": ind}])


def test_rows_without_a_code_are_reported(tmp_path):
    pd.DataFrame({"LSOA11CD": ["E01000001", None, "E01000002", None], "x": [1, 2, 3, None]}).to_csv(
        tmp_path / "t.csv", index=False
    )
    with pytest.warns(
        DataQualityWarning,
        match=r"1 row\(s\) .* no code in column 'LSOA11CD' "
        r"\(rows 3\)",
    ):
        data = read_hard_data(
            [{"path": tmp_path / "t.csv", "indicators": [{"column": "x", "higher_is": "worse"}]}]
        )
    assert data.values["x"].tolist() == [1.0, 3.0]


def test_release_detection():
    iod2015 = detect_release(
        ["LSOA code (2011)", "Total population: mid 2012 (excluding prisoners)"]
    )
    assert (iod2015.name, iod2015.lsoa_vintage) == ("IoD2015", 2011)
    file1 = detect_release(["LSOA code (2011)", "Index of Multiple Deprivation (IMD) Rank"])
    assert (file1.name, file1.lsoa_vintage) == ("IoD", 2011)
    iod2025 = detect_release(file7(_codes(1, 2), vintage=2021).columns)
    assert iod2025.lad_column == "Local Authority District code (2024)"
    assert iod2025.name_column == "LSOA name (2021)"


@pytest.mark.parametrize(
    "module",
    [resilience.inputs.hard, resilience.inputs._file7, resilience.inputs._codematch],
    ids=lambda m: m.__name__,
)
def test_docstring_examples(module):
    result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0


# ------------------------------------------------------------------ code matching


def test_match_report_counts_and_national_data_is_fine():
    national = _codes(1, 30_500)
    area = national[100:250]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        report = match_codes(national, area, data_label="File 7")
    assert isinstance(report, MatchReport)
    assert (report.n_matched, len(report.unmatched_in_areas)) == (150, 0)
    assert len(report.unmatched_in_data) == 30_350 and report.national
    assert "expected: the data are national" in str(report)
    assert report.causes == []


def test_vintage_2011_data_against_2021_boundaries(tmp_path):
    area = _codes(1, 18) + _codes(40001, 2)  # two codes that only exist in 2021
    path = write_csv(file7(_codes(1, 20)), tmp_path / "f7.csv")
    ind = [{"column": INCOME, "higher_is": "worse"}]
    with pytest.raises(CodeMatchError) as err:
        read_hard_data(
            [{"path": path, "indicators": ind}], lsoa_codes=pd.Series(area, name="LSOA21CD")
        )
    msg = str(err.value)
    assert "matched: 18 of 20 study-area LSOAs (90.0%)" in msg
    assert "'E01040001', 'E01040002'" in msg
    assert "is on 2011 LSOAs but the study area's codes are 2021 LSOAs" in msg
    assert "LSOA (2011) to LSOA (2021) to Local Authority District (2022) Exact Fit" in msg
    assert "U = unchanged" in msg and "S = split" in msg and "M = merged" in msg
    assert "X = irregular" in msg
    assert "more than the 5% allowed" in msg
    assert isinstance(err.value, InputDataError)


def test_vintage_detected_from_codes_within_the_same_authority():
    data = _codes(1, 20)
    lad = pd.Series("E09000002 (Barking and Dagenham)", index=data)
    area = _codes(1, 17) + _codes(40001, 3)  # 3 data codes replaced by 3 new codes
    with pytest.raises(
        CodeMatchError,
        match=r"(?s)Within 'E09000002 \(Barking.*3 LSOAs the "
        r"study area lacks.*different LSOA vintages.*CHGIND",
    ):
        match_codes(data, area, data_lad=lad)


def test_vintage_detected_with_national_data():
    national = _codes(1, 31_000)
    area = _codes(500, 30) + _codes(40001, 5)
    with pytest.raises(CodeMatchError, match=r"covers every LSOA in England.*other vintage"):
        match_codes(national, area, data_label="File 7")


def test_welsh_lsoas_with_the_english_imd(tmp_path):
    area = _codes(1, 10) + _codes(1, 3, prefix="W01")
    path = write_csv(file7(_codes(1, 10)), tmp_path / "f7.csv")
    with pytest.raises(CodeMatchError) as err:
        read_hard_data(
            [{"path": path, "indicators": [{"column": INCOME, "higher_is": "worse"}]}],
            lsoa_codes=area,
        )
    msg = str(err.value)
    assert "3 of the study area's LSOAs are Welsh (W01" in msg
    assert "English Indices of Deprivation 2019 (on 2011 LSOAs) covers England only" in msg
    assert "Welsh Index of Multiple Deprivation (WIMD)" in msg


def test_codes_from_another_local_authority(tmp_path):
    other = write_csv(
        file7(_codes(5001, 12), lad="E09000003", lad_name="Barnet"), tmp_path / "barnet.csv"
    )
    ind = [{"column": INCOME, "higher_is": "worse"}]
    with pytest.raises(
        CodeMatchError,
        match=r"covers 'E09000003 \(Barnet\)' and none of the "
        r"study area's LSOAs.*another local authority",
    ):
        read_hard_data([{"path": other, "indicators": ind}], lsoa_codes=_codes(1, 12))
    # boundaries with a few LSOAs of a neighbour: name where the matched ones are
    own = write_csv(file7(_codes(1, 30)), tmp_path / "own.csv")
    area = _codes(1, 30) + _codes(5001, 3)
    with pytest.raises(CodeMatchError) as err:
        read_hard_data([{"path": own, "indicators": ind}], lsoa_codes=area)
    msg = str(err.value)
    assert "matched lie in 'E09000002 (Barking and Dagenham)'" in msg
    assert "the 3 without data were expected there too" in msg
    assert "select the boundaries by LAD code" in msg


def test_below_the_limit_warns_and_keeps_the_gaps_visible(tmp_path):
    path = write_csv(file7(_codes(1, 39)), tmp_path / "f7.csv")
    area = _codes(1, 40)
    with pytest.warns(DataQualityWarning, match=r"1 of 40 study-area LSOAs \(2.5%\).*'E01000040'"):
        data = read_hard_data(
            [{"path": path, "indicators": [{"column": INCOME, "higher_is": "worse"}]}],
            lsoa_codes=area,
        )
    assert len(data.values) == 40
    assert data.unmatched == ["E01000040"]
    assert np.isnan(hard_index(data).loc["E01000040", "hard_index"])
    with pytest.raises(ConfigError, match="max_unmatched must be a share between 0 and 1"):
        match_codes(area, area, max_unmatched=5)


def test_codes_are_normalised_before_matching():
    report = match_codes([" e01000001", "E01000002 "], ["E01000001", "E01000002"])
    assert report.n_matched == 2 and report.ok


# ----------------------------------------------------------------------- real data


def test_real_imd2019_for_one_london_borough(realdata):
    imd_path = realdata / "imd2019_lsoa11_london.csv"
    lsoa = pyogrio.read_dataframe(
        realdata / "lsoa11_london.gpkg", read_geometry=False, columns=["LSOA11CD", "LAD11CD"]
    )
    codes = lsoa.loc[lsoa["LAD11CD"] == "E09000002", "LSOA11CD"]
    tables = [
        {
            "path": imd_path,
            "code": "LSOA11CD",
            "indicators": [
                {"column": "income_score", "higher_is": "worse", "domain": "income"},
                {"column": "employment_score", "higher_is": "worse", "domain": "employment"},
                {"column": "health_score", "higher_is": "worse", "domain": "health"},
                {"column": "crime_rank", "higher_is": "better", "domain": "crime"},
            ],
        }
    ]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        data = read_hard_data(tables, lsoa_codes=codes)
    report = data.sources[0].match
    assert report.n_matched == len(codes) == 110
    assert not report.national and len(report.unmatched_in_data) > 4000
    out = hard_index(data)
    assert out["hard_index"].notna().all()
    assert out["hard_index"].mean() == pytest.approx(0.0, abs=1e-9)
    # the index agrees with the published IMD score across the borough
    imd = pd.read_csv(imd_path, dtype={"LSOA11CD": str}).set_index("LSOA11CD")
    rho = out["hard_index"].corr(imd.loc[out.index, "imd_score"], method="spearman")
    assert rho > 0.8, rho

    # the same data against the borough's 2021 LSOAs: a real vintage mismatch
    lsoa21 = pyogrio.read_dataframe(
        realdata / "lsoa21_london.gpkg", read_geometry=False, columns=["LSOA21CD", "LAD22CD"]
    )
    codes21 = lsoa21.loc[lsoa21["LAD22CD"] == "E09000002", "LSOA21CD"]
    with pytest.raises(
        CodeMatchError,
        match=r"(?s)on 2011 LSOAs but the study area's codes are "
        r"2021.*CHGIND",
    ):
        read_hard_data(tables, lsoa_codes=codes21)
    # without the column name, the codes themselves give it away (LAD19CD in the data)
    with pytest.raises(
        CodeMatchError,
        match=r"(?s)Within 'E09000002 \(Barking and Dagenham\)' "
        r"the data have 6 LSOAs the study area lacks.*has 11 the data lack",
    ):
        read_hard_data(tables, lsoa_codes=codes21.tolist())
