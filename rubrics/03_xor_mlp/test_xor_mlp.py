"""Hidden checks of 03_xor_mlp: the trained model computes XOR; build_xor_model() builds a new, fitting model.

Models are graded in two phases (autograder/grading/models.py): the student's
worker exports each model as data (config, compile config, weights); the
``evaluator``, a worker that never ran student code, rebuilds it with
``safe_mode=True`` and computes the predictions. Architecture and compile
checks read the exported config here, on the trusted side.
"""

import numpy as np
import pytest

from autograder.checks import expect_true, fail
from autograder.grading.models import export_model

X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float32)
XOR = [0, 1, 1, 0]
PROBE = np.random.default_rng(3).uniform(-1, 2, size=(16, 2)).astype(np.float32)  # tells two models apart
LOSSES = {"meansquarederror", "mse", "binarycrossentropy", "bce"}
MIN_HIDDEN_UNITS = 2  # XOR needs two hidden units: one line cannot separate it
CAPACITY_HINT = ("XOR은 은닉층 없이, 또는 유닛이 1개인 은닉층으로는 배울 수 없습니다: Dense(32, activation=\"sigmoid\") 은닉층을 "
                 "쓰세요 / XOR cannot be learnt without a hidden layer of at least 2 units: use a hidden "
                 "Dense(32, activation=\"sigmoid\")")
TRAIN_HINT = ("학습이 덜 되었나요? epochs나 학습률을 늘려 보세요 / not trained enough? "
              "try more epochs or a higher learning rate")


def capacity_problem(summary):
    """Why a model cannot compute XOR whatever its training, or None."""
    hidden = summary.hidden_units
    if not hidden:
        return "no hidden Dense layer"
    small = [units for units in hidden if units is not None and units < MIN_HIDDEN_UNITS]
    return f"a hidden Dense layer of {small[0]} unit" if small else None


# -- the trained model ----------------------------------------------------------------


@pytest.fixture(scope="module")
def trained(submission):
    """The global ``model``, exported as data by the student's worker."""
    return export_model(submission.value("model"), what="model")


@pytest.fixture(scope="module")
def predictions(evaluator, trained):
    """The trained model's predictions for the four XOR inputs, computed by the evaluator."""
    got = evaluator.predict(evaluator.rebuild(trained), X, what="model.predict(X) for the four inputs of XOR", batch_size=4)
    if got.shape not in ((4, 1), (4,)):
        fail("model.predict(X) for the four inputs of XOR", expected="4 numbers, shape (4, 1)", got=f"shape {got.shape}")
    if not np.all(np.isfinite(got)):
        fail("model.predict(X) for the four inputs of XOR", expected="finite numbers", got=got.ravel())
    return got.ravel()


@pytest.mark.parametrize("row", range(4), ids=["0,0", "0,1", "1,0", "1,1"])
def test_xor_truth_table(trained, predictions, row):
    a, b = (int(v) for v in X[row])
    p, want = float(predictions[row]), XOR[row]
    expect_true(int(p > 0.5) == want, what=f"model.predict([[{a}, {b}]]) thresholded at 0.5",
                expected=str(want), got=f"{p:.4f} -> {int(p > 0.5)}",
                hint=CAPACITY_HINT if capacity_problem(trained.summary) else TRAIN_HINT)


# -- build_xor_model() ------------------------------------------------------------------


@pytest.fixture(scope="module")
def built(submission, evaluator):
    """A model from a fresh call of ``build_xor_model()``, exported as data and rebuilt by the evaluator.

    Rebuilding proves the config describes a real Keras model with those weights,
    before the architecture and compile checks read that config.
    """
    exported = export_model(submission.function("build_xor_model")(), what="build_xor_model()")
    evaluator.rebuild(exported)
    return exported


def test_build_returns_a_new_model(submission, evaluator, built):
    expect_true(built.summary.is_sequential, what="build_xor_model()", expected="a keras.Sequential model",
                got=f"a {built.summary.kind}")
    second = export_model(submission.function("build_xor_model")(), what="build_xor_model(), called again")
    what = "build_xor_model() called twice"
    expect_true(not built.same_weights(second), what=what, expected="new models with their own initial weights",
                got="two models with the same weights")
    one = evaluator.predict(evaluator.rebuild(built), PROBE, what="the first model's predictions")
    two = evaluator.predict(evaluator.rebuild(second), PROBE, what="the second model's predictions")
    expect_true(one.shape != two.shape or not np.array_equal(one, two), what=what,
                expected="new models with their own initial weights", got="two models that predict the same")
    if submission.has("model"):
        trained = export_model(submission.value("model"), what="model")
        expect_true(not (trained.same_weights(built) or trained.same_weights(second)), what="build_xor_model()",
                    expected="a new, untrained model", got="the weights of the trained global model")


def test_build_architecture(built):
    what, summary = "build_xor_model()", built.summary
    expect_true(summary.input_shape == (None, 2), what=f"{what}: input shape", expected="(None, 2)",
                got=summary.show_input(),
                hint="첫 층으로 keras.Input(shape=(2,))를 넣으세요 / make keras.Input(shape=(2,)) the first layer")
    dense = summary.dense
    expect_true(len(dense) >= 2, what=f"{what}: Dense layers", expected="a hidden Dense layer and an output Dense layer",
                got=f"{len(dense)} Dense layer(s)", hint=CAPACITY_HINT)
    problem = capacity_problem(summary)
    expect_true(problem is None, what=f"{what}: hidden layers",
                expected=f"at least {MIN_HIDDEN_UNITS} units in every hidden Dense layer (the lecture uses 32)",
                got=problem, hint=CAPACITY_HINT)
    expect_true(dense[-1].units == 1, what=f"{what}: output layer", expected="Dense(1, ...): one output unit",
                got=f"{dense[-1].units} units")
    final = summary.final_activation
    expect_true(final == "sigmoid", what=f"{what}: activation of the last layer", expected="sigmoid", got=str(final))


def test_build_compiles(built):
    summary = built.summary
    expect_true(summary.compiled, what="build_xor_model()", expected="a compiled model (model.compile(...))",
                got="a model not compiled")
    loss = summary.loss
    expect_true(isinstance(loss, str) and loss.replace("_", "").lower() in LOSSES, what="build_xor_model(): the loss",
                expected="mean_squared_error or binary_crossentropy", got=str(loss))
