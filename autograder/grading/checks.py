"""What hidden and public checks raise, and the helpers that raise it.

A failed check carries structured fields (what was checked, what was expected,
what came back, a hint) so feedback can be rendered in Korean or English.
Errors from the worker are exceptions with fields too, never strings to parse.
"""

from __future__ import annotations

from typing import Any

import numpy as np

_REPR_LIMIT = 300


def show(value: Any) -> str:
    """A short, readable rendering of a value for feedback."""
    if isinstance(value, np.ndarray):
        body = np.array2string(value, threshold=20, edgeitems=3, precision=6, separator=", ")
        text = f"array({body}, shape={value.shape}, dtype={value.dtype})"
    elif isinstance(value, np.generic):
        text = f"{value!r}"
    else:
        text = repr(value)
    return text if len(text) <= _REPR_LIMIT else text[: _REPR_LIMIT - 3] + "..."


class CheckFailed(AssertionError):
    """A check's expectation was not met; the fields say how."""

    def __init__(self, what: str, *, expected: Any = None, got: Any = None, hint: str | None = None,
                 message: str | None = None, message_ko: str | None = None) -> None:
        self.what, self.hint = what, hint
        self.expected = expected if expected is None or isinstance(expected, str) else show(expected)
        self.got = got if got is None or isinstance(got, str) else show(got)
        self.message = message or self._render("en")
        self.message_ko = message_ko or self._render("ko")
        super().__init__(self.message)

    def _render(self, lang: str) -> str:
        words = {"en": ("expected", "got"), "ko": ("기대한 값", "받은 값")}[lang]
        parts = [self.what]
        if self.expected is not None:
            parts.append(f"{words[0]} {self.expected}")
        if self.got is not None:
            parts.append(f"{words[1]} {self.got}")
        return ": ".join(parts[:1]) + (": " + ", ".join(parts[1:]) if len(parts) > 1 else "")


class MissingName(CheckFailed):
    """The submission does not define a name the check needs."""

    def __init__(self, name: str, kind: str = "function") -> None:
        kind_ko = {"function": "함수", "variable": "변수"}.get(kind, kind)
        super().__init__(
            name,
            message=f"{kind} {name} is not defined in the submission",
            message_ko=f"제출물에 {kind_ko} {name}이(가) 정의되어 있지 않습니다",
        )


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


# --- helpers for check authors ------------------------------------------------


def fail(what: str, *, expected: Any = None, got: Any = None, hint: str | None = None) -> None:
    raise CheckFailed(what, expected=expected, got=got, hint=hint)


def expect_true(condition: bool, *, what: str, expected: Any = None, got: Any = None, hint: str | None = None) -> None:
    if not condition:
        raise CheckFailed(what, expected=expected, got=got, hint=hint)


def expect_equal(got: Any, expected: Any, *, what: str, hint: str | None = None) -> None:
    """Exact equality; arrays must match in shape, kind of dtype and values."""
    if isinstance(expected, np.ndarray) or isinstance(got, np.ndarray):
        exp, g = np.asarray(expected), got
        ok = (
            isinstance(g, (np.ndarray, np.generic, int, float, bool))
            and np.shape(g) == exp.shape
            and np.asarray(g).dtype.kind in _same_kind(exp.dtype.kind)
            and bool(np.array_equal(np.asarray(g), exp))
        )
    else:
        ok = _plain_equal(got, expected)
    if not ok:
        raise CheckFailed(what, expected=expected, got=got, hint=hint)


def expect_close(got: Any, expected: Any, *, what: str, rtol: float = 1e-6, atol: float = 1e-8,
                 hint: str | None = None) -> None:
    """Numbers or arrays within ``atol + rtol * |expected|``; shapes must match."""
    exp = np.asarray(expected, dtype=float)
    try:
        g = np.asarray(got, dtype=float)
    except (TypeError, ValueError):
        raise CheckFailed(what, expected=expected, got=got, hint=hint) from None
    tolerance = f" (rtol={rtol:g}, atol={atol:g})"
    if g.shape != exp.shape:
        raise CheckFailed(what, expected=f"shape {exp.shape}", got=f"shape {g.shape}: {show(got)}", hint=hint)
    if not np.allclose(g, exp, rtol=rtol, atol=atol, equal_nan=False):
        raise CheckFailed(what + tolerance, expected=expected, got=got, hint=hint)


def _same_kind(kind: str) -> str:
    return {"i": "iu", "u": "iu", "b": "b", "f": "f"}.get(kind, kind)


def _plain_equal(got: Any, expected: Any) -> bool:
    """Equality that also demands the same kind of value (an int is not a bool or a float)."""
    if isinstance(expected, (bool, np.bool_)):
        return isinstance(got, (bool, np.bool_)) and bool(got) == bool(expected)
    if isinstance(expected, (int, np.integer)):
        return isinstance(got, (int, np.integer)) and not isinstance(got, bool) and int(got) == int(expected)
    if isinstance(expected, (float, np.floating)):
        return isinstance(got, (int, float, np.number)) and not isinstance(got, bool) and float(got) == float(expected)
    return type(got) is type(expected) and got == expected
