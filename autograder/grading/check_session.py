"""A rubric's checks, collected once per process and run for one submission after another.

``pytest.main`` per submission re-reads the configuration, registers the plugins
and collects the same rubric every time: about a third of grading a numpy
notebook. A :class:`CheckSession` does that once, the way ``pytest.main`` does
it (the same arguments, plugins and hooks, assertion rewriting included), then
runs the collected items for each submission with pytest's own runtest protocol.
Parametrize, fixtures and the plugin's scoring are unchanged; session-scoped
fixtures are torn down after every submission (the last item's ``nextitem`` is
None), so nothing a check computed from one submission reaches the next. The
one :class:`GradingPlugin` registered at configuration is pointed at each
submission in turn (:meth:`GradingPlugin.grading`).

``pytest.main`` stays as the reference (``fresh=True`` in :func:`run_checks`):
a test grades the whole validity corpus both ways and compares every field.

pytest has no public API for "configure and collect once, run many times"; the
few private names used here (``_prepareconfig``, ``_do_configure``,
``_ensure_unconfigure``) are what ``pytest.main`` itself calls, and
``tests/test_check_session.py`` fails loudly if a pytest release changes them.
"""

from __future__ import annotations

import atexit
import contextlib
import functools
import io
import os
import sys
import threading
from collections import OrderedDict
from pathlib import Path
from typing import Any, Iterator

import pytest
from _pytest.config import _prepareconfig

from autograder.errors import RubricError
from autograder.grading.plugin import GradingPlugin
from autograder.grading.rubric import Rubric

CHECKS_INI = Path(__file__).with_name("checks.ini")
KEPT = 8  # rubrics whose collected checks a process keeps (validate and the tests use many)


def pytest_args(folder: Path) -> list[str]:
    """The command line of one grading run (the same for pytest.main and a CheckSession)."""
    # --confcutdir: no conftest.py above the rubric's folder is loaded, and its parents are not listed
    # (pytest would walk up to / otherwise: the ini file is ours, not beside the rubric).
    return [str(folder), "-c", str(CHECKS_INI), "--rootdir", str(folder), "--confcutdir", str(folder), "-p", "no:cacheprovider",
            "-p", "no:randomly", "-p", "no:xdist", "--import-mode=importlib", "-q", "-s", "--tb=no", "--no-header",
            "-W", "ignore::pytest.PytestAssertRewriteWarning"]


class CheckSession:
    """pytest configured and the rubric collected once; :meth:`run` grades one submission with the plugin's current state."""

    def __init__(self, rubric: Rubric, visibility: str) -> None:
        self.folder = rubric.folder.resolve()
        self.plugin = GradingPlugin(None, rubric, visibility)
        self.fingerprint = fingerprint(self.folder)
        self.broken = False
        self.runs = 0  # submissions graded with this collection
        self.busy = threading.Lock()  # held while one submission is graded
        # pytest's terminal reporter keeps the stdout it was configured with: a sink, not a buffer that grows
        # with every submission (it stays registered: assertion messages are formatted through it).
        self._sink = open(os.devnull, "w", encoding="utf-8")
        with contextlib.redirect_stdout(self._sink), contextlib.redirect_stderr(self._sink), \
                check_modules(self.folder), _no_plugin_autoload():
            self.config = _prepareconfig(pytest_args(self.folder), plugins=[self.plugin])
            self.config._do_configure()
            self.session = pytest.Session.from_config(self.config)
            self.config.hook.pytest_sessionstart(session=self.session)
            self.config.hook.pytest_collection(session=self.session)
        self.items = list(self.session.items)
        self.reporter = self.config.pluginmanager.get_plugin("terminalreporter")

    def run(self) -> None:
        """Run every collected item once, for the submission the plugin now points at."""
        if self.plugin.collection_errors:
            raise RubricError(f"{self.folder}: checks cannot be collected: {self.plugin.collection_errors[0]}")
        self.runs += 1
        if self.reporter is not None:
            self.reporter.stats.clear()  # it would keep every report of every submission
        self.session.testsfailed = 0
        self.session.shouldstop = self.session.shouldfail = False
        cwd = os.getcwd()
        try:
            with quiet(), check_modules(self.folder):
                for i, item in enumerate(self.items):
                    nextitem = self.items[i + 1] if i + 1 < len(self.items) else None
                    item.config.hook.pytest_runtest_protocol(item=item, nextitem=nextitem)
        except pytest.exit.Exception:  # a rubric that calls pytest.exit: the checks not run say so, as with pytest.main
            self._abandon()
        except BaseException:  # Ctrl-C, SIGTERM: fixtures may be half set up, so this session is not used again
            self._abandon()
            raise
        finally:
            os.chdir(cwd)

    def _abandon(self) -> None:
        self.broken = True
        with contextlib.suppress(Exception), quiet():
            self.session._setupstate.teardown_exact(None)

    def close(self) -> None:
        """What pytest.main does at its end: the session's finish hooks, then unconfigure."""
        with contextlib.suppress(Exception), quiet():
            self.config.hook.pytest_sessionfinish(session=self.session, exitstatus=0)
        with contextlib.suppress(Exception), quiet():
            self.config._ensure_unconfigure()
        self._sink.close()


