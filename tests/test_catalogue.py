"""The catalogue of bad inputs: every case through both ``resilience run`` and ``check``.

Each case breaks a fresh copy of the small synthetic borough's written inputs and names
what the message must say (the file or key, the offending values, the fix). Through
``run`` the command must exit 2 with no traceback and leave nothing behind: no output
folder, no partial folder, no lock file and none of the parent folders of ``--out`` it
had to create. Through ``check`` it must exit 2 and explain the same problem. The first
13 cases are those of ``test_cli.py``.
"""

import warnings

import numpy as np
import pandas as pd
import pyogrio
import pytest
from test_cli import CATALOGUE as FIRST  # the first 13 cases

from resilience.cli import main

HARD = "data/imd2025_file7.csv"
SURVEY = "data/f_indresp.tab"
INCOME = "Income Score (rate)"


# ------------------------------------------------------------------ helpers
def _edit(folder, old, new):
    path = folder / "resilience.toml"
    text = path.read_text()
    assert old in text, old
    path.write_text(text.replace(old, new, 1))


def _append(folder, text):
    path = folder / "resilience.toml"
    path.write_text(path.read_text() + "\n" + text + "\n")


def _csv(folder, rel, sep=","):
    return pd.read_csv(folder / rel, dtype=str, sep=sep, encoding="utf-8-sig")


def _to_csv(df, folder, rel, sep=",", encoding="utf-8"):
    df.to_csv(folder / rel, sep=sep, index=False, encoding=encoding)


def _hard(folder, fn):
    df = _csv(folder, HARD)
    fn(df)
    _to_csv(df, folder, HARD, encoding="utf-8-sig")


def _survey_edit(fn):
    def apply(folder):
        df = _csv(folder, SURVEY, sep="\t")
        out = fn(df)
        _to_csv(df if out is None else out, folder, SURVEY, sep="\t")

    return apply


# ------------------------------------------------------------ config cases
def c_config_is_a_folder(folder):
    return {"config": folder / "data"}, ["is a folder, not a config file", "resilience.toml"]


def c_config_missing(folder):
    return {"config": folder / "nope.toml"}, ["nope.toml", "not found"]


def c_toml_syntax(folder):
    _append(folder, "[compare\nalpha = 0.1")
    return ["resilience.toml", "not valid TOML"]


def c_toml_not_utf8(folder):
    p = folder / "resilience.toml"
    p.write_bytes(p.read_bytes().replace(b"Northbridge", "Nörthbridge".encode("latin-1")))
    return ["resilience.toml", "not UTF-8"]


LEVELS = 'levels = ["supergroup", "group", "subgroup"]'
INCOME_IND = 'higher_is = "worse", domain = "income" }'

