"""``grade ci``: grade the submission in a repository's CI and leave reports behind."""

from __future__ import annotations

import os
from pathlib import Path

from autograder.grading.course import Assignment
from autograder.exports.display import ci_log_safe
from autograder.exports.junit import write_junit
from autograder.exports.summary import markdown_summary
from autograder.grading.grade import GradeOptions, grade_submission
from autograder.grading.results import SubmissionResult


def run_ci(path: Path, assignment: Assignment, *, options: GradeOptions, junit: Path | None, lang: str) -> SubmissionResult:
    """Grade, write JUnit XML where asked, and append a summary to $GITHUB_STEP_SUMMARY when set."""
    result = grade_submission(path, assignment, options)
    if junit is not None:
        write_junit(result, junit, lang=lang)
    summary_file = os.environ.get("GITHUB_STEP_SUMMARY")
    if summary_file:
        with open(summary_file, "a", encoding="utf-8") as f:
            f.write(ci_log_safe(markdown_summary(result, lang)) + "\n")
    return result
