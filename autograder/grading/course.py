"""Where a course's assignments, solutions and rubrics live."""

from __future__ import annotations

import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path

from autograder.errors import AssignmentNotFound, GradingError, RubricError
from autograder.grading.rubric import Rubric, load_rubric, validate_against_checks

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

SUITES = ("hidden", "public")
MARKER = "grade-assignment.toml"  # written by `grade release` into each assignment folder


@dataclass(frozen=True)
class Assignment:
    """One assignment of a course; ``home`` is set for a released assignment folder on its own."""

    name: str
    course_root: Path
    home: Path | None = None

    @property
    def folder(self) -> Path:
        return self.home or self.course_root / "assignments" / self.name

    def rubric_path(self, suite: str) -> Path:
        if suite == "hidden":
            return self.course_root / "rubrics" / self.name / "rubric.toml"
        return self.folder / "checks" / "rubric.toml"

    def rubric(self, suite: str) -> Rubric:
        """The validated rubric of a suite; public checks carry the hidden rubric's runtime needs."""
        path = self.rubric_path(suite)
        if not path.exists():
            where = "rubrics/" if suite == "hidden" else "assignments/NAME/checks/"
            raise GradingError(f"{path}: assignment {self.name} has no {suite} checks (looked in {where})")
        rubric = load_rubric(path)
        validate_against_checks(rubric)
        return rubric


def find_course_root(start: Path | None = None) -> Path:
    """The course repository: $GRADE_COURSE, else the nearest folder above with assignments/."""
    root = _course_above(start)
    if root is None:
        here = (start or Path.cwd()).resolve()
        raise GradingError(f"{here}: not inside a course (no assignments/ folder and no {MARKER} here or above; "
                           "run it inside an assignment folder, or set GRADE_COURSE to the course's folder)")
    return root


def _course_above(start: Path | None, *, package_fallback: bool = True) -> Path | None:
    if os.environ.get("GRADE_COURSE"):
        return Path(os.environ["GRADE_COURSE"]).resolve()
    here = (start or Path.cwd()).resolve()
    for folder in [here, *here.parents]:
        if (folder / "assignments").is_dir() and ((folder / "rubrics").is_dir() or (folder / "pyproject.toml").exists()):
            return folder
    package_parent = Path(__file__).resolve().parents[2]  # autograder/grading/course.py -> the checkout
    if package_fallback and (package_parent / "assignments").is_dir():  # a development checkout
        return package_parent
    return None


def released_assignment(start: Path) -> Assignment | None:
    """The released assignment folder (holding MARKER) that ``start`` is in, else None."""
    here = start.resolve()
    for folder in [here, *here.parents]:
        marker = folder / MARKER
        if marker.is_file():
            try:
                name = tomllib.loads(marker.read_text(encoding="utf-8"))["assignment"]["name"]
            except (tomllib.TOMLDecodeError, UnicodeDecodeError, KeyError, TypeError) as e:
                raise RubricError(f"{marker}: not an assignment marker written by grade release ({e})") from e
            if not isinstance(name, str) or not name:
                raise RubricError(f"{marker}: assignment.name must be the assignment's name")
            return Assignment(name, folder, home=folder)
    return None


def marker_text(assignment: Assignment) -> str:
    """MARKER's content: the assignment's name; its public checks are in checks/ beside it."""
    return ("# Written by `grade release`: `grade check` and `grade ci` read this folder's assignment from here\n"
            "# and run the public checks in checks/ beside it. Keep it in the repository.\n"
            f"[assignment]\nname = {json.dumps(assignment.name)}\n")


def assignments_for(start: Path | None) -> list[Assignment]:
    """What ``grade check`` and ``grade ci`` can grade from ``start`` (a folder; default: here).

    $GRADE_COURSE or a course tree above wins; else a released assignment folder
    (holding MARKER) above ``start`` or the current folder; else the development
    checkout this package runs from.
    """
    root = _course_above(start, package_fallback=False)
    if root is not None:
        return list_assignments(root)
    for place in dict.fromkeys([(start or Path.cwd()).resolve(), Path.cwd().resolve()]):
        released = released_assignment(place)
        if released is not None:
            return [released]
    return list_assignments(find_course_root(start))


