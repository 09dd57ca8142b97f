"""The worker runs notebooks as Jupyter does: a differential test against a real kernel, and the magics.

Each notebook of ``notebook_corpus`` runs twice: in a real IPython kernel through
nbclient (what a student's Run All does) and in our sandboxed worker. Per code cell
the same cells must succeed or fail (same exception), get the same ``In [n]``, print
the same text and show the same values and number of figures. Where the sandbox
forbids something (shell escapes, reading from a keyboard) the worker must say so.
"""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import nbformat
import pytest

from autograder.engine.client import WorkerSession
from autograder.engine.limits import Limits
from autograder.grading.submissions import load_submission
from notebook_corpus import CORPUS, build, kinds

nbclient = pytest.importorskip("nbclient", reason="the differential test needs the test extra (nbclient, ipykernel)")
pytest.importorskip("ipykernel", reason="the differential test needs the test extra (nbclient, ipykernel)")

NOTE = "shell command not run during grading"
_ADDRESS = re.compile(r"0x[0-9a-fA-F]+")
_TIMING = re.compile(r"^(CPU times:|Wall time:).*$|^.* ± .* per loop \(mean ± std\. dev\. of .*\)$", re.M)


def run_in_worker(path: Path) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(cell outputs, cell errors) of the worker's run."""
    session = WorkerSession(load_submission(path), limits=Limits(call_timeout=60, timeout=90))
    try:
        report = session.load()
    finally:
        session.close()
    return report["cell_outputs"], report["cell_errors"]


def run_in_kernel(path: Path) -> list[dict[str, Any]]:
    """The code cells of the notebook after Run All in a real kernel (errors allowed, as we grade)."""
    nb = nbformat.read(path, as_version=4)
    nbclient.NotebookClient(nb, timeout=60, kernel_name="python3", allow_errors=True,
                            resources={"metadata": {"path": str(path.parent)}}).execute()
    return [c for c in nb.cells if c.cell_type == "code" and c.source.strip()]


def shown(outputs: list[dict[str, Any]]) -> list[tuple[str, str, int]]:
    """What a student reads, in order: stdout text (merged), values and displays (text, figures)."""
    items: list[tuple[str, str, int]] = []
    for output in outputs:
        kind = output["output_type"]
        if kind == "stream" and output["name"] == "stdout":
            text = normalise(output["text"])
            if items and items[-1][0] == "stdout":
                items[-1] = ("stdout", items[-1][1] + text, 0)
            else:
                items.append(("stdout", text, 0))
        elif kind in ("execute_result", "display_data"):
            data = output.get("data", {})
            items.append((kind, normalise(data.get("text/plain", "")), int("image/png" in data)))
    return [i for i in items if i != ("stdout", "", 0)]


def normalise(text: str) -> str:
    """Addresses and timings differ between any two runs."""
    return _TIMING.sub("<timing>", _ADDRESS.sub("0x?", text))


def error_of(outputs: list[dict[str, Any]]) -> str | None:
    return next((o["ename"] for o in outputs if o["output_type"] == "error"), None)


@pytest.fixture(scope="module", autouse=True)
def no_index(tmp_path_factory):
    """A kernel that runs ``!pip install`` must not try the network: it only finds what is installed."""
    mp = pytest.MonkeyPatch()
    mp.setenv("PIP_NO_INDEX", "1")
    mp.setenv("PIP_DISABLE_PIP_VERSION_CHECK", "1")
    yield
    mp.undo()


def test_the_corpus_covers_what_real_notebooks_do():
    assert len(CORPUS) >= 15
    sources = "\n".join(c if isinstance(c, str) else c[1] for spec in CORPUS.values() for c in spec["cells"])
    for pattern in ("%matplotlib inline", "plt.show()", "display(", "%timeit", "%%capture", "!pip", "%%bash",
                    "google.colab", "input(", "%%writefile", "await "):
        assert pattern in sources, pattern
    assert any(s.get("v3") for s in CORPUS.values()) and any(s.get("colab") for s in CORPUS.values())
    assert {s.get("minor") for s in CORPUS.values()} >= {0, 3, 4, 5}


@pytest.mark.parametrize("name", sorted(CORPUS))
def test_the_worker_runs_a_notebook_as_jupyter_does(name, tmp_path):
    (tmp_path / "kernel").mkdir()
    (tmp_path / "worker").mkdir()
    kernel_path, worker_path = build(name, tmp_path / "kernel"), build(name, tmp_path / "worker")
    with ThreadPoolExecutor(1) as pool:  # the two runs overlap: the kernel starts while the worker runs
        ours = pool.submit(run_in_worker, worker_path)
        theirs = run_in_kernel(kernel_path)
        outputs, errors = ours.result()
    sandbox = kinds(name)
    assert len(outputs) == len(theirs) == len(sandbox)
    for mine, cell, kind in zip(outputs, theirs, sandbox):
        where = f"{name}, In [{cell.execution_count}]: {cell.source[:40]!r}"
        assert mine["cell"] == cell.execution_count, where
        if kind == "shell":  # not run here: the note, the cell goes on, the Python lines print as in Jupyter
            assert error_of(mine["outputs"]) is None and error_of(cell.outputs) is None, where
            text = "".join(t for k, t, _ in shown(mine["outputs"]) if k == "stdout")
            assert NOTE in text, where
            theirs_text = "".join(t for k, t, _ in shown(cell.outputs) if k == "stdout")
            assert all(line in theirs_text for line in text.splitlines() if NOTE not in line), where
        elif kind == "input":  # no keyboard in either; ours says so with EOFError
            assert error_of(mine["outputs"]) == "EOFError" and error_of(cell.outputs) is not None, where
            assert shown(mine["outputs"]) == shown(cell.outputs), where
        else:
            assert error_of(mine["outputs"]) == error_of(cell.outputs), where
            assert shown(mine["outputs"]) == shown(cell.outputs), where
    assert [e["cell"] for e in errors] == [c.execution_count for c in theirs if error_of(c.outputs)]
