"""The trusted side of the wire: start a worker, run the code, call into it.

``WorkerSession`` owns one worker process for one submission and enforces the
time limits; ``SubmissionProxy`` is what checks see as the ``submission`` fixture.
An evaluator session (``evaluator=True``) is a second worker that never runs
student code; ``EvaluatorProxy`` asks it to rebuild models from data and predict.
"""

from __future__ import annotations

import json
import math
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any, Callable, Protocol

from autograder.engine import lifetime, protocol, run_report, sandbox, scratch
from autograder.engine.errors import CallTimeout, MissingName, StudentError, WorkerCrashed
from autograder.engine.keras_home import link_keras_home
from autograder.engine.limits import Limits
from autograder.engine.values import show

KERAS = {"keras", "tensorflow"}  # workers that import these are always started fresh
MAX_RESTARTS = 10  # after a call times out the worker is restarted; the deadline bounds the rest


class Code(Protocol):
    """What a worker runs: a notebook's code cells or a module, alone or in its folder."""

    path: Path  # the notebook or module
    root: Path  # its folder (copied whole when ``files`` names what it holds)
    kind: str  # "notebook" or "module"
    cells: list[dict]  # notebooks: [{"index", "source"}] of code cells
    files: list[str]  # names in the submission folder (folders only)


class OutputDrain(threading.Thread):
    """Reads the worker's stdout, keeping only the first ``cap`` bytes."""

    def __init__(self, stream: Any, cap: int) -> None:
        super().__init__(daemon=True)
        self.stream, self.cap, self.kept, self.dropped = stream, cap, bytearray(), 0
        self.start()

    def run(self) -> None:
        for chunk in iter(lambda: self.stream.read1(65536), b""):
            room = self.cap - len(self.kept)
            self.kept += chunk[: max(room, 0)]
            self.dropped += max(0, len(chunk) - max(room, 0))

    def text(self) -> str:
        text = self.kept.decode("utf-8", errors="replace")
        if self.dropped:
            text += f"\n... [output truncated: {self.dropped} more bytes not kept]\n"
        return text


