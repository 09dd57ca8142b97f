"""An IPython shell that behaves like a Jupyter kernel, minus the network and the shell.

``GradingShell`` is IPython's ``InteractiveShell`` with what ipykernel adds and a
plain shell lacks: outputs collected per cell as nbformat v4 outputs in the
order they were written (streams, ``display()``, figures, the last value),
``%matplotlib inline|notebook|widget`` with figures captured as PNG, and
``plt.show()`` that neither blocks nor fails. What the sandbox forbids is not run
but said: shell escapes and installers (``!cmd``, ``!!cmd``, ``%pip``,
``%conda``, ``%%bash``, ``%system``...) print a note in Korean and English and
the cell goes on; ``%tensorboard`` prints a note instead of starting a server;
``input()`` raises EOFError at once; ``%timeit`` is bounded.
"""

from __future__ import annotations

import base64
import builtins
import functools
import io
import re
import sys
import time
from typing import Any, Callable

from autograder.engine.worker.ipython_import import lean_import

with lean_import():
    from IPython.core.displayhook import DisplayHook
    from IPython.core.displaypub import DisplayPublisher
    from IPython.core.interactiveshell import InteractiveShell
    from IPython.utils.text import SList
    from traitlets.config import Config

OUTPUT_CAP = 64 * 1024  # characters of text output kept per cell, as for a module
# What the grader keeps of a run report (engine/run_report.py): 64k characters per output value, 1M in all.
IMAGE_CAP = 64 * 1024  # base64 characters of one figure; a larger one is scaled down to fit
IMAGE_SHRINK_MAX = 4 * 1024 * 1024  # larger than this a figure is not even scaled down
IMAGES_PER_CELL = 10
IMAGE_CHARS_PER_NOTEBOOK = 640 * 1024  # all figures of a notebook together
TEXT_CHARS_PER_NOTEBOOK = 256 * 1024  # all text output of a notebook together
OUTPUTS_PER_CELL = 14  # outputs kept per cell, beside a note that more were dropped and an error
KEPT_MIMES = ("text/plain", "image/png")
INLINE_BACKEND = "module://matplotlib_inline.backend_inline"
# Every GUI a student may ask for becomes inline: there is no screen in a sandbox.
INLINE_GUIS = {"inline", "notebook", "nbagg", "widget", "ipympl", "qt", "qt5", "qt6", "tk", "gtk", "gtk3", "gtk4",
               "wx", "osx", "macosx", "auto"}
SHELL_MAGICS = {"pip", "conda", "mamba", "micromamba", "system", "sx", "bash", "sh", "script", "perl", "ruby",
                "python2", "python3", "pypy"}
# IPython makes a cell magic per interpreter, %%bash, %%sh, %%perl and so on, with an argument parser each:
# 8 ms of every worker's start. All but %%python are in SHELL_MAGICS, replaced anyway: only it is made.
# The input history is kept in memory (In, _i1, %history work as ever): no SQLite file written in the
# student's folder and no thread to write it, 15 ms of every worker's start.
SHELL_CONFIG = Config({"ScriptMagics": {"script_magics": ["python"]}, "HistoryManager": {"hist_file": ":memory:"}})
SHELL_NOTE = "[채점 중에는 셸 명령을 실행하지 않습니다 / shell command not run during grading: {command}]"
TENSORBOARD_NOTE = ("[채점 중에는 TensorBoard 서버를 띄우지 않습니다. 로그는 그대로 기록됩니다 / "
                    "TensorBoard is not started during grading; the logs are still written: %tensorboard {line}]")
INPUT_MESSAGE = ("채점 중에는 input()으로 입력을 받을 수 없습니다 / "
                 "input() cannot read anything during grading: no one is typing")
