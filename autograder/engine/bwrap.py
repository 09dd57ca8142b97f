"""The bubblewrap command line for one worker (used by :mod:`autograder.engine.sandbox`).

The sandbox sees ``/usr`` (and the ``/bin``, ``/lib*`` links), a few files of
``/etc``, a made-up ``/etc/passwd``, the interpreter's prefixes, the
``autograder`` package alone at ``/opt/grade/autograder``, the data in
``ro_paths`` and the submission read-only, the scratch folder read-write, and
private ``/tmp``, ``/dev/shm``, ``/proc`` and ``/dev``. Everything else in it is
read-only and empty.
"""

from __future__ import annotations

import functools
import os
import shutil
import sys
import tempfile
from pathlib import Path
from autograder.engine import cgroups
from autograder.engine.spec import Probe, WorkerSpec
from autograder.errors import GradingError

PACKAGE_ROOT = Path("/opt/grade")  # the sandbox's PYTHONPATH: holds the autograder package only
STAGE_DIRS = (Path("/run/grade-sandbox"), Path(tempfile.gettempdir()) / "grade-sandbox-stage")
NOBODY = 65534
ETC_FILES = ("ld.so.cache", "ld.so.conf", "ld.so.conf.d", "localtime", "alternatives", "nsswitch.conf",
             "hosts", "mime.types", "fonts")

# Runs in front of the worker inside the sandbox where util-linux's prlimit is missing
# (plain mode has reaper.py instead).
LAUNCHER = (
    "import os,resource,sys\n"
    "b,n,f,c,p=(int(x) for x in sys.argv[1:6])\n"
    "if b>=0:\n os.read(b,1);os.close(b)\n"
    "resource.setrlimit(resource.RLIMIT_CORE,(0,0))\n"
    "resource.setrlimit(resource.RLIMIT_FSIZE,(f,f))\n"
    "if n>0:resource.setrlimit(resource.RLIMIT_NPROC,(n,n))\n"
    "if c>0:resource.setrlimit(resource.RLIMIT_CPU,(c,c))\n"
    "if p>0:os.nice(p)\n"
    "os.execv(sys.argv[7],sys.argv[7:])\n"
)
NICE = 10  # the worker's niceness where no cpu cgroup gives it a CPU share


def cpu_fallback(spec: WorkerSpec) -> tuple[int, int]:
    """(RLIMIT_CPU seconds, niceness) for a worker: nice only where no cpu cgroup holds its share."""
    return spec.cpu_seconds, (NICE if cgroups.hierarchies().cpu is None else 0)

# Runs as root in the staging bwrap: drops to the sandbox uid in a child, which execs the inner bwrap.
# The kernel sends a parent-death signal only where the dying parent may signal the child: the staging
# bwrap's monitor has no capabilities left, so it could not kill a uid-999 child, and the uid change
# clears the signal anyway. This root parent (killed with the monitor) can, so the chain holds.
DROPPER = (
    "import ctypes,os,sys\n"
    "u,g,me=int(sys.argv[1]),int(sys.argv[2]),os.getpid()\n"
    "c=os.fork()\n"
    "if c==0:\n"
    " os.setgroups([]);os.setgid(g);os.setuid(u)\n"
    " ctypes.CDLL(None).prctl(1,9,0,0,0)\n"
    " if os.getppid()!=me:os._exit(1)\n"
    " os.execv(sys.argv[4],sys.argv[4:])\n"
    "os.closerange(3,65536)\n"
    "s=os.waitpid(c,0)[1]\n"
    "os._exit(os.waitstatus_to_exitcode(s) if os.WIFEXITED(s) else 128+os.WTERMSIG(s))\n"
)


def sandbox_args(spec: WorkerSpec, found: Probe, data_fds: list[int], seccomp: bool) -> list[str]:
    """bwrap's options for ``spec`` (``data_fds``: passwd, group and, with ``seccomp``, the filter)."""
    args = ["--unshare-user", "--unshare-pid", "--unshare-net", "--unshare-ipc", "--unshare-uts",
            "--die-with-parent", "--new-session", "--cap-drop", "ALL", "--hostname", "grade"]
    args += [f for f in found.flags if f in ("--disable-userns", "--unshare-cgroup-try")]
    args += ["--ro-bind", "/usr", "/usr"]
    for name in ("bin", "sbin", "lib", "lib32", "lib64", "libx32"):
        path = Path("/") / name
        if path.is_symlink():
            args += ["--symlink", os.readlink(path), str(path)]
        elif path.is_dir():
            args += ["--ro-bind", str(path), str(path)]
    for name in ETC_FILES:
        args += ["--ro-bind-try", f"/etc/{name}", f"/etc/{name}"]
    args += ["--ro-bind-data", str(data_fds[0]), "/etc/passwd", "--ro-bind-data", str(data_fds[1]), "/etc/group"]
    args += ["--proc", "/proc", "--dev", "/dev"]
    size = ["--size", str(spec.scratch_mb << 20)] if "--size" in found.flags else []
    mounts: list[tuple[str, list[str]]] = [
        ("/tmp", [*size, "--tmpfs", "/tmp"]),
        ("/dev/shm", [*size, "--tmpfs", "/dev/shm"]),
        (str(PACKAGE_ROOT / "autograder"), ["--ro-bind", str(_package_dir()), str(PACKAGE_ROOT / "autograder")]),
    ]
    for path in _interpreter_paths():
        mounts.append((str(path), ["--ro-bind", str(path), str(path)]))
    for path in [*spec.ro_paths, spec.submission_dir]:
        real = Path(path).resolve()
        mounts.append((str(path), ["--ro-bind", str(real), str(Path(path).absolute())]))
    mounts.append((str(spec.scratch_dir), ["--bind", str(Path(spec.scratch_dir).resolve()),
                                           str(Path(spec.scratch_dir).absolute())]))
    for _, mount in sorted(mounts, key=lambda m: len(Path(m[0]).parts)):  # parents before children
        args += mount
    args += ["--remount-ro", "/dev", "--remount-ro", "/", "--chdir", str(Path(spec.scratch_dir).absolute())]
    if seccomp:
        args += ["--seccomp", str(data_fds[2])]
    return args


