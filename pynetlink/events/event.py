"""Event: one change of one kernel object, carrying the object's view before and after."""
from __future__ import annotations

from typing import Any, Hashable, NamedTuple

from ..rtnl.view import plain

NEW, CHANGED, DELETED = "new", "changed", "deleted"
# where an event comes from: a kernel notification, the stream's first dump, the difference a
# re-dump found (after an overflow, or after a change the kernel does not notify)
KERNEL, CURRENT, RESYNC = "kernel", "current", "resync"


def fields_of(view: Any) -> dict[str, Any]:
    """A view's fields as plain values (views of dumps and of nft objects alike)."""
    if hasattr(view, "to_dict"):
        out = view.to_dict()
        return out if isinstance(out, dict) else {"value": out}
    if hasattr(view, "__record_fields__"):                 # nft objects (pynetlink._record)
        return {f.name: plain(getattr(view, f.name)) for f in view.__record_fields__}
    if hasattr(view, "__dataclass_fields__"):
        return {f: plain(getattr(view, f)) for f in view.__dataclass_fields__}
    return {"value": plain(view)}


class Event(NamedTuple):
    """``kind`` ("link", "address", "route", "neighbour", "nsid", "iprule", "nexthop", "table", "chain", "rule",
    "set", "element", "generation") changed by ``action`` ("new", "changed", "deleted").

    ``view`` is the object as a dump returns it (for "deleted": as last reported),
    ``previous`` the stream's view of it before this change (None for "new"), ``key`` its
    identity within the kind, ``netns`` the namespace it lives in, ``origin`` "kernel" (a
    notification), "current" (the first dump of ``start_with_current``) or "resync" (the
    difference found by a re-dump). (A named tuple: thousands are made per buffer.)
    """

    kind: str
    action: str
    view: Any
    previous: Any
    key: Hashable
    netns: str | None
    origin: str = KERNEL

    @property
    def changes(self) -> dict[str, tuple[Any, Any]]:
        """The fields that differ from ``previous``: name -> (before, after) (computed on access)."""
        if self.previous is None or self.action != CHANGED:
            return {}
        before, after = fields_of(self.previous), fields_of(self.view)
        return {k: (before.get(k), v) for k, v in after.items() if before.get(k) != v}

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: kind, action, netns, origin, the view's fields, and "changes" for "changed"."""
        out: dict[str, Any] = {"kind": self.kind, "action": self.action}
        if self.netns is not None:
            out["netns"] = self.netns
        if self.origin != KERNEL:
            out["origin"] = self.origin
        out["object"] = fields_of(self.view)
        if self.action == CHANGED and self.previous is not None:
            out["changes"] = {k: list(v) for k, v in self.changes.items()}
        return out

    def __repr__(self) -> str:
        where = f" netns={self.netns}" if self.netns else ""
        return f"<Event {self.action} {self.kind} {self.key!r}{where} ({self.origin})>"


__all__ = ["Event", "NEW", "CHANGED", "DELETED", "KERNEL", "CURRENT", "RESYNC", "fields_of"]
