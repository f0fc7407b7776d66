"""Reading respondent files: formats, prefixes, missing codes, weights and bad files."""

import numpy as np
import pandas as pd
import pytest

from resilience.errors import DataQualityWarning, InputDataError
from resilience.inputs.survey import describe_missing, detect_prefix, read_survey
from resilience.items import DEFAULT_ITEMS

LEVELS = ["oac_supergroup", "oac_group", "oac_subgroup"]


@pytest.fixture(scope="module")
def raw(borough):
    return borough.survey.iloc[:1500].copy()


def _write(df, path):
    ext = path.suffix
    if ext == ".tab":
        df.to_csv(path, sep="\t", index=False)
    elif ext == ".csv":
        df.to_csv(path, index=False)
    elif ext == ".dta":
        df.to_stata(path, write_index=False)
    elif ext == ".parquet":
        df.to_parquet(path, index=False)
    return path


@pytest.mark.parametrize("ext", [".tab", ".csv", ".dta", ".parquet"])
def test_reads_every_format_the_same(raw, tmp_path, ext):
    s, info = read_survey(
        _write(raw, tmp_path / f"f_indresp{ext}"),
        weight="f_indscui_xw",
        levels=LEVELS,
        return_info=True,
    )
    assert info.prefix == "f_"
    assert info.weight == "indscui_xw"
    assert info.levels == LEVELS
    np.testing.assert_array_equal(s["weight"].to_numpy(), raw["f_indscui_xw"].to_numpy())
    assert s.index.name == "pidp" and s.index.is_unique
    assert list(s.columns[:22]) == [it.name for it in DEFAULT_ITEMS]
    expected = raw.set_index("pidp")["f_sclfsato"].where(lambda v: v >= 0)
    np.testing.assert_array_equal(s["sclfsato"].to_numpy(), expected.to_numpy())
    assert s["oac_subgroup"].iloc[0] == raw["oac_subgroup"].iloc[0]


def test_negative_codes_become_missing_and_are_counted(raw, tmp_path):
    s, info = read_survey(
        _write(raw, tmp_path / "s.tab"), weight="indscui_xw", levels=LEVELS, return_info=True
    )
    items = [it.name for it in DEFAULT_ITEMS]
    assert (s[items].min() >= 1).all()
    counts = info.missing_codes
    for it in DEFAULT_ITEMS:
        col = raw[f"f_{it.name}"]
        for code in (-1, -2, -7, -8, -9, -10, -21):
            assert counts[it.name].get(code, 0) == int((col == code).sum())
        assert s[it.name].isna().sum() == int((col < 0).sum())
    table = describe_missing(counts)
    assert "-7 proxy respondent" in table.columns
    assert table.loc["scopngbha", "-8 inapplicable"] == int((raw["f_scopngbha"] == -8).sum())


def test_prefix_detected_given_or_absent(raw, tmp_path):
    assert detect_prefix(raw.columns, [it.name for it in DEFAULT_ITEMS]) == "f_"
    bare = raw.rename(columns=lambda c: c.removeprefix("f_"))
    _, info = read_survey(
        _write(bare, tmp_path / "bare.csv"), weight="indscui_xw", return_info=True
    )
    assert info.prefix == ""
    _, info2 = read_survey(
        _write(raw, tmp_path / "p.csv"), prefix="f_", weight="indscui_xw", return_info=True
    )
    assert info2.weight == "indscui_xw"


def test_two_waves_need_an_explicit_prefix(raw, tmp_path):
    both = pd.concat(
        [raw, raw[["f_sclfsato"]].rename(columns={"f_sclfsato": "a_sclfsato"})], axis=1
    )
    path = _write(both, tmp_path / "two.tab")
    with pytest.raises(InputDataError, match="several waves"):
        read_survey(path)
    _, info = read_survey(path, prefix="f_", weight="f_indscui_xw", return_info=True)
    assert info.prefix == "f_"


