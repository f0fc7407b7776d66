"""The one-page HTML summary (resilience.outputs.report)."""

from __future__ import annotations

import base64
import html
import re

import numpy as np
import pandas as pd
import pytest
from outputs_data import ESCAPE_NAME, make_results
from scipy.stats import spearmanr

from resilience.clusters import ASSETS, CLUSTERS, share_columns
from resilience.errors import DataQualityWarning, InputDataError
from resilience.outputs._about import ATTRIBUTION
from resilience.outputs.report import fmt_pct, fmt_score, write_report

ABOUT = {
    "run_id": "run-42",
    "created": "2025-04-01T09:00:00Z",
    "sources": ["Boundaries: ONS BGC 2021 <v2>", "Hard data: IoD2025 File 7"],
}


@pytest.fixture(scope="module")
def results():
    return make_results()


@pytest.fixture(scope="module")
def page(results, tmp_path_factory):
    path = tmp_path_factory.mktemp("rep") / "report.html"
    out = write_report(
        path,
        title="Demo & borough",
        oa=results.oa,
        lsoa=results.lsoa,
        ward=results.ward,
        flags=results.flags,
        profiles=results.profiles,
        diagnostics={"n_respondents": 800, "kmo": 0.8123},
        about=ABOUT,
    )
    assert out == path
    return path.read_text(encoding="utf-8")


def _section(page: str, heading: str) -> str:
    start = page.index(heading)
    return page[start : page.index("</section>", start)]


def test_self_contained(page):
    assert 'src="http' not in page
    assert "<link" not in page
    assert "<script" not in page
    assert "url(" not in page
    images = re.findall(r'<img src="([^"]+)"', page)
    assert len(images) == 3  # map, scatter, profiles
    for uri in images:
        assert uri.startswith("data:image/png;base64,")
        assert base64.b64decode(uri.split(",", 1)[1])[:8] == b"\x89PNG\r\n\x1a\n"
    assert page.count('alt="') == 3


def test_headline_numbers(page, results):
    lsoa = results.lsoa
    w = lsoa["population"].to_numpy(float)
    score = np.average(lsoa["resilience_score"], weights=w)
    shares = {c: np.average(lsoa[f"share_{c}"], weights=w) for c in [k.key for k in CLUSTERS]}
    assets = sum(shares[k] for k in ASSETS)
    head = _section(page, "Headline findings")
    assert f"resilience score is <b>{score:.2f}</b>" in head
    assert re.fullmatch(r"-?\d\.\d\d", f"{score:.2f}")  # two decimals, sign only if negative
    assert f"Asset clusters together hold <b>{100 * assets:.1f}%</b>" in head
    largest = max(shares, key=shares.get)
    label = {c.key: c.label for c in CLUSTERS}[largest]
    assert f"Largest cluster: <b>{label}</b>, <b>{100 * shares[largest]:.1f}%</b>" in head
    assert "<b>4</b> of 12 LSOAs are flagged" in head
    assert "<b>2</b> where the prediction shows more need" in head
    assert "<b>2</b> where the hard data show more need" in head
    rho = spearmanr(-lsoa["resilience_score"], lsoa["hard_index"]).statistic
    assert f"rank correlation of <b>{rho:.2f}</b>" in head
    assert f"60 output areas with a population of {int(results.oa['population'].sum()):,}" in head
    assert "estimated from 800 survey respondents" in head
    # lowest-scoring wards, lowest first, with their scores
    wards = results.ward.sort_values("resilience_score")
    expected = ", ".join(
        f"<b>{html.escape(n)}</b> ({fmt_score(s)})"
        for n, s in zip(wards["ward_name"], wards["resilience_score"], strict=True)
    )
    assert f"Lowest-scoring wards: {expected}" in head


def test_six_clusters_with_shares(page, results):
    section = _section(page, "The six resilience clusters")
    w = results.lsoa["population"].to_numpy(float)
    rows = re.findall(r"<tr>(.*?)</tr>", section)[1:]
    assert len(rows) == 6
    for row, cluster in zip(rows, CLUSTERS, strict=True):
        share = np.average(results.lsoa[f"share_{cluster.key}"], weights=w)
        assert f">{cluster.label}</th>" in row
        assert ("Asset" if cluster.asset else "Vulnerability") in row
        assert f">{100 * share:.1f}%</td>" in row
    # largest cluster counts over OAs add up to the number of OAs
    counts = [int(n) for n in re.findall(r'<td class="num">(\d+)</td></tr>', section)]
    assert sum(counts) == 60


def test_wards_in_order_with_values_and_escaped(page, results):
    section = _section(page, "<h2>Wards</h2>")
    assert "1 = least resilient" in section
    names = re.findall(r'<th scope="row">(.*?)</th>', section)
    wards = results.ward.sort_values("resilience_score")
    assert names == [html.escape(n) for n in wards["ward_name"]]
    first = wards.iloc[0]
    assert re.search(
        rf">1</td><th[^>]*>{re.escape(html.escape(first['ward_name']))}</th><td[^>]*>"
        rf"{first['ward_code']}</td><td class=\"num\">{fmt_score(first['resilience_score'])}</td>",
        section,
    )
    assert ESCAPE_NAME not in page
    assert html.escape(ESCAPE_NAME) in page


