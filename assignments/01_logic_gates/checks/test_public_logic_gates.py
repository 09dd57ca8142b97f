"""Public checks of 01_logic_gates: the truth tables of the four gates (run them with `grade check`)."""

import numpy as np

from autograder.checks import fail

INPUTS = [(0, 0), (0, 1), (1, 0), (1, 1)]
TRUTH_TABLES = {
    "AND": [0, 0, 0, 1],
    "OR": [0, 1, 1, 1],
    "NAND": [1, 1, 1, 0],
    "XOR": [0, 1, 1, 0],
}


def expect_value(got, want, *, what):
    """One number equal to ``want`` (its type is not checked here)."""
    try:
        ok = np.shape(got) == () and float(got) == want
    except (TypeError, ValueError):
        ok = False
    if not ok:
        fail(what, expected=want, got=got)


def check_truth_table(submission, gate):
    function = submission.function(gate)
    for (x1, x2), want in zip(INPUTS, TRUTH_TABLES[gate]):
        expect_value(function(x1, x2), want, what=f"{gate}({x1}, {x2})")


def test_and_truth_table(submission):
    check_truth_table(submission, "AND")


def test_or_truth_table(submission):
    check_truth_table(submission, "OR")


def test_nand_truth_table(submission):
    check_truth_table(submission, "NAND")


def test_xor_truth_table(submission):
    check_truth_table(submission, "XOR")