#: config edits: name -> (text to replace, or None to append; new text; what the message says)
CONFIG_EDITS = {
    "seed too large": ("seed = 5", "seed = 4294967296",
                       ["'seed' at the top level", "below 2**32", "4294967296"]),
    "seed negative": ("seed = 5", "seed = -1", ["'seed' at the top level", "0 or more", "-1"]),
    "n_boot one": (None, "[estimates]\nn_boot = 1",
                   ["'n_boot' in [estimates]", "at least 50", "or 0 for no intervals"]),
    "n_boot 49": (None, "[estimates]\nn_boot = 49",
                  ["'n_boot' in [estimates] is 49", "at least 50"]),
    "unknown section": (None, "[modle]\nn_factors = 4", ["'modle'", "Allowed:"]),
    "nested table is text": ('oa = { path = "data/oa.gpkg", code = "OA21CD" }',
                             'oa = "data/oa.gpkg"', ["'oa' in [geography]", "must be a table"]),
    "nested wrong type": ('code = "OA21CD" }', "code = 21 }",
                          ["'code' in [geography.oa]", "must be text", "21"]),
    "levels not a list": (LEVELS, 'levels = "supergroup"',
                          ["'levels' in [classification]", "must be a list"]),
    "levels mismatch": (LEVELS, 'levels = ["supergroup", "group"]',
                        ["[classification] levels (2", "[survey] levels (3",
                         "same classification"]),
    "levels repeated": (LEVELS, 'levels = ["supergroup", "supergroup", "subgroup"]',
                        ["'levels' in [classification]", "'supergroup' more than once",
                         "one column per classification level"]),
    "survey levels repeated": ('"oac_group", "oac_subgroup"]', '"oac_supergroup", "oac_subgroup"]',
                               ["'levels' in [survey]", "'oac_supergroup' more than once"]),
    "levels empty": (LEVELS, "levels = []",
                     ["'levels' in [classification]", "non-empty list of text"]),
    "higher_is bad": (INCOME_IND, INCOME_IND.replace("worse", "up"),
                      ["'higher_is'", "'worse' or 'better'", "'up'"]),
    "indicator without column": ('{ column = "Income Score (rate)", higher_is', "{ higher_is",
                                 ["'column' is missing from indicator 1", "[hard]"]),
    "indicator unknown key": ('domain = "income" }', 'domain = "income", colour = "red" }',
                              ["'colour'", "indicator 1", "Allowed keys"]),
    "indicator weight text": ('domain = "income" }', 'domain = "income", weight = "heavy" }',
                              ["weight", "'heavy'", "Income Score (rate)"]),
    "indicator column absent": ('column = "Income Score (rate)"', 'column = "Income Scor (rate)"',
                                ["imd2025_file7.csv", "no column 'Income Scor (rate)'",
                                 "Similar columns"]),
    "maps mode": (None, '[maps]\nmode = "satellite"',
                  ["'mode' in [maps]", "'satellite'", "'offline'"]),
    "quintile gap": ("quintile_gap = 2", "quintile_gap = 7",
                     ["'quintile_gap' in [compare]", "1, 2, 3 or 4", "7"]),
    "n_clusters": (None, "[model]\nn_clusters = 5",
                   ["'n_clusters' in [model]", "6 (one cluster per resilience profile)"]),
    "interval": (None, "[estimates]\ninterval = 1.5",
                 ["'interval' in [estimates]", "between 0 and 1", "1.5"]),
    "shrinkage negative": (None, "[estimates]\nshrinkage = -1",
                           ["'shrinkage' in [estimates]", "'empirical_bayes' or a number", "-1"]),
    "shrinkage text": (None, '[estimates]\nshrinkage = "lots"',
                       ["'shrinkage' in [estimates]", "'lots'"]),
    "items not tables": ("min_respondents = 10", "min_respondents = 10\nitems = [1, 2]",
                         ["Item 1 of 'items' in [survey]", "must be a table", 'name = "sclfsato"']),
    "min_respondents zero": ("min_respondents = 10", "min_respondents = 0",
                             ["'min_respondents' in [survey]", "at least 1", "0"]),
    "hard method": ('code = "LSOA code (2021)"', 'code = "LSOA code (2021)"\nmethod = "median"',
                    ["'method' in [hard]", "'zscore', 'rank' or 'exponential'", "'median'"]),
    "title number": ('title = "Northbridge community resilience (synthetic demo)"', "title = 5",
                     ["'title' at the top level", "must be text", "5"]),
    "path is folder": ('path = "data/oac.csv"', 'path = "data"',
                       ["classification file", "is a folder, not a file"]),
    "unknown layer": ('code = "OA21CD" }', 'code = "OA21CD", layer = "nope" }',
                      ["oa.gpkg", "no layer 'nope'", "'oa'"]),
}  # fmt: skip


def _config_edit(old, new, expected):
    def apply(folder):
        _append(folder, new) if old is None else _edit(folder, old, new)
        return expected

    return apply


def c_missing_section(folder):
    p = folder / "resilience.toml"
    text = p.read_text()
    start, end = text.index("[survey]"), text.index("[hard]")
    p.write_text(text[:start] + text[end:])
    return ["no [survey] section", "required"]


def c_no_indicators(folder):
    p = folder / "resilience.toml"
    text = p.read_text()
    start = text.index("indicators = [")
    end = text.index("]\n", text.index("Crime Rank")) + 2
    p.write_text(text[:start] + "indicators = []\n" + text[end:])
    return ["'indicators' in [hard] is required", "higher_is"]


def c_section_not_table(folder):
    _edit(folder, "[compare]\nquintile_gap = 2", "")
    _edit(folder, "[geography]", "compare = 2\n\n[geography]")
    return ["[compare] must be a table"]


