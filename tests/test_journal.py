"""The batch journal: lookups by key, durability under SIGKILL, atomic output files."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from autograder.errors import GradingError
from autograder.batch.journal import Journal, rubric_hash, write_atomic

KEY = ("s001", "c0ffee", "r1", "0.1.0")


def result(student: str, points: float = 3.0) -> dict:
    return {"student_id": student, "points": points, "checks": [{"id": "test_and", "status": "passed"}],
            "name": "김민수"}


def test_record_then_lookup_by_exact_key(tmp_path: Path) -> None:
    with Journal(tmp_path / "j.sqlite") as journal:
        assert journal.lookup(*KEY) is None
        journal.record(*KEY, result("s001"))
        assert journal.lookup(*KEY) == result("s001")
        for i in range(1, 4):  # any other content, rubric or engine version is a miss
            other = list(KEY)
            other[i] = "different"
            assert journal.lookup(*other) is None
        assert len(journal) == 1


def test_records_survive_reopening_and_replace_older_ones(tmp_path: Path) -> None:
    path = tmp_path / "j.sqlite"
    with Journal(path) as journal:
        journal.record(*KEY, result("s001", 1.0))
        journal.record(*KEY, result("s001", 2.0))
    with Journal(path) as journal:
        assert journal.lookup(*KEY)["points"] == 2.0
        assert list(journal.students()) == ["s001"]


def test_a_file_that_is_not_a_journal_is_a_one_line_error(tmp_path: Path) -> None:
    path = tmp_path / "j.sqlite"
    path.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(GradingError, match="not a usable grade journal"):
        with Journal(path):
            pass


def test_journal_uses_wal_and_full_sync(tmp_path: Path) -> None:
    with Journal(tmp_path / "j.sqlite") as journal:
        assert journal.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert journal.db.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL


WRITER = textwrap.dedent("""
    import sys
    from autograder.batch.journal import Journal
    with Journal(sys.argv[1]) as journal:
        i = 0
        while True:
            journal.record(f"s{i:06d}", f"hash{i}", "rubric", "0.1.0", {"student_id": f"s{i:06d}", "points": i,
                           "padding": "x" * (i % 5000)})
            print(i, flush=True)  # printed only after the commit returned
            i += 1
