"""Student templates from solution notebooks and modules.

A solution marks what students must write; ``make_template`` removes it:

- A block between a line ``# BEGIN SOLUTION`` and a line ``# END SOLUTION``
  becomes one line ``raise NotImplementedError``, indented like the
  ``# BEGIN SOLUTION`` line (put the markers inside the function body)::

      def double(x):
          \"\"\"Twice x.\"\"\"
          # BEGIN SOLUTION
          y = x + x
          return y
          # END SOLUTION

  becomes ``def double(x): \"\"\"Twice x.\"\"\" raise NotImplementedError``.
- One assignment ending in ``# SOLUTION`` keeps its target and loses its
  value: ``alpha = 0.1  # SOLUTION`` becomes ``alpha = ...``.
- A notebook cell tagged ``solution`` (of any type) is emptied.
- Every code cell of a notebook loses its outputs and execution count.

Markers are whole-line comments. A line that looks like a marker but is not
one exactly (``# BEGIN SOLUTION value``, ``# END SOLUTION`` without a
``# BEGIN``, a block left open) is refused with a GradingError naming the
file, cell and line, so an answer is never shipped by accident.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import nbformat

from autograder.errors import GradingError

BEGIN = re.compile(r"^(?P<indent>\s*)#\s*BEGIN SOLUTION\s*$")
END = re.compile(r"^\s*#\s*END SOLUTION\s*$")
MARKER_LIKE = re.compile(r"#\s*(BEGIN|END)\s+SOLUTION\b", re.IGNORECASE)
ONE_LINE = re.compile(r"^(?P<indent>\s*)(?P<target>[^=#()]+?)\s*=(?!=)\s*\S.*?#\s*SOLUTION\s*$")
ONE_LINE_LIKE = re.compile(r"#\s*SOLUTION\s*$")
SOLUTION_TAG = "solution"


class SolutionMarkerError(GradingError):
    """A solution's ``# BEGIN SOLUTION`` / ``# END SOLUTION`` / ``# SOLUTION`` markers are malformed."""


def template_source(source: str, *, where: str = "<source>") -> str:
    """The student's version of one module or code cell: every marked answer removed."""
    return _template_lines(source, where)[0]


def template_notebook(nb: Any, *, where: str = "<notebook>") -> Any:
    """The student's version of a notebook (an nbformat v4 NotebookNode; the input is not changed)."""
    return _template_notebook(nb, where)[0]


def make_template(solution: Path, out: Path) -> None:
    """Write the student template of ``solution`` (a .ipynb or .py) to ``out``.

    Raises SolutionMarkerError for malformed markers or a solution with none at all.
    """
    solution, out = Path(solution), Path(out)
    try:
        text = solution.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise GradingError(f"{solution}: cannot read the solution ({e})") from e
    if solution.suffix == ".ipynb":
        template, removed = _template_notebook(read_notebook(text, solution), str(solution))
        result = write_notebook_text(template)
    elif solution.suffix == ".py":
        result, removed = _template_lines(text, str(solution))
    else:
        raise GradingError(f"{solution}: not a notebook (.ipynb) or module (.py)")
    if not removed:
        raise SolutionMarkerError(f"{solution}: no solution markers (# BEGIN SOLUTION, # SOLUTION or a cell tagged "
                                  "solution): the template would give the answers away")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(result, encoding="utf-8")


def notebook_module(nb: Any, *, header: str = "", skip_tag: str = "demo") -> str:
    """A module made of a notebook's code cells (cells tagged ``skip_tag`` left out), after ``header``."""
    cells = [_source(c).strip("\n") for c in nb.cells
             if c.cell_type == "code" and skip_tag not in c.get("metadata", {}).get("tags", [])]
    return header + "\n\n\n".join(s for s in cells if s) + "\n"


def read_notebook(text: str, path: Path | str = "<notebook>") -> Any:
    """An nbformat v4 notebook from JSON text, without schema validation (it is slow and not needed here)."""
    try:
        data = json.loads(text)
    except ValueError as e:
        raise GradingError(f"{path}: not a valid notebook (invalid JSON: {e})") from e
    if not isinstance(data, dict) or not isinstance(data.get("cells"), list):
        raise GradingError(f"{path}: not a valid notebook (no list of cells)")
    nb = nbformat.from_dict(data)
    return nb if nb.get("nbformat") == 4 else nbformat.convert(nb, 4)


def write_notebook_text(nb: Any) -> str:
    """A notebook as nbformat writes it (sorted keys, one-space indent), without validation."""
    return nbformat.v4.writes(nb).rstrip("\n") + "\n"


# --- the work -------------------------------------------------------------------------


def _template_notebook(nb: Any, where: str) -> tuple[Any, int]:
    nb = nbformat.from_dict(json.loads(json.dumps(nb)))  # a deep copy
    removed = 0
    for index, cell in enumerate(nb.cells):
        if SOLUTION_TAG in cell.get("metadata", {}).get("tags", []):
            cell.source = ""
            removed += 1
        elif cell.cell_type == "code":
            cell.source, count = _template_lines(_source(cell), f"{where}, cell {index}")
            removed += count
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    return nb, removed


def _template_lines(source: str, where: str) -> tuple[str, int]:
    """The source with answers removed, and how many answers were removed."""
    out: list[str] = []
    open_at: int | None = None
    removed = 0
    for lineno, line in enumerate(source.splitlines(keepends=True), start=1):
        begin, end = BEGIN.match(line.rstrip("\r\n")), END.match(line.rstrip("\r\n"))
        if begin:
            if open_at is not None:
                raise SolutionMarkerError(f"{where}: line {lineno}: # BEGIN SOLUTION inside the block opened on line {open_at}")
            open_at = lineno
            out.append(f"{begin['indent']}raise NotImplementedError\n")
        elif end:
            if open_at is None:
                raise SolutionMarkerError(f"{where}: line {lineno}: # END SOLUTION without a # BEGIN SOLUTION before it")
            open_at = None
            removed += 1
        elif MARKER_LIKE.search(line):
            raise SolutionMarkerError(f"{where}: line {lineno}: not a marker: write '# BEGIN SOLUTION' or "
                                      f"'# END SOLUTION' alone on the line ({line.strip()[:60]!r})")
        elif open_at is not None:
            continue
        elif ONE_LINE_LIKE.search(line):
            match = ONE_LINE.match(line.rstrip("\r\n"))
            if not match:
                raise SolutionMarkerError(f"{where}: line {lineno}: '# SOLUTION' marks only an assignment "
                                          f"('name = value  # SOLUTION'), not {line.strip()[:60]!r}")
            out.append(f"{match['indent']}{match['target']} = ...\n")
            removed += 1
        else:
            out.append(line)
    if open_at is not None:
        raise SolutionMarkerError(f"{where}: line {open_at}: # BEGIN SOLUTION without a # END SOLUTION after it")
    text = "".join(out)
    if not source.endswith("\n") and text.endswith("\n"):
        text = text[:-1]
    return text, removed


def _source(cell: Any) -> str:
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else source
