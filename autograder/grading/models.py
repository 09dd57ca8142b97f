"""Keras models as evidence: exported as data by the student's worker, rebuilt and run by the evaluator.

Phase 1: :func:`export_model` asks the student's model (a remote handle) for
``to_json()``, ``get_compile_config()`` and ``get_weights()``: plain data,
whatever the student's process did to itself. Phase 2: :class:`Evaluator`
sends that data to a fresh worker that never ran student code, which rebuilds
the model with ``safe_mode=True`` and computes predictions. Architecture and
compile checks read the exported config here, on the trusted side
(:func:`summarize`); accuracy is computed here too. A forged export is simply
the model that gets graded.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import numpy as np

from autograder.engine.client import EvaluatorProxy, RemoteObject
from autograder.engine.errors import StudentError
from autograder.grading.checks import fail

MAX_CONFIG_CHARS = 2_000_000
MAX_WEIGHT_ARRAYS = 1_000
MAX_WEIGHT_VALUES = 50_000_000  # 200 MB of float32; the course's largest model has 266,610
KERAS_MODELS = ("Sequential", "Functional", "Model")
BUILT_IN = "a model of built-in Keras layers and activations (keras.saving, safe_mode=True)"


@dataclass(frozen=True)
class Layer:
    """One layer as its config says: class, units (Dense) and activation."""

    kind: str
    units: int | None = None
    activation: str | None = None


@dataclass(frozen=True)
class ModelSummary:
    """What the exported config says about a model, read on the trusted side."""

    kind: str  # "Sequential" or "Functional"
    input_shape: tuple | None  # with None for the batch axis; None when the model has no input yet
    layers: tuple[Layer, ...]
    loss: str | None = None
    optimizer: str | None = None

    @property
    def is_sequential(self) -> bool:
        return self.kind == "Sequential"

    @property
    def compiled(self) -> bool:
        return self.optimizer is not None

    @property
    def dense(self) -> list[Layer]:
        return [layer for layer in self.layers if layer.kind == "Dense"]

    @property
    def hidden_units(self) -> list[int | None]:
        """Units of every Dense layer but the last."""
        return [layer.units for layer in self.dense[:-1]]

    @property
    def final_activation(self) -> str | None:
        """The activation of the last layer that has one ("linear" when a Dense has none)."""
        for layer in reversed(self.layers):
            if layer.activation is not None:
                return layer.activation
        return None

    def show_input(self) -> str:
        return "unknown (the model has no input shape: start it with keras.Input(shape=...))" \
            if self.input_shape is None else str(self.input_shape)


@dataclass(eq=False)
class ModelData:
    """A model exported as data: what the evaluator rebuilds and the checks read."""

    what: str  # how messages name it: "model", "build_xor_model()"
    config: str
    compile_config: dict
    weights: list[np.ndarray]
    summary: ModelSummary

    def same_weights(self, other: ModelData) -> bool:
        return len(self.weights) == len(other.weights) and all(
            a.shape == b.shape and np.array_equal(a, b) for a, b in zip(self.weights, other.weights))


# -- phase 1: the student's worker exports data ------------------------------------------------


def export_model(value: Any, *, what: str) -> ModelData:
    """The config, compile config and weights of a model in the student's worker; a failed check if it is none."""
    if not isinstance(value, RemoteObject):  # plain data came back, not an object
        fail(what, expected="a Keras model", got=value)
    try:
        config = value.call("to_json")
        compile_config = value.call("get_compile_config")
        weights = value.call("get_weights")
    except StudentError as e:
        fail(what, expected="a Keras model", got=f"a {value.type_name} ({e.ename}: {e.evalue[:200]})")
    compile_config = {} if compile_config is None else compile_config
    if not isinstance(compile_config, dict):
        fail(f"{what}.get_compile_config()", expected="a dict", got=compile_config)
    return ModelData(what, config, compile_config, _weights(weights, what), summarize(config, compile_config, what=what))


def _weights(weights: Any, what: str) -> list[np.ndarray]:
    if not isinstance(weights, list) or len(weights) > MAX_WEIGHT_ARRAYS:
        fail(f"{what}.get_weights()", expected=f"a list of at most {MAX_WEIGHT_ARRAYS} arrays", got=type(weights).__name__)
    if not all(isinstance(w, np.ndarray) and w.dtype.kind == "f" for w in weights):
        fail(f"{what}.get_weights()", expected="float arrays", got=[getattr(w, "dtype", type(w).__name__) for w in weights][:10])
    if sum(w.size for w in weights) > MAX_WEIGHT_VALUES:
        fail(f"{what}.get_weights()", expected=f"at most {MAX_WEIGHT_VALUES:,} weights", got=f"{sum(w.size for w in weights):,}")
    return weights


# -- reading a config on the trusted side ------------------------------------------------------


def summarize(config: Any, compile_config: dict, *, what: str) -> ModelSummary:
    """Read a model's JSON config (``model.to_json()``) and compile config; a failed check if malformed."""
    if not isinstance(config, str) or len(config) > MAX_CONFIG_CHARS:
        fail(f"{what}.to_json()", expected=f"a JSON text of at most {MAX_CONFIG_CHARS:,} characters",
             got=type(config).__name__ if not isinstance(config, str) else f"{len(config):,} characters")
    try:
        data = json.loads(config)
    except (ValueError, RecursionError):
        fail(f"{what}.to_json()", expected="a Keras model config (JSON)", got="text that is not JSON")
    if not isinstance(data, dict) or data.get("class_name") not in KERAS_MODELS or not isinstance(data.get("config"), dict):
        got = data.get("class_name") if isinstance(data, dict) else type(data).__name__
        fail(what, expected="a Keras model (keras.Sequential or keras.Model)", got=f"a {str(got)[:80]}")
    foreign = _not_built_in(data)
    if foreign:
        fail(what, expected=BUILT_IN, got=foreign,
             hint="Lambda 층과 직접 만든 층·활성화 함수는 채점할 수 없습니다 / "
                  "Lambda layers and your own layer or activation classes cannot be graded")
    body = data["config"]
    layers = [_layer(entry) for entry in body.get("layers", []) if isinstance(entry, dict)]
    return ModelSummary(
        kind=str(data["class_name"]), input_shape=_input_shape(body),
        layers=tuple(layer for layer in layers if layer.kind != "InputLayer"),
        loss=_name_of(compile_config.get("loss")), optimizer=_name_of(compile_config.get("optimizer")),
    )


