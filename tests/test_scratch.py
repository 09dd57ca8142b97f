"""Scratch folders measured and removed through folder fds: no depth hides a file or breaks cleanup."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import pytest

from autograder.engine import scratch

MB = 1 << 20


def deep_chain(root: Path, depth: int, *, files: int = 1, size: int = MB) -> None:
    """``depth`` nested folders (far past PATH_MAX) with ``files`` files of ``size`` bytes at the bottom."""
    root.mkdir()
    fd = os.open(root, os.O_RDONLY | os.O_DIRECTORY)
    try:
        for _ in range(depth):
            os.mkdir("d" * 200, dir_fd=fd)
            child = os.open("d" * 200, os.O_RDONLY | os.O_DIRECTORY, dir_fd=fd)
            os.close(fd)
            fd = child
        for i in range(files):
            out = os.open(f"f{i}", os.O_WRONLY | os.O_CREAT, 0o600, dir_fd=fd)
            os.write(out, os.urandom(size))
            os.close(out)
    finally:
        os.close(fd)


def test_files_below_path_max_depth_are_counted(tmp_path: Path) -> None:
    deep_chain(tmp_path / "s", 30, files=3)
    assert scratch.over_budget(tmp_path / "s", max_bytes=2 * MB, max_entries=1000, max_depth=100) == \
        "scratch folder limit 2 MB exceeded"
    assert scratch.over_budget(tmp_path / "s", max_bytes=8 * MB, max_entries=1000, max_depth=100) is None


def test_a_chain_deeper_than_the_limit_is_over_it(tmp_path: Path) -> None:
    deep_chain(tmp_path / "s", 2100, size=1000)
    reason = scratch.over_budget(tmp_path / "s", max_bytes=100 * MB, max_entries=100_000)
    scratch.remove(tmp_path / "s")  # pytest's own clean-up of tmp_path would recurse
    assert reason == f"scratch folder limit exceeded (folders nested more than {scratch.MAX_DEPTH} deep)"


def test_entries_are_counted(tmp_path: Path) -> None:
    (tmp_path / "s").mkdir()
    for i in range(50):
        (tmp_path / "s" / str(i)).write_text("")
    assert "more than 40 files" in scratch.over_budget(tmp_path / "s", max_bytes=MB, max_entries=40)


def test_links_are_not_followed_and_hard_links_count_once(tmp_path: Path) -> None:
    (tmp_path / "s").mkdir()
    (tmp_path / "big").write_bytes(os.urandom(3 * MB))
    (tmp_path / "s" / "link").symlink_to(tmp_path / "big")
    (tmp_path / "s" / "dirlink").symlink_to(tmp_path)
    (tmp_path / "s" / "own").write_bytes(os.urandom(MB))
    for i in range(5):
        os.link(tmp_path / "s" / "own", tmp_path / "s" / f"hard{i}")
    assert scratch.over_budget(tmp_path / "s", max_bytes=2 * MB, max_entries=100) is None


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads any folder")
def test_an_unreadable_folder_is_opened_up(tmp_path: Path) -> None:
    (tmp_path / "s" / "hidden").mkdir(parents=True)
    (tmp_path / "s" / "hidden" / "f").write_bytes(os.urandom(3 * MB))
    os.chmod(tmp_path / "s" / "hidden", 0)
    assert scratch.over_budget(tmp_path / "s", max_bytes=2 * MB, max_entries=100) is not None


def test_remove_takes_any_depth_without_recursion(tmp_path: Path) -> None:
    deep_chain(tmp_path / "s", 2100, files=2, size=10)
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(200)  # the walk must not depend on the stack
    try:
        scratch.remove(tmp_path / "s")
    finally:
        sys.setrecursionlimit(limit)
    assert not (tmp_path / "s").exists()


def test_remove_deletes_wide_trees_links_and_leaves_targets(tmp_path: Path) -> None:
    root = tmp_path / "s"
    for i in range(30):
        (root / f"a{i}" / "b").mkdir(parents=True)
        (root / f"a{i}" / "b" / "f").write_text("x")
    (tmp_path / "keep").mkdir()
    (tmp_path / "keep" / "f").write_text("kept")
    (root / "link").symlink_to(tmp_path / "keep")
    scratch.remove(root)
    assert not root.exists()
    assert (tmp_path / "keep" / "f").read_text() == "kept"
    scratch.remove(root)  # gone already: nothing to do


def test_shutil_rmtree_is_not_enough_here(tmp_path: Path) -> None:
    """Why the module exists: this Python's rmtree recurses once per folder level."""
    if sys.version_info >= (3, 12):
        pytest.skip("rmtree no longer recurses per level")
    deep_chain(tmp_path / "s", 1200, size=10)
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(1000)  # Python's default: a test run before this one (IPython) may have raised it
    try:
        with pytest.raises(RecursionError):
            shutil.rmtree(tmp_path / "s")
    finally:
        sys.setrecursionlimit(limit)
    scratch.remove(tmp_path / "s")


@pytest.mark.skipif(os.geteuid() == 0, reason="root ignores folder permissions")
def test_remove_empties_folders_made_read_only(tmp_path: Path) -> None:
    (tmp_path / "s" / "a").mkdir(parents=True)
    (tmp_path / "s" / "a" / "f").write_text("x")
    os.chmod(tmp_path / "s" / "a", 0o500)
    os.chmod(tmp_path / "s", 0o500)
    scratch.remove(tmp_path / "s")
    assert not (tmp_path / "s").exists()
