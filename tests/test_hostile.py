"""The hostile-submission corpus, graded in one batch against 01_logic_gates.

Each hostile submission (``tests/hostile/*.py`` and the folders and notebooks
built below) is graded in the same batch as the reference solution and an
honest wrong submission. Expected: each gets the grade its real behaviour
earns with an honest status, the reference solution is graded exactly as when
alone, the batch finishes, and nothing is left behind (processes, files,
cgroups). Attacks that only a sandbox can stop run where bwrap works.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import sqlite3
import textwrap
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import nbformat
import numpy as np
import psutil
import pytest
from nbformat.v4 import new_code_cell, new_notebook, new_output

from autograder.engine import cgroups
from autograder.engine import sandbox
from autograder.batch.run import run_batch
from autograder.grading.course import Assignment
from autograder.grading.grade import GradeOptions, grade_submission

REPO = Path(__file__).resolve().parent.parent
HOSTILE = Path(__file__).resolve().parent / "hostile"
ASSIGNMENT = "01_logic_gates"
RUBRIC = REPO / "rubrics" / ASSIGNMENT
SOLUTION = REPO / "solutions" / ASSIGNMENT / f"{ASSIGNMENT}.py"
DATA = REPO.parent / "shared" / "data"
MODE = sandbox.sandbox_mode()
SANDBOXED = MODE == "bwrap"
LIMITS = {"call_timeout": 2, "timeout": 20, "memory_mb": 256, "max_processes": 80, "output_kb": 64, "scratch_mb": 64,
          "reply_mb": 32, "cpus": 1}
CPU_SHARES = cgroups.hierarchies().cpu is not None  # else busy children are only niced
GRADER_BUDGET_MB = 200 + 4 * LIMITS["reply_mb"]  # a grading process's own peak over its baseline, at these caps
MARKER_SPLIT = "# ---- solution ----"
FORMULA_ID = "=cmd|' calc'!A0"
LONG_ID = "s" * 240
WRONG = textwrap.dedent('''
    def _nothing(*args, **kwargs):
        raise RuntimeError("the attack did not work")


    AND = OR = NAND = XOR = perceptron = mlp_xor = heaviside = sigmoid = _nothing
''')
# Honest twins of the lying submissions: the same real data, without the lies.
TWINS = {
    "twin_opaque": textwrap.dedent('''
        class Opaque:
            pass


        def _opaque(*args, **kwargs):
            return Opaque()


        AND = OR = NAND = XOR = perceptron = mlp_xor = heaviside = sigmoid = _opaque
    '''),
    "twin_minus_seven": textwrap.dedent('''
        import numpy as np


        class Opaque:
            pass


        def _minus_seven(*args, **kwargs):
            return np.array(-7)


        def _opaque(*args, **kwargs):
            return Opaque()


        AND = OR = NAND = _minus_seven
        XOR = perceptron = mlp_xor = heaviside = sigmoid = _opaque
    '''),
}

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not (RUBRIC / "rubric.toml").exists() or not SOLUTION.exists(),
                       reason=f"the {ASSIGNMENT} rubric and solution are not in the repository yet"),
]


@dataclass(frozen=True)
class Case:
    """One hostile submission and what it must get.

    expect: "good" (every check as the reference solution), "wrong" (as the honest
    wrong submission), "twin_*" (as that honest twin: the same data, no lies), "zero" (no points), "xor" (as the solution, except checks
    that need XOR, which get nothing), "good or timeout" (as the solution, or every
    check timed out when the machine is too slow for the budget), "any" (either
    good or zero: only its status and the rest of the batch matter), "no more" (at most what the solution gets).
    """

    name: str
    expect: str
    status: tuple[str, ...] = ("graded",)  # acceptable statuses (prefixes, for "error: ...")
    sandbox_only: str = ""  # why it needs the sandbox (it would succeed, or harm the machine, without)


ERROR, TIMEOUT, ANY = ("error",), ("timeout",), ("graded", "timeout", "error")
CASES = [
    Case("steal_rubric_by_path", "wrong", sandbox_only="reads files the grader can read"),
    Case("steal_by_search", "wrong", sandbox_only="reads files the grader can read"),
    Case("steal_labels", "wrong", sandbox_only="reads files the grader can read"),
    Case("symlinks", "wrong", sandbox_only="follows links to files the grader can read"),
    Case("symlink_module", "zero", ERROR, sandbox_only="the worker would read the linked solution"),
    Case("symlink_notebook", "zero", ERROR),
    Case("sockets", "wrong", sandbox_only="the network is reachable without it"),
    Case("write_grades", "good", sandbox_only="would overwrite the batch's own files"),
    Case("write_outside_scratch", "good", sandbox_only="would write into the repository"),
    Case("monkeypatch", "wrong", ERROR),  # patching isinstance breaks the worker itself
    Case("always_equal", "twin_opaque"),
    Case("lying_array", "twin_minus_seven"),
    Case("huge_values", "wrong", ANY),  # refused, or killed at the memory limit, or out of time
    Case("forge_protocol", "wrong", ERROR),  # forged frames desynchronise the channel: an error, never points
    Case("conftest_shipped", "wrong"),
    Case("shadow_worker", "any", ANY),  # its autograder/ folder may replace the worker: its own loss
    Case("exit_at_import", "zero", ERROR),
    Case("os_exit_at_import", "zero", ERROR),
    Case("exit_in_call", "xor"),
    Case("kill_parent", "good", sandbox_only="signals the grader and every process of its user"),
    Case("signal_tricks", "xor", ("graded", "timeout")),
    Case("fork_bomb", "zero", TIMEOUT, sandbox_only="a fork bomb needs a process limit that holds"),
    Case("memory_bomb", "zero", ("error: memory limit 256 MB exceeded",)),
    Case("loop_in_cell", "zero", TIMEOUT),
    Case("loop_in_function", "xor", ("graded", "timeout")),
    Case("daemon", "good"),
    # ~0.75 ms a cell in the worker: 7.5 s on an idle 2-core machine, past the budget on a loaded one
    Case("notebook_10000_cells", "good or timeout", ("graded", "timeout")),
    Case("notebook_50mb_output", "good"),
    Case("print_50mb", "good"),
    # What a student writes never reaches a TA's tools as instructions; one student never breaks the others.
    Case("formula_exception", "zero", ERROR),  # its class name, a formula, is the notes cell
    Case(FORMULA_ID, "good"),  # a file name that is a formula is the student_id cell
    Case("control_sequences", "zero", ERROR),  # terminal escapes in the status line
    Case("workflow_commands", "zero", ERROR),  # ::workflow commands:: in what grade ci prints
    Case("forge_report", "zero", ("error: sent a malformed run report",)),  # unhashable cell indexes: refused on receipt
    Case(LONG_ID, "good"),  # results/<id>.json was "File name too long", on every rerun
    Case("notebook_50000_deep", "zero", ERROR),  # RecursionError in grade feedback, for the whole class
    # the grader's own memory: replies capped before reading, arrays decoded once and never converted
    Case("blob_100_refs", "wrong", ANY),
    Case("huge_array", "wrong", ANY),
    Case("forged_report", "zero", ("error: header of",)),
    # nothing a worker does stalls the grader: every write has the call's deadline; scanning is linear
    Case("stop_reading", "no more", ANY),  # what it answered before it stopped still counts
    Case("crafted_import", "good"),
    # limits that cannot be dodged: scratch walked by folder fds, a CPU share per worker
    Case("deep_folders", "zero", ("error: scratch folder limit exceeded",)),
    Case("busy_children", "wrong" if CPU_SHARES else "any"),
]
MEMORY_CASES = ("blob_100_refs", "huge_array", "forged_report")
ACTIVE = [c for c in CASES if SANDBOXED or not c.sandbox_only]


class Listener:
    """A TCP and UDP listener on 127.0.0.1 that records everything it receives."""

    def __init__(self) -> None:
        self.tcp = socket.create_server(("127.0.0.1", 0))
        self.port = self.tcp.getsockname()[1]
        self.udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.udp.bind(("127.0.0.1", self.port))
        self.received: list[bytes] = []
        self.tcp.settimeout(0.2)
        self.udp.settimeout(0.2)
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while not self._done.is_set():
            try:
                conn, _ = self.tcp.accept()
                with conn:
                    conn.settimeout(1)
                    self.received.append(b"tcp:" + conn.recv(1000))
            except OSError:
                pass
            try:
                self.received.append(b"udp:" + self.udp.recv(1000))
            except OSError:
                pass

    def close(self) -> None:
        self._done.set()
        self._thread.join(timeout=5)
        self.tcp.close()
        self.udp.close()


@dataclass
class Corpus:
    results: dict[str, dict]
    alone: dict[str, dict]
    course: Path
    subs: Path
    out: Path
    marker: str
    listener: Listener
    started_cgroups: set[Path]
    seconds: float
    graders: set[int]  # pids of this test's grading processes: the owners of the cgroups it made


def make_course(root: Path) -> Path:
    """A copy of the course's rubric with small limits, so hostile code is stopped quickly."""
    rubric = root / "rubrics" / ASSIGNMENT
    shutil.copytree(RUBRIC, rubric, ignore=shutil.ignore_patterns("__pycache__", "mutants"))
    text, kept, skipping = (rubric / "rubric.toml").read_text(encoding="utf-8"), [], False
    for line in text.splitlines():
        if line.strip().startswith("["):
            skipping = line.strip() == "[limits]"
        if not skipping:
            kept.append(line)
    kept += ["", "[limits]", *(f"{k} = {v}" for k, v in LIMITS.items())]
    (rubric / "rubric.toml").write_text("\n".join(kept) + "\n", encoding="utf-8")
    (root / "assignments" / ASSIGNMENT).mkdir(parents=True)
    reference = root / "solutions" / ASSIGNMENT
    reference.mkdir(parents=True)
    shutil.copy(SOLUTION, reference / SOLUTION.name)
    notebook(reference / f"{ASSIGNMENT}.ipynb", SOLUTION.read_text(encoding="utf-8"))
    (root / "pyproject.toml").write_text("", encoding="utf-8")
    return root


