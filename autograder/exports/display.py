"""Text a person reads in the terminal: check results, batch summaries, listings.

Functions here return strings; ``cli.py`` prints them.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter

from autograder.grading.course import Assignment
from autograder.grading.results import CheckResult, SubmissionResult
from autograder.exports.wording import shown, status_text

LABELS = {
    "en": {"passed": "PASS", "partial": "PART", "failed": "FAIL", "error": "ERROR", "timeout": "TIME",
           "total": "Total", "expected": "expected", "got": "got", "hint": "hint", "cell": "cell",
           "checks": "checks", "status": "status", "import": "import", "line": "line",
           "public": "These were the public checks only: grading runs more (hidden) checks, "
                     "so passing them does not guarantee full marks."},
    "ko": {"passed": "통과", "partial": "부분", "failed": "실패", "error": "오류", "timeout": "시간초과",
           "total": "합계", "expected": "기대한 값", "got": "받은 값", "hint": "도움말", "cell": "셀",
           "checks": "검사", "status": "상태", "import": "불러오는 중", "line": "줄",
           "public": "지금 본 것은 공개 검사뿐입니다: 채점은 더 많은 비공개 검사로 하므로, "
                     "공개 검사를 모두 통과해도 만점이 보장되지는 않습니다."},
}


# C0 controls but newline and tab, DEL, C1 controls; bidi overrides and isolates, which reorder what is shown.
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def terminal_safe(text: str) -> str:
    """Text fit for a terminal or CI log: every control character shown as an escape (``\\x1b``, ``\\u202e``).

    A student's exception text or file name can hold sequences that erase lines,
    set the window title, write the clipboard or hide text; printed raw, the
    terminal would obey them. Newlines and tabs are kept.
    """
    return _CONTROL.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), str(text))


# A line the CI runner would take as a command: ``::name ...::value`` (GitHub Actions, incl.
# ``::stop-commands::``), ``##[name]value`` (its older form), ``##vso[...]`` (Azure Pipelines).
_COMMAND = re.compile(r"^(\s*)(::|##\[|##vso\[)", re.MULTILINE)


def ci_log_safe(text: str) -> str:
    """Text fit for a CI log: control characters escaped, and no line a runner would read as a command.

    A line that starts (after spaces) with ``::``, ``##[`` or ``##vso[`` gets a ``'`` in front,
    so it is shown, never obeyed.
    """
    return _COMMAND.sub(r"\1'\2", terminal_safe(text))


def text_width(text: str) -> int:
    """Columns a string takes in a terminal (Hangul and other wide characters take two)."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def pad(text: str, width: int) -> str:
    return text + " " * max(0, width - text_width(text))


def fmt_points(value: float) -> str:
    return f"{value:g}"


def check_line(check: CheckResult, width: int, lang: str) -> list[str]:
    words = LABELS[lang]
    label_width = max(text_width(words[s]) for s in ("passed", "partial", "failed", "error", "timeout"))
    lines = [f"  {pad(words[check.status], label_width)} {check.id:<{width}}  {fmt_points(check.points)}/{fmt_points(check.max_points)}"]
    if not check.passed:
        message = check.message_ko if lang == "ko" and check.message_ko else check.message
        lines += [f"        {line}" for line in message.splitlines()]
        if check.hint:
            lines.append(f"        {words['hint']}: {check.hint}")
    return lines


PHASES = {
    "en": {"worker": "starting the worker...", "cell": "running code cell {cell} of {of}",
           "checks": "running the checks...", "accuracy": "held-out accuracy"},
    "ko": {"worker": "작업 프로세스를 시작하는 중...", "cell": "코드 셀 {of}개 중 {cell}번째 실행 중",
           "checks": "검사를 실행하는 중...", "accuracy": "평가용 데이터 정확도"},
}


def check_header(assignment: str, path: object) -> str:
    """The first line of ``grade check``, printed before anything runs."""
    return f"{assignment}: {path}"


