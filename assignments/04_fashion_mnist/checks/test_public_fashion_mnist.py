"""Public checks of 04_fashion_mnist: build_model() builds a Keras model of the right shape (run them with `grade check`).

Grading also measures the accuracy of the trained `model` on 5,000 images you
have not seen: 0.85 or more earns full points.
"""

from autograder.checks import expect_true
from autograder.grading.models import export_model

INPUTS = ((None, 28, 28), (None, 784), (None, 28, 28, 1))


def test_build_model_builds(submission):
    summary = export_model(submission.function("build_model")(), what="build_model()").summary
    expect_true(summary.compiled, what="build_model()", expected="a compiled model (model.compile(...))",
                got="a model not compiled")


def test_input_and_output_shapes(submission):
    summary = export_model(submission.function("build_model")(), what="build_model()").summary
    expect_true(summary.input_shape in INPUTS, what="build_model(): input shape", expected="(None, 28, 28)",
                got=summary.show_input(),
                hint="첫 층으로 keras.Input(shape=(28, 28))를 넣으세요 / make keras.Input(shape=(28, 28)) the first layer")
    units = summary.dense[-1].units if summary.dense else None
    expect_true(units == 10, what="build_model(): output layer", expected="Dense(10, ...): one unit per class",
                got=f"{units} units" if units is not None else "no Dense layer")
