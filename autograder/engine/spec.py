"""What starting a worker needs (``WorkerSpec``) and what the bubblewrap probe found (``Probe``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class ForkJob:
    """A worker that may be forked from a zygote: its job file and its rpc pipe ends (in ``pass_fds`` too)."""

    job: str
    rpc_in: int
    rpc_out: int


@dataclass
class WorkerSpec:
    """What a worker needs: its command line, what it may see, and its budget."""

    argv: list[str]  # e.g. [sys.executable, "-m", "autograder.engine.worker", ...]
    submission_dir: Path  # read-only for the worker
    scratch_dir: Path  # the one writable folder; the worker's cwd
    env: dict[str, str] = field(default_factory=dict)
    ro_paths: list[Path] = field(default_factory=list)  # extra read-only paths (data)
    pass_fds: tuple[int, ...] = ()
    memory_mb: int = 2048
    max_processes: int = 64
    scratch_mb: int = 512
    cpus: float = 1.0  # CPU share of the whole tree, where a cpu cgroup can be made
    cpu_seconds: int = 0  # RLIMIT_CPU of each process (0: none), a backstop where no cpu cgroup can be made
    fork: ForkJob | None = None  # set: forked from this process's zygote where one runs (engine/zygote.py)


@dataclass(frozen=True)
class Probe:
    """What the start-up probe found out about bubblewrap here."""

    works: bool
    detail: str  # why not, or the bwrap version
    bwrap: str | None = None
    flags: tuple[str, ...] = ()  # optional flags this bwrap accepts and this kernel allows
    uid: int | None = None  # the unprivileged uid a root grader drops to
    gid: int | None = None
    seccomp: bool = False  # whether a seccomp program is installed by bwrap
