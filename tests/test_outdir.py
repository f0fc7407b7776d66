"""Output folders: never someone else's files, whole or not at all, one run at a time.

Replacement is tested by killing a process (SIGKILL, no clean-up) at each point of it,
then checking that the old or the new folder is whole and that the next run recovers.
"""

import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
import warnings
from pathlib import Path

import pytest

from resilience import _outdir
from resilience._outdir import read_marker, staged_output
from resilience.cli import main
from resilience.errors import OutputExistsError, OutputFolderError, ResilienceWarning

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def config(borough_copy):
    return borough_copy / "resilience.toml"


def _run(config, out, *extra):
    return main(["run", str(config), "--out", str(out), "--no-maps", "-q", *extra])


def _whole(folder):
    """The folder holds the marker and every file it lists, unchanged."""
    marker = read_marker(folder)
    assert marker is not None, f"{folder} has no marker"
    for f in marker["files"]:
        p = folder / f["path"]
        assert p.is_file() and p.stat().st_size == f["bytes"], f["path"]
    return marker


def _siblings(out):
    return sorted(p.name for p in out.parent.iterdir() if p.name != out.name)


def _write(tmp, text):
    (tmp / "report.html").write_text(text)
    (tmp / "tables").mkdir()
    (tmp / "tables" / "flags.csv").write_text(text)


# ------------------------------------------------------- what may be replaced
def test_the_home_folder_with_a_stray_run_log_is_never_replaced(
    config, tmp_path, monkeypatch, capsys
):
    home = tmp_path / "home"
    home.mkdir()
    (home / "run.log").write_text("someone's log")
    (home / "thesis.docx").write_text("years of work")
    monkeypatch.setenv("HOME", str(home))
    assert _run(config, home, "--overwrite") == 2
    err = capsys.readouterr().err
    assert "Refusing to overwrite" in err and "your home folder" in err
    assert sorted(p.name for p in home.iterdir()) == ["run.log", "thesis.docx"]
    assert _run(config, "~", "--overwrite") == 2  # written as ~ too
    assert _run(config, tmp_path, "--overwrite") == 2  # a parent of home
    assert "your home folder" in capsys.readouterr().err
    assert (home / "thesis.docx").read_text() == "years of work"


def test_a_folder_with_a_stray_run_log_is_not_an_earlier_output(config, tmp_path, capsys):
    other = tmp_path / "results"
    other.mkdir()
    (other / "run.log").write_text("not ours")
    (other / "manifest.json").write_text('{"run_id": "x"}')  # names alone prove nothing
    assert _run(config, other, "--overwrite") == 2
    assert "not a folder resilience wrote earlier" in capsys.readouterr().err
    assert sorted(p.name for p in other.iterdir()) == ["manifest.json", "run.log"]
    assert _siblings(other) == ["borough"]  # no lock, no partial


def test_overwrite_deletes_only_the_files_it_wrote(config, tmp_path, capsys):
    out = tmp_path / "out"
    assert _run(config, out) == 0
    first = _whole(out)
    assert first["tool"] == "resilience" and len(first["files"]) > 10
    assert {"run.log", "manifest.json", "resilience.gpkg", "tables/flags.csv"} <= {
        f["path"] for f in first["files"]
    }
    assert json.loads((out / "manifest.json").read_text())["run_id"] == first["run_id"]
    (out / "notes.txt").write_text("mine")
    (out / "tables" / "my_pivot.xlsx").write_text("mine too")
    (out / "tables" / "flags.csv").write_text("edited by hand")  # listed, but changed
    assert _run(config, out) == 2
    assert "already exists" in capsys.readouterr().err
    assert _run(config, out, "--overwrite") == 0
    err = capsys.readouterr().err
    assert "warning: The previous output folder" in err
    assert "held 3 file(s) resilience did not write or that were changed since: notes.txt" in err
    assert "They were kept, not deleted: 2 moved into the new output folder, 1 left in" in err
    second = _whole(out)
    assert second["run_id"] != first["run_id"]
    assert (out / "notes.txt").read_text() == "mine"
    assert (out / "tables" / "my_pivot.xlsx").read_text() == "mine too"
    kept = out.parent / f"out.kept-{_only(out.parent, 'out.kept-')}"
    assert (kept / "tables" / "flags.csv").read_text() == "edited by hand"  # name taken: kept aside
    assert read_marker(kept) is None  # the kept folder is never replaced later
    assert _siblings(out) == ["borough", kept.name]  # no lock, partial or old folder


