"""Signals and the library's critical sections.

``deferred()`` holds SIGINT and SIGTERM that arrive inside the block and re-delivers them
when the outermost block ends, to whatever handler was installed before (Python's
KeyboardInterrupt for SIGINT; the embedder's handler, or the default action, for SIGTERM).
The library runs each step that changes the kernel together with its record or undo entry,
and every rollback, inside ``deferred()``: a signal lands between steps, never inside one.
Only the main thread receives Python signals, so elsewhere the block does nothing.

``sigterm_raises()`` is for an embedding daemon: inside it, SIGTERM raises ``Terminated``
(a SystemExit with status 143) like Ctrl-C raises KeyboardInterrupt, so the operation in
progress rolls back and ``finally`` blocks run, instead of the process dying at once.
"""
from __future__ import annotations

import _thread
import os
import sys

TYPE_CHECKING = False
if TYPE_CHECKING:
    import signal
    from types import FrameType
else:               # the C module: signal.py builds enums at import (CNI plugin start-up)
    import _signal as signal

if TYPE_CHECKING:
    from typing import Any

SIGNALS = (signal.SIGINT, signal.SIGTERM)
_depth = 0
_pending: list[int] = []
_saved: dict[int, Any] = {}


class Terminated(SystemExit):
    """SIGTERM arrived inside ``sigterm_raises()`` (exit status 143, as the signal's)."""

    def __init__(self) -> None:
        super().__init__(128 + signal.SIGTERM)


def _hold(signum: int, frame: FrameType | None) -> None:
    _pending.append(signum)


def _on_main_thread() -> bool:
    """Whether this is Python's main thread (where signal handlers run). Without ``threading``
    loaded (a CNI plugin does not import it: ~2 ms with functools and collections), the main
    thread is the process's first one, whose thread id is the process id."""
    threading = sys.modules.get("threading")
    if threading is not None:
        return _thread.get_ident() == threading.main_thread().ident  # type: ignore[no-any-return]
    return _thread.get_native_id() == os.getpid()


class _Deferred:
    """``deferred()``'s block (a class, not ``contextlib``: ~0.7 ms of each CNI plugin start)."""

    __slots__ = ("_active",)

    def __enter__(self) -> None:
        global _depth
        self._active = _on_main_thread()
        if not self._active:
            return
        if _depth == 0:
            for sig in SIGNALS:
                _saved[sig] = signal.signal(sig, _hold)
        _depth += 1

    def __exit__(self, *exc: object) -> None:
        global _depth
        if self._active:
            _depth -= 1
            if _depth == 0:
                _release()


def deferred() -> _Deferred:
    """SIGINT and SIGTERM wait until the (outermost) block is over, then are delivered."""
    return _Deferred()


def _release() -> None:
    for sig, old in _saved.items():
        signal.signal(sig, signal.SIG_DFL if old is None else old)
    _saved.clear()
    pending = list(dict.fromkeys(_pending))
    _pending.clear()
    for sig in pending:
        signal.raise_signal(sig)


def pending() -> tuple[int, ...]:
    """The signals held so far by the current ``deferred()`` block."""
    return tuple(_pending)


def _raise_terminated(signum: int, frame: FrameType | None) -> None:
    raise Terminated()


class _SigtermRaises:
    __slots__ = ("_old",)

    def __enter__(self) -> None:
        if not _on_main_thread():
            raise RuntimeError("sigterm_raises() works on the main thread only (signal handlers "
                               "run there)")
        self._old = signal.signal(signal.SIGTERM, _raise_terminated)

    def __exit__(self, *exc: object) -> None:
        old = self._old
        signal.signal(signal.SIGTERM, signal.SIG_DFL if old is None else old)


def sigterm_raises() -> _SigtermRaises:
    """Inside the block (main thread), SIGTERM raises ``Terminated`` instead of killing."""
    return _SigtermRaises()
