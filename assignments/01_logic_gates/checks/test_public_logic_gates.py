"""Public checks of 01_logic_gates: every function on scalars and arrays, a few values each (run them with `grade check`).

Grading uses more checks: more shapes, the type of results, random weights, the
network with your sigmoid, and more.
"""

import numpy as np

from autograder.checks import expect_close, expect_true, fail

INPUTS = [(0, 0), (0, 1), (1, 0), (1, 1)]
X1, X2 = np.array([0, 0, 1, 1]), np.array([0, 1, 0, 1])  # the four rows of a truth table as arrays
TRUTH_TABLES = {
    "AND": [0, 0, 0, 1],
    "OR": [0, 1, 1, 1],
    "NAND": [1, 1, 1, 0],
    "XOR": [0, 1, 1, 0],
}


def expect_values(got, want, *, what):
    """The shape and values of ``want``, as numbers; True/False are not numbers here (see the README)."""
    want = np.asarray(want)
    try:
        ok = np.shape(got) == want.shape and bool(np.array_equal(np.asarray(got, dtype=float), want))
    except (TypeError, ValueError):
        ok = False
    if not ok:
        fail(what, expected=want if want.ndim else want.item(), got=got)
    expect_true(np.asarray(got).dtype.kind != "b", what=what, expected="0 and 1 as numbers, not True/False", got=got)


def check_gate(submission, gate):
    function = submission.function(gate)
    for (x1, x2), want in zip(INPUTS, TRUTH_TABLES[gate]):
        expect_values(function(x1, x2), want, what=f"{gate}({x1}, {x2})")
    expect_values(function(X1, X2), TRUTH_TABLES[gate], what=f"{gate}(np.array({X1.tolist()}), np.array({X2.tolist()}))")


def test_and_truth_table(submission):
    check_gate(submission, "AND")


def test_or_truth_table(submission):
    check_gate(submission, "OR")


def test_nand_truth_table(submission):
    check_gate(submission, "NAND")


def test_xor_truth_table(submission):
    check_gate(submission, "XOR")


def test_perceptron(submission):
    x = np.array([[0, 0], [0, 1], [1, 0], [1, 1], [2, 1]])
    w = np.array([1.0, -2.0])
    got = submission.function("perceptron")(x, w, 0.0)
    expect_values(got, [0, 0, 1, 0, 0], what=f"perceptron(np.array({x.tolist()}), np.array([1.0, -2.0]), 0.0) "
                                             "(a sum of exactly 0 gives 0)")


def test_heaviside_and_sigmoid(submission):
    z = np.array([-2.0, 0.0, 0.5])
    expect_values(submission.function("heaviside")(z), [0, 0, 1], what="heaviside(np.array([-2.0, 0.0, 0.5]))")
    expect_close(submission.function("sigmoid")(z), [0.11920292202211755, 0.5, 0.6224593312018546],
                 what="sigmoid(np.array([-2.0, 0.0, 0.5]))", rtol=1e-6, atol=1e-9)


def test_mlp_xor(submission):
    got = submission.function("mlp_xor")(X1, X2, submission.value("heaviside"))
    expect_values(got, TRUTH_TABLES["XOR"], what=f"mlp_xor(np.array({X1.tolist()}), np.array({X2.tolist()}), heaviside)")
