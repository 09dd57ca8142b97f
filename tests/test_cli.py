"""The grade command, read like its manual: exact output and exit codes."""

from __future__ import annotations

import re

import pandas as pd
import pytest
from click.testing import CliRunner

from autograder.cli.main import grade
from tests.conftest import UNGRADABLE, write_notebook


def invoke(*args: str):
    return CliRunner().invoke(grade, list(args), catch_exceptions=False)


def test_check_passes_with_exit_code_0(tiny_course, tmp_path, good_source):
    path = write_notebook(tmp_path / "tiny.ipynb", good_source)
    result = invoke("check", str(path), "--lang", "en")
    assert result.exit_code == 0
    assert result.stdout == (
        f"tiny: {path}\n"
        "  PASS  test_and         2/2\n"
        "  PASS  test_and_arrays  1/1\n"
        "  PASS  test_total       1/1\n"
        "Total: 4/4 (100.0%)\n"
        "These were the public checks only: grading runs more (hidden) checks, "
        "so passing them does not guarantee full marks.\n"
    )


def test_check_shows_what_to_fix_and_exits_1(tiny_course, tmp_path, good_source):
    path = tmp_path / "tiny.py"
    path.write_text(good_source.replace("TOTAL = 3", "TOTAL = 2"), encoding="utf-8")
    result = invoke("check", str(path))
    assert result.exit_code == 1
    assert result.stdout.splitlines()[-4:-1] == [
        "  FAIL  test_total       0/1",
        "        TOTAL: expected 3, got 2",
        "Total: 3/4 (75.0%)",
    ]


def test_check_speaks_korean_when_asked(tiny_course, tmp_path):
    path = tmp_path / "tiny.py"
    path.write_text("TOTAL = 3\n", encoding="utf-8")
    result = invoke("check", str(path), "--lang", "ko")
    assert "  실패     test_and         0/2\n" in result.stdout
    assert "        제출물에 함수 AND이(가) 정의되어 있지 않습니다" in result.stdout
    assert result.stdout.endswith("합계: 1/4 (25.0%)\n지금 본 것은 공개 검사뿐입니다: 채점은 더 많은 비공개 검사로 하므로, "
                                  "공개 검사를 모두 통과해도 만점이 보장되지는 않습니다.\n")


@pytest.mark.parametrize("case", UNGRADABLE)
def test_check_says_why_a_submission_cannot_be_graded_in_the_language_asked(tiny_course, tmp_path, case):
    name, content, english, korean = UNGRADABLE[case]
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    status = {lang: [line for line in invoke("check", str(path), "--lang", lang).stdout.splitlines()
                     if line.startswith("  status: ") or line.startswith("  상태: ")] for lang in ("en", "ko")}
    assert len(status["en"]) == 1 and status["en"][0].startswith(f"  status: error: {english}")
    assert not re.search(r"[\uac00-\ud7a3]", status["en"][0])
    assert len(status["ko"]) == 1 and status["ko"][0].startswith(f"  상태: 오류: {korean}")
    assert str(tmp_path) not in status["ko"][0] + status["en"][0]


def test_check_in_the_assignment_folder_finds_the_notebook(tiny_course, good_source, monkeypatch):
    folder = tiny_course / "assignments" / "tiny"
    write_notebook(folder / "tiny.ipynb", good_source)
    monkeypatch.chdir(folder)
    result = invoke("check")
    assert result.exit_code == 0 and "Total: 4/4 (100.0%)\n" in result.stdout


def test_check_reports_cell_errors(tiny_course, tmp_path, good_source):
    path = write_notebook(tmp_path / "tiny.ipynb", good_source, "1 / 0")
    result = invoke("check", str(path), "--lang", "en")
    assert "  cell 2: ZeroDivisionError: division by zero\n" in result.stdout
    assert result.exit_code == 0  # every check passed; the broken cell is reported, not scored


def test_check_of_a_missing_file_is_one_line_and_exit_code_2(tiny_course, tmp_path):
    result = CliRunner().invoke(grade, ["check", str(tmp_path / "nope.ipynb"), "-a", "tiny"])
    assert result.exit_code == 2
    assert result.stderr == f"Error: {tmp_path / 'nope.ipynb'}: no such file or folder\n"


def test_unknown_assignment_is_one_line_and_exit_code_1(tiny_course, tmp_path):
    result = CliRunner().invoke(grade, ["batch", str(tmp_path), "-a", "nope"])
    assert result.exit_code == 1
    assert result.stderr == f"Error: unknown assignment 'nope' in {tiny_course} (known: tiny)\n"


