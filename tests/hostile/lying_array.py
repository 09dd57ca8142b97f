"""Return arrays whose comparison operators and __array__ lie about their content."""
import numpy as np


class Liar(np.ndarray):
    def __eq__(self, other):
        return np.ones(np.broadcast(self, other).shape, dtype=bool) if np.ndim(other) else True

    def __ne__(self, other):
        return False

    def tolist(self):
        return 1

    def item(self, *args):
        return 1


class ArrayLiar:
    """np.asarray() gives 1 once, then the truth (-7); everything else says 1."""

    calls = 0

    def __array__(self, dtype=None, copy=None):
        ArrayLiar.calls += 1
        return np.array(1 if ArrayLiar.calls == 1 else -7)

    def __eq__(self, other):
        return True

    def __int__(self):
        return 1


ANSWER_OK = False
# ---- solution ----


def _liar(*args, **kwargs):
    return np.array(-7).view(Liar)


def _array_liar(*args, **kwargs):
    return ArrayLiar()


AND = OR = NAND = _liar
XOR = perceptron = mlp_xor = heaviside = sigmoid = _array_liar
