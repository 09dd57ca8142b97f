"""Speed of the numpy grading path on this machine: prints figures, asserts nothing.

    python benchmarks/bench_grading.py            # grade check, the bare floor, 20 notebooks at -j 1 and -j 2
    python benchmarks/bench_grading.py --scale    # also 100 notebooks at -j 1, -j 2, -j 1 on one core, and on a
                                                  # 2-process Dask LocalCluster

Targets on 2 cores (issue 13): `grade check` on the 01 notebook no slower than 0.55-0.65 s;
20 notebooks at -j 2 in under 2.5 s; 100 at -j 2 at least 600 a minute; -j 2 at least 1.8x -j 1;
Dask within 25% of -j 2; each pool process of the grader under 150 MB at its peak.
The machine's load average is printed with the figures: on a shared machine they are noisy.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import psutil

REPO = Path(__file__).resolve().parent.parent
NAME = "01_logic_gates"
NOTEBOOK = REPO / "solutions" / NAME / f"{NAME}.ipynb"
# The console script beside this interpreter, as a virtualenv has it; not a version manager's shim on
# PATH (pyenv's adds about 50 ms to each command, which is not the grader's).
GRADE = str(Path(sys.executable).with_name("grade")) if Path(sys.executable).with_name("grade").exists() else "grade"


def load() -> str:
    return "load average " + ", ".join(f"{x:.2f}" for x in os.getloadavg())


def timed(cmd: list[str], *, runs: int = 5) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def copies(folder: Path, n: int) -> Path:
    """n copies of the 01 solution notebook, one per student."""
    folder.mkdir()
    for i in range(n):
        shutil.copy(NOTEBOOK, folder / f"s{i:03d}.ipynb")
    return folder


class PoolMemory(threading.Thread):
    """Samples the resident memory of the grader's pool processes (children of its forkserver) and of
    their zygotes (which numpy workers are forked from) while a batch runs."""

    def __init__(self, root: psutil.Process) -> None:
        super().__init__(daemon=True)
        self.root, self.peak_mb, self.zygote_mb, self.done = root, 0.0, 0.0, threading.Event()
        self.start()

    def run(self) -> None:
        while not self.done.wait(0.05):
            try:
                for p in self.root.children(recursive=True):
                    line, parent = " ".join(p.cmdline()), p.parent()
                    above = " ".join(parent.cmdline()) if parent is not None else ""
                    # not its forks, which look the same: helpers (below it) and workers (below a sandbox's pid 1)
                    if "worker.zygote" in line and "worker.zygote" not in above and "worker/init.py" not in above:
                        self.zygote_mb = max(self.zygote_mb, p.memory_info().rss / 2**20)
                    elif "forkserver" in above and "forkserver" in line:
                        self.peak_mb = max(self.peak_mb, p.memory_info().rss / 2**20)
            except psutil.Error:
                continue


@dataclass
class Batch:
    seconds: float
    busy_s: float  # CPU-seconds the whole machine spent while it ran (read from /proc/stat)
    memory: PoolMemory


def busy_cpu_s() -> float:
    """CPU-seconds this machine has spent busy since it started (every field of /proc/stat's cpu line
    but idle and iowait)."""
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    return (sum(fields) - fields[3] - fields[4]) / os.sysconf("SC_CLK_TCK")


def batch_time(subs: Path, out: Path, *args: str, cpus: set[int] | None = None) -> Batch:
    """``grade batch`` on ``subs``: its time, the machine's CPU time meanwhile, and what the pool
    processes and zygotes held at their peak. With ``cpus``, it and all it starts run on those CPUs."""
    out.mkdir()
    cmd = [GRADE, "batch", str(subs), "-a", NAME, "-o", str(out / "grades.csv"), "--force", *args]
    busy, start = busy_cpu_s(), time.perf_counter()
    pin = None if cpus is None else (lambda: os.sched_setaffinity(0, cpus))
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, preexec_fn=pin)
    memory = PoolMemory(psutil.Process(proc.pid))
    if proc.wait() != 0:
        raise SystemExit(f"{' '.join(cmd)} failed")
    seconds, busy = time.perf_counter() - start, busy_cpu_s() - busy
    memory.done.set()
    memory.join()
    return Batch(seconds, busy, memory)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", action="store_true", help="also grade 100 notebooks at -j 1, -j 2, -j 1 on one core, and on Dask")
    args = parser.parse_args()
    print(f"machine: {os.cpu_count()} cores, python {sys.version.split()[0]}, {load()}; the command: {GRADE}")
    check = timed([GRADE, "check", str(NOTEBOOK), "-a", NAME])
    bare = timed([sys.executable, str(REPO / "solutions" / NAME / f"{NAME}.py")])
    print(f"grade check on the 01 notebook:      {check:.2f} s median of 5 (target: no slower than 0.55-0.65 s)")
    print(f"python on the same code as a script: {bare:.2f} s median of 5 (the floor)")
    with tempfile.TemporaryDirectory() as tmp:
        subs = copies(Path(tmp) / "subs20", 20)
        j1 = batch_time(subs, Path(tmp) / "j1", "-j", "1").seconds
        j2 = batch_time(subs, Path(tmp) / "j2", "-j", "2").seconds
        print(f"20 notebooks, -j 1: {j1:.2f} s")
        print(f"20 notebooks, -j 2: {j2:.2f} s (target < 2.5 s)")
        if args.scale:
            scale(Path(tmp))
    print(f"after: {load()}")


def scale(tmp: Path) -> None:
    from distributed import LocalCluster

    n = 100
    subs = copies(tmp / "subs100", n)
    first, second = batch_time(subs, tmp / "s1", "-j", "1"), batch_time(subs, tmp / "s2", "-j", "2")
    j1, j2, mem1, mem2 = first.seconds, second.seconds, first.memory, second.memory
    j1_alone = batch_time(subs, tmp / "s1c", "-j", "1", cpus={min(os.sched_getaffinity(0))}).seconds
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        dask = batch_time(subs, tmp / "sd", "--dask-scheduler", cluster.scheduler_address).seconds
    print(f"{n} notebooks, -j 1: {j1:.1f} s = {n / j1 * 60:.0f} a minute")
    print(f"{n} notebooks, -j 2: {j2:.1f} s = {n / j2 * 60:.0f} a minute (target >= 600)")
    print(f"{n} notebooks, Dask LocalCluster (2 processes): {dask:.1f} s = {n / dask * 60:.0f} a minute")
    print(f"{n} notebooks, -j 1 on one core: {j1_alone:.1f} s = {n / j1_alone * 60:.0f} a minute")
    print(f"scaling -j 2 / -j 1: {j1 / j2:.2f}x (target >= 1.8x); Dask / -j 2: {dask / j2:.2f} (target <= 1.25)")
    print(f"  -j 1 keeps {first.busy_s / j1:.1f} cores busy (each next worker starts while the checks run), so -j 2 "
          f"adds little on 2 cores; -j 2 on 2 cores / -j 1 on one core: {j1_alone / j2:.2f}x")
    print(f"peak resident memory of one pool process: {max(mem1.peak_mb, mem2.peak_mb):.0f} MB (target < 150 MB)")
    zygote = max(mem1.zygote_mb, mem2.zygote_mb)
    print(f"peak resident memory of one zygote: {zygote:.0f} MB (shared with the workers forked from it)" if zygote else
          "no zygote: every worker started fresh")


if __name__ == "__main__":
    main()
