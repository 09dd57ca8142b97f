"""Blackboard Grade Center upload CSV (Work Offline > Upload).

Blackboard matches students by ``Username`` and columns by the column id after
``|`` in the header: ``<Title> [Total Pts: N Score] |<column id>``. A header
without an id creates a new text column worth 0 points, so the id is required.
In a comma-separated upload every value must be quoted.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pandas as pd

from autograder.files import csv_text
from autograder.exports.files import ExportError, write_atomic
from autograder.exports.grades import format_points

IDENTITY = ("Last Name", "First Name", "Username", "Student ID")


def blackboard_column(title: str, column_id: str | None, points_possible: float) -> str:
    title = " ".join(str(title).split())
    if not title:
        raise ExportError("Blackboard needs a column title (--assignment-title)")
    column_id = "" if column_id is None else str(column_id).strip()
    if not column_id:
        raise ExportError("Blackboard needs the Grade Center column id (--assignment-id): the number after "
                          "'|' in a downloaded column header; without it Blackboard makes a new 0-point text column")
    if not re.fullmatch(r"[A-Za-z0-9_]+", column_id):
        raise ExportError(f"Blackboard column id must be letters, digits or _, not {column_id!r}")
    if "[" in title or "|" in title:
        raise ExportError(f"Blackboard column title {title!r} cannot hold '[' or '|'")
    return f"{title} [Total Pts: {format_points(points_possible)} Score] |{column_id}"


def blackboard_frame(rows: pd.DataFrame, *, title: str, column_id: str | None,
                     points_possible: float) -> pd.DataFrame:
    missing = [c for c in ("first_name", "last_name", "name", "username", "student_number", "total")
               if c not in rows.columns]
    if missing:
        raise ExportError(f"Blackboard export: the rows lack column {missing[0]}")
    column = blackboard_column(title, column_id, points_possible)
    last = [ln if (ln or fn) else name for ln, fn, name in zip(rows["last_name"], rows["first_name"], rows["name"])]
    return pd.DataFrame({
        "Last Name": last,
        "First Name": rows["first_name"].astype(str).to_numpy(),
        "Username": rows["username"].astype(str).to_numpy(),
        "Student ID": rows["student_number"].astype(str).to_numpy(),
        column: [format_points(v) for v in rows["total"]],
    })


def write_blackboard(rows: pd.DataFrame, path: Path, *, title: str, column_id: str | None,
                     points_possible: float) -> Path:
    """Write a Grade Center upload CSV: UTF-8 with a byte-order mark, every value quoted."""
    frame = blackboard_frame(rows, title=title, column_id=column_id, points_possible=points_possible)
    text = csv_text(frame, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
    return write_atomic(path, "\ufeff" + text)
