"""CSV tables and the Excel workbook (resilience.outputs.tables)."""

from __future__ import annotations

import codecs
import csv

import numpy as np
import openpyxl
import pandas as pd
import pytest
from outputs_data import ESCAPE_NAME, make_results

from resilience.errors import InputDataError
from resilience.outputs._about import ATTRIBUTION
from resilience.outputs.tables import write_csv, write_tables


@pytest.fixture(scope="module")
def results():
    return make_results()


@pytest.fixture(scope="module")
def written(results, tmp_path_factory):
    out = tmp_path_factory.mktemp("run")
    about = {
        "title": "Demo borough resilience",
        "run_id": "run-123",
        "config_hash": "ab" * 32,
        "sources": {"Boundaries": "ONS BGC 2021", "Hard data": "IoD2025 File 7"},
        "columns": {"income_score": "Income deprivation rate (IoD2025)"},
    }
    paths = write_tables(
        out,
        lsoa=results.lsoa,
        ward=results.ward,
        flags=results.flags,
        oa=results.oa,
        about=about,
        extra_sheets={"Cluster profiles": results.profiles},
    )
    return out, paths


def test_files_are_written_under_tables(written):
    out, paths = written
    assert set(paths) == {"lsoa", "ward", "flags", "xlsx"}
    assert paths["lsoa"] == out / "tables" / "lsoa.csv"
    assert paths["xlsx"] == out / "tables" / "resilience.xlsx"
    assert all(p.is_file() for p in paths.values())


def test_csv_has_bom_and_round_trips_with_codes_as_text(written, results):
    _, paths = written
    raw = paths["lsoa"].read_bytes()
    assert raw.startswith(codecs.BOM_UTF8)
    assert b"\r\n" not in raw
    back = pd.read_csv(
        paths["lsoa"], dtype={"lsoa_code": str, "ward_code": str}, encoding="utf-8-sig"
    )
    assert back.columns[0] == "lsoa_code"  # BOM not part of the first name
    assert "geometry" not in back.columns
    assert back["lsoa_code"].tolist() == results.lsoa["lsoa_code"].tolist()
    np.testing.assert_array_equal(back["resilience_score"], results.lsoa["resilience_score"])
    assert back["flag"].tolist() == results.lsoa["flag"].tolist()
    # a reader that decodes plain UTF-8 sees the BOM in front of the first column name
    with paths["lsoa"].open(encoding="utf-8", newline="") as fh:
        assert next(csv.reader(fh))[0] == "\ufefflsoa_code"


def test_csv_keeps_accents_and_names(written):
    _, paths = written
    ward = pd.read_csv(paths["ward"], dtype=str, encoding="utf-8-sig")
    assert ESCAPE_NAME in ward["ward_name"].tolist()


def test_numeric_codes_dates_and_index_are_written_as_text(tmp_path):
    df = pd.DataFrame(
        {
            "oa_code": [1.0, np.nan, 12.0],
            "when": pd.to_datetime(["2025-03-31", None, "2024-01-02"]),
            "value": [0.5, 1.5, 2.5],
        },
        index=pd.Index(["E01000001", "E01000002", "E01000003"], name="lsoa_code"),
    )
    path = write_csv(df, tmp_path / "x.csv")
    text = path.read_text(encoding="utf-8-sig").splitlines()
    assert text[0] == "lsoa_code,oa_code,when,value"
    assert text[1] == "E01000001,1,2025-03-31,0.5"
    assert text[2] == "E01000002,,,1.5"


def test_workbook_sheets_and_about(written):
    _, paths = written
    wb = openpyxl.load_workbook(paths["xlsx"])
    assert wb.sheetnames == ["About", "LSOAs", "Wards", "Flags", "OAs", "Cluster profiles"]
    about = [
        " | ".join(str(v) for v in row if v is not None)
        for row in wb["About"].iter_rows(values_only=True)
    ]
    text = "\n".join(about)
    assert about[0] == "Demo borough resilience"
    assert "Run id | run-123" in about
    assert f"Config hash (sha256) | {'ab' * 32}" in about
    assert "Source | Hard data: IoD2025 File 7" in about
    assert f"Attribution | {ATTRIBUTION}" in about
    assert "1. | Predicted, not measured." in text
    assert "Intervals are 90% bootstrap intervals" in text
    # column dictionary: built-in meanings and ones passed in about
    assert "resilience_score | Asset shares minus vulnerability shares" in text
    assert "income_score | Income deprivation rate (IoD2025)" in about
    assert "LSOAs | 12 rows" in text


def test_data_sheets_are_frozen_filtered_and_sized(written, results):
    _, paths = written
    wb = openpyxl.load_workbook(paths["xlsx"])
    for name, frame in [("LSOAs", results.lsoa), ("Wards", results.ward), ("OAs", results.oa)]:
        ws = wb[name]
        n_cols = len(frame.columns) - 1  # geometry dropped
        assert ws.freeze_panes == "A2"
        last = openpyxl.utils.get_column_letter(n_cols)
        assert ws.auto_filter.ref == f"A1:{last}{len(frame) + 1}"
        assert ws.max_row == len(frame) + 1
        widths = [
            ws.column_dimensions[openpyxl.utils.get_column_letter(i)].width
            for i in range(1, n_cols + 1)
        ]
        assert all(8 <= w <= 60 for w in widths)
        assert ws["A1"].font.bold


