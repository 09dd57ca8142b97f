"""The front door of ``grade export``: grades.csv + roster -> one LMS import file."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from autograder.errors import UsageError
from autograder.exports.blackboard import write_blackboard
from autograder.exports.canvas import write_canvas
from autograder.exports.csv_export import write_csv
from autograder.exports.files import ExportError, check_output_path
from autograder.exports.grades import points_possible, read_grades
from autograder.exports.moodle import KEYS as MOODLE_KEYS, write_moodle
from autograder.exports.feedback import load_result, short_feedback
from autograder.files import safe_file_name
from autograder.exports.roster import FIELDS, MISSING_POLICIES, Roster, RosterMatch, match_roster, read_roster

FORMATS = ("canvas", "moodle", "blackboard", "csv")
ERROR_POLICIES = ("empty", "zero")
# Roster fields an LMS finds a student by; at least one per row must be filled.
IDENTITY = {"canvas": ("canvas_id", "sis_user_id", "sis_login_id"), "blackboard": ("username",)}


@dataclass
class ExportReport:
    path: Path
    to: str
    rows: int
    match: RosterMatch | None = None
    not_graded: list[str] = field(default_factory=list)  # "id (status)": grader error or timeout
    errors_as: str = "empty"
    problems: list[str] = field(default_factory=list)  # students exported with less than they should have

    def lines(self) -> list[str]:
        """What the CLI prints: the roster's findings, then what was written."""
        found = self.match.lines() if self.match is not None else []
        if self.not_graded:
            how = "left empty (give --errors zero to export 0)" if self.errors_as == "empty" else "exported as 0"
            found.append(f"Not graded (error or timeout), {how} ({len(self.not_graded)}): " + ", ".join(self.not_graded))
        return [*found, f"Wrote {self.path} ({self.to}, {self.rows} students)"]


def export_grades(grades_csv: Path, out: Path, *, to: str, roster: Path | None = None, title: str | None = None,
                  assignment_id: str | None = None, missing: str = "empty", moodle_key: str = "email",
                  roster_columns: Mapping[str, str] | None = None, lang: str = "ko",
                  results_dir: Path | None = None, min_match: float = 50.0, errors: str = "empty") -> ExportReport:
    """Write grades.csv in an LMS's import format, students matched through the roster.

    The roster may be the LMS's own gradebook export. Fewer than ``min_match``
    percent of the roster matched (or none at all) is refused, naming the columns
    compared and every unmatched id. Rows whose status is an error or a timeout
    are left empty and listed, or exported as 0 with ``errors="zero"``. The title
    defaults to the rubric's. ``results_dir`` (default: ``results/`` next to
    grades.csv, when present) lets the Moodle feedback name the checks that lost points.
    """
    if to not in FORMATS:
        raise UsageError(f"--to must be one of {', '.join(FORMATS)}, not {to!r}")
    if missing not in MISSING_POLICIES:
        raise UsageError(f"--missing must be one of {', '.join(MISSING_POLICIES)}, not {missing!r}")
    if errors not in ERROR_POLICIES:
        raise UsageError(f"--errors must be one of {', '.join(ERROR_POLICIES)}, not {errors!r}")
    if not 0 <= min_match <= 100:
        raise UsageError(f"--min-match is a percent between 0 and 100, not {min_match!r}")
    grades_csv = Path(grades_csv)
    out = check_output_path(out)
    grades = read_grades(grades_csv)
    if to == "csv" and roster is None:
        return ExportReport(write_csv(grades, out), to, len(grades))
    if roster is None:
        raise UsageError(f"--roster is needed for --to {to}: the LMS matches students by its own ids")
    title = title or rubric_title(grades_csv, results_dir)
    if not title:
        raise UsageError(f"--assignment-title is needed for --to {to} (no rubric found for {grades_csv})")
    people = read_roster(roster, columns=roster_columns)
    match = match_roster(grades, people, missing=missing)
    _require_matches(match, people, grades_csv, min_match)
    rows, not_graded = _not_graded(match.rows, errors)
    problems: list[str] = []
    assignment_id = assignment_id or column_id(people, title)
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
        rows = rows.assign(feedback=[_feedback(r, results, lang, problems) for _, r in rows.iterrows()])
        written = write_moodle(rows, out, title=title, key=moodle_key)
    return ExportReport(written, to, len(rows), match, not_graded, errors, problems)


