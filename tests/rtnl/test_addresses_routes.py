"""Addresses, routes, neighbours and FDB entries: made by pynetlink and checked with `ip -j`, and back."""
from __future__ import annotations

import json
import subprocess
from typing import Any

import pytest

from pynetlink import (Address, AddressView, Bridge, ExistsError, Handle, NetlinkError, Nexthop,
                       NotFoundError, Route, RouteView, Veth)

from ..conftest import ip_json
from .conftest import ip

pytestmark = [pytest.mark.root, pytest.mark.kernel("veth")]


@pytest.fixture
def eth(h: Handle, netns: Any) -> Handle:
    """eth0 (up) with its peer eth0p (up) in the test namespace; IPv6 DAD off."""
    netns.set_sysctl("net.ipv6.conf.all.accept_dad", 0)
    netns.set_sysctl("net.ipv6.conf.default.accept_dad", 0)
    h.links.create(Veth("eth0", peer="eth0p", up=True))
    h.links.set("eth0p", up=True)
    h.links.set("lo", up=True)
    return h


def addrs_of(ns: Any, dev: str) -> list[dict[str, Any]]:
    out = ip_json(ns.name, "addr", "show", "dev", dev)
    return out[0]["addr_info"]  # type: ignore[index,no-any-return]


# -- addresses ------------------------------------------------------------------------------
def test_ipv4_address_options(eth: Handle, netns: Any) -> None:
    eth.addresses.add("eth0", "172.17.0.1/24", broadcast=True, label="eth0:web",
                      valid_lft=3600, preferred_lft=1800, flags=("noprefixroute",))
    eth.addresses.add(Address("eth0", "172.17.1.9/24", scope="link"))
    eth.addresses.add("eth0", "172.17.0.3/24")
    views = {a.cidr: a for a in eth.addresses.dump("eth0", family=4)}
    assert sorted(views) == ["172.17.0.1/24", "172.17.0.3/24", "172.17.1.9/24"]
    a = views["172.17.0.1/24"]
    assert isinstance(a, AddressView)
    assert (a.family, a.broadcast, a.label, a.scope) == (4, "172.17.0.255", "eth0:web", "global")
    assert "noprefixroute" in a.flags and views["172.17.1.9/24"].scope == "link"
    assert "secondary" in views["172.17.0.3/24"].flags
    assert a.valid_lft is not None and 3500 < a.valid_lft <= 3600 and a.preferred_lft <= 1800  # type: ignore[operator]
    j = {x["local"]: x for x in addrs_of(netns, "eth0") if x["family"] == "inet"}
    assert (j["172.17.0.1"]["prefixlen"], j["172.17.0.1"]["broadcast"], j["172.17.0.1"]["label"]) == (
        24, "172.17.0.255", "eth0:web")
    assert j["172.17.0.1"].get("noprefixroute") is True and j["172.17.1.9"]["scope"] == "link"
    assert j["172.17.0.3"].get("secondary") is True
    assert a.to_dict()["flags"] == sorted(a.flags)


def test_ipv6_address_and_family_filter(eth: Handle, netns: Any) -> None:
    eth.addresses.add("eth0", "2001:db8:1::1/64", flags=("nodad",))
    eth.addresses.add("eth0", "198.51.100.1/24")
    v6 = [a for a in eth.addresses.dump("eth0", family=6) if a.scope == "global"]
    assert [a.cidr for a in v6] == ["2001:db8:1::1/64"] and "nodad" in v6[0].flags
    assert all(a.family == 4 for a in eth.addresses.dump(family=4))
    assert {a.link for a in eth.addresses.dump("eth0")} == {eth.links.get("eth0").index}
    j = [x for x in addrs_of(netns, "eth0") if x["family"] == "inet6" and x["scope"] == "global"]
    assert j[0]["local"] == "2001:db8:1::1" and j[0]["prefixlen"] == 64


def test_address_replace_and_delete(eth: Handle, netns: Any) -> None:
    eth.addresses.add("eth0", "198.51.100.1/24")
    with pytest.raises(ExistsError):
        eth.addresses.add("eth0", "198.51.100.1/24")
    eth.addresses.replace("eth0", "198.51.100.1/24", valid_lft=600, preferred_lft=600)
    assert eth.addresses.dump("eth0", family=4)[0].valid_lft is not None
    eth.addresses.delete("eth0", "198.51.100.1/24")
    assert eth.addresses.dump("eth0", family=4) == []
    with pytest.raises(NotFoundError) as exc:
        eth.addresses.delete("eth0", "198.51.100.1/24")
    assert exc.value.operation == "delete address"
    assert exc.value.extack in ("", "ipv4: Address not found")     # the text came with 6.x kernels


