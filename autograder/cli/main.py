"""The ``grade`` command: parse options, call the library once, print."""

from __future__ import annotations

import atexit
import contextlib
import os
import signal
import sys
import threading
from pathlib import Path
from typing import NoReturn

import click

from autograder.grading import course, datasets
from autograder.cli import progress
from autograder.exports import display
from autograder.cli.output import echo, no_sandbox_option, note_unsandboxed, refuse_without_sandbox
from autograder.engine import lifetime
from autograder.errors import ChecksFailed, GradingError, Interrupted
from autograder.grading.grade import GradeOptions, grade_submission


class _ClickError(click.ClickException):
    def __init__(self, error: GradingError) -> None:
        super().__init__(str(error))
        self.exit_code = error.exit_code

    def show(self, file=None) -> None:
        if self.message:
            echo(f"Error: {self.message}", err=True)


class _Group(click.Group):
    """Turns the library's GradingError into one line and its exit code."""

    def invoke(self, ctx: click.Context):
        try:
            with lifetime.stop_on_signals():  # SIGTERM and SIGHUP stop a command the way Ctrl-C does
                return super().invoke(ctx)
        except GradingError as e:
            raise _ClickError(e) from e
        except KeyboardInterrupt:
            if lifetime.stop_signal() == signal.SIGINT:
                raise  # click's "Aborted!"
            name = signal.Signals(lifetime.stop_signal()).name
            raise _ClickError(Interrupted(f"stopped by {name}", signum=lifetime.stop_signal())) from None


@click.group(cls=_Group)
@click.version_option(package_name="course-autograder")
def grade() -> None:
    """Grade the course's notebooks and modules: check, batch, export."""


@grade.command()
@click.argument("path", required=False, type=click.Path(path_type=Path))
@click.option("-a", "--assignment", "name", help="Assignment name (default: from the file or folder name).")
@click.option("--lang", type=click.Choice(["ko", "en"]), help="Language of messages (default: the rubric's).")
@click.option("--hidden", is_flag=True, help="Run the hidden checks (needs the course's rubrics/).")
@click.option("--data-dir", type=click.Path(path_type=Path), help="Fashion-MNIST folder (or $GRADE_FASHION_MNIST).")
@click.option("--heldout", type=click.Path(path_type=Path, file_okay=False), help="A private held-out set (t10k-*-ubyte.gz in the Fashion-MNIST IDX layout) instead of the public split.")
@no_sandbox_option
def check(path: Path | None, name: str | None, lang: str | None, hidden: bool, data_dir: Path | None,
          heldout: Path | None, no_sandbox: bool) -> None:
    """Run the public checks on your notebook or module and show what to fix.

    PATH is a notebook, a module or a folder; by default, the notebook named
    after the assignment folder you are in.
    """
    target, assignment = course.resolve_check_target(path, name)
    suite = "hidden" if hidden else "public"
    course.require_runtime(assignment, suite)
    lang = lang or assignment.rubric(suite).language
    if heldout is not None and not hidden:
        raise click.UsageError("--heldout grades with the hidden checks: add --hidden")
    heldout_dir = datasets.check_heldout(heldout)
    if hidden:
        refuse_without_sandbox(no_sandbox)
    else:
        note_unsandboxed()  # a student's own machine: public checks may run unsandboxed
    echo(display.check_header(assignment.name, target))  # at once: a Keras notebook takes a minute
    options = GradeOptions(suite=suite, data_dir=data_dir, heldout_dir=heldout_dir, threads=os.cpu_count() or 1,
                           on_progress=progress.check_progress(lang))
    result = grade_submission(target, assignment, options)
    echo(display.report_body(result, lang))
    if not result.all_passed:
        raise ChecksFailed("")


@grade.command()
@click.argument("subs", type=click.Path(path_type=Path))
@click.option("-a", "--assignment", "name", required=True, help="Assignment name, as in rubrics/NAME.")
@click.option("-o", "--output", "out", type=click.Path(path_type=Path), default=Path("grades.csv"), show_default=True,
              help="The grades CSV; results/<student>.json are written beside it.")
@click.option("-j", "--jobs", type=int, default=None, help="Submissions graded at once (default: number of cores).")
@click.option("--force", is_flag=True, help="Regrade everything, ignoring the journal of finished submissions.")
@click.option("--public", is_flag=True, help="Use the public checks instead of the hidden ones.")
@click.option("--data-dir", type=click.Path(path_type=Path), help="Fashion-MNIST folder (or $GRADE_FASHION_MNIST).")
@click.option("--heldout", type=click.Path(path_type=Path, file_okay=False), help="A private held-out set (t10k-*-ubyte.gz in the Fashion-MNIST IDX layout) instead of the public split.")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed for Python, numpy and Keras in each worker.")
@click.option("--dask-scheduler", "scheduler", metavar="ADDRESS", help="Grade on an existing Dask cluster (tcp://HOST:8786).")
@click.option("--require-sandbox", is_flag=True, hidden=True, help="The default now (kept for old scripts).")
@no_sandbox_option
@click.option("--manifest", type=click.Path(path_type=Path, dir_okay=False),
              help="CSV of student_id,submitted_at for the late policy (default: SUBS/manifest.csv, else the "
                   "LMS's times, else file times).")
