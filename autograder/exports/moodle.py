"""Moodle grade import CSV (Grades > Import > CSV file).

Moodle maps columns by hand at import time: "Identify user by" maps the key
column (email address, username or ID number) to a user field, the grade column
to the grade item, and ``Feedback`` to that item's feedback. Headers here follow
Moodle's own export (``Email address``, ``Username``, ``ID number``) so the
mapping form recognises them.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from autograder.files import csv_text
from autograder.exports.files import ExportError, write_atomic
from autograder.exports.grades import format_points

KEYS = {"email": "Email address", "username": "Username", "idnumber": "ID number"}
FEEDBACK = "Feedback"


def moodle_frame(rows: pd.DataFrame, *, title: str, key: str = "email") -> pd.DataFrame:
    """Key column, grade column (the assignment title) and Feedback, as strings."""
    if key not in KEYS:
        raise ExportError(f"Moodle key must be one of {', '.join(KEYS)}, not {key!r}")
    title = " ".join(str(title).split())
    if not title:
        raise ExportError("Moodle needs a grade column title (--assignment-title)")
    if title in (KEYS[key], FEEDBACK):
        raise ExportError(f"Moodle grade column title {title!r} clashes with another column's name")
    missing = [c for c in (key, "total", "feedback") if c not in rows.columns]
    if missing:
        raise ExportError(f"Moodle export: the rows lack column {missing[0]}")
    return pd.DataFrame({
        KEYS[key]: rows[key].astype(str).to_numpy(),
        title: [format_points(v) for v in rows["total"]],
        FEEDBACK: rows["feedback"].astype(str).to_numpy(),
    })


def write_moodle(rows: pd.DataFrame, path: Path, *, title: str, key: str = "email") -> Path:
    """Write a Moodle grade import CSV (UTF-8, comma separated) atomically."""
    frame = moodle_frame(rows, title=title, key=key)
    return write_atomic(path, csv_text(frame, lineterminator="\n"))
