"""Moodle grade import CSV: key column, grade column, Feedback."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from autograder.exports.files import ExportError
from autograder.exports.lms import export_grades
from autograder.grading.results import CheckResult, SubmissionResult


@pytest.fixture
def batch(tmp_path):
    pd.DataFrame({
        "student_id": ["0001", "0002"], "test_and": [2.0, 2.0], "test_xor": [3.0, 0.0],
        "total": [5.0, 2.0], "max": [5.0, 5.0], "percent": [100.0, 40.0], "status": ["graded", "graded"],
        "graded_by": "code", "duration_s": [1.0, 1.0], "notes": "", "content_hash": "h", "submitted_at": "",
    }).to_csv(tmp_path / "grades.csv", index=False)
    pd.DataFrame({
        "student_id": ["0001", "0002", "0003"], "name": ["Kim", "Lee", "Park"],
        "email": ["kim@uni.ac.kr", "lee@uni.ac.kr", "park@uni.ac.kr"], "username": ["kim", "lee", "park"],
        "idnumber": ["60230001", "60230002", "60230003"],
    }).to_csv(tmp_path / "roster.csv", index=False)
    return tmp_path


def read_back(path):
    return pd.read_csv(path, dtype=str, keep_default_na=False)


@pytest.mark.parametrize(("key", "header", "values"), [
    ("email", "Email address", ["kim@uni.ac.kr", "lee@uni.ac.kr", "park@uni.ac.kr"]),
    ("username", "Username", ["kim", "lee", "park"]),
    ("idnumber", "ID number", ["60230001", "60230002", "60230003"]),
])
def test_key_column_grade_and_feedback(batch, key, header, values):
    out = batch / "moodle.csv"
    export_grades(batch / "grades.csv", out, to="moodle", roster=batch / "roster.csv", title="Logic gates",
                  moodle_key=key, lang="en")
    table = read_back(out)
    assert list(table.columns) == [header, "Logic gates", "Feedback"]
    assert list(table[header]) == values
    assert list(table["Logic gates"]) == ["5", "2", ""]
    assert list(table["Feedback"]) == ["Points 5/5.", "Points 2/5.", "No submission."]


def test_feedback_names_lost_checks_from_results(batch):
    (batch / "results").mkdir()
    result = SubmissionResult("0002", "logic_gates", "0002.ipynb", "h", checks=[
        CheckResult("test_and", "passed", 2, 2), CheckResult("test_xor", "failed", 0, 3)])
    (batch / "results" / "0002.json").write_text(json.dumps(result.to_dict()), encoding="utf-8")
    export_grades(batch / "grades.csv", batch / "m.csv", to="moodle", roster=batch / "roster.csv", title="T")
    feedback = list(read_back(batch / "m.csv")["Feedback"])
    assert feedback == ["점수 5/5.", "점수 2/5. 감점된 항목: test_xor 0/3.", "제출물 없음."]


def test_a_status_reads_in_korean_from_the_students_result(batch):
    grades = pd.read_csv(batch / "grades.csv", dtype={"student_id": str})
    grades.loc[1, "status"] = "error: exit code 1 while running the submission's code"
    grades.to_csv(batch / "grades.csv", index=False)
    (batch / "results").mkdir()
    korean = "오류: 제출물 코드를 실행하는 중 프로세스가 멈췄습니다 (종료 코드 1로 끝났습니다)"
    result = SubmissionResult("0002", "logic_gates", "0002.py", "h", status=grades.loc[1, "status"], status_ko=korean)
    (batch / "results" / "0002.json").write_text(json.dumps(result.to_dict()), encoding="utf-8")
    export_grades(batch / "grades.csv", batch / "m.csv", to="moodle", roster=batch / "roster.csv", title="T")
    assert korean in read_back(batch / "m.csv")["Feedback"][1]
    export_grades(batch / "grades.csv", batch / "m.csv", to="moodle", roster=batch / "roster.csv", title="T", lang="en")
    assert "exit code 1 while running the submission's code" in read_back(batch / "m.csv")["Feedback"][1]


def test_missing_key_value_names_the_roster_line(batch):
    roster = pd.read_csv(batch / "roster.csv", dtype=str)
    roster.loc[1, "email"] = ""
    roster.to_csv(batch / "roster.csv", index=False)
    with pytest.raises(ExportError, match=r"roster\.csv: line 3: no email"):
        export_grades(batch / "grades.csv", batch / "m.csv", to="moodle", roster=batch / "roster.csv", title="T")


def test_title_may_not_shadow_the_key_column(batch):
    with pytest.raises(ExportError, match="clashes"):
        export_grades(batch / "grades.csv", batch / "m.csv", to="moodle", roster=batch / "roster.csv",
                      title="Email address")


def test_a_broken_result_file_costs_only_its_student_the_check_names(batch):
    (batch / "results").mkdir()
    result = SubmissionResult("0002", "logic_gates", "0002.ipynb", "h", checks=[CheckResult("test_xor", "failed", 0, 3)])
    (batch / "results" / "0002.json").write_text(json.dumps(result.to_dict()), encoding="utf-8")
    (batch / "results" / "0001.json").write_text('{"checks": [{"id": [1]}]}', encoding="utf-8")
    report = export_grades(batch / "grades.csv", batch / "m.csv", to="moodle", roster=batch / "roster.csv", title="T",
                           lang="en")
    assert list(read_back(batch / "m.csv")["Feedback"]) == ["Points 5/5.", "Points 2/5. Lost points: test_xor 0/3.",
                                                            "No submission."]
    assert len(report.problems) == 1
    assert report.problems[0].startswith(f"{batch / 'results' / '0001.json'}: not a result file from grade batch (")
    assert report.problems[0].endswith("; the Feedback of 0001 names no checks")


def test_formulas_in_names_and_feedback_are_neutralised(batch):
    roster = pd.read_csv(batch / "roster.csv", dtype=str)
    roster.loc[0, "email"] = "=HYPERLINK(\"http://evil\",\"kim\")"
    roster.to_csv(batch / "roster.csv", index=False)
    export_grades(batch / "grades.csv", batch / "m.csv", to="moodle", roster=batch / "roster.csv", title="@T", lang="en")
    text = (batch / "m.csv").read_text(encoding="utf-8")
    assert text.splitlines()[:2] == ['Email address,\'@T,Feedback', '"\'=HYPERLINK(""http://evil"",""kim"")",5,Points 5/5.']