TIMEIT_REPEATS, TIMEIT_MAX_REPEATS, TIMEIT_MAX_LOOPS = 3, 7, 10_000
COMMAND_SHOWN = 200  # characters of a shell command repeated in its note
RELAY_EVERY_S = 0.5  # at most two printed lines relayed per second
RELAY_LINE_CAP = 4096
EPOCH_HEADER = "Epoch "  # what Keras's fit(verbose=1 or 2) prints before each epoch: always relayed


class CellOutputs:
    """One cell's outputs as nbformat v4 dicts, text capped, adjacent stream writes merged.

    ``image_room`` is what the whole notebook may still keep of figures (base64 characters).
    """

    def __init__(self, image_room: int = IMAGE_CHARS_PER_NOTEBOOK, text_room: int = TEXT_CHARS_PER_NOTEBOOK) -> None:
        self.items: list[dict[str, Any]] = []
        self.chars = self.dropped = self.dropped_outputs = self.images = 0
        self.image_room, self.text_room = image_room, text_room

    def _room(self) -> int:
        return max(min(OUTPUT_CAP - self.chars, self.text_room), 0)

    def _took(self, n: int) -> None:
        self.chars += n
        self.text_room -= n

    def stream(self, name: str, text: str) -> None:
        kept = text[:self._room()]
        self.dropped += len(text) - len(kept)
        if not kept:
            return
        last = self.items[-1] if self.items else None
        if last is not None and last["output_type"] == "stream" and last["name"] == name:
            last["text"] += kept
        elif len(self.items) < OUTPUTS_PER_CELL:
            self.items.append({"output_type": "stream", "name": name, "text": kept})
        else:
            self.dropped += len(kept)
            return
        self._took(len(kept))

    def rich(self, kind: str, data: dict[str, Any]) -> None:
        kept: dict[str, str] = {}
        text = data.get("text/plain")
        if isinstance(text, str):
            kept["text/plain"] = text[:self._room()]
            self._took(len(kept["text/plain"]))
            self.dropped += len(text) - len(kept["text/plain"])
        png = data.get("image/png")
        if isinstance(png, bytes) and len(png) <= IMAGE_SHRINK_MAX * 3 // 4:
            png = base64.b64encode(png).decode("ascii")
        if isinstance(png, str) and IMAGE_CAP < len(png) <= IMAGE_SHRINK_MAX:
            png = _scaled_down(png)
        if (isinstance(png, str) and len(png) <= min(IMAGE_CAP, self.image_room)
                and self.images < IMAGES_PER_CELL):
            kept["image/png"] = png
            self.images += 1
            self.image_room -= len(png)
        elif png is not None:
            kept["text/plain"] = "[image not kept: too large or too many]"
        if kept and len(self.items) < OUTPUTS_PER_CELL:
            self.items.append({"output_type": kind, "data": kept, "metadata": {}})
        elif kept:
            self.dropped_outputs += 1

    def clear(self) -> None:
        self.items.clear()

    def finish(self) -> list[dict[str, Any]]:
        """The outputs, with one note at the end on what was not kept."""
        lost = [f"{self.dropped} more characters of output"] if self.dropped else []
        lost += [f"{self.dropped_outputs} more outputs"] if self.dropped_outputs else []
        if lost:
            self.items.append({"output_type": "stream", "name": "stderr",
                               "text": f"\n... [{' and '.join(lost)} not kept]\n"})
        return self.items


class CellStream:
    """sys.stdout / sys.stderr while a cell runs: writes go to the cell's outputs."""

    encoding = "utf-8"
    errors = "replace"

    def __init__(self, shell: GradingShell, name: str) -> None:
        self.shell, self.name = shell, name

    def write(self, s: Any) -> int:
        s = str(s)
        self.shell.outputs.stream(self.name, s)
        if self.name == "stdout" and self.shell.relay is not None:
            self.shell.relay.write(s)
        return len(s)

    def writelines(self, lines: Any) -> None:
        for line in lines:
            self.write(line)

    def flush(self) -> None:
        pass

    def isatty(self) -> bool:
        return False

    def writable(self) -> bool:
        return True

    def fileno(self) -> int:
        raise OSError("no file descriptor: output is captured per cell")


