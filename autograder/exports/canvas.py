"""Canvas gradebook import CSV (Grades > Import).

Canvas reads the header ``Student, ID, SIS User ID, SIS Login ID, Section`` and then
one column per assignment, titled ``<Title> (<assignment id>)``; a second row whose
first cell is ``Points Possible`` gives each assignment's points. A student row is
matched by its Canvas ``ID``, else its SIS User ID or SIS Login ID, else its name.
An empty grade cell leaves the gradebook as it is.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from autograder.files import csv_text
from autograder.exports.files import ExportError, write_atomic
from autograder.exports.grades import format_points

IDENTITY = ("Student", "ID", "SIS User ID", "SIS Login ID", "Section")
SOURCES = {"Student": "name", "ID": "canvas_id", "SIS User ID": "sis_user_id", "SIS Login ID": "sis_login_id",
           "Section": "section"}
POINTS_POSSIBLE = "Points Possible"


def canvas_column(title: str, assignment_id: str | None) -> str:
    """``Title (12345)``: the id makes Canvas update that assignment instead of creating one."""
    title = " ".join(str(title).split())
    if not title:
        raise ExportError("Canvas needs an assignment title (--assignment-title)")
    if assignment_id is None or str(assignment_id).strip() == "":
        return title
    assignment_id = str(assignment_id).strip()
    if not assignment_id.isdigit():
        raise ExportError(f"Canvas assignment id must be the number in the assignment's URL "
                          f"(.../assignments/12345), not {assignment_id!r}")
    return f"{title} ({assignment_id})"


def canvas_frame(rows: pd.DataFrame, *, title: str, assignment_id: str | None, points_possible: float,
                 points_row: bool = True) -> pd.DataFrame:
    """The import file as a DataFrame of strings (``rows``: roster fields and ``total``)."""
    missing = [c for c in (*SOURCES.values(), "total") if c not in rows.columns]
    if missing:
        raise ExportError(f"Canvas export: the rows lack column {missing[0]}")
    column = canvas_column(title, assignment_id)
    body = pd.DataFrame({header: rows[source].astype(str) for header, source in SOURCES.items()})
    body[column] = [format_points(v) for v in rows["total"]]
    if not points_row:
        return body.reset_index(drop=True)
    head = pd.DataFrame([{**{h: "" for h in IDENTITY}, "Student": POINTS_POSSIBLE,
                          column: format_points(points_possible)}])
    return pd.concat([head, body], ignore_index=True)


def write_canvas(rows: pd.DataFrame, path: Path, *, title: str, assignment_id: str | None,
                 points_possible: float, points_row: bool = True) -> Path:
    """Write a Canvas gradebook import CSV (UTF-8) atomically."""
    frame = canvas_frame(rows, title=title, assignment_id=assignment_id, points_possible=points_possible,
                         points_row=points_row)
    return write_atomic(path, csv_text(frame, lineterminator="\n"))


def title_and_id(header: str) -> tuple[str, str | None]:
    """Split ``Title (12345)`` the way Canvas does."""
    match = re.fullmatch(r"(.*)\s+\((\d+)\)", header)
    return (match.group(1), match.group(2)) if match else (header, None)
