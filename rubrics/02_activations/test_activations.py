"""Hidden checks of 02_activations: values against a reference, large inputs, softmax axes, maxout, derivatives.

Values are compared within the rubric's rtol and atol (the message states them).
Derivatives are compared with the reference's analytic derivative, computed
here: only values a student function returns are evidence, and a derivative
taken from the student's own ``sigmoid`` would let that sigmoid answer the
grader's ``z ± h`` probes (see docs/writing-checks.md). Their tolerance
(grad_rtol, grad_atol) accepts an implementation that computes in float32.

Whether a function changes its input array is not graded: only the worker
could observe it, and nothing a worker says about itself is evidence.
"""

import numpy as np
import pytest

from autograder.checks import expect_close, expect_true, fail

CHOSEN = np.array([-10.0, -3.0, -1.0, -0.5, -1e-3, 0.0, 1e-3, 0.5, 1.0, 3.0, 10.0])
LARGE = np.array([-1e4, -1000.0, -100.0, 0.0, 100.0, 1000.0, 1e4])


def reference_sigmoid(z):
    z = np.asarray(z, dtype=float)
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1 / (1 + e), e / (1 + e))


def reference_elu(z, alpha=1.0):
    z = np.asarray(z, dtype=float)
    return np.where(z > 0, z, alpha * np.expm1(np.minimum(z, 0)))


