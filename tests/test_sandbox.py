"""The sandbox: real commands started with start_worker, under bwrap and plainly.

bwrap tests skip (with the probe's reason) only where bubblewrap cannot work.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import psutil
import pytest

from autograder.engine import sandbox
from autograder.errors import GradingError, SandboxUnavailable
from autograder.engine.watchdog import Watchdog

REPO = Path(__file__).resolve().parent.parent
PROBE = sandbox.probe()
needs_bwrap = pytest.mark.skipif(not PROBE.works, reason=f"bubblewrap cannot work here: {PROBE.detail}")


@pytest.fixture
def bwrap_mode(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GRADE_SANDBOX", "bwrap")


@pytest.fixture
def plain_mode(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GRADE_SANDBOX", "none")


@pytest.fixture(params=["bwrap", "none"])
def any_mode(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    if request.param == "bwrap" and not PROBE.works:
        pytest.skip(f"bubblewrap cannot work here: {PROBE.detail}")
    monkeypatch.setenv("GRADE_SANDBOX", request.param)
    return request.param


class Run:
    """The outcome of one worker: exit code, output, and why the sandbox killed it."""

    def __init__(self, returncode: int, output: str, reason: str | None, token: str) -> None:
        self.returncode, self.output, self.reason, self.token = returncode, output, reason, token

    def json(self) -> dict:
        return json.loads(self.output.strip().splitlines()[-1])


def make_spec(tmp_path: Path, code: str, **options: object) -> sandbox.WorkerSpec:
    """A worker laid out as the engine lays it out: scratch inside the submission folder."""
    submission = tmp_path / "run0"
    scratch = submission / "work"
    scratch.mkdir(parents=True, exist_ok=True)
    (submission / "job.json").write_text("{}")
    (scratch / "student.py").write_text("ANSWER = 42\n")
    return sandbox.WorkerSpec(argv=[sys.executable, "-c", textwrap.dedent(code)], submission_dir=submission,
                              scratch_dir=scratch, **options)


def run(tmp_path: Path, code: str, *, timeout: float = 60, then: float = 0.0, **options: object) -> Run:
    """Start a worker, wait for it (or stop it ``then`` seconds after start), stop it, clean up."""
    spec = make_spec(tmp_path, code, **options)
    proc = sandbox.start_worker(spec)
    token = sandbox._workers[proc].token
    try:
        if then:
            time.sleep(then)
            sandbox.stop_worker(proc)
        out, _ = proc.communicate(timeout=timeout)
        reason = sandbox.killed_reason(proc)
    finally:
        sandbox.stop_worker(proc)
        if proc.stdout is not None:
            proc.stdout.close()
    return Run(proc.returncode, out.decode("utf-8", "replace"), reason, token)


def survivors(token: str) -> list[int]:
    """Live (non-zombie) processes started for the worker with this token."""
    needle = f"{sandbox.TOKEN_VARIABLE}={token}".encode()
    found = []
    for p in psutil.process_iter(["status"]):
        try:
            if p.info["status"] == psutil.STATUS_ZOMBIE:
                continue
            with open(f"/proc/{p.pid}/environ", "rb") as f:
                if needle in f.read().split(b"\0"):
                    found.append(p.pid)
        except OSError:
            continue
    return found


def assert_clean(token: str) -> None:
    deadline = time.monotonic() + 3
    while survivors(token) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert survivors(token) == []


# -- mode, probe and notice ------------------------------------------------------


def test_mode_follows_the_probe() -> None:
    assert sandbox.sandbox_mode() == ("bwrap" if PROBE.works else "none")
    assert (sandbox.sandbox_notice() is None) == PROBE.works


def test_grade_sandbox_none_turns_it_off(plain_mode: None) -> None:
    assert sandbox.sandbox_mode() == "none"
    assert sandbox.sandbox_notice() == "the sandbox is turned off (GRADE_SANDBOX=none): submissions run without a sandbox"
    with pytest.raises(SandboxUnavailable, match="GRADE_SANDBOX=none"):
        sandbox.require_sandbox()


def test_an_unknown_grade_sandbox_value_is_a_usage_problem(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GRADE_SANDBOX", "docker")
    with pytest.raises(GradingError, match="GRADE_SANDBOX must be auto, bwrap or none, not 'docker'"):
        sandbox.sandbox_mode()


def test_notice_without_bwrap_is_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GRADE_SANDBOX", raising=False)
    monkeypatch.setattr(sandbox, "probe", lambda: sandbox.Probe(False, "bwrap not found; install the bubblewrap package"))
    assert sandbox.sandbox_notice() == ("bubblewrap is not available here (bwrap not found; install the bubblewrap "
                                        "package): submissions run without a sandbox")
    with pytest.raises(SandboxUnavailable, match="bwrap not found"):
        sandbox.require_sandbox()
    monkeypatch.setenv("GRADE_SANDBOX", "bwrap")
    with pytest.raises(SandboxUnavailable):
        sandbox.sandbox_mode()


@needs_bwrap
def test_require_sandbox_passes_where_bwrap_works(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GRADE_SANDBOX", raising=False)
    sandbox.require_sandbox()


def test_probe_is_cached() -> None:
    assert sandbox.probe() is sandbox.probe()


# -- what the worker can see and do ------------------------------------------------

LOOK_AROUND = f"""
import json, os, socket, sys
seen = {{}}
seen["uid"] = os.getuid()
seen["cwd"] = os.getcwd()
seen["student"] = open("student.py").read()
seen["repo"] = os.path.exists({str(REPO / "pyproject.toml")!r})  # a venv inside the repo mounts only itself
seen["rubrics"] = os.path.exists({str(REPO / "rubrics")!r})
seen["solutions"] = os.path.exists({str(REPO / "solutions")!r})
# The interpreter's own installation (its prefixes, a venv's site-packages with libraries' own
# tests/ folders) is mounted on purpose; what must not be there is the course's secrets.
interpreter = tuple({{sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix}})
found = []
for top in ("/", "/opt", "/tmp", "/root", "/home", "/work", "/srv", "/mnt"):
    for folder, dirs, files in os.walk(top):
        dirs[:] = [d for d in dirs if os.path.join(folder, d) not in ("/proc", "/sys", "/dev", "/usr")
                   and not os.path.join(folder, d).startswith(interpreter)]
        found += [os.path.join(folder, n) for n in dirs + files
                  if n in ("rubrics", "solutions", "rubric.toml") or n.startswith("test_logic")]
        if top == "/":
            break
