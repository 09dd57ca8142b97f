"""grade_submission: real workers running real modules and notebooks."""

from __future__ import annotations

from pathlib import Path

import pytest

from autograder.grading.course import Assignment
from autograder.grading.grade import GradeOptions, grade_submission
from autograder.grading.results import SubmissionResult
from tests.conftest import write_notebook


def grade(course: Path, path: Path, **options) -> SubmissionResult:
    return grade_submission(path, Assignment("tiny", course), GradeOptions(**options))


def by_id(result: SubmissionResult) -> dict:
    return {c.id: c for c in result.checks}


def test_a_correct_module_scores_full_marks(tiny_course, tmp_path, good_source):
    path = tmp_path / "alice.py"
    path.write_text(good_source, encoding="utf-8")
    result = grade(tiny_course, path)
    assert (result.status, result.total, result.max) == ("graded", 4.0, 4.0)
    assert result.student_id == "alice" and len(result.content_hash) == 16
    assert all(c.visibility == "hidden" for c in result.checks)


def test_a_correct_notebook_scores_full_marks_and_keeps_its_outputs(tiny_course, tmp_path, good_source):
    path = write_notebook(tmp_path / "bob.ipynb", good_source, "print('안녕')\nAND(1, 1)")
    result = grade(tiny_course, path, suite="public")
    assert (result.status, result.total) == ("graded", 4.0)
    assert all(c.visibility == "public" for c in result.checks)
    last = result.cell_outputs[-1]
    assert last["index"] == 2
    assert last["outputs"][0] == {"output_type": "stream", "name": "stdout", "text": "안녕\n"}
    assert last["outputs"][1]["data"]["text/plain"] == "1"


def test_a_missing_function_fails_only_the_checks_that_need_it(tiny_course, tmp_path):
    path = tmp_path / "carol.py"
    path.write_text("TOTAL = 3\n", encoding="utf-8")
    checks = by_id(grade(tiny_course, path))
    assert checks["test_and"].status == "failed"
    assert checks["test_and"].message == "function AND is not defined in the submission"
    assert checks["test_and"].message_ko == "제출물에 함수 AND이(가) 정의되어 있지 않습니다"
    assert checks["test_total"].status == "passed"


def test_a_wrong_answer_says_what_was_expected_and_what_came_back(tiny_course, tmp_path, good_source):
    path = tmp_path / "dave.py"
    path.write_text(good_source.replace("a == 1 and b == 1", "a == 1 or b == 1"), encoding="utf-8")
    checks = by_id(grade(tiny_course, path))
    assert checks["test_and"].status == "failed"
    assert checks["test_and"].points == 1.0  # two of the four cases pass: points are shared per case
    assert checks["test_and"].message == "AND(0, 1): expected 0, got 1"
    assert checks["test_and_arrays"].status == "passed"


def test_an_exception_in_student_code_is_an_error_with_its_traceback(tiny_course, tmp_path, good_source):
    path = tmp_path / "erin.py"
    path.write_text(good_source + "\ndef AND(a, b):\n    return a / 0\n", encoding="utf-8")
    check = by_id(grade(tiny_course, path))["test_and"]
    assert check.status == "error"
    assert check.message.startswith("AND(0, 0) raised ZeroDivisionError: division by zero")
    assert "return a / 0" in check.message


def test_a_module_that_raises_at_import_is_a_status(tiny_course, tmp_path):
    path = tmp_path / "frank.py"
    path.write_text("TOTAL = 3\nimport no_such_module\n", encoding="utf-8")
    result = grade(tiny_course, path)
    assert result.status == "error: raised ModuleNotFoundError at import (line 2): No module named 'no_such_module'"
    assert result.cell_errors == [{"index": None, "ename": "ModuleNotFoundError", "evalue": "No module named 'no_such_module'", "lineno": 2, "cell": None}]


def test_a_failing_cell_does_not_stop_the_cells_after_it(tiny_course, tmp_path, good_source):
    path = write_notebook(tmp_path / "gina.ipynb", "1 / 0", good_source, "undefined_name")
    result = grade(tiny_course, path)
    assert result.status == "graded" and result.total == 4.0
    assert [(e["index"], e["ename"]) for e in result.cell_errors] == [(1, "ZeroDivisionError"), (3, "NameError")]


def test_a_notebook_that_never_finishes_is_a_timeout(tiny_course, tmp_path, good_source):
    path = write_notebook(tmp_path / "hank.ipynb", good_source, "while True:\n    pass")
    result = grade(tiny_course, path, timeout=6)
    assert result.status == "timeout" and result.total == 0
    assert {(c.status, c.message) for c in result.checks} == {("timeout", "not run: the notebook timed out in cell 2")}


