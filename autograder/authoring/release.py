"""``grade release``: the folder students receive, and proof that it holds no secrets.

A release is what the course publishes: the engine (the ``autograder``
package), ``assignments/`` (templates, READMEs, public checks, and ``_ci/``,
the workflow template of students' submission repositories), a README for
students, a ``pyproject.toml`` so ``pip install DIR`` installs ``grade``, and
the course's ``.github/workflows`` where it has them. Nothing comes from
``solutions/`` or ``rubrics/`` (hidden checks, their thresholds, held-out data,
mutants). Before the release is put in place every file of it, the engine's
too, is searched for every solution function body, every hidden check name and
every file of ``solutions/`` and ``rubrics/``; a leak stops the release.
"""

from __future__ import annotations

import ast
import hashlib
import json
import os
import re
import shutil
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import autograder
from autograder.grading.course import MARKER, list_assignments, marker_text
from autograder.errors import GradingError, UsageError
from autograder.grading.rubric import load_rubric
from autograder.grading.submissions import read_notebook_cells

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

DISTRIBUTION = "course-autograder"
SKIPPED_NAMES = {"mutants", "__pycache__", ".ipynb_checkpoints", ".pytest_cache", ".DS_Store"}
SECRET_PLACES = ("solutions", "rubrics")
MIN_IDENTICAL_BYTES = 32  # smaller files (an empty __init__.py) may be identical by chance
STUDENT_EXTRAS = ("keras",)
SHIPPED_FOLDERS = ("_ci",)  # assignments/_ci: the workflow template of students' submission repositories


@dataclass
class Release:
    """What ``build_release`` wrote."""

    folder: Path
    files: list[str]  # relative paths, sorted
    assignments: list[str]
    skipped: list[str] = field(default_factory=list)  # things left out on purpose, with the reason


class ReleaseLeak(GradingError):
    """The release would contain a solution, a hidden check or a file from rubrics/ or solutions/."""


def build_release(course_root: Path, out: Path, *, title: str | None = None) -> Release:
    """Build the student release of the course at ``course_root`` into ``out`` (absent or empty).

    Raises UsageError when ``out`` is not empty or lies inside the course's
    assignments, and ReleaseLeak (leaving ``out`` as it was) when a secret would be shipped.
    """
    course_root, out = Path(course_root).resolve(), Path(out).resolve()
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise UsageError(f"{out}: already exists and is not empty; give a new or empty folder")
    for inside in [course_root / "assignments", *(course_root / p for p in SECRET_PLACES), _engine_folder()]:
        if out == inside or inside in out.parents:
            raise UsageError(f"{out}: a release cannot be built inside {inside}")
    out.parent.mkdir(parents=True, exist_ok=True)
    assignments = list_assignments(course_root)
    skipped: list[str] = []
    staging = Path(tempfile.mkdtemp(prefix=".release-", dir=out.parent))
    try:
        _copy_tree(_engine_folder(), staging / "autograder", skipped)
        _copy_assignments(course_root / "assignments", staging / "assignments", [a.name for a in assignments], skipped)
        for assignment in assignments:  # so one assignment folder alone (a student's repository) can be checked
            (staging / "assignments" / assignment.name / MARKER).write_text(marker_text(assignment), encoding="utf-8")
        _copy_workflows(course_root / ".github" / "workflows", staging / ".github" / "workflows", skipped)
        (staging / "README.md").write_text(student_readme(course_root, title), encoding="utf-8")
        (staging / "pyproject.toml").write_text(release_pyproject(staging / "autograder"), encoding="utf-8")
        leaks = find_leaks(staging, course_root)
        if leaks:
            more = f" (and {len(leaks) - 1} more)" if len(leaks) > 1 else ""
            raise ReleaseLeak(f"release not written: {leaks[0]}{more}")
        if out.exists():
            out.rmdir()
        os.replace(staging, out)
    finally:
        if staging.exists():
            shutil.rmtree(staging)
    files = sorted(str(p.relative_to(out)) for p in out.rglob("*") if p.is_file())
    return Release(out, files, [a.name for a in assignments], skipped)