def test_top_and_bottom_five_of_many_wards(tmp_path, results):
    rng = np.random.default_rng(5)
    scores = rng.uniform(-0.6, 0.3, 12).round(3)
    ward = pd.DataFrame(
        {
            "ward_code": [f"E0500{i:04d}" for i in range(12)],
            "ward_name": [f"Ward {chr(65 + i)}" for i in range(12)],
            "resilience_score": scores,
            "population": 1000,
        }
    )
    page = write_report(
        tmp_path / "r.html", title="t", oa=None, lsoa=results.lsoa, ward=ward, flags=results.flags
    ).read_text(encoding="utf-8")
    section = _section(page, "<h2>Wards</h2>")
    order = ward.sort_values("resilience_score")["ward_name"].tolist()
    tables = re.findall(r"<caption>(.*?)</caption>(.*?)</table>", section)
    assert [t[0] for t in tables] == ["5 most resilient wards", "5 least resilient wards"]
    most = re.findall(r'<th scope="row">(.*?)</th>', tables[0][1])
    least = re.findall(r'<th scope="row">(.*?)</th>', tables[1][1])
    assert most == order[::-1][:5]
    assert least == order[:5]
    ranks = re.findall(r'<tr><td class="num">(\d+)</td>', tables[1][1])
    assert ranks == ["1", "2", "3", "4", "5"]
    lowest = ward.loc[ward["resilience_score"].idxmin()]
    assert (
        f'>{lowest["ward_name"]}</th><td class="code">{lowest["ward_code"]}</td>'
        f'<td class="num">{lowest["resilience_score"]:.2f}</td>' in tables[1][1]
    )
    for name in order[5:7]:  # the middle wards are in neither table
        assert f">{name}</th>" not in section


def test_flagged_shortlist(page, results):
    section = _section(page, "<h2>Flagged LSOAs")
    lsoa = results.lsoa
    for _, r in lsoa.iterrows():
        shown = f">{r['lsoa_code']}</td>" in section
        assert shown == (r["flag"] != "agree"), r["lsoa_code"]
    flagged = lsoa[lsoa["flag"] == "predicted_worse"].iloc[0]
    code = flagged["lsoa_code"]
    row = re.search(
        rf"<tr><th[^>]*>[^<]*</th><td class=\"code\">{code}</td>(.*?)</tr>", section
    ).group(1)
    assert "Prediction shows more need" in row
    ward_name = results.ward.set_index("ward_code").loc[flagged["ward_code"], "ward_name"]
    assert html.escape(ward_name) in row
    assert f"{flagged['predicted_quintile']} / {flagged['hard_quintile']}" in row
    conf = lsoa.set_index("lsoa_code").loc[code, "flag_confidence"]
    assert f">{100 * conf:.0f}%</td>" in row
    assert "income; health" in row
    assert "Hard data show more need" in section


def test_sources_caveats_attribution_and_metadata(page):
    assert "<title>Demo &amp; borough</title>" in page
    sources = _section(page, "Data sources and attribution")
    assert "Boundaries: ONS BGC 2021 &lt;v2&gt;" in sources
    assert "Hard data: IoD2025 File 7" in sources
    assert html.escape(ATTRIBUTION) in sources
    assert "Open Government Licence v3.0" in sources
    assert "run-42" in sources
    caveats = _section(page, "<h2>Caveats</h2>")
    for phrase in [
        "Predicted, not measured",
        "same classification category gets the same",
        "few survey respondents",
        "both draw on census data",
        "best fit",
        "90% bootstrap intervals",
    ]:
        assert phrase in caveats
    assert "How to read this" in page
    checks = _section(page, "Model checks")
    assert "Survey respondents used" in checks and ">0.81<" in checks
    assert "@media print" in page and "size: A4" in page


def test_without_profiles_geometry_or_population(tmp_path, results):
    lsoa = pd.DataFrame(results.lsoa.drop(columns=["geometry", "population"]))
    with pytest.warns(DataQualityWarning, match="weights all 12 LSOAs equally"):
        path = write_report(
            tmp_path / "r.html",
            title="t",
            oa=None,
            lsoa=lsoa,
            ward=pd.DataFrame(results.ward.drop(columns="geometry")),
            flags=results.lsoa,
        )  # agree rows are ignored
    page = path.read_text(encoding="utf-8")
    assert page.count("<img ") == 1  # the scatter only
    assert "all LSOAs weighted equally" in page
    score = lsoa["resilience_score"].mean()
    assert f"resilience score is <b>{fmt_score(score)}</b>" in page
    assert "(number of LSOAs)" in page
    assert "<b>4</b> of 12 LSOAs" in page
    section = _section(page, "<h2>Flagged LSOAs")
    assert section.count('<td class="code">') == 4


def test_same_input_same_bytes(tmp_path, results):
    kwargs = {
        "title": "t",
        "oa": results.oa,
        "lsoa": results.lsoa,
        "ward": results.ward,
        "flags": results.flags,
        "profiles": results.profiles,
        "about": ABOUT,
    }
    a = write_report(tmp_path / "a.html", **kwargs).read_bytes()
    b = write_report(tmp_path / "b.html", **kwargs).read_bytes()
    assert a == b


def test_missing_column_is_reported(tmp_path, results):
    lsoa = results.lsoa.drop(columns=share_columns()[0])
    with pytest.raises(InputDataError, match="lsoa table has no column 'share_low_wellbeing'"):
        write_report(
            tmp_path / "r.html",
            title="t",
            oa=None,
            lsoa=lsoa,
            ward=results.ward,
            flags=results.flags,
        )


def test_formatters():
    assert fmt_pct(0.12345) == "12.3%"
    assert fmt_pct(0.5, 0) == "50%"
    assert fmt_score(-0.004) == "0.00"
    assert fmt_score(np.nan) == "n/a"