seen["found"] = found
try:
    open("/etc/shadow").read()
    seen["shadow"] = "read"
except OSError as e:
    seen["shadow"] = type(e).__name__
import autograder
seen["autograder"] = autograder.__file__
seen["env"] = os.environ.get("KERAS_HOME")
print(json.dumps(seen))
"""


def test_sees_only_what_it_should(any_mode: str, tmp_path: Path) -> None:
    result = run(tmp_path, LOOK_AROUND, env={"KERAS_HOME": "/data/keras"})
    seen = result.json()
    assert seen["student"] == "ANSWER = 42\n"
    assert seen["cwd"] == str(tmp_path / "run0" / "work")
    assert seen["env"] == "/data/keras"
    if any_mode == "bwrap":
        assert seen["shadow"] != "read"
        assert seen["uid"] != 0
        assert not seen["repo"] and not seen["rubrics"] and not seen["solutions"]
        assert seen["found"] == []
        assert seen["autograder"] == "/opt/grade/autograder/__init__.py"
    else:
        assert seen["uid"] == os.getuid()


@pytest.fixture
def listener() -> socket.socket:
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.bind(("127.0.0.1", 0))
    server.listen(5)
    yield server
    server.close()


NETWORK = """
import json, socket, sys
out = {}
for name, address in (("local", ("127.0.0.1", int(sys.argv[1]))), ("outside", ("10.0.0.1", 80))):
    try:
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.settimeout(1)
        s.connect(address)
        out[name] = "connected"
    except OSError as e:
        out[name] = type(e).__name__
try:
    socket.socket(socket.AF_INET6, socket.SOCK_DGRAM).sendto(b"x", ("::1", 53))
    out["udp6"] = "sent"
except OSError as e:
    out["udp6"] = type(e).__name__
