"""pynetlink-portmap chained after pynetlink-bridge (prevResult), with real tcp and udp
traffic: from another namespace, hairpin from containers on the bridge, localhost from the
host, hostIP, DEL (also without prevResult), CHECK, GC, clashes."""
from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path
from typing import Any, Callable

import pytest

from . import traffic
from .invoke import invoke, nft_json, spawn
from .bridgeenv import Env, conf as bridge_conf, name_of

HOST_IP = "203.0.113.1"


def pm_conf(tmp: Path, prev: dict[str, Any] | None, mappings: list[dict[str, Any]], version: str = "1.1.0",
            **extra: Any) -> dict[str, Any]:
    c: dict[str, Any] = {"cniVersion": version, "name": "net1", "type": "pynetlink-portmap",
                         "capabilities": {"portMappings": True}, "stateDir": str(tmp / "portmap"),
                         "runtimeConfig": {"portMappings": mappings}, **extra}
    if prev is not None:
        c["prevResult"] = prev
    return c


class Chain:
    """bridge -> portmap for containers of one test."""

    def __init__(self, env: Env, tmp: Path) -> None:
        self.env, self.tmp = env, tmp
        self.pm = env.bin / "pynetlink-portmap"

    def up(self, netns: str, cid: str, mappings: list[dict[str, Any]], version: str = "1.1.0") -> dict[str, Any]:
        res = self.env.add(bridge_conf(self.env.data_dir, version, hairpinMode=True, isDefaultGateway=True),
                           netns, cid).ok()
        out = invoke(self.pm, "ADD", pm_conf(self.tmp, res, mappings, version), **self.env.kw(netns, cid, "eth0")).ok()
        assert out == res                                   # passed through unchanged
        return res

    def down(self, netns: str, cid: str, mappings: list[dict[str, Any]], prev: dict[str, Any] | None) -> None:
        invoke(self.pm, "DEL", pm_conf(self.tmp, prev, mappings), **self.env.kw(netns, cid, "eth0")).ok()
        self.env.dele(bridge_conf(self.env.data_dir, prevResult=prev) if prev else bridge_conf(self.env.data_dir),
                      netns, cid).ok()

    def published(self) -> list[Any]:
        out = []
        for x in nft_json(self.env.host):
            m = x.get("map")
            if m and m["name"].startswith("published_"):
                out += m.get("elem", [])
        return out


@pytest.fixture
def chain(env: Env, tmp_path: Path, make_netns: Callable[..., Any]) -> Chain:
    outside = make_netns("out").name
    traffic.uplink(env.host, outside)
    ch = Chain(env, tmp_path)
    ch.outside = outside  # type: ignore[attr-defined]
    return ch


MAPS = [{"hostPort": 8080, "containerPort": 80, "protocol": "tcp"},
        {"hostPort": 8053, "containerPort": 53, "protocol": "udp"}]


@pytest.mark.parametrize("version", ["0.4.0", "1.0.0", "1.1.0"])
def test_published_ports_from_outside_hairpin_and_localhost(chain: Chain, container: Callable[[], str],
                                                            version: str) -> None:
    a, b = container(), container()
    res = chain.up(a, "ca", MAPS, version)
    chain.env.add(bridge_conf(chain.env.data_dir, hairpinMode=True, isDefaultGateway=True), b, "cb").ok()
    outside = chain.outside  # type: ignore[attr-defined]
    # from another namespace: DNAT to the container, the client's address kept
    assert traffic.exchange(name_of(a), outside, "tcp", HOST_IP, 8080, 80) == "203.0.113.2"
    assert traffic.exchange(name_of(a), outside, "udp", HOST_IP, 8053, 53) == "203.0.113.2"
    # hairpin: another container, and the container itself, through the host address
    assert traffic.exchange(name_of(a), name_of(b), "tcp", HOST_IP, 8080, 80) == "198.51.100.1"
    assert traffic.exchange(name_of(a), name_of(a), "tcp", HOST_IP, 8080, 80) == "198.51.100.1"
    assert traffic.exchange(name_of(a), name_of(b), "udp", HOST_IP, 8053, 53) == "198.51.100.1"
    # localhost on the host
    assert traffic.exchange(name_of(a), chain.env.host, "tcp", "127.0.0.1", 8080, 80) == "198.51.100.1"
    # a connection through the host to a remote port 8080 is not translated
    assert traffic.exchange(outside, name_of(b), "tcp", "203.0.113.2", 8080) == HOST_IP
    invoke(chain.pm, "CHECK", pm_conf(chain.tmp, res, MAPS, version), **chain.env.kw(a, "ca", "eth0")).ok()
    chain.down(a, "ca", MAPS, res)
    assert chain.published() == []
    srv = traffic.Server(name_of(a), "tcp", 80)
    try:
        assert traffic.run(outside, "busybox", "nc", "-w", "2", HOST_IP, "8080", check=False).returncode != 0
    finally:
        srv.close()


