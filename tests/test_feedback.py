"""Feedback files: Korean and English, expected vs got, the notebook page, and escaping."""

from __future__ import annotations

import html
import json
import re

import nbformat
import pytest
from click.testing import CliRunner
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output, new_raw_cell

from autograder.cli.lms import feedback
from autograder.exports.files import ExportError
from autograder.exports.feedback import markdown_feedback, short_feedback, write_all_feedback, write_feedback
from autograder.grading.course import get_assignment
from autograder.grading.grade import grade_submission
from autograder.grading.results import CheckResult, SubmissionResult
from tests.conftest import UNGRADABLE

XSS = "<script>alert('x')</script>"


def notebook(path):
    nb = new_notebook()
    nb.cells = [
        new_markdown_cell(f"# XOR 과제\n\n**bold** {XSS} <img src=x onerror=alert(1)> [link](javascript:alert(2))"),
        new_code_cell("import numpy as np"),
        new_code_cell("from keras.layers.core import Dense",
                      outputs=[new_output("stream", name="stdout", text="FORGED OUTPUT SAVED IN THE FILE")]),
        new_code_cell("print(XOR(1, 1))"),
        new_raw_cell(f"raw {XSS}"),
    ]
    nbformat.write(nb, path)
    return path


def result(path) -> SubmissionResult:
    return SubmissionResult(
        "60230001", "xor_mlp", str(path), "h",
        checks=[
            CheckResult("test_and", "passed", 2, 2, message="AND truth table", message_ko="AND 진리표",
                        expected="SECRET-IF-PASSED", got="1"),
            CheckResult("test_xor", "failed", 0, 3, message="XOR(1, 1): expected 0, got 1",
                        message_ko="XOR(1, 1): 기대한 값 0, 받은 값 1", expected="0", got=f"1 {XSS}",
                        hint="XOR needs a hidden layer"),
        ],
        cell_errors=[{"index": 2, "ename": "ModuleNotFoundError", "evalue": "No module named 'keras.layers.core'"}],
        cell_outputs=[
            {"index": 1, "outputs": []},
            {"index": 2, "outputs": [{"output_type": "error", "ename": "ModuleNotFoundError",
                                      "evalue": "No module named 'keras.layers.core'",
                                      "traceback": ["ModuleNotFoundError: No module named 'keras.layers.core'"]}]},
            {"index": 3, "outputs": [
                {"output_type": "stream", "name": "stdout", "text": f"1 {XSS}\n"},
                {"output_type": "display_data", "data": {"text/plain": "<Figure>", "text/html": XSS,
                                                         "image/png": "iVBORw0KGgo=\n"}, "metadata": {}},
                {"output_type": "display_data", "data": {"image/png": '" onerror="alert(3)'}, "metadata": {}},
            ]},
        ],
        hints=[{"message": "Keras 3: write `from keras.layers import Dense`",
                "message_ko": "Keras 3에서는 `from keras.layers import Dense`로 쓰세요"}],
    )


@pytest.fixture
def graded(tmp_path):
    return result(notebook(tmp_path / "60230001.ipynb"))


def test_markdown_in_english(graded):
    text = markdown_feedback(graded, "en")
    assert text.startswith("# Feedback: xor\\_mlp / 60230001\n\n**Points: 2 / 5 (40%)**")
    assert "| ✅ | `test_and` | 2/2 | passed |" in text
    assert "| ❌ | `test_xor` | 0/3 | failed |" in text
    assert "- Expected: `0`" in text
    assert "- Got: `1 <script>alert('x')</script>`" in text  # in a code span: shown, never rendered
    assert "- Hint: XOR needs a hidden layer" in text
    assert "SECRET-IF-PASSED" not in text  # expected/got only for checks that lost points
    assert "- Cell 2: `ModuleNotFoundError: No module named 'keras.layers.core'`" in text
    assert "from keras.layers import Dense" in text


def test_markdown_in_korean(graded):
    text = markdown_feedback(graded, "ko")
    assert "**점수: 2 / 5 (40%)**" in text
    assert "| ❌ | `test_xor` | 0/3 | 실패 |" in text
    assert "XOR(1, 1): 기대한 값 0, 받은 값 1" in text
    assert "- 기대한 값: `0`" in text and "- 받은 값: `1 <script>" in text
    assert "## 오류가 발생한 셀" in text and "Keras 3에서는" in text


def test_markdown_escapes_student_text_outside_code(graded):
    graded.checks[1].message = f"bad {XSS}"
    text = markdown_feedback(graded, "en")
    assert f"bad {XSS}" not in text and "bad \\<script\\>" in text


