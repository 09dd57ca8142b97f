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


def _solution_cells(name: str) -> list:
    import nbformat

    return nbformat.read(COURSE / "solutions" / name / f"{name}.ipynb", as_version=4).cells


@pytest.mark.parametrize("name", NAMES)
def test_a_solution_with_matplotlib_inline_first_scores_full_marks(name, tmp_path):
    import nbformat
    from nbformat.v4 import new_code_cell, new_notebook

    cells = _solution_cells(name)
    first = next(c for c in cells if c.cell_type == "code")
    first.source = "%matplotlib inline\nimport matplotlib.pyplot as plt\n" + first.source
    cells.append(new_code_cell("plt.plot([0, 1, 0])\nplt.title('check')\nplt.show()"))
    path = tmp_path / f"{name}.ipynb"
    nbformat.write(new_notebook(cells=cells), path)
    result = grade(name, path)
    assert (result.status, result.cell_errors) == ("graded", [])
    assert result.total == result.max > 0
    figures = [o for cell in result.cell_outputs for o in cell["outputs"] if "image/png" in o.get("data", {})]
    assert len(figures) == 1 and figures[0]["data"]["image/png"].startswith("iVBORw0KGgo")


def colab_export(name: str, path: Path) -> Path:
    """The solution as Colab saves it: Drive mount, ``!pip install``, plots, Colab metadata and stale outputs."""
    import nbformat
    from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

    cells = [new_markdown_cell('<a href="https://colab.research.google.com/github/x/y/blob/main/a.ipynb">'
                               '<img src="https://colab.research.google.com/assets/colab-badge.svg"/></a>'),
             new_code_cell("from google.colab import drive\ndrive.mount('/content/drive')"),
             new_code_cell("!pip install -q numpy matplotlib"),
             new_code_cell("%matplotlib inline\nimport matplotlib.pyplot as plt")]
    cells += _solution_cells(name)
    cells.append(new_code_cell("xs = np.linspace(-3, 3, 61)\nplt.plot(xs, np.tanh(xs))\nplt.grid(True)\nplt.show()"))
    for n, cell in enumerate(cells):
        cell.metadata.update({"id": f"c{n:03d}", "colab": {"base_uri": "https://localhost:8080/", "height": 265}})
        if cell.cell_type == "code":
            cell.metadata["outputId"] = f"9a{n:04d}"
            cell.outputs = [new_output("stream", name="stdout", text="FORGED OUTPUT FROM COLAB\n")]
    nb = new_notebook(cells=cells, metadata={"colab": {"provenance": [], "toc_visible": True},
                                             "kernelspec": {"name": "python3", "display_name": "Python 3"},
                                             "language_info": {"name": "python"}, "accelerator": "GPU"})
    nb.nbformat_minor = 0
    raw = nbformat.writes(nb, version=4).replace('"nbformat_minor": 5', '"nbformat_minor": 0')
    path.write_text(raw, encoding="utf-8")
    return path


@pytest.mark.parametrize("name", NAMES)
def test_a_colab_export_of_a_solution_scores_full_marks_and_its_feedback_shows_the_plots(name, tmp_path):
    from autograder.exports.feedback import write_feedback

    result = grade(name, colab_export(name, tmp_path / f"{name}.ipynb"))
    assert result.status == "graded" and result.total == result.max > 0
    assert [(e["cell"], e["ename"]) for e in result.cell_errors] == [(1, "ModuleNotFoundError")]  # the Drive mount
    hints = " ".join(h["hint"] for h in result.hints)
    assert "Google Drive is not mounted when grading" in hints and "not run during grading" in hints
    notes = [o["text"] for cell in result.cell_outputs if cell["index"] == 2 for o in cell["outputs"]]
    assert notes == ["[채점 중에는 셸 명령을 실행하지 않습니다 / shell command not run during grading: "
                     "pip install -q numpy matplotlib]\n"]
    out = tmp_path / "feedback"
    out.mkdir()
    page = write_feedback(result, out, lang="ko")[1].read_text(encoding="utf-8")
    assert page.count('src="data:image/png;base64,iVBORw0KGgo') == 1  # the plot, drawn by the grading run
    assert "FORGED OUTPUT FROM COLAB" not in page
    assert "shell command not run during grading" in page
