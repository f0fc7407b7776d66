"""CSV tables and the Excel workbook (resilience.outputs.tables)."""

from __future__ import annotations

import codecs
import csv
import shutil
import subprocess

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


# --- counts, formula neutralisation, printing --------------------------------------------

INJECTIONS = ['=HYPERLINK("http://x")', "@SUM(A1)", "+cmd", "-2+3", "\tx", "\r=1"]


def _hostile_tables():
    n = len(INJECTIONS)
    lsoa = pd.DataFrame(
        {
            "lsoa_code": [f"E0100000{i}" for i in range(n)],
            "lsoa_name": INJECTIONS,
            "ward_code": ["E05000001"] * n,
            "note": ["-0.3", "+1", "1e5", "-", "plain", None],  # text that looks numeric
            "population": [2068.0, 1500.0, np.nan, 12.0, 0.0, 7.0],
            "n_oa": [5.0, 4.0, 3.0, 2.0, 1.0, 6.0],
            "resilience_score": [-0.3, 0.25, -1.0, 0.0, 0.5, np.nan],
        }
    )
    ward = pd.DataFrame(
        {
            "ward_code": ["E05000001", "E05000002"],
            "ward_name": ["@SUM(A1)", "Ynys Môn"],
            "population": [3568.0, 19.0],
            "n_lsoa": [6.0, 0.0],
            "n_flagged": [2, 0],
        }
    )
    flags = lsoa.iloc[:4].assign(ward_name="=1+1")
    return lsoa, ward, flags


def test_counts_are_written_as_integers(tmp_path):
    lsoa, ward, flags = _hostile_tables()
    paths = write_tables(tmp_path, lsoa=lsoa, ward=ward, flags=flags)
    rows = paths["lsoa"].read_text(encoding="utf-8-sig").splitlines()
    header = rows[0].split(",")
    first = rows[1].split(",")
    assert first[header.index("population")] == "2068"
    assert first[header.index("n_oa")] == "5"
    assert rows[3].split(",")[header.index("population")] == ""  # missing stays empty
    ward_rows = paths["ward"].read_text(encoding="utf-8-sig").splitlines()
    assert ward_rows[1].endswith(",3568,6,2")
    wb = openpyxl.load_workbook(paths["xlsx"])
    ws = wb["Wards"]
    assert [ws["C2"].value, ws["D2"].value, ws["E2"].value] == [3568, 6, 2]
    assert all(isinstance(ws[c].value, int) for c in ("C2", "D2", "E2"))
    assert ws["C2"].number_format == "#,##0"
    assert wb["LSOAs"]["E4"].value is None  # the missing population


def test_fractional_counts_are_not_rounded(tmp_path):
    lsoa = pd.DataFrame({"lsoa_code": ["E01000001"], "population": [10.5]})
    ward = pd.DataFrame({"ward_code": ["E05000001"], "population": [10.0]})
    paths = write_tables(tmp_path, lsoa=lsoa, ward=ward, flags=lsoa.iloc[:0])
    assert paths["lsoa"].read_text(encoding="utf-8-sig").splitlines()[1] == "E01000001,10.5"
    assert paths["ward"].read_text(encoding="utf-8-sig").splitlines()[1] == "E05000001,10"


def test_csv_cells_that_would_run_as_formulas_are_neutralised(tmp_path):
    lsoa, ward, flags = _hostile_tables()
    paths = write_tables(tmp_path, lsoa=lsoa, ward=ward, flags=flags)
    read = {
        name: pd.read_csv(paths[name], dtype=str, keep_default_na=False, encoding="utf-8-sig")
        for name in ("lsoa", "ward", "flags")
    }
    # (a carriage return inside a cell becomes a line feed: the rows stay whole)
    assert read["lsoa"]["lsoa_name"].tolist() == ["'" + t.replace("\r", "\n") for t in INJECTIONS]
    # numbers stay numbers, also where a text column holds one
    assert read["lsoa"]["note"].tolist() == ["-0.3", "+1", "1e5", "'-", "plain", ""]
    assert read["lsoa"]["resilience_score"].tolist()[:3] == ["-0.3", "0.25", "-1.0"]
    assert read["ward"]["ward_name"].tolist() == ["'@SUM(A1)", "Ynys Môn"]
    assert set(read["flags"]["ward_name"]) == {"'=1+1"}
    assert read["flags"]["lsoa_name"].tolist() == ["'" + t for t in INJECTIONS[:4]]
    # every text cell of every CSV: none starts with a formula character
    for frame in read.values():
        for col in frame.columns:
            for value in frame[col]:
                assert not value.startswith(("=", "@", "\t", "\r", "\n")), (col, value)
                assert not value.startswith(("+", "-")) or float(value) == float(value)