def run_checks(rubric: Rubric, visibility: str, *, fresh: bool = False, **submission: Any) -> GradingPlugin:
    """Run the rubric's checks on one submission and return the plugin holding their outcomes.

    ``submission`` is what :meth:`GradingPlugin.grading` takes (the worker sessions, the data
    folders). The checks are collected once per process; ``fresh`` runs a new
    ``pytest.main`` instead (the reference behaviour).
    """
    if fresh:
        plugin = GradingPlugin(None, rubric, visibility).grading(**submission)
        _pytest_main(rubric.folder, plugin)
        return plugin
    checks, kept = _kept(rubric, visibility)
    try:
        checks.plugin.rubric = rubric
        checks.plugin.grading(**submission)
        checks.run()
        return checks.plugin
    finally:
        if kept:
            checks.busy.release()
        if checks.broken or not kept:
            _forget(checks)


def _pytest_main(folder: Path, plugin: GradingPlugin) -> None:
    with _no_plugin_autoload(), check_modules(folder), quiet():
        code = pytest.main(pytest_args(folder), plugins=[plugin])
    if code == pytest.ExitCode.INTERRUPTED:  # pytest swallows Ctrl-C (and SIGTERM, see engine/lifetime.py): pass it on
        raise KeyboardInterrupt
    if plugin.collection_errors:
        raise RubricError(f"{folder}: checks cannot be collected: {plugin.collection_errors[0]}")
    if code in (pytest.ExitCode.INTERNAL_ERROR, pytest.ExitCode.USAGE_ERROR):
        raise RubricError(f"{folder}: pytest could not run the checks (exit code {int(code)})")


# -- the sessions a process keeps -------------------------------------------------------------

_sessions: OrderedDict[tuple[Path, str], CheckSession] = OrderedDict()
_sessions_lock = threading.RLock()


def _kept(rubric: Rubric, visibility: str) -> tuple[CheckSession, bool]:
    """(the rubric's collected checks, whether they are the process's kept ones), held for this caller.

    Collected anew when a file of the folder changed. A Dask worker may grade in
    several threads: one that finds the kept session busy gets a session of its own.
    """
    key = (rubric.folder.resolve(), visibility)
    with _sessions_lock:
        checks = _sessions.get(key)
        if checks is not None and checks.fingerprint != fingerprint(key[0]) and checks.busy.acquire(blocking=False):
            checks.busy.release()
            _forget(checks)
            checks = None
        if checks is not None and checks.busy.acquire(blocking=False):
            _sessions.move_to_end(key)
            return checks, True
        if checks is not None:  # in use by another thread
            return CheckSession(rubric, visibility), False
        checks = CheckSession(rubric, visibility)
        checks.busy.acquire()
        _sessions[key] = checks
        for old_key, old in list(_sessions.items())[:-KEPT]:
            if old.busy.acquire(blocking=False):
                old.busy.release()
                _forget(old)
        return checks, True


