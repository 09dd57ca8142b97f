"""The front door of ``grade export``: grades.csv + roster -> one LMS import file."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from autograder.errors import UsageError
from autograder.exports.blackboard import write_blackboard
from autograder.exports.canvas import write_canvas
from autograder.exports.csv_export import write_csv
from autograder.exports.files import ExportError, check_output_path
from autograder.exports.grades import points_possible, read_grades
from autograder.exports.moodle import KEYS as MOODLE_KEYS, write_moodle
from autograder.exports.feedback import short_feedback
from autograder.exports.roster import FIELDS, MISSING_POLICIES, Roster, RosterMatch, match_roster, read_roster
from autograder.grading.results import CheckResult

FORMATS = ("canvas", "moodle", "blackboard", "csv")
# Roster fields an LMS finds a student by; at least one per row must be filled.
IDENTITY = {"canvas": ("canvas_id", "sis_user_id", "sis_login_id"), "blackboard": ("username",)}


@dataclass
class ExportReport:
    path: Path
    to: str
    rows: int
    match: RosterMatch | None = None

    def lines(self) -> list[str]:
        """What the CLI prints: the roster's findings, then what was written."""
        found = self.match.lines() if self.match is not None else []
        return [*found, f"Wrote {self.path} ({self.to}, {self.rows} students)"]


def export_grades(grades_csv: Path, out: Path, *, to: str, roster: Path | None = None, title: str | None = None,
                  assignment_id: str | None = None, missing: str = "empty", moodle_key: str = "email",
                  roster_columns: Mapping[str, str] | None = None, lang: str = "ko",
                  results_dir: Path | None = None) -> ExportReport:
    """Write grades.csv in an LMS's import format, students matched through the roster.

    ``results_dir`` (default: ``results/`` next to grades.csv, when present) lets the
    Moodle feedback name the checks that lost points.
    """
    if to not in FORMATS:
        raise UsageError(f"--to must be one of {', '.join(FORMATS)}, not {to!r}")
    if missing not in MISSING_POLICIES:
        raise UsageError(f"--missing must be one of {', '.join(MISSING_POLICIES)}, not {missing!r}")
    grades_csv = Path(grades_csv)
    out = check_output_path(out)
    grades = read_grades(grades_csv)
    if to == "csv" and roster is None:
        return ExportReport(write_csv(grades, out), to, len(grades))
    if roster is None:
        raise UsageError(f"--roster is needed for --to {to}: the LMS matches students by its own ids")
    if not title:
        raise UsageError(f"--assignment-title is needed for --to {to}")
    people = read_roster(roster, columns=roster_columns)
    match = match_roster(grades, people, missing=missing)
    rows = match.rows
    if to == "csv":
        identity = [f for f in FIELDS if f != "student_id" and (people.has(f) or f == "name")]
        unused = [f for f in FIELDS if f not in identity and f != "student_id"] + ["line", "submitted"]
        extra = grades[grades["student_id"].isin(match.unmatched_submissions)]  # kept: a CSV needs no LMS id
        rows = pd.concat([rows.drop(columns=unused), extra], ignore_index=True)
        match.unmatched_kept = True
        written = write_csv(rows, out, identity=identity)
    elif to == "canvas":
        _require_identity(people, rows, IDENTITY["canvas"], "Canvas")
        written = write_canvas(rows, out, title=title, assignment_id=assignment_id,
                               points_possible=points_possible(grades, source=grades_csv))
    elif to == "blackboard":
        _require_identity(people, rows, IDENTITY["blackboard"], "Blackboard")
        written = write_blackboard(rows, out, title=title, column_id=assignment_id,
                                   points_possible=points_possible(grades, source=grades_csv))
    else:
        if moodle_key not in MOODLE_KEYS:
            raise UsageError(f"--moodle-key must be one of {', '.join(MOODLE_KEYS)}, not {moodle_key!r}")
        _require_identity(people, rows, (moodle_key,), "Moodle")
        results = _results_dir(grades_csv, results_dir)
        rows = rows.assign(feedback=[_feedback(r, results, lang) for _, r in rows.iterrows()])
        written = write_moodle(rows, out, title=title, key=moodle_key)
    return ExportReport(written, to, len(rows), match)


def _require_identity(roster: Roster, rows: pd.DataFrame, fields: tuple[str, ...], lms: str) -> None:
    """Every exported row carries one of ``fields``; name the roster lines that do not."""
    if not any(roster.has(f) for f in fields):
        raise ExportError(f"{roster.path}: {lms} finds students by {' or '.join(fields)}, and the roster has "
                          f"no such column (name it with --roster-column {fields[0]}=HEADER)")
    empty = rows[(rows[list(fields)] == "").all(axis=1)]
    if len(empty):
        lines = ", ".join(str(n) for n in empty["line"].head(10))
        raise ExportError(f"{roster.path}: line {lines}: no {' or '.join(fields)} for {lms} to find the student by")


def _results_dir(grades_csv: Path, results_dir: Path | None) -> Path | None:
    if results_dir is not None:
        if not Path(results_dir).is_dir():
            raise ExportError(f"{results_dir}: no such results folder")
        return Path(results_dir)
    default = grades_csv.parent / "results"
    return default if default.is_dir() else None


def _feedback(row: pd.Series, results: Path | None, lang: str) -> str:
    check_results = None
    if results is not None and row.get("submitted", True) and row.get("student_id"):
        path = results / f"{row['student_id']}.json"
        if path.is_file():
            try:
                data = json.loads(path.read_text(encoding="utf-8"))
                check_results = [CheckResult.from_dict(c) for c in data.get("checks", [])]
            except (ValueError, TypeError, KeyError) as e:
                raise ExportError(f"{path}: not a result file from grade batch ({e})") from e
    return short_feedback(row.to_dict(), lang=lang, checks=check_results)
