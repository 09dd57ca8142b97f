"""Advice for Keras 2 code: errors it raises under Keras 3, idioms that only warn."""

from __future__ import annotations

import signal

import pytest

from autograder.grading import hints
from autograder.grading.hints import Hint, explain_error, explain_source, hint_for_error, hints_for_source

SLIDES = '''%matplotlib inline
from keras.models import Sequential
from keras.layers.core import Dense, Activation  # from the 2019 slides
model = Sequential()
model.add(Dense(32, input_dim=2, activation="sigmoid"))
model.add(Dense(1, activation="sigmoid"))
model.compile(loss="mean_squared_error", optimizer=SGD(lr=0.1))
model.fit(X, y, nb_epoch=1000, verbose=0)
print(model.predict_classes(X))
'''


def test_keras_layers_core_says_what_to_import_instead():
    text = hint_for_error("ModuleNotFoundError", "No module named 'keras.layers.core'", "from keras.layers.core import Dense")
    assert text == ("Keras 3에는 `keras.layers.core` 모듈이 없습니다. `from keras.layers import Dense`처럼 `keras.layers`에서 "
                    "가져오세요. / Keras 3 has no module `keras.layers.core`: import from `keras.layers` instead, "
                    "e.g. `from keras.layers import Dense`.")


def test_the_suggested_import_keeps_the_students_names():
    hint = explain_error("ModuleNotFoundError", "No module named 'keras.layers.core'",
                         "    from keras.layers.core import (Dense, Flatten)  # copied")
    assert "`from keras.layers import Dense, Flatten`" in hint.message
    assert "`from keras.layers import Dense, Flatten`" in hint.message_ko


@pytest.mark.parametrize("module", ["keras.layers.convolutional", "keras.layers.advanced_activations", "keras.engine.topology"])
def test_other_keras_2_modules_point_at_keras_layers(module):
    hint = explain_error("ModuleNotFoundError", f"No module named '{module}'", "")
    assert "import from `keras.layers` instead" in hint.message


def test_tf_keras_paths_get_the_same_advice():
    hint = explain_error("ModuleNotFoundError", "No module named 'tensorflow.keras.layers.core'",
                         "from tensorflow.keras.layers.core import Dense")
    assert hint.message.startswith("Keras 3 has no module `keras.layers.core`")
    assert "`from keras.layers import Dense`" in hint.message


@pytest.mark.parametrize("ename, evalue, expected", [
    ("ImportError", "cannot import name 'np_utils' from 'keras.utils' (/site-packages/keras/utils/__init__.py)",
     "`from keras.utils import to_categorical`"),
    ("ModuleNotFoundError", "No module named 'keras.utils.np_utils'", "`from keras.utils import to_categorical`"),
    ("ImportError", "cannot import name 'adam' from 'keras.optimizers' (/x.py)", "`from keras.optimizers import Adam`"),
    ("ValueError", "Argument(s) not recognized: {'lr': 0.1}", "write `learning_rate=` instead"),
    ("TypeError", "TensorFlowTrainer.fit() got an unexpected keyword argument 'nb_epoch'", "write `epochs=` instead"),
    ("ValueError", "Unrecognized keyword arguments passed to Dense: {'init': 'uniform'}", "write `kernel_initializer=` instead"),
    ("AttributeError", "'Sequential' object has no attribute 'predict_classes'", "`np.argmax(model.predict(x), axis=1)`"),
])
def test_keras_3_errors_from_keras_2_code(ename, evalue, expected):
    assert expected in explain_error(ename, evalue, "").message


@pytest.mark.parametrize("ename, evalue", [
    ("ModuleNotFoundError", "No module named 'numpyy'"),
    ("ModuleNotFoundError", "No module named 'keras.wrappers'"),
    ("ValueError", "Argument(s) not recognized: {'momentum_x': 0.1}"),
    ("AttributeError", "'list' object has no attribute 'shape'"),
    ("ZeroDivisionError", "division by zero"),
    ("NameError", ""),
])
def test_other_errors_get_no_hint(ename, evalue):
    assert hint_for_error(ename, evalue, "import numpy as np") is None


def test_the_slides_code_gets_one_hint_per_keras_2_line():
    found = explain_source(SLIDES)
    assert [line for line, _ in found] == [3, 5, 7, 8, 9]
    assert "`from keras.layers import Dense, Activation`" in found[0][1].message
    assert found[1][1].message == ("`Dense(..., input_dim=...)` is Keras 2 style (Keras 3 warns about it): make "
                                   "`keras.Input(shape=(2,))` the first layer instead: "
                                   "`keras.Sequential([keras.Input(shape=(2,)), ...])`.")
    assert "첫 층으로 `keras.Input(shape=(2,))`를 넣으세요" in found[1][1].message_ko


