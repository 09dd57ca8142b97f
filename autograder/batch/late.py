"""Late submissions: the rubric's ``[late]`` table, submission times, and the penalty.

```toml
[late]
due = 2025-04-07T23:59:00+09:00   # ISO 8601 with a timezone (TOML datetime or string)
penalty_per_day = 10              # percent of the maximum points per day or part of a day late
# penalty_per_hour = 1            # ... or per hour or part of an hour (give one of the two)
cap = 50                          # the penalty never exceeds this percent (default 100)
grace_minutes = 15                # submissions up to this long after due are on time (default 0)
```

Lateness counts from ``due``; the grace period only forgives, it does not move
the deadline: 16 minutes late with 15 minutes of grace is one started hour (or
day) late. The penalty is a percent of the maximum points, subtracted from the
raw total and never taking it below 0.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from autograder.files import read_text_csv
from autograder.errors import RubricError, SubmissionError
from autograder.grading.submissions import IGNORED, find_submissions, student_id_of

if TYPE_CHECKING:  # imported where used: a batch imports pandas while its first submissions are graded
    import pandas as pd

KEYS = ("due", "penalty_per_day", "penalty_per_hour", "cap", "grace_minutes")
UNITS = {"day": timedelta(days=1), "hour": timedelta(hours=1)}


@dataclass(frozen=True)
class LatePolicy:
    due: datetime  # timezone-aware
    unit: str  # "day" or "hour"
    rate: float  # percent of the maximum points per started unit late
    cap: float = 100.0  # maximum penalty, percent
    grace_minutes: float = 0.0

    @classmethod
    def from_table(cls, table: dict[str, Any], *, source: Path | str = "rubric.toml") -> LatePolicy:
        """Validate a rubric's ``[late]`` table; every error names the file and the key."""
        if not isinstance(table, dict):
            raise RubricError(f"{source}: [late] must be a table")
        for key in table:
            if key not in KEYS:
                raise RubricError(f"{source}: late.{key} is not a known key ({', '.join(KEYS)})")
        if "due" not in table:
            raise RubricError(f"{source}: late.due is missing (e.g. due = 2025-04-07T23:59:00+09:00)")
        due = _due(table["due"], source)
        rates = [k for k in ("penalty_per_day", "penalty_per_hour") if k in table]
        if len(rates) != 1:
            raise RubricError(f"{source}: late needs exactly one of penalty_per_day or penalty_per_hour"
                              + (" (both are set)" if rates else ""))
        rate = _number(table, rates[0], source, high=100.0)
        cap = _number(table, "cap", source, high=100.0) if "cap" in table else 100.0
        grace = _number(table, "grace_minutes", source) if "grace_minutes" in table else 0.0
        return cls(due, rates[0].rsplit("_", 1)[1], rate, cap, grace)

    def late_by(self, submitted_at: datetime | str | None) -> timedelta | None:
        """How long after the due time it came in; None when on time or unknown."""
        when = parse_time(submitted_at)
        if when is None or when <= self.due:
            return None
        return when - self.due

    def penalty(self, submitted_at: datetime | str | None) -> float:
        """The penalty in percent of the maximum points (0 when on time or within grace)."""
        late = self.late_by(submitted_at)
        if late is None or late <= timedelta(minutes=self.grace_minutes):
            return 0.0
        units = math.ceil(late / UNITS[self.unit])
        return float(min(self.cap, units * self.rate))


def late_policy(table: dict[str, Any] | None, *, source: Path | str) -> LatePolicy | None:
    """The policy of a rubric's ``late`` table, or None when the rubric has none."""
    return LatePolicy.from_table(table, source=source) if table else None


def _due(value: Any, source: Path | str) -> datetime:
    if isinstance(value, datetime):
        due = value
    elif isinstance(value, str):
        try:
            due = _fromiso(value)
        except ValueError:
            raise RubricError(f"{source}: late.due {value!r} is not an ISO 8601 date and time") from None
    else:
        raise RubricError(f"{source}: late.due must be a date and time with a timezone, not {value!r}")
    if due.tzinfo is None or due.utcoffset() is None:
        raise RubricError(f"{source}: late.due {value} has no timezone (write e.g. 2025-04-07T23:59:00+09:00)")
    return due


def _number(table: dict[str, Any], key: str, source: Path | str, *, high: float | None = None) -> float:
    value = table[key]
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0 or math.isnan(value):
        raise RubricError(f"{source}: late.{key} must be a non-negative number, not {value!r}")
    if high is not None and value > high:
        raise RubricError(f"{source}: late.{key} is a percent and cannot exceed {high:g}, not {value!r}")
    return float(value)


