"""A stopped or killed grader leaves nothing running, and the next start removes what it left on disk.

Real commands (``python -m autograder.cli``), real signals, real sandboxes: every
process a command started (pool processes, the forkserver, bwrap, the sandbox,
the student's own children) must be gone within 5 seconds of the signal.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import nbformat
import pandas as pd
import psutil
import pytest
from nbformat.v4 import new_code_cell

from autograder.engine import cgroups, lifetime, sandbox
from test_resume import NAME, REPO, batch, finished, grades, journal_rows

BUSY_S = 4  # how long each busy notebook keeps its worker (and one core) busy
GONE_WITHIN_S = 5
SOLUTION = REPO / "solutions" / NAME


def busy_notebook(path: Path, marker: str) -> Path:
    """The reference solution behind a cell that starts a child process (carrying ``marker``) and loops."""
    nb = nbformat.read(SOLUTION / f"{NAME}.ipynb", as_version=4)
    busy = (f"import subprocess, sys, time\n"
            f"subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(600)', {marker!r}])\n"
            f"end = time.time() + {BUSY_S}\n"
            f"while time.time() < end:\n"
            f"    pass\n")
    nb.cells.insert(0, new_code_cell(busy))
    nbformat.write(nb, path)
    return path


@pytest.fixture(scope="module")
def marker() -> str:
    return f"grade-signals-{uuid.uuid4().hex}"


@pytest.fixture(scope="module")
def subs(tmp_path_factory: pytest.TempPathFactory, marker: str) -> Path:
    """Four quick submissions (graded first), then two that keep their workers busy."""
    folder = tmp_path_factory.mktemp("subs")
    sources = [SOLUTION / f"{NAME}.py", *sorted((REPO / "rubrics" / NAME / "mutants").glob("*.py"))[:3]]
    for i, src in enumerate(sources):
        (folder / f"s{i:02d}{src.suffix}").write_bytes(src.read_bytes())
    for i in (4, 5):
        busy_notebook(folder / f"s{i:02d}.ipynb", marker)
    return folder


@pytest.fixture(scope="module")
def whole(subs: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The same batch, never interrupted."""
    out = tmp_path_factory.mktemp("whole")
    code, _, stderr = finished(batch(subs, out, jobs=2))
    assert code == 0, stderr
    return out


# -- finding what a command started ------------------------------------------------------------


def tree(pid: int) -> list[psutil.Process]:
    """``pid`` and everything below it, right now."""
    root = psutil.Process(pid)
    return [root, *root.children(recursive=True)]


def marked(marker: str) -> list[psutil.Process]:
    """Running processes whose command line holds ``marker`` (the student's children)."""
    found = []
    for p in psutil.process_iter(["cmdline"]):
        try:
            if any(marker in a for a in p.info["cmdline"] or []):
                found.append(p)
        except psutil.Error:
            continue
    return found


def running(processes: list[psutil.Process]) -> list[psutil.Process]:
    """Those still running (same pid and start time; zombies are dead)."""
    alive = []
    for p in processes:
        try:
            if p.is_running() and p.status() != psutil.STATUS_ZOMBIE:
                alive.append(p)
        except psutil.Error:
            continue
    return alive


def wait_until(condition, proc: subprocess.Popen, what: str, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert proc.poll() is None, (what, proc.communicate())
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def left_after(signum: int, proc: subprocess.Popen, marker: str | None = None) -> list[str]:
    """Send ``signum`` to the command's main process only; what of its tree still runs 5 s later."""
    recorded = tree(proc.pid)
    os.kill(proc.pid, signum)
    deadline = time.monotonic() + GONE_WITHIN_S
    while True:
        left = running([p for p in recorded if p.pid != proc.pid] + (marked(marker) if marker else []))
        if proc.poll() is None and signum != signal.SIGKILL:
            left.append(psutil.Process(proc.pid))
        if not left or time.monotonic() > deadline:
            return [f"{p.pid} {' '.join(_cmdline(p))[:120]}" for p in left]
        time.sleep(0.1)


def _cmdline(p: psutil.Process) -> list[str]:
    try:
        return p.cmdline()
    except psutil.Error:
        return ["?"]


def workers_busy(marker: str, n: int = 1):
    return lambda: len(running(marked(marker))) >= n


# -- grade batch --------------------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("signum, mode", [(signal.SIGTERM, "auto"), (signal.SIGHUP, "auto"), (signal.SIGKILL, "auto"),
                                          (signal.SIGKILL, "none")],
                         ids=["SIGTERM", "SIGHUP", "SIGKILL", "SIGKILL-plain"])