a, b = socket.socketpair()
a.send(b"unix ok")
out["unix"] = b.recv(10).decode()
print(json.dumps(out))
"""


@needs_bwrap
def test_no_network(bwrap_mode: None, tmp_path: Path, listener: socket.socket) -> None:
    spec_code = NETWORK.replace("int(sys.argv[1])", str(listener.getsockname()[1]))
    out = run(tmp_path, spec_code).json()
    assert out["local"] != "connected" and out["outside"] != "connected" and out["udp6"] != "sent"
    assert out["unix"] == "unix ok"


def test_plain_mode_really_is_unsandboxed(plain_mode: None, tmp_path: Path, listener: socket.socket) -> None:
    """The control for test_no_network: the same code reaches the listener without bwrap."""
    out = run(tmp_path, NETWORK.replace("int(sys.argv[1])", str(listener.getsockname()[1]))).json()
    assert out["local"] == "connected"


WRITES = """
import json, os
out = {}
for path in ["/usr/evil", "/evil", "/etc/evil", "/opt/grade/autograder/evil.py", "/dev/evil",
             os.path.join(os.path.dirname(os.getcwd()), "job.json"), os.path.join(os.path.dirname(os.getcwd()), "evil"),
             "evil.txt", "/tmp/evil", "/dev/shm/evil"]:
    try:
        with open(path, "w") as f:
            f.write("x")
        out[path] = "written"
    except OSError as e:
        out[path] = type(e).__name__
print(json.dumps(out))
"""


@needs_bwrap
def test_writes_only_to_scratch_and_private_tmp(bwrap_mode: None, tmp_path: Path) -> None:
    out = run(tmp_path, WRITES).json()
    assert {k for k, v in out.items() if v == "written"} == {"evil.txt", "/tmp/evil", "/dev/shm/evil"}
    assert (tmp_path / "run0" / "work" / "evil.txt").exists()  # the scratch folder is the host's
    assert (tmp_path / "run0" / "job.json").read_text() == "{}"
    assert not Path("/tmp/evil").exists() and not (REPO / "autograder" / "evil.py").exists()


@needs_bwrap
def test_data_paths_are_read_only(bwrap_mode: None, tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    (data / "labels.txt").write_text("images only")
    code = f"""
    import json
    out = {{"read": open({str(data / "labels.txt")!r}).read()}}
    try:
        open({str(data / "new")!r}, "w")
        out["write"] = "written"
    except OSError as e:
        out["write"] = type(e).__name__
    print(json.dumps(out))
    """
    out = run(tmp_path, code, ro_paths=[data]).json()
    assert out["write"] != "written"
    assert out["read"] == "images only"
    assert not (data / "new").exists()


@needs_bwrap
def test_no_nested_namespaces_or_privileges(bwrap_mode: None, tmp_path: Path) -> None:
    code = """
    import json, subprocess
    status = dict(line.split(":", 1) for line in open("/proc/self/status") if ":" in line)
    unshare = subprocess.run(["unshare", "--user", "--map-root-user", "true"], capture_output=True)
    print(json.dumps({"caps": status["CapEff"].strip(), "nnp": status["NoNewPrivs"].strip(),
                      "seccomp": status["Seccomp"].strip(), "unshare": unshare.returncode,
                      "pid1": open("/proc/1/comm").read().strip()}))
    """
    out = run(tmp_path, code).json()
    assert int(out["caps"], 16) == 0
    assert out["nnp"] == "1"
    assert out["unshare"] != 0
    assert out["pid1"] == "bwrap"  # its own pid namespace: the grader is not visible
    assert out["seccomp"] == ("2" if PROBE.seccomp else "0")


def test_rpc_fds_and_output_pass_through(any_mode: str, tmp_path: Path) -> None:
    read_end, write_end = os.pipe()
    try:
        code = f"import os; os.write({write_end}, b'over the pipe'); print('on stdout')"
        result = run(tmp_path, code, pass_fds=(write_end,))
    finally:
        os.close(write_end)
    try:
        assert os.read(read_end, 100) == b"over the pipe"
    finally:
        os.close(read_end)
    assert result.output.strip() == "on stdout" and result.returncode == 0


# -- limits and cleanup ------------------------------------------------------------

RLIMITS = """
import json, resource
print(json.dumps({name: resource.getrlimit(getattr(resource, "RLIMIT_" + name)) for name in ("CORE", "FSIZE", "NPROC")}))
"""


def test_rlimits_inside_the_worker(any_mode: str, tmp_path: Path) -> None:
    limits = run(tmp_path, RLIMITS, scratch_mb=8, max_processes=40).json()
    assert limits["CORE"] == [0, 0]
    assert limits["FSIZE"] == [8 << 20, 8 << 20]
    if any_mode == "bwrap":  # counted per sandbox there, so it can be exact
        assert limits["NPROC"] == [40, 40]


@needs_bwrap
def test_limits_without_util_linux_prlimit(bwrap_mode: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real_which = shutil.which
    monkeypatch.setattr(shutil, "which", lambda name, *a, **k: None if name == "prlimit" else real_which(name, *a, **k))
    limits = run(tmp_path, RLIMITS, scratch_mb=8, max_processes=40).json()
    assert limits == {"CORE": [0, 0], "FSIZE": [8 << 20, 8 << 20], "NPROC": [40, 40]}

MEMORY_BOMB = """
import time
hog = []
while True:
    hog.append(bytearray(16 << 20))
    time.sleep(0.005)
