"""The ``grade`` console script: what has to start before the command line is imported.

``grade batch`` and ``grade validate`` fork their grading processes from a
forkserver that imports the grader (:mod:`autograder.batch.forkserver`). Started
here, those imports run while the command line's own run (0.2 s); started by the
command, they would run after.

The grader's own processes (this one, the forkserver and the pool it forks) do no
heavy linear algebra, so they get one BLAS thread each unless the user chose
otherwise: OpenBLAS would start a thread per core in each, which spins for a while
after numpy's import (0.2 CPU-s of a 20-notebook batch on 2 cores). Workers are
not affected: their environment is built, not inherited (``client._thread_env``).
"""

from __future__ import annotations

import os
import sys

ONE_THREAD = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


def main() -> None:
    for name in ONE_THREAD:
        os.environ.setdefault(name, "1")
    args = sys.argv[1:]
    if args[:1] in (["batch"], ["validate"]) and not any(a.startswith("--dask-scheduler") or a in ("-h", "--help")
                                                         for a in args):
        from autograder.batch import forkserver

        forkserver.context(start=True)
    from autograder.cli.main import main as run

    run()
