"""Grade one submission: run its code in a worker, run the checks, score.

``grade_submission`` is the one front door; batch, check and CI all call it.
"""

from __future__ import annotations

import contextlib
import functools
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from autograder import __version__
from autograder.engine import sandbox
from autograder.grading.checks import CallTimeout, WorkerCrashed
from autograder.engine.client import WorkerSession, forked_env, forks
from autograder.grading.course import Assignment
from autograder.errors import GradingError
from autograder.grading import statuses
from autograder.grading.results import CheckResult, SubmissionResult
from autograder.grading.rubric import Rubric
from autograder.grading.submissions import Submission, content_hash, load_submission


@dataclass
class GradeOptions:
    """How to grade, beyond what the rubric says."""

    suite: str = "hidden"  # "hidden" (rubrics/NAME) or "public" (assignments/NAME/checks)
    seed: int = 0
    threads: int = 1  # per worker: BLAS, OpenMP and TensorFlow threads
    data_dir: Path | None = None  # Fashion-MNIST folder for Keras assignments
    heldout_dir: Path | None = None  # a private held-out set in the IDX layout (overrides the rubric's)
    timeout: float | None = None  # overrides the rubric's wall-clock limit
    env: dict[str, str] = field(default_factory=dict)
    fresh_pytest: bool = False  # a new pytest.main per submission instead of checks collected once per process
    fresh_workers: bool = False  # no numpy worker forked from a zygote, even in a batch (engine/zygote.py)
    # Hears what a long run is doing: ("worker", {}), ("cell", {"cell", "of", "text"}), ("checks", {}).
    on_progress: Callable[[str, dict[str, Any]], None] | None = field(default=None, compare=False, repr=False)


def grade_submission(path: Path, assignment: Assignment, options: GradeOptions | None = None, *,
                     student_id: str | None = None) -> SubmissionResult:
    """Grade one submission; a submission that cannot be graded is a result with a status, not an exception.

    Raises GradingError only for problems of the course itself (rubric, data).
    """
    return Grading.start(path, assignment, options, student_id=student_id).finish()


