"""The review pack end to end, through examples/review_pack.py: a page per flagged LSOA
with its figures, the review log shown, the template, assets and the resident-survey
check in every deliverable; escaping; the A4 print in headless Chromium."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest

from resilience.clusters import share_columns
from resilience.outputs.gpkg import read_layer_styles
from resilience.outputs.review import PackInputs, write_review_pack

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "examples" / "review_pack.py"


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    work = tmp_path_factory.mktemp("review")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, str(SCRIPT), str(work)], capture_output=True, text=True, env=env
    )
    assert done.returncode == 0, done.stderr
    assert "postcode not in the directory: row 8" in done.stderr
    out = work / "out"
    tables = out / "tables"
    return {
        "work": work,
        "out": out,
        "stdout": done.stdout,
        "flags": pd.read_csv(tables / "flags.csv", dtype={"lsoa_code": str}),
        "lsoa": pd.read_csv(tables / "lsoa.csv", dtype={"lsoa_code": str}),
        "ward": pd.read_csv(tables / "ward.csv", dtype={"ward_code": str}),
        "log": pd.read_csv(work / "input" / "council" / "reviews.csv"),
    }


def test_a_page_for_every_flagged_lsoa_in_order(run):
    review = run["out"] / "review"
    flags = run["flags"]
    assert len(flags) == 14  # measured on the demo borough (seed 0)
    pages = sorted(p.stem for p in (review / "lsoa").glob("*.html"))
    assert pages == sorted(flags["lsoa_code"])
    index = (review / "index.html").read_text(encoding="utf-8")
    explained = run["log"].loc[run["log"]["outcome"] == "explained", "lsoa_code"].tolist()
    head, apart = index.split("Explained at a recent review")
    # strong flags first (all 14 of the demo are strong); the explained LSOA is listed apart
    strong = flags["flag_strength"].eq("strong") & ~flags["lsoa_code"].isin(explained)
    assert f"Strong flags (visit first) ({int(strong.sum())})" in head or int(strong.sum()) == 0
    assert "every flag is listed as possible" not in head
    for code in flags["lsoa_code"]:
        assert (code in apart) == (code in explained), code
        assert f"lsoa/{code}.html" in index
    order = [c for c in flags["lsoa_code"] if c not in explained] + explained
    everything = (review / "all.html").read_text(encoding="utf-8")
    positions = [everything.index(f"id='{c}'") for c in order]
    assert positions == sorted(positions)


def test_page_figures_match_the_tables(run):
    lsoa = run["lsoa"].set_index("lsoa_code")
    ward = run["ward"].set_index("ward_code")
    for _, flag in run["flags"].iterrows():
        code = flag["lsoa_code"]
        page = (run["out"] / "review" / "lsoa" / f"{code}.html").read_text(encoding="utf-8")
        row = lsoa.loc[code]
        assert row["lsoa_name"] in page
        assert f"{100 * flag['flag_confidence']:.0f}% of bootstrap replicates" in page
        assert f"Predicted need quintile {flag['predicted_quintile']}" in page
        # the income rate against the study area: value, z-score and rank by need
        income = lsoa["income_score_rate"]
        z = (row["income_score_rate"] - income.mean()) / income.std(ddof=0)
        rank = int((income > row["income_score_rate"]).sum()) + 1
        assert f"<td class='num'>{row['income_score_rate']:,.3f}</td>" in page
        assert f"<td class='num'>{z:.2f}</td>".replace("-0.00", "0.00") in page
        assert f"{rank} of {len(lsoa)}</td>" in page
        # crime is a rank where 1 is most deprived: the lowest rank is the most need
        crime = lsoa["crime_rank_where_1_is_most_deprived"]
        crime_rank = int((crime < row["crime_rank_where_1_is_most_deprived"]).sum()) + 1
        assert f"{crime_rank} of {len(lsoa)}</td>" in page
        for share in ("share_isolation", "share_neighbourhood_support"):
            lo, hi = row[f"{share}_lo"], row[f"{share}_hi"]
            assert f"{100 * row[share]:.1f}%" in page
            assert f"{100 * lo:.1f}% to {100 * hi:.1f}%" in page
        w = ward.loc[row["ward_code"]]
        assert f"{int(w['n_flagged'])} of {int(w['n_lsoa'])}" in page
        assert f"{int(row['assets_total'])} community asset(s)" in page
        assert "Visit notes" in page and "not confirmed" in page


def test_review_log_shown_in_flags_pack_and_template(run):
    flags = run["flags"].set_index("lsoa_code")
    log = run["log"]
    for _, r in log.iterrows():
        assert flags.at[r["lsoa_code"], "review_outcome"] == r["outcome"]
        page = (run["out"] / "review" / "lsoa" / f"{r['lsoa_code']}.html").read_text()
        assert r["note"] in page
        assert r["reviewer"] in page
    unreviewed = flags.index.difference(log["lsoa_code"])
    assert flags.loc[unreviewed, "last_review"].isna().all()
    template = pd.read_csv(run["out"] / "review" / "reviews_template.csv", dtype=str)
    assert template["lsoa_code"].tolist() == run["flags"]["lsoa_code"].tolist()
    assert template.columns[:5].tolist() == ["lsoa_code", "date", "outcome", "note", "reviewer"]
    assert template["outcome"].isna().all()


def test_assets_and_validation_in_every_deliverable(run):
    out = run["out"]
    lsoa = run["lsoa"]
    assets = gpd.read_file(out / "resilience.gpkg", layer="assets")
    assert len(assets) == 426  # 140 LSOAs x 3 listed assets + 6 halls found by postcode
    assert lsoa["assets_total"].sum() == len(assets)
    assert (lsoa["assets_community_hall"].sum(), lsoa["assets_total"].min()) == (6, 3)
    per_1000 = 1000 * lsoa["assets_total"] / lsoa["population"]
    assert lsoa["assets_per_1000"].to_numpy() == pytest.approx(per_1000.to_numpy(), abs=0.005)
    assert "assets" in dict(pyogrio.list_layers(out / "resilience.gpkg"))
    styles = read_layer_styles(out / "resilience.gpkg")
    mine = styles[styles["f_table_name"] == "assets"]
    assert mine["styleName"].tolist() == ["Asset category"]
    assert "SimpleMarker" in mine["styleQML"].iloc[0]
    problems = pd.read_csv(out / "tables" / "asset_problems.csv")
    assert problems[["source", "row"]].values.tolist() == [["halls.csv", 8]]
    validation = pd.read_csv(out / "tables" / "validation.csv")
    assert set(validation["measure"]) == {"pull_together", "lonely"}
    assert len(validation) == 2 * len(run["ward"])
    summary = pd.read_csv(out / "tables" / "validation_summary.csv").set_index("measure")
    # drawn from the true ward shares: the prediction tracks both
    assert summary.loc["pull_together", "correlation"] > 0.9  # measured 0.99
    assert summary.loc["lonely", "correlation_lo"] > 0.7  # measured 0.94 (0.86 to 0.98)
    layer = gpd.read_file(out / "resilience.gpkg", layer="validation")
    assert len(layer) == len(validation)
    assert set(layer["disagreement"]) <= {"survey higher", "survey lower", "within sampling error"}
    assert (layer["disagreement"] != "within sampling error").sum() == summary["n_disagree"].sum()
    default = styles[(styles["f_table_name"] == "validation") & styles["useAsDefault"].astype(bool)]
    assert default["styleName"].tolist() == ["Survey against prediction"]
    report = (out / "report.html").read_text(encoding="utf-8")
    assert "Checked against the council&#x27;s resident survey" in report or (
        "Checked against the council's resident survey" in report
    )
    assert "Calibration plot for pull_together" in report


def _map_data(path: Path) -> dict:
    text = path.read_text(encoding="utf-8")
    start = text.index('id="rz-data">') + len('id="rz-data">')
    return json.loads(text[start : text.index("</script>", start)])


def test_the_maps_draw_the_assets_reviews_and_survey_disagreements(run):
    out = run["out"]
    borough = _map_data(out / "maps" / "index.html")
    local = borough["local"]
    assert local["assets"]["n"] == 426
    assert [c["n"] for c in local["assets"]["cats"]] == (
        gpd.read_file(out / "resilience.gpkg", layer="assets")["category"]
        .value_counts()
        .sort_index()
        .tolist()
    )
    reviewed = [borough["lsoa"]["code"][i] for i in local["reviews"]["lsoa"]]
    assert sorted(reviewed) == sorted(run["log"]["lsoa_code"])
    validation = pd.read_csv(out / "tables" / "validation.csv")
    disagree = validation[validation["disagreement"] != "within sampling error"]
    assert len(local["survey"]["i"]) == len(disagree) >= 1  # measured 1 (lonely)
    # every ward map shows the assets in or near it; together they show every asset
    shown = set()
    for page in (out / "maps" / "wards").glob("*.html"):
        assets = _map_data(page).get("local", {}).get("assets")
        shown |= {tuple(p) for p in (assets["ll"] if assets else [])}
    assert len(shown) == len({tuple(p) for p in local["assets"]["ll"]})
    assert "The council&#x27;s own evidence" in (out / "maps" / "index.html").read_text() or (
        "The council's own evidence" in (out / "maps" / "index.html").read_text()
    )


def test_names_are_escaped(run, tmp_path):
    gpkg = run["out"] / "resilience.gpkg"
    lsoa = gpd.read_file(gpkg, layer="lsoa")
    bad = "<script>alert(1)</script>"
    lsoa["lsoa_name"] = bad
    flags = run["flags"].assign(ward_name=bad, flag_reason=bad)
    assets = gpd.read_file(gpkg, layer="assets").assign(name=bad, category=bad)
    log = pd.DataFrame(
        {
            "lsoa_code": [flags["lsoa_code"][0]],
            "date": [pd.Timestamp("2025-01-01").date()],
            "outcome": ["confirmed"],
            "note": [bad],
            "reviewer": [bad],
        }
    )
    pack = PackInputs(
        title=bad,
        oa=gpd.read_file(gpkg, layer="oa"),
        lsoa=lsoa,
        ward=gpd.read_file(gpkg, layer="ward").assign(ward_name=bad),
        flags=flags,
        area=run["lsoa"].mean(numeric_only=True),
        indicators=[("income_score_rate", bad, "worse")],
        assets=assets,
        reviews=log,
    )
    paths = write_review_pack(tmp_path / "review", pack)
    for key, path in paths.items():
        if path.suffix == ".html":
            text = path.read_text(encoding="utf-8")
            assert "<script" not in text, key
            assert "&lt;script&gt;" in text, key


def _pdf_tools():
    exe = shutil.which("chromium") or shutil.which("chromium-browser")
    if not exe or not shutil.which("pdftotext") or not shutil.which("pdfinfo"):
        pytest.skip("headless Chromium and poppler-utils are needed to print the pack")
    return exe


def _pack(run, lsoa: gpd.GeoDataFrame, flags: pd.DataFrame, **more) -> PackInputs:
    """Pack inputs from the example run's layers, with ``lsoa`` and ``flags`` as given."""
    gpkg = run["out"] / "resilience.gpkg"
    fields = {
        "title": "Northbridge",
        "indicators": [("income_score_rate", "Income Score (rate)", "worse")],
        **more,
    }
    return PackInputs(
        oa=gpd.read_file(gpkg, layer="oa"),
        lsoa=lsoa,
        ward=gpd.read_file(gpkg, layer="ward"),
        flags=flags,
        area=run["lsoa"].mean(numeric_only=True),
        **fields,
    )


