"""Gradescope autograder ``results.json`` from one graded submission.

Format: https://gradescope-autograders.readthedocs.io/en/latest/specs/ (top-level
``score``, ``execution_time``, ``output``, ``tests[]`` with ``name``, ``score``,
``max_score``, ``status``, ``output``, ``visibility``). Hidden checks are shown
``after_published`` by default, public ones are ``visible``. Every text is
declared ``text`` so Gradescope shows student output verbatim, never as HTML.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from autograder.exports.files import write_atomic
from autograder.exports.wording import error_text, located, message_of, status_note, words
from autograder.grading.results import CheckResult, SubmissionResult

VISIBILITIES = ("hidden", "after_due_date", "after_published", "visible")
OUTPUT_CAP = 8_000  # characters of one test's output


def test_output(check: CheckResult, lang: str) -> str:
    """What a student reads under one test: message, expected, got, hint."""
    w = words(lang)
    lines = [message_of(check, lang)] if message_of(check, lang) else []
    if not check.passed:
        lines += [f"{w[k]}: {getattr(check, k)}" for k in ("expected", "got") if getattr(check, k) is not None]
        if check.hint:
            lines.append(f"{w['hint']}: {check.hint}")
    text = "\n".join(lines)
    return text if len(text) <= OUTPUT_CAP else text[:OUTPUT_CAP] + "\n..."


def gradescope_results(result: SubmissionResult, *, lang: str = "en",
                       hidden_visibility: str = "after_published") -> dict[str, Any]:
    """The results.json document for one submission."""
    if hidden_visibility not in VISIBILITIES:
        raise ValueError(f"hidden_visibility must be one of {VISIBILITIES}, not {hidden_visibility!r}")
    w = words(lang)
    tests = []
    for number, check in enumerate(result.checks, start=1):
        tests.append({
            "name": check.id,
            "number": str(number),
            "score": round(float(check.points), 6),
            "max_score": round(float(check.max_points), 6),
            "status": "passed" if check.passed else "failed",
            "output": test_output(check, lang),
            "output_format": "text",
            "name_format": "text",
            "visibility": "visible" if check.visibility == "public" else hidden_visibility,
            "tags": [check.status],
        })
    summary = [f"{w['points']}: {result.total:g} / {result.max:g}"]
    note = status_note(result, lang)
    if note:
        summary.append(note)
    if result.cell_errors:
        summary.append(f"{w['cell_errors']}:")
        summary += [f"  {located(e, lang, error_text(e))}" for e in result.cell_errors]
    if result.hints:
        summary.append(f"{w['hints']}:")
        summary += [f"  {located(h, lang, message_of(h, lang))}" for h in result.hints]
    return {
        "score": round(float(result.total), 6),
        "execution_time": max(0, round(float(result.duration_s))),
        "output": "\n".join(summary),
        "output_format": "text",
        "test_output_format": "text",
        "test_name_format": "text",
        "stdout_visibility": "hidden",
        "extra_data": {
            "student_id": result.student_id, "assignment": result.assignment, "status": result.status,
            "content_hash": result.content_hash, "engine_version": result.engine_version,
            "sandbox": result.sandbox, "metrics": dict(result.metrics),
        },
        "tests": tests,
    }


def write_gradescope(result: SubmissionResult, path: Path, *, lang: str = "en",
                     hidden_visibility: str = "after_published") -> Path:
    """Write results.json atomically."""
    document = gradescope_results(result, lang=lang, hidden_visibility=hidden_visibility)
    return write_atomic(path, json.dumps(document, ensure_ascii=False, indent=2) + "\n")


def schema_path() -> Path:
    """The JSON schema (written from Gradescope's specification) results.json follows."""
    return Path(__file__).resolve().parent / "schemas" / "gradescope_results.schema.json"


def convert_result(result_json: Path, out: Path, *, lang: str | None = None,
                   hidden_visibility: str = "after_published") -> Path:
    """``grade gradescope``: one batch result file (OUT/results/<id>.json) -> results.json.

    ``lang`` defaults to the rubric's language when the course can be found, else Korean.
    """
    from autograder.exports.feedback import default_language, load_result

    result = load_result(Path(result_json))
    return write_gradescope(result, out, lang=lang or default_language(result.assignment),
                            hidden_visibility=hidden_visibility)
