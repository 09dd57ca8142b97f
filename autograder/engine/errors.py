"""What a call into the student's code can end in, besides a value: exceptions with fields.

Each carries an English ``message`` and a Korean ``message_ko``; the grading side
decides what they cost. Nothing here is parsed from text the worker printed.
"""

from __future__ import annotations

import re


class MissingName(Exception):
    """The submission does not define a name the check needs."""

    def __init__(self, name: str, kind: str = "function") -> None:
        kind_ko = {"function": "함수", "variable": "변수"}.get(kind, kind)
        self.name, self.kind = name, kind
        self.message = f"{kind} {name} is not defined in the submission"
        self.message_ko = f"제출물에 {kind_ko} {name}이(가) 정의되어 있지 않습니다"
        super().__init__(self.message)


class StudentError(Exception):
    """The student's code raised while the check called it."""

    def __init__(self, what: str, ename: str, evalue: str, traceback: str = "") -> None:
        self.what, self.ename, self.evalue, self.traceback = what, ename, evalue, traceback
        detail = f": {evalue}" if evalue else ""
        self.message = f"{what} raised {ename}{detail}"
        self.message_ko = f"{what} 실행 중 {ename} 발생{detail}"
        if ename == "NotImplementedError":  # the template's stub: say so plainly, no traceback
            self.traceback = ""
            self.message = f"{what} raised NotImplementedError: the function is not written yet"
            self.message_ko = f"{what}: 아직 구현되지 않은 함수입니다 (NotImplementedError)"
        super().__init__(self.message)


class CallTimeout(Exception):
    """A call into the student's code ran past its time limit."""

    def __init__(self, what: str, seconds: float, *, whole_submission: bool = False) -> None:
        self.what, self.seconds, self.whole_submission = what, seconds, whole_submission
        scope_en = "the submission's time budget" if whole_submission else "the time limit"
        scope_ko = "제출물 전체 시간 제한" if whole_submission else "시간 제한"
        self.message = f"{what} did not finish within {scope_en} ({seconds:g} s)"
        self.message_ko = f"{what_in_korean(what)}이(가) {scope_ko}({seconds:g}초) 안에 끝나지 않았습니다"
        super().__init__(self.message)


class WorkerCrashed(Exception):
    """The process running the student's code died or broke the protocol."""

    def __init__(self, what: str, reason: str) -> None:
        self.what, self.reason, self.reason_ko = what, reason, reason_in_korean(reason)
        self.message = f"{what}: the submission's process stopped ({reason})"
        self.message_ko = f"{what_in_korean(what)}: 제출물 프로세스가 중단되었습니다 ({self.reason_ko})"
        super().__init__(self.message)


# The reasons the grader itself gives for a stopped worker (client, sandbox, watchdog, scratch), in Korean.
# They are the grader's own words, never text the worker sent; anything else keeps its English detail.
_REASONS_KO = (
    (re.compile(r"exit code (-?\d+)"), "종료 코드 {0}로 끝났습니다"),
    (re.compile(r"killed by signal (\d+)"), "신호 {0}를 받아 강제로 끝났습니다"),
    (re.compile(r"memory limit (\d+) MB exceeded"), "메모리 제한 {0} MB를 넘었습니다"),
    (re.compile(r"process limit (\d+) exceeded"), "프로세스 수 제한 {0}개를 넘었습니다"),
    (re.compile(r"scratch folder limit (\d+) MB exceeded"), "작업 폴더 용량 제한 {0} MB를 넘었습니다"),
    (re.compile(r"scratch folder limit exceeded \(more than (\d+) files\)"), "작업 폴더 파일 수 제한 {0}개를 넘었습니다"),
    (re.compile(r"sent too many progress messages"), "진행 메시지를 너무 많이 보냈습니다"),
    (re.compile(r"not restarted again after (\d+) restarts"), "{0}번 다시 시작한 뒤 더는 다시 시작하지 않습니다"),
)


# What the grader was doing, when it was not calling one of the student's functions (those keep their own name).
_WHAT_KO = {"running the submission's code": "제출물 코드 실행", "starting the worker": "작업 프로세스 시작",
            "starting the evaluator": "평가용 프로세스 시작"}


def what_in_korean(what: str) -> str:
    """What the grader was doing, in Korean; a call of the student's function (``AND(1, 0)``) is left as it is."""
    if what.startswith("looking up "):
        return f"{what.removeprefix('looking up ')} 찾기"
    return _WHAT_KO.get(what, what)


def reason_in_korean(reason: str) -> str:
    """A stopped worker's reason in Korean: the grader's known reasons translated, any other kept after a Korean lead."""
    for pattern, korean in _REASONS_KO:
        match = pattern.fullmatch(reason)
        if match:
            return korean.format(*match.groups())
    return f"예상하지 못한 문제: {reason}"
