"""The budget of one submission's worker (time, memory, processes, CPU, output, scratch) and of its replies."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class Limits:
    """How long, how much memory, how many processes and how much output and disk a worker may use."""

    call_timeout: float = 10.0  # seconds for one call into student code
    timeout: float = 120.0  # wall-clock seconds for the whole submission
    memory_mb: int = 2048
    max_processes: int = 64
    output_kb: int = 256  # student stdout/stderr kept per submission
    scratch_mb: int = 512  # the worker's writable folder and /tmp
    cpus: float = 1.0  # CPU share of the worker and all its processes together (cores)
    reply_mb: int = 64  # one reply from the worker: bytes on the wire, and its arrays decoded

    @property
    def reply_bytes(self) -> int:
        return self.reply_mb << 20

    @property
    def reply_header_bytes(self) -> int:
        """The JSON part of a reply: a sixteenth of the cap, since parsed JSON takes many times its size."""
        return max(1 << 20, self.reply_bytes // 16)

    @property
    def reply_elements(self) -> int:
        """Array elements in one reply: as many as fit in the cap as float64, so no conversion outgrows it."""
        return self.reply_bytes // 8