def test_weight_found_automatically(raw, tmp_path):
    s, info = read_survey(_write(raw, tmp_path / "s.tab"), return_info=True)
    assert info.weight == "indscui_xw"
    assert s["weight"].sum() == pytest.approx(raw["f_indscui_xw"].sum())


def test_no_weight_warns_and_uses_equal_weights(raw, tmp_path):
    path = _write(raw.drop(columns="f_indscui_xw"), tmp_path / "s.tab")
    with pytest.warns(DataQualityWarning, match="every respondent counts the same"):
        s, info = read_survey(path, return_info=True)
    assert info.weight is None and "weight" not in s.columns


def test_missing_items_are_named_with_the_required_set(raw, tmp_path):
    path = _write(raw.drop(columns=["f_scghqa", "f_finnow"]), tmp_path / "s.tab")
    with pytest.raises(InputDataError) as err:
        read_survey(path, weight="f_indscui_xw")
    msg = str(err.value)
    assert "lacks 2 of the 22 survey items" in msg
    assert "f_scghqa (missing)" in msg and "f_finnow (missing)" in msg
    assert "capability:" in msg and "f_scghqc" in msg


def test_absent_and_negative_weights(raw, tmp_path):
    path = _write(raw, tmp_path / "s.tab")
    with pytest.raises(InputDataError, match="no weight column 'f_indscus_xw'.*f_indscui_xw"):
        read_survey(path, weight="f_indscus_xw")
    bad = raw.copy()
    bad.loc[bad.index[:3], "f_indscui_xw"] = -1.5
    with pytest.raises(InputDataError, match="negative or non-numeric.*-1.5"):
        read_survey(_write(bad, tmp_path / "neg.tab"), weight="f_indscui_xw")


def test_absent_classification_column(raw, tmp_path):
    with pytest.raises(InputDataError, match="no classification column 'oac_grp'"):
        read_survey(_write(raw, tmp_path / "s.tab"), levels=["oac_grp"])


def test_all_missing_item(raw, tmp_path):
    bad = raw.copy()
    bad["f_scopngbhd"] = -8
    with pytest.raises(InputDataError, match="f_scopngbhd.*no valid answer"):
        read_survey(_write(bad, tmp_path / "s.tab"))


def test_not_a_respondent_file(tmp_path, borough):
    path = tmp_path / "lookup.csv"
    borough.oa[["oa_code", "lsoa_code"]].to_csv(path, index=False)
    with pytest.raises(InputDataError, match="does not look like a survey respondent file"):
        read_survey(path)
    empty = tmp_path / "empty.tab"
    empty.write_text("")
    with pytest.raises(InputDataError, match="empty"):
        read_survey(empty)
    with pytest.raises(InputDataError, match="cannot read"):
        read_survey(_write(borough.survey.iloc[:5], tmp_path / "x.csv").rename(tmp_path / "x.sav"))


def test_out_of_range_values_are_missing_with_a_warning(raw, tmp_path):
    bad = raw.copy()
    bad.loc[bad.index[:4], "f_finnow"] = 9
    with pytest.warns(DataQualityWarning, match="finnow \\(4\\)"):
        s = read_survey(_write(bad, tmp_path / "s.tab"), weight="f_indscui_xw")
    assert s["finnow"].iloc[:4].isna().all()


@pytest.mark.parametrize("ext", [".tab", ".dta", ".parquet"])
def test_numeric_classification_codes_with_blanks_stay_whole(raw, tmp_path, ext):
    df = raw.copy()
    df["oac_supergroup"] = pd.to_numeric(df["oac_supergroup"]).astype(float)
    df.loc[df.index[:5], "oac_supergroup"] = np.nan  # respondents not matched to an OA
    s = read_survey(
        _write(df, tmp_path / f"s{ext}"), weight="f_indscui_xw", levels=["oac_supergroup"]
    )
    codes = s["oac_supergroup"].dropna()
    assert not codes.str.contains(".", regex=False).any()
    assert set(codes) <= {str(i) for i in range(1, 10)}
    assert s["oac_supergroup"].isna().sum() == 5
