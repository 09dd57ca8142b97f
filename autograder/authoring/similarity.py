"""``grade similarity``: pairs of submissions that are suspiciously alike.

Each submission's code (a module, or a notebook's code cells) is tokenised
and normalised by ``copydetect``: names become one letter, comments, blank
lines and formatting disappear. Its k-grams are hashed and winnowed, as MOSS
does. Every fingerprint of the template's own code (``assignments/NAME/NAME.ipynb``)
is removed first, so the code every student was given makes no one alike.

A pair's score is the mean of the two shares: how much of each submission's
own fingerprinted code is found in the other. The result is a table ranked by
score, with the matching line ranges of both sides.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd

from autograder.grading.course import Assignment
from autograder.files import csv_text, write_atomic
from autograder.errors import GradingError, UsageError
from autograder.grading.submissions import find_submissions, load_submission, read_notebook_cells, student_id_of

K = 25  # characters of normalised code per fingerprint (copydetect's noise threshold)
WINDOW = 6  # winnowing window: any match of K + WINDOW - 1 characters is found
MIN_OWN_CODE = 50  # a submission with less fingerprinted code of its own than this is not compared
MAX_CODE = 300_000  # characters; more is not code a student wrote by hand (copydetect takes ~15 s for this much)
COLUMNS = ["a", "b", "score", "score_a", "score_b", "flagged", "regions"]
MAGIC = re.compile(r"^\s*[%!]")


@dataclass
class Code:
    """A submission's code as one text, and where each piece of it came from."""

    student_id: str
    text: str
    pieces: list[tuple[int, int | None]] = field(default_factory=list)  # (offset in text, notebook cell index)

    def spans(self, start: int, end: int) -> list[tuple[int | None, int, int]]:
        """Where text[start:end] lies: (cell or None for a module, first line, last line) per piece, 1-based."""
        found = []
        ends = [offset for offset, _ in self.pieces[1:]] + [len(self.text)]
        for (offset, cell), piece_end in zip(self.pieces, ends):
            low, high = max(start, offset), min(end, piece_end)
            segment = self.text[low:high]
            if not segment.strip():
                continue
            low += len(segment) - len(segment.lstrip())
            high -= len(segment) - len(segment.rstrip())
            first = self.text.count("\n", offset, low) + 1
            found.append((cell, first, first + self.text.count("\n", low, high)))
        return found


@dataclass
class SimilarityReport:
    """Every pair with some shared code, ranked; and the submissions left out, with why."""

    pairs: pd.DataFrame
    threshold: float
    compared: int
    skipped: list[str] = field(default_factory=list)

    @property
    def flagged(self) -> pd.DataFrame:
        return self.pairs[self.pairs["flagged"]]


def find_similar(subs_dir: Path, assignment: Assignment, *, threshold: float = 0.5, k: int = K,
                 window: int = WINDOW) -> SimilarityReport:
    """Compare every pair of submissions in ``subs_dir`` (one per student, as ``grade batch`` takes them)."""
    if not 0 <= threshold <= 1:
        raise UsageError(f"the threshold is a share of code between 0 and 1, not {threshold}")
    compare_files = _copydetect().compare_files
    template = assignment.folder / f"{assignment.name}.ipynb"
    boilerplate: set[int] = set()
    if template.exists():
        boilerplate = set(_kgram_hashes(_normalised(_notebook_code("template", template).text)[0], k).tolist())
    codes, prints, skipped = [], [], []
    for path in find_submissions(Path(subs_dir)):
        try:
            code = submission_code(path)
        except GradingError as e:
            skipped.append(f"{student_id_of(path)}: {e}")
            continue
        if len(code.text) > MAX_CODE:
            skipped.append(f"{code.student_id}: more than {MAX_CODE:,} characters of code, not compared")
            continue
        fp = fingerprint(code.text, k=k, window=window, boilerplate=boilerplate)
        if fp.token_coverage < MIN_OWN_CODE:
            skipped.append(f"{code.student_id}: too little code of its own beyond the template to compare")
            continue
        codes.append(code)
        prints.append(fp)
    rows = []
    for i in range(len(codes)):
        for j in range(i + 1, len(codes)):
            overlap, (share_a, share_b), (slices_a, slices_b) = compare_files(prints[i], prints[j])
            if overlap == 0:
                continue
            score = (float(share_a) + float(share_b)) / 2
            regions = (f"{codes[i].student_id}: {_regions(codes[i], slices_a)}; "
                       f"{codes[j].student_id}: {_regions(codes[j], slices_b)}")
            rows.append({"a": codes[i].student_id, "b": codes[j].student_id, "score": round(score, 3),
                         "score_a": round(float(share_a), 3), "score_b": round(float(share_b), 3),
                         "flagged": score >= threshold, "regions": regions})
    pairs = pd.DataFrame(rows, columns=COLUMNS)
    if rows:
        pairs = pairs.sort_values(["score", "a", "b"], ascending=[False, True, True], ignore_index=True)
    return SimilarityReport(pairs.astype({"flagged": bool}), threshold, len(codes), skipped)


