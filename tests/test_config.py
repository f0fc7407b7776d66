"""Config validation: defaults, paths, and errors that name the key and the section."""

import tomllib
from pathlib import Path

import pytest

from resilience.config import load_config, validate
from resilience.errors import ConfigError

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "resilience.toml"


@pytest.fixture
def raw(borough, tmp_path):
    paths = borough.write(tmp_path / "b")
    return tomllib.loads(paths["config"].read_text()), paths["config"]


def test_example_config_is_valid():
    data = validate(tomllib.loads(EXAMPLE.read_text()), EXAMPLE.parent, check_files=False)
    assert data["hard"]["tables"][0]["indicators"][3]["higher_is"] == "better"
    assert data["maps"]["mode"] == "shared" and data["model"]["n_boot"] == 20


def test_defaults_and_absolute_paths(raw):
    _, path = raw
    cfg = load_config(path)
    assert cfg["model"] == {
        "n_factors": 5, "n_clusters": 6, "rotation": "oblimin", "method": "minres",
        "n_init": 50, "n_boot": 20, "max_missing": 0.5,
    }  # fmt: skip
    assert cfg["estimates"]["n_boot"] == 200 and cfg["compare"]["quintile_gap"] == 2
    assert Path(cfg["survey"]["path"]).is_absolute()
    assert Path(cfg["hard"]["tables"][0]["path"]).exists()
    assert set(cfg.input_files()) >= {"geography.oa", "survey", "hard", "classification"}


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda c: c["survey"].update(wieght="x"), "Unknown key 'wieght' in \\[survey\\]"),
        (lambda c: c.update(extra={"a": 1}), "Unknown key or section 'extra'"),
        (lambda c: c["survey"].pop("levels"), "'levels' in \\[survey\\] is required"),
        (lambda c: c.pop("hard"), "no \\[hard\\] section"),
        (lambda c: c.update(seed="x"), "'seed' at the top level must be a whole number"),
        (lambda c: c["compare"].update(fdr="yes"), "'fdr' in \\[compare\\] must be true or false"),
        (
            lambda c: c["geography"]["oa"].update(path="nope.gpkg"),
            "'path' in \\[geography.oa\\].*not found",
        ),
        (
            lambda c: c["geography"]["oa"].update(colour="red"),
            "Unknown key 'colour' in \\[geography.oa\\]",
        ),
        (lambda c: c["hard"]["indicators"][0].update(higher_is="bad"), "'higher_is' of indicator"),
        (
            lambda c: c["hard"]["indicators"][0].pop("column"),
            "'column' is missing from indicator 1",
        ),
        (lambda c: c["hard"].update(method="mean"), "'method' in \\[hard\\] must be"),
        (
            lambda c: c["classification"].update(levels=["a", "b"]),
            "must name the same classification levels",
        ),
        (lambda c: c.update(maps={"mode": "paper"}), "'mode' in \\[maps\\] must be one of"),
        (
            lambda c: c.update(maps={"mode": "tiles"}),
            "'mode' in \\[maps\\] 'tiles' is no longer offered: use mode = 'shared'",
        ),
        (
            lambda c: c.update(maps={"mode": "tileless"}),
            "use mode = 'shared' with tiles = 'none'",
        ),
    ],
)
def test_errors_name_the_key_and_section(raw, edit, message):
    data, path = raw
    edit(data)
    with pytest.raises(ConfigError, match=message):
        validate(data, path.parent)


def test_several_hard_tables(raw):
    data, path = raw
    table = {k: data["hard"].pop(k) for k in ("path", "code", "indicators")}
    data["hard"]["tables"] = [table, dict(table)]
    cfg = validate(data, path.parent)
    assert len(cfg["hard"]["tables"]) == 2


def test_toml_syntax_error_and_missing_file(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text("title = \n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(bad)
    with pytest.raises(ConfigError, match="not found"):
        load_config(tmp_path / "missing.toml")


@pytest.mark.parametrize(
    ("section", "key", "value", "message"),
    [
        ("", "seed", -1, "'seed' at the top level must be 0 or more"),
        ("model", "n_init", 0, "'n_init' in \\[model\\] must be at least 1"),
        ("model", "n_boot", -1, "'n_boot' in \\[model\\] must be 0 or more"),
        ("model", "rotation", "sideways", "'rotation' in \\[model\\] must be one of oblimin"),
        ("estimates", "interval", 1.5, "'interval' in \\[estimates\\] must be between 0 and 1"),
        ("estimates", "shrinkage", "lots", "'shrinkage' in \\[estimates\\]"),
        ("compare", "quintile_gap", 0, "'quintile_gap' in \\[compare\\] must be 1, 2, 3 or 4"),
        ("compare", "alpha", 5, "'alpha' in \\[compare\\] must be a number"),
        ("survey", "min_respondents", 0, "'min_respondents' in \\[survey\\] must be at least 1"),
    ],
)
def test_values_out_of_range_are_caught_before_fitting(raw, section, key, value, message):
    data, path = raw
    (data if not section else data.setdefault(section, {}))[key] = value
    with pytest.raises(ConfigError, match=message):
        validate(data, path.parent)


def test_custom_items_are_checked(raw):
    data, path = raw
    good = {"name": "sclfsato", "construct": "wellbeing", "low": 1, "high": 7, "better": "higher"}
    data["survey"]["items"] = [good]
    assert validate(data, path.parent)["survey"]["items"] == [good]
    for bad, message in [
        (["sclfsato"], "must be a table like"),
        ([{**good, "bettr": "higher"}], "Unknown key 'bettr' in item 1"),
        (
            [{**good, "low": "a"}],
            "'low' of item 1 of 'items' in \\[survey\\] must be a whole number",
        ),
        ([{**good, "low": 1.9}], "'low' of item 1"),
        (
            [{k: v for k, v in good.items() if k != "construct"}],
            "'construct' is missing from item 1",
        ),
        ([{**good, "better": "up"}], "'better' of item 1"),
    ]:
        data["survey"]["items"] = bad
        with pytest.raises(ConfigError, match=message):
            validate(data, path.parent)


def test_a_top_level_key_of_the_wrong_type_is_named_as_such(raw):
    data, path = raw
    data["title"] = ["Northbridge"]
    with pytest.raises(ConfigError, match="'title' at the top level must be text"):
        validate(data, path.parent)
