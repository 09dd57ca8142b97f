"""grade release: what students receive, and a search of it for every secret of the course."""

from __future__ import annotations

import ast
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from autograder.cli.main import _Group
from autograder.cli.authoring import release
from autograder.authoring.release import build_release
from tests.conftest import write_notebook

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

REPO = Path(__file__).resolve().parent.parent

SOLUTION = '''
import numpy as np

TOTAL = 3


def AND(a, b):
    """AND of two inputs (docstrings are given to students too)."""
    both = np.logical_and(np.asarray(a) == 1, np.asarray(b) == 1)
    return both.astype(int) if np.ndim(both) else int(both)


def show(gate):
    print([gate(a, b) for a in (0, 1) for b in (0, 1)])
'''

TEMPLATE = '''
def AND(a, b):
    """AND of two inputs (docstrings are given to students too)."""
    raise NotImplementedError


def show(gate):
    print([gate(a, b) for a in (0, 1) for b in (0, 1)])
'''

SECRET_CHECK = '''

def test_secret_edge_cases(submission, rubric):
    assert rubric.params["secret_threshold"] == 0.8765
'''


def grade(*commands: click.Command) -> click.Group:
    """A ``grade`` group holding just these commands, with cli/main.py's handling of GradingError."""
    return _Group("grade", commands=list(commands))


@pytest.fixture
def course(tiny_course: Path) -> Path:
    """The tiny course with a solution, a hidden-only check with a threshold, held-out data and CI workflows."""
    hidden = tiny_course / "rubrics" / "tiny"
    (hidden / "test_tiny.py").write_text((hidden / "test_tiny.py").read_text() + SECRET_CHECK, encoding="utf-8")
    rubric = (hidden / "rubric.toml").read_text().replace("test_total = 1\n", "test_total = 1\ntest_secret_edge_cases = 1\n")
    (hidden / "rubric.toml").write_text(rubric + "\n[params]\nsecret_threshold = 0.8765\n", encoding="utf-8")
    (hidden / "heldout_labels.npy").write_bytes(bytes(range(256)) * 4)
    (hidden / "mutants").mkdir()
    (hidden / "mutants" / "bug.py").write_text("TOTAL = 2\n", encoding="utf-8")
    (tiny_course / "solutions" / "tiny").mkdir(parents=True)
    (tiny_course / "solutions" / "tiny" / "tiny.py").write_text(SOLUTION, encoding="utf-8")
    assignment = tiny_course / "assignments" / "tiny"
    write_notebook(assignment / "tiny.ipynb", TEMPLATE)
    (assignment / "README.md").write_text("# tiny\n", encoding="utf-8")
    (assignment / "mutants").mkdir()
    (assignment / "mutants" / "stray.py").write_text("TOTAL = 4\n", encoding="utf-8")
    (tiny_course / "assignments" / "README.md").write_text("# Assignments\n", encoding="utf-8")
    (tiny_course / "assignments" / "_instructor").mkdir()
    (tiny_course / "assignments" / "_ci").mkdir()
    (tiny_course / "assignments" / "_ci" / "grade.yml").write_text("on: push\n", encoding="utf-8")
    workflows = tiny_course / ".github" / "workflows"
    workflows.mkdir(parents=True)
    (workflows / "check.yml").write_text("on: push\njobs: {check: {steps: [{run: grade check}]}}\n", encoding="utf-8")
    (workflows / "validate.yml").write_text("on: push\njobs: {v: {steps: [{run: ls rubrics/}]}}\n", encoding="utf-8")
    return tiny_course


def normalise(text: str) -> str:
    return " ".join(text.split())


