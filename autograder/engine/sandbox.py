"""How a worker process is started: under bubblewrap where it works, else plainly.

Everything that decides how untrusted code is launched lives here, so the rest
of the engine only ever calls :func:`start_worker` and :func:`stop_worker`.

Under bubblewrap the worker sees a read-only interpreter and ``/usr``, the
``autograder`` package alone (at ``/opt/grade/autograder``), the submission
(read-only), its scratch folder (the only writable host folder), the data in
``ro_paths``, a private size-limited ``/tmp`` and nothing else: no network, no
other processes, no capabilities, no nested user namespaces. A grader running
as root first drops to the unprivileged ``grade-sandbox`` user (created on first
use, else ``nobody``). Limits: a cgroup (memory, processes) where one can be
made, else a watchdog thread; RLIMIT_NPROC counted per sandbox; RLIMIT_FSIZE and
a size check on the scratch folder; no core dumps. ``GRADE_SANDBOX`` picks the
mode: ``auto`` (default: bwrap if the probe works), ``bwrap`` (required), ``none``.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import os
import pwd
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
import weakref
from dataclasses import dataclass, field
from pathlib import Path

import psutil

from autograder.engine import bwrap, cgroups, lifetime, zygote
from autograder.engine.spec import ForkJob, Probe, WorkerSpec  # noqa: F401  (ForkJob: for callers)
from autograder.engine.watchdog import Watchdog, kill_tagged
from autograder.errors import GradingError, SandboxUnavailable

MODE_VARIABLE = "GRADE_SANDBOX"
SANDBOX_USER = "grade-sandbox"
NOBODY = bwrap.NOBODY
TOKEN_VARIABLE = "GRADE_WORKER_TOKEN"
REAPER = Path(__file__).with_name("reaper.py")
SETUP_TIMEOUT = 20.0

@dataclass
class _Worker:
    mode: str
    memory_mb: int
    cgroup: cgroups.Cgroup | None
    watchdog: Watchdog
    token: str
    inner: list[tuple[int, float]] = field(default_factory=list)  # (pid, start time) of the sandbox's pid 1
    killed: str | None = None


_workers: weakref.WeakKeyDictionary[subprocess.Popen, _Worker] = weakref.WeakKeyDictionary()
_inherited_probe: Probe | None = None  # the probe of the process that started this one (use_shared_zygote)

# -- mode ----------------------------------------------------------------------------


def _setting() -> str:
    value = os.environ.get(MODE_VARIABLE, "auto").strip().lower() or "auto"
    if value not in ("auto", "bwrap", "none"):
        raise GradingError(f"{MODE_VARIABLE} must be auto, bwrap or none, not {value!r}")
    return value


def sandbox_mode() -> str:
    """``"bwrap"`` when bubblewrap works here (and is not turned off), else ``"none"``."""
    setting = _setting()
    if setting == "none":
        return "none"
    if probe().works:
        return "bwrap"
    if setting == "bwrap":
        raise SandboxUnavailable(f"{MODE_VARIABLE}=bwrap but bubblewrap does not work here: {probe().detail}")
    return "none"


def sandbox_notice() -> str | None:
    """The one line the CLI prints when submissions will run without a sandbox."""
    if sandbox_mode() == "bwrap":
        return None
    if _setting() == "none":
        return f"the sandbox is turned off ({MODE_VARIABLE}=none): submissions run without a sandbox"
    return f"bubblewrap is not available here ({probe().detail}): submissions run without a sandbox"


def require_sandbox() -> None:
    """Raise :class:`SandboxUnavailable` unless workers will run under bubblewrap."""
    if sandbox_mode() != "bwrap":
        reason = f"{MODE_VARIABLE}=none" if _setting() == "none" else probe().detail
        raise SandboxUnavailable(f"a sandbox is required but bubblewrap cannot be used here ({reason})")


@functools.cache
def probe() -> Probe:
    """Run a real ``python`` under bwrap with the flags workers get (once per process, or taken over
    from the process that started this one: :func:`use_shared_zygote`)."""
    if _inherited_probe is not None:
        return _inherited_probe
    if not sys.platform.startswith("linux"):
        return Probe(False, f"bubblewrap needs Linux, this is {sys.platform}")
    bwrap = shutil.which("bwrap")
    if bwrap is None:
        return Probe(False, "bwrap not found; install the bubblewrap package")
    try:
        help_text = subprocess.run([bwrap, "--help"], capture_output=True, text=True, timeout=10).stdout
        version = subprocess.run([bwrap, "--version"], capture_output=True, text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError) as e:
        return Probe(False, f"bwrap cannot be run: {e}")
    wanted = [f for f in ("--disable-userns", "--unshare-cgroup-try", "--size") if f in help_text]
    uid, gid = _sandbox_ids() if os.geteuid() == 0 else (None, None)
    seccomp = "--seccomp" in help_text and _seccomp_program() is not None
    detail = "unknown error"
    # Try with every hardening flag first, then without those an older kernel may refuse.
    for flags in (tuple(wanted), tuple(f for f in wanted if f != "--disable-userns")):
        for use_seccomp in ((True, False) if seccomp else (False,)):
            candidate = Probe(True, version, bwrap, flags, uid, gid, use_seccomp)
            ok, detail = _try(candidate)
            if ok:
                return candidate
    return Probe(False, detail)


def _try(candidate: Probe) -> tuple[bool, str]:
    with tempfile.TemporaryDirectory(prefix=lifetime.scratch_prefix("probe")) as tmp:
        os.chmod(tmp, 0o755)
        scratch = Path(tmp) / "work"
        scratch.mkdir()
        spec = WorkerSpec(argv=[sys.executable, "-S", "-c", "import os; print('uid', os.getuid())"],
                          submission_dir=Path(tmp), scratch_dir=scratch, memory_mb=256, scratch_mb=16)
        proc = None
        try:
            proc = _start_bwrap(spec, candidate, use_cgroup=False)
            out, _ = proc.communicate(timeout=SETUP_TIMEOUT)
        except (OSError, subprocess.SubprocessError) as e:
            return False, str(e)
        finally:
            if proc is not None:
                stop_worker(proc)
                proc.stdout.close()
        text = out.decode("utf-8", "replace").strip()
        if proc.returncode == 0 and "uid" in text:
            return True, ""
        lines = [line for line in text.splitlines() if line.strip()]
        return False, (lines[-1] if lines else f"exit code {proc.returncode}")[:200]


def _sandbox_ids() -> tuple[int, int]:
    """The uid/gid a root grader drops to: ``grade-sandbox`` (created if missing), else nobody."""
    for attempt in range(2):
        try:
            entry = pwd.getpwnam(SANDBOX_USER)
            return entry.pw_uid, entry.pw_gid
        except KeyError:
            pass
        if attempt == 0 and shutil.which("useradd"):
            subprocess.run(["useradd", "--system", "--user-group", "--no-create-home", "--home-dir", "/nonexistent",
                            "--shell", "/usr/sbin/nologin", "--comment", "autograder sandbox", SANDBOX_USER],
                           capture_output=True, timeout=30)
    return NOBODY, NOBODY


def _seccomp_program() -> bytes | None:
    from autograder.engine.worker.seccomp import compiled_filter

    return compiled_filter()


# -- start and stop ----------------------------------------------------------------


def start_worker(spec: WorkerSpec) -> subprocess.Popen | ForkedWorker:
    """Start the worker sandboxed (or plainly, see :func:`sandbox_mode`) with its limits.

    A worker with ``spec.fork`` is forked from this process's zygote into a sandbox of
    its own where zygotes are enabled and bubblewrap works; else it starts fresh.
    """
    if sandbox_mode() == "bwrap":
        if spec.fork is not None and zygote.enabled():
            forked = _start_forked(spec, probe())
            if forked is not None:
                return forked
        return _start_bwrap(spec, probe(), use_cgroup=True)
    return _start_plain(spec)


def stop_worker(proc: subprocess.Popen | ForkedWorker) -> None:
    """Kill the worker and everything it started (daemons included); reap it; clean up."""
    if isinstance(proc, ForkedWorker):  # its sandbox's end is its end: it is a member of the sandbox's pid namespace
        stop_worker(proc.holder)
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:  # pragma: no cover - a pid 1 that neither reports nor dies
            pass
        return
    worker = _workers.get(proc)
    if worker is not None:
        worker.watchdog.stop()
        # Kill from the inside out so every process is reaped by its own parent:
        # the sandbox's pid 1 takes its whole pid namespace along, then bwrap exits.
        for pid, started in worker.inner:
            _kill_if_same(pid, started)
        if worker.cgroup is not None:
            worker.cgroup.kill()
        if worker.inner or worker.cgroup is not None:
            try:
                proc.wait(timeout=1)
            except subprocess.TimeoutExpired:
                pass
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    if worker is not None and worker.mode == "none":
        kill_tagged(TOKEN_VARIABLE, worker.token)
    try:
        proc.wait(timeout=5)
    except subprocess.TimeoutExpired:  # pragma: no cover - a zombie that will not die
        pass
    if worker is not None and worker.cgroup is not None:
        worker.killed = killed_reason(proc)
        worker.cgroup.kill()
        worker.cgroup.remove()
        worker.cgroup = None


def killed_reason(proc: subprocess.Popen) -> str | None:
    """Why the sandbox killed this worker ("memory limit 1024 MB exceeded"), or None."""
    worker = _workers.get(proc)
    if worker is None:
        return None
    if worker.killed is None and worker.watchdog.reason is not None:
        worker.killed = worker.watchdog.reason
    if worker.killed is None and worker.cgroup is not None and worker.cgroup.oom_killed():
        worker.killed = f"memory limit {worker.memory_mb} MB exceeded"
    return worker.killed


def _base_env(spec: WorkerSpec, token: str) -> dict[str, str]:
    return {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": str(spec.scratch_dir), "LANG": "C.UTF-8",
            TOKEN_VARIABLE: token, lifetime.OWNER_VARIABLE: lifetime.owner_tag(), **spec.env}


def _start_plain(spec: WorkerSpec) -> subprocess.Popen:
    token = uuid.uuid4().hex
    env = {**_base_env(spec, token), "PATH": os.environ.get("PATH", "/usr/bin:/bin")}
    group = cgroups.create(memory_bytes=spec.memory_mb << 20, max_pids=spec.max_processes, cpus=spec.cpus)
    gate_r, gate_w = os.pipe() if group is not None else (-1, -1)
    # RLIMIT_NPROC outside a user namespace counts every process of this user: only a backstop.
    nproc = _user_tasks() + spec.max_processes if group is None or group.pids is None else 0
    cpu, nice = bwrap.cpu_fallback(spec)
    # The reaper in front of the worker takes the worker's whole tree along when this process dies.
    argv = [sys.executable, "-S", "-I", str(REAPER), str(gate_r), str(nproc), str(spec.scratch_mb << 20), str(cpu), str(nice),
            str(os.getpid()), "--", *spec.argv]
    fds = tuple(spec.pass_fds) + ((gate_r,) if gate_r >= 0 else ())
    try:
        proc = subprocess.Popen(argv, cwd=spec.scratch_dir, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, pass_fds=fds, start_new_session=True)
    except BaseException:
        _close(gate_r, gate_w)
        if group is not None:
            group.remove(wait=0)
        raise
    if group is not None:
        os.close(gate_r)
        try:
            group.add(proc.pid)
        except OSError:
            group.remove(wait=0)
            group = None
        finally:
            os.write(gate_w, b"1")
            os.close(gate_w)
    _watch(proc, spec, "none", group, token)
    return proc


def _start_bwrap(spec: WorkerSpec, found: Probe, *, use_cgroup: bool, stdin: int = subprocess.DEVNULL,
                 stdout: int = subprocess.PIPE, as_pid_1: bool = False) -> subprocess.Popen:
    token = uuid.uuid4().hex
    uid = found.uid if found.uid is not None else os.getuid()
    gid = found.gid if found.gid is not None else os.getgid()
    if found.uid is not None:
        # The scratch folder must be the sandbox user's. A submission folder that holds it is
        # the engine's per-run copy: give it away too (it is mounted read-only all the same),
        # so a restrictive umask of the grader does not lock the worker out of its own job.
        inside = Path(spec.scratch_dir).resolve().is_relative_to(Path(spec.submission_dir).resolve())
        _chown_tree(spec.submission_dir if inside else spec.scratch_dir, uid, gid)
    info_r, info_w = os.pipe()
    gate_r, gate_w = os.pipe()
    data_fds = [_memfd("passwd", bwrap.passwd(uid, gid, spec.scratch_dir)), _memfd("group", bwrap.group(gid))]
    program = _seccomp_program() if found.seccomp else None
    if program is not None:
        data_fds.append(_memfd("seccomp", program))
    inner = bwrap.sandbox_args(spec, found, data_fds, program is not None)
    # as_pid_1: its command is its own reaper, not bubblewrap's; limits are the forked worker's to set
    command = spec.argv if as_pid_1 else [*bwrap.limiter(spec), *spec.argv]
    inner += [*(["--as-pid-1"] if as_pid_1 else []), "--info-fd", str(info_w), "--block-fd", str(gate_r), "--", *command]
    argv = bwrap.staged(inner, found, uid, gid) if found.uid is not None else [found.bwrap, *inner]
    env = {**_base_env(spec, token), "PYTHONPATH": str(bwrap.PACKAGE_ROOT)}
    fds = tuple(spec.pass_fds) + (info_w, gate_r, *data_fds)
    try:
        proc = subprocess.Popen(argv, cwd=spec.scratch_dir, env=env, stdin=stdin, stdout=stdout,
                                stderr=subprocess.STDOUT, pass_fds=fds, start_new_session=True)
    finally:
        _close(info_w, gate_r, *data_fds)
    group, inner = None, []
    try:
        child = _read_child_pid(info_r)
        inner = _identify(child)
        if use_cgroup and inner:
            group = cgroups.create(memory_bytes=spec.memory_mb << 20, max_pids=spec.max_processes, cpus=spec.cpus)
            if group is not None:
                try:
                    for pid, _ in inner:
                        group.add(pid)
                except OSError:
                    group.remove(wait=0)
                    group = None
    finally:
        os.write(gate_w, b"1")  # the sandbox starts only now, inside its cgroup
        _close(info_r, gate_w)
    _watch(proc, spec, "bwrap", group, token).inner = inner
    return proc


# -- forked from the zygote ----------------------------------------------------------


class ForkedWorker:
    """A worker forked from the zygote into its own sandbox: what the grader needs of a ``Popen``.

    ``holder`` is the bubblewrap process that made the sandbox; its pid 1
    (:mod:`autograder.engine.worker.init`) is the worker's parent and writes the
    worker's exit code to ``status`` when it ends. Killed first, it says nothing and
    the worker reads as killed, as a fresh worker does whose bubblewrap was killed.
    """

    def __init__(self, pid: int, output: int, status: int, holder: subprocess.Popen) -> None:
        self.pid, self.holder, self.returncode = pid, holder, None
        self.stdout = os.fdopen(output, "rb")
        self._status = status
        self._reading = threading.Lock()  # its watchdog polls while the grader waits: the pipe is read and closed once

    def poll(self) -> int | None:
        self._settled(within=0)
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        deadline = None if timeout is None else time.monotonic() + timeout
        while not self._settled(within=0.05):
            if deadline is not None and time.monotonic() > deadline:
                raise subprocess.TimeoutExpired(f"worker {self.pid}", timeout)
        return self.returncode

    def _settled(self, *, within: float) -> bool:
        """Whether how it ended is known, reading it if pid 1 says it ``within`` seconds."""
        with self._reading:
            if self.returncode is None and self._status >= 0 and select.select([self._status], [], [], within)[0]:
                self._read_status()
            return self.returncode is not None or self._status < 0

    def _read_status(self) -> None:
        data = os.read(self._status, 64)
        os.close(self._status)
        self._status = -1
        try:
            self.returncode = int(data)
        except ValueError:  # pid 1 was killed before it could say
            self.returncode = -signal.SIGKILL


def _start_forked(spec: WorkerSpec, found: Probe) -> ForkedWorker | None:
    """Make the worker's sandbox with bubblewrap, fork the worker into it from the zygote; None to start it fresh."""
    source = _zygote(spec.env, found, wait=True)
    if source is None:
        return None
    holder_argv = [sys.executable, "-S", "-I", str(bwrap.PACKAGE_ROOT / "autograder" / "engine" / "worker" / "init.py")]
    parent_r, parent_w = os.pipe()
    out_r, out_w = os.pipe()
    gate_r, gate_w = os.pipe()
    status_r, status_w = os.pipe()
    holder = None
    try:
        holder = _start_bwrap(dataclasses.replace(spec, argv=[*holder_argv, str(status_w)], pass_fds=(status_w,)), found,
                              use_cgroup=True, stdin=parent_r, stdout=out_w, as_pid_1=True)
        os.close(status_w)
        status_w = -1
        worker = _workers[holder]
        if not worker.inner:
            raise zygote.ZygoteUnavailable("the sandbox did not say its first process")
        # bubblewrap says its first process before making its mounts: join only once that process runs.
        ready = select.select([status_r], [], [], zygote.READY_TIMEOUT)[0] and os.read(status_r, 1)
        if ready != b"+":
            raise zygote.ZygoteUnavailable("the sandbox's pid 1 did not start")
        env = {**_base_env(spec, worker.token), "PYTHONPATH": str(bwrap.PACKAGE_ROOT)}
        cpu, nice = bwrap.cpu_fallback(spec)
        request = {"target": worker.inner[0][0], "cwd": str(Path(spec.scratch_dir).absolute()), "env": env,
                   "job": spec.fork.job, "package": str(bwrap.PACKAGE_ROOT / "autograder"),
                   "limits": {"nproc": spec.max_processes, "fsize": spec.scratch_mb << 20, "cpu": cpu, "nice": nice}}
        pid = source.spawn(request, [spec.fork.rpc_in, spec.fork.rpc_out, out_w, parent_w, gate_r])
        if worker.cgroup is not None:
            worker.cgroup.add(pid)  # before it may run: the gate opens only after
        os.write(gate_w, b"1")
    except (OSError, zygote.ZygoteUnavailable) as e:
        if holder is not None:
            stop_worker(holder)
        _close(out_r, status_r)
        zygote.give_up(_zygote_key(spec.env), e)  # this worker starts fresh; zygote.give_up says what follows
        return None
    finally:
        _close(parent_r, parent_w, out_w, gate_r, gate_w, status_w)
    forked = ForkedWorker(pid, out_r, status_r, holder)
    worker.watchdog.stop()  # it watched the holder: the worker is not below it
    worker.watchdog = Watchdog(forked, memory_bytes=worker.watchdog.memory_bytes,
                               max_processes=worker.watchdog.max_processes, scratch=spec.scratch_dir,
                               scratch_bytes=spec.scratch_mb << 20)
    worker.watchdog.start()
    _workers[forked] = worker
    return forked


