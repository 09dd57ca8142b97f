"""The worker's request loop: look names up, call them, send plain data back."""

from __future__ import annotations

import traceback
from typing import Any, Callable

from autograder.engine import protocol
from autograder.engine.worker.runner import cell_file_names

TRACEBACK_CAP = 4000


class Server:
    """Answers requests about one namespace until the channel closes.

    ``operations`` are the evaluator's (``op: "evaluate"``); a worker that runs
    student code has none, since its answers about itself could be forged.
    """

    def __init__(self, rpc_in: int, rpc_out: int, operations: dict[str, Callable[..., Any]] | None = None) -> None:
        self.rpc_in, self.rpc_out = rpc_in, rpc_out
        self.operations = dict(operations or {})
        self.namespace: dict[str, Any] = {}
        self.objects: dict[int, Any] = {}

    # -- values ---------------------------------------------------------------

    def _handle(self, obj: Any) -> dict:
        key = id(obj)
        self.objects[key] = obj
        cls = type(obj)
        name = getattr(obj, "__name__", None) if callable(obj) else None
        return {"$remote": key, "type": f"{cls.__module__}.{cls.__qualname__}", "name": name if isinstance(name, str) else None}

    def _resolve(self, tree: Any, blobs: list[bytes]) -> Any:
        return protocol.decode(tree, blobs, remote=lambda t: self.objects[t["$remote"]])

    def reply(self, message: dict, value: Any = None) -> None:
        tree, blobs = protocol.encode(value, handle=self._handle)
        protocol.write_frame(self.rpc_out, {**message, "value": tree}, blobs)

    # -- the loop -------------------------------------------------------------

    def serve(self) -> None:
        while True:
            try:
                request, blobs = protocol.read_frame(self.rpc_in)
            except protocol.ChannelClosed:
                return
            op = request.get("op")
            try:
                self.dispatch(op, request, blobs)
            except _Missing as e:
                self.reply({"ok": False, "kind": "missing", "name": str(e)})
            except protocol.Unencodable as e:
                self.reply({"ok": False, "kind": "unsupported", "detail": str(e)})
            except BaseException as exc:  # anything the student's code raises, SystemExit included
                self.reply({"ok": False, "kind": "raised", **_describe(exc)})

    def dispatch(self, op: str, request: dict, blobs: list[bytes]) -> None:
        if op == "ping":
            self.reply({"ok": True}, "pong")
        elif op == "has":
            self.reply({"ok": True}, request["name"] in self.namespace)
        elif op == "value":
            self.reply({"ok": True}, self._lookup(request["name"]))
        elif op == "call":
            fn = self._lookup(request["name"]) if "name" in request else self.objects[request["handle"]]
            args, kwargs = self._resolve(request["args"], blobs), self._resolve(request["kwargs"], blobs)
            self.reply({"ok": True}, fn(*args, **kwargs))
        elif op == "call_method":
            obj = self.objects[request["handle"]]
            args, kwargs = self._resolve(request["args"], blobs), self._resolve(request["kwargs"], blobs)
            self.reply({"ok": True}, getattr(obj, request["method"])(*args, **kwargs))
        elif op == "getattr":
            self.reply({"ok": True}, getattr(self.objects[request["handle"]], request["name"]))
        elif op == "evaluate" and request.get("kind") in self.operations:
            fn = self.operations[request["kind"]]
            obj = self.objects[request["handle"]] if request.get("handle") is not None else None
            params = self._resolve(request["params"], blobs)
            self.reply({"ok": True}, fn(obj, **params))
        else:
            self.reply({"ok": False, "kind": "protocol", "detail": f"unknown op {op!r}"})

    def _lookup(self, name: str) -> Any:
        if name not in self.namespace:
            raise _Missing(name)
        return self.namespace[name]


class _Missing(Exception):
    pass


def _describe(exc: BaseException) -> dict[str, Any]:
    lines = traceback.format_exception(type(exc), exc, exc.__traceback__)
    # Drop the worker's own frames: the student only needs theirs.
    text = cell_file_names("".join(line for line in lines if "autograder/engine/worker/" not in line))
    return {"ename": type(exc).__name__, "evalue": str(exc)[:2000], "traceback": text[-TRACEBACK_CAP:]}
