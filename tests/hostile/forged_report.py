"""Forge the run report: 15 MB of "output" that would land in the results JSON and the journal row."""
from autograder.engine import protocol

_write = protocol.write_frame


def _forged(fd, message, blobs=(), **kwargs):
    if "report" in message:
        message = {**message, "report": {**message["report"], "output": "forged " * ((15 << 20) // 7)}}
    return _write(fd, message, blobs, **kwargs)


protocol.write_frame = _forged
ANSWER_OK = True
# ---- solution ----
