"""Per-port options of bridge networks (networks/ports.py): VLAN-aware networks (VM tier:
bridge VLAN filtering) and bandwidth limits on connect, proven with `bridge -j vlan`,
`tc -j` and traffic."""
from __future__ import annotations

import json
import subprocess
from typing import Any, Callable

import pytest

from pynetlink.networks import Networks
from pynetlink.networks.errors import Exists, OptionError
from pynetlink.networks.ports import differences
from pynetlink.transport import NetNS

from ..rtnl.test_tc import throughput
from .traffic import reaches

RATE = 8_000_000


def ns_json(ns: NetNS, *cmd: str) -> Any:
    out = subprocess.run(["ip", "netns", "exec", str(ns.name), *cmd], check=True, capture_output=True,
                         text=True).stdout
    return json.loads(out or "[]")


@pytest.mark.kernel("bridge_vlan_filtering")
def test_vlan_network_isolates_vlans(make_network: Callable[..., Any],
                                     make_netns: Callable[..., NetNS]) -> None:
    n = make_network(0, name="vnet", options={"vlan": "10"})
    c = [make_netns("ctr") for _ in range(3)]
    e0 = n.networks.connect("vnet", c[0])
    e1 = n.networks.connect("vnet", c[1])
    e2 = n.networks.connect("vnet", c[2], vlan=20)
    vl = {p["ifname"]: p["vlans"] for p in ns_json(n.host, "bridge", "-j", "vlan", "show")}
    pvid = ["PVID", "Egress Untagged"]
    assert vl[e0.host_ifname] == vl[e1.host_ifname] == [{"vlan": 10, "flags": pvid}]
    assert vl[e2.host_ifname] == [{"vlan": 20, "flags": pvid}]
    (bridge,) = [x["ifname"] for x in ns_json(n.host, "ip", "-j", "link", "show", "type", "bridge")]
    assert {"vlan": 10, "flags": pvid} in vl[bridge]
    gw = "172.17.0.1"
    assert reaches(c[0], c[1], str(e1.ip), 7001)
    assert reaches(c[1], n.host, gw, 7002)
    assert not reaches(c[0], c[2], str(e2.ip), 7003)
    assert not reaches(c[2], n.host, gw, 7004)
    with pytest.raises(OptionError, match="vlan"):
        n.networks.connect("vnet", make_netns("ctr"), vlan=5000)
    # connected already: the same VLAN (or none asked) is the endpoint, another one is refused
    assert n.networks.connect("vnet", c[2], vlan=20) == e2 == n.networks.connect("vnet", c[2])
    assert n.networks.connect("vnet", c[0], vlan=10) == e0
    with pytest.raises(Exists, match=r"vlan 10 \(it has 20\); disconnect it first"):
        n.networks.connect("vnet", c[2], vlan=10)
    vl2 = {p["ifname"]: p["vlans"] for p in ns_json(n.host, "bridge", "-j", "vlan", "show")}
    assert vl2[e2.host_ifname] == [{"vlan": 20, "flags": pvid}]                # unchanged


def test_vlan_option_checked(make_network: Callable[..., Any], make_netns: Callable[..., NetNS]) -> None:
    from pynetlink.networks.options import network_config
    for bad in ("0", "4095", "ten"):
        with pytest.raises(OptionError, match="-o vlan"):
            network_config("x", options={"vlan": bad})
    with pytest.raises(OptionError, match="vlan"):
        network_config("x", driver="macvlan", options={"parent": "eth0", "vlan": "10"})


@pytest.mark.root
def test_bandwidth_on_connect(make_network: Callable[..., Any], make_netns: Callable[..., NetNS]) -> None:
    n = make_network(0, name="bwnet")
    ctr = make_netns("ctr")
    for bad in ({"ingress_rate": "8mbit"}, {"egress_rate": "fast", "egress_burst": 100}, {"speed": 1}, "8mbit"):
        with pytest.raises(OptionError, match="bandwidth"):
            n.networks.connect("bwnet", ctr, bandwidth=bad)
    with pytest.raises(OptionError, match="VLAN-aware"):
        n.networks.connect("bwnet", ctr, vlan=10)
    assert not ns_json(ctr, "ip", "-j", "link", "show", "type", "veth")      # nothing was made
    ep = n.networks.connect("bwnet", ctr, bandwidth={"ingress_rate": "8mbit", "ingress_burst": "32kb",
                                                     "egress_rate": RATE, "egress_burst": 32768})
    qd = {(q["dev"], q["kind"]): q for q in ns_json(n.host, "tc", "-j", "qdisc", "show")}
    assert qd[(ep.host_ifname, "tbf")]["options"]["rate"] == RATE // 8        # the container's ingress
    assert (ep.host_ifname, "ingress") in qd
    (ifb,) = [d for d, k in qd if d.startswith("ifb-") and k == "tbf"]
    assert qd[(ifb, "tbf")]["options"]["rate"] == RATE // 8                  # its egress, via the ifb
    into = throughput(n.host, ctr, str(ep.ip))
    out_of = throughput(ctr, n.host, "172.17.0.1")
    assert 0.3 * RATE / 8 < into < 1.5 * RATE / 8, into
    assert 0.3 * RATE / 8 < out_of < 1.5 * RATE / 8, out_of
    n.networks.disconnect("bwnet", ctr)
    links = [x["ifname"] for x in ns_json(n.host, "ip", "-j", "link", "show")]
    assert ifb not in links and ep.host_ifname not in links


