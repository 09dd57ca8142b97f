"""grade new: the four places of a new assignment, as an example that validates as it is."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from autograder.authoring.templates import make_template
from autograder.cli.main import _Group
from autograder.cli.authoring import new, validate
from autograder.authoring.scaffold import create_assignment

CREATED = [
    "assignments/demo_01/README.md",
    "assignments/demo_01/demo_01.ipynb",
    "assignments/demo_01/checks/rubric.toml",
    "assignments/demo_01/checks/test_public.py",
    "solutions/demo_01/demo_01.py",
    "solutions/demo_01/demo_01.ipynb",
    "rubrics/demo_01/rubric.toml",
    "rubrics/demo_01/test_hidden.py",
    "tests/test_assignment_demo_01.py",
    "rubrics/demo_01/mutants/subtracts.py",
    "rubrics/demo_01/mutants/integers_only.py",
]


def grade(*commands: click.Command) -> click.Group:
    """A ``grade`` group holding just these commands, with cli/main.py's handling of GradingError."""
    return _Group("grade", commands=list(commands))


@pytest.fixture
def empty_course(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "course"
    (root / "assignments").mkdir(parents=True)
    (root / "pyproject.toml").write_text("", encoding="utf-8")
    monkeypatch.setenv("GRADE_COURSE", str(root))
    return root


def test_new_scaffolds_an_assignment_that_validates(empty_course):
    runner = CliRunner()
    result = runner.invoke(new, ["demo_01"], catch_exceptions=False)
    assert result.exit_code == 0
    assert result.stdout == "".join(f"created {path}\n" for path in CREATED) + (
        "next: edit solutions/demo_01/demo_01.ipynb, then run: grade validate -a demo_01\n")
    assert (empty_course / "rubrics" / "demo_01" / "mutants").is_dir()
    solution = (empty_course / "solutions" / "demo_01" / "demo_01.ipynb").read_text(encoding="utf-8")
    assert "# BEGIN SOLUTION" in solution and "# END SOLUTION" in solution
    template = (empty_course / "assignments" / "demo_01" / "demo_01.ipynb").read_text(encoding="utf-8")
    assert "raise NotImplementedError" in template and "SOLUTION" not in template
    make_template(empty_course / "solutions" / "demo_01" / "demo_01.ipynb", empty_course.parent / "assigned.ipynb")
    assert (empty_course.parent / "assigned.ipynb").read_text(encoding="utf-8") == template  # as `grade assign` makes it

    result = runner.invoke(validate, ["-a", "demo_01", "-j", "2"], catch_exceptions=False)
    assert result.exit_code == 0, result.stdout
    assert result.stdout.splitlines()[-5:] == [
        "  mutants (2):",
        "    killed    integers_only.py  -3  caught by test_add_floats, test_add_arrays",
        "    killed    subtracts.py      -4.33  caught by test_add_integers, test_add_floats, test_add_arrays, "
        "public:test_add_small_numbers",
        "  mutation score: 2/2 (100%)",
        "  OK",
    ]


@pytest.mark.slow  # a nested pytest run of the new project (about 20-55 s)
def test_the_scaffolds_own_project_test_passes(empty_course):
    create_assignment(empty_course, "demo")
    path = empty_course / "tests" / "test_assignment_demo.py"
    spec = importlib.util.spec_from_file_location("scaffolded_test", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.test_demo_proves_its_checks()


def test_an_existing_assignment_is_refused(empty_course):
    (empty_course / "rubrics" / "demo").mkdir(parents=True)
    result = CliRunner().invoke(grade(new), ["new", "demo"], catch_exceptions=False)
    assert result.exit_code == 1
    assert result.stderr == f"Error: {empty_course / 'rubrics' / 'demo'}: already exists; assignment demo is not new\n"
    assert not (empty_course / "assignments" / "demo").exists()


@pytest.mark.parametrize("name", ["Demo", "_private", "two words", "../escape", "a" * 65, ""])
def test_an_invalid_name_is_refused(empty_course, name):
    result = CliRunner().invoke(grade(new), ["new", name], catch_exceptions=False)
    assert result.exit_code == 2
    assert result.stderr == (f"Error: invalid assignment name {name!r}: use lowercase letters, digits and _ "
                             "(starting with a letter or digit), e.g. 05_softmax\n")
    assert list((empty_course / "assignments").iterdir()) == []
