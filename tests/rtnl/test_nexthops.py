"""Nexthop objects and groups, and routes through them: made by pynetlink and checked with
`ip -j nexthop` / `ip -j route`, and back."""
from __future__ import annotations

import asyncio
from typing import Any

import pytest

from pynetlink import (BatchError, ExistsError, Handle, InvalidArgument, InvalidRequestError, NexthopObject,
                       NexthopObjectView, NotFoundError, Route)
from pynetlink.aio import AsyncHandle
from pynetlink.rtnl.nexthops import nexthop_json

from ..conftest import ip_json
from .conftest import ip

pytestmark = [pytest.mark.root, pytest.mark.kernel("veth")]




def nh_json(ns: Any) -> list[dict[str, Any]]:
    return ip_json(ns.name, "nexthop", "show")  # type: ignore[return-value]


def names(h: Handle) -> dict[int, str]:
    return {link.index: link.name for link in h.links.dump()}


def test_objects_and_groups_match_ip(wired: Handle, netns: Any) -> None:
    wired.nexthops.add(1, via="198.51.100.2", dev="eth0")
    wired.nexthops.add(NexthopObject(2, via="198.51.100.3", dev="eth0", protocol="static"))
    wired.nexthops.add(3, blackhole=True)
    wired.nexthops.add(4, dev="eth0")
    wired.nexthops.add(6, via="2001:db8:5::2", dev="eth0")
    wired.nexthops.add(7, via="198.51.100.9", fdb=True)
    wired.nexthops.add(10, group=(1, (2, 3)))
    wired.nexthops.add(11, group=(1, 2), group_type="resilient", buckets=32, idle_timer=10)
    views = {n.id: n for n in wired.nexthops.dump()}
    assert isinstance(views[1], NexthopObjectView)
    dev = wired.links.get("eth0").index
    assert (views[1].via, views[1].dev, views[1].family) == ("198.51.100.2", dev, 4)
    assert views[2].protocol == "static" and views[3].blackhole and views[4].scope == "host"
    assert (views[6].via, views[6].family) == ("2001:db8:5::2", 6) and views[7].fdb
    assert (views[10].group, views[10].group_type, views[10].family) == ([(1, 1), (2, 3)], "mpath", None)
    assert (views[11].group_type, views[11].buckets, views[11].idle_timer) == ("resilient", 32, 10)
    assert [nexthop_json(n, names(wired)) for n in wired.nexthops.dump()] == nh_json(netns)
    assert wired.nexthops.get(10).group == [(1, 1), (2, 3)]
    assert {n.id for n in wired.nexthops.dump(family=6)} == {6}
    assert {n.id for n in wired.nexthops.dump(groups=True)} == {10, 11}
    assert {n.id for n in wired.nexthops.dump(dev="eth0")} == {1, 2, 4, 6}


def test_routes_through_nexthop_objects(wired: Handle, netns: Any) -> None:
    wired.nexthops.add(1, via="198.51.100.2", dev="eth0")
    wired.nexthops.add(2, via="198.51.100.3", dev="eth0")
    wired.nexthops.add(10, group=((1, 2), 2))
    wired.nexthops.add(6, via="2001:db8:5::2", dev="eth0")
    wired.routes.add("203.0.113.0/24", nhid=10)
    wired.routes.add(Route("172.16.3.0/24", nhid=1, table=100, metrics={"mtu": 1400}))
    wired.routes.add("2001:db8:7::/48", nhid=6)
    main = {r.dst: r for r in wired.routes.dump()}
    r = main["203.0.113.0/24"]
    assert r.nhid == 10 and sorted((n.via, n.weight) for n in r.nexthops) == [
        ("198.51.100.2", 2), ("198.51.100.3", 1)]
    assert main["2001:db8:7::/48"].nhid == 6
    t100 = wired.routes.dump(table=100)[0]
    assert (t100.nhid, t100.metrics.mtu if t100.metrics else None) == (1, 1400)
    oracle = {x["dst"]: x for x in ip_json(netns.name, "route", "show")}  # type: ignore[union-attr]
    assert oracle["203.0.113.0/24"]["nhid"] == 10
    assert ip_json(netns.name, "-6", "route", "show", "2001:db8:7::/48")[0]["nhid"] == 6  # type: ignore[index]
    wired.nexthops.delete(10)                      # its routes go with it
    assert "203.0.113.0/24" not in {x["dst"] for x in ip_json(netns.name, "route", "show")}  # type: ignore[union-attr]


