"""Differential tests: pynetlink-bridge + pynetlink-host-local (+ pynetlink-portmap) against
the reference bridge + host-local (+ portmap), same config and environment, compared field by
field: the result, the container's links/addresses/routes/sysctls, what changed in the host
namespace, the IPAM store on disk, and (portmap) real traffic through the published ports.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Iterator

import pytest

from pynetlink.transport import NetNS

from ..networks.traffic import tcp
from .traffic import exchange
from .diffharness import REFERENCE_DIR, Harness, Outcome, Probe, Setup, run, to_pynetlink
from .diffharness import assert_same as same

pytestmark = [pytest.mark.kernel("netns", "veth", "bridge", "nft_nat"),
              pytest.mark.skipif(not (REFERENCE_DIR / "bridge").exists(),
                                 reason="needs containernetworking-plugins (/usr/lib/cni)")]

# Documented differences (docs/cni.md, "Differences from the reference plugins").
NFT = "NAT is pynetlink's own nftables table; the reference's iptables-nft rules differ entirely"
ALLOWED = {
    "host.nft": NFT,
    "ctr.addrs.eth0.2001:db8:*": "IPv6 addresses are added with nodad (no DAD wait)",
}
ERROR_CODES = {"error.code": "spec codes instead of the reference's 999"}
ALLOWED["result.interfaces[0].mac"] = ("the bridge gets a random MAC of its own when made (the "
                                       "reference's may take its first port's)")
# Gaps of pynetlink-bridge these tests found, not (yet) fixed or documented: allowed here so the
# rest is compared; test_bridge_gaps_closed fails once they are gone (then drop them here).
PENDING: dict[str, str] = {}      # differences still to close (none)

V4 = {"type": "host-local", "subnet": "172.16.5.0/24", "routes": [{"dst": "0.0.0.0/0"}]}
DUAL = {"type": "host-local", "ranges": [[{"subnet": "172.16.5.0/24"}], [{"subnet": "2001:db8:5::/64"}]],
        "routes": [{"dst": "0.0.0.0/0"}, {"dst": "::/0"}]}


@pytest.fixture
def harness(tmp_path: Path) -> Iterator[Harness]:
    with Harness(tmp_path) as h:
        yield h


def both(h: Harness, conf: dict[str, Any], setup: Setup | None = None, **kw: Any) -> tuple[Outcome, Outcome]:
    """One cycle with the reference plugins, one with pynetlink's (every type swapped)."""
    return h.cycle(conf, setup, **kw), h.cycle(to_pynetlink(conf), setup, **kw)


def assert_same(ref: Outcome, ours: Outcome, allowed: dict[str, str] = ALLOWED | PENDING,
                ref_check_fails: str = "") -> None:
    same(ref, ours, allowed, ref_check_fails)


def bridge(version: str = "1.0.0", **fields: Any) -> dict[str, Any]:
    return {"cniVersion": version, "name": "brnet", "type": "bridge", "bridge": "pnlbr0",
            "ipam": V4, **fields}