def _print_pack(page: Path, tmp_path: Path) -> tuple[Path, str]:
    """``page`` printed by headless Chromium; the PDF and what pdfinfo says of it."""
    exe = _pdf_tools()
    pdf = tmp_path / "pack.pdf"
    subprocess.run(
        [
            exe,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            f"--user-data-dir={tmp_path / 'profile'}",
            "--no-pdf-header-footer",
            f"--print-to-pdf={pdf}",
            page.as_uri(),
        ],
        check=True,
        capture_output=True,
        timeout=180,
    )
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True).stdout
    assert "(A4)" in info
    return pdf, info


def _page_text(pdf: Path, page: int) -> str:
    return subprocess.run(
        ["pdftotext", "-f", str(page), "-l", str(page), str(pdf), "-"],
        capture_output=True,
        text=True,
    ).stdout


def test_pack_prints_one_a4_page_per_flagged_lsoa(run, tmp_path):
    pdf, info = _print_pack(run["out"] / "review" / "all.html", tmp_path)
    explained = set(run["log"].loc[run["log"]["outcome"] == "explained", "lsoa_code"])
    order = [c for c in run["flags"]["lsoa_code"] if c not in explained] + sorted(explained)
    assert f"Pages:           {len(order)}" in info
    for page, code in enumerate(order, start=1):
        text = _page_text(pdf, page)
        assert code in text.splitlines()[0], (page, code)
        assert "Visit notes" in text


