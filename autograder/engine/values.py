"""A short, readable rendering of values that crossed the wire, for messages."""

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
