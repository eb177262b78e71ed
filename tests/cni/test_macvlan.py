"""pynetlink-macvlan run as a runtime runs it: real traffic between containers and to a host
on the "LAN", result shapes per cniVersion, idempotent DEL, CHECK, GC, bad configs.

Topology (all namespaces made here): the node ``H`` whose ``eth0`` is a veth to the LAN
namespace ``L`` (198.51.100.1/24, the gateway); containers get 198.51.100.100 and up.
"""
from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import pytest

from pynetlink.transport import NetNS

from ..networks.traffic import tcp
from .diffharness import ip_j, run
from .invoke import Call, invoke, spawn

GW = "198.51.100.1"


def ipam(data_dir: Path, **extra: Any) -> dict[str, Any]:
    return {"type": "pynetlink-host-local", "subnet": "198.51.100.0/24", "rangeStart": "198.51.100.100",
            "gateway": GW, "routes": [{"dst": "0.0.0.0/0"}], "dataDir": str(data_dir), **extra}


@dataclass
class Node:
    """A node namespace ``H`` with ``eth0`` wired to a LAN namespace ``L``, and containers."""

    H: NetNS
    L: NetNS
    bindir: Path
    data_dir: Path
    make: Callable[[str], NetNS]
    kind: str = "macvlan"
    results: dict[str, Any] = field(default_factory=dict)

    def conf(self, version: str = "1.0.0", **fields: Any) -> dict[str, Any]:
        c = {"cniVersion": version, "name": f"{self.kind}net", "type": f"pynetlink-{self.kind}",
             "master": "eth0", "ipam": ipam(self.data_dir)}
        c.update(fields)
        return {k: v for k, v in c.items() if v is not None}

    def call(self, command: str, conf: dict[str, Any], netns: str, *, cid: str = "c1",
             ifname: str = "eth0", args: str = "") -> Call:
        return invoke(self.bindir / conf["type"], command, conf, host=self.H.name, netns=netns,
                      container_id=cid, ifname=ifname, args=args, path=[self.bindir])

    def container(self, tag: str = "c") -> NetNS:
        ns = self.make(tag)
        run(["ip", "-n", ns.name, "link", "set", "lo", "up"], check=True)
        return ns

    def pair(self, conf: dict[str, Any]) -> tuple[NetNS, NetNS, str, str]:
        """Two containers ADDed to ``conf`` (IDs c1, c2): their namespaces and addresses."""
        c1, c2 = self.container(), self.container()
        r1 = self.call("ADD", conf, c1.path, cid="c1").ok()
        r2 = self.call("ADD", conf, c2.path, cid="c2").ok()
        self.results = {"c1": r1, "c2": r2}
        return c1, c2, r1["ips"][0]["address"].split("/")[0], r2["ips"][0]["address"].split("/")[0]

    def reservations(self) -> list[str]:
        d = self.data_dir / f"{self.kind}net"
        return sorted(p.name for p in d.iterdir() if p.name[0].isdigit()) if d.is_dir() else []


@pytest.fixture
def node(make_netns: Callable[[str], NetNS], cni_bin: Path, tmp_path: Path) -> Node:
    H, L = make_netns("H"), make_netns("L")
    for ns in (H, L):
        ns.set_sysctl("net.ipv6.conf.all.accept_dad", 0)
        ns.set_sysctl("net.ipv6.conf.default.accept_dad", 0)
    for c in (["link", "add", "eth0", "type", "veth", "peer", "name", "lan0", "netns", L.name],
              ["link", "set", "eth0", "up"], ["addr", "add", "198.51.100.10/24", "dev", "eth0"],
              ["route", "add", "default", "via", GW]):
        run(["ip", "-n", H.name, *c], check=True)
    for c in (["link", "set", "lo", "up"], ["link", "set", "lan0", "up"],
              ["addr", "add", f"{GW}/24", "dev", "lan0"]):
        run(["ip", "-n", L.name, *c], check=True)
    return Node(H, L, cni_bin, tmp_path / "ipam", make_netns)


