"""run_batch: many submissions, broken ones as rows, the journal, Dask."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from autograder.batch.run import run_batch
from autograder.grading.course import Assignment
from autograder.errors import SubmissionError
from autograder.grading.grade import GradeOptions
from tests.conftest import write_notebook

VOLATILE = ["duration_s"]


@pytest.fixture
def subs(tmp_path, good_source):
    folder = tmp_path / "subs"
    folder.mkdir()
    (folder / "good.py").write_text(good_source, encoding="utf-8")
    (folder / "raises.py").write_text("raise RuntimeError('oops')\n", encoding="utf-8")
    write_notebook(folder / "loops.ipynb", good_source, "while True:\n    pass")
    (folder / "badjson.ipynb").write_text("{", encoding="utf-8")
    (folder / "empty.py").write_text("", encoding="utf-8")
    (folder / "folder").mkdir()
    write_notebook(folder / "folder" / "tiny.ipynb", good_source.replace("TOTAL = 3", "TOTAL = 4"))
    return folder


def run(course, subs, out_dir, **kw):
    """A batch with a short wall-clock budget, so the looping notebook times out quickly."""
    out_dir.mkdir(exist_ok=True)
    kw.setdefault("options", GradeOptions(timeout=5))
    return run_batch(subs, Assignment("tiny", course), out_dir / "grades.csv", **kw)


def test_broken_submissions_are_rows_and_the_good_one_is_unaffected(tiny_course, subs, tmp_path):
    summary = run(tiny_course, subs, tmp_path / "out", jobs=2)
    grades = pd.read_csv(tmp_path / "out" / "grades.csv").set_index("student_id")
    assert list(grades.columns) == ["name", "test_and", "test_and_arrays", "test_total", "total", "max", "percent", "status",
                                    "graded_by", "sandbox", "duration_s", "notes", "review", "content_hash", "submitted_at"]
    assert grades.loc["good", "total"] == 4 and grades.loc["good", "status"] == "graded"
    assert grades.loc["folder", "total"] == 3 and grades.loc["folder", "test_total"] == 0
    assert grades.loc["raises", "status"] == "error: raised RuntimeError at import (line 1): oops"
    assert grades.loc["loops", "status"] == "timeout"
    assert grades.loc["badjson", "status"].startswith("error: ") and "invalid JSON" in grades.loc["badjson", "status"]
    assert grades.loc["empty", "status"].endswith("the file is empty")
    assert (grades["max"] == 4).all()
    assert summary.graded == 6 and summary.reused == 0


def test_another_heldout_set_regrades_everything(tiny_course, subs, tmp_path):
    from autograder.grading import datasets

    sets = []
    for name, labels in (("a", [1, 2]), ("b", [2, 1])):
        folder = tmp_path / name
        folder.mkdir()
        datasets.write_idx(folder / datasets.TEST_IMAGES, np.zeros((2, 28, 28), dtype=np.uint8))
        datasets.write_idx(folder / datasets.TEST_LABELS, np.array(labels, dtype=np.uint8))
        sets.append(folder)
    first = run(tiny_course, subs, tmp_path / "out", jobs=2, options=GradeOptions(timeout=5, heldout_dir=sets[0]))
    again = run(tiny_course, subs, tmp_path / "out", jobs=2, options=GradeOptions(timeout=5, heldout_dir=sets[0]))
    other = run(tiny_course, subs, tmp_path / "out", jobs=2, options=GradeOptions(timeout=5, heldout_dir=sets[1]))
    assert (first.reused, again.reused, other.reused) == (0, 6, 0)


def test_a_second_run_reuses_the_journal_and_regrades_only_what_changed(tiny_course, subs, tmp_path, good_source):
    run(tiny_course, subs, tmp_path / "out", jobs=2)
    (subs / "raises.py").write_text(good_source, encoding="utf-8")  # the student resubmits
    summary = run(tiny_course, subs, tmp_path / "out", jobs=2)
    assert (summary.graded, summary.reused) == (1, 5)
    grades = pd.read_csv(tmp_path / "out" / "grades.csv").set_index("student_id")
    assert grades.loc["raises", "total"] == 4
    assert run(tiny_course, subs, tmp_path / "out", jobs=2, force=True).graded == 6


def test_a_notebook_and_a_module_of_one_student_grade_the_notebook_and_say_so(tiny_course, subs, tmp_path, good_source):
    write_notebook(subs / "good.ipynb", good_source.replace("TOTAL = 3", "TOTAL = 4"))  # beside good.py
    summary = run(tiny_course, subs, tmp_path / "out")
    grades = pd.read_csv(tmp_path / "out" / "grades.csv").set_index("student_id")
    assert grades.loc["good", "status"] == "graded" and grades.loc["good", "test_total"] == 0  # the notebook's TOTAL
    assert "skipped good.py: good also handed in good.ipynb, which is graded" in summary.intake.lines()
    assert grades.loc["raises", "status"].startswith("error: raised RuntimeError")  # the others as before


def test_a_folder_and_a_file_of_one_student_are_that_students_status(tiny_course, subs, tmp_path, good_source):
    (subs / "good").mkdir()
    (subs / "good" / "good.py").write_text(good_source, encoding="utf-8")
    run(tiny_course, subs, tmp_path / "out")
    grades = pd.read_csv(tmp_path / "out" / "grades.csv").set_index("student_id")
    assert grades.loc["good", "status"] == "error: several files could be the submission (good/, good.py); hand in one"
    assert grades.loc["good", "total"] == 0 and grades.loc["folder", "status"] == "graded"


def test_an_empty_folder_is_an_error(tiny_course, tmp_path):
    (tmp_path / "none").mkdir()
    with pytest.raises(SubmissionError, match="no submissions"):
        run(tiny_course, tmp_path / "none", tmp_path / "out")


@pytest.mark.slow
def test_a_dask_cluster_gives_the_same_grades_as_one_local_worker(tiny_course, subs, tmp_path):
    from distributed import LocalCluster

    from distributed import Client

    from autograder.grading.check_session import collected

    run(tiny_course, subs, tmp_path / "local", jobs=1)
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        summary = run(tiny_course, subs, tmp_path / "dask", scheduler=cluster.scheduler_address)
        with Client(cluster) as client:
            per_worker = client.run(collected)
    # each Dask worker collected the rubric once and graded its share with it
    assert all(len(kept) <= 1 for kept in per_worker.values())
    checked = [r for r in summary.results if r.checks and r.checks[0].message != "the submission could not be run"]
    assert sum(runs for kept in per_worker.values() for runs in kept.values()) == len(checked) >= 3
    local = pd.read_csv(tmp_path / "local" / "grades.csv").drop(columns=VOLATILE)
    dask = pd.read_csv(tmp_path / "dask" / "grades.csv").drop(columns=VOLATILE)
    pd.testing.assert_frame_equal(local, dask)




def test_dask_tasks_hold_a_few_numpy_submissions_fewer_at_the_end_and_one_keras_submission(tiny_course):
    from autograder.batch.run import DASK_CHUNK, _chunks, _task_size
    from tests.conftest import REPO

    paths = [Path(f"s{i:03d}.ipynb") for i in range(100)]
    tasks = _chunks(paths, workers=2, most=_task_size(Assignment("tiny", tiny_course), GradeOptions()))
    assert [p for task in tasks for p in task] == paths  # each once, in order
    sizes = [len(task) for task in tasks]
    assert sizes == sorted(sizes, reverse=True) and sizes[0] == DASK_CHUNK == 4 and sizes[-4:] == [1, 1, 1, 1]
    done = 0
    for size in sizes:  # no task holds more than half of what is left for each of the two workers
        assert size == 1 or size <= (len(paths) - done) / 4
        done += size
    keras = Assignment("04_fashion_mnist", REPO)
    assert _task_size(keras, GradeOptions()) == 1  # a minute each: every result reaches the TA as it ends
    assert [len(t) for t in _chunks(paths[:5], workers=0, most=1)] == [1] * 5

@pytest.mark.slow
def test_a_dask_batch_given_relative_paths_grades_from_workers_in_another_folder(tiny_course, good_source, tmp_path,
                                                                                   monkeypatch):
    """A TA types ``grade batch subs ...`` in the course folder; Dask workers started elsewhere get absolute paths."""
    from distributed import LocalCluster

    ta, elsewhere = tmp_path / "ta", tmp_path / "elsewhere"
    (ta / "subs" / "folder").mkdir(parents=True)
    elsewhere.mkdir()
    (ta / "subs" / "good.py").write_text(good_source, encoding="utf-8")
    write_notebook(ta / "subs" / "folder" / "tiny.ipynb", good_source.replace("TOTAL = 3", "TOTAL = 4"))
    monkeypatch.chdir(elsewhere)
    with LocalCluster(n_workers=1, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        monkeypatch.chdir(ta)
        summary = run(tiny_course, Path("subs"), Path("out"), scheduler=cluster.scheduler_address)
    assert {r.student_id: (r.status, r.total) for r in summary.results} == {"good": ("graded", 4), "folder": ("graded", 3)}
    assert (ta / "out" / "grades.csv").exists() and not (elsewhere / "out").exists()

def test_the_late_policy_from_the_rubric_lands_in_the_csv(tiny_course, subs, tmp_path):
    rubric = tiny_course / "rubrics" / "tiny" / "rubric.toml"
    rubric.write_text(rubric.read_text() + '\n[late]\ndue = 2026-03-01T23:59:00+09:00\npenalty_per_day = 10\ncap = 50\n')
    (subs / "manifest.csv").write_text(
        "student_id,submitted_at\ngood,2026-03-02T00:00:00+09:00\nfolder,2026-03-01T23:00:00+09:00\n", encoding="utf-8")
    run(tiny_course, subs, tmp_path / "out", jobs=2)
    grades = pd.read_csv(tmp_path / "out" / "grades.csv").set_index("student_id")
    assert (grades.loc["good", "raw_total"], grades.loc["good", "late_penalty"], grades.loc["good", "total"]) == (4, 0.4, 3.6)
    assert (grades.loc["folder", "late_penalty"], grades.loc["folder", "total"]) == (0, 3)
    assert grades.loc["good", "submitted_at"] == "2026-03-01T15:00:00+00:00"


def _kill_pool_processes() -> int:
    """SIGKILL this test's grading pool processes (children of the forkserver), as the OOM killer would."""
    import signal

    import psutil

    killed = 0
    for process in psutil.Process().children(recursive=True):
        try:
            parent = process.parent()
            if parent is not None and "forkserver" in " ".join(parent.cmdline()) \
                    and "forkserver" in " ".join(process.cmdline()):
                process.send_signal(signal.SIGKILL)
                killed += 1
        except psutil.Error:
            continue
    return killed


