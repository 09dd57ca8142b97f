"""Feedback students read: one Markdown and one HTML file per submission, in Korean or English.

Each check is listed, passed or not, with its points and message; a check that
lost points also shows what was expected against what came back. Only the
check's result fields are used: never its source, never held-out data.

For a notebook, the HTML page is the student's notebook rendered with nbconvert
with the outputs of the grading run (not the outputs saved in the file), the
feedback on top and the cells that raised marked. Everything the student wrote
or printed is escaped; Markdown cells pass through an allow-list sanitizer.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from autograder.errors import GradingError
from autograder.exports.files import ExportError, write_atomic
from autograder.files import parse_json_bounded, safe_file_name
from autograder.grading import statuses
from autograder.grading.results import CheckResult, SubmissionResult
from autograder.exports.wording import (MARKS, error_text, located, location, message_of, points, shown,
                                        status_note, words)

def short_feedback(row: dict[str, Any], *, lang: str, checks: list[CheckResult] | None = None) -> str:
    """A line or two for an LMS feedback column, from a grades.csv row (and its check results)."""
    w = words(lang)
    if row.get("status") == "missing":
        return w["no_submission"]
    parts = [f"{w['points']} {points(row.get('total') or 0)}/{points(row.get('max') or 0)}."]
    penalty = row.get("late_penalty")
    if penalty and float(penalty) > 0:
        parts.append(f"{w['late']} -{points(penalty)} ({row.get('late_by', '')}).")
    status = str(row.get("status", "graded"))
    if status != "graded":  # the CSV's status is English; a Korean row reads its Korean
        shown_status = status if lang == "en" else str(row.get("status_ko") or statuses.korean(status))
        parts.append(f"{w['status']}: {w['timeout'] if status == 'timeout' else shown_status}.")
    lost = [f"{c.id} {points(c.points)}/{points(c.max_points)}" for c in checks or [] if c.points < c.max_points]
    if lost:
        parts.append(f"{w['lost']}: " + ", ".join(lost) + ".")
    return " ".join(parts)


# --- Markdown ---------------------------------------------------------------------------------

_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>|&~])")
_MD_LINE_START = re.compile(r"^([#>+=-]|\d+[.)])")


def md_text(text: str) -> str:
    """Plain text safe inside Markdown: one line, no markup, no raw HTML."""
    text = _MD_SPECIAL.sub(r"\\\1", " ".join(str(text).split()))
    return _MD_LINE_START.sub(lambda m: m.group(1)[:-1] + "\\" + m.group(1)[-1], text)


def md_code(text: str) -> str:
    """Inline code for one line, a fenced block for several; no run of backticks can close it."""
    text = str(text)
    longest = max((len(m) for m in re.findall(r"`+", text)), default=0)
    if "\n" in text:
        fence = "`" * max(3, longest + 1)
        return f"\n\n{fence}text\n{text}\n{fence}\n"
    fence = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") or not text.strip() else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def check_table_markdown(result: SubmissionResult, lang: str) -> list[str]:
    """The Markdown table of checks: mark, id, points, result."""
    w = words(lang)
    lines = [f"| | {w['check']} | {w['points']} | {w['result']} |", "|---|---|---|---|"]
    for c in result.checks:
        lines.append(f"| {MARKS.get(c.status, '')} | {md_code(c.id)} | {points(c.points)}/{points(c.max_points)} "
                     f"| {md_text(w.get(c.status, c.status))} |")
    return lines


def check_details_markdown(check: CheckResult, lang: str) -> list[str]:
    """Message, expected, got and hint of a check that lost points."""
    w = words(lang)
    lines = [f"### {MARKS.get(check.status, '')} {md_text(check.id)} "
             f"({points(check.points)}/{points(check.max_points)})", ""]
    message = message_of(check, lang)
    if message:
        lines += [md_text(message), ""]
    items = [f"- {w[key]}: {md_code(getattr(check, key))}" for key in ("expected", "got")
             if getattr(check, key) is not None]
    if check.hint:
        items.append(f"- {w['hint']}: {md_text(check.hint)}")
    return [*lines, *items, ""] if items else lines


def markdown_feedback(result: SubmissionResult, lang: str) -> str:
    """The whole feedback as Markdown."""
    result = shown(result, lang)
    w = words(lang)
    lines = [f"# {w['title']}: {md_text(result.assignment)} / {md_text(result.student_id)}", "",
             f"**{w['points']}: {points(result.total)} / {points(result.max)} ({result.percent:g}%)**", ""]
    note = status_note(result, lang)
    if note:
        lines += [f"> {md_text(note)}", ""]
    if result.checks:
        lines += [*check_table_markdown(result, lang), ""]
    lost = [c for c in result.checks if not c.passed]
    if lost:
        lines += [f"## {w['details']}", ""]
        for check in lost:
            lines += check_details_markdown(check, lang)
    elif result.checks and note is None:
        lines += [w["all_passed"], ""]
    if result.cell_errors:
        lines += [f"## {w['cell_errors']}", ""]
        for e in result.cell_errors:
            lines.append(f"- {located(e, lang, md_code(error_text(e)))}")
        lines.append("")
    if result.hints:
        lines += [f"## {w['hints']}", ""] + [f"- {located(h, lang, md_text(message_of(h, lang)))}"
                                            for h in result.hints] + [""]
    return "\n".join(lines).rstrip() + "\n"


# --- HTML -------------------------------------------------------------------------------------

CSS = """
#ag-feedback { font-family: system-ui, -apple-system, "Noto Sans KR", "Malgun Gothic", sans-serif;
  max-width: 60em; margin: 1em auto 2em; padding: 1em 1.5em; border: 1px solid #ccc; border-radius: 8px;
  background: #fafafa; line-height: 1.5; }