def test_workbook_keeps_the_text_and_marks_formula_like_cells(tmp_path):
    lsoa, ward, flags = _hostile_tables()
    paths = write_tables(tmp_path, lsoa=lsoa, ward=ward, flags=flags)
    ws = openpyxl.load_workbook(paths["xlsx"])["LSOAs"]
    names = [ws.cell(row=r, column=2) for r in range(2, len(INJECTIONS) + 2)]
    assert [c.value for c in names] == [t.replace("\r", "\n") for t in INJECTIONS]
    assert all(c.data_type == "s" for c in names)
    # quote prefix on each text a spreadsheet would run ("\r=1" is stored as "\n=1": inert)
    assert [bool(c.quotePrefix) for c in names] == [True] * 5 + [False]
    assert ws["A2"].data_type == "s" and not ws["A2"].quotePrefix
    assert ws["G2"].value == -0.3 and ws["G2"].data_type == "n"


def test_model_csvs_are_neutralised_with_integer_counts(tmp_path):
    from types import SimpleNamespace

    from resilience.outputs.save import _write_model

    tables = {
        "area_estimates": pd.DataFrame(
            {"category": ["=1+1", "-2+3"], "respondents": ["10–29", "300+"], "share": [-0.3, 1]}
        ),
        "cluster_profiles": pd.DataFrame({"cluster": ["@x"], "respondents": [40.0]}),
    }
    model = SimpleNamespace(
        summary=lambda: pd.DataFrame({"measure": ["+kmo", "n"], "value": [-0.5, "-0.25"]}),
        diagnostics_={"kmo": 0.9},
        stability_={"ari_mean": 0.8},
        match_=pd.DataFrame({"similarity": [0.9]}),
    )
    result = SimpleNamespace(
        model=model, estimator=SimpleNamespace(alpha_=10.0, suppressed_=[]), evidence={}
    )
    paths = _write_model(tmp_path, result, tables)
    est = paths["model_area_estimates"].read_text(encoding="utf-8").splitlines()
    assert est == ["category,respondents,share", "'=1+1,10–29,-0.3", "'-2+3,300+,1.0"]
    profiles = paths["model_cluster_profiles"].read_text(encoding="utf-8").splitlines()
    assert profiles == ["cluster,respondents", "'@x,40"]
    summary = paths["model_summary"].read_text(encoding="utf-8").splitlines()
    assert summary == ["measure,value", "'+kmo,-0.5", "n,-0.25"]


def test_data_sheets_print_landscape_with_repeated_header(written):
    _, paths = written
    wb = openpyxl.load_workbook(paths["xlsx"])
    about = wb["About"]
    assert about.page_setup.orientation == "portrait"
    # fit to one page wide (1 is the file format's default, which is left out)
    assert about.sheet_properties.pageSetUpPr.fitToPage
    assert about.page_setup.fitToWidth in (None, 1) and about.page_setup.fitToHeight == 0
    # a row gets the height of its wrapped lines: 215 characters in the 100-wide column
    # print on two lines (LibreOffice fits 124), 248 on three (a margin for the font)
    heights = {
        r[0].value: about.row_dimensions[r[0].row].height
        for r in about.iter_rows()
        if r[0].value in ("1.", "3.", "Run id")
    }
    assert heights == {"1.": 30, "3.": 45, "Run id": None}  # one line: the default height
    for name in ("LSOAs", "Wards", "Flags", "OAs", "Cluster profiles"):
        ws = wb[name]
        assert ws.page_setup.orientation == "landscape", name
        assert ws.print_title_rows == "$1:$1", name
        assert ws.oddHeader.center.text == "&A" and ws.oddFooter.center.text == "Page &P of &N"
        assert ws.sheet_properties.pageSetUpPr.fitToPage and ws.page_setup.fitToHeight == 0
    # narrow tables fit one page wide; the 44-column LSOAs sheet goes across pages with its
    # code column repeated, so that its text prints at no less than 60 % of full size
    assert wb["Cluster profiles"].page_setup.fitToWidth in (None, 1)
    assert wb["Cluster profiles"].print_title_cols is None
    assert int(wb["LSOAs"].page_setup.fitToWidth) > 1
    assert wb["LSOAs"].print_title_cols == "$A:$A"


