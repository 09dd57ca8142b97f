"""Runs in front of a worker started without a sandbox, so that its whole tree dies with the grader.

Started by :mod:`autograder.engine.sandbox` (plain mode) as a script, with the
standard library only::

    python -S -I reaper.py GATE_FD NPROC FSIZE CPU NICE PARENT_PID -- WORKER ARGV...

It waits for GATE_FD (the grader puts it into its cgroup first; -1: no gate),
becomes a child subreaper (orphans of the worker's tree come to it, daemons
included), asks for SIGTERM when the grader dies, then forks the worker with
RLIMIT_CORE, RLIMIT_FSIZE, RLIMIT_NPROC and RLIMIT_CPU set and its niceness
raised (0: not set). When the grader dies, or the
worker exits, every process left below it is killed; it exits as the worker did.
"""

import ctypes
import os
import resource
import signal
import sys

PR_SET_PDEATHSIG = 1
PR_SET_CHILD_SUBREAPER = 36


def limit_worker(nproc, cpu, nice):
    """The worker's own limits: processes, CPU seconds (0: not set) and niceness (0: unchanged).

    Also what a forked worker sets on itself (engine/worker/confine.py).
    """
    if nproc > 0:
        resource.setrlimit(resource.RLIMIT_NPROC, (nproc, nproc))
    if cpu > 0:
        resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu))
    if nice > 0:
        os.nice(nice)


def descendants(pid):
    """Every process below ``pid``, found through /proc's children lists."""
    found, stack = [], [pid]
    while stack:
        current = stack.pop()
        try:
            for tid in os.listdir(f"/proc/{current}/task"):
                with open(f"/proc/{current}/task/{tid}/children", encoding="ascii") as f:
                    kids = [int(x) for x in f.read().split()]
                found += kids
                stack += kids
        except (OSError, ValueError):
            continue
    return found


def kill_below():
    """SIGKILL everything below this process until nothing is left, reaping it."""
    for _ in range(200):
        left = descendants(os.getpid())
        if not left:
            return
        for pid in left:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        try:
            while os.waitpid(-1, os.WNOHANG)[0] > 0:
                pass
        except ChildProcessError:
            pass


def on_parent_death(signum, frame):
    kill_below()
    os._exit(128 + signum)


def main():
    gate, nproc, fsize, cpu, nice, parent = (int(x) for x in sys.argv[1:7])
    argv = sys.argv[8:]
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
    signal.signal(signal.SIGTERM, on_parent_death)
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
    if os.getppid() != parent:  # the grader died before prctl took effect
        os._exit(128 + signal.SIGTERM)
    if gate >= 0:
        os.read(gate, 1)
        os.close(gate)
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    resource.setrlimit(resource.RLIMIT_FSIZE, (fsize, fsize))
    child = os.fork()
    if child == 0:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        try:
            limit_worker(nproc, cpu, nice)
            os.execv(argv[0], argv)
        finally:
            os._exit(127)
    os.closerange(3, 65536)  # the worker's pipes stay with the worker alone
    while True:
        try:
            pid, status = os.waitpid(-1, 0)
        except ChildProcessError:
            return 0
        if pid == child:
            break
    kill_below()
    if os.WIFSIGNALED(status):  # die the same way, so the grader sees the worker's signal
        try:
            signal.signal(os.WTERMSIG(status), signal.SIG_DFL)
        except (OSError, ValueError):
            pass
        os.kill(os.getpid(), os.WTERMSIG(status))
    return os.waitstatus_to_exitcode(status) if os.WIFEXITED(status) else 1


if __name__ == "__main__":
    sys.exit(main())
