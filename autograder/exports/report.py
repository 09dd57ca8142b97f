"""The TA's report: one static HTML page about a whole batch (no server, no JavaScript).

Sections: summary figures, a histogram of totals, the pass rate of each check
(which concept the class missed), the slowest submissions, every submission that
timed out or errored, the most common errors in notebook cells, and submission
similarity when a similarity CSV is given. Plots are inline SVG drawn with
matplotlib's object API (no pyplot, no change to the global backend).
"""

from __future__ import annotations

import html
import io
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from autograder.exports.files import ExportError, check_output_path, read_text_csv, write_atomic
from autograder.exports.grades import REQUIRED, check_columns, late_columns_present, metric_columns, read_grades
from autograder.files import parse_json_bounded

RESULT_BYTES_CAP = 64 << 20

SLOWEST = 10
SIMILAR_PAIRS = 50
COLORS = {"graded": "#4c72b0", "other": "#c44e52", "passed": "#55a868", "partial": "#dd8452", "failed": "#c44e52"}

CSS = """
body { font-family: system-ui, -apple-system, "Noto Sans KR", "Malgun Gothic", sans-serif; margin: 2em auto;
  max-width: 72em; padding: 0 1.5em; color: #1f2328; line-height: 1.45; }
h1 { border-bottom: 2px solid #d0d7de; padding-bottom: .3em; }
h2 { margin-top: 2em; border-bottom: 1px solid #d0d7de; padding-bottom: .2em; }
table { border-collapse: collapse; margin: .6em 0; font-size: 95%; }
th, td { border: 1px solid #d0d7de; padding: .3em .7em; text-align: left; vertical-align: top; }
th { background: #f6f8fa; } td.num { text-align: right; font-variant-numeric: tabular-nums; }
.figures { display: flex; flex-wrap: wrap; gap: 1em 3em; }
.figure { font-size: 90%; } .figure b { display: block; font-size: 170%; }
.plot svg { max-width: 100%; height: auto; }
.bad { color: #cf222e; } .muted { color: #57606a; }
pre { white-space: pre-wrap; margin: 0; }
"""


@dataclass
class ReportWritten:
    """The page written, and the result files left out of it (each a line: the file and what is wrong)."""

    path: Path
    problems: list[str] = field(default_factory=list)


def write_report(grades_csv: Path, out_html: Path, *, results_dir: Path | None = None,
                 similarity_csv: Path | None = None) -> ReportWritten:
    """Write the report page for a batch's grades.csv (and its results/ folder when there).

    A result file that cannot be read is left out and named, on the page and in the answer.
    """
    grades_csv = Path(grades_csv)
    out_html = check_output_path(out_html)
    grades = read_grades(grades_csv, require=(*REQUIRED, "duration_s"))
    if results_dir is None and (grades_csv.parent / "results").is_dir():
        results_dir = grades_csv.parent / "results"
    results, problems = _load_results(Path(results_dir)) if results_dir is not None else ([], [])
    similarity = _read_similarity(Path(similarity_csv)) if similarity_csv is not None else None
    assignment = next((r.get("assignment") for r in results if r.get("assignment")), grades_csv.parent.name)
    title = f"Grading report: {assignment}"
    sections = [
        _summary(grades),
        _histogram_section(grades),
        _checks_section(grades, results),
        _slowest_section(grades),
        _problems_section(grades),
        _review_section(grades),
        _cell_errors_section(results),
        _metrics_section(grades),
        _late_section(grades),
        _similarity_section(similarity, similarity_csv),
        _unread_section(problems),
    ]
    body = "\n".join(s for s in sections if s)
    page = (f'<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">\n<title>{_e(title)}</title>\n'
            f"<style>{CSS}</style>\n</head>\n<body>\n<h1>{_e(title)}</h1>\n"
            f'<p class="muted">From {_e(grades_csv.name)}: {len(grades)} submissions.</p>\n{body}\n</body>\n</html>\n')
    return ReportWritten(write_atomic(out_html, page), problems)


def _e(value: object) -> str:
    return html.escape(str(value))


def _num(value: float, digits: int = 2) -> str:
    if pd.isna(value):
        return ""
    return f"{float(value):.{digits}f}".rstrip("0").rstrip(".") or "0"


# --- inputs -------------------------------------------------------------------------------------