# ------------------------------------------------------------- file cases
def c_corrupt_gpkg(folder):
    (folder / "data/wards.gpkg").write_bytes(b"SQLite format 3\x00" + bytes(range(256)) * 40)
    return ["wards.gpkg", "could not be opened", "Use a GeoPackage"]


def c_empty_gpkg(folder):
    (folder / "data/lsoa.gpkg").write_bytes(b"")
    return ["lsoa.gpkg", "empty"]


def c_boundary_code_column_absent(folder):
    _edit(folder, 'code = "OA21CD" }', 'code = "OA11CD" }')
    return ["oa.gpkg", "'OA11CD'", "OA21CD"]


def c_boundary_missing_codes(folder):
    oa = pyogrio.read_dataframe(folder / "data/oa.gpkg")
    oa.loc[[2, 5], "OA21CD"] = None
    pyogrio.write_dataframe(oa, folder / "data/oa.gpkg", layer="oa")
    return ["oa.gpkg", "OA21CD", "2 empty code(s)", "fill them in"]


def c_boundary_null_geometry(folder):
    lsoa = pyogrio.read_dataframe(folder / "data/lsoa.gpkg")
    lsoa.loc[[0, 1], "geometry"] = None
    pyogrio.write_dataframe(lsoa, folder / "data/lsoa.gpkg", layer="lsoa")
    return ["lsoa.gpkg", "no geometry", "E01040001"]


def c_boundary_is_csv(folder):
    _edit(folder, 'path = "data/wards.gpkg"', 'path = "data/lookup.csv"')
    return ["lookup.csv", "ward boundaries"]


def c_lookup_missing_column(folder):
    df = _csv(folder, "data/lookup.csv").drop(columns=["WD24CD"])
    _to_csv(df, folder, "data/lookup.csv")
    return ["lookup.csv", "'WD24CD'"]


def c_lookup_header_only(folder):
    (folder / "data/lookup.csv").write_text("OA21CD,LSOA21CD,WD24CD\n")
    return ["lookup.csv", "no rows"]


def c_lookup_codes_elsewhere(folder):
    df = _csv(folder, "data/lookup.csv")
    df["OA21CD"] = [f"E00{900000 + i}" for i in range(len(df))]
    _to_csv(df, folder, "data/lookup.csv")
    return ["lookup.csv", "not in the OA → LSOA → ward lookup", "E00170001", "same OA vintage"]


def c_population_negative(folder):
    df = _csv(folder, "data/oa_population.csv")
    df.loc[0, "adults"] = "-5"
    _to_csv(df, folder, "data/oa_population.csv")
    return ["oa_population.csv", "adults", "-5"]


def c_population_text(folder):
    df = _csv(folder, "data/oa_population.csv")
    df.loc[3, "adults"] = "lots"
    _to_csv(df, folder, "data/oa_population.csv")
    return ["oa_population.csv", "adults", "'lots'"]


def c_population_inf(folder):
    df = _csv(folder, "data/oa_population.csv")
    df.loc[3, "adults"] = "inf"
    _to_csv(df, folder, "data/oa_population.csv")
    return ["oa_population.csv", "adults", "inf"]


def c_survey_header_only(folder):
    p = folder / SURVEY
    p.write_text(p.read_text().splitlines()[0] + "\n")
    return ["f_indresp.tab", "no rows"]


def c_survey_zero_bytes(folder):
    (folder / SURVEY).write_bytes(b"")
    return ["f_indresp.tab", "empty"]


def c_survey_utf16(folder):
    p = folder / SURVEY
    p.write_bytes(p.read_text().encode("utf-16"))
    return ["f_indresp.tab", "not UTF-8 text (it is UTF-16)", "Save it as UTF-8"]


def c_survey_repeated_ids(folder):
    def fn(df):
        df.loc[1:500, "pidp"] = df.loc[0, "pidp"]

    _survey_edit(fn)(folder)
    return ["f_indresp.tab", "'pidp'", "one row per respondent"]


def c_survey_weight_text(folder):
    def fn(df):
        df.loc[4, "f_indscui_xw"] = "heavy"

    _survey_edit(fn)(folder)
    return ["f_indresp.tab", "f_indscui_xw", "'heavy'"]


