"""The grader's end of the zygote (``worker/zygote.py``): numpy workers forked, not started.

A fresh worker spends most of a numpy notebook's grading importing numpy and
IPython. A zygote imports them once, and every numpy worker is forked from it
into a sandbox bubblewrap has just made for that worker alone
(:func:`autograder.engine.sandbox.start_worker`). ``grade batch`` starts one
zygote before its grading processes and lends it to them (:func:`lend`,
:func:`borrow`), so its imports overlap their start; a process whose zygote
dies starts one of its own.

Only batches use it (:func:`enable`): one ``grade check`` would pay the same
imports in the zygote. Keras workers, evaluators and workers without
bubblewrap are always started fresh. A zygote that cannot start, or dies, is
said once on stderr and its workers are started fresh; grading goes on.
"""

from __future__ import annotations

import contextlib
import json
import os
import select
import socket
import subprocess
import sys
import threading
from dataclasses import dataclass
from typing import Any, Callable, Iterator

from autograder.engine.worker.zygote import HELLO

READY_TIMEOUT = 30.0
SPAWN_TIMEOUT = 20.0
_enabled = False
_zygotes: dict[tuple, Zygote] = {}  # by the workers' environment (sandbox._zygote_key)
_lock = threading.Lock()


class ZygoteUnavailable(RuntimeError):
    """The zygote could not fork this worker: start it fresh."""


def enable(on: bool = True) -> None:
    """Fork numpy workers from a zygote in this process (a batch's grading process does)."""
    global _enabled
    _enabled = on


def enabled() -> bool:
    return _enabled


@contextlib.contextmanager
def forking() -> Iterator[None]:
    """Fork numpy workers while inside; the zygotes it started are stopped after."""
    if _enabled:
        yield
        return
    enable()
    try:
        yield
    finally:
        enable(False)
        close_all()


class Zygote:
    """One zygote and this process's end of the socket it serves.

    Every request carries one more descriptor, a socket of its own that the answer comes
    back on, so several processes may hold the same end and ask at once: a batch's
    grading processes share the zygote its CLI started (:func:`lend`, :func:`borrow`).
    """

    def __init__(self, channel: socket.socket, proc: subprocess.Popen | None, pid: int) -> None:
        self.channel, self.proc, self.pid = channel, proc, pid  # proc: None where another process started it
        self.seccomp: bool | None = None  # known once it is ready

    @classmethod
    def start(cls, env: dict[str, str], *, uid: int | None, gid: int | None, seccomp: bool) -> Zygote:
        """Start a zygote; it imports while the caller goes on (:meth:`ready` waits for it)."""
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        argv = [sys.executable, *_SAFE_PATH, "-m", "autograder.engine.worker.zygote", "--socket", str(theirs.fileno())]
        argv += [*(["--uid", str(uid)] if uid is not None else []), *(["--gid", str(gid)] if gid is not None else [])]
        argv += ["--seccomp"] if seccomp else []
        try:
            proc = subprocess.Popen(argv, env=env, cwd="/", stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                    stderr=subprocess.DEVNULL, pass_fds=(theirs.fileno(),), start_new_session=True)
        except BaseException:
            ours.close()
            raise
        finally:
            theirs.close()
        return cls(ours, proc, proc.pid)

    def ready(self) -> None:
        """Wait until it has imported everything (once); raise :class:`ZygoteUnavailable` if it cannot."""
        if self.seccomp is not None:
            return
        reply = self._ask(HELLO, [], READY_TIMEOUT)  # answered once its imports are done
        if not reply.get("ready"):
            self.close()
            raise ZygoteUnavailable(f"the zygote did not start: {str(reply.get('error', reply))[-300:]}")
        self.seccomp = bool(reply.get("seccomp"))

    def spawn(self, request: dict[str, Any], fds: list[int]) -> int:
        """Fork a worker for ``request`` with ``fds``; its pid here (it waits at its gate)."""
        self.ready()
        if not self.alive():
            raise ZygoteUnavailable("the zygote stopped")
        reply = self._ask(json.dumps(request).encode(), fds, SPAWN_TIMEOUT)
        if not isinstance(reply.get("pid"), int):
            raise ZygoteUnavailable(f"the zygote could not fork a worker: {str(reply.get('error', reply))[:300]}")
        return reply["pid"]

    def _ask(self, message: bytes, fds: list[int], timeout: float) -> dict[str, Any]:
        answer, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        with answer:
            try:
                socket.send_fds(self.channel, [message], [*fds, theirs.fileno()])
            except OSError as e:
                self.close()
                raise ZygoteUnavailable(f"the zygote stopped answering: {e}") from None
            finally:
                theirs.close()
            answer.settimeout(timeout)
            try:
                data = answer.recv(65536)
            except TimeoutError:
                self.close()
                raise ZygoteUnavailable(f"the zygote did not answer in {timeout:.0f} s") from None
            except OSError:
                data = b""
        if not data:  # it died with the question unread, or while forking
            self.close()
            raise ZygoteUnavailable("the zygote stopped")
        try:
            reply = json.loads(data)
        except ValueError:
            reply = None
        return reply if isinstance(reply, dict) else {"error": "an unreadable reply"}

    def alive(self) -> bool:
        if self.channel.fileno() < 0:
            return False
        if self.proc is not None:
            return self.proc.poll() is None
        # Lent by another process: nobody here reads this socket, so it polls readable only once the zygote is gone.
        return not select.select([self.channel], [], [], 0)[0]

    def close(self) -> None:
        self.channel.close()
        if self.proc is None:  # lent: its owner stops it
            return
        if self.proc.poll() is None:
            self.proc.kill()
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:  # pragma: no cover
            pass


