"""Intake: turn what an LMS hands out into one entry per student.

``grade batch SUBS`` reads SUBS as today's layout (``SUBS/<id>.ipynb|.py|<id>/``)
or as the download of an LMS, the ``.zip`` itself or its extracted folder:

- ``canvas``: "Download Submissions", flat files
  ``{name}_[late_|LATE_]{user id}_{submission id}_{original name}`` (a ``-1``, ``-2``
  before the suffix of a resubmitted file); the id is the Canvas user id.
- ``moodle``: "Download all submissions", folders (or flat files) named
  ``{Full Name}_{participant id}_assignsubmission_file_``; the id is the participant id.
- ``blackboard``: "Assignment File Download",
  ``{Assignment}_{username}_attempt_{YYYY-MM-DD-HH-MM-SS}_{file}`` and a ``.txt``
  receipt per attempt (``Name: Full Name (username)``); the id is the username.
- ``gradescope``: "Export Submissions", ``submission_metadata.yml`` and one
  ``submission_<id>/`` folder per submission; the id is the submitter's SID, else email.
- ``classroom``: ``gh classroom clone student-repos``, ``{assignment}-{github username}/``
  repositories; the id is the GitHub username.

Each student's files are copied into a folder of their own (their ``.zip``
unpacked safely), one code file is chosen (the assignment's file name, else the
only notebook, else the only module), and whatever cannot be read is listed,
never dropped silently. Submission times come from the download (Gradescope,
Blackboard), never from file times.
"""

from __future__ import annotations

import os
import re
import shutil
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from pathlib import Path

from autograder.batch import archive, student_files
from autograder.errors import SubmissionError, UsageError
from autograder.grading.submissions import CODE_SUFFIXES, IGNORED, submissions_by_student

LAYOUTS = ("canvas", "moodle", "blackboard", "gradescope", "classroom", "plain")
MARKER = ".grade-intake"
GRADESCOPE_METADATA = "submission_metadata.yml"
MAX_METADATA_BYTES = 20 * 2**20
SAFE_ID = re.compile(r"[A-Za-z0-9][\w.@+-]{0,99}")

CANVAS = re.compile(r"(?P<name>[^_/]+)_(?:(?P<late>late|LATE)_)?(?P<uid>\d+)_(?P<sub>\d+)_(?P<orig>.+)")
MOODLE = re.compile(r"(?P<name>.+)_(?P<pid>\d+)_assignsubmission_(?P<plugin>[a-z]+)_(?P<orig>.*)")
BLACKBOARD = re.compile(r"(?P<head>.+)_attempt_(?P<stamp>\d{4}-\d\d-\d\d-\d\d-\d\d-\d\d)(?:_(?P<orig>.+)|(?P<receipt>\.txt))")


@dataclass
class Entry:
    """One student of a download: where their submission is, or why it cannot be graded."""

    student_id: str
    name: str = ""
    path: Path | None = None  # the student's folder (LMS layouts) or today's file or folder
    submitted_at: str | None = None  # ISO 8601 with a timezone, as the LMS recorded it
    status: str = ""  # empty when gradable, else "error: ..." (that student's row)
    late: bool = False  # the LMS marked it late (Canvas)
    source: Path | None = None  # what of SUBS it was read from, when not ``path`` itself (a plain <id>.zip)
    status_ko: str = ""  # ``status`` in Korean, for the student's result ("오류: ...")


@dataclass
class Skipped:
    item: str  # a file or folder of the download
    reason: str


@dataclass
class Intake:
    """What was read from SUBS: the layout, one entry per student, and what was left out."""

    layout: str
    entries: list[Entry]
    skipped: list[Skipped] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        """A line per item of the download left out, and the notes (students who cannot be
        graded are rows of grades.csv with their status, and the batch summary lists them)."""
        return [f"skipped {shown(s.item)}: {shown(s.reason)}" for s in self.skipped] + self.notes