def test_decode_addresses_made_by_ip(eth: Handle, netns: Any) -> None:
    ip(netns, "addr", "add", "203.0.113.5/25", "brd", "+", "dev", "eth0p", "label", "eth0p:x")
    ip(netns, "addr", "add", "2001:db8:2::5/80", "dev", "eth0p", "nodad")
    ip(netns, "addr", "add", "10.9.9.1", "peer", "10.9.9.2/32", "dev", "eth0p")
    views = {a.address: a for a in eth.addresses.dump("eth0p")}
    assert (views["203.0.113.5"].prefixlen, views["203.0.113.5"].broadcast) == (25, "203.0.113.127")
    assert views["203.0.113.5"].label == "eth0p:x" and views["10.9.9.1"].peer == "10.9.9.2"
    assert views["2001:db8:2::5"].prefixlen == 80
    oracle = {x["local"]: x for x in addrs_of(netns, "eth0p")}
    for addr, v in views.items():
        assert oracle[addr]["prefixlen"] == v.prefixlen and oracle[addr]["scope"] == v.scope


# -- routes ---------------------------------------------------------------------------------
def routes_json(ns: Any, *args: str) -> list[dict[str, Any]]:
    return ip_json(ns.name, "route", "show", *args)  # type: ignore[return-value]


def test_routes_v4(eth: Handle, netns: Any) -> None:
    eth.addresses.add("eth0", "172.16.0.2/24")
    eth.routes.add("default", via="172.16.0.254")
    eth.routes.add("198.51.100.0/24", dev="eth0", metric=50, src="172.16.0.2")
    eth.routes.add("203.0.113.0/24", via="172.16.0.1", table=100, protocol="static")
    eth.routes.add(Route("203.0.113.128/25", type="blackhole"))
    eth.routes.add(Route("203.0.113.64/26", type="unreachable"))
    eth.routes.add(Route("203.0.113.32/27", type="prohibit"))
    main = {r.dst: r for r in eth.routes.dump(family=4)}
    assert isinstance(main["default"], RouteView)
    assert (main["default"].via, main["default"].dev) == ("172.16.0.254", eth.links.get("eth0").index)
    r = main["198.51.100.0/24"]
    assert (r.metric, r.src, r.scope, r.protocol) == (50, "172.16.0.2", "link", "boot")
    assert main["203.0.113.128/25"].type == "blackhole" and main["203.0.113.64/26"].type == "unreachable"
    assert main["203.0.113.32/27"].type == "prohibit"
    t100 = eth.routes.dump(table=100)
    assert [(x.dst, x.via, x.table, x.protocol) for x in t100] == [("203.0.113.0/24", "172.16.0.1", 100, "static")]
    oracle = {x["dst"]: x for x in routes_json(netns)}
    assert oracle["default"]["gateway"] == "172.16.0.254"
    assert (oracle["198.51.100.0/24"]["metric"], oracle["198.51.100.0/24"]["prefsrc"]) == (50, "172.16.0.2")
    assert oracle["203.0.113.128/25"]["type"] == "blackhole"
    assert routes_json(netns, "table", "100")[0]["protocol"] == "static"
    assert eth.routes.get("198.51.100.7").dev == eth.links.get("eth0").index
    got = eth.routes.get("8.8.8.8")
    assert got.via == "172.16.0.254" and got.table == 254
    local = [x for x in eth.routes.dump(table="local") if x.type == "local"]
    assert "172.16.0.2/32" in {x.dst for x in local}
    eth.routes.add("198.51.100.77/32", type="local", dev="eth0", table="local")
    (mine,) = [x for x in eth.routes.dump(table="local") if x.dst == "198.51.100.77/32"]
    assert (mine.type, mine.scope, mine.table) == ("local", "host", 255)
    (j,) = [x for x in ip_json(netns.name, "route", "show", "table", "local") if x["dst"] == "198.51.100.77"]  # type: ignore[union-attr,index]
    assert j["type"] == "local" and j["scope"] == "host"


def test_route_replace_append_delete(eth: Handle, netns: Any) -> None:
    eth.addresses.add("eth0", "172.16.0.2/24")
    eth.routes.add("198.51.100.0/24", via="172.16.0.1")
    with pytest.raises(ExistsError):
        eth.routes.add("198.51.100.0/24", via="172.16.0.1")
    eth.routes.replace("198.51.100.0/24", via="172.16.0.3")
    eth.routes.append("198.51.100.0/24", via="172.16.0.4", metric=10)
    got = sorted((r.via, r.metric) for r in eth.routes.dump() if r.dst == "198.51.100.0/24")
    assert got == [("172.16.0.3", None), ("172.16.0.4", 10)]
    eth.routes.delete("198.51.100.0/24", via="172.16.0.3")
    eth.routes.delete("198.51.100.0/24", metric=10)
    assert not [r for r in eth.routes.dump() if r.dst == "198.51.100.0/24"]
    with pytest.raises(NotFoundError):
        eth.routes.delete("198.51.100.0/24")