def test_notebook_page(graded, tmp_path):
    out = tmp_path / "fb"
    out.mkdir()
    md, page = write_feedback(graded, out, lang="en")
    assert (md.name, page.name) == ("60230001.md", "60230001.html")
    html = page.read_text(encoding="utf-8")
    assert "<title>Feedback: xor_mlp / 60230001</title>" in html
    feedback_at, first_cell_at = html.index('id="ag-feedback"'), html.index('class="jp-Cell jp-CodeCell')
    assert feedback_at < first_cell_at  # feedback on top of the notebook
    assert 'id="ag-cell-2"' in html and "This cell raised ModuleNotFoundError" in html
    assert html.count('class="ag-failed-cell"') == 1
    assert "FORGED OUTPUT SAVED IN THE FILE" not in html  # outputs come from the grading run only
    assert "<strong>bold</strong>" in html  # Markdown is rendered
    assert "data:image/png;base64,iVBORw0KGgo=" in html
    assert 'onerror="alert(3)' not in html  # an image that is not base64 is dropped


def test_notebook_page_has_no_student_markup_and_no_scripts(graded, tmp_path):
    page = write_feedback(graded, tmp_path, lang="ko")[1].read_text(encoding="utf-8")
    tags = re.findall(r"<[a-zA-Z][^>]*>", page)
    assert not [t for t in tags if t.lower().startswith("<script")]
    assert not [t for t in tags if re.search(r"\son\w+\s*=", t)]  # no event handler attributes anywhere
    assert not [t for t in tags if "javascript:" in t]
    assert "&lt;script&gt;alert(" in page  # the student's text is still there, as text
    assert "raw &lt;script&gt;" in page
    assert not re.search(r"(src|href)=\"https?://", page)  # opens from disk without the network


def test_module_submission_gets_a_standalone_page(tmp_path):
    r = SubmissionResult("0007", "logic_gates", str(tmp_path / "0007.py"), "h", status="timeout",
                         output=f"printed {XSS}")
    page = write_feedback(r, tmp_path, lang="en")[1].read_text(encoding="utf-8")
    assert "ran out of time" in page
    assert "printed &lt;script&gt;" in page and "<script" not in page


def test_missing_notebook_falls_back_to_feedback_only(graded, tmp_path):
    graded.path = str(tmp_path / "gone.ipynb")
    page = write_feedback(graded, tmp_path, lang="ko")[1].read_text(encoding="utf-8")
    assert "노트북 파일을 찾을 수 없어" in page and "test_xor" in page


def test_output_folder_must_exist(graded, tmp_path):
    with pytest.raises(ExportError, match="does not exist"):
        write_feedback(graded, tmp_path / "none", lang="en")
    with pytest.raises(Exception, match="language must be one of"):
        write_feedback(graded, tmp_path, lang="fr")


def test_cli_writes_feedback_for_a_results_folder(graded, tmp_path):
    results = tmp_path / "results"
    results.mkdir()
    graded.assignment = "no_such_assignment_for_tests"
    (results / "60230001.json").write_text(json.dumps(graded.to_dict()), encoding="utf-8")
    out = tmp_path / "feedback"
    run = CliRunner().invoke(feedback, [str(results), "-o", str(out)], catch_exceptions=False)
    assert run.exit_code == 0
    assert run.output == f"Wrote 2 feedback files (1 submissions) to {out}\n"
    assert "점수" in (out / "60230001.md").read_text(encoding="utf-8")  # no rubric found: Korean
    english = write_all_feedback(results, tmp_path / "en", lang="en")
    assert english.problems == [] and "Points" in english.files[0].read_text(encoding="utf-8")


def test_short_feedback_for_lms_columns():
    row = {"status": "graded", "total": 4.0, "max": 5.0, "late_penalty": 1.0, "late_by": "0 days 02:00:00"}
    checks = [CheckResult("test_a", "passed", 2, 2), CheckResult("test_b", "partial", 2, 3)]
    assert short_feedback(row, lang="en", checks=checks) == \
        "Points 4/5. late penalty -1 (0 days 02:00:00). Lost points: test_b 2/3."
    assert short_feedback({"status": "timeout", "total": 0, "max": 5}, lang="ko") == "점수 0/5. 상태: 시간 초과."
    assert short_feedback({"status": "missing"}, lang="ko") == "제출물 없음."


def test_engine_hints_and_import_errors_are_located():
    r = SubmissionResult("0008", "fashion_mnist", "0008.py", "h",
                         cell_errors=[{"index": None, "ename": "ImportError", "evalue": "cannot import name 'Dense'",
                                       "lineno": 1}],
                         hints=[{"cell": None, "line": 1, "hint": "write `from keras.layers import Dense`"},
                                {"cell": 4, "line": 2, "hint": "use `keras.optimizers.SGD`"}])
    text = markdown_feedback(r, "en")
    assert "- line 1: `ImportError: cannot import name 'Dense'`" in text
    assert "- line 1: write \\`from keras.layers import Dense\\`" in text
    assert "- Cell 4, line 2: use" in text
    assert "- 셀 4, 줄 2: use" in markdown_feedback(r, "ko")
    r.cell_errors[0]["lineno"] = None
    assert "- on import: `ImportError" in markdown_feedback(r, "en")


