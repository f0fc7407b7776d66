"""Work in a forked process (resilience._fork): the same result as in this process, errors
passed back, and a run's output files the same whether the GeoPackage and tables are
written alongside the maps or after them."""

import hashlib
import os
import re
import time
import warnings

import pytest

from resilience import _fork, pipeline
from resilience._fork import Background, can_fork
from resilience.errors import InputDataError
from resilience.outputs import tables
from resilience.outputs.save import save_result

needs_fork = pytest.mark.skipif(
    not (can_fork() and _fork.cpu_count() > 1), reason="needs fork and two CPUs"
)


def _pid_and_sum(values):
    return os.getpid(), sum(values)


def _refuse(name):
    raise InputDataError(f"The column {name!r} is missing from survey.csv.")


@needs_fork
def test_the_work_runs_in_another_process_with_the_same_result():
    with Background(_pid_and_sum, [1, 2, 3]) as job:
        assert job.forked
        pid, total = job.result()
    assert total == 6 and pid != os.getpid()


def test_disabled_or_alone_it_runs_here(monkeypatch):
    job = Background(_pid_and_sum, [4, 5], enabled=False)
    assert not job.forked and job.result() == (os.getpid(), 9)
    monkeypatch.setattr(_fork, "_ALONE", True)  # a worker of a run over many authorities
    job = Background(_pid_and_sum, [1])
    assert not job.forked and job.result() == (os.getpid(), 1)


@pytest.mark.parametrize("enabled", [True, False])
def test_an_error_comes_back_with_its_type_and_message(enabled):
    job = Background(_refuse, "pidp", enabled=enabled)
    with pytest.raises(InputDataError, match="The column 'pidp' is missing from survey.csv"):
        job.result()


def _slow_write(path):
    time.sleep(0.5)
    path.write_text("done", encoding="utf-8")


@needs_fork
def test_a_failure_here_ends_the_child_before_the_block_is_left(tmp_path):
    target = tmp_path / "late.txt"
    with pytest.raises(RuntimeError, match="maps failed"), Background(_slow_write, target):
        raise RuntimeError("maps failed")
    time.sleep(0.8)  # longer than the child would have taken
    assert not target.exists()  # it was ended: nothing went on writing afterwards


@needs_fork
def test_leaving_the_block_unread_waits_for_the_child(tmp_path):
    target = tmp_path / "late.txt"
    with Background(_slow_write, target):
        pass
    assert target.read_text(encoding="utf-8") == "done"


def _digests(folder):
    skip = {"manifest.json", "run.log", ".resilience-output.json"}
    out = {}
    for p in sorted(folder.rglob("*")):
        if p.is_file() and p.name not in skip:
            data = p.read_bytes()
            if p.name == "report.html":  # the report says when it was written
                data = re.sub(rb"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", b"<created>", data)
            out[str(p.relative_to(folder))] = hashlib.sha256(data).hexdigest()
    return out


@needs_fork
def test_outputs_are_the_same_written_together_or_in_turn(
    small_borough_files, tmp_path, monkeypatch
):
    result = pipeline.run(small_borough_files["config"])
    together = tmp_path / "together"
    with monkeypatch.context() as m:
        m.setattr(tables, "PARALLEL_CSV_CELLS", 0)  # the CSVs beside the workbook too
        paths = save_result(result, together)
    monkeypatch.setattr(_fork, "_ALONE", True)
    in_turn = tmp_path / "in_turn"
    paths_in_turn = save_result(result, in_turn)
    assert list(paths) == list(paths_in_turn)  # listed in the same order
    a, b = _digests(together), _digests(in_turn)
    assert "resilience.gpkg" in a and "tables/resilience.xlsx" in a and "maps/index.html" in a
    # the workbook and GeoPackage stamp their creation time: compare everything else exactly
    stamped = {"resilience.gpkg", "tables/resilience.xlsx"}
    assert sorted(a) == sorted(b)
    assert {k: v for k, v in a.items() if k not in stamped} == {
        k: v for k, v in b.items() if k not in stamped
    }


def _warn_and_return(n):
    import warnings

    from resilience.errors import DataQualityWarning

    warnings.warn(f"{n} OAs have no population count", DataQualityWarning, stacklevel=2)
    return n