def c_survey_weight_negative(folder):
    def fn(df):
        df.loc[4, "f_indscui_xw"] = "-1.5"

    _survey_edit(fn)(folder)
    return ["f_indresp.tab", "f_indscui_xw", "-1.5"]


def c_survey_item_text(folder):
    def fn(df):
        df.loc[7, "f_sclfsato"] = "very"

    _survey_edit(fn)(folder)
    return ["f_indresp.tab", "f_sclfsato", "'very'"]


def c_survey_all_weights_zero(folder):
    def fn(df):
        df["f_indscui_xw"] = "0"

    _survey_edit(fn)(folder)
    return ["f_indresp.tab", "f_indscui_xw", "zero"]


def c_survey_duplicated_column(folder):
    p = folder / SURVEY
    lines = p.read_text().splitlines()
    lines = [line + "\t" + line.split("\t")[6] for line in lines]  # f_sclfsato again
    p.write_text("\n".join(lines) + "\n")
    return ["f_indresp.tab", "f_sclfsato", "more than once"]


def c_survey_codes_all_missing(folder):
    def fn(df):
        df[["oac_supergroup", "oac_group", "oac_subgroup"]] = "-9"

    _survey_edit(fn)(folder)
    return ["f_indresp.tab", "classification code in column 'oac_supergroup'", "'-9'", "Merge in"]


def c_survey_is_folder(folder):
    (folder / "data/survey").mkdir()
    _edit(folder, 'path = "data/f_indresp.tab"', 'path = "data/survey"')
    return ["survey file", "is a folder, not a file", "data/survey"]


def c_classification_missing_level(folder):
    df = _csv(folder, "data/oac.csv").drop(columns=["group"])
    _to_csv(df, folder, "data/oac.csv")
    return ["oac.csv", "'group'"]


def c_classification_header_only(folder):
    (folder / "data/oac.csv").write_text("OA21CD,supergroup,group,subgroup\n")
    return ["oac.csv", "no rows"]


def c_classification_duplicate_oa(folder):
    df = _csv(folder, "data/oac.csv")
    df.loc[1, "OA21CD"] = df.loc[0, "OA21CD"]
    _to_csv(df, folder, "data/oac.csv")
    return ["oac.csv", "E00170001", "more than once", "one row per output area"]


def c_hard_inf(folder):
    _hard(folder, lambda df: df.__setitem__(INCOME, df[INCOME].where(df.index != 3, "inf")))
    return ["imd2025_file7.csv", INCOME, "inf", "E01040004"]


def c_hard_huge(folder):
    _hard(folder, lambda df: df.__setitem__(INCOME, df[INCOME].where(df.index != 0, "1e306")))
    return ["imd2025_file7.csv", INCOME, "1e+306", "E01040001", "blank them"]


def c_hard_duplicate_rows(folder):
    df = _csv(folder, HARD)
    df = pd.concat([df, df.iloc[[2]]])
    _to_csv(df, folder, HARD, encoding="utf-8-sig")
    return ["imd2025_file7.csv", "more than one row", "E01040003"]


def c_hard_oa_codes(folder):
    oa_codes = [f"E00{170001 + i}" for i in range(30)]
    _hard(folder, lambda df: df.__setitem__("LSOA code (2021)", oa_codes[: len(df)]))
    return ["imd2025_file7.csv", "OA codes", "LSOA code"]


def c_hard_binary(folder):
    (folder / HARD).write_bytes(np.random.default_rng(0).bytes(4000))
    return ["imd2025_file7.csv", "is neither UTF-8 nor Windows-1252 text", "Save it as 'CSV UTF-8'"]


def c_hard_missing_code_column(folder):
    _edit(folder, 'code = "LSOA code (2021)"', 'code = "LSOA21CD"')
    return ["imd2025_file7.csv", "'LSOA21CD'"]


def c_hard_excel_sheet(folder):
    df = _csv(folder, HARD)
    df.to_excel(folder / "data/imd.xlsx", index=False, sheet_name="IoD")
    _edit(folder, f'path = "{HARD}"', 'path = "data/imd.xlsx"\nsheet = "File 7"')
    return ["imd.xlsx", "no sheet 'File 7'", "'IoD'"]


