"""exports/display.py: what the terminal and a CI log show, with nothing in it they would obey;
one language throughout, partial credit as partial."""

from __future__ import annotations

import re

from autograder.exports.display import batch_summary, ci_log_safe, submission_report, terminal_safe
from autograder.grading.results import CheckResult, SubmissionResult

ATTACK = "ok\x1b]0;owned\x07\x1b[2K\r\x1b[1Aall 30 submissions graded\x9b2J\u202eevil\x00end"


def test_control_characters_are_shown_as_escapes():
    assert terminal_safe(ATTACK) == ("ok\\x1b]0;owned\\x07\\x1b[2K\\r\\x1b[1Aall 30 submissions graded\\x9b2J"
                                     "\\u202eevil\\x00end")
    assert terminal_safe("한국어\tcolumns\nnext line") == "한국어\tcolumns\nnext line"


def test_workflow_commands_are_not_left_at_the_start_of_a_line():
    text = "boom\n::add-mask::secret\n  ::stop-commands::token\n##[set-env name=X;]1\n##vso[task.setvariable]x\n## heading\na::b"
    assert ci_log_safe(text) == ("boom\n'::add-mask::secret\n  '::stop-commands::token\n'##[set-env name=X;]1\n"
                                 "'##vso[task.setvariable]x\n## heading\na::b")
    assert ci_log_safe("x\r::error::fake") == "x\\r::error::fake"  # a carriage return cannot start a line either


def test_batch_summary_counts_the_submissions_with_problems():
    results = [SubmissionResult("a", "t", "a.py", "h"), SubmissionResult("b", "t", "b.py", "h", status="timeout")]
    assert batch_summary(results, "grades.csv", 0) == (
        "2 submissions (1 graded, 1 timeout) -> grades.csv\n"
        "  b: timeout\n"
        "1 of 2 submissions had problems (listed above); the others are graded")


HANGUL = re.compile(r"[\uac00-\ud7a3]")


def result() -> SubmissionResult:
    return SubmissionResult("s1", "03_xor_mlp", "/home/ta/subs/s1.ipynb", "h", checks=[
        CheckResult("test_learns_xor", "failed", 1.3333, 2, message="XOR(1, 1): expected 0, got 1",
                    message_ko="XOR(1, 1): 기대한 값 0, 받은 값 1",
                    hint="학습이 덜 되었나요? epochs를 늘려 보세요 / not trained enough? train for more epochs"),
        CheckResult("test_shape", "failed", 0, 1, message="shape", message_ko="모양",
                    hint="copy first (z = np.array(z)) or use np.maximum / np.where"),
    ], hints=[{"cell": 3, "line": 1, "hint": "Keras 3에서는 `from keras.layers import Dense`로 쓰세요 / "
                                                "Keras 3: write `from keras.layers import Dense`"}])


def test_english_shows_no_korean():
    text = submission_report(result(), "en")
    assert not HANGUL.search(text), text
    assert "hint: not trained enough? train for more epochs" in text
    assert "hint (cell 3, line 1): Keras 3: write `from keras.layers import Dense`" in text
    assert "np.maximum / np.where" in text  # a slash inside one language is not a split


def test_korean_shows_the_korean_side():
    text = submission_report(result(), "ko")
    assert "도움말: 학습이 덜 되었나요? epochs를 늘려 보세요" in text and "not trained enough" not in text


def test_partial_credit_shows_as_partial():
    lines = submission_report(result(), "en").splitlines()
    assert any(re.match(r"\s+PART\s+test_learns_xor\s+1\.3333/2", line) for line in lines), lines
    assert any(re.match(r"\s+FAIL\s+test_shape\s+0/1", line) for line in lines)


def test_the_held_out_accuracy_is_in_the_report():
    graded = result()
    graded.metrics["accuracy"] = 0.8712
    assert "  held-out accuracy: 0.8712" in submission_report(graded, "en").splitlines()
    assert "  평가용 데이터 정확도: 0.8712" in submission_report(graded, "ko").splitlines()


def test_a_status_kept_without_its_korean_still_reads_korean_around_its_detail():
    """Results written before ``status_ko`` (old journals, results files) have only the English status."""
    timed_out = SubmissionResult("a", "t", "a.py", "h", status="timeout")
    crashed = SubmissionResult("b", "t", "b.py", "h", status="error: exit code 1 while running the submission's code")
    assert "  상태: 시간 초과\n" in submission_report(timed_out, "ko")
    assert "  상태: 오류: exit code 1 while running the submission's code\n" in submission_report(crashed, "ko")
    assert "  status: timeout\n" in submission_report(timed_out, "en")
