"""Late policy: parsing [late], penalties at the boundaries, grades.csv columns, submission times."""

from __future__ import annotations

import os
import sys
from datetime import datetime, timedelta, timezone

import pandas as pd
import pytest

from autograder.errors import RubricError, SubmissionError
from autograder.batch.late import LatePolicy, apply_late, late_policy, submission_times

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

KST = timezone(timedelta(hours=9))
DUE = datetime(2025, 4, 7, 23, 59, tzinfo=KST)


def per_day(**extra) -> LatePolicy:
    return LatePolicy.from_table({"due": DUE, "penalty_per_day": 10, "cap": 30, **extra}, source="r.toml")


def per_hour(**extra) -> LatePolicy:
    return LatePolicy.from_table({"due": DUE, "penalty_per_hour": 2, "cap": 50, **extra}, source="r.toml")


def test_from_rubric_toml():
    table = tomllib.loads("""
[late]
due = 2025-04-07T23:59:00+09:00
penalty_per_day = 10
cap = 30
grace_minutes = 15
""")["late"]
    policy = LatePolicy.from_table(table, source="rubrics/xor/rubric.toml")
    assert policy == LatePolicy(DUE, "day", 10.0, 30.0, 15.0)
    assert LatePolicy.from_table({"due": "2025-04-07T14:59:00Z", "penalty_per_hour": 1}).due == DUE
    assert late_policy({}, source="r.toml") is None


@pytest.mark.parametrize(("table", "message"), [
    ({"due": DUE, "penalty_per_day": 10, "penalty": 1}, r"r\.toml: late\.penalty is not a known key"),
    ({"penalty_per_day": 10}, r"r\.toml: late\.due is missing"),
    ({"due": DUE}, r"r\.toml: late needs exactly one of penalty_per_day or penalty_per_hour"),
    ({"due": DUE, "penalty_per_day": 1, "penalty_per_hour": 1}, r"exactly one .* \(both are set\)"),
    ({"due": datetime(2025, 4, 7, 23, 59), "penalty_per_day": 10}, r"r\.toml: late\.due .* has no timezone"),
    ({"due": "next monday", "penalty_per_day": 10}, r"r\.toml: late\.due 'next monday' is not an ISO 8601"),
    ({"due": DUE, "penalty_per_day": -1}, r"r\.toml: late\.penalty_per_day must be a non-negative number"),
    ({"due": DUE, "penalty_per_day": "10%"}, r"late\.penalty_per_day must be a non-negative number"),
    ({"due": DUE, "penalty_per_day": 10, "cap": 120}, r"r\.toml: late\.cap is a percent and cannot exceed 100"),
    ({"due": DUE, "penalty_per_day": 10, "grace_minutes": True}, r"late\.grace_minutes must be a non-negative"),
])
def test_invalid_tables_name_file_and_key(table, message):
    with pytest.raises(RubricError, match=message):
        LatePolicy.from_table(table, source="r.toml")


@pytest.mark.parametrize(("submitted", "percent"), [
    (DUE - timedelta(days=1), 0.0),  # early
    (DUE, 0.0),  # exactly on time
    (DUE + timedelta(seconds=1), 10.0),  # one second late: one started day
    (DUE + timedelta(days=1), 10.0),
    (DUE + timedelta(days=1, seconds=1), 20.0),
    (DUE + timedelta(days=3), 30.0),  # reaches the cap
    (DUE + timedelta(days=30), 30.0),  # past the cap: capped
])
def test_penalty_per_day(submitted, percent):
    assert per_day().penalty(submitted) == percent


@pytest.mark.parametrize(("submitted", "percent"), [
    (DUE, 0.0),
    (DUE + timedelta(seconds=1), 2.0),
    (DUE + timedelta(minutes=60), 2.0),
    (DUE + timedelta(minutes=61), 4.0),
    (DUE + timedelta(hours=24, seconds=1), 50.0),  # 25 started hours = 50 %: the cap
    (DUE + timedelta(days=5), 50.0),
])
def test_penalty_per_hour(submitted, percent):
    assert per_hour().penalty(submitted) == percent


def test_grace_period_boundaries():
    policy = per_hour(grace_minutes=10)
    assert policy.penalty(DUE + timedelta(minutes=10)) == 0.0  # exactly at the end of grace
    assert policy.penalty(DUE + timedelta(minutes=10, seconds=1)) == 2.0  # one second past it
    assert policy.late_by(DUE + timedelta(minutes=5)) == timedelta(minutes=5)  # late, forgiven
    day = per_day(grace_minutes=15)
    assert day.penalty(DUE + timedelta(minutes=15)) == 0.0
    assert day.penalty(DUE + timedelta(minutes=15, seconds=1)) == 10.0


