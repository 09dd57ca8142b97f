"""Where a course's assignments, solutions and rubrics live."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from autograder.errors import AssignmentNotFound, GradingError
from autograder.grading.rubric import Rubric, load_rubric, validate_against_checks

SUITES = ("hidden", "public")


@dataclass(frozen=True)
class Assignment:
    name: str
    course_root: Path

    @property
    def folder(self) -> Path:
        return self.course_root / "assignments" / self.name

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
    if os.environ.get("GRADE_COURSE"):
        return Path(os.environ["GRADE_COURSE"]).resolve()
    here = (start or Path.cwd()).resolve()
    for folder in [here, *here.parents]:
        if (folder / "assignments").is_dir() and ((folder / "rubrics").is_dir() or (folder / "pyproject.toml").exists()):
            return folder
    package_parent = Path(__file__).resolve().parent.parent
    if (package_parent / "assignments").is_dir():
        return package_parent
    raise GradingError(f"{here}: not inside a course (no assignments/ folder here or above; set GRADE_COURSE)")


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


def guess_assignment(path: Path, course_root: Path) -> Assignment:
    """The assignment a student's file belongs to: its name, or its folder's name."""
    known = {a.name: a for a in list_assignments(course_root)}
    for candidate in (path.stem, path.name, path.parent.name):
        if candidate in known:
            return known[candidate]
    raise AssignmentNotFound(f"{path}: cannot tell which assignment this is; name it with -a ({', '.join(known)})")


def resolve_check_target(path: Path | None, name: str | None, course_root: Path) -> tuple[Path, Assignment]:
    """What ``grade check`` grades: a file or folder, and its assignment."""
    from autograder.errors import UsageError

    if path is None:
        here = Path.cwd()
        known = [get_assignment(name, course_root)] if name else list_assignments(course_root)
        found = [(here / f"{a.name}{suffix}", a) for a in known for suffix in (".ipynb", ".py")
                 if (here / f"{a.name}{suffix}").exists()]
        if len(found) == 1:
            return found[0]
        if not found:
            names = " or ".join(f"{a.name}.ipynb" for a in known[:3])
            raise UsageError(f"{here}: no {names} here; pass the file to check")
        raise UsageError(f"{here}: more than one submission here ({', '.join(p.name for p, _ in found)}); pass the file to check")
    if not path.exists():
        raise UsageError(f"{path}: no such file or folder")
    assignment = get_assignment(name, course_root) if name else guess_assignment(path.resolve(), course_root)
    return path, assignment
