"""One student's files from an LMS download: copied into a folder of their own, their
``.zip`` unpacked, and the one code file to grade chosen.

The chosen file is the assignment's file name (``01_logic_gates.ipynb`` or ``.py``),
else the only notebook, else the only module. Rival code files are set aside, so the
folder holds exactly one submission for the grader; no choice is ever guessed: when
none can be made, the reason names the files found.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from autograder.batch import archive
from autograder.errors import SubmissionError
from autograder.grading.submissions import CODE_SUFFIXES, IGNORED

RESUBMITTED = re.compile(r"-\d+(?=\.[^.]+$)")  # Canvas: "01_logic_gates-1.ipynb", a file uploaded again


def gather(dest: Path, files: list[tuple[Path, str]], *, wanted: tuple[str, ...], set_aside: Path) -> tuple[Path | None, str]:
    """Copy ``files`` ((source, path inside the folder)) into the new folder ``dest``, unpack the
    student's .zip files, and choose the file to grade.

    Returns ``(dest, "")`` when ``dest`` now holds one submission, else ``(None, reason)``.
    """
    dest.mkdir(parents=True)
    for source, rel in files:
        parts = archive.safe_parts(resubmitted_name(rel, wanted))
        if parts is None:
            return None, f"the file name {rel[:100]!r} is not usable"
        target = dest.joinpath(*parts)
        if target.exists():
            return None, f"two files named {rel[:100]!r} in this submission"
        if source.is_symlink() or not source.is_file():
            return None, f"{rel[:100]!r} is a link or special file"
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)
    for packed in sorted(p for p in dest.rglob("*") if p.is_file() and p.suffix.lower() == ".zip"):
        try:
            archive.extract_zip(packed, packed.with_suffix(""), limits=archive.STUDENT_LIMITS)
        except SubmissionError as e:
            return None, f"{packed.name}: {str(e).split(': ', 1)[-1]}"
        except FileExistsError:
            return None, f"{packed.name} unpacks over a file of the same name"
        packed.unlink()
    chosen, problem = choose_file(dest, wanted)
    if chosen is None:
        return None, problem
    return _isolate(chosen, dest, set_aside), ""


def resubmitted_name(rel: str, wanted: tuple[str, ...]) -> str:
    """``01_logic_gates-1.ipynb`` -> ``01_logic_gates.ipynb`` when that is the assignment's file name."""
    plain = RESUBMITTED.sub("", rel)
    return plain if plain != rel and Path(plain).name in wanted else rel


def choose_file(folder: Path, wanted: tuple[str, ...]) -> tuple[Path | None, str]:
    """The code file to grade in a student's folder: the assignment's file name, else the only
    notebook, else the only module; or None and the reason (naming the files)."""
    code = sorted(p for p in folder.rglob("*") if p.is_file() and p.suffix in CODE_SUFFIXES
                  and not set(p.relative_to(folder).parts) & IGNORED and not p.name.startswith("."))
    named = [p for name in wanted for p in code if p.name == name]
    if named:
        return named[0], ""
    notebooks = [p for p in code if p.suffix == ".ipynb"]
    if len(notebooks) == 1:
        return notebooks[0], ""
    if not notebooks and len(code) == 1:
        return code[0], ""
    if not code:
        found = sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())
        return None, "no notebook (.ipynb) or module (.py) in the submission" + (f" (files: {_names(found)})" if found else "")
    names = _names([p.relative_to(folder).as_posix() for p in (notebooks or code)])
    expected = " or ".join(wanted) or "one file"
    return None, f"several files could be the submission ({names}); none is named {expected}"


def _names(names: list[str]) -> str:
    shown = ", ".join(n[:80] for n in names[:10])
    return shown + (f" and {len(names) - 10} more" if len(names) > 10 else "")


def _isolate(chosen: Path, dest: Path, set_aside: Path) -> Path:
    """``dest`` made to hold the chosen file as its only candidate: a folder inside the student's
    .zip becomes the submission, and other notebooks (for a module, other modules too) go to ``set_aside``."""
    if chosen.parent != dest:
        set_aside.parent.mkdir(parents=True, exist_ok=True)
        dest.rename(set_aside)
        (set_aside / chosen.parent.relative_to(dest)).rename(dest)
        chosen = dest / chosen.name
    rivals = [p for p in dest.iterdir() if p != chosen and p.is_file()
              and (p.suffix == ".ipynb" or (chosen.suffix == ".py" and p.suffix == ".py"))]
    for rival in rivals:
        (set_aside / "rivals").mkdir(parents=True, exist_ok=True)
        rival.rename(set_aside / "rivals" / rival.name)
    return dest
