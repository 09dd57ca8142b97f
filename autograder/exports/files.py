"""Writing export files: atomically, creating missing parent folders as ``grade feedback`` does."""

from __future__ import annotations

from pathlib import Path

from autograder import files
from autograder.errors import GradingError


class ExportError(GradingError):
    """An export's input (grades.csv, roster, results) or output path is wrong."""


def check_output_path(path: Path) -> Path:
    """The path to write, once it is known that it and its missing folders can be made (nothing is made yet)."""
    path = Path(path)
    if path.is_dir():
        raise ExportError(f"{path}: is a folder; give a file name to write")
    existing = next(p for p in path.absolute().parents if p.exists())
    if not existing.is_dir():
        raise ExportError(f"{path}: {existing} is a file, not a folder")
    return path


def read_text_csv(path: Path, *, missing: str, unreadable: str = "not a readable CSV"):
    """A CSV read as text, whose problems are ``ExportError``s (see :func:`autograder.files.read_text_csv`)."""
    return files.read_text_csv(path, missing=missing, unreadable=unreadable, error=ExportError)


def write_atomic(path: Path, data: str | bytes, *, encoding: str = "utf-8") -> Path:
    """Write ``data`` whole or not at all, making missing folders (see :func:`autograder.files.write_atomic`)."""
    path = check_output_path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = data.encode(encoding) if isinstance(data, str) else data
    files.write_atomic(path, lambda tmp: Path(tmp).write_bytes(payload))
    return path