def solution_bodies(course_root: Path) -> list[str]:
    """Each function body (docstring left out) of solutions/*/*.py, except code the template gives students."""
    bodies = []
    for path in sorted(course_root.glob("solutions/*/*.py")):
        source = path.read_text(encoding="utf-8")
        lines = source.splitlines()
        template = course_root / "assignments" / path.parent.name / f"{path.parent.name}.ipynb"
        given = searchable(template) if template.exists() else ""
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                body = node.body[1:] if ast.get_docstring(node) is not None else node.body
                text = normalise("\n".join(lines[body[0].lineno - 1: body[-1].end_lineno])) if body else ""
                if text and text not in given:
                    bodies.append(text)
    return bodies


def hidden_check_names(course_root: Path) -> set[str]:
    def test_names(pattern: str) -> set[str]:
        return {node.name for path in course_root.glob(pattern) for node in ast.parse(path.read_text()).body
                if isinstance(node, ast.FunctionDef) and node.name.startswith("test")}

    return test_names("rubrics/*/test_*.py") - test_names("assignments/*/checks/test_*.py")


def searchable(path: Path) -> str:
    text = path.read_text(encoding="utf-8", errors="replace")
    if path.suffix == ".ipynb":
        cells = json.loads(text)["cells"]
        text += "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "code")
    return normalise(text)


def secrets_in(folder: Path, course_root: Path) -> list[str]:
    bodies, names = solution_bodies(course_root), hidden_check_names(course_root)
    found = []
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        text = searchable(path)
        found += [f"{path}: {body[:40]}" for body in bodies if body in text]
        found += [f"{path}: {name}" for name in names if re.search(rf"\b{name}\b", text)]
    return found


def test_release_holds_what_students_need_and_nothing_secret(course, tmp_path):
    out = tmp_path / "release"
    result = CliRunner().invoke(release, ["-o", str(out)], catch_exceptions=False)
    assert result.exit_code == 0
    assert result.stdout == f"Wrote {_count(out)} files to {out} (assignments: tiny)\n"
    assert result.stderr.splitlines() == [
        f"left out: {course / 'assignments' / '_instructor'}: "
        "not an assignment (names starting with _ or . are the instructor's)",
        f"left out: {course / 'assignments' / 'tiny' / 'mutants'}: known-buggy variants stay with the instructor",
        f"left out: {course / '.github' / 'workflows' / 'validate.yml'}: "
        "uses solutions/ or rubrics/, which a release does not have",
    ]
    course_files = sorted(str(p.relative_to(out)) for p in out.rglob("*") if p.is_file() and "autograder" not in p.parts)
    assert course_files == [
        ".github/workflows/check.yml", "README.md", "assignments/README.md", "assignments/_ci/grade.yml",
        "assignments/tiny/README.md", "assignments/tiny/checks/rubric.toml", "assignments/tiny/checks/test_tiny.py",
        "assignments/tiny/grade-assignment.toml", "assignments/tiny/tiny.ipynb", "pyproject.toml",
    ]
    assert (out / "autograder" / "grading" / "grade.py").exists() and not list(out.rglob("__pycache__"))
    assert len(solution_bodies(course)) == 1 and hidden_check_names(course) == {"test_secret_edge_cases"}
    assert secrets_in(out, course) == []
    assert not any("0.8765" in p.read_text(errors="replace") for p in out.rglob("*") if p.is_file())
    assert "grade check" in (out / "README.md").read_text()


def test_release_of_this_course_leaks_nothing(tmp_path):
    out = build_release(REPO, tmp_path / "release").folder
    assert secrets_in(out, REPO) == []
    assert not (out / "solutions").exists() and not (out / "rubrics").exists() and not list(out.rglob("mutants"))


