"""How long grader processes live: none outlives the command that started it.

- :func:`stop_on_signals`: SIGTERM and SIGHUP interrupt the main thread the way
  Ctrl-C does (a ``KeyboardInterrupt``), so every ``finally`` runs and workers
  are stopped; :func:`stop_signal` says which signal it was.
- :func:`watch_lifeline`: a pool process (``batch/pool.py``) dies within moments
  of this process (it watches a pipe this process holds); on an interrupt the
  pool's graders are stopped instead of waited for (:func:`stop_processes`).
- Owner tags: scratch folders, cgroups and workers' environments carry the pid
  and start time of the grader process that made them, so the next start
  (:func:`remove_leftovers_once`, and the cgroup code) removes only what a dead
  grader left, never what a live one still uses.

Workers: bubblewrap's ``--die-with-parent`` under the sandbox; in plain mode
``reaper.py`` runs in front of the worker and kills its whole tree when the
grader process dies (``PR_SET_PDEATHSIG``, Linux only).
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import re
import signal
import tempfile
import threading
import time
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Iterator

import psutil

from autograder.engine import scratch

STOP_SIGNALS = (signal.SIGTERM, signal.SIGHUP)
OWNER_VARIABLE = "GRADE_WORKER_OWNER"  # PID_START of the grader, in every worker's environment
PID_MAX = 1 << 22  # Linux's largest possible pid
STOP_GRACE_S = 2.0  # how long a stopped pool's graders get to stop their workers and clean up
LEFTOVER = re.compile(r"^grade-(?:probe-)?(?P<pid>\d+)_(?P<start>\d+)-")

_stopped_by: int | None = None


# -- signals ---------------------------------------------------------------------------


@contextlib.contextmanager
def stop_on_signals() -> Iterator[None]:
    """While inside, the first SIGTERM or SIGHUP raises ``KeyboardInterrupt`` in the main thread; later ones are ignored."""
    global _stopped_by
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    _stopped_by = None

    def stop(signum: int, frame) -> None:
        global _stopped_by
        if _stopped_by is None:
            _stopped_by = signum
            raise KeyboardInterrupt(signal.Signals(signum).name)

    saved = {s: signal.signal(s, stop) for s in STOP_SIGNALS}
    try:
        yield
    finally:
        for s, handler in saved.items():
            signal.signal(s, handler)


def stop_signal() -> int:
    """The signal that stopped the command: SIGTERM or SIGHUP as caught by :func:`stop_on_signals`, else SIGINT."""
    return _stopped_by or signal.SIGINT


# -- dying with the parent -----------------------------------------------------------------


def watch_lifeline(lifeline: Connection) -> None:
    """In a pool process: die (SIGKILL) as soon as the process holding the other end of ``lifeline`` is gone.

    A pool process's parent is the forkserver, which lives on as long as any pool
    process holds its pipe, so PR_SET_PDEATHSIG alone would never fire: the pool
    process watches the main process itself. Its workers follow it (bwrap's
    --die-with-parent, or reaper.py in plain mode).
    """
    def watch() -> None:
        with contextlib.suppress(OSError, EOFError):
            while not lifeline.poll(None):
                pass
        os.kill(os.getpid(), signal.SIGKILL)

    threading.Thread(target=watch, name="grade-lifeline", daemon=True).start()


def stop_processes(processes: list[multiprocessing.process.BaseProcess]) -> None:
    """Stop the graders now: each kills its own worker on the way out (KeyboardInterrupt).

    One that has not finished within ``STOP_GRACE_S`` is killed; its worker follows
    it and the next start removes what it left on disk.
    """
    for process in processes:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(process.pid, signal.SIGINT)
    deadline = time.monotonic() + STOP_GRACE_S
    for process in processes:
        process.join(timeout=max(0.0, deadline - time.monotonic()))
    for process in processes:
        if process.is_alive():
            process.kill()
            process.join(timeout=5)


# -- owners of leftovers -------------------------------------------------------------------


def start_ticks(pid: int) -> int | None:
    """When ``pid`` started (clock ticks since boot on Linux, else milliseconds); None when it does not exist."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            return int(f.read().rpartition(b")")[2].split()[19])
    except FileNotFoundError:
        if os.path.isdir("/proc/self"):
            return None
    except (OSError, ValueError, IndexError):
        return None
    try:
        return int(psutil.Process(pid).create_time() * 1000)
    except psutil.Error:
        return None


def owner_tag() -> str:
    """``PID_START`` of this process, for names of what it leaves on disk or in cgroupfs."""
    return f"{os.getpid()}_{start_ticks(os.getpid())}"


def owner_alive(pid: int, start: int | None) -> bool:
    """Whether the process that made a tagged thing still runs (same pid and start time)."""
    if pid == os.getpid() or not 0 < pid <= PID_MAX:  # not a pid: a name some other program made, not ours
        return True
    now = start_ticks(pid)
    if now is None:  # gone, or there but unreadable: then it is not ours to judge
        return psutil.pid_exists(pid)
    return start is None or now == start


def scratch_prefix(kind: str = "") -> str:
    """Prefix of a temporary folder this process owns: ``grade-[KIND-]PID_START-``."""
    return f"grade-{kind + '-' if kind else ''}{owner_tag()}-"


def remove_leftovers(folder: Path | None = None) -> list[Path]:
    """Remove scratch and probe folders in ``folder`` (default: the temp folder) whose owner is dead."""
    folder = Path(folder or tempfile.gettempdir())
    removed = []
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return removed
    for entry in entries:
        match = LEFTOVER.match(entry.name)
        if match is None or not entry.is_dir(follow_symlinks=False):
            continue
        if owner_alive(int(match["pid"]), int(match["start"])):
            continue
        try:
            scratch.remove(entry.path)  # any depth, read-only folders too
        except OSError:
            continue
        removed.append(Path(entry.path))
    return removed


def kill_orphans() -> list[int]:
    """SIGKILL processes started for a grader that is dead (``OWNER_VARIABLE`` in their environment).

    A backstop for what the parent-death chain missed (a sandbox left waiting
    when its grader died during start-up). Returns the pids killed.
    """
    killed = []
    prefix = f"{OWNER_VARIABLE}=".encode()
    for p in psutil.process_iter():
        try:
            with open(f"/proc/{p.pid}/environ", "rb") as f:
                tags = [item[len(prefix):] for item in f.read().split(b"\0") if item.startswith(prefix)]
            if not tags or p.pid == os.getpid():
                continue
            pid, _, start = tags[0].decode("ascii", "replace").partition("_")
            if not owner_alive(int(pid), int(start)):
                p.kill()
                killed.append(p.pid)
        except (OSError, ValueError, psutil.Error):
            continue
    return killed


_cleaned: set[int] = set()


def remove_leftovers_once() -> None:
    """Once per process, when it starts its first worker: clean up after graders that were killed."""
    if os.getpid() not in _cleaned:
        _cleaned.add(os.getpid())
        kill_orphans()
        remove_leftovers()
