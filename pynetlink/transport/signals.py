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

import contextlib
import threading
from types import FrameType

TYPE_CHECKING = False
if TYPE_CHECKING:
    import signal
else:               # the C module: signal.py builds enums at import (CNI plugin start-up)
    import _signal as signal

if TYPE_CHECKING:
    from typing import Any, Iterator

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
    return threading.current_thread() is threading.main_thread()


@contextlib.contextmanager
def deferred() -> Iterator[None]:
    """SIGINT and SIGTERM wait until the (outermost) block is over, then are delivered."""
    global _depth
    if not _on_main_thread():
        yield
        return
    if _depth == 0:
        for sig in SIGNALS:
            _saved[sig] = signal.signal(sig, _hold)
    _depth += 1
    try:
        yield
    finally:
        _depth -= 1
        if _depth == 0:
            _release()


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


@contextlib.contextmanager
def sigterm_raises() -> Iterator[None]:
    """Inside the block (main thread), SIGTERM raises ``Terminated`` instead of killing."""
    if not _on_main_thread():
        raise RuntimeError("sigterm_raises() works on the main thread only (signal handlers "
                           "run there)")
    old = signal.signal(signal.SIGTERM, _raise_terminated)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_DFL if old is None else old)
