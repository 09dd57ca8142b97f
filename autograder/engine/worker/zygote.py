"""The zygote: a process with numpy and IPython imported that forks numpy workers.

``python -P -m autograder.engine.worker.zygote --socket FD`` imports what a fresh
worker imports before it is asked to run (numpy, IPython, the kernel, the
seccomp program), then serves requests on a ``SOCK_SEQPACKET`` socket that
several grading processes may share: each request's last descriptor is a socket
the answer goes to (``{"hello": true}`` is answered once the imports are done).
It never runs student code and never changes after start-up, so every child
starts from the same state a fresh worker would reach on its own.

A request names a sandbox bubblewrap has just made (its pid 1, ``target``, which
runs :mod:`autograder.engine.worker.init`), the worker's folder, environment and
limits, and its job file; its file descriptors are the worker's rpc pipes, its
output, the pipe to the sandbox's pid 1 and a gate. For each, the zygote forks a
helper that joins the sandbox's namespaces (:mod:`autograder.engine.worker.confine`)
and forks an intermediate, the first of its processes inside the sandbox's pid
namespace. The intermediate forks the worker, tells pid 1 the worker's pid and
exits, so the worker is pid 1's child as a fresh worker is bubblewrap's; the worker
sends the helper one message, whose credentials give its pid as the grader numbers
it, and the helper reports that pid. The worker waits at the gate until the grader
has put it in the sandbox's cgroup, then drops every privilege joining gave it and
runs its job as a fresh worker would. Pid 1 says how it ended.
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import gc
import json
import os
import signal
import socket
import struct
import sys
import time
import traceback

MAX_REQUEST = 64 * 1024
_PACKAGES: list[list[str]] = []  # see _packages
HELLO = b'{"hello": true}'  # answered once the imports are done
FDS = ("rpc_in", "rpc_out", "output", "parent", "gate")
SPAWN_TIMEOUT = 10.0  # seconds for the worker to say its pid


def _imports() -> None:
    """What a fresh worker has imported when it is asked to run a numpy notebook or module."""
    import numpy  # noqa: F401  (OPENBLAS_NUM_THREADS and friends are read now: the zygote's environment sets them)
    import numpy.random  # noqa: F401  (imported on first use, and every worker seeds it: 10 ms each)

    from autograder.engine import protocol  # noqa: F401
    from autograder.engine.worker import alarm, confine, kernel, runner, server  # noqa: F401
    from autograder.engine.worker import __main__ as worker_main  # noqa: F401
    from autograder.engine.worker.ipython_import import lean_import

    with lean_import():  # what making the shell imports (the completer as the worker makes it: without jedi)
        import IPython.core.completer  # noqa: F401
        import IPython.core.completerlib  # noqa: F401
        import IPython.core.history  # noqa: F401
        import IPython.core.magics  # noqa: F401
        import IPython.core.pylabtools  # noqa: F401


def main() -> None:
    parser = argparse.ArgumentParser(prog="autograder.engine.worker.zygote")
    parser.add_argument("--socket", type=int, required=True)
    parser.add_argument("--uid", type=int)
    parser.add_argument("--gid", type=int)
    parser.add_argument("--seccomp", action="store_true", help="load the filter into each worker")
    args = parser.parse_args()
    channel = socket.socket(fileno=args.socket)
    program, failed = None, None
    try:
        _imports()
        if args.seccomp:
            from autograder.engine.worker.seccomp import compiled_filter

            program = compiled_filter()
        if args.gid is not None:  # a root grader: the workers' uid, which owns their sandboxes' user namespaces
            os.setgroups([])
            os.setresgid(args.gid, args.gid, args.gid)
        if args.uid is not None:
            os.setresuid(args.uid, args.uid, args.uid)
    except BaseException:
        failed = json.dumps({"ready": False, "error": traceback.format_exc(limit=3)[-2000:]}).encode()
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # helpers are reaped by the kernel
    global _PACKAGES
    _PACKAGES = _packages()
    # Everything imported so far outlives every fork: the workers' garbage collections skip it instead of
    # touching (and so copying) each of its pages.
    gc.collect()
    gc.freeze()
    hello = json.dumps({"ready": True, "seccomp": program is not None}).encode()
    while True:
        try:
            message, fds, _, _ = socket.recv_fds(channel, MAX_REQUEST, len(FDS) + 1)
        except OSError:
            os._exit(0)
        if not message:  # every grader closed its end: nothing more to fork
            os._exit(0)
        if not fds:  # nowhere to answer
            continue
        *fds, answer = fds
        if failed is not None or message == HELLO:
            for fd in fds:
                os.close(fd)
            reply = failed or hello
        else:
            reply = _spawn(message, fds, program, channel.fileno(), answer)
        with contextlib.suppress(OSError):  # an asker that went away
            os.write(answer, reply)
        os.close(answer)


def _spawn(message: bytes, fds: list[int], program: bytes | None, channel: int, answer: int) -> bytes:
    try:
        request = json.loads(message)
        if len(fds) != len(FDS):
            raise ValueError(f"{len(fds)} file descriptors, not {len(FDS)}")
        report_r, report_w = os.pipe()
        helper = os.fork()
        if helper == 0:
            os.close(report_r)
            os.close(channel)
            os.close(answer)
            _helper(request, dict(zip(FDS, fds)), program, report_w)
        os.close(report_w)
        reply = _read_all(report_r)
        return reply or json.dumps({"error": "the helper stopped before the worker was forked"}).encode()
    except Exception as e:  # a bad request: said, and the zygote goes on
        return json.dumps({"error": f"{type(e).__name__}: {e}"}).encode()
    finally:
        for fd in fds:
            os.close(fd)


def _read_all(fd: int) -> bytes:
    data = b""
    with os.fdopen(fd, "rb") as f:
        while chunk := f.read(4096):
            data += chunk
    return data


def _helper(request: dict, fds: dict[str, int], program: bytes | None, report: int) -> None:
    """In the helper: join the sandbox, have the worker forked in it, report the worker's pid here."""
    code = 1
    try:
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)  # this process reaps the intermediate
        from autograder.engine.worker import confine

        confine.enter(int(request["target"]))
        here, there = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        here.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)  # the kernel says who sent, numbered here
        here.settimeout(SPAWN_TIMEOUT)
        intermediate = os.fork()
        if intermediate == 0:
            os.close(report)
            here.close()
            _intermediate(request, fds, program, there)
        there.close()
        for fd in fds.values():
            os.close(fd)
        pid = _sender_pid(here)
        _, status = os.waitpid(intermediate, 0)
        if status != 0 or pid is None:
            raise RuntimeError(f"the worker was not forked (exit code {os.waitstatus_to_exitcode(status)})")
        os.write(report, json.dumps({"pid": pid}).encode())
        code = 0
    except BaseException as e:
        try:
            os.write(report, json.dumps({"error": f"{type(e).__name__}: {e}"}).encode())
        except OSError:
            pass
    os._exit(code)


