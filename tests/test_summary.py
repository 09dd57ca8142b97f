"""The Markdown job summary `grade ci` writes to $GITHUB_STEP_SUMMARY."""

from __future__ import annotations

from autograder.exports.summary import markdown_summary
from autograder.grading.results import CheckResult, SubmissionResult


def result() -> SubmissionResult:
    return SubmissionResult("me", "logic_gates", "logic_gates.ipynb", "h", checks=[
        CheckResult("test_and", "passed", 2, 2),
        CheckResult("test_xor", "failed", 0, 3, message="XOR(1, 1): expected 0, got 1",
                    message_ko="XOR(1, 1): 기대한 값 0, 받은 값 1", expected="0", got="1 | <img src=x>"),
    ], cell_errors=[{"index": 4, "ename": "NameError", "evalue": "name 'np' is not defined"}])


def test_english_summary():
    text = markdown_summary(result(), "en")
    assert text.startswith("## logic\\_gates: Points 2/5\n")
    assert "| ✅ | `test_and` | 2/2 | passed |" in text
    assert "| ❌ | `test_xor` | 0/3 | failed |" in text
    assert "<details open>" in text and "- Expected: `0`" in text
    assert "- Got: `1 | <img src=x>`" in text  # inside a code span, outside the table
    assert "- Cell 4: `NameError: name 'np' is not defined`" in text


def test_korean_summary_and_all_passed():
    r = result()
    assert "| ❌ | `test_xor` | 0/3 | 실패 |" in markdown_summary(r, "ko")
    r.checks = r.checks[:1]
    r.cell_errors = []
    text = markdown_summary(r, "ko")
    assert "모든 검사를 통과했습니다" in text and "<details" not in text


def test_timeout_is_explained():
    r = SubmissionResult("me", "xor", "x.ipynb", "h", status="timeout")
    assert "ran out of time" in markdown_summary(r, "en")
