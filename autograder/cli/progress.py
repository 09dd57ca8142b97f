"""What long commands print while they run: grade check's phases, grade batch's done/total, rate and ETA."""

from __future__ import annotations

import contextlib
import sys
import threading
import time
from typing import Callable, Iterator

import click

from autograder.exports import display

ERASE = "\r\x1b[K"


def check_progress(lang: str, *, rewrite: bool = True) -> Callable[[str, dict], None]:
    """Phases on stderr as they happen; on a terminal, "running code cell k of n" rewrites one line.

    ``rewrite=False`` (``grade ci``: a CI log, whatever it claims to be) prints every phase as a plain line.
    """
    terminal = rewrite and sys.stderr.isatty()
    open_line = False

    def show(event: str, fields: dict) -> None:
        nonlocal open_line
        text = display.ci_log_safe(display.progress_text(event, fields, lang))
        if terminal and event == "cell" and not fields.get("text"):
            click.echo(ERASE + text, err=True, nl=False)
            open_line = True
            return
        click.echo((ERASE if open_line else "") + text, err=True)
        open_line = False

    return show


class BatchProgress:
    """Done/total, rate and time left of a batch: ``start(total)`` once, then ``advance()`` per submission."""

    def __init__(self, name: str, console, every_s: float) -> None:
        self.name, self.console, self.every_s = name, console, every_s
        self.total, self.done, self.started = 0, 0, time.monotonic()
        self.bar = self.task = None
        self.stop = threading.Event()
        self.ticker: threading.Thread | None = None
        self.ticks = 0

    def start(self, total: int) -> None:
        self.total, self.started = total, time.monotonic()
        if self.console.is_terminal:
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

            columns = [TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                       TextColumn("{task.fields[rate]}"), TimeRemainingColumn()]
            self.bar = Progress(*columns, transient=True, console=self.console)
            self.task = self.bar.add_task(f"grading {self.name}", total=total, rate="")
            self.bar.start()
        else:  # a log: a plain line every few seconds, whatever the submissions take
            self.ticker = threading.Thread(target=self._tick, daemon=True)
            self.ticker.start()

    def advance(self) -> None:
        self.done += 1
        if self.bar is not None:
            rate = 60 * self.done / max(time.monotonic() - self.started, 1e-9)
            self.bar.update(self.task, advance=1, rate=f"{rate:.1f}/min")

    def line(self) -> str:
        return display.batch_progress_line(self.done, self.total, time.monotonic() - self.started)

    def _tick(self) -> None:
        while not self.stop.wait(self.every_s):
            self.ticks += 1
            click.echo(display.ci_log_safe(self.line()), err=True)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.stop()
        if self.ticker is not None:
            self.stop.set()
            self.ticker.join()
            if self.ticks:  # a batch long enough to show progress ends with its last figures
                click.echo(display.ci_log_safe(self.line()), err=True)


@contextlib.contextmanager
def batch_progress(name: str, console, *, every_s: float = 5.0) -> Iterator[BatchProgress]:
    """A live bar on a terminal; elsewhere (CI logs) a plain line every ``every_s`` seconds and one at the end."""
    progress = BatchProgress(name, console, every_s)
    try:
        yield progress
    finally:
        progress.close()
