"""Intake: each LMS's download -> grade batch -> grade export with that LMS's gradebook -> the import file.

The downloads and gradebooks are built by tests/lms_fixtures.py to each LMS's
documented format; the students hand in the real 01_logic_gates solution and a
known-buggy mutant, graded for real.
"""

from __future__ import annotations

import pandas as pd
import pytest
from click.testing import CliRunner

from autograder.batch.intake import detect_layout, read_download
from autograder.cli.main import grade
from autograder.errors import SubmissionError, UsageError
from tests import lms_fixtures as lms

FULL = 20.0


@pytest.fixture(autouse=True)
def course(monkeypatch):
    monkeypatch.setenv("GRADE_COURSE", str(lms.REPO))


def batch(subs, out, *extra):
    out.mkdir(exist_ok=True)
    result = CliRunner().invoke(grade, ["batch", str(subs), "-a", "01_logic_gates", "-o", str(out / "grades.csv"),
                                        "-j", "2", *extra], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output, pd.read_csv(out / "grades.csv", dtype={"student_id": str, "name": str, "notes": str},
                                      keep_default_na=False)


def export(out, to, roster, *extra):
    result = CliRunner().invoke(grade, ["export", str(out / "grades.csv"), "--to", to, "--roster", str(roster),
                                        "-o", str(out / f"import-{to}.csv"), *extra], catch_exceptions=False)
    return result


def read_back(path):
    return pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")


def pts(value) -> str:
    """Points as the import files write them: at most two decimals."""
    return f"{round(float(value), 2):g}"


def totals(grades):
    return {sid: float(t) if t != "" else None for sid, t in zip(grades["student_id"], grades["total"])}


def test_canvas_zip_to_canvas_gradebook(tmp_path):
    download, gradebook = lms.canvas(tmp_path)
    output, grades = batch(download, tmp_path / "out")
    assert list(grades["student_id"]) == ["1001", "1002", "1003", "1004"]  # Canvas user ids, not file stems
    assert list(grades["name"]) == ["kimminsu", "leeann", "parkjin", "choiyu"]
    by_id = totals(grades)
    assert by_id["1001"] == FULL and by_id["1004"] == FULL  # 1004 handed in a .zip holding the notebook
    assert 0 < by_id["1002"] < FULL  # the mutant, its "-1" resubmission name resolved
    assert "marked late by the LMS" in grades.set_index("student_id").loc["1002", "notes"]
    park = grades.set_index("student_id").loc["1003", "status"]
    assert park.startswith("error: several files could be the submission (draft.ipynb, final.ipynb)")
    assert f"1003: {park}" in output  # the batch ends naming the student it could not grade

    result = export(tmp_path / "out", "canvas", gradebook)  # title from the rubric, id from the gradebook
    assert result.exit_code == 0, result.output
    table = read_back(tmp_path / "out" / "import-canvas.csv")
    column = f"{lms.TITLE} (777)"
    assert list(table.columns) == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", column]
    assert list(table.iloc[0][["Student", column]]) == ["Points Possible", "20"]
    points = dict(zip(table["ID"][1:], table[column][1:]))
    assert points == {"1001": "20", "1002": pts(by_id["1002"]), "1003": "", "1004": "20", "1005": ""}
    assert "Not graded (error or timeout), left empty (give --errors zero to export 0) (1): 1003" in result.output
    assert "No submission, exported with an empty grade (1): Jung, Ho (1005)" in result.output


def test_moodle_zip_to_moodle_import_by_email(tmp_path):
    download, worksheet = lms.moodle(tmp_path)
    output, grades = batch(download, tmp_path / "out")
    assert list(grades["student_id"]) == ["2001", "2002", "2003"]  # participant ids
    assert list(grades["name"]) == ["Kim Minsu", "Lee Ann", "Park Jin"]
    assert "skipped Lee Ann_2002_assignsubmission_onlinetext_: a Moodle onlinetext submission, not a file" in output
    by_id = totals(grades)
    assert by_id["2001"] == FULL and 0 < by_id["2002"] < FULL

    result = export(tmp_path / "out", "moodle", worksheet, "--errors", "zero")
    assert result.exit_code == 0, result.output
    table = read_back(tmp_path / "out" / "import-moodle.csv")
    assert list(table.columns) == ["Email address", lms.TITLE, "Feedback"]
    points = dict(zip(table["Email address"], table[lms.TITLE]))
    assert points == {"kim@example.edu": "20", "lee@example.edu": pts(by_id["2002"]),
                      "park@example.edu": "0", "jung@example.edu": ""}  # Park: ambiguous, 0 with --errors zero


def test_blackboard_zip_to_grade_center_upload(tmp_path):
    download, center = lms.blackboard(tmp_path)
    output, grades = batch(download, tmp_path / "out", "--timezone", "Asia/Seoul")
    assert list(grades["student_id"]) == ["kim01", "lee02"]
    assert list(grades["name"]) == ["Kim Minsu", "Lee Ann"]
    frame = grades.set_index("student_id")
    assert frame.loc["lee02", "submitted_at"] == "2026-03-03T00:00:00+00:00"  # the latest attempt, 09:00 in Seoul
    assert float(frame.loc["lee02", "total"]) < FULL  # the later attempt (the mutant) is graded, not the first
    assert "skipped 01 Logic gates_lee02_attempt_2026-03-01-09-00-00_01_logic_gates.ipynb: an earlier attempt of lee02" in output

    result = export(tmp_path / "out", "blackboard", center)  # the column id 5550 is read from the download
    assert result.exit_code == 0, result.output
    table = read_back(tmp_path / "out" / "import-blackboard.csv")
    column = f"{lms.TITLE} [Total Pts: 20 Score] |5550"
    assert list(table.columns) == ["Last Name", "First Name", "Username", "Student ID", column]
    assert dict(zip(table["Username"], table[column])) == {
        "kim01": "20", "lee02": pts(frame.loc["lee02", "total"]), "jung04": ""}


def test_gradescope_export_to_csv_with_its_roster(tmp_path):
    download, roster = lms.gradescope(tmp_path)
    output, grades = batch(download, tmp_path / "out")
    assert list(grades["student_id"]) == ["3001", "3002", "3003", "han@example.edu"]  # SID, else email
    frame = grades.set_index("student_id")
    assert frame.loc["3001", "submitted_at"] == "2026-03-01T01:00:00.123456+00:00"
    assert frame.loc["3003", "total"] == frame.loc["han@example.edu", "total"] == FULL  # a pair: both graded

    result = export(tmp_path / "out", "csv", roster)
    assert result.exit_code == 0, result.output
    table = read_back(tmp_path / "out" / "import-csv.csv")
    points = dict(zip(table["student_id"], table["total"]))
    assert points["3001"] == "20" and points["3003"] == "20" and points["han@example.edu"] == "20"
    assert float(points["3002"]) < FULL and points["3005"] == ""


def test_classroom_folder_to_csv_with_its_roster(tmp_path):
    root, roster = lms.classroom(tmp_path)
    output, grades = batch(root, tmp_path / "out")
    assert list(grades["student_id"]) == ["kimminsu", "leeann", "parkjin"]
    assert "skipped logic-gates-parkjin/stolen.txt: a link or special file, not copied" in output
    assert not (tmp_path / "out" / "intake" / "students" / "parkjin" / "stolen.txt").exists()

    result = export(tmp_path / "out", "csv", roster)
    assert result.exit_code == 0, result.output
    points = dict(zip(*(read_back(tmp_path / "out" / "import-csv.csv")[c] for c in ("student_id", "total"))))
    assert points["kimminsu"] == "20" and points["parkjin"] == "20" and float(points["leeann"]) < FULL


def test_a_gradebook_that_matches_nobody_is_refused_naming_the_columns(tmp_path):
    download, gradebook = lms.canvas(tmp_path)
    batch(download, tmp_path / "out")
    lms.write_csv(tmp_path / "other.csv", [["Student", "ID", "SIS User ID", "SIS Login ID", "Section"],
                                           ["Kim, Minsu", "9001", "", "", ""], ["Lee, Ann", "9002", "", "", ""]])
    result = export(tmp_path / "out", "canvas", tmp_path / "other.csv")
    assert result.exit_code == 1
    assert "0 of 2 roster students (0%) matched a submission" in result.output
    assert "compared grades.csv column student_id with canvas column 'ID'" in result.output
    assert "Submissions not in the roster (4): 1001, 1002, 1003, 1004" in result.output
    assert "Roster ids without a submission (2): 9001, 9002" in result.output
    assert not (tmp_path / "out" / "import-canvas.csv").exists()
    below = export(tmp_path / "out", "canvas", gradebook, "--min-match", "90")  # 4 of 5 is 80%
    assert below.exit_code == 1 and "fewer than --min-match 90%" in below.output


def test_layout_is_detected_and_can_be_forced(tmp_path):
    root, _ = lms.classroom(tmp_path)
    assert detect_layout(root) == "classroom"
    plain = tmp_path / "plain"
    plain.mkdir()
    (plain / "kim.py").write_bytes(lms.SOLUTION_PY)
    (plain / "kim.zip").write_bytes(b"PK")
    (plain / "lee.zip").write_bytes(lms.zip_bytes({"lab/01_logic_gates.ipynb": lms.SOLUTION_NB}))
    (plain / "park.zip").write_bytes(b"PK not a zip")
    (plain / "notes.txt").write_text("x", encoding="utf-8")
    intake = read_download(plain, tmp_path / "work", wanted=("01_logic_gates.ipynb",))
    assert intake.layout == "plain" and [e.student_id for e in intake.entries] == ["kim", "lee", "park"]
    entries = {e.student_id: e for e in intake.entries}
    assert entries["kim"].path == plain / "kim.py"  # today's layout, read as before
    assert sorted(p.name for p in entries["lee"].path.iterdir()) == ["01_logic_gates.ipynb"]  # a student's .zip
    assert entries["park"].status.startswith("error: park.zip: not a readable .zip file")
    assert intake.lines() == ["skipped notes.txt: not a notebook (.ipynb), module (.py), folder or .zip",
                              "skipped kim.zip: kim handed in another submission too; the .zip is not graded"]
    with pytest.raises(SubmissionError, match="no student submissions found in this canvas download"):
        read_download(plain, tmp_path / "work", layout="canvas")
    with pytest.raises(UsageError, match="--layout must be one of"):
        read_download(plain, tmp_path / "work", layout="sakai")


def test_the_work_folder_is_never_one_the_batch_did_not_make(tmp_path):
    download, _ = lms.canvas(tmp_path)
    mine = tmp_path / "work"
    mine.mkdir()
    (mine / "thesis.tex").write_text("keep me", encoding="utf-8")
    with pytest.raises(UsageError, match="was not made by grade batch"):
        read_download(download, mine)
    assert (mine / "thesis.tex").read_text(encoding="utf-8") == "keep me"


def test_a_students_broken_zip_is_their_row_and_the_others_go_on(tmp_path):
    download = lms.write_zip(tmp_path / "submissions.zip", {
        "kimminsu_1001_5001_01_logic_gates.ipynb": lms.SOLUTION_NB,
        "leeann_1002_5002_hw.zip": lms.zip_bytes({"../../outside.py": b"x = 1\n"}),
        "parkjin_1003_5003_hw.zip": b"PK this is no zip",
        "README.txt": b"downloaded from Canvas",
    })
    intake = read_download(download, tmp_path / "work")
    assert intake.layout == "canvas"
    status = {e.student_id: e.status for e in intake.entries}
    assert status["1001"] == ""
    assert status["1002"] == "error: hw.zip: entry '../../outside.py' has an unsafe name (absolute, '..' or a drive)"
    assert status["1003"].startswith("error: hw.zip: not a readable .zip file")
    korean = {e.student_id: e.status_ko for e in intake.entries}  # what the student's own result says
    assert korean["1001"] == "" and korean["1003"].startswith("오류: hw.zip: 압축을 풀 수 없습니다 (not a readable .zip file")
    assert intake.lines() == ["skipped README.txt: not a Canvas submission name ({name}_{user id}_{submission id}_{file})"]
    assert not list(tmp_path.rglob("outside.py"))


def test_names_from_a_download_cannot_drive_the_terminal(tmp_path):
    download = lms.write_zip(tmp_path / "submissions.zip", {
        "kimminsu_1001_5001_01_logic_gates.py": lms.SOLUTION_PY,
        "\x1b[2Jwiped\x07.txt": b"x",
    })
    intake = read_download(download, tmp_path / "work")
    assert intake.lines() == ["skipped \\x1b[2Jwiped\\x07.txt: not a Canvas submission name "
                              "({name}_{user id}_{submission id}_{file})"]
