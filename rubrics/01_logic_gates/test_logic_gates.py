"""Hidden checks of 01_logic_gates: perceptron, the four gates on scalars and arrays, mlp_xor.

Values and types are checked separately: a gate that returns the right 0/1
values as bools or floats loses only the ``*_returns_integers`` checks.
"""

import numpy as np
import pytest

from autograder.checks import expect_close, expect_true, fail

INPUTS = [(0, 0), (0, 1), (1, 0), (1, 1)]
TRUTH_TABLES = {"AND": [0, 0, 0, 1], "OR": [0, 1, 1, 1], "NAND": [1, 1, 1, 0], "XOR": [0, 1, 1, 0]}
REFERENCE_GATES = {
    "AND": lambda a, b: a & b,
    "OR": lambda a, b: a | b,
    "NAND": lambda a, b: 1 - (a & b),
    "XOR": lambda a, b: a ^ b,
}
# Array inputs of every shape a gate accepts: (4,), (2, 2) and a meshgrid of 0/1 of shape (2, 3).
GRID_X1, GRID_X2 = np.meshgrid(np.array([0, 1, 1]), np.array([0, 1]))
ARRAY_INPUTS = [
    (np.array([0, 0, 1, 1]), np.array([0, 1, 0, 1])),
    (np.array([[0, 1], [1, 1]]), np.array([[0, 0], [1, 0]])),
    (GRID_X1, GRID_X2),
]
# mlp_xor's fixed weights, from the assignment's table.
HIDDEN_NAND = (-10, -10, 14)
HIDDEN_OR = (10, 10, -4)
OUTPUT_AND = (10, 10, -14)
INTEGER_DTYPE = "an integer dtype (int64, int32, ...)"
GRID = np.meshgrid(np.linspace(-0.5, 1.5, 9), np.linspace(0, 1, 5))  # no unit's input is 0 on it
GRID_TEXT = "X1, X2 = np.meshgrid(np.linspace(-0.5, 1.5, 9), np.linspace(0, 1, 5))"


def show_call(name, *args):
    return f"{name}({', '.join(np.array2string(a, separator=', ') if isinstance(a, np.ndarray) else repr(a) for a in args)})"


def expect_values(got, want, *, what):
    """The shape and values of ``want``; any number type (types have their own checks)."""
    want = np.asarray(want)
    try:
        ok = np.shape(got) == want.shape and bool(np.array_equal(np.asarray(got, dtype=float), want))
    except (TypeError, ValueError):
        ok = False
    if not ok:
        fail(what, expected=want if want.ndim else want.item(), got=got)


def expect_int(got, *, what):
    """A Python or numpy integer, or a 0-d integer array (what np.where gives); not a bool or a float."""
    if isinstance(got, np.ndarray):
        ok, shown = got.shape == () and got.dtype.kind in "iu", f"ndarray of dtype {got.dtype} and shape {got.shape}"
    else:
        ok, shown = isinstance(got, (int, np.integer)) and not isinstance(got, bool), type(got).__name__
    expect_true(ok, what=f"type({what})", expected="int (or a numpy integer)", got=shown)


def expect_int_array(got, *, what):
    ok = isinstance(got, np.ndarray) and got.dtype.kind in "iu"
    shown = f"{got.dtype}" if isinstance(got, np.ndarray) else f"not an array: {type(got).__name__}"
    expect_true(ok, what=f"{what}.dtype", expected=INTEGER_DTYPE, got=shown)


def reference_perceptron(x, w, b):
    return (x @ w + b > 0).astype(int)


def unit(activation, weights, a, b):
    """One unit of the reference network: activation(w1 * a + w2 * b + bias)."""
    w1, w2, bias = weights
    return activation(w1 * np.asarray(a, dtype=float) + w2 * np.asarray(b, dtype=float) + bias)


