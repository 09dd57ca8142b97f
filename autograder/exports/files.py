"""Writing export files: atomically, into a folder that must already exist."""

from __future__ import annotations

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
    """Write ``data`` whole or not at all, into a folder that must exist (see journal.write_atomic)."""
    from autograder.batch.journal import write_atomic as replace_atomically

    path = check_output_path(path)
    payload = data.encode(encoding) if isinstance(data, str) else data
    replace_atomically(path, lambda tmp: Path(tmp).write_bytes(payload))
    return path
