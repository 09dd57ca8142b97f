"""What hidden and public checks raise, and the helpers that raise it.

A failed check carries structured fields (what was checked, what was expected,
what came back, a hint) so feedback can be rendered in Korean or English.
Errors from the worker are exceptions with fields too, never strings to parse.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from autograder.engine.errors import CallTimeout, MissingName, StudentError, WorkerCrashed
from autograder.engine.values import show
from autograder.grading.language import in_language

__all__ = [
    "CallTimeout", "CheckFailed", "MissingName", "StudentError", "WorkerCrashed",
    "expect_close", "expect_equal", "expect_true", "fail", "show",
]


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
        parts = [in_language(self.what, lang)]  # "한국어 / English" texts of check authors: one side each
        if self.expected is not None:
            parts.append(f"{words[0]} {in_language(self.expected, lang)}")
        if self.got is not None:
            parts.append(f"{words[1]} {in_language(self.got, lang)}")
        return ": ".join(parts[:1]) + (": " + ", ".join(parts[1:]) if len(parts) > 1 else "")


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
    shape = _shape_of(got)  # before converting: a forged value could be huge
    if shape != exp.shape:
        shown = f"shape {shape}" if shape is not None else "values of different shapes"
        raise CheckFailed(what, expected=f"shape {exp.shape}", got=f"{shown}: {show(got)}", hint=hint)
    try:
        g = np.asarray(got, dtype=float)
    except (TypeError, ValueError):
        raise CheckFailed(what, expected=expected, got=got, hint=hint) from None
    tolerance = f" (rtol={rtol:g}, atol={atol:g})"
    if g.shape != exp.shape:
        raise CheckFailed(what, expected=f"shape {exp.shape}", got=f"shape {g.shape}: {show(got)}", hint=hint)
    if not np.allclose(g, exp, rtol=rtol, atol=atol, equal_nan=False):
        raise CheckFailed(what + tolerance, expected=expected, got=got, hint=hint)


def _shape_of(value: Any, depth: int = 0) -> tuple[int, ...] | None:
    """The shape numpy would give ``value``, found without converting it (None: ragged or too deep)."""
    if isinstance(value, (np.ndarray, np.generic)):
        return value.shape
    if isinstance(value, (list, tuple)):
        if depth > 32:
            return None
        inner = [_shape_of(v, depth + 1) for v in value[:2]] or [()]
        if any(s is None or s != inner[0] for s in inner):
            return None
        return (len(value), *inner[0]) if value else (0,)
    return ()


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
