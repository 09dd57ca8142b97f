"""Where a course and its assignments are found: a course tree, a released assignment folder alone."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from autograder.errors import AssignmentNotFound, UsageError
from autograder.grading import course

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture
def released(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """One assignment folder as `grade release` writes it, alone in a folder with no course above."""
    monkeypatch.delenv("GRADE_COURSE", raising=False)
    folder = tmp_path / "my-repo"
    shutil.copytree(REPO / "assignments" / "01_logic_gates", folder)
    (folder / course.MARKER).write_text(course.marker_text(course.Assignment("01_logic_gates", REPO)), encoding="utf-8")
    return folder


def test_a_released_folder_is_found_from_anywhere_inside_it(released, monkeypatch):
    (released / "deep" / "er").mkdir(parents=True)
    monkeypatch.chdir(released / "deep" / "er")
    target, assignment = course.resolve_check_target(None, None)
    assert target == released / "01_logic_gates.ipynb"
    assert assignment.name == "01_logic_gates" and assignment.folder == released
    assert assignment.rubric("public").path == released / "checks" / "rubric.toml"


def test_a_notebook_named_otherwise_in_a_released_folder_is_its_assignment(released, monkeypatch):
    monkeypatch.chdir(released.parent)
    mine = released / "homework.ipynb"
    shutil.copy(released / "01_logic_gates.ipynb", mine)
    assert course.resolve_check_target(mine, None)[1].folder == released


def test_a_released_folder_has_no_hidden_checks(released, monkeypatch):
    monkeypatch.chdir(released)
    _, assignment = course.resolve_check_target(None, None)
    with pytest.raises(Exception, match="has no hidden checks"):
        assignment.rubric("hidden")


def test_a_course_tree_still_wins_over_the_marker(tiny_course, monkeypatch):
    (tiny_course / "assignments" / "tiny" / course.MARKER).write_text('[assignment]\nname = "other"\n')
    monkeypatch.chdir(tiny_course / "assignments" / "tiny")
    (tiny_course / "assignments" / "tiny" / "tiny.ipynb").write_text("{}")
    assert course.resolve_check_target(None, None)[1] == course.Assignment("tiny", tiny_course)


def test_a_damaged_marker_is_named(released, monkeypatch):
    (released / course.MARKER).write_text("name = ")
    monkeypatch.chdir(released)
    with pytest.raises(Exception, match=f"{course.MARKER}: not an assignment marker"):
        course.resolve_check_target(None, None)


def test_wrong_file_name_lists_every_assignment_and_the_notebook_found(tmp_path, monkeypatch):
    monkeypatch.setenv("GRADE_COURSE", str(REPO))
    monkeypatch.chdir(tmp_path)
    (tmp_path / "my_homework.ipynb").write_text("{}")
    with pytest.raises(UsageError) as caught:
        course.resolve_check_target(None, None)
    names = ", ".join(f"{a.name}.ipynb" for a in course.list_assignments(REPO))
    assert str(caught.value) == f"{tmp_path}: none of {names} here (found my_homework.ipynb); " \
                                "rename it or pass the file to check"
    assert "04_fashion_mnist.ipynb" in names


def test_an_unknown_assignment_name_lists_the_known(released, monkeypatch):
    monkeypatch.chdir(released)
    with pytest.raises(AssignmentNotFound, match=r"unknown assignment 'nope' \(known: 01_logic_gates\)"):
        course.resolve_check_target(None, "nope")


BLOCK_TENSORFLOW = '''
import sys

class _NotInstalled:
    """Makes TensorFlow and Keras look uninstalled, as on a student's laptop without the keras extra."""

    def find_spec(self, name, path=None, target=None):
        if name.partition(".")[0] in ("tensorflow", "keras"):
            raise ModuleNotFoundError(f"No module named {name!r}")
        return None

sys.meta_path.insert(0, _NotInstalled())
'''


@pytest.mark.parametrize("name", ["03_xor_mlp", "04_fashion_mnist"])
def test_a_keras_assignment_without_keras_says_what_to_install(name, tmp_path):
    (tmp_path / "sitecustomize.py").write_text(BLOCK_TENSORFLOW)
    env = {**os.environ, "PYTHONPATH": f"{tmp_path}{os.pathsep}{REPO}", "GRADE_COURSE": str(REPO)}
    notebook = REPO / "assignments" / name / f"{name}.ipynb"
    done = subprocess.run([sys.executable, "-m", "autograder.cli", "check", str(notebook)], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=120)
    install = "pip install 'course-autograder[keras]'"
    assert done.returncode == 1
    assert done.stdout == ""  # no header, no checks: no student code ran
    assert done.stderr == (f"Error: {name}: 이 과제는 TensorFlow와 Keras가 필요합니다: {install} / "
                           f"this assignment needs TensorFlow and Keras: {install}\n")
