"""Files every layer reads and writes the same way: atomic replacement, CSV read as text."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any, Callable

from autograder.errors import GradingError


def read_text_csv(path: Path, *, missing: str, unreadable: str = "not a readable CSV",
                  error: type[GradingError] = GradingError):
    """A CSV read as text (ids stay strings, empty cells stay ''), with one-line errors naming the file."""
    import pandas as pd

    try:
        return pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except FileNotFoundError:
        raise error(f"{path}: {missing}") from None
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as e:
        raise error(f"{path}: {unreadable} ({str(e).splitlines()[0]})") from e


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