def test_one_students_broken_result_never_costs_the_class_its_feedback(graded, tmp_path):
    results = tmp_path / "results"
    results.mkdir()
    graded.assignment = "no_such_assignment_for_tests"
    (results / "a.json").write_text(json.dumps(graded.to_dict()), encoding="utf-8")
    deep = tmp_path / "deep.ipynb"  # the notebook a forged result points at, 50,000 levels deep
    deep.write_text('{"nbformat": 4, "cells": [{"cell_type": "code", "source": "", "metadata": {"x": '
                    + "[" * 50_000 + "]" * 50_000 + "}}]}", encoding="utf-8")
    forged = graded.to_dict() | {"student_id": "b", "path": str(deep),
                                 "cell_errors": [{"index": [1], "ename": "X", "evalue": "y"}],
                                 "cell_outputs": [{"index": {"k": 1}, "outputs": []}]}
    (results / "b.json").write_text(json.dumps(forged), encoding="utf-8")
    (results / "c.json").write_text("[" * 50_000 + "]" * 50_000, encoding="utf-8")
    (results / "d.json").write_text('{"checks": 3}', encoding="utf-8")
    out = tmp_path / "feedback"
    run = CliRunner().invoke(feedback, [str(results), "-o", str(out), "--lang", "en"], catch_exceptions=False)
    assert run.exit_code == 0
    assert run.stdout == f"Wrote 4 feedback files (2 submissions) to {out}\n"
    assert run.stderr.splitlines() == [
        f"warning: {results / 'c.json'}: not a result file from grade batch (nested 50000 levels deep, more than the "
        "100 allowed)",
        f"warning: {results / 'd.json'}: not a result file from grade batch ('int' object is not iterable)",
        "2 result file(s) had problems: no feedback was written for them"]
    assert sorted(p.name for p in out.iterdir()) == ["60230001.html", "60230001.md", "b.html", "b.md"]
    assert "The notebook file was not found" in (out / "b.html").read_text(encoding="utf-8")


def test_partial_credit_is_marked_partial_and_paths_and_languages_stay_out(tmp_path):
    folder = "/home/ta/course/subs/s1"
    graded = SubmissionResult("s1", "xor_mlp", f"{folder}/s1.py", "h", checks=[
        CheckResult("test_xor", "failed", 1.3333, 2, message=f"XOR raised ValueError\n  File \"{folder}/s1.py\", line 3",
                    message_ko=f"XOR 오류\n  File \"{folder}/s1.py\", line 3",
                    hint="은닉층이 필요합니다 / XOR needs a hidden layer")],
        cell_errors=[{"index": None, "ename": "OSError", "evalue": f"{folder}/data.csv: not found"}])
    english = markdown_feedback(graded, "en")
    assert "| 🟡 | `test_xor` | 1.33/2 | partial credit |" in english
    assert "/home/ta" not in english and 'File "s1.py", line 3' in english
    assert not re.search(r"[\uac00-\ud7a3]", english) and "XOR needs a hidden layer" in english
    korean = markdown_feedback(graded, "ko")
    assert "은닉층이 필요합니다" in korean and "XOR needs a hidden layer" not in korean and "/home/ta" not in korean


@pytest.mark.parametrize("case", UNGRADABLE)
def test_the_page_says_why_a_submission_cannot_be_graded_in_the_language_asked(tiny_course, tmp_path, case):
    """Graded for real, kept as a results file (as grade batch does), then its page in each language."""
    name, content, english, korean = UNGRADABLE[case]
    path = tmp_path / "subs" / name
    path.parent.mkdir()
    path.write_text(content, encoding="utf-8")
    graded = grade_submission(path, get_assignment("tiny", tiny_course))
    results = tmp_path / "results"
    results.mkdir()
    (results / "s1.json").write_text(json.dumps(graded.to_dict()), encoding="utf-8")
    pages = {}
    for lang in ("en", "ko"):
        out = tmp_path / lang
        CliRunner().invoke(feedback, [str(results), "-o", str(out), "--lang", lang], catch_exceptions=False)
        pages[lang] = html.unescape(next(out.glob("*.html")).read_text(encoding="utf-8"))
    assert f"Your submission could not be graded: {english}" in pages["en"]
    assert f"제출물을 채점할 수 없습니다: {korean}" in pages["ko"] and english not in pages["ko"]
    assert str(tmp_path) not in pages["en"] + pages["ko"]