@dataclass(frozen=True)
class SharedZygote:
    """A zygote this process started for the grading processes it starts, and the probe they would repeat."""

    lent: zygote.Lent
    probe: Probe


def share_zygote(env: dict[str, str]) -> SharedZygote | None:
    """Start a zygote for numpy workers with ``env`` here, not waiting for it, to hand to grading processes.

    None where workers are not forked (no bubblewrap, or no zygote can start). It stops with
    :func:`stop_shared_zygote`, or when this process and every process it was handed to have ended.
    """
    if sandbox_mode() != "bwrap" or _zygote(env, probe(), wait=False) is None:
        return None
    lent = zygote.lend(_zygote_key(env))
    return None if lent is None else SharedZygote(lent, probe())


def use_shared_zygote(shared: SharedZygote) -> None:
    """In a grading process: the sandbox as its parent probed it, numpy workers forked from its parent's zygote."""
    global _inherited_probe
    _inherited_probe = shared.probe
    zygote.borrow(shared.lent)


def stop_shared_zygote(shared: SharedZygote) -> None:
    zygote.release(shared.lent.key)


def prestart_zygote(env: dict[str, str]) -> bool:
    """Start the zygote for workers with ``env`` without waiting for it; False if workers will start fresh."""
    if not zygote.enabled() or sandbox_mode() != "bwrap":
        return False
    return _zygote(env, probe(), wait=False) is not None


