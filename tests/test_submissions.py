"""grading/submissions.py: what identifies a submission, notebooks bounded before they are parsed, and read as
students save them (nbformat 4.0-4.5, nbformat 3, Colab exports, saved widget state), cells numbered as Jupyter does."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from autograder.errors import SubmissionError
from autograder.grading.submissions import content_hash, load_submission, read_notebook_cells
from notebook_corpus import CORPUS, build


def folder(root: Path, files: dict[str, bytes]) -> Path:
    root.mkdir(parents=True)
    for name, data in files.items():
        (root / name).write_bytes(data)
    return root


def test_a_file_whose_content_looks_like_the_next_file_does_not_collide(tmp_path: Path) -> None:
    # Without lengths both streams read "a\0X\0b\0Y\0": one file posing as two.
    one = folder(tmp_path / "one", {"a": b"X\0b\0Y"})
    two = folder(tmp_path / "two", {"a": b"X", "b": b"Y"})
    assert content_hash(one) != content_hash(two)


def test_names_and_contents_each_count(tmp_path: Path) -> None:
    base = content_hash(folder(tmp_path / "base", {"a.py": b"x = 1\n", "b.txt": b""}))
    assert base == content_hash(folder(tmp_path / "same", {"a.py": b"x = 1\n", "b.txt": b""}))
    for i, files in enumerate([{"a.py": b"x = 2\n", "b.txt": b""}, {"c.py": b"x = 1\n", "b.txt": b""},
                               {"a.py": b"x = 1\n"}, {"a.py": b"x = 1\n", "b.txt": b"", "c": b""}]):
        assert content_hash(folder(tmp_path / f"other{i}", files)) != base, files


def test_a_link_is_not_a_file_holding_its_target_name(tmp_path: Path) -> None:
    link = tmp_path / "link"
    link.mkdir()
    (link / "a").symlink_to("target")
    assert content_hash(link) != content_hash(folder(tmp_path / "file", {"a": b"target"}))


def test_a_deeply_nested_notebook_is_refused_in_one_line(tmp_path: Path) -> None:
    path = tmp_path / "deep.ipynb"
    cell = '{"cell_type": "code", "source": "x = 1", "metadata": {"x": ' + "[" * 50_000 + "]" * 50_000 + "}}"
    path.write_text('{"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [' + cell + "]}")
    with pytest.raises(SubmissionError) as info:
        load_submission(path)
    assert str(info.value) == f"{path}: not a valid notebook (nested 50004 levels deep, more than the 100 allowed)"


def test_an_ordinary_notebook_still_loads(tmp_path: Path) -> None:
    path = tmp_path / "ok.ipynb"
    path.write_text(json.dumps({"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [
        {"cell_type": "code", "source": ["x = 1\n", "y = 2"], "metadata": {}, "outputs": [], "execution_count": None}]}))
    assert load_submission(path).cells == [{"index": 0, "number": 1, "source": "x = 1\ny = 2"}]


def test_code_cells_are_numbered_as_jupyter_shows_them_after_run_all(tmp_path):
    path = build("perceptron_gates", tmp_path)  # a markdown cell first, a blank code cell in the middle
    cells = read_notebook_cells(path)
    assert [(c["index"], c["number"]) for c in cells] == [(1, 1), (2, 2), (3, 3), (4, 4), (5, 0), (6, 5)]


@pytest.mark.parametrize("name", sorted(CORPUS))
def test_every_notebook_of_the_corpus_is_read(name, tmp_path):
    cells = load_submission(build(name, tmp_path)).cells
    assert [c["number"] for c in cells if c["number"]] == list(range(1, len([c for c in cells if c["number"]]) + 1))


def test_an_nbformat_3_notebook_is_converted(tmp_path):
    cells = read_notebook_cells(build("nbformat3_lab", tmp_path))
    assert cells == [
        {"index": 1, "number": 1, "source": "import numpy as np\nx = np.array([1, 2, 3])\nprint(x * 2)"},
        {"index": 2, "number": 2, "source": "x.mean()"},
        {"index": 3, "number": 3, "source": "y = x[::-1]\ny"},
    ]  # the heading cell became markdown at index 0


def test_reading_an_nbformat_3_notebook_does_not_validate(tmp_path):
    """Validation costs (jsonschema and its format checkers) and finds nothing grading needs."""
    path = build("nbformat3_lab", tmp_path)
    script = ("import pathlib, nbformat, nbformat.validator as v\n"
              "def refuse(*a, **k): raise SystemExit('validated')\n"
              "v.validate = v.iter_validate = v.isvalid = nbformat.validate = refuse\n"
              "from autograder.grading.submissions import read_notebook_cells\n"
              f"print(len(read_notebook_cells(pathlib.Path({str(path)!r}))))")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert (done.returncode, done.stdout, done.stderr) == (0, "3\n", "")


def test_colab_metadata_and_widget_state_are_ignored(tmp_path):
    colab = load_submission(build("colab_export_numpy", tmp_path))
    widgets = load_submission(build("widget_state_saved", tmp_path))
    assert [c["source"][:26] for c in colab.cells][:2] == ["from google.colab import d", "!pip install -q numpy matp"]
    assert len(widgets.cells) == 3


@pytest.mark.parametrize("content, message", [
    ({"nbformat": 2, "cells": []}, "notebook format 2 is not supported (open it in Jupyter and save it"),
    ({"nbformat": 3, "worksheets": [{"cells": [7]}]}, "cell 0 is not an object with a cell_type"),
    ({"nbformat": 3, "worksheets": [{"cells": [{"cell_type": "code", "input": 5}]}]}, "cell 0 has no text source"),
    ({"nbformat": 3, "worksheets": "x"}, "not a valid nbformat 3 notebook (no worksheets with cells)"),
    ([1, 2], "not a valid notebook (not a JSON object)"),
])
def test_a_broken_notebook_is_one_line_naming_the_file(tmp_path, content, message):
    path = tmp_path / "broken.ipynb"
    path.write_text(json.dumps(content), encoding="utf-8")
    with pytest.raises(SubmissionError) as caught:
        read_notebook_cells(path)
    assert str(caught.value).startswith(f"{path}: ") and message in str(caught.value)
