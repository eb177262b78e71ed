"""``pynetlink link add`` for every link kind and ``link set``'s options, asserted with
``ip -j -d link show`` in throwaway namespaces; mistakes name the option and change nothing."""
from __future__ import annotations

from typing import Any, Callable

import pytest

from pynetlink.cli import main
from pynetlink.transport import NetNS

from .conftest import ip_json, kernel_features


class Cli:
    """``pynetlink ARGV`` in this process: (exit status, stdout, stderr)."""

    def __init__(self, capsys: pytest.CaptureFixture[str]) -> None:
        self.capsys = capsys

    def __call__(self, *argv: str) -> tuple[int, str, str]:
        code = main(list(argv))
        out, err = self.capsys.readouterr()
        return code, out, err


@pytest.fixture
def run(capsys: pytest.CaptureFixture[str]) -> Cli:
    return Cli(capsys)


def link(ns: str, name: str) -> dict[str, Any]:
    (v,) = ip_json(ns, "-d", "link", "show", "dev", name)  # type: ignore[misc]
    out: dict[str, Any] = v
    return out


def names(ns: str) -> set[str]:
    return {v["ifname"] for v in ip_json(ns, "link", "show")}  # type: ignore[union-attr]


@pytest.mark.kernel("bridge", "veth", "macvlan", "vxlan")
def test_link_add_kinds_with_their_options(run: Cli, make_netns: Callable[..., NetNS]) -> None:
    ns, other = str(make_netns("clil").name), str(make_netns("clio").name)

    def ok(*argv: str) -> None:
        code, _, err = run("-n", ns, "link", "add", *argv)
        assert code == 0, err
    ok("br0", "bridge", "--stp", "on", "--forward-delay", "4", "--ageing-time", "60",
       "--priority", "4096", "--mcast-snooping", "off", "--mtu", "1400", "--up")
    br = link(ns, "br0")
    d = br["linkinfo"]["info_data"]
    assert (d["stp_state"], d["forward_delay"], d["ageing_time"], d["priority"],
            d["mcast_snooping"]) == (1, 400, 6000, 4096, 0)
    assert "UP" in br["flags"] and br["mtu"] == 1400
    ok("v0", "veth", "--peer", "v1", "--peer-netns", other, "--mac", "02:00:00:00:00:01",
       "--peer-mac", "02:00:00:00:00:02", "--peer-mtu", "1300", "--txqlen", "77",
       "--alias", "to other", "--master", "br0")
    v0, v1 = link(ns, "v0"), link(other, "v1")
    assert (v0["address"], v0["txqlen"], v0["ifalias"], v0["master"]) == \
        ("02:00:00:00:00:01", 77, "to other", "br0")
    assert (v1["address"], v1["mtu"], v1["linkinfo"]["info_kind"]) == ("02:00:00:00:00:02", 1300, "veth")
    ok("u0", "veth", "--peer", "u1")
    ok("mv0", "macvlan", "--parent", "u0", "--mode", "vepa")
    ok("mt0", "macvtap", "--parent", "u1", "--mode", "bridge")
    mv = link(ns, "mv0")
    assert (mv["linkinfo"]["info_kind"], mv["linkinfo"]["info_data"]["mode"], mv["link"]) == \
        ("macvlan", "vepa", "u0")
    assert link(ns, "mt0")["linkinfo"]["info_kind"] == "macvtap"
    assert link(ns, "mt0")["linkinfo"]["info_data"]["mode"] == "bridge"
    ok("vx0", "vxlan", "--id", "42", "--local", "198.51.100.1", "--dstport", "4789",
       "--learning", "off", "--ttl", "9", "--parent", "u0", "--master", "br0")
    ok("vx1", "vxlan", "--id", "43", "--remote", "198.51.100.2")
    ok("vx2", "vxlan", "--id", "44", "--mcast-group", "239.1.1.1", "--parent", "u0")
    d = link(ns, "vx0")["linkinfo"]["info_data"]
    assert (d["id"], d["local"], d["port"], d["learning"], d["ttl"], d["link"]) == \
        (42, "198.51.100.1", 4789, False, 9, "u0")
    assert link(ns, "vx0")["master"] == "br0"
    assert link(ns, "vx1")["linkinfo"]["info_data"]["remote"] == "198.51.100.2"
    assert link(ns, "vx2")["linkinfo"]["info_data"]["group"] == "239.1.1.1"


