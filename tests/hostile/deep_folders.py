"""Hide 100 MB at the bottom of a 2,100-deep folder chain (paths far past PATH_MAX), then wait to be measured."""
import os
import time

os.mkdir("__MARKER__-deep")
os.chdir("__MARKER__-deep")
for _ in range(2100):
    os.mkdir("d" * 100)
    os.chdir("d" * 100)
block = b"\0" * (1 << 20)
for i in range(20):
    with open(f"f{i}", "wb") as f:
        for _ in range(5):
            f.write(block)
time.sleep(5)  # the watchdog looks every half second
ANSWER_OK = True
# ---- solution ----