def _not_built_in(tree: Any, depth: int = 0) -> str | None:
    """The first class in a config that is not Keras's own (or a Lambda layer), as a message; else None."""
    if depth > 64:
        return "a config nested too deeply"
    if isinstance(tree, list):
        return next((found for item in tree if (found := _not_built_in(item, depth + 1))), None)
    if not isinstance(tree, dict):
        return None
    module, name = tree.get("module"), tree.get("class_name")
    if isinstance(name, str) and "module" in tree:
        if name == "Lambda":
            return "a Lambda layer"
        # "builtins": Keras looks such names up among its own functions only (e.g. an activation's name)
        if not (module in (None, "builtins") or (isinstance(module, str) and module.split(".")[0] == "keras")):
            return f"{name[:80]} from {str(module)[:80]}"
    return next((found for value in tree.values() if (found := _not_built_in(value, depth + 1))), None)


def _layer(entry: dict) -> Layer:
    config = entry.get("config") if isinstance(entry.get("config"), dict) else {}
    units = config.get("units")
    return Layer(str(entry.get("class_name"))[:80], units if type(units) is int else None,
                 _name_of(config.get("activation")))


def _input_shape(body: dict) -> tuple | None:
    for entry in body.get("layers", []):
        if isinstance(entry, dict) and entry.get("class_name") == "InputLayer" and isinstance(entry.get("config"), dict):
            shape = _shape(entry["config"].get("batch_shape") or entry["config"].get("batch_input_shape"))
            if shape is not None:
                return shape
    return _shape(body.get("build_input_shape"))


def _shape(value: Any) -> tuple | None:
    if isinstance(value, list) and len(value) <= 8 and all(d is None or type(d) is int for d in value):
        return tuple(value)
    return None


def _name_of(value: Any) -> str | None:
    """A loss, optimizer or activation as a name: "mse", {"class_name": "Adam"} -> "Adam", a loss's config name."""
    if isinstance(value, str):
        return value[:80]
    if isinstance(value, dict):
        config = value.get("config")
        if isinstance(config, str):  # a function: {"class_name": "function", "config": "mean_squared_error"}
            return config[:80]
        if isinstance(config, dict) and isinstance(config.get("name"), str) and value.get("module") == "keras.losses":
            return config["name"][:80]
        if isinstance(value.get("class_name"), str):
            return value["class_name"][:80]
    return None


# -- phase 2: the evaluator rebuilds and predicts ----------------------------------------------


class Evaluator:
    """The ``evaluator`` fixture: a worker that never ran student code."""

    def __init__(self, proxy: EvaluatorProxy) -> None:
        self._proxy = proxy

    def rebuild(self, data: ModelData) -> RemoteObject:
        """The model rebuilt from its config and weights; a failed check when Keras cannot rebuild it."""
        try:
            model = self._proxy.evaluate("rebuild", what=f"rebuilding {data.what} from its config and weights",
                                         config=data.config, weights=data.weights)
        except StudentError as e:
            fail(f"{data.what}: rebuilt from model.to_json() and model.get_weights()",
                 expected="a Keras model that Keras rebuilds from this config and these weights "
                          "(built-in layers only, safe_mode=True)", got=f"{e.ename}: {e.evalue[:300]}")
        if not isinstance(model, RemoteObject):
            fail(data.what, expected="a Keras model", got="something else after rebuilding")
        return model

    def load_file(self, name: str) -> tuple[RemoteObject, ModelSummary]:
        """A submitted ``.keras`` file loaded with ``safe_mode=True``, and its summary."""
        try:
            loaded = self._proxy.evaluate("load_model_file", what=f"loading {name}", name=name)
        except StudentError as e:
            fail(name, expected="a Keras model saved with model.save(...), built-in layers only",
                 got=f"a file Keras cannot load ({e.ename}: {e.evalue[:300]})")
        if not isinstance(loaded, dict) or not isinstance(loaded.get("model"), RemoteObject):
            fail(name, expected="a Keras model", got="something else")
        compile_config = loaded.get("compile_config") if isinstance(loaded.get("compile_config"), dict) else {}
        return loaded["model"], summarize(loaded.get("config"), compile_config, what=name)

    def predict(self, model: RemoteObject, x: np.ndarray, *, what: str, batch_size: int = 256) -> np.ndarray:
        """The rebuilt model's predictions for ``x``: a float array with one row per input row."""
        try:
            got = self._proxy.evaluate("predict", model, what=what, x=np.asarray(x, dtype=np.float32),
                                       batch_size=batch_size)
        except StudentError as e:
            fail(what, expected="predictions", got=f"{e.ename}: {e.evalue[:300]}")
        if not isinstance(got, np.ndarray) or got.dtype.kind != "f" or got.ndim == 0 or len(got) != len(x):
            fail(what, expected=f"an array of {len(x)} rows of float predictions", got=getattr(got, "shape", got))
        return got