def links(ns: NetNS) -> list[str]:
    return [x["ifname"] for x in ip_j(ns, "link", "show")]


pytestmark = pytest.mark.kernel("netns", "veth", "macvlan")


def test_traffic_between_containers_and_to_the_lan(node: Node) -> None:
    conf = node.conf(mode="bridge")
    c1, c2, ip1, ip2 = node.pair(conf)
    r1 = node.results["c1"]
    assert (ip1, ip2) == ("198.51.100.100", "198.51.100.101")
    assert tcp(c1, c2, ip2, 7101) == ip1                       # container to container (bridge mode)
    assert tcp(c2, node.L, GW, 7102) == ip2                    # container to the LAN host
    assert tcp(node.L, c1, ip1, 7103) == GW                    # and back from the LAN
    eth0 = ip_j(c1, "link", "show", "eth0")[0]
    assert eth0["linkinfo"]["info_kind"] == "macvlan" and eth0["linkinfo"]["info_data"]["mode"] == "bridge"
    assert eth0["address"] == r1["interfaces"][0]["mac"] and r1["interfaces"][0]["sandbox"] == c1.path
    assert ip_j(c1, "route", "show", "default")[0]["gateway"] == GW
    for cid, ns in (("c1", c1), ("c2", c2)):
        assert node.call("DEL", conf, ns.path, cid=cid).ok() is None
        assert links(ns) == ["lo"]
    assert node.reservations() == []


def test_private_mode_isolates_containers(node: Node) -> None:
    c1, c2, _, ip2 = node.pair(node.conf(mode="private"))
    assert tcp(c2, node.L, GW, 7104)                           # the LAN is reachable
    with pytest.raises(OSError):                               # a sibling is not (private)
        tcp(c1, c2, ip2, 7105)


@pytest.mark.parametrize("version", ["0.3.0", "0.3.1", "0.4.0", "1.0.0", "1.1.0"])
def test_result_shape_per_version(node: Node, version: str) -> None:
    c = node.container()
    conf = node.conf(version)
    res = node.call("ADD", conf, c.path).ok()
    assert res["cniVersion"] == version
    assert res["interfaces"] == [{"name": "eth0", "mac": ip_j(c, "link", "show", "eth0")[0]["address"],
                                  "sandbox": c.path}]
    ip = {"address": "198.51.100.100/24", "gateway": GW, "interface": 0}
    if version < "1.0.0":
        ip["version"] = "4"
    assert res["ips"] == [ip]
    assert res["routes"] == [{"dst": "0.0.0.0/0"}] and res["dns"] == {}
    if version >= "0.4.0":
        assert node.call("CHECK", dict(conf, prevResult=res), c.path).ok() is None
    else:
        node.call("CHECK", dict(conf, prevResult=res), c.path).error(1)
    node.call("DEL", dict(conf, prevResult=res), c.path).ok()


def test_del_is_idempotent(node: Node) -> None:
    conf = node.conf()
    c = node.container()
    node.call("ADD", conf, c.path).ok()
    assert node.reservations() == ["198.51.100.100"]
    for _ in range(2):                                          # twice: the second finds nothing
        node.call("DEL", conf, c.path).ok()
        assert links(c) == ["lo"] and node.reservations() == []
    # interface already gone (deleted behind the plugin's back): the address is still freed
    node.call("ADD", conf, c.path).ok()
    run(["ip", "-n", c.name, "link", "del", "eth0"], check=True)
    node.call("DEL", conf, c.path).ok()
    assert node.reservations() == []
    # empty CNI_NETNS (containerd after the container died) and a netns that no longer exists
    for gone in ("", "missing"):
        d = node.container()
        node.call("ADD", conf, d.path, cid="c9").ok()
        path = d.path
        if gone == "missing":
            d.delete()
        node.call("DEL", conf, "" if gone == "" else path, cid="c9").ok()
        assert node.reservations() == []


