"""A small route or address dump's views are eager (``rtnl.view.eager``: the hot fields read
into slots when the views are made), a large one's compact (read on access): both read what
``ip -j`` shows, alike, and equal values read from the same bytes are one object. Against
the kernel: routes and addresses made in the test's own namespace (ip -batch as set-up)."""
from __future__ import annotations

import gc
import subprocess
from typing import Any

import pytest

from pynetlink import Handle
from pynetlink.rtnl import view
from pynetlink.rtnl.addresses import AddressView
from pynetlink.rtnl.routes import RouteView

from ..conftest import ip_json

pytestmark = pytest.mark.root

ROUTE = ("family", "dst", "table", "protocol", "scope", "type", "via", "dev")
ADDR = ("family", "prefixlen", "scope", "link", "address", "label")


def _batch(netns: Any, lines: list[str]) -> None:
    subprocess.run(["ip", "-n", netns.name, "-batch", "-"], input="\n".join(lines), text=True,
                   check=True, capture_output=True)


@pytest.mark.kernel("veth")
def test_small_dumps_eager_large_compact_both_as_ip_shows(wired: Handle, netns: Any,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    h = wired                                   # eth0 198.51.100.1/24
    _batch(netns, [f"route add 203.0.113.{i}/32 via 198.51.100.{2 + i // 100} table {100 + i % 2}"
                   for i in range(200)] + [f"addr add 172.16.{i}.1/24 dev eth0" for i in range(20)])
    eager = h.routes.dump(table=None, family="ipv4")
    monkeypatch.setattr(view, "EAGER_MAX", 10)    # as a dump of more messages than that
    lazy = h.routes.dump(table=None, family="ipv4")
    lazy_addrs = h.addresses.dump(family="ipv4")
    monkeypatch.undo()
    eager_addrs = h.addresses.dump(family="ipv4")
    assert {type(v) for v in eager} == {view.eager(RouteView)} and {type(v) for v in lazy} == {view.compact(RouteView)}
    assert {type(v) for v in eager_addrs} == {view.eager(AddressView)}
    assert {type(v) for v in lazy_addrs} == {view.compact(AddressView)}
    assert not any(gc.is_tracked(v) for v in eager + lazy)
    assert [[getattr(v, f) for f in ROUTE] for v in eager] == [[getattr(v, f) for f in ROUTE] for v in lazy]
    assert [[getattr(v, f) for f in ADDR] for v in eager_addrs] == [[getattr(v, f) for f in ADDR] for v in lazy_addrs]
    assert [v.to_dict() for v in eager] == [v.to_dict() for v in lazy]

    routes: Any = ip_json(netns.name, "-4", "route", "show", "table", "all")
    shown = {(r["dst"], r.get("table", "main")): r for r in routes
             if r.get("type", "unicast") == "unicast" and "/" not in r["dst"] and r["dst"].startswith("203.0.113.")}
    ours = {(v.dst.split("/")[0], str(v.table)): v for v in eager if v.dst.startswith("203.0.113.")}
    assert len(ours) == len(shown) == 200 and ours.keys() == shown.keys()
    eth0 = h.links.get("eth0").index
    for k, r in shown.items():             # (ip -j leaves out the protocol "boot")
        assert (ours[k].via, ours[k].protocol, r["dev"], ours[k].dev) == (r["gateway"], r.get("protocol", "boot"), "eth0", eth0)
    links: Any = ip_json(netns.name, "-4", "addr", "show")
    addrs = {a["local"] for i in links for a in i["addr_info"]}
    assert {v.address for v in eager_addrs} == addrs and {"198.51.100.1", "172.16.19.1"} <= addrs and len(addrs) >= 21

    # equal texts read from equal bytes, one after the other: the one object
    seq = [v for v in eager if v.dst.startswith("203.0.113.")]
    assert all(a.via is b.via for a, b in zip(seq, seq[1:]) if a.via == b.via)
    assert len({id(v.via) for v in seq}) < len(seq) // 10
    assert len({id(v.dst) for v in seq}) == len(seq)
