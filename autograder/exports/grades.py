"""Reading the batch's grades.csv back: its columns, their types, the points possible.

grades.csv columns, in order (written by ``grade batch``)::

    student_id, name, <one column per check, points earned>, [raw_total, late_penalty, late_by],
    total, max, percent, status, graded_by, sandbox, duration_s, <metric columns>, notes,
    review, content_hash, submitted_at

Text cells that a spreadsheet would run as formulas were written with a leading
``'`` (:func:`autograder.files.csv_cell`); reading gives the real values back.
``review`` says why a TA should look at a row (e.g. an accuracy above the
rubric's ``plausible_max``); it never changes the points.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from autograder.exports.files import ExportError, read_text_csv

REQUIRED = ("student_id", "total", "max", "percent", "status")
TEXT = ("student_id", "name", "status", "graded_by", "sandbox", "notes", "review", "content_hash", "submitted_at",
        "late_by")
LATE = ("raw_total", "late_penalty", "late_by")
# Columns after the check columns, in the order batch writes them.
FIXED = (*LATE, "total", "max", "percent", "status", "graded_by", "sandbox", "duration_s", "notes", "review",
         "content_hash", "submitted_at")


def read_grades(path: Path, *, require: tuple[str, ...] = REQUIRED) -> pd.DataFrame:
    """grades.csv as a DataFrame: ids and texts as str (never NaN), points as floats."""
    path = Path(path)
    grades = read_text_csv(path, missing="no such grades file (run grade batch first)")
    missing = [c for c in require if c not in grades.columns]
    if missing:
        raise ExportError(f"{path}: missing column {missing[0]} (is this a grades.csv from grade batch?)")
    for column in grades.columns:
        if column in TEXT:
            continue
        try:
            values = grades[column]
            grades[column] = pd.to_numeric(values.mask(values.str.strip() == ""), errors="raise").astype(float)
        except (ValueError, TypeError) as e:
            raise ExportError(f"{path}: column {column} holds a value that is not a number ({e})") from e
    return grades


def check_columns(grades: pd.DataFrame) -> list[str]:
    """The per-check point columns: those between student_id and the fixed columns."""
    columns = list(grades.columns)
    start = columns.index("student_id") + 1
    if start < len(columns) and columns[start] == "name":  # the LMS's name of the student (older files lack it)
        start += 1
    end = next((i for i, c in enumerate(columns) if c in FIXED), len(columns))
    return columns[start:end]


def metric_columns(grades: pd.DataFrame) -> list[str]:
    """Figures checks recorded (e.g. accuracy): between duration_s and notes."""
    columns = list(grades.columns)
    if "duration_s" not in columns or "notes" not in columns:
        return []
    return columns[columns.index("duration_s") + 1: columns.index("notes")]


def points_possible(grades: pd.DataFrame, *, source: Path | str) -> float:
    """The assignment's maximum points, the same for every graded row."""
    values = sorted({round(float(v), 6) for v in grades["max"].dropna() if float(v) > 0})
    if not values:
        raise ExportError(f"{source}: column max has no positive value; cannot tell the points possible")
    if len(values) > 1:
        shown = ", ".join(f"{v:g}" for v in values)
        raise ExportError(f"{source}: column max has several values ({shown}); were rows graded with different rubrics?")
    return values[0]


def format_points(value: float | None) -> str:
    """Points as an LMS reads them: ``7``, ``7.5``, ``6.67``; empty for no grade."""
    if value is None or pd.isna(value):
        return ""
    text = f"{float(value):.2f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def late_columns_present(grades: pd.DataFrame) -> bool:
    """Whether a late policy was applied (raw_total, late_penalty and late_by are there)."""
    return all(c in grades.columns for c in LATE)
