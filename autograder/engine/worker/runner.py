"""Run a student's notebook cells or module and keep its namespace.

Notebooks run cell by cell in a Jupyter-like IPython shell (kernel.py: magics,
figures and display() work, no kernel); a failing cell is recorded and later
cells still run. Modules run as an import.
"""

from __future__ import annotations

import io
import os
import re
import sys
import traceback
import types
from typing import Any, Callable

OUTPUT_CAP = 64 * 1024  # characters of output kept per cell
REPR_CAP = 4096


class CappedText(io.TextIOBase):
    """A text sink that keeps the first ``cap`` characters and counts the rest."""

    def __init__(self, cap: int = OUTPUT_CAP) -> None:
        self.cap, self.parts, self.size, self.dropped = cap, [], 0, 0

    def writable(self) -> bool:
        return True

    def write(self, s: str) -> int:
        s = str(s)
        room = self.cap - self.size
        if room > 0:
            self.parts.append(s[:room])
            self.size += min(len(s), room)
        self.dropped += max(0, len(s) - max(room, 0))
        return len(s)

    def getvalue(self) -> str:
        text = "".join(self.parts)
        if self.dropped:
            text += f"\n... [{self.dropped} more characters of output not kept]\n"
        return text


def _error_record(index: int | None, exc: BaseException, number: int | None = None) -> dict[str, Any]:
    record: dict[str, Any] = {"ename": type(exc).__name__, "evalue": cell_file_names(str(exc))[:REPR_CAP]}
    if index is not None:
        record["index"] = index
    if number is not None:
        record["cell"] = number
    if isinstance(exc, SyntaxError):
        record["lineno"] = exc.lineno
    else:
        frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.name == "<module>"]
        if frames:
            record["lineno"] = frames[0].lineno
    record["traceback"] = student_traceback(exc)[-REPR_CAP:]
    return record


_CELL_FILE = re.compile(r'(?:File ")?<ipython-input-(\d+)-[0-9a-f]+>"?')
_WORKER_DIR = os.path.dirname(os.path.abspath(__file__))


def cell_file_names(text: str) -> str:
    """Traceback text with IPython's cell file names written as Jupyter shows them: ``Cell In[6]``."""
    return _CELL_FILE.sub(r"Cell In[\1]", text)


def student_traceback(exc: BaseException) -> str:
    """The traceback from the student's first frame on (the shell's own frames dropped), cells named."""
    tb = exc.__traceback__
    while tb is not None and not tb.tb_frame.f_code.co_filename.startswith("<ipython-input-"):
        tb = tb.tb_next
    lines = []
    if not isinstance(exc, SyntaxError) and tb is not None:
        frames = [f for f in traceback.extract_tb(tb) if os.path.dirname(f.filename) != _WORKER_DIR]
        lines = ["Traceback (most recent call last):\n", *traceback.format_list(frames)]
    lines += traceback.format_exception_only(type(exc), exc)
    return cell_file_names("".join(lines))


class _Capture:
    """Swap sys.stdout/sys.stderr for capped sinks while student code runs."""

    def __enter__(self) -> tuple[CappedText, CappedText]:
        self.saved = sys.stdout, sys.stderr
        self.out, self.err = CappedText(), CappedText()
        sys.stdout, sys.stderr = self.out, self.err
        return self.out, self.err

    def __exit__(self, *exc: Any) -> None:
        sys.stdout, sys.stderr = self.saved


Progress = Callable[[int, int, str], None]  # (cell In [k], of n cells, the last line printed or "")


def run_notebook(cells: list[dict[str, Any]], progress: Progress | None = None, *,
                 time_budget: tuple[float, float] | None = None) -> tuple[dict[str, Any], dict[str, Any]]:
    """Run code cells ``[{"index": i, "number": n, "source": s}]`` as Jupyter's Run All would.

    Each non-blank cell runs as ``In [n]`` (blank cells are skipped, as Jupyter does not
    send them to the kernel). With ``time_budget`` (monotonic start, seconds) the cell still
    running when it is nearly spent is interrupted and no later cell runs: its error record
    says ``timed_out``. ``progress`` hears of each cell as it starts and of the last line it printed
    (throttled). Returns (namespace, report).
    """
    from autograder.engine.worker.alarm import CellAlarm
    from autograder.engine.worker.kernel import start_shell

    shell = start_shell()
    alarm = CellAlarm(*time_budget) if time_budget is not None else None
    errors, outputs, timed_out = [], [], False
    number, total = 0, sum(1 for c in cells if c["source"].strip())
    for cell in cells:
        if not cell["source"].strip():
            continue
        number = cell.get("number") or number + 1
        on_line = None
        if progress is not None:
            progress(number, total, "")
            on_line = lambda line, k=number: progress(k, total, line)  # noqa: E731
        interrupted: BaseException | None = None
        try:
            if alarm is not None:
                alarm.in_cell = True
            result, cell_outputs = shell.run_cell_as(number, cell["source"], on_line=on_line)
            exc = result.error_before_exec or result.error_in_exec
        except KeyboardInterrupt as e:  # the alarm went off outside the student's code
            exc, cell_outputs, interrupted = e, shell.outputs.finish(), e
        finally:
            if alarm is not None:
                alarm.in_cell = False
        if alarm is not None and alarm.fired:  # this cell was running when the time ran out
            exc = record = _timeout_record(cell["index"], interrupted or exc, number)
            timed_out = True
        elif exc is not None:
            record = _error_record(cell["index"], exc, number)
        if exc is not None:
            errors.append(record)
            cell_outputs.append({"output_type": "error", "ename": record["ename"], "evalue": record["evalue"],
                                 "traceback": [record["traceback"]]})
        outputs.append({"index": cell["index"], "outputs": cell_outputs})
        if timed_out:
            break
    if alarm is not None:
        alarm.stop()
    return shell.user_ns, {"cell_errors": errors, "cell_outputs": outputs}


def _timeout_record(index: int, exc: BaseException | None, number: int) -> dict[str, Any]:
    record = _error_record(index, exc if exc is not None else KeyboardInterrupt(), number)
    where = f", line {record['lineno']}" if record.get("lineno") else ""
    record.update(ename="TimeoutError", evalue=f"the notebook ran out of time in this cell{where}; later cells did not run",
                  timed_out=True)
    record["traceback"] = record["traceback"].replace("KeyboardInterrupt", "TimeoutError: " + record["evalue"], 1)
    return record


def run_module(path: str, source: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """Execute a module's source as ``import submission`` would."""
    module = types.ModuleType("submission")
    module.__file__ = path
    sys.modules["submission"] = module
    report: dict[str, Any] = {"cell_errors": [], "cell_outputs": []}
    with _Capture() as (out, err):
        try:
            exec(compile(source, path, "exec"), module.__dict__)
        except BaseException as exc:  # the student's code may raise anything, SystemExit included
            report["import_error"] = _error_record(None, exc)
    report["output"] = out.getvalue() + err.getvalue()
    return module.__dict__, report