def test_change_section_keeps_one_a4_page_per_lsoa(run, tmp_path):
    """With several waves each page says how the score and shares changed, in words; the
    page (here with assets nearby, the fullest of the demo) still prints on one A4 sheet."""
    gpkg = run["out"] / "resilience.gpkg"
    lsoa = gpd.read_file(gpkg, layer="lsoa")
    rng = np.random.default_rng(0)
    for col in [*share_columns(), "resilience_score"]:
        change = rng.normal(0, 0.04, len(lsoa))
        lsoa[f"change_{col}"] = change
        lsoa[f"change_{col}_lo"] = change - 0.05
        lsoa[f"change_{col}_hi"] = change + 0.05
    flags = run["flags"]
    pack = _pack(
        run,
        lsoa,
        flags,
        title="Northbridge community resilience (synthetic demo)",
        indicators=[
            ("income_score_rate", "Income Score (rate)", "worse"),
            ("employment_score_rate", "Employment Score (rate)", "worse"),
            ("health_deprivation_and_disability_score", "Health and Disability", "worse"),
        ],
        assets=gpd.read_file(gpkg, layer="assets"),
        waves=("wave 6", "wave 9"),
    )
    paths = write_review_pack(tmp_path / "review", pack)
    row = lsoa.set_index("lsoa_code").loc[flags["lsoa_code"].iloc[0]]
    page = paths[f"review_{flags['lsoa_code'].iloc[0]}"].read_text(encoding="utf-8")
    verb = "rose" if row["change_resilience_score"] > 0 else "fell"
    size = f"{abs(row['change_resilience_score']):.2f}"
    assert f"Resilience score {verb} by {size} (90% interval" in page
    real = row["change_resilience_score_lo"] > 0 or row["change_resilience_score_hi"] < 0
    assert ("a real change" if real else "may be no change") in page
    pdf, info = _print_pack(paths["review_all"], tmp_path)
    assert f"Pages:           {len(flags)}" in info
    for number in range(1, len(flags) + 1):
        text = _page_text(pdf, number)
        assert "Change, wave 6 to wave 9" in text and "Visit notes" in text, number


