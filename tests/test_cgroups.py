"""Per-worker cgroups: the CPU share of a worker and its fallback where no cpu cgroup can be made."""

from __future__ import annotations

import json
import sys
import textwrap
import time
from pathlib import Path

import pytest

from autograder.engine import cgroups, sandbox

CPU = cgroups.hierarchies().cpu
needs_cpu_cgroup = pytest.mark.skipif(CPU is None, reason="no writable cpu cgroup here")


def spec(tmp_path: Path, code: str, **options: object) -> sandbox.WorkerSpec:
    scratch = tmp_path / "run0" / "work"
    scratch.mkdir(parents=True)
    return sandbox.WorkerSpec(argv=[sys.executable, "-c", textwrap.dedent(code)], submission_dir=scratch.parent,
                              scratch_dir=scratch, memory_mb=256, **options)


def quota(group: cgroups.Cgroup) -> tuple[int, int]:
    d, version = group.cpu
    if version == 2:
        q, period = (d / "cpu.max").read_text().split()
        return int(q), int(period)
    return int((d / "cpu.cfs_quota_us").read_text()), int((d / "cpu.cfs_period_us").read_text())


@needs_cpu_cgroup
def test_a_group_gets_its_cpu_quota() -> None:
    group = cgroups.create(memory_bytes=256 << 20, max_pids=16, cpus=0.5)
    try:
        assert group is not None and group.cpu is not None
        assert quota(group) == (50_000, 100_000)
    finally:
        group.remove(wait=0)
    assert not any(d.exists() for d in group.dirs)


@needs_cpu_cgroup
@pytest.mark.parametrize("mode", ["bwrap", "none"])
def test_a_worker_and_its_children_run_in_their_share(mode: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    if mode == "bwrap" and not sandbox.probe().works:
        pytest.skip(f"bubblewrap cannot work here: {sandbox.probe().detail}")
    monkeypatch.setenv("GRADE_SANDBOX", mode)
    proc = sandbox.start_worker(spec(tmp_path, "import os, time\nif os.fork() == 0:\n    time.sleep(30)\ntime.sleep(30)\n",
                                     cpus=0.25))
    try:
        group = sandbox._workers[proc].cgroup
        assert group is not None and group.cpu is not None
        assert quota(group) == (25_000, 100_000)
        deadline = time.monotonic() + 20
        while len((group.cpu[0] / "cgroup.procs").read_text().split()) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len((group.cpu[0] / "cgroup.procs").read_text().split()) >= 2  # the worker and its child
    finally:
        sandbox.stop_worker(proc)
        proc.stdout.close()


def test_without_a_cpu_cgroup_the_worker_is_niced_and_cpu_limited(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GRADE_SANDBOX", "none")
    monkeypatch.setenv("GRADE_CGROUPS", "off")
    cgroups.hierarchies.cache_clear()
    try:
        code = "import json, os, resource\nprint(json.dumps([os.nice(0), resource.getrlimit(resource.RLIMIT_CPU)[0]]))\n"
        proc = sandbox.start_worker(spec(tmp_path, code, cpu_seconds=77))
        try:
            out, _ = proc.communicate(timeout=60)
        finally:
            sandbox.stop_worker(proc)
            proc.stdout.close()
    finally:
        monkeypatch.delenv("GRADE_CGROUPS")
        cgroups.hierarchies.cache_clear()
    nice, cpu_seconds = json.loads(out.decode().strip().splitlines()[-1])
    assert nice >= 10 and cpu_seconds == 77