def parse_time(value: datetime | str | None) -> datetime | None:
    """An aware datetime from an ISO 8601 string ('' and None give None)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, str):
        if not value.strip():
            return None
        try:
            value = _fromiso(value)
        except ValueError:
            raise SubmissionError(f"submission time {value!r} is not ISO 8601") from None
    if value.tzinfo is None or value.utcoffset() is None:
        raise SubmissionError(f"submission time {value.isoformat()} has no timezone")
    return value


def _fromiso(text: str) -> datetime:
    """``datetime.fromisoformat``, also taking a trailing ``Z`` on Python 3.10."""
    text = text.strip()
    return datetime.fromisoformat(text[:-1] + "+00:00" if text[-1:] in ("Z", "z") else text)


def format_late_by(late: timedelta | None) -> str:
    """``2 days 03:15:00`` (pandas reads it back with ``pd.to_timedelta``); empty when not late."""
    import pandas as pd

    return "" if late is None else str(pd.Timedelta(late).floor("s"))


def apply_late(grades: pd.DataFrame, policy: LatePolicy) -> pd.DataFrame:
    """grades.csv with the late penalty applied: a new DataFrame, the input is left alone.

    Adds ``raw_total`` (points before the penalty), ``late_penalty`` (points taken
    off) and ``late_by`` just before ``total``; ``total`` becomes ``raw_total -
    late_penalty`` and ``percent`` follows it. Applying it twice gives the same result.
    """
    import pandas as pd

    for column in ("student_id", "total", "max", "submitted_at"):
        if column not in grades.columns:
            raise RubricError(f"grades have no {column} column: cannot apply the late policy")
    out = grades.copy()
    raw = out["raw_total"] if "raw_total" in out.columns else out["total"]
    raw = pd.to_numeric(raw).astype(float)
    maximum = pd.to_numeric(out["max"]).astype(float)
    percents, late_by = [], []
    for sid, when in zip(out["student_id"], out["submitted_at"]):
        try:
            percents.append(policy.penalty(when))
            late_by.append(format_late_by(policy.late_by(when)))
        except SubmissionError as e:
            raise SubmissionError(f"student {sid}: {e}") from None
    penalty = (maximum * pd.Series(percents, index=out.index) / 100.0).clip(upper=raw.clip(lower=0)).round(6)
    out = out.drop(columns=[c for c in ("raw_total", "late_penalty", "late_by") if c in out.columns])
    at = list(out.columns).index("total")
    out.insert(at, "late_by", pd.Series(late_by, index=out.index, dtype=str))
    out.insert(at, "late_penalty", penalty)
    out.insert(at, "raw_total", raw)
    out["total"] = (raw - penalty).round(6)
    if "percent" in out.columns:
        out["percent"] = [round(100.0 * t / m, 2) if m else 0.0 for t, m in zip(out["total"], maximum)]
    return out


@dataclass
class SubmissionTimes:
    """When each submission came in (student id -> ISO 8601, UTC), and whose time is only a file's."""

    times: dict[str, str]
    from_files: list[str] = field(default_factory=list)  # ids timed by modification time: easy to back-date


def submission_times(subs_dir: Path, manifest: Path | None = None, *, paths: list[Path] | None = None) -> dict[str, str]:
    """When each submission in a batch folder came in: student id -> ISO 8601 (UTC) (see :func:`read_submission_times`)."""
    return read_submission_times(subs_dir, manifest, paths=paths).times


def read_submission_times(subs_dir: Path, manifest: Path | None = None, *,
                          paths: list[Path] | None = None) -> SubmissionTimes:
    """When each submission in a batch folder came in, and which times are file modification times.

    From the ``submitted_at`` column of a manifest CSV (``student_id,submitted_at``;
    ``SUBS/manifest.csv`` is used when present and no manifest is named), else from
    the submission's modification time (a folder's newest file). ``paths`` are the
    submissions (default: those :func:`find_submissions` finds in ``subs_dir``).
    """
    subs_dir = Path(subs_dir)
    if manifest is None and (subs_dir / "manifest.csv").is_file():
        manifest = subs_dir / "manifest.csv"
    given = _read_manifest(Path(manifest)) if manifest is not None else {}
    found = SubmissionTimes({})
    for path in find_submissions(subs_dir) if paths is None else paths:
        sid = student_id_of(path)
        if given.get(sid):
            found.times[sid] = given[sid]
        else:
            found.times[sid] = _mtime(path)
            found.from_files.append(sid)
    return found


def download_times(recorded: dict[str, str | None], manifest: Path | None = None) -> dict[str, str]:
    """When each student of an LMS download came in: student id -> ISO 8601 (UTC).

    From the time the LMS recorded (``recorded``), overridden by a manifest CSV
    when one is named; never from file times, which the download does not keep.
    """
    times = {}
    for sid, value in recorded.items():
        when = parse_time(value)
        if when is not None:
            times[sid] = when.astimezone(timezone.utc).isoformat()
    if manifest is not None:
        times.update(_read_manifest(Path(manifest)))
    return times


def _read_manifest(path: Path) -> dict[str, str]:
    table = read_text_csv(path, missing="no such manifest file", unreadable="not a readable CSV manifest",
                          error=SubmissionError)
    for column in ("student_id", "submitted_at"):
        if column not in table.columns:
            raise SubmissionError(f"{path}: no {column} column (columns: {', '.join(table.columns)})")
    times = {}
    for line, (sid, value) in enumerate(zip(table["student_id"], table["submitted_at"]), start=2):
        if not value.strip():
            continue
        try:
            when = parse_time(value)
        except SubmissionError as e:
            raise SubmissionError(f"{path}: line {line}: {e}") from None
        times[sid.strip()] = when.astimezone(timezone.utc).isoformat()
    return times


def _mtime(path: Path) -> str:
    if path.is_dir():
        stamps = [p.stat().st_mtime for p in path.rglob("*")
                  if p.is_file() and not set(p.relative_to(path).parts) & IGNORED]
        stamp = max(stamps, default=os.stat(path).st_mtime)
    else:
        stamp = path.stat().st_mtime
    return datetime.fromtimestamp(stamp, tz=timezone.utc).isoformat()
