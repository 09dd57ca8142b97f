"""A polling watchdog for limits the kernel cannot enforce for us here.

Where no memory cgroup can be made, the worker's memory is the summed resident
size of its process tree; where no pids cgroup exists and no user namespace
counts processes (plain mode), the tree's size is polled too. The scratch
folder's size is always polled, since it is a host folder, through directory
file descriptors (:mod:`autograder.engine.scratch`): no depth hides a file. Over budget, the
whole tree is killed and :attr:`Watchdog.reason` says why.
"""

from __future__ import annotations

import os
import signal
import subprocess
import threading
from pathlib import Path

import psutil

from autograder.engine import scratch

INTERVAL = 0.1  # seconds between memory/process checks
SCRATCH_EVERY = 5  # check the scratch folder every N intervals
SCRATCH_MAX_ENTRIES = 100_000


class Watchdog(threading.Thread):
    """Watches one worker until :meth:`stop` or until it exits."""

    def __init__(self, proc: subprocess.Popen, *, memory_bytes: int | None, max_processes: int | None,
                 scratch: Path | None, scratch_bytes: int) -> None:
        super().__init__(daemon=True, name=f"grade-watchdog-{proc.pid}")
        self.proc, self.memory_bytes, self.max_processes = proc, memory_bytes, max_processes
        self.scratch, self.scratch_bytes = scratch, scratch_bytes
        self.reason: str | None = None
        self._halt = threading.Event()

    def stop(self) -> None:
        self._halt.set()
        if self.is_alive() and self is not threading.current_thread():
            self.join(timeout=2)

    def run(self) -> None:
        tick = 0
        while not self._halt.wait(INTERVAL) and self.proc.poll() is None:
            tick += 1
            reason = self._check_tree()
            if reason is None and self.scratch is not None and tick % SCRATCH_EVERY == 0:
                reason = self._check_scratch()
            if reason is not None:
                self.reason = reason
                kill_tree(self.proc.pid)
                return

    def _check_tree(self) -> str | None:
        if self.memory_bytes is None and self.max_processes is None:
            return None
        processes = tree(self.proc.pid)
        if self.max_processes is not None:
            count = 0
            for p in processes:
                try:
                    count += p.num_threads()
                except psutil.Error:
                    pass
            if count > self.max_processes:
                return f"process limit {self.max_processes} exceeded"
        if self.memory_bytes is not None:
            rss = 0
            for p in processes:
                try:
                    rss += p.memory_info().rss
                except psutil.Error:
                    pass
            if rss > self.memory_bytes:
                return f"memory limit {self.memory_bytes >> 20} MB exceeded"
        return None

    def _check_scratch(self) -> str | None:
        return scratch.over_budget(self.scratch, max_bytes=self.scratch_bytes, max_entries=SCRATCH_MAX_ENTRIES)


def tree(pid: int) -> list[psutil.Process]:
    """``pid`` and its descendants (those still attached to it)."""
    if not _HAS_CHILDREN_LISTS:  # scan every process for parent links
        try:
            root = psutil.Process(pid)
            return [root, *root.children(recursive=True)]
        except psutil.Error:
            return []
    found, stack = [], [pid]
    while stack:
        current = stack.pop()
        try:
            found.append(psutil.Process(current))
            for tid in os.listdir(f"/proc/{current}/task"):
                with open(f"/proc/{current}/task/{tid}/children", encoding="ascii") as f:
                    stack.extend(int(x) for x in f.read().split())
        except (OSError, ValueError, psutil.Error):
            continue
    return found


_HAS_CHILDREN_LISTS = os.path.exists(f"/proc/self/task/{os.getpid()}/children")


def kill_tree(pid: int) -> None:
    """SIGKILL the process group of ``pid`` and every descendant."""
    processes = tree(pid)
    try:
        os.killpg(pid, signal.SIGKILL)
    except OSError:
        pass
    for p in processes:
        try:
            p.kill()
        except psutil.Error:
            pass


def kill_tagged(variable: str, token: str) -> int:
    """SIGKILL processes whose initial environment holds ``variable=token`` (plain mode).

    Catches daemons that left the worker's session and tree. Returns how many were found.
    """
    needle = f"{variable}={token}".encode()
    found = 0
    me = os.getuid()
    for p in psutil.process_iter(["uids"]):
        try:
            if not p.info["uids"] or p.info["uids"].real != me or p.pid == os.getpid():
                continue
            with open(f"/proc/{p.pid}/environ", "rb") as f:
                if needle in f.read().split(b"\0"):
                    p.kill()
                    found += 1
        except (OSError, psutil.Error):
            continue
    return found