def test_same_inputs_same_pack_bytes(run, tmp_path):
    gpkg = run["out"] / "resilience.gpkg"
    pack = PackInputs(
        title="Northbridge",
        oa=gpd.read_file(gpkg, layer="oa"),
        lsoa=gpd.read_file(gpkg, layer="lsoa"),
        ward=gpd.read_file(gpkg, layer="ward"),
        flags=run["flags"].head(2),
        area=run["lsoa"].mean(numeric_only=True),
        indicators=[("income_score_rate", "Income Score (rate)", "worse")],
        assets=gpd.read_file(gpkg, layer="assets"),
    )
    first = write_review_pack(tmp_path / "a", pack)
    second = write_review_pack(tmp_path / "b", pack)
    for key, path in first.items():
        assert path.read_bytes() == second[key].read_bytes(), key


def test_new_columns_explained_in_the_workbook(run):
    import openpyxl

    book = openpyxl.load_workbook(run["out"] / "tables" / "resilience.xlsx", read_only=True)
    text = "\n".join(
        str(c) for row in book["About"].iter_rows(values_only=True) for c in row if c is not None
    )
    assert "Community assets recorded in the LSOA" in text
    assert "Community assets of category 'Community hall' in the LSOA" in text
    assert "Outcome of that review: confirmed, explained or not_confirmed" in text


