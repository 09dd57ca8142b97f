"""Pid 1 of a forked worker's sandbox: the parent the worker sees, and the one that says how it ended.

``python -S -I init.py STATUS_FD`` is what bubblewrap starts (``--as-pid-1``) in a
sandbox the zygote forks a worker into. The zygote's helper forks an intermediate
process inside the sandbox, which forks the worker, writes the worker's pid (as this
namespace numbers it) to this process's stdin and exits: the worker becomes this
process's child, as a fresh worker is the child of bubblewrap's own pid 1.

As pid 1 it cannot be signalled from inside the sandbox (it handles no signal), so
``os.kill(os.getppid(), ...)`` and ``kill(-1, ...)`` reach nothing but the worker's
own processes. It reaps whatever the worker leaves behind, writes the worker's exit
code to ``STATUS_FD`` when the worker ends (after a first byte, ``+``, that says it
runs: bubblewrap has made every mount by then, and the sandbox may be joined), and exits: the kernel then kills every
process left in the sandbox, as it does when a fresh worker ends.
"""

import os
import signal
import sys
import time

READY = b"+"
REPARENT_WAIT = 5.0  # seconds for the intermediate's exit to hand the worker over


def main() -> int:
    signal.signal(signal.SIGINT, signal.SIG_DFL)  # pid 1 with no handler: a signal the sandbox cannot send it
    status = int(sys.argv[1])
    os.write(status, READY)  # bubblewrap has made the whole sandbox: its namespaces may be joined now
    said = b""
    while chunk := os.read(0, 64):  # until the intermediate has exited (or the grader gave up)
        said += chunk
    if not said.strip().isdigit():
        return 1
    worker = int(said)
    deadline = time.monotonic() + REPARENT_WAIT
    while True:
        try:
            pid, code = os.wait()
        except ChildProcessError:  # its stdin closes a moment before the worker is handed over
            if time.monotonic() > deadline:
                return 1
            time.sleep(0.001)
            continue
        if pid == worker:
            os.write(status, str(os.waitstatus_to_exitcode(code)).encode())
            return 0


if __name__ == "__main__":
    sys.exit(main())
