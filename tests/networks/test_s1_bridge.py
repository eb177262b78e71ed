"""S1: the docker0 model, proven with real packets; removal leaves nothing behind."""
from __future__ import annotations

import pytest

from pynetlink.networks import CapacityError, Exists, InUse, OptionError

from .conftest import Topology
from .traffic import assert_unchanged, ip_j, link, masquerading, nft_j, reaches, snapshot, tcp, settled

pytestmark = pytest.mark.kernel("netns", "veth", "bridge", "nft_nat")


def test_s1_end_to_end(outside: Topology) -> None:
    H, O = outside.H, outside.O
    nets = outside.nets["H"]
    before = settled(H)
    fwd_before = H.sysctl("net.ipv4.ip_forward")
    net = nets.create("bridge", subnet="172.17.0.0/24", options={"bridge_name": "docker0"})
    assert net.bridge == "docker0" and str(net.config.pools[0].gateway) == "172.17.0.1"
    c1, c2 = outside.container("C1"), outside.container("C2")
    e1 = nets.connect("bridge", c1, publish=["8080:80"])
    e2 = nets.connect("bridge", c2)
    assert (e1.ip, e2.ip) == ("172.17.0.2", "172.17.0.3")

    # the kernel's view, read back by ip -j (an independent oracle)
    routes = ip_j(H, "route", "show")
    assert {"dst": "172.17.0.0/24", "dev": "docker0"}.items() <= next(
        r for r in routes if r["dst"] == "172.17.0.0/24").items()
    host_end = link(H, e1.host_ifname or "")
    assert host_end["master"] == "docker0" and "UP" in host_end["flags"]
    eth0 = link(c1, "eth0")
    assert eth0["linkinfo"]["info_kind"] == "veth" and eth0["address"] == "02:42:ac:11:00:02"
    assert [r["gateway"] for r in ip_j(c1, "route", "show", "default")] == ["172.17.0.1"]
    assert "UP" in link(c1, "lo")["flags"]
    assert H.sysctl("net.ipv4.ip_forward") == "1"
    assert c1.sysctl("net.ipv4.conf.eth0.arp_notify") == "1"
    rules = [r["rule"] for r in nft_j(H) if "rule" in r]
    assert masquerading(H) == ["172.17.0.0/24 !docker0"]
    assert any(r["chain"] == "PREROUTING" and any("dnat" in e for e in r["expr"]) for r in rules)

    # proofs with packets
    assert tcp(c1, c2, e2.ip or "", 7001) == "172.17.0.2"           # C1 <-> C2 over the bridge
    assert tcp(c1, O, "203.0.113.254", 7002) == "203.0.113.1"        # masquerade
    assert tcp(O, c1, "203.0.113.1", 8080, listen_port=80) == "203.0.113.254"   # DNAT

    nets.disconnect("bridge", c2)
    assert not reaches(c1, c2, "172.17.0.3")
    with pytest.raises(InUse, match="1 container connected"):
        nets.remove("bridge")
    nets.remove("bridge", force=True)
    assert_unchanged(before, snapshot(H))
    assert H.sysctl("net.ipv4.ip_forward") == fwd_before
    assert [l["ifname"] for l in ip_j(c1, "link", "show")] == ["lo"]
    assert nets.list() == []


def test_bulk_connect_and_disconnect(outside: Topology) -> None:
    nets = outside.nets["H"]
    nets.create("bulk", subnet="172.18.0.0/24")
    ctrs = [outside.container(f"b{i}") for i in range(40)]
    seen: list[int] = []
    eps = nets.connect_many("bulk", ctrs, progress=lambda i, n: seen.append(i))
    assert seen[-1] == 40 and len({e.ip for e in eps}) == 40
    assert tcp(ctrs[0], ctrs[-1], eps[-1].ip or "", 7003) == eps[0].ip
    net = nets.get("bulk")
    assert len(ip_j(outside.H, "link", "show", "master", net.bridge or "")) == 40
    nets.disconnect_many("bulk", ctrs[:20])
    assert len(ip_j(outside.H, "link", "show", "master", net.bridge or "")) == 20
    nets.remove("bulk", force=True)
    assert all(l["ifname"] in ("lo", "uplink") for l in ip_j(outside.H, "link", "show"))