"""


def test_memory_bomb_is_killed_with_the_reason(any_mode: str, tmp_path: Path) -> None:
    result = run(tmp_path, MEMORY_BOMB, memory_mb=96, timeout=60)
    assert result.returncode != 0
    assert result.reason == "memory limit 96 MB exceeded"
    assert_clean(result.token)


FORK_BOMB = """
import os
print("bombing", flush=True)
while True:
    try:
        os.fork()
    except OSError:
        pass
"""


def test_fork_bomb_is_contained_and_cleaned_up(any_mode: str, tmp_path: Path) -> None:
    result = run(tmp_path, FORK_BOMB, max_processes=24, then=1.5)
    assert "bombing" in result.output
    assert_clean(result.token)


DAEMON = """
import os, sys, time
r, w = os.pipe()
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        os.write(w, str(os.getpid()).encode())
        os.close(w)
        sys.stdout = open(os.devnull, "w")
        while True:
            time.sleep(1)
    os._exit(0)
print("daemon", os.read(r, 20).decode(), flush=True)
time.sleep(60)
"""


def test_double_forked_daemon_does_not_outlive_stop_worker(any_mode: str, tmp_path: Path) -> None:
    result = run(tmp_path, DAEMON, then=1.0)
    assert "daemon" in result.output
    assert_clean(result.token)


@needs_bwrap
def test_scratch_and_tmp_are_size_limited(bwrap_mode: None, tmp_path: Path) -> None:
    code = """
    import json, os
    out = {}
    for name, path in (("scratch", "big.bin"), ("tmp", "/tmp/big.bin")):
        try:
            with open(path, "wb") as f:
                for _ in range(40):
                    f.write(b"x" * (1 << 20))
            out[name] = "written"
        except OSError as e:
            out[name] = e.strerror
        try:
            os.remove(path)
        except OSError:
            pass
    print(json.dumps(out))
    """
    out = run(tmp_path, code, scratch_mb=16).json()
    assert out["scratch"] == "File too large"
    assert out["tmp"] in ("No space left on device", "File too large")


def test_scratch_folder_watchdog_kills_many_small_files(any_mode: str, tmp_path: Path) -> None:
    code = """
    import time
    for i in range(10000):
        with open(f"f{i}.bin", "wb") as f:
            f.write(b"x" * (256 << 10))
    time.sleep(30)
    """
    result = run(tmp_path, code, scratch_mb=16, timeout=60)
    assert result.reason == "scratch folder limit 16 MB exceeded"


def test_watchdog_kills_a_tree_over_its_memory_budget(tmp_path: Path) -> None:
    """The fallback used where no memory cgroup can be made."""
    proc = subprocess.Popen([sys.executable, "-c", MEMORY_BOMB], start_new_session=True)
    dog = Watchdog(proc, memory_bytes=64 << 20, max_processes=None, scratch=None, scratch_bytes=0)
    dog.start()
    try:
        assert proc.wait(timeout=30) != 0
    finally:
        dog.stop()
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert dog.reason == "memory limit 64 MB exceeded"


def test_watchdog_counts_processes(tmp_path: Path) -> None:
    code = "import os, time\nfor _ in range(20):\n    os.fork() or time.sleep(30)\ntime.sleep(30)"
    proc = subprocess.Popen([sys.executable, "-c", code], start_new_session=True)
    dog = Watchdog(proc, memory_bytes=None, max_processes=8, scratch=None, scratch_bytes=0)
    dog.start()
    try:
        proc.wait(timeout=30)
    finally:
        dog.stop()
    assert dog.reason == "process limit 8 exceeded"


def test_stop_worker_is_idempotent_and_quick(any_mode: str, tmp_path: Path) -> None:
    spec = make_spec(tmp_path, "import time; print('up', flush=True); time.sleep(60)")
    proc = sandbox.start_worker(spec)
    assert proc.stdout.readline().strip() == b"up"
    started = time.monotonic()
    sandbox.stop_worker(proc)
    sandbox.stop_worker(proc)
    proc.stdout.close()
    assert time.monotonic() - started < 3
    assert proc.returncode is not None
    assert sandbox.killed_reason(proc) is None
