"""The forkserver that a batch's grading processes are forked from.

It imports the grader once (pytest, numpy, the rubric's helpers: about 0.3 s of
CPU), and each grading process starts from that state. ``grade batch`` starts it
before it imports the rest of the command line (:mod:`autograder.cli.entry`), so
those imports overlap. This module imports nothing of the grader itself.
"""

from __future__ import annotations

import multiprocessing
import multiprocessing.context

# The grader, pytest, and the CLI: multiprocessing would import the CLI again in each process,
# as it prepares the ``grade`` script that is this program's __main__.
PRELOAD = ["autograder.batch.pool", "autograder.grading.grade", "autograder.grading.check_session",
           "autograder.cli.main"]


def context(*, start: bool = False) -> multiprocessing.context.ForkServerContext:
    """The forkserver context with the grader preloaded; with ``start``, the server starts now, not with
    the first process (it imports while the caller goes on). One server serves the whole program."""
    found = multiprocessing.get_context("forkserver")
    found.set_forkserver_preload(PRELOAD)
    if start:
        from multiprocessing import forkserver

        forkserver.ensure_running()
    return found
