"""Canvas gradebook import CSV, read back with pandas and checked against Canvas's importer rules."""

from __future__ import annotations

import re

import pandas as pd
import pytest
from click.testing import CliRunner

from autograder.cli.lms import export
from autograder.exports.canvas import title_and_id
from autograder.exports.files import ExportError
from autograder.exports.lms import export_grades


@pytest.fixture
def batch(tmp_path):
    grades = pd.DataFrame({
        "student_id": ["0001", "0002", "0003"],
        "test_and": [2.0, 2.0, 0.0], "test_xor": [3.0, 1.5, 0.0],
        "total": [5.0, 3.5, 0.0], "max": [5.0, 5.0, 5.0], "percent": [100.0, 70.0, 0.0],
        "status": ["graded", "graded", "timeout"], "graded_by": "code", "duration_s": [1.2, 3.4, 60.0],
        "notes": "", "content_hash": "abc", "submitted_at": "",
    })
    grades.to_csv(tmp_path / "grades.csv", index=False)
    roster = pd.DataFrame({
        "student_id": ["0001", "0002", "0004"],
        "name": ["김, 민수", "Lee, Ann", "Park, Jin"],
        "canvas_id": ["11", "12", "14"], "sis_user_id": ["S0001", "S0002", "S0004"],
        "sis_login_id": ["kim", "lee", "park"], "section": ["A", "A", "B"],
    })
    roster.to_csv(tmp_path / "roster.csv", index=False)
    return tmp_path


def read_back(path):
    return pd.read_csv(path, dtype=str, keep_default_na=False)


def test_columns_points_possible_row_and_grades(batch):
    out = batch / "canvas.csv"
    export_grades(batch / "grades.csv", out, to="canvas", roster=batch / "roster.csv",
                  title="Logic gates", assignment_id="4321")
    table = read_back(out)
    assert list(table.columns) == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", "Logic gates (4321)"]
    assert list(table.iloc[0]) == ["Points Possible", "", "", "", "", "5"]
    students = table.iloc[1:]
    assert list(students["Student"]) == ["김, 민수", "Lee, Ann", "Park, Jin"]
    assert list(students["ID"]) == ["11", "12", "14"]
    assert list(students["SIS User ID"]) == ["S0001", "S0002", "S0004"]
    assert list(students["Logic gates (4321)"]) == ["5", "3.5", ""]  # Park has no submission: left empty
    assert len(table) == 1 + 3


def test_header_satisfies_canvas_importer(batch):
    """Canvas's importer: row[0] =~ /Student/, row[1] =~ /ID/, SIS User ID, SIS Login ID, then Section."""
    out = batch / "canvas.csv"
    export_grades(batch / "grades.csv", out, to="canvas", roster=batch / "roster.csv", title="Logic gates",
                  assignment_id="4321")
    header = out.read_text(encoding="utf-8").splitlines()[0].split(",")
    assert re.search("Student", header[0]) and re.search("ID", header[1])
    assert re.search(r"SIS\s+User\s+ID", header[2]) and re.search(r"SIS\s+Login\s+ID", header[3])
    assert re.search("Section", header[4])
    assert title_and_id(header[5]) == ("Logic gates", "4321")
    assert not out.read_bytes().startswith(b"\xef\xbb\xbf")


def test_missing_students_as_zero(batch):
    out = batch / "canvas.csv"
    export_grades(batch / "grades.csv", out, to="canvas", roster=batch / "roster.csv", title="T", assignment_id="1",
                  missing="zero")
    assert list(read_back(out)["T (1)"]) == ["5", "5", "3.5", "0"]


def test_without_assignment_id_canvas_creates_a_new_column(batch):
    out = batch / "canvas.csv"
    export_grades(batch / "grades.csv", out, to="canvas", roster=batch / "roster.csv", title="New work")
    assert list(read_back(out).columns)[-1] == "New work"


