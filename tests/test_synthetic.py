"""Invariants of the synthetic borough generator."""

import tomllib

import numpy as np
import pandas as pd
import pyogrio
import pytest
import shapely
from geopandas.testing import assert_geodataframe_equal

from resilience.clusters import CLUSTER_KEYS, share_columns
from resilience.errors import ConfigError, OutputExistsError
from resilience.items import DEFAULT_ITEMS
from resilience.synthetic import make_borough


@pytest.fixture(scope="module")
def small():
    return make_borough(seed=3, n_oa=150, n_lsoa=30, n_ward=5, n_respondents=3000)


def test_default_sizes(borough):
    assert len(borough.oa) == 700
    assert len(borough.lsoa) == 140
    assert len(borough.ward) == 20
    assert len(borough.survey) == 8000
    assert borough.oa.crs.to_epsg() == 27700


def test_oa_nest_in_lsoa_nest_in_ward(borough):
    oa = borough.oa.set_index("oa_code")
    lsoa = borough.lsoa.set_index("lsoa_code")
    ward = borough.ward.set_index("ward_code")
    # every LSOA is exactly the union of its OAs, every ward the union of its LSOAs
    for code, geom in lsoa.geometry.items():
        parts = oa.geometry[oa["lsoa_code"] == code]
        assert len(parts) >= 3
        assert shapely.symmetric_difference(parts.union_all(), geom).area < 1e-3
    for code, geom in ward.geometry.items():
        parts = lsoa.geometry[lsoa["ward_code"] == code]
        assert shapely.symmetric_difference(parts.union_all(), geom).area < 1e-3
    # the OA table's ward codes agree with the LSOA table's
    assert (oa["ward_code"] == oa["lsoa_code"].map(lsoa["ward_code"])).all()


def test_oas_tile_the_outline_without_gaps_or_overlaps(borough):
    cells = borough.oa.geometry.to_numpy()
    assert shapely.is_valid(cells).all()
    assert shapely.coverage_is_valid(cells)
    union = shapely.coverage_union_all(cells)
    outline = borough.outline
    assert shapely.symmetric_difference(union, outline).area < 1e-6 * outline.area
    overlap = shapely.area(cells).sum() - union.area
    assert abs(overlap) < 1e-6 * outline.area


def test_coordinates_are_in_england_bng(borough):
    xmin, ymin, xmax, ymax = borough.oa.total_bounds
    assert 0 < xmin < xmax < 700_000 and 0 < ymin < ymax < 1_300_000
    area_km2 = borough.outline.area / 1e6
    assert 20 < area_km2 < 150  # a London borough is 15–150 km²


def test_code_and_name_formats(borough):
    assert borough.oa["oa_code"].str.fullmatch(r"E00\d{6}").all()
    assert borough.lsoa["lsoa_code"].str.fullmatch(r"E01\d{6}").all()
    assert borough.ward["ward_code"].str.fullmatch(r"E05\d{6}").all()
    assert borough.lsoa["lsoa_name"].str.fullmatch(r"Northbridge \d{3}[A-Z]").all()
    for frame, col in (
        (borough.oa, "oa_code"),
        (borough.lsoa, "lsoa_code"),
        (borough.lsoa, "lsoa_name"),
        (borough.ward, "ward_name"),
    ):
        assert frame[col].is_unique


def test_classification_codes_are_hierarchical(borough):
    c = borough.classification
    assert c["supergroup"].str.fullmatch(r"[1-9]").all()
    assert c["group"].str.fullmatch(r"[1-9][a-z]").all()
    assert c["subgroup"].str.fullmatch(r"[1-9][a-z]\d").all()
    assert (c["group"].str[0] == c["supergroup"]).all()
    assert (c["subgroup"].str[:2] == c["group"]).all()


def test_neighbouring_oas_tend_to_share_a_type(borough):
    from libpysal.graph import Graph

    oa = borough.oa.set_index("oa_code")
    g = Graph.build_contiguity(oa, rook=True)
    adj = g.adjacency.reset_index()
    adj = adj[adj["weight"] > 0]
    same = oa.loc[adj["focal"], "group"].to_numpy() == oa.loc[adj["neighbor"], "group"].to_numpy()
    shares = oa["group"].value_counts(normalize=True)
    by_chance = float((shares**2).sum())
    assert same.mean() > by_chance + 0.15


def test_population_is_plausible(borough):
    pop = borough.oa["population"]
    assert pop.dtype.kind == "i"
    assert pop.between(100, 600).all()


