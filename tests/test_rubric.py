"""rubric.toml is validated when loaded; each error names the file and the key."""

from __future__ import annotations

import pytest

from autograder.grading.course import Assignment
from autograder.errors import RubricError
from autograder.grading.rubric import load_rubric, validate_against_checks


def write(folder, toml: str, checks: str = "def test_a(submission):\n    pass\n"):
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "rubric.toml").write_text(toml, encoding="utf-8")
    (folder / "test_x.py").write_text(checks, encoding="utf-8")
    return folder / "rubric.toml"


def test_a_valid_rubric_loads_with_its_limits_and_params(tmp_path):
    path = write(tmp_path, '[assignment]\ntitle = "T"\nrequires = ["keras"]\n[limits]\ntimeout = 90\n'
                           '[checks]\ntest_a = 2.5\n[params]\nthreshold = 0.85\nmodel_file = "m.keras"\n')
    rubric = load_rubric(path)
    assert (rubric.title, rubric.checks, rubric.limits.timeout, rubric.requires) == ("T", {"test_a": 2.5}, 90.0, ["keras"])
    assert (rubric.params["threshold"], rubric.model_file, rubric.max_points) == (0.85, "m.keras", 2.5)
    validate_against_checks(rubric)


@pytest.mark.parametrize("toml, message", [
    ("[checks]\ntest_a = 'two'\n", "checks.test_a must be a non-negative number of points, not 'two'"),
    ("[checks]\n", "[checks] is empty: give each check its points"),
    ("[checks]\ntest_a = 1\n[limits]\ntimeout = -1\n", "limits.timeout must be a positive number, not -1"),
    ("[checks]\ntest_a = 1\n[limits]\nspeed = 1\n", "limits.speed is not a known limit"),
    ("[checks]\ntest_a = 1\n[assignment]\nlanguage = 'fr'\n", "assignment.language must be one of ko, en, not 'fr'"),
    ("[checks\n", "not valid TOML"),
])
def test_bad_rubrics_are_one_line_errors_naming_the_file(tmp_path, toml, message):
    path = write(tmp_path, toml)
    with pytest.raises(RubricError) as error:
        load_rubric(path)
    assert str(error.value).startswith(f"{path}: ") and message in str(error.value)


def test_points_for_a_check_that_does_not_exist(tmp_path):
    path = write(tmp_path, "[checks]\ntest_a = 1\ntest_b = 1\n")
    with pytest.raises(RubricError, match="checks.test_b has points but no test function of that name exists"):
        validate_against_checks(load_rubric(path))


def test_a_check_without_points(tmp_path):
    path = write(tmp_path, "[checks]\ntest_a = 1\n", "def test_a(s):\n    pass\n\ndef test_c(s):\n    pass\n")
    with pytest.raises(RubricError, match="check test_c has no points in \\[checks\\]"):
        validate_against_checks(load_rubric(path))


def test_an_assignment_without_public_checks_says_where_it_looked(tmp_path):
    with pytest.raises(Exception, match="has no public checks"):
        Assignment("x", tmp_path).rubric("public")
