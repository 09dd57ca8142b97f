"""Checks that prove themselves: grade the solution, the template and known-buggy variants.

``validate_assignment`` runs every hidden and public check of an assignment
against

- the reference solution (``solutions/NAME/NAME.py`` and ``NAME.ipynb``): must score full marks;
- the student template (``assignments/NAME/NAME.ipynb``): must score 0 and be graded
  (status ``graded``: the grader did not break on it);
- every mutant in ``rubrics/NAME/mutants/`` (a ``.py`` or ``.ipynb`` with one known bug):
  must lose points on the hidden checks. A mutant may say which checks should catch it
  on one of its first lines, ``# expect-lost: test_a, test_b``; differences are reported.

The result is a :class:`ValidationReport`; :func:`format_report` renders it.
"""

from __future__ import annotations

import contextlib
import os
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path

from autograder.batch import pool
from autograder.engine import zygote
from autograder.grading.course import Assignment
from autograder.errors import GradingError
from autograder.grading.grade import GradeOptions, grade_submission
from autograder.grading.results import SubmissionResult
from autograder.grading.submissions import read_notebook_cells

EXPECT_LOST = re.compile(r"^\s*#\s*expect-lost\s*:(.*)$", re.IGNORECASE)
HEADER_LINES = 10  # how far down a mutant's `# expect-lost:` line may be
MUTANT_SUFFIXES = (".py", ".ipynb")


@dataclass
class Graded:
    """One submission graded by one suite, reduced to what validation needs."""

    path: str
    suite: str  # "hidden" or "public"
    status: str
    total: float
    max: float
    lost: list[str] = field(default_factory=list)  # checks that did not award full points

    @classmethod
    def of(cls, result: SubmissionResult, suite: str) -> Graded:
        lost = [c.id for c in result.checks if c.points < c.max_points]
        return cls(result.path, suite, result.status, result.total, result.max, lost)


@dataclass
class MutantReport:
    """What the checks did to one known-buggy variant."""

    name: str  # file name in rubrics/NAME/mutants/
    hidden: Graded
    public: Graded | None = None
    expected: list[str] | None = None  # from `# expect-lost:`; None when the mutant does not say

    @property
    def killed(self) -> bool:
        """Whether the hidden checks (the ones that grade students) took points off."""
        return self.hidden.total < self.hidden.max

    @property
    def caught_by(self) -> list[str]:
        """Hidden checks that took points, then public ones as ``public:NAME``."""
        return self.hidden.lost + [f"public:{c}" for c in (self.public.lost if self.public else [])]

    @property
    def unexpected(self) -> list[str]:
        """Hidden checks that caught it although ``expect-lost`` does not name them."""
        return [] if self.expected is None else [c for c in self.hidden.lost if c not in self.expected]

    @property
    def missed(self) -> list[str]:
        """Checks ``expect-lost`` names that did not catch it."""
        return [] if self.expected is None else [c for c in self.expected if c not in self.hidden.lost]


