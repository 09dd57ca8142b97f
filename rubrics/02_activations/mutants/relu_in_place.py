"""relu sets the negative entries of its input to 0 in place: it changes the caller's array (which no
check can see: only the worker could) and fails on a plain float."""
# expect-lost: test_relu_values, test_shapes_and_scalars

import numpy as np


def sigmoid(z):
    """1 / (1 + e^(-z)), 원소별, 큰 |z|에서도 nan/inf 없이 / elementwise, finite for any z."""
    z = np.asarray(z, dtype=float)
    e = np.exp(-np.abs(z))  # 0 < e <= 1: never overflows
    return np.where(z >= 0, 1 / (1 + e), e / (1 + e))


def tanh(z):
    """쌍곡탄젠트, 원소별 / hyperbolic tangent, elementwise."""
    return np.tanh(z)


def relu(z):
    """max(0, z), 원소별 / elementwise."""
    z[z < 0] = 0
    return z


def leaky_relu(z, alpha=0.1):
    """max(alpha * z, z), 원소별 / elementwise."""
    return np.maximum(alpha * np.asarray(z), z)


def elu(z, alpha=1.0):
    """z > 0 이면 z, 아니면 alpha * (e^z - 1), 원소별 / z where z > 0, else alpha * (e^z - 1), elementwise."""
    z = np.asarray(z, dtype=float)
    return np.where(z > 0, z, alpha * np.expm1(np.minimum(z, 0)))


def heaviside(z):
    """z > 0 이면 1, 아니면 0, 원소별 / 1 where z > 0, else 0, elementwise."""
    return (np.asarray(z) > 0).astype(int)


def maxout(x, W1, b1, W2, b2):
    """두 선형 유닛의 원소별 최댓값 / the elementwise maximum of x @ W1 + b1 and x @ W2 + b2."""
    return np.maximum(x @ W1 + b1, x @ W2 + b2)


def softmax(z, axis=-1):
    """축 axis를 따라 소프트맥스 / softmax along axis (sums to 1 along axis)."""
    z = np.asarray(z, dtype=float)
    e = np.exp(z - z.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def sigmoid_grad(z):
    """sigmoid의 미분 σ(z)(1 − σ(z)) / the derivative of sigmoid at z."""
    s = sigmoid(z)
    return s * (1 - s)


def relu_grad(z):
    """relu의 미분: z > 0 이면 1, 아니면 0 / the derivative of relu: 1 where z > 0, else 0."""
    return (np.asarray(z) > 0).astype(float)
