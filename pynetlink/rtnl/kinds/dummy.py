"""dummy: a link with nothing behind it (no kind-specific options)."""
from __future__ import annotations

from dataclasses import dataclass

from ..link import Link, LinkView


@dataclass(frozen=True, kw_only=True)
class Dummy(Link):
    kind = "dummy"


class DummyView(LinkView):
    __slots__ = ()