def test_replace_delete_get_missing(wired: Handle, netns: Any) -> None:
    wired.nexthops.add(1, via="198.51.100.2", dev="eth0")
    with pytest.raises(ExistsError) as exc:
        wired.nexthops.add(1, via="198.51.100.3", dev="eth0")
    assert exc.value.operation == "add nexthop" and "id 1" in str(exc.value)
    wired.nexthops.replace(1, via="198.51.100.3", dev="eth0")
    assert nh_json(netns)[0]["gateway"] == "198.51.100.3"
    wired.nexthops.delete(1)
    assert nh_json(netns) == []
    with pytest.raises(NotFoundError) as nf:
        wired.nexthops.get(1)
    assert nf.value.operation == "get nexthop"
    with pytest.raises(NotFoundError):
        wired.nexthops.delete(1)


def test_nexthops_made_by_ip_are_read(wired: Handle, netns: Any) -> None:
    ip(netns, "nexthop", "add", "id", "5", "via", "198.51.100.5", "dev", "eth0", "onlink")
    ip(netns, "nexthop", "add", "id", "50", "group", "5,7")
    views = {n.id: n for n in wired.nexthops.dump()}
    assert views[5].via == "198.51.100.5" and "onlink" in views[5].flags
    assert views[50].group == [(5, 7)]


def test_kernel_refusal_has_extack(wired: Handle) -> None:
    with pytest.raises(InvalidRequestError) as exc:   # EINVAL from the kernel
        wired.nexthops.add(10, group=(99,))
    err = exc.value
    assert err.errno == 22 and err.operation == "add nexthop"
    assert err.extack == "Invalid nexthop id" and "id 10" in str(err)


@pytest.mark.parametrize("options, field", [
    ({"id": 0, "blackhole": True}, "NexthopObject.id"), ({"id": 1}, "needs via, dev, blackhole"),
    ({"id": 1, "via": "198.51.100.300"}, "NexthopObject.via"), ({"id": 1, "dev": "x" * 16}, "NexthopObject.dev"),
    ({"id": 1, "blackhole": True, "dev": "eth0"}, "NexthopObject.blackhole"),
    ({"id": 1, "group": (2, 2)}, "duplicate"), ({"id": 1, "group": ((2, 0),)}, "weight"),
    ({"id": 1, "group": (2,), "via": "198.51.100.2"}, "NexthopObject.group"),
    ({"id": 1, "group": (2,), "group_type": "x"}, "NexthopObject.group_type"),
    ({"id": 1, "group": (2,), "buckets": 8}, "NexthopObject.buckets"),
    ({"id": 1, "fdb": True, "dev": "eth0", "via": "198.51.100.2"}, "NexthopObject.fdb"),
    ({"id": 1, "via": "198.51.100.2", "family": 6}, "NexthopObject.family"),
    ({"id": 1, "blackhole": True, "protocol": "nosuch"}, "NexthopObject.protocol"),
    ({"id": 1, "nosuch": True}, "nexthopobject options"),
])
def test_bad_values_rejected_nothing_changed(wired: Handle, netns: Any, options: dict[str, Any],
                                             field: str) -> None:
    with pytest.raises(InvalidArgument, match=field):
        wired.nexthops.add(**options)
    assert nh_json(netns) == []


def test_route_nhid_validation(wired: Handle) -> None:
    with pytest.raises(InvalidArgument, match="Route.nhid"):
        wired.routes.add("203.0.113.0/24", nhid=1, via="198.51.100.2")
    with pytest.raises(InvalidArgument, match="Route.nhid"):
        wired.routes.add("203.0.113.0/24", nhid=0)


def test_failing_batch_rolls_back(wired: Handle, netns: Any) -> None:
    wired.nexthops.add(9, blackhole=True)
    with pytest.raises(BatchError) as exc:
        with wired.batch(rollback=True) as b:
            b.nexthops.add(1, via="198.51.100.2", dev="eth0")
            b.nexthops.add(2, group=(1,))
            b.nexthops.add(9, blackhole=True)
    assert [u.split(" in netns")[0] for u in exc.value.undone] == ["delete nexthop id 2",
                                                                   "delete nexthop id 1"]
    assert [n["id"] for n in nh_json(netns)] == [9]


def test_asyncio_handle(wired: Handle, netns: Any) -> None:
    async def main() -> list[int]:
        async with AsyncHandle(netns) as ah:
            await ah.nexthops.add(1, via="198.51.100.2", dev="eth0")
            await ah.rules.add(100, fwmark=1, table=100)
            return [n.id for n in await ah.nexthops.dump()] + [
                r.priority for r in await ah.rules.dump(family=4) if r.fwmark == 1]
    assert asyncio.run(main()) == [1, 100]
    assert nh_json(netns)[0]["id"] == 1
