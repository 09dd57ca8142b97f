"""The local pool of grading processes, each one submission ahead.

``jobs`` processes take submissions from one shared queue. While a process runs
one submission's checks, the next submission it took already has its worker
starting (Python, numpy and IPython imports, the sandbox), so that start-up is
off the critical path. Each submission still has its own worker, sandbox,
scratch folder and cgroup, and its time limit starts when its grading does
(see :class:`autograder.grading.grade.Grading`). The rubric's checks are
collected once per process (:mod:`autograder.grading.check_session`). A Dask
task grades its few submissions with the same loop (:func:`one_ahead`).

Results come back on a second queue as they finish. A process that dies (the
OOM killer, a signal) takes with it only the submissions it held, at most two:
they come back as failures of the grader, and a new process takes its place.
The processes die with the grader however it ends (engine/lifetime.py).
"""

from __future__ import annotations

import contextlib
import os
import queue
import signal
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterator

from autograder.batch import forkserver
from autograder.engine import lifetime, sandbox, zygote
from autograder.errors import GradingError

if TYPE_CHECKING:
    from autograder.grading.course import Assignment

POLL_S = 0.2  # how often the grader looks for a dead pool process while it waits for results
DONE = None  # what ends a pool process's queue


@dataclass
class Finished:
    """What a pool process sent back for one submission, with a future's ``result()``."""

    value: dict | None = None
    error: BaseException | None = None

    def result(self) -> dict:
        if self.error is not None:
            raise self.error
        return self.value


class GraderDied(RuntimeError):
    """The pool process grading a submission stopped before it sent the result back."""


@contextlib.contextmanager
def starting(assignment, options) -> Iterator[sandbox.SharedZygote | None]:
    """Start what the pool will need while the caller reads the submissions; stop it after.

    That is the forkserver the pool's processes are forked from (it imports the grader
    once), and the zygote they all fork numpy workers from (yielded, None if they will not).
    """
    from autograder.grading.grade import share_zygote

    forkserver.context(start=True)  # started already by ``grade batch`` (cli/entry.py)
    shared = share_zygote(assignment, options)
    try:
        yield shared
    finally:
        if shared is not None:
            sandbox.stop_shared_zygote(shared)


def graded(paths: list[Path], assignment: Assignment, options, jobs: int,
           shared: sandbox.SharedZygote | None = None) -> Iterator[tuple[Path, Finished]]:
    """Yield (path, Finished) as submissions finish, graded by ``jobs`` processes (see :func:`starting`).

    A course problem (``GradingError``: rubric, data) comes back as that submission's
    error, for the caller to stop the batch on.
    """
    if not paths:
        return
    context = forkserver.context()
    lifeline, held = context.Pipe(duplex=False)
    todo, done, untaken = context.Queue(), context.Queue(), context.Value("i", len(paths))
    by_name = {str(p): p for p in paths}
    for path in paths:
        todo.put(str(path))
    jobs = min(jobs, len(paths))
    processes: dict[int, object] = {}
    holding: dict[int, set[str]] = {}  # what each pool process took and has not sent back

    def start_one() -> None:
        todo.put(DONE)
        process = context.Process(target=_serve, args=(lifeline, todo, done, untaken, jobs, assignment, options, shared),
                                  name="grade-pool", daemon=True)
        process.start()
        processes[process.pid], holding[process.pid] = process, set()

    try:
        for _ in range(jobs):
            start_one()
        left = set(by_name)
        while left:
            try:
                kind, pid, name, payload = done.get(timeout=POLL_S)
            except queue.Empty:
                for path, finished in _the_dead(processes, holding, left, start_one):
                    yield by_name[path], finished
                if left and all(p.exitcode is not None for p in processes.values()):
                    # a process killed between taking a submission and saying so: nobody holds what is left
                    for name in sorted(left):
                        yield by_name[name], Finished(error=GraderDied("its grading process stopped before it began"))
                    left.clear()
                continue
            if kind == "took":
                holding.setdefault(pid, set()).add(name)
                continue
            holding.get(pid, set()).discard(name)
            left.discard(name)
            yield by_name[name], as_finished(kind, payload)
    except BaseException:
        lifetime.stop_processes(list(processes.values()))
        raise
    else:
        for process in processes.values():
            process.join(timeout=lifetime.STOP_GRACE_S)
        lifetime.stop_processes([p for p in processes.values() if p.is_alive()])
    finally:
        lifeline.close()
        held.close()
        todo.close()
        done.close()


