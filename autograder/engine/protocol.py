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

import fcntl
import functools
import io
import json
import math
import os
import select
import struct
import time
from typing import Any, Callable

import numpy as np
from numpy.lib import format as npformat

MAX_HEADER_BYTES = 16 * 1024 * 1024
MAX_FRAME_BYTES = 256 * 1024 * 1024
MAX_DEPTH = 32
MAX_ITEMS = 1_000_000
MAX_ELEMENTS = MAX_FRAME_BYTES  # array elements in one value, when the caller sets no bound
NPY_HEADER_MAX = 10_000 + 16  # numpy's own limit on a .npy header, plus its preamble
_ALLOWED_DTYPE_KINDS = "biufcUS"

PIPE_BYTES = 1 << 20
ONE_WRITE_BYTES = 64 * 1024  # a frame whose arrays fit in this goes out in one write (a copy this size is cheap)
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


def decode(tree: Any, blobs: list[Any], remote: Callable[[dict], Any] | None = None, *,
           max_elements: int | None = None) -> Any:
    """Rebuild a value from a JSON tree and blobs, trusting nothing in either.

    Each blob is checked from its ``.npy`` header (dtype, shape, size) before
    anything is read from it, and decoded once however often the tree refers
    to it: the arrays share the received bytes (no copy).
    ``max_elements`` bounds the array elements the value holds, counted once
    per reference (a check that converts the value, e.g. ``np.shape`` of a
    list, makes one copy per reference), so converting all of it to float64
    stays within ``8 * max_elements`` bytes.
    """
    count = 0
    arrays: dict[int, np.ndarray] = {}
    budget = [max_elements if max_elements is not None else MAX_ELEMENTS]

    def array(index: Any, scalar: bool) -> Any:
        if not isinstance(index, int) or isinstance(index, bool) or not 0 <= index < len(blobs):
            raise ProtocolError("array reference out of range")
        if index not in arrays:
            arrays[index] = _load_array(blobs[index], budget[0])
        arr = arrays[index]
        if arr.size > budget[0]:
            raise ProtocolError(f"the reply holds more than {max_elements or MAX_ELEMENTS} array elements")
        budget[0] -= arr.size
        return arr[()] if scalar and arr.ndim == 0 else arr

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
            return array(t["$nd"], bool(t.get("scalar")))
        if "$tuple" in t and isinstance(t["$tuple"], list):
            return tuple(dec(x, depth + 1) for x in t["$tuple"])
        if "$dict" in t and isinstance(t["$dict"], dict):
            return {str(k): dec(x, depth + 1) for k, x in t["$dict"].items()}
        if "$float" in t and t["$float"] in ("inf", "-inf", "nan"):
            return float(t["$float"])
        if "$bigint" in t and isinstance(t["$bigint"], str) and len(t["$bigint"]) < 4000:
            try:
                return int(t["$bigint"])
            except ValueError:
                raise ProtocolError("malformed value") from None
        if "$remote" in t and remote is not None:
            return remote(t)
        raise ProtocolError("malformed value")

    return dec(tree, 0)


def _load_array(blob: Any, budget: int) -> np.ndarray:
    """One ``.npy`` blob as a read-only array over its bytes, after checking its header against the data."""
    view = memoryview(blob).cast("B")
    shape, fortran, dtype, offset = _array_header(bytes(view[:_header_end(view)]))
    if dtype.kind not in _ALLOWED_DTYPE_KINDS or dtype.hasobject or dtype.fields is not None or dtype.subdtype is not None:
        raise ProtocolError("array of a forbidden type")
    if not all(isinstance(n, int) and n >= 0 for n in shape):
        raise ProtocolError("bad array: malformed shape")
    elements = math.prod(shape)
    if elements > budget:
        raise ProtocolError(f"array of {elements} elements is over the {budget} elements left for this reply")
    if elements * dtype.itemsize != len(view) - offset:
        raise ProtocolError(f"bad array: {len(view) - offset} bytes of data for shape {shape} of {dtype}")
    arr = np.frombuffer(view, dtype=dtype, count=elements, offset=offset) if elements else np.empty(0, dtype)
    arr = arr.reshape(shape, order="F" if fortran else "C")
    # Writable, as np.load's arrays were: student code may change its inputs in place. Only a forged
    # reply names one blob twice, and then its references share the one array.
    return arr if arr.flags.writeable else arr.copy()


