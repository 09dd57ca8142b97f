"""Hidden checks of 03_xor_mlp: the trained model computes XOR; build_xor_model() builds a new, fitting model.

Models stay in the worker. Checks see them through the ``keras_describe`` and
``keras_predict`` inspectors, whose answers are untrusted data: every field is
checked for type and shape before it is used.
"""

import math

import numpy as np
import pytest

from autograder.checks import expect_true, fail
from autograder.engine.client import RemoteObject

X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float32)
XOR = [0, 1, 1, 0]
LOSSES = {"meansquarederror", "mse", "binarycrossentropy", "bce"}


# -- reading what the worker says (untrusted) -------------------------------------------


def describe(submission, value, what):
    """The ``keras_describe`` answer for a value that must be a Keras model, or a failed check."""
    if not isinstance(value, RemoteObject):  # plain data came back, not an object
        fail(what, expected="a Keras model", got=value)
    info = submission.inspect("keras_describe", value)
    if not isinstance(info, dict) or not isinstance(info.get("class"), str):
        fail(what, expected="a Keras model", got=f"an object the grader cannot describe ({value.type_name})")
    if info.get("is_model") is not True:
        fail(what, expected="a Keras model", got=f"a {info['class']}")
    return info


def shape_of(info, key):
    """A shape from a description as a tuple (None for the batch axis), or None if absent or malformed."""
    shape = info.get(key)
    if isinstance(shape, list) and all(d is None or (isinstance(d, int) and not isinstance(d, bool)) for d in shape):
        return tuple(shape)
    return None


def layers_of(info):
    layers = info.get("layers")
    if not isinstance(layers, list) or not all(isinstance(layer, dict) for layer in layers):
        return []
    return layers


def fingerprint(info):
    value = info.get("weights_fingerprint")
    return float(value) if isinstance(value, float) and math.isfinite(value) else None


def show_shape(shape):
    return "unknown (the model is not built)" if shape is None else str(shape)


# -- the trained model ----------------------------------------------------------------


@pytest.fixture(scope="module")
def trained(submission):
    """The global ``model``: its handle and description."""
    model = submission.value("model")
    return model, describe(submission, model, "model")


@pytest.fixture(scope="module")
def predictions(submission, trained):
    model, _ = trained
    got = submission.inspect("keras_predict", model, x=X, batch_size=4)
    if not isinstance(got, np.ndarray) or got.dtype.kind != "f" or got.shape not in ((4, 1), (4,)):
        shape = getattr(got, "shape", None)
        fail("model.predict(X) for the four inputs of XOR", expected="4 numbers, shape (4, 1)",
             got=f"shape {shape}" if shape is not None else got)
    if not np.all(np.isfinite(got)):
        fail("model.predict(X) for the four inputs of XOR", expected="finite numbers", got=got.ravel())
    return got.ravel()


@pytest.mark.parametrize("row", range(4), ids=["0,0", "0,1", "1,0", "1,1"])
def test_xor_truth_table(predictions, row):
    a, b = (int(v) for v in X[row])
    p, want = float(predictions[row]), XOR[row]
    expect_true(int(p > 0.5) == want, what=f"model.predict([[{a}, {b}]]) thresholded at 0.5",
                expected=str(want), got=f"{p:.4f} -> {int(p > 0.5)}",
                hint="학습이 덜 되었나요? epochs나 학습률을 늘려 보세요 / not trained enough? "
                     "try more epochs or a higher learning rate")


# -- build_xor_model() ------------------------------------------------------------------


@pytest.fixture(scope="module")
def built(submission):
    """A model from a fresh call of ``build_xor_model()``: handle and description."""
    model = submission.function("build_xor_model")()
    return model, describe(submission, model, "build_xor_model()")


def test_build_returns_a_new_model(submission, built):
    first, info = built
    expect_true(info.get("is_sequential") is True, what="build_xor_model()", expected="a keras.Sequential model",
                got=f"a {info['class']}")
    second = submission.function("build_xor_model")()
    second_info = describe(submission, second, "build_xor_model(), called again")
    expect_true(first.key != second.key, what="build_xor_model() called twice",
                expected="a new model on each call", got="the same model object both times")
    one, two = fingerprint(info), fingerprint(second_info)
    expect_true(one is None or one != two, what="build_xor_model() called twice",
                expected="new models with their own initial weights", got="two models with the same weights")
    if submission.has("model"):
        model, trained_info = submission.value("model"), None
        if isinstance(model, RemoteObject):
            trained_info = submission.inspect("keras_describe", model)
        trained_print = fingerprint(trained_info) if isinstance(trained_info, dict) else None
        expect_true(trained_print is None or trained_print not in (one, two), what="build_xor_model()",
                    expected="a new, untrained model", got="the weights of the trained global model")


def test_build_architecture(built):
    _, info = built
    what = "build_xor_model()"
    input_shape = shape_of(info, "input_shape")
    expect_true(input_shape == (None, 2), what=f"{what}: input shape", expected="(None, 2)", got=show_shape(input_shape),
                hint="첫 층으로 keras.Input(shape=(2,))를 넣으세요 / make keras.Input(shape=(2,)) the first layer")
    dense = [layer for layer in layers_of(info) if layer.get("class") == "Dense"]
    expect_true(len(dense) >= 2, what=f"{what}: Dense layers", expected="a hidden Dense layer and an output Dense layer",
                got=f"{len(dense)} Dense layer(s)")
    output_shape = shape_of(info, "output_shape")
    expect_true(output_shape == (None, 1), what=f"{what}: output shape", expected="(None, 1): one output unit",
                got=show_shape(output_shape))
    layers = layers_of(info)
    final = layers[-1].get("activation") if layers else None
    expect_true(final == "sigmoid", what=f"{what}: activation of the last layer", expected="sigmoid", got=str(final))


def test_build_compiles(built):
    _, info = built
    loss = info.get("loss")
    expect_true(info.get("compiled") is True and isinstance(info.get("optimizer"), str),
                what="build_xor_model()", expected="a compiled model (model.compile(...))", got="a model not compiled")
    expect_true(isinstance(loss, str) and loss.replace("_", "").lower() in LOSSES, what="build_xor_model(): the loss",
                expected="mean_squared_error or binary_crossentropy", got=str(loss))
