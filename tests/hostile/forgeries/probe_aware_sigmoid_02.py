"""02_activations: a wrong sigmoid_grad, hidden by a sigmoid that recognises the grader's z ± h probes.

sigmoid_grad returns twice the derivative. When sigmoid is next called with
z + h or z - h for the z sigmoid_grad last saw, it answers
sigmoid(z) ± h * sigmoid_grad(z), so a central difference of this sigmoid agrees
with the wrong derivative (full marks before). Expected now: test_sigmoid_grad
is lost, everything else earned.
"""

import numpy as np

_last = {}


def _true_sigmoid(z):
    z = np.asarray(z, dtype=float)
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1 / (1 + e), e / (1 + e))


def sigmoid(z):
    z = np.asarray(z, dtype=float)
    seen = _last.get("z")
    if seen is not None and z.shape == seen.shape and z.size:
        step = z - seen
        if np.allclose(step, step.flat[0]) and 0 < abs(step.flat[0]) < 1e-3:  # a probe at seen ± h
            return _true_sigmoid(seen) + step.flat[0] * sigmoid_grad(seen)
    return _true_sigmoid(z)


def sigmoid_grad(z):
    _last["z"] = np.array(z, dtype=float)
    s = _true_sigmoid(z)
    return 2 * s * (1 - s)


def tanh(z):
    return np.tanh(z)


def relu(z):
    return np.maximum(0, z)


def leaky_relu(z, alpha=0.1):
    return np.maximum(alpha * np.asarray(z), z)


def elu(z, alpha=1.0):
    z = np.asarray(z, dtype=float)
    return np.where(z > 0, z, alpha * np.expm1(np.minimum(z, 0)))


def heaviside(z):
    return (np.asarray(z) > 0).astype(int)


def maxout(x, W1, b1, W2, b2):
    return np.maximum(x @ W1 + b1, x @ W2 + b2)


def softmax(z, axis=-1):
    z = np.asarray(z, dtype=float)
    e = np.exp(z - z.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def relu_grad(z):
    return (np.asarray(z) > 0).astype(float)