def test_same_seed_same_data_other_seed_other_data(small):
    again = make_borough(seed=3, n_oa=150, n_lsoa=30, n_ward=5, n_respondents=3000)
    assert_geodataframe_equal(small.oa, again.oa)
    assert_geodataframe_equal(small.ward, again.ward)
    pd.testing.assert_frame_equal(small.survey, again.survey)
    pd.testing.assert_frame_equal(small.hard, again.hard)
    pd.testing.assert_frame_equal(small.truth.planted, again.truth.planted)
    other = make_borough(seed=4, n_oa=150, n_lsoa=30, n_ward=5, n_respondents=3000)
    assert not small.oa.geometry.geom_equals(other.oa.geometry).all()
    assert not small.survey.equals(other.survey)


def test_survey_is_ukhls_shaped(borough):
    s = borough.survey
    items = [f"f_{it.name}" for it in DEFAULT_ITEMS]
    assert set(items) <= set(s.columns)
    assert "pidp" in s.columns and s["pidp"].is_unique
    assert "f_indscui_xw" in s.columns
    values = s[items].to_numpy()
    for code in (-1, -2, -7, -8, -9):
        assert (values == code).any(), f"missing code {code} absent"
    # valid codes within each item's published scale
    for it in DEFAULT_ITEMS:
        v = s[f"f_{it.name}"]
        v = v[v > 0]
        assert v.between(it.low, it.high).all()
        assert v.nunique() == it.high - it.low + 1


def test_proxies_have_minus7_everywhere_and_zero_weight(borough):
    s = borough.survey
    items = [f"f_{it.name}" for it in DEFAULT_ITEMS]
    proxy = s["f_ivfio"] == 2
    assert 0.01 < proxy.mean() < 0.06
    assert (s.loc[proxy, items] == -7).all().all()
    assert (s.loc[~proxy, items] == -7).sum().sum() == 0
    assert (s.loc[proxy, "f_indscui_xw"] == 0).all()
    zero = s["f_indscui_xw"] == 0
    assert (zero & ~proxy).sum() > 50
    assert (s["f_indscui_xw"] >= 0).all()


def test_survey_covers_borough_categories_unevenly(borough):
    counts = borough.survey["oac_subgroup"].str.lower().value_counts()
    borough_cats = borough.classification["subgroup"].unique()
    n = counts.reindex(borough_cats).fillna(0)
    assert n.max() > 300  # some categories are large …
    assert (n < 10).any()  # … and some are too small to estimate on their own


def test_truth_matches_the_respondent_file(borough):
    s = borough.survey.set_index("pidp")
    true = borough.truth.respondent_cluster.reindex(s.index)
    w = s["f_indscui_xw"]
    truth = borough.truth.category_shares
    checked = 0
    for level in ("supergroup", "group"):
        codes = s[f"oac_{level}"].str.lower()
        for code, idx in codes.groupby(codes).groups.items():
            ww = w.loc[idx]
            if (ww > 0).sum() < 150:
                continue
            est = (
                pd.get_dummies(true.loc[idx])
                .reindex(columns=CLUSTER_KEYS, fill_value=0)
                .mul(ww, axis=0)
                .sum()
                / ww.sum()
            )
            n_eff = ww.sum() ** 2 / (ww**2).sum()
            expected = truth.loc[(level, code), share_columns()].to_numpy(dtype=float)
            se = np.sqrt(expected * (1 - expected) / n_eff)
            assert (np.abs(est.to_numpy() - expected) < 4.5 * se + 0.01).all(), (level, code)
            checked += 1
    assert checked >= 8


def test_weights_correct_the_response_bias(borough):
    s = borough.survey.set_index("pidp")
    true = borough.truth.respondent_cluster.reindex(s.index)
    w = s["f_indscui_xw"]
    nat = borough.truth.category_shares.loc["supergroup"]
    population = (nat[share_columns()].mul(nat["national_share"], axis=0).sum()).to_numpy()
    d = pd.get_dummies(true).reindex(columns=CLUSTER_KEYS, fill_value=0).astype(float)
    weighted = (d.mul(w, axis=0).sum() / w.sum()).to_numpy()
    unweighted = d.mean().to_numpy()
    iso = CLUSTER_KEYS.index("isolation")
    assert abs(weighted[iso] - population[iso]) < abs(unweighted[iso] - population[iso])


def test_hard_data_follow_the_truth_except_where_planted(borough):
    hard = borough.hard.set_index("LSOA code (2021)")
    truth = borough.truth.lsoa_shares
    planted = set(borough.truth.planted["lsoa_code"])
    keep = [c for c in hard.index if c not in planted]
    need = -truth.loc[keep, "resilience_score"]
    assert np.corrcoef(need, hard.loc[keep, "Income Score (rate)"])[0, 1] > 0.7
    # "better" direction: higher rank = less deprived
    assert np.corrcoef(need, hard.loc[keep, "Crime Rank (where 1 is most deprived)"])[0, 1] < -0.4
    directions = borough.truth.planted["direction"].value_counts()
    assert directions["hard_worse"] >= 5 and directions["predicted_worse"] >= 5