class WorkerSession:
    """One submission's worker: started lazily, restarted after a call times out."""

    def __init__(self, submission: Code, *, limits: Limits, requires: list[str] = (), seed: int = 0,
                 threads: int = 1, env: dict[str, str] | None = None, ro_paths: list[Path] = (),
                 run_code: bool = True, evaluator: bool = False, model_file: str | None = None,
                 forkable: bool = True, on_progress: Callable[[int, int, str], None] | None = None) -> None:
        self.on_progress = on_progress  # (code cell k, of n, last output line): validated, capped, escaped
        self.submission, self.limits, self.requires = submission, limits, list(requires)
        self.seed, self.threads, self.env, self.ro_paths = seed, threads, dict(env or {}), list(ro_paths)
        self.run_code, self.evaluator, self.model_file = run_code and not evaluator, evaluator, model_file
        self.forkable = forkable  # a numpy worker may come from this process's zygote (engine/zygote.py)
        self.deadline = time.monotonic() + limits.timeout
        self.report: dict[str, Any] | None = None
        self.failure: Exception | None = None  # why the code could not be run at all
        self.proc: subprocess.Popen | None = None
        self.restarts = 0
        self.expired = False  # the whole submission ran out of wall-clock time
        self.outputs: list[str] = []
        lifetime.remove_leftovers_once()  # scratch folders of graders that were killed
        self._scratch = Path(tempfile.mkdtemp(prefix=lifetime.scratch_prefix()))

    # -- lifecycle --------------------------------------------------------------

    def start(self) -> None:
        """Start the worker process (it imports and seeds while the grader collects checks)."""
        scratch = self._scratch / f"run{self.restarts}"
        work = scratch / "work"
        if self.evaluator:  # never the student's code: at most the model file it is to load
            work.mkdir(parents=True)
            source = self.submission.root / self.model_file if self.model_file else None
            if source is not None and source.is_file() and not source.is_symlink():
                shutil.copy2(source, work / self.model_file)
        elif self.submission.files:  # a folder: its files, never what its symbolic links point at
            shutil.copytree(self.submission.root, work, ignore=_links_and_caches)
        else:
            _copy_one(self.submission.path, work)
        job = {
            "mode": "evaluate" if self.evaluator else
                    ("notebook" if self.submission.kind == "notebook" else "module") if self.run_code else "none",
            "cells": [] if self.evaluator else self.submission.cells,
            "path": str(work / self.submission.path.name),
            "seed": self.seed,
            "requires": self.requires,
            "threads": self.threads,
        }
        job_file = scratch / "job.json"
        job_file.write_text(json.dumps(job), encoding="utf-8")
        to_worker, self._send = os.pipe()
        self._recv, from_worker = os.pipe()
        argv = [sys.executable, *_SAFE_PATH, "-m", "autograder.engine.worker",
                "--rpc-in", str(to_worker), "--rpc-out", str(from_worker), "--job", str(job_file)]
        spec = sandbox.WorkerSpec(
            argv=argv, submission_dir=scratch, scratch_dir=work, env={**_thread_env(self.threads), **self._keras_env(work)},
            ro_paths=self.ro_paths, pass_fds=(to_worker, from_worker), memory_mb=self.limits.memory_mb,
            max_processes=self.limits.max_processes, scratch_mb=self.limits.scratch_mb,
            cpus=max(self.limits.cpus, self.threads),  # the threads the grader gave it, at least
            cpu_seconds=math.ceil(self.limits.timeout * max(self.threads, self.limits.cpus, 1)) + 5,
        )
        if self._forks():
            spec.fork = sandbox.ForkJob(str(job_file), to_worker, from_worker)
        self.proc = sandbox.start_worker(spec)
        os.close(to_worker)
        os.close(from_worker)
        for fd in (self._send, self._recv):  # a worker that stops reading cannot hold a write past its deadline
            protocol.nonblocking(fd)
            protocol.widen(fd)
        self._drain = OutputDrain(self.proc.stdout, self.limits.output_kb * 1024)
        run_report.validator()  # built while the worker starts, not after it has answered

    def _forks(self) -> bool:
        """Whether this worker may be forked from a zygote: it runs numpy code, not Keras."""
        return (self.forkable and self.run_code and self.submission.kind in ("notebook", "module")
                and forks(self.requires))

    def prestart(self) -> bool:
        """Start this process's zygote, not waiting for it; True if :meth:`start` will fork the worker from it."""
        return self._forks() and sandbox.prestart_zygote(forked_env(self.threads, self.env))

    def restart_clock(self) -> None:
        """The submission's time starts now: for a worker started ahead, while the grader was busy with another."""
        if self.report is None and self.failure is None:
            self.deadline = time.monotonic() + self.limits.timeout

    def _keras_env(self, work: Path) -> dict[str, str]:
        """Keras only uses a KERAS_HOME it may write to: link the read-only data into a writable one."""
        if "KERAS_HOME" not in self.env:
            return self.env
        home = link_keras_home(Path(self.env["KERAS_HOME"]), work / ".keras")
        return {**self.env, "KERAS_HOME": str(home)}

    def load(self) -> dict[str, Any]:
        """Run the student's code once; return the worker's report. Raise if impossible."""
        if self.failure is not None:
            raise self.failure
        if self.report is not None:
            return self.report
        if self.proc is None:
            self.start()
        what = "running the submission's code" if self.run_code else "starting the evaluator" if self.evaluator else "starting the worker"
        try:
            # The deadline travels with the request (monotonic): a notebook's cell is interrupted just before it.
            reply, _ = self._exchange({"op": "run", "time_budget": self.remaining(), "deadline": self.deadline}, [], what,
                                      self.remaining())
            for _ in range(protocol.MAX_PROGRESS_MESSAGES + 1):
                try:
                    progress = protocol.read_progress(reply)
                except protocol.ProtocolError as e:
                    self.stop()
                    raise WorkerCrashed(what, str(e)) from None
                if progress is None:
                    break
                if self.on_progress is not None:
                    self.on_progress(*progress)
                reply, _ = self._receive(what, self.remaining())
            else:
                self.stop()
                raise WorkerCrashed(what, "sent too many progress messages")
        except (CallTimeout, WorkerCrashed) as e:
            self.failure = e
            raise
        try:
            self.report = run_report.checked(reply.get("report"), cells=len(self.submission.cells),
                                             output_chars=self.limits.output_kb * 1024)
        except run_report.BadReport as e:
            self.stop()
            self.failure = WorkerCrashed(what, str(e))
            raise self.failure from None
        return self.report

    def stop(self) -> None:
        if self.proc is not None:
            sandbox.stop_worker(self.proc)
            for fd in (self._send, self._recv):
                try:
                    os.close(fd)
                except OSError:
                    pass
            self._drain.join(timeout=2)
            self.proc.stdout.close()
            self.outputs.append(self._drain.text())
            self.proc = None

    def close(self) -> None:
        self.stop()
        try:
            scratch.remove(self._scratch)  # no recursion, no path strings: any depth of folders goes
        except OSError:  # e.g. a folder moved by a process that outlived its worker: left for the next start
            pass

    def remaining(self) -> float:
        return self.deadline - time.monotonic()

    @property
    def output(self) -> str:
        live = [self._drain.text()] if self.proc is not None else []
        return self.local_names("".join(self.outputs + live))

    def local_names(self, text: str) -> str:
        """``text`` with the student's files named as in their folder, not by where the grader put them."""
        return re.sub(re.escape(str(self._scratch)) + r"/run\d+/work/", "", text)

    # -- requests ---------------------------------------------------------------

    def request(self, message: dict, *, what: str | Callable[[], str], args: Any = None) -> Any:
        """Send one request after the code has run; decode the reply or raise.

        ``what`` names the request in a failure's message; a callable is asked only then.
        """
        if self.report is not None and self.proc is None:  # killed after an earlier call timed out
            if self.restarts >= MAX_RESTARTS:
                raise WorkerCrashed(_said(what), f"not restarted again after {self.restarts} restarts")
            self.restarts += 1
            self.report = None
        self.load()
        tree, blobs = protocol.encode(args if args is not None else {}, handle=_no_handles)
        timeout = min(self.limits.call_timeout, self.remaining())
        reply, reply_blobs = self._exchange({**message, **_payload(message, tree)}, blobs, what, timeout)
        if reply.get("ok"):
            try:
                return protocol.decode(reply.get("value"), reply_blobs, remote=lambda t: RemoteObject(self, t),
                                       max_elements=self.limits.reply_elements)
            except protocol.ProtocolError as e:
                raise WorkerCrashed(_said(what), f"sent back malformed data: {e}") from e
        kind = reply.get("kind")
        if kind == "missing":
            raise MissingName(str(reply.get("name")), "function" if message.get("op") == "call" else "variable")
        if kind == "raised":
            raise StudentError(_said(what), str(reply.get("ename")), str(reply.get("evalue")),
                               self.local_names(str(reply.get("traceback", ""))))
        if kind == "unsupported":
            raise StudentError(_said(what), "TypeError", f"returned a value that cannot be checked ({reply.get('detail')})")
        raise WorkerCrashed(_said(what), f"unexpected reply {str(reply)[:200]}")

    def _exchange(self, message: dict, blobs: list[bytes], what: str | Callable[[], str],
                  timeout: float) -> tuple[dict, list[bytes]]:
        """Send one request and read its reply, both within ``timeout``."""
        return self._transfer(what, timeout, send=(message, blobs))

    def _receive(self, what: str, timeout: float) -> tuple[dict, list[bytes]]:
        """The worker's next frame within ``timeout`` (after a progress message of the run)."""
        return self._transfer(what, timeout, send=None)

    def _transfer(self, what: str | Callable[[], str], timeout: float, *,
                  send: tuple[dict, list[bytes]] | None) -> tuple[dict, list[bytes]]:
        whole = timeout >= self.remaining() - 1e-3
        if timeout <= 0:
            self.expired = True
            raise CallTimeout(_said(what), self.limits.timeout, whole_submission=True)
        deadline = time.monotonic() + timeout  # one deadline for writing the request and reading the reply
        try:
            if send is not None:
                protocol.write_frame(self._send, *send, deadline=deadline)
            return protocol.read_frame(self._recv, deadline=deadline, max_bytes=self.limits.reply_bytes,
                                       max_header=self.limits.reply_header_bytes)
        except protocol.FrameTimeout:
            self.stop()
            self.expired = self.expired or whole
            raise CallTimeout(_said(what), self.limits.timeout if whole else self.limits.call_timeout,
                              whole_submission=whole) from None
        except (protocol.ProtocolError, BrokenPipeError, OSError) as e:
            reason = self._death_reason() or str(e)
            self.stop()
            raise WorkerCrashed(_said(what), reason) from None

    def _death_reason(self) -> str | None:
        if self.proc is None:
            return None
        try:
            code = self.proc.wait(timeout=1)
        except subprocess.TimeoutExpired:
            return None
        killed = getattr(sandbox, "killed_reason", lambda p: None)(self.proc)
        if killed:
            return killed
        if code < 0:
            return f"killed by signal {-code}"
        if code > 128 and sandbox.sandbox_mode() == "bwrap":  # bwrap reports its child's signal as 128 + n
            return f"killed by signal {code - 128}"
        return f"exit code {code}"


