"""The pytest plugin that turns hidden or public checks into a SubmissionResult.

Checks run here, in the trusted process. They reach the student's code only
through the ``submission`` fixture (a proxy to the worker) and report through
exceptions with fields, which :meth:`GradingPlugin.pytest_runtest_makereport`
classifies into a check status.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from autograder.grading.checks import CallTimeout, CheckFailed, MissingName, StudentError, WorkerCrashed
from autograder.engine.client import EvaluatorProxy, SubmissionProxy, WorkerSession
from autograder.grading.results import CheckResult
from autograder.grading.rubric import Rubric

MESSAGE_CAP = 1500
LINE_MAX = 1_000_000


class NotebookTimedOut(Exception):
    """The notebook's time ran out in a cell, so the checks had nothing to call."""

    def __init__(self, cell: int) -> None:
        self.message = f"not run: the notebook timed out in cell {cell}"
        self.message_ko = f"실행하지 않음: 노트북이 셀 {cell}에서 시간 제한을 넘었습니다"
        super().__init__(self.message)


def timed_out_in(report: dict[str, Any], cells: list[dict]) -> tuple[int, int | None] | None:
    """(cell number, line) where the worker says the notebook ran out of time, or None.

    The number is looked up here from the cell's position, never taken from the worker.
    """
    errors = report.get("cell_errors")
    stopped = next((e for e in errors if isinstance(e, dict) and e.get("timed_out") is True), None) \
        if isinstance(errors, list) else None
    if stopped is None:
        return None
    number = next((c["number"] for c in cells if c["index"] == stopped.get("index") and c["number"]), None)
    if number is None:
        return None
    line = stopped.get("lineno")
    return number, line if isinstance(line, int) and 0 < line <= LINE_MAX else None


@dataclass
class Outcome:
    """What one pytest item (one case of a check) ended as."""

    status: str
    fraction: float = 0.0
    message: str = ""
    message_ko: str = ""
    expected: str | None = None
    got: str | None = None
    hint: str | None = None
    duration_s: float = 0.0


class Credit:
    """The ``credit`` fixture: partial credit and figures for the grades CSV."""

    def __init__(self, metrics: dict[str, float], reviews: list[str]) -> None:
        self.fraction: float | None = None
        self.failure: CheckFailed | None = None
        self._metrics, self._reviews = metrics, reviews

    def partial(self, fraction: float, *, what: str, expected: Any = None, got: Any = None, hint: str | None = None) -> None:
        """Award ``fraction`` (0..1) of the check's points, with a message when it is below 1."""
        self.fraction = min(1.0, max(0.0, float(fraction)))
        self.failure = None if self.fraction >= 1.0 else CheckFailed(what, expected=expected, got=got, hint=hint)

    def metric(self, name: str, value: float) -> None:
        self._metrics[name] = float(value)

    def review(self, reason: str) -> None:
        """Flag the result for a TA to look at (a ``review`` column, a report section); never a penalty."""
        self._reviews.append(str(reason))


