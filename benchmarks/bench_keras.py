"""Grading a Fashion-MNIST submission against running the same code bare with python.

    python benchmarks/bench_keras.py [SUBMISSION] [--data-dir DIR] [--runs N]

SUBMISSION defaults to solutions/04_fashion_mnist/04_fashion_mnist.py. The bare
run is ``python SUBMISSION`` in a temporary folder with KERAS_HOME pointing at
the same worker view of the data the grader builds, one TensorFlow thread (as
the grader gives a worker) and the same seed; the graded run is
``grade_submission`` with the hidden checks. Runs alternate, so background load
hits both alike. Prints each time, the median of each and their ratio: the
grader's overhead is TensorFlow's import in a fresh worker, the sandbox, the
checks (one prediction of 5,000 images) and, for notebooks, IPython.

Phase 2 (the evaluator: a second worker that rebuilds the exported model and
predicts the held-out images) is timed on the grader's critical path: the wall
time the checks spend waiting for the evaluator, including any part of its
start-up that the student's run did not hide. The machine's load average is
printed with the figures: on a shared machine they are noisy.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from autograder.engine import client, sandbox
from autograder.grading import datasets
from autograder.grading.course import Assignment
from autograder.grading.grade import GradeOptions, grade_submission

COURSE = Path(__file__).resolve().parent.parent
NAME = "04_fashion_mnist"
THREADS = {  # what the grader sets for a one-thread worker (autograder/engine/client.py)
    "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "TF_NUM_INTRAOP_THREADS": "1",
    "TF_NUM_INTEROP_THREADS": "1", "TF_CPP_MIN_LOG_LEVEL": "2", "TF_ENABLE_ONEDNN_OPTS": "0", "CUDA_VISIBLE_DEVICES": "",
    "MPLBACKEND": "Agg", "PYTHONHASHSEED": "0",
}
BARE = """
import random, runpy, sys
import numpy as np, keras, tensorflow as tf
random.seed(0); np.random.seed(0); keras.utils.set_random_seed(0)
tf.config.threading.set_intra_op_parallelism_threads(1)
tf.config.threading.set_inter_op_parallelism_threads(1)
runpy.run_path(sys.argv[1], run_name="submission")
"""


def bare(path: Path, data_dir: Path) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        home = datasets.link_keras_home(datasets.worker_keras_home(data_dir), Path(tmp) / ".keras")
        env = {**os.environ, "KERAS_HOME": str(home), **THREADS}
        started = time.perf_counter()
        subprocess.run([sys.executable, "-c", BARE, str(path.resolve())], cwd=tmp, env=env, check=True,
                       stdout=subprocess.DEVNULL)
        return time.perf_counter() - started


PHASE2: list[float] = []  # seconds the checks waited on the evaluator, per graded run


def _timed_evaluate(evaluate):
    def timed(self, *args, **kwargs):
        started = time.perf_counter()
        try:
            return evaluate(self, *args, **kwargs)
        finally:
            PHASE2[-1] += time.perf_counter() - started
    return timed


client.EvaluatorProxy.evaluate = _timed_evaluate(client.EvaluatorProxy.evaluate)  # a benchmark, not a test


def graded(path: Path, data_dir: Path) -> float:
    PHASE2.append(0.0)
    started = time.perf_counter()
    result = grade_submission(path, Assignment(NAME, COURSE), GradeOptions(data_dir=data_dir))
    elapsed = time.perf_counter() - started
    if result.status != "graded":
        raise SystemExit(f"{path}: {result.status}")
    print(f"  graded: {result.total:g}/{result.max:g}, accuracy {result.metrics.get('accuracy', float('nan')):.4f}; "
          f"phase 2 (evaluator) {PHASE2[-1]:.1f} s of {elapsed:.1f} s ({100 * PHASE2[-1] / elapsed:.1f}%)")
    for check in result.checks:
        if not check.passed:
            print(f"  {check.id}: {check.status}: {check.message}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("submission", nargs="?", type=Path, default=COURSE / "solutions" / NAME / f"{NAME}.py")
    parser.add_argument("--data-dir", type=Path, default=None, help="Fashion-MNIST folder (or $GRADE_FASHION_MNIST)")
    parser.add_argument("--runs", type=int, default=1)
    args = parser.parse_args()
    data_dir = datasets.find_fashion_mnist(args.data_dir)
    os.environ[datasets.ENV_VARIABLE] = str(data_dir)  # where the checks read the held-out set
    datasets.worker_keras_home(data_dir)  # built once, before timing
    print(f"submission: {args.submission}; sandbox: {sandbox.sandbox_mode()}; cores: {os.cpu_count()}; "
          f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    times: dict[str, list[float]] = {"bare python": [], "grade_submission": []}
    for run in range(args.runs):
        times["bare python"].append(bare(args.submission, data_dir))
        print(f"run {run + 1}: bare python {times['bare python'][-1]:.1f} s")
        times["grade_submission"].append(graded(args.submission, data_dir))
        print(f"run {run + 1}: grade_submission {times['grade_submission'][-1]:.1f} s")
    medians = {name: statistics.median(values) for name, values in times.items()}
    for name, value in medians.items():
        print(f"{name:<18} median {value:6.1f} s over {len(times[name])} run(s)")
    print(f"ratio grade/bare   {medians['grade_submission'] / medians['bare python']:.2f}")
    phase2 = statistics.median(PHASE2)
    print(f"phase 2 (evaluator) median {phase2:.1f} s: {100 * phase2 / medians['grade_submission']:.1f}% of grading")
    print(f"load average now   {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