CASES: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {
    "plain": ({}, {}),
    "gateway": ({"isGateway": True}, {}),
    "default-gateway": ({"isDefaultGateway": True, "ipam": dict(V4, routes=[])}, {}),
    "ipmasq": ({"isGateway": True, "ipMasq": True}, {"with_nft": True}),
    "hairpin": ({"isGateway": True, "hairpinMode": True}, {}),
    "mtu": ({"isGateway": True, "mtu": 1400}, {}),
    "dual-stack": ({"isGateway": True, "ipam": DUAL}, {}),
    "mac": ({"isGateway": True}, {"env": {"args": "IgnoreUnknown=1;MAC=0a:58:ac:10:05:09"},
                                  "macs": {"0a:58:ac:10:05:09": "given"}}),
    "requested-ip": ({"isGateway": True}, {"env": {"args": "IgnoreUnknown=1;IP=172.16.5.77"}}),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_bridge_same_as_reference(harness: Harness, case: str) -> None:
    fields, kw = CASES[case]
    ref, ours = both(harness, bridge(**fields), **kw)
    assert ref.add.rc == 0, ref.add
    if fields.get("ipMasq"):                       # the DEL leftover check can see NAT state
        for o in (ref, ours):
            assert o.host is not None and '"172.16.5.2"' in json.dumps(o.host.nft)
    assert_same(ref, ours)


@pytest.mark.parametrize("version", ["0.3.0", "0.3.1", "0.4.0", "1.0.0"])
def test_bridge_versions_same_as_reference(harness: Harness, version: str) -> None:
    ref, ours = both(harness, bridge(version, isGateway=True, ipam=DUAL))
    assert ref.add.rc == 0, ref.add
    assert_same(ref, ours)


def test_bridge_gaps_closed(harness: Harness) -> None:
    ref, ours = both(harness, bridge(isGateway=True, ipam=DUAL))
    assert_same(ref, ours, ALLOWED)


def test_bridge_existing_bridge_with_other_address(harness: Harness) -> None:
    """A bridge that already holds another address of the subnet: both refuse (or both add)."""
    def setup(host: NetNS) -> None:
        for c in (["link", "add", "pnlbr0", "type", "bridge"], ["link", "set", "pnlbr0", "up"],
                  ["addr", "add", "172.16.5.200/24", "dev", "pnlbr0"]):
            run(["ip", "-n", host.name, *c], check=True)
    ref, ours = both(harness, bridge(isGateway=True), setup)
    assert_same(ref, ours, ALLOWED | PENDING | ERROR_CODES)


# -- host-local as a plain IPAM: the result and the files it writes --------------------------

def hostlocal(ipam: dict[str, Any], version: str = "1.0.0") -> dict[str, Any]:
    """host-local exec'd directly (as a runtime's plugin): its section is still ``ipam``."""
    return {"cniVersion": version, "name": "ipamnet", "type": "host-local", "ipam": ipam}


HOSTLOCAL: dict[str, dict[str, Any]] = {
    "two-ranges-one-set": {"type": "host-local", "ranges": [[
        {"subnet": "172.16.6.0/24", "rangeStart": "172.16.6.10", "rangeEnd": "172.16.6.20"},
        {"subnet": "172.16.7.0/24"}]]},
    "v4-and-v6": {"type": "host-local", "ranges": [
        [{"subnet": "172.16.6.0/24", "gateway": "172.16.6.254"}],
        [{"subnet": "2001:db8:6::/64", "rangeStart": "2001:db8:6::100", "rangeEnd": "2001:db8:6::1ff"}]],
        "routes": [{"dst": "0.0.0.0/0"}, {"dst": "2001:db8:9::/48", "gw": "2001:db8:6::1"}]},
    "legacy-subnet": {"type": "host-local", "subnet": "172.16.8.0/28", "rangeStart": "172.16.8.5",
                      "gateway": "172.16.8.1", "routes": [{"dst": "203.0.113.0/24"}]},
    "v6-only": {"type": "host-local", "ranges": [[{"subnet": "2001:db8:7::/120"}]]},
}


@pytest.mark.parametrize("case", sorted(HOSTLOCAL))
def test_hostlocal_same_as_reference(harness: Harness, case: str) -> None:
    ref, ours = both(harness, hostlocal(HOSTLOCAL[case]))
    assert ref.add.rc == 0, ref.add
    assert any(k.startswith("ipam.ipamnet/") for k in ref.flat), ref.flat     # the store is compared
    assert_same(ref, ours)


def test_hostlocal_requested_ip_same_as_reference(harness: Harness) -> None:
    ref, ours = both(harness, hostlocal(HOSTLOCAL["v4-and-v6"]),
                     env={"args": "IgnoreUnknown=1;IP=172.16.6.77"})
    assert ref.flat["result.ips[0].address"] == "172.16.6.77/24"
    assert_same(ref, ours)


def test_hostlocal_exhausted_range(harness: Harness, tmp_path: Path) -> None:
    """One address, two containers: both refuse the second (codes differ: documented)."""
    outcomes = []
    for conf in (hostlocal(HOSTLOCAL["legacy-subnet"]), to_pynetlink(hostlocal(HOSTLOCAL["legacy-subnet"]))):
        conf["ipam"]["rangeEnd"] = "172.16.8.5"
        conf["ipam"]["dataDir"] = str(tmp_path / conf["type"])
        first = harness.cycle(conf, keep=True, env={"containerid": "first"})
        assert first.add.rc == 0, first.add
        outcomes.append(harness.cycle(conf, env={"containerid": "second"}))
    ref, ours = outcomes
    assert ref.add.rc != 0 and ours.add.error(11)
    assert_same(ref, ours, ALLOWED | PENDING | ERROR_CODES)


# -- portmap: the same ports published, checked with real traffic -----------------------------

def _outside(h: Harness, box: dict[str, NetNS]) -> Setup:
    """Host set-up: an 'outside' namespace on a veth (203.0.113.2 <-> host 203.0.113.1)."""
    def setup(host: NetNS) -> None:
        out = h.netns("o")
        box["outside"] = out
        run(["ip", "-n", host.name, "link", "add", "up0", "type", "veth", "peer", "name", "down0",
             "netns", out.name], check=True)
        for ns, dev, addr in ((host, "up0", "203.0.113.1/24"), (out, "down0", "203.0.113.2/24")):
            # no IPv6 link-local: it would appear in one run's host snapshot and not the other's
            run(["ip", "-n", ns.name, "link", "set", dev, "addrgenmode", "none"], check=True)
            run(["ip", "-n", ns.name, "addr", "add", addr, "dev", dev], check=True)
            run(["ip", "-n", ns.name, "link", "set", dev, "up"], check=True)
        run(["ip", "-n", out.name, "route", "add", "172.16.5.0/24", "via", "203.0.113.1"], check=True)
    return setup


def _through_ports(box: dict[str, NetNS]) -> Probe:
    def probe(host: NetNS, ctr: NetNS, result: Any) -> Any:
        out = box["outside"]
        return {"tcp 8080->80 seen as": tcp(out, ctr, "203.0.113.1", 8080, listen_port=80),
                "tcp 8081->81 on hostIP seen as": tcp(out, ctr, "203.0.113.1", 8081, listen_port=81),
                "udp 8082->82 seen as": exchange(ctr.name, out.name, "udp", "203.0.113.1", 8082, 82)}
    return probe


def portmap_chain(version: str = "1.0.0") -> dict[str, Any]:
    maps = [{"hostPort": 8080, "containerPort": 80, "protocol": "tcp"},
            {"hostPort": 8081, "containerPort": 81, "protocol": "tcp", "hostIP": "203.0.113.1"},
            {"hostPort": 8082, "containerPort": 82, "protocol": "udp"}]
    return {"cniVersion": version, "name": "pmnet", "plugins": [
        {"type": "bridge", "bridge": "pnlbr0", "isGateway": True, "ipMasq": True, "ipam": V4},
        {"type": "portmap", "capabilities": {"portMappings": True}, "runtimeConfig": {"portMappings": maps}}]}


@pytest.mark.parametrize("version", ["0.4.0", "1.0.0"])
def test_portmap_chain_same_as_reference(harness: Harness, version: str) -> None:
    box: dict[str, NetNS] = {}
    ref, ours = both(harness, portmap_chain(version), _outside(harness, box), with_nft=True,
                     probe=_through_ports(box))
    assert ref.add.rc == 0, ref.add
    assert ref.flat["probe"]["tcp 8080->80 seen as"] == "203.0.113.2"
    for o in (ref, ours):                          # the DEL leftover check can see NAT state
        assert o.host is not None and '"172.16.5.2"' in json.dumps(o.host.nft)
    # Debian's portmap 1.1.1 CHECK looks for an IPv6 DNAT chain an IPv4-only container lacks
    assert_same(ref, ours, ref_check_fails="could not check ipv6 dnat")