def _load_results(folder: Path) -> tuple[list[dict], list[str]]:
    """Every readable result file of the folder, and a line for each one that is not (never the whole report)."""
    if not folder.is_dir():
        raise ExportError(f"{folder}: no such results folder")
    results, problems = [], []
    for path in sorted(folder.glob("*.json")):
        try:
            data = parse_json_bounded(path.read_bytes(), source=path, max_bytes=RESULT_BYTES_CAP,
                                      what="not a result file from grade batch", error=ExportError)
        except OSError as e:
            problems.append(f"{path}: cannot be read ({e.strerror})")
            continue
        except ExportError as e:
            problems.append(str(e))
            continue
        if not isinstance(data, dict) or not _well_formed(data):
            problems.append(f"{path}: not a result file from grade batch")
            continue
        results.append(data)
    return results, problems


def _well_formed(result: dict) -> bool:
    """The fields the report reads have the types grade batch writes (a forged file can hold anything)."""
    checks, errors = result.get("checks", []), result.get("cell_errors", [])
    return (isinstance(checks, list) and isinstance(errors, list)
            and all(isinstance(c, dict) and isinstance(c.get("id"), str) and isinstance(c.get("status", ""), str)
                    for c in checks))


def _read_similarity(path: Path) -> pd.DataFrame:
    table = read_text_csv(path, missing="no such similarity file")
    for column in ("a", "b", "score", "regions"):
        if column not in table.columns:
            raise ExportError(f"{path}: missing column {column} (want a, b, score, regions)")
    try:
        table["score"] = pd.to_numeric(table["score"]).astype(float)
    except (ValueError, TypeError) as e:
        raise ExportError(f"{path}: column score holds a value that is not a number ({e})") from e
    return table.sort_values("score", ascending=False, kind="stable").reset_index(drop=True)


# --- plots --------------------------------------------------------------------------------------

def _svg(draw, *, size: tuple[float, float]) -> str:
    """Draw on a fresh Figure (object API, Agg canvas) and return inline SVG markup."""
    import matplotlib
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    with matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": "autograder-report", "font.size": 10}):
        figure = Figure(figsize=size, layout="constrained")
        FigureCanvasAgg(figure)
        draw(figure)
        buffer = io.StringIO()
        figure.savefig(buffer, format="svg")
    text = buffer.getvalue()
    return text[text.index("<svg"):]


def _histogram(grades: pd.DataFrame) -> str:
    top = max(float(grades["max"].fillna(0).max()), float(grades["total"].fillna(0).max()), 1.0) \
        if len(grades) else 1.0
    bins = [i * top / 20 for i in range(21)] if top > 30 else [i - 0.5 for i in range(int(top) + 2)]
    graded = grades["status"] == "graded"

    def draw(figure):
        axes = figure.add_subplot()
        axes.hist([grades.loc[graded, "total"].dropna(), grades.loc[~graded, "total"].dropna()], bins=bins,
                  stacked=True, color=[COLORS["graded"], COLORS["other"]], label=["graded", "timeout / error"])
        axes.set_xlabel("total points")
        axes.set_ylabel("submissions")
        figure.legend(loc="outside upper center", ncols=2, frameon=False)

    return _svg(draw, size=(7, 3.2))


def _pass_rate_plot(stats: pd.DataFrame) -> str:
    def draw(figure):
        axes = figure.add_subplot()
        names = list(stats["check"])[::-1]
        left = [0.0] * len(names)
        for kind in ("passed", "partial", "failed"):
            share = list((100 * stats[kind] / stats["n"].clip(lower=1)))[::-1]
            axes.barh(names, share, left=left, color=COLORS[kind], label=kind)
            left = [a + b for a, b in zip(left, share)]
        axes.set_xlim(0, 100)
        axes.set_xlabel("% of submissions")
        figure.legend(loc="outside upper center", ncols=3, frameon=False)

    return _svg(draw, size=(7, 1.2 + 0.35 * max(len(stats), 1)))


# --- sections -----------------------------------------------------------------------------------

def _table(header: list[str], rows: list[list[str]], numeric: set[int] = frozenset()) -> str:
    head = "".join(f"<th>{_e(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f'<td class="num">{c}</td>' if i in numeric else f"<td>{c}</td>"
                                    for i, c in enumerate(row)) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _summary(grades: pd.DataFrame) -> str:
    status = grades["status"]
    totals = grades["total"].dropna()
    figures = [("submissions", len(grades)), ("graded", int((status == "graded").sum())),
               ("timed out", int((status == "timeout").sum())), ("errors", int(status.str.startswith("error").sum())),
               ("mean total", _num(totals.mean()) if len(totals) else "-"),
               ("median total", _num(totals.median()) if len(totals) else "-"),
               ("max points", _num(grades["max"].max()) if grades["max"].notna().any() else "-")]
    items = "".join(f'<div class="figure"><b>{_e(v)}</b>{_e(k)}</div>' for k, v in figures)
    return f'<section id="summary"><h2>Summary</h2><div class="figures">{items}</div></section>'