def _pdf_pages(xlsx, tmp_path):
    soffice, pdftotext = shutil.which("soffice"), shutil.which("pdftotext")
    if not soffice or not pdftotext:
        pytest.skip("LibreOffice (soffice) or pdftotext not installed")
    profile = (tmp_path / "lo-profile").as_uri()
    subprocess.run(
        [
            soffice,
            f"-env:UserInstallation={profile}",
            "--headless",
            "--convert-to",
            "pdf",
            "--outdir",
            str(tmp_path),
            str(xlsx),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    pdf = tmp_path / (xlsx.stem + ".pdf")
    text = subprocess.run(
        [pdftotext, "-layout", str(pdf), "-"], check=True, capture_output=True, text=True
    ).stdout
    return text.split("\f")[:-1]  # pdftotext ends every page with a form feed


@pytest.mark.slow
def test_libreoffice_prints_the_workbook_readably(tmp_path):
    long_caveat = "A caveat long enough to wrap over several printed lines. " * 6
    n = 120  # more rows than one landscape page holds
    lsoa = pd.DataFrame(
        {
            "lsoa_code": [f"E01{i:06d}" for i in range(n)],
            "lsoa_name": [f"Northbridge {i:03d}A" for i in range(n)],
            "resilience_score": np.linspace(-1, 1, n),
            **{f"share_col_{j}": np.full(n, 0.1) for j in range(30)},  # wide: pages across
        }
    )
    ward = pd.DataFrame({"ward_code": [f"E05{i:06d}" for i in range(n)], "n_lsoa": 3})
    about = {"run_id": "run-print-1", "caveats": [long_caveat, "Short caveat."]}
    paths = write_tables(tmp_path, lsoa=lsoa, ward=ward, flags=lsoa.iloc[:0], about=about)
    pages = _pdf_pages(paths["xlsx"], tmp_path)
    assert all(p.strip() for p in pages), "an empty page was printed"

    about_pages = [p for p in pages if p.split() and p.split()[0] == "About"]
    assert len(about_pages) == 1  # one page wide and short: labels and values together
    lines = about_pages[0].splitlines()
    for label, value in [("Run id", "run-print-1"), ("Attribution", ATTRIBUTION[:40]),
                         ("1.", long_caveat[:40]), ("2.", "Short caveat.")]:  # fmt: skip
        line = next(ln for ln in lines if ln.strip().startswith(label + " "))
        assert value in line, (label, line)
    # the wrapped caveat prints on lines of its own, not over the next row
    wrapped = [ln for ln in lines if "A caveat long enough" in ln]
    assert len(wrapped) >= 2
    assert "Short caveat." not in " ".join(wrapped)

    wards = [p for p in pages if p.split()[0] == "Wards"]
    assert len(wards) >= 2
    for page in wards:
        assert "ward_code" in page and "n_lsoa" in page  # the header row on every page
        assert f"Page {pages.index(page) + 1} of {len(pages)}" in page
    lsoas = [p for p in pages if p.split()[0] == "LSOAs"]
    assert len(lsoas) >= 4  # across and down
    assert all("lsoa_code" in p for p in lsoas)  # code column and header on each page
    assert any("share_col_29" in p for p in lsoas) and "share_col_29" not in lsoas[0]


def test_too_many_oas_go_to_a_csv_and_the_about_sheet_says_so(tmp_path, monkeypatch):
    import resilience.outputs.tables as tables

    oa = pd.DataFrame(
        {"oa_code": ["E00000001", "E00000002", "E00000003"], "share_isolation": [0.1, 0.2, 0.3]}
    )
    lsoa = pd.DataFrame({"lsoa_code": ["E01000001"], "resilience_score": [0.1]})
    ward = pd.DataFrame({"ward_code": ["E05000001"], "resilience_score": [0.1]})
    kept = write_tables(tmp_path / "small", lsoa=lsoa, ward=ward, flags=lsoa.iloc[:0], oa=oa)
    assert "oa" not in kept
    assert "OAs" in openpyxl.load_workbook(kept["xlsx"], read_only=True).sheetnames
    monkeypatch.setattr(tables, "WORKBOOK_MAX_OAS", 2)
    paths = write_tables(tmp_path / "big", lsoa=lsoa, ward=ward, flags=lsoa.iloc[:0], oa=oa)
    assert paths["oa"].name == "oa.csv"
    back = pd.read_csv(paths["oa"], dtype={"oa_code": str}, encoding="utf-8-sig")
    pd.testing.assert_frame_equal(back, oa)
    wb = openpyxl.load_workbook(paths["xlsx"], read_only=True)
    assert wb.sheetnames == ["About", "LSOAs", "Wards", "Flags"]
    about = [[c for c in row if c] for row in wb["About"].iter_rows(values_only=True)]
    assert [
        "OAs",
        "Not in this workbook: 3 OAs are more than the 2 it holds. They are in tables/oa.csv "
        "and the oa layer of resilience.gpkg.",
    ] in about