def test_hard_data_is_file7_shaped(borough):
    cols = list(borough.hard.columns)
    assert cols[:4] == [
        "LSOA code (2021)",
        "LSOA name (2021)",
        "Local Authority District code (2024)",
        "Local Authority District name (2024)",
    ]
    assert "Index of Multiple Deprivation (IMD) Rank (where 1 is most deprived)" in cols
    assert "Income Decile (where 1 is most deprived 10% of LSOAs)" in cols
    assert (
        borough.hard["Income Decile (where 1 is most deprived 10% of LSOAs)"].between(1, 10).all()
    )


def test_vintage_2011_uses_2011_layout():
    b = make_borough(seed=1, n_oa=60, n_lsoa=12, n_ward=3, n_respondents=500, vintage=2011)
    assert b.hard.columns[0] == "LSOA code (2011)"
    assert "Total population: mid 2015 (excluding prisoners)" in b.hard.columns


def test_written_files_read_back_equal(small, tmp_path):
    paths = small.write(tmp_path / "borough")
    oa = pyogrio.read_dataframe(paths["oa"])
    assert oa.crs.to_epsg() == 27700
    mine = small.oa.set_index("oa_code")
    back = oa.set_index("OA21CD").loc[mine.index]
    assert back.geometry.geom_equals_exact(mine.geometry, tolerance=0).all()
    assert (back["LSOA21CD"] == mine["lsoa_code"]).all()
    wards = pyogrio.read_dataframe(paths["ward"]).set_index("WD24CD")
    assert (wards["WD24NM"] == small.ward.set_index("ward_code")["ward_name"]).all()

    levels = {f"oac_{lv}": str for lv in ("supergroup", "group", "subgroup")}
    survey = pd.read_csv(paths["survey"], sep="\t", dtype=levels)
    pd.testing.assert_frame_equal(survey, small.survey, check_dtype=False)
    lookup = pd.read_csv(paths["lookup"], dtype=str)
    assert (lookup.set_index("OA21CD")["WD24CD"] == mine["ward_code"]).all()
    pop = pd.read_csv(paths["population"], dtype={"OA21CD": str}).set_index("OA21CD")
    assert (pop["adults"] == mine["population"]).all()
    oac = pd.read_csv(paths["classification"], dtype=str).set_index("OA21CD")
    pd.testing.assert_frame_equal(oac, small.classification.rename_axis("OA21CD"))

    raw = paths["hard"].read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # byte-order mark, as published
    hard = pd.read_csv(paths["hard"], encoding="utf-8-sig")
    pd.testing.assert_frame_equal(hard, small.hard, check_dtype=False)

    truth = pd.read_csv(paths["truth"] / "oa_shares.csv", index_col=0)
    np.testing.assert_allclose(truth.to_numpy(), small.truth.oa_shares.to_numpy())
    config = tomllib.loads(paths["config"].read_text())
    assert set(config) >= {"title", "seed", "geography", "classification", "survey", "hard"}
    for key in ("oa", "lsoa", "ward", "lookup", "population"):
        assert (paths["config"].parent / config["geography"][key]["path"]).exists()
    assert config["hard"]["code"] == "LSOA code (2021)"


def test_write_refuses_to_overwrite(small, tmp_path):
    small.write(tmp_path / "b")
    with pytest.raises(OutputExistsError, match="already exists"):
        small.write(tmp_path / "b")
    small.write(tmp_path / "b", overwrite=True)


def test_sizes_must_nest():
    with pytest.raises(ConfigError, match="n_oa >= 3 \\* n_lsoa"):
        make_borough(n_oa=20, n_lsoa=10, n_ward=2)


def test_committed_demo_boundaries_match_the_generator(borough):
    from pathlib import Path

    path = Path(__file__).resolve().parents[1] / "boundaries" / "northbridge.gpkg"
    layers = {name for name, _ in pyogrio.list_layers(path)}
    assert layers == {"oa", "lsoa", "ward"}
    oa = pyogrio.read_dataframe(path, layer="oa").set_index("oa_code")
    mine = borough.oa.set_index("oa_code")
    assert list(oa.index) == list(mine.index)
    assert oa.geometry.geom_equals_exact(mine.geometry, tolerance=1e-6).all()
    ward = pyogrio.read_dataframe(path, layer="ward")
    assert list(ward["ward_name"]) == list(borough.ward["ward_name"])
