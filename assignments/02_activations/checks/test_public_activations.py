"""Public checks of 02_activations: each function on an array, a few values each (run them with `grade check`).

Values must match within rtol=1e-6, atol=1e-9. Grading uses more checks: random
inputs, every shape, softmax's axis, float32 arrays, derivatives and more.
"""

import numpy as np

from autograder.checks import expect_close, expect_true

Z = np.array([-2.0, -0.5, 0.0, 0.5, 2.0])
LARGE = np.array([-1000.0, -2.0, -0.5, 0.0, 0.5, 2.0, 1000.0])  # np.exp(1000) is inf: stay finite
ROWS = np.array([[1000.0, 1001.0, 1002.0], [-1000.0, -1000.0, -1000.0], [1.0, 2.0, 3.0]])
ROW = [0.09003057317038046, 0.24472847105479764, 0.6652409557748219]


def check(submission, name, z, expected, *args, **kwargs):
    function = submission.function(name)
    shown = f"np.array({z.tolist()})" if isinstance(z, np.ndarray) else repr(z)
    arguments = ", ".join([shown] + [repr(a) for a in args] + [f"{k}={v}" for k, v in kwargs.items()])
    got = function(z, *args, **kwargs)
    expect_close(got, np.array(expected), what=f"{name}({arguments})", rtol=1e-6, atol=1e-9)
    return got


def test_sigmoid(submission):
    check(submission, "sigmoid", LARGE, [0.0, 0.11920292202211755, 0.3775406687981454, 0.5, 0.6224593312018546,
                                         0.8807970779778823, 1.0])


def test_tanh(submission):
    check(submission, "tanh", LARGE, [-1.0, -0.9640275800758169, -0.46211715726000974, 0.0, 0.46211715726000974,
                                      0.9640275800758169, 1.0])


def test_relu(submission):
    check(submission, "relu", Z, [0.0, 0.0, 0.0, 0.5, 2.0])
    check(submission, "relu", -1.5, 0.0)


def test_leaky_relu(submission):
    check(submission, "leaky_relu", Z, [-0.2, -0.05, 0.0, 0.5, 2.0])
    check(submission, "leaky_relu", Z, [-0.4, -0.1, 0.0, 0.5, 2.0], alpha=0.2)


def test_elu(submission):
    check(submission, "elu", Z, [-0.8646647167633873, -0.3934693402873666, 0.0, 0.5, 2.0])


def test_heaviside(submission):
    got = check(submission, "heaviside", Z, [0, 0, 0, 1, 1])
    expect_true(np.asarray(got).dtype.kind != "b", what=f"heaviside(np.array({Z.tolist()}))",
                expected="0 and 1 as numbers (int or float)", got=got,
                hint="True/False 대신 숫자를 돌려주세요 / return numbers, not True/False: (z > 0).astype(int)")


def test_softmax(submission):
    check(submission, "softmax", ROWS, [ROW, [1 / 3, 1 / 3, 1 / 3], ROW])
    check(submission, "softmax", np.array([[1.0, 2.0], [3.0, 5.0]]),
          [[0.11920292202211755, 0.04742587317756679], [0.8807970779778823, 0.9525741268224334]], axis=0)


def test_maxout(submission):
    x = np.array([[1.0, 2.0], [-1.0, 0.5]])
    W1, b1 = np.array([[1.0, 0.0], [0.0, 1.0]]), np.array([0.0, 0.0])
    W2, b2 = np.array([[0.0, 1.0], [1.0, 0.0]]), np.array([0.5, -0.5])
    got = submission.function("maxout")(x, W1, b1, W2, b2)
    expect_close(got, np.array([[2.5, 2.0], [1.0, 0.5]]), what="maxout(x, W1, b1, W2, b2) for x = [[1, 2], [-1, 0.5]], "
                 "W1 = [[1, 0], [0, 1]], b1 = [0, 0], W2 = [[0, 1], [1, 0]], b2 = [0.5, -0.5]", rtol=1e-6, atol=1e-9)


def test_sigmoid_grad(submission):
    check(submission, "sigmoid_grad", Z, [0.1049935854035065, 0.2350037122015945, 0.25, 0.2350037122015945, 0.1049935854035065])


def test_relu_grad(submission):
    check(submission, "relu_grad", Z, [0.0, 0.0, 0.0, 1.0, 1.0])