@pytest.mark.parametrize("enabled", [True, False])
def test_warnings_from_the_child_are_issued_here(enabled):
    from resilience.errors import DataQualityWarning

    with pytest.warns(DataQualityWarning, match="^7 OAs have no population count$"):
        assert Background(_warn_and_return, 7, enabled=enabled).result() == 7


def _kmeans_inertia(x):
    from sklearn.cluster import KMeans

    return KMeans(3, n_init=2, random_state=1).fit(x).inertia_


@needs_fork
def test_k_means_in_the_child_after_k_means_here_does_not_hang():
    # GNU OpenMP is not fork-safe: without one thread in the child this waits for ever
    import numpy as np

    x = np.random.default_rng(0).normal(size=(5000, 4))
    here = _kmeans_inertia(x)
    with Background(_kmeans_inertia, x) as job:
        assert job.result(timeout=120) == pytest.approx(here)


@needs_fork
def test_the_survey_model_refits_the_same_in_two_processes_or_one(monkeypatch):
    import numpy as np

    from resilience.models import SurveyModel
    from resilience.synthetic import make_borough

    s = make_borough(seed=1, n_oa=60, n_lsoa=12, n_ward=3, n_respondents=3000).survey
    s = s.rename(columns=lambda c: c.removeprefix("f_"))
    two = SurveyModel(n_boot=5, n_init=5, random_state=0).fit(s, None, "indscui_xw")
    monkeypatch.setattr(_fork, "_ALONE", True)
    one = SurveyModel(n_boot=5, n_init=5, random_state=0).fit(s, None, "indscui_xw")
    assert two.stability_ == one.stability_ and two.stability_["n_boot"] == 5
    for a, b in zip(two.predict_proba_refits(s), one.predict_proba_refits(s), strict=True):
        np.testing.assert_array_equal(a.to_numpy(), b.to_numpy())


@needs_fork
def test_the_boundary_work_made_ahead_gives_the_same_outputs(
    small_borough_files, tmp_path, monkeypatch
):
    """The contiguity and map geometry a forked process makes beside the fits are used,
    and the files are the same as when the comparison and the maps make their own."""
    from resilience.compare import spatial
    from resilience.maps import _write

    builds = []  # contiguity built in this process (the child's builds are not seen here)
    monkeypatch.setattr(spatial, "_build", lambda g, f=spatial._build: builds.append(1) or f(g))
    ahead = pipeline.run(small_borough_files["config"])
    assert set(ahead.map_geometry) == {"oa", "lsoa", "ward"} and builds == []  # used
    monkeypatch.setattr(pipeline, "prepare_boundaries", lambda *shapes, maps=True: pipeline.Ahead())
    own = pipeline.run(small_borough_files["config"])
    assert own.map_geometry is None and builds == [1]  # made in its stage this time
    own.run_id = ahead.run_id

    def no_geometry(*args, **kwargs):
        raise AssertionError("the map geometry was made again")

    with monkeypatch.context() as m:
        m.setattr(_write, "prepare_geometry", no_geometry)
        save_result(ahead, tmp_path / "ahead")
    save_result(own, tmp_path / "own")
    a, b = _digests(tmp_path / "ahead"), _digests(tmp_path / "own")
    stamped = {"resilience.gpkg", "tables/resilience.xlsx"}
    assert "maps/index.html" in a and sorted(a) == sorted(b)
    assert {k: v for k, v in a.items() if k not in stamped} == {
        k: v for k, v in b.items() if k not in stamped
    }


def _warns(*args, **kwargs):
    warnings.warn("odd shapes", UserWarning, stacklevel=1)
    return None


def test_boundary_work_that_warns_or_fails_is_left_to_its_stage(small_borough_files, monkeypatch):
    from resilience.inputs.load import load_inputs

    seen = []
    inp = load_inputs(small_borough_files["config"], boundaries_read=lambda *s: seen.append(s))
    shapes = (inp.oa, inp.lsoa, inp.ward)
    assert len(seen) == 1 and all(a is b for a, b in zip(seen[0], shapes, strict=True))
    made = pipeline.prepare_boundaries(*shapes)
    assert made.neighbours is not None and set(made.maps) == {"oa", "lsoa", "ward"}
    assert pipeline.prepare_boundaries(*shapes, maps=False).maps is None
    monkeypatch.setattr(pipeline, "queen_graph", _warns)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        warned = pipeline.prepare_boundaries(*shapes)
    assert caught == []  # the stage that makes it again warns where it always has
    assert warned.neighbours is None and set(warned.maps) == {"oa", "lsoa", "ward"}
    monkeypatch.setattr(pipeline, "queen_graph", _refuse)
    assert pipeline.prepare_boundaries(*shapes, maps=False) == pipeline.Ahead()


