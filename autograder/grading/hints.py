"""Advice for code copied from Keras 2 slides, in Korean and English.

Pure text processing on the trusted side: nothing here imports or runs the
student's code. Two entry points:

- :func:`hint_for_error` explains an error a cell raised (``ename``, ``evalue``
  and the line that raised), e.g. ``ModuleNotFoundError: No module named
  'keras.layers.core'``;
- :func:`hints_for_source` finds Keras 2 idioms in a cell's (or module's) source
  that still run under Keras 3 but warn or mean something else, e.g.
  ``Dense(32, input_dim=2)`` or ``Flatten(input_shape=[28, 28])``.

Both return text with the Korean sentence first, then the English one.
:func:`explain_error` and :func:`explain_source` return the two languages apart.
"""

from __future__ import annotations

import io
import re
import tokenize
from dataclasses import dataclass


@dataclass(frozen=True)
class Hint:
    """One piece of advice in both languages (the keys feedback reads: ``message_ko``, ``message``)."""

    message_ko: str
    message: str

    @property
    def text(self) -> str:
        return f"{self.message_ko} / {self.message}"

    def to_dict(self) -> dict[str, str]:
        return {"message_ko": self.message_ko, "message": self.message}


# Keras 2 modules that Keras 3 no longer has, and where their contents live now.
MOVED_MODULES = {
    "keras.layers.core": "keras.layers",
    "keras.layers.convolutional": "keras.layers",
    "keras.layers.pooling": "keras.layers",
    "keras.layers.recurrent": "keras.layers",
    "keras.layers.normalization": "keras.layers",
    "keras.layers.advanced_activations": "keras.layers",
    "keras.layers.embeddings": "keras.layers",
    "keras.layers.merge": "keras.layers",
    "keras.engine": "keras.layers",
    "keras.utils.np_utils": "keras.utils",
}
RENAMED_ARGUMENTS = {  # Keras 2 keyword -> Keras 3 keyword
    "lr": "learning_rate",
    "nb_epoch": "epochs",
    "init": "kernel_initializer",
    "W_regularizer": "kernel_regularizer",
    "b_regularizer": "bias_regularizer",
}

_NO_MODULE = re.compile(r"No module named '([\w.]+)'")
_CANNOT_IMPORT = re.compile(r"cannot import name '(\w+)' from '([\w.]+)'")
_UNRECOGNIZED = re.compile(r"(?:Unrecognized keyword arguments passed to \w+|Argument\(s\) not recognized): \{'(\w+)'")
_UNEXPECTED_KEYWORD = re.compile(r"unexpected keyword argument '(\w+)'")
_NO_ATTRIBUTE = re.compile(r"has no attribute '(\w+)'")
_FROM_IMPORT = re.compile(r"^\s*from\s+([\w.]+)\s+import\s+(\S.*)")  # no lazy group before \s*$: that is quadratic
_IMPORT = re.compile(r"^\s*import\s+([\w.]+)")


# -- errors --------------------------------------------------------------------------


def explain_error(ename: str, evalue: str, source_line: str = "") -> Hint | None:
    """Advice for an error raised by Keras 2 code under Keras 3, or None when it is not one."""
    evalue, line = str(evalue or ""), str(source_line or "")
    if ename in ("ModuleNotFoundError", "ImportError"):
        match = _NO_MODULE.search(evalue)
        if match and (match.group(1).startswith("google.colab") or "google.colab" in line):
            return _COLAB
        if match:
            return _moved_module_hint(match.group(1), line)
        match = _CANNOT_IMPORT.search(evalue)
        if match:
            return _cannot_import_hint(match.group(1), match.group(2))
    if ename in ("ValueError", "TypeError"):
        match = _UNRECOGNIZED.search(evalue) or _UNEXPECTED_KEYWORD.search(evalue)
        if match and match.group(1) in RENAMED_ARGUMENTS:
            return _renamed_argument_hint(match.group(1))
    if ename == "AttributeError":
        match = _NO_ATTRIBUTE.search(evalue)
        if match and match.group(1) == "predict_classes":
            return _PREDICT_CLASSES
    return None


