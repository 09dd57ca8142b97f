"""Per-worker control groups: a memory limit, a process limit, a CPU share, and a kill switch.

Used by :mod:`autograder.engine.sandbox` where this process may create cgroups (root in
a container, or a delegated systemd scope). Version 2 is preferred; version 1
controllers (``memory``, ``pids``, ``cpu``) are used where the v2 hierarchy lacks them,
as on hybrid hosts. Nothing here is required: :func:`create` returns None when
no hierarchy is writable and the sandbox falls back to its watchdog.
"""

from __future__ import annotations

import functools
import itertools
import os
import re
import signal
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

from autograder.engine import lifetime

PREFIX = "grade-"
CPU_PERIOD_US = 100_000
OWNED = re.compile(rf"^{PREFIX}(?P<pid>\d+)(?:_(?P<start>\d+))?-\d+$")  # grade-PID_START-N (older: grade-PID-N)
_counter = itertools.count(1)


@dataclass(frozen=True)
class Hierarchies:
    """Where this process may create child cgroups, per purpose (None: nowhere)."""

    v2: Path | None  # any writable v2 cgroup: gives cgroup.kill
    memory: tuple[Path, int] | None  # (parent dir, version)
    pids: tuple[Path, int] | None
    cpu: tuple[Path, int] | None = None


@dataclass
class Cgroup:
    """The cgroups one worker lives in; ``dirs`` are removed by :meth:`remove`."""

    dirs: list[Path] = field(default_factory=list)
    memory: tuple[Path, int] | None = None
    pids: tuple[Path, int] | None = None
    cpu: tuple[Path, int] | None = None
    v2: Path | None = None

    def add(self, pid: int) -> None:
        """Move ``pid`` (before it starts anything) into every hierarchy."""
        for d in self.dirs:
            (d / "cgroup.procs").write_text(str(pid))

    def oom_killed(self) -> bool:
        """Whether the kernel killed a process here for exceeding the memory limit."""
        if self.memory is None:
            return False
        d, version = self.memory
        name, keys = ("memory.events", ("oom_kill", "oom_group_kill")) if version == 2 else ("memory.oom_control", ("oom_kill",))
        return any(_counter_value(d / name, key) > 0 for key in keys)

    def pids_exhausted(self) -> bool:
        """Whether a fork failed here because the process limit was reached."""
        if self.pids is None:
            return False
        return _counter_value(self.pids[0] / "pids.events", "max") > 0

    def cpu_throttled(self) -> int:
        """How many CPU periods the group was held back in for using up its share (0 without a cpu group)."""
        return 0 if self.cpu is None else _counter_value(self.cpu[0] / "cpu.stat", "nr_throttled")

    def members(self) -> set[int]:
        pids: set[int] = set()
        for d in self.dirs:
            try:
                pids.update(int(x) for x in (d / "cgroup.procs").read_text().split())
            except (OSError, ValueError):
                pass
        return pids

    def kill(self) -> None:
        """SIGKILL everything in the group, daemons that left the session included."""
        if self.v2 is not None and (self.v2 / "cgroup.kill").exists():
            try:
                (self.v2 / "cgroup.kill").write_text("1")
            except OSError:
                pass
        for pause in _pauses(0.5):  # v1 has no cgroup.kill: kill what is listed until nothing is left
            members = self.members()
            if not members:
                return
            for pid in members:
                try:
                    os.kill(pid, signal.SIGKILL)
                except OSError:
                    pass
            time.sleep(pause)

    def remove(self, *, wait: float = 2.0) -> None:
        """Remove the cgroups once empty (a killed process takes a moment to leave)."""
        pauses = _pauses(wait)
        for d in reversed(self.dirs):
            while True:
                try:
                    d.rmdir()
                    break
                except FileNotFoundError:
                    break
                except OSError:
                    pause = next(pauses, None)
                    if pause is None:
                        break
                    time.sleep(pause)
        self.dirs = [d for d in self.dirs if d.exists()]


def _pauses(total: float) -> Iterator[float]:
    """Waits of 1, 2, 4... ms, at most 10 ms each, for ``total`` seconds in all: a killed process
    usually leaves its group within a millisecond or two, and each submission waits for its own."""
    deadline, pause = time.monotonic() + total, 0.001
    while time.monotonic() < deadline:
        yield pause
        pause = min(pause * 2, 0.01)


def create(*, memory_bytes: int, max_pids: int, cpus: float | None = None) -> Cgroup | None:
    """A fresh cgroup set for one worker, limits applied; None when none can be made.

    ``cpus``: the CPU time the whole group may use, in cores (a quota per 100 ms period).
    """
    where = hierarchies()
    if where.v2 is None and where.memory is None and where.pids is None and where.cpu is None:
        return None
    name = f"{PREFIX}{lifetime.owner_tag()}-{next(_counter)}"  # the owner, for _remove_stale
    group = Cgroup()
    try:
        made: dict[Path, Path] = {}

        def child(parent: Path) -> Path:
            if parent not in made:
                made[parent] = parent / name
                made[parent].mkdir()
                group.dirs.append(made[parent])
            return made[parent]

        if where.memory is not None:
            d, version = child(where.memory[0]), where.memory[1]
            if version == 2:
                (d / "memory.max").write_text(str(memory_bytes))
                _try_write(d / "memory.swap.max", "0")
                _try_write(d / "memory.oom.group", "1")
            else:
                (d / "memory.limit_in_bytes").write_text(str(memory_bytes))
                _try_write(d / "memory.memsw.limit_in_bytes", str(memory_bytes))
            group.memory = (d, version)
        if where.pids is not None:
            d = child(where.pids[0])
            (d / "pids.max").write_text(str(max_pids))
            group.pids = (d, where.pids[1])
        if where.cpu is not None and cpus is not None:
            d, version = child(where.cpu[0]), where.cpu[1]
            quota = max(1000, round(cpus * CPU_PERIOD_US))
            if version == 2:
                (d / "cpu.max").write_text(f"{quota} {CPU_PERIOD_US}")
            else:
                (d / "cpu.cfs_period_us").write_text(str(CPU_PERIOD_US))
                (d / "cpu.cfs_quota_us").write_text(str(quota))
            group.cpu = (d, version)
        if where.v2 is not None:
            group.v2 = child(where.v2)
    except OSError:
        group.remove(wait=0)
        return None
    return group


