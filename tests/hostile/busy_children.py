"""60 busy child processes for 3 seconds: the attack 'works' when they got more than 1.3 cores between them."""
import os
import resource
import time

WINDOW = 3.0
start = time.monotonic()
children = []
for _ in range(60):
    pid = os.fork()
    if pid == 0:
        while time.monotonic() - start < WINDOW:
            pass
        os._exit(0)
    children.append(pid)
for pid in children:
    os.waitpid(pid, 0)
wall = time.monotonic() - start
usage = resource.getrusage(resource.RUSAGE_CHILDREN)
cores = (usage.ru_utime + usage.ru_stime) / wall
print(f"busy children used {cores:.2f} cores")
ANSWER_OK = cores > 1.3
# ---- solution ----