def test_a_copied_output_is_still_recognised_file_by_file(tmp_path):
    earlier, out = tmp_path / "earlier", tmp_path / "out"
    with staged_output(earlier) as tmp:
        _write(tmp, "old")
    shutil.copytree(earlier, out, copy_function=shutil.copy)  # new times, same content
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # nothing kept: every file is as resilience wrote it
        with staged_output(out, overwrite=True) as tmp:
            _write(tmp, "new")
    assert (out / "report.html").read_text() == "new"
    assert _siblings(out) == ["earlier"]


def _only(parent, prefix):
    names = [p.name.removeprefix(prefix) for p in parent.iterdir() if p.name.startswith(prefix)]
    assert len(names) == 1, names
    return names[0]


def test_symlinks_are_resolved(config, tmp_path, monkeypatch, capsys):
    real = tmp_path / "real"
    assert _run(config, real) == 0
    link = tmp_path / "link"
    link.symlink_to(real)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert _run(config, link, "--overwrite") == 0
    assert link.is_symlink() and link.resolve() == real
    _whole(real)
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    (tmp_path / "to_home").symlink_to(home)
    assert _run(config, tmp_path / "to_home", "--overwrite") == 2
    assert "your home folder" in capsys.readouterr().err


def test_output_folder_problems_exit_2(config, tmp_path, capsys):
    afile = tmp_path / "afile"
    afile.write_text("x")
    assert _run(config, afile / "out") == 2
    assert "Cannot write in" in capsys.readouterr().err
    assert _run(config, afile) == 2
    assert "exists and is a file" in capsys.readouterr().err
    assert _run(config, ".") == 2
    assert afile.read_text() == "x"
    if Path("/sys").is_dir():  # not writable even by root
        assert _run(config, "/sys/resilience-out") == 2
        err = capsys.readouterr().err
        assert "Choose an --out in a folder you can write to" in err and "Traceback" not in err


def test_a_folder_created_at_out_during_the_run_is_kept(config, tmp_path, monkeypatch, capsys):
    out = tmp_path / "a" / "out"

    def someone_else(name):
        if name == "marker_written":
            out.mkdir(parents=True, exist_ok=True)
            (out / "theirs.txt").write_text("theirs")

    monkeypatch.setattr(_outdir, "_fault_point", someone_else)
    assert _run(config, out) == 2
    assert "created (or filled) by another program during the run" in capsys.readouterr().err
    assert sorted(p.name for p in out.iterdir()) == ["theirs.txt"]
    assert _siblings(out) == []
    # and with --overwrite it is not replaced either: it is not a resilience output
    assert _run(config, out, "--overwrite") == 2
    assert (out / "theirs.txt").read_text() == "theirs"


def test_second_run_to_the_same_out_fails_rather_than_replacing(tmp_path, monkeypatch):
    out, earlier = tmp_path / "out", tmp_path / "earlier"
    with staged_output(earlier) as tmp:
        _write(tmp, "first")

    def first_run_finishes(name):  # a resilience output appears at out during this run
        if name == "marker_written":
            shutil.copytree(earlier, out)

    monkeypatch.setattr(_outdir, "_fault_point", first_run_finishes)
    with pytest.raises(OutputExistsError, match="exists, use --overwrite"), staged_output(out) as t:
        _write(t, "second")
    assert (out / "report.html").read_text() == "first"
    assert _siblings(out) == ["earlier"]


def test_the_lock_holds_within_one_process_too(tmp_path):
    out = tmp_path / "out"
    with staged_output(out) as tmp:
        _write(tmp, "first")
        with pytest.raises(OutputFolderError, match="Another resilience run"), staged_output(out):
            pass
    assert (out / "report.html").read_text() == "first"
    assert _siblings(out) == []


def test_an_empty_folder_made_in_advance_is_used(tmp_path, monkeypatch):
    out = tmp_path / "out"
    out.mkdir()
    with staged_output(out) as tmp:
        _write(tmp, "x")
    _whole(out)
    # but not if someone puts a file in it meanwhile
    shutil.rmtree(out)
    out.mkdir()

    def fill(name):
        if name == "marker_written":
            (out / "theirs.txt").write_text("theirs")

    monkeypatch.setattr(_outdir, "_fault_point", fill)
    with (
        pytest.raises(OutputExistsError, match=r"created \(or filled\) by another program"),
        staged_output(out),
    ):
        pass
    assert [p.name for p in out.iterdir()] == ["theirs.txt"] and _siblings(out) == []