def _said(what: str | Callable[[], str]) -> str:
    return what() if callable(what) else what


def _payload(message: dict, tree: Any) -> dict:
    """Arguments travel as trees inside the message."""
    if message.get("op") in ("call", "call_method"):
        return {"args": tree["$dict"]["args"], "kwargs": tree["$dict"]["kwargs"]}
    if message.get("op") == "evaluate":
        return {"params": tree}
    return {}


def _no_handles(value: Any) -> dict:
    if isinstance(value, RemoteObject):
        return {"$remote": value.key, "type": value.type_name}
    raise protocol.Unencodable(f"cannot send a {type(value).__name__} to the submission")


# The worker must not import from the student's folder before its own modules: no cwd on sys.path.
_SAFE_PATH = ["-P"] if sys.version_info >= (3, 11) else []


def _links_and_caches(folder: str, names: list[str]) -> set[str]:
    return {n for n in names if os.path.islink(os.path.join(folder, n)) or n in ("__pycache__", ".ipynb_checkpoints")}


def _copy_one(path: Path, work: Path) -> None:
    work.mkdir(parents=True)
    shutil.copy2(path, work / path.name)


def forks(requires: list[str]) -> bool:
    """Whether workers for code that ``requires`` these may be forked from a zygote: numpy, never Keras."""
    return not KERAS.intersection(requires)