@dataclass
class _Student:
    name: str = ""
    files: list[tuple[Path, str]] = field(default_factory=list)  # (source, path inside the student's folder)
    submitted_at: datetime | None = None
    late: bool = False


def read_download(subs: Path, workdir: Path, *, layout: str | None = None, wanted: tuple[str, ...] = (),
                  timezone: tzinfo | None = None) -> Intake:
    """Read SUBS (a folder or a .zip download); LMS layouts are copied into ``workdir``.

    ``wanted`` are the assignment's file names (e.g. ``01_logic_gates.ipynb``), tried
    first when a student handed in several code files. ``timezone`` places the
    times of downloads that carry none (Blackboard's attempt stamps).
    """
    subs, workdir = Path(subs), Path(workdir)
    if layout is not None and layout not in LAYOUTS:
        raise UsageError(f"--layout must be one of {', '.join(LAYOUTS)}, not {layout!r}")
    if subs.is_file() and subs.suffix.lower() == ".zip":
        _fresh(workdir)
        archive.extract_zip(subs, workdir / "download")
        root = _single_folder(workdir / "download")
    elif subs.is_dir():
        root = subs
    else:
        raise SubmissionError(f"{subs}: no such folder or .zip download")
    layout = layout or detect_layout(root)
    if layout == "plain":
        return _plain(root, workdir, wanted, fresh=not subs.is_file())
    if not subs.is_file():
        _fresh(workdir)
    students, skipped, notes = READERS[layout](root, timezone)
    skipped = _links(root) + skipped
    if not students:
        raise SubmissionError(f"{subs}: no student submissions found in this {layout} download"
                              + (f" ({len(skipped)} entries skipped, e.g. {skipped[0].item}: {skipped[0].reason})" if skipped else ""))
    entries = []
    for sid in sorted(students):
        if not SAFE_ID.fullmatch(sid):
            skipped.append(Skipped(sid[:100], "the id is not usable as a file name"))
            continue
        entries.append(_materialise(sid, students[sid], workdir, wanted))
    return Intake(layout, entries, skipped, notes)


def _plain(root: Path, workdir: Path, wanted: tuple[str, ...], *, fresh: bool) -> Intake:
    """Today's layout, ``<id>.ipynb|.py|<id>/``, plus ``<id>.zip`` (unpacked into ``workdir``)."""
    zips = [p for p in _listing(root) if p.is_file() and p.suffix.lower() == ".zip"]
    try:
        groups = submissions_by_student(root)
    except SubmissionError:
        if not zips:
            raise
        groups = {}
    entries, set_aside = [], []
    for sid, paths in groups.items():
        entry, rivals = _one_of(sid, paths)
        entries.append(entry)
        set_aside += rivals
    skipped = [Skipped(p.name, "not a notebook (.ipynb), module (.py), folder or .zip") for p in _listing(root)
               if p.is_file() and p.suffix not in CODE_SUFFIXES and p.suffix.lower() != ".zip" and p.name != "manifest.csv"]
    skipped += set_aside
    if not zips:
        return Intake("plain", entries, skipped)
    if fresh:
        _fresh(workdir)
    ids = {e.student_id for e in entries}
    for packed in zips:
        if packed.stem in ids:
            skipped.append(Skipped(packed.name, f"{packed.stem} handed in another submission too; the .zip is not graded"))
        elif not SAFE_ID.fullmatch(packed.stem):
            skipped.append(Skipped(packed.name, "the id is not usable as a file name"))
        else:
            entries.append(_materialise(packed.stem, _Student(files=[(packed, packed.name)]), workdir, wanted))
            entries[-1].source = packed
    return Intake("plain", sorted(entries, key=lambda e: e.student_id), skipped)


