"""Stop a notebook cell before the grader's deadline, as Jupyter's interrupt button would.

The grader kills a worker that runs past the submission's time budget; then
nothing says where the code was. So the worker interrupts itself first: shortly
before the budget is spent a thread sends SIGINT to the main thread, the running
cell raises KeyboardInterrupt at the line it was on (sleeping and blocking calls
included), the remaining cells are not run, and the report names that cell and
line. Code that swallows the interrupt or is stuck in C for good is still
killed by the grader at its deadline, as before.
"""

from __future__ import annotations

import signal
import threading
import time
from typing import Any

MARGIN_SHARE = 0.2  # of the budget left to the grader after the interrupt: the report must still reach it
MARGIN_MIN_S, MARGIN_MAX_S = 1.0, 10.0
RESEND_S = 0.25  # code that catches KeyboardInterrupt in a loop is interrupted again


class CellAlarm:
    """Interrupts the cell that is running when ``budget`` seconds from ``start`` (monotonic) are nearly spent."""

    def __init__(self, start: float, budget: float) -> None:
        self.fires_at = start + budget - min(max(MARGIN_MIN_S, MARGIN_SHARE * budget), MARGIN_MAX_S)
        self.fired = self.stopped = False
        self.in_cell = False
        self._main = threading.main_thread().ident
        signal.signal(signal.SIGINT, self._on_sigint)
        threading.Thread(target=self._watch, name="cell-alarm", daemon=True).start()

    def _on_sigint(self, signum: int, frame: Any) -> None:
        if self.in_cell:  # between cells (the runner's own code) an interrupt is ignored
            raise KeyboardInterrupt

    def _watch(self) -> None:
        time.sleep(max(0.0, self.fires_at - time.monotonic()))
        self.fired = True
        while not self.stopped:
            if self.in_cell:
                signal.pthread_kill(self._main, signal.SIGINT)
            time.sleep(RESEND_S)

    def stop(self) -> None:
        """No more interrupts: the cells are over (the worker now serves the checks)."""
        self.in_cell, self.stopped = False, True
        signal.signal(signal.SIGINT, signal.SIG_IGN)