def test_times_in_other_zones_and_strings():
    policy = per_day()
    assert policy.penalty("2025-04-07T14:59:00+00:00") == 0.0  # the same instant as DUE
    assert policy.penalty("2025-04-07T14:59:01Z") == 10.0
    assert policy.penalty("") == 0.0 and policy.penalty(None) == 0.0
    with pytest.raises(SubmissionError, match="has no timezone"):
        policy.penalty("2025-04-08T10:00:00")


def grades() -> pd.DataFrame:
    return pd.DataFrame({
        "student_id": ["on_time", "second_late", "very_late", "unknown", "low"],
        "test_a": [5.0, 5.0, 5.0, 5.0, 1.0],
        "total": [10.0, 10.0, 8.0, 10.0, 1.0], "max": 10.0, "percent": [100.0, 100.0, 80.0, 100.0, 10.0],
        "status": "graded", "graded_by": "code", "duration_s": 1.0, "notes": "", "content_hash": "h",
        "submitted_at": [DUE.isoformat(), (DUE + timedelta(seconds=1)).isoformat(),
                         (DUE + timedelta(days=9)).isoformat(), "", (DUE + timedelta(days=2)).isoformat()],
    })


def test_apply_late_adds_columns_before_total():
    before = grades()
    out = apply_late(before, per_day())
    assert list(out.columns) == ["student_id", "test_a", "raw_total", "late_penalty", "late_by", "total", "max",
                                 "percent", "status", "graded_by", "duration_s", "notes", "content_hash",
                                 "submitted_at"]
    assert list(out["raw_total"]) == [10.0, 10.0, 8.0, 10.0, 1.0]
    assert list(out["late_penalty"]) == [0.0, 1.0, 3.0, 0.0, 1.0]  # never below 0 points
    assert list(out["total"]) == [10.0, 9.0, 5.0, 10.0, 0.0]
    assert list(out["percent"]) == [100.0, 90.0, 50.0, 100.0, 0.0]
    assert list(out["late_by"]) == ["", "0 days 00:00:01", "9 days 00:00:00", "", "2 days 00:00:00"]
    assert pd.to_timedelta(out["late_by"][2]) == timedelta(days=9)
    assert before.equals(grades())  # the input is left alone


def test_apply_late_twice_is_the_same():
    once = apply_late(grades(), per_day())
    assert apply_late(once, per_day()).equals(once)


def test_apply_late_round_trips_through_csv(tmp_path):
    out = apply_late(grades(), per_hour())
    out.to_csv(tmp_path / "grades.csv", index=False)
    back = pd.read_csv(tmp_path / "grades.csv", keep_default_na=False)
    assert list(back["total"]) == list(out["total"])


def test_submission_times_from_manifest_and_mtime(tmp_path):
    subs = tmp_path / "subs"
    subs.mkdir()
    (subs / "0001.ipynb").write_text("{}", encoding="utf-8")
    (subs / "0002.py").write_text("x = 1\n", encoding="utf-8")
    folder = subs / "0003"
    folder.mkdir()
    (folder / "xor.ipynb").write_text("{}", encoding="utf-8")
    stamp = datetime(2025, 4, 8, 1, 2, 3, tzinfo=timezone.utc).timestamp()
    os.utime(subs / "0002.py", (stamp, stamp))
    os.utime(folder / "xor.ipynb", (stamp + 60, stamp + 60))
    manifest = tmp_path / "manifest.csv"
    pd.DataFrame({"student_id": ["0001", "0002"], "submitted_at": ["2025-04-07T23:00:00+09:00", ""]}).to_csv(
        manifest, index=False)
    times = submission_times(subs, manifest)
    assert times == {"0001": "2025-04-07T14:00:00+00:00", "0002": "2025-04-08T01:02:03+00:00",
                     "0003": "2025-04-08T01:03:03+00:00"}


def test_manifest_in_the_submissions_folder_is_used(tmp_path):
    (tmp_path / "0001.py").write_text("x = 1\n", encoding="utf-8")
    (tmp_path / "manifest.csv").write_text("student_id,submitted_at\n0001,2025-04-08T00:00:00Z\n", encoding="utf-8")
    assert submission_times(tmp_path) == {"0001": "2025-04-08T00:00:00+00:00"}


def test_manifest_errors_name_file_and_line(tmp_path):
    (tmp_path / "0001.py").write_text("x = 1\n", encoding="utf-8")
    bad = tmp_path / "m.csv"
    bad.write_text("student_id,submitted_at\n0001,2025-04-08 10:00\n", encoding="utf-8")
    with pytest.raises(SubmissionError, match=r"m\.csv: line 2: submission time .* has no timezone"):
        submission_times(tmp_path, bad)
    bad.write_text("student_id,when\n0001,x\n", encoding="utf-8")
    with pytest.raises(SubmissionError, match=r"m\.csv: no submitted_at column"):
        submission_times(tmp_path, bad)