def test_list_shows_assignments_checks_and_points(tiny_course):
    result = invoke("list")
    assert result.exit_code == 0
    assert result.stdout == (
        "tiny  Tiny\n"
        "  hidden checks (4 points):\n"
        "    test_and         2\n"
        "    test_and_arrays  1\n"
        "    test_total       1\n"
        "  public checks (4 points):\n"
        "    test_and         2\n"
        "    test_and_arrays  1\n"
        "    test_total       1\n"
    )


def test_batch_writes_one_row_per_student(tiny_course, tmp_path, good_source):
    subs = tmp_path / "subs"
    subs.mkdir()
    (subs / "s1.py").write_text(good_source, encoding="utf-8")
    (subs / "s2.py").write_text("import nope\n", encoding="utf-8")
    write_notebook(subs / "s3.ipynb", good_source.replace("TOTAL = 3", "TOTAL = 0"))
    out = tmp_path / "out" / "grades.csv"
    out.parent.mkdir()
    result = invoke("batch", str(subs), "-a", "tiny", "-o", str(out), "-j", "2")
    assert result.exit_code == 0
    assert result.stdout == (
        f"3 submissions (1 error, 2 graded) -> {out}\n"
        "  s2: error: raised ModuleNotFoundError at import (line 1): No module named 'nope'\n"
        "1 of 3 submissions had problems (listed above); the others are graded\n"
    )
    grades = pd.read_csv(out)
    assert list(grades["student_id"]) == ["s1", "s2", "s3"]
    assert list(grades["total"]) == [4.0, 0.0, 3.0]
    assert sorted((out.parent / "results").iterdir()) == [out.parent / "results" / f"s{i}.json" for i in (1, 2, 3)]


