"""containerd 1.6's ``ctr run --cni`` as the second client of pynetlink's plugins.

ctr sends no VERSION and no runtimeConfig, and its DEL comes only after the task has exited,
with ``CNI_NETNS`` empty (the container's netns is gone): the plugins must then free the
address and remove their NAT from what they kept (IPAM state, prevResult). ``holder_clean``
checks that nothing is left in the holder namespace (links, addresses, routes, nft, IPAM files).
"""
from __future__ import annotations

import shlex
import subprocess
import time
from typing import Any

import pytest

from .realclient import PING, SHOW, Containerd, RealClient, in_subnet, parse, wait_for
from .realclient import ctrd_fixture, holder_clean_fixture, realclient_fixture  # noqa: F401 (fixtures)

pytestmark = [pytest.mark.root]


def dels_of(rc: RealClient, since: float, n: int) -> list[Any]:
    ours = {rc.types["bridge"], rc.types["portmap"]}
    return wait_for(lambda: (lambda d: d if len(d) >= n else None)(
        [c for c in rc.spy(since) if c.command == "DEL" and c.name in ours]), timeout=60, what=f"{n} DELs")


def test_ctr_run_rm(realclient: RealClient, ctrd: Containerd, holder_clean: Any) -> None:
    rc = realclient
    net = ctrd.net("pnl-ctr", extra=[{"type": "tuning"}])
    since = time.time()
    out = ctrd.run("pnl-ctr1", "/bin/sh", "-c", SHOW.format(dev="eth0") + "; " + PING.format(gw=net.gateway)).stdout
    got = parse(out)
    assert in_subnet(got["addr"], net) and got["gw"] == net.gateway and "PING-OK" in out, out
    calls = rc.spy(since)
    assert not [c for c in calls if c.command == "VERSION"], "ctr sends no VERSION"
    adds = [c for c in calls if c.command == "ADD" and c.name == rc.types["bridge"]]
    assert len(adds) == 1 and adds[0].env["CNI_NETNS"].startswith("/proc/") and adds[0].rc == 0
    dels = dels_of(rc, since, 2)
    for c in dels:
        assert c.env["CNI_NETNS"] == "", "ctr's DEL comes after the netns is gone"
        assert c.rc == 0, f"{c.name} DEL: {c.stdout} {c.stderr}"


def test_ctr_killed_container(realclient: RealClient, ctrd: Containerd, holder_clean: Any) -> None:
    """The container is SIGKILLed while running (`ctr task kill`): the DEL that follows, with an
    empty CNI_NETNS, still frees the address and removes the NAT."""
    rc = realclient
    ctrd.net("pnl-ctrk", extra=[{"type": "tuning"}])
    since = time.time()
    run = subprocess.Popen(["nsenter", "-t", str(rc.holder), "-m", "-n", "--", "ctr", "--address",
                            str(ctrd.dir / "containerd.sock"), "run", "--cni", "--rootfs", "--runc-root",
                            str(ctrd.dir / "runc"), "--fifo-dir", str(ctrd.dir / "fifo"), "--cgroup", "",
                            "--rm", str(rc.rootfs), "pnl-ctrk", "/bin/sleep", "600"],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        add = wait_for(lambda: [c for c in rc.spy(since) if c.command == "ADD" and c.name == rc.types["portmap"]],
                       timeout=60, what="the ADD chain")
        assert add[0].rc == 0
        ip = add[0].stdin["prevResult"]["ips"][0]["address"].split("/")[0]
        assert any(f.endswith("/" + ip) for f in rc.ipam_files()), "no reservation while running"
        wait_for(lambda: ctrd.ctr("task", "ls", check=False).stdout.count("RUNNING"), timeout=30,
                 what="the task to run")
        ctrd.ctr("task", "kill", "-s", "KILL", "pnl-ctrk")
        run.communicate(timeout=60)
    finally:
        if run.poll() is None:
            run.kill()
            run.communicate()
    dels = dels_of(rc, since, 2)
    assert all(c.env["CNI_NETNS"] == "" and c.rc == 0 for c in dels), [(c.name, c.stdout) for c in dels]
    assert not any(f.endswith("/" + ip) for f in rc.ipam_files()), "DEL did not free the address"


def test_leak_check_catches_the_reference_bridge(realclient: RealClient, ctrd: Containerd) -> None:
    """The check ``holder_clean`` makes can fail: the reference Go bridge, driven by ctr the same
    way, leaves its per-container NAT chain (it cannot find the addresses without the netns), and
    ``leftovers`` reports it. The leaked rules are then removed by hand (in the holder ns)."""
    rc = realclient
    before = rc.snapshot()
    since = time.time()
    ctrd.net("pnl-ctr-ref", types={"bridge": "bridge", "host-local": "host-local", "portmap": "portmap"})
    ctrd.run("pnl-ctr-ref", "/bin/true")
    wait_for(lambda: [c for c in rc.spy(since) if c.command == "DEL" and c.name == "bridge"], timeout=60,
             what="the reference bridge's DEL")
    ip = next(c.result for c in rc.spy(since) if c.command == "ADD" and c.name == "bridge")["ips"][0]["address"]
    ip = ip.split("/")[0]
    # the leaked NAT chain names the container's address (its veth may show as well, for the
    # moment the kernel takes to delete it with the netns)
    wait_for(lambda: [p for p in rc.leftovers(before, since) if f"container address {ip}" in p], timeout=10,
             what="the leak to show")
    # clean up what the Go bridge leaked: its POSTROUTING jump and its CNI-... chain
    rules = rc.inns("iptables", "-t", "nat", "-S", "POSTROUTING", mount=False).stdout.splitlines()
    for rule in rules:
        if ip in rule and rule.startswith("-A "):
            chain = rule.split("-j ")[-1].split()[0]
            rc.inns("iptables", "-t", "nat", "-D", *shlex.split(rule)[1:], mount=False)
            rc.inns("iptables", "-t", "nat", "-F", chain, mount=False)
            rc.inns("iptables", "-t", "nat", "-X", chain, mount=False)
    wait_for(lambda: rc.leftovers(before, since) == [], timeout=30, what="nothing left (the veth goes with the netns)")