def _header_end(view: memoryview) -> int:
    """Where a ``.npy`` blob's header ends (magic, version, length and the header itself)."""
    size = 2 if bytes(view[6:8]) == b"\x01\x00" else 4
    length = int.from_bytes(bytes(view[8:8 + size]), "little") if len(view) >= 8 + size else 0
    return min(8 + size + length, NPY_HEADER_MAX)


@functools.lru_cache(maxsize=256)
def _array_header(head: bytes) -> tuple[tuple[int, ...], bool, np.dtype, int]:
    """(shape, Fortran order, dtype, data offset) of one header, parsed by numpy once per distinct header."""
    stream = io.BytesIO(head)
    try:
        version = npformat.read_magic(stream)
        if version not in ((1, 0), (2, 0)):
            raise ValueError(f"unknown .npy version {version}")
        reader = npformat.read_array_header_1_0 if version == (1, 0) else npformat.read_array_header_2_0
        shape, fortran, dtype = reader(stream)
    except (ValueError, OSError, EOFError, SyntaxError, TypeError) as e:
        raise ProtocolError(f"bad array: {e}") from e
    return shape, fortran, dtype, stream.tell()


# --- framing ----------------------------------------------------------------


def write_frame(fd: int, message: dict, blobs: list[bytes] = (), *, deadline: float | None = None) -> None:
    """Write one frame, giving up at ``deadline`` (a ``time.monotonic()`` value) with :class:`FrameTimeout`.

    With a deadline, ``fd`` must be non-blocking (see :func:`nonblocking`): a
    reader that stops reading can then stall the writer only until the deadline.
    """
    header = json.dumps({"msg": message, "blobs": [len(b) for b in blobs]}).encode()
    if sum(len(b) for b in blobs) <= ONE_WRITE_BYTES:  # one write, one wake-up of the reader
        _write_all(fd, b"".join([_LEN.pack(len(header)), header, *blobs]), deadline)
        return
    _write_all(fd, _LEN.pack(len(header)) + header, deadline)
    for blob in blobs:
        _write_all(fd, blob, deadline)


def nonblocking(fd: int) -> int:
    """``fd`` switched to non-blocking mode, for reads and writes bounded by a deadline."""
    os.set_blocking(fd, False)
    return fd


def widen(fd: int, size: int = PIPE_BYTES) -> None:
    """Give the pipe ``fd`` a bigger buffer where the system allows: fewer wake-ups per megabyte on a busy machine."""
    try:
        fcntl.fcntl(fd, fcntl.F_SETPIPE_SZ, size)
    except (OSError, AttributeError):
        pass


def _wait(fd: int, deadline: float | None, *, write: bool) -> None:
    """Wait until ``fd`` is ready, or raise :class:`FrameTimeout` at the deadline."""
    wait = None if deadline is None else deadline - time.monotonic()
    if wait is not None and wait <= 0:
        raise FrameTimeout()
    poller = select.poll()
    poller.register(fd, (select.POLLOUT if write else select.POLLIN) | select.POLLERR | select.POLLHUP)
    if not poller.poll(None if wait is None else max(1, math.ceil(wait * 1000))):
        raise FrameTimeout()


def _write_all(fd: int, data: bytes, deadline: float | None) -> None:
    view = memoryview(data).cast("B")
    while view:
        _check(deadline)
        try:
            n = os.write(fd, view[:1 << 20])
        except BlockingIOError:  # the pipe is full: wait for room, until the deadline
            _wait(fd, deadline, write=True)
            continue
        view = view[n:]


