"""Checks collected once per process, run against workers forked from a zygote, grade exactly as a fresh
``pytest.main`` per submission against fresh workers."""

from __future__ import annotations

from pathlib import Path

import pytest

from autograder.engine import sandbox, zygote
from autograder.grading import check_session
from autograder.grading.course import Assignment
from autograder.grading.grade import GradeOptions, grade_submission
from tests.conftest import FASHION_MNIST, REPO


def comparable(result: dict) -> dict:
    """Every field of a result but the times it took."""
    result = dict(result, duration_s=None)
    result["checks"] = [dict(c, duration_s=None) for c in result["checks"]]
    return result


def validity_corpus(name: str) -> list[Path]:
    """What ``grade validate`` grades: the solutions, the template, every mutant."""
    return [*sorted((REPO / "solutions" / name).glob(f"{name}.*")), REPO / "assignments" / name / f"{name}.ipynb",
            *sorted((REPO / "rubrics" / name / "mutants").glob("*.py"))]


def kept(folder: Path) -> check_session.CheckSession:
    (checks,) = [c for (f, _), c in check_session._sessions.items() if f == folder.resolve()]
    return checks


@pytest.mark.parametrize("name, suite", [
    ("01_logic_gates", "hidden"),
    pytest.param("01_logic_gates", "public", marks=pytest.mark.slow),
    pytest.param("02_activations", "hidden", marks=pytest.mark.slow),
    pytest.param("02_activations", "public", marks=pytest.mark.slow),
    pytest.param("03_xor_mlp", "hidden", marks=pytest.mark.slow),
])
def test_the_validity_corpus_is_graded_as_a_fresh_pytest_main_grades_it(name, suite, tmp_path):
    assignment = Assignment(name, REPO)
    corpus = validity_corpus(name)
    if "keras" in assignment.rubric(suite).requires:  # minutes of training: both ways as the batch grades, on 2 processes
        subs = tmp_path / "subs"
        subs.mkdir()
        for i, path in enumerate(corpus):
            (subs / f"s{i:02d}{path.suffix}").write_bytes(path.read_bytes())
        collected, fresh = (batch_results(subs, assignment, tmp_path / how, GradeOptions(
            suite=suite, data_dir=FASHION_MNIST, fresh_pytest=how == "fresh", fresh_workers=how == "fresh"))
            for how in ("collected", "fresh"))
    else:  # as a batch grades: checks collected once, numpy workers forked from a zygote (engine/zygote.py)
        check_session.close_all()
        with zygote.forking():
            collected = [comparable(grade_submission(p, assignment, GradeOptions(suite=suite)).to_dict()) for p in corpus]
            assert zygote._zygotes or sandbox.sandbox_mode() != "bwrap"  # the workers really were forked
        assert kept(assignment.rubric(suite).folder).runs == len(corpus)  # one collection served every submission
        fresh = [comparable(grade_submission(p, assignment, GradeOptions(suite=suite, fresh_pytest=True,
                                                                         fresh_workers=True)).to_dict())
                 for p in corpus]
    for path, one, other in zip(corpus, collected, fresh):
        assert one == other, path.name
    assert len({repr(r["checks"]) for r in collected}) > len(corpus) // 2  # the corpus differs: so do the results


def batch_results(subs: Path, assignment: Assignment, out: Path, options: GradeOptions) -> list[dict]:
    from autograder.batch.run import run_batch

    summary = run_batch(subs, assignment, out / "grades.csv", options=options, jobs=2)
    return [comparable(r.to_dict()) for r in summary.results]


SESSION_RUBRIC = """
[assignment]
title = "Session fixtures"
language = "en"

[checks]
test_total_as_first_seen = 1
test_total_again = 1
"""

SESSION_CHECKS = '''
import pytest


@pytest.fixture(scope="session")
def first_total(submission):
    return submission.value("TOTAL")


def test_total_as_first_seen(first_total):
    assert first_total == 3, f"TOTAL is {first_total}"


def test_total_again(submission, first_total):
    assert submission.value("TOTAL") == first_total
'''


