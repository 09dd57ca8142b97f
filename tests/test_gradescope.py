"""Gradescope results.json, validated against a schema written from Gradescope's specification."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from jsonschema import Draft202012Validator

from autograder.cli.lms import gradescope
from autograder.exports.gradescope import gradescope_results, schema_path, write_gradescope
from autograder.grading.results import CheckResult, SubmissionResult


@pytest.fixture(scope="module")
def validator():
    schema = json.loads(schema_path().read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


def graded() -> SubmissionResult:
    return SubmissionResult("0001", "logic_gates", "0001.ipynb", "h", duration_s=12.6, checks=[
        CheckResult("test_and", "passed", 2, 2, message="", visibility="public"),
        CheckResult("test_xor", "failed", 0, 3, message="XOR(1, 1): expected 0, got 1", expected="0", got="1",
                    hint="XOR needs a hidden layer"),
        CheckResult("test_accuracy", "partial", 1.5, 3, message="held-out accuracy", expected=">= 0.85",
                    got="0.80"),
    ], metrics={"accuracy": 0.8})


def test_valid_document_with_scores_and_visibility(validator):
    document = gradescope_results(graded())
    validator.validate(document)
    assert document["score"] == 3.5
    assert document["execution_time"] == 13
    assert [t["name"] for t in document["tests"]] == ["test_and", "test_xor", "test_accuracy"]
    assert [(t["score"], t["max_score"]) for t in document["tests"]] == [(2, 2), (0, 3), (1.5, 3)]
    assert [t["status"] for t in document["tests"]] == ["passed", "failed", "failed"]
    assert [t["visibility"] for t in document["tests"]] == ["visible", "after_published", "after_published"]
    assert document["output_format"] == "text" and document["test_output_format"] == "text"


def test_failed_check_output_shows_expected_and_got(validator):
    xor = gradescope_results(graded())["tests"][1]
    assert xor["output"] == "XOR(1, 1): expected 0, got 1\nExpected: 0\nGot: 1\nHint: XOR needs a hidden layer"


def test_korean_messages(validator):
    result = graded()
    result.checks[1].message_ko = "XOR(1, 1): 기대한 값 0, 받은 값 1"
    document = gradescope_results(result, lang="ko")
    validator.validate(document)
    assert document["tests"][1]["output"].startswith("XOR(1, 1): 기대한 값 0, 받은 값 1\n기대한 값: 0\n받은 값: 1")


def test_why_a_submission_did_not_run_is_said_in_the_language_asked(validator):
    result = graded()
    result.status = "error: raised NameError at import (line 2): name 'f' is not defined"
    result.status_ko = "오류: 코드를 불러오는 중 2번째 줄에서 NameError 발생: name 'f' is not defined"
    korean = gradescope_results(result, lang="ko")
    validator.validate(korean)
    assert "제출물을 채점할 수 없습니다: 코드를 불러오는 중 2번째 줄에서 NameError 발생" in korean["output"]
    english = gradescope_results(result, lang="en")
    assert "could not be graded: raised NameError at import (line 2)" in english["output"]
    assert "불러오는" not in english["output"]
    assert korean["extra_data"]["status"] == english["extra_data"]["status"] == result.status  # TAs filter on it


def test_hidden_visibility_option(validator):
    document = gradescope_results(graded(), hidden_visibility="after_due_date")
    validator.validate(document)
    assert [t["visibility"] for t in document["tests"]] == ["visible", "after_due_date", "after_due_date"]


def test_timed_out_submission_without_checks_is_still_valid(validator):
    result = SubmissionResult("0002", "xor", "0002.ipynb", "h", status="timeout", duration_s=120.0)
    document = gradescope_results(result)
    validator.validate(document)
    assert document["score"] == 0 and document["tests"] == []
    assert "ran out of time" in document["output"]


def test_schema_rejects_what_gradescope_would(validator):
    document = gradescope_results(graded())
    document["tests"][0]["visibility"] = "sometimes"
    assert not validator.is_valid(document)
    assert not validator.is_valid({"output": "no score and no tests"})
    assert not validator.is_valid({"score": 1, "tests": [{"name": "x", "status": "partial"}]})


def test_cli_converts_a_result_file(tmp_path, validator):
    source = tmp_path / "0001.json"
    source.write_text(json.dumps(graded().to_dict()), encoding="utf-8")
    out = tmp_path / "results.json"
    result = CliRunner().invoke(gradescope, [str(source), "-o", str(out)], catch_exceptions=False)
    assert result.exit_code == 0
    assert result.output == f"Wrote {out}\n"
    validator.validate(json.loads(out.read_text(encoding="utf-8")))


def test_write_is_utf8_json(tmp_path, validator):
    path = write_gradescope(graded(), tmp_path / "results.json", lang="ko")
    assert json.loads(path.read_text(encoding="utf-8"))["output"].startswith("점수")


RUN_AUTOGRADER = Path(__file__).resolve().parent.parent / "assignments" / "_gradescope" / "run_autograder"


def fake_grade(bin_dir: Path, *, batch_works: bool) -> None:
    """A stand-in for the `grade` command: batch writes one result, gradescope converts it."""
    result = json.dumps(graded().to_dict())
    script = bin_dir / "grade"
    script.write_text(f"""#!/usr/bin/env bash
set -e
if [ "$1" = batch ]; then
  {'' if batch_works else 'echo "Error: batch broke" >&2; exit 1'}
  out="$(dirname "$6")"; mkdir -p "$out/results"
  cat > "$out/results/submission.json" <<'JSON'
{result}
JSON
elif [ "$1" = gradescope ]; then
  "{sys.executable}" -c 'import sys; from autograder.exports.gradescope import convert_result; convert_result(sys.argv[1], sys.argv[3], lang="en")' "${{@:2}}"
fi
""", encoding="utf-8")
    script.chmod(0o755)


@pytest.mark.parametrize("batch_works", [True, False])
def test_run_autograder_always_writes_valid_results(tmp_path, validator, batch_works):
    root = tmp_path / "autograder"
    (root / "source").mkdir(parents=True)
    (root / "submission").mkdir()
    (root / "source" / "ASSIGNMENT").write_text("logic_gates\n", encoding="utf-8")
    (root / "submission" / "logic_gates.ipynb").write_text("{}", encoding="utf-8")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake_grade(bin_dir, batch_works=batch_works)
    env = {**os.environ, "AUTOGRADER_ROOT": str(root), "PATH": f"{bin_dir}:{os.environ['PATH']}",
           "PYTHONPATH": str(RUN_AUTOGRADER.parents[2])}
    run = subprocess.run(["bash", str(RUN_AUTOGRADER)], env=env, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    document = json.loads((root / "results" / "results.json").read_text(encoding="utf-8"))
    validator.validate(document)
    assert document["score"] == (3.5 if batch_works else 0)


def test_cli_makes_missing_output_folders(tmp_path, validator):
    source = tmp_path / "0001.json"
    source.write_text(json.dumps(graded().to_dict()), encoding="utf-8")
    out = tmp_path / "autograder" / "results" / "results.json"
    result = CliRunner().invoke(gradescope, [str(source), "-o", str(out)], catch_exceptions=False)
    assert (result.exit_code, result.output) == (0, f"Wrote {out}\n")
    validator.validate(json.loads(out.read_text(encoding="utf-8")))