@pytest.mark.kernel("bridge", "veth")
def test_link_set_options(run: Cli, make_netns: Callable[..., NetNS]) -> None:
    ns = str(make_netns("clis").name)
    assert run("-n", ns, "link", "add", "br0", "bridge")[0] == 0
    assert run("-n", ns, "link", "add", "v0", "veth", "--peer", "v1")[0] == 0
    code, _, err = run("-n", ns, "link", "set", "v0", "up", "--mtu", "1450", "--mac",
                       "02:00:00:00:00:0a", "--txqlen", "123", "--alias", "uplink", "--master", "br0",
                       "--promisc", "on")
    assert code == 0, err
    v = link(ns, "v0")
    assert (v["mtu"], v["address"], v["txqlen"], v["ifalias"], v["master"]) == \
        (1450, "02:00:00:00:00:0a", 123, "uplink", "br0")
    assert "UP" in v["flags"] and "PROMISC" in v["flags"]
    assert run("-n", ns, "link", "set", "v0", "down", "--nomaster", "--promisc", "off",
               "--rename", "v9")[0] == 0
    v = link(ns, "v9")
    assert "UP" not in v["flags"] and "PROMISC" not in v["flags"] and "master" not in v


@pytest.mark.parametrize("argv, message", [
    (["b1", "bridge", "--peer", "x"], "--peer: applies to veth links, not bridge"),
    (["b1", "bridge", "--id", "5"], "--id: applies to vlan, vxlan links, not bridge"),
    (["v1", "veth", "--stp", "on"], "--stp: applies to bridge links, not veth"),
    (["x1", "vxlan"], "--id is needed for a vxlan link"),
    (["x1", "vxlan", "--id", "16777216"], "--id (Vxlan.id): 16777216 is outside 0-16777215"),
    (["x1", "vxlan", "--id", "1", "--remote", "198.51.100.2", "--mcast-group", "239.1.1.1"],
     "remote and mcast_group exclude each other"),
    (["x1", "vxlan", "--id", "1", "--mcast-group", "198.51.100.2"], "not a multicast address"),
    (["x1", "vxlan", "--id", "1", "--dstport", "0"], "--dstport (Vxlan.dstport): 0 is outside 1-65535"),
    (["m1", "macvlan"], "--parent is needed for a macvlan link"),
    (["m1", "macvlan", "--parent", "lo", "--mode", "nope"], "--mode (Macvlan.mode): unknown value 'nope'"),
    (["l1", "vlan", "--parent", "lo"], "--id is needed for a vlan link"),
    (["l1", "vlan", "--parent", "lo", "--id", "4095"], "--id (Vlan.id): 4095 is outside 1-4094"),
    (["b1", "bridge", "--forward-delay", "100"], "--forward-delay (Bridge.forward_delay): 100.0 is not 2-30 seconds"),
    (["b1", "bridge", "--mtu", "5"], "--mtu (Bridge.mtu): 5 is outside 68-65535"),
    (["b1", "bridge", "--mac", "zz"], "--mac (Bridge.mac): invalid MAC address 'zz'"),
    (["b/1", "bridge"], "NAME (Bridge.name): invalid interface name 'b/1'"),
])
def test_link_add_mistakes(run: Cli, make_netns: Callable[..., NetNS], argv: list[str],
                           message: str) -> None:
    ns = str(make_netns("clim").name)
    code, _, err = run("-n", ns, "link", "add", *argv)
    assert code == 2 and message in err, err
    assert names(ns) == {"lo"}


