"""Plain result records: one check, one submission. JSON in, JSON out."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

STATUSES = ("passed", "partial", "failed", "error", "timeout")


@dataclass
class CheckResult:
    """The outcome of one check on one submission."""

    id: str
    status: str
    points: float
    max_points: float
    message: str = ""  # English, one or a few lines
    message_ko: str = ""  # Korean
    expected: str | None = None
    got: str | None = None
    hint: str | None = None
    visibility: str = "hidden"  # "hidden" (rubrics/) or "public" (assignments/NAME/checks)
    duration_s: float = 0.0

    @property
    def passed(self) -> bool:
        return self.status == "passed"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CheckResult:
        return cls(**data)


@dataclass
class SubmissionResult:
    """Everything known about one graded submission.

    ``status`` is ``graded`` when the code ran (cell errors are listed in
    ``cell_errors``), ``timeout`` when it ran out of wall-clock time, and
    ``error: ...`` when it could not be graded at all. ``status`` stays English (the grades
    CSV, TAs); ``status_ko`` says the same to a Korean student.
    """

    student_id: str
    assignment: str
    path: str
    content_hash: str
    status: str = "graded"
    checks: list[CheckResult] = field(default_factory=list)
    duration_s: float = 0.0
    seed: int | None = None
    graded_by: str = "code"  # "code" (notebook/module executed) or "model file"
    cell_errors: list[dict[str, Any]] = field(default_factory=list)  # index, ename, evalue
    cell_outputs: list[dict[str, Any]] = field(default_factory=list)  # index, outputs (nbformat v4 dicts)
    hints: list[dict[str, Any]] = field(default_factory=list)
    metrics: dict[str, float] = field(default_factory=dict)
    output: str = ""  # the student's captured stdout/stderr, capped
    sandbox: str = "none"
    engine_version: str = ""
    submitted_at: str | None = None  # ISO 8601, filled by batch
    review: str = ""  # why a TA should look at this result (e.g. an implausible accuracy); never a penalty
    status_ko: str = ""  # ``status`` in Korean, for students ("" in results older than it: see grading/statuses.py)

    @property
    def total(self) -> float:
        return round(sum(c.points for c in self.checks), 6)

    @property
    def max(self) -> float:
        return round(sum(c.max_points for c in self.checks), 6)

    @property
    def percent(self) -> float:
        return round(100.0 * self.total / self.max, 2) if self.max else 0.0

    @property
    def all_passed(self) -> bool:
        return self.status == "graded" and all(c.passed for c in self.checks)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["total"], data["max"], data["percent"] = self.total, self.max, self.percent
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SubmissionResult:
        data = {k: v for k, v in data.items() if k not in ("total", "max", "percent")}
        checks = [CheckResult.from_dict(c) for c in data.pop("checks", [])]
        return cls(checks=checks, **data)