def test_a_killed_grader_is_never_journaled_and_a_rerun_grades_again(tiny_course, tmp_path, good_source):
    folder = tmp_path / "subs"
    folder.mkdir()
    (folder / "a_good.py").write_text(good_source, encoding="utf-8")
    (folder / "b_slow.py").write_text("import time\ntime.sleep(4)\n" + good_source, encoding="utf-8")
    killed = []

    def kill_after_the_first(result, reused):
        if not killed:
            killed.append(_kill_pool_processes())

    first = run(tiny_course, folder, tmp_path / "out", jobs=1, options=GradeOptions(timeout=30),
                on_result=kill_after_the_first)
    statuses = {r.student_id: r.status for r in first.results}
    assert killed[0] >= 1 and statuses["a_good"] == "graded"
    assert statuses["b_slow"].startswith("error: the grader failed on this submission (GraderDied: the grading process stopped (killed by SIGKILL)")
    assert len(first.errors) == 1
    again = run(tiny_course, folder, tmp_path / "out", jobs=1, options=GradeOptions(timeout=30))
    assert (again.graded, again.reused) == (1, 1)  # the same content, graded again: the failure was not its own
    assert {r.student_id: r.total for r in again.results} == {"a_good": 4, "b_slow": 4}


def test_a_long_student_id_gets_a_short_results_file_and_keeps_its_id_in_the_csv(tiny_course, tmp_path, good_source):
    from autograder.files import safe_file_name

    folder = tmp_path / "subs"
    folder.mkdir()
    long_id = "s" * 240
    (folder / f"{long_id}.py").write_text(good_source, encoding="utf-8")
    (folder / "=cmd|' calc'!A0.py").write_text(good_source, encoding="utf-8")
    for attempt in range(2):  # a rerun too: the first try used to fail the same way every time
        summary = run(tiny_course, folder, tmp_path / "out", jobs=2)
        assert [r.status for r in summary.results] == ["graded", "graded"]
    names = sorted(p.name for p in (tmp_path / "out" / "results").iterdir())
    assert names == sorted(f"{safe_file_name(i)}.json" for i in ("=cmd|' calc'!A0", long_id))
    text = (tmp_path / "out" / "grades.csv").read_text(encoding="utf-8")
    assert f"\n{long_id}," in text and "\n'=cmd|' calc'!A0," in text


