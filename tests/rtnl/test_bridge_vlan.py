"""Bridge per-port VLANs (h.bridge_vlans) against `bridge -j vlan show`, and traffic: ports in
one VLAN reach each other, ports in different VLANs do not. Needs bridge VLAN filtering
(the VM tier: this machine's kernel lacks it)."""
from __future__ import annotations

import json
import socket
import subprocess
from typing import Any, Callable

import pytest

from pynetlink import Bridge, Handle, NetNS, Veth
from pynetlink.errors import BatchError, DecodeError, InvalidArgument
from pynetlink.rtnl.bridge_vlan import VlanRange, parse_af_spec

VLAN_FILTERING = pytest.mark.kernel("bridge_vlan_filtering")


def bridge_vlans(ns: NetNS) -> dict[str, list[dict[str, Any]]]:
    """`bridge -j vlan show` as {ifname: [{"vlan", "vlanEnd"?, "flags"?}]}."""
    out = subprocess.run(["bridge", "-n", str(ns.name), "-j", "vlan", "show"], check=True,
                         capture_output=True, text=True).stdout
    return {p["ifname"]: p["vlans"] for p in json.loads(out or "[]")}


def per_vid(oracle: list[dict[str, Any]]) -> set[tuple[int, tuple[str, ...]]]:
    """`bridge -j vlan` entries (one per VLAN, or ranges with vlanEnd) as (vid, flags) pairs."""
    return {(vid, tuple(sorted(e.get("flags", ())))) for e in oracle
            for vid in range(e["vlan"], e.get("vlanEnd", e["vlan"]) + 1)}


def as_oracle(vlans: list[VlanRange]) -> set[tuple[int, tuple[str, ...]]]:
    return {(vid, tuple(sorted(f for f, on in (("PVID", r.pvid), ("Egress Untagged", r.untagged)) if on)))
            for r in vlans for vid in range(r.vid, r.end + 1)}


@pytest.fixture
def br(netns: NetNS) -> Any:
    with Handle(netns) as h:
        h.links.create(Bridge("br0", vlan_filtering=True, up=True))
        for i in range(3):
            h.links.create(Veth(f"p{i}", peer=f"q{i}", master="br0", up=True))
        yield h


@VLAN_FILTERING
def test_add_dump_delete_match_bridge_tool(br: Handle, netns: NetNS) -> None:
    h = br
    h.bridge_vlans.add("p0", 10, pvid=True, untagged=True)
    h.bridge_vlans.add("p0", 20, end=30)
    h.bridge_vlans.add("br0", 10, untagged=True, master=False)      # the bridge itself ("self")
    with h.batch() as b:
        b.bridge_vlans.add("p1", 10, pvid=True, untagged=True)
        b.bridge_vlans.add("p2", 40, untagged=True)
    oracle = bridge_vlans(netns)
    views = {v.name: v for v in h.bridge_vlans.dump()}
    assert set(views) >= {"br0", "p0", "p1", "p2"}
    for name, view in views.items():
        assert as_oracle(view.vlans) == per_vid(oracle.get(name, [])), name
    assert views["p0"].pvid == 10 and views["p2"].pvid == 1           # vid 1 stays the default pvid
    assert VlanRange(20, 30) in views["p0"].vlans
    assert [v.name for v in h.bridge_vlans.dump("p1")] == ["p1"]
    assert h.bridge_vlans.dump("p1")[0].to_dict()["master"] == h.links.get("br0").index
    h.bridge_vlans.delete("p0", 20, end=30)
    h.bridge_vlans.delete("p0", 1)
    h.bridge_vlans.delete("br0", 10, master=False)
    oracle = bridge_vlans(netns)
    assert oracle["p0"] == [{"vlan": 10, "flags": ["PVID", "Egress Untagged"]}]
    assert {"vlan": 10, "flags": ["Egress Untagged"]} not in oracle["br0"]