def _engine_folder() -> Path:
    """The running engine's package: what students install is exactly what grades them."""
    return Path(autograder.__file__).resolve().parent


def _skip(path: Path) -> bool:
    return path.name in SKIPPED_NAMES or path.suffix in (".pyc", ".pyo")


def _copy_tree(source: Path, target: Path, skipped: list[str]) -> None:
    target.mkdir(parents=True, exist_ok=True)
    for entry in sorted(source.iterdir()):
        if _skip(entry):
            if entry.name == "mutants":
                skipped.append(f"{entry}: known-buggy variants stay with the instructor")
            continue
        if entry.is_symlink():
            skipped.append(f"{entry}: a link (copy the file itself if students need it)")
        elif entry.is_dir():
            _copy_tree(entry, target / entry.name, skipped)
        elif entry.is_file():
            shutil.copy2(entry, target / entry.name)


def _copy_assignments(source: Path, target: Path, names: list[str], skipped: list[str]) -> None:
    """Every assignment folder, the files directly in assignments/ (its README) and the shipped extras."""
    target.mkdir(parents=True)
    for entry in sorted(source.iterdir()):
        if entry.is_file() and not entry.name.startswith(".") and not _skip(entry):
            shutil.copy2(entry, target / entry.name)
        elif entry.is_dir() and (entry.name in names or entry.name in SHIPPED_FOLDERS):
            _copy_tree(entry, target / entry.name, skipped)
        elif entry.is_dir():
            skipped.append(f"{entry}: not an assignment (names starting with _ or . are the instructor's)")


def _copy_workflows(source: Path, target: Path, skipped: list[str]) -> None:
    """The course's CI workflows, except those that need solutions/ or rubrics/ (they cannot run in public)."""
    if not source.is_dir():
        return
    for entry in sorted(p for p in source.iterdir() if p.is_file()):
        text = entry.read_text(encoding="utf-8", errors="replace")
        if any(f"{place}/" in text for place in SECRET_PLACES):
            skipped.append(f"{entry}: uses solutions/ or rubrics/, which a release does not have")
            continue
        target.mkdir(parents=True, exist_ok=True)
        shutil.copy2(entry, target / entry.name)


# --- what students read and install -------------------------------------------------


def student_readme(course_root: Path, title: str | None = None) -> str:
    """The release's README.md: set-up, how to check one's work, the assignments (Korean and English)."""
    rows, keras_names = [], []
    for assignment in list_assignments(course_root):
        public = assignment.rubric_path("public")
        rubric_path = public if public.exists() else assignment.rubric_path("hidden")
        rubric = load_rubric(rubric_path) if rubric_path.exists() else None
        if rubric and "keras" in rubric.requires:
            keras_names.append(assignment.name)
        checks = f"{len(rubric.checks)}" if rubric and public.exists() else "-"
        rows.append(f"| `{assignment.name}` | {rubric.title if rubric else assignment.name} | {checks} |")
    install = "python -m pip install '.[keras]'" if keras_names else "python -m pip install ."
    needing = ", ".join(keras_names)
    keras_note = (f"{needing}: TensorFlow와 Keras가 필요합니다 / need TensorFlow and Keras: "
                  f"`python -m pip install '{DISTRIBUTION}[keras]'`.\n") if keras_names else ""
    example = list_assignments(course_root)[0].name if rows else "01_logic_gates"
    return f"""# {title or "과제 / Assignments"}

## 설치 / Set-up

이 폴더 전체를 받았다면 / With this whole folder:

```bash
{install}
```

과제 폴더 하나만 받았다면 (GitHub Classroom 저장소) / With one assignment folder only (a GitHub Classroom repository):

```bash
python -m pip install {DISTRIBUTION}            # 또는 강의에서 받은 .whl 파일 / or the course's .whl file
```

{keras_note}
`grade check`와 `grade ci`는 과제 폴더 안 어디에서나 동작합니다 (`{MARKER}` 파일이 과제 이름을 알려 줍니다).
`grade check` and `grade ci` work from anywhere inside an assignment folder (its `{MARKER}` names the assignment).
과제 폴더 밖의 강의 저장소를 쓰려면 / To use a course checkout elsewhere: `GRADE_COURSE=/path/to/course grade check`.

## 내 과제 확인하기 / Checking your work

```bash
cd assignments/{example}
grade check                     # 이 폴더의 노트북에 공개 검사를 실행 / runs the public checks on this folder's notebook
grade check --lang en           # 영어로 / in English
```

공개 검사는 채점 검사의 일부입니다. 모두 통과해도 만점이 보장되지는 않습니다.
The public checks are a part of the grading checks: passing them all does not guarantee full marks.

## 과제 목록 / Assignments

| 과제 / assignment | 제목 / title | 공개 검사 / public checks |
|---|---|---|
{chr(10).join(rows)}
"""


