"""04_fashion_mnist: the solution passes, weak and broken models lose what the rubric says, labels stay hidden.

Measured on 2 cores, one TensorFlow thread (as the grader runs a worker), seeds 0, 1, 2,
accuracy on the 5,000 held-out images after each epoch of the solution (SGD, batch 32):

    epoch      1      2      3      4      5      6      7      8      9     10
    seed 0  .8198  .8390  .8512  .8560  .8598  .8662  .8714  .8744  .8756  .8758
    seed 1  .8152  .8414  .8552  .8604  .8620  .8654  .8688  .8712  .8734  .8756
    seed 2  .8162  .8352  .8448  .8506  .8562  .8612  .8638  .8656  .8680  .8704

so the solution's 10 epochs give 0.870-0.876 (full points from 0.85), 3.6-5 s per epoch on a
quiet machine (up to 15 s with other work running); grading the solution takes 38-75 s.
One epoch (the ``one_epoch`` mutant) gives 0.815-0.820: partial credit. One epoch on 1,000
images gives 0.47-0.71 (SGD) or 0.69-0.71 (adam): below the 0.75 floor, so it earns nothing
and cannot serve as the partial-credit example.

The submissions are graded as one ``grade batch`` of two workers at a time: about 1.5 minutes.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from autograder.grading import datasets
from autograder.engine import sandbox
from autograder.authoring.templates import notebook_module, read_notebook
from autograder.batch.run import run_batch
from autograder.grading.course import Assignment
from autograder.grading.grade import GradeOptions, grade_submission
from autograder.grading.results import SubmissionResult
from tests.conftest import FASHION_MNIST

COURSE = Path(__file__).resolve().parent.parent
NAME = "04_fashion_mnist"
SOLUTION = COURSE / "solutions" / NAME
TEMPLATE = COURSE / "assignments" / NAME / f"{NAME}.ipynb"
MUTANTS = COURSE / "rubrics" / NAME / "mutants"
DATA = Path(os.environ.get("GRADE_FASHION_MNIST") or FASHION_MNIST)
ASSIGNMENT = Assignment(NAME, COURSE)

FLAT_INPUT = """
import keras

model = keras.Sequential([keras.Input(shape=(784,)), keras.layers.Dense(100, activation="relu"),
                          keras.layers.Dense(10, activation="softmax")])
"""

SPY = """
import keras

model = keras.Sequential([keras.Input(shape=(28, 28)), keras.layers.Flatten(),
                          keras.layers.Dense(10, activation="softmax")])
model.predict = lambda x, *args, **kwargs: print("SPY saw", getattr(x, "shape", None), flush=True)
"""

PROBE = """
import gzip, json, os

SOUGHT = {sought!r}
found = {{"labels": {{}}, "hidden": [], "visible": [p for p in SOUGHT if os.path.exists(p)]}}
for root, dirs, files in os.walk("/"):
    dirs[:] = [d for d in dirs if os.path.join(root, d) not in ("/proc", "/sys", "/dev")]
    for name in files:
        path = os.path.join(root, name)
        if name.startswith("t10k-labels"):
            with gzip.open(path) as f:
                found["labels"][path] = len(f.read()) - 8
        if name == "rubric.toml" or name.startswith("test_fashion_mnist"):
            found["hidden"].append(path)
found["environment"] = sorted(k for k in os.environ if "FASHION" in k or "RUBRIC" in k)
print("PROBE " + json.dumps(found))
"""

TRAIN_A_GOOD_MODEL = """
import sys
import keras

keras.utils.set_random_seed(0)
(x, y), _ = keras.datasets.fashion_mnist.load_data()
model = keras.Sequential([keras.Input(shape=(28, 28)), keras.layers.Flatten(),
                          keras.layers.Dense(300, activation="relu"), keras.layers.Dense(100, activation="relu"),
                          keras.layers.Dense(10, activation="softmax")])
