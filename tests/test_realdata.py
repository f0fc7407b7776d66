"""End to end on one real London borough (skipped when ../shared/realdata is absent).

Real files: OA 2011 and LSOA 2011 polygons, 2011-era wards (cut to the borough, as a
council would have them), the London-wide OA → LSOA → ward lookup, the London OAC 2011
per OA and the IMD 2019 as published for London (both used whole). The survey is
synthetic, drawn on the London OAC categories, because real Understanding Society
microdata cannot be shipped.
"""

import json

import numpy as np
import pandas as pd
import pyogrio
import pytest
from scipy.stats import spearmanr

from resilience.cli import main
from resilience.synthetic import make_survey

LAD = "E09000002"  # Barking and Dagenham


@pytest.fixture(scope="module")
def borough_files(realdata, tmp_path_factory):
    folder = tmp_path_factory.mktemp("real")
    where = f"LAD11CD = '{LAD}'"
    for name, layer_file in (("oa", "oa11_london.gpkg"), ("lsoa", "lsoa11_london.gpkg"),
                             ("wards", "wards2011era_london.gpkg")):  # fmt: skip
        gdf = pyogrio.read_dataframe(realdata / layer_file, where=where)
        pyogrio.write_dataframe(gdf, folder / f"{name}.gpkg", layer=name)
    loac = pd.read_csv(realdata / "loac2011_oa11_london.csv", dtype=str)
    cats = loac[["LOAC11_SPRGRP", "LOAC11_GRP"]].drop_duplicates()
    survey, _, _ = make_survey(cats, n_respondents=6000, seed=3)
    survey.to_csv(folder / "f_indresp.tab", sep="\t", index=False)
    lookup = (realdata / "lookup_oa11_lsoa11_msoa11_ward_lad_london.csv").as_posix()
    config = f"""
title = "Barking and Dagenham (real geography, synthetic survey)"
seed = 1

[geography]
oa = {{ path = "oa.gpkg", code = "OA11CD" }}
lsoa = {{ path = "lsoa.gpkg", code = "LSOA11CD", name = "LSOA11NM" }}
ward = {{ path = "wards.gpkg", code = "WD11CD", name = "WD11NM" }}
lookup = {{ path = "{lookup}", oa = "OA11CD", lsoa = "LSOA11CD", ward = "WD11CD" }}

[classification]
path = "{(realdata / "loac2011_oa11_london.csv").as_posix()}"
code = "OA11CD"
levels = ["LOAC11_SPRGRP", "LOAC11_GRP"]

[survey]
path = "f_indresp.tab"
weight = "f_indscui_xw"
levels = ["LOAC11_SPRGRP", "LOAC11_GRP"]

[model]
n_boot = 5

[estimates]
n_boot = 100

[hard]
path = "{(realdata / "imd2019_lsoa11_london.csv").as_posix()}"
code = "LSOA11CD"
indicators = [
  {{ column = "income_score", higher_is = "worse", domain = "income" }},
  {{ column = "employment_score", higher_is = "worse", domain = "employment" }},
  {{ column = "health_score", higher_is = "worse", domain = "health" }},
  {{ column = "education_score", higher_is = "worse", domain = "education" }},
]
"""
    (folder / "resilience.toml").write_text(config)
    return folder


def test_check_on_real_files(borough_files, capsys):
    assert main(["check", str(borough_files / "resilience.toml")]) == 0
    out = capsys.readouterr().out
    assert "code column 'OA11CD' (OA codes (100% of values), vintage 2011)" in out
    assert "none given: OAs will be weighted equally" in out