def release_pyproject(engine: Path) -> str:
    """A pyproject.toml that installs the engine and ``grade`` (students' extras only)."""
    project = _engine_project()
    dependencies = project.get("dependencies", [])
    extras = {k: v for k, v in project.get("optional-dependencies", {}).items() if k in STUDENT_EXTRAS}
    data = sorted({str(p.relative_to(engine).parent / f"*{p.suffix}") for p in engine.rglob("*")
                   if p.is_file() and p.suffix not in (".py", ".pyc")})
    lines = [
        "[build-system]",
        'requires = ["setuptools>=68"]',
        'build-backend = "setuptools.build_meta"',
        "",
        "[project]",
        f"name = {_toml(DISTRIBUTION)}",
        f"version = {_toml(autograder.__version__)}",
        f"description = {_toml('Course assignments and the grade command to check them')}",
        'readme = "README.md"',
        f"requires-python = {_toml(project.get('requires-python', '>=3.10'))}",
        f"dependencies = {_toml(dependencies)}",
        "",
        "[project.optional-dependencies]",
        *(f"{name} = {_toml(value)}" for name, value in extras.items()),
        "",
        "[project.scripts]",
        'grade = "autograder.cli.entry:main"',
        "",
        "[tool.setuptools.packages.find]",
        'include = ["autograder*"]',
        "",
        "[tool.setuptools.package-data]",
        f"autograder = {_toml([d.removeprefix('./') for d in data])}",
    ]
    return "\n".join(lines) + "\n"


def _engine_project() -> dict:
    """The engine's [project] table: from its pyproject.toml in a checkout, else from installed metadata."""
    source = _engine_folder().parent / "pyproject.toml"
    if source.exists():
        project = tomllib.loads(source.read_text(encoding="utf-8")).get("project", {})
        if project.get("name") == DISTRIBUTION:
            return project
    from importlib import metadata

    try:
        meta = metadata.metadata(DISTRIBUTION)
        requires = metadata.requires(DISTRIBUTION) or []
    except metadata.PackageNotFoundError as e:
        raise GradingError(f"cannot tell the engine's dependencies: {DISTRIBUTION} is not installed") from e
    plain = [r for r in requires if "extra ==" not in r]
    extras: dict[str, list[str]] = {}
    for requirement in requires:
        if "extra ==" in requirement:
            spec, marker = requirement.split(";", 1)
            name = marker.split("extra ==")[1].strip().strip("'\"")
            rest = " and ".join(m.strip() for m in marker.split(" and ") if "extra ==" not in m)
            extras.setdefault(name, []).append(spec.strip() + (f"; {rest}" if rest else ""))
    return {"dependencies": plain, "optional-dependencies": extras,
            "requires-python": meta.get("Requires-Python") or ">=3.10"}