def _histogram_section(grades: pd.DataFrame) -> str:
    return f'<section id="totals"><h2>Totals</h2><div class="plot">{_histogram(grades)}</div></section>'


def _shown_status(check: dict) -> str:
    """The check's status, ``partial`` when some but not all of its points were earned."""
    try:
        earned, full = float(check.get("points", 0) or 0), float(check.get("max_points", 0) or 0)
    except (TypeError, ValueError):
        return str(check.get("status", "failed"))
    status = str(check.get("status", "failed"))
    return "partial" if status != "passed" and 0 < earned < full else status


def check_stats(grades: pd.DataFrame, results: list[dict]) -> tuple[pd.DataFrame, bool]:
    """Per check: submissions passed, partial, failed; exact from results, else inferred from points."""
    checks = check_columns(grades)
    rows = []
    if results:
        seen: dict[str, Counter] = {}
        maxima: dict[str, float] = {}
        for result in results:
            for check in result.get("checks", []):
                if isinstance(check, dict) and "id" in check:
                    seen.setdefault(check["id"], Counter())[_shown_status(check)] += 1
                    maxima[check["id"]] = float(check.get("max_points", 0) or 0)
        for name in [*(c for c in checks if c in seen), *(c for c in seen if c not in checks)]:
            counts = seen.get(name, Counter())
            n = sum(counts.values())
            rows.append({"check": name, "n": n, "passed": counts["passed"], "partial": counts["partial"],
                         "failed": n - counts["passed"] - counts["partial"], "max_points": maxima.get(name)})
        exact = True
    else:
        for name in checks:
            values = grades[name].fillna(0.0)
            full = float(values.max()) if len(values) else 0.0
            passed = int((values >= full).sum()) if full > 0 else 0
            partial = int(((values > 0) & (values < full)).sum())
            rows.append({"check": name, "n": len(values), "passed": passed, "partial": partial,
                         "failed": len(values) - passed - partial, "max_points": full or None})
        exact = False
    stats = pd.DataFrame(rows, columns=["check", "n", "passed", "partial", "failed", "max_points"])
    stats["pass_rate"] = [100.0 * p / n if n else 0.0 for p, n in zip(stats["passed"], stats["n"])]
    return stats, exact


def _checks_section(grades: pd.DataFrame, results: list[dict]) -> str:
    stats, exact = check_stats(grades, results)
    if stats.empty:
        return '<section id="checks"><h2>Checks</h2><p>No check columns in grades.csv.</p></section>'
    note = ("" if exact else '<p class="muted">No results folder: full marks on a check are taken to be the best '
            "score anyone got on it. Give the results folder for exact pass rates.</p>")
    rows = [[f"<code>{_e(r.check)}</code>", _num(r.pass_rate, 1) + "%", str(r.passed), str(r.partial), str(r.failed),
             _num(r.max_points) if r.max_points is not None and not pd.isna(r.max_points) else ""]
            for r in stats.sort_values("pass_rate", kind="stable").itertuples()]
    table = _table(["check", "pass rate", "passed", "partial", "failed", "points"], rows, {1, 2, 3, 4, 5})
    return (f'<section id="checks"><h2>Pass rate per check</h2>{note}<div class="plot">{_pass_rate_plot(stats)}'
            f"</div>{table}</section>")


def _slowest_section(grades: pd.DataFrame) -> str:
    slow = grades.sort_values("duration_s", ascending=False, kind="stable").head(SLOWEST)
    rows = [[_e(r["student_id"]), _num(r["duration_s"], 1), _e(r["status"])] for _, r in slow.iterrows()]
    return (f'<section id="slowest"><h2>Slowest submissions</h2>'
            f"{_table(['student', 'seconds', 'status'], rows, {1})}</section>")


def _problems_section(grades: pd.DataFrame) -> str:
    bad = grades[grades["status"] != "graded"]
    if bad.empty:
        return '<section id="problems"><h2>Timed out or errored</h2><p>None: every submission ran.</p></section>'
    notes = bad["notes"] if "notes" in bad.columns else pd.Series("", index=bad.index)
    rows = [[_e(r["student_id"]), f'<span class="bad">{_e(r["status"])}</span>', _num(r["total"]),
             _num(r["duration_s"], 1), f"<pre>{_e(note)}</pre>"] for (_, r), note in zip(bad.iterrows(), notes)]
    return (f'<section id="problems"><h2>Timed out or errored ({len(bad)})</h2>'
            f"{_table(['student', 'status', 'total', 'seconds', 'notes'], rows, {2, 3})}</section>")