def test_flatten_with_input_shape_suggests_keras_input():
    [(line, text)] = hints_for_source("model = keras.models.Sequential([\n    keras.layers.Flatten(input_shape=[28, 28]),\n])")
    assert line == 2
    assert "`keras.Input(shape=(28, 28))`" in text and "Flatten(..., input_shape=...)" in text


def test_a_keyword_on_a_continuation_line_is_found():
    [(line, text)] = hints_for_source("model.add(Dense(32,\n                input_dim=2))\n")
    assert line == 2 and "`keras.Input(shape=(2,))`" in text


def test_comments_strings_and_the_students_own_functions_are_left_alone():
    source = ('# model.add(Dense(32, input_dim=2))\n'
              'print("Dense(3, input_dim=2) and SGD(lr=0.1)")\n'
              'def train(lr=0.1, nb_epoch=3):\n'
              '    return lr\n'
              'x = keras.Input(shape=(2,))\n'
              'layer = keras.layers.InputLayer(input_shape=(2,))\n')
    assert hints_for_source(source) == []


def test_keras_3_code_gets_no_hints():
    source = ("import keras\nfrom keras.layers import Dense\n"
              "model = keras.Sequential([keras.Input(shape=(2,)), Dense(32, activation='sigmoid'), Dense(1)])\n"
              "model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.1), loss='mse')\n"
              "model.fit(X, y, epochs=10)\n")
    assert hints_for_source(source) == []


def test_a_cell_the_tokenizer_cannot_read_is_still_searched():
    source = '!pip install keras\ns = """unclosed\nfrom keras.layers.core import Dense\n'
    assert [line for line, _ in hints_for_source(source)] == [1, 3]  # the shell escape, then the Keras 2 import


def test_hints_carry_both_languages_for_feedback():
    hint = explain_error("ModuleNotFoundError", "No module named 'keras.layers.core'", "")
    assert isinstance(hint, Hint)
    assert set(hint.to_dict()) == {"message", "message_ko"}
    assert hint.text == f"{hint.message_ko} / {hint.message}"


@pytest.mark.parametrize("source", [
    "from os import (path" + " " * 300_000 + "x",  # quadratic for a lazy group before \s*$
    "from keras.layers.core import (Dense" + " " * 300_000 + ")\n",
    "f(" * 300_000,  # every call scanned to the line's end
    ("f(a," * 400 + "\n") * 400,
])
def test_crafted_lines_are_scanned_in_bounded_time(source: str) -> None:
    """Each of these took minutes (or hours at 1 MB) before; now the scan is linear and its input bounded."""
    def too_slow(*_):
        raise TimeoutError("the hint scanner is not linear")

    previous = signal.signal(signal.SIGALRM, too_slow)
    signal.alarm(60)  # a bound, not a speed claim: the old scanner needed minutes for the first case
    try:
        assert isinstance(hints.explain_source(source), list)
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def test_long_lines_are_skipped_and_hints_still_found_around_them() -> None:
    source = "x = [" + "1, " * 2000 + "]\nmodel.add(Dense(32, input_dim=2))\n"
    assert [lineno for lineno, _ in hints.explain_source(source)] == [2]


COLAB_CELLS = '''!pip install -q tensorflow
from google.colab import drive
drive.mount('/content/drive')
files = !ls /content
%pip install scikit-learn
model = keras.Sequential()  # not a shell line
'''


def test_shell_escapes_and_installers_get_the_not_run_hint_on_their_line():
    lines = [lineno for lineno, hint in explain_source(COLAB_CELLS) if "not run during grading" in hint.message]
    assert lines == [1, 4, 5]
    hint = dict(explain_source(COLAB_CELLS))[1]
    assert "채점 중에 실행되지 않습니다" in hint.message_ko


def test_a_bash_cell_gets_one_hint_not_one_per_line():
    assert [(n, "not run during grading" in h.message) for n, h in explain_source("%%bash\npip install x\nls -l\n")] \
        == [(1, True)]


@pytest.mark.parametrize("evalue", ["No module named 'google.colab'", "No module named 'google'"])
def test_google_colab_imports_say_drive_is_not_mounted(evalue):
    hint = explain_error("ModuleNotFoundError", evalue, "from google.colab import drive")
    assert "Google Drive is not mounted when grading" in hint.message
    assert "Google Drive가 연결되지 않으니" in hint.message_ko


def test_a_comparison_or_a_percent_is_not_a_shell_line():
    assert explain_source("x = a != b\ny = 10 % 3\nprint('!pip')\n") == []


def test_a_crafted_assignment_line_is_no_slower_to_scan():
    """The shell-line pattern has no two parts that match the same characters: linear in the line."""
    assert explain_source("a" + " ," * 999 + "\n" + ("x" + " " * 1990 + "=\n") * 100) == []
