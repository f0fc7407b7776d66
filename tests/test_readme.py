"""The README's Python example runs as written in the demo's input folder."""

import re
from pathlib import Path

import pytest

from resilience.errors import InputDataError
from resilience.synthetic import make_borough

README = Path(__file__).resolve().parents[1] / "README.md"


def _python_example() -> str:
    text = README.read_text(encoding="utf-8")
    match = re.search(r"<!-- python-example -->\s*```python\n(.*?)```", text, re.S)
    assert match, "the README has no <!-- python-example --> block"
    return match.group(1)


@pytest.fixture(scope="module")
def demo_input(tmp_path_factory):
    return make_borough(seed=0).write(tmp_path_factory.mktemp("demo") / "input")["config"].parent


def test_readme_python_example_runs_in_the_demo_input_folder(demo_input, monkeypatch):
    monkeypatch.chdir(demo_input)
    scope: dict = {}
    exec(compile(_python_example(), str(README), "exec"), scope)
    shares, result = scope["shares"], scope["result"]
    assert len(shares) == 700 and shares["resilience_score"].between(-1, 1).all()
    assert (demo_input / "out" / "resilience.gpkg").is_file()
    # in a notebook: an HTML summary and the borough map inline
    page = result._repr_html_()
    assert "700 OAs, 140 LSOAs, 20 wards" in page and "LSOAs flagged" in page
    shown = result.map(demo_input / "nb_map")
    assert shown.path.is_file() and "<iframe srcdoc=" in shown._repr_html_()
    assert "leaflet" in shown.path.read_text(encoding="utf-8").lower()


def test_classification_with_wrong_columns_says_how_to_name_them(demo_input, monkeypatch):
    import pandas as pd

    import resilience as rs

    monkeypatch.chdir(demo_input)
    levels = ["oac_supergroup", "oac_group", "oac_subgroup"]
    survey = rs.read_survey("data/f_indresp.tab", weight="f_indscui_xw", levels=levels)
    model = rs.SurveyModel(n_init=2, n_boot=0, random_state=0).fit(survey)
    est = rs.AreaEstimator(levels, n_boot=0, random_state=0)
    est.fit(survey, model.labels_)
    raw = pd.read_csv("data/oac.csv", dtype=str)
    with pytest.raises(InputDataError, match=r"set_axis\(\['oac_supergroup'.*set_index"):
        est.predict(raw)
    with pytest.raises(InputDataError, match=r"areas.columns = \['oac_supergroup'"):
        est.predict(raw.set_index("OA21CD"))