def test_batch_into_a_missing_folder_makes_it(tiny_course, tmp_path, good_source):
    subs = tmp_path / "subs"
    subs.mkdir()
    (subs / "s1.py").write_text(good_source, encoding="utf-8")
    out = tmp_path / "out" / "week1" / "g.csv"
    result = CliRunner().invoke(grade, ["batch", str(subs), "-a", "tiny", "-o", str(out)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert out.exists() and (out.parent / "results" / "s1.json").exists()


def test_batch_with_no_submissions_makes_no_folder(tiny_course, tmp_path):
    (tmp_path / "subs").mkdir()
    result = CliRunner().invoke(grade, ["batch", str(tmp_path / "subs"), "-a", "tiny", "-o", str(tmp_path / "no" / "g.csv")])
    assert result.exit_code == 1 and "no submissions" in result.stderr
    assert not (tmp_path / "no").exists()


def test_every_command_has_help_and_is_in_the_readme():
    from pathlib import Path

    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    for name, command in grade.commands.items():
        assert command.help, f"grade {name} has no help text"
        assert f"grade {name}" in readme, f"grade {name} is not in README.md"


def test_ci_writes_junit_and_a_job_summary_and_prints_points(tiny_course, tmp_path, good_source, monkeypatch):
    import xml.etree.ElementTree as ET

    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "tiny.py").write_text(good_source.replace("TOTAL = 3", "TOTAL = 1"), encoding="utf-8")
    summary = tmp_path / "summary.md"
    monkeypatch.chdir(repo)
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    result = invoke("ci", "--junit", "junit.xml", "--lang", "en")
    assert result.exit_code == 1
    assert "Total: 3/4 (75.0%)\nThese were the public checks only" in result.stdout
    assert result.stdout.endswith("full marks.\nPoints 3/4\n")
    suite = ET.parse(repo / "junit.xml").getroot()
    suite = suite if suite.tag == "testsuite" else suite.find("testsuite")
    assert (suite.get("tests"), suite.get("failures")) == ("3", "1")
    assert "test_total" in summary.read_text(encoding="utf-8")


# -- fail closed: hidden checks run in the sandbox, or with --no-sandbox and a note ------------------

NO_SANDBOX = ("Error: a sandbox is required but bubblewrap cannot be used here (GRADE_SANDBOX=none); pass "
              "--no-sandbox to grade without one, or make bubblewrap work (Debian, Ubuntu: apt-get install bubblewrap)\n")


def one_submission(tmp_path, source):
    subs, out = tmp_path / "subs", tmp_path / "out"
    subs.mkdir()
    out.mkdir()
    (subs / "s1.py").write_text(source, encoding="utf-8")
    return subs, out / "grades.csv"


def test_the_grade_command_leaves_its_output_its_exit_code_and_no_folders_behind(tiny_course, tmp_path, good_source):
    """``grade`` ends without Python's teardown (cli/main.py, _leave): still every line printed, the exit
    code, and what exit handlers clean up (the pool's forkserver folder) cleaned up."""
    import os
    import subprocess
    import sys

    subs, out = one_submission(tmp_path, good_source)
    temp = tmp_path / "temp"
    temp.mkdir()
    env = {**os.environ, "GRADE_COURSE": str(tiny_course), "TMPDIR": str(temp)}
    command = [sys.executable, "-m", "autograder.cli", "batch"]
    run = subprocess.run([*command, str(subs), "-a", "tiny", "-o", str(out)], env=env, capture_output=True,
                         text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    assert run.stdout.splitlines()[0] == f"1 submissions (1 graded) -> {out}"
    assert list(temp.iterdir()) == []
    missing = subprocess.run([*command, str(tmp_path / "nowhere"), "-a", "tiny", "-o", str(out)], env=env,
                             capture_output=True, text=True, timeout=300)
    assert missing.returncode == 1 and missing.stderr.strip().endswith("nowhere: no such folder or .zip download")
    assert list(temp.iterdir()) == []


THREAD_RUBRIC = """
[assignment]
title = "Threads"
language = "en"

[checks]
test_threads = 1
"""

THREAD_CHECKS = """
import os


def test_threads(submission):
    grader = {name: os.environ.get(name) for name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")}
    assert grader == dict.fromkeys(grader, "1"), f"the grading process: {grader}"
    assert submission.value("WORKER") == str(os.cpu_count()), "the worker's own setting (grade check: a thread per core)"
"""


def test_the_grader_runs_one_blas_thread_and_the_worker_keeps_its_own(tmp_path):
    """OpenBLAS in the grader's process gets one thread (cli/entry.py); the student's worker is not affected."""
    import os
    import subprocess
    import sys

    folder = tmp_path / "course" / "assignments" / "threads" / "checks"
    folder.mkdir(parents=True)
    (folder / "rubric.toml").write_text(THREAD_RUBRIC, encoding="utf-8")
    (folder / "test_threads.py").write_text(THREAD_CHECKS, encoding="utf-8")
    (tmp_path / "threads.py").write_text('import os\nWORKER = os.environ.get("OPENBLAS_NUM_THREADS")\n', encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.endswith("_NUM_THREADS")}
    run = subprocess.run([sys.executable, "-m", "autograder.cli", "check", str(tmp_path / "threads.py"), "-a", "threads"],
                         env={**env, "GRADE_COURSE": str(tmp_path / "course")}, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "Total: 1/1 (100.0%)" in run.stdout


def test_batch_without_the_sandbox_refuses_with_exit_code_2(tiny_course, tmp_path, good_source, monkeypatch):
    subs, out = one_submission(tmp_path, good_source)
    monkeypatch.setenv("GRADE_SANDBOX", "none")
    result = CliRunner().invoke(grade, ["batch", str(subs), "-a", "tiny", "-o", str(out)])
    assert (result.exit_code, result.stdout, result.stderr) == (2, "", NO_SANDBOX)
    assert list(out.parent.iterdir()) == []


def test_batch_with_no_sandbox_grades_and_says_so_in_the_csv(tiny_course, tmp_path, good_source):
    import os
    import subprocess
    import sys

    # Its own process: a pool started by an earlier test would keep that test's environment.
    subs, out = one_submission(tmp_path, good_source)
    env = {**os.environ, "GRADE_SANDBOX": "none", "GRADE_COURSE": str(tiny_course)}
    run = subprocess.run([sys.executable, "-m", "autograder.cli", "batch", str(subs), "-a", "tiny", "-o", str(out),
                          "--no-sandbox"], env=env, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    note, *progress = run.stderr.splitlines()  # then, when it takes over 5 s, "graded k/1 submissions ..." lines
    assert note == "note: the sandbox is turned off (GRADE_SANDBOX=none): submissions run without a sandbox"
    assert all(line.startswith("graded ") for line in progress), progress
    assert list(pd.read_csv(out)["sandbox"]) == ["none"]


def test_validate_and_hidden_checks_refuse_too_but_public_checks_run_with_a_note(tiny_course, tmp_path, good_source,
                                                                            monkeypatch):
    monkeypatch.setenv("GRADE_SANDBOX", "none")
    result = CliRunner().invoke(grade, ["validate", "-a", "tiny"])
    assert (result.exit_code, result.stderr) == (2, NO_SANDBOX)
    path = tmp_path / "tiny.py"
    path.write_text(good_source, encoding="utf-8")
    result = CliRunner().invoke(grade, ["ci", str(path), "-a", "tiny", "--hidden"])
    assert (result.exit_code, result.stdout, result.stderr) == (2, "", NO_SANDBOX)
    result = CliRunner().invoke(grade, ["check", str(path), "-a", "tiny", "--hidden"])
    assert (result.exit_code, result.stdout, result.stderr) == (2, "", NO_SANDBOX)
    result = CliRunner().invoke(grade, ["check", str(path), "-a", "tiny"])
    assert result.exit_code == 0 and "Total: 4/4 (100.0%)\n" in result.stdout
    note, *phases = result.stderr.splitlines()  # then what it is doing (starting the worker, ...)
    assert note == "note: the sandbox is turned off (GRADE_SANDBOX=none): submissions run without a sandbox"
    assert phases[0] == "  ... starting the worker..."


def test_batch_where_bwrap_is_missing_says_how_to_install_it(tiny_course, tmp_path, good_source, monkeypatch):
    from autograder.engine import sandbox

    subs, out = one_submission(tmp_path, good_source)
    monkeypatch.delenv("GRADE_SANDBOX", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))  # no bwrap on it
    sandbox.probe.cache_clear()
    try:
        result = CliRunner().invoke(grade, ["batch", str(subs), "-a", "tiny", "-o", str(out)])
    finally:
        monkeypatch.undo()
        sandbox.probe.cache_clear()
    assert result.exit_code == 2
    assert result.stderr == ("Error: a sandbox is required but bubblewrap cannot be used here (bwrap not found; install "
                             "the bubblewrap package); pass --no-sandbox to grade without one, or make bubblewrap work "
                             "(Debian, Ubuntu: apt-get install bubblewrap)\n")


def test_batch_in_the_sandbox_says_bwrap_in_the_csv(tiny_course, tmp_path, good_source, monkeypatch):
    from autograder.engine import sandbox

    if sandbox.sandbox_mode() != "bwrap":
        pytest.skip(sandbox.sandbox_notice())
    subs, out = one_submission(tmp_path, good_source)
    result = invoke("batch", str(subs), "-a", "tiny", "-o", str(out))
    assert result.exit_code == 0  # stderr: no note; a progress line only if it took over 5 s
    assert all(line.startswith("graded ") for line in result.stderr.splitlines()), result.stderr
    assert list(pd.read_csv(out)["sandbox"]) == ["bwrap"]


def test_student_text_reaches_the_terminal_escaped(tiny_course, tmp_path):
    path = tmp_path / "tiny.py"
    path.write_text('raise RuntimeError("\\x1b]0;owned\\x07\\x1b[2K\\rall graded\\n::error::fake")\n', encoding="utf-8")
    result = invoke("check", str(path), "-a", "tiny", "--lang", "en")
    assert "\x1b" not in result.stdout and "\x07" not in result.stdout and "\r" not in result.stdout
    assert "  status: error: raised RuntimeError at import (line 1): \\x1b]0;owned\\x07\\x1b[2K\\rall graded\n" \
           "'::error::fake\n" in result.stdout


def test_check_prints_its_header_then_says_what_it_is_doing(tiny_course, tmp_path, good_source):
    path = write_notebook(tmp_path / "tiny.ipynb", good_source, "print('Epoch 1/1 - loss: 0.5')")
    result = invoke("check", str(path), "--lang", "en")
    assert result.stdout.startswith(f"tiny: {path}\n  PASS")
    assert result.stderr.splitlines() == [
        "  ... starting the worker...", "  ... running code cell 1 of 2", "  ... running code cell 2 of 2",
        "  | Epoch 1/1 - loss: 0.5", "  ... running the checks...",
    ]
    korean = invoke("check", str(path), "--lang", "ko")
    assert "  ... 코드 셀 2개 중 2번째 실행 중" in korean.stderr.splitlines()


def test_check_of_the_hidden_checks_has_no_public_notice(tiny_course, tmp_path, good_source):
    path = write_notebook(tmp_path / "tiny.ipynb", good_source)
    result = invoke("check", str(path), "--hidden", "--lang", "en")
    assert result.exit_code == 0 and result.stdout.endswith("Total: 4/4 (100.0%)\n")


def test_check_heldout_needs_the_hidden_checks_and_a_valid_folder(tiny_course, tmp_path, good_source):
    path = write_notebook(tmp_path / "tiny.ipynb", good_source)
    result = CliRunner().invoke(grade, ["check", str(path), "--heldout", str(tmp_path)])
    assert result.exit_code == 2 and "--heldout grades with the hidden checks: add --hidden" in result.stderr
    result = CliRunner().invoke(grade, ["check", str(path), "--hidden", "--heldout", str(tmp_path)])
    assert result.exit_code == 1
    assert result.stderr == (f"Error: {tmp_path / 't10k-images-idx3-ubyte.gz'}: missing; a held-out folder holds "
                             "t10k-images-idx3-ubyte.gz and t10k-labels-idx1-ubyte.gz\n")
