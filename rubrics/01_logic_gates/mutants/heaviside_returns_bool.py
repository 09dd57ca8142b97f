"""heaviside returns True/False: the README asks for the numbers 0 and 1 (ints or floats), in 01 as in 02."""
# expect-lost: test_heaviside

import numpy as np


def perceptron(x, w, b):
    """w·x + b > 0 이면 1, 아니면 0 (정수). x: shape (2,) 또는 (n, 2).

    1 where w·x + b > 0, else 0, as integers. x: shape (2,) (result: an int)
    or (n, 2) (result: an int array of shape (n,)).
    """
    z = np.asarray(x) @ np.asarray(w) + b
    return (z > 0).astype(int)


def AND(x1, x2):
    """x1 AND x2 (정수 0/1, 입력과 같은 shape / integers 0/1 of the inputs' shape)."""
    return perceptron(np.stack([x1, x2], axis=-1), np.array([0.5, 0.5]), -0.7)


def OR(x1, x2):
    """x1 OR x2 (정수 0/1, 입력과 같은 shape / integers 0/1 of the inputs' shape)."""
    return perceptron(np.stack([x1, x2], axis=-1), np.array([0.5, 0.5]), -0.2)


def NAND(x1, x2):
    """NOT (x1 AND x2) (정수 0/1, 입력과 같은 shape / integers 0/1 of the inputs' shape)."""
    return perceptron(np.stack([x1, x2], axis=-1), np.array([-0.5, -0.5]), 0.7)


def XOR(x1, x2):
    """x1 XOR x2, 두 층의 퍼셉트론 / from two layers of perceptrons (정수 0/1 / integers 0/1)."""
    return AND(NAND(x1, x2), OR(x1, x2))


def heaviside(z):
    """z > 0 이면 1, 아니면 0 (정수, z와 같은 shape) / 1 where z > 0, else 0 (integers of z's shape)."""
    return np.asarray(z) > 0


def sigmoid(z):
    """1 / (1 + e^(-z)), 원소별 / elementwise."""
    return 1 / (1 + np.exp(-np.asarray(z, dtype=float)))


def mlp_xor(x1, x2, activation):
    """위 표의 가중치로 된 2층 신경망의 출력 / the output of the two-layer network of the table above."""
    h1 = activation(-10 * x1 - 10 * x2 + 14)  # NAND처럼 / NAND-like
    h2 = activation(10 * x1 + 10 * x2 - 4)  # OR처럼 / OR-like
    return activation(10 * h1 + 10 * h2 - 14)  # AND처럼 / AND-like