model.compile(loss="sparse_categorical_crossentropy", optimizer="adam", metrics=["accuracy"])
model.fit(x[5000:] / 255.0, y[5000:], epochs=4, batch_size=64, verbose=0)  # about 0.87-0.88 held out, 15 s
model.save(sys.argv[1])
"""


@pytest.fixture(scope="module")
def good_model_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A trained model saved as fashion_mnist.keras, trained in a subprocess on the worker's view of the data."""
    folder = tmp_path_factory.mktemp("good-model")
    home = datasets.link_keras_home(datasets.worker_keras_home(DATA, folder / "cache"), folder / "keras")
    env = {**os.environ, "KERAS_HOME": str(home), "TF_CPP_MIN_LOG_LEVEL": "3", "CUDA_VISIBLE_DEVICES": ""}
    path = folder / "fashion_mnist.keras"
    done = subprocess.run([sys.executable, "-c", TRAIN_A_GOOD_MODEL, str(path)], env=env, capture_output=True,
                          text=True, timeout=600, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    return path


@pytest.fixture(scope="module")
def graded(tmp_path_factory: pytest.TempPathFactory, good_model_file: Path) -> dict[str, SubmissionResult]:
    """Every submission below, graded by the hidden checks as one batch."""
    subs = tmp_path_factory.mktemp("subs")
    shutil.copy(SOLUTION / f"{NAME}.ipynb", subs / "solution.ipynb")
    shutil.copy(TEMPLATE, subs / "template.ipynb")
    for mutant in ("one_epoch", "five_classes"):
        shutil.copy(MUTANTS / f"{mutant}.py", subs / f"{mutant}.py")
    (subs / "flat_input.py").write_text(FLAT_INPUT, encoding="utf-8")
    (subs / "spy.py").write_text(SPY, encoding="utf-8")
    sought = [str(DATA), str(DATA / "t10k-labels-idx1-ubyte.gz"), str(COURSE / "rubrics" / NAME / "rubric.toml")]
    (subs / "probe.py").write_text(PROBE.format(sought=sought), encoding="utf-8")
    for folder, model_bytes in (("model_file", good_model_file.read_bytes()), ("bad_model_file", b"not a model\n")):
        (subs / folder).mkdir()
        shutil.copy(TEMPLATE, subs / folder / f"{NAME}.ipynb")  # scores 0 if it were run
        (subs / folder / "fashion_mnist.keras").write_bytes(model_bytes)
    out = tmp_path_factory.mktemp("out")
    summary = run_batch(subs, ASSIGNMENT, out / "grades.csv", options=GradeOptions(data_dir=DATA), jobs=2)
    return {r.student_id: r for r in summary.results}


def by_id(result: SubmissionResult) -> dict:
    return {c.id: c for c in result.checks}


def test_the_solution_module_is_the_notebook_s_code():
    notebook = read_notebook((SOLUTION / f"{NAME}.ipynb").read_text(encoding="utf-8"))
    module = (SOLUTION / f"{NAME}.py").read_text(encoding="utf-8")
    header = module.split('"""\n\n', 1)[0] + '"""\n\n'
    assert module == notebook_module(notebook, header=header)


@pytest.mark.slow
def test_the_solution_passes_every_hidden_check(graded):
    result = graded["solution"]
    assert (result.status, result.graded_by, result.cell_errors) == ("graded", "code", [])
    assert [(c.id, c.message) for c in result.checks if not c.passed] == []
    assert result.total == result.max == 10
    assert result.metrics["accuracy"] >= 0.86  # 0.870-0.876 measured; full points from 0.85


@pytest.mark.slow
def test_the_template_scores_zero_without_crashing(graded):
    result = graded["template"]
    assert result.status == "graded" and result.total == 0
    assert {c.message for c in result.checks} == {"variable model is not defined in the submission"}
    assert [e["ename"] for e in result.cell_errors][:2] == ["NotImplementedError", "NotImplementedError"]


@pytest.mark.slow
def test_one_epoch_earns_the_rubric_s_partial_credit(graded):
    result = graded["one_epoch"]
    accuracy = result.metrics["accuracy"]
    check = by_id(result)["test_heldout_accuracy"]
    assert 0.75 < accuracy < 0.85
    assert check.status == "partial" and 0 < check.points < check.max_points == 7
    assert check.points == pytest.approx(7 * (accuracy - 0.75) / (0.85 - 0.75), abs=1e-4)
    assert check.message == f"accuracy on the 5000 held-out images: expected >= 0.85 for full points (none below 0.75), got {accuracy:.4f}"
    assert by_id(result)["test_softmax_output"].passed and by_id(result)["test_input_shape"].passed


@pytest.mark.slow
def test_a_model_with_five_outputs_fails_naming_the_shape(graded):
    checks = by_id(graded["five_classes"])
    assert checks["test_input_shape"].passed
    assert checks["test_softmax_output"].message == ("model output layer: expected Dense(10, ...): one probability per "
                                                     "class, got 5 units")
    assert checks["test_heldout_accuracy"].status == "failed"
    assert "got shape (5000, 5)" in checks["test_heldout_accuracy"].message


@pytest.mark.slow
def test_a_flat_input_of_784_pixels_is_accepted(graded):
    result = graded["flat_input"]
    checks = by_id(result)
    assert checks["test_input_shape"].passed and checks["test_softmax_output"].passed
    assert 0 <= result.metrics["accuracy"] < 0.5  # untrained, but graded: the images went in as 784 numbers


@pytest.mark.slow
@pytest.mark.skipif(sandbox.sandbox_mode() != "bwrap", reason="needs the bubblewrap sandbox (Linux with user namespaces)")
def test_the_worker_sees_neither_the_heldout_labels_nor_the_rubric(graded):
    output = graded["probe"].output
    found = json.loads(output[output.index("PROBE ") + 6:].splitlines()[0])
    assert found["visible"] == [] and found["hidden"] == [] and found["environment"] == []
    assert list(found["labels"].values()) == [5000]  # only the worker's half of t10k, under KERAS_HOME


@pytest.mark.slow
def test_the_heldout_images_never_reach_the_process_that_ran_student_code(graded):
    result = graded["spy"]
    assert "SPY saw" not in result.output  # the evaluator, a fresh worker, predicted them
    assert by_id(result)["test_softmax_output"].passed and result.metrics["accuracy"] < 0.5


@pytest.mark.slow
def test_a_saved_model_is_graded_without_running_the_notebook(graded):
    result = graded["model_file"]
    assert (result.status, result.graded_by) == ("graded", "model file")
    assert result.cell_errors == []  # the template notebook beside it did not run
    assert result.total == result.max and result.metrics["accuracy"] >= 0.85


@pytest.mark.slow
def test_a_file_that_is_not_a_keras_model_says_so(graded):
    result = graded["bad_model_file"]
    assert (result.status, result.graded_by, result.total) == ("graded", "model file", 0)
    messages = {c.message for c in result.checks}
    assert len(messages) == 1
    assert messages.pop().startswith("fashion_mnist.keras: expected a Keras model saved with model.save(...), "
                                     "built-in layers only, got a file Keras cannot load (")


@pytest.mark.slow
def test_the_public_checks_pass_on_a_trained_submission_and_fail_the_template(tmp_path):
    options = GradeOptions(suite="public", data_dir=DATA)
    trained = grade_submission(MUTANTS / "one_epoch.py", ASSIGNMENT, options)
    assert (trained.status, trained.max) == ("graded", 3)
    assert [c.status for c in trained.checks[:2]] == ["passed", "passed"]
    accuracy = trained.metrics["accuracy"]  # `grade check` prints it: the held-out accuracy, as grading measures it
    assert 0.5 < accuracy < 1 and trained.checks[2].points == pytest.approx(min(1, max(0, (accuracy - 0.75) / 0.1)), abs=1e-3)
    template = grade_submission(TEMPLATE, ASSIGNMENT, options)
    assert (template.status, template.total) == ("graded", 0)
    assert all(c.message.startswith("build_model() raised NotImplementedError") for c in template.checks[:2])
    assert "accuracy" not in template.metrics


def test_the_rubric_names_the_data_and_the_model_file():
    rubric = ASSIGNMENT.rubric("hidden")
    assert rubric.requires == ["keras"] and rubric.params["dataset"] == "fashion-mnist"
    assert (rubric.params["threshold"], rubric.params["floor"], rubric.model_file) == (0.85, 0.75, "fashion_mnist.keras")
    assert ASSIGNMENT.rubric("public").model_file is None  # `grade check` always runs the notebook


def test_the_partial_credit_formula():
    spec = importlib.util.spec_from_file_location("hidden_checks", COURSE / "rubrics" / NAME / "test_fashion_mnist.py")
    checks = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(checks)
    credit = [checks.accuracy_credit(a, 0.85, 0.75) for a in (0.9, 0.85, 0.8, 0.75, 0.7, float("nan"))]
    assert credit == pytest.approx([1, 1, 0.5, 0, 0, 0])


LECTURE_CELLS = [  # the lecture's Fashion-MNIST code as students paste it into Jupyter or Colab
    "%matplotlib inline\n%load_ext tensorboard\nimport os, time\nimport numpy as np\nimport pandas as pd\n"
    "import matplotlib.pyplot as plt\nimport sklearn\nimport tensorflow as tf\nfrom tensorflow import keras",
    "fashion_mnist = keras.datasets.fashion_mnist\n(X_train_full, y_train_full), (X_test, y_test) = fashion_mnist.load_data()\n"
    "X_valid, X_train = X_train_full[:5000] / 255.0, X_train_full[5000:] / 255.0\n"
    "y_valid, y_train = y_train_full[:5000], y_train_full[5000:]\nX_train.shape",
    "model = keras.models.Sequential()\nmodel.add(keras.layers.Flatten(input_shape=[28, 28]))\n"
    "model.add(keras.layers.Dense(300, activation='relu'))\nmodel.add(keras.layers.Dense(100, activation='relu'))\n"
    "model.add(keras.layers.Dense(10, activation='softmax'))\nmodel.summary()",
    "model.compile(loss='sparse_categorical_crossentropy', optimizer='sgd', metrics=['accuracy'])",
    "root_logdir = os.path.join(os.curdir, 'my_logs')\nrun_logdir = os.path.join(root_logdir, time.strftime('run_%Y_%m_%d-%H_%M_%S'))\n"
    "tensorboard_cb = keras.callbacks.TensorBoard(run_logdir)\n"
    "history = model.fit(X_train, y_train, epochs=5, validation_data=(X_valid, y_valid), callbacks=[tensorboard_cb], verbose=2)",
    "print(sorted(os.listdir(run_logdir)))",
    "pd.DataFrame(history.history).plot(figsize=(8, 5))\nplt.grid(True)\nplt.gca().set_ylim(0, 1)\nplt.show()",
    "%tensorboard --logdir=./my_logs --port=6006",
    "model.evaluate(X_test / 255.0, y_test)",
]


@pytest.mark.slow
def test_the_lecture_s_code_with_its_tensorboard_callback_scores_full_marks(tmp_path):
    """The course environment has TensorBoard, scikit-learn, pandas and matplotlib (the keras extra)."""
    import nbformat
    from nbformat.v4 import new_code_cell, new_notebook

    pytest.importorskip("tensorboard")
    pytest.importorskip("sklearn")
    path = tmp_path / "lecture.ipynb"
    nbformat.write(new_notebook(cells=[new_code_cell(s) for s in LECTURE_CELLS]), path)
    result = grade_submission(path, ASSIGNMENT, GradeOptions(data_dir=DATA))
    assert (result.status, result.cell_errors) == ("graded", [])
    assert result.total == result.max == 10
    outputs = {cell["index"] + 1: cell["outputs"] for cell in result.cell_outputs}  # In [n]: no markdown cells
    assert "['train', 'validation']" in outputs[6][0]["text"]  # the callback wrote its logs in the scratch folder
    assert any("image/png" in o.get("data", {}) for o in outputs[7])
    assert "TensorBoard is not started during grading" in outputs[8][0]["text"]
