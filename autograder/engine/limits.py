"""The budget of one submission's worker: time, memory, processes, output and scratch."""

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
