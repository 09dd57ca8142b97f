"""rubric.toml: points per check, limits, parameters. Validated when loaded."""

from __future__ import annotations

import ast
import functools
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from autograder.engine.limits import Limits
from autograder.errors import RubricError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

LANGUAGES = ("ko", "en")


@dataclass
class Rubric:
    """Points and limits for one suite of checks (hidden or public)."""

    path: Path
    title: str
    checks: dict[str, float]  # check id (test function name) -> points, in rubric order
    limits: Limits = field(default_factory=Limits)
    language: str = "ko"
    requires: list[str] = field(default_factory=list)
    params: dict[str, Any] = field(default_factory=dict)
    model_file: str | None = None
    late: dict[str, Any] = field(default_factory=dict)

    @property
    def folder(self) -> Path:
        return self.path.parent

    @property
    def max_points(self) -> float:
        return sum(self.checks.values())

    def test_files(self) -> list[Path]:
        return sorted(self.folder.glob("test_*.py"))


def load_rubric(path: Path) -> Rubric:
    """Read and validate a rubric.toml; every error names the file and the key."""
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise RubricError(f"{path}: no such rubric file") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as e:
        raise RubricError(f"{path}: not valid TOML ({e})") from e
    assignment = _table(data, "assignment", path)
    checks = _table(data, "checks", path)
    if not checks:
        raise RubricError(f"{path}: [checks] is empty: give each check its points")
    points = {}
    for name, value in checks.items():
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
            raise RubricError(f"{path}: checks.{name} must be a non-negative number of points, not {value!r}")
        points[name] = float(value)
    limits = Limits()
    for key, value in _table(data, "limits", path).items():
        if key not in vars(limits):
            raise RubricError(f"{path}: limits.{key} is not a known limit ({', '.join(vars(limits))})")
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
            raise RubricError(f"{path}: limits.{key} must be a positive number, not {value!r}")
        setattr(limits, key, type(getattr(limits, key))(value))
    language = assignment.get("language", "ko")
    if language not in LANGUAGES:
        raise RubricError(f"{path}: assignment.language must be one of {', '.join(LANGUAGES)}, not {language!r}")
    requires = assignment.get("requires", [])
    if not isinstance(requires, list) or not all(isinstance(r, str) for r in requires):
        raise RubricError(f"{path}: assignment.requires must be a list of names")
    params = _table(data, "params", path)
    model_file = params.get("model_file")
    if model_file is not None and (not isinstance(model_file, str) or "/" in model_file or model_file.startswith(".")):
        raise RubricError(f"{path}: params.model_file must be a plain file name, not {model_file!r}")
    return Rubric(path, str(assignment.get("title", path.parent.name)), points, limits, language, requires, params,
                  model_file, _table(data, "late", path))


def _table(data: dict, key: str, path: Path) -> dict:
    value = data.get(key, {})
    if not isinstance(value, dict):
        raise RubricError(f"{path}: [{key}] must be a table")
    return value


def check_names(rubric: Rubric) -> list[str]:
    """The test functions defined in the rubric's test files (read, not imported)."""
    names = []
    for test_file in rubric.test_files():
        stat = test_file.stat()
        names += _test_functions(str(test_file), stat.st_size, stat.st_mtime_ns)
    return names


@functools.lru_cache(maxsize=256)
def _test_functions(test_file: str, size: int, mtime_ns: int) -> list[str]:
    """Parsed once per version of the file: a batch asks for every submission."""
    try:
        tree = ast.parse(Path(test_file).read_text(encoding="utf-8"), filename=test_file)
    except SyntaxError as e:
        raise RubricError(f"{test_file}: syntax error on line {e.lineno}: {e.msg}") from e
    return [n.name for n in tree.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)) and n.name.startswith("test")]


def validate_against_checks(rubric: Rubric) -> None:
    """Every check has points and every points entry names a check."""
    names = check_names(rubric)
    if not names:
        raise RubricError(f"{rubric.folder}: no test_*.py checks next to {rubric.path.name}")
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise RubricError(f"{rubric.folder}: check {duplicates[0]} is defined twice")
    unknown = [n for n in rubric.checks if n not in names]
    if unknown:
        raise RubricError(f"{rubric.path}: checks.{unknown[0]} has points but no test function of that name exists")
    missing = [n for n in names if n not in rubric.checks]
    if missing:
        raise RubricError(f"{rubric.path}: check {missing[0]} has no points in [checks]")
