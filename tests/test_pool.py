"""The batch pool: one submission ahead per process, nothing passed between students, a dead process costs only its own."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import psutil
import pytest

from autograder.batch.run import run_batch
from autograder.engine import sandbox
from autograder.grading.course import Assignment
from autograder.grading.grade import GradeOptions, Grading

needs_sandbox = pytest.mark.skipif(sandbox.sandbox_mode() != "bwrap", reason="each worker's own sandbox is the point")

PROBE_RUBRIC = """
[assignment]
title = "Probe"
language = "en"

[limits]
call_timeout = 10
timeout = 30

[checks]
test_nothing_left = 1
"""

PROBE_CHECKS = '''
import time


def test_nothing_left(submission):
    time.sleep(SLEEP)  # long enough that the next submission's worker starts meanwhile
    found = submission.value("FOUND")
    assert found == [], f"found {found}"
'''

# What a student can leave behind: files in their folder, /tmp and $HOME, environment variables,
# a thread and a child process that go on writing, a module on sys.path, a changed builtin.
DIRTY = '''
import builtins, os, subprocess, sys, threading, time

MARK = "left-by-a-dirty-submission"
for folder in (".", "/tmp", os.path.expanduser("~")):
    try:
        with open(os.path.join(folder, MARK), "w") as f:
            f.write(MARK)
    except OSError:
        pass
os.environ["LEFT_BY_DIRTY"] = MARK
os.putenv("LEFT_BY_DIRTY_PUTENV", MARK)
with open("left_module.py", "w") as f:
    f.write("LEFT = True\\n")
builtins.LEFT_BY_DIRTY = MARK


def keep_writing():
    n = 0
    while True:
        n += 1
        for folder in (".", "/tmp"):
            try:
                with open(os.path.join(folder, f"{MARK}-thread-{n % 3}"), "w") as f:
                    f.write(MARK)
            except OSError:
                pass
        time.sleep(0.05)


threading.Thread(target=keep_writing).start()
try:
    subprocess.Popen([sys.executable, "-c", "import time\\nwhile True:\\n    open('/tmp/left-by-a-child', 'w').write('x'); time.sleep(0.05)"])
except OSError:
    pass
FOUND = []
'''

# A clean submission that looks for every trace of the one before it.
PROBE = '''
import builtins, os, sys, threading

MARK = "left-by-a-dirty-submission"
FOUND = []
for folder in (".", "/tmp", os.path.expanduser("~")):
    try:
        names = os.listdir(folder)
    except OSError:
        continue
    FOUND += [f"{folder}/{n}" for n in names if n.startswith("left")]
FOUND += [k for k in os.environ if k.startswith("LEFT")]
FOUND += ["builtin"] if hasattr(builtins, "LEFT_BY_DIRTY") else []
FOUND += [t.name for t in threading.enumerate() if t is not threading.main_thread() and "keep_writing" in repr(t)]
try:
    import left_module  # noqa: F401
    FOUND.append("left_module")
except ImportError:
    pass
for pid in [p for p in os.listdir("/proc") if p.isdigit()]:
    try:
        command = open(f"/proc/{pid}/cmdline", "rb").read()
    except OSError:
        continue
    if b"left-by-a-child" in command:
        FOUND.append(f"process {pid}")
'''


def probe_course(root: Path, sleep: float) -> Assignment:
    folder = root / "rubrics" / "probe"
    folder.mkdir(parents=True)
    (folder / "rubric.toml").write_text(PROBE_RUBRIC, encoding="utf-8")
    (folder / "test_probe.py").write_text(PROBE_CHECKS.replace("SLEEP", str(sleep)), encoding="utf-8")
    (root / "assignments").mkdir()
    return Assignment("probe", root)


class Workers(threading.Thread):
    """Counts this test's sandboxes alive at once (one worker's folder each), sampling while a batch runs.

    A sandbox is its bubblewrap process, whose ``--chdir`` names the worker's folder: the
    worker in it may be started fresh or forked from a zygote (engine/zygote.py).
    """

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.most, self.done = 0, threading.Event()
        self.start()

    def run(self) -> None:
        while not self.done.wait(0.02):
            jobs = set()
            for process in psutil.Process().children(recursive=True):
                try:
                    command = process.cmdline()
                except psutil.Error:
                    continue
                if command and command[0].endswith("bwrap") and "--unshare-pid" in command and "--chdir" in command:
                    jobs.add(command[command.index("--chdir") + 1])
            self.most = max(self.most, len(jobs))


@needs_sandbox
def test_a_clean_submission_sees_nothing_of_the_dirty_one_graded_before_it_in_the_same_process(tmp_path):
    assignment = probe_course(tmp_path / "course", sleep=1.0)
    subs = tmp_path / "subs"
    subs.mkdir()
    (subs / "a_dirty.py").write_text(DIRTY, encoding="utf-8")
    (subs / "b_probe.py").write_text(PROBE, encoding="utf-8")
    (subs / "c_dirty.py").write_text(DIRTY, encoding="utf-8")
    (subs / "d_probe.py").write_text(PROBE, encoding="utf-8")
    workers = Workers()
    summary = run_batch(subs, assignment, tmp_path / "out" / "grades.csv", jobs=1)  # one process grades them in turn
    workers.done.set()
    workers.join()
    results = {r.student_id: r for r in summary.results}
    assert {sid: r.status for sid, r in results.items()} == dict.fromkeys(results, "graded")
    for probe in ("b_probe", "d_probe"):
        assert results[probe].checks[0].status == "passed", results[probe].checks[0].message
    assert workers.most == 2  # the next worker started while a check still ran: the overlap is real, and bounded


@needs_sandbox
@pytest.mark.slow
def test_a_dask_task_grades_its_submissions_one_ahead_and_each_sees_nothing_of_the_one_before(tmp_path):
    from distributed import LocalCluster

    assignment = probe_course(tmp_path / "course", sleep=0.5)
    subs = tmp_path / "subs"
    subs.mkdir()
    for n in range(4):  # eight submissions on one Dask worker, in tasks of several: a dirty one, then a clean one
        (subs / f"{n}a_dirty.py").write_text(DIRTY, encoding="utf-8")
        (subs / f"{n}b_probe.py").write_text(PROBE, encoding="utf-8")
    with LocalCluster(n_workers=1, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        workers = Workers()
        summary = run_batch(subs, assignment, tmp_path / "out" / "grades.csv", scheduler=cluster.scheduler_address)
        workers.done.set()
        workers.join()
    results = {r.student_id: r for r in summary.results}
    assert {sid: r.status for sid, r in results.items()} == dict.fromkeys(results, "graded") and len(results) == 8
    for n in range(4):
        check = results[f"{n}b_probe"].checks[0]
        assert check.status == "passed", check.message
    assert workers.most == 2  # a task started its next worker while a check ran, and only one ahead


def test_the_probe_finds_what_a_submission_leaves_in_its_own_worker(tmp_path):
    """The probe is a real detector: run after the dirty code in one worker, it finds the traces."""
    assignment = probe_course(tmp_path / "course", sleep=0)
    both = tmp_path / "both.py"
    both.write_text(DIRTY + "\n" + PROBE, encoding="utf-8")
    result = Grading.start(both, assignment, GradeOptions()).finish()
    message = result.checks[0].message
    assert result.checks[0].status == "failed"
    for trace in ("./left-by-a-dirty-submission", "LEFT_BY_DIRTY", "builtin", "left_module"):
        assert trace in message, message


class Busy(threading.Thread):
    """The most submissions seen running their code at once: each busy one runs a child carrying ``marker``."""

    def __init__(self, marker: str) -> None:
        super().__init__(daemon=True)
        self.marker, self.most, self.done = marker, 0, threading.Event()
        self.start()

    def run(self) -> None:
        while not self.done.wait(0.02):
            found = 0
            for process in psutil.process_iter():
                try:
                    found += self.marker in " ".join(process.cmdline()) and process.status() != psutil.STATUS_ZOMBIE
                except psutil.Error:
                    continue
            self.most = max(self.most, found)


def test_the_last_submissions_go_to_whichever_process_is_free_first(tiny_course, tmp_path, good_source):
    """Two long submissions at the end of a -j 2 batch run side by side, never one behind the other in one process."""
    marker = f"grade-pool-tail-{time.monotonic_ns()}"
    busy = (f"import subprocess, sys, time\n"
            f"child = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(30)', {marker!r}])\n"
            f"time.sleep(3)\nchild.kill()\nchild.wait()\n")
    folder = tmp_path / "subs"
    folder.mkdir()
    for name in ("a", "b", "c", "d"):
        (folder / f"{name}_quick.py").write_text(good_source, encoding="utf-8")
    for name in ("y", "z"):
        (folder / f"{name}_long.py").write_text(busy + good_source, encoding="utf-8")
    watch = Busy(marker)
    summary = run_batch(folder, Assignment("tiny", tiny_course), tmp_path / "out" / "grades.csv", jobs=2,
                        options=GradeOptions(timeout=30))
    watch.done.set()
    watch.join()
    assert [r.status for r in summary.results] == ["graded"] * 6
    assert watch.most == 2


def test_a_submission_started_ahead_gets_its_whole_time_limit(tmp_path):
    assignment = probe_course(tmp_path / "course", sleep=0)
    clean = tmp_path / "clean.py"
    clean.write_text("import time\ntime.sleep(1.5)\nFOUND = []\n", encoding="utf-8")
    grading = Grading.start(clean, assignment, GradeOptions(timeout=3))
    time.sleep(3.5)  # longer than its limit: the time waited ahead of its turn is not its own
    result = grading.finish()
    assert result.status == "graded" and result.total == 1
    assert result.duration_s < 3.5


def test_a_started_grading_that_is_never_finished_leaves_nothing(tmp_path):
    assignment = probe_course(tmp_path / "course", sleep=0)
    clean = tmp_path / "clean.py"
    clean.write_text("FOUND = []\n", encoding="utf-8")
    grading = Grading.start(clean, assignment, GradeOptions())
    scratch, process = grading.session._scratch, grading.session.proc
    assert scratch.exists() and process.poll() is None
    grading.close()
    assert not scratch.exists() and process.poll() is not None


def test_a_killed_pool_process_costs_only_what_it_held(tiny_course, tmp_path, good_source):
    from tests.test_batch import _kill_pool_processes

    folder = tmp_path / "subs"
    folder.mkdir()
    (folder / "a_good.py").write_text(good_source, encoding="utf-8")
    (folder / "b_slow.py").write_text("import time\ntime.sleep(4)\n" + good_source, encoding="utf-8")
    for name in ("c_good", "d_good", "e_good"):
        (folder / f"{name}.py").write_text(good_source, encoding="utf-8")
    killed = []

    def kill_after_the_first(result, reused):
        if not killed:
            killed.append(_kill_pool_processes())

    summary = run_batch(folder, Assignment("tiny", tiny_course), tmp_path / "out" / "grades.csv", jobs=1,
                        options=GradeOptions(timeout=30), on_result=kill_after_the_first)
    statuses = {r.student_id: r.status for r in summary.results}
    assert killed[0] >= 1
    assert statuses["b_slow"] == "error: the grader failed on this submission (GraderDied: the grading process stopped (killed by SIGKILL))"
    # it held b_slow, and c_good if it had taken it ahead; a new process graded the rest
    assert statuses["a_good"] == statuses["d_good"] == statuses["e_good"] == "graded"
    assert statuses["c_good"] in ("graded", statuses["b_slow"])
    assert len(summary.errors) == sum(s != "graded" for s in statuses.values())


def test_a_course_problem_met_in_a_pool_process_stops_the_batch_with_its_own_error(tiny_course, tmp_path, good_source):
    from autograder.errors import DataError

    rubric = tiny_course / "rubrics" / "tiny" / "rubric.toml"
    rubric.write_text(rubric.read_text(encoding="utf-8").replace('language = "en"', 'language = "en"\n') +
                      '\n[params]\ndataset = "fashion-mnist"\n', encoding="utf-8")
    folder = tmp_path / "subs"
    folder.mkdir()
    (folder / "a.py").write_text(good_source, encoding="utf-8")
    with pytest.raises(DataError):
        run_batch(folder, Assignment("tiny", tiny_course), tmp_path / "out" / "grades.csv", jobs=1,
                  options=GradeOptions(data_dir=tmp_path / "no-such-folder"))
    assert not (tmp_path / "out" / "grades.csv").exists()



# -- the zygote a batch shares between its processes ------------------------------------------------

SAYS_ITS_PROCESS = "\nprint('process:', open('/proc/self/cmdline').read().replace(chr(0), ' '))\n"


def zygotes_below(process: psutil.Process) -> list[tuple[int, int]]:
    """(pid, parent pid) of the zygotes below ``process``; not their forks, whose command line is the same
    (a helper's parent is the zygote, a worker's the sandbox's pid 1, ``worker/init.py``)."""
    found = []
    for child in process.children(recursive=True):
        try:
            parent = child.parent()
            above = " ".join(parent.cmdline())
            if "worker.zygote" in " ".join(child.cmdline()) and "worker.zygote" not in above \
                    and "worker/init.py" not in above:
                found.append((child.pid, parent.pid))
        except psutil.Error:
            continue
    return sorted(found)


def saying_their_process(tmp_path: Path, source: str, names: str) -> Path:
    """A folder of submissions, one per letter of ``names``, that print the command line of their process."""
    folder = tmp_path / "subs"
    folder.mkdir()
    for name in names:
        (folder / f"{name}.py").write_text(source + SAYS_ITS_PROCESS, encoding="utf-8")
    return folder


def forked(result) -> bool:
    """Whether the worker that ran this submission was forked from a zygote: its command line is the zygote's."""
    (line,) = [line for line in result.output.splitlines() if line.startswith("process:")]
    return "autograder.engine.worker.zygote" in line


@needs_sandbox
def test_a_batch_forks_every_worker_from_the_one_zygote_it_started_and_leaves_none(tiny_course, tmp_path, good_source):
    folder = saying_their_process(tmp_path, good_source, "abcdef")
    seen = []
    summary = run_batch(folder, Assignment("tiny", tiny_course), tmp_path / "out" / "grades.csv", jobs=2,
                        on_result=lambda result, reused: seen.append(zygotes_below(psutil.Process())))
    assert [r.status for r in summary.results] == ["graded"] * 6
    assert all(forked(r) for r in summary.results)
    ((pid, parent),) = seen[0]
    assert parent == os.getpid()  # the batch's, not one per grading process
    assert all(zygotes == [(pid, parent)] for zygotes in seen)
    assert zygotes_below(psutil.Process()) == []


@needs_sandbox
def test_a_grading_process_whose_shared_zygote_dies_forks_from_its_own(tiny_course, tmp_path, good_source):
    folder = saying_their_process(tmp_path, good_source, "abcdefgh")
    seen = []

    def kill_the_shared_one(result, reused):
        zygotes = zygotes_below(psutil.Process())
        seen.append(zygotes)
        if len(seen) == 1:
            ((pid, _),) = zygotes
            psutil.Process(pid).kill()

    summary = run_batch(folder, Assignment("tiny", tiny_course), tmp_path / "out" / "grades.csv", jobs=1,
                        on_result=kill_the_shared_one)
    assert [r.status for r in summary.results] == ["graded"] * 8
    # the grading process started one of its own, and forked the last workers from it
    assert any(zygotes and all(parent != os.getpid() for _, parent in zygotes) for zygotes in seen[1:])
    assert forked(summary.results[-1])
    assert zygotes_below(psutil.Process()) == []