def test_route_multipath_and_v6(eth: Handle, netns: Any) -> None:
    eth.links.create(Veth("eth1", peer="eth1p", up=True))
    eth.addresses.add("eth0", "172.16.0.2/24")
    eth.addresses.add("eth1", "172.16.1.2/24")
    eth.routes.add("203.0.113.0/24", nexthops=[Nexthop(via="172.16.0.1", weight=2),
                                                 Nexthop(via="172.16.1.1", dev="eth1")])
    (r,) = [x for x in eth.routes.dump() if x.dst == "203.0.113.0/24"]
    hops = sorted((n.via, n.weight) for n in r.nexthops)
    assert hops == [("172.16.0.1", 2), ("172.16.1.1", 1)]
    (j,) = [x for x in routes_json(netns) if x["dst"] == "203.0.113.0/24"]
    assert sorted((n["gateway"], n["weight"]) for n in j["nexthops"]) == hops
    eth.addresses.add("eth0", "2001:db8:1::2/64", flags=("nodad",))
    eth.routes.add("default", via="2001:db8:1::1", dev="eth0")
    eth.routes.add("2001:db8:5::/48", dev="eth0", metric=300)
    v6 = {x.dst: x for x in eth.routes.dump(family=6)}
    assert v6["default"].via == "2001:db8:1::1" and v6["2001:db8:5::/48"].metric == 300
    v6_oracle = ip_json(netns.name, "-6", "route", "show")
    assert {x["dst"] for x in v6_oracle} >= {"default", "2001:db8:5::/48"}  # type: ignore[union-attr,index]
    assert eth.routes.get("2001:db8:7::1").via == "2001:db8:1::1"


def test_decode_routes_made_by_ip(eth: Handle, netns: Any) -> None:
    ip(netns, "addr", "add", "172.16.0.2/24", "dev", "eth0")
    ip(netns, "route", "add", "198.51.100.0/24", "via", "172.16.0.9", "metric", "7", "proto", "static")
    ip(netns, "route", "add", "unreachable", "203.0.113.0/24", "table", "200")
    r = {x.dst: x for x in eth.routes.dump()}["198.51.100.0/24"]
    assert (r.via, r.metric, r.protocol, r.type) == ("172.16.0.9", 7, "static", "unicast")
    (u,) = eth.routes.dump(table=200)
    assert (u.dst, u.type, u.table) == ("203.0.113.0/24", "unreachable", 200)
    assert u.to_dict()["type"] == "unreachable"


# -- neighbours and fdb ---------------------------------------------------------------------
def test_neighbours(eth: Handle, netns: Any) -> None:
    eth.neighbours.add("eth0", "172.16.0.50", "02:00:00:00:00:50")
    eth.neighbours.add("eth0", "2001:db8::50", "02:00:00:00:00:51")
    got = {n.ip: n for n in eth.neighbours.dump("eth0")}
    assert got["172.16.0.50"].lladdr == "02:00:00:00:00:50" and "permanent" in got["172.16.0.50"].state
    assert got["2001:db8::50"].lladdr == "02:00:00:00:00:51"
    j = {x["dst"]: x for x in ip_json(netns.name, "neigh", "show", "dev", "eth0")}  # type: ignore[union-attr]
    assert j["172.16.0.50"]["lladdr"] == "02:00:00:00:00:50" and "PERMANENT" in j["172.16.0.50"]["state"]
    eth.neighbours.delete("eth0", "172.16.0.50")
    assert "172.16.0.50" not in {n.ip for n in eth.neighbours.dump("eth0", family=4)}


@pytest.mark.kernel("bridge", "veth")
def test_bridge_fdb(eth: Handle, netns: Any) -> None:
    eth.links.create(Bridge("br0", up=True))
    eth.links.set("eth0", master="br0")
    eth.fdb.add("eth0", "02:00:00:00:aa:01")
    entries = [e for e in eth.fdb.dump(master="br0") if e.lladdr == "02:00:00:00:aa:01"]
    assert entries and "permanent" in entries[0].state and entries[0].master == eth.links.get("br0").index
    out = subprocess.run(["bridge", "-j", "-n", netns.name, "fdb", "show", "br", "br0"], check=True,
                         capture_output=True, text=True).stdout
    oracle = [e for e in json.loads(out) if e["mac"] == "02:00:00:00:aa:01"]
    assert oracle and oracle[0]["ifname"] == "eth0" and oracle[0]["state"] == "permanent"
    eth.fdb.delete("eth0", "02:00:00:00:aa:01")
    assert not [e for e in eth.fdb.dump(master="br0") if e.lladdr == "02:00:00:00:aa:01"]


def test_errors_carry_operation_and_extack(eth: Handle) -> None:
    with pytest.raises(NetlinkError) as exc:
        eth.routes.add("198.51.100.0/24", via="10.99.0.1")
    assert exc.value.operation == "add route" and "Nexthop has invalid gateway" in exc.value.extack
    assert netns_name(eth) in exc.value.target


def netns_name(h: Handle) -> str:
    assert h.netns is not None and h.netns.name
    return h.netns.name