def test_a_signalled_batch_leaves_nothing_running_and_resumes(signum, mode, subs, whole, marker, tmp_path, monkeypatch):
    monkeypatch.setenv("GRADE_SANDBOX", mode)  # "none": workers under reaper.py instead of bwrap
    options = ["--no-sandbox"] if mode == "none" else []
    out = tmp_path / "stopped"
    proc = batch(subs, out, *options, jobs=2)
    wait_until(workers_busy(marker, 2), proc, "both busy notebooks to run")
    assert left_after(signum, proc, marker) == []

    code, _, stderr = finished(proc)
    if signum == signal.SIGKILL:
        assert code == -signal.SIGKILL
    else:
        assert code == 128 + signum, stderr
        name = signal.Signals(signum).name
        assert f"Error: stopped by {name}: " in stderr and "run the same command again to grade the rest" in stderr
    assert not (out / "grades.csv").exists()
    kept = journal_rows(out)
    assert kept < 6

    code, stdout, stderr = finished(batch(subs, out, *options, jobs=2))
    assert code == 0, stderr
    assert f"{kept} unchanged since the last run were taken from the journal" in stdout or kept == 0
    expected = grades(whole)
    if mode == "none":  # the same grades; only the column saying how they were graded differs
        expected = expected.assign(sandbox="none")
    pd.testing.assert_frame_equal(grades(out), expected)


@pytest.mark.slow
def test_sigterm_stops_the_client_of_a_dask_batch(subs, marker, tmp_path):
    """The client side: nothing local is left, the exit code and the line say how to resume."""
    from distributed import LocalCluster

    with LocalCluster(n_workers=1, threads_per_worker=1, processes=True, dashboard_address=":0") as cluster:
        out = tmp_path / "dask"
        out.mkdir()
        proc = _command("batch", str(subs), "-a", NAME, "-o", str(out / "grades.csv"),
                        "--dask-scheduler", cluster.scheduler_address)
        wait_until(workers_busy(marker), proc, "a busy notebook to run on the cluster")
        assert left_after(signal.SIGTERM, proc) == []  # the cluster's own workers are the cluster's business
        code, _, stderr = finished(proc)
    assert code == 128 + signal.SIGTERM, stderr
    assert "Error: stopped by SIGTERM: " in stderr and "run the same command again to grade the rest" in stderr


# -- grade check and grade validate ----------------------------------------------------------------


def _command(*args: str, env: dict[str, str] | None = None) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "autograder.cli", *args], cwd=REPO, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, start_new_session=True, env={**os.environ, **(env or {})})


@pytest.mark.parametrize("mode", ["bwrap", "none"])
def test_a_killed_check_takes_its_worker_and_the_students_processes_along(mode, tmp_path):
    if mode == "bwrap" and not _sandboxed():
        pytest.skip("bubblewrap does not work here")
    marker = f"grade-signals-{uuid.uuid4().hex}"
    notebook = busy_notebook(tmp_path / f"{NAME}.ipynb", marker)
    proc = _command("check", str(notebook), "-a", NAME, env={"GRADE_SANDBOX": mode, "GRADE_COURSE": str(REPO)})
    wait_until(workers_busy(marker), proc, "the busy notebook to run")
    assert left_after(signal.SIGKILL, proc, marker) == []
    proc.communicate()


def test_sigterm_stops_check_with_128_plus_the_signal(tmp_path):
    marker = f"grade-signals-{uuid.uuid4().hex}"
    notebook = busy_notebook(tmp_path / f"{NAME}.ipynb", marker)
    proc = _command("check", str(notebook), "-a", NAME, env={"GRADE_COURSE": str(REPO)})
    wait_until(workers_busy(marker), proc, "the busy notebook to run")
    assert left_after(signal.SIGTERM, proc, marker) == []
    code, _, stderr = finished(proc)
    assert code == 128 + signal.SIGTERM
    assert stderr.strip().endswith("Error: stopped by SIGTERM")


