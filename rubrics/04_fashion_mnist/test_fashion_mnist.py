"""Hidden checks of 04_fashion_mnist: shapes, softmax, and accuracy on held-out images.

Models are graded in two phases (autograder/grading/models.py): the student's
worker exports the trained ``model`` as data (config, compile config, weights);
the ``evaluator``, a worker that never ran student code, rebuilds it with
``safe_mode=True`` and predicts the held-out images. A submission folder holding
the rubric's ``model_file`` goes straight to the evaluator, which loads the file
with ``safe_mode=True``; its code is not run.

The held-out set is the second half of the official test set, or an
instructor's private set (``--heldout DIR`` or the rubric's ``heldout``). Its
images go only to the evaluator (scaled to [0, 1]); the labels stay here, where
the accuracy is computed. An accuracy above ``plausible_max`` flags the row for
review (never a penalty).
"""

import math

import numpy as np
import pytest

from autograder.checks import expect_true, fail
from autograder.grading.datasets import find_fashion_mnist, load_heldout, load_private_heldout
from autograder.grading.models import export_model

INPUTS = {  # accepted input shapes (without the batch axis) -> how the images are shaped for them
    (28, 28): lambda x: x,
    (784,): lambda x: x.reshape(len(x), 784),
    (28, 28, 1): lambda x: x[..., np.newaxis],
}
SHOWN_INPUTS = "(None, 28, 28) or (None, 784)"
PREDICT_BATCH = 500
PLAUSIBLE_MAX = 0.93  # when the rubric does not say: above what the reference architecture reaches


# -- the model and the held-out set -----------------------------------------------------


@pytest.fixture(scope="module")
def graded_model(submission, evaluator, rubric):
    """(the model rebuilt in the evaluator, its summary read from its config)."""
    if submission.graded_by == "model file":
        return evaluator.load_file(rubric.model_file)
    exported = export_model(submission.value("model"), what="model")
    return evaluator.rebuild(exported), exported.summary


@pytest.fixture(scope="module")
def heldout(request, heldout_dir):
    """Held-out images and labels, read on this (trusted) side."""
    if heldout_dir is not None:
        return load_private_heldout(heldout_dir)
    return load_heldout(find_fashion_mnist(request.getfixturevalue("data_dir")))


@pytest.fixture(scope="module")
def probabilities(evaluator, graded_model, heldout):
    """The model's predictions for the held-out images, computed by the evaluator, checked for shape and values."""
    model, summary = graded_model
    images, _ = heldout
    shape = summary.input_shape
    reshape = INPUTS.get(shape[1:] if shape else None)
    if reshape is None:
        fail("model input shape", expected=SHOWN_INPUTS, got=summary.show_input())
    what = f"model.predict(...) for the {len(images)} held-out images"
    got = evaluator.predict(model, reshape(images.astype(np.float32) / 255.0), what=what, batch_size=PREDICT_BATCH)
    if got.shape != (len(images), 10):
        fail(what, expected=f"shape ({len(images)}, 10): 10 class probabilities per image", got=f"shape {got.shape}")
    if not np.all(np.isfinite(got)):
        fail(what, expected="finite probabilities", got=f"{int(np.sum(~np.isfinite(got)))} nan or inf values")
    return got


# -- checks ---------------------------------------------------------------------------------


def test_input_shape(graded_model):
    _, summary = graded_model
    shape = summary.input_shape
    expect_true(shape is not None and shape[1:] in INPUTS, what="model input shape", expected=SHOWN_INPUTS,
                got=summary.show_input(), hint="첫 층으로 keras.Input(shape=(28, 28))를 넣으세요 / "
                                                "make keras.Input(shape=(28, 28)) the first layer")


def test_softmax_output(graded_model, request):
    _, summary = graded_model
    units = summary.dense[-1].units if summary.dense else None
    expect_true(units == 10, what="model output layer", expected="Dense(10, ...): one probability per class",
                got=f"{units} units" if units is not None else "no Dense layer")
    probabilities = request.getfixturevalue("probabilities")
    sums = probabilities.sum(axis=1)
    worst = int(np.argmax(np.abs(sums - 1)))
    expect_true(bool(np.all(probabilities >= 0)) and bool(np.allclose(sums, 1.0, atol=1e-3)),
                what="each row of model.predict(...)", expected="probabilities summing to 1 (softmax output)",
                got=f"row {worst} sums to {sums[worst]:.4f}",
                hint="마지막 층에 activation=\"softmax\"를 쓰세요 / use activation=\"softmax\" in the last layer")


def test_heldout_accuracy(probabilities, heldout, credit, rubric):
    _, labels = heldout
    accuracy = float(np.mean(np.argmax(probabilities, axis=1) == labels))
    credit.metric("accuracy", accuracy)
    plausible = rubric.params.get("plausible_max", PLAUSIBLE_MAX)
    if isinstance(plausible, (int, float)) and accuracy > float(plausible):
        credit.review(f"held-out accuracy {accuracy:.4f} is above the plausible {float(plausible):.2f} "
                      "of the reference architecture: trained on the test labels?")
    threshold, floor = float(rubric.params["threshold"]), float(rubric.params["floor"])
    credit.partial(accuracy_credit(accuracy, threshold, floor), what=f"accuracy on the {len(labels)} held-out images",
                   expected=f">= {threshold:.2f} for full points (none below {floor:.2f})", got=f"{accuracy:.4f}")


def accuracy_credit(accuracy, threshold, floor):
    """1 at or above ``threshold``, 0 below ``floor``, linear in between."""
    if not math.isfinite(accuracy) or accuracy < floor:
        return 0.0
    return min(1.0, (accuracy - floor) / (threshold - floor))
