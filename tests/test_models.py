"""grading/models.py: Keras models read from exported data on the trusted side, rebuilt and run by the evaluator."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from autograder.engine.client import EvaluatorProxy, SubmissionProxy, WorkerSession
from autograder.grading.checks import CheckFailed
from autograder.grading.models import Evaluator, export_model, summarize
from autograder.grading.rubric import Limits
from autograder.grading.submissions import load_submission


def dense(units: int, activation: str) -> dict:
    return {"module": "keras.layers", "class_name": "Dense", "registered_name": None,
            "config": {"name": f"d{units}", "units": units, "activation": activation}}


def sequential(*layers: dict, batch_shape: list | None = None) -> str:
    first = [{"module": "keras.layers", "class_name": "InputLayer", "registered_name": None,
              "config": {"batch_shape": batch_shape}}] if batch_shape else []
    return json.dumps({"module": "keras", "class_name": "Sequential", "registered_name": None,
                       "config": {"name": "s", "layers": first + list(layers)}})


def test_a_config_is_read_on_the_trusted_side():
    compile_config = {"optimizer": {"module": "keras.optimizers", "class_name": "Adam", "config": {"name": "adam"}},
                      "loss": {"module": "keras.losses", "class_name": "BinaryCrossentropy",
                               "config": {"name": "binary_crossentropy"}}}
    summary = summarize(sequential(dense(32, "sigmoid"), dense(1, "sigmoid"), batch_shape=[None, 2]),
                        compile_config, what="m")
    assert summary.is_sequential and summary.compiled
    assert summary.input_shape == (None, 2)
    assert [(layer.kind, layer.units, layer.activation) for layer in summary.layers] == [
        ("Dense", 32, "sigmoid"), ("Dense", 1, "sigmoid")]
    assert summary.hidden_units == [32] and summary.final_activation == "sigmoid"
    assert (summary.loss, summary.optimizer) == ("binary_crossentropy", "Adam")


def test_an_uncompiled_model_without_an_input_says_so():
    summary = summarize(sequential(dense(3, "linear")), {}, what="m")
    assert not summary.compiled and summary.input_shape is None
    assert "keras.Input" in summary.show_input()


@pytest.mark.parametrize("layer, named", [
    ({"module": "keras.layers", "class_name": "Lambda", "config": {"function": "..."}}, "a Lambda layer"),
    ({"module": "__main__", "class_name": "MyDense", "config": {}}, "MyDense from __main__"),
    (dense(4, {"module": "os", "class_name": "system", "config": "rm"}), "system from os"),
])
def test_a_layer_keras_does_not_build_in_is_a_clear_failure(layer, named):
    with pytest.raises(CheckFailed) as caught:
        summarize(sequential(layer, batch_shape=[None, 2]), {}, what="model")
    assert named in caught.value.message and "safe_mode=True" in caught.value.message


@pytest.mark.parametrize("config, says", [
    ("not json", "not JSON"), (json.dumps({"class_name": "Dense", "config": {}}), "a Dense"), (42, "int"),
])
def test_a_config_that_is_not_a_model_fails_the_check(config, says):
    with pytest.raises(CheckFailed, match=says):
        summarize(config, {}, what="model")


MODELS = '''
import keras
import numpy as np

keras.utils.set_random_seed(1)
model = keras.Sequential([keras.Input(shape=(2,)), keras.layers.Dense(4, activation="relu"),
                          keras.layers.Dense(1, activation="sigmoid")])
model.compile(loss="mse", optimizer="adam")
lam = keras.Sequential([keras.Input(shape=(2,)), keras.layers.Lambda(lambda x: x * 2)])


class Liar:
    """Claims the architecture of `model` but has no weights."""

    def to_json(self):
        return model.to_json()

    def get_compile_config(self):
        return model.get_compile_config()

    def get_weights(self):
        return []
'''


@pytest.mark.slow
def test_the_evaluator_predicts_what_the_exported_model_computes(tmp_path: Path):
    path = tmp_path / "models.py"
    path.write_text(MODELS, encoding="utf-8")
    submission = load_submission(path)
    limits = Limits(call_timeout=60, timeout=120, memory_mb=2048)
    student = WorkerSession(submission, limits=limits, requires=["keras"])
    evaluator = WorkerSession(submission, limits=limits, requires=["keras"], evaluator=True)
    try:
        proxy, models = SubmissionProxy(student), Evaluator(EvaluatorProxy(evaluator))
        x = np.random.default_rng(0).normal(size=(8, 2)).astype(np.float32)
        exported = export_model(proxy.value("model"), what="model")
        assert exported.summary.input_shape == (None, 2) and exported.summary.loss == "mse"
        rebuilt = models.predict(models.rebuild(exported), x, what="predict")
        own = proxy.value("model").call("predict", x, verbose=0)
        np.testing.assert_allclose(rebuilt, own, rtol=1e-5, atol=1e-6)
        with pytest.raises(CheckFailed, match="a Lambda layer"):
            export_model(proxy.value("lam"), what="lam")
        liar = export_model(proxy.function("Liar")(), what="Liar()")
        with pytest.raises(CheckFailed, match="weight list of length 0"):
            models.rebuild(liar)
    finally:
        student.close()
        evaluator.close()