@dataclass
class ValidationReport:
    """Everything ``grade validate`` found out about one assignment."""

    assignment: str
    solutions: list[Graded]
    template: list[Graded]
    mutants: list[MutantReport]
    hidden_checks: list[str]
    public_checks: list[str]

    @property
    def killed(self) -> int:
        return sum(m.killed for m in self.mutants)

    @property
    def mutation_score(self) -> float | None:
        return self.killed / len(self.mutants) if self.mutants else None

    @property
    def silent_checks(self) -> list[str]:
        """Checks that catch no mutant (public ones as ``public:NAME``)."""
        caught = {c for m in self.mutants for c in m.caught_by}
        every = self.hidden_checks + [f"public:{c}" for c in self.public_checks]
        return [c for c in every if c not in caught]

    @property
    def problems(self) -> list[str]:
        """Why the assignment fails validation; empty when it passes."""
        found = []
        for g in self.solutions:
            score = f"{_points(g.total)}/{_points(g.max)} on the {g.suite} checks"
            if g.status != "graded" or g.total < g.max:
                why = f"({g.status})" if g.status != "graded" else f"(lost: {', '.join(g.lost)})"
                found.append(f"solution {Path(g.path).name} scores {score} {why}")
        for g in self.template:
            score = f"{_points(g.total)}/{_points(g.max)} on the {g.suite} checks"
            if g.status != "graded":
                found.append(f"template {Path(g.path).name} could not be graded by the {g.suite} checks ({g.status})")
            elif g.total > 0:
                found.append(f"template {Path(g.path).name} scores {score} (it should score 0)")
        found += [f"mutant {m.name} survived: no hidden check took points" for m in self.mutants if not m.killed]
        return found

    @property
    def ok(self) -> bool:
        return not self.problems

    def to_dict(self) -> dict:
        data = asdict(self)
        for mutant, original in zip(data["mutants"], self.mutants):
            mutant.update(killed=original.killed, caught_by=original.caught_by, unexpected=original.unexpected,
                          missed=original.missed)
        data.update(killed=self.killed, mutation_score=self.mutation_score, silent_checks=self.silent_checks,
                    problems=self.problems, ok=self.ok)
        return data


def validate_assignment(assignment: Assignment, *, jobs: int | None = None,
                        options: GradeOptions | None = None) -> ValidationReport:
    """Grade the solution, the template and every mutant of ``assignment`` with its hidden and public checks.

    ``jobs`` submissions are graded at once in a process pool (default: the
    number of cores; 1 grades in this process). Raises GradingError when the
    assignment lacks a solution, a template or hidden checks, or a rubric is broken.
    """
    options = options or GradeOptions()
    root, name = assignment.course_root, assignment.name
    hidden = assignment.rubric("hidden")  # a broken rubric stops here, before anything runs
    suites = ["hidden"]
    public_checks: list[str] = []
    if assignment.rubric_path("public").exists():
        public_checks = list(assignment.rubric("public").checks)
        suites.append("public")
    solutions = [p for p in (root / "solutions" / name / f"{name}.py", root / "solutions" / name / f"{name}.ipynb")
                 if p.exists()]
    if not solutions:
        raise GradingError(f"{root / 'solutions' / name}: no solution {name}.py or {name}.ipynb to validate against")
    template = assignment.folder / f"{name}.ipynb"
    if not template.exists():
        raise GradingError(f"{template}: the assignment has no template notebook")
    mutants = find_mutants(root / "rubrics" / name / "mutants")
    runs = [(path, suite) for path in [*solutions, template, *mutants] for suite in suites]
    graded = dict(zip(runs, _grade_all(runs, assignment, options, jobs)))
    reports = [MutantReport(path.name, graded[path, "hidden"], graded.get((path, "public")), expected_lost(path))
               for path in mutants]
    return ValidationReport(
        assignment=name,
        solutions=[graded[p, s] for p in solutions for s in suites],
        template=[graded[template, s] for s in suites],
        mutants=reports,
        hidden_checks=list(hidden.checks),
        public_checks=public_checks,
    )


def find_mutants(folder: Path) -> list[Path]:
    """The known-buggy variants in ``folder``, sorted by name (none when it does not exist)."""
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir()
                  if p.is_file() and p.suffix in MUTANT_SUFFIXES and not p.name.startswith((".", "_")))


def expected_lost(path: Path) -> list[str] | None:
    """The checks a mutant's ``# expect-lost: a, b`` line names, or None without such a line."""
    if path.suffix == ".ipynb":
        cells = [c["source"] for c in read_notebook_cells(path) if c["source"].strip()]
        head = cells[0] if cells else ""
    else:
        head = path.read_text(encoding="utf-8", errors="replace")
    for line in head.splitlines()[:HEADER_LINES]:
        match = EXPECT_LOST.match(line)
        if match:
            return [name for name in re.split(r"[,\s]+", match.group(1).strip()) if name]
    return None


