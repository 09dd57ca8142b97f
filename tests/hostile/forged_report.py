"""Forge the run report at import: 15 MB of "output" that would land in the results JSON and the journal."""
import json
import os
import struct


def _rpc_out():
    args = open("/proc/self/cmdline", "rb").read().split(b"\0")
    return int(args[args.index(b"--rpc-out") + 1])


report = {"cell_errors": [], "cell_outputs": [], "output": "forged " * ((15 << 20) // 7)}
header = json.dumps({"msg": {"ok": True, "report": report}, "blobs": []}).encode()
data = memoryview(struct.pack(">Q", len(header)) + header)
fd = _rpc_out()
while data:
    data = data[os.write(fd, data):]
os._exit(0)
