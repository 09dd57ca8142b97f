"""The numpy assignments: the solution scores full marks, the template 0, each known-buggy variant loses exactly the checks it names."""

from __future__ import annotations

from pathlib import Path

import pytest

from autograder.authoring.templates import notebook_module, read_notebook
from autograder.grading.course import Assignment
from autograder.grading.grade import GradeOptions, grade_submission
from autograder.grading.results import SubmissionResult
from autograder.authoring.validate import expected_lost, find_mutants

COURSE = Path(__file__).resolve().parent.parent
NAMES = ["01_logic_gates", "02_activations"]
MUTANTS = [(name, path) for name in NAMES for path in find_mutants(COURSE / "rubrics" / name / "mutants")]


def grade(name: str, path: Path, suite: str = "hidden") -> SubmissionResult:
    return grade_submission(path, Assignment(name, COURSE), GradeOptions(suite=suite))


def lost(result: SubmissionResult) -> list[str]:
    return [c.id for c in result.checks if c.points < c.max_points]


@pytest.mark.parametrize("suite", ["hidden", "public"])
@pytest.mark.parametrize("suffix", [".py", ".ipynb"])
@pytest.mark.parametrize("name", NAMES)
def test_the_solution_scores_full_marks(name, suffix, suite):
    result = grade(name, COURSE / "solutions" / name / f"{name}{suffix}", suite)
    assert result.status == "graded"
    assert [(c.id, c.message) for c in result.checks if not c.passed] == []
    assert result.total == result.max > 0
    assert result.cell_errors == []


@pytest.mark.parametrize("suite", ["hidden", "public"])
@pytest.mark.parametrize("name", NAMES)
def test_the_template_scores_zero_without_crashing(name, suite):
    result = grade(name, COURSE / "assignments" / name / f"{name}.ipynb", suite)
    assert result.status == "graded"
    assert result.total == 0
    assert all(c.status == "error" and "NotImplementedError" in c.message for c in result.checks)


@pytest.mark.parametrize("name", NAMES)
def test_the_solution_module_is_the_notebook_s_code(name):
    solution = COURSE / "solutions" / name
    notebook = read_notebook((solution / f"{name}.ipynb").read_text(encoding="utf-8"))
    module = (solution / f"{name}.py").read_text(encoding="utf-8")
    header = module.split('"""\n\n', 1)[0] + '"""\n\n'
    assert module == notebook_module(notebook, header=header)


@pytest.mark.parametrize("name", NAMES)
def test_there_are_enough_mutants_and_each_names_its_checks(name):
    mutants = [path for owner, path in MUTANTS if owner == name]
    assert len(mutants) >= 6
    checks = set(Assignment(name, COURSE).rubric("hidden").checks)
    for mutant in mutants:
        names = expected_lost(mutant)
        assert names, f"{mutant.name} has no '# expect-lost:' line"
        assert set(names) <= checks, f"{mutant.name} names unknown checks {set(names) - checks}"


@pytest.mark.parametrize("name, mutant", MUTANTS, ids=[f"{n}/{p.stem}" for n, p in MUTANTS])
def test_a_mutant_loses_exactly_the_checks_it_names(name, mutant):
    result = grade(name, mutant)
    assert result.status == "graded"
    assert sorted(lost(result)) == sorted(expected_lost(mutant))
