"""``Bounded``: the dict every process-wide cache of the library is, so that how a cache stays
small (the oldest entry goes first) is written once. Below every layer."""
from __future__ import annotations

import _thread   # not threading: it imports functools and collections (CNI plugin start-up)

TYPE_CHECKING = False       # typing is not imported at run time
if TYPE_CHECKING:
    from typing import TypeVar
else:
    from ._lighttyping import TypeVar
K = TypeVar("K")
V = TypeVar("V")


class Bounded(dict[K, V]):
    """A dict of at most ``limit`` entries: ``put`` of a new key into a full one drops the
    oldest first (the first put: reading keeps no order, so a hit costs a plain dict read).

    Threads: read it as a dict from any thread (``get``, ``[]``, ``in``: one dict operation
    each, which sees an entry or not, never half of one); change it only with ``put``, ``pop``
    (taking an entry out, as a borrow) and ``clear``. ``put`` evicts and stores under the
    dict's lock and tolerates a ``pop`` of another thread meanwhile, so no race raises or
    leaves more than ``limit`` entries. Values must be interchangeable: two threads missing
    the same key may both make a value, and the last ``put`` stays."""

    __slots__ = ("limit", "_lock")

    def __init__(self, limit: int) -> None:
        super().__init__()
        if limit < 1:
            raise ValueError(f"Bounded: limit {limit} < 1")
        self.limit = limit
        self._lock = _thread.allocate_lock()

    def put(self, key: K, value: V) -> V:
        """``self[key] = value``, the oldest entries dropped first if it is full; ``value``."""
        with self._lock:
            while key not in self and len(self) >= self.limit:
                try:
                    self.pop(next(iter(self)), None)
                except (RuntimeError, StopIteration):   # (another thread's pop changed it)
                    pass
            self[key] = value
        return value

    def __repr__(self) -> str:
        return f"Bounded({self.limit}, {dict.__repr__(self)})"
