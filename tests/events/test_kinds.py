"""One live test per event kind: `ip` (another process) changes the test's namespace, the
stream reports typed events with the fields of the objects it changed."""
from __future__ import annotations

import subprocess
from typing import Any, Callable

from pynetlink.events import Events, NsidView
from pynetlink.rtnl import LinkView, VethView
from pynetlink.rtnl.addresses import AddressView
from pynetlink.rtnl.neigh import NeighbourView
from pynetlink.rtnl.routes import RouteView

from ..conftest import ip_json
from .helpers import ip, until


def test_link_new_changed_deleted(netns: Any) -> None:
    with Events(["link"], netns=netns) as ev:
        assert ev.sync(5)
        ip(netns, "link", "add", "va", "type", "veth", "peer", "name", "vb")
        e = until(ev, lambda e: e.action == "new" and e.view.name == "va")
        assert e.kind == "link" and isinstance(e.view, VethView) and e.view.kind == "veth"
        assert e.netns == netns.name and e.origin == "kernel" and e.previous is None
        index = e.view.index
        ip(netns, "link", "set", "va", "mtu", "1400")
        e = until(ev, lambda e: e.key == index and e.action == "changed" and e.view.mtu == 1400)
        assert e.changes["mtu"] == (1500, 1400) and e.previous.mtu == 1500
        ip(netns, "link", "set", "va", "up")
        e = until(ev, lambda e: e.key == index and "up" in e.changes)
        assert e.changes["up"] == (False, True) and e.view.up
        ip(netns, "link", "del", "va")
        e = until(ev, lambda e: e.key == index and e.action == "deleted")
        assert isinstance(e.view, LinkView) and e.view.name == "va"
        assert index not in ev.state("link")


def test_addresses_v4_and_v6(netns: Any) -> None:
    ip(netns, "link", "add", "br0", "type", "bridge")
    with Events(["address"], netns=netns) as ev:
        assert ev.sync(5)
        ip(netns, "address", "add", "198.51.100.7/24", "dev", "br0", "label", "br0:x")
        e = until(ev, lambda e: e.action == "new" and e.view.family == 4)
        v = e.view
        assert isinstance(v, AddressView)
        assert (v.address, v.prefixlen, v.label, v.scope) == ("198.51.100.7", 24, "br0:x", "global")
        ip(netns, "address", "add", "2001:db8::7/64", "dev", "br0", "nodad")
        e = until(ev, lambda e: e.action == "new" and e.view.family == 6)
        assert (e.view.address, e.view.prefixlen) == ("2001:db8::7", 64) and "nodad" in e.view.flags
        assert e.key == (6, e.view.link, "2001:db8::7", 64)
        ip(netns, "address", "del", "198.51.100.7/24", "dev", "br0")
        e = until(ev, lambda e: e.action == "deleted")
        assert e.view.address == "198.51.100.7" and e.previous is not None


def test_routes_v4_and_v6(netns: Any) -> None:
    ip(netns, "link", "add", "br0", "type", "bridge")
    ip(netns, "link", "set", "br0", "up")
    ip(netns, "address", "add", "198.51.100.1/24", "dev", "br0")
    ip(netns, "address", "add", "2001:db8::1/64", "dev", "br0", "nodad")
    with Events(["route"], netns=netns) as ev:
        assert ev.sync(5)
        ip(netns, "route", "add", "203.0.113.0/24", "via", "198.51.100.254", "metric", "7")
        e = until(ev, lambda e: e.action == "new" and e.view.dst == "203.0.113.0/24")
        v = e.view
        assert isinstance(v, RouteView)
        assert (v.family, v.via, v.metric, v.table) == (4, "198.51.100.254", 7, 254)
        assert v.dev == ip_json(netns.name, "link", "show", "br0")[0]["ifindex"]  # type: ignore[index]
        ip(netns, "-6", "route", "add", "2001:db8:1::/64", "via", "2001:db8::fe")
        e = until(ev, lambda e: e.action == "new" and e.view.dst == "2001:db8:1::/64")
        assert e.view.family == 6 and e.view.via == "2001:db8::fe"
        ip(netns, "route", "del", "203.0.113.0/24")
        e = until(ev, lambda e: e.action == "deleted" and e.view.dst == "203.0.113.0/24")
        assert e.origin == "kernel"


def test_neighbours(netns: Any) -> None:
    ip(netns, "link", "add", "br0", "type", "bridge")
    ip(netns, "link", "set", "br0", "up")
    with Events(["neigh"], netns=netns) as ev:
        assert ev.sync(5)
        ip(netns, "neigh", "add", "198.51.100.9", "lladdr", "02:00:00:00:00:09", "dev", "br0", "nud", "permanent")
        e = until(ev, lambda e: e.action == "new" and e.view.ip == "198.51.100.9")
        assert isinstance(e.view, NeighbourView)
        assert e.view.lladdr == "02:00:00:00:00:09" and e.view.state == {"permanent"}
        ip(netns, "neigh", "change", "198.51.100.9", "lladdr", "02:00:00:00:00:0a", "dev", "br0", "nud", "permanent")
        e = until(ev, lambda e: e.action == "changed")
        assert e.changes["lladdr"] == ("02:00:00:00:00:09", "02:00:00:00:00:0a")
        ip(netns, "neigh", "del", "198.51.100.9", "dev", "br0")
        e = until(ev, lambda e: e.action == "deleted")
        assert e.view.ip == "198.51.100.9"


def test_nsids(make_netns: Callable[..., Any]) -> None:
    a, b = make_netns("a"), make_netns("b")
    with Events(["nsid"], netns=a) as ev:
        assert ev.sync(5)
        ip(a, "netns", "set", b.name, "17")
        e = until(ev, lambda e: e.action == "new")
        assert isinstance(e.view, NsidView) and e.view.nsid == 17 and e.key == 17
        subprocess.run(["ip", "netns", "del", b.name], check=True)   # the kernel drops the id with it
        e = until(ev, lambda e: e.action == "deleted", timeout=10)
        assert e.view.nsid == 17 and ev.state("nsid") == {}


def test_routes_the_kernel_flushes_silently(netns: Any) -> None:
    """A link going down takes its IPv4 routes without RTM_DELROUTE; the stream re-dumps routes
    on such link changes and reports the difference."""
    from .helpers import Consumer, assert_converges
    ip(netns, "link", "add", "br0", "type", "bridge")
    ip(netns, "link", "set", "br0", "up")
    ip(netns, "address", "add", "198.51.100.1/24", "dev", "br0")
    ip(netns, "route", "add", "203.0.113.0/24", "via", "198.51.100.254")
    with Events(["link", "route"], netns=netns, start_with_current=True) as ev:
        c = Consumer()
        for e in ev.iter(0.3):
            c.apply(e)
        assert any(k[4] == "203.0.113.0/24" for k in c.of("route", netns.name))
        ip(netns, "link", "set", "br0", "down")
        got = list(ev.iter(0.5))
        for e in got:
            c.apply(e)
        gone = [e for e in got if e.kind == "route" and e.action == "deleted" and e.view.dst == "203.0.113.0/24"]
        assert gone and gone[0].origin == "resync"          # the kernel said nothing
        assert_converges(ev, c, netns, ("route",), netns.name)
