"""S3, S4, S5: ipvlan (l2, 802.1q trunk, l3/l3s). These need ipvlan and 802.1q, which the
development kernel lacks: conftest routes them to the VM tier
(``tools/vm-tier -- python3 -m pytest -m vm tests/networks -x -q``)."""
from __future__ import annotations

import socket
from pathlib import Path

import pytest

from pynetlink import Handle, Vlan
from pynetlink.transport import NetNS, run_in

from pynetlink.networks import Networks

from .conftest import MakeNS, Topology, plug
from .lan import lan_scenario
from .traffic import assert_unchanged, broadcast, ip_j, link, received, snapshot, tcp, udp_listener, settled


@pytest.mark.kernel("netns", "veth", "bridge", "ipvlan")
def test_s3_ipvlan_l2(lan: Topology) -> None:
    def same_mac(web01: NetNS, web02: NetNS) -> None:
        assert link(web01, "eth0")["address"] == link(lan.H1, "eth0")["address"]
        assert link(web02, "eth0")["address"] == link(lan.H2, "eth0")["address"]
        assert link(web01, "eth0")["linkinfo"]["info_data"]["mode"] == "l2"
    lan_scenario(lan, "ipvlan", {"ipvlan_mode": "l2"}, same_mac)


@pytest.mark.kernel("netns", "veth", "ipvlan", "vlan")
def test_s4_ipvlan_8021q_trunk(trunk: Topology) -> None:
    H, R = trunk.H, trunk.R
    nets = trunk.nets["H"]
    before = settled(H)
    nets.create("net01", driver="ipvlan", options={"parent": "eth0.30"},
                subnet="192.168.1.0/24", gateway="192.168.1.1")
    nets.create("net02", driver="ipvlan", options={"parent": "eth0.40"},
                subnet="192.168.2.0/24", gateway="192.168.2.1")
    for vid in (30, 40):
        data = link(H, f"eth0.{vid}")["linkinfo"]["info_data"]
        assert (data["id"], data["protocol"]) == (vid, "802.1Q")
    web01, web02 = trunk.container("web01"), trunk.container("web02")
    e1, e2 = nets.connect("net01", web01), nets.connect("net02", web02)
    assert tcp(web01, R, "192.168.1.1", 7020) == e1.ip           # tagged 30 reaches R's eth0.30
    assert tcp(web02, R, "192.168.2.1", 7021) == e2.ip           # tagged 40 reaches R's eth0.40
    # L2 isolation: a broadcast of web01 reaches VLAN 30 on R, never web02
    on_r30, on_r40, on_web02 = (udp_listener(R, 9999, "eth0.30"), udp_listener(R, 9998, "eth0.40"),
                                udp_listener(web02, 9999))
    broadcast(web01, 9999)
    assert received(on_r30) and not received(on_web02)
    broadcast(web02, 9998)
    assert received(on_r40)
    for s in (on_r30, on_r40, on_web02):
        s.close()
    nets.remove("net01", force=True)
    nets.remove("net02", force=True)
    assert_unchanged(before, snapshot(H))                                 # eth0.30 and eth0.40 went too


@pytest.mark.kernel("netns", "veth", "ipvlan", "vlan")
def test_vlan_parent_not_ours_is_kept(trunk: Topology) -> None:
    H = trunk.H
    with Handle(H) as h:
        h.links.create(Vlan("eth0.30", parent="eth0", id=30, up=True))
    before = settled(H)
    nets = trunk.nets["H"]
    nets.create("net01", driver="ipvlan", options={"parent": "eth0.30"}, subnet="192.168.1.0/24",
                gateway="192.168.1.1")
    c = trunk.container()
    e = nets.connect("net01", c)
    assert tcp(c, trunk.R, "192.168.1.1", 7022) == e.ip
    nets.remove("net01", force=True)
    assert_unchanged(before, snapshot(H))


@pytest.mark.kernel("netns", "veth", "vlan_8021ad")
def test_8021ad_read_back(trunk: Topology) -> None:
    with Handle(trunk.H) as h:
        h.links.create(Vlan("eth0.100", parent="eth0", id=100, protocol="802.1ad", up=True))
    assert link(trunk.H, "eth0.100")["linkinfo"]["info_data"]["protocol"] == "802.1ad"


def _sniffer(ns: NetNS, ifname: str) -> socket.socket:
    def make() -> socket.socket:
        s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x0003))
        s.bind((ifname, 0))
        s.setblocking(False)
        return s
    return run_in(ns.path, make)


def _frames(s: socket.socket) -> list[bytes]:
    out = []
    while True:
        try:
            out.append(s.recv(2048))
        except BlockingIOError:
            return out


@pytest.mark.kernel("netns", "veth", "ipvlan")
@pytest.mark.parametrize("mode", ["l3", "l3s"])
def test_s5_ipvlan_l3(mk: MakeNS, tmp_path: Path, mode: str) -> None:
    H, W = mk("H"), mk("W")
    plug(H, "eth0", W, "wire")
    nets = Networks(H, state_dir=tmp_path / "H")
    before = settled(H)
    nets.create("l3net", driver="ipvlan", options={"parent": "eth0", "ipvlan_mode": mode},
                subnet=["192.168.10.0/24", "192.168.20.0/24"])
    c1, c2, c3 = mk("c1"), mk("c2"), mk("c3")
    e1 = nets.connect("l3net", c1, ip="192.168.10.2")
    e2 = nets.connect("l3net", c2, ip="192.168.20.2")
    nets.connect("l3net", c3, ip="192.168.10.3")
    assert ip_j(c1, "route", "show", "default")[0].get("gateway") is None   # dev only, no gateway
    assert link(c1, "eth0")["linkinfo"]["info_data"]["mode"] == mode
    wire = _sniffer(W, "wire")
    assert tcp(c1, c2, "192.168.20.2", 7030) == e1.ip             # across subnets, same parent
    seen = [f for f in _frames(wire) if socket.inet_aton(str(e2.ip)) in f]
    assert seen == []                                             # nothing went on the wire
    lst = udp_listener(c3, 9997)
    broadcast(c1, 9997)
    assert not received(lst)                                      # no broadcast in l3 modes
    lst.close()
    wire.close()
    nets.remove("l3net", force=True)
    assert_unchanged(before, snapshot(H))
