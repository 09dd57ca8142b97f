"""exports/display.py: what the terminal and a CI log show, with nothing in it they would obey."""

from __future__ import annotations

from autograder.exports.display import batch_summary, ci_log_safe, terminal_safe
from autograder.grading.results import SubmissionResult

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