@click.option("--layout", type=click.Choice(["canvas", "moodle", "blackboard", "gradescope", "classroom", "plain"]),
              help="How SUBS is laid out (default: detected from its names).")
@click.option("--timezone", metavar="ZONE", help="Time zone of download times that carry none, e.g. Asia/Seoul "
                                                  "(Blackboard; default: the late policy's).")
def batch(subs: Path, name: str, out: Path, jobs: int | None, force: bool, public: bool, data_dir: Path | None,
          heldout: Path | None, seed: int, scheduler: str | None, require_sandbox: bool, no_sandbox: bool,
          manifest: Path | None, layout: str | None, timezone: str | None) -> None:
    """Grade every submission in SUBS into a CSV.

    SUBS is a folder with one .ipynb, .py or folder per student, or an LMS's
    download (Canvas, Moodle, Blackboard, Gradescope, GitHub Classroom), the .zip
    itself or its extracted folder.
    """
    from autograder.batch.run import run_batch

    assignment = course.get_assignment(name, course.find_course_root())
    options = GradeOptions(suite="public" if public else "hidden", seed=seed, data_dir=data_dir,
                           heldout_dir=datasets.check_heldout(heldout))
    course.require_runtime(assignment, options.suite)
    refuse_without_sandbox(no_sandbox)
    with progress.batch_progress(name, _stderr_console()) as shown:
        summary = run_batch(subs, assignment, out, options=options, jobs=jobs, force=force, scheduler=scheduler,
                            manifest=manifest, layout=layout, timezone=timezone, on_start=shown.start,
                            on_result=lambda result, reused: shown.advance())
    echo(display.batch_summary(summary.results, str(out), summary.reused))
    for line in summary.intake.lines() if summary.intake else []:
        echo(line)
    for line in [*summary.warnings, *summary.errors]:
        echo(f"warning: {line}", err=True)


@grade.command()
@click.argument("path", required=False, type=click.Path(path_type=Path))
@click.option("-a", "--assignment", "name", help="Assignment name (default: the notebook or module found here).")
@click.option("--junit", type=click.Path(path_type=Path, dir_okay=False), help="Write a JUnit XML report here.")
@click.option("--lang", type=click.Choice(["ko", "en"]), help="Language of messages (default: the rubric's).")
@click.option("--hidden", is_flag=True, help="Run the hidden checks too (when the course repository is available).")
@click.option("--data-dir", type=click.Path(path_type=Path), help="Fashion-MNIST folder (or $GRADE_FASHION_MNIST).")
@no_sandbox_option
def ci(path: Path | None, name: str | None, junit: Path | None, lang: str | None, hidden: bool,
       data_dir: Path | None, no_sandbox: bool) -> None:
    """Grade a submission repository in CI: JUnit XML, job summary, Points line, exit code."""
    from autograder.exports.ci import run_ci

    target, assignment = course.resolve_check_target(path, name)
    suite = "hidden" if hidden else "public"
    course.require_runtime(assignment, suite)
    lang = lang or assignment.rubric(suite).language
    if hidden:
        refuse_without_sandbox(no_sandbox)
    else:
        note_unsandboxed()
    options = GradeOptions(suite=suite, data_dir=data_dir, threads=os.cpu_count() or 1,
                           on_progress=progress.check_progress(lang, rewrite=False))
    result = run_ci(target, assignment, options=options, junit=junit, lang=lang)
    echo(display.submission_report(result, lang))
    echo(f"Points {display.fmt_points(result.total)}/{display.fmt_points(result.max)}")
    if not result.all_passed:
        raise ChecksFailed("")


@grade.command(name="list")
def list_() -> None:
    """Show the assignments, their checks and points."""
    root = course.find_course_root()
    echo("\n".join(display.assignment_listing(a) for a in course.list_assignments(root)))


from autograder.cli.authoring import assign, new, release, similarity, validate  # noqa: E402
from autograder.cli.lms import export, feedback, gradescope, report  # noqa: E402

for _command in (export, gradescope, report, feedback, assign, validate, release, new, similarity):
    grade.add_command(_command)


def _stderr_console():
    from rich.console import Console

    return Console(stderr=True)


def main() -> None:
    """Run the ``grade`` command and exit (see :func:`_leave`)."""
    try:
        grade(prog_name="grade")
    except SystemExit as e:
        _leave(e.code)
    _leave(0)


def _leave(code: int | str | None) -> NoReturn:
    """Exit with ``code`` as ``sys.exit`` would, without tearing the interpreter down.

    Python frees every module object by object as it exits: 0.1-0.2 s after each
    command that imported pandas, numpy and pytest, with nothing to show for it. What a
    normal exit does first is still done: threads are stopped and waited for as Python
    does it (``threading._shutdown``: an idle executor's threads are told to end, then
    every thread that is not a daemon is joined), and exit handlers run
    (multiprocessing's, temporary folders'); then the process ends.
    """
    threading._shutdown()
    if code is not None and not isinstance(code, int):
        print(code, file=sys.stderr)
        code = 1
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()
    os._exit(code or 0)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
