"""``pynetlink network inspect`` in ``docker network inspect``'s shape, read the way scripts
read Docker's; ``network create --ipv6 --internal --label -o com.docker...`` and
``network ls --filter``, checked against ``ip -j`` and ``nft -j``."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Callable

import pytest

from .. import test_cli
from .conftest import Topology
from .traffic import ip_j, link, nft_j, reaches, tcp

pytestmark = pytest.mark.kernel("netns", "veth", "bridge", "nft_nat")
Run = Callable[..., tuple[int, str, str]]
run = test_cli.run              # the fixture: main() with its output captured

# the keys of one element of `docker network inspect` (Docker 24-27), and of its parts
DOCKER_KEYS = {"Name", "Id", "Created", "Scope", "Driver", "EnableIPv6", "IPAM", "Internal",
               "Attachable", "Ingress", "ConfigFrom", "ConfigOnly", "Containers", "Options", "Labels"}
CONTAINER_KEYS = {"Name", "EndpointID", "MacAddress", "IPv4Address", "IPv6Address"}


def _docker_like(net: dict[str, Any]) -> None:
    assert DOCKER_KEYS <= set(net), DOCKER_KEYS - set(net)
    assert set(net["IPAM"]) == {"Driver", "Options", "Config"}
    for c in net["IPAM"]["Config"]:
        assert set(c) == {"Subnet", "IPRange", "Gateway", "AuxiliaryAddresses"}
    for c in net["Containers"].values():
        assert set(c) == CONTAINER_KEYS
    assert net["Scope"] == "local" and net["ConfigFrom"] == {"Network": ""}


def test_inspect_reads_like_docker(run: Run, outside: Topology, tmp_path: Path) -> None:
    H, O = outside.H, outside.O
    base = ["-n", str(H.name), "--state-dir", str(tmp_path / "cli")]
    code, out, err = run(*base, "network", "create", "--ipv6", "--subnet", "172.30.0.0/24",
                         "--subnet", "2001:db8:30::/64", "--aux-address", "r=172.30.0.9",
                         "--label", "com.example.team=web", "--label", "tier",
                         "-o", "com.docker.network.bridge.name=pnlweb0",
                         "-o", "com.docker.network.driver.mtu=1450", "web")
    assert code == 0, err
    net_id = out.strip()
    code, out, err = run(*base, "network", "create", "--internal", "--subnet", "172.31.0.0/24",
                         "--label", "com.example.team=db", "db")
    assert code == 0, err
    c1, c2 = outside.container(), outside.container()
    assert run(*base, "network", "connect", "web", str(c1.name), str(c2.name))[0] == 0
    assert run(*base, "network", "connect", "db", str(c1.name))[0] == 0

    code, out, err = run(*base, "network", "inspect", "web", "db")
    assert code == 0, err
    web, db = json.loads(out)                              # a JSON list, as docker's
    _docker_like(web)
    _docker_like(db)
    assert (web["Name"], web["Id"], web["Driver"], web["EnableIPv6"], web["Internal"]) == \
        ("web", net_id, "bridge", True, False)
    assert (db["EnableIPv6"], db["Internal"]) == (False, True)
    assert web["Created"].endswith("+00:00") and web["Created"] <= db["Created"]
    assert web["IPAM"]["Config"] == [
        {"Subnet": "172.30.0.0/24", "IPRange": "172.30.0.0/24", "Gateway": "172.30.0.1",
         "AuxiliaryAddresses": {"r": "172.30.0.9"}},
        {"Subnet": "2001:db8:30::/64", "IPRange": "2001:db8:30::/64", "Gateway": "2001:db8:30::1",
         "AuxiliaryAddresses": {}}]
    assert web["Options"] == {"com.docker.network.bridge.name": "pnlweb0",
                              "com.docker.network.driver.mtu": "1450"}
    assert web["Labels"] == {"com.example.team": "web", "tier": ""}

    # what a script does with docker's output: container addresses, then use them
    addrs = {c["Name"]: c for c in web["Containers"].values()}
    a1, a2 = addrs[str(c1.name)], addrs[str(c2.name)]
    assert (a1["IPv4Address"], a1["IPv6Address"]) == ("172.30.0.2/24", "2001:db8:30::2/64")
    assert a1["MacAddress"] == "02:42:ac:1e:00:02" == link(c1, "eth0")["address"]
    assert {a["local"] for x in ip_j(c1, "addr", "show", "eth0") for a in x["addr_info"]} >= \
        {a1["IPv4Address"].split("/")[0], a1["IPv6Address"].split("/")[0]}
    assert tcp(c2, c1, a1["IPv6Address"].split("/")[0], 7400) == a2["IPv6Address"].split("/")[0]
    (d1,) = db["Containers"].values()
    assert d1["IPv6Address"] == "" and d1["IPv4Address"] == "172.31.0.2/24"
    assert link(H, "pnlweb0")["mtu"] == 1450

    # the internal network: no route out of it (c1's default route is web's), a drop in FORWARD
    assert [r["gateway"] for r in ip_j(c1, "route", "show", "default")] == ["172.30.0.1"]
    forward = [x["rule"]["comment"] for x in nft_j(H) if "rule" in x and x["rule"]["chain"] == "FORWARD"]
    assert sorted(forward) == ["pynetlink internal br-%s in" % db["Id"], "pynetlink internal br-%s out" % db["Id"]]
    assert reaches(c1, O, "203.0.113.254", 7401)           # out via web (masqueraded) works

    # ls --filter, as docker's
    def ls(*flt: str) -> list[str]:
        code, out, err = run(*base, "-j", "network", "ls", *flt)
        assert code == 0, err
        return sorted(n["Name"] for n in json.loads(out))
    assert ls() == ["db", "web"]
    assert ls("--filter", "label=com.example.team") == ["db", "web"]
    assert ls("--filter", "label=com.example.team=db") == ["db"]
    assert ls("-f", "label=tier", "-f", "driver=bridge") == ["web"]
    assert ls("-f", "name=we") == ["web"]
    code, _, err = run(*base, "network", "ls", "-f", "colour=red")
    assert code == 2 and "--filter: 'colour=red'" in err

    assert run(*base, "network", "rm", "-f", "web", "db")[0] == 0
    assert [x for x in nft_j(H) if "table" in x] == []


@pytest.mark.parametrize("argv,message", [
    (["-o", "com.docker.network.bridge.enable_icc=nope"], "-o enable_icc: expected true or false, not 'nope'"),
    (["-o", "com.docker.network.bridge.host_binding_ipv4=::1"], "is not an IPv4 address"),
    (["--label", "=v"], "--label: expected KEY=VALUE, got '=v'"),
    (["-d", "macvlan", "-o", "parent=eth0", "-o", "enable_icc=false"],
     "-o enable_icc: is an option of the bridge driver, not macvlan"),
])
def test_create_mistakes(run: Run, tmp_path: Path, argv: list[str], message: str) -> None:
    code, out, err = run("--state-dir", str(tmp_path), "network", "create", *argv, "n")
    assert code == 2 and message in err, err
    assert run("--state-dir", str(tmp_path), "network", "ls", "-j")[1].strip() == "[]"