def notebook(path: Path, *sources: str, outputs: dict[int, list] | None = None) -> Path:
    cells = [new_code_cell(s) for s in sources]
    for index, cell_outputs in (outputs or {}).items():
        cells[index].outputs = cell_outputs
    nbformat.write(new_notebook(cells=cells), path)
    return path


def compose(source: str, solution: str, values: dict[str, str]) -> str:
    """A hostile file with its placeholders filled and the solution or wrong functions inserted."""
    for key, value in values.items():
        source = source.replace(key, value)
    footer = (f"\nif globals().get('ANSWER_OK'):\n    exec(compile({solution!r}, 'solution', 'exec'), globals())\n"
              f"else:\n{textwrap.indent(WRONG, '    ')}\n")
    before, _, after = source.partition(MARKER_SPLIT)
    return before + footer + after


def build_submissions(subs: Path, course: Path, values: dict[str, str]) -> None:
    solution = SOLUTION.read_text(encoding="utf-8")
    (subs / "good.py").write_text(solution, encoding="utf-8")
    (subs / "wrong.py").write_text(compose("ANSWER_OK = False\n", solution, values), encoding="utf-8")
    for name, source in TWINS.items():
        (subs / f"{name}.py").write_text(source, encoding="utf-8")
    for path in sorted(HOSTILE.glob("*.py")):
        (subs / path.name).write_text(compose(path.read_text(encoding="utf-8"), solution, values), encoding="utf-8")
    checks = sorted((course / "rubrics" / ASSIGNMENT).glob("test_*.py"))

    links = subs / "symlinks"
    links.mkdir()
    (links / "shadow.txt").symlink_to("/etc/shadow")
    (links / "checks.txt").symlink_to(checks[0])
    (links / "solution.txt").symlink_to(SOLUTION)
    (links / "answer.py").write_text(compose(textwrap.dedent("""
        stolen = ""
        for name in ("shadow.txt", "checks.txt", "solution.txt"):
            try:
                stolen += open(name).read()
            except OSError as e:
                print("could not read", name, type(e).__name__)
        ANSWER_OK = bool(stolen)
    """), solution, values), encoding="utf-8")
    (subs / "symlink_module").mkdir()
    (subs / "symlink_module" / f"{ASSIGNMENT}.py").symlink_to(SOLUTION)
    (subs / "symlink_notebook").mkdir()
    (subs / "symlink_notebook" / f"{ASSIGNMENT}.ipynb").symlink_to(course / "solutions" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb")

    shipped = subs / "conftest_shipped"
    shipped.mkdir()
    notebook(shipped / "answer.ipynb", WRONG)
    (shipped / "conftest.py").write_text(textwrap.dedent("""
        import pytest

        @pytest.hookimpl(hookwrapper=True)
        def pytest_runtest_makereport(item, call):
            outcome = yield
            report = outcome.get_result()
            report.outcome = "passed"

        def pytest_collection_modifyitems(items):
            for item in items:
                item.obj = lambda *a, **k: None
    """), encoding="utf-8")
    (shipped / "pytest.ini").write_text("[pytest]\naddopts = -p no:autograder --continue-on-collection-errors\n")
    (shipped / "sitecustomize.py").write_text("import builtins\nbuiltins.AND = lambda a, b: a and b\nprint('sitecustomize ran')\n")
    (shipped / "usercustomize.py").write_text("print('usercustomize ran')\n")

    shadow = subs / "shadow_worker"
    (shadow / "autograder" / "worker").mkdir(parents=True)
    notebook(shadow / "answer.ipynb", solution)
    (shadow / "autograder" / "__init__.py").write_text("print('fake autograder package')\n")
    (shadow / "autograder" / "worker" / "__init__.py").write_text("")
    (shadow / "autograder" / "worker" / "__main__.py").write_text("print('hijacked worker')\nraise SystemExit(0)\n")

    (subs / f"{FORMULA_ID}.py").write_text(solution, encoding="utf-8")
    (subs / f"{LONG_ID}.py").write_text(solution, encoding="utf-8")
    deep = '{"cell_type": "code", "source": "", "metadata": {"x": ' + "[" * 50_000 + "]" * 50_000 + "}}"
    (subs / "notebook_50000_deep.ipynb").write_text(
        '{"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [' + deep + "]}", encoding="utf-8")
    notebook(subs / "loop_in_cell.ipynb", solution, "while True:\n    pass\n", "print('never reached')")
    # valid Python; the old Keras-2 hint scanner's regex needed about an hour for a line like it
    (subs / "crafted_import.py").write_text("from os import (path" + " " * 300_000 + ")\n" + solution, encoding="utf-8")
    notebook(subs / "notebook_10000_cells.ipynb", solution, *(f"x = {i}" for i in range(9999)))
    big = new_output("stream", name="stdout", text="y" * (50 << 20))
    notebook(subs / "notebook_50mb_output.ipynb", solution, outputs={0: [big]})


def rows_by_student(csv_path: Path) -> dict[str, dict]:
    from autograder.exports.grades import read_grades

    return {row["student_id"]: row for row in read_grades(csv_path).to_dict("records")}


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Corpus:
    root = tmp_path_factory.mktemp("hostile")
    course = make_course(root / "course")
    subs, out = root / "subs", root / "out"
    subs.mkdir()
    out.mkdir()
    listener = Listener()
    marker = f"hostile-{uuid.uuid4().hex[:12]}"
    values = {"__REPO__": str(REPO), "__COURSE__": str(course), "__OUT__": str(out), "__SUBS__": str(subs),
              "__DATA__": str(DATA), "__PORT__": str(listener.port), "__MARKER__": marker}
    build_submissions(subs, course, values)
    for case in CASES:
        if case not in ACTIVE:
            for path in subs.glob(f"{case.name}*"):
                shutil.rmtree(path) if path.is_dir() and not path.is_symlink() else path.unlink()
    assignment = Assignment(ASSIGNMENT, course)
    before = _cgroup_dirs()
    started = time.monotonic()
    graders, watching = {os.getpid()}, threading.Event()

    def watch() -> None:  # other engineers' graders make cgroups too: remember which processes were ours
        while not watching.wait(0.2):
            graders.update(p.pid for p in psutil.Process().children(recursive=True))

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    try:
        summary = run_batch(subs, assignment, out / "grades.csv", options=GradeOptions(), jobs=2)
    finally:
        watching.set()
        watcher.join()
    seconds = time.monotonic() - started
    results = {r.student_id: r.to_dict() for r in summary.results}
    alone = {name: grade_submission(subs / f"{name}.py", assignment, GradeOptions()).to_dict() for name in ("good", "wrong")}
    yield Corpus(results, alone, course, subs, out, marker, listener, before, seconds, graders)
    listener.close()


def _owner(group: Path) -> int:
    """The grading process a cgroup was made by: ``grade-<pid>-<n>`` (or ``grade-<pid>_<start>-<n>``)."""
    text = group.name[len(cgroups.PREFIX):].split("-")[0].split("_")[0]
    return int(text) if text.isdigit() else -1


def _cgroup_dirs() -> set[Path]:
    where = cgroups.hierarchies()
    parents = {p for p in (where.v2, where.memory and where.memory[0], where.pids and where.pids[0],
                           where.cpu and where.cpu[0]) if p}
    return {d for p in parents for d in p.glob(f"{cgroups.PREFIX}*")}


def points(result: dict) -> dict[str, float]:
    return {c["id"]: c["points"] for c in result["checks"]}


def statuses(result: dict) -> dict[str, str]:
    return {c["id"]: c["status"] for c in result["checks"]}


# -- the batch as a whole ------------------------------------------------------------


def test_batch_grades_everyone(corpus: Corpus) -> None:
    expected = {"good", "wrong", *TWINS} | {c.name for c in ACTIVE}
    assert set(corpus.results) == expected
    rows = rows_by_student(corpus.out / "grades.csv")
    assert set(rows) == expected
    print(f"\n{len(expected)} submissions graded in {corpus.seconds:.1f} s ({MODE})")


def test_reference_solution_is_graded_exactly_as_when_alone(corpus: Corpus) -> None:
    good, alone = corpus.results["good"], corpus.alone["good"]
    assert good["status"] == alone["status"] == "graded"
    assert statuses(good) == statuses(alone)
    assert points(good) == points(alone)
    assert good["total"] == good["max"] > 0
    assert corpus.results["wrong"]["total"] == corpus.alone["wrong"]["total"]
    assert statuses(corpus.results["wrong"]) == statuses(corpus.alone["wrong"])


# Cases whose result does not depend on timing or load: graded again with a fresh pytest.main, they must read the same.
TIMING = ("huge_values", "exit_in_call", "kill_parent", "signal_tricks", "daemon", "stop_reading", "busy_children",
          "forge_protocol", *MEMORY_CASES)
SETTLED = [c for c in ACTIVE if c.status in (("graded",), ERROR) and c.expect not in ("any", "good or timeout", "xor")
           and c.name not in TIMING]


def test_collected_checks_grade_each_settled_case_as_a_fresh_pytest_main_does(corpus: Corpus) -> None:
    """The batch ran every case through checks collected once per process, its numpy workers forked from a
    zygote; a fresh pytest.main and a fresh worker per submission are the reference."""
    assignment = Assignment(ASSIGNMENT, corpus.course)
    fields = ("id", "status", "points", "message", "message_ko", "expected", "got", "hint")
    for case in SETTLED:
        batch = corpus.results[case.name]
        if not batch["checks"]:  # refused before grading (e.g. by the intake): no checks ran either way
            continue
        fresh = grade_submission(Path(batch["path"]), assignment, GradeOptions(fresh_pytest=True, fresh_workers=True),
                                 student_id=case.name).to_dict()
        assert (fresh["status"], fresh.get("status_ko")) == (batch["status"], batch.get("status_ko")), case.name
        assert [[c[f] for f in fields] for c in fresh["checks"]] == [[c[f] for f in fields] for c in batch["checks"]], case.name
    assert len(SETTLED) >= 20


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_each_hostile_submission_gets_what_it_earns(corpus: Corpus, case: Case) -> None:
    if case not in ACTIVE:
        pytest.skip(f"needs the sandbox ({case.sandbox_only}); {sandbox.sandbox_notice()}")
    result = corpus.results[case.name]
    good, wrong = corpus.results["good"], corpus.results["wrong"]
    context = f"{case.name}: status {result['status']!r}, checks {statuses(result)}"
    assert result["status"] == "graded" if case.status == ("graded",) else result["status"].startswith(case.status), context
    timed_out = set(statuses(result).values()) == {"timeout"}
    if case.expect == "good" or (case.expect == "good or timeout" and not timed_out):
        assert points(result) == points(good), context
    elif case.expect == "good or timeout":  # the run or the checks used up the whole budget
        assert result["total"] == 0, context
    elif case.expect == "wrong":
        assert points(result) == points(wrong), context
    elif case.expect.startswith("twin_"):
        assert points(result) == points(corpus.results[case.expect]), context
    elif case.expect == "zero":
        assert result["total"] == 0, context
    elif case.expect == "xor":  # XOR never answers; checks that do not need it still count
        earned, full = points(result), points(good)
        assert all(value == 0 for check, value in earned.items() if "xor" in check and "mlp" not in check), context
        assert any(earned[c] == full[c] > 0 for c in earned if "xor" not in c), context
        assert result["total"] < good["total"], context
    elif case.expect == "no more":
        assert result["total"] <= good["total"], context
    else:
        assert result["total"] in (0, good["total"]), context


def test_no_network_traffic_reached_the_listener(corpus: Corpus) -> None:
    assert corpus.listener.received == []


def test_nothing_was_written_outside_the_workers(corpus: Corpus) -> None:
    marker = corpus.marker
    leftovers = [p for folder in (Path("/tmp"), REPO, corpus.subs, corpus.course / "rubrics", Path.home(),
                                  Path("/var/tmp"), Path("/dev/shm"), corpus.out)
                 for p in folder.glob(f"{marker}*")]
    assert leftovers == []
    rows = rows_by_student(corpus.out / "grades.csv")
    assert rows["good"]["total"] == corpus.results["good"]["total"]
    if "write_grades" in rows:
        assert rows["write_grades"]["total"] == corpus.results["good"]["total"]
    saved = json.loads((corpus.out / "results" / "good.json").read_text(encoding="utf-8"))
    assert saved["total"] == corpus.results["good"]["total"]
    db = sqlite3.connect(corpus.out / ".grade-journal.sqlite")
    try:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert db.execute("SELECT COUNT(*) FROM results").fetchone()[0] == len(corpus.results)
    finally:
        db.close()


def test_the_machine_is_left_clean(corpus: Corpus) -> None:
    deadline = time.monotonic() + 5
    while True:
        alive = []
        for p in psutil.process_iter(["cmdline", "status"]):
            try:
                if p.info["status"] != psutil.STATUS_ZOMBIE and any(corpus.marker in a for a in p.info["cmdline"] or []):
                    alive.append(p.pid)
            except psutil.Error:
                continue
        if not alive or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert alive == []
    # Nothing the batch started runs on: no pool process, zygote, forked worker or sandbox. (This test
    # process's multiprocessing forkserver is its own, shared by every pool it starts, and ends with it.)
    left = []
    for pid in corpus.graders - {os.getpid()}:
        try:
            p = psutil.Process(pid)
            line = " ".join(p.cmdline())
            if p.status() != psutil.STATUS_ZOMBIE and "multiprocessing.forkserver" not in line \
                    and any(w in line for w in ("autograder", "bwrap")):
                left.append(f"{pid} {line[:100]}")
        except psutil.Error:
            continue
    assert left == []
    ours = [d for d in _cgroup_dirs() - corpus.started_cgroups if _owner(d) in corpus.graders]
    stale = [d for d in ours if cgroups.is_stale(d)]  # grade-PID-N or grade-PID_START-N, owner dead
    assert stale == []


def test_output_is_capped_with_a_notice(corpus: Corpus) -> None:
    result = corpus.results["print_50mb"]
    assert len(result["output"]) < 4 * LIMITS["output_kb"] * 1024
    assert "truncated" in result["output"] or "not kept" in result["output"]


def test_memory_bomb_status_names_the_limit(corpus: Corpus) -> None:
    assert "memory limit 256 MB exceeded" in corpus.results["memory_bomb"]["status"]


# -- what reaches a TA's tools (issue 10, sections 6 and 7) --------------------------------------------


def _formula_cells(text: str) -> list[str]:
    """Cells of a CSV text that a spreadsheet would run: starting with = + - @ tab or CR, and not a number."""
    import csv
    import io
    import re

    number = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")
    return [cell for row in csv.reader(io.StringIO(text)) for cell in row
            if cell[:1] in ("=", "+", "-", "@", "\t", "\r") and not number.fullmatch(cell.strip())]


def test_no_csv_cell_can_run_as_a_formula(corpus: Corpus, tmp_path: Path) -> None:
    from autograder.exports.lms import export_grades

    grades = corpus.out / "grades.csv"
    assert _formula_cells(grades.read_text(encoding="utf-8")) == []
    rows = rows_by_student(grades)  # read back, the real values
    assert FORMULA_ID in rows and rows[FORMULA_ID]["total"] == corpus.results["good"]["total"]
    assert rows["formula_exception"]["notes"].startswith('=HYPERLINK("http://evil.example/')
    assert rows["forge_report"]["status"].startswith("error: sent a malformed run report")  # its formula never got in
    export_grades(grades, tmp_path / "export.csv", to="csv")
    assert _formula_cells((tmp_path / "export.csv").read_text(encoding="utf-8-sig")) == []


def test_what_the_terminal_and_ci_show_is_escaped(corpus: Corpus, tmp_path: Path, monkeypatch) -> None:
    from click.testing import CliRunner

    from autograder.cli.main import grade
    from autograder.exports.display import batch_summary, ci_log_safe
    from autograder.grading.results import SubmissionResult

    summary = ci_log_safe(batch_summary([SubmissionResult.from_dict(r) for r in corpus.results.values()], "g.csv", 0))
    assert "\x1b" not in summary and "\x07" not in summary and "\r" not in summary and "\x9b" not in summary
    assert "\\x1b]0;owned\\x07" in summary
    monkeypatch.setenv("GRADE_COURSE", str(corpus.course))
    junit = tmp_path / "junit.xml"
    run = CliRunner().invoke(grade, ["ci", str(corpus.subs / "workflow_commands.py"), "-a", ASSIGNMENT, "--hidden",
                                     "--no-sandbox", "--junit", str(junit), "--lang", "en"], catch_exceptions=False)
    assert run.exit_code == 1
    printed = run.stdout + run.stderr
    assert "::add-mask::hidden" in printed  # shown,
    commands = [line for text in (printed, junit.read_text(encoding="utf-8"))
                for line in text.splitlines() if line.lstrip().startswith(("::", "##["))]
    assert commands == []  # never obeyed


def test_every_student_gets_feedback_and_a_place_in_the_report(corpus: Corpus, tmp_path: Path) -> None:
    from autograder.exports.feedback import write_all_feedback
    from autograder.exports.report import write_report
    from autograder.files import safe_file_name

    results = corpus.out / "results"
    assert (results / f"{safe_file_name(LONG_ID)}.json").is_file()
    run = write_all_feedback(results, tmp_path / "feedback", lang="en")
    assert run.problems == []
    assert len(run.files) == 2 * len(corpus.results)
    report = write_report(corpus.out / "grades.csv", tmp_path / "report.html")
    assert report.problems == []


# -- the grader's own budget -----------------------------------------------------------

MEASURE = textwrap.dedent('''
    import json, resource, sys, time
    from pathlib import Path
    from autograder.grading.course import Assignment
    from autograder.grading.grade import GradeOptions, grade_submission

    course, subs, names = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3:]
    assignment = Assignment("01_logic_gates", course)
    grade_submission(subs / "good.py", assignment, GradeOptions())  # everything imported and warm
    baseline = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    cases = {}
    for name in names:
        started = time.monotonic()
        result = grade_submission(subs / f"{name}.py", assignment, GradeOptions())
        cases[name] = {"status": result.status, "seconds": time.monotonic() - started}
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"baseline_mb": baseline / 1024, "peak_mb": peak / 1024, "cases": cases}))
''')


def test_the_grading_process_stays_within_its_memory_budget(corpus: Corpus) -> None:
    """Peak RSS of one grading process (workers are other processes) over the memory-hostile cases.

    Before the caps: 2.8 GB for the blob referenced 100 times, over 2 GB for the huge array.
    """
    import subprocess
    import sys

    cases = [c for c in MEMORY_CASES if c in {a.name for a in ACTIVE}]
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    done = subprocess.run([sys.executable, "-c", MEASURE, str(corpus.course), str(corpus.subs), *cases],
                          capture_output=True, text=True, env=env, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    measured = json.loads(done.stdout.strip().splitlines()[-1])
    print(f"\ngrader baseline {measured['baseline_mb']:.0f} MB, peak {measured['peak_mb']:.0f} MB "
          f"over {', '.join(cases)}; budget: baseline + {GRADER_BUDGET_MB} MB")
    assert measured["peak_mb"] - measured["baseline_mb"] <= GRADER_BUDGET_MB, measured
    for name, case in measured["cases"].items():  # each is stopped within its own time budget
        assert case["seconds"] <= LIMITS["timeout"] + 60, (name, case)


def test_a_forged_run_report_is_refused_and_nothing_large_is_kept(corpus: Corpus) -> None:
    result = corpus.results["forged_report"]
    assert "forged forged" not in json.dumps(result)
    saved = corpus.out / "results" / "forged_report.json"
    assert saved.stat().st_size < 64 * 1024


def test_a_worker_that_stops_reading_cannot_stall_the_grader(corpus: Corpus) -> None:
    """Before: the grader's write blocked until the worker was killed from outside (7 minutes and more)."""
    result = corpus.results["stop_reading"]
    # the whole submission's wall-clock limit, plus starting and killing workers on a loaded machine
    assert result["duration_s"] <= LIMITS["timeout"] + 60, result["duration_s"]
    # Its helper stops the worker only if it catches it asleep between requests; whether it does
    # depends on timing (the worker's output relay wakes it), so the batch case proves the bound
    # and the next test proves the stopped worker's timeout deterministically.
    assert result["status"] in ("timeout", "graded"), result["status"]


def test_a_big_request_to_a_stopped_worker_times_out(corpus: Corpus) -> None:
    """The observed stall: the worker stopped itself as the held-out images (MBs) were being written to it."""
    from autograder.engine.client import SubmissionProxy, WorkerSession
    from autograder.engine.errors import CallTimeout
    from autograder.engine.limits import Limits
    from autograder.grading.submissions import load_submission

    import numpy as np

    limits = Limits(**{k: v for k, v in LIMITS.items() if k != "scratch_mb"})
    session = WorkerSession(load_submission(corpus.subs / "stop_reading.py"), limits=limits)
    try:
        session.load()
        time.sleep(1)  # its helper stops it once it waits for a request
        images = np.zeros((5000, 28, 28), dtype=np.uint8)  # 3.9 MB: more than any pipe holds
        started = time.monotonic()
        with pytest.raises(CallTimeout):
            SubmissionProxy(session).function("AND")(images, images)
        waited = time.monotonic() - started
    finally:
        session.close()
    assert waited <= LIMITS["call_timeout"] + 30, waited  # the call's deadline, plus killing the worker


def test_the_deep_folder_chain_is_caught_and_removed(corpus: Corpus) -> None:
    """Before: 2,100 folders deep (past PATH_MAX) hid 100 MB from the watchdog and broke clean-up."""
    import tempfile

    assert "nested more than" in corpus.results["deep_folders"]["status"]
    left = list(Path(tempfile.gettempdir()).glob(f"grade-*/run*/work/{corpus.marker}-deep"))
    assert left == []


@pytest.mark.skipif(not CPU_SHARES, reason="no cpu cgroup can be made here: busy children are only niced")
def test_busy_children_get_one_cpu_share_between_them(corpus: Corpus) -> None:
    """Before: 60 busy children took every core (about 2 here), slowing every neighbour."""
    output = corpus.results["busy_children"]["output"]
    cores = float(output.split("busy children used ")[1].split()[0])
    assert cores <= LIMITS["cpus"] * 1.2, output


# -- forged evidence: graded by the course's own rubrics (tests/hostile/forgeries/) -----------------
# Each of these scored full marks when checks believed what the student's process said about itself.

FORGERIES = HOSTILE / "forgeries"
FASHION = Path(os.environ.get("GRADE_FASHION_MNIST") or DATA / "fashion-mnist")
needs_fashion_mnist = pytest.mark.skipif(not (FASHION / "t10k-labels-idx1-ubyte.gz").exists(),
                                         reason="Fashion-MNIST is not in the shared data folder")


def forged(tmp_path: Path, name: str, assignment: str, **pasted: np.ndarray) -> Path:
    """A folder submission: the forgery as the assignment's module, and what it pasted in (pasted.npz)."""
    folder = tmp_path / name
    folder.mkdir()
    shutil.copy(FORGERIES / f"{name}.py", folder / f"{assignment}.py")
    if pasted:
        np.savez(folder / "pasted.npz", **pasted)
    return folder


def graded(folder: Path, assignment: str, **options) -> tuple[dict[str, float], object]:
    result = grade_submission(folder, Assignment(assignment, REPO), GradeOptions(data_dir=FASHION, **options))
    assert result.status == "graded", result.status
    return points(result.to_dict()), result


def public_test_set() -> tuple[np.ndarray, np.ndarray]:
    from autograder.grading import datasets

    return datasets.read_idx(FASHION / datasets.TEST_IMAGES), datasets.read_idx(FASHION / datasets.TEST_LABELS)


def test_an_export_that_claims_a_model_it_does_not_have_earns_nothing(tmp_path: Path) -> None:
    earned, result = graded(forged(tmp_path, "no_model_03", "03_xor_mlp"), "03_xor_mlp")
    assert result.total == 0, earned
    assert all("weight list of length 0" in c.message for c in result.checks)


def test_a_sigmoid_that_answers_the_derivative_probes_does_not_save_a_wrong_derivative(tmp_path: Path) -> None:
    earned, result = graded(forged(tmp_path, "probe_aware_sigmoid_02", "02_activations"), "02_activations")
    assert [check for check, value in earned.items() if value == 0] == ["test_sigmoid_grad"]
    assert result.total == result.max - 1


@needs_fashion_mnist
def test_pasted_predictions_are_ignored_the_model_itself_is_graded(tmp_path: Path) -> None:
    _, labels = public_test_set()
    earned, result = graded(forged(tmp_path, "pasted_predictions_04", "04_fashion_mnist", labels=labels),
                            "04_fashion_mnist")
    assert earned == {"test_input_shape": 1.0, "test_softmax_output": 2.0, "test_heldout_accuracy": 0.0}
    assert result.metrics["accuracy"] < 0.5 and result.review == ""


@needs_fashion_mnist
def test_a_model_built_from_the_public_test_labels_is_flagged_and_a_private_set_grades_it(tmp_path: Path) -> None:
    from autograder.grading import datasets

    images, labels = public_test_set()
    folder = forged(tmp_path, "memorized_test_set_04", "04_fashion_mnist", images=images[5000:], labels=labels[5000:])
    earned, result = graded(folder, "04_fashion_mnist")
    assert result.total == result.max and result.metrics["accuracy"] > 0.99  # the grader cannot tell: no penalty
    assert "above the plausible 0.93" in result.review
    private = tmp_path / "private"
    private.mkdir()
    datasets.write_idx(private / datasets.TEST_IMAGES, images[5000:6000])
    datasets.write_idx(private / datasets.TEST_LABELS, ((labels[5000:6000] + 1) % 10).astype(np.uint8))  # not public
    earned, result = graded(folder, "04_fashion_mnist", heldout_dir=private)
    assert earned["test_heldout_accuracy"] == 0 and result.metrics["accuracy"] < 0.05 and result.review == ""