def test_a_failed_run_leaves_no_parents_no_lock_no_partial(tmp_path):
    out = tmp_path / "a" / "b" / "c"
    with pytest.raises(RuntimeError), staged_output(out) as tmp:
        _write(tmp, "x")
        assert (tmp.parent / ".c.lock").is_file()
        raise RuntimeError("a stage failed")
    assert list(tmp_path.iterdir()) == []


def test_overwrite_refuses_an_input_folder_even_with_a_marker(tmp_path):
    out = tmp_path / "out"
    with staged_output(out) as tmp:
        _write(tmp, "x")
    guarded = staged_output(out, overwrite=True, protect=[out / "report.html"])
    with pytest.raises(OutputExistsError, match="holds an input of the run"), guarded:
        pass
    _whole(out)


# ------------------------------------------------------------ locks and kills
_CHILD = textwrap.dedent(
    """
    import os, signal, sys
    from pathlib import Path
    import resilience._outdir as o

    out, point, text = Path(sys.argv[1]), sys.argv[2], sys.argv[3]

    def die(name):
        if name == point:
            os.kill(os.getpid(), signal.SIGKILL)

    o._fault_point = die
    with o.staged_output(out, overwrite=True) as tmp:
        (tmp / "report.html").write_text(text)
        (tmp / "tables").mkdir()
        (tmp / "tables" / "flags.csv").write_text(text)
        for i in range(5):
            (tmp / f"part{i}.csv").write_text(text)
        if point == "writing":
            os.kill(os.getpid(), signal.SIGKILL)
    """
)


def _child(out, point, text):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-c", _CHILD, str(out), point, text], env=env, cwd=ROOT, check=False
    ).returncode


@pytest.mark.parametrize(
    "point", ["writing", "marker_written", "old_moved", "new_moved", "deleting_old"]
)
def test_a_kill_at_any_point_leaves_a_whole_folder_and_the_next_run_recovers(point, tmp_path):
    out = tmp_path / "out"
    assert _child(out, "none", "old") == 0
    (out / "mine.txt").write_text("mine")
    assert _child(out, point, "new") == -signal.SIGKILL
    # right after the kill: the old or the new folder is whole, in place or moved aside
    olds = list(tmp_path.glob(".out.old-*"))
    if out.exists():
        _whole(out)
        now = (out / "report.html").read_text()
        assert now == ("new" if point in ("new_moved", "deleting_old") else "old")
    else:
        assert point == "old_moved" and len(olds) == 1
        _whole(olds[0])
    # the next run finishes (or undoes) the replacement, then replaces as usual
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResilienceWarning)
        assert _child(out, "none", "third") == 0
    _whole(out)
    assert (out / "report.html").read_text() == "third"
    assert (out / "mine.txt").read_text() == "mine"  # never lost
    assert _siblings(out) == []  # no lock, no partial, no old folder


def test_a_killed_pipeline_run_is_cleaned_up_by_the_next(config, tmp_path):
    out = tmp_path / "out"
    proc = _start_run(config, out)
    try:
        assert _wait_for(lambda: list(tmp_path.glob(".out.partial-*/run.log")))
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=60)
    finally:
        proc.kill()
    assert not out.exists()
    assert (tmp_path / ".out.lock").exists()  # left by the kill (unlocked)
    assert _run(config, out) == 0
    _whole(out)
    assert _siblings(out) == ["borough"]  # stale partial and lock removed


def test_two_runs_at_once_the_second_exits_2(config, tmp_path, capsys):
    out = tmp_path / "out"
    proc = _start_run(config, out)
    try:
        assert _wait_for(lambda: list(tmp_path.glob(".out.partial-*/run.log")))
        assert _run(config, out) == 2
        err = capsys.readouterr().err
        assert "Another resilience run (process " in err and "is writing the output" in err
        assert _run(config, out, "--overwrite") == 2
        assert proc.wait(timeout=600) == 0
    finally:
        proc.kill()
    _whole(out)
    assert _siblings(out) == ["borough"]


def _start_run(config, out):
    """``resilience run`` in a child process (so that it can be killed)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    cmd = [sys.executable, "-m", "resilience.cli", "run", str(config), "--out", str(out),
           "--no-maps", "-q"]  # fmt: skip
    return subprocess.Popen(cmd, env=env, cwd=out.parent)


def _wait_for(found, timeout=120.0):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if value := found():
            return value
        time.sleep(0.05)
    return None
