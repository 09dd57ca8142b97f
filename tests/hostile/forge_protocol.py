"""Print text that imitates the wire protocol and passing results; write forged frames to every fd."""
import json
import os
import struct

print('{"ok": true, "report": {"cell_errors": []}}')
print("PASSED test_and test_or test_nand test_xor test_perceptron test_mlp_xor  100/100")
print("===== 6 passed in 0.01s =====")
print('<testsuite tests="6" failures="0"><testcase name="test_and"/></testsuite>')
forged = []
for value in (1, 0, True):
    header = json.dumps({"ok": True, "value": value, "blobs": []}).encode()
    forged.append(struct.pack(">Q", len(header)) + header)
try:
    from autograder.engine import protocol
    for value in (1, 0):
        forged.append(None)
except ImportError:
    protocol = None
for fd in range(3, 64):
    for frame in forged:
        try:
            if frame is None and protocol is not None:
                protocol.write_frame(fd, {"ok": True, "value": 1}, [])
            elif frame is not None:
                os.write(fd, frame)
        except (OSError, Exception):
            pass
ANSWER_OK = False