@needs_fork
def test_a_lost_boundaries_process_leaves_each_stage_to_make_its_own(small_borough_files):
    def killed(*shapes, maps=True):
        os.kill(os.getpid(), 9)

    job = Background(killed, None, None, None)
    assert pipeline._made_ahead(job) == pipeline.Ahead() and pipeline._made_ahead(None) == (
        pipeline.Ahead()
    )


@needs_fork
def test_this_process_refits_its_share_before_waiting_for_the_child(monkeypatch):
    """While the child refits its share, this process refits the rest: it must not wait
    for the child first (that left a CPU idle for seconds on London)."""
    from resilience.models import survey_model
    from resilience.synthetic import make_borough

    order = []

    class Logged(Background):
        def result(self, timeout=None):
            order.append("child's collected")
            return super().result(timeout)

    refit_each = survey_model.SurveyModel._refit_each

    def logged_refits(self, *args):
        order.append(f"{len(args[-1])} refitted here")
        return refit_each(self, *args)

    monkeypatch.setattr(survey_model, "Background", Logged)
    monkeypatch.setattr(survey_model.SurveyModel, "_refit_each", logged_refits)
    s = make_borough(seed=1, n_oa=60, n_lsoa=12, n_ward=3, n_respondents=2000).survey
    s = s.rename(columns=lambda c: c.removeprefix("f_"))
    model = survey_model.SurveyModel(n_boot=4, n_init=4, random_state=0)
    model.fit(s, None, "indscui_xw")
    # (4 + 4 x 4 x 0.632) / (2 x 4 x 0.632) = 2.8: 3 refits there, 1 here
    assert order == ["1 refitted here", "child's collected"]
    assert model.stability_["n_boot"] == 4


@needs_fork
def test_a_child_keeps_the_objects_it_inherits_out_of_its_garbage_collector():
    import gc

    with Background(gc.get_freeze_count) as job:
        in_child = job.result()
    assert in_child > 1000  # this process's objects, frozen as the child was forked
    assert gc.get_freeze_count() == 0  # and collected here as before


def test_the_contiguity_made_ahead_fits_lsoas_in_code_order_whatever_the_file_order(
    small_borough_files,
):
    from resilience.compare.spatial import contiguity
    from resilience.inputs.load import load_inputs

    inp = load_inputs(small_borough_files["config"])
    backwards = inp.lsoa.iloc[::-1]  # a council's file in no particular order
    made = pipeline.prepare_boundaries(inp.oa, backwards, inp.ward, maps=False)
    compared = backwards.sort_values("lsoa_code").assign(gap=1.0)  # as the comparison has them
    assert contiguity(compared, ready=made.neighbours).graph is made.neighbours.graph


def test_objects_frozen_before_stay_frozen():
    import gc

    gc.freeze()
    try:
        before = gc.get_freeze_count()
        with _fork.frozen_for_fork():
            pass
        assert gc.get_freeze_count() == before > 0
    finally:
        gc.unfreeze()


@needs_fork
def test_large_tables_have_their_csvs_written_by_another_process(tmp_path, monkeypatch):
    import pandas as pd

    lsoa = pd.DataFrame({"lsoa_code": ["E01000001", "E01000002"], "score": [0.1, -2.5]})
    ward = pd.DataFrame({"ward_code": ["E05000001"], "ward_name": ["Ynys Môn"]})
    log = tmp_path / "writers.txt"

    def logged(frame, path, write=tables.write_csv):
        with open(log, "a") as f:
            f.write(f"{os.getpid()}\n")
        return write(frame, path)

    monkeypatch.setattr(tables, "write_csv", logged)
    written = {}
    for name, cells in (("beside", 0), ("in_turn", 10**9)):
        monkeypatch.setattr(tables, "PARALLEL_CSV_CELLS", cells)
        log.unlink(missing_ok=True)
        paths = tables.write_tables(tmp_path / name, lsoa=lsoa, ward=ward, flags=lsoa.iloc[:1])
        assert list(paths) == ["lsoa", "ward", "flags", "xlsx"]
        pids = set(log.read_text().split())
        assert (str(os.getpid()) in pids) == (name == "in_turn") and len(pids) == 1
        written[name] = {k: p.read_bytes() for k, p in paths.items() if k != "xlsx"}
    assert written["beside"] == written["in_turn"]
    assert written["beside"]["ward"].decode("utf-8-sig").splitlines()[1] == "E05000001,Ynys Môn"