@pytest.mark.parametrize("bad_id", ["abc", "12a"])
def test_assignment_id_must_be_a_number(batch, bad_id):
    with pytest.raises(ExportError, match="assignment id"):
        export_grades(batch / "grades.csv", batch / "c.csv", to="canvas", roster=batch / "roster.csv", title="T",
                      assignment_id=bad_id)


def test_grades_without_a_column_names_file_and_column(batch):
    pd.read_csv(batch / "grades.csv").drop(columns="max").to_csv(batch / "bad.csv", index=False)
    with pytest.raises(ExportError, match=r"bad\.csv: missing column max"):
        export_grades(batch / "bad.csv", batch / "c.csv", to="canvas", roster=batch / "roster.csv", title="T")


def test_roster_without_key_column(batch):
    pd.DataFrame({"name": ["A"], "canvas_id": ["1"]}).to_csv(batch / "r.csv", index=False)
    with pytest.raises(ExportError, match=r"r\.csv: no student_id column"):
        export_grades(batch / "grades.csv", batch / "c.csv", to="canvas", roster=batch / "r.csv", title="T")


def test_roster_without_any_canvas_id(batch):
    pd.DataFrame({"student_id": ["0001"], "name": ["A"]}).to_csv(batch / "r.csv", index=False)
    with pytest.raises(ExportError, match=r"r\.csv: Canvas finds students by canvas_id or sis_user_id"):
        export_grades(batch / "grades.csv", batch / "c.csv", to="canvas", roster=batch / "r.csv", title="T")


def test_missing_output_folders_are_made(batch):
    export_grades(batch / "grades.csv", batch / "nope" / "deeper" / "c.csv", to="canvas", roster=batch / "roster.csv",
                  title="T")
    assert (batch / "nope" / "deeper" / "c.csv").read_text(encoding="utf-8").startswith("Student,")
    (batch / "a-file").write_text("")
    with pytest.raises(ExportError, match="a-file is a file, not a folder"):
        export_grades(batch / "grades.csv", batch / "a-file" / "c.csv", to="canvas", roster=batch / "roster.csv",
                      title="T")


def test_written_atomically_no_temp_files_left(batch):
    export_grades(batch / "grades.csv", batch / "c.csv", to="canvas", roster=batch / "roster.csv", title="T")
    assert sorted(p.name for p in batch.iterdir()) == ["c.csv", "grades.csv", "roster.csv"]


def test_cli_prints_roster_findings(batch):
    result = CliRunner().invoke(export, [str(batch / "grades.csv"), "--to", "canvas", "--roster",
                                         str(batch / "roster.csv"), "-o", str(batch / "c.csv"),
                                         "--assignment-title", "Logic gates", "--assignment-id", "4321"],
                                catch_exceptions=False)
    assert result.exit_code == 0
    assert result.output.splitlines() == [
        "Roster roster.csv: 2 submissions matched",
        "Not in the roster, not exported (1): 0003",
        "No submission, exported with an empty grade (1): Park, Jin (0004)",
        f"Wrote {batch / 'c.csv'} (canvas, 3 students)",
    ]


def test_cli_reads_a_canvas_export_as_roster(batch):
    """A Canvas gradebook export works as a roster once its key column is named."""
    pd.DataFrame({"Student": ["Points Possible", "김, 민수"], "ID": ["", "11"], "SIS User ID": ["", "0001"],
                  "SIS Login ID": ["", "kim"], "Section": ["", "A"]}).to_csv(batch / "export.csv", index=False)
    result = CliRunner().invoke(export, [str(batch / "grades.csv"), "--to", "canvas", "--roster",
                                         str(batch / "export.csv"), "--roster-key", "SIS User ID",
                                         "-o", str(batch / "c.csv"), "--assignment-title", "T"],
                                catch_exceptions=False)
    assert result.exit_code == 0
    assert "Roster lines without a student id" not in result.output  # the Points Possible row is no student
    table = read_back(batch / "c.csv")
    assert list(table.iloc[1]) == ["김, 민수", "11", "0001", "kim", "A", "5"]