def test_a_function_that_never_returns_times_out_and_the_other_checks_still_run(tiny_course, tmp_path, good_source):
    path = tmp_path / "ivan.py"
    path.write_text(good_source + "\ndef AND(a, b):\n    while np.ndim(a):\n        pass\n    return int(a == 1 and b == 1)\n", encoding="utf-8")
    checks = by_id(grade(tiny_course, path))
    assert checks["test_and_arrays"].status == "timeout"
    assert checks["test_and_arrays"].message == "AND(array([0, 1, 1, 0], shape=(4,), dtype=int64), array([1, 1, 0, 0], shape=(4,), dtype=int64)) did not finish within the time limit (5 s)"
    assert checks["test_and"].status == "passed"
    assert checks["test_total"].status == "passed"  # the worker was restarted for the next check


@pytest.mark.parametrize("name, content, status", [
    ("judy.ipynb", "{not json", "error: {path}: not a valid notebook (invalid JSON: "),
    ("kim.py", "", "error: {path}: the file is empty"),
    ("kang.ipynb", "", "error: {path}: the file is empty"),
    ("lee.py", b"\xff\xfe\x00", "error: {path}: not UTF-8 text (byte 0)"),
    ("moon.ipynb", '{"nbformat": 2, "cells": []}', "error: {path}: notebook format 2 is not supported"),
    ("noh.ipynb", '{"nbformat": 3, "cells": []}', "error: {path}: not a valid nbformat 3 notebook (no worksheets with cells)"),
])
def test_unrunnable_submissions_are_results_with_a_status(tiny_course, tmp_path, name, content, status):
    path = tmp_path / name
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    result = grade(tiny_course, path)
    assert result.status.startswith(status.format(path=path))
    assert result.total == 0 and result.max == 4.0 and {c.status for c in result.checks} == {"error"}


def test_a_folder_submission_is_graded_through_its_notebook(tiny_course, tmp_path, good_source):
    folder = tmp_path / "nina"
    folder.mkdir()
    write_notebook(folder / "tiny.ipynb", "import pathlib\nTOTAL = len(pathlib.Path('data.txt').read_text())", good_source.replace("TOTAL = 3", ""))
    (folder / "data.txt").write_text("abc", encoding="utf-8")
    result = grade(tiny_course, folder)
    assert (result.student_id, result.status, result.total) == ("nina", "graded", 4.0)


def test_the_same_seed_gives_the_same_numbers(tiny_course, tmp_path):
    path = tmp_path / "omar.py"
    path.write_text("import numpy as np\nTOTAL = int(np.random.randint(0, 10**6))\ndef AND(a, b):\n    return 0\n", encoding="utf-8")
    first, second = grade(tiny_course, path, seed=7), grade(tiny_course, path, seed=7)
    assert by_id(first)["test_total"].got == by_id(second)["test_total"].got
    assert first.seed == 7


def test_results_round_trip_through_json(tiny_course, tmp_path, good_source):
    path = tmp_path / "pat.py"
    path.write_text(good_source, encoding="utf-8")
    result = grade(tiny_course, path)
    assert SubmissionResult.from_dict(result.to_dict()) == result


def test_checks_of_two_assignments_with_the_same_file_names_stay_apart(tiny_course, tmp_path, good_source):
    import shutil

    other = tiny_course / "assignments" / "other" / "checks"
    other.mkdir(parents=True)
    shutil.copy(tiny_course / "assignments" / "tiny" / "checks" / "rubric.toml", other)
    (other / "test_tiny.py").write_text(
        "def test_and(submission):\n    assert submission.has('AND')\n\n"
        "def test_and_arrays(submission):\n    pass\n\ndef test_total(submission):\n    pass\n", encoding="utf-8")
    path = tmp_path / "s.py"
    path.write_text(good_source, encoding="utf-8")
    first = grade_submission(path, Assignment("tiny", tiny_course), GradeOptions(suite="public"))
    second = grade_submission(path, Assignment("other", tiny_course), GradeOptions(suite="public"))
    third = grade_submission(path, Assignment("tiny", tiny_course), GradeOptions(suite="public"))
    assert [c.status for c in first.checks] == [c.status for c in third.checks] == ["passed"] * 3
    assert [c.status for c in second.checks] == ["passed"] * 3


def test_a_worker_that_runs_student_code_answers_no_evaluator_operation(tiny_course, tmp_path):
    """Only the evaluator (a worker that never ran student code) rebuilds and predicts; a student's worker refuses."""
    from autograder.engine.client import EvaluatorProxy, WorkerSession
    from autograder.grading.checks import WorkerCrashed
    from autograder.grading.rubric import Limits
    from autograder.grading.submissions import load_submission

    path = tmp_path / "m.py"
    path.write_text("def relu(z):\n    return z\n", encoding="utf-8")
    session = WorkerSession(load_submission(path), limits=Limits(call_timeout=10, timeout=30))
    try:
        with pytest.raises(WorkerCrashed, match="unknown op 'evaluate'"):
            EvaluatorProxy(session).evaluate("predict", what="predict", x=[[0.0]])
    finally:
        session.close()


