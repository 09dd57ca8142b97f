"""Named helpers the grader may ask the worker to run on student objects.

An inspector runs inside the untrusted worker, so its answer is untrusted data
like any other return value: the trusted side checks type and shape before use.
Register one with ``@inspector("name")``; it is called as ``fn(obj, **params)``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Callable

import numpy as np

INSPECTORS: dict[str, Callable[..., Any]] = {}


def inspector(name: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    def register(fn: Callable[..., Any]) -> Callable[..., Any]:
        INSPECTORS[name] = fn
        return fn

    return register


@inspector("type")
def type_of(obj: Any) -> dict[str, Any]:
    """The class of an object and whether it is callable."""
    cls = type(obj)
    return {"module": cls.__module__, "name": cls.__qualname__, "callable": callable(obj)}


# -- Keras --------------------------------------------------------------------------
# Keras is imported inside each inspector: workers of numpy-only assignments never load it.

SUBMISSION_DIR = os.getcwd()  # the worker starts in the submission's folder, before student code can chdir


@inspector("keras_describe")
def keras_describe(obj: Any) -> dict[str, Any]:
    """A Keras model as plain data: class, build and compile state, shapes, layers, parameter counts.

    Whether a model was trained cannot be seen; ``weights_fingerprint`` (the
    sum of the absolute values of every weight) lets the grader compare two
    fresh builds, or a fresh build with a trained model.
    """
    import keras

    model = obj
    is_model = isinstance(model, keras.Model)
    description: dict[str, Any] = {
        "class": type(model).__name__,
        "module": type(model).__module__,
        "is_model": is_model,
        "is_sequential": isinstance(model, keras.Sequential),
    }
    if not is_model:
        return description
    built = bool(model.built)
    optimizer = getattr(model, "optimizer", None)
    description.update({
        "built": built,
        "compiled": bool(getattr(model, "compiled", False)),
        "optimizer": type(optimizer).__name__ if optimizer is not None else None,
        "loss": _loss_name(getattr(model, "loss", None)),
        "input_shape": _shape(lambda: model.input_shape),
        "output_shape": _shape(lambda: model.output_shape),
        "layers": [_layer(layer) for layer in model.layers],
        "params": int(model.count_params()) if built else None,
        "weights_fingerprint": float(sum(float(np.abs(np.asarray(w, dtype=np.float64)).sum())
                                         for w in model.get_weights())) if built else None,
    })
    return description


@inspector("keras_load_model")
def keras_load_model(obj: Any, *, path: str) -> Any:
    """Load a saved model (``.keras``) from the submission folder; the grader gets a remote handle to it."""
    import keras

    relative = Path(str(path))
    if relative.is_absolute() or ".." in relative.parts:
        raise ValueError(f"{path}: a model file must be named relative to the submission folder")
    full = Path(SUBMISSION_DIR) / relative
    if not full.is_file():
        raise FileNotFoundError(f"{path}: no such file in the submission")
    return keras.saving.load_model(str(full), safe_mode=True)


@inspector("keras_predict")
def keras_predict(obj: Any, *, x: Any, batch_size: int = 256) -> np.ndarray:
    """``model.predict(x)`` without a progress bar, as a float32 array."""
    predictions = obj.predict(x, batch_size=int(batch_size), verbose=0)
    if isinstance(predictions, (list, tuple, dict)):
        raise TypeError(f"the model returns {type(predictions).__name__} of outputs, not one array")
    return np.asarray(predictions, dtype=np.float32)


def _shape(get: Callable[[], Any]) -> list | None:
    try:
        shape = get()
    except (AttributeError, ValueError, RuntimeError):  # not built, or several inputs
        return None
    if isinstance(shape, tuple) and all(d is None or isinstance(d, int) for d in shape):
        return [None if d is None else int(d) for d in shape]
    return None


def _loss_name(loss: Any) -> str | None:
    if loss is None:
        return None
    if isinstance(loss, str):
        return loss
    name = getattr(loss, "__name__", None) or getattr(loss, "name", None)
    return str(name) if name else type(loss).__name__


def _layer(layer: Any) -> dict[str, Any]:
    activation = getattr(layer, "activation", None)
    built = bool(getattr(layer, "built", False))
    return {
        "class": type(layer).__name__,
        "name": str(layer.name),
        "units": int(layer.units) if isinstance(getattr(layer, "units", None), int) else None,
        "activation": getattr(activation, "__name__", None) if activation is not None else None,
        "params": int(layer.count_params()) if built else None,
        "output_shape": _shape(lambda: layer.output.shape) if built else None,
    }


@inspector("call_keeps_inputs")
def call_keeps_inputs(fn: Any, *, args: list, kwargs: dict | None = None) -> dict[str, Any]:
    """Call ``fn`` and say, per array argument, whether the call left it unchanged."""
    import numpy as np

    before = [np.array(a, copy=True) if isinstance(a, np.ndarray) else None for a in args]
    result = fn(*args, **(kwargs or {}))
    kept = [bool(b is None or (a.shape == b.shape and np.array_equal(a, b, equal_nan=True))) for a, b in zip(args, before)]
    return {"kept": kept, "result": result}
