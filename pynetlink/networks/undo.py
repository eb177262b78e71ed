"""The undo log: each step of a build records its inverse; a failure runs them backwards.

```python
with Undo() as undo:
    make_bridge(); undo.push("delete bridge br0", lambda: delete("br0"))
    add_address(); undo.push(...)
    undo.commit()          # success: nothing to undo
```
Leaving the block without ``commit()`` (an exception, Ctrl-C) runs the inverses, newest
first; each failure is noted on the original exception, never hides it. The rollback runs
with SIGINT and SIGTERM held (``transport.signals.deferred``): a second Ctrl-C does not cut
it short; it is delivered once the rollback is over.
"""
from __future__ import annotations

from types import TracebackType
from typing import Callable

from ..transport.signals import deferred


class Undo:
    """A stack of inverse operations, run in reverse unless committed."""

    def __init__(self) -> None:
        self.steps: list[tuple[str, Callable[[], object]]] = []
        self.undone: list[str] = []
        self.committed = False

    def push(self, label: str, fn: Callable[[], object]) -> None:
        self.steps.append((label, fn))

    def commit(self) -> None:
        self.committed = True

    def rollback(self) -> list[str]:
        """Run every inverse, newest first; returns the failures as text."""
        failed = []
        while self.steps:
            label, fn = self.steps.pop()
            try:
                fn()
                self.undone.append(label)
            except Exception as exc:   # keep undoing the rest
                failed.append(f"{label}: {exc}")
        return failed

    def __enter__(self) -> "Undo":
        return self

    def __exit__(self, et: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if self.committed or et is None:
            return
        with deferred():
            failed = self.rollback()
        if exc is not None:
            if self.undone:
                exc.add_note(f"rolled back: {'; '.join(self.undone)}")
            for f in failed:
                exc.add_note(f"rollback step failed: {f}")