#ag-feedback table { border-collapse: collapse; margin: .5em 0; }
#ag-feedback th, #ag-feedback td { border: 1px solid #ddd; padding: .3em .6em; text-align: left; vertical-align: top; }
#ag-feedback .passed { color: #1a7f37; } #ag-feedback .failed, #ag-feedback .error, #ag-feedback .timeout { color: #cf222e; }
#ag-feedback .partial { color: #9a6700; }
#ag-feedback pre, #ag-feedback code { background: #f0f0f0; padding: .1em .3em; border-radius: 4px; white-space: pre-wrap; }
#ag-feedback .note { border-left: 4px solid #cf222e; padding-left: .8em; }
.ag-failed-cell { border-left: 6px solid #cf222e !important; }
.ag-mark { margin: 1em 0 .2em; padding: .3em .8em; background: #ffebe9; color: #82071e; border-radius: 4px;
  font-family: system-ui, sans-serif; }
"""


def feedback_html(result: SubmissionResult, lang: str) -> str:
    """The feedback block (a ``<section>``) with every student-supplied text escaped."""
    result = shown(result, lang)
    w, e = words(lang), html.escape
    out = ['<section id="ag-feedback">',
           f"<h1>{e(w['title'])}: {e(result.assignment)} / {e(result.student_id)}</h1>",
           f"<p><strong>{e(w['points'])}: {points(result.total)} / {points(result.max)} "
           f"({result.percent:g}%)</strong></p>"]
    note = status_note(result, lang)
    if note:
        out.append(f'<p class="note">{e(note)}</p>')
    if result.checks:
        out.append(f"<table><thead><tr><th></th><th>{e(w['check'])}</th><th>{e(w['points'])}</th>"
                   f"<th>{e(w['result'])}</th></tr></thead><tbody>")
        for c in result.checks:
            out.append(f'<tr class="{e(c.status)}"><td>{MARKS.get(c.status, "")}</td><td><code>{e(c.id)}</code></td>'
                       f"<td>{points(c.points)}/{points(c.max_points)}</td>"
                       f'<td class="{e(c.status)}">{e(w.get(c.status, c.status))}</td></tr>')
        out.append("</tbody></table>")
    lost = [c for c in result.checks if not c.passed]
    if lost:
        out.append(f"<h2>{e(w['details'])}</h2>")
        for c in lost:
            out.append(f'<div class="check {e(c.status)}"><h3>{MARKS.get(c.status, "")} <code>{e(c.id)}</code> '
                       f"({points(c.points)}/{points(c.max_points)})</h3>")
            message = message_of(c, lang)
            if message:
                out.append(f"<p>{e(message)}</p>")
            items = [(w[k], getattr(c, k)) for k in ("expected", "got") if getattr(c, k) is not None]
            if items:
                out.append("<dl>" + "".join(f"<dt>{e(k)}</dt><dd><pre>{e(str(v))}</pre></dd>" for k, v in items)
                           + "</dl>")
            if c.hint:
                out.append(f"<p><em>{e(w['hint'])}:</em> {e(c.hint)}</p>")
            out.append("</div>")
    elif result.checks and note is None:
        out.append(f"<p>{e(w['all_passed'])}</p>")
    if result.cell_errors:
        out.append(f"<h2>{e(w['cell_errors'])}</h2><ul>")
        for err in result.cell_errors:
            where = location(err, lang)
            out.append(f"<li>{e(where) + ': ' if where else ''}<code>{e(error_text(err))}</code></li>")
        out.append("</ul>")
    if result.hints:
        hints = "".join(f"<li>{e(located(h, lang, message_of(h, lang)))}</li>" for h in result.hints)
        out.append(f"<h2>{e(w['hints'])}</h2><ul>{hints}</ul>")
    out.append("</section>")
    return "\n".join(out)


def page_html(result: SubmissionResult, lang: str, *, extra: str = "") -> str:
    """A standalone page: the feedback, then the student's captured output (modules, missing notebooks)."""
    w, e = words(lang), html.escape
    body = feedback_html(result, lang)
    if extra:
        body += f'\n<p class="note">{e(extra)}</p>'
    if result.output:
        body += f'\n<section id="ag-output"><h2>{e(w["output"])}</h2><pre>{e(result.output)}</pre></section>'
    title = f"{w['title']}: {result.assignment} / {result.student_id}"
    return (f'<!DOCTYPE html>\n<html lang="{lang}">\n<head>\n<meta charset="utf-8">\n<title>{e(title)}</title>\n'
            f"<style>{CSS}\n#ag-output {{ max-width: 60em; margin: auto; }}</style>\n</head>\n<body>\n{body}\n"
            "</body>\n</html>\n")


def write_feedback(result: SubmissionResult, out_dir: Path, *, lang: str) -> list[Path]:
    """Write ``<student_id>.md`` and ``<student_id>.html`` into ``out_dir``; return both paths."""
    words(lang)
    out_dir = Path(out_dir)
    if not out_dir.is_dir():
        raise ExportError(f"{out_dir}: the feedback folder does not exist")
    stem = safe_file_name(result.student_id)
    md_path = write_atomic(out_dir / f"{stem}.md", markdown_feedback(result, lang))
    page = None
    if str(result.path).endswith(".ipynb"):
        from autograder.exports.notebook_html import notebook_feedback_page  # nbconvert is slow to import

        page = notebook_feedback_page(result, lang, feedback=feedback_html(result, lang), css=CSS)
        if page is None:
            page = page_html(result, lang, extra=words(lang)["no_notebook"])
    html_path = write_atomic(out_dir / f"{stem}.html", page or page_html(result, lang))
    return [md_path, html_path]


RESULT_BYTES_CAP = 64 << 20  # a result file grade batch writes is far smaller: its texts are capped


def load_result(path: Path) -> SubmissionResult:
    """A result file of grade batch, size and nesting bounded before it is parsed."""
    try:
        data = Path(path).read_bytes()
    except FileNotFoundError:
        raise ExportError(f"{path}: no such result file") from None
    except OSError as e:
        raise ExportError(f"{path}: cannot be read ({e.strerror})") from e
    document = parse_json_bounded(data, source=path, max_bytes=RESULT_BYTES_CAP,
                                  what="not a result file from grade batch", error=ExportError)
    try:
        return SubmissionResult.from_dict(document)
    except (ValueError, TypeError, KeyError, AttributeError) as e:
        raise ExportError(f"{path}: not a result file from grade batch ({e})") from e


def default_language(assignment: str) -> str:
    """The rubric's ``assignment.language`` when the course can be found, else Korean."""
    from autograder.grading.course import find_course_root, get_assignment

    try:
        return get_assignment(assignment, find_course_root()).rubric("hidden").language
    except GradingError:
        return "ko"


@dataclass
class FeedbackRun:
    """What ``grade feedback`` wrote, and the result files it could not turn into feedback."""

    files: list[Path] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # one line each: the result file and what is wrong


def write_all_feedback(results_dir: Path, out_dir: Path, *, lang: str | None = None) -> FeedbackRun:
    """Feedback for every ``<student_id>.json`` in a batch's results folder.

    One result that cannot be read or rendered (forged, damaged, too deep) is a
    problem of that student alone: it is listed, and every other student gets feedback.
    """
    results_dir, out_dir = Path(results_dir), Path(out_dir)
    if lang is not None:
        words(lang)  # a wrong language is the command's problem, not each student's
    if not results_dir.is_dir():
        raise ExportError(f"{results_dir}: no such results folder (grade batch writes OUT/results)")
    files = sorted(p for p in results_dir.glob("*.json") if not p.name.startswith("."))
    if not files:
        raise ExportError(f"{results_dir}: holds no result files (*.json)")
    out_dir.mkdir(parents=True, exist_ok=True)
    run = FeedbackRun()
    languages: dict[str, str] = {}
    for path in files:
        try:
            result = load_result(path)
            if lang is None and result.assignment not in languages:
                languages[result.assignment] = default_language(result.assignment)
            run.files += write_feedback(result, out_dir, lang=lang or languages[result.assignment])
        except ExportError as e:
            run.problems.append(str(e))
        except Exception as e:  # rendering what one student's run left must not cost the class its feedback
            run.problems.append(f"{path}: feedback not written ({type(e).__name__}: {e})")
    return run