def _one_of(sid: str, paths: list[Path]) -> tuple[Entry, list[Skipped]]:
    """A student with several entries in today's layout (``kim.ipynb`` and ``kim.py``): the
    notebook is graded and the rest set aside; anything else is that student's status."""
    if len(paths) == 1:
        return Entry(sid, path=paths[0]), []
    notebooks = [p for p in paths if p.is_file() and p.suffix == ".ipynb"]
    if len(notebooks) == 1 and all(p.is_file() for p in paths):
        chosen = notebooks[0]
        return Entry(sid, path=chosen), [Skipped(p.name, f"{sid} also handed in {chosen.name}, which is graded")
                                         for p in paths if p != chosen]
    names = ", ".join(p.name + ("/" if p.is_dir() else "") for p in paths)
    return Entry(sid, status=f"error: several files could be the submission ({names}); hand in one",
                 status_ko=f"오류: 제출물일 수 있는 파일이 여럿입니다 ({names}). 하나만 제출하세요"), []


def detect_layout(root: Path) -> str:
    """The LMS a downloaded folder comes from, by its file and folder names."""
    names = [p.name for p in _listing(root)]
    if GRADESCOPE_METADATA in names:
        return "gradescope"
    if any(MOODLE.fullmatch(n) for n in names):
        return "moodle"
    if any(BLACKBOARD.fullmatch(n) for n in names):
        return "blackboard"
    folders = [p for p in _listing(root) if p.is_dir()]
    if folders and (root.name.endswith("-submissions") or all((p / ".git").exists() for p in folders)) \
            and len(folders) == len(names) and _classroom_prefix(root, folders):
        return "classroom"
    if any(CANVAS.fullmatch(p.name) for p in _listing(root) if p.is_file()):
        return "canvas"
    return "plain"


def _listing(root: Path) -> list[Path]:
    """What a download folder holds, links left out (see :func:`_links`)."""
    return sorted(p for p in root.iterdir() if p.name not in archive.JUNK and not p.name.startswith(".")
                  and not p.is_symlink())


def _links(root: Path) -> list[Skipped]:
    return [Skipped(p.name, "a link, not followed") for p in sorted(root.iterdir()) if p.is_symlink()]


def _single_folder(root: Path) -> Path:
    """Descend into the one folder a download's .zip wraps everything in (Gradescope, Classroom)."""
    entries = _listing(root)
    return entries[0] if len(entries) == 1 and entries[0].is_dir() else root


def _fresh(workdir: Path) -> None:
    """An empty work folder; one left by an earlier batch (it has the marker) is replaced."""
    if workdir.exists():
        if not (workdir / MARKER).is_file():
            raise UsageError(f"{workdir}: exists and was not made by grade batch; move it away")
        shutil.rmtree(workdir)
    workdir.mkdir(parents=True)
    (workdir / MARKER).write_text("made by grade batch: the unpacked download, replaced on every run\n", encoding="utf-8")


# ---- one reader per LMS: (students by id, skipped, notes) ----

def _canvas(root: Path, timezone: tzinfo | None):
    students: dict[str, _Student] = {}
    skipped = []
    for path in _listing(root):
        match = CANVAS.fullmatch(path.name) if path.is_file() else None
        if match is None:
            skipped.append(Skipped(path.name, "not a Canvas submission name ({name}_{user id}_{submission id}_{file})"))
            continue
        student = students.setdefault(match["uid"], _Student(name=match["name"]))
        student.late = student.late or bool(match["late"])
        student.files.append((path, match["orig"]))
    return students, skipped, []


def _moodle(root: Path, timezone: tzinfo | None):
    students: dict[str, _Student] = {}
    skipped = []
    for path in _listing(root):
        match = MOODLE.fullmatch(path.name)
        if match is None:
            skipped.append(Skipped(path.name, "not a Moodle submission name ({Full Name}_{participant id}_assignsubmission_file_)"))
            continue
        if match["plugin"] != "file":
            skipped.append(Skipped(path.name, f"a Moodle {match['plugin']} submission, not a file"))
            continue
        student = students.setdefault(match["pid"], _Student(name=match["name"]))
        if path.is_dir() and not match["orig"]:
            student.files += _tree(path, skipped)
        elif path.is_file() and match["orig"]:
            student.files.append((path, match["orig"]))
        else:
            skipped.append(Skipped(path.name, "neither a submission folder nor a submitted file"))
    return students, skipped, []


