"""Study area, population at LSOA level, wards and OAs, CSVs as councils save them.

Real-data tests read ../shared/realdata (London, every borough but Hounslow) and skip
when it is absent; the rest build their files in code.
"""

import warnings

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from resilience.config import load_config
from resilience.errors import CodeMatchError, ConfigError, DataQualityWarning
from resilience.inputs._io import read_table, to_numeric
from resilience.inputs.boundaries import read_boundaries
from resilience.inputs.load import missing_oas_join, oa_ward_fit, wards_in_area
from resilience.inputs.lookup import read_lookup
from resilience.inputs.population import read_population, spread_to_oas

LOOKUP = "lookup_oa11_lsoa11_msoa11_ward_lad_london.csv"


@pytest.fixture(scope="module")
def london(realdata):
    oa = read_boundaries(realdata / "oa11_london.gpkg", "oa", code="OA11CD")
    lk = read_lookup(realdata / LOOKUP, oa="OA11CD", lsoa="LSOA11CD", ward="WD11CD")
    return oa, lk.set_index("oa_code")


# ---- population at LSOA level -------------------------------------------------------------


def test_mid_year_lsoa_adults_from_age_columns(realdata):
    pop = read_population(
        realdata / "population" / "mid2019_population_lsoa11_london.csv", column="adults"
    )
    assert len(pop) == 4693 and pop.index.name == "lsoa_code"
    # E01000001: Persons_All-Ages 1636 minus Persons_0-15 258 (as published)
    assert pop["E01000001"] == 1636 - 258
    assert pop.attrs["measure"].startswith("adults (16+")


def test_lsoa_population_spread_to_oas_keeps_lsoa_totals(realdata, london):
    _, lk = london
    pop = read_population(
        realdata / "population" / "mid2020_population_lsoa11_london.csv", column="adults"
    )
    counts = read_population(realdata / "census2021_oa21" / "ts001_oa21_london.csv")
    with pytest.warns(DataQualityWarning, match=r"1094 of 24339 OAs have no count") as rec:
        spread = spread_to_oas(pop, lk["lsoa_code"], counts)
    assert "ts001_oa21_london.csv" in str(rec[0].message)
    by_lsoa = spread.groupby(lk["lsoa_code"]).sum()
    np.testing.assert_allclose(by_lsoa.reindex(pop.index), pop, rtol=1e-12)
    # an unchanged OA takes its LSOA's figure in proportion to its 2021 residents
    lsoa = lk.loc["E00000001", "lsoa_code"]
    members = lk.index[lk["lsoa_code"] == lsoa]
    if members.isin(counts.index).all():
        expected = pop[lsoa] * counts["E00000001"] / counts[members].sum()
        assert spread["E00000001"] == pytest.approx(expected)
    equal = spread_to_oas(pop, lk["lsoa_code"])
    np.testing.assert_allclose(equal.groupby(lk["lsoa_code"]).sum().reindex(pop.index), pop)
    assert "spread to OAs equally" in equal.attrs["measure"]


# ---- wards and OAs ------------------------------------------------------------------------


def test_wards_without_oas_are_kept_and_named(realdata, london):
    oa, lk = london
    wards = read_boundaries(realdata / "wards2011era_london.gpkg", "ward")
    assert lk["ward_code"].nunique() == 617
    with pytest.warns(DataQualityWarning, match=r"12 ward\(s\) of the study area have no OA"):
        kept = wards_in_area(wards, oa, lk)
    assert len(kept) == 629
    # one borough's OAs: the other boroughs' wards stay out, without a warning
    bd = oa[oa["oa_code"].isin(lk.index[lk["lsoa_name"].str.startswith("Barking")])]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert set(wards_in_area(wards, bd, lk.loc[bd["oa_code"]])["ward_code"]) == set(
            lk.loc[bd["oa_code"], "ward_code"]
        )


