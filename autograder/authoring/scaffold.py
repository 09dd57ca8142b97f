"""``grade new NAME``: the four places of a new assignment, as a small working example.

The scaffold is one function, ``add(a, b)``, with a solution (module and
notebook, the answer between ``# BEGIN SOLUTION`` / ``# END SOLUTION``), the
student template made from it as ``grade assign`` makes it, public and hidden
checks, two known-buggy variants and a project test. ``grade validate -a NAME`` passes on it as it is, so an
instructor replaces the example piece by piece and validates as they go.
"""

from __future__ import annotations

import re
from pathlib import Path

from autograder.errors import GradingError, UsageError

NAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_]{0,63}$")

DOCSTRING = '''    """a와 b를 더한 값을 돌려줍니다 (numpy 배열이면 원소별로).

    Return a + b (elementwise for numpy arrays).
    """
'''

SOLUTION_FUNCTION = "def add(a, b):\n" + DOCSTRING + """    # BEGIN SOLUTION
    return a + b
    # END SOLUTION
"""

IMPORTS = "import numpy as np\n"

INTRO = """# {name}

**과제**: 아래 함수 `add(a, b)`를 완성하세요. 숫자와 numpy 배열 모두에 동작해야 합니다.
다 했으면 이 폴더에서 `grade check`를 실행해 공개 검사를 돌려 보세요.

**Assignment**: complete the function `add(a, b)` below. It must work on numbers and on numpy arrays.
When you are done, run `grade check` in this folder to run the public checks.
"""

README = """# {name}

## 과제 (한국어)

`{name}.ipynb`의 함수 `add(a, b)`를 완성하세요. `a + b`를 돌려주며, numpy 배열이면 원소별로 더합니다.

확인: 이 폴더에서 `grade check`를 실행하면 공개 검사 결과와 점수가 나옵니다.
채점은 더 많은 비공개 검사로 합니다.

## Assignment (English)

Complete the function `add(a, b)` in `{name}.ipynb`. It returns `a + b`, elementwise for numpy arrays.

To check your work, run `grade check` in this folder: it shows the public checks and your points.
Grading uses more checks than the public ones.
"""

PUBLIC_RUBRIC = """[assignment]
title = "{name}"
language = "ko"            # language of feedback: "ko" or "en"
requires = []              # ["keras"] for assignments that use Keras

[limits]
call_timeout = 5           # seconds for one call into the student's code
timeout = 60               # seconds for the whole submission

[checks]                   # points per check; the key is the test function's name
test_add_small_numbers = 1
"""

PUBLIC_CHECKS = '''"""Public checks of {name}: students run these with `grade check`."""

from autograder.checks import expect_equal


def test_add_small_numbers(submission):
    add = submission.function("add")
    expect_equal(add(1, 2), 3, what="add(1, 2)")
'''

HIDDEN_RUBRIC = """[assignment]
title = "{name}"
language = "ko"
requires = []

[limits]
call_timeout = 5
timeout = 60

[checks]
test_add_integers = 2
test_add_floats = 1
test_add_arrays = 2

[params]                   # values the checks read as rubric.params["..."]; never shipped to students
float_tolerance = 1e-9
"""

HIDDEN_CHECKS = '''"""Hidden checks of {name}: `grade batch` grades with these."""

import numpy as np
import pytest

from autograder.checks import expect_close, expect_equal


@pytest.mark.parametrize("a, b, want", [(2, 3, 5), (-4, 4, 0), (0, 0, 0)])
def test_add_integers(submission, a, b, want):
    expect_equal(submission.function("add")(a, b), want, what=f"add({{a}}, {{b}})")


def test_add_floats(submission, rubric):
    got = submission.function("add")(0.1, 0.2)
    expect_close(got, 0.1 + 0.2, what="add(0.1, 0.2)", atol=rubric.params["float_tolerance"])


def test_add_arrays(submission):
    a, b = np.arange(6).reshape(2, 3), np.full((2, 3), 10)
    expect_equal(submission.function("add")(a, b), a + b, what="add(a, b) on arrays of shape (2, 3)")
'''