def test_assets_and_validation_layers_draw_in_qgis(run, tmp_path):
    system = Path("/usr/bin/python3")
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    probe = ROOT / "tests" / "qgis_probe.py"
    if (
        not system.is_file()
        or subprocess.run(
            [str(system), "-c", "import qgis.core"], env=env, capture_output=True
        ).returncode
    ):
        pytest.skip("/usr/bin/python3 cannot import qgis.core (install qgis, python3-qgis)")
    done = subprocess.run(
        [str(system), str(probe), str(run["out"] / "resilience.gpkg"), str(tmp_path),
         "assets,validation"],
        env=env, capture_output=True, text=True, timeout=300, check=True,
    )  # fmt: skip

    report = json.loads(done.stdout)
    expected = {
        "assets": ("Asset category", 426, "Community hall"),
        "validation": ("Survey against prediction", 40, "Within sampling error"),
    }
    for name, (style, n, label) in expected.items():
        layer = report["layers"][name]
        assert layer["valid"] and layer["features"] == n
        (render,) = layer["renders"]
        assert (render["name"], render["error"]) == (style, "")
        assert label in [c["label"] for c in render["classes"]]
        # every feature drawn exactly once, none without a class
        assert len(render["drawn"]) == n and all(len(v) == 1 for v in render["drawn"].values())
        assert render["missing"] == []
    # only QGIS's notice that PROJ lacks the OSTN15 grid, as for the other layers
    warnings = [m for m in report["messages"] if m[1] >= report["warning_level"]]
    assert all("uk_os_OSTN15_NTv2_OSGBtoETRS" in m[2] for m in warnings), warnings


def test_check_reads_the_council_files(run, tmp_path):
    from resilience.inputs.check import check

    config = run["work"] / "input" / "resilience_local.toml"
    text = str(check(config))
    assert "Assets: " in text and "assets.csv" in text
    assert "420 assets placed in the study area" in text
    assert "6 assets placed in the study area; 1 row left out" in text
    assert "postcode not in the directory: row 8" in text
    assert "2 reviews of 2 LSOAs (confirmed 1, explained 1, not_confirmed 0)" in text
    assert "20 wards of the study area, 2 measure(s)" in text
    # a bad log row is a problem check reports, as the run would stop on it
    log = tmp_path / "reviews.csv"
    log.write_text("lsoa_code,date,outcome\nE09999999,2025-01-01,confirmed\n")
    bad = config.read_text().replace('log = "council/reviews.csv"', f'log = "{log}"')
    (config.parent / "bad.toml").write_text(bad)
    report = check(config.parent / "bad.toml")
    assert not report.ok
    assert any("Column 'lsoa_code' in row 2" in p for p in report.problems)


