"""The engine's bulk paths (a buffer of one plain kind's notifications, made and applied in
bulk: by the C engine, csrc/ext/events.c, and by Python) against its per-message path, on
real notifications recorded in the test's namespace: the same events (action, key, the
view's fields, the previous view's), the same state, and keys equal to ``key_of`` of each
view; and the C engine against the per-message path on links, addresses, routes and
neighbours mixed."""
from __future__ import annotations

import select
from typing import Any

from pynetlink._native import lib
from pynetlink.codec.rows import Rows
from pynetlink.codec.specs.rtnl import RTNL
from pynetlink.events.engine import Engine
from pynetlink.events.event import fields_of
from pynetlink.events.kinds import AddressKind, Batch, LinkKind, NeighbourKind, RouteKind
from pynetlink.transport.subscribe import Subscriber

from ..conftest import ip_json
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
        return _until_quiet(sub)
    finally:
        sub.close()


def _until_quiet(sub: Subscriber, quiet: float = 2.0) -> list[bytes]:
    """The buffers received until ``quiet`` seconds pass without one (IPv6 notifications come
    from a kernel work queue, after ``ip`` returned: on a loaded machine, a second later)."""
    chunks: list[bytes] = []
    while select.select([sub], [], [], quiet)[0]:
        data, overflow = sub.receive()
        assert not overflow
        if data:
            chunks.append(data)
    return chunks


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
    assert set(c_state) == _kernel_addresses(netns)       # the independent oracle: the kernel's own


def _kernel_addresses(ns: Any) -> set[tuple[int, int, str, int]]:
    """The namespace's addresses as ``ip -j address show`` reads them, keyed as AddressKind
    keys them (family, link, address, prefix length)."""
    return {(4 if a["family"] == "inet" else 6, link["ifindex"], a["local"], a["prefixlen"])
            for link in ip_json(ns.name, "address", "show") for a in link.get("addr_info", [])}  # type: ignore[union-attr]


class _Recording(Engine):
    """An engine that notes the kinds a link's change asks to dump again instead of dumping
    (the recording holds no dump replies), so every buffer stays a buffer of notifications."""

    def __init__(self, *args: Any, **kw: Any) -> None:
        self.asked: list[list[str]] = []
        super().__init__(*args, **kw)

    def feed(self, data: bytes, overflow: bool = False) -> list[Any]:
        self.asked.append([])
        return super().feed(data, overflow)

    def _queue_resync(self, name: str) -> None:
        if name not in self.asked[-1]:          # as the engine's queue: once per buffer
            self.asked[-1].append(name)

    def _native(self, data: bytes, out: list[Any]) -> bool:
        done = super()._native(data, out)
        _Counted.natives += done
        return done


def _record_mixed(ns: Any) -> list[bytes]:
    """Link, address, route and neighbour notifications of every family: bridges and veths
    made, renamed, set up, enslaved and deleted (a veth's peer: a link deleted with another), addresses,
    IPv4 and IPv6 routes of two tables with and without a metric, permanent neighbours."""
    ip(ns, "link", "add", "br0", "type", "bridge")
    ip(ns, "link", "set", "br0", "up")
    ip(ns, "address", "add", "203.0.113.1/24", "dev", "br0")
    groups = [int(getattr(lib, g)) for g in ("RTNLGRP_LINK", "RTNLGRP_IPV4_IFADDR", "RTNLGRP_IPV6_IFADDR",
                                             "RTNLGRP_IPV4_ROUTE", "RTNLGRP_IPV6_ROUTE", "RTNLGRP_NEIGH")]
    sub = Subscriber(0, groups, ns, rcvbuf=32 << 20)
    try:
        lines = []
        for i in range(1, 40):
            lines += [f"link add b{i} type bridge", f"address add 198.51.100.{i}/32 dev br0",
                      f"route add 172.16.{i}.0/24 dev br0", f"route add 172.17.{i}.0/24 dev br0 metric {i} table 100",
                      f"route add 2001:db8:1::{i:x}/128 dev br0", f"route add 2001:db8:2::/64 dev br0 metric {i}",
                      f"neigh add 172.16.{i}.1 lladdr 02:00:00:00:00:{i:02x} dev br0 nud permanent",
                      f"neigh add 2001:db8:1::{i:x} lladdr 02:00:00:00:01:{i:02x} dev br0 nud permanent"]
        for i in range(1, 40, 2):
            lines += [f"link del b{i}", f"route del 172.16.{i}.0/24 dev br0",
                      f"route del 172.17.{i}.0/24 dev br0 metric {i} table 100",
                      f"neigh del 172.16.{i}.1 dev br0", f"neigh del 2001:db8:1::{i:x} dev br0",
                      f"address del 198.51.100.{i}/32 dev br0"]
        # (last: a port changes the bridge's address, which flushes its neighbours)
        lines += ["link add v1 type veth peer name v2", "link set v1 name v3", "link set v3 up",
                  "link set v2 master br0", "link set v2 nomaster", "link del v3"]
        ip_batch(ns, lines)
        return _until_quiet(sub)
    finally:
        sub.close()


