"""Public checks of 03_xor_mlp: build_xor_model() builds a Keras model of the right shape (run them with `grade check`).

Grading also checks that the trained `model` computes XOR and that each call of
build_xor_model() makes a new, compiled model.
"""

from autograder.checks import expect_true
from autograder.grading.models import export_model


def test_build_xor_model_builds(submission):
    summary = export_model(submission.function("build_xor_model")(), what="build_xor_model()").summary
    expect_true(summary.is_sequential, what="build_xor_model()", expected="a keras.Sequential model",
                got=f"a {summary.kind}")


def test_input_and_output_shapes(submission):
    summary = export_model(submission.function("build_xor_model")(), what="build_xor_model()").summary
    expect_true(summary.input_shape == (None, 2), what="build_xor_model(): input shape", expected="(None, 2)",
                got=summary.show_input(),
                hint="첫 층으로 keras.Input(shape=(2,))를 넣으세요 / make keras.Input(shape=(2,)) the first layer")
    units = summary.dense[-1].units if summary.dense else None
    expect_true(units == 1, what="build_xor_model(): output layer", expected="Dense(1, ...): one output unit",
                got=f"{units} units" if units is not None else "no Dense layer")
