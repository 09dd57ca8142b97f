"""Public checks of 02_activations: a few values of each function (run them with `grade check`).

Values must match within rtol=1e-6, atol=1e-9.
"""

import numpy as np

from autograder.checks import expect_close

Z = np.array([-2.0, -0.5, 0.0, 0.5, 2.0])


def check(submission, name, z, expected, **kwargs):
    function = submission.function(name)
    arguments = ", ".join([f"np.array({z.tolist()})"] + [f"{k}={v}" for k, v in kwargs.items()])
    expect_close(function(z, **kwargs), np.array(expected), what=f"{name}({arguments})", rtol=1e-6, atol=1e-9)


def test_sigmoid(submission):
    check(submission, "sigmoid", Z, [0.11920292202211755, 0.3775406687981454, 0.5, 0.6224593312018546, 0.8807970779778823])


def test_tanh(submission):
    check(submission, "tanh", Z, [-0.9640275800758169, -0.46211715726000974, 0.0, 0.46211715726000974, 0.9640275800758169])


def test_relu(submission):
    check(submission, "relu", Z, [0.0, 0.0, 0.0, 0.5, 2.0])


def test_leaky_relu(submission):
    check(submission, "leaky_relu", Z, [-0.2, -0.05, 0.0, 0.5, 2.0])


def test_elu(submission):
    check(submission, "elu", Z, [-0.8646647167633873, -0.3934693402873666, 0.0, 0.5, 2.0])


def test_heaviside(submission):
    check(submission, "heaviside", Z, [0, 0, 0, 1, 1])


def test_softmax(submission):
    check(submission, "softmax", np.array([1.0, 2.0, 3.0]), [0.09003057317038046, 0.24472847105479764, 0.6652409557748219])


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
