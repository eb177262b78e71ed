"""transport.netns.Event (run_in's completion and cancel flag, on bare ``_thread`` locks):
is_set() stays True while a waiter passes through the lock, and set() twice (or while a
waiter holds the lock) releases nothing a waiter then releases again."""
from __future__ import annotations

import _thread
from typing import Any

from pynetlink.transport.netns import Event


class _Watched:
    """A lock that calls ``inside`` while a waiter holds it."""

    def __init__(self, lock: Any, inside: Any) -> None:
        self.lock, self.inside = lock, inside

    def __getattr__(self, name: str) -> Any:
        return getattr(self.lock, name)

    def __enter__(self) -> None:
        self.lock.acquire()

    def __exit__(self, *exc: object) -> None:
        self.inside()
        self.lock.release()


def test_is_set_while_a_waiter_passes() -> None:
    e = Event()
    seen: list[bool] = []
    e._lock = _Watched(e._lock, lambda: seen.append(e.is_set()))   # type: ignore[assignment]
    done = _thread.allocate_lock()
    done.acquire()

    def waiter() -> None:
        e.wait()
        done.release()

    _thread.start_new_thread(waiter, ())
    e.set()
    done.acquire()                       # the waiter returned
    assert e.is_set() and all(seen)
    e.wait()                             # set: returns at once
    assert all(seen)


def test_set_while_a_waiter_holds_the_lock() -> None:
    e = Event()
    w = _Watched(e._lock, e.set)         # a second set() while a waiter holds the lock
    e._lock = w                          # type: ignore[assignment]
    e.set()
    w.lock.acquire()                     # as a waiter that got here before set() ran
    w.__exit__()                         # the second set() inside, then the waiter's release
    assert e.is_set() and not w.lock.locked()
