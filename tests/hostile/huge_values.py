"""Return values too big or too deep to send back."""
import numpy as np

ANSWER_OK = False
# ---- solution ----


def AND(*args, **kwargs):
    return np.ones(200_000_000, dtype=np.uint8)  # 200 MB


def OR(*args, **kwargs):
    return list(range(5_000_000))


def NAND(*args, **kwargs):
    return "1" * 100_000_000


def XOR(*args, **kwargs):
    value = 1
    for _ in range(100_000):
        value = [value]
    return value


def perceptron(*args, **kwargs):
    return {str(i): i for i in range(2_000_000)}


def mlp_xor(*args, **kwargs):
    return np.zeros((20_000, 20_000))  # 3.2 GB: more than the memory limit


def heaviside(*args, **kwargs):
    return np.ones((4000, 4000), dtype=np.int64)  # 128 MB: past the frame size limit with its copy


def sigmoid(*args, **kwargs):
    return float("nan")
