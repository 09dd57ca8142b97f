"""Run a student's notebook cells or module and keep its namespace.

Notebooks run cell by cell in IPython's InteractiveShell (magics work, no kernel);
a failing cell is recorded and later cells still run. Modules run as an import.
"""

from __future__ import annotations

import io
import sys
import traceback
import types
from typing import Any

OUTPUT_CAP = 64 * 1024  # characters of output kept per cell
REPORT_CAP = 256 * 1024  # characters of output kept over all cells: even JSON-escaped, well within the grader's cap
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


def _error_record(index: int | None, exc: BaseException) -> dict[str, Any]:
    record: dict[str, Any] = {"ename": type(exc).__name__, "evalue": str(exc)[:REPR_CAP]}
    if index is not None:
        record["index"] = index
    if isinstance(exc, SyntaxError):
        record["lineno"] = exc.lineno
    else:
        frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.name == "<module>"]
        if frames:
            record["lineno"] = frames[0].lineno
    record["traceback"] = "".join(traceback.format_exception_only(type(exc), exc))[:REPR_CAP]
    return record


class _Capture:
    """Swap sys.stdout/sys.stderr for capped sinks while student code runs."""

    def __enter__(self) -> tuple[CappedText, CappedText]:
        self.saved = sys.stdout, sys.stderr
        self.out, self.err = CappedText(), CappedText()
        sys.stdout, sys.stderr = self.out, self.err
        return self.out, self.err

    def __exit__(self, *exc: Any) -> None:
        sys.stdout, sys.stderr = self.saved


def run_notebook(cells: list[dict[str, Any]]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Run code cells ``[{"index": i, "source": s}]``; return (namespace, report)."""
    from IPython.core.interactiveshell import InteractiveShell

    shell = InteractiveShell.instance(colors="NoColor")
    # The last expression's value is kept as an execute_result below, not printed.
    shell.displayhook.write_output_prompt = lambda: None
    shell.displayhook.write_format_data = lambda *args, **kwargs: None
    errors, outputs, room = [], [], REPORT_CAP
    for cell in cells:
        with _Capture() as (out, err):
            result = shell.run_cell(cell["source"], store_history=True, silent=False)
        exc = result.error_before_exec or result.error_in_exec
        cell_outputs = []
        if out.getvalue():
            cell_outputs.append({"output_type": "stream", "name": "stdout", "text": out.getvalue()})
        if err.getvalue():
            cell_outputs.append({"output_type": "stream", "name": "stderr", "text": err.getvalue()})
        if exc is not None:
            record = _error_record(cell["index"], exc)
            errors.append(record)
            cell_outputs.append({"output_type": "error", "ename": record["ename"], "evalue": record["evalue"], "traceback": [record["traceback"]]})
        elif result.result is not None:
            cell_outputs.append({"output_type": "execute_result", "data": {"text/plain": _safe_repr(result.result)}, "metadata": {}})
        for output in cell_outputs:  # keep the report within what the grader accepts
            if "text" in output:
                output["text"] = output["text"][:max(room, 0)] + ("" if len(output["text"]) <= room else
                                                                  "\n... [output not kept: the notebook printed too much]\n")
                room -= len(output["text"])
        outputs.append({"index": cell["index"], "outputs": cell_outputs})
    return shell.user_ns, {"cell_errors": errors, "cell_outputs": outputs}


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


def _safe_repr(value: Any) -> str:
    try:
        return repr(value)[:REPR_CAP]
    except Exception as e:  # a student's __repr__ may raise
        return f"<repr failed: {type(e).__name__}>"