def staged(inner: list[str], found: Probe, uid: int, gid: int) -> list[str]:
    """As root: stage bind sources the sandbox uid cannot reach, drop to it, then run bwrap.

    bwrap resolves every bind source as the (unprivileged) caller, so a source under
    a root-only folder (``/root/.pyenv``, a 0700 temp folder) would be refused. A
    first, privileged bwrap makes a private mount namespace where those sources are
    also bound under a stage folder the sandbox uid may enter.
    """
    stage = _stage_dir()
    outer = [found.bwrap, "--dev-bind", "/", "/", "--tmpfs", str(stage), "--die-with-parent"]
    args = list(inner)
    n = 0
    for i, arg in enumerate(inner[:-1]):
        if arg in ("--ro-bind", "--bind", "--ro-bind-try"):
            source = inner[i + 1]
            if os.path.exists(source) and not _reachable(Path(source), uid, gid):
                staged = stage / str(n)
                n += 1
                outer += ["--bind", source, str(staged)]
                args[i + 1] = str(staged)
        if arg == "--":
            break
    drop = [sys.executable, "-S", "-I", "-c", DROPPER, str(uid), str(gid), "--"]
    return [*outer, "--", *drop, found.bwrap, *args]


@functools.cache
def _stage_dir() -> Path:
    for d in STAGE_DIRS:
        try:
            d.mkdir(mode=0o755, exist_ok=True)
            return d
        except OSError:
            continue
    raise GradingError("cannot create a stage folder for the sandbox (/run/grade-sandbox)")


def _reachable(path: Path, uid: int, gid: int) -> bool:
    """Whether ``uid`` may reach and read ``path`` (ignoring ACLs)."""
    path = path.resolve()
    for i, part in enumerate([*reversed(path.parents), path]):
        try:
            st = part.stat()
        except OSError:
            return False
        need = 0o1 if part != path else (0o5 if part.is_dir() else 0o4)
        shift = 6 if st.st_uid == uid else 3 if st.st_gid == gid else 0
        if (st.st_mode >> shift) & need != need:
            return False
    return True


def limiter(spec: WorkerSpec) -> list[str]:
    """Run inside the sandbox, so RLIMIT_NPROC counts this sandbox's processes only."""
    fsize = spec.scratch_mb << 20
    cpu, nice = cpu_fallback(spec)
    prlimit = shutil.which("prlimit", path="/usr/bin:/bin")
    renice = shutil.which("nice", path="/usr/bin:/bin")
    if prlimit and (renice or not nice):
        return [prlimit, f"--nproc={spec.max_processes}", "--core=0", f"--fsize={fsize}",
                *([f"--cpu={cpu}"] if cpu else []), "--", *([renice, "-n", str(nice)] if nice else [])]
    return [sys.executable, "-S", "-I", "-c", LAUNCHER, "-1", str(spec.max_processes), str(fsize), str(cpu), str(nice), "--"]


@functools.cache
def _package_dir() -> Path:
    import autograder

    return Path(autograder.__file__).resolve().parent


@functools.cache
def _interpreter_paths() -> tuple[Path, ...]:
    """The interpreter's prefixes (not already under /usr), outermost first, no duplicates."""
    candidates = {Path(p).resolve() for p in (sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix)}
    executable = Path(sys.executable).resolve()
    if not any(executable.is_relative_to(c) for c in candidates):
        candidates.add(executable.parent)
    kept: list[Path] = []
    for c in sorted(candidates, key=lambda p: len(p.parts)):
        if c.is_relative_to("/usr") or any(c.is_relative_to(k) for k in kept):
            continue
        kept.append(c)
    return tuple(kept)


def passwd(uid: int, gid: int, home: Path) -> bytes:
    lines = ["root:x:0:0:root:/root:/usr/sbin/nologin", f"student:x:{uid}:{gid}:student:{home}:/bin/sh"]
    if uid != NOBODY:
        lines.append(f"nobody:x:{NOBODY}:{NOBODY}:nobody:/nonexistent:/usr/sbin/nologin")
    return ("\n".join(lines) + "\n").encode()


def group(gid: int) -> bytes:
    lines = ["root:x:0:", f"student:x:{gid}:"]
    if gid != NOBODY:
        lines.append(f"nogroup:x:{NOBODY}:")
    return ("\n".join(lines) + "\n").encode()