def test_a_notebook_that_runs_out_of_time_names_the_cell_and_line_once(tiny_course, tmp_path, good_source):
    import nbformat
    from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

    path = tmp_path / "tae.ipynb"
    nbformat.write(new_notebook(cells=[new_code_cell(good_source), new_markdown_cell("# 학습"),
                                       new_code_cell("import time\nfor epoch in range(10**6):\n    time.sleep(0.05)"),
                                       new_code_cell("print('never runs')")]), path)
    result = grade_submission(path, Assignment("tiny", tiny_course), GradeOptions(timeout=10))
    assert result.status == "timeout"
    assert [(e["cell"], e["ename"], e["lineno"]) for e in result.cell_errors] == [(2, "TimeoutError", 3)]
    assert result.cell_errors[0]["evalue"] == "the notebook ran out of time in this cell, line 3; later cells did not run"
    assert {(c.status, c.message, c.message_ko) for c in result.checks} == {
        ("timeout", "not run: the notebook timed out in cell 2", "실행하지 않음: 노트북이 셀 2에서 시간 제한을 넘었습니다")}
    assert [o["index"] for o in result.cell_outputs] == [0, 2]  # the cell after it never ran


def test_cells_are_named_by_the_number_jupyter_shows_everywhere(tiny_course, tmp_path, good_source):
    """Markdown and blank cells do not count: the failing cell is In [2] in Jupyter, so it is cell 2 here too."""
    import nbformat
    from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

    from autograder.batch.run import notes_of
    from autograder.exports.display import submission_report
    from autograder.exports.feedback import markdown_feedback, write_feedback

    cells = [new_markdown_cell("# 과제"), new_code_cell(good_source), new_markdown_cell("## 2"), new_code_cell("  "),
             new_markdown_cell("## 3"), new_code_cell("def helper(x):\n    return x\n\nhelper(1) + undefined")]
    path = tmp_path / "uma.ipynb"
    nbformat.write(new_notebook(cells=cells), path)
    result = grade(tiny_course, path)
    assert [(e["index"], e["cell"], e["lineno"]) for e in result.cell_errors] == [(5, 2, 4)]
    assert "cell 2: NameError: name 'undefined' is not defined" in submission_report(result, "en")
    assert "셀 2, 줄 4" in markdown_feedback(result, "ko")
    assert "cell 2: NameError" in notes_of(result)
    (tmp_path / "fb").mkdir()
    page = write_feedback(result, tmp_path / "fb", lang="en")[1].read_text(encoding="utf-8")
    assert page.count("In\xa0[2]:") + page.count("In [2]:") >= 1 and "In\xa0[3]" not in page and "In [3]" not in page


def test_progress_tells_phases_cells_and_the_lines_the_code_prints(tiny_course, tmp_path, good_source):
    heard = []
    path = write_notebook(tmp_path / "bob.ipynb", good_source,
                          "for epoch in range(1, 4):\n    print(f'Epoch {epoch}/3 - loss: 0.1\\x1b[31m')\n"
                          "for line in range(10_000):\n    print('noise', line)")
    result = grade(tiny_course, path, on_progress=lambda event, fields: heard.append((event, fields)))
    assert result.total == 4.0
    events = [event for event, _ in heard]
    assert events[0] == "worker" and events[-1] == "checks"
    cells = [f for e, f in heard if e == "cell"]
    assert [(f["cell"], f["of"]) for f in cells if not f["text"]] == [(1, 2), (2, 2)]
    lines = [f["text"] for f in cells if f["text"]]
    assert lines[0] == "Epoch 1/3 - loss: 0.1\\x1b[31m"  # relayed as escaped text, never run as codes
    assert len(lines) <= 12  # a flood of output is kept (capped) in the result, not relayed line by line
    assert "noise 0\n" in result.cell_outputs[-1]["outputs"][0]["text"]
    assert all(f["cell"] == 2 for f in cells if f["text"])


def test_a_forged_progress_message_is_refused_not_trusted(tiny_course, tmp_path, good_source):
    forge = ("import sys\nfrom autograder.engine import protocol\n"
             "fd = int(sys.argv[sys.argv.index('--rpc-out') + 1])\n"
             "protocol.write_frame(fd, {'progress': {'cell': 10**9, 'of': 'all', 'text': 'x' * 10**6}})")
    heard = []
    result = grade(tiny_course, write_notebook(tmp_path / "eve.ipynb", good_source, forge),
                   on_progress=lambda event, fields: heard.append(event))
    assert result.status == "error: malformed progress message while running the submission's code"
    assert result.total == 0