MUTANTS = {
    "subtracts.py": ("test_add_integers, test_add_floats, test_add_arrays", "    return a - b\n"),
    "integers_only.py": ("test_add_floats, test_add_arrays", "    return int(a) + int(b)\n"),
}

MUTANT = '''# expect-lost: {lost}
"""A known-buggy variant of {name}: ``grade validate`` checks that the hidden checks catch it."""

{imports}

def add(a, b):
{body}'''

PROJECT_TEST = '''"""{name}: the solution scores full marks, the template 0, every known-buggy variant loses points."""

from pathlib import Path

from autograder.grading.course import Assignment
from autograder.authoring.validate import validate_assignment

COURSE = Path(__file__).resolve().parent.parent


def test_{name}_proves_its_checks():
    report = validate_assignment(Assignment("{name}", COURSE), jobs=1)
    assert report.problems == []
'''


def create_assignment(course_root: Path, name: str) -> list[Path]:
    """Write the scaffold of assignment ``name`` into the course; return the files written.

    Raises UsageError for a name that cannot be an assignment's, and
    GradingError when any of its four places already exists.
    """
    if not NAME_PATTERN.match(name):
        raise UsageError(f"invalid assignment name {name!r}: use lowercase letters, digits and _ "
                         "(starting with a letter or digit), e.g. 05_softmax")
    course_root = Path(course_root)
    files = _scaffold_files(name)
    for place in (f"assignments/{name}", f"solutions/{name}", f"rubrics/{name}", f"tests/test_assignment_{name}.py"):
        if (course_root / place).exists():
            raise GradingError(f"{course_root / place}: already exists; assignment {name} is not new")
    written = []
    for relative, text in files.items():
        path = course_root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        written.append(path)
    (course_root / "rubrics" / name / "mutants").mkdir(exist_ok=True)
    return written


def _scaffold_files(name: str) -> dict[str, str]:
    from autograder.authoring.templates import template_notebook, write_notebook_text

    solution = _notebook(INTRO.format(name=name), IMPORTS, SOLUTION_FUNCTION)
    files = {
        f"assignments/{name}/README.md": README.format(name=name),
        f"assignments/{name}/{name}.ipynb": write_notebook_text(template_notebook(solution)),
        f"assignments/{name}/checks/rubric.toml": PUBLIC_RUBRIC.format(name=name),
        f"assignments/{name}/checks/test_public.py": PUBLIC_CHECKS.format(name=name),
        f"solutions/{name}/{name}.py": f'"""Reference solution of {name}."""\n\n{IMPORTS}\n\n{SOLUTION_FUNCTION}',
        f"solutions/{name}/{name}.ipynb": write_notebook_text(solution),
        f"rubrics/{name}/rubric.toml": HIDDEN_RUBRIC.format(name=name),
        f"rubrics/{name}/test_hidden.py": HIDDEN_CHECKS.format(name=name),
        f"tests/test_assignment_{name}.py": PROJECT_TEST.format(name=name),
    }
    for file_name, (lost, body) in MUTANTS.items():
        files[f"rubrics/{name}/mutants/{file_name}"] = MUTANT.format(lost=lost, name=name, imports=IMPORTS, body=body)
    return files


def _notebook(intro: str, *code: str):
    """An nbformat 4 notebook: the instructions, then one code cell per source, no outputs."""
    from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

    cells = [new_markdown_cell(intro.rstrip("\n"), id="intro")]
    cells += [new_code_cell(source.rstrip("\n"), id=f"code-{index}") for index, source in enumerate(code)]
    metadata = {"kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
                "language_info": {"name": "python"}}
    return new_notebook(cells=cells, metadata=metadata)