def test_run_on_real_files(borough_files, tmp_path, capsys):
    out = tmp_path / "out"
    code = main(["run", str(borough_files / "resilience.toml"), "--out", str(out), "--no-maps"])
    err = capsys.readouterr().err
    assert code == 0, err
    oa = pyogrio.read_dataframe(out / "resilience.gpkg", layer="oa")
    lsoa = pyogrio.read_dataframe(out / "resilience.gpkg", layer="lsoa")
    ward = pyogrio.read_dataframe(out / "resilience.gpkg", layer="ward")
    n_oa = pyogrio.read_info(borough_files / "oa.gpkg")["features"]
    assert len(oa) == n_oa > 500
    assert len(lsoa) == 110 and len(ward) == 17
    assert oa["share_isolation"].notna().all() and ward["resilience_score"].notna().all()
    assert set(oa["LOAC11_SPRGRP"]) <= set("ABCDEFGH")
    # every LSOA compared with its IMD 2019 figures
    assert lsoa["hard_index"].notna().all() and lsoa["flag"].notna().all()
    assert set(lsoa["flag"]) <= {"agree", "predicted_worse", "hard_worse"}
    assert lsoa["gap"].between(-4, 4).all()
    rho = spearmanr(lsoa["hard_index"], lsoa["income_score"]).statistic
    assert rho > 0.8
    flags = pd.read_csv(out / "tables" / "flags.csv", dtype=str)
    assert len(flags) == int((lsoa["flag"] != "agree").sum())
    assert flags["lsoa_name"].str.startswith("Barking and Dagenham").all()
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["counts"]["lsoa"] == 110
    assert np.isfinite(lsoa["flag_confidence"]).all()


def _london_wide(borough_files, realdata, extra="", lads=(LAD,)):
    """The borough's config pointed at the London-wide files, cut by [area] lad."""
    text = (borough_files / "resilience.toml").read_text()
    for name, whole in (("oa.gpkg", "oa11_london.gpkg"), ("lsoa.gpkg", "lsoa11_london.gpkg"),
                        ("wards.gpkg", "wards2011era_london.gpkg")):  # fmt: skip
        text = text.replace(f'path = "{name}"', f'path = "{(realdata / whole).as_posix()}"')
    text += f"\n[area]\nlad = {list(lads)!r}\n{extra}".replace("'", '"')
    path = borough_files / "london_wide.toml"
    path.write_text(text)
    return path


@pytest.fixture(scope="module")
def cut_and_whole(borough_files, realdata):
    from resilience import run

    by_hand = run(borough_files / "resilience.toml")
    by_area = run(_london_wide(borough_files, realdata))
    return by_hand, by_area


def test_area_cut_matches_files_cut_by_hand(cut_and_whole):
    by_hand, by_area = cut_and_whole
    for level, key in (("oa", "oa_code"), ("lsoa", "lsoa_code"), ("ward", "ward_code")):
        a = getattr(by_hand, level).drop(columns="geometry").set_index(key).sort_index()
        b = getattr(by_area, level).drop(columns="geometry").set_index(key).sort_index()
        pd.testing.assert_frame_equal(a, b)
    assert len(by_area.lsoa) == 110 and len(by_area.ward) == 17
    # the survey here is synthetic, drawn on the LOAC categories: unrelated to the real IMD,
    # so the run says its flags are no better than chance
    assert by_area.chance["no_better"] and abs(by_area.chance["rho"]) < 0.1
    assert by_area.chance == by_hand.chance
    assert (by_hand.lsoa["flag"].value_counts() == by_area.lsoa["flag"].value_counts()).all()


def test_area_check_counts_rows_inside(borough_files, realdata, capsys):
    assert main(["check", str(_london_wide(borough_files, realdata))]) == 0
    out = capsys.readouterr().out
    n_oa = pyogrio.read_info(borough_files / "oa.gpkg")["features"]
    assert f"{n_oa:,} of 24,339 rows inside the study area" in out
    assert "110 of 4,693 rows inside the study area" in out  # LSOA boundaries
    assert "unmatched" not in out and "not in" not in out


