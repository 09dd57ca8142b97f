"""Grade a folder of submissions in parallel, remembering what is done.

Each submission is graded in a pool process (the trusted side), which starts
the submission's own sandboxed worker. Finished results go to a journal as
they complete, so a killed batch resumes where it stopped; ``grades.csv`` is
written once, atomically, at the end.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import threading
import uuid
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

from autograder import __version__
from autograder.engine import sandbox
from autograder.engine.client import forks
from autograder.files import csv_text, safe_file_name
from autograder.grading.course import Assignment
from autograder.errors import BatchInterrupted, GradingError, UsageError
from autograder.grading.grade import GradeOptions
from autograder.engine import lifetime
from autograder.batch import pool
from autograder.batch.intake import Entry, Intake, read_download
from autograder.batch.late import apply_late, download_times, late_policy, read_submission_times
from autograder.grading.results import SubmissionResult
from autograder.grading.submissions import content_hash, student_id_of

if TYPE_CHECKING:
    import pandas as pd

JOURNAL_NAME = ".grade-journal.sqlite"
FIXED_COLUMNS = ("total", "max", "percent", "status", "graded_by", "sandbox", "duration_s")
DASK_CHUNK = 4  # submissions per Dask task at most: three of four worker starts hidden behind checks
GRADER_FAILED = "error: the grader failed on this submission"
GRADER_FAILED_KO = "오류: 채점기가 이 제출물에서 실패했습니다 (학생 잘못이 아니며 다시 채점됩니다)"


@dataclass
class BatchSummary:
    """What a batch did: the results in student order and where they were written."""

    results: list[SubmissionResult]
    csv_path: Path
    graded: int = 0  # graded in this run
    reused: int = 0  # taken from the journal
    errors: list[str] = field(default_factory=list)  # the grader failed on a submission (not journaled: rerun)
    warnings: list[str] = field(default_factory=list)  # about the batch as a whole, e.g. back-datable times
    intake: Intake | None = None  # the layout read, and what of the download was left out


def run_batch(subs_dir: Path, assignment: Assignment, out_csv: Path, *, options: GradeOptions | None = None,
              jobs: int | None = None, force: bool = False, scheduler: str | None = None,
              manifest: Path | None = None, on_result: Callable[[SubmissionResult, bool], None] | None = None,
              layout: str | None = None, timezone: str | None = None,
              on_start: Callable[[int], None] | None = None) -> BatchSummary:
    """Grade every submission in ``subs_dir`` and write ``out_csv`` and ``results/<id>.json`` beside it.

    ``subs_dir`` is today's folder of submissions or an LMS download (its .zip or
    folder; see :mod:`autograder.batch.intake`), unpacked into ``intake/`` beside
    ``out_csv``; ``layout`` forces how it is read. ``timezone`` (an IANA name)
    places download times that carry none (default: the late policy's).

    With ``scheduler`` (a Dask scheduler address) submissions are graded on that
    cluster's workers instead of a local process pool; the journal stays local.
    """
    from autograder.batch import journal as journal_mod

    options = options or GradeOptions()
    out_csv = Path(out_csv)
    if out_csv.is_dir():
        raise UsageError(f"{out_csv}: is a folder; give the grades CSV's file name")
    rubric = assignment.rubric(options.suite)  # a broken rubric stops the batch before anything runs
    policy = late_policy(rubric.late, source=rubric.path)
    jobs = max(1, jobs or os.cpu_count() or 1)
    if options.threads <= 1:
        options.threads = max(1, (os.cpu_count() or 1) // jobs)
    # A local pool's forkserver and zygote start while the download is read (and stop with the batch).
    with contextlib.nullcontext() if scheduler else pool.starting(assignment, options) as shared:
        intake = read_download(Path(subs_dir), out_csv.parent / "intake", layout=layout,
                               wanted=(f"{assignment.name}.ipynb", f"{assignment.name}.py"),
                               timezone=_zone(timezone) or (policy.due.tzinfo if policy else None))
        people = {e.student_id: e for e in intake.entries}
        paths = [e.path for e in intake.entries if not e.status]
        from_files: list[str] = []  # students timed by file modification time
        if intake.layout == "plain" and Path(subs_dir).is_dir():
            found = read_submission_times(Path(subs_dir), manifest, paths=[e.source or e.path for e in intake.entries
                                                                          if e.source or e.path])
            times, from_files = found.times, found.from_files
        else:
            times = download_times({e.student_id: e.submitted_at for e in intake.entries}, manifest)
        results_dir = out_csv.parent / "results"
        results_dir.mkdir(parents=True, exist_ok=True)  # missing folders of -o are made, as grade feedback does
        key = journal_mod.grade_key(rubric, options, sandbox=sandbox.sandbox_mode())
        results: dict[str, SubmissionResult] = {}
        summary = BatchSummary([], out_csv, intake=intake)
        if policy is not None and from_files:
            summary.warnings.append(_file_times_warning(from_files))
        for entry in intake.entries:
            if entry.status:  # cannot be graded (several candidate files, a broken .zip): its row says why
                results[entry.student_id] = SubmissionResult(entry.student_id, assignment.name, str(entry.path or ""), "",
                                                             entry.status, engine_version=__version__,
                                                             submitted_at=times.get(entry.student_id),
                                                             status_ko=entry.status_ko)
                _write_json(results_dir / f"{safe_file_name(entry.student_id)}.json", results[entry.student_id])
        if on_start:  # progress: how many submissions will be graded or taken from the journal
            on_start(len(paths))
        with journal_mod.Journal(out_csv.parent / JOURNAL_NAME) as journal:
            todo = []
            for path in paths:
                sid = student_id_of(path)
                known = None if force else journal.lookup(sid, content_hash(path), key, __version__)
                if known is not None:
                    results[sid] = SubmissionResult.from_dict(known)
                    results[sid].submitted_at = times.get(sid)
                    summary.reused += 1
                    if on_result:
                        on_result(results[sid], True)
                else:
                    todo.append(path)
            graded = (_on_dask(todo, assignment, options, scheduler) if scheduler
                      else pool.graded(todo, assignment, options, jobs, shared))
            # The CSV needs pandas (0.2 s to import): imported while the pool starts, not before it or at the end.
            threading.Thread(target=__import__, args=("pandas",), name="grade-import-pandas", daemon=True).start()
            try:
                for path, result in _as_results(graded, assignment, summary.errors):
                    result.submitted_at = times.get(result.student_id)
                    results[result.student_id] = result
                    _keep(result, path, results_dir, journal, key, summary.errors)
                    summary.graded += 1
                    if on_result:
                        on_result(result, False)
            except KeyboardInterrupt:  # Ctrl-C, or SIGTERM/SIGHUP under lifetime.stop_on_signals
                done = summary.graded + summary.reused
                signum = lifetime.stop_signal()
                how = "interrupted" if signum == signal.SIGINT else f"stopped by {signal.Signals(signum).name}"
                raise BatchInterrupted(f"{how}: {done} of {len(paths)} submissions are graded and kept in the journal "
                                       f"({out_csv.parent / JOURNAL_NAME}); run the same command again to grade the rest",
                                       signum=signum) from None
            finally:
                graded.close()  # a stopped batch stops its pool now, not whenever the generator is collected
        summary.results = [results[e.student_id] for e in intake.entries]
        frame = grades_frame(summary.results, rubric.checks, people=people)
        if policy is not None:
            frame = apply_late(frame, policy)
        journal_mod.write_atomic(out_csv, lambda tmp: Path(tmp).write_text(csv_text(frame), encoding="utf-8"))
        return summary


def _keep(result: SubmissionResult, path: Path, results_dir: Path, journal, key: str, errors: list[str]) -> None:
    """Write ``results/<safe name>.json`` and journal the result, unless the grader itself failed on it.

    A grader failure (its process killed, an exception in the grader) says nothing
    about the student: it is not journaled, so the next run grades the submission again.
    A result that cannot be written becomes that student's status, never the batch's.
    """
    try:
        _write_json(results_dir / f"{safe_file_name(result.student_id)}.json", result)
    except (OSError, ValueError, RecursionError) as e:
        errors.append(f"{path}: results file not written ({type(e).__name__}: {e})")
        result.status = f"{GRADER_FAILED} (results file not written: {type(e).__name__})"
        return
    if not result.status.startswith(GRADER_FAILED):
        journal.record(result.student_id, content_hash(path), key, __version__, result.to_dict())


def _file_times_warning(students: list[str]) -> str:
    shown = ", ".join(students[:5]) + (f" and {len(students) - 5} more" if len(students) > 5 else "")
    return (f"the late policy uses file modification times for {len(students)} submission(s) ({shown}); "
            "they are easy to back-date: give --manifest with the LMS's submission times")


def _on_dask(paths: list[Path], assignment: Assignment, options: GradeOptions, scheduler: str):
    """Yield (path, finished) from an existing Dask cluster, a few submissions to a task.

    A task grades its submissions as a pool process does, each one's worker starting while
    the one before is checked (:func:`pool.one_ahead`), with the Dask worker's own zygote and
    collected checks. Its results come back together, when the task ends.
    """
    if not paths:
        return
    try:
        from distributed import Client
        from distributed import as_completed as dask_completed
    except ImportError as e:
        raise GradingError("--dask-scheduler needs the 'distributed' package (pip install 'course-autograder[scale]')") from e
    # A Dask worker has a working folder of its own: every path it is given is absolute.
    by_name = {str(p.absolute()): p for p in paths}
    options = replace(options, **{k: v.absolute() for k in ("data_dir", "heldout_dir") if (v := getattr(options, k))})
    assignment = replace(assignment, course_root=assignment.course_root.absolute(),
                         home=assignment.home and assignment.home.absolute())
    try:
        client = Client(scheduler, timeout="10s")
    except (OSError, TimeoutError) as e:
        raise GradingError(f"cannot reach the Dask scheduler at {scheduler}: {e}") from e
    with client:
        batch = uuid.uuid4().hex[:8]  # never the same key as another batch's task: its options may differ
        tasks = {}
        for i, chunk in enumerate(_chunks(paths, len(client.nthreads()), _task_size(assignment, options))):
            future = client.submit(_grade_chunk, [str(p.absolute()) for p in chunk], assignment, options,
                                   key=f"grade-{assignment.name}-{batch}-{i:05d}")
            tasks[future] = chunk
        for future in dask_completed(list(tasks)):
            try:
                ended = future.result()
            except Exception as e:  # the task itself failed (a Dask worker lost too often): its submissions' rows say so
                for path in tasks[future]:
                    yield path, pool.Finished(error=e)
                continue
            for name, kind, payload in ended:
                yield by_name[name], pool.as_finished(kind, payload)


def _task_size(assignment: Assignment, options: GradeOptions) -> int:
    """How many submissions a Dask task grades at most: DASK_CHUNK for numpy notebooks (a tenth of a second
    each), one for Keras (a minute each: each result should reach the progress line and the journal as it
    ends, and a stopped batch should leave no more than one running per Dask worker)."""
    return DASK_CHUNK if forks(assignment.rubric(options.suite).requires) else 1


def _chunks(paths: list[Path], workers: int, most: int = DASK_CHUNK) -> list[list[Path]]:
    """Submissions in tasks of up to ``most``, smaller towards the end (at most half of what is left per
    Dask worker known now), so that the workers finish together."""
    chunks, start, share = [], 0, 2 * max(1, workers)
    while start < len(paths):
        size = max(1, min(most, (len(paths) - start) // share))
        chunks.append(paths[start:start + size])
        start += size
    return chunks


def _as_results(graded, assignment: Assignment, errors: list[str]):
    """Turn finished futures into results; a grader failure on one submission becomes its row."""
    for path, future in graded:
        try:
            data = future.result()
        except GradingError:
            raise  # a course problem (rubric, data): every submission would fail the same way
        except Exception as e:  # a grader bug or a killed pool process on one submission must not sink the batch
            errors.append(f"{path}: {type(e).__name__}: {e}")
            data = _failed(path, assignment, f"{GRADER_FAILED} ({type(e).__name__}: {e})")
        yield path, SubmissionResult.from_dict(data)


def _grade_chunk(paths: list[str], assignment: Assignment, options: GradeOptions) -> list[tuple[str, str, Any]]:
    """On a Dask worker: grade ``paths`` one ahead, as a pool process does; (name, kind, payload) for each."""
    from autograder.engine import zygote

    zygote.enable()  # numpy workers are forked from this Dask worker's zygote, which it keeps between tasks
    names = iter(paths)
    return list(pool.one_ahead(lambda ahead: next(names, None), assignment, options))


def _failed(path: Path, assignment: Assignment, status: str) -> dict:
    return SubmissionResult(student_id_of(path), assignment.name, str(path), "", status, engine_version=__version__,
                            status_ko=f"{GRADER_FAILED_KO}{status[len(GRADER_FAILED):]}").to_dict()


def _write_json(path: Path, result: SubmissionResult) -> None:
    from autograder.batch.journal import write_atomic

    write_atomic(path, lambda tmp: Path(tmp).write_text(json.dumps(result.to_dict(), ensure_ascii=False, indent=1), encoding="utf-8"))


def _zone(name: str | None):
    if not name:
        return None
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise UsageError(f"--timezone {name!r} is not a known time zone (e.g. Asia/Seoul, UTC)") from None


def grades_frame(results: list[SubmissionResult], checks: dict[str, float], *,
                 people: dict[str, Entry] | None = None) -> pd.DataFrame:
    """One row per student: the LMS's id and name, points per check, totals, status, sandbox (``bwrap`` or
    ``none``), figures, hash.

    Cells keep the real values (a student id named ``=cmd|...`` included); they are
    neutralised for spreadsheets only when written (:func:`autograder.files.csv_text`).
    """
    import pandas as pd

    people = people or {}
    check_ids, max_points = list(checks), round(sum(checks.values()), 6)
    metric_names = sorted({m for r in results for m in r.metrics})
    rows = []
    for r in results:
        points = {c.id: c.points for c in r.checks}
        person = people.get(r.student_id)
        row = {"student_id": r.student_id, "name": person.name if person else ""}
        row.update({check: points.get(check, 0.0) for check in check_ids})
        row.update(total=r.total, max=max_points, percent=round(100 * r.total / max_points, 2) if max_points else 0.0, status=r.status, graded_by=r.graded_by,
                   sandbox=r.sandbox, duration_s=r.duration_s)
        row.update({m: r.metrics.get(m) for m in metric_names})
        late = "marked late by the LMS" if person is not None and person.late else ""
        row.update(notes="; ".join(n for n in (late, notes_of(r)) if n)[:500], review=r.review, content_hash=r.content_hash, submitted_at=r.submitted_at or "")
        rows.append(row)
    columns = ["student_id", "name", *check_ids, *FIXED_COLUMNS, *metric_names, "notes", "review", "content_hash", "submitted_at"]
    return pd.DataFrame(rows, columns=columns)


def notes_of(result: SubmissionResult) -> str:
    """A short line for the TA: cells that raised, checks that timed out."""
    parts = [f"cell {e.get('cell', e.get('index'))}: {e.get('ename')}" if e.get("index") is not None else f"{e.get('ename')} at import"
             for e in result.cell_errors]
    parts += [f"{c.id}: {c.status}" for c in result.checks if c.status in ("timeout", "error") and result.status == "graded"]
    return cut_at_word("; ".join(parts), 500)


def cut_at_word(text: str, limit: int) -> str:
    """``text`` if it fits, else cut at the last space before ``limit`` with an ellipsis (never mid-word)."""
    if len(text) <= limit:
        return text
    head = text[: limit - 1]
    return (head.rsplit(" ", 1)[0] if " " in head else head).rstrip(" ;,") + "…"
