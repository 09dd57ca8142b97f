"""A real `grade batch` killed half-way, then run again: nothing lost, nothing graded twice."""

from __future__ import annotations

import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

REPO = Path(__file__).resolve().parent.parent
NAME = "01_logic_gates"


@pytest.fixture
def subs(tmp_path: Path) -> Path:
    """Twelve submissions: solutions and known-buggy variants."""
    sources = [REPO / "solutions" / NAME / f"{NAME}.py", REPO / "solutions" / NAME / f"{NAME}.ipynb"]
    sources += sorted((REPO / "rubrics" / NAME / "mutants").glob("*.py"))[:10]
    folder = tmp_path / "subs"
    folder.mkdir()
    for i, src in enumerate(sources):
        shutil.copy(src, folder / f"s{i:02d}{src.suffix}")
    return folder


def batch(subs: Path, out: Path, *options: str, jobs: int = 1) -> subprocess.Popen:
    out.mkdir(exist_ok=True)
    cmd = [sys.executable, "-m", "autograder.cli", "batch", str(subs), "-a", NAME, "-o", str(out / "grades.csv"), "-j", str(jobs),
           *options]
    return subprocess.Popen(cmd, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)


def journal_rows(out: Path) -> int:
    path = out / ".grade-journal.sqlite"
    if not path.exists():
        return 0
    try:
        with sqlite3.connect(path) as db:
            return db.execute("SELECT count(*) FROM results").fetchone()[0]
    except sqlite3.OperationalError:  # the table is not created yet
        return 0


def wait_for_rows(out: Path, n: int, proc: subprocess.Popen) -> None:
    while journal_rows(out) < n:
        assert proc.poll() is None, proc.communicate()
        time.sleep(0.05)


def finished(proc: subprocess.Popen) -> tuple[int, str, str]:
    stdout, stderr = proc.communicate(timeout=300)
    return proc.returncode, stdout, stderr


def grades(out: Path) -> pd.DataFrame:
    return pd.read_csv(out / "grades.csv").drop(columns=["duration_s"])


@pytest.mark.slow
def test_sigkill_then_the_same_command_grades_only_what_is_missing(subs, tmp_path):
    code, _, stderr = finished(batch(subs, tmp_path / "whole"))
    assert code == 0, stderr

    out = tmp_path / "killed"
    proc = batch(subs, out)
    wait_for_rows(out, 3, proc)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.communicate()
    assert not (out / "grades.csv").exists()  # written once, at the end, atomically
    done = journal_rows(out)
    assert 3 <= done < 12

    code, stdout, stderr = finished(batch(subs, out))
    assert code == 0, stderr
    assert f"{done} unchanged since the last run were taken from the journal" in stdout
    pd.testing.assert_frame_equal(grades(out), grades(tmp_path / "whole"))


@pytest.mark.slow
def test_ctrl_c_keeps_what_finished_and_says_how_to_resume(subs, tmp_path):
    out = tmp_path / "interrupted"
    proc = batch(subs, out)
    wait_for_rows(out, 2, proc)
    os.killpg(proc.pid, signal.SIGINT)  # what a terminal sends to the whole foreground group
    code, _, stderr = finished(proc)
    assert code == 130
    assert "Error: interrupted: " in stderr and "run the same command again to grade the rest" in stderr
    kept = journal_rows(out)
    code, stdout, _ = finished(batch(subs, out))
    assert code == 0 and f"{kept} unchanged since the last run" in stdout