def hint_for_error(ename: str, evalue: str, source_line: str = "") -> str | None:
    """:func:`explain_error` as one line of text (Korean / English), or None."""
    hint = explain_error(ename, evalue, source_line)
    return hint.text if hint else None


def _moved_module_hint(missing: str, line: str) -> Hint | None:
    old = _tf_alias(missing)
    module = next((m for m in sorted(MOVED_MODULES, key=len, reverse=True) if old == m or old.startswith(m + ".")), None)
    if module is None:
        return None
    if module == "keras.utils.np_utils":
        return _NP_UTILS
    target = MOVED_MODULES[module]
    write = _rewrite_import(line, old, target) or f"from {target} import Dense"
    return Hint(
        f"Keras 3에는 `{old}` 모듈이 없습니다. `{write}`처럼 `{target}`에서 가져오세요.",
        f"Keras 3 has no module `{old}`: import from `{target}` instead, e.g. `{write}`.",
    )


def _cannot_import_hint(name: str, module: str) -> Hint | None:
    if name == "np_utils":
        return _NP_UTILS
    if module.endswith("keras.optimizers") and name.lower() in ("sgd", "adam", "rmsprop", "adagrad", "adadelta", "adamax", "nadam"):
        proper = {"sgd": "SGD", "rmsprop": "RMSprop"}.get(name.lower(), name.capitalize())
        return Hint(
            f"Keras 3의 옵티마이저 클래스 이름은 대문자로 시작합니다: `from keras.optimizers import {proper}`"
            f" (또는 compile에 문자열 `optimizer=\"{name.lower()}\"`).",
            f"Keras 3 optimizer classes are capitalised: `from keras.optimizers import {proper}`"
            f" (or pass the string `optimizer=\"{name.lower()}\"` to compile).",
        )
    return None


def _renamed_argument_hint(old: str) -> Hint:
    new = RENAMED_ARGUMENTS[old]
    return Hint(f"Keras 3에서는 `{old}=` 대신 `{new}=`를 쓰세요.", f"Keras 3 has no `{old}=` argument: write `{new}=` instead.")


_NP_UTILS = Hint(
    "Keras 3에는 `np_utils`가 없습니다. `from keras.utils import to_categorical`을 쓰세요.",
    "Keras 3 has no `np_utils`: write `from keras.utils import to_categorical`.",
)
_PREDICT_CLASSES = Hint(
    "Keras 3 모델에는 `predict_classes`가 없습니다. `np.argmax(model.predict(x), axis=1)`을 쓰세요.",
    "Keras 3 models have no `predict_classes`: write `np.argmax(model.predict(x), axis=1)`.",
)
_COLAB = Hint(
    "`google.colab`은 Colab에만 있습니다. 채점할 때는 Google Drive가 연결되지 않으니 "
    "과제 안내대로 데이터를 읽으세요(예: `keras.datasets`). 이 셀이 실패해도 다른 셀은 실행됩니다.",
    "`google.colab` exists only in Colab: Google Drive is not mounted when grading, so read the data as the "
    "assignment says (e.g. `keras.datasets`). The other cells still run when this one fails.",
)
_SHELL = Hint(
    "셸 명령과 설치 명령(`!...`, `%pip`, `%conda`, `%%bash`)은 채점 중에 실행되지 않습니다. 필요한 패키지는 "
    "채점 환경에 이미 있으니, 코드가 설치나 셸 명령 없이 돌아가게 하세요.",
    "Shell commands and installers (`!...`, `%pip`, `%conda`, `%%bash`) are not run during grading. The packages "
    "the course uses are already installed there: make the code work without installing or shelling out.",
)
_SHELL_LINE = re.compile(  # linear: no two parts can match the same characters
    r"^\s*(?:!|%(?:pip|conda|mamba|micromamba|system|sx)\b|[\w.]+(?:\s*,\s*[\w.]+)*\s*=\s*(?:!|%(?:sx|system)\b))")
