"""The command line: success paths and the catalogue of input errors.

Every bad input must exit with status 2, name the file, the column and examples of the
offending values, say how to fix it, and leave no output folder behind. ``resilience
check`` must explain the same problems.
"""

import os
import re
import tomllib
import warnings
from pathlib import Path

import pandas as pd
import pyogrio
import pytest

from resilience.cli import main


@pytest.fixture
def case(borough_copy):
    """A fresh copy of the small borough's files to break."""
    return borough_copy


def _run(folder, capsys, *extra):
    out = folder.parent / "out"
    code = main(["run", str(folder / "resilience.toml"), "--out", str(out), "--no-maps", *extra])
    err = capsys.readouterr().err
    return code, err, out


def _no_output(out):
    assert not out.exists()
    assert not list(out.parent.glob(f".{out.name}.partial-*"))


def _edit_config(folder, old, new):
    path = folder / "resilience.toml"
    text = path.read_text()
    assert old in text, old
    path.write_text(text.replace(old, new))


def test_run_writes_the_outputs_and_refuses_an_existing_folder(case, capsys):
    code, err, out = _run(case, capsys)
    assert code == 0, err
    assert "[1/8] Reading and checking inputs" in err
    assert "[8/8] Writing outputs" in err
    assert (out / "resilience.gpkg").is_file() and (out / "run.log").is_file()
    assert "Fitting the survey model" in (out / "run.log").read_text()
    before = sorted(p.name for p in out.iterdir())
    code, err, _ = _run(case, capsys)
    assert code == 2
    assert "already exists" in err and "--overwrite" in err
    assert sorted(p.name for p in out.iterdir()) == before
    code, err, _ = _run(case, capsys, "--overwrite", "--quiet")
    assert code == 0 and "[1/8]" not in err


def test_check_passes_and_run_output_default_comes_from_config(case, capsys):
    assert main(["check", str(case / "resilience.toml")]) == 0
    assert "All inputs can be read and joined." in capsys.readouterr().out


# ------------------------------------------------------------- the catalogue
def _break_duplicate_code(folder):
    oa = pyogrio.read_dataframe(folder / "data/oa.gpkg")
    oa.loc[1, "OA21CD"] = oa.loc[0, "OA21CD"]
    pyogrio.write_dataframe(oa, folder / "data/oa.gpkg", layer="oa")
    return ["oa.gpkg", "OA21CD", "E00170001", "duplicated code", "dissolve"]


def _break_hard_codes_from_elsewhere(folder):
    path = folder / "data/imd2025_file7.csv"
    df = pd.read_csv(path, dtype=str, encoding="utf-8-sig")
    df["LSOA code (2021)"] = [f"E01{900000 + i:06d}" for i in range(len(df))]
    df["Local Authority District code (2024)"] = "E09000002"
    df.to_csv(path, index=False, encoding="utf-8-sig")
    return ["imd2025_file7.csv", "E01040001", "E09000002"]