def list_assignments(course_root: Path) -> list[Assignment]:
    folder = course_root / "assignments"
    names = sorted(p.name for p in folder.iterdir() if p.is_dir() and not p.name.startswith(("_", ".")))
    return [Assignment(n, course_root) for n in names]


def get_assignment(name: str, course_root: Path) -> Assignment:
    known = list_assignments(course_root)
    for assignment in known:
        if assignment.name == name:
            return assignment
    names = ", ".join(a.name for a in known) or "none"
    raise AssignmentNotFound(f"unknown assignment {name!r} in {course_root} (known: {names})")


def guess_assignment(path: Path, known: list[Assignment]) -> Assignment:
    """The assignment a student's file belongs to: its name, or its folder's name (or the only one)."""
    by_name = {a.name: a for a in known}
    for candidate in (path.stem, path.name, path.parent.name):
        if candidate in by_name:
            return by_name[candidate]
    if len(known) == 1 and known[0].home is not None:  # a released assignment folder knows its assignment
        return known[0]
    raise AssignmentNotFound(f"{path}: cannot tell which assignment this is; name it with -a ({', '.join(by_name)})")


def _pick(name: str, known: list[Assignment]) -> Assignment:
    for assignment in known:
        if assignment.name == name:
            return assignment
    raise AssignmentNotFound(f"unknown assignment {name!r} (known: {', '.join(a.name for a in known) or 'none'})")


def resolve_check_target(path: Path | None, name: str | None) -> tuple[Path, Assignment]:
    """What ``grade check`` and ``grade ci`` grade: a file or folder, and its assignment."""
    from autograder.errors import UsageError

    if path is not None and not path.exists():
        raise UsageError(f"{path}: no such file or folder")
    start = None if path is None else (path if path.is_dir() else path.resolve().parent)
    known = assignments_for(start)
    if path is None:
        here = Path.cwd()
        candidates = [_pick(name, known)] if name else known
        found = [(folder / f"{a.name}{suffix}", a) for a in candidates for suffix in (".ipynb", ".py")
                 for folder in dict.fromkeys([here, a.home or here]) if (folder / f"{a.name}{suffix}").exists()]
        found = found[:1] if len(found) == 2 and found[0][0].resolve() == found[1][0].resolve() else found
        if len(found) == 1:
            return found[0]
        if not found:
            names = ", ".join(f"{a.name}.ipynb" for a in candidates)
            others = sorted(p.name for p in here.glob("*.ipynb"))
            seen = f" (found {', '.join(others)})" if others else " (no notebook here)"
            raise UsageError(f"{here}: none of {names} here{seen}; rename it or pass the file to check")
        raise UsageError(f"{here}: more than one submission here ({', '.join(p.name for p, _ in found)}); pass the file to check")
    assignment = _pick(name, known) if name else guess_assignment(path.resolve(), known)
    return path, assignment


# What a rubric's ``requires`` needs installed: importable modules, and the words for the extra.
RUNTIMES = {"keras": (("tensorflow", "keras"), "TensorFlow and Keras", "TensorFlow와 Keras", "keras")}


def require_runtime(assignment: Assignment, suite: str) -> None:
    """Stop, before any student code runs, when the assignment needs packages this Python lacks.

    Looks the modules up without importing them (the trusted side never imports TensorFlow).
    """
    for need in assignment.rubric(suite).requires:
        modules, english, korean, extra = RUNTIMES.get(need, ((), "", "", ""))
        if not all(_installed(m) for m in modules):
            install = f"pip install 'course-autograder[{extra}]'"
            raise GradingError(f"{assignment.name}: 이 과제는 {korean}가 필요합니다: {install} / "
                               f"this assignment needs {english}: {install}")


def _installed(module: str) -> bool:
    import importlib.util

    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        return False
