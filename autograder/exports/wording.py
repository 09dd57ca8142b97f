"""The words of feedback in Korean and English, and the short texts every feedback format shares."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

from autograder.errors import GradingError
from autograder.grading import statuses
from autograder.grading.language import in_language
from autograder.grading.results import CheckResult, SubmissionResult

LANGUAGES = ("ko", "en")
MARKS = {"passed": "✅", "partial": "🟡", "failed": "❌", "error": "⚠️", "timeout": "⏱️"}
WORDS = {
    "en": {
        "title": "Feedback", "points": "Points", "check": "Check", "result": "Result",
        "passed": "passed", "partial": "partial credit", "failed": "failed", "error": "error", "timeout": "timed out",
        "expected": "Expected", "got": "Got", "hint": "Hint", "details": "What went wrong",
        "all_passed": "Every check passed. Well done!",
        "cell_errors": "Cells that raised an error", "cell": "Cell", "hints": "Hints",
        "cell_marker": "This cell raised {error} while grading.",
        "status_timeout": "Your submission ran out of time: checks that had not finished score 0.",
        "status_error": "Your submission could not be graded: {reason}",
        "no_notebook": "The notebook file was not found, so only the feedback is shown.",
        "output": "Output of your code", "no_submission": "No submission.",
        "lost": "Lost points", "late": "late penalty", "status": "Status", "line": "line", "import": "on import",
    },
    "ko": {
        "title": "채점 결과", "points": "점수", "check": "검사 항목", "result": "결과",
        "passed": "통과", "partial": "부분 점수", "failed": "실패", "error": "오류", "timeout": "시간 초과",
        "expected": "기대한 값", "got": "받은 값", "hint": "힌트", "details": "틀린 부분",
        "all_passed": "모든 검사를 통과했습니다. 잘했습니다!",
        "cell_errors": "오류가 발생한 셀", "cell": "셀", "hints": "힌트",
        "cell_marker": "채점 중 이 셀에서 {error} 오류가 발생했습니다.",
        "status_timeout": "제출물이 시간 제한을 넘었습니다. 끝나지 않은 검사는 0점입니다.",
        "status_error": "제출물을 채점할 수 없습니다: {reason}",
        "no_notebook": "노트북 파일을 찾을 수 없어 채점 결과만 표시합니다.",
        "output": "코드 출력", "no_submission": "제출물 없음.",
        "lost": "감점된 항목", "late": "지각 감점", "status": "상태", "line": "줄", "import": "불러오는 중",
    },
}


def words(lang: str) -> dict[str, str]:
    if lang not in WORDS:
        raise GradingError(f"language must be one of {', '.join(LANGUAGES)}, not {lang!r}")
    return WORDS[lang]


def points(value: float) -> str:
    return f"{float(value):.2f}".rstrip("0").rstrip(".") or "0"


def message_of(item: CheckResult | dict[str, Any], lang: str) -> str:
    """A check's (or hint's) message in ``lang``, falling back to the other language."""
    get = item.get if isinstance(item, dict) else lambda k, d=None: getattr(item, k, d)
    korean = get("message_ko") or get("ko") or ""
    hint = get("hint") if isinstance(item, dict) else None  # the engine's hints carry their text in "hint"
    english = get("message") or get("en") or hint or get("text") or ""
    return str((korean or english) if lang == "ko" else (english or korean))


def location(item: dict[str, Any], lang: str) -> str:
    """Where a cell error or hint is: ``Cell 3``, ``Cell 3, line 2``, ``line 2``, ``on import``, or ''."""
    w = words(lang)
    cell, line = item.get("cell", item.get("index")), item.get("line") or item.get("lineno")
    parts = ([f"{w['cell']} {cell}"] if cell is not None else []) + ([f"{w['line']} {line}"] if line else [])
    if not parts and "ename" in item:
        return w["import"]
    return ", ".join(parts)


def located(item: dict[str, Any], lang: str, text: str) -> str:
    """``text`` after its location, when it has one."""
    where = location(item, lang)
    return f"{where}: {text}" if where else text


def status_text(result: SubmissionResult, lang: str) -> str:
    """The submission's status in ``lang`` (``status`` itself stays English, for the grades CSV)."""
    if lang == "ko":
        return result.status_ko or statuses.korean(result.status)
    return result.status


def status_note(result: SubmissionResult, lang: str) -> str | None:
    """One sentence on a submission that did not run to the end, else None."""
    w = words(lang)
    if result.status == "timeout":
        return w["status_timeout"]
    if result.status.startswith("error"):
        text = status_text(result, lang)
        return w["status_error"].format(reason=text.partition(":")[2].strip() or text)
    return None


def error_text(error: dict[str, Any]) -> str:
    evalue = str(error.get("evalue", "")).strip().splitlines()
    return f"{error.get('ename', 'Error')}: {evalue[0] if evalue else ''}".strip().rstrip(":")


def shown_status(check: CheckResult) -> str:
    """``partial`` whenever some but not all of a check's points were earned, else its status."""
    if check.status != "passed" and 0 < check.points < check.max_points:
        return "partial"
    return check.status


def shown(result: SubmissionResult, lang: str) -> SubmissionResult:
    """``result`` as a student sees it in ``lang``: partial credit as partial, one language, no grader paths.

    The folder the submission was read from (a TA's absolute path) becomes the file's own name.
    """
    folder = str(Path(result.path).parent) if result.path else ""

    def clean(text: Any) -> Any:
        if not isinstance(text, str):
            return text
        if folder and folder not in ("", ".", "/"):
            text = text.replace(folder + "/", "").replace(folder, ".")
        return text

    def one(text: Any) -> Any:
        return clean(in_language(text, lang)) if isinstance(text, str) else text

    checks = [dataclasses.replace(c, status=shown_status(c), message=clean(c.message), message_ko=clean(c.message_ko),
                                  expected=one(c.expected), got=clean(c.got), hint=one(c.hint))
              for c in result.checks]
    hints = [{**h, **{k: one(h[k]) for k in ("hint", "text", "en", "ko", "message", "message_ko") if k in h}}
             for h in result.hints]
    errors = [{**e, "evalue": clean(e.get("evalue"))} for e in result.cell_errors]
    return dataclasses.replace(result, path=Path(result.path).name if result.path else result.path, checks=checks,
                               hints=hints, cell_errors=errors, status=clean(result.status),
                               status_ko=clean(result.status_ko), output=clean(result.output))