""")


@pytest.mark.parametrize("delay", [0.05, 0.3, 0.8])
def test_sigkill_of_a_writer_loses_nothing_committed(tmp_path: Path, delay: float) -> None:
    path = tmp_path / "j.sqlite"
    writer = subprocess.Popen([sys.executable, "-c", WRITER, str(path)], stdout=subprocess.PIPE, text=True)
    committed = -1
    deadline = time.monotonic() + 30
    while committed < 20 and time.monotonic() < deadline:  # wait until it is busy writing
        committed = int(writer.stdout.readline())
    time.sleep(delay)
    writer.send_signal(signal.SIGKILL)
    rest = writer.stdout.read()
    writer.stdout.close()
    writer.wait()
    reported = [committed] + [int(x) for x in rest.split()]
    last = max(reported)

    db = sqlite3.connect(path)
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    db.close()
    with Journal(path) as journal:
        for i in range(last + 1):  # every record reported as committed is there, intact
            assert journal.lookup(f"s{i:06d}", f"hash{i}", "rubric", "0.1.0") == {
                "student_id": f"s{i:06d}", "points": i, "padding": "x" * (i % 5000)}
        assert len(journal) in (last + 1, last + 2)  # at most one more committed but not yet printed
        journal.record("after", "h", "r", "v", {"ok": True})  # and the journal is still writable
        assert journal.lookup("after", "h", "r", "v") == {"ok": True}


def make_rubric(folder: Path) -> Path:
    (folder / "helpers").mkdir(parents=True)
    (folder / "rubric.toml").write_text("[checks]\ntest_a = 1\n")
    (folder / "test_a.py").write_text("def test_a(): pass\n")
    (folder / "conftest.py").write_text("")
    (folder / "helpers" / "labels.npy").write_bytes(b"\x93NUMPY labels")
    return folder


def test_rubric_hash_changes_with_checks_points_and_labels(tmp_path: Path) -> None:
    folder = make_rubric(tmp_path / "r")
    before = rubric_hash(folder)
    assert before == rubric_hash(folder) and len(before) == 16
    for name, text in [("rubric.toml", "[checks]\ntest_a = 2\n"), ("test_a.py", "def test_a(): assert 0\n"),
                       ("conftest.py", "# changed"), ("helpers/labels.npy", "other labels")]:
        original = (folder / name).read_bytes()
        (folder / name).write_text(text)
        assert rubric_hash(folder) != before, name
        (folder / name).write_bytes(original)
    assert rubric_hash(folder) == before


def test_rubric_hash_ignores_caches_and_mutants(tmp_path: Path) -> None:
    folder = make_rubric(tmp_path / "r")
    before = rubric_hash(folder)
    (folder / "__pycache__").mkdir()
    (folder / "__pycache__" / "test_a.cpython-311.pyc").write_bytes(b"\0\1")
    (folder / "mutants").mkdir()
    (folder / "mutants" / "buggy.py").write_text("x = 1")
    (folder / ".pytest_cache").mkdir()
    assert rubric_hash(folder) == before


def test_rubric_hash_does_not_depend_on_where_the_folder_is(tmp_path: Path) -> None:
    assert rubric_hash(make_rubric(tmp_path / "a")) == rubric_hash(make_rubric(tmp_path / "b" / "c"))


def test_write_atomic_replaces_whole_file(tmp_path: Path) -> None:
    target = tmp_path / "grades.csv"
    target.write_text("old\n")
    os.chmod(target, 0o640)
    write_atomic(target, lambda tmp: Path(tmp).write_text("student,points\ns1,3\n"))
    assert target.read_text() == "student,points\ns1,3\n"
    assert target.stat().st_mode & 0o777 == 0o640
    assert [p.name for p in tmp_path.iterdir()] == ["grades.csv"]


def test_write_atomic_new_file_gets_ordinary_permissions(tmp_path: Path) -> None:
    target = tmp_path / "grades.csv"
    write_atomic(target, lambda tmp: Path(tmp).write_text("x\n"))
    umask = os.umask(0o022)
    os.umask(umask)
    assert target.stat().st_mode & 0o777 == 0o666 & ~umask


def test_write_atomic_failure_keeps_the_old_file_and_no_temp(tmp_path: Path) -> None:
    target = tmp_path / "grades.csv"
    target.write_text("old\n")

    def half_then_fail(tmp: str) -> None:
        Path(tmp).write_text("stud")
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        write_atomic(target, half_then_fail)
    assert target.read_text() == "old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["grades.csv"]


READER_WRITER = textwrap.dedent("""
    import sys
    from pathlib import Path
    from autograder.batch.journal import write_atomic
    big = "".join(f"s{i:06d},{i}\\n" for i in range(200000))
    i = 0
    while True:
        write_atomic(Path(sys.argv[1]), lambda tmp: Path(tmp).write_text(f"header {i}\\n" + big + "end\\n"))
        i += 1
        print(i, flush=True)
""")


def test_sigkill_during_write_atomic_never_leaves_a_half_file(tmp_path: Path) -> None:
    target = tmp_path / "grades.csv"
    writer = subprocess.Popen([sys.executable, "-c", READER_WRITER, str(target)], stdout=subprocess.PIPE, text=True)
    writer.stdout.readline()
    for _ in range(20):  # a reader never sees a torn file while it is rewritten
        text = target.read_text()
        assert text.startswith("header ") and text.endswith("end\n")
    time.sleep(0.13)
    writer.send_signal(signal.SIGKILL)
    writer.stdout.read()
    writer.stdout.close()
    writer.wait()
    text = target.read_text()
    assert text.startswith("header ") and text.endswith("end\n")


# -- the grading key: everything besides the submission that can change a grade ------------------


def fashion_rubric(folder: Path) -> Path:
    make_rubric(folder)
    (folder / "rubric.toml").write_text('[checks]\ntest_a = 1\n\n[params]\ndataset = "fashion-mnist"\n')
    return folder


def fake_data(folder: Path) -> Path:
    """Files named as Fashion-MNIST's (find_fashion_mnist only looks for the folder and a name)."""
    from autograder.grading.datasets import SHAPES

    folder.mkdir(parents=True)
    for name in SHAPES:
        (folder / name).write_bytes(name.encode())
    return folder


