"""What long commands print while they run: grade batch's done/total, rate and time left."""

from __future__ import annotations

import io
import re
import time

from rich.console import Console

from autograder.cli.progress import batch_progress


def test_a_log_gets_a_plain_line_every_few_seconds_with_done_total_rate_and_time_left(capsys):
    with batch_progress("tiny", Console(file=io.StringIO(), force_terminal=False), every_s=0.2) as progress:
        progress.start(4)
        for _ in range(2):
            progress.advance()
            time.sleep(0.3)
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) >= 2
    assert re.fullmatch(r"graded [12]/4 submissions \(\d+\.\d/min\), about \d+ s left", lines[0]), lines
    assert re.fullmatch(r"graded 2/4 submissions \(\d+\.\d/min\), about \d+ s left", lines[-1]), lines


def test_a_short_batch_prints_no_progress_line(capsys):
    with batch_progress("tiny", Console(file=io.StringIO(), force_terminal=False), every_s=5) as progress:
        progress.start(1)
        progress.advance()
    assert capsys.readouterr().err == ""


def test_a_terminal_gets_a_live_bar_with_done_total(capsys):
    screen = io.StringIO()
    with batch_progress("tiny", Console(file=screen, force_terminal=True, width=100)) as progress:
        progress.start(3)
        progress.advance()
        progress.bar.refresh()
        shown = screen.getvalue()
    assert "grading tiny" in shown and "1/3" in shown and "/min" in shown
    assert capsys.readouterr().err == ""


def test_grade_ci_prints_the_phases_as_plain_lines_even_to_a_terminal(tiny_course, tmp_path, good_source):
    """A CI log is no terminal (some runners pretend to be): each phase is one line, no bar, no carriage return."""
    import os
    import pty
    import subprocess
    import sys
    from pathlib import Path

    from tests.conftest import write_notebook

    repo = tmp_path / "repo"
    repo.mkdir()
    write_notebook(repo / "tiny.ipynb", good_source, "print('Epoch 1/1 - loss: 0.5')")
    screen, stderr = pty.openpty()  # stderr says it is a terminal, where grade check would rewrite its cell line
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(Path(__file__).resolve().parent.parent),
                                                         os.environ.get("PYTHONPATH", "")])}
    with subprocess.Popen([sys.executable, "-m", "autograder.cli", "ci", "--lang", "en"], cwd=repo, env=env,
                          stdout=subprocess.PIPE, stderr=stderr, stdin=subprocess.DEVNULL) as proc:
        os.close(stderr)
        shown = b""
        while True:
            try:
                chunk = os.read(screen, 4096)
            except OSError:  # the other end closed
                break
            if not chunk:
                break
            shown += chunk
        out = proc.stdout.read().decode()
    os.close(screen)
    assert proc.returncode == 0, out
    text = shown.decode().replace("\r\n", "\n")  # the pty's own line ending
    assert "\r" not in text and "\x1b" not in text
    assert [line for line in text.splitlines() if line.startswith("  ")] == [
        "  ... starting the worker...", "  ... running code cell 1 of 2", "  ... running code cell 2 of 2",
        "  | Epoch 1/1 - loss: 0.5", "  ... running the checks...",
    ]
    assert out.endswith("Points 4/4\n")