def test_area_with_unknown_lad_names_it(borough_files, realdata, tmp_path, capsys):
    text = _london_wide(borough_files, realdata).read_text().replace(LAD, "E09000099")
    bad = borough_files / "bad_lad.toml"
    bad.write_text(text)
    assert main(["run", str(bad), "--out", str(tmp_path / "o"), "--no-maps"]) == 2
    err = capsys.readouterr().err
    assert "E09000099" in err and "LAD11CD" in err and not (tmp_path / "o").exists()


def test_wards_without_oas_stay_as_no_data(borough_files, realdata, tmp_path, capsys):
    # the City of London's 25 wards (2011) include 12 that no OA falls in
    config = _london_wide(borough_files, realdata, lads=("E09000001", LAD))
    out = tmp_path / "out"
    assert main(["run", str(config), "--out", str(out), "--map-mode", "offline"]) == 0
    err = capsys.readouterr().err
    assert "12 ward(s) of the study area have no OA" in err and "Langbourn" in err
    ward = pyogrio.read_dataframe(out / "resilience.gpkg", layer="ward")
    assert len(ward) == 17 + 25
    empty = ward[ward["resilience_score"].isna()]
    assert len(empty) == 12 and "Langbourn" in set(empty["ward_name"])
    table = pd.read_csv(out / "tables" / "ward.csv", dtype={"ward_code": str})
    assert len(table) == 42


def test_lsoa_population_in_a_run(borough_files, realdata, tmp_path, capsys):
    config = _london_wide(borough_files, realdata)
    mye = (realdata / "population" / "mid2019_population_lsoa11_london.csv").as_posix()
    ts001 = (realdata / "census2021_oa21" / "ts001_oa21_london.csv").as_posix()
    text = config.read_text().replace(
        "\n[classification]",
        f'population = {{ path = "{mye}", column = "adults", level = "lsoa", '
        f'oa_counts = {{ path = "{ts001}" }} }}\n\n[classification]',
    )
    config.write_text(text)
    out = tmp_path / "out"
    assert main(["run", str(config), "--out", str(out), "--no-maps"]) == 0
    err = capsys.readouterr().err
    assert "have no count in the OA counts file" in err and "spread to OAs in proportion" in err
    oa = pyogrio.read_dataframe(out / "resilience.gpkg", layer="oa", read_geometry=False)
    mye_adults = pd.read_csv(mye).set_index("LSOA11CD")
    adults = mye_adults["Persons_All-Ages"] - mye_adults["Persons_0-15"]
    by_lsoa = oa.groupby("lsoa_code")["population"].sum()
    np.testing.assert_allclose(by_lsoa, adults.reindex(by_lsoa.index), rtol=1e-9)
    assert len(by_lsoa) == 110


def test_area_without_a_lookup_and_by_wards(borough_files, realdata):
    from resilience.inputs.load import load_inputs

    lookup = pd.read_csv(realdata / "lookup_oa11_lsoa11_msoa11_ward_lad_london.csv", dtype=str)
    in_lad = lookup[lookup["LAD11CD"] == LAD]
    # no lookup: the OA boundaries' LAD11CD column cuts them, then the lookup is derived
    text = _london_wide(borough_files, realdata).read_text()
    no_lookup = "\n".join(ln for ln in text.splitlines() if not ln.startswith("lookup = "))
    path = borough_files / "no_lookup.toml"
    path.write_text(no_lookup)
    inp = load_inputs(path)
    assert set(inp.oa["oa_code"]) == set(in_lad["OA11CD"])
    assert len(inp.lsoa) == 110 and len(inp.ward) == 17
    # two wards of the borough, by the lookup's ward codes
    wards = sorted(in_lad["WD11CD"].unique())[:2]
    by_wards = _london_wide(borough_files, realdata, extra=f"wards = {wards!r}".replace("'", '"'))
    inp = load_inputs(by_wards)
    assert set(inp.oa["oa_code"]) == set(in_lad.loc[in_lad["WD11CD"].isin(wards), "OA11CD"])
    assert sorted(inp.ward["ward_code"]) == wards
