"""Per-port options of bridge networks (networks/ports.py): VLAN-aware networks (VM tier:
bridge VLAN filtering) and bandwidth limits on connect, proven with `bridge -j vlan`,
`tc -j` and traffic."""
from __future__ import annotations

import json
import subprocess
from typing import Any, Callable

import pytest

from pynetlink.networks.errors import OptionError
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
