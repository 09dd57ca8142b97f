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