def test_strength_and_national_index_used_when_present(run, tmp_path):
    gpkg = run["out"] / "resilience.gpkg"
    lsoa = gpd.read_file(gpkg, layer="lsoa")
    lsoa["index_isolation"] = 100 * lsoa["share_isolation"] / 0.2
    lsoa["band_isolation"] = "well above"
    flags = run["flags"].head(4).copy()
    flags["flag_strength"] = ["possible", "strong", "possible", "strong"]
    pack = _pack(run, lsoa, flags, notices=["TRIAL RUN <made from a synthetic survey>"])
    paths = write_review_pack(tmp_path / "review", pack)
    index = paths["review_index"].read_text(encoding="utf-8")
    banner = "<p class='notice' role='alert'>TRIAL RUN &lt;made from a synthetic survey&gt;</p>"
    for key, path in paths.items():
        if path.suffix == ".html":
            assert banner in path.read_text(encoding="utf-8"), key
    strong, possible = index.split("Possible flags")[0], index.split("Possible flags")[1]
    codes = flags["lsoa_code"].tolist()
    assert all(c in strong for c in codes[1::2]) and not any(c in strong for c in codes[::2])
    assert all(c in possible.split("Explained")[0] for c in codes[::2])
    everything = paths["review_all"].read_text(encoding="utf-8")
    order = [everything.index(f"id='{c}'") for c in [codes[1], codes[3], codes[0], codes[2]]]
    assert order == sorted(order)
    page = paths[f"review_{codes[1]}"].read_text(encoding="utf-8")
    row = lsoa.set_index("lsoa_code").loc[codes[1]]
    assert "National index (100 = survey)" in page
    cells = f"<td class='num'>{row['index_isolation']:,.0f}</td><td class='band'>well above</td>"
    assert cells in page
    assert "a <b>strong</b> flag" in page
    # without a review log the pages say so, and the template carries the strength
    assert "No review log configured" in page
    template = pd.read_csv(paths["review_template"])
    assert template["flag_strength"].tolist() == flags["flag_strength"].tolist()


def test_map_paths_are_those_of_a_ring_by_ring_loop():
    import shapely
    from shapely.geometry import GeometryCollection, LineString, MultiPolygon, Polygon, box

    from resilience.outputs.review._map import _paths

    def one_by_one(geoms, x0, y1, s):  # the plain loop the vectorised writer replaces
        out = []
        for g in shapely.simplify([shapely.transform(g, lambda c: (c - [x0, y1]) * [s, -s])
                                   for g in geoms], 0.4):  # fmt: skip
            parts = []
            for poly in getattr(g, "geoms", [g]):
                if poly.is_empty or poly.geom_type != "Polygon":
                    continue
                for ring in (poly.exterior, *poly.interiors):
                    xy = np.round(np.asarray(ring.coords), 1)
                    parts.append("M" + "L".join(f"{x:g} {y:g}" for x, y in xy) + "Z")
            out.append("".join(parts))
        return out

    holed = Polygon([(0, 0), (40, 0), (40, 40), (0, 40)], [[(5, 5), (9, 5), (9, 9), (5, 9)]])
    geoms = [
        box(0, 0, 10, 5),
        Polygon(),  # empty: no path, but its place kept
        MultiPolygon([box(0, 0, 1, 1), box(2, 2, 3.33, 3.07)]),
        GeometryCollection([LineString([(0, 0), (1, 1)]), box(-0.02, -0.01, 5, 5)]),
        holed,
    ]
    for x0, y1, s in [(0.0, 5.0, 2.0), (0.013, 10.0, 7.3), (-3.0, 4.0, 0.5)]:
        got = _paths(geoms, x0, y1, s)
        assert got == one_by_one(geoms, x0, y1, s)
    assert got[1] == "" and got[4].count("M") == 2  # the hole is a ring of its own
    assert "-0" in _paths([box(0, 0, 10, 5)], 0.0, 5.0, 2.0)[0]  # -0 as the loop wrote it
    assert _paths([], 0.0, 0.0, 1.0) == []