def _blackboard(root: Path, timezone: tzinfo | None):
    receipts = {}  # (head, stamp) -> (username, name) from "Name: Full Name (username)"
    attempts: dict[tuple[str, str], list[tuple[Path, str]]] = {}
    skipped = []
    for path in _listing(root):
        match = BLACKBOARD.fullmatch(path.name) if path.is_file() else None
        if match is None:
            skipped.append(Skipped(path.name, "not a Blackboard attempt name ({Assignment}_{username}_attempt_{date}_{file})"))
        elif match["receipt"]:
            receipts[(match["head"], match["stamp"])] = _receipt_name(path)
        else:
            attempts.setdefault((match["head"], match["stamp"]), []).append((path, match["orig"]))
    latest: dict[str, tuple[str, _Student]] = {}
    for (head, stamp), files in sorted(attempts.items(), key=lambda kv: kv[0][1]):
        username, name = receipts.get((head, stamp)) or (head.rsplit("_", 1)[-1], "")
        if not head.endswith(f"_{username}"):
            username, name = head.rsplit("_", 1)[-1], ""
        if username in latest:
            skipped += [Skipped(p.name, f"an earlier attempt of {username}") for p, _ in latest[username][1].files]
        when = datetime.strptime(stamp, "%Y-%m-%d-%H-%M-%S")
        latest[username] = (stamp, _Student(name=name, files=files, submitted_at=when.replace(tzinfo=timezone) if timezone else None))
    notes = [] if timezone or not latest else [
        "Blackboard's attempt times carry no timezone: give --timezone (e.g. Asia/Seoul) or a late policy to use them"]
    return {user: student for user, (_, student) in latest.items()}, skipped, notes


def _receipt_name(path: Path) -> tuple[str, str] | None:
    try:
        text = path.read_bytes()[:65536].decode("utf-8", errors="replace")
    except OSError:
        return None
    match = re.search(r"^Name:\s*(?P<name>.*?)\s*\((?P<user>[^()\s]+)\)\s*$", text, re.MULTILINE)
    return (match["user"], match["name"]) if match else None


