"""grading/submissions.py: what identifies a submission, and notebooks bounded before they are parsed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from autograder.errors import SubmissionError
from autograder.grading.submissions import content_hash, load_submission


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
    assert load_submission(path).cells == [{"index": 0, "source": "x = 1\ny = 2"}]