def submission_code(path: Path) -> Code:
    """The code of one submission: a module's text, or a notebook's code cells one after another."""
    submission = load_submission(Path(path))
    if submission.kind == "module":
        return Code(submission.student_id, _without_magics(submission.path.read_text(encoding="utf-8")), [(0, None)])
    return _notebook_code(submission.student_id, submission.path, submission.cells)


def _notebook_code(student_id: str, path: Path, cells: list[dict] | None = None) -> Code:
    text, pieces = "", []
    for cell in cells if cells is not None else read_notebook_cells(path):
        pieces.append((len(text), cell["index"]))
        text += _without_magics(cell["source"]) + "\n\n"
    return Code(student_id, text, pieces)


def _without_magics(source: str) -> str:
    """IPython magics and shell lines blanked (line numbers kept): they are not Python to tokenise."""
    return "\n".join("" if MAGIC.match(line) else line for line in source.split("\n"))


def _regions(code: Code, slices) -> str:
    """Matching slices of ``code.text`` as line ranges: ``lines 3-9`` or ``cell 2 lines 1-6``, merged."""
    spans: list[list] = []
    for start, end in zip(*(map(int, s) for s in slices)):
        for cell, first, last in code.spans(start, end):
            if spans and spans[-1][0] == cell and first <= spans[-1][2] + 1:
                spans[-1][2] = max(spans[-1][2], last)
            else:
                spans.append([cell, first, last])
    groups: list[tuple[int | None, list[str]]] = []  # consecutive spans of one cell
    for cell, first, last in spans:
        lines = f"{first}" if first == last else f"{first}-{last}"
        if groups and groups[-1][0] == cell:
            groups[-1][1].append(lines)
        else:
            groups.append((cell, [lines]))
    parts = []
    for cell, ranges in groups:
        word = "line" if ranges == [ranges[0]] and "-" not in ranges[0] else "lines"
        parts.append(f"{word} {', '.join(ranges)}" if cell is None else f"cell {cell} {word} {', '.join(ranges)}")
    return ", ".join(parts)


@dataclass
class Fingerprint:
    """A text's winnowed fingerprints, shaped as copydetect's ``compare_files`` reads them."""

    raw_code: str
    filtered_code: str
    offsets: np.ndarray  # characters removed by normalising, for mapping matches back to raw_code
    hashes: set[int]
    hash_idx: dict[int, list[int]]  # fingerprint -> where its k-grams start in filtered_code
    k: int
    token_coverage: int  # characters of filtered_code that fingerprints cover


def fingerprint(text: str, *, k: int = K, window: int = WINDOW, boilerplate: set[int] = frozenset()) -> Fingerprint:
    """Normalise ``text`` (copydetect's tokeniser), hash its k-grams, winnow, drop ``boilerplate`` hashes.

    Hashes are blake2b digests, not Python's ``hash``, so scores are the same in every run.
    """
    from copydetect.utils import get_token_coverage, winnow

    filtered, offsets = _normalised(text)
    hashes = _kgram_hashes(filtered, k)
    selected, positions = winnow(hashes, window, remove_duplicates=False) if len(hashes) else (hashes, hashes)
    where: dict[int, list[int]] = {}
    for value, position in zip(selected.tolist(), positions.tolist()):
        if value not in boilerplate:
            where.setdefault(value, []).append(position)
    coverage = int(get_token_coverage(where, k, len(filtered))) if where else 0
    return Fingerprint(text, filtered, offsets, set(where), where, k, coverage)


def _normalised(text: str) -> tuple[str, np.ndarray]:
    filter_code = _copydetect().filter_code
    return filter_code(text, "code.py", "python")


def _kgram_hashes(filtered: str, k: int) -> np.ndarray:
    digests = [hashlib.blake2b(filtered[i:i + k].encode(), digest_size=8).digest() for i in range(len(filtered) - k + 1)]
    return np.array([int.from_bytes(d, "little", signed=True) for d in digests], dtype=np.int64)


def _copydetect():
    """copydetect's tokeniser and comparison (an optional dependency, imported when used)."""
    try:
        from copydetect import detector, utils
    except ImportError as e:
        raise GradingError("grade similarity needs the 'copydetect' package (pip install 'course-autograder[scale]')") from e
    return SimpleNamespace(filter_code=utils.filter_code, compare_files=detector.compare_files)


def write_pairs(report: SimilarityReport, path: Path) -> None:
    """The ranked pairs as CSV, written atomically, cells neutralised for spreadsheets (ids are file names)."""
    path = Path(path)
    if not path.parent.is_dir():
        raise UsageError(f"{path}: the folder {path.parent} does not exist")
    write_atomic(path, lambda tmp: Path(tmp).write_text(csv_text(report.pairs), encoding="utf-8"))


def format_flagged(report: SimilarityReport, *, top: int = 10) -> str:
    """What ``grade similarity`` prints: the counts, then the most alike pairs at or above the threshold."""
    flagged = report.flagged
    lines = [f"compared {report.compared} submissions; {len(flagged)} pairs at or above {report.threshold:g}"]
    lines += [f"skipped {s}" for s in report.skipped]
    for row in flagged.head(top).itertuples():
        lines.append(f"  {row.score:.2f}  {row.a} ~ {row.b}  ({row.regions})")
    if len(flagged) > top:
        lines.append(f"  ... and {len(flagged) - top} more in the CSV")
    return "\n".join(lines)