def test_mac_from_cni_args_and_runtime_config(node: Node) -> None:
    c1, c2 = node.container(), node.container()
    r1 = node.call("ADD", node.conf(), c1.path, cid="c1", args="IgnoreUnknown=1;MAC=0a:58:c6:33:64:0a").ok()
    r2 = node.call("ADD", node.conf(runtimeConfig={"mac": "0A:58:C6:33:64:0B"}), c2.path, cid="c2").ok()
    assert ip_j(c1, "link", "show", "eth0")[0]["address"] == r1["interfaces"][0]["mac"] == "0a:58:c6:33:64:0a"
    assert ip_j(c2, "link", "show", "eth0")[0]["address"] == r2["interfaces"][0]["mac"] == "0a:58:c6:33:64:0b"


def test_mtu_and_default_master(node: Node) -> None:
    c = node.container()
    conf = node.conf(mtu=1400, master=None)                    # master: H's default-route interface
    node.call("ADD", conf, c.path).ok()
    eth0 = ip_j(c, "link", "show", "eth0")[0]
    assert eth0["mtu"] == 1400
    parent = next(x for x in ip_j(node.H, "link", "show") if x["ifindex"] == eth0["link_index"])
    assert parent["ifname"] == "eth0"
    assert tcp(c, node.L, GW, 7106)


def test_link_in_container(node: Node) -> None:
    """linkInContainer: the master is an interface of the container namespace (newer reference
    plugins have it; Debian's 1.1.1 does not)."""
    c = node.container()
    run(["ip", "-n", c.name, "link", "add", "eth9", "type", "veth", "peer", "name", "lan9"], check=True)
    run(["ip", "-n", c.name, "link", "set", "eth9", "up"], check=True)
    conf = node.conf(master="eth9", linkInContainer=True, ipam=None)
    res = node.call("ADD", conf, c.path, ifname="net1").ok()
    net1 = ip_j(c, "link", "show", "net1")[0]
    assert net1["link"] == "eth9" and "UP" in net1["flags"]
    assert res["ips"] == [] and res["interfaces"][0]["name"] == "net1"
    node.call("CHECK", dict(conf, prevResult=res), c.path, ifname="net1").ok()
    node.call("DEL", conf, c.path, ifname="net1").ok()
    assert sorted(links(c)) == ["eth9", "lan9", "lo"]


def test_check_finds_what_is_missing(node: Node) -> None:
    c = node.container()
    conf = node.conf()
    res = node.call("ADD", conf, c.path).ok()
    run(["ip", "-n", c.name, "route", "replace", "default", "via", "198.51.100.254"], check=True)
    err = node.call("CHECK", dict(conf, prevResult=res), c.path).error(7)
    assert "0.0.0.0/0 via 198.51.100.1" in err["msg"]
    run(["ip", "-n", c.name, "addr", "flush", "dev", "eth0"], check=True)
    err = node.call("CHECK", dict(conf, prevResult=res), c.path).error(7)
    assert "198.51.100.100/24" in err["msg"]
    run(["ip", "-n", c.name, "link", "del", "eth0"], check=True)
    assert "missing" in node.call("CHECK", dict(conf, prevResult=res), c.path).error(7)["msg"]


def test_gc_and_status(node: Node) -> None:
    conf = node.conf("1.1.0")
    node.pair(conf)
    assert node.reservations() == ["198.51.100.100", "198.51.100.101"]
    gc = dict(conf, **{"cni.dev/valid-attachments": [{"containerID": "c2", "ifname": "eth0"}]})
    node.call("GC", gc, "").ok()
    assert node.reservations() == ["198.51.100.101"]            # c1's address went, c2's stayed
    assert node.call("STATUS", conf, "").ok() is None