_SHELL_CELL = re.compile(r"^\s*%%(?:bash|sh|script|system|perl|ruby)\b")
_INPUT_ARGUMENT = (
    "`{call}(..., {arg}=...)`는 Keras 2 방식입니다(Keras 3에서는 경고가 납니다). 첫 층으로 `keras.Input(shape={shape})`를 "
    "넣으세요: `keras.Sequential([keras.Input(shape={shape}), ...])`.",
    "`{call}(..., {arg}=...)` is Keras 2 style (Keras 3 warns about it): make `keras.Input(shape={shape})` the first "
    "layer instead: `keras.Sequential([keras.Input(shape={shape}), ...])`.",
)


def _tf_alias(module: str) -> str:
    return module[len("tensorflow."):] if module.startswith("tensorflow.keras") else module


def _rewrite_import(line: str, old: str, target: str) -> str | None:
    """The import line rewritten for Keras 3: ``from keras.layers import Dense, Flatten``."""
    code = line.split("#", 1)[0]
    match = _FROM_IMPORT.match(code)
    if match:
        module = _tf_alias(match.group(1))
        if module == old or module.startswith(old + "."):
            return f"from {target} import {match.group(2).strip('() ')}"
        return None
    return None


# -- source ----------------------------------------------------------------------------


def explain_source(source: str) -> list[tuple[int, Hint]]:
    """Keras 2 idioms and shell escapes in ``source`` (a cell or a module): ``[(line number, Hint)]``, in line order.

    Linear in the source's size, which is bounded: the first :data:`MAX_SOURCE`
    characters, lines of at most :data:`MAX_LINE` characters.
    """
    lines = [line if len(line) <= MAX_LINE else "" for line in source[:MAX_SOURCE].splitlines()]
    if lines and _SHELL_CELL.match(lines[0]):
        return [(1, _SHELL)]
    found: list[tuple[int, Hint]] = [(i, _SHELL) for i, line in enumerate(lines, 1) if _SHELL_LINE.match(line)]
    shell_lines = {i for i, _ in found}
    for lineno, code in _code_lines("\n".join(lines)):
        if lineno in shell_lines:
            continue
        hint = _line_hint(code)
        if hint:
            found.append((lineno, hint))
    return sorted(found, key=lambda item: item[0])


def hints_for_source(source: str) -> list[tuple[int, str]]:
    """:func:`explain_source` as ``[(line number, text)]`` (Korean / English)."""
    return [(lineno, hint.text) for lineno, hint in explain_source(source)]


OPTIMIZERS = {"SGD", "Adam", "RMSprop", "Adagrad", "Adadelta", "Adamax", "Nadam", "AdamW"}
FIT_METHODS = {"fit", "fit_generator", "evaluate_generator"}
_CALL = re.compile(r"\b(\w+)\s*\(")  # \b: no retry from inside a long word
_KEYWORD = re.compile(r"\s*(\w+)\s*=(?!=)")
MAX_SOURCE = 200_000  # characters of a cell or module scanned for hints (the tokenizer takes ~1 s for these)
MAX_LINE = 2000  # longer lines hold no Keras 2 idiom worth a hint, and are skipped
_CONTINUED_KEYWORD = re.compile(r"^\s*(\w+)\s*=(?!=)\s*(.*)$")


def _line_hint(code: str) -> Hint | None:
    match = _FROM_IMPORT.match(code) or _IMPORT.match(code)
    if match:
        module = _tf_alias(match.group(1))
        if any(module == m or module.startswith(m + ".") for m in MOVED_MODULES):
            return _moved_module_hint(match.group(1), code)
        if re.match(r"^\s*from\s+(tensorflow\.)?keras\.utils\s+import\s+.*\bnp_utils\b", code):
            return _NP_UTILS
        return None
    calls = _calls(code)
    continued = _CONTINUED_KEYWORD.match(code)  # a keyword on a continuation line of a call
    if continued and not calls:
        calls = [("", {continued.group(1): _argument(continued.group(2), 0)[0]})]
    for name, keywords in calls:
        layer = not name or name[:1].isupper()
        for arg in ("input_shape", "input_dim"):
            if arg in keywords and layer and name not in ("Input", "InputLayer"):
                value = keywords[arg].strip()
                shape = f"({value},)" if arg == "input_dim" else _as_tuple(value)
                return Hint(*(text.format(call=name or "Dense", arg=arg, shape=shape) for text in _INPUT_ARGUMENT))
        for arg in keywords:
            if (arg == "lr" and name in OPTIMIZERS) or (arg == "nb_epoch" and name in FIT_METHODS) or (
                    arg in ("init", "W_regularizer", "b_regularizer") and layer):
                return _renamed_argument_hint(arg)
    if re.search(r"\.predict_classes\s*\(", code):
        return _PREDICT_CLASSES
    return None


