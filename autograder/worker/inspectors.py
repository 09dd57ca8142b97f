"""Named helpers the grader may ask the worker to run on student objects.

An inspector runs inside the untrusted worker, so its answer is untrusted data
like any other return value: the trusted side checks type and shape before use.
Register one with ``@inspector("name")``; it is called as ``fn(obj, **params)``.
"""

from __future__ import annotations

from typing import Any, Callable

INSPECTORS: dict[str, Callable[..., Any]] = {}


def inspector(name: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    def register(fn: Callable[..., Any]) -> Callable[..., Any]:
        INSPECTORS[name] = fn
        return fn

    return register


@inspector("type")
def type_of(obj: Any) -> dict[str, Any]:
    """The class of an object and whether it is callable."""
    cls = type(obj)
    return {"module": cls.__module__, "name": cls.__qualname__, "callable": callable(obj)}
