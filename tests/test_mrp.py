"""The MRP route: code mappings, Census reading, IPF, the estimator and recovery of the truth."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from resilience.clusters import share_columns
from resilience.errors import DataQualityWarning, InputDataError, NotFittedError
from resilience.inputs.census import census_margins, read_census_table, read_census_tables
from resilience.inputs.characteristics import map_concept, read_characteristics
from resilience.inputs.concepts import (
    CONCEPTS,
    DEFAULT_VARIABLES,
    age_band,
    census_category_matrix,
)
from resilience.models import AreaEstimator
from resilience.models.ipf import cell_codes, ipf
from resilience.models.mrp import MRPEstimator, mrp_oa_estimates
from resilience.synthetic import make_mrp_world

# ------------------------------------------------------------------ code mappings


@pytest.mark.parametrize(
    ("concept", "codes", "expected"),
    [
        ("sex", [1, 2, -9], ["male", "female", None]),
        (
            "tenure",
            [1, 2, 3, 4, 5, 6, 7, 8],
            ["owned"] * 2 + ["social_rented"] * 2 + ["private_rented"] * 4,
        ),
        (
            "qualification",
            [1, 2, 3, 4, 5, 9, -8],
            ["level4", "level4", "level3", "level1_2", "other", "none", None],
        ),
        ("health", [1, 2, 3, 4, 5, -1], ["very_good", "very_good", "good", "fair", "bad", None]),
        ("country_of_birth", [1, 2, 3, 4, 5, -2], ["uk"] * 4 + ["outside_uk", None]),
        ("household_size", [1, 4, 5, 9], ["1", "4", "5+", "5+"]),
        (
            "age",
            [15, 16, 24, 25, 49, 50, 64, 65, 101],
            [None, "16-24", "16-24", "25-34", "35-49", "50-64", "50-64", "65+", "65+"],
        ),
    ],
)
def test_ukhls_codes_map_to_concept_categories(concept, codes, expected):
    got = map_concept(concept, pd.Series(codes)).tolist()
    assert [None if pd.isna(g) else g for g in got] == expected


@pytest.mark.parametrize(
    ("concept", "labels", "expected"),
    [
        (
            "tenure",
            [
                "Total: All households",
                "Owned",
                "Owned: Owns outright",
                "Owned: Owns with a mortgage or loan",
                "Shared ownership",
                "Shared ownership: Shared ownership",
                "Social rented",
                "Social rented: Rents from council or Local Authority",
                "Social rented: Other social rented",
                "Private rented",
                "Private rented: Private landlord or letting agency",
                "Private rented: Other private rented",
                "Lives rent free",
            ],
            [0, 0, 1, 1, 0, 1, 0, 2, 2, 0, 3, 3, 3],
        ),
        (
            "qualification",
            [
                "Total: All usual residents aged 16 years and over",
                "No qualifications",
                "Level 1 and entry level qualifications",
                "Level 2 qualifications",
                "Apprenticeship",
                "Level 3 qualifications",
                "Level 4 qualifications and above",
                "Other qualifications",
            ],
            [0, 1, 2, 2, 5, 3, 4, 5],
        ),
        (
            "country_of_birth",
            [
                "Total",
                "Europe",
                "Europe: United Kingdom",
                "Europe: EU countries",
                "Europe: EU countries: European Union EU14",
                "Africa",
                "British Overseas ",
            ],
            [0, 0, 1, 0, 2, 2, 2],
        ),
        ("sex", ["All persons", "Female", "Male"], [0, 2, 1]),
    ],
)
def test_census_labels_map_to_concept_categories(concept, labels, expected):
    """Each leaf label lands in one category (1-based position), totals in none (0)."""
    m = census_category_matrix(CONCEPTS[concept], labels)
    got = [int(np.argmax(r)) + 1 if r.any() else 0 for r in m]
    assert got == expected


def test_census_age_bands_split_by_years_and_drop_children():
    labels = [
        "Aged 4 years and under",
        "Aged 10 to 14 years",
        "Aged 15 to 19 years",
        "Aged 20 to 24 years",
        "Aged 45 to 49 years",
        "Aged 85 years and over",
    ]
    m = census_category_matrix(CONCEPTS["age"], labels)
    assert m[:2].sum() == 0  # children
    assert m[2].tolist() == [0.8, 0, 0, 0, 0]  # 16-19 of 15-19
    assert m[3, 0] == 1 and m[4, 2] == 1 and m[5, 4] == 1
    # single years (TS007)
    single = census_category_matrix(CONCEPTS["age"], ["Aged 15 years", "Aged 16 years"])
    assert single.tolist() == [[0, 0, 0, 0, 0], [1, 0, 0, 0, 0]]
    assert age_band(pd.Series([16.0])).tolist() == ["16-24"]


def test_household_size_counts_people():
    m = census_category_matrix(
        CONCEPTS["household_size"],
        [
            "0 people in household",
            "2 people in household",
            "6 people in household",
            "8 or more people in household",
        ],
    )
    assert m.sum(axis=1).tolist() == [0, 2, 6, 8]


# -------------------------------------------------------------- reading tables


def _write_bulk(folder, name, title, rows):
    cols = [
        "date",
        "geography",
        "geography code",
        *[f"{title}: {c}; measures: Value" for c in rows[0][1]],
    ]
    lines = [",".join(cols)]
    for code, values in rows[1:]:
        lines.append(",".join(["2021", code, code, *map(str, values)]))
    (folder / name).write_text("\n".join(lines) + "\n", encoding="utf-8")


def test_bulk_and_lsoa_tables_with_fill_warning(tmp_path):
    _write_bulk(
        tmp_path,
        "census2021-ts008-oa.csv",
        "Sex",
        [
            (None, ["All persons", "Female", "Male"]),
            ("E00000001", [10, 6, 4]),
            ("E00000002", [20, 10, 10]),
        ],
    )
    _write_bulk(
        tmp_path,
        "census2021-ts007a-lsoa.csv",
        "Age",
        [
            (None, ["Total", "Aged 20 to 24 years", "Aged 70 to 74 years"]),
            ("E01000001", [30, 10, 20]),
        ],
    )
    (tmp_path / "notes.csv").write_text("a,b\n1,2\n")  # not a census table: skipped
    tables = read_census_tables(tmp_path)
    assert sorted(tables) == [("age", "lsoa"), ("sex", "oa")]
    oas = pd.Index(["E00000001", "E00000002", "E00000003"])
    lsoa_of = pd.Series(["E01000001"] * 3, index=oas)
    with pytest.warns(DataQualityWarning, match=r"1 of 3 OAs have no 'sex' margin"):
        m = census_margins(tables, oas, lsoa_of, variables=["sex", "age"])
    sex = m.shares["sex"]
    assert sex.loc["E00000001"].tolist() == [0.4, 0.6]
    assert sex.loc["E00000003"].tolist() == pytest.approx([0.45, 0.55])  # the LSOA's mean
    assert m.shares["age"].loc["E00000002"].tolist() == pytest.approx([1 / 3, 0, 0, 0, 2 / 3])
    assert m.filled == {"sex": 1, "age": 0}


def test_oa_margins_carried_across_vintages(tmp_path):
    """A 2021 OA merged from two census OAs takes the mix of their proportions."""
    from scipy import sparse

    from resilience.inputs.crosswalk import Crosswalk

    _write_bulk(tmp_path, "ts008.csv", "Sex",
                [(None, ["All persons", "Female", "Male"]), ("E00000001", [10, 6, 4]),
                 ("E00000002", [10, 2, 8])])  # fmt: skip
    targets = pd.Index(["E00900001"])
    xw = Crosswalk(
        sparse.csr_matrix(np.array([[0.5, 0.5]])),
        targets,
        pd.Index(["E00000001", "E00000002"]),
        pd.Series(["M"], index=targets),
    )
    m = census_margins(read_census_tables(tmp_path), targets, pd.Series(["L"], index=targets),
                       variables=["sex"], crosswalk=xw)  # fmt: skip
    assert m.shares["sex"].loc["E00900001"].tolist() == pytest.approx([0.6, 0.4])


def test_missing_concept_and_codes_are_clear_errors(tmp_path):
    _write_bulk(
        tmp_path,
        "ts008.csv",
        "Sex",
        [(None, ["All persons", "Female", "Male"]), ("E00000001", [10, 6, 4])],
    )
    tables = read_census_tables(tmp_path)
    oas = pd.Index(["E00000001"])
    with pytest.raises(InputDataError, match=r"No Census table for 'tenure'.*Tenure Of Household"):
        census_margins(tables, oas, pd.Series(["L"], index=oas), variables=["sex", "tenure"])
    with pytest.raises(InputDataError, match=r"None of the study area's 1 OAs"):
        census_margins(tables, pd.Index(["E00999999"]), pd.Series(dtype=object), variables=["sex"])
    (tmp_path / "bad.csv").write_text("name,Sex: Female; measures: Value\nx,1\n")
    with pytest.raises(InputDataError, match=r"no column of OA or LSOA codes"):
        read_census_table(tmp_path / "bad.csv")


def test_characteristics_with_household_file(tmp_path):
    ind = pd.DataFrame(
        {
            "pidp": [1, 2, 3],
            "f_hidp": [10, 10, 11],
            "f_sex": [1, 2, 2],
            "f_dvage": [30, 70, 17],
            "f_hiqual_dv": [1, 9, -8],
            "f_scsf1": [2, 5, 3],
            "f_ukborn": [1, 5, 1],
            "f_gor_dv": [7, 7, -9],
            "f_urban_dv": [1, 1, 2],
        }
    )
    hh = pd.DataFrame({"f_hidp": [10, 11], "f_tenure_dv": [3, 6], "f_hhsize": [2, 6]})
    ind.to_csv(tmp_path / "f_indresp.tab", sep="\t", index=False)
    hh.to_csv(tmp_path / "f_hhresp.tab", sep="\t", index=False)
    got = read_characteristics(
        tmp_path / "f_indresp.tab", household=tmp_path / "f_hhresp.tab", variables=[*CONCEPTS][:7]
    )
    assert got.index.tolist() == [1, 2, 3]
    assert got["tenure"].tolist() == ["social_rented", "social_rented", "private_rented"]
    assert got["household_size"].tolist() == ["2", "2", "5+"]
    assert got["qualification"].iloc[:2].tolist() == ["level4", "none"]
    assert got["health"].tolist() == ["very_good", "bad", "good"]
    assert got["gor_dv"].isna().tolist() == [False, False, True]
    with pytest.raises(InputDataError, match=r"needs f_tenure_dv.*household = \{ path"):
        read_characteristics(tmp_path / "f_indresp.tab", variables=["tenure"])


# ------------------------------------------------------------------------- IPF


def test_ipf_meets_margins_and_keeps_the_seed_odds_ratio():
    # Deming & Stephan: IPF keeps the seed's cross-product ratios (here 3) and meets the margins
    joint, err = ipf(
        np.array([1.0, 1.0, 1.0, 3.0]),
        cell_codes([2, 2]),
        [np.array([[0.3, 0.7]]), np.array([[0.6, 0.4]])],
    )
    t = joint[0].reshape(2, 2)
    assert t.sum(axis=1) == pytest.approx([0.3, 0.7], abs=1e-6)
    assert t.sum(axis=0) == pytest.approx([0.6, 0.4], abs=1e-6)
    assert t[0, 0] * t[1, 1] / (t[0, 1] * t[1, 0]) == pytest.approx(3.0, rel=1e-6)
    assert err[0] < 1e-6


def test_ipf_many_areas_three_variables():
    rng = np.random.default_rng(3)
    sizes = [2, 5, 4]
    cells = cell_codes(sizes)
    seed = rng.gamma(1.0, size=len(cells)) + 0.01
    margins = [rng.dirichlet(np.ones(s), size=50) for s in sizes]
    joint, err = ipf(seed, cells, margins)
    assert err.max() < 1e-6
    for k, m in enumerate(margins):
        fitted = joint @ np.eye(sizes[k])[cells[:, k]]
        np.testing.assert_allclose(fitted, m, atol=1e-6)


# ------------------------------------------------------------------- estimator


@pytest.fixture(scope="module")
def world():
    return make_mrp_world(seed=0, n_oa=60, n_respondents=1500)


def test_estimator_api(world):
    est = MRPEstimator(n_boot=3, Cs=3, cv=3, random_state=0)
    with pytest.raises(NotFittedError):
        est.predict(world.margins)
    assert est.fit(world.characteristics, world.labels) is est
    assert est.n_respondents_ == 1500 and est.boot_coef_.shape[0] == 3
    assert set(est.cv_) >= {"mrp_log_loss", "mrp_brier", "baseline_log_loss", "baseline_brier"}
    assert est.cv_["mrp_log_loss"] < est.cv_["baseline_log_loss"]
    assert set(est.calibration_.columns) == {
        "cluster",
        "bin",
        "predicted",
        "observed",
        "respondents",
    }
    oa, reps, err = mrp_oa_estimates(est, world.margins)
    t = oa.table
    assert (t["share_high_wellbeing_lo"] <= t["share_high_wellbeing"]).all()
    assert (t["share_high_wellbeing"] <= t["share_high_wellbeing_hi"]).all()
    assert reps.shape == (3, 60, 6) and err.max() < 1e-5
    # deterministic for a seed
    again = MRPEstimator(n_boot=3, Cs=3, cv=3, random_state=0).fit(
        world.characteristics, world.labels
    )
    np.testing.assert_allclose(again.predict(world.margins), t[share_columns()], atol=1e-10)


def test_bad_parameters_and_raw_codes_are_clear_errors(world):
    from resilience.errors import ConfigError

    with pytest.raises(
        ConfigError,
        match=r"interval must be a number, between 0 and 1.*a parameter of MRPEstimator",
    ):
        MRPEstimator(interval=1.5).fit(world.characteristics, world.labels)
    with pytest.raises(ConfigError, match=r"distinct concepts"):
        MRPEstimator(variables=["sex", "ethnicity"]).fit(world.characteristics, world.labels)
    raw = world.characteristics.assign(
        sex=world.characteristics["sex"].map({"male": 1, "female": 2})
    )
    with pytest.raises(
        InputDataError, match=r"Column 'sex'.*e\.g\. '1', '2'; expected male, female"
    ):
        MRPEstimator(n_boot=0).fit(raw, world.labels)


def test_area_predictor_needs_known_codes(world):
    est = MRPEstimator(area_predictor="oac_supergroup", n_boot=0, Cs=3, cv=3, random_state=0)
    est.fit(world.characteristics, world.labels)
    with pytest.raises(InputDataError, match="area predictor 'oac_supergroup'"):
        est.predict(world.margins)
    bad = world.area_type.copy()
    bad.iloc[0] = "9z"
    with pytest.raises(InputDataError, match=r"1 OA\(s\) have oac_supergroup codes.*9z"):
        est.predict(world.margins, area=bad)


def _maes(char_strength, area_strength):
    w = make_mrp_world(
        seed=4,
        n_oa=200,
        n_respondents=4000,
        char_strength=char_strength,
        area_strength=area_strength,
    )
    est = MRPEstimator(area_predictor="oac_supergroup", n_boot=0, Cs=5, cv=3, random_state=0)
    mrp = est.fit(w.characteristics, w.labels).predict(w.margins, area=w.area_type)
    cls = AreaEstimator(["oac_supergroup"], n_boot=0, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cl = cls.fit(w.characteristics, w.labels).predict(w.area_type.to_frame())
    truth = w.oa_truth
    return (
        float((mrp - truth).abs().to_numpy().mean()),
        float((cl[share_columns()] - truth).abs().to_numpy().mean()),
    )


def test_recovery_membership_from_characteristics():
    """Membership mostly from characteristics: MRP clearly beats the classification."""
    mrp, cls = _maes(1.0, 0.1)
    assert mrp == pytest.approx(MEASURED["chars"][0], abs=0.003)
    assert cls == pytest.approx(MEASURED["chars"][1], abs=0.003)
    assert mrp < 0.5 * cls


def test_recovery_membership_from_area_type_only():
    """Membership only from the area type: MRP (with the supergroup) is not much worse."""
    mrp, cls = _maes(0.0, 1.0)
    assert mrp == pytest.approx(MEASURED["area"][0], abs=0.003)
    assert cls == pytest.approx(MEASURED["area"][1], abs=0.003)
    assert mrp < 1.4 * cls


#: OA mean absolute error (share points as proportions) of (MRP, classification), measured.
MEASURED = {"chars": (0.0131, 0.0505), "area": (0.0110, 0.0083)}


# -------------------------------------------------------------------- real data


def test_real_census_tables_of_one_borough(realdata, tmp_path):
    import pyogrio

    for f in [
        "_dictionary.csv",
        "ts008_oa21_london.csv",
        "ts054_oa21_london.csv",
        "ts067_oa21_london.csv",
        "ts037_oa21_london.csv",
        "ts004_oa21_london.csv",
    ]:
        (tmp_path / f).symlink_to(realdata / "census2021_oa21" / f)
    (tmp_path / "ts007a.csv").symlink_to(realdata / "census2021_lsoa21/ts007a_lsoa21_london.csv")
    tables = read_census_tables(tmp_path)
    assert {k for k, _ in tables} == set(DEFAULT_VARIABLES)
    oa11 = pyogrio.read_dataframe(
        realdata / "oa11_london.gpkg",
        read_geometry=False,
        columns=["OA11CD", "LSOA11CD", "LAD11CD", "OA_CODE_IN_2021_SET"],
    )
    camden = oa11[(oa11["LAD11CD"] == "E09000007") & oa11["OA_CODE_IN_2021_SET"].astype(bool)]
    oas = pd.Index(camden["OA11CD"])
    lsoa_of = pd.Series(camden["LSOA11CD"].to_numpy(), index=oas)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        m = census_margins(tables, oas, lsoa_of)
    for v, frame in m.shares.items():
        assert frame.notna().all(axis=None), v
        np.testing.assert_allclose(frame.sum(axis=1), 1.0, atol=1e-9)
    # TS008 of the first Camden OA, read against the raw file
    raw = pd.read_csv(realdata / "census2021_oa21/ts008_oa21_london.csv").set_index("OA21CD")
    first = oas[0]
    assert m.shares["sex"].loc[first, "female"] == pytest.approx(
        raw.loc[first, "ts0080002"] / raw.loc[first, "ts0080001"], abs=0.02
    )
    assert MEASURED_REAL["n_oa"] == len(oas)
    assert m.filled["age"] == MEASURED_REAL["age_filled"]
    assert all(issubclass(w.category, DataQualityWarning) for w in caught)


MEASURED_REAL = {"n_oa": 720, "age_filled": 38}


def test_census_crosswalk_for_the_mrp_route_alone(tmp_path):
    """2021 Census OAs carried to 2011 boundaries: a split OA's parts mixed, unlinked OAs
    take their LSOA's margin with a warning; on the Census vintage no crosswalk is made."""
    from resilience.models.mrp_route import census_crosswalk

    _write_bulk(tmp_path, "ts008.csv", "Sex",
                [(None, ["All persons", "Female", "Male"]), ("E00900001", [10, 6, 4]),
                 ("E00900002", [10, 2, 8]), ("E00900003", [10, 5, 5])])  # fmt: skip
    tables = read_census_tables(tmp_path)
    links = pd.DataFrame({"source": ["E00900001", "E00900002", "E00900003"],
                          "target": ["E00000001", "E00000001", "E00000002"],
                          "change": ["M", "M", "U"]})  # fmt: skip
    oas = pd.Index(["E00000001", "E00000002", "E00000003"])
    xw = census_crosswalk(links, oas, tables)
    assert list(xw.targets) == ["E00000001", "E00000002"]
    with pytest.warns(DataQualityWarning, match=r"1 of 3 OAs have no 'sex' margin"):
        m = census_margins(tables, oas, pd.Series(["L1", "L1", "L1"], index=oas),
                           variables=["sex"], crosswalk=xw)  # fmt: skip
    assert m.shares["sex"].loc["E00000001"].tolist() == pytest.approx([0.6, 0.4])
    assert m.shares["sex"].loc["E00000002"].tolist() == pytest.approx([0.5, 0.5])
    assert census_crosswalk(links, pd.Index(["E00900001", "E00900002"]), tables) is None