CASES = {
    **{f"first: {k}": (lambda f, fn=fn: fn(f)) for k, fn in FIRST.items()},
    **{name: _config_edit(*spec) for name, spec in CONFIG_EDITS.items()},
    **{name.removeprefix("c_").replace("_", " "): fn for name, fn in dict(globals()).items()
       if name.startswith("c_")},
}  # fmt: skip


def test_the_catalogue_has_at_least_60_cases():
    assert len(CASES) >= 60, len(CASES)


def _left_behind(root):
    return sorted(str(p.relative_to(root)) for p in root.rglob("*"))


@pytest.mark.parametrize("name", list(CASES), ids=list(CASES))
def test_catalogue(name, borough_copy, capsys):
    case = borough_copy
    found = CASES[name](case)
    config, expected = found if isinstance(found, tuple) else ({}, found)
    config = config.get("config", case / "resilience.toml")
    root = case.parent / "outputs"
    root.mkdir()
    out = root / "a" / "b" / "out"
    before = _left_behind(case)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        code = main(["run", str(config), "--out", str(out), "--no-maps", "-q"])
    err = capsys.readouterr().err
    assert code == 2, err
    assert "Traceback" not in err and "internal error" not in err, err
    assert err.startswith("error: ") or "\nerror: " in err, err
    for text in expected:
        assert text in err, f"run: {text!r} not in {err!r}"
    assert _left_behind(root) == [], "left behind"
    assert _left_behind(case) == before  # the inputs are untouched, nothing added

    code = main(["check", str(config)])
    captured = capsys.readouterr()
    report = captured.out + captured.err
    assert code == 2, report
    assert "Traceback" not in report and "internal error" not in report, report
    for text in expected:
        assert text in report, f"check: {text!r} not in {report!r}"
    assert _left_behind(root) == []


# ------------------------------------------------- unusual but usable inputs
def test_min_respondents_below_10_warns_of_the_uk_data_service_rule(borough_copy, capsys):
    from resilience.config import load_config
    from resilience.errors import DisclosureWarning

    _edit(borough_copy, "min_respondents = 10", "min_respondents = 3")
    with pytest.warns(DisclosureWarning, match=r"is 3: categories with 3 to 9 respondents"):
        load_config(borough_copy / "resilience.toml")
    assert main(["check", str(borough_copy / "resilience.toml")]) == 0
    out = capsys.readouterr().out
    assert "[ warn ] 'min_respondents' in [survey] is 3" in out
    assert "UK Data Service rule of at least 10" in out


def test_identical_repeated_survey_rows_warn_with_the_count(borough_copy):
    from resilience.errors import DataQualityWarning
    from resilience.inputs.survey import read_survey

    path = borough_copy / SURVEY
    df = _csv(borough_copy, SURVEY, sep="\t")
    _to_csv(pd.concat([df, df.iloc[:7], df.iloc[:2]]), borough_copy, SURVEY, sep="\t")
    with pytest.warns(DataQualityWarning, match=r"repeats 9 row\(s\) exactly"):
        survey = read_survey(path, weight="f_indscui_xw")
    assert len(survey) == len(df) and survey.index.is_unique


def test_a_utf16_hard_data_file_is_read_as_such(borough_copy, capsys):
    p = borough_copy / HARD
    p.write_bytes(p.read_text(encoding="utf-8-sig").encode("utf-16"))  # "Unicode text"
    assert main(["check", str(borough_copy / "resilience.toml")]) == 0, capsys.readouterr().out


def test_standardisation_does_not_overflow_on_large_magnitudes():
    from resilience.inputs.hard import HardData, Indicator, hard_index

    codes = pd.Index([f"E0100000{i}" for i in range(4)], name="lsoa_code")
    small = pd.DataFrame({"x": [1.0, 2.0, 3.0, 6.0]}, index=codes)
    # the reader refuses magnitudes above 1e100; the index itself copes up to the float limit
    for scale in (1.0, 1e200, 1e300):
        with np.errstate(all="raise"):  # no overflow, even in intermediate squares
            z = hard_index(HardData(small * scale, [Indicator("x", "worse")]))["hard_index"]
        # (x - 3) / sd with sd = sqrt(3.5): the same at every scale
        np.testing.assert_allclose(z, (small["x"] - 3.0) / np.sqrt(3.5), rtol=1e-12)