@pytest.mark.slow
def test_a_killed_validate_takes_its_pool_along():
    proc = _command("validate", "-a", NAME, "-j", "2")

    def pool_grading() -> bool:
        return sum(1 for p in tree(proc.pid) if _has_env(p, sandbox.TOKEN_VARIABLE)) >= 2

    wait_until(pool_grading, proc, "two workers of the validation pool", timeout=180)
    assert left_after(signal.SIGKILL, proc) == []
    proc.communicate()


def _has_env(p: psutil.Process, variable: str) -> bool:
    try:
        with open(f"/proc/{p.pid}/environ", "rb") as f:
            return any(item.startswith(variable.encode() + b"=") for item in f.read().split(b"\0"))
    except OSError:
        return False


def _sandboxed() -> bool:
    return sandbox.probe().works


# -- what a killed grader left behind ----------------------------------------------------------------


@pytest.fixture
def owners():
    """A dead process and a live one, as (pid, start time)."""
    gone = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    live = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
    dead = (gone.pid, lifetime.start_ticks(gone.pid))
    gone.kill()
    gone.wait()
    yield dead, (live.pid, lifetime.start_ticks(live.pid))
    live.kill()
    live.wait()


def test_the_next_start_kills_a_dead_graders_workers_and_keeps_a_live_ones(owners):
    (dead_pid, dead_start), (live_pid, live_start) = owners
    workers = {tag: subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"],
                                     env={**os.environ, lifetime.OWNER_VARIABLE: tag})
               for tag in (f"{dead_pid}_{dead_start}", f"{live_pid}_{live_start}")}
    try:
        code, stdout, stderr = finished(_command("check", str(SOLUTION / f"{NAME}.py"), "-a", NAME))
        assert code == 0, stderr + stdout
        assert workers[f"{dead_pid}_{dead_start}"].wait(timeout=5) == -signal.SIGKILL
        assert workers[f"{live_pid}_{live_start}"].poll() is None
    finally:
        for worker in workers.values():
            worker.kill()
            worker.wait()


def test_the_next_start_removes_a_dead_graders_scratch_and_keeps_a_live_ones(owners, tmp_path):
    (dead_pid, dead_start), (live_pid, live_start) = owners
    temp = tmp_path / "tmp"
    temp.mkdir()
    leftovers = {
        "dead": temp / f"grade-{dead_pid}_{dead_start}-x1y2z3",
        "dead_probe": temp / f"grade-probe-{dead_pid}_{dead_start}-a1b2c3",
        "reused_pid": temp / f"grade-{live_pid}_{live_start - 1}-q9w8e7",  # same pid, another process
        "live": temp / f"grade-{live_pid}_{live_start}-k3j4h5",
        "untagged": temp / "grade-3mv2mi8d",  # no owner in the name: not ours to judge
    }
    for folder in leftovers.values():
        (folder / "run0" / "work").mkdir(parents=True)
        (folder / "run0" / "work" / "sub.py").write_text("x = 1\n")
    notebook = SOLUTION / f"{NAME}.ipynb"
    code, stdout, stderr = finished(_command("check", str(notebook), "-a", NAME, env={"TMPDIR": str(temp)}))
    assert code == 0, stderr + stdout
    assert {name for name, folder in leftovers.items() if folder.exists()} == {"live", "untagged"}
    left = {p.name for p in temp.iterdir()} - {"grade-sandbox-stage"}  # the check's own scratch is gone too
    assert left == {leftovers["live"].name, leftovers["untagged"].name}


def test_the_next_start_removes_a_dead_graders_cgroups_and_keeps_a_live_ones(owners):
    where = cgroups.hierarchies()
    parents = sorted({p for p in (where.v2, where.memory and where.memory[0], where.pids and where.pids[0]) if p})
    if not parents:
        pytest.skip("no cgroup hierarchy is writable here")
    (dead_pid, dead_start), (live_pid, live_start) = owners
    dead = [p / f"{cgroups.PREFIX}{dead_pid}_{dead_start}-1" for p in parents]
    live = [p / f"{cgroups.PREFIX}{live_pid}_{live_start}-1" for p in parents]
    for d in dead + live:
        d.mkdir()
    try:
        code, stdout, stderr = finished(_command("check", str(SOLUTION / f"{NAME}.py"), "-a", NAME))
        assert code == 0, stderr + stdout
        assert [d for d in dead if d.exists()] == []
        assert [d for d in live if not d.exists()] == []
    finally:
        for d in dead + live:
            if d.exists():
                d.rmdir()

