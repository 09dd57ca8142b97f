"""Small notebooks in the style of course notebooks and Colab exports, written for the differential test.

Patterns taken from public course and tutorial notebooks (facts only, our own
code): ``%matplotlib inline`` first, plots with and without ``plt.show()``,
``display()`` of DataFrames and IPython objects, ``%time``/``%timeit``/``%%capture``,
``%%writefile`` then import, cells that fail and the ones after them, Colab exports
(a Drive mount cell, ``!pip install``, ``colab``/``accelerator`` metadata, cell ids
and stale outputs), saved widget state, nbformat 4.0 to 4.5 and nbformat 3.

Each cell is a source string, or ``(kind, source)`` where kind says what the
sandbox changes: ``"shell"`` (not run during grading: a note instead) or
``"input"`` (no one types: both fail, with different exceptions).
"""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

COLAB_METADATA = {
    "colab": {"provenance": [], "collapsed_sections": [], "toc_visible": True, "gpuType": "T4"},
    "kernelspec": {"name": "python3", "display_name": "Python 3"},
    "language_info": {"name": "python"},
    "accelerator": "GPU",
}
WIDGET_STATE = {
    "application/vnd.jupyter.widget-state+json": {
        "version_major": 2, "version_minor": 0,
        "state": {"5f1c0d2e9b7a4c3d": {"model_name": "FloatProgressModel", "model_module": "@jupyter-widgets/controls",
                                       "model_module_version": "2.0.0", "state": {"value": 10.0, "max": 10.0}}},
    },
}
JUPYTER_METADATA = {"kernelspec": {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"},
                    "language_info": {"name": "python", "version": "3.11.7"}}

CORPUS: dict[str, dict[str, Any]] = {
    "perceptron_gates": {"minor": 4, "cells": [
        "# 퍼셉트론으로 논리 게이트 만들기\n이 노트북은 AND, OR, NAND 게이트를 만듭니다.",
        "%matplotlib inline\nimport numpy as np\nimport matplotlib.pyplot as plt",
        "def AND(x1, x2):\n    w1, w2, theta = 0.5, 0.5, 0.7\n    return 1 if w1 * x1 + w2 * x2 > theta else 0\n\n"
        "for a in (0, 1):\n    for b in (0, 1):\n        print(f'AND({a}, {b}) = {AND(a, b)}')",
        "np.heaviside(np.array([-1.0, 0.0, 2.0]), 0)",
        "xs = np.array([[0, 0], [0, 1], [1, 0], [1, 1]])\nplt.scatter(xs[:, 0], xs[:, 1], c=[AND(*x) for x in xs])\n"
        "plt.plot([0, 1.4], [1.4, 0], 'r--')\nplt.title('AND')\nplt.show()",
        "",
        "[AND(*x) for x in xs]",
    ]},
    "activation_functions": {"minor": 5, "cells": [
        "import numpy as np\nimport matplotlib.pyplot as plt\nnp.set_printoptions(precision=3)",
        "def sigmoid(x):\n    return 1 / (1 + np.exp(-x))\n\ndef relu(x):\n    return np.maximum(0, x)\n\n"
        "def leaky_relu(x):\n    return np.maximum(0.1 * x, x)",
        "x = np.linspace(-5, 5, 11)\nsigmoid(x)",
        "fig, axes = plt.subplots(1, 3, figsize=(9, 3))\nfor ax, f in zip(axes, (sigmoid, relu, leaky_relu)):\n"
        "    ax.plot(x, f(x))\n    ax.set_title(f.__name__)",
        "def softmax(z):\n    e = np.exp(z - z.max())\n    return e / e.sum()\n\nprint(softmax(np.array([1.0, 2.0, 3.0])).round(3))\n"
        "softmax(np.array([0.0, 0.0]))",
    ]},
    "plots_many_ways": {"minor": 4, "cells": [
        "import matplotlib.pyplot as plt\nimport numpy as np",
        "plt.plot([1, 2, 3], [4, 1, 9])",
        "plt.figure()\nplt.plot([0, 1])\nplt.figure()\nplt.bar(['a', 'b'], [3, 5])\nprint('two figures')",
        "fig = plt.figure()\nplt.hist(np.arange(20) % 7)\nfig.savefig('hist.png')\nplt.close(fig)\nprint('saved, closed')",
        "import os\nos.path.getsize('hist.png') > 0",
        "fig, ax = plt.subplots()\nax.imshow(np.eye(4))\nax.set_title('eye');",
    ]},
    "display_objects": {"minor": 5, "cells": [
        "from IPython.display import display, Markdown, HTML, Math, Image, clear_output\nimport pandas as pd",
        "df = pd.DataFrame({'x': [1, 2, 3], 'y': ['a', 'b', 'c']})\nprint('before')\ndisplay(df)\nprint('after')",
        "display(Markdown('**bold**'), HTML('<b>x</b>'))\ndisplay(Math(r'\\alpha'))",
        "print('will be cleared')\nclear_output()\nprint('kept')",
        "png = bytes.fromhex('89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489'"
        "'0000000d4944415478da63f8cfc0f01f0005000201e1a1b0a50000000049454e44ae426082')\n"
        "Image(data=png)",
        "df.describe()",
    ]},
    "magics_everyday": {"minor": 4, "cells": [
        "%time total = sum(range(10_000))\nprint(total)",
        "%%time\nsquares = [i * i for i in range(1000)]\nprint(len(squares))",
        "%timeit -n 5 -r 2 sum(range(100))",
        "%%capture captured\nprint('quiet')\n1 + 1",
        "print(repr(captured.stdout))",
        "%precision 3\n3.14159265",
        "%env GRADE_DEMO=1",
        "%%writefile helper.py\ndef double(x):\n    return 2 * x",
        "from helper import double\ndouble(21)",
        "%load_ext autoreload\n%autoreload 2\nprint('autoreload on')",
    ]},
    "errors_and_recovery": {"minor": 4, "cells": [
        "import numpy as np\nprint('start')",
        "print('before the error')\nundefined_name + 1",
        "def divide(a, b):\n    return a / b\n\ndivide(1, 0)",
        "def broken(:\n    pass",
        "if True:\nprint('bad indent')",
        "assert np.allclose([1.0], [1.1]), 'not close'",
        "int('abc')",
        "print('still running after errors')",
        "import sys\nsys.exit(0)",
        "print('and after sys.exit')",
    ]},
    "colab_export_numpy": {"minor": 0, "metadata": COLAB_METADATA, "colab": True, "cells": [
        "<a href=\"https://colab.research.google.com/github/example/course/blob/main/lab.ipynb\" target=\"_parent\">"
        "<img src=\"https://colab.research.google.com/assets/colab-badge.svg\" alt=\"Open In Colab\"/></a>",
        "from google.colab import drive\ndrive.mount('/content/drive')",
        ("shell", "!pip install -q numpy matplotlib"),
        "%matplotlib inline\nimport numpy as np\nimport matplotlib.pyplot as plt\nprint(np.__name__)",
        "data = np.arange(12).reshape(3, 4)\ndata.sum(axis=0)",
        "plt.plot(data.T)\nplt.legend(['a', 'b', 'c'])\nplt.show()",
    ]},
    "shell_escapes": {"minor": 4, "cells": [
        ("shell", "!echo hello from the shell"),
        ("shell", "files = !ls\nprint(type(files).__name__)"),
        ("shell", "%%bash\necho one\necho two"),
        ("shell", "%pip install -q numpy"),
        ("shell", "%system echo via system"),
        "print('python still runs')",
    ]},
    "nbformat3_lab": {"v3": True, "cells": [
        "# Lab 1 (an old notebook)",
        "import numpy as np\nx = np.array([1, 2, 3])\nprint(x * 2)",
        "x.mean()",
        "y = x[::-1]\ny",
    ]},
    "widget_state_saved": {"minor": 5, "metadata": {**JUPYTER_METADATA, "widgets": WIDGET_STATE}, "cells": [
        "import numpy as np\nprint('widgets were saved with this notebook')",
        "import ipywidgets as widgets\nwidgets.IntSlider()",
        "np.arange(3)",
    ]},
    "pandas_tutorial": {"minor": 4, "cells": [
        "import pandas as pd\nimport numpy as np",
        "df = pd.DataFrame({'name': ['kim', 'lee', 'park'], 'score': [90, 85, 77]})\ndf.head()",
        "print(df)\nprint(df['score'].mean())",
        "df.sort_values('score')",
        "df.plot(x='name', y='score', kind='bar')",
        "df['missing']",
    ]},
    "input_and_interaction": {"minor": 4, "cells": [
        "print('이름을 입력하세요')",
        ("input", "name = input('이름: ')\nprint('안녕하세요', name)"),
        "print('next cell runs')",
    ]},
    "sklearn_basics": {"minor": 5, "cells": [
        "import numpy as np\nfrom sklearn.model_selection import train_test_split\nfrom sklearn.linear_model import LogisticRegression",
        "rng = np.random.default_rng(0)\nX = rng.normal(size=(60, 2))\ny = (X[:, 0] + X[:, 1] > 0).astype(int)\n"
        "X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.25, random_state=0)\n"
        "print(X_train.shape, X_test.shape)",
        "clf = LogisticRegression().fit(X_train, y_train)\nprint('accuracy', clf.score(X_test, y_test))",
        "clf.predict(X_test[:5])",
    ]},
    "korean_text_and_async": {"minor": 5, "cells": [
        "print('다층 퍼셉트론으로 XOR 문제를 풉니다')\nprint(f\"{'정확도':>6}: {0.75:.2%}\")",
        "import asyncio\nawait asyncio.sleep(0.01)\nprint('awaited at the top level')",
        "{'층': 3, 'units': [32, 1], 'activation': 'sigmoid'}",
        "list(range(40))",
    ]},
    "xor_numpy_mlp": {"minor": 4, "cells": [
        "%matplotlib inline\nimport numpy as np\nimport matplotlib.pyplot as plt",
        "X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]])\ny = np.array([0, 1, 1, 0])\n\n"
        "def step(z):\n    return (z > 0).astype(int)\n\n"
        "def mlp_xor(x1, x2):\n    h1 = step(x1 + x2 - 0.5)\n    h2 = step(-x1 - x2 + 1.5)\n    return step(h1 + h2 - 1.5)",
        "mlp_xor(X[:, 0], X[:, 1])",
        "errors = (mlp_xor(X[:, 0], X[:, 1]) != y).sum()\nprint('errors:', errors)\nassert errors == 0",
        "plt.scatter(X[:, 0], X[:, 1], c=y)\nplt.title('XOR')",
        "mlp_xor(np.array([1]), )",
    ]},
    "training_log_loop": {"minor": 3, "cells": [
        "import numpy as np\nimport warnings",
        "w = 0.0\nfor epoch in range(1, 6):\n    w += 0.1 * (1 - w)\n    print(f'Epoch {epoch}/5 - loss: {(1 - w) ** 2:.4f}')",
        "warnings.warn('learning rate is high')\nprint('warned')",
        "np.round(w, 4)",
    ]},
}


def build(name: str, folder: Path) -> Path:
    """Write notebook ``name`` of the corpus into ``folder``; return its path."""
    spec = CORPUS[name]
    path = Path(folder) / f"{name}.ipynb"
    if spec.get("v3"):
        path.write_text(json.dumps(_v3(spec["cells"])), encoding="utf-8")
        return path
    cells = []
    for n, cell in enumerate(spec["cells"]):
        source = cell[1] if isinstance(cell, tuple) else cell
        if isinstance(cell, str) and (cell.startswith("# ") or cell.startswith("<a href")):
            cells.append(new_markdown_cell(source))
        else:
            cells.append(new_code_cell(source))
        if spec.get("colab"):  # what Colab writes on each cell, outputs from the student's own run included
            cells[-1].metadata.update({"id": f"c{n:04x}", "colab": {"base_uri": "https://localhost:8080/"},
                                       "outputId": f"0f{n:06x}"})
            if cells[-1].cell_type == "code":
                cells[-1].outputs = [nbformat.v4.new_output("display_data", data={
                    "image/png": base64.b64encode(b"\x89PNG\r\n\x1a\nstale").decode(), "text/plain": "<Figure>"})]
    nb = new_notebook(cells=cells, metadata=spec.get("metadata", JUPYTER_METADATA))
    nb.nbformat_minor = spec.get("minor", 5)
    data = nbformat.writes(nb, version=4)
    if nb.nbformat_minor < 5:  # cell ids came with 4.5
        raw = json.loads(data)
        raw["nbformat_minor"] = nb.nbformat_minor
        for cell in raw["cells"]:
            cell.pop("id", None)
        data = json.dumps(raw, indent=1, ensure_ascii=False)
    path.write_text(data, encoding="utf-8")
    return path


def kinds(name: str) -> list[str]:
    """What the sandbox changes, per non-blank code cell of ``name``, in order."""
    found = []
    for cell in CORPUS[name]["cells"]:
        kind, source = cell if isinstance(cell, tuple) else ("python", cell)
        if source.strip() and not (kind == "python" and (source.startswith("# ") or source.startswith("<a href"))):
            found.append(kind)
    return found


def _v3(cells: list[Any]) -> dict:
    out = []
    for n, cell in enumerate(cells):
        if cell.startswith("# "):
            out.append({"cell_type": "heading", "level": 1, "metadata": {}, "source": cell[2:]})
        else:
            out.append({"cell_type": "code", "collapsed": False, "input": cell.splitlines(keepends=True),
                        "language": "python", "metadata": {}, "outputs": [], "prompt_number": n})
    return {"metadata": {"name": "", "signature": "sha256:0"}, "nbformat": 3, "nbformat_minor": 0,
            "worksheets": [{"cells": out, "metadata": {}}]}
