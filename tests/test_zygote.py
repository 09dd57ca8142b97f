"""Numpy workers forked from a zygote stand where a fresh worker stands, and share nothing.

A batch forks each numpy worker from a zygote that imported numpy and IPython once
(engine/zygote.py, engine/worker/zygote.py). These tests put a forked worker and a
fresh one side by side and compare what each sees of itself and of the machine,
run two forked workers at once, and break the zygote.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

from autograder.engine import sandbox, zygote
from autograder.engine.client import SubmissionProxy, WorkerSession
from autograder.engine.errors import CallTimeout, WorkerCrashed
from autograder.engine.limits import Limits
from autograder.grading.submissions import load_submission

pytestmark = pytest.mark.skipif(sandbox.sandbox_mode() != "bwrap", reason="workers are forked only into bwrap sandboxes")

PROBE = '''
import os, resource, socket

def status():
    found = {}
    with open("/proc/self/status") as f:
        for line in f:
            key, _, value = line.partition(":")
            if key.startswith("Cap") or key in ("NoNewPrivs", "Seccomp", "Uid", "Gid", "Groups"):
                found[key] = value.strip()
    return found

def world():
    limits = {name: list(resource.getrlimit(getattr(resource, name)))
              for name in ("RLIMIT_NPROC", "RLIMIT_FSIZE", "RLIMIT_CORE", "RLIMIT_CPU")}
    with open("/proc/self/mountinfo") as f:
        mounts = sorted(line.split()[4] for line in f)
    with open("/proc/self/cgroup") as f:
        cgroup = f.read()
    fds = []
    for fd in sorted(os.listdir("/proc/self/fd"), key=int):
        try:
            fds.append([os.readlink(f"/proc/self/fd/{fd}").split(":")[0], os.get_inheritable(int(fd))])
        except OSError:  # the listing's own descriptor
            pass
    return {"pids": sorted(int(p) for p in os.listdir("/proc") if p.isdigit()), "pid": os.getpid(), "fds": fds,
            "ppid": os.getppid(), "root": sorted(os.listdir("/")), "tmp": sorted(os.listdir("/tmp")),
            "host": socket.gethostname(), "mounts": mounts, "limits": limits, "nice": os.nice(0),
            "env": dict(os.environ), "cwd": os.getcwd(), "cgroup": cgroup, "home": sorted(os.listdir(os.path.expanduser("~"))),
            "interfaces": sorted(line.split(":")[0].strip() for line in open("/proc/self/net/dev").readlines()[2:])}

def exists(path):
    return os.path.exists(path)

def signal_everything():
    import signal
    said = []
    for pid in (os.getppid(), 1, -1, 0):
        for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGKILL):
            if pid in (-1, 0) and sig == signal.SIGKILL:
                continue
            try:
                os.kill(pid, sig) if pid else os.killpg(os.getpgid(os.getppid()), sig)
                said.append("sent")
            except OSError as e:
                said.append(type(e).__name__)
    return said

def signal_pid(pid):
    try:
        os.kill(pid, 0)
        return "reachable"
    except ProcessLookupError:
        return "no such process"
    except PermissionError:
        return "not permitted"
'''

DIRTY = '''
import builtins, os, subprocess, sys, threading, time

with open("/tmp/left-in-tmp", "w") as f:
    f.write("x")
with open(os.path.expanduser("~/left-in-home"), "w") as f:
    f.write("x")
os.environ["LEFT_BY_DIRTY"] = "1"
builtins.LEFT_BY_DIRTY = True
threading.Thread(target=lambda: time.sleep(600), name="dirty-thread", daemon=True).start()
CHILD = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)", "MARKER"])

def where():
    return os.getcwd()
'''


@pytest.fixture
def forking():
    with zygote.forking():
        yield


def session(path: Path, **limits) -> WorkerSession:
    return WorkerSession(load_submission(path), limits=Limits(**limits))


def view(path: Path) -> tuple[dict, dict, str]:
    """(status, world, the worker's kind) of the probe as a worker sees them."""
    worker = session(path)
    try:
        worker.load()
        probe = SubmissionProxy(worker)
        return probe.function("status")(), probe.function("world")(), type(worker.proc).__name__
    finally:
        worker.close()


def test_a_forked_worker_stands_where_a_fresh_one_stands(tmp_path):
    path = tmp_path / "probe.py"
    path.write_text(PROBE, encoding="utf-8")
    fresh_status, fresh, fresh_kind = view(path)
    with zygote.forking():
        forked_status, forked, forked_kind = view(path)
    assert (fresh_kind, forked_kind) == ("Popen", "ForkedWorker")

    # Its privileges: none, as a fresh worker's (bubblewrap drops them; the forked worker drops them itself).
    assert forked_status == fresh_status
    assert {k: v for k, v in forked_status.items() if k.startswith("Cap")} == dict.fromkeys(
        ("CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb"), "0000000000000000")
    assert forked_status["NoNewPrivs"] == "1"

    # Its machine: the same mounts, limits, host name, network and folders, its own folder aside.
    def local(value, world):
        return re.sub(re.escape(str(Path(world["cwd"]).parent.parent)), "<scratch>", str(value))

    for key in ("mounts", "limits", "nice", "host", "root", "interfaces", "home", "cwd", "fds"):
        assert local(forked[key], forked) == local(fresh[key], fresh), key
    # /tmp holds its own folder's parent, and what every sandbox binds there (a virtualenv made in /tmp)
    assert sorted(local(f"/tmp/{name}", forked) for name in forked["tmp"]) == \
           sorted(local(f"/tmp/{name}", fresh) for name in fresh["tmp"])
    assert "<scratch>" in [local(f"/tmp/{name}", forked) for name in forked["tmp"]]
    assert forked["interfaces"] == ["lo"]
    hidden = ("GRADE_WORKER_TOKEN", "HOME", "PWD")
    assert {k: v for k, v in forked["env"].items() if k not in hidden} == \
           {k: v for k, v in fresh["env"].items() if k not in hidden}

    # Its processes: only its sandbox's, pid 1 (its parent, which it cannot signal) and itself.
    assert fresh["pids"] == [1, fresh["pid"]] and fresh["ppid"] == 1
    assert forked["pids"] == [1, forked["pid"]] and forked["ppid"] == 1

    # Its cgroup: a sandbox's own, made for it, as a fresh worker's.
    if "grade-" in fresh["cgroup"]:
        assert re.sub(r"grade-[\w-]+", "grade-N", forked["cgroup"]) == re.sub(r"grade-[\w-]+", "grade-N", fresh["cgroup"])
        assert forked["cgroup"] != fresh["cgroup"]


def test_signals_a_forked_worker_sends_its_parent_and_everyone_reach_what_a_fresh_workers_reach(tmp_path):
    path = tmp_path / "probe.py"
    path.write_text(PROBE, encoding="utf-8")
    seen = []
    for forked in (False, True):
        with zygote.forking() if forked else contextlib.nullcontext():
            worker = session(path)
            try:
                worker.load()
                probe = SubmissionProxy(worker)
                said = probe.function("signal_everything")()
                seen.append((type(worker.proc).__name__, said, probe.function("world")()["pids"]))
            finally:
                worker.close()
    (fresh_kind, fresh, _), (forked_kind, forked, pids) = seen
    assert (fresh_kind, forked_kind) == ("Popen", "ForkedWorker")
    assert forked == fresh  # and the worker still answers: pid 1, its parent, ignores them all
    assert len(pids) == 2


def test_two_forked_workers_alive_at_once_share_nothing(forking, tmp_path):
    marker = f"zygote-dirty-{time.monotonic_ns()}"
    dirty_path, probe_path = tmp_path / "dirty" / "dirty.py", tmp_path / "probe" / "probe.py"
    for path, source in ((dirty_path, DIRTY.replace("MARKER", marker)), (probe_path, PROBE)):
        path.parent.mkdir()
        path.write_text(source, encoding="utf-8")
    dirty, probe = session(dirty_path), session(probe_path)
    try:
        dirty.load()
        assert type(dirty.proc).__name__ == "ForkedWorker"
        child = [p for p in psutil.process_iter(["cmdline"]) if marker in " ".join(p.info["cmdline"] or [])]
        assert len(child) == 1  # the dirty worker's child runs on the host, in its sandbox
        folder = SubmissionProxy(dirty).function("where")()
        probe.load()  # while the dirty worker, its thread and its child still run
        assert type(probe.proc).__name__ == "ForkedWorker"
        seen = SubmissionProxy(probe)
        world = seen.function("world")()
        assert "left-in-tmp" not in world["tmp"] and "left-in-home" not in world["home"]
        assert folder.split("/")[2] not in world["tmp"]  # the dirty worker's folder is not in its sandbox
        assert "LEFT_BY_DIRTY" not in world["env"]
        assert world["pids"] == [1, world["pid"]]  # neither the dirty worker nor its child is there to signal
        assert seen.function("exists")(folder) is False
        for pid in (dirty.proc.pid, child[0].pid, os.getpid()):
            assert seen.function("signal_pid")(pid) in ("no such process", "not permitted")
    finally:
        dirty.close()
        probe.close()
    deadline = time.monotonic() + 5
    while child[0].is_running() and child[0].status() != psutil.STATUS_ZOMBIE and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not child[0].is_running() or child[0].status() == psutil.STATUS_ZOMBIE  # gone with its sandbox


@pytest.mark.parametrize("source, reason", [
    ("import os\nos._exit(3)\n", "exit code 3"),
    ("import os, signal\nos.kill(os.getpid(), signal.SIGKILL)\n", "killed by signal 9"),
    ("x = bytearray(600 << 20)\ny = bytearray(600 << 20)\n", "memory limit 512 MB exceeded"),
], ids=["exit", "signal", "memory"])
def test_a_forked_worker_that_dies_is_reported_as_a_fresh_one_is(tmp_path, source, reason):
    path = tmp_path / "dies.py"
    path.write_text(source, encoding="utf-8")
    said = []
    for forked in (False, True):
        with zygote.forking() if forked else contextlib.nullcontext():
            worker = session(path, memory_mb=512)
            try:
                with pytest.raises(WorkerCrashed) as raised:
                    worker.load()
                said.append((type(worker.proc).__name__ if worker.proc else None, raised.value.reason))
            finally:
                worker.close()
    assert [r for _, r in said] == [reason, reason]


def test_a_forked_worker_that_hangs_times_out_and_its_processes_end(forking, tmp_path):
    marker = f"zygote-hang-{time.monotonic_ns()}"
    path = tmp_path / "hang.py"
    path.write_text(f"import subprocess, sys\nsubprocess.Popen([sys.executable, '-c', 'import time; time.sleep(600)', '{marker}'])\n"
                    "while True:\n    pass\n", encoding="utf-8")
    worker = session(path, timeout=3)
    try:
        with pytest.raises(CallTimeout):
            worker.load()
    finally:
        worker.close()
    time.sleep(0.5)
    assert [p.pid for p in psutil.process_iter(["cmdline", "status"])
            if marker in " ".join(p.info["cmdline"] or []) and p.info["status"] != psutil.STATUS_ZOMBIE] == []


def test_a_fork_bomb_in_a_forked_worker_meets_the_process_limit(forking, tmp_path):
    path = tmp_path / "bomb.py"
    path.write_text("import os, time\nmade = 0\ntry:\n    for _ in range(200):\n        if os.fork() == 0:\n"
                    "            time.sleep(30)\n            os._exit(0)\n        made += 1\nexcept OSError:\n    pass\n",
                    encoding="utf-8")
    worker = session(path, max_processes=16)
    try:
        worker.load()
        assert type(worker.proc).__name__ == "ForkedWorker"
        assert SubmissionProxy(worker).value("made") < 16
    finally:
        worker.close()


def test_a_zygote_that_dies_is_replaced_and_grading_goes_on(forking, tmp_path):
    path = tmp_path / "probe.py"
    path.write_text(PROBE, encoding="utf-8")
    first = view(path)
    (source,) = zygote._zygotes.values()
    os.kill(source.proc.pid, signal.SIGKILL)
    source.proc.wait(timeout=5)
    second = view(path)
    assert first[2] == second[2] == "ForkedWorker"
    (replacement,) = zygote._zygotes.values()
    assert replacement is not source and replacement.alive()
    assert first[0] == second[0]


def test_a_zygote_that_cannot_start_leaves_workers_fresh(forking, tmp_path, monkeypatch, capfd):
    path = tmp_path / "probe.py"
    path.write_text(PROBE, encoding="utf-8")
    broken = tmp_path / "broken" / "numpy"  # a numpy that cannot be imported, first on the zygote's path
    broken.mkdir(parents=True)
    (broken / "__init__.py").write_text("raise ImportError('numpy is broken here')\n", encoding="utf-8")
    real = sandbox._zygote_env
    monkeypatch.setattr(sandbox, "_zygote_env",
                        lambda env: {**real(env), "PYTHONPATH": f"{broken.parent}:{real(env)['PYTHONPATH']}"})
    zygote._failed.clear()
    try:
        status, world, kind = view(path)
    finally:
        zygote._failed.clear()
    assert kind == "Popen"
    assert status["NoNewPrivs"] == "1" and world["pids"] == [1, world["pid"]]
    said = capfd.readouterr().err
    assert "numpy workers start fresh in this process" in said and "numpy is broken here" in said


def test_the_zygote_ends_with_its_grader(tmp_path):
    """A grading process killed outright leaves no zygote behind: it sees its socket close."""
    script = ("import sys, time\nfrom pathlib import Path\nfrom autograder.engine import zygote\n"
              "from autograder.engine.client import WorkerSession\nfrom autograder.engine.limits import Limits\n"
              "from autograder.grading.submissions import load_submission\nzygote.enable()\n"
              f"w = WorkerSession(load_submission(Path({str(tmp_path / 'probe.py')!r})), limits=Limits())\nw.load()\n"
              "print(next(iter(zygote._zygotes.values())).proc.pid, flush=True)\ntime.sleep(600)\n")
    (tmp_path / "probe.py").write_text(PROBE, encoding="utf-8")
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True,
                            cwd=Path(__file__).resolve().parent.parent)
    with proc.stdout:
        pid = int(proc.stdout.readline())
        assert psutil.pid_exists(pid)
        proc.kill()
        proc.wait()
    deadline = time.monotonic() + 5
    while psutil.pid_exists(pid) and psutil.Process(pid).status() != psutil.STATUS_ZOMBIE and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not psutil.pid_exists(pid) or psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
