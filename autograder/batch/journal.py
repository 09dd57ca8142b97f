"""The batch journal: each finished submission recorded as it completes (SQLite).

A batch can be killed at any moment (SIGKILL, a power cut, Ctrl-C) and run
again: every result committed before the kill is found by :meth:`Journal.lookup`
and only what is missing is graded. Results are keyed by the student, the
submission's content hash, the grading key (:func:`grade_key`: the rubric's hash,
every grade-relevant option, the data the options point at, the sandbox mode)
and the engine version, so a resubmission, an edited check, another seed, data
set or time limit, or a new grader regrades exactly what it affects. Output files are replaced atomically
(:func:`write_atomic`): a reader sees the old file or the new one, never half.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any, Iterator

from autograder.errors import GradingError
from autograder.files import write_atomic  # noqa: F401  (the journal's callers write results through it)

SCHEMA_VERSION = 1
SKIPPED_PARTS = {"__pycache__", "mutants", ".pytest_cache"}  # never affect a grade
# GradeOptions fields that cannot change a grade. Every other field, including ones added later
# (say, a held-out data folder), is in the key; a Path is keyed by what the folder or file holds.
NOT_GRADE_RELEVANT = {"threads"}  # BLAS / TensorFlow threads per worker: speed, set from -j

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS results (
    student_id TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    rubric_hash TEXT NOT NULL,  -- holds the grading key (grade_key), which covers the rubric's hash
    engine_version TEXT NOT NULL,
    result TEXT NOT NULL,
    recorded_at REAL NOT NULL,
    PRIMARY KEY (student_id, content_hash, rubric_hash, engine_version)
);
"""


class Journal:
    """Finished results keyed by (student, content hash, rubric hash, engine version).

    Use as a context manager. Each :meth:`record` is its own committed
    transaction in WAL mode with ``synchronous=FULL``, so a record that returned
    survives the writer being killed; one that did not is simply absent.
    """

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self._db: sqlite3.Connection | None = None
        self._lock = threading.Lock()

    def __enter__(self) -> Journal:
        try:
            self._db = sqlite3.connect(self.path, timeout=30, isolation_level=None, check_same_thread=False)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=FULL")
            self._db.executescript(_SCHEMA)
            self._db.execute("INSERT OR IGNORE INTO meta VALUES ('schema', ?)", (str(SCHEMA_VERSION),))
            version = self._db.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone()[0]
        except sqlite3.DatabaseError as e:
            self.close()
            raise GradingError(f"{self.path}: not a usable grade journal ({e}); delete it to start over") from e
        if version != str(SCHEMA_VERSION):
            self.close()
            raise GradingError(f"{self.path}: journal format {version} is not {SCHEMA_VERSION}; delete it to start over")
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None

    @property
    def db(self) -> sqlite3.Connection:
        if self._db is None:
            raise RuntimeError("the journal is not open: use it in a with block")
        return self._db

    def lookup(self, student_id: str, content_hash: str, rubric_hash: str, engine_version: str) -> dict | None:
        """The stored SubmissionResult dict for exactly this key, or None."""
        with self._lock:
            row = self.db.execute(
                "SELECT result FROM results WHERE student_id = ? AND content_hash = ? AND rubric_hash = ?"
                " AND engine_version = ?", (student_id, content_hash, rubric_hash, engine_version)).fetchone()
        return json.loads(row[0]) if row else None

    def record(self, student_id: str, content_hash: str, rubric_hash: str, engine_version: str,
               result_dict: dict) -> None:
        """Store one finished result and commit before returning (replaces an older one)."""
        text = json.dumps(result_dict, ensure_ascii=False)
        with self._lock:
            self.db.execute("BEGIN IMMEDIATE")
            try:
                self.db.execute("INSERT OR REPLACE INTO results VALUES (?, ?, ?, ?, ?, ?)",
                                (student_id, content_hash, rubric_hash, engine_version, text, time.time()))
            except BaseException:
                self.db.execute("ROLLBACK")
                raise
            self.db.execute("COMMIT")

    def students(self) -> Iterator[str]:
        """Every student with at least one recorded result."""
        with self._lock:
            rows = self.db.execute("SELECT DISTINCT student_id FROM results ORDER BY student_id").fetchall()
        return iter([r[0] for r in rows])

    def __len__(self) -> int:
        with self._lock:
            return self.db.execute("SELECT COUNT(*) FROM results").fetchone()[0]


def rubric_hash(rubric_dir: Path | str) -> str:
    """A short hash of what decides grades in a rubric folder.

    Covers ``rubric.toml``, every check module (``test_*.py``, ``conftest.py``,
    helpers) and data files beside them (expected values, held-out labels),
    each with its path relative to the folder, sorted by path. Byte-code caches,
    ``mutants/`` (known-buggy variants used by the project's own tests) and
    hidden files are left out.
    """
    return _tree_digest(Path(rubric_dir), skip_hidden=True)[:16]


def grade_key(rubric: Any, options: Any, *, sandbox: str) -> str:
    """A short hash of everything besides the submission that can change its grade.

    ``rubric`` is a loaded Rubric and ``options`` the GradeOptions: the rubric folder
    (:func:`rubric_hash`), each grade-relevant option (seed, suite, timeout,
    environment, and what every folder or file option holds, e.g. ``--data-dir`` or
    a held-out set), the Fashion-MNIST files the assignment reads when it reads
    them, and the sandbox mode.
    """
    parts: dict[str, Any] = {"rubric": rubric_hash(rubric.folder), "sandbox": sandbox}
    for option in dataclasses.fields(options):
        if option.name not in NOT_GRADE_RELEVANT:
            parts[f"option:{option.name}"] = _identity(getattr(options, option.name))
    if rubric.params.get("dataset") == "fashion-mnist":
        from autograder.grading.datasets import find_fashion_mnist

        parts["data"] = _identity(find_fashion_mnist(options.data_dir))
    text = json.dumps(parts, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _identity(value: Any) -> Any:
    """An option's value as the key sees it: a path by where it is and what it holds."""
    if isinstance(value, Path):
        resolved = value.expanduser().resolve()
        return {"path": str(resolved), "content": _tree_digest(resolved, skip_hidden=False) if resolved.exists() else None}
    if isinstance(value, dict):
        return {str(k): _identity(v) for k, v in sorted(value.items(), key=lambda kv: str(kv[0]))}
    if isinstance(value, (list, tuple)):
        return [_identity(v) for v in value]
    return value


def _tree_digest(root: Path, *, skip_hidden: bool) -> str:
    """sha256 of a file, or of a folder's files: each relative path and content, length-prefixed, in path order."""
    digest = hashlib.sha256()
    members = [root] if root.is_file() else sorted(root.rglob("*"), key=lambda p: p.relative_to(root).as_posix())
    for path in members:
        relative = path.relative_to(root) if path != root else Path(path.name)
        if not path.is_file() or SKIPPED_PARTS & set(relative.parts):
            continue
        if skip_hidden and (any(part.startswith(".") for part in relative.parts) or path.suffix == ".pyc"):
            continue
        name = relative.as_posix().encode()
        digest.update(name + b"\0" + str(path.stat().st_size).encode() + b"\0")
        with open(path, "rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                digest.update(block)
    return digest.hexdigest()