def test_release_is_an_installable_package(course, tmp_path):
    out = build_release(course, tmp_path / "release").folder
    project = tomllib.loads((out / "pyproject.toml").read_text())
    assert project["project"]["name"] == "course-autograder"
    assert project["project"]["scripts"] == {"grade": "autograder.cli.entry:main"}
    assert project["tool"]["setuptools"]["packages"]["find"]["include"] == ["autograder*"]
    assert "grading/*.ini" in project["tool"]["setuptools"]["package-data"]["autograder"]
    env = {**os.environ, "PYTHONPATH": str(out)}
    found = subprocess.run([sys.executable, "-c", "import autograder, autograder.cli.main; print(autograder.__file__)"],
                           cwd=tmp_path, env=env, capture_output=True, text=True, check=True)
    assert found.stdout.strip() == str(out / "autograder" / "__init__.py")


def test_release_refuses_a_folder_that_is_not_empty(course, tmp_path):
    out = tmp_path / "taken"
    out.mkdir()
    (out / "notes.txt").write_text("mine\n")
    result = CliRunner().invoke(grade(release), ["release", "-o", str(out)], catch_exceptions=False)
    assert result.exit_code == 2
    assert result.stderr == f"Error: {out}: already exists and is not empty; give a new or empty folder\n"


def test_a_leak_stops_the_release_and_writes_nothing(course, tmp_path):
    data = course / "assignments" / "tiny" / "data.npy"
    data.write_bytes((course / "rubrics" / "tiny" / "heldout_labels.npy").read_bytes())
    (course / "assignments" / "tiny" / "README.md").write_text("Grading also runs test_secret_edge_cases.\n")
    out = tmp_path / "release"
    result = CliRunner().invoke(grade(release), ["release", "-o", str(out)], catch_exceptions=False)
    assert result.exit_code == 1
    assert result.stderr == ("Error: release not written: assignments/tiny/README.md names the hidden check "
                             "test_secret_edge_cases (and 1 more)\n")
    assert not out.exists() and [p.name for p in tmp_path.iterdir()] == ["course"]


def _count(folder: Path) -> int:
    return sum(1 for p in folder.rglob("*") if p.is_file())


@pytest.mark.slow  # builds a wheel and a virtualenv (about half a minute)
def test_the_wheel_and_one_released_assignment_folder_are_enough(tmp_path):
    """What a GitHub Classroom student has: `pip install course-autograder` and one assignment folder."""
    out = build_release(REPO, tmp_path / "release").folder
    wheels = tmp_path / "wheels"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation", "-w", str(wheels),
                    str(out)], check=True, capture_output=True, cwd=tmp_path)
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", str(venv)], check=True)
    python = venv / "bin" / "python"
    subprocess.run([str(python), "-m", "pip", "install", "-q", "--no-deps", "--no-index", "--ignore-installed", *wheels.glob("*.whl")],
                   check=True, capture_output=True, cwd=tmp_path)
    repo = tmp_path / "student-repo"  # the folder alone, elsewhere: no course, no assignments/ above it
    shutil.copytree(out / "assignments" / "01_logic_gates", repo)
    shutil.copy(REPO / "solutions" / "01_logic_gates" / "01_logic_gates.ipynb", repo / "01_logic_gates.ipynb")
    (repo / "notes").mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "GRADE_COURSE")}
    env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"

    where = subprocess.run([str(python), "-c", "import autograder; print(autograder.__file__)"],
                           cwd=repo, env=env, capture_output=True, text=True, check=True)
    assert where.stdout.startswith(str(venv))  # the installed wheel grades, not this checkout
    check = subprocess.run([str(venv / "bin" / "grade"), "check", "--lang", "en"], cwd=repo / "notes", env=env,
                           capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr
    assert check.stdout.startswith(f"01_logic_gates: {repo / '01_logic_gates.ipynb'}")
    assert "Total: 7/7 (100.0%)" in check.stdout  # every public check of 01 passes
    ci = subprocess.run([str(venv / "bin" / "grade"), "ci", "--junit", "junit.xml"], cwd=repo, env=env,
                        capture_output=True, text=True)
    assert ci.returncode == 0, ci.stdout + ci.stderr
    assert ci.stdout.splitlines()[-1] == "Points 7/7" and (repo / "junit.xml").exists()
