"""Files every layer reads and writes the same way: atomic replacement, CSV cells a spreadsheet
will not run (written and read back), file names safe for any student id."""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from pathlib import Path
from typing import Any, Callable

from autograder.errors import GradingError


def read_text_csv(path: Path, *, missing: str, unreadable: str = "not a readable CSV",
                  error: type[GradingError] = GradingError):
    """A CSV read as text (ids stay strings, empty cells stay ''), with one-line errors naming the file.

    Cells neutralised by :func:`csv_cell` when grade wrote them are read back as they were.
    """
    import pandas as pd

    try:
        table = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except FileNotFoundError:
        raise error(f"{path}: {missing}") from None
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as e:
        raise error(f"{path}: {unreadable} ({str(e).splitlines()[0]})") from e
    table = table.rename(columns=csv_uncell)
    for column in table.columns:
        table[column] = table[column].map(csv_uncell)
    return table


def write_atomic(path: Path | str, write_fn: Callable[[str], Any]) -> None:
    """Write ``path`` whole or not at all: ``write_fn(tmp)`` fills a temporary file
    in the same folder, which is flushed to disk and renamed over ``path``."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    try:
        write_fn(tmp)
        os.chmod(tmp, _mode_for(path))
        with open(tmp, "rb+") as f:
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
    _fsync_dir(path.parent)


def _mode_for(path: Path) -> int:
    """Keep an existing file's mode; a new one gets 0666 minus the umask (as open() would)."""
    try:
        return path.stat().st_mode & 0o7777
    except FileNotFoundError:
        return 0o666 & ~_umask()


def _umask() -> int:
    try:
        with open("/proc/self/status", encoding="ascii") as f:
            for line in f:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    return 0o022


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:  # Windows cannot open folders
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


# -- CSV cells a spreadsheet must not run -------------------------------------------------------

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")


def _formula_like(text: str) -> bool:
    """Starts like a formula (after any quotes we added) and is not a plain number."""
    return text.lstrip("'").startswith(FORMULA_STARTS) and not _NUMBER.fullmatch(text.strip())


def csv_cell(value: Any) -> Any:
    """A value safe to write into a CSV cell (OWASP's CSV injection rule).

    Text that a spreadsheet would read as a formula (starting with ``=``, ``+``,
    ``-``, ``@``, tab or carriage return, and not a number) gets a leading ``'``.
    Text that already starts with quotes before such a character gets one more,
    so :func:`csv_uncell` gives back exactly the original. Other values pass unchanged.
    """
    if isinstance(value, str) and _formula_like(value):
        return "'" + value
    return value


def csv_uncell(value: Any) -> Any:
    """The value :func:`csv_cell` was given (what grade's own readers see)."""
    if isinstance(value, str) and value.startswith("'") and _formula_like(value[1:]):
        return value[1:]
    return value


def csv_safe(frame):
    """A copy of a DataFrame with every text cell and column name passed through :func:`csv_cell`."""
    from pandas.api.types import is_bool_dtype, is_numeric_dtype

    safe = frame.rename(columns=csv_cell)
    for column in safe.columns:
        if not (is_numeric_dtype(safe[column]) or is_bool_dtype(safe[column])):
            safe[column] = safe[column].map(csv_cell)
    return safe


def csv_text(frame, **to_csv: Any) -> str:
    """``frame.to_csv(...)`` as text, every cell neutralised first: the one way grade writes a CSV."""
    return csv_safe(frame).to_csv(index=False, **to_csv)


# -- file names from ids a student controls -----------------------------------------------------

NAME_CAP = 100  # characters of the id kept in a file name; room for suffixes and temp-file prefixes


def safe_file_name(student_id: str) -> str:
    """A file name stem for a student id: safe characters, bounded length, distinct per id.

    Letters of any script, digits, ``.``, ``-`` and ``_`` are kept; an id that had
    to be changed (other characters, a leading dot, over :data:`NAME_CAP`
    characters) gets ``-`` and a hash of the real id, so two ids never share a file.
    """
    student_id = str(student_id)
    name = re.sub(r"[^\w.-]", "_", student_id).lstrip(".")
    if name == student_id and 0 < len(name) <= NAME_CAP:
        return name
    digest = hashlib.sha256(student_id.encode("utf-8", "surrogatepass")).hexdigest()[:12]
    return f"{name[:NAME_CAP]}-{digest}" if name else digest


# -- JSON a student may have shaped -------------------------------------------------------------

JSON_DEPTH_CAP = 100  # real notebooks nest under 20 levels; Python's parser recurses once per level
_JSON_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_NOT_BRACKET = bytes(b for b in range(256) if b not in b"[]{}")


def json_depth(data: bytes) -> int:
    """How deeply arrays and objects nest in JSON text: linear time, no recursion, bounded memory."""
    import numpy as np

    brackets = np.frombuffer(_JSON_STRING.sub(b"", data).translate(None, _NOT_BRACKET), dtype=np.uint8)
    deepest, level = 0, 0
    for start in range(0, len(brackets), 1 << 22):
        chunk = brackets[start:start + (1 << 22)]
        steps = np.where((chunk == ord("[")) | (chunk == ord("{")), 1, -1).astype(np.int64)
        levels = level + np.cumsum(steps)
        deepest, level = max(deepest, int(levels.max())), int(levels[-1])
    return deepest


def parse_json_bounded(data: bytes, *, source: Path | str, max_bytes: int, max_depth: int = JSON_DEPTH_CAP,
                       what: str = "not a JSON file", error: type[GradingError] = GradingError) -> Any:
    """``json.loads(data)`` once the text is known to be no bigger and no deeper than the caps.

    A 50,000-deep array would make the parser raise RecursionError (and a huge
    file exhaust memory): both are refused first, as one-line errors naming ``source``.
    """
    import json

    if len(data) > max_bytes:
        raise error(f"{source}: {what} ({len(data) / (1 << 20):.1f} MB, more than the {max_bytes / (1 << 20):.0f} MB allowed)")
    depth = json_depth(data)
    if depth > max_depth:
        raise error(f"{source}: {what} (nested {depth} levels deep, more than the {max_depth} allowed)")
    try:
        return json.loads(data)
    except (ValueError, UnicodeDecodeError, RecursionError) as e:
        raise error(f"{source}: {what} (invalid JSON: {e})") from e
