"""Hidden checks of 04_fashion_mnist: shapes, softmax, and accuracy on 5,000 held-out images.

The held-out set is the second half of the official test set. Only its images
go to the worker (scaled to [0, 1]); the class probabilities come back and the
accuracy is computed here, against labels the worker never sees.

A submission folder holding the rubric's ``model_file`` is graded by that saved
model (loaded in the worker by the ``keras_load_model`` inspector) and its code is
not run; otherwise the checks use the notebook's global ``model``.
"""

import math

import numpy as np
import pytest

from autograder.checks import StudentError, expect_true, fail
from autograder.engine.client import RemoteObject
from autograder.grading.datasets import find_fashion_mnist, load_heldout

INPUTS = {  # accepted input shapes (without the batch axis) -> how the images are shaped for them
    (28, 28): lambda x: x,
    (784,): lambda x: x.reshape(len(x), 784),
    (28, 28, 1): lambda x: x[..., np.newaxis],
}
SHOWN_INPUTS = "(None, 28, 28) or (None, 784)"
PREDICT_BATCH = 500


# -- the model and the held-out set -----------------------------------------------------


@pytest.fixture(scope="module")
def trained(submission, rubric):
    """The model to grade: handle and ``keras_describe`` answer (untrusted, checked before use)."""
    if submission.graded_by == "model file":
        what = rubric.model_file
        try:
            model = submission.inspect("keras_load_model", path=rubric.model_file)
        except StudentError as e:
            fail(what, expected="a Keras model saved with model.save(...)",
                 got=f"a file Keras cannot load ({e.ename}: {e.evalue[:300]})")
    else:
        what = "model"
        model = submission.value("model")
    if not isinstance(model, RemoteObject):
        fail(what, expected="a trained Keras model", got=model)
    info = submission.inspect("keras_describe", model)
    if not isinstance(info, dict) or info.get("is_model") is not True:
        fail(what, expected="a trained Keras model", got=f"a {model.type_name}")
    return model, info


@pytest.fixture(scope="module")
def heldout(request):
    """Held-out images and labels, read on this (trusted) side."""
    try:
        folder = request.getfixturevalue("data_dir")
    except pytest.FixtureLookupError:  # an engine without the fixture: $GRADE_FASHION_MNIST or Keras's cache
        folder = None
    return load_heldout(find_fashion_mnist(folder))


@pytest.fixture(scope="module")
def probabilities(submission, trained, heldout):
    """The model's predictions for the held-out images, checked for type, shape and values."""
    model, info = trained
    images, _ = heldout
    shape = shape_of(info, "input_shape")
    reshape = INPUTS.get(shape[1:] if shape else None)
    if reshape is None:
        fail("model input shape", expected=SHOWN_INPUTS, got=show(shape))
    x = reshape(images.astype(np.float32) / 255.0)
    got = submission.inspect("keras_predict", model, x=x, batch_size=PREDICT_BATCH)
    what = f"model.predict(...) for the {len(images)} held-out images"
    if not isinstance(got, np.ndarray) or got.dtype.kind != "f":
        fail(what, expected="an array of float probabilities", got=got)
    if got.shape != (len(images), 10):
        fail(what, expected=f"shape ({len(images)}, 10): 10 class probabilities per image", got=f"shape {got.shape}")
    if not np.all(np.isfinite(got)):
        fail(what, expected="finite probabilities", got=f"{int(np.sum(~np.isfinite(got)))} nan or inf values")
    return got


def shape_of(info, key):
    shape = info.get(key)
    if isinstance(shape, list) and all(d is None or (isinstance(d, int) and not isinstance(d, bool)) for d in shape):
        return tuple(shape)
    return None


def show(shape):
    return "unknown (the model is not built)" if shape is None else str(shape)


# -- checks ---------------------------------------------------------------------------------


def test_input_shape(trained):
    _, info = trained
    shape = shape_of(info, "input_shape")
    expect_true(shape is not None and shape[1:] in INPUTS, what="model input shape", expected=SHOWN_INPUTS,
                got=show(shape), hint="첫 층으로 keras.Input(shape=(28, 28))를 넣으세요 / "
                                      "make keras.Input(shape=(28, 28)) the first layer")


def test_softmax_output(trained, request):
    _, info = trained
    shape = shape_of(info, "output_shape")
    expect_true(shape == (None, 10), what="model output shape", expected="(None, 10): one probability per class",
                got=show(shape))
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
    threshold, floor = float(rubric.params["threshold"]), float(rubric.params["floor"])
    credit.partial(accuracy_credit(accuracy, threshold, floor), what=f"accuracy on the {len(labels)} held-out images",
                   expected=f">= {threshold:.2f} for full points (none below {floor:.2f})", got=f"{accuracy:.4f}")


def accuracy_credit(accuracy, threshold, floor):
    """1 at or above ``threshold``, 0 below ``floor``, linear in between."""
    if not math.isfinite(accuracy) or accuracy < floor:
        return 0.0
    return min(1.0, (accuracy - floor) / (threshold - floor))