def reference_network(activation, x1, x2):
    """The assignment's network with ``activation`` (which may be the student's own, called remotely)."""
    h1 = unit(activation, HIDDEN_NAND, x1, x2)
    h2 = unit(activation, HIDDEN_OR, x1, x2)
    for h in (h1, h2):
        expect_true(np.shape(h) == np.shape(x1), what="activation(z) (your activation function)",
                    expected=f"a result of z's shape {np.shape(x1)}", got=f"shape {np.shape(h)}")
    return unit(activation, OUTPUT_AND, h1, h2)


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


# --- perceptron -------------------------------------------------------------------------


def test_perceptron_single_input(submission):
    perceptron = submission.function("perceptron")
    for w, b in [(np.array([0.5, 0.5]), -0.7), (np.array([1.0, -2.0]), 0.5)]:
        for x in INPUTS:
            x = np.array(x)
            expect_values(perceptron(x, w, b), reference_perceptron(x, w, b), what=show_call("perceptron", x, w, b))


def test_perceptron_batch(submission, rubric):
    """Random weights, bias and inputs; inputs whose sum is within 1e-6 of 0 are left out (rounding)."""
    perceptron = submission.function("perceptron")
    rng = np.random.default_rng(rubric.params["seed"])
    for n in (1, 7, 50):
        w, b = rng.normal(size=2), float(rng.normal())
        x = rng.normal(scale=2.0, size=(n + 10, 2))
        x = x[np.abs(x @ w + b) > 1e-6][:n]
        what = f"perceptron(x, w={np.round(w, 4).tolist()}, b={b:.4f}) for x of shape {x.shape} (random)"
        expect_values(perceptron(x, w, b), reference_perceptron(x, w, b), what=what)


def test_perceptron_threshold_is_strict(submission):
    perceptron = submission.function("perceptron")
    w = np.array([0.5, 0.5])
    x = np.array([1, 1])
    expect_values(perceptron(x, w, -1.0), 0, what=show_call("perceptron", x, w, -1.0) + " (the sum is exactly 0)")
    x = np.array([[1.0, 1.0], [2.0, 0.0], [0.0, 0.0], [3.0, 1.0]])
    expect_values(perceptron(x, w, -1.0), np.array([0, 0, 0, 1]), what=show_call("perceptron", x, w, -1.0))


def test_perceptron_returns_integers(submission):
    perceptron = submission.function("perceptron")
    w = np.array([0.5, 0.5])
    x = np.array([1, 1])
    expect_int(perceptron(x, w, -0.7), what=show_call("perceptron", x, w, -0.7))
    x = np.array([[0, 0], [0, 1], [1, 0], [1, 1]])
    got = perceptron(x, w, -0.7)
    expect_int_array(got, what=show_call("perceptron", x, w, -0.7))
    expect_true(got.shape == (4,), what=show_call("perceptron", x, w, -0.7) + ".shape", expected=(4,), got=got.shape)


# --- gates --------------------------------------------------------------------------------


def check_truth_table(submission, gate):
    function = submission.function(gate)
    for (x1, x2), want in zip(INPUTS, TRUTH_TABLES[gate]):
        expect_values(function(x1, x2), want, what=f"{gate}({x1}, {x2})")


def test_and_truth_table(submission):
    check_truth_table(submission, "AND")


def test_or_truth_table(submission):
    check_truth_table(submission, "OR")


def test_nand_truth_table(submission):
    check_truth_table(submission, "NAND")


def test_xor_truth_table(submission):
    check_truth_table(submission, "XOR")


def check_on_arrays(submission, gate):
    function = submission.function(gate)
    for x1, x2 in ARRAY_INPUTS:
        expect_values(function(x1, x2), REFERENCE_GATES[gate](x1, x2), what=show_call(gate, x1, x2))


@pytest.mark.parametrize("gate", ["AND", "OR", "NAND"])
def test_gates_on_arrays(submission, gate):
    check_on_arrays(submission, gate)


def test_xor_on_arrays(submission):
    check_on_arrays(submission, "XOR")


