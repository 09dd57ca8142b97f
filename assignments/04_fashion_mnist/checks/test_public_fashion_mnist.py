"""Public checks of 04_fashion_mnist: build_model() builds a Keras model of the right shape (run them with `grade check`).

Grading also measures the accuracy of the trained `model` on 5,000 images you
have not seen: 0.85 or more earns full points.
"""

from autograder.checks import expect_true, fail
from autograder.engine.client import RemoteObject

INPUTS = ((None, 28, 28), (None, 784), (None, 28, 28, 1))


def describe_built(submission):
    model = submission.function("build_model")()
    if not isinstance(model, RemoteObject):
        fail("build_model()", expected="a Keras model", got=model)
    info = submission.inspect("keras_describe", model)
    if not isinstance(info, dict) or info.get("is_model") is not True:
        fail("build_model()", expected="a Keras model", got=f"a {model.type_name}")
    return info


def shape(info, key):
    value = info.get(key)
    return tuple(value) if isinstance(value, list) else None


def test_build_model_builds(submission):
    info = describe_built(submission)
    expect_true(info.get("compiled") is True, what="build_model()", expected="a compiled model (model.compile(...))",
                got="a model not compiled")


def test_input_and_output_shapes(submission):
    info = describe_built(submission)
    expect_true(shape(info, "input_shape") in INPUTS, what="build_model(): input shape", expected="(None, 28, 28)",
                got=str(shape(info, "input_shape")),
                hint="첫 층으로 keras.Input(shape=(28, 28))를 넣으세요 / make keras.Input(shape=(28, 28)) the first layer")
    expect_true(shape(info, "output_shape") == (None, 10), what="build_model(): output shape", expected="(None, 10)",
                got=str(shape(info, "output_shape")))
