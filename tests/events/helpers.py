"""Shared pieces of the event tests: `ip`/`nft` as independent actors, a consumer that applies
events, and the kernel's state read afresh for comparison."""
from __future__ import annotations

import subprocess
from typing import Any, Hashable, Iterable

from pynetlink.events import Event
from pynetlink.events.event import fields_of

VOLATILE = {"valid_lft", "preferred_lft"}


def ip(ns: Any, *args: str) -> None:
    """`ip -n NS ...` in the test's own namespace."""
    subprocess.run(["ip", "-n", ns.name, *args], check=True, capture_output=True, text=True)


def ip_batch(ns: Any, lines: Iterable[str]) -> None:
    """`ip -n NS -batch -` (one process making many changes)."""
    subprocess.run(["ip", "-n", ns.name, "-force", "-batch", "-"], input="\n".join(lines) + "\n",
                   check=True, capture_output=True, text=True)


def nft(ns: Any, script: str) -> None:
    """`nft -f -` inside the test's namespace."""
    subprocess.run(["ip", "netns", "exec", ns.name, "nft", "-f", "-"], input=script, check=True,
                   capture_output=True, text=True)


def comparable(view: Any) -> dict[str, Any]:
    return {k: v for k, v in fields_of(view).items() if k not in VOLATILE}


class Consumer:
    """What a program that applies every event ends up believing, per (netns, kind)."""

    def __init__(self) -> None:
        self.objects: dict[tuple[str | None, str], dict[Hashable, dict[str, Any]]] = {}
        self.counts: dict[str, int] = {}

    def apply(self, e: Event) -> None:
        table = self.objects.setdefault((e.netns, e.kind), {})
        self.counts[e.action] = self.counts.get(e.action, 0) + 1
        if e.action == "deleted":
            assert e.key in table, f"deleted an object the consumer never saw: {e}"
            del table[e.key]
        elif e.action == "new":
            assert e.key not in table, f"new for an object the consumer has: {e}"
            table[e.key] = comparable(e.view)
        else:
            assert e.key in table, f"changed an object the consumer never saw: {e}"
            table[e.key] = comparable(e.view)

    def of(self, kind: str, netns: str | None) -> dict[Hashable, dict[str, Any]]:
        return self.objects.get((netns, kind), {})


def kernel_state(ns: Any, kind: str) -> dict[Hashable, dict[str, Any]]:
    """A fresh dump through a Handle (not through the event stream), keyed by the kind's
    ``key_of`` (the slow path: the stream's keys come from plucked columns)."""
    from pynetlink import Handle
    from pynetlink.events.kinds import RTNL_KINDS
    key_of = RTNL_KINDS[kind].key_of
    with Handle(ns) as h:
        if kind == "link":
            views: Any = h.links.dump()
        elif kind == "address":
            views = h.addresses.dump()
        elif kind == "route":
            views = [v for v in h.routes.dump(table=None) if not v._header[8] & 0x200]   # no clones
        else:
            raise AssertionError(kind)
        return {key_of(v): comparable(v) for v in views}


def until(ev: Any, pred: Any, timeout: float = 5.0) -> Event:
    """The first event matching ``pred`` (events before it are skipped); fails after ``timeout``
    seconds without a match."""
    import time
    deadline = time.monotonic() + timeout
    seen: list[str] = []
    while True:
        e = ev.get(max(0.0, deadline - time.monotonic()))
        if e is None:
            raise AssertionError(f"no matching event within {timeout} s; saw {seen[-10:]}")
        if pred(e):
            return e
        seen.append(repr(e))


def differences(ns: Any, c: Consumer, kinds: Iterable[str], label: str | None) -> list[str]:
    """What the consumer believes that the kernel's fresh dump does not say (empty: the same)."""
    out = []
    for kind in kinds:
        want, got = kernel_state(ns, kind), c.of(kind, label)
        missing, extra = want.keys() - got.keys(), got.keys() - want.keys()
        differ = [k for k in want.keys() & got.keys() if want[k] != got[k]]
        if missing or extra or differ:
            out.append(f"{kind}: missing {sorted(missing, key=str)[:5]}, extra {sorted(extra, key=str)[:5]}, "
                       f"differ {[(k, want[k], got[k]) for k in differ[:1]]}")
    return out


def assert_converges(ev: Any, c: Consumer, ns: Any, kinds: Iterable[str], label: str | None,
                     timeout: float = 15.0, seen: list[Any] | None = None) -> None:
    """The consumer ends with exactly the kernel's state. The kernel keeps changing on its own
    for a while after the test's last change (IPv6 DAD completing, addrconf routes, carrier), so
    a difference is only a failure if the events to close it do not come within ``timeout``;
    every event meanwhile is applied to the consumer (and appended to ``seen``)."""
    import time
    kinds = tuple(kinds)
    deadline = time.monotonic() + timeout
    while True:
        diff = differences(ns, c, kinds, label)
        if not diff:
            return
        if time.monotonic() > deadline:
            raise AssertionError("the consumer's state is not the kernel's: " + "; ".join(diff))
        for e in ev.iter(0.5):
            c.apply(e)
            if seen is not None:
                seen.append(e)