class LineRelay:
    """Hands the last complete line a cell printed to ``on_line``, at most every ``every`` seconds,
    and every Keras epoch header (``Epoch 3/30``) whenever it comes: a fast epoch must not be skipped.

    The worker's cap on progress messages (protocol.MAX_PROGRESS_MESSAGES) bounds both.
    """

    def __init__(self, on_line: Callable[[str], None], every: float = RELAY_EVERY_S) -> None:
        self.on_line, self.every, self.sent_at, self.pending = on_line, every, 0.0, ""

    def write(self, s: str) -> None:
        *done, self.pending = (self.pending[-RELAY_LINE_CAP:] + s).replace("\r", "\n").split("\n")
        lines = [line.strip()[:RELAY_LINE_CAP] for line in done if line.strip()]
        for line in lines:
            if line.startswith(EPOCH_HEADER):
                self.on_line(line)
        if lines and not lines[-1].startswith(EPOCH_HEADER) and time.monotonic() - self.sent_at >= self.every:
            self.sent_at = time.monotonic()
            self.on_line(lines[-1])


class CellDisplayPublisher(DisplayPublisher):
    """``display()`` and figures: a display_data output of the running cell."""

    def publish(self, data, metadata=None, source=None, *, transient=None, update=False, **kwargs) -> None:
        if isinstance(data, dict):
            self.shell.outputs.rich("display_data", data)

    def clear_output(self, wait: bool = False) -> None:
        self.shell.outputs.clear()


class CellDisplayHook(DisplayHook):
    """The cell's last value: an execute_result with its formatted representations."""

    def write_output_prompt(self) -> None:
        pass

    def write_format_data(self, format_dict, md_dict=None) -> None:
        self.shell.outputs.rich("execute_result", format_dict)


class GradingShell(InteractiveShell):
    """IPython as ipykernel configures it, with the sandbox's exceptions said aloud."""

    display_pub_class = CellDisplayPublisher
    displayhook_class = CellDisplayHook

    def __init__(self, **kwargs: Any) -> None:
        self.outputs = CellOutputs()
        self.relay: LineRelay | None = None  # progress: the last line printed, for the grader to show
        super().__init__(**kwargs)

    # -- what the sandbox forbids ------------------------------------------------

    def system(self, cmd: str) -> None:
        _note_shell(cmd)

    system_piped = system_raw = system

    def getoutput(self, cmd: str, split: bool = True, depth: int = 0) -> SList:
        _note_shell(cmd.lstrip("!"))
        return SList()

    def find_line_magic(self, magic_name: str) -> Any:
        return _replaced("line", magic_name, super().find_line_magic(magic_name))

    def find_cell_magic(self, magic_name: str) -> Any:
        return _replaced("cell", magic_name, super().find_cell_magic(magic_name))

    def _find_with_lazy_load(self, /, type_: str, magic_name: str) -> Any:
        """IPython 9 runs ``%magic`` and ``%%magic`` through here, not through ``find_*_magic``."""
        return _replaced(type_, magic_name, super()._find_with_lazy_load(type_, magic_name))

    def enable_gui(self, gui: str | None = None) -> None:
        """Inline figures need no event loop."""

    def enable_matplotlib(self, gui: str | None = None) -> tuple[str, str]:
        if gui is None or gui in INLINE_GUIS:
            gui = "inline"
        return super().enable_matplotlib(gui)

    # -- running a cell ----------------------------------------------------------

    def _showtraceback(self, etype: Any, evalue: Any, stb: Any) -> None:
        """The runner records the error as the cell's error output; nothing is printed."""

    def run_cell_as(self, number: int, source: str, *, on_line: Callable[[str], None] | None = None
                    ) -> tuple[Any, list[dict[str, Any]]]:
        """Run ``source`` as cell ``In [number]``; return IPython's result and the cell's outputs.

        ``on_line`` hears of the last line the cell printed, now and then (progress for the grader).
        """
        self.outputs = CellOutputs(self.outputs.image_room, self.outputs.text_room)
        self.relay = LineRelay(on_line) if on_line is not None else None
        self.execution_count = number
        saved = sys.stdout, sys.stderr
        sys.stdout, sys.stderr = CellStream(self, "stdout"), CellStream(self, "stderr")
        try:
            result = self.run_cell(source, store_history=True, silent=False)
        finally:
            sys.stdout, sys.stderr = saved
        return result, self.outputs.finish()