@dataclass(eq=False)
class GradingPlugin:
    """Collects per-check outcomes for one submission during one pytest run."""

    session: WorkerSession | None  # the submission's worker (None until :meth:`grading` points it at one)
    rubric: Rubric
    visibility: str
    outcomes: dict[str, list[Outcome]] = field(default_factory=dict)
    metrics: dict[str, float] = field(default_factory=dict)
    reviews: list[str] = field(default_factory=list)
    collection_errors: list[str] = field(default_factory=list)
    data_dir: Path | None = None  # the data set's folder, as given to grade (--data-dir)
    heldout_dir: Path | None = None  # an instructor's private held-out set (--heldout), else the rubric's
    evaluator_session: WorkerSession | None = None  # Keras assignments: the worker that never runs student code

    def grading(self, session: WorkerSession, *, evaluator_session: WorkerSession | None = None,
                data_dir: Path | None = None, heldout_dir: Path | None = None) -> GradingPlugin:
        """Point the plugin at one submission's workers and folders, keeping nothing of the one before."""
        self.session, self.evaluator_session, self.data_dir, self.heldout_dir = session, evaluator_session, data_dir, heldout_dir
        self.outcomes, self.metrics, self.reviews = {}, {}, []
        return self

    @pytest.fixture(scope="session")
    def submission(self) -> SubmissionProxy:
        return SubmissionProxy(self.session)

    @pytest.fixture(name="rubric", scope="session")
    def rubric_fixture(self) -> Rubric:
        return self.rubric

    @pytest.fixture(name="data_dir", scope="session")
    def data_dir_fixture(self) -> Path | None:
        """The folder of the assignment's data set on the trusted side (Fashion-MNIST: the four .gz files)."""
        if self.rubric.params.get("dataset") != "fashion-mnist":
            return None
        from autograder.grading import datasets

        return datasets.find_fashion_mnist(self.data_dir)

    @pytest.fixture(name="heldout_dir", scope="session")
    def heldout_dir_fixture(self) -> Path | None:
        """A private held-out set in the IDX layout (--heldout or the rubric's ``heldout``), or None for the public split."""
        if self.heldout_dir is not None:
            return self.heldout_dir
        configured = self.rubric.params.get("heldout")
        return (self.rubric.folder / configured).resolve() if isinstance(configured, str) and configured else None

    @pytest.fixture(scope="session")
    def evaluator(self) -> Any:
        """Rebuilds exported Keras models in a worker that never ran student code (see grading/models.py)."""
        from autograder.grading.models import Evaluator

        if self.evaluator_session is None:
            raise RuntimeError(f"{self.rubric.path}: an evaluator needs requires = [\"keras\"]")
        return Evaluator(EvaluatorProxy(self.evaluator_session))

    @pytest.fixture
    def credit(self) -> Credit:
        return Credit(self.metrics, self.reviews)

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_setup(self, item: pytest.Item) -> None:
        """A check (or fixture) that needs the submission does not run when its notebook ran out of time."""
        self._refuse_after_timeout(item)

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_call(self, item: pytest.Item) -> None:
        self._refuse_after_timeout(item)

    def _refuse_after_timeout(self, item: pytest.Item) -> None:
        if "submission" not in getattr(item, "fixturenames", ()):
            return
        try:
            report = self.session.load()  # what the check's first call would wait for anyway
        except (CallTimeout, WorkerCrashed):
            return  # the check meets the same failure on its own and reports it
        stopped = timed_out_in(report, self.session.submission.cells)
        if stopped is not None:
            raise NotebookTimedOut(stopped[0])

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_makereport(self, item: pytest.Item, call: pytest.CallInfo) -> Any:
        report = yield
        if call.when == "call" or (call.when == "setup" and report.outcome != "passed"):
            credit = item.funcargs.get("credit") if hasattr(item, "funcargs") else None
            outcome = classify(call, credit)
            outcome.duration_s = call.duration
            self.outcomes.setdefault(getattr(item, "originalname", item.name), []).append(outcome)
        return report

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        if report.failed:
            self.collection_errors.append(f"{report.nodeid}: {str(report.longrepr).strip().splitlines()[-1]}")

    def results(self) -> list[CheckResult]:
        """One CheckResult per rubric entry, in rubric order; cases share the points."""
        checks = []
        for check_id, points in self.rubric.checks.items():
            cases = self.outcomes.get(check_id) or [Outcome("error", message="the check did not run", message_ko="검사가 실행되지 않았습니다")]
            earned = sum(c.fraction for c in cases) / len(cases) * points
            worst = next((c for c in cases if c.status != "passed"), None)
            status = worst.status if worst else "passed"
            if status == "partial" and earned == 0:
                status = "failed"
            first = worst or cases[0]
            checks.append(CheckResult(
                id=check_id, status=status, points=round(earned, 4), max_points=points,
                message=first.message, message_ko=first.message_ko, expected=first.expected, got=first.got,
                hint=first.hint, visibility=self.visibility, duration_s=round(sum(c.duration_s for c in cases), 4),
            ))
        return checks


def classify(call: pytest.CallInfo, credit: Credit | None) -> Outcome:
    """Turn how a check ended into a status, a fraction of its points and a message."""
    if call.excinfo is None:
        if credit is not None and credit.fraction is not None and credit.fraction < 1.0:
            return _from_failure("partial", credit.fraction, credit.failure)
        return Outcome("passed", 1.0)
    exc = call.excinfo.value
    if isinstance(exc, MissingName):  # a name the check needs is not defined: the check fails
        return Outcome("failed", message=_cap(exc.message), message_ko=_cap(exc.message_ko))
    if isinstance(exc, CheckFailed):
        return _from_failure("failed", 0.0, exc)
    if isinstance(exc, (CallTimeout, NotebookTimedOut)):
        return Outcome("timeout", message=exc.message, message_ko=exc.message_ko)
    if isinstance(exc, StudentError):
        detail = _last_lines(exc.traceback)
        return Outcome("error", message=_cap(exc.message + detail), message_ko=_cap(exc.message_ko + detail))
    if isinstance(exc, WorkerCrashed):
        return Outcome("error", message=exc.message, message_ko=exc.message_ko)
    if isinstance(exc, AssertionError):
        first = (str(exc).strip().splitlines() or ["assertion failed"])[0]
        return Outcome("failed", message=_cap(first), message_ko=_cap(first))
    if call.excinfo.errisinstance(pytest.skip.Exception):
        return Outcome("failed", message=f"not checked: {exc}", message_ko=f"검사하지 않음: {exc}")
    text = f"{type(exc).__name__}: {exc}"
    return Outcome("error", message=_cap(f"the check could not run ({text})"), message_ko=_cap(f"검사를 실행할 수 없습니다 ({text})"))


def _from_failure(status: str, fraction: float, failure: CheckFailed | None) -> Outcome:
    if failure is None:
        return Outcome(status, fraction)
    return Outcome(status, fraction, _cap(failure.message), _cap(failure.message_ko), failure.expected, failure.got, failure.hint)


def _last_lines(traceback_text: str, n: int = 4) -> str:
    lines = [line for line in traceback_text.strip().splitlines() if line.strip()]
    return ("\n" + "\n".join(lines[-n:])) if lines else ""


def _cap(text: str) -> str:
    return text if len(text) <= MESSAGE_CAP else text[: MESSAGE_CAP - 3] + "..."