def reference_softmax(z, axis=-1):
    z = np.asarray(z, dtype=float)
    e = np.exp(z - z.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


ELEMENTWISE = {
    "sigmoid": reference_sigmoid,
    "tanh": np.tanh,
    "relu": lambda z: np.maximum(0.0, z),
    "leaky_relu": lambda z: np.maximum(0.1 * np.asarray(z), z),
    "elu": reference_elu,
    "heaviside": lambda z: (np.asarray(z) > 0).astype(int),
    "sigmoid_grad": lambda z: reference_sigmoid(z) * (1 - reference_sigmoid(z)),
    "relu_grad": lambda z: (np.asarray(z) > 0).astype(float),
}


@pytest.fixture
def rng(rubric):
    """A fresh generator for each check, so that its points do not depend on the checks before it."""
    return np.random.default_rng(rubric.params["seed"])


@pytest.fixture(scope="session")
def tolerance(rubric):
    return {"rtol": rubric.params["rtol"], "atol": rubric.params["atol"]}


def show(z):
    """How an argument appears in messages: the array itself when small, else its shape and dtype."""
    if isinstance(z, np.ndarray) and z.size > 12:
        return f"z (random, shape {z.shape}, {z.dtype})"
    if isinstance(z, np.ndarray):
        text = np.array2string(z, separator=", ")
        return f"np.array({text}, dtype=np.float32)" if z.dtype == np.float32 else f"np.array({text})"
    return repr(z)


def call(submission, name, z, *args, **kwargs):
    """The student's function on ``z``, and how the call reads in a message."""
    extra = [repr(a) for a in args] + [f"{k}={v!r}" for k, v in kwargs.items()]
    return submission.function(name)(z, *args, **kwargs), f"{name}({', '.join([show(z), *extra])})"


def check_values(submission, name, points, reference, tolerance, *args, **kwargs):
    for z in points:
        got, what = call(submission, name, z, *args, **kwargs)
        expect_close(got, reference(z), what=what, **tolerance)


def expect_finite(got, *, what):
    try:
        finite = bool(np.all(np.isfinite(np.asarray(got, dtype=float))))
    except (TypeError, ValueError):
        finite = False
    expect_true(finite, what=what, expected="nan, inf 없는 값 / finite numbers (no nan or inf)", got=got,
                hint="np.exp는 약 710(float32는 약 89)보다 크면 inf가 됩니다 / "
                     "np.exp overflows to inf above about 710 (float32: about 89)")


# --- sigmoid and tanh ------------------------------------------------------------------------


def test_sigmoid_values(submission, rng, tolerance):
    points = [CHOSEN, rng.normal(scale=4.0, size=(4, 5)), 0.0, -2.0]
    check_values(submission, "sigmoid", points, reference_sigmoid, tolerance)


def test_sigmoid_large_inputs(submission, tolerance):
    for z in (LARGE, LARGE.astype(np.float32), 1000.0, -1000.0):
        got, what = call(submission, "sigmoid", z)
        expect_finite(got, what=what)
        expect_close(got, reference_sigmoid(z), what=what, **tolerance)


def test_tanh_values(submission, rng, tolerance):
    check_values(submission, "tanh", [CHOSEN, rng.normal(scale=3.0, size=(3, 4)), LARGE, -0.5], np.tanh, tolerance)
    got, what = call(submission, "tanh", LARGE)
    expect_finite(got, what=what)


# --- the ReLU family, heaviside, maxout ---------------------------------------------------------


def test_relu_values(submission, rng, tolerance):
    points = [CHOSEN, rng.normal(size=(3, 4)), np.array([-3, 0, 2]), -1.5, 2.0]
    check_values(submission, "relu", points, ELEMENTWISE["relu"], tolerance)


def test_leaky_relu_default_alpha(submission, rng, tolerance):
    points = [CHOSEN, rng.normal(size=(3, 4)), -2.0]
    check_values(submission, "leaky_relu", points, ELEMENTWISE["leaky_relu"], tolerance)


def test_leaky_relu_alpha_argument(submission, tolerance):
    for alpha in (0.2, 0.01):
        check_values(submission, "leaky_relu", [CHOSEN, -2.0], lambda z: np.maximum(alpha * np.asarray(z), z),
                     tolerance, alpha=alpha)
    check_values(submission, "leaky_relu", [CHOSEN], lambda z: np.maximum(0.3 * z, z), tolerance, 0.3)


def test_elu_values(submission, rng, tolerance):
    check_values(submission, "elu", [CHOSEN, rng.normal(scale=2.0, size=(3, 4)), LARGE, -1.0], reference_elu, tolerance)
    for alpha in (0.5, 2.0):
        check_values(submission, "elu", [CHOSEN, LARGE], lambda z: reference_elu(z, alpha), tolerance, alpha=alpha)


def test_heaviside_values(submission, tolerance):
    """0 and 1 as numbers: ints or floats (np.heaviside(z, 0) gives floats), never True/False (see the README)."""
    points = [np.array([-2.0, -1e-9, 0.0, 1e-9, 3.0]), np.array([[0.0, 1.0], [-1.0, 0.0]]), 0.0, 2.0, -2.0]
    for z in points:
        got, what = call(submission, "heaviside", z)
        expect_true(not is_bool(got), what=what, expected="0 and 1 as numbers (int or float)", got=got,
                    hint="True/False 대신 숫자를 돌려주세요: (z > 0).astype(int) / "
                         "return numbers, not True/False: (z > 0).astype(int)")
        expect_close(got, ELEMENTWISE["heaviside"](z), what=what, **tolerance)


def is_bool(value):
    return isinstance(value, (bool, np.bool_)) or (isinstance(value, np.ndarray) and value.dtype.kind == "b")


def test_maxout(submission, rng, tolerance):
    maxout = submission.function("maxout")
    for x_shape, d, k in [((6, 3), 3, 4), ((3,), 3, 2), ((1, 5), 5, 1)]:
        x = rng.normal(size=x_shape)
        W1, W2 = rng.normal(size=(d, k)), rng.normal(size=(d, k))
        b1, b2 = rng.normal(size=k), rng.normal(size=k)
        want = np.maximum(x @ W1 + b1, x @ W2 + b2)
        what = f"maxout(x, W1, b1, W2, b2) for random x of shape {x_shape}, W1, W2 of shape {(d, k)}, b1, b2 of shape {(k,)}"
        expect_close(maxout(x, W1, b1, W2, b2), want, what=what, **tolerance)


# --- softmax ----------------------------------------------------------------------------------


def test_softmax_values(submission, rng, tolerance):
    points = [np.array([1.0, 2.0, 3.0]), np.array([0.0, 0.0]), np.array([[1.0, 2.0, 3.0], [-1.0, 0.0, 5.0]]),
              rng.normal(size=(5, 4))]
    check_values(submission, "softmax", points, reference_softmax, tolerance)


def test_softmax_axis(submission, rng, tolerance):
    for shape, axis in [((3, 4), 0), ((3, 4), 1), ((3, 4), -1), ((2, 3, 4), 1), ((2, 3, 4), 0)]:
        z = rng.normal(size=shape)
        got, what = call(submission, "softmax", z, axis=axis)
        expect_close(got, reference_softmax(z, axis), what=what, **tolerance)
        sums = np.sum(np.asarray(got, dtype=float), axis=axis)
        expect_close(sums, np.ones_like(sums), what=f"{what}.sum(axis={axis})", **tolerance)


def test_softmax_large_inputs(submission, tolerance):
    """Without subtracting the maximum (along the axis) exp overflows (inf / inf) or underflows (0 / 0)."""
    rows = np.array([[1000.0, 1001.0, 1002.0], [-1000.0, -1000.0, -1000.0], [0.0, 1.0, 2.0], [1e4, 0.0, -1e4]])
    for z, axis in [(rows, -1), (rows.astype(np.float32), -1), (rows.T, 0), (np.array([1000.0, 1000.0]), -1)]:
        got, what = call(submission, "softmax", z, axis=axis)
        expect_finite(got, what=what)
        expect_close(got, reference_softmax(z, axis), what=what, **tolerance)


# --- derivatives ------------------------------------------------------------------------------


def test_sigmoid_grad(submission, rng, rubric):
    grad = {"rtol": rubric.params["grad_rtol"], "atol": rubric.params["grad_atol"]}
    z = np.concatenate([[-4.0, -1.0, 0.0, 1.0, 4.0], rng.uniform(-6, 6, size=15)])
    for point in (z, z.reshape(4, 5), 0.5):
        got, what = call(submission, "sigmoid_grad", point)
        expect_close(got, ELEMENTWISE["sigmoid_grad"](point), what=f"{what} against σ(z)(1 − σ(z))", **grad)


def test_relu_grad(submission, rng, rubric, tolerance):
    grad = {"rtol": rubric.params["grad_rtol"], "atol": rubric.params["grad_atol"]}
    z = np.concatenate([[-3.0, -0.5, 0.5, 3.0], rng.uniform(-5, 5, size=16)])
    got, what = call(submission, "relu_grad", z)
    expect_close(got, ELEMENTWISE["relu_grad"](z), what=f"{what}: 1 where z > 0, else 0", **grad)
    for point in (0.0, np.array([-1.0, 0.0, 2.0])):
        got, what = call(submission, "relu_grad", point)
        expect_close(got, ELEMENTWISE["relu_grad"](point), what=what + " (relu_grad(0) is 0 by convention)", **tolerance)


# --- shapes -----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", list(ELEMENTWISE))
def test_shapes_and_scalars(submission, name):
    """Elementwise functions keep the input's shape and turn a scalar into one number."""
    z = np.linspace(-2.0, 2.0, 24).reshape(2, 3, 4)
    for point in (z, z[:1, :1, :1], np.array([0.7]), np.zeros((0, 3))):
        got, what = call(submission, name, point)
        expect_true(np.shape(got) == point.shape, what=f"{what}.shape", expected=point.shape, got=np.shape(got))
    got, what = call(submission, name, 0.7)
    kinds = "iufb" if name == "heaviside" else "iuf"  # a bool heaviside loses test_heaviside_values, not this one too
    try:
        number = np.shape(got) == () and np.asarray(got).dtype.kind in kinds
    except (TypeError, ValueError):
        number = False
    if not number:
        fail(what, expected="one number (a float, an int or a 0-d array)", got=got)