@needs_fork
def test_the_area_estimator_makes_the_same_replicates_in_two_processes_or_one(
    monkeypatch, tmp_path
):
    import numpy as np
    import pandas as pd

    from resilience.models import AreaEstimator, SurveyModel, area_estimator
    from resilience.synthetic import make_borough

    s = make_borough(seed=1, n_oa=60, n_lsoa=12, n_ward=3, n_respondents=3000).survey
    s = s.rename(columns=lambda c: c.removeprefix("f_")).rename(columns={"indscui_xw": "weight"})
    model = SurveyModel(n_boot=3, n_init=5, random_state=0).fit(s)
    log = tmp_path / "makers.txt"

    def logged(self, *args, make=area_estimator.AreaEstimator._replicates):
        with open(log, "a") as f:
            f.write(f"{os.getpid()} {len(args[-1])}\n")  # which process, how many
        return make(self, *args)

    monkeypatch.setattr(area_estimator.AreaEstimator, "_replicates", logged)

    def fit(rows):
        monkeypatch.setattr(area_estimator, "PARALLEL_REPLICATE_ROWS", rows)
        log.unlink(missing_ok=True)
        est = AreaEstimator(["oac_supergroup", "oac_group"], n_boot=21, random_state=4).fit(
            s,
            model.labels_,
            label_proba=model.predict_proba(s),
            label_proba_replicates=model.predict_proba_refits(s),
        )
        return est, sorted(line.split() for line in log.read_text().splitlines())

    two, made = fit(0)
    here = str(os.getpid())
    assert {pid == here for pid, _ in made} == {True, False}  # here and in a child
    assert sorted(int(n) for _, n in made) == [10, 11]
    one, made = fit(10**12)
    assert {pid for pid, _ in made} == {here} and sorted(int(n) for _, n in made) == [0, 21]
    np.testing.assert_array_equal(two.replicates_, one.replicates_)
    assert two.replicates_.shape[0] == 21 and np.ptp(two.replicates_[:, 0, 0]) > 0
    pd.testing.assert_frame_equal(two.estimates_, one.estimates_)


def _inner_pid():
    with Background(os.getpid) as inner:
        return os.getpid(), inner.forked, inner.result()


@needs_fork
def test_a_child_forks_no_further():
    """A Background inside a child runs in the child: a grandchild would keep the pool's
    pipes open, and a child killed or lost would leave this process waiting for ever."""
    with Background(_inner_pid) as job:
        child, forked, inner = job.result(timeout=60)
    assert child != os.getpid() and not forked and inner == child
    assert can_fork()  # this process may still fork


@needs_fork
@pytest.mark.parametrize("cells", [0, 10**9])  # CSVs beside the workbook, or before it
def test_a_failed_workbook_leaves_the_csvs_complete(tmp_path, monkeypatch, cells):
    import pandas as pd

    lsoa = pd.DataFrame({"lsoa_code": [f"E0100{i:04d}" for i in range(3000)], "score": 0.5})
    ward = pd.DataFrame({"ward_code": ["E05000001"], "ward_name": ["Ynys Môn"]})

    def full_disk(path, *args):
        raise OSError(28, "No space left on device", str(path))

    monkeypatch.setattr(tables, "PARALLEL_CSV_CELLS", cells)
    monkeypatch.setattr(tables, "write_workbook", full_disk)
    with pytest.raises(OSError, match="No space left"):
        tables.write_tables(tmp_path, lsoa=lsoa, ward=ward, flags=lsoa.iloc[:10])
    back = pd.read_csv(tmp_path / "tables" / "lsoa.csv", encoding="utf-8-sig")
    assert len(back) == 3000 and back["lsoa_code"].iloc[-1] == "E01002999"
    assert (tmp_path / "tables" / "flags.csv").is_file()
    assert not (tmp_path / "tables" / "resilience.xlsx").exists()