class Grading:
    """One submission on its way to a result: its worker started, then its checks run and scored.

    A batch starts the next submission's worker (:meth:`start`) while the current one's
    checks run, so the worker's start-up (Python, numpy, IPython) is off the critical
    path. Nothing is shared: each has its own worker, sandbox, scratch folder and
    cgroup, and its time limit counts from :meth:`finish`, not from :meth:`start`.
    """

    def __init__(self, path: Path, assignment: Assignment, options: GradeOptions, student_id: str | None) -> None:
        self.path, self.assignment, self.options = Path(path), assignment, options
        self.started = time.monotonic()
        self.rubric = assignment.rubric(options.suite)
        self.result: SubmissionResult | None = None  # known already: the submission could not even be loaded
        self.session = self.evaluator = None
        self.start_s = 0.0
        self._starting: Future | None = None  # its worker being forked, behind this process's back
        try:
            self.submission = load_submission(self.path, student_id=student_id)
        except GradingError as e:
            sid = student_id or self.path.stem
            self.result = _unrunnable(sid, assignment, self.path, self.rubric, options, statuses.unreadable(e),
                                      self.started)
            return
        rubric, submission = self.rubric, self.submission
        env, ro_paths = _worker_access(rubric, options)
        limits = rubric.limits
        if options.timeout:
            limits = type(limits)(**{**vars(limits), "timeout": options.timeout})
        self.model_file = rubric.model_file if rubric.model_file in submission.files else None
        self.session = WorkerSession(submission, limits=limits, requires=rubric.requires, seed=options.seed,
                                     threads=options.threads, env=env, ro_paths=ro_paths,
                                     run_code=self.model_file is None, forkable=not options.fresh_workers,
                                     on_progress=_cell_progress(options.on_progress))
        # Keras models are rebuilt from exported data, and predicted, by a second worker that runs no student code.
        self.evaluator = WorkerSession(submission, limits=limits, requires=rubric.requires, seed=options.seed,
                                       threads=options.threads, evaluator=True, model_file=self.model_file) \
            if "keras" in rubric.requires else None

    @classmethod
    def start(cls, path: Path, assignment: Assignment, options: GradeOptions | None = None, *,
              student_id: str | None = None) -> Grading:
        """Load the submission and start its worker, which imports what it needs and waits to be asked to run."""
        began = time.monotonic()
        grading = cls(path, assignment, options or GradeOptions(), student_id)
        if grading.session is not None:
            if grading.options.on_progress is not None:
                grading.options.on_progress("worker", {})
            # A fresh worker imports while pytest is imported and the rubric collected (once per process);
            # a forked one is forked in a thread (its sandbox made, the zygote asked), so that this
            # process goes on with the collection, or with the current submission's checks in a batch.
            forked = grading.model_file is None and grading.session.prestart()
            if forked:
                grading._start_behind()
            elif grading.model_file is None:  # a model file goes straight to the evaluator
                grading._start_worker()
            from autograder.grading import check_session

            check_session.warm(grading.rubric, _visibility(grading.options))
        grading.start_s = time.monotonic() - began
        return grading

    def _start_worker(self) -> None:
        try:
            self.session.start()
        except BaseException:
            self.close()
            raise

    def _start_behind(self) -> None:
        def start() -> float:
            began = time.monotonic()
            self.session.start()
            return time.monotonic() - began

        self._starting = _starter().submit(start)

    def _started(self) -> None:
        """Wait for a worker started behind; raise what starting it raised (where it would have been seen)."""
        if self._starting is None:
            return
        starting, self._starting = self._starting, None
        try:
            self.start_s += starting.result()
        except BaseException:
            self.close()
            raise

    def finish(self) -> SubmissionResult:
        """Run the code and the checks, score, and stop the workers."""
        if self.result is not None:
            return self.result
        self._started()
        began = time.monotonic()
        options, rubric, session, evaluator = self.options, self.rubric, self.session, self.evaluator
        tell = options.on_progress or (lambda event, fields: None)
        try:
            session.restart_clock()
            if evaluator is not None:
                evaluator.restart_clock()
                if options.suite == "hidden":
                    evaluator.start()  # imports Keras while the student's code runs (public checks start it when used)
            if options.on_progress is not None and self.model_file is None:  # run the code now: its cells are heard first
                with contextlib.suppress(GradingError, CallTimeout, WorkerCrashed):
                    session.load()
            tell("checks", {})
            from autograder.grading.check_session import run_checks

            plugin = run_checks(rubric, _visibility(options), fresh=options.fresh_pytest,
                                session=session, evaluator_session=evaluator, data_dir=options.data_dir,
                                heldout_dir=options.heldout_dir)
            checks = plugin.results()
            status, status_ko = _status(session)
            report = session.report or {}
        finally:
            self.close()
        submission = self.submission
        result = SubmissionResult(
            student_id=submission.student_id, assignment=self.assignment.name, path=str(submission.path),
            content_hash=submission.content_hash, status=status, status_ko=status_ko, checks=checks, seed=options.seed,
            graded_by="model file" if self.model_file else "code", cell_errors=_cell_errors(report, submission),
            cell_outputs=report.get("cell_outputs", []), metrics=plugin.metrics, output=session.local_names(report.get("output", "")) + session.output,
            sandbox=sandbox.sandbox_mode(), engine_version=__version__, review="; ".join(plugin.reviews),
        )
        result.hints = _hints(submission, result.cell_errors)
        result.duration_s = round(self.start_s + time.monotonic() - began, 3)  # not the time it waited to be finished
        return result

    def close(self) -> None:
        """Stop the workers and remove their scratch folders (a started grading that will not be finished)."""
        if self._starting is not None:  # a worker half started is stopped as a started one is
            starting, self._starting = self._starting, None
            with contextlib.suppress(BaseException):
                starting.result()
        for worker in (self.session, self.evaluator):
            if worker is not None:
                worker.close()


def share_zygote(assignment: Assignment, options: GradeOptions) -> sandbox.SharedZygote | None:
    """Start the zygote that a batch's grading processes fork numpy workers from, while they start.

    None where its workers are not forked (Keras, ``fresh_workers``, no bubblewrap).
    """
    rubric = assignment.rubric(options.suite)
    if options.fresh_workers or not forks(rubric.requires):
        return None
    env, _ = _worker_access(rubric, options)
    return sandbox.share_zygote(forked_env(options.threads, env))


@functools.cache
def _starter() -> ThreadPoolExecutor:
    """The one thread that starts forked workers behind a grading process's back. It lives as long as
    the process: bubblewrap dies with the thread that started it (--die-with-parent), not the process."""
    return ThreadPoolExecutor(max_workers=1, thread_name_prefix="grade-start-worker")


