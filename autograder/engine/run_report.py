"""The worker's run report, checked against a schema and capped on receipt.

The report (cell errors, cell outputs, import error, captured output) comes
from a process that ran student code, so it can be forged: any shape, any
size. :func:`checked` refuses anything that is not the shape the worker sends
and cuts what the grader keeps to fixed sizes, so no report can grow a results
file, a journal row or a feedback page beyond them.
"""

from __future__ import annotations

import functools
from typing import Any

TEXT_CAP = 64 * 1024  # characters kept of one text in a cell's outputs (the worker keeps as much per cell)
ERROR_CAP = 4096  # characters kept of an exception's value or traceback
OUTPUTS_CAP = 1 << 20  # characters of cell outputs kept in all
MAX_OUTPUTS_PER_CELL = 16

_TEXT = {"type": "string"}
_INDEX = {"type": "integer", "minimum": 0}
_ERROR = {
    "type": "object",
    "properties": {"index": _INDEX, "ename": _TEXT, "evalue": _TEXT, "traceback": _TEXT,
                   "lineno": {"type": ["integer", "null"]}},
    "required": ["ename", "evalue"],
}
_OUTPUT = {
    "type": "object",
    "properties": {
        "output_type": {"enum": ["stream", "execute_result", "display_data", "error"]},
        "name": {"enum": ["stdout", "stderr"]},
        "text": _TEXT, "ename": _TEXT, "evalue": _TEXT,
        "traceback": {"type": "array", "items": _TEXT, "maxItems": 64},
        "data": {"type": "object", "additionalProperties": _TEXT, "maxProperties": 8},
        "metadata": {"type": "object", "maxProperties": 0},
    },
    "required": ["output_type"],
    "additionalProperties": False,
}
SCHEMA = {
    "type": "object",
    "properties": {
        "cell_errors": {"type": "array", "items": _ERROR},
        "cell_outputs": {"type": "array", "items": {
            "type": "object",
            "properties": {"index": _INDEX, "outputs": {"type": "array", "items": _OUTPUT,
                                                         "maxItems": MAX_OUTPUTS_PER_CELL}},
            "required": ["index", "outputs"],
            "additionalProperties": False,
        }},
        "import_error": _ERROR,
        "output": _TEXT,
        "seccomp": {"type": "boolean"},
        "timing": {"type": "object", "additionalProperties": {"type": "number"}},
    },
    "required": ["cell_errors", "cell_outputs"],
}  # keys not named here are dropped on receipt: a new key of the report must be added here to reach the grader


@functools.cache
def validator() -> Any:
    """The schema's validator, built once per process (jsonschema's import is not cheap:
    the grader builds it while a worker starts, see engine/client.py)."""
    import jsonschema

    return jsonschema.Draft202012Validator(SCHEMA)


class BadReport(Exception):
    """The run report is not what a worker sends."""


def checked(report: Any, *, cells: int, output_chars: int) -> dict[str, Any]:
    """``report`` validated and capped: at most ``cells`` entries per list, ``output_chars`` of output."""
    error = next(iter(validator().iter_errors(report)), None)
    if error is not None:
        where = "/".join(str(p) for p in error.absolute_path) or "the report"
        raise BadReport(f"sent a malformed run report ({where}: {error.validator} check failed)")
    limit = max(cells, 1)
    if len(report["cell_errors"]) > limit or len(report["cell_outputs"]) > limit:
        raise BadReport(f"sent a run report with more cells than the {cells} it was given")
    kept = {k: v for k, v in report.items() if k in SCHEMA["properties"]}
    kept["cell_errors"] = [_error(e) for e in report["cell_errors"]]
    if "import_error" in report:
        kept["import_error"] = _error(report["import_error"])
    if "output" in report:
        kept["output"] = _cut(report["output"], output_chars)
    room = [OUTPUTS_CAP]
    kept["cell_outputs"] = [{"index": c["index"], "outputs": [_output(o, room) for o in c["outputs"]]}
                            for c in report["cell_outputs"]]
    return kept


def _error(error: dict[str, Any]) -> dict[str, Any]:
    return {**error, **{k: _cut(error[k], ERROR_CAP) for k in ("ename", "evalue", "traceback") if k in error},
            "ename": _cut(error["ename"], 200)}


def _output(output: dict[str, Any], room: list[int]) -> dict[str, Any]:
    def text(value: str, cap: int = TEXT_CAP) -> str:
        value = _cut(value, min(cap, max(room[0], 0)))
        room[0] -= len(value)
        return value

    kept = {k: v for k, v in output.items() if k in ("output_type", "name", "metadata")}
    for key in ("text", "ename", "evalue"):
        if key in output:
            kept[key] = text(output[key], ERROR_CAP if key != "text" else TEXT_CAP)
    if "traceback" in output:
        kept["traceback"] = [text(t, ERROR_CAP) for t in output["traceback"]]
    if "data" in output:  # a cut image is no image: data over the room left is dropped whole
        data = {k: v for k, v in output["data"].items() if len(v) <= min(TEXT_CAP, room[0])}
        room[0] -= sum(len(v) for v in data.values())
        dropped = len(output["data"]) - len(data)
        if dropped:
            data["text/plain"] = text(data.get("text/plain", "")) + f"[{dropped} outputs too large, not kept]"
        kept["data"] = data
    return kept


def _cut(text: str, cap: int) -> str:
    if len(text) <= cap:
        return text
    return text[:cap] + f"\n... [{len(text) - cap} more characters not kept]\n"
