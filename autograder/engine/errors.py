"""What a call into the student's code can end in, besides a value: exceptions with fields.

Each carries an English ``message`` and a Korean ``message_ko``; the grading side
decides what they cost. Nothing here is parsed from text the worker printed.
"""

from __future__ import annotations


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
        self.message_ko = f"{what}이(가) {scope_ko}({seconds:g}초) 안에 끝나지 않았습니다"
        super().__init__(self.message)


class WorkerCrashed(Exception):
    """The process running the student's code died or broke the protocol."""

    def __init__(self, what: str, reason: str) -> None:
        self.what, self.reason = what, reason
        self.message = f"{what}: the submission's process stopped ({reason})"
        self.message_ko = f"{what}: 제출물 프로세스가 중단되었습니다 ({reason})"
        super().__init__(self.message)
