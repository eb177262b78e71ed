"""Lifecycles around the networks: a host namespace deleted under its networks (stale
records), the IPAM cursor across a rollback, containers given by pid, masquerade re-run."""
from __future__ import annotations

import json
import logging
import os
import subprocess
import time
from pathlib import Path
from typing import Any, Callable, Iterator

import pytest

from pynetlink import Bridge, Handle, NetNS
from pynetlink.networks import IPAM, Networks, forget_namespace
from pynetlink.nft import DockerNat, Nftables

from .conftest import Topology
from .traffic import ip_j, masquerading, nft_j

pytestmark = pytest.mark.kernel("netns", "veth", "bridge", "nft_nat")
MakeNS = Callable[..., NetNS]


def _masquerades(ns: NetNS) -> list[dict[str, Any]]:
    """POSTROUTING rules of our table that masquerade, as ``nft -j list ruleset`` shows them."""
    return [x["rule"] for x in nft_j(ns) if "rule" in x and x["rule"]["table"] == "pynetlink"
            and x["rule"]["chain"] == "POSTROUTING"
            and any("masquerade" in e for e in x["rule"]["expr"])]


def test_deleted_host_namespace_leaves_no_stale_networks(
        make_netns: MakeNS, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    H, c = make_netns("stH"), make_netns("stC")
    name = str(H.name)
    nets = Networks(H, state_dir=tmp_path)
    nets.create("net0", subnet="172.27.0.0/24", options={"bridge_name": "br-st"})
    old = nets.connect("net0", c)
    assert old.ip == "172.27.0.2"
    ipam = IPAM("net0", nets.get("net0").config.pools, tmp_path)
    assert list(ipam.allocations().values()) == [old.id]

    H.delete()                                       # directly: the networks are not removed
    NetNS.create(name)                               # a new namespace with the same name
    nets2 = Networks(name, state_dir=tmp_path)
    assert nets2.list() == [] and nets.list() == []  # stale records are never shown
    with pytest.raises(FileNotFoundError, match="stale"):
        nets2.get("net0")
    with caplog.at_level(logging.WARNING, logger="pynetlink.networks"):
        net = nets2.create("net0", subnet="172.27.0.0/24", options={"bridge_name": "br-st"})
    assert net.state == "ready"
    assert [n.name for n in nets2.dropped] == ["net0"]
    assert "dropped the stale record of network net0" in caplog.text
    assert name in caplog.text and "released 1 address set" in caplog.text
    assert ipam.allocations() == {}                  # the old endpoint's address was released
    # the container is connected afresh: same address, eth0 again (the old veth is gone)
    new = nets2.connect("net0", c)
    assert (new.ip, new.ifname) == ("172.27.0.2", "eth0")
    assert [x["ifname"] for x in ip_j(c, "link", "show")] == ["lo", "eth0"]
    assert [n.name for n in nets2.list()] == ["net0"] and len(nets2.get("net0").endpoints) == 1
    assert nets2.prune() == []                       # nothing stale about the new one
    nets2.remove("net0", force=True)
    assert nets2.list() == [] and not list((tmp_path / "networks").iterdir())


def test_forget_namespace_after_delete(make_netns: MakeNS, tmp_path: Path) -> None:
    H, c = make_netns("fgH"), make_netns("fgC")
    nets = Networks(H, state_dir=tmp_path / "s", ipam_dir=tmp_path / "ipam")
    nets.create("a", subnet="172.28.0.0/24")
    nets.create("b", subnet="172.29.0.0/24", options={"masquerade": "false"})
    nets.connect("a", c)
    assert nets.connect("b", c).ifname == "eth1"     # one container on both networks
    defaults = [r for r in ip_j(c, "route", "show") if r["dst"] == "default"]
    assert [(r["gateway"], r["dev"]) for r in defaults] == [("172.28.0.1", "eth0")]   # the first's
    assert forget_namespace(str(H.name), state_dir=tmp_path / "s") == []   # alive: nothing stale
    H.delete()
    dropped = forget_namespace(str(H.name), state_dir=tmp_path / "s")
    assert sorted(n.name for n in dropped) == ["a", "b"]
    assert not list((tmp_path / "s" / "networks").iterdir())
    assert not (tmp_path / "ipam" / "ipam" / "a.json").exists()    # the recorded ipam_dir
    # no veth left in the container: gone with the host, or removed as provably ours
    assert [x["ifname"] for x in ip_j(c, "link", "show")] == ["lo"]
    assert forget_namespace(str(H.name), state_dir=tmp_path / "s") == []
    assert forget_namespace("pnl-never-existed", state_dir=tmp_path / "none") == []
    assert not (tmp_path / "none").exists()          # nothing made for a namespace never used


def test_rollback_restores_the_ipam_cursor(outside: Topology) -> None:
    """A failed connect takes back its addresses and the round-robin cursor: the next
    automatic address is the one the failed call would have given."""
    nets = outside.nets["H"]
    nets.create("n", subnet="172.19.0.0/24")
    first = nets.connect("n", outside.container())
    assert first.ip == "172.19.0.2"
    good, bad = outside.container("g"), outside.container("x")
    with Handle(bad) as h:
        h.links.create(Bridge("eth0"))
    with pytest.raises(FileExistsError, match="already has an interface named eth0"):
        nets.connect_many("n", [good, bad])          # would have given .3 and .4
    assert nets.connect("n", good).ip == "172.19.0.3"
    assert nets.connect("n", bad, ifname="eth1").ip == "172.19.0.4"


@pytest.fixture
def child_netns() -> Iterator[subprocess.Popen[bytes]]:
    """A real process in a network namespace of its own (``unshare -n sleep 30``), killed
    and reaped after the test whatever happens."""
    proc = subprocess.Popen(["unshare", "-n", "sleep", "30"])
    try:
        ours = os.stat("/proc/self/ns/net").st_ino
        deadline = time.monotonic() + 5
        while os.stat(f"/proc/{proc.pid}/ns/net").st_ino == ours:   # until unshare ran
            assert time.monotonic() < deadline and proc.poll() is None, "unshare -n did not start"
            time.sleep(0.01)
        yield proc
    finally:
        proc.kill()
        proc.wait()


def _nsenter_addrs(pid: int) -> dict[str, list[str]]:
    """``nsenter -t PID -n ip -j addr``: an independent oracle inside the process's namespace."""
    out = subprocess.run(["nsenter", "-t", str(pid), "-n", "ip", "-j", "addr"], check=True,
                         capture_output=True, text=True).stdout
    return {x["ifname"]: [f"{a['local']}/{a['prefixlen']}" for a in x["addr_info"]
                          if a["family"] == "inet"] for x in json.loads(out)}


def test_connect_by_pid(outside: Topology, child_netns: subprocess.Popen[bytes]) -> None:
    nets = outside.nets["H"]
    pid = child_netns.pid
    nets.create("pids", subnet="172.30.0.0/24")
    ep = nets.connect("pids", pid)
    assert (ep.container, ep.netns, ep.ifname, ep.ip) == (str(pid), f"/proc/{pid}/ns/net", "eth0",
                                                          "172.30.0.2")
    addrs = _nsenter_addrs(pid)
    assert addrs["eth0"] == ["172.30.0.2/24"] and addrs["lo"] == ["127.0.0.1/8"]
    with Handle(NetNS.from_pid(pid)) as h:          # and through our own socket in there
        assert h.links.get("eth0").mac == "02:42:ac:1e:00:02"
        (default,) = [r for r in h.routes.dump() if r.dst == "default"]
        assert default.via == "172.30.0.1"
    host_end = ip_j(outside.H, "link", "show", ep.host_ifname or "")
    assert host_end[0]["master"] == nets.get("pids").bridge
    nets.disconnect("pids", pid)
    assert "eth0" not in _nsenter_addrs(pid)
    assert nets.get("pids").endpoints == ()
    # connected again, then the process dies: disconnect by the pid still works
    nets.connect("pids", pid)
    child_netns.kill()
    child_netns.wait()
    nets.disconnect("pids", pid)
    assert nets.get("pids").endpoints == ()
    assert IPAM("pids", nets.get("pids").config.pools, nets.state_dir).allocations() == {}
    nets.remove("pids")


def test_masquerade_is_an_ensure(netns: NetNS) -> None:
    with Nftables(netns) as nft:
        nat = DockerNat(nft)
        assert nat.masquerade("172.17.0.0/24", "docker0") is True
        gen = nft.generation()
        assert nat.masquerade("172.17.0.0/24", "docker0") is False      # no change at all
        assert DockerNat(nft).masquerade("172.17.0.0/24", "docker0") is False
        assert nft.generation() == gen
        (rule,) = _masquerades(netns)
        assert rule["comment"] == "pynetlink masquerade 172.17.0.0/24 !docker0"
        # a duplicate made behind its back (an older version re-ran): folded back into one
        nft.add_rule("pynetlink", "POSTROUTING", nat.masquerade_rule("172.17.0.0/24", "docker0"))
        assert len(_masquerades(netns)) == 2
        assert nat.masquerade("172.17.0.0/24", "docker0") is True
        assert len(_masquerades(netns)) == 1
        # another subnet is another rule; unmasquerade takes exactly one
        assert nat.masquerade("172.18.0.0/24", "br1") is True
        assert len(_masquerades(netns)) == 2
        assert nat.unmasquerade("172.17.0.0/24", "docker0") == 1
        assert [r["comment"] for r in _masquerades(netns)] == ["pynetlink masquerade 172.18.0.0/24 !br1"]
        nat.teardown()
        assert nat.masquerade("172.18.0.0/24", "br1") is True           # the table made again
        assert len(_masquerades(netns)) == 1


def test_network_create_rerun_keeps_one_masquerade(outside: Topology) -> None:
    nets = outside.nets["H"]
    net = nets.create("m", subnet="172.31.0.0/24")
    nets.create("m", subnet="172.31.0.0/24", exist_ok=True)
    assert masquerading(outside.H) == [f"172.31.0.0/24 !{net.bridge}"]
    nets.remove("m")
    assert not any("table" in x for x in nft_j(outside.H))
