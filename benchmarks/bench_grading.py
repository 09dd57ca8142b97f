"""Speed of the numpy grading path on this machine: prints figures, asserts nothing.

    python benchmarks/bench_grading.py            # check, bare floor, 20-submission batches
    python benchmarks/bench_grading.py --scale    # 50 submissions at -j 1, -j 2 and on a 2-worker Dask LocalCluster

Targets on 2 cores: one `grade check` under 1 s; 20 submissions under 5 s at -j 2;
-j 2 at least 1.8x -j 1; Dask within 15% of -j 2.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
NAME = "01_logic_gates"


def timed(cmd: list[str], *, cwd: Path | None = None, runs: int = 5) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def make_subs(folder: Path, n: int) -> Path:
    """n submissions: the solution and the known-buggy variants, round robin."""
    sources = [REPO / "solutions" / NAME / f"{NAME}.ipynb", REPO / "solutions" / NAME / f"{NAME}.py"]
    sources += sorted((REPO / "rubrics" / NAME / "mutants").glob("*.py"))
    folder.mkdir()
    for i in range(n):
        src = sources[i % len(sources)]
        shutil.copy(src, folder / f"s{i:03d}{src.suffix}")
    return folder


def batch_time(subs: Path, out: Path, *args: str) -> float:
    out.mkdir()
    cmd = ["grade", "batch", str(subs), "-a", NAME, "-o", str(out / "grades.csv"), "--force", *args]
    start = time.perf_counter()
    subprocess.run(cmd, stdout=subprocess.DEVNULL, check=True)
    return time.perf_counter() - start


def peak_worker_rss_mb(notebook: Path) -> float:
    """Peak resident memory of one grading run's processes (trusted + worker), from getrusage."""
    import resource

    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    subprocess.run(["grade", "check", str(notebook), "-a", NAME], stdout=subprocess.DEVNULL, check=False)
    return max(before, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss) / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", action="store_true", help="also run the 50-submission scaling figures")
    args = parser.parse_args()
    print(f"machine: {os.cpu_count()} cores, python {sys.version.split()[0]}")
    notebook = REPO / "solutions" / NAME / f"{NAME}.ipynb"
    check = timed(["grade", "check", str(notebook), "-a", NAME])
    bare = timed([sys.executable, str(REPO / "solutions" / NAME / f"{NAME}.py")])
    print(f"grade check on the solution notebook: {check:.2f} s median of 5 (target < 1 s)")
    print(f"python on the same code as a script:  {bare:.2f} s median of 5 (the floor)")
    with tempfile.TemporaryDirectory() as tmp:
        subs = make_subs(Path(tmp) / "subs", 20)
        j1 = batch_time(subs, Path(tmp) / "j1", "-j", "1")
        j2 = batch_time(subs, Path(tmp) / "j2", "-j", "2")
        print(f"grade batch, 20 submissions, -j 1: {j1:.2f} s")
        print(f"grade batch, 20 submissions, -j 2: {j2:.2f} s (target < 5 s)")
        if args.scale:
            scale(Path(tmp), notebook)


def scale(tmp: Path, notebook: Path) -> None:
    from distributed import LocalCluster

    subs = make_subs(tmp / "subs50", 50)
    j1 = batch_time(subs, tmp / "s1", "-j", "1")
    j2 = batch_time(subs, tmp / "s2", "-j", "2")
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        dask = batch_time(subs, tmp / "sd", "--dask-scheduler", cluster.scheduler_address)
    bare = timed([sys.executable, str(REPO / "solutions" / NAME / f"{NAME}.py")], runs=3)
    print(f"50 submissions, -j 1:  {j1:.1f} s = {50 / j1 * 60:.0f} submissions/min")
    print(f"50 submissions, -j 2:  {j2:.1f} s = {50 / j2 * 60:.0f} submissions/min")
    print(f"50 submissions, Dask LocalCluster (2 workers): {dask:.1f} s = {50 / dask * 60:.0f} submissions/min")
    print(f"scaling -j 2 / -j 1: {j1 / j2:.2f}x (target >= 1.8x); Dask vs -j 2: {dask / j2:.2f} (target <= 1.15)")
    print(f"per-submission overhead vs bare python: {j1 / 50 - bare:.2f} s ({j1 / 50:.2f} s graded, {bare:.2f} s bare)")
    print(f"peak memory of one grading run (largest process): {peak_worker_rss_mb(notebook):.0f} MB")


if __name__ == "__main__":
    main()
