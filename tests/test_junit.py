"""JUnit XML parsed back with xml.etree: its counts match the result."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from autograder.exports.junit import write_junit
from autograder.grading.results import CheckResult, SubmissionResult


def result() -> SubmissionResult:
    return SubmissionResult("0001", "xor_mlp", "0001.ipynb", "h", duration_s=4.25, checks=[
        CheckResult("test_shapes", "passed", 1, 1, duration_s=0.1),
        CheckResult("test_xor", "failed", 0, 3, message="XOR(1, 1): expected 0, got 1", expected="0", got="1"),
        CheckResult("test_partial", "partial", 1, 2, message="accuracy"),
        CheckResult("test_crash", "error", 0, 2, message="mlp_xor raised ZeroDivisionError: division by zero"),
        CheckResult("test_slow", "timeout", 0, 2, message="train did not finish within the time limit (5 s)"),
    ], output="student printed \x1b[31m<red>\x00 text")


def test_counts_match_the_result(tmp_path):
    path = write_junit(result(), tmp_path / "junit.xml")
    root = ET.parse(path).getroot()
    assert root.tag == "testsuites"
    suite = root.find("testsuite")
    cases = suite.findall("testcase")
    assert [c.get("name") for c in cases] == ["test_shapes", "test_xor", "test_partial", "test_crash", "test_slow"]
    assert len(suite.findall("testcase/failure")) == int(suite.get("failures")) == 2
    assert len(suite.findall("testcase/error")) == int(suite.get("errors")) == 2
    assert int(suite.get("tests")) == len(cases) == 5
    assert root.get("tests") == "5" and root.get("failures") == "2" and root.get("errors") == "2"
    assert suite.get("skipped") == "0" and suite.get("time") == "4.250"
    passed = [c for c in cases if not list(c)]
    assert [c.get("name") for c in passed] == ["test_shapes"]


def test_failure_carries_message_expected_and_got(tmp_path):
    root = ET.parse(write_junit(result(), tmp_path / "junit.xml")).getroot()
    failure = root.find(".//testcase[@name='test_xor']/failure")
    assert failure.get("message") == "XOR(1, 1): expected 0, got 1"
    assert failure.get("type") == "failed"
    assert "Expected: 0" in failure.text and "Got: 1" in failure.text and "Points: 0/3" in failure.text
    assert root.find(".//testcase[@name='test_slow']/error").get("type") == "timeout"


def test_properties_and_student_output_survive(tmp_path):
    root = ET.parse(write_junit(result(), tmp_path / "junit.xml")).getroot()
    properties = {p.get("name"): p.get("value") for p in root.iter("property")}
    assert properties["points"] == "2" and properties["max_points"] == "10" and properties["student_id"] == "0001"
    out = root.find("testsuite/system-out").text
    assert "<red>" in out and "\x00" not in out  # escaped by the writer, illegal XML characters replaced


def test_ungraded_submission_is_one_error(tmp_path):
    broken = SubmissionResult("0002", "xor_mlp", "0002.ipynb", "h", status="error: not a valid notebook")
    root = ET.parse(write_junit(broken, tmp_path / "junit.xml")).getroot()
    suite = root.find("testsuite")
    assert (suite.get("tests"), suite.get("errors"), suite.get("failures")) == ("1", "1", "0")
    assert suite.find("testcase").get("name") == "submission"
    assert "not a valid notebook" in suite.find("testcase/error").get("message")


def test_korean_messages(tmp_path):
    r = result()
    r.checks[1].message_ko = "XOR(1, 1): 기대한 값 0, 받은 값 1"
    root = ET.parse(write_junit(r, tmp_path / "junit.xml", lang="ko")).getroot()
    failure = root.find(".//testcase[@name='test_xor']/failure")
    assert failure.get("message") == "XOR(1, 1): 기대한 값 0, 받은 값 1" and "기대한 값: 0" in failure.text


def test_why_a_submission_did_not_run_is_said_in_the_language_asked(tmp_path):
    crashed = result()
    crashed.status = "error: exit code 1 while running the submission's code"
    crashed.status_ko = "오류: 제출물 코드를 실행하는 중 프로세스가 멈췄습니다 (종료 코드 1로 끝났습니다)"
    for lang, said in (("en", "could not be graded: exit code 1 while running the submission's code"),
                       ("ko", "채점할 수 없습니다: 제출물 코드를 실행하는 중 프로세스가 멈췄습니다 (종료 코드 1로 끝났습니다)")):
        suite = ET.parse(write_junit(crashed, tmp_path / f"{lang}.xml", lang=lang)).getroot().find("testsuite")
        assert (suite.get("tests"), suite.get("errors")) == ("6", "3")
        assert said in suite.find("testcase[@name='submission']/error").get("message")
