"""Stop reading: once the worker waits for its next request, a helper stops it (SIGSTOP) and fills its pipe.

A request bigger than the pipe (held-out images) then cannot be written; nor can any request where the
pipe could be filled (plain mode: the same user may reopen the pipe). Without a deadline on writes the
grader waits forever.
"""
import os
import signal
import sys
import time


def _rpc_in():
    return int(sys.argv[sys.argv.index("--rpc-in") + 1])  # the worker's own arguments (forked ones have them too)


def _state(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0]
    except OSError:
        return "?"


fd, worker = _rpc_in(), os.getpid()
if os.fork() == 0:
    try:
        asleep_since = None
        while True:  # the worker sleeps only when it waits for the grader's next request
            now = time.monotonic()
            asleep_since = (asleep_since or now) if _state(worker) == "S" else None
            if asleep_since is not None and now - asleep_since > 0.005:
                break
            time.sleep(0.001)
        os.kill(worker, signal.SIGSTOP)
        try:  # refused under bwrap: the grader's pipe is not the sandbox user's to reopen
            writer = os.open(f"/proc/self/fd/{fd}", os.O_WRONLY | os.O_NONBLOCK)
            while True:
                os.write(writer, b"\xff" * 4096)
        except OSError:
            pass
        time.sleep(600)
    finally:
        os._exit(0)
ANSWER_OK = True
# ---- solution ----