def _gradescope(root: Path, timezone: tzinfo | None):
    import yaml

    meta_path = root / GRADESCOPE_METADATA
    if meta_path.stat().st_size > MAX_METADATA_BYTES:
        raise SubmissionError(f"{meta_path}: larger than {MAX_METADATA_BYTES // 2**20} MB")
    try:
        meta = yaml.safe_load(meta_path.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as e:
        raise SubmissionError(f"{meta_path}: not readable YAML ({str(e).splitlines()[0]})") from None
    if not isinstance(meta, dict):
        raise SubmissionError(f"{meta_path}: not a mapping of submission folders")
    students: dict[str, _Student] = {}
    skipped = []
    for folder, info in meta.items():
        folder = str(folder)
        people = info.get(":submitters") if isinstance(info, dict) else None
        if not isinstance(people, list) or archive.safe_parts(folder) != (folder,) or not (root / folder).is_dir():
            skipped.append(Skipped(folder, f"listed in {GRADESCOPE_METADATA} without submitters or a folder"))
            continue
        files = _tree(root / folder, skipped)
        for person in people:
            person = person if isinstance(person, dict) else {}
            sid = str(person.get(":sid") or person.get(":email") or "").strip()
            if not sid:
                skipped.append(Skipped(folder, "a submitter without SID or email"))
                continue
            students[sid] = _Student(name=str(person.get(":name") or ""), files=files,
                                     submitted_at=_gradescope_time(info.get(":created_at")))
    listed = {str(k) for k in meta}
    skipped += [Skipped(p.name, f"not listed in {GRADESCOPE_METADATA}") for p in _listing(root)
                if p.name not in listed and p.name != GRADESCOPE_METADATA]
    return students, skipped, []


def _gradescope_time(value) -> datetime | None:
    if isinstance(value, datetime):
        return value if value.tzinfo else None
    match = re.fullmatch(r"(\d{4}-\d\d-\d\d)[ T](\d\d:\d\d:\d\d)(?:\.\d+)?\s*(Z|[+-]\d\d:?\d\d)", str(value or "").strip())
    if not match:
        return None
    zone = "+00:00" if match[3] == "Z" else match[3] if ":" in match[3] else f"{match[3][:3]}:{match[3][3:]}"
    return datetime.fromisoformat(f"{match[1]}T{match[2]}{zone}")


def _classroom(root: Path, timezone: tzinfo | None):
    folders = [p for p in _listing(root) if p.is_dir()]
    prefix = _classroom_prefix(root, folders)
    students: dict[str, _Student] = {}
    skipped = [Skipped(p.name, "not a repository folder") for p in _listing(root) if not p.is_dir()]
    for path in folders:
        if not prefix or not path.name.startswith(prefix) or len(path.name) == len(prefix):
            skipped.append(Skipped(path.name, f"not named {prefix or '{assignment}-'}{{github username}}"))
            continue
        students[path.name[len(prefix):]] = _Student(files=_tree(path, skipped))
    return students, skipped, []


def _classroom_prefix(root: Path, folders: list[Path]) -> str:
    """``{assignment}-``: from the ``{assignment}-submissions`` folder, else shared by every repository."""
    if root.name.endswith("-submissions") and len(root.name) > len("-submissions"):
        return root.name[: -len("submissions")]
    if len(folders) < 2:
        return ""
    common = os.path.commonprefix([p.name for p in folders])
    return common[: common.rfind("-") + 1]


READERS = {"canvas": _canvas, "moodle": _moodle, "blackboard": _blackboard, "gradescope": _gradescope,
           "classroom": _classroom}


def _tree(folder: Path, skipped: list[Skipped]) -> list[tuple[Path, str]]:
    """Every regular file under ``folder`` (links are listed as skipped, never followed)."""
    files = []
    for here, dirs, names in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if d not in IGNORED and d not in archive.JUNK)
        for name in sorted(names):
            path = Path(here) / name
            rel = path.relative_to(folder).as_posix()
            if name in archive.JUNK:
                continue
            if path.is_symlink() or not path.is_file():
                skipped.append(Skipped(f"{folder.name}/{rel}", "a link or special file, not copied"))
                continue
            files.append((path, rel))
        for d in list(dirs):
            if (Path(here) / d).is_symlink():
                skipped.append(Skipped(f"{folder.name}/{(Path(here) / d).relative_to(folder).as_posix()}", "a link, not followed"))
                dirs.remove(d)
    return files



def _materialise(sid: str, student: _Student, workdir: Path, wanted: tuple[str, ...]) -> Entry:
    """Copy a student's files into ``workdir/students/<id>/`` and choose the file to grade."""
    when = student.submitted_at.isoformat() if student.submitted_at else None
    path, problem = student_files.gather(workdir / "students" / sid, student.files, wanted=wanted,
                                         set_aside=workdir / "set_aside" / sid)
    en, ko = problem or ("", "")
    return Entry(sid, shown(student.name), path, when, f"error: {shown(en, limit=500)}" if en else "", student.late,
                 status_ko=f"오류: {shown(ko, limit=500)}" if ko else "")


def shown(text: str, *, limit: int = 200) -> str:
    """A name from a download as it may be printed: control characters escaped, length bounded."""
    text = str(text)
    escaped = "".join(c if c.isprintable() else f"\\x{ord(c):02x}" for c in text[:limit])
    return escaped + ("..." if len(text) > limit else "")