def test_differences_of_a_connected_endpoint() -> None:
    ep = {"vlan": 10, "bandwidth": {"ingress_rate": "8mbit", "ingress_burst": "32kb"}}
    assert differences(None, None, ep) == []
    assert differences(10, {"ingress_rate": 8_000_000, "ingress_burst": 32 * 1024}, ep) == []
    assert differences(20, None, ep) == ["vlan 20 (it has 10)"]
    (d,) = differences(None, {"ingress_rate": "9mbit", "ingress_burst": "32kb"}, ep)
    assert d.startswith("bandwidth {'ingress_rate': '9mbit'") and d.endswith("(it has {'ingress_rate': '8mbit', "
                                                                           "'ingress_burst': '32kb'})")
    assert differences(None, {"egress_rate": 8, "egress_burst": 100}, {"vlan": None}) == [
        "bandwidth {'egress_rate': 8, 'egress_burst': 100} (it has none)"]


@pytest.mark.root
def test_reconnect_with_other_bandwidth_is_refused(make_network: Callable[..., Any],
                                                   make_netns: Callable[..., NetNS]) -> None:
    n = make_network(0, name="bwnet2")
    ctr = make_netns("ctr")
    bw = {"ingress_rate": "8mbit", "ingress_burst": "32kb"}
    ep = n.networks.connect("bwnet2", ctr, bandwidth=bw)
    assert n.networks.connect("bwnet2", ctr) == ep                       # nothing asked: converges
    assert n.networks.connect("bwnet2", ctr, bandwidth={"ingress_rate": RATE, "ingress_burst": 32768}) == ep
    before = ns_json(n.host, "tc", "-j", "qdisc", "show", "dev", ep.host_ifname)
    for other in ({"ingress_rate": "4mbit", "ingress_burst": "32kb"},
                  {**bw, "egress_rate": "8mbit", "egress_burst": "32kb"}):
        with pytest.raises(Exists, match=r"already connected to network bwnet2 .*bandwidth .*\(it has "):
            n.networks.connect("bwnet2", ctr, bandwidth=other)
    after = ns_json(n.host, "tc", "-j", "qdisc", "show", "dev", ep.host_ifname)
    assert [(q["kind"], q.get("options", {}).get("rate")) for q in after] == \
        [(q["kind"], q.get("options", {}).get("rate")) for q in before]
    assert ("tbf", RATE // 8) in [(q["kind"], q.get("options", {}).get("rate")) for q in after]


def _ip(ns: NetNS, *args: str) -> None:
    subprocess.run(["ip", "-n", str(ns.name), *args], check=True, capture_output=True, text=True)


def _bridge_state(ns: NetNS, name: str) -> Any:
    (link,) = ns_json(ns, "ip", "-j", "-d", "addr", "show", "dev", name)
    return {k: link.get(k) for k in ("flags", "mtu", "address", "group", "ifalias", "addr_info")}, \
        ns_json(ns, "bridge", "-j", "vlan", "show")


@pytest.mark.root
def test_vlan_on_an_existing_bridge_without_filtering_is_refused(make_netns: Callable[..., NetNS],
                                                                 tmp_path: Any) -> None:
    host = make_netns("host")
    _ip(host, "link", "add", "pnlvb0", "type", "bridge")
    before = _bridge_state(host, "pnlvb0")
    nets = Networks(host, state_dir=tmp_path / "state")
    with pytest.raises(OptionError, match=r"-o vlan: bridge pnlvb0 exists without VLAN filtering.*"
                                          r"ip link set pnlvb0 type bridge vlan_filtering 1"):
        nets.create("vb", subnet="172.17.0.0/24", options={"vlan": "10", "bridge_name": "pnlvb0"})
    assert nets.list() == [] and _bridge_state(host, "pnlvb0") == before      # nothing changed
    nets.create("plain", subnet="172.17.0.0/24", options={"bridge_name": "pnlvb0"})   # no vlan: used
    assert [n.name for n in nets.list()] == ["plain"]


@pytest.mark.kernel("bridge_vlan_filtering")
def test_vlan_on_an_existing_filtering_bridge(make_netns: Callable[..., NetNS], tmp_path: Any) -> None:
    host = make_netns("host")
    _ip(host, "link", "add", "pnlvb0", "type", "bridge", "vlan_filtering", "1")
    nets = Networks(host, state_dir=tmp_path / "state")
    nets.create("vb", subnet="172.17.0.0/24", options={"vlan": "10", "bridge_name": "pnlvb0"})
    ctr = make_netns("ctr")
    ep = nets.connect("vb", ctr)
    vl = {p["ifname"]: p["vlans"] for p in ns_json(host, "bridge", "-j", "vlan", "show")}
    assert vl[ep.host_ifname] == [{"vlan": 10, "flags": ["PVID", "Egress Untagged"]}]
    assert {"vlan": 10, "flags": ["PVID", "Egress Untagged"]} in vl["pnlvb0"]
    assert reaches(ctr, host, "172.17.0.1", 7005)
