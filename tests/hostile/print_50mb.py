"""Print 50 MB while it runs (stdout, stderr and the raw file descriptors)."""
import os
import sys

chunk = "x" * (1 << 20)
for _ in range(20):
    print(chunk)
    sys.stderr.write(chunk)
for _ in range(10):
    os.write(1, chunk.encode())
ANSWER_OK = True