def _zygote(env: dict[str, str], found: Probe, *, wait: bool) -> zygote.Zygote | None:
    return zygote.shared(_zygote_key(env), functools.partial(_zygote_env, env), uid=found.uid, gid=found.gid,
                         seccomp=found.seccomp and _seccomp_program() is not None, wait=wait)


def _zygote_key(env: dict[str, str]) -> tuple:
    return tuple(sorted(env.items()))  # workers whose environment differs never share a zygote


def _zygote_env(env: dict[str, str]) -> dict[str, str]:
    """The zygote's environment: a worker's (``env``: thread caps and the like), with no folder of its own."""
    import autograder

    return {"PATH": "/usr/local/bin:/usr/bin:/bin", "LANG": "C.UTF-8", lifetime.OWNER_VARIABLE: lifetime.owner_tag(),
            **env, "HOME": "/nonexistent", "PYTHONPATH": str(Path(autograder.__file__).resolve().parent.parent)}


def _identify(child: int | None) -> list[tuple[int, float]]:
    """(pid, start time) of the sandbox's pid 1, whose death ends its whole pid namespace."""
    if child is None:
        return []
    try:
        return [(child, psutil.Process(child).create_time())]
    except psutil.Error:
        return []


def _kill_if_same(pid: int, started: float) -> None:
    try:
        p = psutil.Process(pid)
        if p.create_time() == started:
            p.kill()
    except psutil.Error:
        pass


