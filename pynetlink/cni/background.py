"""A function run on a helper thread while the caller waits in the kernel.

The bridge plugin's DEL spends ~15 ms waiting for the veth's deletion (RCU grace periods
in the kernel); the NAT and port cleanup run meanwhile on a helper thread (the GIL is free
while the caller waits in its syscall). ``_thread``, not ``threading``: a plugin process
imports only what it needs.
"""
from __future__ import annotations

import _thread

from ..transport.signals import deferred

TYPE_CHECKING = False       # typing is not imported at run time
if TYPE_CHECKING:
    from typing import Any, Callable


class Background:
    """``fn()`` started on a helper thread; ``wait()`` returns its value or raises its error.
    Always ``wait()``: nothing may run on after the command returns."""

    __slots__ = ("_done", "_box")

    def __init__(self, fn: Callable[[], Any]) -> None:
        self._box: dict[str, Any] = {}
        self._done = _thread.allocate_lock()
        self._done.acquire()
        _thread.start_new_thread(self._run, (fn,))

    def _run(self, fn: Callable[[], Any]) -> None:
        try:
            self._box["value"] = fn()
        except BaseException as exc:  # handed to the waiting thread
            self._box["error"] = exc
        finally:
            self._done.release()

    def wait(self) -> Any:
        """Wait for ``fn`` to end (interrupted, still waits, then raises the interruption)."""
        try:
            self._done.acquire()
        except BaseException:
            with deferred():
                self._done.acquire()
            raise
        finally:
            if self._done.locked():
                self._done.release()
        if "error" in self._box:
            raise self._box["error"]
        return self._box.get("value")
