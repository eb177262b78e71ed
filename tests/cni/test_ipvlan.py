"""pynetlink-ipvlan run as a runtime runs it (same node and LAN as test_macvlan.py).

The development kernel has no ipvlan: these tests carry ``kernel("ipvlan")`` and run in the VM
tier (``tools/vm-tier -- python3 -m pytest -m vm tests/cni -q``).
"""
from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from ..networks.traffic import tcp
from .diffharness import ip_j
from .test_macvlan import GW, Node, assert_refused, links, node  # noqa: F401 - node is a fixture

pytestmark = pytest.mark.kernel("netns", "veth", "ipvlan")


@pytest.fixture
def inode(node: Node) -> Node:  # noqa: F811
    return replace(node, kind="ipvlan")


def test_l2_traffic_between_containers_and_to_the_lan(inode: Node) -> None:
    conf = inode.conf(mode="l2")
    c1, c2, ip1, ip2 = inode.pair(conf)
    r1 = inode.results["c1"]
    assert tcp(c1, c2, ip2, 7201) == ip1
    assert tcp(c2, inode.L, GW, 7202) == ip2
    assert tcp(inode.L, c1, ip1, 7203) == GW
    parent_mac = ip_j(inode.H, "link", "show", "eth0")[0]["address"]
    eth0 = ip_j(c1, "link", "show", "eth0")[0]
    assert eth0["address"] == parent_mac == r1["interfaces"][0]["mac"]       # ipvlan shares it
    assert eth0["linkinfo"]["info_kind"] == "ipvlan" and eth0["linkinfo"]["info_data"]["mode"] == "l2"
    assert inode.call("CHECK", dict(conf, prevResult=r1), c1.path, cid="c1").ok() is None
    for cid, ns in (("c1", c1), ("c2", c2)):
        inode.call("DEL", conf, ns.path, cid=cid).ok()
        assert links(ns) == ["lo"]
    assert inode.reservations() == []


@pytest.mark.parametrize("mode", ["l3", "l3s"])
def test_l3_modes_route_between_containers(inode: Node, mode: str) -> None:
    conf = inode.conf(mode=mode)
    c1, c2, ip1, ip2 = inode.pair(conf)
    r2 = inode.results["c2"]
    assert ip_j(c1, "link", "show", "eth0")[0]["linkinfo"]["info_data"]["mode"] == mode
    assert tcp(c1, c2, ip2, 7204) == ip1
    inode.call("CHECK", dict(conf, prevResult=r2), c2.path, cid="c2").ok()
    err = inode.call("CHECK", dict(conf, mode="l2", prevResult=r2), c2.path, cid="c2").error(7)
    assert mode in err["msg"]
    for cid, ns in (("c1", c1), ("c2", c2)):
        inode.call("DEL", conf, ns.path, cid=cid).ok()
        inode.call("DEL", conf, ns.path, cid=cid).ok()       # again: nothing left to do, still fine
        assert links(ns) == ["lo"]
    assert inode.reservations() == []


@pytest.mark.parametrize("version", ["0.3.1", "0.4.0", "1.0.0", "1.1.0"])
def test_result_shape_per_version(inode: Node, version: str) -> None:
    c = inode.container()
    res = inode.call("ADD", inode.conf(version, mtu=1400), c.path,
                     args="IgnoreUnknown=1;MAC=0a:58:c6:33:64:0c").ok()   # a MAC is ignored
    ip = {"address": "198.51.100.100/24", "gateway": GW, "interface": 0}
    if version < "1.0.0":
        ip["version"] = "4"
    assert res["ips"] == [ip] and res["cniVersion"] == version
    eth0 = ip_j(c, "link", "show", "eth0")[0]
    assert res["interfaces"] == [{"name": "eth0", "mac": eth0["address"], "sandbox": c.path}]
    assert eth0["mtu"] == 1400 and eth0["address"] != "0a:58:c6:33:64:0c"
    inode.call("DEL", inode.conf(version), "", cid="c1").ok()              # empty CNI_NETNS
    assert inode.reservations() == []


@pytest.mark.parametrize("fields,named", [({"master": "nosuchif0"}, "nosuchif0"),
                                          ({"mode": "bridge"}, "bridge"), ({"mtu": 9000}, "9000")])
def test_bad_config_changes_nothing(inode: Node, fields: dict[str, Any], named: str) -> None:
    assert_refused(inode, fields, named)