def _grade_all(runs: list[tuple[Path, str]], assignment: Assignment, options: GradeOptions,
               jobs: int | None) -> list[Graded]:
    """Each (path, suite) graded: in this process with one job, else by the batch's pool, a suite at a time,
    its processes one submission ahead and forking their numpy workers from one zygote."""
    jobs = max(1, min(jobs or os.cpu_count() or 1, len(runs)))
    if jobs == 1:
        with zygote.forking():
            return [Graded.of(grade_submission(path, assignment, _with_suite(options, suite, 1)), suite)
                    for path, suite in runs]
    suites = {suite: [path for path, s in runs if s == suite] for _, suite in runs}
    graded: dict[tuple[Path, str], Graded] = {}
    with pool.starting(assignment, _with_suite(options, runs[0][1], jobs)) as shared:
        for suite, paths in suites.items():
            with contextlib.closing(pool.graded(paths, assignment, _with_suite(options, suite, jobs), jobs,
                                                shared)) as finished:
                for path, outcome in finished:
                    graded[path, suite] = Graded.of(SubmissionResult.from_dict(outcome.result()), suite)
    return [graded[run] for run in runs]


def _with_suite(options: GradeOptions, suite: str, jobs: int) -> GradeOptions:
    threads = options.threads if options.threads > 1 else max(1, (os.cpu_count() or 1) // jobs)
    return GradeOptions(suite=suite, seed=options.seed, threads=threads, data_dir=options.data_dir,
                        timeout=options.timeout, env=dict(options.env))


# --- the report a person reads ------------------------------------------------------


def format_report(report: ValidationReport) -> str:
    """What ``grade validate`` prints: solution, template, each mutant, the mutation score, the verdict."""
    lines = [f"{report.assignment}"]
    for label, graded in (("solution", report.solutions), ("template", report.template)):
        by_path: dict[str, list[Graded]] = {}
        for g in graded:
            by_path.setdefault(g.path, []).append(g)
        for path, scores in by_path.items():
            parts = "  ".join(f"{g.suite} {_points(g.total)}/{_points(g.max)}" for g in scores)
            lines.append(f"  {label:<9}{Path(path).name:<28} {parts}")
    if report.mutants:
        width = max(len(m.name) for m in report.mutants)
        lines.append(f"  mutants ({len(report.mutants)}):")
        for m in report.mutants:
            verdict = "killed  " if m.killed else "SURVIVED"
            caught = f"caught by {', '.join(m.caught_by)}" if m.caught_by else "caught by no check"
            lines.append(f"    {verdict}  {m.name:<{width}}  -{_points(m.hidden.max - m.hidden.total)}  {caught}")
            if m.unexpected:
                lines.append(f"              also lost (not in expect-lost): {', '.join(m.unexpected)}")
            missed = [c for c in m.missed if c in report.hidden_checks]
            unknown = [c for c in m.missed if c not in report.hidden_checks]
            if missed:
                lines.append(f"              expected to lose but did not: {', '.join(missed)}")
            if unknown:
                lines.append(f"              expect-lost names no hidden check: {', '.join(unknown)}")
        lines.append(f"  mutation score: {report.killed}/{len(report.mutants)} ({100 * report.mutation_score:.0f}%)")
    else:
        lines.append(f"  mutants: none (add known-buggy variants to rubrics/{report.assignment}/mutants/)")
        lines.append("  mutation score: 0/0")
    if report.mutants and report.silent_checks:
        lines.append(f"  checks that catch no mutant: {', '.join(report.silent_checks)}")
    if report.ok:
        lines.append("  OK")
    else:
        lines += [f"  FAILED: {problem}" for problem in report.problems]
    return "\n".join(lines)


def _points(value: float) -> str:
    return f"{round(value, 2):g}"