def _break_mixed_vintages(folder):
    path = folder / "data/imd2025_file7.csv"
    df = pd.read_csv(path, dtype=str, encoding="utf-8-sig")
    df = df.rename(
        columns={"LSOA code (2021)": "LSOA code (2011)", "LSOA name (2021)": "LSOA name (2011)"}
    )
    df.loc[: len(df) // 2, "LSOA code (2011)"] = [
        f"E01{800000 + i:06d}" for i in range(len(df) // 2 + 1)
    ]
    df.to_csv(path, index=False, encoding="utf-8-sig")
    _edit_config(folder, 'code = "LSOA code (2021)"', 'code = "LSOA code (2011)"')
    return ["2011", "2021", "CHGIND"]


def _break_no_weight(folder):
    path = folder / "data/f_indresp.tab"
    df = pd.read_csv(path, sep="\t", dtype=str).drop(columns="f_indscui_xw")
    df.to_csv(path, sep="\t", index=False)
    return ["f_indresp.tab", "no weight column 'f_indscui_xw'", "indscui_xw"]


def _break_no_classification_columns(folder):
    path = folder / "data/f_indresp.tab"
    df = pd.read_csv(path, sep="\t", dtype=str).drop(columns=["oac_group"])
    df.to_csv(path, sep="\t", index=False)
    return ["f_indresp.tab", "no classification column 'oac_group'"]


def _break_unknown_classification_code(folder):
    path = folder / "data/oac.csv"
    df = pd.read_csv(path, dtype=str)
    df.loc[:2, ["supergroup", "group", "subgroup"]] = ["9", "9z", "9z9"]
    df.to_csv(path, index=False)
    return ["E00170001", "'9'", "same classification"]


def _break_non_numeric_indicator(folder):
    path = folder / "data/imd2025_file7.csv"
    df = pd.read_csv(path, dtype=str, encoding="utf-8-sig")
    df.loc[3, "Income Score (rate)"] = "c"
    df.to_csv(path, index=False, encoding="utf-8-sig")
    return ["imd2025_file7.csv", "Income Score (rate)", "'c'"]


def _break_empty_file(folder):
    (folder / "data/oa_population.csv").write_text("")
    return ["oa_population.csv", "empty"]


def _break_wrong_file(folder):
    _edit_config(folder, 'path = "data/f_indresp.tab"', 'path = "data/lookup.csv"')
    return ["lookup.csv", "does not look like a survey respondent file"]


def _break_unknown_key(folder):
    _edit_config(folder, "quintile_gap = 2", "quintile_gap = 2\nquintle_gap = 3")
    return ["'quintle_gap'", "[compare]"]


def _break_missing_file(folder):
    (folder / "data/oac.csv").unlink()
    return ["'path' in [classification]", "data/oac.csv", "not found"]


def _break_wrong_type(folder):
    _edit_config(folder, "seed = 5", 'seed = "five"')
    return ["'seed' at the top level", "whole number", "'five'"]


def _break_no_crs(folder):
    ward = pyogrio.read_dataframe(folder / "data/wards.gpkg")
    ward = ward.set_crs(None, allow_override=True)
    (folder / "data/wards.gpkg").unlink()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # pyogrio: 'crs' was not provided
        pyogrio.write_dataframe(ward, folder / "data/wards.gpkg", layer="wards")
    return ["wards.gpkg", "no coordinate reference system", "British National Grid"]


def _break_constant_item(folder):
    path = folder / "data/f_indresp.tab"
    df = pd.read_csv(path, sep="\t", dtype=str)
    df["f_sclfsato"] = "4"
    df.to_csv(path, sep="\t", index=False)
    return ["sclfsato", "no variation", "[survey] items"]


def _break_too_many_factors(folder):
    path = folder / "resilience.toml"
    path.write_text(path.read_text() + "\n[model]\nn_factors = 30\n")
    return ["n_factors=30", "at most 11"]


def _break_small_survey(folder):
    path = folder / "data/f_indresp.tab"
    pd.read_csv(path, sep="\t", dtype=str).head(230).to_csv(path, sep="\t", index=False)
    return ["respondents have a positive weight and enough answers", "at least 220"]


def _break_min_respondents(folder):
    _edit_config(folder, "min_respondents = 10", "min_respondents = 10000")
    return ["min_respondents = 10,000", "Lower [survey] min_respondents"]


CATALOGUE = {
    "duplicate area codes": _break_duplicate_code,
    "codes that match nothing": _break_hard_codes_from_elsewhere,
    "mixed 2011/2021 codes": _break_mixed_vintages,
    "survey without the weight": _break_no_weight,
    "survey without classification columns": _break_no_classification_columns,
    "classification code unknown to the survey": _break_unknown_classification_code,
    "non-numeric indicator": _break_non_numeric_indicator,
    "empty file": _break_empty_file,
    "file that is not what the config says": _break_wrong_file,
    "unknown config key": _break_unknown_key,
    "missing file": _break_missing_file,
    "wrong type": _break_wrong_type,
    "boundaries without a CRS": _break_no_crs,
    "survey item without variation": _break_constant_item,
    "more factors than the items allow": _break_too_many_factors,
    "too few respondents for the model": _break_small_survey,
    "min_respondents above the survey size": _break_min_respondents,
}


@pytest.mark.parametrize("name", list(CATALOGUE), ids=list(CATALOGUE))
def test_input_error_catalogue(name, case, capsys):
    expected = CATALOGUE[name](case)
    code, err, out = _run(case, capsys)
    assert code == 2, err
    assert err.startswith("error: ") or "\nerror: " in err, err
    for text in expected:
        assert text in err, f"{text!r} not in {err!r}"
    assert "Traceback" not in err
    _no_output(out)


@pytest.mark.parametrize(
    "name",
    ["duplicate area codes", "codes that match nothing", "survey without the weight",
     "non-numeric indicator", "empty file", "unknown config key", "boundaries without a CRS"],
)  # fmt: skip
def test_check_explains_the_same_problems(name, case, capsys):
    expected = CATALOGUE[name](case)
    code = main(["check", str(case / "resilience.toml")])
    out = capsys.readouterr().out
    assert code == 2
    assert "FAIL" in out and "problem(s) would stop a run" in out
    for text in expected:
        assert text in out, f"{text!r} not in {out!r}"


@pytest.mark.parametrize("name", list(CATALOGUE), ids=list(CATALOGUE))
def test_check_and_run_agree(name, case, capsys):
    """Whenever a run stops on its input, check fails too, with the same message."""
    expected = CATALOGUE[name](case)
    code = main(["check", str(case / "resilience.toml")])
    out = capsys.readouterr().out
    assert code == 2, out
    for text in expected:
        assert text in out, f"{text!r} not in {out!r}"


def test_check_reports_several_problems_at_once(case, capsys):
    _break_no_weight(case)
    _break_non_numeric_indicator(case)
    assert main(["check", str(case / "resilience.toml")]) == 2
    out = capsys.readouterr().out
    assert "2 problem(s) would stop a run" in out


def test_demo_end_to_end(tmp_path, capsys):
    out = tmp_path / "demo"
    assert main(["demo", "--out", str(out), "-q"]) == 0
    config = tomllib.loads((out / "input" / "resilience.toml").read_text())
    assert config["survey"]["weight"] == "f_indscui_xw"
    for name in ["resilience.gpkg", "report.html", "manifest.json", "tables/flags.csv",
                 "tables/resilience.xlsx", "model/diagnostics.json", "input/truth/planted.csv",
                 "run.log", "styles/oa.qml", "maps/index.html"]:  # fmt: skip
        assert (out / name).is_file(), name
    # the demo's maps work with no internet: Leaflet from maps/assets/, one page per ward
    index = (out / "maps" / "index.html").read_text(encoding="utf-8")
    assert not re.search(r"<(script|link)[^>]+(src|href)=\"https?:", index)
    assert '<script src="assets/leaflet.js">' in index
    assert (out / "maps" / "assets" / "leaflet.js").is_file()
    assert (out / "maps" / "index.html").stat().st_size < 3 * 2**20
    assert len(list((out / "maps" / "wards").glob("E05*.html"))) == 20
    assert "Northbridge" in index and "Predicted, not measured" in index
    assert main(["demo", "--out", str(out), "-q"]) == 2


def test_overwrite_never_deletes_a_folder_that_is_not_an_earlier_output(case, capsys, monkeypatch):
    # an input folder, and the current folder, are refused even with --overwrite
    monkeypatch.chdir(case)
    code = main(["run", "resilience.toml", "--out", "data", "--no-maps", "--overwrite"])
    assert code == 2
    assert "Refusing to overwrite 'data'" in capsys.readouterr().err
    assert (case / "data" / "oac.csv").is_file()
    code = main(["run", "resilience.toml", "--out", ".", "--no-maps", "--overwrite"])
    assert code == 2 and (case / "resilience.toml").is_file()
    # a folder of someone else's files is refused too
    other = case.parent / "notes"
    other.mkdir()
    (other / "minutes.docx").write_text("keep me")
    code = main(["run", "resilience.toml", "--out", str(other), "--no-maps", "--overwrite"])
    assert code == 2
    assert "not a folder resilience wrote earlier" in capsys.readouterr().err
    assert (other / "minutes.docx").read_text() == "keep me"


def test_the_command_line_imports_nothing_heavy_before_it_is_needed():
    """``resilience --help`` answers without importing the scientific stack."""
    import subprocess
    import sys

    code = (
        "import sys, contextlib, io\n"
        "from resilience.cli import main\n"
        "with contextlib.suppress(SystemExit), contextlib.redirect_stdout(io.StringIO()):\n"
        "    main(['--help'])\n"
        "with contextlib.suppress(SystemExit), contextlib.redirect_stdout(io.StringIO()):\n"
        "    main(['check', '--help'])\n"
        "heavy = {'geopandas', 'sklearn', 'scipy', 'pandas', 'numpy', 'factor_analyzer'}\n"
        "print(sorted(heavy & set(sys.modules)))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]", out.stdout + out.stderr


def test_an_old_map_mode_names_its_replacement(case, capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["run", str(case / "resilience.toml"), "--map-mode", "tiles"])
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert "--map-mode 'tiles' is no longer offered: use mode = 'shared'" in err
    assert "Traceback" not in err


def test_the_installed_command_exits_with_the_status_and_every_line_and_file_written(case):
    """``resilience`` (``cli.console``) ends the process without the interpreter's
    teardown: the status, the messages and the run's files must all be there."""
    import os
    import subprocess
    import sys

    root = Path(__file__).resolve().parents[1]
    env = {**os.environ, "PYTHONPATH": str(root)}
    command = [sys.executable, "-c", "from resilience.cli import console; console()"]
    out = case.parent / "out"
    args = ["run", str(case / "resilience.toml"), "--out", str(out), "--no-maps"]
    done = subprocess.run([*command, *args], capture_output=True, text=True, env=env)
    assert done.returncode == 0, done.stderr
    assert "Done in" in done.stderr.splitlines()[-1]  # the last line reached the terminal
    log = (out / "run.log").read_text(encoding="utf-8")
    assert log.rstrip().splitlines()[-1].endswith("start with " + (
        f"{out / 'report.html'} and {out / 'tables' / 'flags.csv'}."
    ))  # fmt: skip
    assert pd.read_csv(out / "tables" / "lsoa.csv", dtype=str).shape[0] > 0
    refused = subprocess.run([*command, *args], capture_output=True, text=True, env=env)
    assert refused.returncode == 2 and "already exists" in refused.stderr
    checked = subprocess.run(
        [*command, "check", str(case / "resilience.toml")], capture_output=True, text=True, env=env
    )
    assert checked.returncode == 0 and "All inputs can be read and joined." in checked.stdout


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")
def test_the_installed_command_fails_when_its_output_cannot_be_written(case):
    import os
    import subprocess
    import sys

    root = Path(__file__).resolve().parents[1]
    # buffered output (as at a terminal redirect): the text is written at the final flush
    env = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}
    env["PYTHONPATH"] = str(root)
    command = [sys.executable, "-c", "from resilience.cli import console; console()"]
    with open("/dev/full", "w") as full:
        done = subprocess.run(
            [*command, "check", str(case / "resilience.toml")], stdout=full, env=env, check=False
        )
    assert done.returncode == 120  # as Python itself exits when stdout cannot be flushed


def test_the_installed_command_tunes_glibc_malloc_unless_the_environment_does(monkeypatch):
    import ctypes
    import sys

    from resilience import cli

    calls = []

    def mallopt(param, value):  # glibc's: 1 on success
        calls.append((param, value))
        return 1

    monkeypatch.setattr(ctypes, "CDLL", lambda name: type("Libc", (), {"mallopt": mallopt}))
    for name in [k for k in os.environ if k.startswith("MALLOC_")] + ["GLIBC_TUNABLES"]:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(sys, "platform", "linux")
    assert cli.tune_allocator() is True
    # malloc.h: M_TRIM_THRESHOLD -1, M_TOP_PAD -2, M_MMAP_THRESHOLD -3
    assert calls == [(-1, 1 << 30), (-2, 64 << 20), (-3, 32 << 20)]
    calls.clear()
    for name, value in (("MALLOC_ARENA_MAX", "2"), ("GLIBC_TUNABLES", "glibc.malloc.top_pad=0")):
        monkeypatch.setenv(name, value)  # set by the user: theirs hold
        assert cli.tune_allocator() is False and calls == []
        monkeypatch.delenv(name)
    monkeypatch.setenv("GLIBC_TUNABLES", "glibc.cpu.hwcaps=-AVX2")  # nothing about malloc
    assert cli.tune_allocator() is True and len(calls) == 3
    calls.clear()
    monkeypatch.setattr(sys, "platform", "darwin")
    assert cli.tune_allocator() is False and calls == []


@pytest.mark.skipif(
    __import__("platform").libc_ver()[0] != "glibc" or __import__("sys").maxsize < 2**32,
    reason="64-bit glibc only (its mmap threshold may be at most 32 MiB there)",
)
def test_the_allocator_settings_are_accepted_by_this_c_library():
    import subprocess
    import sys

    code = "from resilience.cli import tune_allocator; print(tune_allocator())"
    env = {k: v for k, v in os.environ.items() if not k.startswith("MALLOC_")}
    env.pop("GLIBC_TUNABLES", None)
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env
    )
    assert out.stdout.strip() == "True"  # glibc refuses a threshold above 32 MiB: 0