def test_2011_oas_on_2022_wards_are_counted_and_warned(realdata, london):
    oa, lk = london
    w22 = read_boundaries(realdata / "wards2022_london.gpkg", "ward")
    lk22 = read_lookup(realdata / LOOKUP, oa="OA11CD", lsoa="LSOA11CD", ward="WD22CD")
    with pytest.warns(DataQualityWarning, match="285 of 24339 OAs lie mostly outside"):
        fit = oa_ward_fit(oa, w22, lk22.set_index("oa_code"))
    assert fit["over_10pct"] == 2096 and fit["area_share_outside"] == pytest.approx(0.0486, 1e-2)
    w11 = read_boundaries(realdata / "wards2011era_london.gpkg", "ward")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the 2011 wards fit: no warning
        fit11 = oa_ward_fit(oa, w11, lk)
    assert fit11["over_10pct"] == 65 and fit11["mostly_outside"] == 8


def _squares(codes, level):
    geoms = [shapely.box(i, 0, i + 1, 1) for i in range(len(codes))]
    return gpd.GeoDataFrame({f"{level}_code": codes}, geometry=geoms, crs=27700)


def test_lookup_oas_missing_from_boundaries(tmp_path):
    codes = [f"E00{i:06d}" for i in range(200)]
    lookup = pd.DataFrame(
        {"lsoa_code": [f"E01{i // 5:06d}" for i in range(200)], "ward_code": "E05000001"},
        index=pd.Index(codes, name="oa_code"),
    )
    cfg = {"geography": {"max_missing_oas": 0.01, "oa": {"path": "oa.gpkg"}}}
    one_gone = _squares(codes[1:], "oa")
    with pytest.warns(DataQualityWarning, match="1 of 200 OA codes .* e.g. 'E00000000'"):
        missing_oas_join(cfg, one_gone, lookup, None)()
    # a whole LSOA missing (5 OAs, 2.5 %) stops the run, naming them
    lsoa_gone = _squares(codes[5:], "oa")
    with pytest.raises(CodeMatchError, match=r"5 of 200 OA codes .*'E00000000'.*max_missing_oas"):
        missing_oas_join(cfg, lsoa_gone, lookup, None)()


# ---- config -------------------------------------------------------------------------------


def test_area_config_values(tmp_path):
    from resilience.synthetic import make_borough

    paths = make_borough(seed=0).write(tmp_path / "in")
    text = paths["config"].read_text()
    ok = load_config_text(paths["config"], text + '\n[area]\nlad = ["E09000099"]\n')
    assert ok["area"]["lad"] == ["E09000099"] and ok["area"]["wards"] is None
    assert load_config(paths["config"])["area"]["lad"] == "all"
    with pytest.raises(ConfigError, match=r"write a single code as a list"):
        load_config_text(paths["config"], text + '\n[area]\nlad = "E09000099"\n')
    with pytest.raises(ConfigError, match=r"Unknown key 'ward' in \[area\]"):
        load_config_text(paths["config"], text + '\n[area]\nward = ["E05000001"]\n')


def load_config_text(path, text):
    other = path.with_name("other.toml")
    other.write_text(text)
    return load_config(other)


# ---- CSVs as councils save them ----------------------------------------------------------


def test_windows_1252_csv_is_read_with_a_warning(tmp_path):
    f = tmp_path / "hard.csv"
    f.write_bytes("LSOA21CD,name,score\nE01000001,Café £,1.5\n".encode("cp1252"))
    with pytest.warns(DataQualityWarning, match=r"'.*hard.csv' is not UTF-8.*Windows-1252"):
        df = read_table(f, role="hard data")
    assert df.loc[0, "name"] == "Café £"


def test_semicolon_csv_is_detected(tmp_path):
    f = tmp_path / "hard.csv"
    f.write_text("LSOA21CD;score\nE01000001;1,5\nE01000002;2\n", encoding="utf-8")
    df = read_table(f, role="hard data")
    assert list(df.columns) == ["LSOA21CD", "score"] and df["score"].tolist() == ["1,5", "2"]
    # the decimal comma of the locales that save CSV with semicolons
    assert to_numeric(df, ["score"], path=f, role="hard data")["score"].tolist() == [1.5, 2.0]