def _try_write(path: Path, value: str) -> None:
    try:
        path.write_text(value)
    except OSError:
        pass


def _counter_value(path: Path, key: str) -> int:
    try:
        for line in path.read_text().splitlines():
            parts = line.split()
            if len(parts) == 2 and parts[0] == key:
                return int(parts[1])
    except (OSError, ValueError):
        pass
    return 0


@functools.cache
def hierarchies() -> Hierarchies:
    """Find writable parents for this process's workers (once per process)."""
    if os.environ.get("GRADE_CGROUPS", "auto") == "off":
        return Hierarchies(None, None, None, None)
    own = _own_cgroups()
    mounts = _mounts()
    v2 = memory = pids = cpu = None
    if "" in own and "cgroup2" in mounts:
        d = _resolve(mounts["cgroup2"], own[""])
        if d is not None and os.access(d, os.W_OK):
            v2 = d
            enabled = _enable_controllers(d, ("memory", "pids", "cpu"))
            memory = (d, 2) if "memory" in enabled else None
            pids = (d, 2) if "pids" in enabled else None
            cpu = (d, 2) if "cpu" in enabled else None
    found = {"memory": memory, "pids": pids, "cpu": cpu}
    for controller in found:
        if found[controller] is not None:
            continue
        if controller in own and controller in mounts:
            d = _resolve(mounts[controller], own[controller])
            if d is not None and os.access(d, os.W_OK) and (d / "cgroup.procs").exists():
                found[controller] = (d, 1)
    memory, pids, cpu = found["memory"], found["pids"], found["cpu"]
    for parent in {p for p in (v2, memory and memory[0], pids and pids[0], cpu and cpu[0]) if p is not None}:
        _remove_stale(parent)
    return Hierarchies(v2, memory, pids, cpu)


def _own_cgroups() -> dict[str, str]:
    """controller -> path from /proc/self/cgroup ("" is the v2 hierarchy)."""
    own: dict[str, str] = {}
    try:
        text = Path("/proc/self/cgroup").read_text()
    except OSError:
        return own
    for line in text.splitlines():
        parts = line.split(":", 2)
        if len(parts) != 3:
            continue
        if parts[0] == "0" and parts[1] == "":
            own[""] = parts[2]
        for controller in parts[1].split(","):
            if controller:
                own[controller] = parts[2]
    return own


def _mounts() -> dict[str, tuple[Path, str]]:
    """"cgroup2" or a v1 controller -> (mount point, root of the mount in the hierarchy)."""
    found: dict[str, tuple[Path, str]] = {}
    try:
        text = Path("/proc/self/mountinfo").read_text()
    except OSError:
        return found
    for line in text.splitlines():
        left, _, right = line.partition(" - ")
        fields, tail = left.split(), right.split()
        if len(fields) < 5 or len(tail) < 3:
            continue
        root, point, fstype = fields[3], fields[4].replace("\\040", " "), tail[0]
        if fstype == "cgroup2":
            found.setdefault("cgroup2", (Path(point), root))
        elif fstype == "cgroup":
            for option in tail[2].split(","):
                if option in ("memory", "pids", "cpu"):
                    found.setdefault(option, (Path(point), root))
    return found


def _resolve(mount: tuple[Path, str], path: str) -> Path | None:
    point, root = mount
    relative = os.path.relpath(path, root) if path.startswith(root) else path.lstrip("/")
    d = point / relative if relative != "." else point
    return d if d.is_dir() else None


def _enable_controllers(d: Path, wanted: tuple[str, ...]) -> set[str]:
    """Controllers usable by children of ``d`` (enabling them where allowed)."""
    try:
        available = set((d / "cgroup.controllers").read_text().split())
        enabled = set((d / "cgroup.subtree_control").read_text().split())
    except OSError:
        return set()
    for name in wanted:
        if name in available and name not in enabled:
            try:  # fails (EBUSY) when d holds processes itself: then we do without
                (d / "cgroup.subtree_control").write_text(f"+{name}")
                enabled.add(name)
            except OSError:
                pass
    return enabled & set(wanted)


def _remove_stale(parent: Path) -> None:
    """Remove groups left by a grader that was killed (SIGKILL leaves them behind); a live grader's stay."""
    try:
        entries = list(parent.iterdir())
    except OSError:
        return
    for d in entries:
        if not is_stale(d):
            continue
        Cgroup(dirs=[d], v2=d if (d / "cgroup.kill").exists() else None).kill()
        Cgroup(dirs=[d]).remove(wait=0.5)


def is_stale(d: Path) -> bool:
    """Whether ``d`` is a grader's cgroup whose owner process is dead (pid and start time in its name)."""
    match = OWNED.match(d.name)
    if match is None or not d.is_dir():
        return False
    return not lifetime.owner_alive(int(match["pid"]), int(match["start"]) if match["start"] else None)