def test_c_engine_equals_python_on_every_kind(netns: Any) -> None:
    """The C engine against the Python engine's per-message path on real notifications of
    links, addresses, routes and neighbours mixed: the same events (every field of the view
    and of the previous view, the view's class), the same states, the same re-dumps asked."""
    chunks = _record_mixed(netns)
    kinds = (LinkKind, AddressKind, RouteKind, NeighbourKind)

    def run(native: bool) -> tuple[list[Any], dict[str, Any], list[list[str]]]:
        eng = _Recording([k() for k in kinds], RTNL, 0, lambda items: 0, load=False)
        eng.native = native
        if not native:
            eng._bulk_kinds = {}
        out = []
        for data in chunks:
            for e in eng.feed(data):
                assert e.key == eng.by_name[e.kind].key_of(e.view)
                prev = None if e.previous is None else fields_of(e.previous)
                out.append((e.kind, e.action, e.key, fields_of(e.view), prev, type(e.view).__name__))
        states = {name: {k: fields_of(v) for k, v in st.items()} for name, st in eng.state.items()}
        return out, states, eng.asked

    _Counted.natives = 0
    c = run(True)
    assert _Counted.natives == len(chunks)              # the C engine took every buffer
    _Counted.natives = 0
    py = run(False)
    assert _Counted.natives == 0
    assert c == py
    events, states, asked = c
    seen = {(kind, action) for kind, action, *_ in events}
    assert seen >= {(k, a) for k in ("link", "address", "route", "neighbour") for a in ("new", "deleted")}
    assert ("link", "changed") in seen and {"route", "neighbour", "link"} <= {n for a in asked for n in a}
    assert (4, 100, 1, 0, "172.17.2.0/24", 2) in states["route"]
    nb = {(action, key[2]) for kind, action, key, *_ in events if kind == "neighbour"}
    assert {("new", "172.16.2.1"), ("new", "2001:db8:1::2"), ("deleted", "172.16.1.1")} <= nb
    assert any(v["name"] == "b2" and v["kind"] == "bridge" for v in states["link"].values())
    assert not any(v["name"] in ("v1", "v2", "v3") for v in states["link"].values())
    # the independent oracle: what the events leave is the kernel's state (``ip -j``); links and
    # addresses made before the stream started are known to it only when a notification named them
    kernel_links = {link["ifindex"]: link["ifname"] for link in ip_json(netns.name, "link", "show")}  # type: ignore[union-attr]
    assert {v["index"]: v["name"] for v in states["link"].values()}.items() <= kernel_links.items()
    assert {i for i, name in kernel_links.items() if name.startswith("b") and name != "br0"} <= set(states["link"])
    learnt = {k for k in _kernel_addresses(netns) if k[2] != "203.0.113.1" and not k[2].startswith("fe80:")}
    assert {k for k in states["address"] if not k[2].startswith("fe80:")} == learnt
    kernel_t100 = {(r["dst"], r.get("metric")) for r in ip_json(netns.name, "route", "show", "table", "100")}  # type: ignore[union-attr]
    assert {(k[4], k[5]) for k in states["route"] if k[1] == 100} == kernel_t100