@pytest.fixture(scope="module")
def small_borough(tmp_path_factory):
    from resilience.synthetic import make_borough

    b = make_borough(seed=5, n_oa=150, n_lsoa=30, n_ward=5, n_respondents=3000)
    return b.write(tmp_path_factory.mktemp("small") / "borough")


def test_check_quiet_prints_only_problems(small_borough, capsys):
    from resilience.cli import main

    config = small_borough["config"]
    assert main(["check", str(config)]) == 0
    full = capsys.readouterr().out
    assert "[  ok  ]" in full
    assert main(["check", "-q", str(config)]) == 0
    quiet = capsys.readouterr().out
    assert "[  ok  ]" not in quiet and "[      ]" not in quiet
    assert quiet.strip().endswith("All inputs can be read and joined.")
    # a council's Excel "CSV" (Windows-1252, semicolons, as European Excel saves it)
    hard = config.parent / "data" / "imd2025_file7.csv"
    df = pd.read_csv(hard, dtype=str, encoding="utf-8-sig")
    df["LSOA name (2021)"] = df["LSOA name (2021)"].str.replace("Northbridge", "Nórthbridge")
    df.to_csv(hard, sep=";", index=False, encoding="cp1252")
    assert main(["check", "-q", str(config)]) == 0
    quiet = capsys.readouterr().out
    assert "[  ok  ]" not in quiet
    assert "imd2025_file7.csv' is not UTF-8" in quiet and "Windows-1252" in quiet


def test_oa_counts_of_another_vintage_go_through_the_vintage_lookup(small_borough, tmp_path):
    from resilience.inputs.load import read_config_population

    data = small_borough["config"].parent / "data"
    lookup = pd.read_csv(data / "lookup.csv", dtype=str).set_index("OA21CD")
    lookup = lookup.rename(columns={"LSOA21CD": "lsoa_code"})
    members = lookup.groupby("lsoa_code").groups
    oas = next(list(v) for v in members.values() if len(v) >= 3)
    merged, split_a, split_b = oas[:3]
    # "2011" counts: merged came from two older OAs, split_a and split_b from one
    counts = {c: 10.0 for c in lookup.index if c not in (merged, split_a, split_b)}
    counts |= {"E00900001": 30.0, "E00900002": 10.0, "E00900003": 60.0}
    links = [(c, c, "U") for c in counts if c.startswith("E0017")]
    links += [("E00900001", merged, "M"), ("E00900002", merged, "M")]
    links += [("E00900003", split_a, "S"), ("E00900003", split_b, "S")]
    pd.Series(counts).rename_axis("OA11CD").rename("count").reset_index().to_csv(
        tmp_path / "counts11.csv", index=False
    )
    pd.DataFrame(links, columns=["OA11CD", "OA21CD", "CHNGIND"]).to_csv(
        tmp_path / "oa11_oa21.csv", index=False
    )
    pd.DataFrame({"LSOA21CD": list(members), "adults": 1000.0}).to_csv(
        tmp_path / "lsoa_pop.csv", index=False
    )
    cfg = {
        "geography": {
            "population": {
                "path": str(tmp_path / "lsoa_pop.csv"), "code": None, "column": "adults",
                "level": "lsoa",
                "oa_counts": {"path": str(tmp_path / "counts11.csv"), "code": "OA11CD",
                              "column": "count"},
            },
            "vintage_lookup": {"path": str(tmp_path / "oa11_oa21.csv"), "source": "OA11CD",
                               "target": "OA21CD", "change": "CHNGIND"},
        }
    }  # fmt: skip
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # every OA has a count once carried across
        pop = read_config_population(cfg, lookup)
    share = pop[oas] / pop[oas].sum()
    weights = pd.Series(10.0, index=oas)
    weights[merged], weights[split_a], weights[split_b] = 40.0, 30.0, 30.0
    np.testing.assert_allclose(share, weights[oas] / weights[oas].sum())
    assert pop[oas].sum() == pytest.approx(1000.0)
