"""``grade validate``, ``grade release``, ``grade new``, ``grade similarity``: tools for instructors and TAs.

Plain click commands, registered on the ``grade`` group in cli.py. Each parses its
options, makes one call into the library and prints what it found; errors are the
library's GradingError, turned into ``Error: ...`` and an exit code by cli.py.
"""

from __future__ import annotations

from pathlib import Path

import click

from autograder.cli.output import echo, no_sandbox_option, refuse_without_sandbox
from autograder.grading import course
from autograder.errors import ChecksFailed


@click.command("validate")
@click.option("-a", "--assignment", "name", required=True, help="Assignment name, as in rubrics/NAME.")
@click.option("-j", "--jobs", type=int, default=None, help="Submissions graded at once (default: number of cores).")
@click.option("--data-dir", type=click.Path(path_type=Path), help="Fashion-MNIST folder (or $GRADE_FASHION_MNIST).")
@click.option("--heldout", type=click.Path(path_type=Path, file_okay=False), help="A private held-out set (t10k-*-ubyte.gz in the Fashion-MNIST IDX layout) instead of the public split.")
@no_sandbox_option
def validate(name: str, jobs: int | None, data_dir: Path | None, heldout: Path | None, no_sandbox: bool) -> None:
    """Prove an assignment's checks: the solution scores full marks, the template 0, every mutant loses points.

    Runs the hidden and public checks on solutions/NAME/NAME.py and .ipynb, on
    assignments/NAME/NAME.ipynb and on each known-buggy variant in
    rubrics/NAME/mutants/, then prints which checks caught which mutant, the
    mutation score and the checks that catch no mutant. Exits 1 when the
    solution loses points, the template scores above 0 or a mutant survives.
    """
    from autograder.authoring.validate import format_report, validate_assignment
    from autograder.grading import datasets
    from autograder.grading.grade import GradeOptions

    assignment = course.get_assignment(name, course.find_course_root())
    refuse_without_sandbox(no_sandbox)
    options = GradeOptions(data_dir=data_dir, heldout_dir=datasets.check_heldout(heldout))
    report = validate_assignment(assignment, jobs=jobs, options=options)
    echo(format_report(report))
    if not report.ok:
        raise ChecksFailed("")


@click.command("release")
@click.option("-o", "--output", "out", required=True, type=click.Path(path_type=Path, file_okay=False),
              help="Folder to build the release in (new or empty).")
@click.option("--title", help="Title of the students' README (default: 과제 / Assignments).")
def release(out: Path, title: str | None) -> None:
    """Build what students receive: the engine, assignments/ with public checks, a README, pyproject.toml.

    Nothing from solutions/ or rubrics/ goes in; the release is searched for
    every solution function body and hidden check name before it is written.
    """
    from autograder.authoring.release import build_release

    built = build_release(course.find_course_root(), out, title=title)
    echo(f"Wrote {len(built.files)} files to {built.folder} (assignments: {', '.join(built.assignments) or 'none'})")
    for reason in built.skipped:
        echo(f"left out: {reason}", err=True)


@click.command("new")
@click.argument("name")
def new(name: str) -> None:
    """Scaffold assignment NAME: assignments/, solutions/, rubrics/ and a test, as a working example.

    The example (a function add(a, b)) passes `grade validate -a NAME` as it is;
    replace it piece by piece and validate again.
    """
    from autograder.authoring.scaffold import create_assignment

    root = course.find_course_root()
    for path in create_assignment(root, name):
        echo(f"created {path.relative_to(root)}")
    echo(f"next: edit solutions/{name}/{name}.ipynb, then run: grade validate -a {name}")


@click.command("similarity")
@click.argument("subs", type=click.Path(path_type=Path))
@click.option("-a", "--assignment", "name", required=True, help="Assignment name (its template's code is ignored).")
@click.option("-o", "--output", "out", type=click.Path(path_type=Path, dir_okay=False), default=Path("pairs.csv"),
              show_default=True, help="CSV of the pairs, most alike first.")
@click.option("--threshold", type=click.FloatRange(0, 1), default=0.5, show_default=True,
              help="Score from which a pair is flagged and printed.")
@click.option("--top", type=int, default=10, show_default=True, help="Flagged pairs to print.")
def similarity(subs: Path, name: str, out: Path, threshold: float, top: int) -> None:
    """Find pairs of submissions in SUBS that are suspiciously alike (names and formatting ignored).

    Writes every pair that shares code to the CSV (a, b, score, score_a,
    score_b, flagged, regions) and prints the pairs scoring at least the threshold.
    """
    from autograder.authoring.similarity import find_similar, format_flagged, write_pairs

    assignment = course.get_assignment(name, course.find_course_root())
    report = find_similar(subs, assignment, threshold=threshold)
    write_pairs(report, out)
    echo(format_flagged(report, top=top))
    echo(f"wrote {out}")


@click.command("assign")
@click.argument("solution", type=click.Path(path_type=Path, dir_okay=False, exists=True))
@click.option("-o", "--output", "out", required=True, type=click.Path(path_type=Path, dir_okay=False),
              help="Where to write the student template (.ipynb or .py, like the solution).")
def assign(solution: Path, out: Path) -> None:
    """Make the student template from a solution: the code between solution markers becomes a stub."""
    from autograder.authoring.templates import make_template

    make_template(solution, out)
    echo(f"{solution} -> {out}")