def test_a_session_fixture_never_carries_one_submission_into_the_next(tmp_path, monkeypatch):
    folder = tmp_path / "course" / "rubrics" / "session"
    folder.mkdir(parents=True)
    (folder / "rubric.toml").write_text(SESSION_RUBRIC, encoding="utf-8")
    (folder / "test_session.py").write_text(SESSION_CHECKS, encoding="utf-8")
    (tmp_path / "course" / "assignments").mkdir()
    assignment = Assignment("session", tmp_path / "course")
    right, wrong = tmp_path / "right.py", tmp_path / "wrong.py"
    right.write_text("TOTAL = 3\n", encoding="utf-8")
    wrong.write_text("TOTAL = 4\n", encoding="utf-8")
    results = [grade_submission(p, assignment).to_dict() for p in (right, wrong, right, wrong)]
    assert [r["total"] for r in results] == [2, 1, 2, 1]  # the fixture's first value gives [2, 2, 2, 2], a failure's [2, 1, 1, 1]
    assert kept(folder).runs == 4
    assert results[1]["checks"][0]["message"] == "TOTAL is 4"
    fresh = grade_submission(wrong, assignment, GradeOptions(fresh_pytest=True)).to_dict()
    assert comparable(results[1]) == comparable(fresh)


def test_only_the_rubrics_own_conftest_is_loaded_never_one_above_it(tmp_path):
    """A conftest.py above the course (a TA's home, /tmp) is not part of the rubric: neither way of running
    the checks imports it; one in the rubric's own folder is, as the rubric's fixtures."""
    course = tmp_path / "course"
    folder = course / "rubrics" / "session"
    folder.mkdir(parents=True)
    (course / "assignments").mkdir()
    (folder / "rubric.toml").write_text(SESSION_RUBRIC, encoding="utf-8")
    (folder / "test_session.py").write_text(SESSION_CHECKS, encoding="utf-8")
    for above in (tmp_path, course, course / "rubrics"):
        (above / "conftest.py").write_text("import pathlib\n"
                                           "pathlib.Path(__file__).with_name('ABOVE-LOADED').write_text('x')\n", encoding="utf-8")
    (folder / "conftest.py").write_text("import pathlib\n"
                                        "pathlib.Path(__file__).with_name('OWN-LOADED').write_text('x')\n", encoding="utf-8")
    submission = tmp_path / "right.py"
    submission.write_text("TOTAL = 3\n", encoding="utf-8")
    for fresh in (False, True):
        result = grade_submission(submission, Assignment("session", course), GradeOptions(fresh_pytest=fresh))
        assert result.total == 2
        assert list(tmp_path.rglob("ABOVE-LOADED")) == [], fresh
        assert (folder / "OWN-LOADED").exists(), fresh
        (folder / "OWN-LOADED").unlink()


def test_a_rubric_changed_between_two_submissions_is_collected_again(tiny_course, good_source, tmp_path):
    submission = tmp_path / "good.py"
    submission.write_text(good_source, encoding="utf-8")
    assignment = Assignment("tiny", tiny_course)
    assert grade_submission(submission, assignment).total == 4
    before = kept(tiny_course / "rubrics" / "tiny")
    checks = tiny_course / "rubrics" / "tiny" / "test_tiny.py"
    checks.write_text(checks.read_text(encoding="utf-8").replace('submission.value("TOTAL"), 3', 'submission.value("TOTAL"), 4'),
                      encoding="utf-8")
    result = grade_submission(submission, assignment)
    assert {c.id: c.status for c in result.checks}["test_total"] == "failed"
    assert kept(tiny_course / "rubrics" / "tiny") is not before


def test_pytest_still_offers_what_collecting_once_needs(tiny_course, good_source, tmp_path):
    """The private names a CheckSession uses are the ones pytest.main calls: a pytest release that drops one fails here."""
    from autograder.grading.plugin import GradingPlugin

    rubric = Assignment("tiny", tiny_course).rubric("hidden")
    checks = check_session.CheckSession(rubric, "hidden")
    try:
        assert isinstance(checks.plugin, GradingPlugin)
        assert sorted({item.originalname for item in checks.items}) == sorted(rubric.checks)
        assert len(checks.items) == 6  # test_and's four cases, test_and_arrays, test_total
    finally:
        checks.close()