def progress_text(event: str, fields: dict, lang: str) -> str:
    """One line for a phase of a long run; a cell's output line is relayed as capped, escaped text."""
    text = PHASES[lang][event].format(**{k: v for k, v in fields.items() if k in ("cell", "of")})
    line = str(fields.get("text") or "")
    return f"  | {line}" if line else f"  ... {text}"


def submission_report(result: SubmissionResult, lang: str) -> str:
    """What ``grade check`` prints: the header, then :func:`report_body`."""
    return check_header(result.assignment, result.path) + "\n" + report_body(result, lang)


def report_body(result: SubmissionResult, lang: str) -> str:
    """Each check, messages for failures, cell errors, hints, figures such as accuracy, the total."""
    words = LABELS[lang]
    lines: list[str] = []
    result = shown(result, lang)  # partial credit as partial, hints in one language
    width = max((len(c.id) for c in result.checks), default=10)
    if result.status != "graded":
        lines.append(f"  {words['status']}: {status_text(result, lang)}")
    for error in result.cell_errors:
        cell = error.get("cell", error.get("index"))
        where = f"{words['cell']} {cell}" if cell is not None else words["import"]
        detail = f": {error['evalue']}" if error.get("evalue") else ""
        lines.append(f"  {where}: {error['ename']}{detail}")
    for hint in result.hints:
        where = f"{words['cell']} {hint['cell']}, " if hint.get("cell") is not None else ""
        lines.append(f"  {words['hint']} ({where}{words['line']} {hint['line']}): {hint['hint']}")
    for check in result.checks:
        lines += check_line(check, width, lang)
    if "accuracy" in result.metrics:
        lines.append(f"  {PHASES[lang]['accuracy']}: {result.metrics['accuracy']:.4f}")
    lines.append(f"{words['total']}: {fmt_points(result.total)}/{fmt_points(result.max)} ({result.percent:.1f}%)")
    if result.checks and all(c.visibility == "public" for c in result.checks):
        lines.append(words["public"])
    return "\n".join(lines)


def batch_progress_line(done: int, total: int, elapsed_s: float) -> str:
    """A plain progress line for logs: done/total, rate and time left."""
    rate = done / elapsed_s if elapsed_s > 0 else 0.0
    left = f", about {_duration((total - done) / rate)} left" if rate > 0 and done < total else ""
    return f"graded {done}/{total} submissions ({rate * 60:.1f}/min){left}"


def _duration(seconds: float) -> str:
    seconds = int(round(seconds))
    return f"{seconds // 60} min {seconds % 60} s" if seconds >= 60 else f"{seconds} s"


def batch_summary(results: list[SubmissionResult], csv_path: str, reused: int) -> str:
    counts = Counter("error" if r.status.startswith("error") else r.status for r in results)
    parts = ", ".join(f"{n} {status}" for status, n in sorted(counts.items()))
    lines = [f"{len(results)} submissions ({parts}) -> {csv_path}"]
    if reused:
        lines.append(f"{reused} unchanged since the last run were taken from the journal (use --force to regrade)")
    problems = [r for r in results if r.status != "graded"]
    lines += [f"  {r.student_id}: {r.status}" for r in problems]
    if problems:
        lines.append(f"{len(problems)} of {len(results)} submissions had problems (listed above); the others are graded")
    return "\n".join(lines)


def assignment_listing(assignment: Assignment) -> str:
    lines = []
    for suite in ("hidden", "public"):
        path = assignment.rubric_path(suite)
        if not path.exists():
            continue
        rubric = assignment.rubric(suite)
        if not lines:
            lines.append(f"{assignment.name}  {rubric.title}")
        lines.append(f"  {suite} checks ({fmt_points(rubric.max_points)} points):")
        width = max(len(c) for c in rubric.checks)
        lines += [f"    {check:<{width}}  {fmt_points(points)}" for check, points in rubric.checks.items()]
    return "\n".join(lines or [f"{assignment.name}  (no checks yet)"])
