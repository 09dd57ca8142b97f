"""Writing export files: atomically, into a folder that must already exist."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from autograder.errors import GradingError


class ExportError(GradingError):
    """An export's input (grades.csv, roster, results) or output path is wrong."""


def read_text_csv(path: Path, *, missing: str, unreadable: str = "not a readable CSV",
                  error: type[GradingError] = ExportError):
    """A CSV read as text (ids stay strings, empty cells stay ''), with one-line errors naming the file."""
    import pandas as pd

    try:
        return pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except FileNotFoundError:
        raise error(f"{path}: {missing}") from None
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as e:
        raise error(f"{path}: {unreadable} ({str(e).splitlines()[0]})") from e


def check_output_path(path: Path) -> Path:
    """The path to write, once its folder is known to exist."""
    path = Path(path)
    if path.is_dir():
        raise ExportError(f"{path}: is a folder; give a file name to write")
    if not path.parent.is_dir():
        raise ExportError(f"{path}: the output folder {path.parent} does not exist")
    return path


def write_atomic(path: Path, data: str | bytes, *, encoding: str = "utf-8") -> Path:
    """Write ``data`` to a temporary file next to ``path``, then move it into place.

    A reader never sees a half-written file, and an old file survives a failed write.
    """
    path = check_output_path(path)
    payload = data.encode(encoding) if isinstance(data, str) else data
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(payload)
        os.chmod(tmp, 0o644)  # mkstemp makes 0600; exports are meant to be shared
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path
