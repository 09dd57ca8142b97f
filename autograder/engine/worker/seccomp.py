"""An optional seccomp filter for the worker: defence in depth, never required.

The filter allows every system call except the few that student code has no
business making: sockets other than AF_UNIX, ptrace and reading other
processes' memory, mounts, BPF, the kernel keyring, new namespaces, io_uring
(which would bypass the socket rule), and module or kexec loading. Denied calls
fail with an errno; nothing is killed, so a library that probes for a feature
just sees it missing.

Under bubblewrap the sandbox compiles the filter (:func:`compiled_filter`) and
bwrap installs it before the worker's interpreter starts. Without bwrap the
worker calls :func:`apply_seccomp` itself before student code runs.
pyseccomp and libseccomp are optional: without them nothing is loaded.
"""

from __future__ import annotations

import errno
import functools
import os
import socket
import tempfile
from typing import Any

DENIED = (  # EPERM, whatever the arguments
    "ptrace", "process_vm_readv", "process_vm_writev", "kcmp", "pidfd_getfd",
    "mount", "umount2", "pivot_root", "chroot", "move_mount", "open_tree", "fsopen", "fsconfig",
    "fsmount", "fspick", "mount_setattr", "unshare", "setns",
    "bpf", "perf_event_open", "userfaultfd", "keyctl", "add_key", "request_key",
    "kexec_load", "kexec_file_load", "init_module", "finit_module", "delete_module",
    "reboot", "swapon", "swapoff", "acct", "open_by_handle_at", "name_to_handle_at",
)
MISSING = ("clone3", "io_uring_setup", "io_uring_enter", "io_uring_register")  # ENOSYS: libc falls back
# CLONE_NEWNS, NEWCGROUP, NEWUTS, NEWIPC, NEWUSER, NEWPID, NEWNET (NEWTIME exists only for clone3)
CLONE_NAMESPACE_FLAGS = (0x00020000, 0x02000000, 0x04000000, 0x08000000, 0x10000000, 0x20000000, 0x40000000)
LOW32 = 0xFFFFFFFF


def _seccomp() -> Any:
    import pyseccomp  # optional dependency: the "sandbox" extra

    return pyseccomp


def build_filter(*, protect_pids: tuple[int, ...] = ()) -> Any:
    """The filter as a ``pyseccomp.SyscallFilter``; ``protect_pids`` may not be signalled.

    Raises ImportError/OSError/RuntimeError when pyseccomp or libseccomp is missing.
    """
    sc = _seccomp()
    f = sc.SyscallFilter(defaction=sc.ALLOW)
    for name in DENIED:
        _rule(f, sc.ERRNO(errno.EPERM), name)
    for name in MISSING:
        _rule(f, sc.ERRNO(errno.ENOSYS), name)
    _rule(f, sc.ERRNO(errno.EAFNOSUPPORT), "socket", sc.Arg(0, sc.NE, socket.AF_UNIX))
    for flag in CLONE_NAMESPACE_FLAGS:
        _rule(f, sc.ERRNO(errno.EPERM), "clone", sc.Arg(0, sc.MASKED_EQ, flag, flag))
    if protect_pids:  # kill(-1, ...) would reach every process of this user
        _rule(f, sc.ERRNO(errno.EPERM), "kill", sc.Arg(0, sc.MASKED_EQ, LOW32, LOW32))
    for pid in protect_pids:  # the grader (plain mode only: under bwrap it is not even visible)
        for target in (pid, -pid):
            _rule(f, sc.ERRNO(errno.EPERM), "kill", sc.Arg(0, sc.MASKED_EQ, LOW32, target & LOW32))
        _rule(f, sc.ERRNO(errno.EPERM), "tgkill", sc.Arg(0, sc.MASKED_EQ, LOW32, pid & LOW32))
        _rule(f, sc.ERRNO(errno.EPERM), "pidfd_open", sc.Arg(0, sc.MASKED_EQ, LOW32, pid & LOW32))
    return f


def _rule(f: Any, action: int, name: str, *args: Any) -> None:
    try:
        f.add_rule(action, name, *args)
    except (ValueError, RuntimeError, OSError):  # a call this kernel/arch does not know
        pass


@functools.cache
def compiled_filter() -> bytes | None:
    """The filter as a BPF program (for ``bwrap --seccomp FD``), or None if unavailable."""
    try:
        f = build_filter()
        with tempfile.TemporaryFile() as out:
            f.export_bpf(out)
            out.seek(0)
            return out.read()
    except (ImportError, OSError, RuntimeError, ValueError, AttributeError):
        return None


def filter_loaded() -> bool:
    """Whether this process already runs under a seccomp filter."""
    try:
        with open("/proc/self/status", encoding="ascii") as f:
            return any(line.split() == ["Seccomp:", "2"] for line in f)
    except OSError:
        return False


def apply_seccomp() -> bool:
    """Load the filter into this process if it is not filtered yet; True if one is in force.

    Never raises: without pyseccomp/libseccomp (or off Linux) it returns False.
    """
    if filter_loaded():  # bwrap installed it before the interpreter started
        return True
    if os.environ.get("GRADE_SECCOMP", "on") == "off":
        return False
    parent = os.getppid()
    protect = tuple(p for p in {parent, _pgid(parent)} if p > 1)
    try:
        build_filter(protect_pids=protect).load()
    except (ImportError, OSError, RuntimeError, ValueError, AttributeError):
        return False
    return True


def _pgid(pid: int) -> int:
    try:
        return os.getpgid(pid)
    except OSError:
        return 0
