"""A process per implementation (the runner's default since 2026-12-08, ``--one-process`` for
the method before): each in-process implementation is measured in a worker forked from the
runner before it first runs, and kept for the whole run, so what one implementation leaves in
its process (its heap, its imports, its caches, its forked children) is not in another's
measurements. The repetitions still alternate: the runner sends each measurement to its
implementation's worker and waits for the result, so only one measures at a time.

A worker runs ``body(impl_index, *args)`` for each request and sends back what it returns,
or ``{"error": ...}`` when it raised. It never runs the runner's exit handlers (it leaves
with ``os._exit``), ends when the runner's end of its pipe closes, and dies with the runner.
"""
from __future__ import annotations

import ctypes
import os
import signal
import traceback
from multiprocessing.connection import Connection, Pipe
from typing import Any, Callable

_PR_SET_PDEATHSIG = 1


class Workers:
    """The runner's workers, one per implementation (by index), forked on first use."""

    def __init__(self, body: Callable[..., Any]) -> None:
        self.body = body
        self.conns: dict[int, Connection] = {}
        self.pids: dict[int, int] = {}

    def call(self, index: int, *args: Any) -> Any:
        """``body(index, *args)`` in the worker of implementation ``index``."""
        conn = self.conns.get(index) or self._start(index)
        try:
            conn.send(args)
            return conn.recv()
        except (EOFError, OSError) as exc:     # the worker died: the next call starts another
            self._stop(index)
            return {"error": f"worker of implementation {index} died: {type(exc).__name__}: {exc}"}

    def _start(self, index: int) -> Connection:
        parent, child = Pipe()
        pid = os.fork()
        if pid == 0:                           # the worker
            code = 1
            try:
                parent.close()
                for c in self.conns.values():
                    c.close()
                _serve(child, index, self.body)
                code = 0
            finally:
                os._exit(code)
        child.close()
        self.conns[index], self.pids[index] = parent, pid
        return parent

    def _stop(self, index: int) -> None:
        conn, pid = self.conns.pop(index, None), self.pids.pop(index, None)
        if conn is not None:
            conn.close()
        if pid is not None:
            try:
                os.waitpid(pid, 0)
            except ChildProcessError:
                pass

    def close(self) -> None:
        """End every worker (each leaves when its pipe closes) and reap it."""
        for index in list(self.conns):
            self._stop(index)


def _serve(conn: Connection, index: int, body: Callable[..., Any]) -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    try:                                       # the runner killed: its workers too
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):
        pass
    while True:
        try:
            args = conn.recv()
        except EOFError:
            return
        try:
            out = body(index, *args)
        except Exception as exc:
            if os.environ.get("PNLB_DEBUG"):
                traceback.print_exc()
            out = {"error": f"{type(exc).__name__}: {exc}"}
        conn.send(out)
