"""``pynetlink tc``, ``sysctl``, ``link ls -s`` and ``bridge vlan`` (host-tier parts) against
`tc -j`, `sysctl` and `ip -j -s link`; bad values exit 2 with nothing changed."""
from __future__ import annotations

import json
import subprocess
from typing import Any

import pytest

from pynetlink import Handle, Veth

from .conftest import ip_json
from .test_cli import Run
from .test_cli import run as _run

run = _run          # the fixture: main() with its output captured

def tc_json(ns: str, *args: str) -> Any:
    return json.loads(subprocess.run(["ip", "netns", "exec", ns, "tc", "-j", *args], check=True,
                                     capture_output=True, text=True).stdout or "[]")


@pytest.fixture
def ns(netns: Any) -> str:
    with Handle(netns) as h:
        h.links.create(Veth("ca", peer="cb", up=True))
        h.links.set("cb", up=True)
    return str(netns.name)


@pytest.mark.root
def test_tc_bandwidth_commands(run: Run, ns: str) -> None:
    code, out, _ = run("-n", ns, "tc", "bandwidth", "set", "ca", "--egress-rate", "2mbit",
                       "--egress-burst", "16kb", "--ingress-rate", "8mbit", "--ingress-burst", "32kb", "-j")
    assert code == 0 and json.loads(out)["egress_rate"] == 2_000_000
    kinds = {(q["dev"], q["kind"]) for q in tc_json(ns, "qdisc", "show")}
    assert {("ca", "tbf"), ("ca", "ingress")} <= kinds
    code, out, _ = run("-n", ns, "tc", "bandwidth", "show", "ca", "-j")
    assert json.loads(out)["ingress_burst"] == 32768
    code, out, _ = run("-n", ns, "tc", "qdisc", "ls", "ca", "-j")
    assert sorted(q["kind"] for q in json.loads(out)) == ["ingress", "tbf"]
    code, out, _ = run("-n", ns, "tc", "filter", "ls", "ca", "-j")
    acts = [a for f in json.loads(out) for a in f["actions"]]
    assert acts and acts[0]["dev"].startswith("ifb-")
    assert run("-n", ns, "tc", "bandwidth", "set", "ca", "--egress-rate", "fast",
               "--egress-burst", "1")[0] == 2
    assert run("-n", ns, "tc", "bandwidth", "clear", "ca")[0] == 0
    assert [q["kind"] for q in tc_json(ns, "qdisc", "show", "dev", "ca")] == ["noqueue"]


@pytest.mark.root
def test_sysctl_and_link_stats_commands(run: Run, ns: str) -> None:
    assert run("-n", ns, "sysctl", "set", "net.ipv4.ip_local_port_range", "20000", "30000")[0] == 0
    code, out, _ = run("-n", ns, "sysctl", "get", "net.ipv4.ip_local_port_range", "net.ipv4.ip_forward", "-j")
    assert json.loads(out) == {"net.ipv4.ip_local_port_range": [20000, 30000], "net.ipv4.ip_forward": 0}
    code, _, err = run("-n", ns, "sysctl", "set", "net.ipv4.ip_forward", "maybe")
    assert code == 2 and "net.ipv4.ip_forward" in err
    assert run("-n", ns, "sysctl", "get", "kernel.hostname")[0] == 2
    code, out, _ = run("-n", ns, "link", "ls", "ca", "-s", "-j")
    (mine,) = json.loads(out)
    oracle = ip_json(ns, "-s", "link", "show", "dev", "ca")[0]["stats64"]  # type: ignore[index]
    assert mine["stats64"]["tx"]["packets"] == oracle["tx"]["packets"]
    assert mine["stats64"]["rx"]["bytes"] == oracle["rx"]["bytes"]
    code, out, _ = run("-n", ns, "link", "ls", "-s")
    assert code == 0 and "RX_BYTES" in out


@pytest.mark.root
def test_bridge_vlan_bad_input(run: Run, ns: str) -> None:
    for vid in ("5000", "0", "20-10", "x"):
        code, _, err = run("-n", ns, "bridge", "vlan", "add", "ca", vid)
        assert code == 2 and ("vid" in err or "end" in err)
    code, out, _ = run("-n", ns, "bridge", "vlan", "ls", "-j")
    assert code == 0 and json.loads(out) == []


@pytest.mark.root
def test_network_connect_with_bandwidth(run: Run, make_netns: Any, tmp_path: Any) -> None:
    host, ctr = make_netns("host"), make_netns("ctr")
    state = ("--state-dir", str(tmp_path))
    assert run(*state, "-n", host.name, "network", "create", "--subnet", "172.17.0.0/24", "bw0")[0] == 0
    code, _, err = run(*state, "-n", host.name, "network", "connect", "--vlan", "3", "bw0", ctr.name)
    assert code == 2 and "not VLAN-aware" in err
    code, out, _ = run(*state, "-n", host.name, "network", "connect", "--ingress-rate", "8mbit",
                       "--ingress-burst", "32kb", "bw0", ctr.name, "-j")
    (ep,) = json.loads(out)
    (q,) = [q for q in tc_json(str(host.name), "qdisc", "show", "dev", ep["host_ifname"])]
    assert q["kind"] == "tbf" and q["options"]["rate"] == 1_000_000
    assert run(*state, "-n", host.name, "network", "rm", "-f", "bw0")[0] == 0
