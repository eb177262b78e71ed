"""Docker's remaining bridge options, proven with packets: IPv6 end to end (``--ipv6``: v6
gateway and default route, v6 masquerade and published ports, with IPv4 alongside),
``--internal``, ``enable_icc=false``, ``host_binding_ipv4``, ``mtu``, ``bridge.name``,
labels; bad values refused with nothing changed; a failed create rolled back."""
from __future__ import annotations

from typing import Any, Iterator

import pytest

from pynetlink import Handle, Route
from pynetlink.networks import Attach, OptionError
from pynetlink.nft import DockerNat, Nftables

from .conftest import MakeNS, Topology
from .traffic import assert_unchanged, ip_j, link, masquerading, nft_j, reaches, settled, snapshot, tcp

pytestmark = pytest.mark.kernel("netns", "veth", "bridge", "nft_nat")

H_V6, O_V6 = "2001:db8:2::1", "2001:db8:2::254"        # the uplink, documentation range


@pytest.fixture
def outside6(outside: Topology) -> Iterator[Topology]:
    """``outside`` with IPv6 on the uplink too (no DAD): H 2001:db8:2::1, O ::254, H's IPv6
    default route via O. O has no route to any container subnet."""
    with Handle(outside.O) as o:
        o.addresses.add("eth0", f"{O_V6}/64", flags=("nodad",))
    with Handle(outside.H) as h:
        h.addresses.add("uplink", f"{H_V6}/64", flags=("nodad",))
        h.routes.add(Route("default", via=O_V6))
    yield outside


def _rules(ns: Any, chain: str) -> list[dict[str, Any]]:
    return [x["rule"] for x in nft_j(ns) if "rule" in x and x["rule"]["table"] == "pynetlink"
            and x["rule"]["chain"] == chain]


def _map_elements(ns: Any, name: str) -> list[Any]:
    (m,) = [x["map"] for x in nft_j(ns) if "map" in x and x["map"]["name"] == name]
    return list(m.get("elem", []))


def test_ipv6_end_to_end(outside6: Topology, make_netns: MakeNS) -> None:
    H, O, nets = outside6.H, outside6.O, outside6.nets["H"]
    before = settled(H)
    net = nets.create("v6", subnet=["172.28.0.0/24", "2001:db8:1::/64"], ipv6=True)
    assert net.config.ipv6 and [str(p.gateway) for p in net.config.pools] == ["172.28.0.1", "2001:db8:1::1"]
    # containers with duplicate address detection on (the kernel's default): their addresses
    # are added without DAD (nodad), so they work at once, without waiting
    c1, c2 = make_netns("C1"), make_netns("C2")
    assert c1.sysctl("net.ipv6.conf.default.accept_dad") != "0"
    e1, e2 = nets.connect_many("v6", [Attach(c1, publish=["8080:80"]), c2])
    assert (e1.addresses, e2.addresses) == (("172.28.0.2/24", "2001:db8:1::2/64"),
                                            ("172.28.0.3/24", "2001:db8:1::3/64"))
    v6_1 = e1.addresses[1].split("/")[0]
    v6_2 = e2.addresses[1].split("/")[0]

    # the kernel's view (ip -j, nft -j)
    bridge_addrs = {a["local"] for x in ip_j(H, "addr", "show", "dev", net.bridge or "") for a in x["addr_info"]}
    assert {"172.28.0.1", "2001:db8:1::1"} <= bridge_addrs
    (g6,) = [a for x in ip_j(c1, "-6", "addr", "show", "eth0") for a in x["addr_info"] if a["scope"] == "global"]
    assert g6["local"] == v6_1 and g6.get("nodad") and not g6.get("tentative")
    assert [r["gateway"] for r in ip_j(c1, "-6", "route", "show", "default")] == ["2001:db8:1::1"]
    assert [r["gateway"] for r in ip_j(c1, "route", "show", "default")] == ["172.28.0.1"]
    assert H.sysctl("net.ipv6.conf.all.forwarding") == "1"
    assert [x["table"]["family"] for x in nft_j(H) if "table" in x] == ["inet"]    # one table, both
    assert masquerading(H) == [f"172.28.0.0/24 !{net.bridge}", f"2001:db8:1::/64 !{net.bridge}"]
    assert len(_map_elements(H, "published_v6")) == 1 and len(_map_elements(H, "published_v4")) == 1

    # packets: over the bridge, out through H with the source rewritten, and a published port
    assert tcp(c1, c2, v6_2, 7100) == v6_1
    assert tcp(c1, O, O_V6, 7101) == H_V6                 # v6 masquerade: O has no route back
    assert tcp(c1, O, "203.0.113.254", 7102) == "203.0.113.1"
    assert tcp(O, c1, H_V6, 8080, listen_port=80) == O_V6  # v6 published port (DNAT)
    assert tcp(O, c1, "203.0.113.1", 8080, listen_port=80) == "203.0.113.254"

    nets.disconnect("v6", c1)                              # its ports go, both families
    assert _map_elements(H, "published_v6") == [] and _map_elements(H, "published_v4") == []
    assert not reaches(O, c1, H_V6, 8080)
    nets.remove("v6", force=True)
    assert_unchanged(before, snapshot(H))