def _check(deadline: float | None) -> None:
    if deadline is not None and time.monotonic() >= deadline:
        raise FrameTimeout()


def read_frame(fd: int, *, deadline: float | None = None, max_bytes: int = MAX_FRAME_BYTES,
               max_header: int = MAX_HEADER_BYTES) -> tuple[dict, list[memoryview]]:
    """Read one frame, giving up at ``deadline`` (a ``time.monotonic()`` value; ``fd`` must then be
    non-blocking, see :func:`nonblocking`).

    Sizes are checked before anything is read: the header against ``max_header``
    and the whole frame against ``max_bytes``. The blobs are read into one buffer
    of exactly their announced size and returned as views into it.
    """
    (header_len,) = _LEN.unpack(_read_exact(fd, _LEN.size, deadline))
    if header_len > min(max_header, max_bytes):
        raise ProtocolError(f"header of {header_len} bytes is too large (limit {min(max_header, max_bytes)})")
    try:
        header = json.loads(_read_exact(fd, header_len, deadline))
    except (ValueError, RecursionError) as e:
        raise ProtocolError("header is not JSON") from e
    if not isinstance(header, dict) or not isinstance(header.get("msg"), dict):
        raise ProtocolError("header has no message")
    sizes = header.get("blobs", [])
    if not isinstance(sizes, list) or not all(type(s) is int and s >= 0 for s in sizes):
        raise ProtocolError("bad blob sizes")
    if header_len + sum(sizes) > max_bytes:
        raise ProtocolError(f"frame of {header_len + sum(sizes)} bytes exceeds the {max_bytes} byte limit")
    data = bytearray(sum(sizes))
    _read_into(fd, memoryview(data), deadline)
    view, blobs, at = memoryview(data), [], 0
    for size in sizes:
        blobs.append(view[at:at + size])
        at += size
    return header["msg"], blobs


def _read_exact(fd: int, n: int, deadline: float | None) -> bytes:
    buffer = bytearray(n)
    _read_into(fd, memoryview(buffer), deadline)
    return bytes(buffer)


def _read_into(fd: int, view: memoryview, deadline: float | None) -> None:
    while view:  # read first, wait only when nothing is there: most of a frame is there by now
        _check(deadline)
        try:
            n = os.readv(fd, [view[:1 << 20]])
        except BlockingIOError:  # nothing there yet: wait for it, until the deadline
            _wait(fd, deadline, write=False)
            continue
        if n == 0:
            raise ChannelClosed("the worker closed the channel")
        view = view[n:]


# --- progress: the worker says which cell runs and relays the last line of output ------------------

PROGRESS_TEXT_CAP = 200  # characters of the student's output relayed per progress message
MAX_PROGRESS_MESSAGES = 10_000  # per run; more means a worker flooding the grader


def progress_message(cell: int, of: int, text: str = "") -> dict:
    """What the worker sends while it runs the code: ``{"progress": {...}}``; the run's reply comes after."""
    return {"progress": {"cell": int(cell), "of": int(of), "text": str(text)[:PROGRESS_TEXT_CAP]}}


def read_progress(message: dict) -> tuple[int, int, str] | None:
    """(cell, of, text) of a well-formed progress message, None for any other message.

    Raises ProtocolError for a progress message of the wrong shape (the worker is not trusted).
    """
    if set(message) != {"progress"}:
        return None
    body = message["progress"]
    if not isinstance(body, dict) or set(body) != {"cell", "of", "text"}:
        raise ProtocolError("malformed progress message")
    cell, of, text = body["cell"], body["of"], body["text"]
    if not all(type(n) is int for n in (cell, of)) or not 0 <= cell <= of <= MAX_PROGRESS_MESSAGES or not isinstance(text, str):
        raise ProtocolError("malformed progress message")
    printable = "".join(ch if ch.isprintable() else f"\\x{ord(ch):02x}" if ord(ch) < 256 else "?" for ch in text)
    return cell, of, printable[:PROGRESS_TEXT_CAP]
