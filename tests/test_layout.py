"""The code's layout: one folder per role, dependencies pointing down only, no import cycles."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "autograder"
LAYERS = ("engine", "grading", "batch", "exports", "authoring", "cli")
SHARED = {"errors", "files", "__init__"}  # beside the folders; import no folder
MAY_IMPORT = {
    "engine": {"engine"},
    "grading": {"grading", "engine"},
    "batch": {"batch", "grading", "engine"},
    "exports": {"exports", "grading", "engine"},
    # validate grades many submissions with the batch's pool: authoring sits above batch (never the reverse)
    "authoring": {"authoring", "batch", "grading", "engine"},
    "cli": {"cli", "batch", "exports", "authoring", "grading", "engine"},
}


def modules() -> dict[str, Path]:
    found = {}
    for path in PACKAGE.rglob("*.py"):
        parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


def imports_of(path: Path) -> set[str]:
    """The ``autograder`` modules ``path`` imports, lazily or not."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "autograder":
            for alias in node.names:
                candidate = f"{node.module}.{alias.name}"
                found.add(candidate if candidate in modules() else node.module)
        elif isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.split(".")[0] == "autograder"}
    return found


def layer_of(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


@pytest.mark.parametrize("module", sorted(modules()))
def test_dependencies_point_down(module):
    layer = layer_of(module)
    if layer not in LAYERS:  # errors, files, checks (the check authors' import path), the package itself
        allowed = SHARED | ({"grading"} if module == "autograder.checks" else set())
    else:
        allowed = MAY_IMPORT[layer] | SHARED
    wrong = sorted(m for m in imports_of(modules()[module]) if layer_of(m) not in allowed)
    assert not wrong, f"{module} ({layer}) imports {wrong}"


def test_no_import_cycles():
    graph = {name: {m for m in imports_of(path) if m in modules() and m != name}
             for name, path in modules().items()}
    state: dict[str, int] = {}

    def visit(node: str, trail: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                cycle = trail[trail.index(nxt):] + [nxt] if nxt in trail else [node, nxt]
                pytest.fail("import cycle: " + " -> ".join(cycle))
            if nxt not in state:
                visit(nxt, trail + [nxt])
        state[node] = 2

    for name in sorted(graph):
        if name not in state:
            visit(name, [name])


def test_importing_the_engine_pulls_in_nothing_above_it():
    script = ("import sys, autograder.engine, autograder.engine.client, autograder.engine.sandbox; "
              "print(sorted(m for m in sys.modules if m.split('.')[:2] in "
              "[['autograder', x] for x in ('grading', 'batch', 'exports', 'authoring', 'cli')]))")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=True)
    assert done.stdout.strip() == "[]"


def test_every_folder_says_what_it_is_for_and_may_import():
    for layer in LAYERS:
        init = PACKAGE / layer / "__init__.py"
        doc = ast.get_docstring(ast.parse(init.read_text(encoding="utf-8")))
        assert doc and "import" in doc, f"{init}: needs a docstring saying what the folder is for and may import"
