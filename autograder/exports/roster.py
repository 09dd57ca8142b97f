"""The class roster: who is enrolled, and who they are in the LMS.

A roster is a CSV with one row per enrolled student. Its key column holds the
student id the submissions are named by; the other columns hold the identities
an LMS matches grades on (Canvas user id, SIS ids, Moodle email or username,
Blackboard username, section). Column names are recognised case-insensitively
from a list of usual headers (a Canvas gradebook export works as it is) and can
be set one by one.

An LMS's own gradebook export works as a roster too: its kind is recognised from
its headers, and the column holding the id that ``grade batch`` read from that
LMS's download becomes the key (see ``LMS_KEYS``); Canvas's ``Points Possible``
row is left out.

Matching grades to the roster never drops a row silently: submissions missing
from the roster, roster students without a submission, duplicated ids and roster
rows without an id are all listed in the :class:`RosterMatch` it returns.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from autograder.exports.files import ExportError, read_text_csv

# Logical field -> headers recognised for it (first match wins, case-insensitive).
DEFAULT_COLUMNS: dict[str, tuple[str, ...]] = {
    "student_id": ("student_id",),
    "name": ("name", "student", "student name", "full name", "이름"),
    "first_name": ("first_name", "first name"),
    "last_name": ("last_name", "last name", "surname"),
    "email": ("email", "email address", "e-mail"),
    "username": ("username", "user name", "login"),
    "canvas_id": ("canvas_id", "id"),
    "sis_user_id": ("sis_user_id", "sis user id"),
    "sis_login_id": ("sis_login_id", "sis login id"),
    "section": ("section", "분반"),
    "idnumber": ("idnumber", "id number"),
    "student_number": ("student_number", "student id", "학번"),
}
FIELDS = tuple(DEFAULT_COLUMNS)
MISSING_POLICIES = ("empty", "zero")
# LMS gradebook exports: kind -> (headers that identify it, the header holding the intake's id).
LMS_KEYS: dict[str, tuple[tuple[str, ...], str]] = {
    "canvas": (("student", "id", "sis login id"), "id"),  # Canvas user id (Download Submissions names)
    "moodle": (("identifier", "full name"), "identifier"),  # grading worksheet: "Participant 123456"
    "blackboard": (("last name", "first name", "username"), "username"),  # Grade Center download
    "gradescope": (("sid", "email"), "sid"),  # roster export: SID, else email, as in submission_metadata.yml
    "classroom": (("github_username", "identifier"), "github_username"),  # classroom_roster.csv
}
POINTS_POSSIBLE = "points possible"


@dataclass
class Roster:
    """A roster read from CSV: one row per line of the file, logical field names as columns."""

    path: Path
    table: pd.DataFrame  # FIELDS as columns (empty strings where the file has no such column), plus "line"
    columns: dict[str, str]  # logical field -> header found in the file
    kind: str = "roster"  # or the LMS whose gradebook export it is
    headers: list[str] = field(default_factory=list)  # every header of the file, as written

    def has(self, field_name: str) -> bool:
        return field_name in self.columns


def parse_column_options(options: list[str] | tuple[str, ...]) -> dict[str, str]:
    """``["email=Email address", ...]`` (the CLI's ``--roster-column``) as a mapping."""
    mapping = {}
    for option in options:
        name, sep, header = option.partition("=")
        name = name.strip()
        if not sep or not header.strip():
            raise ExportError(f"--roster-column {option!r}: write it as FIELD=HEADER, e.g. email='Email address'")
        if name not in FIELDS:
            raise ExportError(f"--roster-column {option!r}: {name} is not a roster field ({', '.join(FIELDS)})")
        mapping[name] = header.strip()
    return mapping


def read_roster(path: Path, *, columns: Mapping[str, str] | None = None) -> Roster:
    """Read a roster CSV; ``columns`` maps a logical field to the header that holds it."""
    path = Path(path)
    raw = read_text_csv(path, missing="no such roster file", unreadable="not a readable CSV roster")
    headers = {str(h).strip().lower(): h for h in raw.columns}
    found: dict[str, str] = {}
    kind = next((k for k, (marks, _) in LMS_KEYS.items() if all(m in headers for m in marks)), "roster")
    if kind != "roster" and "student_id" not in headers and not (columns or {}).get("student_id"):
        columns = {**(columns or {}), "student_id": headers[LMS_KEYS[kind][1]]}
    for name in FIELDS:
        wanted = (columns or {}).get(name)
        if wanted is not None:
            if wanted.strip().lower() not in headers:
                raise ExportError(f"{path}: no column {wanted!r} for roster field {name} "
                                  f"(columns: {', '.join(map(str, raw.columns))})")
            found[name] = headers[wanted.strip().lower()]
            continue
        for candidate in DEFAULT_COLUMNS[name]:
            if candidate in headers:
                found[name] = headers[candidate]
                break
    if "student_id" not in found:
        hint = ("; this looks like Moodle's grades export, which holds no participant id: use the assignment's "
                "grading worksheet (Download grading worksheet) as the roster"
                if all(h in headers for h in ("first name", "last name", "email address")) else "")
        raise ExportError(f"{path}: no student_id column to match submissions by "
                          f"(columns: {', '.join(map(str, raw.columns))}; name one with --roster-key){hint}")
    table = pd.DataFrame({name: (raw[found[name]].str.strip() if name in found else "") for name in FIELDS},
                         index=raw.index)
    table["line"] = raw.index + 2  # the file's line number: header is line 1
    if kind == "canvas":  # the "Points Possible" row (and Canvas's other non-student rows) hold no student
        table = table[table["name"].str.strip().str.lower() != POINTS_POSSIBLE]
    elif kind == "moodle":
        table["student_id"] = table["student_id"].str.replace(r"^Participant\s+", "", regex=True)
    elif kind == "gradescope":
        table["student_id"] = table["student_id"].where(table["student_id"] != "", table["email"])
    if "name" not in found:
        table["name"] = [_join_name(first, last) for first, last in zip(table["first_name"], table["last_name"])]
    return Roster(path, table.reset_index(drop=True), found, kind, [str(h) for h in raw.columns])


def _join_name(first: str, last: str) -> str:
    return ", ".join(p for p in (last, first) if p)


@dataclass
class RosterMatch:
    """Grades matched to the roster, and every row that did not match one to one."""

    rows: pd.DataFrame  # one row per roster student (plus duplicates), roster FIELDS + grade columns
    roster: Path
    matched: list[str] = field(default_factory=list)
    unmatched_submissions: list[str] = field(default_factory=list)  # graded, not in the roster
    missing_students: list[str] = field(default_factory=list)  # "name (id)": in the roster, no grade
    duplicate_roster_ids: list[str] = field(default_factory=list)
    duplicate_grade_ids: list[str] = field(default_factory=list)
    lines_without_id: list[int] = field(default_factory=list)  # roster lines with an empty key
    missing_as: str = "empty"
    unmatched_kept: bool = False  # a plain CSV keeps them (without LMS ids); LMS files cannot

    @property
    def clean(self) -> bool:
        """Every submission matched exactly one roster row and every student submitted."""
        return not (self.unmatched_submissions or self.missing_students or self.duplicate_roster_ids
                    or self.duplicate_grade_ids or self.lines_without_id)

    def lines(self) -> list[str]:
        """What the CLI prints: one line per kind of problem, naming the students."""
        out = [f"Roster {self.roster.name}: {len(self.matched)} submissions matched"]
        if self.unmatched_submissions:
            fate = "exported without roster columns" if self.unmatched_kept else "not exported"
            out.append(f"Not in the roster, {fate} ({len(self.unmatched_submissions)}): "
                       + ", ".join(self.unmatched_submissions))
        if self.missing_students:
            how = "an empty grade" if self.missing_as == "empty" else "0 points"
            out.append(f"No submission, exported with {how} ({len(self.missing_students)}): "
                       + ", ".join(self.missing_students))
        if self.duplicate_roster_ids:
            out.append("Student id on several roster rows (each row exported): " + ", ".join(self.duplicate_roster_ids))
        if self.duplicate_grade_ids:
            out.append("Student id on several grades rows (each row exported; check them): "
                       + ", ".join(self.duplicate_grade_ids))
        if self.lines_without_id:
            out.append("Roster lines without a student id, not exported: "
                       + ", ".join(str(n) for n in self.lines_without_id))
        return out


def match_roster(grades: pd.DataFrame, roster: Roster, *, missing: str = "empty") -> RosterMatch:
    """Join grades to the roster on the student id.

    Roster students without a submission get an empty score (``missing="empty"``)
    or 0 (``"zero"``) and status ``missing``. Submissions the roster lacks are
    listed, not exported (the LMS could not place them).
    """
    if missing not in MISSING_POLICIES:
        raise ExportError(f"missing must be one of {', '.join(MISSING_POLICIES)}, not {missing!r}")
    table = roster.table
    no_id = table["student_id"] == ""
    keyed = table[~no_id]
    roster_ids = set(keyed["student_id"])
    grade_ids = [str(s) for s in grades["student_id"]]
    grades = grades.assign(student_id=grade_ids)
    names = dict(zip(grade_ids, grades["name"])) if "name" in grades.columns else {}
    grades = grades.drop(columns=[c for c in ("name",) if c in grades.columns])
    merged = keyed.merge(grades, on="student_id", how="left", suffixes=("", "_grades"), indicator=True)
    absent = merged["_merge"] == "left_only"
    merged["submitted"] = ~absent
    merged.loc[absent, "status"] = "missing"
    merged.loc[absent, "total"] = 0.0 if missing == "zero" else float("nan")
    merged = merged.drop(columns="_merge").sort_values("line", kind="stable").reset_index(drop=True)
    if names:
        merged["name"] = [n or str(names.get(sid, "") or "") for n, sid in zip(merged["name"], merged["student_id"])]
    for column in merged.columns:
        if merged[column].dtype == object or str(merged[column].dtype) in ("str", "string"):
            merged[column] = merged[column].fillna("")
    return RosterMatch(
        rows=merged,
        roster=roster.path,
        matched=sorted(set(grade_ids) & roster_ids),
        unmatched_submissions=sorted(set(grade_ids) - roster_ids),
        missing_students=[_display(r) for r in keyed.itertuples() if r.student_id not in set(grade_ids)],
        duplicate_roster_ids=sorted(k for k, n in Counter(keyed["student_id"]).items() if n > 1),
        duplicate_grade_ids=sorted(k for k, n in Counter(grade_ids).items() if n > 1),
        lines_without_id=[int(n) for n in table.loc[no_id, "line"]],
        missing_as=missing,
    )


def _display(row) -> str:
    return f"{row.name} ({row.student_id})" if row.name else row.student_id
