"""Bad input at every public entry point of the API: the exception type, the words its
message must hold, and nothing changed in the namespaces or the state directory."""
from __future__ import annotations

from typing import Any, Callable

import pytest

from pynetlink import (Address, Bridge, BridgePort, Dummy, GenericLink, Handle, InvalidArgument, Ipvlan,
                       Ipvtap, Macvlan, Macvtap, NetNS, NotSupportedError, Route, Veth, Vlan, Vxlan)

from .conftest import Ctx, check_row

Row = tuple[str, Callable[[Ctx], Any], type, str]


def _batch_with_bad_last(c: Ctx) -> None:
    """A bad request at the end of a batch is refused when queued: nothing was sent yet."""
    with c.h.batch() as b:
        b.links.create(Bridge("b8"))
        b.links.create(Bridge("b9\0"))

NAMES = [("", "1-15"), ("a" * 16, "1-15"), ("é" * 8, "1-15"), ("br\0x", "NUL"), ("a/b", "invalid"),
         ("a:b", "invalid"), ("a b", "invalid"), ("a\tb", "invalid"), ("a\u00a0b", "invalid"),
         ("brà", "invalid"), (".", "invalid"), ("..", "invalid"), (5.0, "string")]

ROWS: list[Row] = [
    # -- interface names, everywhere a name is taken
    *[(f"Bridge name {n!r}", lambda c, n=n: c.h.links.create(Bridge(n)), InvalidArgument, f"Bridge.name {w}")
      for n, w in NAMES],
    *[(f"rename to {n!r}", lambda c, n=n: c.h.links.set("v0", name=n), InvalidArgument, f"Link.name {w}")
      for n, w in NAMES if n],
    ("Veth peer NUL", lambda c: c.h.links.create(Veth("v9", peer="p\0")), InvalidArgument, "Veth.peer NUL"),
    ("Dummy NUL", lambda c: c.h.links.create(Dummy("d\0")), InvalidArgument, "Dummy.name NUL"),
    ("Macvlan parent NUL", lambda c: Macvlan("m9", parent="br0\0"), InvalidArgument, "Macvlan.parent NUL"),
    ("Ipvlan parent slash", lambda c: Ipvlan("i9", parent="a/b"), InvalidArgument, "Ipvlan.parent"),
    ("Vlan parent NUL", lambda c: Vlan("vl9", parent="x\0", id=5), InvalidArgument, "Vlan.parent NUL"),
    ("Vxlan parent NUL", lambda c: Vxlan("vx9", id=5, parent="x\0"), InvalidArgument, "Vxlan.parent NUL"),
    ("master NUL", lambda c: c.h.links.set("v0", master="br0\0"), InvalidArgument, "Link.master NUL"),
    ("links.get NUL", lambda c: c.h.links.get("br0\0"), InvalidArgument, "link NUL"),
    ("links.delete NUL", lambda c: c.h.links.delete("br0\0"), InvalidArgument, "link NUL"),
    ("addresses NUL link", lambda c: c.h.addresses.add("br0\0", "172.16.5.2/24"), InvalidArgument, "NUL"),
    ("routes dev NUL", lambda c: c.h.routes.add("198.51.100.0/24", dev="br0\0"), InvalidArgument, "NUL"),
    ("neigh NUL", lambda c: c.h.neighbours.add("br0\0", "172.16.5.9", "02:00:00:00:00:09"),
     InvalidArgument, "NUL"),
    ("fdb NUL", lambda c: c.h.fdb.add("v0\0", "02:00:00:00:00:09"), InvalidArgument, "NUL"),
    ("ifindex 0", lambda c: c.h.links.get(0), InvalidArgument, "ifindex"),
    ("ifindex bool", lambda c: c.h.links.get(True), InvalidArgument, "link"),
    # -- numbers
    ("mtu 0", lambda c: c.h.links.set("v0", mtu=0), InvalidArgument, "Link.mtu 68-65535"),
    ("mtu huge", lambda c: c.h.links.set("v0", mtu=1 << 40), InvalidArgument, "Link.mtu"),
    ("mtu float", lambda c: c.h.links.set("v0", mtu=1500.0), InvalidArgument, "Link.mtu integer"),
    ("mtu str", lambda c: c.h.links.set("v0", mtu="1500"), InvalidArgument, "Link.mtu integer"),
    ("txqlen negative", lambda c: c.h.links.set("v0", txqlen=-1), InvalidArgument, "Link.txqlen"),
    ("group negative", lambda c: c.h.links.set("v0", group=-1), InvalidArgument, "Link.group"),
    ("delete_group 0", lambda c: c.h.links.delete_group(0), InvalidArgument, "group"),
    ("Vlan id 0", lambda c: Vlan("vl9", parent="br0", id=0), InvalidArgument, "Vlan.id 1-4094"),
    ("Vlan id 4095", lambda c: Vlan("vl9", parent="br0", id=4095), InvalidArgument, "Vlan.id 1-4094"),
    ("Vxlan id", lambda c: Vxlan("vx9", id=1 << 24), InvalidArgument, "Vxlan.id"),
    ("Vxlan dstport", lambda c: Vxlan("vx9", id=5, dstport=0), InvalidArgument, "Vxlan.dstport"),
    ("Vxlan ttl", lambda c: Vxlan("vx9", id=5, ttl=256), InvalidArgument, "Vxlan.ttl"),
    ("Bridge priority", lambda c: Bridge("b9", priority=1 << 16), InvalidArgument, "Bridge.priority"),
    ("Bridge forward_delay nan", lambda c: Bridge("b9", forward_delay=float("nan")), InvalidArgument,
     "Bridge.forward_delay"),
    ("Bridge ageing inf", lambda c: Bridge("b9", ageing_time=float("inf")), InvalidArgument,
     "Bridge.ageing_time"),
    ("BridgePort cost", lambda c: BridgePort(cost=0), InvalidArgument, "BridgePort.cost"),
    ("BridgePort priority", lambda c: BridgePort(priority=64), InvalidArgument, "BridgePort.priority"),
    ("Veth peer_mtu", lambda c: Veth("v9", peer="p9", peer_mtu=10), InvalidArgument, "Veth.peer_mtu"),
    ("route table 0", lambda c: c.h.routes.add("198.51.100.0/24", dev="br0", table=0), InvalidArgument,
     "Route.table"),
    ("route table huge", lambda c: c.h.routes.add("198.51.100.0/24", dev="br0", table=1 << 32),
     InvalidArgument, "Route.table"),
    ("route metric", lambda c: c.h.routes.add("198.51.100.0/24", dev="br0", metric=-1), InvalidArgument,
     "Route.metric"),
    ("route get mark", lambda c: c.h.routes.get("198.51.100.1", mark=-1), InvalidArgument, "mark"),
    ("address valid_lft", lambda c: c.h.addresses.add("br0", "172.16.5.2/24", valid_lft=-1),
     InvalidArgument, "valid_lft"),
    ("fdb vlan", lambda c: c.h.fdb.add("v0", "02:00:00:00:00:09", vlan=4095), InvalidArgument, "vlan"),
    # -- MAC addresses
    ("mac short", lambda c: c.h.links.set("v0", mac="02:00:00:00:00"), InvalidArgument, "Link.mac MAC"),
    ("mac bytes", lambda c: c.h.links.set("v0", mac=b"12345"), InvalidArgument, "Link.mac"),
    ("mac multicast", lambda c: c.h.links.set("v0", mac="01:00:5e:00:00:01"), InvalidArgument,
     "Link.mac multicast"),
    ("mac zero", lambda c: c.h.links.set("v0", mac="00:00:00:00:00:00"), InvalidArgument, "Link.mac zero"),
    ("Veth peer_mac multicast", lambda c: Veth("v9", peer="p9", peer_mac="ff:ff:ff:ff:ff:ff"),
     InvalidArgument, "Veth.peer_mac multicast"),
    ("Bridge mac zero", lambda c: Bridge("b9", mac="00:00:00:00:00:00"), InvalidArgument, "Bridge.mac"),
    ("neigh lladdr", lambda c: c.h.neighbours.add("br0", "172.16.5.9", "zz"), InvalidArgument,
     "lladdr"),
    ("fdb mac", lambda c: c.h.fdb.add("v0", "02:00:00:00:00"), InvalidArgument, "MAC"),
    ("macvlan_macs", lambda c: c.h.links.macvlan_macs("v0", "add", ["x"]), InvalidArgument, "macs"),
    # -- addresses and prefixes
    ("address no prefix junk", lambda c: c.h.addresses.add("br0", "172.16.5.2/24\0"), InvalidArgument,
     "Address.address"),
    ("address /33", lambda c: c.h.addresses.add("br0", "172.16.5.2/33"), InvalidArgument, "prefix"),
    ("address text", lambda c: c.h.addresses.add("br0", "not-an-ip/24"), InvalidArgument, "Address.address"),
    ("address scope", lambda c: c.h.addresses.add("br0", "172.16.5.2/24", scope="x"), InvalidArgument,
     "scope"),
    ("address unknown option", lambda c: c.h.addresses.add("br0", "172.16.5.2/24", colour=1),
     InvalidArgument, "colour"),
    ("Address ctor", lambda c: Address("br0", "1.2.3"), InvalidArgument, "Address.address"),
    ("route dst", lambda c: c.h.routes.add("198.51.100.0/40", dev="br0"), InvalidArgument, "Route.dst"),
    ("route via prefix", lambda c: c.h.routes.add("default", via="172.16.5.9/24"), InvalidArgument, "via"),
    ("route mixed", lambda c: c.h.routes.add("2001:db8::/64", via="172.16.5.9"), InvalidArgument, "mixed"),
    ("Route ctor type", lambda c: Route("default", type="x"), InvalidArgument, "type"),
    ("route get dst", lambda c: c.h.routes.get("x"), InvalidArgument, "dst"),
    ("neigh ip", lambda c: c.h.neighbours.add("br0", "1.2.3", "02:00:00:00:00:09"), InvalidArgument, "ip"),
    ("neigh state", lambda c: c.h.neighbours.add("br0", "172.16.5.9", "02:00:00:00:00:09", state="x"),
     InvalidArgument, "state"),
    ("dump family", lambda c: c.h.addresses.dump(family=5), InvalidArgument, "family"),
    ("Vxlan remote", lambda c: Vxlan("vx9", id=5, remote="1.2.3"), InvalidArgument, "Vxlan.remote"),
    ("Macvlan mode", lambda c: Macvlan("m9", parent="br0", mode="x"), InvalidArgument, "Macvlan.mode"),
    # -- namespaces: names, paths, files
    ("move to missing netns", lambda c: c.h.links.move("v0", "pnl-no-such-ns"), FileNotFoundError,
     "netns no such network namespace"),
    ("move to relative path", lambda c: c.h.links.move("v0", "../../etc"), InvalidArgument, "netns absolute"),
    ("move to dotdot path", lambda c: c.h.links.move("v0", "/run/netns/../../etc"), InvalidArgument,
     "netns absolute"),
    ("move to a file", lambda c: c.h.links.move("v0", "/etc/hostname"), InvalidArgument,
     "netns /etc/hostname is not a network namespace"),
    ("move to a dir", lambda c: c.h.links.move("v0", "/tmp"), InvalidArgument, "not a network namespace"),
    ("move to a dead pid", lambda c: c.h.links.move("v0", 0x3FFFFFFF), FileNotFoundError, "netns"),
    ("set netns NUL", lambda c: c.h.links.set("v0", netns="a\0b"), InvalidArgument, "Link.netns"),
    ("peer_netns missing", lambda c: c.h.links.create(Veth("v9", peer="p9", peer_netns="pnl-no-such-ns")),
     FileNotFoundError, "Veth.peer_netns no such network namespace"),
    ("peer_netns a file", lambda c: c.h.links.create(Veth("v9", peer="p9", peer_netns="/etc/hostname")),
     InvalidArgument, "Veth.peer_netns is not a network namespace"),
    ("Bridge netns a file", lambda c: c.h.links.create(Bridge("b9", netns="/etc/hostname")),
     InvalidArgument, "Bridge.netns is not a network namespace"),
    ("NetNS.create NUL", lambda c: NetNS.create("a\0b"), InvalidArgument, "namespace name"),
    ("NetNS.create slash", lambda c: NetNS.create("a/b"), InvalidArgument, "namespace name"),
    ("NetNS.create dotdot", lambda c: NetNS.create(".."), InvalidArgument, "namespace name"),
    ("NetNS.create twice", lambda c: NetNS.create_many(["pnl-x1", "pnl-x1"]), InvalidArgument, "twice"),
    ("NetNS.create existing", lambda c: NetNS.create(c.ns.name), FileExistsError, "exists"),
    ("NetNS.open missing", lambda c: NetNS.open("pnl-no-such-ns"), FileNotFoundError, "namespace"),
    ("NetNS.open a file", lambda c: NetNS.open("/etc/hostname"), InvalidArgument,
     "/etc/hostname is not a network namespace"),
    ("NetNS.open relative", lambda c: NetNS.open("run/netns/x"), InvalidArgument, "absolute"),
    ("NetNS.open pid 0", lambda c: NetNS.open(0), InvalidArgument, "pid"),
    ("NetNS.delete missing", lambda c: NetNS.named("pnl-no-such-ns").delete(), FileNotFoundError, "namespace"),
    ("NetNS.delete unnamed", lambda c: NetNS.open(c.ns.path.replace("/run/netns/", "/run/netns/./")).delete(),
     InvalidArgument, "absolute"),
    ("Handle on a file", lambda c: Handle("/etc/hostname"), InvalidArgument, "not a network namespace"),
    # -- timeouts
    *[(f"Handle timeout {t!r}", lambda c, t=t: Handle(c.ns, timeout=t), InvalidArgument, "timeout")
      for t in (0, -1, float("nan"), float("inf"), "1", True, 1e12)],
    # -- the other verbs of each namespace
    ("links.change non-spec", lambda c: c.h.links.change("br0"), InvalidArgument, "spec"),
    ("links.change netns", lambda c: c.h.links.change(Bridge("br0", netns=c.other)), InvalidArgument, "netns"),
    ("links.set_port non-port", lambda c: c.h.links.set_port("v0", {"cost": 1}), InvalidArgument, "BridgePort"),
    ("links.set_port link NUL", lambda c: c.h.links.set_port("v0\0", BridgePort(cost=5)), InvalidArgument, "NUL"),
    ("links.macvlan_macs action", lambda c: c.h.links.macvlan_macs("v0", "swap", []), InvalidArgument, "action"),
    ("links.dump master NUL", lambda c: c.h.links.dump(master="br\0"), InvalidArgument, "master NUL"),
    ("links.dump kind", lambda c: c.h.links.dump(kind=5), InvalidArgument, "kind"),
    ("links.create non-spec", lambda c: c.h.links.create("br9"), InvalidArgument, "spec"),
    ("links.create up text", lambda c: c.h.links.create(Bridge("b9"), up="yes"), InvalidArgument, "up"),
    ("addresses.replace", lambda c: c.h.addresses.replace("br0", "172.16.5.2/99"), InvalidArgument, "prefix"),
    ("addresses.delete", lambda c: c.h.addresses.delete("br0", "x/24"), InvalidArgument, "Address.address"),
    ("addresses.dump link NUL", lambda c: c.h.addresses.dump("br0\0"), InvalidArgument, "NUL"),
    ("routes.replace", lambda c: c.h.routes.replace("198.51.100.0/24", dev="br0", table=-5), InvalidArgument,
     "Route.table"),
    ("routes.append", lambda c: c.h.routes.append("198.51.100.0/24", dev="br0", metric=1 << 32),
     InvalidArgument, "Route.metric"),
    ("routes.delete", lambda c: c.h.routes.delete("198.51.100.0/24", via="x"), InvalidArgument, "via"),
    ("routes.delete unknown option", lambda c: c.h.routes.delete("198.51.100.0/24", colour=1),
     InvalidArgument, "colour"),
    ("routes.dump table", lambda c: c.h.routes.dump(table="nosuchtable"), InvalidArgument, "table"),
    ("routes.get iif NUL", lambda c: c.h.routes.get("198.51.100.1", iif="br\0"), InvalidArgument, "NUL"),
    ("neighbours.replace", lambda c: c.h.neighbours.replace("br0", "172.16.5.9", "01:02"), InvalidArgument,
     "lladdr"),
    ("neighbours.delete", lambda c: c.h.neighbours.delete("br0", "172.16.5.999"), InvalidArgument, "ip"),
    ("neighbours.dump family", lambda c: c.h.neighbours.dump(family="ipx"), InvalidArgument, "family"),
    ("fdb.delete", lambda c: c.h.fdb.delete("v0", "zz"), InvalidArgument, "MAC"),
    ("fdb.add dst", lambda c: c.h.fdb.add("v0", "02:00:00:00:00:09", dst="x"), InvalidArgument, "dst"),
    ("fdb.dump master NUL", lambda c: c.h.fdb.dump(master="br\0"), InvalidArgument, "NUL"),
    ("batch: nothing sent", lambda c: _batch_with_bad_last(c), InvalidArgument, "Bridge.name NUL"),
    ("NetNS.create_many bad name", lambda c: NetNS.create_many(["pnl-ok-x", "a b"]), InvalidArgument,
     "namespace name"),
    ("NetNS.sysctl key", lambda c: c.ns.sysctl("kernel.hostname"), InvalidArgument, "sysctl"),
    ("NetNS.sysctl dotdot", lambda c: c.ns.sysctl("net/../../etc"), InvalidArgument, "sysctl"),
    ("Macvtap mode", lambda c: Macvtap("t9", parent="br0", mode="x"), InvalidArgument, "mode"),
    ("Ipvtap flag", lambda c: Ipvtap("t9", parent="br0", flag="x"), InvalidArgument, "flag"),
    ("Ipvlan mode", lambda c: Ipvlan("i9", parent="br0", mode="l4"), InvalidArgument, "Ipvlan.mode"),
    ("Vlan protocol", lambda c: Vlan("vl9", parent="br0", id=5, protocol="802.1x"), InvalidArgument,
     "Vlan.protocol"),
    ("Vlan qos", lambda c: Vlan("vl9", parent="br0", id=5, ingress_qos={9: 1}), InvalidArgument, "qos"),
    ("Bridge vlan_protocol", lambda c: Bridge("b9", vlan_protocol="x"), InvalidArgument, "vlan_protocol"),
    ("Bridge group_fwd_mask", lambda c: Bridge("b9", group_fwd_mask=1), InvalidArgument, "group_fwd_mask"),
    ("Link port without master", lambda c: Bridge("b9", port=BridgePort(cost=3)), InvalidArgument, "master"),
    ("Link master with netns", lambda c: Bridge("b9", master="br0", netns=c.other), InvalidArgument, "master"),
    # -- kernel refusals named
    ("rename onto an existing name", lambda c: c.h.links.set("v0", name="br0"), FileExistsError,
     "br0 already exists"),
    ("a link kind the kernel lacks", lambda c: c.h.links.create(GenericLink("g9", type="pnlnosuchkind")),
     NotSupportedError, "no 'pnlnosuchkind' link kind `pynetlink check`"),
    ("veth whose peer name exists", lambda c: c.h.links.create(Veth("v9", peer="br0")), FileExistsError,
     "'v9' or 'br0' already exists"),
    ("move onto a name the target has", lambda c: c.h.links.move("v0", c.other, name="lo"), FileExistsError,
     "'lo' already exists in the target namespace"),
    ("set netns and a name the target has", lambda c: c.h.links.set("v0", netns=c.other.path, name="lo"),
     FileExistsError, "'lo' already exists in the target namespace"),
    ("address already there", lambda c: c.h.addresses.add("br0", "172.16.5.1/24"), FileExistsError,
     "172.16.5.1/24 br0"),
    ("create an existing name", lambda c: c.h.links.create(Bridge("br0")), FileExistsError,
     "br0 already exists"),
]


@pytest.mark.root
@pytest.mark.parametrize("name,call,exc,words", ROWS, ids=[r[0] for r in ROWS])
def test_bad_input(ctx: Ctx, name: str, call: Callable[[Ctx], Any], exc: type, words: str) -> None:
    check_row(ctx, call, exc, words)

