"""The batch journal: finished submissions recorded as they complete (SQLite)."""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import tempfile
from pathlib import Path
from typing import Any, Callable


class Journal:
    """Results keyed by (student, content hash, rubric hash, engine version)."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)

    def __enter__(self) -> Journal:
        self.db = sqlite3.connect(self.path)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=FULL")
        self.db.execute(
            "CREATE TABLE IF NOT EXISTS results (student_id TEXT, content_hash TEXT, rubric_hash TEXT,"
            " engine_version TEXT, result TEXT, PRIMARY KEY (student_id, content_hash, rubric_hash, engine_version))"
        )
        self.db.commit()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.db.close()

    def lookup(self, student_id: str, content_hash: str, rubric_hash: str, engine_version: str) -> dict | None:
        row = self.db.execute(
            "SELECT result FROM results WHERE student_id=? AND content_hash=? AND rubric_hash=? AND engine_version=?",
            (student_id, content_hash, rubric_hash, engine_version),
        ).fetchone()
        return json.loads(row[0]) if row else None

    def record(self, student_id: str, content_hash: str, rubric_hash: str, engine_version: str, result: dict) -> None:
        with self.db:
            self.db.execute("INSERT OR REPLACE INTO results VALUES (?, ?, ?, ?, ?)",
                            (student_id, content_hash, rubric_hash, engine_version, json.dumps(result)))


def rubric_hash(rubric_dir: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(Path(rubric_dir).rglob("*")):
        if path.is_file() and (path.name == "rubric.toml" or path.suffix == ".py") and "mutants" not in path.parts:
            digest.update(str(path.relative_to(rubric_dir)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:16]


def write_atomic(path: Path, write: Callable[[str], None]) -> None:
    """Write through a temporary file in the same folder, then rename over ``path``."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    try:
        write(tmp)
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise
