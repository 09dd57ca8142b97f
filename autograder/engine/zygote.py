"""The grader's end of the zygote (``worker/zygote.py``): numpy workers forked, not started.

A fresh worker spends most of a numpy notebook's grading importing numpy and
IPython. A batch's grading processes each keep one zygote that has imported
them once, and fork every numpy worker from it into a sandbox bubblewrap has
just made for that worker alone (:func:`autograder.engine.sandbox.start_worker`).

Only batches use it (:func:`enable`): one ``grade check`` would pay the same
imports in the zygote. Keras workers, evaluators and workers without
bubblewrap are always started fresh. A zygote that cannot start, or dies, is
said once on stderr and its workers are started fresh; grading goes on.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
import sys
import threading
from typing import Any, Callable, Iterator

READY_TIMEOUT = 30.0
SPAWN_TIMEOUT = 20.0
_enabled = False
_zygotes: dict[int, Zygote] = {}
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
    """One zygote process and the socket it listens on."""

    def __init__(self, env: dict[str, str], *, uid: int | None, gid: int | None, seccomp: bool) -> None:
        """Start the zygote; it imports while the caller goes on (:meth:`ready` waits for it)."""
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        argv = [sys.executable, *_SAFE_PATH, "-m", "autograder.engine.worker.zygote", "--socket", str(theirs.fileno())]
        argv += [*(["--uid", str(uid)] if uid is not None else []), *(["--gid", str(gid)] if gid is not None else [])]
        argv += ["--seccomp"] if seccomp else []
        self.lock = threading.Lock()
        self.channel = ours
        self.seccomp: bool | None = None  # known once it is ready
        try:
            self.proc = subprocess.Popen(argv, env=env, cwd="/", stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                         stderr=subprocess.DEVNULL, pass_fds=(theirs.fileno(),), start_new_session=True)
        finally:
            theirs.close()

    def ready(self) -> None:
        """Wait until it has imported everything (once); raise :class:`ZygoteUnavailable` if it cannot."""
        if self.seccomp is not None:
            return
        reply = self._receive(READY_TIMEOUT)
        if not reply.get("ready"):
            self.close()
            raise ZygoteUnavailable(f"the zygote did not start: {str(reply.get('error', reply))[-300:]}")
        self.seccomp = bool(reply.get("seccomp"))

    def spawn(self, request: dict[str, Any], fds: list[int]) -> int:
        """Fork a worker for ``request`` with ``fds``; its pid here (it waits at its gate)."""
        with self.lock:
            self.ready()
            if self.proc.poll() is not None:
                raise ZygoteUnavailable(f"the zygote stopped (exit code {self.proc.returncode})")
            try:
                socket.send_fds(self.channel, [json.dumps(request).encode()], fds)
                reply = self._receive(SPAWN_TIMEOUT)
            except OSError as e:
                self.close()
                raise ZygoteUnavailable(f"the zygote stopped answering: {e}") from None
        if not isinstance(reply.get("pid"), int):
            raise ZygoteUnavailable(f"the zygote could not fork a worker: {str(reply.get('error', reply))[:300]}")
        return reply["pid"]

    def _receive(self, timeout: float) -> dict[str, Any]:
        self.channel.settimeout(timeout)
        try:
            data = self.channel.recv(65536)
        except TimeoutError:
            self.close()
            raise ZygoteUnavailable(f"the zygote did not answer in {timeout:.0f} s") from None
        if not data:
            self.close()
            raise ZygoteUnavailable("the zygote stopped")
        try:
            reply = json.loads(data)
        except ValueError:
            reply = None
        return reply if isinstance(reply, dict) else {"error": "an unreadable reply"}

    def alive(self) -> bool:
        return self.proc.poll() is None and self.channel.fileno() >= 0

    def close(self) -> None:
        self.channel.close()
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
                zygote = _zygotes[key] = Zygote(make_env(), uid=uid, gid=gid, seccomp=seccomp)
            except OSError as e:
                return _give_up(key, e)
        if wait:
            try:
                zygote.ready()
            except ZygoteUnavailable as e:
                del _zygotes[key]
                return _give_up(key, e)
        return zygote


def _give_up(key: tuple, reason: Exception) -> None:
    _failed.add(key)
    print(f"grade: numpy workers start fresh in this process ({reason})", file=sys.stderr)
    return None


def give_up(key: tuple, reason: Exception) -> None:
    """Stop forking workers alike in ``key`` in this process (a fork failed): said once on stderr."""
    with _lock:
        zygote = _zygotes.pop(key, None)
        if zygote is not None:
            zygote.close()
        if key not in _failed:
            _give_up(key, reason)


def close_all() -> None:
    with _lock:
        for zygote in _zygotes.values():
            zygote.close()
        _zygotes.clear()


_failed: set[tuple] = set()
_SAFE_PATH = ["-P"] if sys.version_info >= (3, 11) else []
