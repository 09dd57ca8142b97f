"""03_xor_mlp: the solution scores full marks, the template 0, each known-buggy variant loses exactly its checks.

Timing (2 cores, one TensorFlow thread per worker): one grading takes 7-18 s, about
5 s of it importing TensorFlow; the solution's 150 epochs of 4 samples take 2-10 s
and learn XOR by epoch 50 for seeds 0-4 (largest |prediction - truth| 0.01-0.03).
The validation below grades 18 submissions two at a time: about 1.5 minutes.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from autograder.authoring.templates import notebook_module, read_notebook
from autograder.grading.course import Assignment
from autograder.grading.grade import grade_submission
from autograder.authoring.validate import expected_lost, validate_assignment
from tests.conftest import write_notebook

COURSE = Path(__file__).resolve().parent.parent
NAME = "03_xor_mlp"
SOLUTION = COURSE / "solutions" / NAME


def test_the_solution_module_is_the_notebook_s_code():
    notebook = read_notebook((SOLUTION / f"{NAME}.ipynb").read_text(encoding="utf-8"))
    module = (SOLUTION / f"{NAME}.py").read_text(encoding="utf-8")
    header = module.split('"""\n\n', 1)[0] + '"""\n\n'
    assert module == notebook_module(notebook, header=header)


@pytest.mark.slow
def test_the_checks_prove_themselves():
    report = validate_assignment(Assignment(NAME, COURSE), jobs=2)
    assert report.problems == []
    assert [(g.suite, g.total, g.max) for g in report.template] == [("hidden", 0, 9), ("public", 0, 2)]
    assert {m.name: sorted(m.hidden.lost) for m in report.mutants} == {m.name: sorted(m.expected) for m in report.mutants}
    assert len(report.mutants) >= 6
    assert [c for c in report.silent_checks if not c.startswith("public:")] == []


@pytest.mark.slow
def test_the_template_s_checks_say_what_is_missing(tmp_path):
    result = grade_submission(COURSE / "assignments" / NAME / f"{NAME}.ipynb", Assignment(NAME, COURSE))
    messages = {c.id: c.message for c in result.checks}
    assert result.status == "graded" and result.total == 0
    assert messages["test_xor_truth_table"] == "variable model is not defined in the submission"
    assert messages["test_build_architecture"].startswith("build_xor_model() raised NotImplementedError")


@pytest.mark.slow
def test_code_from_the_keras_2_slides_gets_hints(tmp_path):
    path = write_notebook(
        tmp_path / "slides.ipynb",
        "import numpy as np\nfrom keras.models import Sequential\nfrom keras.layers.core import Dense",
        "X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]])\ny = np.array([0, 1, 1, 0])\n\n"
        "def build_xor_model():\n"
        "    model = Sequential()\n"
        "    model.add(Dense(32, input_dim=2, activation='sigmoid'))\n"
        "    model.add(Dense(1, activation='sigmoid'))\n"
        "    model.compile(loss='mean_squared_error', optimizer='adam')\n"
        "    return model",
    )
    result = grade_submission(path, Assignment(NAME, COURSE))
    assert result.status == "graded" and result.total == 0
    assert [(e["index"], e["ename"], e["lineno"]) for e in result.cell_errors] == [(1, "ModuleNotFoundError", 3)]
    assert "NameError: name 'Dense' is not defined" in {c.id: c.message for c in result.checks}["test_build_architecture"]
    by_place = {(h["cell"], h["line"]): h["hint"] for h in result.hints}
    assert "`from keras.layers import Dense`" in by_place[(1, 3)]
    assert "`keras.Input(shape=(2,))`" in by_place[(2, 6)]


def test_every_mutant_names_the_checks_that_catch_it():
    checks = set(Assignment(NAME, COURSE).rubric("hidden").checks)
    mutants = sorted((COURSE / "rubrics" / NAME / "mutants").glob("*.py"))
    assert mutants
    for mutant in mutants:
        assert set(expected_lost(mutant) or ["(none)"]) <= checks, mutant.name

