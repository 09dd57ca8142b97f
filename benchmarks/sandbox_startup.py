"""How long starting a worker takes: a bare subprocess, the plain fallback, and bwrap.

    python benchmarks/sandbox_startup.py [runs]

Prints the median and 90th percentile of ``python -c pass`` started and reaped
through each path (the probe runs once, before timing).
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from autograder.engine import sandbox


def bare(spec: sandbox.WorkerSpec) -> None:
    subprocess.run(spec.argv, cwd=spec.scratch_dir, stdout=subprocess.DEVNULL, check=True)


def through(mode: str):
    def start(spec: sandbox.WorkerSpec) -> None:
        os.environ["GRADE_SANDBOX"] = mode
        proc = sandbox.start_worker(spec)
        proc.communicate()
        sandbox.stop_worker(proc)
        if proc.returncode != 0:
            raise SystemExit(f"{mode}: exit code {proc.returncode}")
    return start


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 20
    probe_started = time.perf_counter()
    found = sandbox.probe()
    print(f"probe: {'works' if found.works else 'fails'} ({found.detail}) in {time.perf_counter() - probe_started:.3f} s;"
          f" flags {' '.join(found.flags) or '-'}; seccomp {'yes' if found.seccomp else 'no'};"
          f" uid {found.uid if found.uid is not None else os.getuid()}")
    with tempfile.TemporaryDirectory() as tmp:
        submission = Path(tmp) / "run0"
        scratch = submission / "work"
        scratch.mkdir(parents=True)
        spec = sandbox.WorkerSpec(argv=[sys.executable, "-c", "pass"], submission_dir=submission, scratch_dir=scratch)
        paths = [("bare subprocess", bare), ("plain (GRADE_SANDBOX=none)", through("none"))]
        if found.works:
            paths.append(("bwrap", through("bwrap")))
        times: dict[str, list[float]] = {name: [] for name, _ in paths}
        for _, start in paths:
            start(spec)  # warm up
        for _ in range(runs):  # interleaved, so background load hits every path alike
            for name, start in paths:
                t = time.perf_counter()
                start(spec)
                times[name].append(time.perf_counter() - t)
        for name, values in times.items():
            values.sort()
            print(f"{name:28s} median {statistics.median(values) * 1000:6.1f} ms"
                  f"   p90 {values[int(0.9 * (runs - 1))] * 1000:6.1f} ms")


if __name__ == "__main__":
    main()