def test_codes_are_text_cells_and_formats_are_set(written, results):
    _, paths = written
    wb = openpyxl.load_workbook(paths["xlsx"])
    ws = wb["LSOAs"]
    header = [c.value for c in ws[1]]
    col = {name: i for i, name in enumerate(header)}
    row = next(iter(ws.iter_rows(min_row=2, max_row=2)))
    assert row[col["lsoa_code"]].value == results.lsoa["lsoa_code"].iloc[0]
    assert row[col["lsoa_code"]].data_type == "s"
    assert row[col["ward_code"]].data_type == "s"
    assert row[col["share_isolation"]].number_format == "0.0%"
    assert row[col["share_isolation_lo"]].number_format == "0.0%"
    assert row[col["flag_confidence"]].number_format == "0.0%"
    assert row[col["resilience_score"]].number_format == "0.00"
    assert row[col["hard_index"]].number_format == "0.00"
    assert row[col["population"]].number_format == "#,##0"
    assert row[col["resilience_score"]].value == pytest.approx(
        results.lsoa["resilience_score"].iloc[0]
    )
    oa = wb["OAs"]
    oa_header = [c.value for c in oa[1]]
    for code in ("oa_code", "supergroup", "subgroup"):
        cells = [r[oa_header.index(code)] for r in oa.iter_rows(min_row=2)]
        assert all(c.data_type == "s" for c in cells)
    # a named index (cluster) becomes the first column of an extra sheet
    prof = wb["Cluster profiles"]
    assert prof["A1"].value == "cluster"
    assert prof["A2"].value == "low_wellbeing"


def test_text_starting_with_equals_is_not_a_formula(tmp_path):
    lsoa = pd.DataFrame({"lsoa_code": ["E01000001"], "lsoa_name": ["=1+1"], "x": [np.nan]})
    ward = pd.DataFrame({"ward_code": ["E05000001"], "ward_name": ["A\x07B"]})
    paths = write_tables(tmp_path, lsoa=lsoa, ward=ward, flags=lsoa.iloc[:0])
    wb = openpyxl.load_workbook(paths["xlsx"])
    cell = wb["LSOAs"]["B2"]
    assert cell.value == "=1+1"
    assert cell.data_type == "s"
    assert wb["LSOAs"]["C2"].value is None
    assert wb["Wards"]["B2"].value == "AB"  # control character removed
    assert wb["Flags"].max_row == 1  # header only


@pytest.mark.parametrize(
    ("name", "match"),
    [
        ("A sheet name that is far too long for Excel", "at most 31"),
        ("Bad/name", "forbids"),
        ("lsoas", "already used"),
        ("About", "already used"),
    ],
)
def test_bad_extra_sheet_names_are_refused(tmp_path, name, match):
    lsoa = pd.DataFrame({"lsoa_code": ["E01000001"]})
    ward = pd.DataFrame({"ward_code": ["E05000001"]})
    with pytest.raises(InputDataError, match=match):
        write_tables(
            tmp_path,
            lsoa=lsoa,
            ward=ward,
            flags=lsoa,
            extra_sheets={name: pd.DataFrame({"a": [1]})},
        )


def test_missing_code_column_names_the_table(tmp_path):
    lsoa = pd.DataFrame({"code": ["E01000001"]})
    ward = pd.DataFrame({"ward_code": ["E05000001"]})
    with pytest.raises(InputDataError, match=r"lsoa table has no column 'lsoa_code'.*'code'"):
        write_tables(tmp_path, lsoa=lsoa, ward=ward, flags=ward)


def test_duplicate_columns_are_refused(tmp_path):
    lsoa = pd.DataFrame([["E01000001", 1, 2]], columns=["lsoa_code", "x", "x"])
    ward = pd.DataFrame({"ward_code": ["E05000001"]})
    with pytest.raises(InputDataError, match="repeated column names 'x'"):
        write_tables(tmp_path, lsoa=lsoa, ward=ward, flags=lsoa)


def test_unnamed_label_index_is_kept_and_integer_index_dropped(tmp_path):
    profiles = pd.DataFrame({"wellbeing": [0.5, -0.5]}, index=["high_wellbeing", "low_wellbeing"])
    lsoa = pd.DataFrame({"lsoa_code": ["E01000001", "E01000002"]}, index=[7, 9])
    ward = pd.DataFrame({"ward_code": ["E05000001"]})
    paths = write_tables(
        tmp_path, lsoa=lsoa, ward=ward, flags=lsoa, extra_sheets={"Profiles": profiles}
    )
    assert paths["lsoa"].read_text(encoding="utf-8-sig").splitlines()[0] == "lsoa_code"
    ws = openpyxl.load_workbook(paths["xlsx"])["Profiles"]
    assert [c.value for c in ws[1]] == ["index", "wellbeing"]
    assert ws["A2"].value == "high_wellbeing"
    assert ws["B2"].number_format == "0.000"