@pytest.mark.parametrize("gate", ["AND", "OR", "NAND", "XOR"])
def test_gates_return_integers(submission, gate):
    function = submission.function(gate)
    expect_int(function(1, 1), what=f"{gate}(1, 1)")
    x1, x2 = ARRAY_INPUTS[0]
    expect_int_array(function(x1, x2), what=show_call(gate, x1, x2))


# --- activations and mlp_xor -------------------------------------------------------------


def test_heaviside(submission):
    """0 and 1 as numbers: ints or floats (np.heaviside(z, 0) gives floats), never True/False (see the README)."""
    heaviside = submission.function("heaviside")
    cases = [(np.array([-3.0, -1e-9, 0.0, 1e-9, 2.5]), np.array([0, 0, 0, 1, 1])),
             (np.array([[-1.0, 0.5], [0.0, 4.0]]), np.array([[0, 1], [0, 1]])), (0.0, 0), (2, 1)]
    for z, want in cases:
        got, what = heaviside(z), show_call("heaviside", z)
        expect_values(got, want, what=what)
        expect_true(np.asarray(got).dtype.kind != "b", what=what, expected="0 and 1 as numbers (int or float)", got=got,
                    hint="True/False 대신 숫자를 돌려주세요: (z > 0).astype(int) / "
                         "return numbers, not True/False: (z > 0).astype(int)")


def test_sigmoid(submission, rubric):
    tolerance = {"rtol": rubric.params["rtol"], "atol": rubric.params["atol"]}
    function = submission.function("sigmoid")
    z = np.array([-10.0, -2.0, -0.5, 0.0, 0.5, 2.0, 10.0])
    expect_close(function(z), sigmoid(z), what=show_call("sigmoid", z), **tolerance)
    z = np.array([[-1.0, 0.0], [1.0, 3.0]])
    expect_close(function(z), sigmoid(z), what=show_call("sigmoid", z), **tolerance)
    expect_close(function(0.0), 0.5, what="sigmoid(0.0)", **tolerance)


def test_mlp_xor_heaviside(submission):
    """Exactly XOR on 0/1 inputs, and the network's step pattern on a meshgrid of shape (5, 9)."""
    mlp_xor, heaviside = submission.function("mlp_xor"), submission.value("heaviside")
    for (x1, x2), want in zip(INPUTS, TRUTH_TABLES["XOR"]):
        expect_values(mlp_xor(x1, x2, heaviside), want, what=f"mlp_xor({x1}, {x2}, heaviside)")
    x1, x2 = ARRAY_INPUTS[0]
    expect_values(mlp_xor(x1, x2, heaviside), x1 ^ x2, what=show_call("mlp_xor", x1, x2)[:-1] + ", heaviside)")
    X1, X2 = GRID
    got = mlp_xor(X1, X2, heaviside)
    expect_values(got, reference_network(heaviside, X1, X2), what=f"mlp_xor(X1, X2, heaviside), {GRID_TEXT}")


def test_mlp_xor_sigmoid(submission, rubric):
    """The network with the student's own sigmoid, so that a wrong sigmoid loses only test_sigmoid."""
    tolerance = {"rtol": rubric.params["rtol"], "atol": rubric.params["atol"]}
    mlp_xor, student_sigmoid = submission.function("mlp_xor"), submission.value("sigmoid")
    for x1, x2 in INPUTS:
        got = mlp_xor(x1, x2, student_sigmoid)
        want = reference_network(student_sigmoid, x1, x2)
        expect_close(got, want, what=f"mlp_xor({x1}, {x2}, sigmoid)", **tolerance)
    X1, X2 = GRID
    got = mlp_xor(X1, X2, student_sigmoid)
    want = reference_network(student_sigmoid, X1, X2)
    expect_close(got, want, what=f"mlp_xor(X1, X2, sigmoid), {GRID_TEXT}", **tolerance)
