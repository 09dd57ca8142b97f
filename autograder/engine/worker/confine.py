"""What a forked worker does to itself to stand where a fresh one stands (Linux only).

A worker forked from the zygote (``worker/zygote.py``) is not started by
bubblewrap: it joins a sandbox bubblewrap has just made for it, then gives up
what joining gave it. :func:`enter` joins every namespace of the sandbox's
first process (user first, which grants the capabilities the others need; the
pid namespace applies to the children made after it). :func:`drop_privileges`
then leaves it with no capabilities in any set, no way to gain one
(``no_new_privs``), and the seccomp program bubblewrap gives a fresh worker.
"""

from __future__ import annotations

import ctypes
import fcntl
import os
import resource

from autograder.engine.reaper import limit_worker  # the same limits as a plain-mode worker's (standard library only)

NAMESPACES = ("user", "mnt", "uts", "ipc", "net", "cgroup", "pid")  # user first: it grants the rest
PR_SET_DUMPABLE, PR_CAPBSET_DROP, PR_SET_NO_NEW_PRIVS, PR_CAP_AMBIENT = 4, 24, 38, 47
PR_SET_SECCOMP, SECCOMP_MODE_FILTER, PR_CAP_AMBIENT_CLEAR_ALL = 22, 2, 4
CAPABILITY_VERSION_3 = 0x20080522
CLONE_NEWUSER, NS_GET_PARENT, MAX_NESTING = 0x10000000, 0xB702, 8


class ConfineError(OSError):
    """A step of joining or confining failed: the worker must not run."""


_libc = ctypes.CDLL(None, use_errno=True)


def _check(result: int, what: str) -> None:
    if result != 0:
        err = ctypes.get_errno()
        raise ConfineError(err, f"{what}: {os.strerror(err)}")


def enter(pid: int) -> None:
    """Join the namespaces of ``pid`` (this process must be single-threaded).

    bubblewrap's ``--disable-userns`` puts the sandbox in a user namespace nested in
    the one that owns its other namespaces. This process joins the outer one first
    (it owns that, so it has every capability there), then the other namespaces,
    then the nested user namespaces down to the sandbox's own.
    """
    fds: dict[str, int] = {}
    users: list[int] = []
    try:
        # All opened and compared first: once in the sandbox's mount namespace, /proc is the sandbox's.
        for name in NAMESPACES:
            fd = os.open(f"/proc/{pid}/ns/{name}", os.O_RDONLY | os.O_CLOEXEC)
            if os.stat(f"/proc/self/ns/{name}").st_ino == os.fstat(fd).st_ino:
                os.close(fd)  # not unshared (a kernel without cgroup namespaces): nothing to join
                continue
            fds[name] = fd
        if "user" not in fds or "mnt" not in fds or "pid" not in fds:
            raise ConfineError(0, f"process {pid} is not in a sandbox of its own")
        users = _user_chain(fds.pop("user"))
        _check(_libc.setns(users[0], CLONE_NEWUSER), "joining the sandbox's outer user namespace")
        for name, fd in fds.items():
            _check(_libc.setns(fd, 0), f"joining the sandbox's {name} namespace")
        for fd in users[1:]:
            _check(_libc.setns(fd, CLONE_NEWUSER), "joining the sandbox's user namespace")
    finally:
        for fd in [*fds.values(), *users]:
            os.close(fd)


def _user_chain(target: int) -> list[int]:
    """File descriptors of the user namespaces from this one's child down to ``target``, outermost first."""
    mine = os.stat("/proc/self/ns/user").st_ino
    chain = [target]
    while len(chain) < MAX_NESTING:
        parent = fcntl.ioctl(chain[0], NS_GET_PARENT)
        if os.fstat(parent).st_ino == mine:
            os.close(parent)
            return chain
        chain.insert(0, parent)
    for fd in chain:
        os.close(fd)
    raise ConfineError(0, "the sandbox's user namespace is nested too deep")


def limit(*, nproc: int, fsize: int, cpu: int, nice: int) -> None:
    """The rlimits and niceness bubblewrap's ``prlimit``/``nice`` give a fresh worker."""
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    resource.setrlimit(resource.RLIMIT_FSIZE, (fsize, fsize))
    limit_worker(nproc, cpu, nice)


class _CapHeader(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]


class _CapData(ctypes.Structure):
    _fields_ = [("effective", ctypes.c_uint32), ("permitted", ctypes.c_uint32), ("inheritable", ctypes.c_uint32)]


class _SockFprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]


def drop_privileges(seccomp_program: bytes | None) -> None:
    """No capabilities (bounding, ambient, permitted, effective, inheritable), no new privileges, the filter."""
    with open("/proc/sys/kernel/cap_last_cap", encoding="ascii") as f:
        last = int(f.read())
    for cap in range(last + 1):  # needs CAP_SETPCAP: before the capability sets are emptied
        _check(_libc.prctl(PR_CAPBSET_DROP, cap, 0, 0, 0), f"dropping capability {cap} from the bounding set")
    _check(_libc.prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0), "clearing ambient capabilities")
    header, data = _CapHeader(CAPABILITY_VERSION_3, 0), (_CapData * 2)()
    _check(_libc.capset(ctypes.byref(header), data), "emptying the capability sets")
    _check(_libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "setting no_new_privs")
    _check(_libc.prctl(PR_SET_DUMPABLE, 1, 0, 0, 0), "making the worker dumpable, as a fresh one is")
    if seccomp_program:
        buffer = ctypes.create_string_buffer(seccomp_program, len(seccomp_program))
        program = _SockFprog(len(seccomp_program) // 8, ctypes.cast(buffer, ctypes.c_void_p))
        _check(_libc.prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, ctypes.byref(program), 0, 0), "loading the seccomp filter")


def capabilities() -> dict[str, int]:
    """This process's capability sets, as ``/proc/self/status`` shows them (for tests and reports)."""
    with open("/proc/self/status", encoding="ascii") as f:
        return {k: int(v, 16) for k, _, v in (line.partition(":") for line in f) if k.startswith("Cap")}
