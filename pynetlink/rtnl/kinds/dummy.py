"""dummy: a link with nothing behind it (no kind-specific options)."""
from __future__ import annotations

from ..._record import record

from ..link import Link, LinkView


@record(frozen=True, kw_only=True)
class Dummy(Link):
    kind = "dummy"


class DummyView(LinkView):
    __slots__ = ()