def _the_dead(processes: dict, holding: dict[int, set[str]], left: set[str], start_one) -> Iterator[tuple[str, Finished]]:
    """Failures for what dead pool processes held; a new process for each that died with work left."""
    for pid, process in list(processes.items()):
        if process.exitcode is None or (process.exitcode == 0 and not holding.get(pid)):
            continue
        del processes[pid]
        how = f"killed by {signal.Signals(-process.exitcode).name}" if process.exitcode < 0 else f"exit code {process.exitcode}"
        for name in sorted(holding.pop(pid, set()) & left):
            left.discard(name)
            yield name, Finished(error=GraderDied(f"the grading process stopped ({how})"))
        if left:
            start_one()


def _error(kind: str, payload: str | tuple[str, str]) -> BaseException:
    if kind == "course":  # sent as (class name, message): the same class, and so the same exit code, here
        from autograder import errors

        name, message = payload
        cls = getattr(errors, name, GradingError)
        return cls(message) if isinstance(cls, type) and issubclass(cls, GradingError) else GradingError(message)
    return GraderDied(payload)


# -- in a pool process ---------------------------------------------------------------------


def _serve(lifeline, todo, done, untaken, jobs: int, assignment: Assignment, options,
           shared: sandbox.SharedZygote | None) -> None:
    """Grade submissions from ``todo`` until it says DONE, one submission's worker starting ahead.

    ``untaken`` counts the submissions no process has taken. The last ``jobs - 1`` are
    never taken ahead: at the end of a batch they go to whichever process is free
    first, instead of waiting behind a long one in a busy process.
    """
    lifetime.watch_lifeline(lifeline)
    zygote.enable()  # numpy workers are forked, each into a sandbox of its own
    if shared is not None:  # from the zygote the batch started, until it dies
        sandbox.use_shared_zygote(shared)
    pid = os.getpid()
    ended = False  # this process has read its DONE

    def take(ahead: bool) -> str | None:
        nonlocal ended
        if ended:
            return None
        if ahead:
            with untaken.get_lock():
                if untaken.value < jobs:
                    return None
                untaken.value -= 1
        name = todo.get()
        if name is DONE:
            ended = True
            return None
        if not ahead:
            with untaken.get_lock():
                untaken.value -= 1
        done.put(("took", pid, name, None))
        return name

    try:
        for name, kind, payload in one_ahead(take, assignment, options):
            done.put((kind, pid, name, payload))
    finally:
        zygote.close_all()


def one_ahead(take: Callable[[bool], str | None], assignment: Assignment, options) -> Iterator[tuple[str, str, Any]]:
    """Grade the submissions ``take`` gives, each one's worker starting while the one before is checked.

    ``take(ahead)`` names the next submission, or None: with ``ahead`` it is asked while a
    grading is under way and may refuse. Yields ``(name, kind, payload)`` as each ends: a
    ``result`` (the result's dict), a ``course`` problem (class name, message), or the
    grader ``failed`` (a line). Workers started and not finished are closed however it ends.
    """
    from autograder.grading.grade import Grading

    started: list = []

    def begin(name: str | None) -> tuple[str, Grading | _Failed] | None:
        if name is None:
            return None
        try:
            grading = Grading.start(Path(name), assignment, options)
        except Exception as e:  # reported when its turn comes, like any other failure
            return name, _Failed(e)
        started.append(grading)
        return name, grading

    try:
        current = begin(take(False))
        while current is not None:
            following = begin(take(True))  # its worker starts while this one's checks run
            name, grading = current
            try:
                if isinstance(grading, _Failed):
                    raise grading.error
                outcome = ("result", grading.finish().to_dict())
            except GradingError as e:
                outcome = ("course", (type(e).__name__, str(e)))
            except Exception as e:  # a grader bug on one submission must not sink the others
                outcome = ("failed", f"{type(e).__name__}: {e}")
            finally:
                if grading in started:
                    started.remove(grading)
            yield name, *outcome
            current = following if following is not None else begin(take(False))
    finally:
        for grading in started:  # finish() closes its own workers; these never got there
            with contextlib.suppress(Exception):
                grading.close()


def as_finished(kind: str, payload: Any) -> Finished:
    """What :func:`one_ahead` yielded for one submission, as the batch reads it."""
    return Finished(value=payload) if kind == "result" else Finished(error=_error(kind, payload))


@dataclass
class _Failed:
    """A submission whose grading could not even start."""

    error: BaseException