def test_grade_key_covers_seed_timeout_suite_env_data_and_sandbox(tmp_path: Path) -> None:
    from autograder.batch.journal import grade_key
    from autograder.grading.grade import GradeOptions
    from autograder.grading.rubric import load_rubric

    rubric = load_rubric(fashion_rubric(tmp_path / "r") / "rubric.toml")
    data = fake_data(tmp_path / "data")
    key = grade_key(rubric, GradeOptions(data_dir=data), sandbox="bwrap")
    assert len(key) == 16 and key == grade_key(rubric, GradeOptions(data_dir=data), sandbox="bwrap")
    assert key == grade_key(rubric, GradeOptions(data_dir=data, threads=8), sandbox="bwrap")  # speed only
    others = [grade_key(rubric, GradeOptions(data_dir=data, seed=1), sandbox="bwrap"),
              grade_key(rubric, GradeOptions(data_dir=data, timeout=5), sandbox="bwrap"),
              grade_key(rubric, GradeOptions(data_dir=data, suite="public"), sandbox="bwrap"),
              grade_key(rubric, GradeOptions(data_dir=data, env={"X": "1"}), sandbox="bwrap"),
              grade_key(rubric, GradeOptions(data_dir=data), sandbox="none")]
    (data / sorted(data.iterdir())[0].name).write_bytes(b"other held-out images")  # same folder, new content
    others.append(grade_key(rubric, GradeOptions(data_dir=data), sandbox="bwrap"))
    (rubric.folder / "test_a.py").write_text("def test_a(): assert 0\n")
    others.append(grade_key(rubric, GradeOptions(data_dir=data), sandbox="bwrap"))
    assert len({key, *others}) == len(others) + 1


def test_grade_key_covers_path_options_added_later(tmp_path: Path) -> None:
    """A folder option GradeOptions grows (e.g. a private held-out set) is keyed by what it holds."""
    from dataclasses import dataclass

    from autograder.batch.journal import grade_key
    from autograder.grading.grade import GradeOptions
    from autograder.grading.rubric import load_rubric

    @dataclass
    class WithHeldout(GradeOptions):
        heldout: Path | None = None

    rubric = load_rubric(make_rubric(tmp_path / "r") / "rubric.toml")
    heldout = fake_data(tmp_path / "heldout")
    key = grade_key(rubric, WithHeldout(heldout=heldout), sandbox="bwrap")
    assert key != grade_key(rubric, WithHeldout(), sandbox="bwrap")
    (heldout / "extra.gz").write_bytes(b"more images")
    assert key != grade_key(rubric, WithHeldout(heldout=heldout), sandbox="bwrap")


def test_a_results_status_in_both_languages_survives_the_journal_and_older_records_still_load(tmp_path: Path) -> None:
    from autograder.grading.results import SubmissionResult

    graded = SubmissionResult("s001", "tiny", "s001.py", "c0ffee", status="error: exit code 1 while running the "
                              "submission's code", status_ko="오류: 제출물 코드를 실행하는 중 프로세스가 멈췄습니다")
    older = {k: v for k, v in graded.to_dict().items() if k != "status_ko"}  # written before status_ko existed
    with Journal(tmp_path / "j.sqlite") as journal:
        journal.record(*KEY, graded.to_dict())
        journal.record("s002", *KEY[1:], older)
    with Journal(tmp_path / "j.sqlite") as journal:
        assert SubmissionResult.from_dict(journal.lookup(*KEY)) == graded
        assert SubmissionResult.from_dict(journal.lookup("s002", *KEY[1:])).status_ko == ""