def _require_matches(match: RosterMatch, roster: Roster, grades_csv: Path, min_match: float) -> None:
    """Refuse a roster that matches no submission, or fewer than ``min_match`` percent of its students."""
    keyed = roster.table[roster.table["student_id"] != ""]
    enrolled = len(set(keyed["student_id"]))
    share = 100.0 * len(match.matched) / enrolled if enrolled else 0.0
    if match.matched and share >= min_match:
        return
    key = roster.columns.get("student_id", "student_id")
    absent = sorted(set(keyed["student_id"]) - set(match.matched))
    raise ExportError(
        f"{roster.path}: {len(match.matched)} of {enrolled} roster students ({share:.0f}%) matched a submission, "
        f"fewer than --min-match {min_match:g}%; compared {grades_csv.name} column student_id with "
        f"{roster.kind} column {key!r}. Submissions not in the roster ({len(match.unmatched_submissions)}): "
        f"{', '.join(match.unmatched_submissions) or 'none'}. Roster ids without a submission ({len(absent)}): "
        f"{', '.join(absent) or 'none'}")


def _not_graded(rows: pd.DataFrame, errors: str) -> tuple[pd.DataFrame, list[str]]:
    """Rows whose grading failed (error, timeout): empty, or 0 with ``errors="zero"``; and who they are."""
    status = rows["status"].astype(str)
    failed = rows["submitted"].astype(bool) & (status.str.startswith("error") | (status == "timeout"))
    listed = [f"{sid} ({st[:200]})" for sid, st in zip(rows.loc[failed, "student_id"], status[failed])]
    rows = rows.copy()
    rows.loc[failed, "total"] = 0.0 if errors == "zero" else float("nan")
    return rows, listed


def rubric_title(grades_csv: Path, results_dir: Path | None = None) -> str | None:
    """The title of the rubric the batch was graded with (from its results), or None when unknown."""
    from autograder.errors import GradingError
    from autograder.grading.course import find_course_root, get_assignment

    folder = results_dir or Path(grades_csv).parent / "results"
    first = next(iter(sorted(Path(folder).glob("*.json"))), None) if Path(folder).is_dir() else None
    try:
        name = load_result(first).assignment if first else None
        return get_assignment(str(name), find_course_root()).rubric("hidden").title if name else None
    except (GradingError, ValueError, OSError, AttributeError):
        return None


def column_id(roster: Roster, title: str) -> str | None:
    """The id of the assignment's column in an LMS gradebook export, found by its title.

    Canvas: ``Title (12345)``; Blackboard: ``Title [Total Pts: 20 Score] |12345``.
    """
    import re

    wanted = " ".join(str(title).split())
    found = set()
    for header in roster.headers:
        match = (re.fullmatch(r"(.*?)\s+\((\d+)\)", header) if roster.kind == "canvas" else
                 re.fullmatch(r"(.*?)\s+\[.*\]\s*\|(\w+)", header) if roster.kind == "blackboard" else None)
        if match and " ".join(match.group(1).split()) == wanted:
            found.add(match.group(2))
    return found.pop() if len(found) == 1 else None


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


def _feedback(row: pd.Series, results: Path | None, lang: str, problems: list[str]) -> str:
    """The Feedback cell; a student whose result file cannot be read gets the short form, and a problem line."""
    check_results, fields = None, row.to_dict()
    if results is not None and row.get("submitted", True) and row.get("student_id"):
        path = results / f"{safe_file_name(row['student_id'])}.json"
        if path.is_file():
            try:
                result = load_result(path)
            except ExportError as e:
                problems.append(f"{e}; the Feedback of {row['student_id']} names no checks")
            else:
                check_results, fields["status_ko"] = result.checks, result.status_ko  # the CSV keeps English only
    return short_feedback(fields, lang=lang, checks=check_results)