def test_ipv6_without_a_subnet_gets_a_unique_local_pool(outside: Topology) -> None:
    nets = outside.nets["H"]
    net = nets.create("auto6", subnet="172.29.0.0/24", ipv6=True)
    v4, v6 = net.config.pools
    assert v6.subnet.prefixlen == 64 and v6.subnet.subnet_of(__import__("ipaddress").ip_network("fd00::/8"))
    assert nets.create("auto6", subnet="172.29.0.0/24", ipv6=True, exist_ok=True).config == net.config
    c1, c2 = outside.container(), outside.container()
    e1, e2 = nets.connect_many("auto6", [c1, c2])
    assert tcp(c1, c2, e2.addresses[1].split("/")[0], 7110) == e1.addresses[1].split("/")[0]
    other = nets.create("auto6b", ipv6=True)                # a second one: another /64
    assert not other.config.pools[1].subnet.overlaps(v6.subnet)
    nets.remove("auto6", force=True)
    nets.remove("auto6b")


def test_internal(outside6: Topology) -> None:
    H, O, nets = outside6.H, outside6.O, outside6.nets["H"]
    before = settled(H)
    net = nets.create("int", subnet=["172.27.0.0/24", "2001:db8:7::/64"], internal=True)
    c1, c2 = outside6.container(), outside6.container()
    e1, e2 = nets.connect_many("int", [c1, c2])
    assert ip_j(c1, "route", "show", "default") == [] and ip_j(c1, "-6", "route", "show", "default") == []
    assert masquerading(H) == []
    drops = _rules(H, "FORWARD")
    assert sorted(r["comment"] for r in drops) == [f"pynetlink internal {net.bridge} in",
                                                   f"pynetlink internal {net.bridge} out"]
    assert all(any("drop" in e for e in r["expr"]) for r in drops)
    # allowed: each other and the gateway (the host itself), in both families
    assert tcp(c1, c2, e2.ip or "", 7200) == e1.ip
    assert tcp(c1, c2, e2.addresses[1].split("/")[0], 7201) == e1.addresses[1].split("/")[0]
    assert tcp(c1, H, "172.27.0.1", 7202) == e1.ip
    assert tcp(c1, H, "2001:db8:7::1", 7203) == e1.addresses[1].split("/")[0]
    # forbidden: out. Even with a route added by hand in the container and a route back on O,
    # the host forwards nothing: its FORWARD drop is what stops it (shown by lifting it)
    assert not reaches(c1, O, "203.0.113.254", 7204)       # no default route: unreachable
    with Handle(c1) as h:
        h.routes.add(Route("default", via="172.27.0.1"))
    with Handle(O) as o:
        o.routes.add(Route("172.27.0.0/24", via="203.0.113.1"))
    assert not reaches(c1, O, "203.0.113.254", 7205)
    assert not reaches(O, c1, e1.ip or "", 7206)
    with Nftables(H) as nft:
        assert DockerNat(nft, family="inet").unisolate(net.bridge or "") == 2
        assert tcp(c1, O, "203.0.113.254", 7207) == e1.ip   # not masqueraded: internal
        DockerNat(nft, family="inet").isolate(net.bridge or "")
    assert not reaches(c1, O, "203.0.113.254", 7208)
    nets.remove("int", force=True)
    assert_unchanged(before, snapshot(H))


