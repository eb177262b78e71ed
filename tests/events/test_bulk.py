"""The engine's bulk paths (a buffer of one plain kind's notifications, made and applied in
bulk: by the C engine, csrc/ext/events.c, and by Python) against its per-message path, on
real notifications recorded in the test's namespace: the same events (action, key, the
view's fields, the previous view's), the same state, and keys equal to ``key_of`` of each
view."""
from __future__ import annotations

import select
from typing import Any

from pynetlink._native import lib
from pynetlink.codec.rows import Rows
from pynetlink.codec.specs.rtnl import RTNL
from pynetlink.events.engine import Engine
from pynetlink.events.event import fields_of
from pynetlink.events.kinds import AddressKind, Batch
from pynetlink.transport.subscribe import Subscriber

from .helpers import ip, ip_batch


class _Counted(AddressKind):
    batches = 0
    natives = 0

    def batch(self, rows: Rows) -> Batch | None:
        got = super().batch(rows)
        _Counted.batches += got is not None
        return got



class _CountedEngine(Engine):
    def _native(self, data: bytes, out: list[Any]) -> bool:
        done = super()._native(data, out)
        _Counted.natives += done
        return done


def _record(ns: Any) -> list[bytes]:
    """Address notifications: IPv4 and IPv6, labels, an address added, deleted and added
    again (one key several times in a buffer), deletions of addresses added before."""
    ip(ns, "link", "add", "br0", "type", "bridge")
    ip(ns, "address", "add", "198.51.100.200/24", "dev", "br0")     # before: its deletion is unknown
    groups = [int(lib.RTNLGRP_IPV4_IFADDR), int(lib.RTNLGRP_IPV6_IFADDR)]
    sub = Subscriber(0, groups, ns, rcvbuf=32 << 20)
    try:
        lines = [f"address add 198.51.100.{i}/32 dev br0" for i in range(1, 150)]
        lines += [f"address add 2001:db8::{i:x}/128 dev br0 nodad" for i in range(1, 100)]
        lines += ["address add 203.0.113.1/24 dev br0 label br0:x"]
        for i in range(1, 150, 2):
            lines += [f"address del 198.51.100.{i}/32 dev br0", f"address add 198.51.100.{i}/32 dev br0"]
        lines += [f"address del 2001:db8::{i:x}/128 dev br0" for i in range(1, 100, 3)]
        lines += ["address del 198.51.100.200/24 dev br0", "address del 203.0.113.1/24 dev br0"]
        ip_batch(ns, lines)
        chunks: list[bytes] = []
        # until quiet: IPv6 address notifications come from a kernel work queue, after ip returned
        while select.select([sub], [], [], 1.0)[0]:
            data, overflow = sub.receive()
            assert not overflow
            if data:
                chunks.append(data)
        return chunks
    finally:
        sub.close()


def _events(kind: AddressKind, chunks: list[bytes], bulk: bool, native: bool = False
            ) -> tuple[list[Any], dict[Any, Any]]:
    eng = _CountedEngine([kind], RTNL, 0, lambda items: 0, load=False)
    eng.native = native
    if not bulk:
        eng._bulk_kinds = {}
    out = []
    for data in chunks:
        for e in eng.feed(data):
            assert e.key == kind.key_of(e.view)
            prev = None if e.previous is None else fields_of(e.previous)
            out.append((e.kind, e.action, e.key, fields_of(e.view), prev, e.origin))
    return out, {k: fields_of(v) for k, v in eng.state["address"].items()}


def test_bulk_equals_per_message(netns: Any) -> None:
    chunks = _record(netns)
    _Counted.batches = _Counted.natives = 0
    fast, fast_state = _events(_Counted(), chunks, bulk=True)
    assert _Counted.batches >= 1 and _Counted.natives == 0
    slow, slow_state = _events(AddressKind(), chunks, bulk=False)
    assert fast == slow
    assert fast_state == slow_state
    python_batches = _Counted.batches
    c, c_state = _events(_Counted(), chunks, bulk=True, native=True)
    assert _Counted.natives == python_batches and _Counted.batches == python_batches  # C took each
    assert c == slow and c_state == slow_state
    acts = [(a, k) for _, a, k, *_ in fast]
    assert ("changed", (4, acts[0][1][1], "198.51.100.1", 32)) not in acts   # a new after a deletion is new
    v4 = [a for a, k in acts if k[0] == 4]      # (IPv6 ones come from a work queue: counts vary)
    assert v4.count("new") == 149 + 1 + 75 and v4.count("deleted") == 75 + 1   # .200 was unknown
    assert sorted(k[2] for k in fast_state)[:2] == ["198.51.100.1", "198.51.100.10"]
    assert (6, acts[0][1][1], "2001:db8::2", 128) in fast_state
