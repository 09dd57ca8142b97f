"""A Markdown summary of one graded submission, for ``$GITHUB_STEP_SUMMARY`` and PR comments."""

from __future__ import annotations

from autograder.exports.feedback import (check_details_markdown, check_table_markdown, error_text, located, md_code,
                                 md_text, points, status_note, words)
from autograder.grading.results import SubmissionResult


def markdown_summary(result: SubmissionResult, lang: str = "en") -> str:
    """Points, one table row per check, and the details of the checks that lost points."""
    w = words(lang)
    lines = [f"## {md_text(result.assignment)}: {w['points']} {points(result.total)}/{points(result.max)}", ""]
    note = status_note(result, lang)
    if note:
        lines += [f"> {md_text(note)}", ""]
    if result.checks:
        lines += [*check_table_markdown(result, lang), ""]
    lost = [c for c in result.checks if not c.passed]
    if lost:
        lines += ["<details open>", f"<summary>{md_text(w['details'])}</summary>", ""]
        for check in lost:
            lines += check_details_markdown(check, lang)
        lines += ["</details>", ""]
    elif result.checks and note is None:
        lines += [w["all_passed"], ""]
    if result.cell_errors:
        lines += [f"**{w['cell_errors']}**", ""]
        lines += [f"- {located(e, lang, md_code(error_text(e)))}" for e in result.cell_errors]
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"
