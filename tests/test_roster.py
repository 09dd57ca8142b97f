"""Roster matching: a missing student, an extra student, duplicate ids: each reported, nothing lost."""

from __future__ import annotations

import pandas as pd
import pytest

from autograder.exports.files import ExportError
from autograder.exports.roster import match_roster, parse_column_options, read_roster


def grades() -> pd.DataFrame:
    return pd.DataFrame({"student_id": ["0001", "0002", "0002", "0009"], "total": [5.0, 3.0, 4.0, 1.0],
                         "max": 5.0, "status": "graded"})


@pytest.fixture
def roster_csv(tmp_path):
    path = tmp_path / "roster.csv"
    pd.DataFrame({
        "student_id": ["0001", "0002", "0003", "0001", ""],
        "Name": ["Kim", "Lee", "Park", "Kim (2nd section)", "Nobody"],
        "Email Address": ["k@x", "l@x", "p@x", "k2@x", "n@x"],
    }).to_csv(path, index=False)
    return path


def test_every_problem_reported_and_nothing_lost(roster_csv):
    roster = read_roster(roster_csv)
    match = match_roster(grades(), roster)
    assert match.unmatched_submissions == ["0009"]  # extra student: graded, not in the roster
    assert match.missing_students == ["Park (0003)"]  # in the roster, no submission
    assert match.duplicate_roster_ids == ["0001"]
    assert match.duplicate_grade_ids == ["0002"]
    assert match.lines_without_id == [6]
    assert not match.clean
    # Nothing lost: every grades row is exported or listed, every roster line is exported or listed.
    exported = list(zip(match.rows["student_id"], match.rows["total"].fillna(-1)))
    assert exported == [("0001", 5.0), ("0002", 3.0), ("0002", 4.0), ("0003", -1), ("0001", 5.0)]
    grade_ids = set(grades()["student_id"])
    assert grade_ids == set(match.rows["student_id"][match.rows["submitted"]]) | set(match.unmatched_submissions)
    assert sorted(set(match.rows["line"].tolist() + match.lines_without_id)) == [2, 3, 4, 5, 6]
    assert match.lines() == [
        "Roster roster.csv: 2 submissions matched",
        "Not in the roster, not exported (1): 0009",
        "No submission, exported with an empty grade (1): Park (0003)",
        "Student id on several roster rows (each row exported): 0001",
        "Student id on several grades rows (each row exported; check them): 0002",
        "Roster lines without a student id, not exported: 6",
    ]


def test_missing_students_as_zero(roster_csv):
    match = match_roster(grades(), read_roster(roster_csv), missing="zero")
    park = match.rows[match.rows["student_id"] == "0003"].iloc[0]
    assert park["total"] == 0.0 and park["status"] == "missing"
    assert "exported with 0 points" in match.lines()[2]


def test_headers_recognised_case_insensitively(roster_csv):
    roster = read_roster(roster_csv)
    assert roster.columns == {"student_id": "student_id", "name": "Name", "email": "Email Address"}
    assert list(roster.table["email"])[:2] == ["k@x", "l@x"]
    assert roster.has("email") and not roster.has("username")


def test_configured_columns(tmp_path):
    path = tmp_path / "r.csv"
    pd.DataFrame({"학번": ["0001"], "메일": ["k@x"], "first": ["민수"], "last": ["김"]}).to_csv(path, index=False)
    columns = parse_column_options(["student_id=학번", "email=메일", "first_name=first", "last_name=last"])
    roster = read_roster(path, columns=columns)
    assert roster.table.loc[0, ["student_id", "email", "name"]].tolist() == ["0001", "k@x", "김, 민수"]


def test_clean_match(tmp_path):
    path = tmp_path / "r.csv"
    pd.DataFrame({"student_id": ["0001", "0009"], "name": ["A", "B"]}).to_csv(path, index=False)
    match = match_roster(pd.DataFrame({"student_id": ["0001", "0009"], "total": [1.0, 2.0], "max": 2.0,
                                       "status": "graded"}), read_roster(path))
    assert match.clean and match.lines() == ["Roster r.csv: 2 submissions matched"]


def test_errors_name_file_and_column(tmp_path):
    path = tmp_path / "r.csv"
    pd.DataFrame({"id": ["1"]}).to_csv(path, index=False)
    with pytest.raises(ExportError, match=r"r\.csv: no student_id column"):
        read_roster(path)
    with pytest.raises(ExportError, match=r"r\.csv: no column 'email' for roster field email"):
        read_roster(path, columns={"student_id": "id", "email": "email"})
    with pytest.raises(ExportError, match="no such roster file"):
        read_roster(tmp_path / "none.csv")
    with pytest.raises(ExportError, match="FIELD=HEADER"):
        parse_column_options(["email"])
    with pytest.raises(ExportError, match="not a roster field"):
        parse_column_options(["phone=Phone"])


@pytest.mark.parametrize("kind, header, key, values, ids", [
    ("canvas", ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"], "ID",
     [["    Points Possible", "", "", "", ""], ["Kim, Minsu", "1001", "S1", "kim", "A"]], ["1001"]),
    ("moodle", ["Identifier", "Full name", "Email address", "Status", "Grade"], "Identifier",
     [["Participant 2001", "Kim Minsu", "kim@x", "Submitted", ""]], ["2001"]),
    ("blackboard", ["Last Name", "First Name", "Username", "Student ID", "Last Access"], "Username",
     [["Kim", "Minsu", "kim01", "20260001", ""]], ["kim01"]),
    ("gradescope", ["First Name", "Last Name", "SID", "Email", "Role"], "SID",
     [["Minsu", "Kim", "3001", "kim@x", "Student"], ["Bit", "Han", "", "han@x", "Student"]], ["3001", "han@x"]),
    ("classroom", ["identifier", "github_username", "github_id", "name"], "github_username",
     [["20260001", "kimminsu", "9001", "Kim Minsu"]], ["kimminsu"]),
])
def test_an_lms_gradebook_export_is_keyed_by_the_id_its_download_uses(tmp_path, kind, header, key, values, ids):
    pd.DataFrame(values, columns=header).to_csv(tmp_path / "export.csv", index=False)
    roster = read_roster(tmp_path / "export.csv")
    assert (roster.kind, roster.columns["student_id"]) == (kind, key)
    assert list(roster.table["student_id"]) == ids


def test_moodles_grades_export_is_refused_with_the_worksheet_named(tmp_path):
    pd.DataFrame([["Minsu", "Kim", "", "kim@x", "18.00"]], columns=[
        "First name", "Last name", "ID number", "Email address", "Assignment: Logic gates (Real)"]).to_csv(
        tmp_path / "grades-export.csv", index=False)
    with pytest.raises(ExportError, match="Moodle's grades export, which holds no participant id: use the "
                                          "assignment's grading worksheet"):
        read_roster(tmp_path / "grades-export.csv")