@VLAN_FILTERING
def test_bad_vlans_change_nothing(br: Handle, netns: NetNS) -> None:
    before = bridge_vlans(netns)
    for kw, match in ((dict(vid=0), "vid"), (dict(vid=4095), "vid"), (dict(vid=10, end=5), "end"),
                      (dict(vid=10, end=12, pvid=True), "pvid"), (dict(vid=True), "vid"),
                      (dict(vid=10, untagged="yes"), "untagged")):
        with pytest.raises(InvalidArgument, match=match):
            br.bridge_vlans.add("p0", **kw)
    with pytest.raises(InvalidArgument, match="nosuch"):
        br.bridge_vlans.add("nosuch", 10)
    with pytest.raises(BatchError):
        with br.batch(rollback=True) as b:
            b.bridge_vlans.add("p0", 10, untagged=True)
            b.bridge_vlans.add("lo", 11)                               # not a bridge port: refused
    assert bridge_vlans(netns) == before


def test_af_spec_parser_checks_lengths() -> None:
    good = bytes.fromhex("0800 0200 0600 0a00") + bytes.fromhex("0800 0200 0800 1400") + \
        bytes.fromhex("0800 0200 1000 1e00")
    assert parse_af_spec(good) == [VlanRange(10, 10, True, True), VlanRange(20, 30)]
    for bad in (bytes.fromhex("0900 0200 0600 0a00"), bytes.fromhex("0600 0200 0600"),
                bytes.fromhex("0200 0200")):
        with pytest.raises(DecodeError):
            parse_af_spec(bad)


def reaches(src: NetNS, dst: NetNS, dst_ip: str) -> bool:
    """A TCP connection from ``src`` to a listener in ``dst`` succeeds within 2 s."""
    lsock = dst.run(lambda: socket.socket(socket.AF_INET, socket.SOCK_STREAM))
    with lsock:
        lsock.bind((dst_ip, 0))
        lsock.listen(1)
        s = src.run(lambda: socket.socket(socket.AF_INET, socket.SOCK_STREAM))
        s.settimeout(2)
        with s:
            try:
                s.connect((dst_ip, lsock.getsockname()[1]))
                return True
            except OSError:
                return False


@VLAN_FILTERING
def test_vlans_isolate_ports(netns: NetNS, make_netns: Callable[..., NetNS]) -> None:
    ctrs = [make_netns("vc") for _ in range(3)]
    vids = (10, 10, 20)
    with Handle(netns) as h:
        h.links.create(Bridge("br0", vlan_filtering=True, up=True))
        for i, (c, vid) in enumerate(zip(ctrs, vids)):
            h.links.create(Veth(f"h{i}", peer="eth0", peer_netns=c, master="br0", up=True))
            h.bridge_vlans.delete(f"h{i}", 1)
            h.bridge_vlans.add(f"h{i}", vid, pvid=True, untagged=True)
            with Handle(c) as hc:
                hc.links.set("eth0", up=True)
                hc.addresses.add("eth0", f"198.51.100.{i + 1}/24")
        oracle = bridge_vlans(netns)
        assert [oracle[f"h{i}"] for i in range(3)] == [
            [{"vlan": v, "flags": ["PVID", "Egress Untagged"]}] for v in vids]
    assert reaches(ctrs[0], ctrs[1], "198.51.100.2")
    assert not reaches(ctrs[0], ctrs[2], "198.51.100.3")
    assert not reaches(ctrs[2], ctrs[1], "198.51.100.2")


@pytest.mark.root
def test_dump_matches_bridge_tool_here_and_async(netns: NetNS) -> None:
    """Runs on any kernel (without VLAN filtering the ports have none)."""
    import asyncio

    from pynetlink.aio import AsyncHandle
    with Handle(netns) as h:
        h.links.create(Bridge("br0", up=True))
        h.links.create(Veth("p0", peer="q0", master="br0", up=True))
        views = {v.name: v for v in h.bridge_vlans.dump()}
    oracle = bridge_vlans(netns)
    assert {"br0", "p0"} <= set(views)
    for name, view in views.items():
        assert as_oracle(view.vlans) == per_vid(oracle.get(name, [])), name

    async def dump() -> list[Any]:
        async with AsyncHandle(netns) as ah:
            return list(await ah.bridge_vlans.dump("p0"))
    (p0,) = asyncio.run(dump())
    assert p0.name == "p0" and p0.to_dict()["vlans"] == [r.to_dict() for r in views["p0"].vlans]
