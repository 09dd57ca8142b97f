"""Public checks of 03_xor_mlp: build_xor_model() builds a Keras model of the right shape (run them with `grade check`).

Grading also checks that the trained `model` computes XOR and that each call of
build_xor_model() makes a new, compiled model.
"""

from autograder.checks import expect_true, fail
from autograder.engine.client import RemoteObject


def describe_built(submission):
    model = submission.function("build_xor_model")()
    if not isinstance(model, RemoteObject):
        fail("build_xor_model()", expected="a Keras model", got=model)
    info = submission.inspect("keras_describe", model)
    if not isinstance(info, dict) or info.get("is_model") is not True:
        fail("build_xor_model()", expected="a Keras model", got=f"a {model.type_name}")
    return info


def shape(info, key):
    value = info.get(key)
    return tuple(value) if isinstance(value, list) else None


def test_build_xor_model_builds(submission):
    info = describe_built(submission)
    expect_true(info.get("is_sequential") is True, what="build_xor_model()", expected="a keras.Sequential model",
                got=f"a {info.get('class')}")


def test_input_and_output_shapes(submission):
    info = describe_built(submission)
    expect_true(shape(info, "input_shape") == (None, 2), what="build_xor_model(): input shape", expected="(None, 2)",
                got=str(shape(info, "input_shape")),
                hint="첫 층으로 keras.Input(shape=(2,))를 넣으세요 / make keras.Input(shape=(2,)) the first layer")
    expect_true(shape(info, "output_shape") == (None, 1), what="build_xor_model(): output shape", expected="(None, 1)",
                got=str(shape(info, "output_shape")))