BAD: dict[str, tuple[dict[str, Any], str]] = {
    "missing master": ({"master": "nosuchif0"}, "nosuchif0"),
    "bad mode": ({"mode": "sideways"}, "sideways"),
    "mtu larger than the parent": ({"mtu": 9000}, "9000"),
    "mtu not a number": ({"mtu": "big"}, "mtu"),
    "master not a string": ({"master": 7}, "master"),
    "bad MAC": ({"runtimeConfig": {"mac": "not-a-mac"}}, "not-a-mac"),
    "multicast MAC": ({"runtimeConfig": {"mac": "01:00:5e:00:00:01"}}, "01:00:5e:00:00:01"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_config_changes_nothing(node: Node, case: str) -> None:
    assert_refused(node, *BAD[case])


def assert_refused(node: Node, fields: dict[str, Any], named: str) -> None:
    """ADD with ``fields`` is error 7 naming ``named``, and changes nothing anywhere."""
    c = node.container()
    host_before = json.dumps(ip_j(node.H, "link", "show"))
    err = node.call("ADD", node.conf(**fields), c.path).error(7)
    assert named in err["msg"] + err.get("details", "")
    assert links(c) == ["lo"] and node.reservations() == []
    assert json.dumps(ip_j(node.H, "link", "show")) == host_before


def test_ifname_taken_rolls_back(node: Node) -> None:
    c = node.container()
    run(["ip", "-n", c.name, "link", "add", "eth0", "type", "veth", "peer", "name", "x0"], check=True)
    err = node.call("ADD", node.conf(), c.path).error()
    assert "eth0" in err["msg"]
    assert node.reservations() == []


def test_missing_netns_is_unknown_container(node: Node) -> None:
    node.call("ADD", node.conf(), f"/run/netns/pnlt{os.getpid()}-nosuchns").error(3)
    assert node.reservations() == []


def test_del_cleans_what_a_killed_add_left(node: Node) -> None:
    """ADD SIGKILLed at many points (link made under its temporary name, renamed, addresses
    reserved, configured...): a DEL afterwards leaves nothing, and a new ADD works."""
    conf = node.conf()
    seen: set[str] = set()
    for delay in (0.0, 0.03, 0.06, 0.09, 0.12, 0.15, 0.2, 0.25, 0.3, 0.4):
        c = node.container()
        proc = spawn(node.bindir / conf["type"], "ADD", conf, host=node.H.name, netns=c.path,
                     container_id="k1", ifname="eth0", path=[node.bindir])
        time.sleep(delay)
        proc.kill()
        proc.communicate()
        seen.add(" ".join(sorted(links(c))))
        node.call("DEL", conf, c.path, cid="k1").ok()
        assert links(c) == ["lo"] and node.reservations() == [], delay
    node.call("ADD", conf, c.path, cid="k1").ok()
    assert len(seen) > 1, seen                    # the kills did land at different points


def test_del_removes_a_link_left_under_its_temporary_name(node: Node) -> None:
    """The window between creating the link (as pnl + 10 hex digits) and renaming it is too
    short to hit with a kill: the state is made by hand. DEL removes our kind only."""
    c = node.container()
    run(["ip", "-n", node.H.name, "link", "add", "pnl0123456789", "link", "eth0", "netns", c.name,
         "type", "macvlan", "mode", "bridge"], check=True)
    run(["ip", "-n", c.name, "link", "add", "pnlabcdefabcd", "type", "veth", "peer", "name", "other0"],
        check=True)
    node.call("DEL", node.conf(), c.path).ok()
    assert sorted(links(c)) == ["lo", "other0", "pnlabcdefabcd"]


@pytest.mark.parametrize("fields", [{"mode": "sideways"}, {"master": "nosuchif0"}, {"mtu": 9000}])
def test_del_with_a_config_add_would_refuse(node: Node, fields: dict[str, Any]) -> None:
    """DEL validates nothing but what it needs: the address is freed, the link deleted."""
    c = node.container()
    node.call("ADD", node.conf(), c.path).ok()
    node.call("DEL", node.conf(**fields), c.path).ok()
    assert links(c) == ["lo"] and node.reservations() == []