def shared(key: tuple, make_env: Callable[[], dict[str, str]], *, uid: int | None, gid: int | None, seccomp: bool,
           wait: bool = True) -> Zygote | None:
    """This process's zygote for workers alike in ``key`` (their environment), started if need be.

    With ``wait``, ready to fork; without, perhaps still importing (a batch starts it while it
    collects its checks). None when it cannot run here: workers then start fresh.
    """
    with _lock:
        zygote = _zygotes.get(key)
        if zygote is not None and not zygote.alive():  # it died (OOM killer): a new one
            zygote.close()
            del _zygotes[key]
            zygote = None
        if zygote is None:
            if key in _failed:
                return None
            try:
                zygote = _zygotes[key] = Zygote.start(make_env(), uid=uid, gid=gid, seccomp=seccomp)
            except OSError as e:
                return _give_up(key, e)
        if wait:
            try:
                zygote.ready()
            except ZygoteUnavailable as e:
                del _zygotes[key]
                return _give_up(key, e)
        return zygote


@dataclass(frozen=True)
class Lent:
    """A zygote started by this process, as the processes it starts receive it (:func:`borrow`).

    It pickles for ``multiprocessing``: the socket travels as a descriptor.
    """

    key: tuple
    channel: socket.socket
    pid: int


def lend(key: tuple) -> Lent | None:
    """This process's zygote for workers alike in ``key``, to hand to the grading processes it starts."""
    with _lock:
        zygote = _zygotes.get(key)
        return None if zygote is None else Lent(key, zygote.channel, zygote.pid)


def borrow(lent: Lent) -> None:
    """Fork this process's workers alike in ``lent.key`` from a zygote its parent started.

    If that zygote dies, the next worker is forked from one of this process's own (:func:`shared`).
    """
    with _lock:
        if lent.key not in _zygotes:
            _zygotes[lent.key] = Zygote(lent.channel, None, lent.pid)


def release(key: tuple) -> None:
    """Stop this process's zygote for ``key`` (one it lent stops for its borrowers too)."""
    with _lock:
        zygote = _zygotes.pop(key, None)
    if zygote is not None:
        zygote.close()


def _give_up(key: tuple, reason: Exception) -> None:
    _failed.add(key)
    print(f"grade: numpy workers start fresh in this process ({reason})", file=sys.stderr)
    return None


def give_up(key: tuple, reason: Exception) -> None:
    """A fork failed: stop forking workers alike in ``key`` in this process, said once on stderr.

    Where the zygote was lent (:func:`borrow`), only that zygote is given up: the next
    worker is forked from one this process starts, and only if that one fails too do
    workers start fresh.
    """
    with _lock:
        zygote = _zygotes.pop(key, None)
        if zygote is not None:
            zygote.close()
            if zygote.proc is None:
                return
        if key not in _failed:
            _give_up(key, reason)


def close_all() -> None:
    with _lock:
        for zygote in _zygotes.values():
            zygote.close()
        _zygotes.clear()


_failed: set[tuple] = set()
_SAFE_PATH = ["-P"] if sys.version_info >= (3, 11) else []