def start_shell() -> GradingShell:
    """The one shell of this worker, ready to run cells as Jupyter would."""
    import os

    os.environ["MPLBACKEND"] = INLINE_BACKEND  # as ipykernel sets it: figures show at the end of a cell
    with lean_import():  # the completer's jedi: tab completion never happens here
        shell = GradingShell.instance(colors="NoColor", config=SHELL_CONFIG)
    builtins.input = _no_input
    import getpass

    getpass.getpass = _no_input
    return shell


def _scaled_down(png: str) -> str | None:
    """A figure too large for the report, with every 2nd (3rd, 4th) pixel kept until it fits; else None."""
    from matplotlib import image

    try:
        pixels = image.imread(io.BytesIO(base64.b64decode(png)), format="png")
        for step in (2, 3, 4):
            out = io.BytesIO()
            image.imsave(out, pixels[::step, ::step], format="png")
            small = base64.b64encode(out.getvalue()).decode("ascii")
            if len(small) <= IMAGE_CAP:
                return small
    except Exception:  # a PNG the student made may be anything
        return None
    return None


def _replaced(kind: str, magic_name: str, real: Any) -> Any:
    """What runs for ``%magic_name`` (kind "line") or ``%%magic_name`` (kind "cell") while grading."""
    if getattr(real, "replaced_for_grading", False):  # IPython 8 finds through find_*_magic: already done
        return real
    if magic_name in SHELL_MAGICS:
        if kind == "cell":
            return lambda line="", cell="": _note_shell(f"%%{magic_name} {line}".rstrip() + "\n" + cell)
        return lambda line="": _note_shell(f"%{magic_name} {line}")
    if magic_name == "tensorboard" and kind == "line" and real is not None:
        return lambda line="": print(TENSORBOARD_NOTE.format(line=line[:COMMAND_SHOWN]))
    if magic_name == "timeit" and real is not None:
        return _bounded(real)
    return real


def _no_input(prompt: Any = "", *args: Any, **kwargs: Any) -> str:
    raise EOFError(INPUT_MESSAGE)


def _note_shell(command: str) -> None:
    command = " ".join(str(command).split())
    shown = command if len(command) <= COMMAND_SHOWN else command[:COMMAND_SHOWN - 3] + "..."
    print(SHELL_NOTE.format(command=shown))


_TIMEIT_OPTION = re.compile(r"(^|\s)-([nr])\s*(\d+)")


def _bounded(timeit: Any) -> Any:
    """``%timeit`` / ``%%timeit`` with its options bounded, keeping what IPython reads off the magic."""
    @functools.wraps(timeit)
    def bounded(line: str = "", cell: str | None = None, local_ns: dict | None = None) -> Any:
        return timeit(_bounded_timeit(line), cell, local_ns)

    bounded.replaced_for_grading = True
    return bounded


def _bounded_timeit(line: str) -> str:
    """``%timeit`` options with the repeats and loops capped, and fewer repeats by default."""
    def cap(match: re.Match) -> str:
        most = TIMEIT_MAX_LOOPS if match.group(2) == "n" else TIMEIT_MAX_REPEATS
        return f"{match.group(1)}-{match.group(2)} {min(int(match.group(3)), most)}"

    line = _TIMEIT_OPTION.sub(cap, line)
    if not re.search(r"(^|\s)-r\s*\d", line):
        line = f"-r {TIMEIT_REPEATS} {line}"
    return line