def _calls(code: str) -> list[tuple[str, dict[str, str]]]:
    """Every call on a line: its name and keyword arguments (values as written), up to the line's end.

    One pass over the line with a stack of the calls still open: linear in its length.
    """
    starts = {m.end() - 1: m.group(1) for m in _CALL.finditer(code)}  # "(" -> the name before it
    found: list[tuple[str, dict[str, str]]] = []
    open_calls: list[list] = []  # [keywords, bracket depth of its arguments, where the current argument starts]
    depth = 0

    def argument_ends(call: list, end: int) -> None:
        keyword = _KEYWORD.match(code, call[2], end)
        if keyword:
            call[0][keyword.group(1)] = code[keyword.end():end].strip()

    for i, c in enumerate(code):
        if c in "([{":
            depth += 1
            if c == "(" and i in starts:
                call = [{}, depth, i + 1]
                found.append((starts[i], call[0]))
                open_calls.append(call)
        elif c in ")]}":
            if c == ")" and open_calls and open_calls[-1][1] == depth:
                argument_ends(open_calls.pop(), i)
            depth = max(depth - 1, 0)
        elif c == "," and open_calls and open_calls[-1][1] == depth:
            argument_ends(open_calls[-1], i)
            open_calls[-1][2] = i + 1
    for call in open_calls:
        argument_ends(call, len(code))
    return found


def _argument(code: str, i: int) -> tuple[str, int]:
    """The argument starting at ``i``, up to a top-level ``,`` or ``)``; and where it ends."""
    depth, start = 0, i
    while i < len(code):
        c = code[i]
        if c in "([{":
            depth += 1
        elif c in ")]}":
            if depth == 0:
                break
            depth -= 1
        elif c == "," and depth == 0:
            break
        i += 1
    return code[start:i].strip(), i


def _as_tuple(value: str) -> str:
    """``[28, 28]`` -> ``(28, 28)``; anything else as written."""
    inner = value.strip()
    if inner.startswith("[") and inner.endswith("]"):
        items = [i.strip() for i in inner[1:-1].split(",") if i.strip()]
        return f"({', '.join(items)}{',' if len(items) == 1 else ''})"
    return inner


def _code_lines(source: str) -> list[tuple[int, str]]:
    """(line number, code) with comments dropped and string literals emptied, columns kept.

    Uses the tokenizer so that ``# input_dim=2`` or ``print("lr=0.1")`` is not
    advice-worthy; a cell the tokenizer cannot read (an unclosed string, IPython
    syntax it trips on) falls back to lines with their ``#`` comments cut.
    """
    lines = source.splitlines()
    try:
        kept: dict[int, list[str]] = {}
        for tok in tokenize.generate_tokens(io.StringIO(source).readline):
            if tok.type in (tokenize.COMMENT, tokenize.NL, tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT,
                            tokenize.ENDMARKER) or not tok.string:
                continue
            (row, col), (end_row, end_col) = tok.start, tok.end
            text = tok.string if tok.type != tokenize.STRING else '""'
            if end_row != row:  # a string over several lines: kept as an empty string on its first
                end_col = col + len(text)
            buffer = kept.setdefault(row, [])
            buffer.extend(" " * (col - len(buffer)))
            buffer[col:] = list(text.ljust(end_col - col))
    except (tokenize.TokenError, IndentationError, SyntaxError):
        return [(i, line.split("#", 1)[0]) for i, line in enumerate(lines, 1) if line.split("#", 1)[0].strip()]
    return [(row, "".join(chars)) for row, chars in sorted(kept.items()) if "".join(chars).strip()]
