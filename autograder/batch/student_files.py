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
from typing import NamedTuple

from autograder.batch import archive
from autograder.errors import SubmissionError
from autograder.grading.submissions import CODE_SUFFIXES, IGNORED

RESUBMITTED = re.compile(r"-\d+(?=\.[^.]+$)")  # Canvas: "01_logic_gates-1.ipynb", a file uploaded again


class Problem(NamedTuple):
    """Why a student's files hold no one submission to grade, in English (the TA's CSV) and Korean."""

    en: str
    ko: str


def gather(dest: Path, files: list[tuple[Path, str]], *, wanted: tuple[str, ...], set_aside: Path
           ) -> tuple[Path | None, Problem | None]:
    """Copy ``files`` ((source, path inside the folder)) into the new folder ``dest``, unpack the
    student's .zip files, and choose the file to grade.

    Returns ``(dest, None)`` when ``dest`` now holds one submission, else ``(None, problem)``.
    """
    dest.mkdir(parents=True)
    for source, rel in files:
        parts = archive.safe_parts(resubmitted_name(rel, wanted))
        name = repr(rel[:100])
        if parts is None:
            return None, Problem(f"the file name {name} is not usable", f"파일 이름 {name}을(를) 쓸 수 없습니다")
        target = dest.joinpath(*parts)
        if target.exists():
            return None, Problem(f"two files named {name} in this submission", f"제출물에 {name} 파일이 둘 있습니다")
        if source.is_symlink() or not source.is_file():
            return None, Problem(f"{name} is a link or special file", f"{name}은(는) 링크나 특수 파일입니다")
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)
    for packed in sorted(p for p in dest.rglob("*") if p.is_file() and p.suffix.lower() == ".zip"):
        try:
            archive.extract_zip(packed, packed.with_suffix(""), limits=archive.STUDENT_LIMITS)
        except SubmissionError as e:  # the detail is the unpacker's, in English
            detail = str(e).split(": ", 1)[-1]
            return None, Problem(f"{packed.name}: {detail}", f"{packed.name}: 압축을 풀 수 없습니다 ({detail})")
        except FileExistsError:
            return None, Problem(f"{packed.name} unpacks over a file of the same name",
                                 f"{packed.name}을(를) 풀면 같은 이름의 파일을 덮어씁니다")
        packed.unlink()
    chosen, problem = choose_file(dest, wanted)
    if chosen is None:
        return None, problem
    return _isolate(chosen, dest, set_aside), None


def resubmitted_name(rel: str, wanted: tuple[str, ...]) -> str:
    """``01_logic_gates-1.ipynb`` -> ``01_logic_gates.ipynb`` when that is the assignment's file name."""
    plain = RESUBMITTED.sub("", rel)
    return plain if plain != rel and Path(plain).name in wanted else rel


def choose_file(folder: Path, wanted: tuple[str, ...]) -> tuple[Path | None, Problem | None]:
    """The code file to grade in a student's folder: the assignment's file name, else the only
    notebook, else the only module; or None and the reason (naming the files)."""
    code = sorted(p for p in folder.rglob("*") if p.is_file() and p.suffix in CODE_SUFFIXES
                  and not set(p.relative_to(folder).parts) & IGNORED and not p.name.startswith("."))
    named = [p for name in wanted for p in code if p.name == name]
    if named:
        return named[0], None
    notebooks = [p for p in code if p.suffix == ".ipynb"]
    if len(notebooks) == 1:
        return notebooks[0], None
    if not notebooks and len(code) == 1:
        return code[0], None
    if not code:
        found = sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())
        files = _names(found)
        return None, Problem("no notebook (.ipynb) or module (.py) in the submission" + (f" (files: {files})" if found else ""),
                             "제출물에 노트북(.ipynb)이나 모듈(.py)이 없습니다" + (f" (파일: {files})" if found else ""))
    names = _names([p.relative_to(folder).as_posix() for p in (notebooks or code)])
    expected = " or ".join(wanted) or "one file"
    return None, Problem(f"several files could be the submission ({names}); none is named {expected}",
                         f"제출물일 수 있는 파일이 여럿입니다 ({names}). {expected} 이름의 파일이 없습니다")


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
