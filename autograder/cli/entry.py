"""The ``grade`` console script: what has to start before the command line is imported.

``grade batch`` forks its grading processes from a forkserver that imports the
grader (:mod:`autograder.batch.forkserver`). Started here, those imports run while
the command line's own run (0.2 s); started by the batch, they would run after.
"""

from __future__ import annotations

import sys


def main() -> None:
    args = sys.argv[1:]
    if args[:1] == ["batch"] and not any(a.startswith("--dask-scheduler") or a in ("-h", "--help") for a in args):
        from autograder.batch import forkserver

        forkserver.context(start=True)
    from autograder.cli.main import main as run

    run()
