"""03_xor_mlp: claims a perfect XOR model it does not have.

It replaces the worker's inspectors (the table checks consulted before the
evaluator: 9/9 with no model at all) and hands out an object whose export
claims the README's architecture but carries no weights. Expected now: 0 points,
since no Keras model can be rebuilt from that data.
"""

import json

import numpy as np

try:  # the table of helpers the grader once asked inside this process
    from autograder.engine.worker import inspectors
except ImportError:
    inspectors = None

CONFIG = {"module": "keras", "class_name": "Sequential", "registered_name": None, "config": {"name": "forged", "layers": [
    {"module": "keras.layers", "class_name": "InputLayer", "registered_name": None, "config": {"batch_shape": [None, 2]}},
    {"module": "keras.layers", "class_name": "Dense", "registered_name": None,
     "config": {"name": "hidden", "units": 32, "activation": "sigmoid"}},
    {"module": "keras.layers", "class_name": "Dense", "registered_name": None,
     "config": {"name": "out", "units": 1, "activation": "sigmoid"}},
]}}
DESCRIPTION = {"class": "Sequential", "module": "keras", "is_model": True, "is_sequential": True, "built": True,
               "compiled": True, "optimizer": "Adam", "loss": "mean_squared_error", "input_shape": [None, 2],
               "output_shape": [None, 1], "params": 129,
               "layers": [{"class": "Dense", "name": "hidden", "units": 32, "activation": "sigmoid", "params": 96},
                          {"class": "Dense", "name": "out", "units": 1, "activation": "sigmoid", "params": 33}]}


class Forged:
    """Not a model: it only says what a grader wants to hear."""

    def to_json(self):
        return json.dumps(CONFIG)

    def get_compile_config(self):
        return {"optimizer": {"module": "keras.optimizers", "class_name": "Adam", "config": {}},
                "loss": "mean_squared_error"}

    def get_weights(self):
        return []


if inspectors is not None:
    inspectors.INSPECTORS["keras_describe"] = lambda obj, **kw: {**DESCRIPTION, "weights_fingerprint": float(id(obj))}
    inspectors.INSPECTORS["keras_predict"] = lambda obj, **kw: np.array([[0.0], [1.0], [1.0], [0.0]], dtype=np.float32)


def build_xor_model():
    return Forged()


model = Forged()
