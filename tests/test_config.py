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
    assert data["maps"]["mode"] == "tiles" and data["model"]["n_boot"] == 20


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
        (lambda c: c.update(maps={"mode": "paper"}), "'mode' in \\[maps\\]"),
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
