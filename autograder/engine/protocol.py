"""The wire between the trusted grader and the untrusted worker.

A frame is an 8-byte big-endian length, a JSON header, then zero or more
numpy arrays in ``.npy`` form. Values travel as a JSON tree in which arrays
are references into the blob list. Nothing is ever unpickled: arrays are read
with ``allow_pickle=False`` and everything else is plain JSON.

Both sides use the same code, but only the trusted side's limits matter:
whatever arrives from the worker is treated as something student code
returned, so it is checked for size, depth and type before anyone uses it.
"""

from __future__ import annotations

import io
import json
import os
import select
import struct
import time
from typing import Any, Callable

import numpy as np

MAX_HEADER_BYTES = 16 * 1024 * 1024
MAX_FRAME_BYTES = 256 * 1024 * 1024
MAX_DEPTH = 32
MAX_ITEMS = 1_000_000
_ALLOWED_DTYPE_KINDS = "biufcUS"

_LEN = struct.Struct(">Q")


class ProtocolError(Exception):
    """The other side sent something that is not a valid frame."""


class ChannelClosed(ProtocolError):
    """The other side closed the channel (usually: the worker died)."""


class FrameTimeout(Exception):
    """No complete frame arrived before the deadline."""


class Unencodable(Exception):
    """A value has no wire form (the worker turns it into a remote handle)."""


# --- encoding ---------------------------------------------------------------


def encode(value: Any, handle: Callable[[Any], dict] | None = None) -> tuple[Any, list[bytes]]:
    """Turn ``value`` into a JSON tree and a list of ``.npy`` blobs.

    ``handle`` is called for values with no wire form; without it they raise
    :class:`Unencodable`.
    """
    blobs: list[bytes] = []

    def enc(v: Any, depth: int) -> Any:
        if depth > MAX_DEPTH:
            raise Unencodable("value nested too deeply")
        if v is None or type(v) in (bool, str):
            return v
        if type(v) is int:
            return v if abs(v) < 2**63 else {"$bigint": str(v)}
        if type(v) is float:
            return v if np.isfinite(v) else {"$float": repr(v)}
        if isinstance(v, (np.ndarray, np.generic)):
            arr = np.asarray(v)
            if arr.dtype.kind not in _ALLOWED_DTYPE_KINDS or arr.dtype.hasobject:
                if handle is None:
                    raise Unencodable(f"array of dtype {arr.dtype}")
                return handle(v)
            buf = io.BytesIO()
            np.save(buf, arr, allow_pickle=False)
            blobs.append(buf.getvalue())
            return {"$nd": len(blobs) - 1, "scalar": isinstance(v, np.generic)}
        if type(v) in (list, tuple):
            items = [enc(x, depth + 1) for x in v]
            return items if type(v) is list else {"$tuple": items}
        if type(v) is dict and all(type(k) is str for k in v):
            return {"$dict": {k: enc(x, depth + 1) for k, x in v.items()}}
        if handle is None:
            raise Unencodable(f"value of type {type(v).__name__}")
        return handle(v)

    return enc(value, 0), blobs


def decode(tree: Any, blobs: list[bytes], remote: Callable[[dict], Any] | None = None) -> Any:
    """Rebuild a value from a JSON tree and blobs, trusting nothing in either."""
    count = 0

    def dec(t: Any, depth: int) -> Any:
        nonlocal count
        count += 1
        if depth > MAX_DEPTH or count > MAX_ITEMS:
            raise ProtocolError("value too deeply nested or too large")
        if t is None or isinstance(t, (bool, int, float, str)):
            return t
        if isinstance(t, list):
            return [dec(x, depth + 1) for x in t]
        if not isinstance(t, dict) or len(t) == 0:
            raise ProtocolError("malformed value")
        if "$nd" in t:
            return _load_array(blobs, t["$nd"], bool(t.get("scalar")))
        if "$tuple" in t and isinstance(t["$tuple"], list):
            return tuple(dec(x, depth + 1) for x in t["$tuple"])
        if "$dict" in t and isinstance(t["$dict"], dict):
            return {str(k): dec(x, depth + 1) for k, x in t["$dict"].items()}
        if "$float" in t and t["$float"] in ("inf", "-inf", "nan"):
            return float(t["$float"])
        if "$bigint" in t and isinstance(t["$bigint"], str) and len(t["$bigint"]) < 4000:
            return int(t["$bigint"])
        if "$remote" in t and remote is not None:
            return remote(t)
        raise ProtocolError("malformed value")

    return dec(tree, 0)


def _load_array(blobs: list[bytes], index: Any, scalar: bool) -> Any:
    if not isinstance(index, int) or not 0 <= index < len(blobs):
        raise ProtocolError("array reference out of range")
    try:
        arr = np.load(io.BytesIO(blobs[index]), allow_pickle=False)
    except (ValueError, OSError, EOFError) as e:
        raise ProtocolError(f"bad array: {e}") from e
    if not isinstance(arr, np.ndarray) or arr.dtype.kind not in _ALLOWED_DTYPE_KINDS:
        raise ProtocolError("array of a forbidden type")
    return arr[()] if scalar and arr.ndim == 0 else arr


# --- framing ----------------------------------------------------------------


def write_frame(fd: int, message: dict, blobs: list[bytes] = ()) -> None:
    """Write one frame to a file descriptor (blocking)."""
    header = json.dumps({"msg": message, "blobs": [len(b) for b in blobs]}).encode()
    _write_all(fd, _LEN.pack(len(header)) + header)
    for blob in blobs:
        _write_all(fd, blob)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        n = os.write(fd, view)
        view = view[n:]


def read_frame(fd: int, *, deadline: float | None = None, max_bytes: int = MAX_FRAME_BYTES) -> tuple[dict, list[bytes]]:
    """Read one frame, giving up at ``deadline`` (a ``time.monotonic()`` value)."""
    (header_len,) = _LEN.unpack(_read_exact(fd, _LEN.size, deadline))
    if header_len > min(MAX_HEADER_BYTES, max_bytes):
        raise ProtocolError(f"header of {header_len} bytes is too large")
    try:
        header = json.loads(_read_exact(fd, header_len, deadline))
    except ValueError as e:
        raise ProtocolError("header is not JSON") from e
    if not isinstance(header, dict) or not isinstance(header.get("msg"), dict):
        raise ProtocolError("header has no message")
    sizes = header.get("blobs", [])
    if not isinstance(sizes, list) or not all(isinstance(s, int) and s >= 0 for s in sizes):
        raise ProtocolError("bad blob sizes")
    if header_len + sum(sizes) > max_bytes:
        raise ProtocolError(f"frame of {header_len + sum(sizes)} bytes exceeds the {max_bytes} byte limit")
    return header["msg"], [_read_exact(fd, s, deadline) for s in sizes]


def _read_exact(fd: int, n: int, deadline: float | None) -> bytes:
    chunks, remaining = [], n
    while remaining:
        if deadline is not None:
            wait = deadline - time.monotonic()
            if wait <= 0 or not select.select([fd], [], [], wait)[0]:
                raise FrameTimeout()
        chunk = os.read(fd, min(remaining, 1 << 20))
        if not chunk:
            raise ChannelClosed("the worker closed the channel")
        chunks.append(chunk)
        remaining -= len(chunk)
    return b"".join(chunks)