def _intermediate(request: dict, fds: dict[str, int], program: bytes | None, there: socket.socket) -> None:
    """Inside the sandbox's pid namespace: fork the worker, tell the sandbox's pid 1 its pid, and go.

    The worker is orphaned at once and becomes a child of the sandbox's pid 1, which it
    cannot signal; a process outside the namespace would be its parent otherwise, and
    ``getppid()`` would say 0, whose signals go to the worker's own process group.
    """
    try:
        worker = os.fork()
        if worker == 0:
            os.close(fds["parent"])
            try:
                there.send(b"p")  # its credentials carry its pid, which only the kernel translates
                there.close()
            except OSError:
                os._exit(70)
            _worker(request, fds, program)
        os.write(fds["parent"], str(worker).encode())
        os._exit(0)
    except BaseException:
        os._exit(1)


def _sender_pid(sock: socket.socket) -> int | None:
    """The pid (in this process's namespace) of the process that sent the next message on ``sock``."""
    size = struct.calcsize("3i")
    _, ancillary, _, _ = sock.recvmsg(16, socket.CMSG_SPACE(size))
    for level, kind, data in ancillary:
        if level == socket.SOL_SOCKET and kind == socket.SCM_CREDENTIALS and len(data) >= size:
            return struct.unpack("3i", data[:size])[0]
    return None


def _worker(request: dict, fds: dict[str, int], program: bytes | None) -> None:
    """In the worker, a member of the sandbox: confine, then run the job as a fresh worker would."""
    try:
        if os.read(fds["gate"], 1) != b"1":  # the grader puts it in the sandbox's cgroup first, or gives up
            os._exit(1)
        started = time.monotonic()
        os.setsid()
        os.dup2(fds["output"], 1)
        os.dup2(fds["output"], 2)
        null = os.open("/dev/null", os.O_RDONLY)
        os.dup2(null, 0)
        rpc_in, rpc_out = _keep_only([fds["rpc_in"], fds["rpc_out"]])
        os.chdir(request["cwd"])
        os.environ.clear()
        os.environ.update(request["env"])
        _find_package_at(request["package"], _PACKAGES)
        sys.argv = [os.path.join(request["package"], "engine", "worker", "__main__.py"),
                    "--rpc-in", str(rpc_in), "--rpc-out", str(rpc_out), "--job", request["job"]]
        from autograder.engine.worker import confine

        confine.limit(**request["limits"])
        confine.drop_privileges(program)
        with open(request["job"], encoding="utf-8") as f:
            job = json.load(f)
    except BaseException:
        traceback.print_exc(limit=2)
        os._exit(70)
    from autograder.engine.worker.__main__ import run_job

    run_job(job, rpc_in, rpc_out, started=started, seccomp=program is not None)
    os._exit(0)


def _keep_only(wanted: list[int]) -> list[int]:
    """Close every descriptor but 0-2 and ``wanted`` (moved to 3, 4, ...); return their new numbers.

    They stay inheritable, as the pipes a fresh worker was started with are: a program the
    submission executes holds them as it would there.
    """
    high = [fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 1000) for fd in wanted]  # out of the way of 3, 4, ...
    kept = [os.dup2(fd, 3 + i) for i, fd in enumerate(high)]
    os.closerange(3 + len(kept), 1 << 16)
    return kept


def _packages() -> list[list[str]]:
    """The ``__path__`` of every ``autograder`` package the zygote imported (listed before it forks)."""
    return [module.__path__ for name, module in sys.modules.items()
            if (name == "autograder" or name.startswith("autograder.")) and isinstance(getattr(module, "__path__", None), list)]


def _find_package_at(root: str, packages: list[list[str]]) -> None:
    """``autograder`` as the sandbox shows it (``root``), not as the zygote imported it from the host.

    Only the package's own entries change: touching every module (or every cached finder) would
    copy the pages each sits on, shared with the zygote until then.
    """
    import autograder

    host = os.path.dirname(os.path.abspath(autograder.__file__))
    sys.path[:] = [os.path.dirname(root)] + [p for p in sys.path if p != os.path.dirname(host)]
    for paths in packages:
        for old in paths:
            sys.path_importer_cache.pop(old, None)
        paths[:] = [root + p[len(host):] if p.startswith(host) else p for p in paths]
    sys.path_importer_cache.pop(os.path.dirname(host), None)


if __name__ == "__main__":
    main()
