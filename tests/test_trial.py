"""Trial runs on a synthetic survey, and the warning that flags are no better than chance."""

import itertools
import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pyogrio
import pytest
from example_script import run_example

import resilience as rs
from resilience.compare.chance import chance_check, chance_flag_rate
from resilience.compare.flags import compare
from resilience.inputs.trial import SYNTHETIC_MARKER, is_synthetic_survey
from resilience.synthetic import make_borough

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "trial_run.py"


@pytest.fixture(scope="module")
def trial(tmp_path_factory):
    """examples/trial_run.py run as a user would, in a fresh folder."""
    work = tmp_path_factory.mktemp("trial")
    assert run_example(EXAMPLE, work) == 0
    return work


def test_synthetic_survey_spread_like_the_oas(trial):
    path = trial / "input" / "data" / "trial_indresp.tab"
    assert is_synthetic_survey(path)
    survey = pd.read_csv(path, sep="\t", dtype=str)
    assert survey[SYNTHETIC_MARKER].str.startswith("SYNTHETIC").all()
    oac = pd.read_csv(trial / "input" / "data" / "oac.csv", dtype=str)
    oa_share = oac["supergroup"].value_counts(normalize=True)
    resp_share = survey["oac_supergroup"].value_counts(normalize=True)
    # respondents follow the OAs' categories (up to response propensities and sampling)
    assert set(resp_share.index) == set(oa_share.index)
    assert (resp_share.reindex(oa_share.index) - oa_share).abs().max() < 0.05


def test_every_output_says_trial_run(trial):
    out = trial / "trial_out"
    report = (out / "report.html").read_text(encoding="utf-8")
    assert 'class="notice"' in report and "TRIAL RUN on a SYNTHETIC survey" in report
    assert "a national survey (Understanding Society)" not in report
    pages = [out / "maps" / "index.html", *(out / "maps" / "wards").glob("*.html")]
    assert len(pages) == 21
    for page in pages:
        text = page.read_text(encoding="utf-8")
        assert "TRIAL RUN (synthetic survey)" in text, page.name  # in the page title
        banner = re.search(r'<div class="rz-notice" role="alert"[^>]*>([^<]*)</div>', text)
        assert banner and banner.group(1).startswith("TRIAL RUN on a SYNTHETIC survey"), page
    about = pyogrio.read_dataframe(out / "resilience.gpkg", layer="about").set_index("key")
    assert about.loc["synthetic_survey", "value"] == "true"
    assert about.loc["notice", "value"].startswith("TRIAL RUN on a SYNTHETIC survey")
    sheet = pd.read_excel(out / "tables" / "resilience.xlsx", sheet_name="About", header=None)
    text = " ".join(map(str, sheet.to_numpy().ravel()))
    assert "TRIAL RUN on a SYNTHETIC survey" in text and "(Understanding Society)" not in text
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["synthetic_survey"] is True
    assert manifest["notices"][0].startswith("TRIAL RUN")


def test_chance_warning_on_an_unrelated_survey(trial):
    out = trial / "trial_out"
    log = (out / "run.log").read_text(encoding="utf-8")
    assert "The flags are no better than chance" in log and "higher_is direction" in log
    manifest = json.loads((out / "manifest.json").read_text())
    assert any("no better than chance" in n for n in manifest["notices"])
    assert "no better than chance" in (out / "report.html").read_text(encoding="utf-8")


def test_no_chance_warning_on_the_demo(tmp_path):
    files = make_borough(seed=0).write(tmp_path / "demo")
    result = rs.run(files["config"])
    assert result.notices == [] and not result.synthetic_survey
    assert result.chance["rho"] > 0.6 and result.chance["no_better"] is False


def test_chance_rate_is_exact():
    for gap in (1, 2, 3, 4):
        pairs = list(itertools.product(range(1, 6), repeat=2))
        exact = sum(abs(a - b) >= gap for a, b in pairs) / len(pairs)
        assert chance_flag_rate(gap) == pytest.approx(exact)
    assert chance_flag_rate(2) == 0.48


def test_chance_check_on_independent_and_related_data():
    rng = np.random.default_rng(3)
    a = pd.Series(rng.normal(size=1000))
    b = pd.Series(rng.normal(size=1000))
    flags = compare(-a, pd.DataFrame({"hard_index": b}))["flag"]
    out = chance_check(a, b, flags)
    assert out["no_better"] and abs(out["flag_rate"] - 0.48) < 0.04
    assert out["rho_lo"] < 0 < out["rho_hi"]
    related = b + 0.5 * rng.normal(size=1000)
    flags = compare(-related, pd.DataFrame({"hard_index": b}))["flag"]
    assert not chance_check(related, b, flags)["no_better"]