def test_file_times_for_the_late_policy_come_with_a_warning(tiny_course, subs, tmp_path):
    rubric = tiny_course / "rubrics" / "tiny" / "rubric.toml"
    rubric.write_text(rubric.read_text() + '\n[late]\ndue = 2026-03-01T23:59:00+09:00\npenalty_per_day = 10\ncap = 50\n')
    (subs / "manifest.csv").write_text("student_id,submitted_at\ngood,2026-03-02T00:00:00+09:00\n", encoding="utf-8")
    summary = run(tiny_course, subs, tmp_path / "out", jobs=2)
    assert summary.warnings == [
        "the late policy uses file modification times for 5 submission(s) (badjson, empty, folder, loops, raises); "
        "they are easy to back-date: give --manifest with the LMS's submission times"]


@pytest.mark.slow  # grades seven submissions (about 40 s on 2 cores)
def test_the_bundled_examples_do_what_their_readme_says(tmp_path):
    """examples/01_logic_gates/README.md's table is a claim about grade batch: check every row."""
    repo = Path(__file__).resolve().parent.parent
    folder = repo / "examples" / "01_logic_gates"
    rows = re.findall(r"^\| (\d+)\S* \| [^|]+ \| ([^|]+) \|$", (folder / "README.md").read_text(encoding="utf-8"), re.M)
    assert len(rows) == len(list(folder.glob("2024*"))) == 7
    summary = run_batch(folder, Assignment("01_logic_gates", repo), tmp_path / "grades.csv", jobs=2)
    results = {r.student_id: r for r in summary.results}
    grades = pd.read_csv(tmp_path / "grades.csv", dtype={"student_id": str}, keep_default_na=False).set_index("student_id")
    for student, expected in rows:
        result = results[student]
        lost = sorted(c.id for c in result.checks if c.points < c.max_points)
        if expected.startswith("full marks"):
            assert (result.status, lost) == ("graded", []), student
        elif expected.startswith("loses"):
            assert (result.status, lost) == ("graded", sorted(re.findall(r"`(\w+)`", expected))), student
        elif expected.startswith("0, graded"):
            assert (result.status, result.total) == ("graded", 0), student
        else:
            assert expected.startswith("`error: ...`") and result.status.startswith("error: "), student
        if "the cell error is in `notes`" in expected:
            assert grades.loc[student, "notes"] == "cell 1: ModuleNotFoundError"
            assert "keras.layers" in result.hints[0]["hint"]


def test_notes_are_cut_at_a_word_not_in_the_middle_of_one():
    from autograder.batch.run import notes_of
    from autograder.grading.results import CheckResult, SubmissionResult

    checks = [CheckResult(f"test_check_number_{i:02d}", "error", 0, 1) for i in range(40)]
    notes = notes_of(SubmissionResult("s1", "tiny", "s1.py", "h", checks=checks))
    assert len(notes) <= 500 and notes.endswith("…")
    assert notes[:-1].rstrip(" ;,").endswith(("error", "timeout")), notes[-60:]
    assert notes.startswith("test_check_number_00: error; test_check_number_01: error")
