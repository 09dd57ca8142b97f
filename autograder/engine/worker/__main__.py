"""Entry point of the worker process: ``python -m autograder.engine.worker``.

It prepares a reproducible environment (seeds, thread caps, a non-interactive
matplotlib backend), runs the student's code, reports what happened, then
serves calls until the grader closes the channel.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time


def _prepare(seed: int, requires: list[str], threads: int) -> None:
    import numpy as np

    random.seed(seed)
    np.random.seed(seed)
    if "keras" in requires:
        import keras
        import tensorflow as tf

        keras.utils.set_random_seed(seed)
        tf.config.threading.set_intra_op_parallelism_threads(threads)
        tf.config.threading.set_inter_op_parallelism_threads(max(1, threads // 2) or 1)


def _time_budget(request: dict, started: float) -> tuple[float, float] | None:
    """(start, seconds) of the grader's time for this run: its own deadline when the clocks agree.

    The clock starts with the grader's ``run`` request, not with this process: a worker
    may be started while the grader still checks the submission before.
    """
    budget, deadline = request.get("time_budget"), request.get("deadline")
    if not isinstance(budget, (int, float)):
        return None
    if isinstance(deadline, (int, float)) and 0 < deadline - time.monotonic() <= budget:
        return deadline - budget, float(budget)  # CLOCK_MONOTONIC is shared with the grader
    return started, float(budget)


def main() -> None:
    parser = argparse.ArgumentParser(prog="autograder.engine.worker")
    parser.add_argument("--rpc-in", type=int, required=True)
    parser.add_argument("--rpc-out", type=int, required=True)
    parser.add_argument("--job", required=True, help="JSON file describing what to run")
    args = parser.parse_args()
    with open(args.job, encoding="utf-8") as f:
        job = json.load(f)
    run_job(job, args.rpc_in, args.rpc_out, started=time.monotonic())


def run_job(job: dict, rpc_in: int, rpc_out: int, *, started: float, seccomp: bool | None = None) -> None:
    """Prepare, wait for the grader's ``run``, run the code, report, serve calls; never returns.

    A worker forked from the zygote (``worker/zygote.py``) comes here with its imports
    done and its filter loaded (``seccomp`` says whether one is in force).
    """
    from autograder.engine import protocol
    from autograder.engine.worker.runner import run_module, run_notebook
    from autograder.engine.worker.server import Server

    evaluating = job["mode"] == "evaluate"  # a fresh process that never runs student code
    if evaluating:
        from autograder.engine.worker.evaluator import OPERATIONS
    server = Server(rpc_in, rpc_out, OPERATIONS if evaluating else None)
    _prepare(job["seed"], job.get("requires", []), job.get("threads", 1))
    if job["mode"] == "notebook":  # IPython is most of a numpy notebook's time: ready before the run is asked for
        from autograder.engine.worker.kernel import start_shell

        start_shell()
    prepared = time.monotonic()
    if seccomp is None:
        try:
            from autograder.engine.worker.seccomp import apply_seccomp
        except ImportError:
            seccomp = False
        else:
            seccomp = apply_seccomp()

    # Like a notebook server started in the submission's folder: its own modules import,
    # but after the standard library and installed packages (the worker runs with -P).
    if not evaluating:
        sys.path.append(os.getcwd())
    request, _ = protocol.read_frame(rpc_in)  # {"op": "run", "time_budget": seconds, "deadline": monotonic}
    asked = time.monotonic()
    report: dict = {"cell_errors": [], "cell_outputs": []}
    if job["mode"] == "notebook":
        sent = [0]

        def progress(cell: int, of: int, text: str) -> None:  # capped: the grader refuses a flood
            if sent[0] < protocol.MAX_PROGRESS_MESSAGES:
                sent[0] += 1
                protocol.write_frame(rpc_out, protocol.progress_message(cell, of, text))

        server.namespace, report = run_notebook(job["cells"], progress, time_budget=_time_budget(request, asked))
    elif job["mode"] == "module":
        with open(job["path"], encoding="utf-8") as f:
            source = f.read()
        server.namespace, report = run_module(job["path"], source)
    report["seccomp"] = seccomp
    report["timing"] = {"prepare_s": prepared - started, "run_s": time.monotonic() - asked}
    protocol.write_frame(rpc_out, {"ok": True, "report": report})
    server.serve()
    os._exit(0)  # skip interpreter teardown: student atexit hooks get no last word


if __name__ == "__main__":
    main()
