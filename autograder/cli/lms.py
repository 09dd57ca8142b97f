"""``grade export``, ``grade gradescope``, ``grade report``, ``grade feedback``.

Plain click commands, registered on the ``grade`` group in cli.py. Each parses its
options, makes one call into the library and prints what it did; errors are the
library's GradingError, turned into ``Error: ...`` and an exit code by cli.py.
"""

from __future__ import annotations

from pathlib import Path

import click

from autograder.cli.output import echo, warn_about
LANGS = click.Choice(["ko", "en"])
FILE = click.Path(path_type=Path, dir_okay=False)


@click.command("export")
@click.argument("grades_csv", type=FILE)
@click.option("--to", "to", required=True, type=click.Choice(["canvas", "moodle", "blackboard", "csv"]),
              help="Import format to write.")
@click.option("-o", "--output", required=True, type=FILE, help="File to write (its folder must exist).")
@click.option("--roster", type=FILE, help="Roster CSV, or the LMS's own gradebook export (Canvas gradebook, Moodle "
                                         "grading worksheet, Blackboard Grade Center, Gradescope or Classroom roster).")
@click.option("--assignment-title", help="Title of the grade column in the LMS (default: the rubric's title).")
@click.option("--assignment-id", help="Canvas assignment id, or Blackboard Grade Center column id.")
@click.option("--missing", type=click.Choice(["empty", "zero"]), default="empty", show_default=True,
              help="Grade of roster students without a submission.")
@click.option("--moodle-key", type=click.Choice(["email", "username", "idnumber"]), default="email",
              show_default=True, help="Column Moodle identifies users by.")
@click.option("--roster-key", metavar="HEADER", help="Roster column holding the student id (default: student_id).")
@click.option("--roster-column", "roster_columns", multiple=True, metavar="FIELD=HEADER",
              help="Roster column for a field (name, email, username, canvas_id, sis_user_id, sis_login_id, "
                   "section, idnumber, student_number, first_name, last_name); repeatable.")
@click.option("--lang", type=LANGS, default="ko", show_default=True, help="Language of Moodle's Feedback column.")
@click.option("--min-match", type=float, default=50.0, show_default=True, metavar="PERCENT",
              help="Refuse when fewer than this share of the roster matched a submission.")
@click.option("--errors", type=click.Choice(["empty", "zero"]), default="empty", show_default=True,
              help="Grade of rows whose grading failed (error, timeout): left empty and listed, or 0.")
def export(grades_csv: Path, to: str, output: Path, roster: Path | None, assignment_title: str | None,
           assignment_id: str | None, missing: str, moodle_key: str, roster_key: str | None,
           roster_columns: tuple[str, ...], lang: str, min_match: float, errors: str) -> None:
    """Write GRADES_CSV (from grade batch) as an LMS gradebook import file."""
    from autograder.exports.lms import export_grades
    from autograder.exports.roster import parse_column_options

    columns = parse_column_options(roster_columns)
    if roster_key:
        columns["student_id"] = roster_key
    report = export_grades(grades_csv, output, to=to, roster=roster, title=assignment_title,
                           assignment_id=assignment_id, missing=missing, moodle_key=moodle_key,
                           roster_columns=columns, lang=lang, min_match=min_match, errors=errors)
    for line in report.lines():
        echo(line)
    warn_about(report.problems, "student(s) had problems (above); the rest are exported in full")


@click.command("gradescope")
@click.argument("result_json", type=FILE)
@click.option("-o", "--output", type=FILE, default=Path("results.json"), show_default=True,
              help="results.json to write (on Gradescope: /autograder/results/results.json).")
@click.option("--lang", type=LANGS, default=None, help="Language of the messages (default: the rubric's, else Korean).")
@click.option("--hidden-visibility", default="after_published", show_default=True,
              type=click.Choice(["hidden", "after_due_date", "after_published", "visible"]),
              help="When students see hidden checks (public checks are always visible).")
def gradescope(result_json: Path, output: Path, lang: str | None, hidden_visibility: str) -> None:
    """Convert one graded submission (OUT/results/ID.json) into Gradescope's results.json."""
    from autograder.exports.gradescope import convert_result

    echo(f"Wrote {convert_result(result_json, output, lang=lang, hidden_visibility=hidden_visibility)}")


@click.command("report")
@click.argument("grades_csv", type=FILE)
@click.option("-o", "--output", type=FILE, default=Path("report.html"), show_default=True, help="HTML page to write.")
@click.option("--results", "results_dir", type=click.Path(path_type=Path, file_okay=False),
              help="Results folder of the batch (default: results/ next to GRADES_CSV).")
@click.option("--similarity", "similarity_csv", type=FILE, help="Similarity CSV (columns a, b, score, regions).")
def report(grades_csv: Path, output: Path, results_dir: Path | None, similarity_csv: Path | None) -> None:
    """Write a static HTML report of a batch: totals, checks, slow and failed submissions."""
    from autograder.exports.report import write_report

    written = write_report(grades_csv, output, results_dir=results_dir, similarity_csv=similarity_csv)
    echo(f"Wrote {written.path}")
    warn_about(written.problems, "result file(s) could not be read and are left out of the report")


@click.command("feedback")
@click.argument("results_dir", type=click.Path(path_type=Path, file_okay=False))
@click.option("-o", "--output", type=click.Path(path_type=Path, file_okay=False), required=True,
              help="Folder to write ID.md and ID.html into (created if needed).")
@click.option("--lang", type=LANGS, default=None, help="Language (default: the rubric's, else Korean).")
def feedback(results_dir: Path, output: Path, lang: str | None) -> None:
    """Write Markdown and HTML feedback for every result in RESULTS_DIR (OUT/results)."""
    from autograder.exports.feedback import write_all_feedback

    run = write_all_feedback(results_dir, output, lang=lang)
    echo(f"Wrote {len(run.files)} feedback files ({len(run.files) // 2} submissions) to {output}")
    warn_about(run.problems, "result file(s) had problems: no feedback was written for them")