def test_host_ip_limits_the_publication(chain: Chain, container: Callable[[], str]) -> None:
    a, b = container(), container()
    maps = [{"hostPort": 8081, "containerPort": 80, "protocol": "tcp", "hostIP": "198.51.100.1"}]
    res = chain.up(a, "ca", maps)
    chain.env.add(bridge_conf(chain.env.data_dir, isDefaultGateway=True), b, "cb").ok()
    assert traffic.exchange(name_of(a), name_of(b), "tcp", "198.51.100.1", 8081, 80) == "198.51.100.1"
    srv = traffic.Server(name_of(a), "tcp", 80)
    try:
        assert traffic.run(chain.outside, "busybox", "nc", "-w", "2", HOST_IP, "8081",  # type: ignore[attr-defined]
                           check=False).returncode != 0
    finally:
        srv.close()
    chain.down(a, "ca", maps, res)


def test_del_without_prev_result_and_twice(chain: Chain, container: Callable[[], str]) -> None:
    a = container()
    chain.up(a, "ca", MAPS)
    assert len(chain.published()) == 2
    chain.down(a, "ca", MAPS, None)
    chain.down(a, "ca", MAPS, None)
    assert chain.published() == []
    assert list((chain.tmp / "portmap" / "net1").iterdir()) == []


def test_clash_and_gc(chain: Chain, container: Callable[[], str]) -> None:
    a, b = container(), container()
    chain.up(a, "ca", MAPS)
    res_b = chain.env.add(bridge_conf(chain.env.data_dir, isDefaultGateway=True), b, "cb").ok()
    err = invoke(chain.pm, "ADD", pm_conf(chain.tmp, res_b, MAPS[:1]), **chain.env.kw(b, "cb", "eth0")).error(7)
    assert "already published" in err["msg"] and "198.51.100.2:80" in err["msg"]
    assert len(chain.published()) == 2
    invoke(chain.pm, "GC", pm_conf(chain.tmp, None, [], **{"cni.dev/valid-attachments": []}),
           **chain.env.kw("", "", "")).ok()
    assert chain.published() == []


def test_needs_prev_result(chain: Chain) -> None:
    err = invoke(chain.pm, "ADD", pm_conf(chain.tmp, None, MAPS), **chain.env.kw("/run/netns/x", "c", "eth0")).error(7)
    assert "prevResult" in err["msg"]


@pytest.mark.parametrize("bad,words", [({"hostPort": 0, "containerPort": 80}, "hostPort"),
                                       ({"hostPort": 80, "containerPort": 80, "protocol": "sctp"}, "protocol"),
                                       ({"hostPort": 80, "containerPort": 80, "hostIP": "x"}, "hostIP")])
def test_bad_mappings(chain: Chain, bad: dict[str, Any], words: str) -> None:
    prev = {"cniVersion": "1.1.0", "ips": [{"address": "198.51.100.9/24"}]}
    before = traffic.state(chain.env.host)
    err = invoke(chain.pm, "ADD", pm_conf(chain.tmp, prev, [bad]), **chain.env.kw("/run/netns/x", "c", "eth0")).error(7)
    assert words in err["msg"]
    assert traffic.state(chain.env.host) == before


