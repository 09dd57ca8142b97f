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
    numbers = {c["index"]: c["number"] for c in load_submission(worker_path).cells}  # what the grader shows
    assert len(outputs) == len(theirs) == len(sandbox)
    for mine, cell, kind in zip(outputs, theirs, sandbox):
        where = f"{name}, In [{cell.execution_count}]: {cell.source[:40]!r}"
        assert numbers[mine["index"]] == cell.execution_count, where
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


# -- what the differential test cannot compare: a kernel would do something else here ------------------------


def notebook(tmp_path: Path, *sources: str) -> Path:
    from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

    path = tmp_path / "student.ipynb"
    nbformat.write(new_notebook(cells=[new_markdown_cell("# 과제")] + [new_code_cell(s) for s in sources]), path)
    return path


def outputs_of(tmp_path: Path, *sources: str) -> list[list[dict[str, Any]]]:
    outputs, _ = run_in_worker(notebook(tmp_path, *sources))
    return [cell["outputs"] for cell in outputs]


def test_every_matplotlib_frontend_draws_inline(tmp_path):
    """``notebook`` and ``widget`` need a browser (and ipympl); when grading they draw PNGs like ``inline``."""
    cells = outputs_of(tmp_path, "%matplotlib widget\nimport matplotlib.pyplot as plt\nplt.plot([1, 2]);",
                       "%matplotlib notebook\nplt.figure()\nplt.plot([2, 1])\nplt.show()\nprint('shown')",
                       "%matplotlib qt\nplt.plot([0, 0]);")
    assert [[("image/png" in o.get("data", {}), error_of([o])) for o in c if o["output_type"] != "stream"]
            for c in cells] == [[(True, None)]] * 3
    assert cells[1][-1] == {"output_type": "stream", "name": "stdout", "text": "shown\n"}


def test_tensorboard_prints_a_note_instead_of_starting_a_server(tmp_path):
    pytest.importorskip("tensorboard")
    cells = outputs_of(tmp_path, "%load_ext tensorboard", "%tensorboard --logdir logs/fit")
    assert cells == [[], [{"output_type": "stream", "name": "stdout", "text":
                           "[채점 중에는 TensorBoard 서버를 띄우지 않습니다. 로그는 그대로 기록됩니다 / TensorBoard is not "
                           "started during grading; the logs are still written: %tensorboard --logdir logs/fit]\n"}]]


def test_shell_output_captured_into_a_name_is_empty_and_said(tmp_path):
    cells = outputs_of(tmp_path, "listing = !!ls -l\nprint(len(listing))", "%sx echo x")
    assert cells[0] == [{"output_type": "stream", "name": "stdout", "text":
                         f"[채점 중에는 셸 명령을 실행하지 않습니다 / {NOTE}: ls -l]\n0\n"}]
    assert NOTE in cells[1][0]["text"]


def test_interpreter_cell_magics_are_noted_and_python_is_ipythons(tmp_path):
    """IPython makes an interpreter's cell magic only for %%python now (kernel.SHELL_CONFIG): the others are
    noted, on one line, as before; %%python is IPython's."""
    magics = ("bash", "sh", "perl", "ruby", "python2", "python3", "pypy")
    cells = outputs_of(tmp_path, *(f"%%{name}\necho {name}" for name in magics), "%%python\nprint(6 * 7)")
    for name, outputs in zip(magics, cells):
        assert outputs == [{"output_type": "stream", "name": "stdout",
                            "text": f"[채점 중에는 셸 명령을 실행하지 않습니다 / {NOTE}: %%{name} echo {name}]\n"}], name
    assert cells[-1] and NOTE not in cells[-1][0]["text"]  # IPython's own %%python (which needs a `python` here)


def test_the_input_history_works_from_memory_and_writes_no_file(tmp_path):
    """In, _i1 and %history as in Jupyter; no history.sqlite (and no thread to write it) in the student's folder."""
    cells = outputs_of(tmp_path, "x = 1", "print(In[1], _i1 == In[1])", "%history -n 1-2",
                       "import os\nprint([f for _, _, files in os.walk(os.path.expanduser('~')) for f in files if f.endswith('.sqlite')])")
    assert [o["text"] for c in cells[1:] for o in c] == ["x = 1 True\n", "   1: x = 1\n   2: print(In[1], _i1 == In[1])\n",
                                                          "[]\n"]


