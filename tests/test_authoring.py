"""Student templates made from solutions: markers, tagged cells, outputs, errors, and the committed templates."""

from __future__ import annotations

import textwrap
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from autograder.authoring.templates import SolutionMarkerError, make_template, template_notebook, template_source
from autograder.errors import GradingError

COURSE = Path(__file__).resolve().parent.parent

SOLUTION = textwrap.dedent('''\
    import numpy as np


    def AND(x1, x2):
        """x1 AND x2."""
        # BEGIN SOLUTION
        w = np.array([0.5, 0.5])
        return int(w @ [x1, x2] - 0.7 > 0)
        # END SOLUTION


    class Gate:
        def __call__(self, x):
            if x:
                # BEGIN SOLUTION
                return 1
                # END SOLUTION
            return 0
    ''')


def dedent(text: str) -> str:
    return textwrap.dedent(text)


def test_a_solution_block_becomes_raise_not_implemented_error_at_its_indentation():
    assert template_source(SOLUTION) == dedent('''\
        import numpy as np


        def AND(x1, x2):
            """x1 AND x2."""
            raise NotImplementedError


        class Gate:
            def __call__(self, x):
                if x:
                    raise NotImplementedError
                return 0
        ''')


def test_a_one_line_solution_keeps_its_target_and_loses_its_value():
    source = "alpha = 0.1  # SOLUTION\ndef f(z):\n    k = len(z) * 2  # SOLUTION\n    return k\n"
    assert template_source(source) == "alpha = ...\ndef f(z):\n    k = ...\n    return k\n"


def test_source_without_markers_is_unchanged_and_a_missing_final_newline_stays_missing():
    assert template_source("x = 1\n# a solution of sorts\n") == "x = 1\n# a solution of sorts\n"
    assert template_source("def f():\n    # BEGIN SOLUTION\n    return 1\n    # END SOLUTION") == "def f():\n    raise NotImplementedError"


@pytest.mark.parametrize("source, line, problem", [
    ("def f():\n    # BEGIN SOLUTION\n    return 1\n", 2, "# BEGIN SOLUTION without a # END SOLUTION"),
    ("def f():\n    return 1\n    # END SOLUTION\n", 3, "# END SOLUTION without a # BEGIN SOLUTION"),
    ("# BEGIN SOLUTION\n# BEGIN SOLUTION\n# END SOLUTION\n", 2, "# BEGIN SOLUTION inside the block opened on line 1"),
    ("def f():\n    # BEGIN SOLUTION value\n    return 1\n", 2, "not a marker"),
    ("print(1)  # SOLUTION\n", 1, "'# SOLUTION' marks only an assignment"),
])
def test_malformed_markers_are_refused_with_the_place_and_the_problem(source, line, problem):
    with pytest.raises(SolutionMarkerError) as caught:
        template_source(source, where="gates.py")
    message = str(caught.value)
    assert message.startswith(f"gates.py: line {line}: ") and problem in message
    assert "\n" not in message
    assert isinstance(caught.value, GradingError)


def solution_notebook():
    answer = new_code_cell("def f(x):\n    # BEGIN SOLUTION\n    return 2 * x\n    # END SOLUTION", execution_count=3,
                           outputs=[new_output("stream", name="stdout", text="hi\n")])
    tagged_code = new_code_cell("secret = 42", metadata={"tags": ["solution"]}, execution_count=4)
    tagged_text = new_markdown_cell("The answer is 42.", metadata={"tags": ["solution"]})
    demo = new_code_cell("f(2)", execution_count=5, outputs=[new_output("execute_result", data={"text/plain": "4"},
                                                                          execution_count=5)])
    return new_notebook(cells=[new_markdown_cell("# 과제 / Assignment"), answer, tagged_code, tagged_text, demo])


def test_a_template_notebook_has_no_answers_no_tagged_cells_and_no_outputs():
    solution = solution_notebook()
    template = template_notebook(solution)
    assert [c.source for c in template.cells] == [
        "# 과제 / Assignment", "def f(x):\n    raise NotImplementedError", "", "", "f(2)"]
    code = [c for c in template.cells if c.cell_type == "code"]
    assert all(c.outputs == [] and c.execution_count is None for c in code)
    assert template.cells[2].metadata.tags == ["solution"]
    nbformat.validate(template)
    assert solution.cells[1].execution_count == 3 and "BEGIN SOLUTION" in solution.cells[1].source  # input unchanged


def test_make_template_writes_a_module_and_a_notebook(tmp_path):
    (tmp_path / "sol.py").write_text(SOLUTION, encoding="utf-8")
    make_template(tmp_path / "sol.py", tmp_path / "out" / "template.py")
    assert (tmp_path / "out" / "template.py").read_text(encoding="utf-8") == template_source(SOLUTION)

    nbformat.write(solution_notebook(), tmp_path / "sol.ipynb")
    make_template(tmp_path / "sol.ipynb", tmp_path / "template.ipynb")
    written = nbformat.read(tmp_path / "template.ipynb", as_version=4)
    assert written.cells[1].source == "def f(x):\n    raise NotImplementedError"
    assert written == template_notebook(nbformat.read(tmp_path / "sol.ipynb", as_version=4))


def test_make_template_names_the_file_and_the_cell_of_a_bad_marker(tmp_path):
    notebook = new_notebook(cells=[new_markdown_cell("intro"), new_code_cell("x = 1"),
                                   new_code_cell("def f():\n    # BEGIN SOLUTION\n    return 1")])
    nbformat.write(notebook, tmp_path / "broken.ipynb")
    with pytest.raises(SolutionMarkerError, match=r"broken\.ipynb, cell 2: line 2: # BEGIN SOLUTION without"):
        make_template(tmp_path / "broken.ipynb", tmp_path / "out.ipynb")
    assert not (tmp_path / "out.ipynb").exists()


def test_make_template_refuses_a_solution_without_markers_and_files_it_cannot_read(tmp_path):
    (tmp_path / "plain.py").write_text("def f():\n    return 1\n", encoding="utf-8")
    with pytest.raises(SolutionMarkerError, match=r"plain\.py: no solution markers"):
        make_template(tmp_path / "plain.py", tmp_path / "out.py")
    (tmp_path / "notes.txt").write_text("# BEGIN SOLUTION\n# END SOLUTION\n", encoding="utf-8")
    with pytest.raises(GradingError, match=r"notes\.txt: not a notebook"):
        make_template(tmp_path / "notes.txt", tmp_path / "out.txt")
    (tmp_path / "bad.ipynb").write_text("{not json", encoding="utf-8")
    with pytest.raises(GradingError, match=r"bad\.ipynb: not a valid notebook"):
        make_template(tmp_path / "bad.ipynb", tmp_path / "out.ipynb")


COMMITTED = sorted(p for p in COURSE.glob("solutions/*/*.ipynb")
                   if (COURSE / "assignments" / p.parent.name / p.name).exists())


@pytest.mark.parametrize("solution", COMMITTED, ids=lambda p: p.parent.name)
def test_the_committed_template_is_what_make_template_makes_of_the_solution(solution, tmp_path):
    make_template(solution, tmp_path / solution.name)
    committed = COURSE / "assignments" / solution.parent.name / solution.name
    assert committed.read_text(encoding="utf-8") == (tmp_path / solution.name).read_text(encoding="utf-8"), (
        f"{committed} is out of date: regenerate it from {solution} with make_template")