def _cell_progress(on_progress):
    if on_progress is None:
        return None
    return lambda cell, of, text: on_progress("cell", {"cell": cell, "of": of, "text": text})


def _visibility(options: GradeOptions) -> str:
    return "hidden" if options.suite == "hidden" else "public"


def _status(session: WorkerSession) -> tuple[str, str]:
    """The submission's status in English and Korean."""
    from autograder.grading.plugin import timed_out_in  # pytest: imported once the worker is starting

    failure = session.failure
    if isinstance(failure, CallTimeout) or session.expired:
        return statuses.TIMEOUT
    if session.report is not None and timed_out_in(session.report, session.submission.cells) is not None:
        return statuses.TIMEOUT
    if isinstance(failure, WorkerCrashed):
        return statuses.crashed(failure)
    import_error = (session.report or {}).get("import_error")
    if import_error:
        return statuses.raised_at_import(import_error["ename"], import_error["evalue"], import_error.get("lineno"))
    return statuses.GRADED


def _unrunnable(student_id: str, assignment: Assignment, path: Path, rubric: Rubric, options: GradeOptions,
                status: tuple[str, str], started: float) -> SubmissionResult:
    visibility = "hidden" if options.suite == "hidden" else "public"
    checks = [CheckResult(c, "error", 0.0, p, "the submission could not be run", "제출물을 실행할 수 없습니다",
                          visibility=visibility) for c, p in rubric.checks.items()]
    digest = content_hash(path) if path.exists() else ""
    return SubmissionResult(student_id, assignment.name, str(path), digest, status[0], checks,
                            duration_s=round(time.monotonic() - started, 3), seed=options.seed,
                            sandbox=sandbox.sandbox_mode(), engine_version=__version__, status_ko=status[1])


def _worker_access(rubric: Rubric, options: GradeOptions) -> tuple[dict[str, str], list[Path]]:
    """The worker's environment (the options' own, and the assignment's data) and its read-only paths."""
    if rubric.params.get("dataset") != "fashion-mnist":
        return dict(options.env), []
    from autograder.grading import datasets

    keras_home = datasets.worker_keras_home(options.data_dir)
    return {"KERAS_HOME": str(keras_home), **options.env}, [keras_home]


def _cell_errors(report: dict[str, Any], submission: Submission) -> list[dict[str, Any]]:
    """The report's cell errors, each re-typed (the worker ran student code, so any field may be forged),
    with the cell number Jupyter shows (``cell``), counted here from the notebook itself."""
    errors = report.get("cell_errors")
    errors = (errors if isinstance(errors, list) else []) + [report.get("import_error")]
    numbers = {c["index"]: c["number"] for c in submission.cells}
    return [{"index": _number(e.get("index")), "ename": _text(e.get("ename"), 200), "evalue": _text(e.get("evalue"), 4096),
             "lineno": _number(e.get("lineno")), "cell": numbers.get(_number(e.get("index")))}
            for e in errors if isinstance(e, dict)][:1000]


def _number(value: Any) -> int | None:
    return value if type(value) is int and 0 <= value < 1 << 31 else None


def _text(value: Any, cap: int) -> str | None:
    return None if value is None else str(value)[:cap]


def _hints(submission: Submission, cell_errors: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Advice for code copied from Keras 2 slides, for the cells or lines that need it."""
    try:
        from autograder.grading import hints
    except ImportError:  # the hints module arrives with the Keras assignments
        return []
    sources = {c["index"]: c["source"] for c in submission.cells}
    numbers = {c["index"]: c["number"] for c in submission.cells}
    if submission.kind == "module":
        sources = {None: submission.path.read_text(encoding="utf-8")}
    found = []
    for error in cell_errors:
        lines = sources.get(error.get("index"), "").splitlines()
        lineno = error.get("lineno")
        line = lines[lineno - 1] if lineno and 0 < lineno <= len(lines) else ""
        text = hints.hint_for_error(error["ename"], error["evalue"], line)
        if text:
            found.append({"cell": numbers.get(error.get("index")), "line": lineno, "hint": text})
    for index, source in sources.items():
        for lineno, text in hints.hints_for_source(source):
            if not any(h["cell"] == numbers.get(index) and h["line"] == lineno for h in found):
                found.append({"cell": numbers.get(index), "line": lineno, "hint": text})
    return found
