"""Blackboard Grade Center upload: identity columns, the |column id header, every value quoted."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from autograder.exports.files import ExportError
from autograder.exports.lms import export_grades

QUOTED_FIELD = r'"(?:[^"]|"")*"'
QUOTED_LINE = re.compile(rf"{QUOTED_FIELD}(?:,{QUOTED_FIELD})*")


@pytest.fixture
def batch(tmp_path):
    pd.DataFrame({
        "student_id": ["0001", "0002"], "test_a": [7.5, 10.0], "total": [7.5, 10.0], "max": [10.0, 10.0],
        "percent": [75.0, 100.0], "status": ["graded", "graded"], "graded_by": "code", "duration_s": [1.0, 2.0],
        "notes": "", "content_hash": "h", "submitted_at": "",
    }).to_csv(tmp_path / "grades.csv", index=False)
    pd.DataFrame({
        "student_id": ["0001", "0002", "0003"], "first_name": ["민수", "Ann", "Jin"],
        "last_name": ["김", 'O"Neil, Jr', "Park"], "username": ["kim", "oneil", "park"],
        "student_number": ["60230001", "60230002", "60230003"],
    }).to_csv(tmp_path / "roster.csv", index=False)
    return tmp_path


def test_columns_header_and_rows(batch):
    out = batch / "bb.csv"
    export_grades(batch / "grades.csv", out, to="blackboard", roster=batch / "roster.csv", title="Logic gates",
                  assignment_id="1281892")
    table = pd.read_csv(out, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    assert list(table.columns) == ["Last Name", "First Name", "Username", "Student ID",
                                   "Logic gates [Total Pts: 10 Score] |1281892"]
    assert list(table["Username"]) == ["kim", "oneil", "park"]
    assert list(table["Last Name"]) == ["김", 'O"Neil, Jr', "Park"]
    assert list(table["Student ID"]) == ["60230001", "60230002", "60230003"]
    assert list(table.iloc[:, 4]) == ["7.5", "10", ""]


def test_every_value_is_quoted(batch):
    out = batch / "bb.csv"
    export_grades(batch / "grades.csv", out, to="blackboard", roster=batch / "roster.csv", title="Logic gates",
                  assignment_id="1281892", missing="zero")
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    lines = raw.decode("utf-8-sig").splitlines()
    assert len(lines) == 1 + 3
    for line in lines:
        assert QUOTED_LINE.fullmatch(line), line
    assert lines[0].endswith('"Logic gates [Total Pts: 10 Score] |1281892"')
    assert lines[3].endswith('"0"')


def test_column_id_is_required(batch):
    with pytest.raises(ExportError, match="column id"):
        export_grades(batch / "grades.csv", batch / "bb.csv", to="blackboard", roster=batch / "roster.csv",
                      title="Logic gates")


def test_username_is_required(batch):
    pd.read_csv(batch / "roster.csv", dtype=str).drop(columns="username").to_csv(batch / "r.csv", index=False)
    with pytest.raises(ExportError, match=r"r\.csv: Blackboard finds students by username"):
        export_grades(batch / "grades.csv", batch / "bb.csv", to="blackboard", roster=batch / "r.csv",
                      title="T", assignment_id="1")
