"""Three hosts (namespaces) share one IPAM directory, as a cluster store gives, each with a
network "n": processes connect and disconnect containers while others remove and re-create
the networks. No address is ever held by two containers, none is lost, and at the end the
store holds exactly the addresses of the recorded endpoints. (Changes on one host are
serialised by its lock: it takes three hosts for two allocations to meet a removal.)"""
from __future__ import annotations

import ipaddress
import json
import os
import time
import traceback
from pathlib import Path
from typing import Callable

import pytest

from pynetlink.networks import IPAM, Networks, NotFound
from pynetlink.transport import NetNS

from ..networks.conftest import quiet

pytestmark = pytest.mark.kernel("netns", "veth", "bridge", "nft_nat")
SECONDS = 4.0
SUBNET = "172.23.0.0/27"


def forked(fn: Callable[[], list[str]], out: Path) -> int:
    pid = os.fork()
    if pid == 0:                                   # pragma: no cover (the child)
        code = 1
        try:
            out.write_text(json.dumps(fn()))
            code = 0
        except BaseException:
            traceback.print_exc()
        finally:
            os._exit(code)
    return pid


def _holders(nets: dict[str, Networks]) -> dict[str, str]:
    """address -> endpoint id over both hosts' records; a second holder is a violation."""
    seen: dict[str, str] = {}
    for n in nets.values():
        for net in n.list():
            for e in net.endpoints:
                for a in e.addresses:
                    ip = a.split("/")[0]
                    if ip in seen and seen[ip] != e.id:
                        raise AssertionError(f"{ip} held by {seen[ip]} and {e.id}")
                    seen[ip] = e.id
    return seen


def test_connects_race_removal_across_hosts(make_netns: Callable[[str], NetNS],
                                            tmp_path: Path) -> None:
    hosts = {t: quiet(make_netns(t)) for t in ("H1", "H2", "H3")}
    shared = tmp_path / "ipam"
    nets = {t: Networks(ns, state_dir=tmp_path / t, ipam_dir=shared) for t, ns in hosts.items()}
    for n in nets.values():
        n.create("n", subnet=SUBNET, options={"com.docker.network.bridge.enable_ip_masquerade": "false"})
    containers = {t: [quiet(make_netns("c")) for _ in range(2)] for t in hosts}

    def connector(t: str, c: NetNS) -> Callable[[], list[str]]:
        def run() -> list[str]:
            n = Networks(hosts[t], state_dir=tmp_path / t, ipam_dir=shared)
            errors, rounds = [], 0
            end = time.monotonic() + SECONDS
            while time.monotonic() < end:
                try:
                    ep = n.connect("n", c)
                except NotFound:                  # removed (or being re-created) just now
                    continue
                with n.store.locked():            # no remove of this host in between
                    try:
                        net = n.get("n")
                    except NotFound:
                        net = None
                    if net is not None and ep.id in {e.id for e in net.endpoints}:
                        holder = IPAM("n", net.config.pools, shared).allocations().get(
                            ipaddress.ip_address(ep.ip or ""))
                        if holder != ep.id:
                            errors.append(f"{ep.ip} of {ep.id}: the store says {holder}")
                try:
                    n.disconnect("n", c)
                except NotFound:                  # removed with force meanwhile
                    pass
                rounds += 1
            return errors + [f"rounds {rounds}"]
        return run

    def remover(t: str) -> Callable[[], list[str]]:
        def run() -> list[str]:
            n = Networks(hosts[t], state_dir=tmp_path / t, ipam_dir=shared)
            rounds = 0
            end = time.monotonic() + SECONDS
            while time.monotonic() < end:
                n.remove("n", force=True)
                n.create("n", subnet=SUBNET,
                         options={"com.docker.network.bridge.enable_ip_masquerade": "false"})
                rounds += 1
                time.sleep(0.05)
            return [f"rounds {rounds}"]
        return run

    jobs = [connector(t, c) for t in hosts for c in containers[t]] + [remover(t) for t in hosts]
    outs = [tmp_path / f"out{i}" for i in range(len(jobs))]
    pids = [forked(job, out) for job, out in zip(jobs, outs)]
    statuses = [os.waitpid(p, 0)[1] for p in pids]
    assert statuses == [0] * len(pids)
    reports = [json.loads(o.read_text()) for o in outs]
    errors = [e for r in reports for e in r if not e.startswith("rounds")]
    rounds = [int(e.split()[1]) for r in reports for e in r if e.startswith("rounds")]
    assert errors == [], errors[:5]
    assert all(r > 0 for r in rounds), rounds
    held = _holders(nets)
    pools = nets["H1"].get("n").config.pools
    assert {str(a): o for a, o in IPAM("n", pools, shared).allocations().items()} == held
    for n in nets.values():
        n.remove("n", force=True)
    assert sorted(p.name for p in shared.rglob("*") if p.is_file()) == []