def test_input_fails_at_once_in_both_languages(tmp_path):
    _, errors = run_in_worker(notebook(tmp_path, "import getpass\ngetpass.getpass('pw')", "x = input()"))
    assert [(e["cell"], e["ename"]) for e in errors] == [(1, "EOFError"), (2, "EOFError")]
    assert errors[1]["evalue"].startswith("채점 중에는 input()으로 입력을 받을 수 없습니다 / input() cannot read anything")
    assert "autograder" not in errors[1]["traceback"]  # the student's frames only


def test_timeit_is_bounded(tmp_path):
    cells = outputs_of(tmp_path, "%timeit -n 3 sum(range(10))", "%timeit -r 1000 -n 100000000 pass")
    assert "of 3 runs, 3 loops each" in cells[0][0]["text"]
    assert "of 7 runs, 10,000 loops each" in cells[1][0]["text"]


def test_tracebacks_name_the_cell_as_jupyter_numbers_it(tmp_path):
    from autograder.engine.client import SubmissionProxy
    from autograder.engine.errors import StudentError

    path = notebook(tmp_path, "import numpy as np", "", "def relu(z):\n    return np.maximum(0, z) + missing")
    session = WorkerSession(load_submission(path), limits=Limits(call_timeout=30, timeout=60))
    try:
        with pytest.raises(StudentError) as caught:
            SubmissionProxy(session).function("relu")(1.0)
    finally:
        session.close()
    assert 'Cell In[2], line 2, in relu\n' in caught.value.traceback  # the blank cell has no number
    assert "ipython-input" not in caught.value.traceback


def test_a_cell_keeps_a_bounded_number_of_figures(tmp_path):
    from autograder.engine.worker.kernel import IMAGES_PER_CELL, OUTPUTS_PER_CELL

    cells = outputs_of(tmp_path, "import matplotlib.pyplot as plt\n"
                                 f"for i in range({IMAGES_PER_CELL + 5}):\n    plt.figure(figsize=(1, 1))\n"
                                 "    plt.plot([i])\n    plt.show()")
    images = [o for o in cells[0] if "image/png" in o.get("data", {})]
    assert len(images) == IMAGES_PER_CELL
    assert cells[0][IMAGES_PER_CELL]["data"] == {"text/plain": "[image not kept: too large or too many]"}
    assert len(cells[0]) == OUTPUTS_PER_CELL + 1
    assert cells[0][-1] == {"output_type": "stream", "name": "stderr", "text": "\n... [1 more outputs not kept]\n"}


def test_progress_hears_each_cell_by_its_number_and_the_last_line_printed():
    """What grade check shows while a notebook runs: In [k] of n (blank cells not counted), the last line."""
    import subprocess
    import sys

    script = ("from autograder.engine.worker.runner import run_notebook\n"
              "seen = []\n"
              "cells = [{'index': 1, 'number': 1, 'source': 'print(1)'}, {'index': 2, 'number': 0, 'source': ' '},\n"
              "         {'index': 4, 'number': 2, 'source': 'import time\\nfor e in range(3):\\n'\n"
              "          '    print(f\"Epoch {e}\")\\n    time.sleep(0.6)'}]\n"
              "run_notebook(cells, lambda *a: seen.append(a))\n"
              "print(seen)\n")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=True)
    assert done.stdout.strip() == ("[(1, 2, ''), (1, 2, '1'), (2, 2, ''), (2, 2, 'Epoch 0'), (2, 2, 'Epoch 1'), "
                                   "(2, 2, 'Epoch 2')]")


def test_every_keras_epoch_header_reaches_the_grader_however_fast_the_epochs_are(tmp_path):
    """fit(verbose=1) prints ``Epoch k/n`` then a progress bar rewritten with carriage returns; epochs of a
    small model take milliseconds, far less than the relay's half second, and none may be skipped."""
    from tests.conftest import write_notebook

    cell = ("import sys\n"
            "for epoch in range(1, 6):\n"
            "    print(f'Epoch {epoch}/5')\n"
            "    for step in range(1, 33):\n"
            "        sys.stdout.write(f'\\r{step}/32 ━━━━ loss: {1 / epoch:.4f}')\n"
            "    print()\n"
            "print('done')")
    heard = []
    session = WorkerSession(load_submission(write_notebook(tmp_path / "fit.ipynb", cell)),
                            limits=Limits(call_timeout=60, timeout=90), on_progress=lambda *a: heard.append(a))
    try:
        session.load()
    finally:
        session.close()
    lines = [text for _, _, text in heard if text]
    assert [line for line in lines if line.startswith("Epoch ")] == [f"Epoch {k}/5" for k in range(1, 6)]
    assert all(cell == 1 and of == 1 for cell, of, _ in heard)