def test_enable_icc_false(outside: Topology) -> None:
    H, O, nets = outside.H, outside.O, outside.nets["H"]
    before = settled(H)
    net = nets.create("noicc", subnet="172.26.0.0/24",
                      options={"com.docker.network.bridge.enable_icc": "false"})
    assert not net.config.icc
    c1, c2 = outside.container(), outside.container()
    e1, e2 = nets.connect_many("noicc", [c1, c2])
    for ep in (e1, e2):
        slave = link(H, ep.host_ifname or "")["linkinfo"]["info_slave_data"]
        assert slave["isolated"] is True
    assert not reaches(c1, c2, e2.ip or "", 7300)          # forbidden: container to container
    assert not reaches(c2, c1, e1.ip or "", 7301)
    assert tcp(c1, H, "172.26.0.1", 7302) == e1.ip         # allowed: the gateway
    assert tcp(c1, O, "203.0.113.254", 7303) == "203.0.113.1"   # and out, masqueraded
    # a network with ICC (the default) on the same host: its containers do reach each other
    nets.create("icc", subnet="172.25.0.0/24")
    d1, d2 = outside.container(), outside.container()
    f1, f2 = nets.connect_many("icc", [d1, d2])
    assert link(H, f1.host_ifname or "")["linkinfo"]["info_slave_data"]["isolated"] is False
    assert tcp(d1, d2, f2.ip or "", 7304) == f1.ip
    nets.remove("icc", force=True)
    nets.remove("noicc", force=True)
    assert_unchanged(before, snapshot(H))


def test_host_binding_mtu_and_bridge_name(outside: Topology) -> None:
    H, O, nets = outside.H, outside.O, outside.nets["H"]
    with Handle(H) as h:
        h.addresses.add("uplink", "203.0.113.2/24")
    before = settled(H)
    nets.create("bind", subnet="172.24.0.0/24", options=[
        "com.docker.network.bridge.name=pnlbind0", "com.docker.network.driver.mtu=1400",
        "com.docker.network.bridge.host_binding_ipv4=203.0.113.1"])
    c = outside.container()
    e = nets.connect("bind", c, publish=["8080:80", "203.0.113.2:8081:81"])
    assert link(H, "pnlbind0")["mtu"] == 1400 and link(H, "pnlbind0")["linkinfo"]["info_kind"] == "bridge"
    assert link(H, e.host_ifname or "")["mtu"] == 1400 and link(c, "eth0")["mtu"] == 1400
    assert _map_elements(H, "published_v4") == []          # every port has a host address
    assert len(_map_elements(H, "published_v4_addr")) == 2
    assert tcp(O, c, "203.0.113.1", 8080, listen_port=80) == "203.0.113.254"   # the default binding
    assert not reaches(O, c, "203.0.113.2", 8080)          # not published on the other address
    assert tcp(O, c, "203.0.113.2", 8081, listen_port=81) == "203.0.113.254"   # an explicit one wins
    nets.remove("bind", force=True)
    assert_unchanged(before, snapshot(H))


@pytest.mark.parametrize("kw,option,match", [
    ({"options": {"enable_icc": "maybe"}}, "-o enable_icc", "expected true or false"),
    ({"options": {"host_binding_ipv4": "2001:db8::1"}}, "-o host_binding_ipv4", "not an IPv4 address"),
    ({"options": {"host_binding_ipv4": "203.0.113.1/24"}}, "-o host_binding_ipv4", "prefix length"),
    ({"options": {"com.docker.network.driver.mtu": "10"}}, "-o mtu", "not an MTU"),
    ({"labels": ["=x"]}, "--label", "expected KEY=VALUE"),
    ({"labels": ["a=1", "a=2"]}, "--label", "given twice"),
    ({"subnet": "2001:db8:1::/64", "ipv6": False}, "--ipv6", "needs IPv6 enabled"),
    ({"options": {"com.docker.network.bridge.enable_icc": "false", "parent": "eth0"}}, "-o parent",
     "option of the macvlan driver"),
])
def test_bad_values_change_nothing(outside: Topology, kw: dict[str, Any], option: str, match: str) -> None:
    nets = outside.nets["H"]
    before = settled(outside.H)
    with pytest.raises(OptionError, match=match) as exc:
        nets.create("bad", **kw)
    assert exc.value.option == option
    assert nets.list() == []
    assert_unchanged(before, snapshot(outside.H))


