"""A submission's status, made in English and Korean together.

English is what the grades CSV and TAs filter on (``graded``, ``timeout``, ``error: ...``);
Korean is what a Korean student reads. Each function returns ``(english, korean)``.
The texts name the student's own file, cells and exceptions, never the grader's helpers.
"""

from __future__ import annotations

from autograder.engine.errors import WorkerCrashed
from autograder.errors import GradingError

GRADED = ("graded", "채점 완료")
TIMEOUT = ("timeout", "시간 초과")
ERROR_KO = "오류"  # what ``error:`` reads as in Korean


def unreadable(error: GradingError) -> tuple[str, str]:
    """The file cannot be read as a submission (empty, not a notebook, ...); a SubmissionError says it in Korean too."""
    return f"error: {error}", f"{ERROR_KO}: {getattr(error, 'message_ko', None) or error}"


def crashed(failure: WorkerCrashed) -> tuple[str, str]:
    """The process running the student's code stopped (it exited, was killed, broke the protocol)."""
    return (f"error: {failure.reason} while running the submission's code",
            f"{ERROR_KO}: 제출물 코드를 실행하는 중 프로세스가 멈췄습니다 ({failure.reason_ko})")


def raised_at_import(ename: str, evalue: str, lineno: int | None) -> tuple[str, str]:
    """The student's module raised while it was imported."""
    evalue = evalue[:200]
    return (f"error: raised {ename} at import{f' (line {lineno})' if lineno else ''}: {evalue}",
            f"{ERROR_KO}: 코드를 불러오는 중{f' {lineno}번째 줄에서' if lineno else ''} {ename} 발생: {evalue}")


def korean(status: str) -> str:
    """The Korean of a status made without one (results from before ``status_ko``, rows made elsewhere):
    the known words translated, an error's English detail kept after ``오류:``."""
    known = {GRADED[0]: GRADED[1], TIMEOUT[0]: TIMEOUT[1]}
    if status in known:
        return known[status]
    head, colon, detail = status.partition(":")
    return f"{ERROR_KO}:{detail}" if colon and head == "error" else status
