"""Shared fixtures: a tiny course built in a temporary folder, and the real one."""

from __future__ import annotations

import textwrap
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

REPO = Path(__file__).resolve().parent.parent
FASHION_MNIST = REPO.parent / "shared" / "data" / "fashion-mnist"

TINY_RUBRIC = """
[assignment]
title = "Tiny"
language = "en"

[limits]
call_timeout = 5
timeout = 30

[checks]
test_and = 2
test_and_arrays = 1
test_total = 1
"""

TINY_CHECKS = '''
import numpy as np
import pytest
from autograder.grading.checks import expect_equal


@pytest.mark.parametrize("a, b, want", [(0, 0, 0), (0, 1, 0), (1, 0, 0), (1, 1, 1)])
def test_and(submission, a, b, want):
    expect_equal(submission.function("AND")(a, b), want, what=f"AND({a}, {b})")


def test_and_arrays(submission):
    x = np.array([0, 1, 1, 0])
    y = np.array([1, 1, 0, 0])
    expect_equal(submission.function("AND")(x, y), np.array([0, 1, 0, 0]), what="AND(x, y)")


def test_total(submission):
    expect_equal(submission.value("TOTAL"), 3, what="TOTAL")
'''

GOOD = """
import numpy as np

TOTAL = 3


def AND(a, b):
    return (np.asarray(a) * np.asarray(b) > 0).astype(int) if np.ndim(a) else int(a == 1 and b == 1)
"""

# Submissions that cannot be graded: (file name, content, the status's reason in English, in Korean).
UNGRADABLE = {
    "raises at import": ("tiny.py", "x = 1\nundefined_name\n", "raised NameError at import (line 2)",
                         "코드를 불러오는 중 2번째 줄에서 NameError 발생"),
    "kills its own process": ("tiny.py", "import os\nos._exit(1)\n", "exit code 1 while running the submission's code",
                              "제출물 코드를 실행하는 중 프로세스가 멈췄습니다 (종료 코드 1로 끝났습니다)"),
    "is not a valid notebook": ("tiny.ipynb", "{not json", "tiny.ipynb: not a valid notebook (invalid JSON:",
                                "tiny.ipynb: 올바른 노트북 파일이 아닙니다 (JSON 구문 오류:"),
}


def write_notebook(path: Path, *sources: str) -> Path:
    cells = [new_markdown_cell("# 과제 / Assignment")] + [new_code_cell(textwrap.dedent(s)) for s in sources]
    nbformat.write(new_notebook(cells=cells), path)
    return path


@pytest.fixture
def tiny_course(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A course with one assignment, ``tiny``, and hidden and public checks."""
    root = tmp_path / "course"
    for folder in (root / "rubrics" / "tiny", root / "assignments" / "tiny" / "checks"):
        folder.mkdir(parents=True)
        (folder / "rubric.toml").write_text(TINY_RUBRIC, encoding="utf-8")
        (folder / "test_tiny.py").write_text(TINY_CHECKS, encoding="utf-8")
    (root / "pyproject.toml").write_text("", encoding="utf-8")
    monkeypatch.setenv("GRADE_COURSE", str(root))
    return root


@pytest.fixture
def good_source() -> str:
    return GOOD
