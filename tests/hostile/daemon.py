"""Start a double-forked daemon that tries to outlive the batch, then answer correctly."""
import os

if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        os.execv("/bin/sh", ["/bin/sh", "-c", "while :; do sleep 1; done", "__MARKER__-daemon"])
    os._exit(0)
os.wait()
ANSWER_OK = True