def forked_env(threads: int, env: dict[str, str]) -> dict[str, str]:
    """The environment a numpy worker with ``threads`` and ``env`` is forked with, and so its zygote's key."""
    return {**_thread_env(threads), **env}


def _thread_env(threads: int) -> dict[str, str]:
    n = str(max(1, threads))
    return {
        "OMP_NUM_THREADS": n, "OPENBLAS_NUM_THREADS": n, "MKL_NUM_THREADS": n, "NUMEXPR_NUM_THREADS": n,
        "TF_NUM_INTRAOP_THREADS": n, "TF_NUM_INTEROP_THREADS": "1", "TF_CPP_MIN_LOG_LEVEL": "2",
        "TF_ENABLE_ONEDNN_OPTS": "0", "CUDA_VISIBLE_DEVICES": "", "MPLBACKEND": "Agg", "PYTHONHASHSEED": "0",
        "PYTHONDONTWRITEBYTECODE": "1", "PYTHONUNBUFFERED": "1", "PYTHONNOUSERSITE": "1",
    }


class RemoteObject:
    """A handle to an object that stays in the worker (e.g. a Keras model)."""

    def __init__(self, session: WorkerSession, tree: dict) -> None:
        self._session, self.key, self.type_name = session, tree["$remote"], str(tree.get("type", "?"))
        self.name = str(tree["name"])[:60] if tree.get("name") else None

    def call(self, method: str, *args: Any, **kwargs: Any) -> Any:
        return self._session.request({"op": "call_method", "handle": self.key, "method": method},
                                     what=f"{self.type_name}.{method}(...)", args={"args": list(args), "kwargs": kwargs})

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self._session.request({"op": "call", "handle": self.key}, what=f"{self.name or self.type_name}(...)",
                                     args={"args": list(args), "kwargs": kwargs})

    def attr(self, name: str) -> Any:
        return self._session.request({"op": "getattr", "handle": self.key, "name": name}, what=f"{self.type_name}.{name}")

    def __repr__(self) -> str:
        return self.name or f"<{self.type_name}>"


class RemoteFunction:
    """A student's function, called by name in the worker."""

    def __init__(self, session: WorkerSession, name: str) -> None:
        self._session, self.name = session, name

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        def what() -> str:  # only a failure shows it: arrays are not printed for every call
            shown = ", ".join([_short(a) for a in args] + [f"{k}={_short(v)}" for k, v in kwargs.items()])
            return f"{self.name}({shown})"

        return self._session.request({"op": "call", "name": self.name}, what=what,
                                     args={"args": list(args), "kwargs": kwargs})


def _short(value: Any) -> str:
    text = show(value)
    return text if len(text) <= 60 else text[:57] + "..."


class SubmissionProxy:
    """What checks see as ``submission``: names in the student's code, called remotely."""

    def __init__(self, session: WorkerSession) -> None:
        self._session = session

    def function(self, name: str) -> RemoteFunction:
        return RemoteFunction(self._session, name)

    def value(self, name: str) -> Any:
        return self._session.request({"op": "value", "name": name}, what=name)

    def has(self, name: str) -> bool:
        return self._session.request({"op": "has", "name": name}, what=f"looking up {name}") is True

    @property
    def cell_errors(self) -> list[dict]:
        return list(self._session.load().get("cell_errors", []))

    @property
    def files(self) -> list[str]:
        return list(self._session.submission.files)

    @property
    def graded_by(self) -> str:
        return "code" if self._session.run_code else "model file"


class EvaluatorProxy:
    """What checks use to reach the evaluator: rebuild a model from data, load a model file, predict."""

    def __init__(self, session: WorkerSession) -> None:
        self._session = session

    def evaluate(self, operation: str, obj: RemoteObject | None = None, *, what: str, **params: Any) -> Any:
        message = {"op": "evaluate", "kind": operation, "handle": obj.key if obj is not None else None}
        return self._session.request(message, what=what, args=params)
