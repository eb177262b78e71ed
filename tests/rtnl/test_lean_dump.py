"""A list-form route dump decoded without its row table (LeanRows: decode + pluck in one C
pass) gives the same views, field for field, as the same replies decoded into the full
table; a field outside the plucked columns decodes the table on first use. Against the
kernel: routes made in the test's own namespace (ip -batch as set-up), IPv4 only."""
from __future__ import annotations

import copy
from typing import Any

import pytest

import subprocess

from pynetlink import Handle
from pynetlink.codec.rows import LeanRows
from pynetlink.rtnl import routes
from pynetlink.rtnl.request import run_one

pytestmark = pytest.mark.root


@pytest.mark.kernel("veth")
def test_lean_route_dump_equals_full(wired: Handle, netns: Any) -> None:
    h = wired                                   # eth0 198.51.100.1/24 (IPv4 routes only below)
    lines = [f"route add 203.0.113.{i}/32 via 198.51.100.{2 + i % 5} metric {i % 3} table {100 + i % 2}"
             for i in range(200)]
    lines += ["route add 172.16.0.0/16 nexthop via 198.51.100.2 weight 2 nexthop via 198.51.100.3"]
    subprocess.run(["ip", "-n", netns.name, "-batch", "-"], input="\n".join(lines), text=True,
                   check=True, capture_output=True)

    lean = h.routes.dump(table=None, family="ipv4")
    full = run_one(h._sock, _unplucked(routes.dump(table=None, family="ipv4")))

    assert _table_absent(lean[0]._rows) and not isinstance(full[0]._rows, LeanRows)
    assert len(lean) == len(full) >= 202
    # plucked fields first: the table is not decoded for them
    plucked = [(v.family, v.dst, v.table, v.protocol, v.scope, v.type, v.via, v.dev) for v in lean]
    assert _table_absent(lean[0]._rows)
    assert plucked == [(v.family, v.dst, v.table, v.protocol, v.scope, v.type, v.via, v.dev) for v in full]
    # then every field (metric, nexthops, ... read the rows: decoded now, once)
    assert [v.to_dict() for v in lean] == [v.to_dict() for v in full]
    assert not _table_absent(lean[0]._rows)
    multi = [v for v in lean if v.dst == "172.16.0.0/16"]
    assert len(multi) == 1 and [n.via for n in multi[0].nexthops] == ["198.51.100.2", "198.51.100.3"]
    assert {v.table for v in lean if v.dst.startswith("203.0.113.")} == {100, 101}


def _unplucked(req: Any) -> Any:
    """The same request decoded into the full table: a copy without its pluck spec (dump
    requests are shared, kept by ``request.memo``)."""
    req = copy.copy(req)
    req.pluck = None
    return req


def _table_absent(rows: LeanRows) -> bool:
    return type(rows) is LeanRows               # a Rows once the table is decoded


@pytest.mark.kernel("veth")
def test_lean_link_and_address_dumps_equal_full(h: Handle, netns: Any) -> None:
    """Links and addresses are dumped lean too: their views' main fields come from the
    plucked columns (no table decoded), every other field as from the full table."""
    lines = [f"link add lx{i} mtu {1400 + i} type veth peer name ly{i}" for i in range(40)]
    lines += ["link add br0 type bridge", "link set lx0 master br0", "link set lx1 up"]
    lines += [f"addr add 198.51.100.{1 + i}/24 dev lx{i % 3} label lx{i % 3}:{i}" for i in range(30)]
    subprocess.run(["ip", "-n", netns.name, "-batch", "-"], input="\n".join(lines), text=True,
                   check=True, capture_output=True)
    from pynetlink.rtnl import addresses, links

    for lean, req, read in (
            (h.links.dump(), links.dump(),
             lambda v: (v.index, v.flags, v.name, v.mtu, v.master, v.operstate, v.mac, v.kind)),
            (h.addresses.dump(family="ipv4"), addresses.dump(family="ipv4"),
             lambda v: (v.family, v.prefixlen, v.scope, v.link, v.address, v.label))):
        full = run_one(h._sock, _unplucked(req))
        assert _table_absent(lean[0]._rows) and not isinstance(full[0]._rows, LeanRows)
        assert [read(v) for v in lean] == [read(v) for v in full]
        assert _table_absent(lean[0]._rows)         # the main fields read no row
        assert [v.to_dict() for v in lean] == [v.to_dict() for v in full]
    names = {v.name: v for v in h.links.dump()}
    assert len(names) == 82 and names["br0"].kind == "bridge" and names["lx7"].mtu == 1407
    assert names["lx0"].master == names["br0"].index
    assert sorted(v.label for v in h.addresses.dump(family="ipv4"))[:2] == ["lx0:0", "lx0:12"]