def _watch(proc: subprocess.Popen, spec: WorkerSpec, mode: str, group: cgroups.Cgroup | None, token: str) -> _Worker:
    watchdog = Watchdog(proc, memory_bytes=None if group and group.memory else spec.memory_mb << 20,
                        max_processes=None if group and group.pids else (spec.max_processes if mode == "none" else None),
                        scratch=spec.scratch_dir, scratch_bytes=spec.scratch_mb << 20)
    worker = _workers[proc] = _Worker(mode, spec.memory_mb, group, watchdog, token)
    watchdog.start()
    return worker


# -- the bwrap command line --------------------------------------------------------


def _memfd(name: str, data: bytes) -> int:
    fd = os.memfd_create(f"grade-{name}", 0)
    os.write(fd, data)
    os.lseek(fd, 0, os.SEEK_SET)
    return fd


def _read_child_pid(fd: int) -> int | None:
    """bwrap writes ``{"child-pid": N, ...}`` once the sandbox process exists."""
    data = b""
    while True:
        ready, _, _ = select.select([fd], [], [], SETUP_TIMEOUT)
        if not ready:
            return None
        chunk = os.read(fd, 4096)
        if not chunk:
            break
        data += chunk
        if data.rstrip().endswith(b"}"):
            break
    try:
        return int(json.loads(data)["child-pid"])
    except (ValueError, KeyError, TypeError):
        return None


def _chown_tree(root: Path, uid: int, gid: int) -> None:
    os.chown(root, uid, gid)
    for folder, dirs, files in os.walk(root):
        for name in dirs + files:
            os.chown(os.path.join(folder, name), uid, gid, follow_symlinks=False)


def _user_tasks() -> int:
    try:
        me = os.getuid()
        return sum(p.info["num_threads"] or 1 for p in psutil.process_iter(["uids", "num_threads"])
                   if p.info["uids"] and p.info["uids"].real == me)
    except (psutil.Error, OSError):
        return 4096


def _close(*fds: int) -> None:
    for fd in fds:
        if fd >= 0:
            try:
                os.close(fd)
            except OSError:
                pass