def warm(rubric: Rubric, visibility: str) -> None:
    """Collect the rubric's checks now unless this process has (``grade check`` does it while its worker starts)."""
    key = (rubric.folder.resolve(), visibility)
    with _sessions_lock:
        if key in _sessions:
            return
    try:
        checks = CheckSession(rubric, visibility)
    except Exception:  # a rubric that cannot be collected says so when its checks are run
        return
    with _sessions_lock:
        if key in _sessions:
            checks.close()
            return
        _sessions[key] = checks


def _forget(checks: CheckSession) -> None:
    with _sessions_lock:
        for key, kept in list(_sessions.items()):
            if kept is checks:
                del _sessions[key]
    checks.close()


def collected() -> dict[str, int]:
    """The rubric folders (and suites) this process has collected, with how many submissions each graded."""
    with _sessions_lock:
        return {f"{folder}:{visibility}": checks.runs for (folder, visibility), checks in _sessions.items()}


@atexit.register
def close_all() -> None:
    """Close every kept session (tests use it to start from nothing)."""
    for checks in list(_sessions.values()):
        _forget(checks)


def fingerprint(folder: Path) -> tuple:
    """Names, sizes and modification times of what pytest reads from a rubric folder."""
    found = []
    for root, dirs, files in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if d != "__pycache__")
        for name in sorted(files):
            if name.endswith((".py", ".toml", ".ini", ".cfg")):
                stat = os.stat(os.path.join(root, name))
                found.append((os.path.relpath(os.path.join(root, name), folder), stat.st_size, stat.st_mtime_ns))
    return tuple(found)


# -- what every run is wrapped in ------------------------------------------------------------

_MODULE_CACHE: dict[Path, tuple[tuple, dict[str, Any]]] = {}  # folder: (its fingerprint, its check modules)


@contextlib.contextmanager
def check_modules(folder: Path) -> Iterator[None]:
    """Keep each rubric folder's imported check modules apart from every other folder's.

    Two assignments may both have ``test_public.py``; pytest imports by module name,
    so a folder's modules are put back before its run and taken out after it. Modules
    of an older version of the folder's files are not put back: they are imported anew.
    """
    folder = folder.resolve()
    now = fingerprint(folder)
    seen, modules = _MODULE_CACHE.get(folder, ((), {}))
    if seen == now:
        sys.modules.update(modules)
    try:
        yield
    finally:
        mine = {}
        for name, module in list(sys.modules.items()):
            file = getattr(module, "__file__", None)
            if isinstance(file, str) and _inside(file, folder):
                mine[name] = sys.modules.pop(name)
        _MODULE_CACHE[folder] = (now, mine)


@functools.lru_cache(maxsize=8192)
def _inside(file: str, folder: Path) -> bool:
    """Whether a module's file is in ``folder``, found once: the check above asks it of every module per submission."""
    return Path(file).resolve().is_relative_to(folder)


@contextlib.contextmanager
def quiet() -> Iterator[None]:
    """pytest's own printing goes nowhere: checks report through the plugin."""
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        yield


@contextlib.contextmanager
def _no_plugin_autoload() -> Iterator[None]:
    """Installed pytest plugins have no business in grading (and cost ~1 s to load)."""
    saved = os.environ.get("PYTEST_DISABLE_PLUGIN_AUTOLOAD")
    os.environ["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"
    try:
        yield
    finally:
        if saved is None:
            del os.environ["PYTEST_DISABLE_PLUGIN_AUTOLOAD"]
        else:
            os.environ["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = saved