def test_bridge_maps_ports_itself_with_the_capability(chain: Chain, container: Callable[[], str]) -> None:
    """One process instead of two: the bridge declares capabilities.portMappings; a chained
    pynetlink-portmap after it finds the ports in place (no clash)."""
    a = container()
    rc = {"portMappings": MAPS}
    c = bridge_conf(chain.env.data_dir, isDefaultGateway=True, capabilities={"portMappings": True},
                    runtimeConfig=rc, stateDir=str(chain.tmp / "portmap"))
    res = chain.env.add(c, a, "ca").ok()
    assert len(chain.published()) == 2
    assert traffic.exchange(name_of(a), chain.outside, "tcp", HOST_IP, 8080, 80) == "203.0.113.2"  # type: ignore[attr-defined]
    assert invoke(chain.pm, "ADD", pm_conf(chain.tmp, res, MAPS), **chain.env.kw(a, "ca", "eth0")).ok() == res
    chain.env.call("CHECK", dict(c, prevResult=res), a, "ca", "eth0").ok()
    chain.env.dele(c, a, "ca").ok()
    assert chain.published() == []


@pytest.mark.parametrize("delay", [0.1, 0.2, 0.3, 0.4])
def test_sigkill_during_add_with_ports_then_del(chain: Chain, container: Callable[[], str], delay: float) -> None:
    """Killed anywhere (ports included), a DEL without prevResult leaves no publication."""
    a = container()
    c = bridge_conf(chain.env.data_dir, isDefaultGateway=True, capabilities={"portMappings": True},
                    runtimeConfig={"portMappings": MAPS}, stateDir=str(chain.tmp / "portmap"))
    proc = spawn(chain.env.exe, "ADD", c, **chain.env.kw(a, "ca", "eth0"))
    time.sleep(delay)
    os.kill(proc.pid, signal.SIGKILL)
    proc.communicate()
    chain.env.dele(c, "", "ca").ok()
    assert chain.published() == [] and chain.env.reservations() == {}
    assert list((chain.tmp / "portmap" / "net1").glob("ca*")) == []


def test_del_with_malformed_prev_result_and_mappings(chain: Chain, container: Callable[[], str]) -> None:
    a = container()
    chain.up(a, "ca", MAPS)
    bad = pm_conf(chain.tmp, None, [{"hostPort": "x"}])
    bad["prevResult"] = {"ips": [{"address": "not-an-address"}]}
    invoke(chain.pm, "DEL", bad, **chain.env.kw(a, "ca", "eth0")).ok()
    assert chain.published() == []
    chain.env.dele(dict(bridge_conf(chain.env.data_dir), prevResult=bad["prevResult"]), a, "ca").ok()
    assert chain.env.reservations() == {} and chain.env.masqueraded() == set()


def test_ipv6_published_port(chain: Chain, container: Callable[[], str]) -> None:
    """A dual-stack container's port published on the host's IPv6 address too."""
    outside = chain.outside  # type: ignore[attr-defined]
    for ns, dev, addr in ((chain.env.host, "up0", "fd00:ff::1/64"), (outside, "down0", "fd00:ff::2/64")):
        subprocess.run(["ip", "-n", ns, "addr", "add", addr, "dev", dev, "nodad"], check=True)
    a = container()
    c = bridge_conf(chain.env.data_dir, isDefaultGateway=True, capabilities={"portMappings": True},
                    runtimeConfig={"portMappings": MAPS[:1]}, stateDir=str(chain.tmp / "portmap"),
                    ipam={"ranges": [[{"subnet": "198.51.100.0/24"}], [{"subnet": "fd00:cafe::/64"}]]})
    res = chain.env.add(c, a, "ca").ok()
    assert len(res["ips"]) == 2 and len(chain.published()) == 2           # one element per family
    srv = traffic.Server(name_of(a), "tcp", 80, "::")
    try:
        traffic.wait_dad(name_of(a))
        assert traffic.talk(outside, "tcp", "fd00:ff::1", 8080) == "pong:ping"
        assert srv.result()[0] == "fd00:ff::2"
    finally:
        srv.close()
    chain.env.dele(c, a, "ca").ok()
    assert chain.published() == []