def _toml(value) -> str:
    """A TOML string or array of strings (JSON's escapes are valid TOML basic strings)."""
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    return "[" + ", ".join(json.dumps(v, ensure_ascii=False) for v in value) + "]"


# --- the search for secrets ---------------------------------------------------------


def normalise(text: str) -> str:
    return " ".join(text.split())


def solution_bodies(course_root: Path) -> dict[str, str]:
    """Each solution function's body (docstring left out, whitespace normalised) -> where it comes from.

    A body that also appears in the assignment's template is code students are
    given, not a solution, and is left out.
    """
    found: dict[str, str] = {}
    for path in sorted((Path(course_root) / "solutions").glob("*/*")):
        if path.suffix == ".py":
            sources = [path.read_text(encoding="utf-8", errors="replace")]
        elif path.suffix == ".ipynb":
            sources = [c["source"] for c in read_notebook_cells(path)]
        else:
            continue
        template = Path(course_root) / "assignments" / path.parent.name / f"{path.parent.name}.ipynb"
        given = _searchable(template) if template.exists() else ""
        for source in sources:
            for name, body in _function_bodies(source):
                if body and body not in given:
                    found.setdefault(body, f"solution {name}() of {path.relative_to(course_root)}")
    return found


def _function_bodies(source: str) -> list[tuple[str, str]]:
    try:
        tree = ast.parse(source)
    except SyntaxError:  # a notebook cell with magics
        return []
    lines = source.splitlines()
    bodies = []
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            body = node.body[1:] if ast.get_docstring(node) is not None else node.body
            if body:
                text = "\n".join(lines[body[0].lineno - 1: body[-1].end_lineno])
                bodies.append((node.name, normalise(text)))
    return bodies


def hidden_check_names(course_root: Path) -> set[str]:
    """Test functions of the hidden checks (rubrics/*/test_*.py) that are not also public check names."""
    course_root = Path(course_root)
    hidden = _test_functions(course_root.glob("rubrics/*/test_*.py"))
    public = _test_functions(course_root.glob("assignments/*/checks/test_*.py"))
    return hidden - public


def _test_functions(paths) -> set[str]:
    names = set()
    for path in paths:
        try:
            tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        except SyntaxError as e:
            raise GradingError(f"{path}: syntax error on line {e.lineno}: {e.msg}") from e
        names.update(n.name for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))
                     and n.name.startswith("test"))
    return names


def _searchable(path: Path) -> str:
    """A file's text, whitespace normalised; a notebook's code cells too (its JSON escapes them)."""
    text = path.read_text(encoding="utf-8", errors="replace")
    if path.suffix == ".ipynb":
        try:
            text += "\n" + "\n".join(c["source"] for c in read_notebook_cells(path))
        except GradingError:
            pass
    return normalise(text)


def find_leaks(folder: Path, course_root: Path) -> list[str]:
    """Every solution body, hidden check name and secret file found in ``folder``, as sentences."""
    folder, course_root = Path(folder), Path(course_root)
    bodies = solution_bodies(course_root)
    names = hidden_check_names(course_root)
    secret_files = {}
    for place in SECRET_PLACES:
        for path in sorted((course_root / place).rglob("*")):
            if path.is_file() and path.stat().st_size >= MIN_IDENTICAL_BYTES:
                secret_files.setdefault(hashlib.sha256(path.read_bytes()).hexdigest(), path.relative_to(course_root))
    leaks = []
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        relative = path.relative_to(folder)
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        if digest in secret_files:
            leaks.append(f"{relative} is a copy of {secret_files[digest]}")
            continue
        text = _searchable(path)
        leaks += [f"{relative} contains the {where}" for body, where in bodies.items() if body in text]
        leaks += [f"{relative} names the hidden check {name}" for name in sorted(names)
                  if re.search(rf"\b{re.escape(name)}\b", text)]
    return leaks