def test_failure_undoes_everything(outside: Topology) -> None:
    """A container that cannot be attached (eth0 taken) fails the call and changes nothing."""
    nets = outside.nets["H"]
    nets.create("n", subnet="172.19.0.0/24")
    good, bad = outside.container("g"), outside.container("x")
    from pynetlink import Handle, Bridge
    with Handle(bad) as h:
        h.links.create(Bridge("eth0"))
    before = settled(outside.H), settled(good)
    with pytest.raises(FileExistsError, match="already has an interface named eth0"):
        nets.connect_many("n", [good, bad])
    assert_unchanged(before, (snapshot(outside.H), snapshot(good)))
    assert nets.get("n").endpoints == ()
    from pynetlink.networks import IPAM
    assert IPAM("n", nets.get("n").config.pools, nets.state_dir).allocations() == {}
    assert nets.connect("n", good).ip == "172.19.0.2"    # the cursor was rolled back too


def test_connect_twice_and_bad_input(outside: Topology) -> None:
    nets = outside.nets["H"]
    nets.create("n", subnet="172.20.0.0/24", aux_addresses={"r": "172.20.0.5"})
    c = outside.container()
    e = nets.connect("n", c, ip="172.20.0.9")
    assert nets.connect("n", c) == e                   # a re-run: nothing else asked, no-op
    with pytest.raises(Exists, match="already connected .* other options: ip 172.20.0.8"):
        nets.connect("n", c.path, ip="172.20.0.8")    # the same namespace by path
    before = settled(outside.H)
    c2 = outside.container()
    for kw, match in [({"ip": "172.20.0.5"}, "aux address 'r'"), ({"ip": "172.21.0.5"}, "outside"),
                      ({"ip": "172.20.0.1"}, "gateway"), ({"publish": ["80:x"]}, "not a port")]:
        with pytest.raises(OptionError, match=match):
            nets.connect("n", c2, **kw)  # type: ignore[arg-type]
    with pytest.raises(FileExistsError, match="already allocated"):
        nets.connect("n", c2, ip="172.20.0.9")
    assert_unchanged(before, snapshot(outside.H))
    with pytest.raises(Exists, match="exists already"):
        nets.create("n", subnet="172.20.0.0/24")
    with pytest.raises(OptionError, match="overlaps 172.20.0.0/24 of network n"):
        nets.create("m", subnet="172.20.0.0/16")


def test_bridge_port_limit_is_explained(outside: Topology, monkeypatch: pytest.MonkeyPatch) -> None:
    from pynetlink.networks import attach
    monkeypatch.setattr(attach, "BRIDGE_MAX_PORTS", 3)
    nets = outside.nets["H"]
    nets.create("a", subnet="172.21.0.0/24")
    nets.create("b", subnet="172.22.0.0/24")
    ctrs = [outside.container() for _ in range(5)]
    with pytest.raises(CapacityError, match="can hold 3 ports .* 5 more do not fit"):
        nets.connect_many("a", ctrs)
    eps = nets.connect_many("a", ctrs, spread=["b"])
    assert [e.ip for e in eps] == ["172.21.0.2", "172.21.0.3", "172.21.0.4", "172.22.0.2", "172.22.0.3"]


def test_dual_stack_and_mtu(outside: Topology) -> None:
    """IPv4 and IPv6 on one bridge network, with an MTU: both families carry traffic."""
    nets = outside.nets["H"]
    before = settled(outside.H)
    nets.create("ds", subnet=["172.24.0.0/24", "fd00:24::/64"], options={"mtu": "1400"})
    c1, c2 = outside.container(), outside.container()
    e1, e2 = nets.connect_many("ds", [c1, c2])
    assert e1.addresses == ("172.24.0.2/24", "fd00:24::2/64")
    assert link(c1, "eth0")["mtu"] == 1400
    assert tcp(c1, c2, "fd00:24::3", 7050) == "fd00:24::2"
    assert tcp(c1, c2, "172.24.0.3", 7051) == "172.24.0.2"
    assert {r["dst"]: r.get("gateway") for r in ip_j(c1, "-6", "route", "show")}["default"] == "fd00:24::1"
    assert outside.H.sysctl("net.ipv6.conf.all.forwarding") == "1"
    nets.remove("ds", force=True)
    assert_unchanged(before, snapshot(outside.H))


def test_forwarding_and_nat_table_outlive_the_first_network(outside: Topology) -> None:
    H, nets = outside.H, outside.nets["H"]
    before = settled(H)
    nets.create("a", subnet="172.25.0.0/24")
    nets.create("b", subnet="172.26.0.0/24", options={"masquerade": "false"})
    nets.connect("b", outside.container(), publish=["9090:90"])
    nets.remove("a")                                  # b still needs forwarding and the table
    assert H.sysctl("net.ipv4.ip_forward") == "1"
    assert any("table" in x for x in nft_j(H))
    nets.remove("b", force=True)
    assert H.sysctl("net.ipv4.ip_forward") == "0"
    assert_unchanged(before, snapshot(H))             # the table went with the last user