def _review_section(grades: pd.DataFrame) -> str:
    """Rows flagged for review (e.g. an implausibly high accuracy): a look, not a penalty."""
    if "review" not in grades.columns:
        return ""
    flagged = grades[grades["review"].str.strip() != ""]
    if flagged.empty:
        return '<section id="review"><h2>To review</h2><p>None: no result was flagged.</p></section>'
    rows = [[_e(r["student_id"]), _num(r["total"]), f"<pre>{_e(r['review'])}</pre>"] for _, r in flagged.iterrows()]
    return (f'<section id="review"><h2>To review ({len(flagged)})</h2>'
            '<p class="muted">Flagged, never penalised: check how these were trained.</p>'
            f"{_table(['student', 'total', 'why'], rows, {1})}</section>")


def _cell_errors_section(results: list[dict]) -> str:
    counts: Counter = Counter()
    students: Counter = Counter()
    for result in results:
        seen = set()
        for error in result.get("cell_errors", []) or []:
            if isinstance(error, dict):
                line = str(error.get("evalue", "")).strip().splitlines()
                key = f"{error.get('ename', 'Error')}: {line[0] if line else ''}"[:200]
                counts[key] += 1
                seen.add(key)
        students.update(seen)
    if not counts:
        return ""
    rows = [[f"<code>{_e(k)}</code>", str(students[k]), str(n)] for k, n in counts.most_common(15)]
    more = len(counts) - 15
    tail = f'<p class="muted">{more} other errors not shown.</p>' if more > 0 else ""
    return (f'<section id="cell-errors"><h2>Most common errors in notebook cells</h2>'
            f"{_table(['error', 'submissions', 'cells'], rows, {1, 2})}{tail}</section>")


def _metrics_section(grades: pd.DataFrame) -> str:
    metrics = metric_columns(grades)
    if not metrics:
        return ""
    rows = []
    for name in metrics:
        values = grades[name].dropna()
        rows.append([_e(name), str(len(values))] + [_num(getattr(values, f)(), 4) if len(values) else ""
                                                    for f in ("mean", "median", "min", "max")])
    return (f'<section id="metrics"><h2>Metrics</h2>'
            f"{_table(['metric', 'n', 'mean', 'median', 'min', 'max'], rows, {1, 2, 3, 4, 5})}</section>")


def _late_section(grades: pd.DataFrame) -> str:
    if not late_columns_present(grades):
        return ""
    late = grades[grades["late_by"] != ""]
    penalised = grades[grades["late_penalty"].fillna(0) > 0]
    rows = [[_e(r["student_id"]), _e(r["late_by"]), _num(r["late_penalty"]), _num(r["raw_total"]), _num(r["total"])]
            for _, r in late.iterrows()]
    return (f'<section id="late"><h2>Late submissions ({len(late)}, {len(penalised)} penalised)</h2>'
            f"{_table(['student', 'late by', 'penalty', 'raw total', 'total'], rows, {2, 3, 4})}</section>")


def _unread_section(problems: list[str]) -> str:
    if not problems:
        return ""
    items = "".join(f"<li><code>{_e(p)}</code></li>" for p in problems)
    return (f'<section id="unread"><h2>Result files left out ({len(problems)})</h2>'
            f'<p class="muted">Pass rates and cell errors above are without them.</p><ul>{items}</ul></section>')


def _similarity_section(similarity: pd.DataFrame | None, source: Path | None) -> str:
    if similarity is None:
        return ""
    flagged = (similarity["flagged"].astype(str).str.strip().str.lower().isin(("true", "1", "yes"))
               if "flagged" in similarity.columns else pd.Series(False, index=similarity.index))
    shown = similarity.head(max(SIMILAR_PAIRS, int(flagged.sum())))
    rows = [[_e(r["a"]), _e(r["b"]), _num(r["score"], 3), '<span class="bad">flagged</span>' if flagged[i] else "",
             f"<pre>{_e(r['regions'])}</pre>"] for i, r in shown.iterrows()]
    more = len(similarity) - len(shown)
    tail = f'<p class="muted">{more} less similar pairs are in {_e(source)}.</p>' if more > 0 else ""
    return (f'<section id="similarity"><h2>Similar submissions ({len(similarity)} pairs, {int(flagged.sum())} '
            f"flagged)</h2>{_table(['a', 'b', 'score', '', 'regions'], rows, {2})}{tail}</section>")