def test_publish_of_a_family_the_container_lacks_is_refused(outside: Topology) -> None:
    nets = outside.nets["H"]
    nets.create("four", subnet="172.23.0.0/24")
    c = outside.container()
    before = settled(outside.H)
    with pytest.raises(OptionError, match="would have no IPv6 address on network four"):
        nets.connect("four", c, publish=["[2001:db8:2::1]:8080:80"])
    assert_unchanged(before, snapshot(outside.H))
    assert nets.get("four").endpoints == ()


def test_failed_internal_create_is_rolled_back(outside: Topology, monkeypatch: pytest.MonkeyPatch) -> None:
    nets = outside.nets["H"]
    before = settled(outside.H)
    real = DockerNat.isolate

    def isolate_then_fail(self: DockerNat, bridge: str) -> Any:
        real(self, bridge)
        raise RuntimeError("injected after isolate")
    monkeypatch.setattr(DockerNat, "isolate", isolate_then_fail)
    with pytest.raises(RuntimeError, match="injected") as exc:
        nets.create("int", subnet="172.22.0.0/24", internal=True)
    assert any("unisolate" in n for n in getattr(exc.value, "__notes__", []))
    assert nets.list() == []
    assert_unchanged(before, snapshot(outside.H))


def test_failed_dual_stack_connect_is_rolled_back(outside6: Topology) -> None:
    """A host port taken by another network fails the publish, the last step of a connect:
    the container's link, addresses and routes, both families, are undone."""
    nets = outside6.nets["H"]
    nets.create("a", subnet="172.21.0.0/24")
    nets.connect("a", outside6.container(), publish=["8080:80"])
    nets.create("b", subnet=["172.20.0.0/24", "2001:db8:20::/64"])
    nets.connect("b", outside6.container())    # the bridge up, with its fe80:: (kernel-made)
    c = outside6.container()
    before = settled(outside6.H), settled(c)
    with pytest.raises(FileExistsError, match="host port tcp/8080 is already published"):
        nets.connect("b", c, publish=["8080:80"])
    assert_unchanged(before, (snapshot(outside6.H), snapshot(c)))
    assert len(nets.get("b").endpoints) == 1
    assert nets.connect("b", c, publish=["8081:80"]).addresses == ("172.20.0.3/24", "2001:db8:20::3/64")


@pytest.mark.kernel("macvlan")
def test_internal_macvlan_has_no_route_out(lan: Topology) -> None:
    from .lan import LAN
    nets = lan.nets["H1"]
    nets.create("m", driver="macvlan", options={"parent": "eth0"}, internal=True, **LAN)
    c = lan.container("m")
    e = nets.connect("m", c)
    assert ip_j(c, "route", "show", "default") == []
    assert tcp(c, lan.R, "172.16.0.254", 7500) == e.ip      # the segment itself: reachable
    assert nets.get("m").to_dict()["Internal"] is True
    nets.remove("m", force=True)


def test_make_network_takes_the_new_options(make_network: Any) -> None:
    """pynetlink.testing's make_network passes them on: an internal dual-stack network whose
    containers cannot see each other (enable_icc=false) reaches only its gateway."""
    n = make_network(2, subnet="172.19.0.0/24", ipv6=True, internal=True,
                     options={"enable_icc": "false"}, labels={"team": "qa"})
    (a, b), (ea, eb) = n.containers, n.endpoints
    gw4, gw6 = (str(p.gateway) for p in n.network.config.pools)
    assert n.network.to_dict()["Labels"] == {"team": "qa"} and n.network.to_dict()["EnableIPv6"]
    assert tcp(a, n.host, gw6, 7600) == ea.addresses[1].split("/")[0]
    assert tcp(b, n.host, gw4, 7601) == eb.ip
    assert not reaches(a, b, eb.addresses[1].split("/")[0], 7602)
    assert not reaches(a, b, eb.ip or "", 7603)
