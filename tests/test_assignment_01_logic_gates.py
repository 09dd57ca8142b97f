"""01_logic_gates: the solution scores full marks, the template 0, each known-buggy variant loses exactly the checks it names."""

from __future__ import annotations

from pathlib import Path

import pytest

from autograder.authoring import notebook_module, read_notebook
from autograder.course import Assignment
from autograder.grading import GradeOptions, grade_submission
from autograder.results import SubmissionResult
from autograder.validate import expected_lost, find_mutants

COURSE = Path(__file__).resolve().parent.parent
NAME = "01_logic_gates"
SOLUTION = COURSE / "solutions" / NAME
TEMPLATE = COURSE / "assignments" / NAME / f"{NAME}.ipynb"
MUTANTS = find_mutants(COURSE / "rubrics" / NAME / "mutants")


def grade(path: Path, suite: str = "hidden") -> SubmissionResult:
    return grade_submission(path, Assignment(NAME, COURSE), GradeOptions(suite=suite))


def lost(result: SubmissionResult) -> list[str]:
    return [c.id for c in result.checks if c.points < c.max_points]


@pytest.mark.parametrize("suite", ["hidden", "public"])
@pytest.mark.parametrize("file_name", [f"{NAME}.py", f"{NAME}.ipynb"])
def test_the_solution_scores_full_marks(file_name, suite):
    result = grade(SOLUTION / file_name, suite)
    assert result.status == "graded"
    assert [(c.id, c.message) for c in result.checks if not c.passed] == []
    assert result.total == result.max > 0
    assert result.cell_errors == []


@pytest.mark.parametrize("suite", ["hidden", "public"])
def test_the_template_scores_zero_without_crashing(suite):
    result = grade(TEMPLATE, suite)
    assert result.status == "graded"
    assert result.total == 0
    assert all(c.status == "error" and "NotImplementedError" in c.message for c in result.checks)


def test_the_solution_module_is_the_notebook_s_code():
    notebook = read_notebook((SOLUTION / f"{NAME}.ipynb").read_text(encoding="utf-8"))
    module = (SOLUTION / f"{NAME}.py").read_text(encoding="utf-8")
    header = module.split('"""\n\n', 1)[0] + '"""\n\n'
    assert module == notebook_module(notebook, header=header)


def test_there_are_enough_mutants_and_each_names_its_checks():
    assert len(MUTANTS) >= 6
    checks = set(Assignment(NAME, COURSE).rubric("hidden").checks)
    for mutant in MUTANTS:
        names = expected_lost(mutant)
        assert names, f"{mutant.name} has no '# expect-lost:' line"
        assert set(names) <= checks, f"{mutant.name} names unknown checks {set(names) - checks}"


@pytest.mark.parametrize("mutant", MUTANTS, ids=lambda path: path.stem)
def test_a_mutant_loses_exactly_the_checks_it_names(mutant):
    result = grade(mutant)
    assert result.status == "graded"
    assert sorted(lost(result)) == sorted(expected_lost(mutant))
