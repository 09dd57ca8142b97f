"""Import IPython without the parts a notebook kernel never uses, in the worker.

Importing ``IPython`` and making a shell is most of a numpy notebook's grading
time, and more than half of that is two things no cell ever sees:
``IPython/__init__`` imports the terminal's ``embed`` (prompt_toolkit), and the
shell's completer imports jedi for tab completion. While :func:`lean_import`
is active, ``IPython.terminal.embed`` is a stand-in that imports the real module
the first time anything asks it for a name (``IPython.embed()`` included), and
jedi cannot be imported, so the completer does without it. Afterwards a
student's ``import jedi`` or ``from IPython.terminal.embed import ...`` works as
in Jupyter.
"""

from __future__ import annotations

import contextlib
import importlib
import importlib.abc
import importlib.util
import sys
import types
from typing import Any, Iterator

EMBED = "IPython.terminal.embed"


class _DeferredEmbed(types.ModuleType):
    """Stands in for ``IPython.terminal.embed`` until a name of it is used."""

    def real(self) -> types.ModuleType:
        if sys.modules.get(EMBED) is self:
            del sys.modules[EMBED]
        module = importlib.import_module(EMBED)
        parent = sys.modules.get("IPython.terminal")
        if parent is not None:
            parent.embed = module
        return module

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        return getattr(self.real(), name)


class _NoJedi(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Finds jedi (IPython 9 only asks whether it exists) and fails to load it (IPython 8 imports it at start)."""

    def find_spec(self, name: str, path: Any = None, target: Any = None) -> Any:
        if name == "jedi" or name.startswith("jedi."):
            return importlib.util.spec_from_loader(name, self)
        return None

    def create_module(self, spec: Any) -> None:
        return None

    def exec_module(self, module: types.ModuleType) -> None:
        raise ImportError("jedi is not imported while the grading shell starts")


@contextlib.contextmanager
def lean_import() -> Iterator[None]:
    """Inside: ``import IPython`` skips the terminal, and jedi is not imported."""
    if "IPython" not in sys.modules and EMBED not in sys.modules:
        stand_in = _DeferredEmbed(EMBED)

        def embed(*args: Any, **kwargs: Any) -> Any:
            return stand_in.real().embed(*args, **kwargs)

        embed.__module__ = EMBED
        stand_in.embed = embed
        sys.modules[EMBED] = stand_in
    blocker = _NoJedi()
    sys.meta_path.insert(0, blocker)
    try:
        yield
    finally:
        sys.meta_path.remove(blocker)
