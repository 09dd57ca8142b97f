"""grade validate: the solution scores full marks, the template 0, every mutant loses points."""

from __future__ import annotations

from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from autograder.cli.main import _Group
from autograder.cli.authoring import validate
from autograder.grading.course import Assignment
from autograder.authoring.validate import expected_lost, validate_assignment
from tests.conftest import write_notebook

REPO = Path(__file__).resolve().parent.parent

TEMPLATE = """
def AND(a, b):
    raise NotImplementedError

TOTAL = None
"""

OR_FOR_AND = """# expect-lost: test_and, test_and_arrays
import numpy as np

TOTAL = 3


def AND(a, b):
    return (np.asarray(a) + np.asarray(b) > 0).astype(int) if np.ndim(a) else int(a == 1 or b == 1)
"""

SCALARS_ONLY = """# expect-lost: test_and_arrays, test_total, test_typo
TOTAL = 3


def AND(a, b):
    return int(a == 1 and b == 1)
"""


@pytest.fixture
def course(tiny_course: Path, good_source: str) -> Path:
    """The tiny course with a solution, a template and two mutants (one mis-declares what catches it)."""
    solutions = tiny_course / "solutions" / "tiny"
    solutions.mkdir(parents=True)
    (solutions / "tiny.py").write_text(good_source, encoding="utf-8")
    write_notebook(solutions / "tiny.ipynb", good_source)
    write_notebook(tiny_course / "assignments" / "tiny" / "tiny.ipynb", TEMPLATE)
    mutants = tiny_course / "rubrics" / "tiny" / "mutants"
    mutants.mkdir()
    (mutants / "or_for_and.py").write_text(OR_FOR_AND, encoding="utf-8")
    (mutants / "scalars_only.py").write_text(SCALARS_ONLY, encoding="utf-8")
    return tiny_course


def grade(*commands: click.Command) -> click.Group:
    """A ``grade`` group holding just these commands, with cli/main.py's handling of GradingError."""
    return _Group("grade", commands=list(commands))


def test_report_says_which_checks_caught_each_mutant(course):
    report = validate_assignment(Assignment("tiny", course), jobs=2)
    assert report.ok and report.problems == []
    assert [(g.suite, g.total, g.max) for g in report.solutions] == [("hidden", 4, 4), ("public", 4, 4)] * 2
    assert [(g.suite, g.total, g.status) for g in report.template] == [("hidden", 0, "graded"), ("public", 0, "graded")]
    or_for_and, scalars_only = report.mutants
    assert or_for_and.killed and or_for_and.caught_by == [
        "test_and", "test_and_arrays", "public:test_and", "public:test_and_arrays"]
    assert or_for_and.unexpected == [] and or_for_and.missed == []
    assert scalars_only.hidden.lost == ["test_and_arrays"] and scalars_only.missed == ["test_total", "test_typo"]
    assert (report.killed, report.mutation_score) == (2, 1.0)
    assert report.silent_checks == ["test_total", "public:test_total"]
    assert report.to_dict()["mutants"][1]["missed"] == ["test_total", "test_typo"]


def test_cli_prints_the_report_and_exits_0(course):
    result = CliRunner().invoke(validate, ["-a", "tiny", "-j", "2"], catch_exceptions=False)
    assert result.exit_code == 0
    assert result.stdout == (
        "tiny\n"
        "  solution tiny.py                      hidden 4/4  public 4/4\n"
        "  solution tiny.ipynb                   hidden 4/4  public 4/4\n"
        "  template tiny.ipynb                   hidden 0/4  public 0/4\n"
        "  mutants (2):\n"
        "    killed    or_for_and.py    -2  caught by test_and, test_and_arrays, public:test_and, public:test_and_arrays\n"
        "    killed    scalars_only.py  -1  caught by test_and_arrays, public:test_and_arrays\n"
        "              expected to lose but did not: test_total\n"
        "              expect-lost names no hidden check: test_typo\n"
        "  mutation score: 2/2 (100%)\n"
        "  checks that catch no mutant: test_total, public:test_total\n"
        "  OK\n"
    )



def test_the_grade_command_ends_after_validating_in_its_own_process(course):
    """``-j 1`` grades in the command's process, which forks numpy workers from a thread it keeps: the
    command still ends (cli/main.py's _leave stops that thread as Python's own exit would)."""
    import os
    import subprocess
    import sys

    run = subprocess.run([sys.executable, "-m", "autograder.cli", "validate", "-a", "tiny", "-j", "1"],
                         env={**os.environ, "GRADE_COURSE": str(course)}, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    assert run.stdout.splitlines()[-1] == "  OK"

def test_wrong_solution_scoring_template_and_survivor_exit_1(course, good_source):
    (course / "solutions" / "tiny" / "tiny.ipynb").unlink()
    (course / "solutions" / "tiny" / "tiny.py").write_text(good_source.replace("TOTAL = 3", "TOTAL = 2"), encoding="utf-8")
    write_notebook(course / "assignments" / "tiny" / "tiny.ipynb", TEMPLATE.replace("None", "3"))
    mutants = course / "rubrics" / "tiny" / "mutants"
    (mutants / "or_for_and.py").unlink()
    (mutants / "same_as_solution.py").write_text(good_source, encoding="utf-8")
    result = CliRunner().invoke(grade(validate), ["validate", "-a", "tiny", "-j", "2"], catch_exceptions=False)
    assert result.exit_code == 1
    assert result.stderr == ""
    assert result.stdout.splitlines()[-7:] == [
        "  mutation score: 1/2 (50%)",
        "  checks that catch no mutant: test_and, test_total, public:test_and, public:test_total",
        "  FAILED: solution tiny.py scores 3/4 on the hidden checks (lost: test_total)",
        "  FAILED: solution tiny.py scores 3/4 on the public checks (lost: test_total)",
        "  FAILED: template tiny.ipynb scores 1/4 on the hidden checks (it should score 0)",
        "  FAILED: template tiny.ipynb scores 1/4 on the public checks (it should score 0)",
        "  FAILED: mutant same_as_solution.py survived: no hidden check took points",
    ]


def test_missing_solution_is_one_line_and_exit_code_1(tiny_course):
    result = CliRunner().invoke(grade(validate), ["validate", "-a", "tiny"], catch_exceptions=False)
    assert result.exit_code == 1
    where = tiny_course / "solutions" / "tiny"
    assert result.stderr == f"Error: {where}: no solution tiny.py or tiny.ipynb to validate against\n"


def test_expect_lost_is_read_from_the_first_lines(tmp_path):
    module = tmp_path / "m.py"
    module.write_text('"""A bug."""\n#  Expect-Lost:test_a,test_b  test_c\nx = 1\n', encoding="utf-8")
    assert expected_lost(module) == ["test_a", "test_b", "test_c"]
    module.write_text("x = 1\n" * 20 + "# expect-lost: test_a\n", encoding="utf-8")
    assert expected_lost(module) is None
    notebook = write_notebook(tmp_path / "m.ipynb", "# expect-lost: test_x\ny = 2")
    assert expected_lost(notebook) == ["test_x"]


def test_01_logic_gates_proves_its_checks():
    report = validate_assignment(Assignment("01_logic_gates", REPO), jobs=2)
    assert report.problems == []
    assert len(report.mutants) >= 5
    assert [(m.name, m.unexpected, m.missed) for m in report.mutants if m.unexpected or m.missed] == []