@pytest.mark.parametrize("argv, message", [
    (["lo", "--mac", "02:00"], "--mac (Link.mac): invalid MAC address '02:00'"),
    (["lo", "--mtu", "10"], "--mtu (Link.mtu): 10 is outside 68-65535"),
    (["lo", "--txqlen", "-1"], "--txqlen (Link.txqlen): -1 is outside"),
    (["lo", "--rename", "a/b"], "--rename (Link.name): invalid interface name 'a/b'"),
])
def test_link_set_mistakes(run: Cli, make_netns: Callable[..., NetNS], argv: list[str],
                           message: str) -> None:
    ns = str(make_netns("clim").name)
    before = link(ns, "lo")
    code, _, err = run("-n", ns, "link", "set", *argv)
    assert code == 2 and message in err, err
    assert link(ns, "lo") == before


# kinds this machine's kernel may lack: made where the kernel has them (the VM tier), else
# the kernel's refusal is reported naming the kind, and nothing is left behind
LACKING = [("dummy", ["d0", "dummy"], "dummy"),
           ("vlan", ["l0", "vlan", "--parent", "u0", "--id", "30", "--protocol", "802.1ad"], "vlan"),
           ("ipvlan", ["i0", "ipvlan", "--parent", "u0", "--mode", "l3", "--flag", "private"], "ipvlan"),
           ("ipvlan", ["i0", "ipvtap", "--parent", "u0", "--mode", "l2"], "ipvtap")]


@pytest.mark.kernel("veth")
@pytest.mark.parametrize("feature, argv, kind", LACKING, ids=[x[2] for x in LACKING])
def test_link_add_kinds_this_kernel_may_lack(run: Cli, make_netns: Callable[..., NetNS],
                                             feature: str, argv: list[str], kind: str) -> None:
    ns = str(make_netns("clik").name)
    assert run("-n", ns, "link", "add", "u0", "veth", "--peer", "u1")[0] == 0
    code, _, err = run("-n", ns, "link", "add", *argv)
    if kernel_features().get(feature):                  # this kernel lacks it
        assert code == 1 and f"this kernel has no {kind!r} link kind" in err, err
        assert names(ns) == {"lo", "u0", "u1"}
        return
    assert code == 0, err
    got = link(ns, argv[0])
    assert got["linkinfo"]["info_kind"] == kind
    data = got["linkinfo"].get("info_data", {})
    if kind == "vlan":
        assert (data["id"], data["protocol"], got["link"]) == (30, "802.1ad", "u0")
    if kind == "ipvlan":
        assert (data["mode"], data.get("private")) == ("l3", True)     # ip -j: "private": true
    if kind == "ipvtap":
        assert data["mode"] == "l2"


@pytest.mark.vm
@pytest.mark.kernel("dummy", "vlan", "ipvlan")
def test_link_add_lacking_kinds_in_the_vm(run: Cli, make_netns: Callable[..., NetNS]) -> None:
    """The VM tier has every kind: dummy, vlan (802.1ad), ipvlan and ipvtap are made there."""
    ns = str(make_netns("clivm").name)
    assert run("-n", ns, "link", "add", "u0", "veth", "--peer", "u1")[0] == 0
    for _, argv, kind in LACKING:
        code, _, err = run("-n", ns, "link", "add", *argv, "--mtu", "1400")
        assert code == 0, err
        got = link(ns, argv[0])
        assert got["linkinfo"]["info_kind"] == kind and got["mtu"] == 1400
        assert run("-n", ns, "link", "del", argv[0])[0] == 0


def test_completion_knows_the_kinds_and_options() -> None:
    import subprocess
    import sys

    from .test_completion import complete
    script = subprocess.run([sys.executable, "-m", "pynetlink", "completion", "bash"], check=True,
                            capture_output=True, text=True).stdout
    assert {"vxlan", "dummy", "macvtap", "ipvtap", "--mcast-group", "--learning"} <= \
        complete(script, "link", "add", "x", "")
    assert complete(script, "link", "add", "x", "vxlan", "--learning", "") == {"on", "off"}
    assert {"--mac", "--txqlen", "--mtu", "--alias", "--promisc"} <= complete(script, "link", "set", "x", "--")
    assert {"--vni", "--peer", "--local", "--vxlan-port"} <= complete(script, "network", "create", "--")
