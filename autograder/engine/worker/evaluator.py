"""The evaluator's operations: rebuild a Keras model from data and compute its predictions.

An evaluator is a worker started with job mode ``evaluate``: it never runs
student code. It receives a model as data (the JSON config and the weights a
student's worker exported, or a ``.keras`` file), rebuilds it with
``safe_mode=True`` (built-in layers and activations only) and answers
predictions. Its answers are about a real Keras model that exists as config and
weights, whatever the student's own process claimed.

Keras is imported inside each operation: the module is loaded by every worker.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Callable

import numpy as np


def rebuild(_: Any, *, config: str, weights: list) -> Any:
    """A Keras model from its JSON config (``model.to_json()``) and weights (``model.get_weights()``)."""
    import keras

    model = keras.saving.deserialize_keras_object(json.loads(config), safe_mode=True)
    if not isinstance(model, keras.Model):
        raise TypeError(f"the exported config describes a {type(model).__name__}, not a Keras model")
    if not model.built or not model.weights:
        raise ValueError("the model has no weights: it was never built (start it with keras.Input(shape=...))")
    model.set_weights([np.asarray(w) for w in weights])
    return model


def load_model_file(_: Any, *, name: str) -> dict[str, Any]:
    """Load the submitted ``.keras`` file (in this worker's folder) with ``safe_mode=True``.

    Returns the model (a handle for the grader) with its config and compile config as data.
    """
    import keras

    path = Path(name)
    if path.is_absolute() or len(path.parts) != 1 or not path.is_file():
        raise FileNotFoundError(f"{name}: no such file in the submission")
    model = keras.saving.load_model(str(path), safe_mode=True)
    if not isinstance(model, keras.Model):
        raise TypeError(f"{name} holds a {type(model).__name__}, not a Keras model")
    compile_config = json.loads(json.dumps(model.get_compile_config() or {}, default=str))
    return {"model": model, "config": model.to_json(), "compile_config": compile_config}


def predict(model: Any, *, x: np.ndarray, batch_size: int = 256) -> np.ndarray:
    """``model.predict(x)`` without a progress bar, as a float32 array."""
    predictions = model.predict(np.asarray(x, dtype=np.float32), batch_size=int(batch_size), verbose=0)
    if isinstance(predictions, (list, tuple, dict)):
        raise TypeError(f"the model returns {type(predictions).__name__} of outputs, not one array")
    return np.asarray(predictions, dtype=np.float32)


OPERATIONS: dict[str, Callable[..., Any]] = {"rebuild": rebuild, "load_model_file": load_model_file, "predict": predict}
