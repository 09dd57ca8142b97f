"""Reply with a legal but huge array (250 million int8 zeros, streamed): checked from its header, never converted."""
import io
import json
import os
import struct

import numpy as np

COUNT = 250_000_000


def _rpc_out():
    args = open("/proc/self/cmdline", "rb").read().split(b"\0")
    return int(args[args.index(b"--rpc-out") + 1])


def _forge(*args, **kwargs):
    head = np.lib.format.header_data_from_array_1_0(np.zeros(0, np.int8))
    head["shape"] = (COUNT,)
    buf = io.BytesIO()
    np.lib.format.write_array_header_1_0(buf, head)
    header = json.dumps({"msg": {"ok": True, "value": {"$nd": 0, "scalar": False}},
                         "blobs": [len(buf.getvalue()) + COUNT]}).encode()
    fd = _rpc_out()
    os.write(fd, struct.pack(">Q", len(header)) + header + buf.getvalue())
    zeros = bytes(1 << 20)
    sent = 0
    while sent < COUNT:
        view = memoryview(zeros)[:COUNT - sent]
        while view:
            n = os.write(fd, view)
            sent += n
            view = view[n:]
    os._exit(0)


# ---- solution ----
AND = OR = NAND = XOR = perceptron = mlp_xor = heaviside = sigmoid = _forge
