"""The overlay driver: one subnet over two hosts in VXLAN, with real traffic between them.

Two "host" namespaces joined by a veth wire (198.51.100.1/24 <-> .2/24), each with its own
state directory; containers on both in 172.16.50.0/24, each host allocating from its half.
"""
from __future__ import annotations

import json
import socket
import struct
import subprocess
import threading
from pathlib import Path
from typing import Any, Iterator

import pytest

from pynetlink.networks import Networks, NotFound, OptionError
from pynetlink.networks.overlay import Remote, default_vni, vxlan_name
from pynetlink.transport import NetNS, run_in

from .conftest import MakeNS, Topology, wire
from .traffic import assert_unchanged, ip_j, link, reaches, settled, snapshot, tcp

pytestmark = pytest.mark.kernel("netns", "veth", "bridge", "vxlan", "nft_nat")

SUBNET = "172.16.50.0/24"
RANGES = {"H1": "172.16.50.0/25", "H2": "172.16.50.128/25"}
UNDERLAY = {"H1": "198.51.100.1", "H2": "198.51.100.2"}


def overlay_opts(me: str, vni: int = 42) -> dict[str, str]:
    other = "H2" if me == "H1" else "H1"
    return {"vni": str(vni), "local": UNDERLAY[me], "peers": UNDERLAY[other]}


@pytest.fixture
def hosts(mk: MakeNS, tmp_path: Path) -> Iterator[Topology]:
    H1, H2 = mk("H1"), mk("H2")
    wire(H1, "wire", "198.51.100.1/24", H2, "wire", "198.51.100.2/24")
    yield Topology({"H1": H1, "H2": H2},
                   {"H1": Networks(H1, state_dir=tmp_path / "H1"),
                    "H2": Networks(H2, state_dir=tmp_path / "H2")}, mk)


def stats(ns: NetNS, dev: str) -> dict[str, int]:
    (v,) = ip_j(ns, "-s", "link", "show", "dev", dev)
    return {"tx": v["stats64"]["tx"]["packets"], "rx": v["stats64"]["rx"]["packets"]}


def ping(ns: NetNS, addr: str, count: int = 3) -> None:
    """ICMP echo from ``ns`` to ``addr`` (a raw socket: no ping binary needed); every one
    of ``count`` requests must be answered."""
    def run() -> int:
        answered = 0
        with socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP) as s:
            s.settimeout(2)
            for seq in range(count):
                body = struct.pack("!BBHHH", 8, 0, 0, 0x504E, seq) + b"pynetlink-overlay"
                s.sendto(body[:2] + struct.pack("!H", _checksum(body)) + body[4:], (addr, 0))
                while True:
                    data, (src, _) = s.recvfrom(2048)
                    icmp = data[(data[0] & 0x0F) * 4:]
                    if src == addr and icmp[0] == 0 and struct.unpack("!HH", icmp[4:8]) == (0x504E, seq):
                        answered += 1
                        break
        return answered
    assert run_in(ns.path, run) == count


def _checksum(data: bytes) -> int:
    total = sum(struct.unpack(f"!{len(data) // 2}H", data[:len(data) // 2 * 2]))
    if len(data) % 2:
        total += data[-1] << 8
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def bulk(client: NetNS, server: NetNS, addr: str, size: int = 1 << 20) -> int:
    """Send ``size`` bytes over TCP from client to server; returns what arrived (full-size
    segments: the container MTU must fit the tunnel, or they are dropped)."""
    def make() -> socket.socket:
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.bind(("0.0.0.0", 7100))
        s.listen(1)
        s.settimeout(5)
        return s
    lst = run_in(server.path, make)
    try:
        c = run_in(client.path, lambda: socket.create_connection((addr, 7100), timeout=5))
        conn, _ = lst.accept()
        got = 0
        with c, conn:
            conn.settimeout(5)

            def send() -> None:
                c.sendall(b"x" * size)
                c.shutdown(socket.SHUT_WR)
            sender = threading.Thread(target=send)
            sender.start()
            while chunk := conn.recv(1 << 16):
                got += len(chunk)
            sender.join()
        return got
    finally:
        lst.close()


def test_overlay_two_hosts(hosts: Topology) -> None:
    before = {h: settled(hosts.ns[h]) for h in ("H1", "H2")}
    nets = {h: hosts.nets[h] for h in ("H1", "H2")}
    for h, n in nets.items():
        n.create("ov", driver="overlay", subnet=SUBNET, ip_range=RANGES[h], options=overlay_opts(h))
    net = nets["H1"].get("ov")
    vx, br = vxlan_name(net.id), net.bridge
    assert br is not None
    for h in ("H1", "H2"):                    # the devices as ip -d sees them
        got = link(hosts.ns[h], vx)
        data = got["linkinfo"]["info_data"]
        assert (data["id"], data["port"], data["learning"], data["local"]) == (42, 4789, False, UNDERLAY[h])
        assert got["master"] == br and got["mtu"] == 1450
        assert got["linkinfo"]["info_slave_data"]["neigh_suppress"] is True
        fdb = json_cmd(["bridge", "-j", "-n", str(hosts.ns[h].name), "fdb", "show", "dev", vx])
        other = UNDERLAY["H2" if h == "H1" else "H1"]
        assert {"mac": "00:00:00:00:00:00", "dst": other} in [
            {k: e.get(k) for k in ("mac", "dst")} for e in fdb]
    c1, c2, c3 = hosts.container("c1"), hosts.container("c2"), hosts.container("c3")
    e1 = nets["H1"].connect("ov", c1)
    e3 = nets["H1"].connect("ov", c3)
    e2 = nets["H2"].connect("ov", c2)
    assert e1.ip == "172.16.50.2" and e2.ip == "172.16.50.128"     # each host its own range
    assert link(c1, "eth0")["mtu"] == 1450

    wire0 = {h: stats(hosts.ns[h], "wire") for h in ("H1", "H2")}
    vx0 = {h: stats(hosts.ns[h], vx) for h in ("H1", "H2")}
    ping(c1, e2.ip or "")                              # across hosts, both ways
    ping(c2, e1.ip or "")
    assert tcp(c1, c2, e2.ip or "", 7000) == e1.ip     # no NAT between containers
    assert bulk(c2, c1, e1.ip or "") == 1 << 20       # full-size segments fit the tunnel
    wire1 = {h: stats(hosts.ns[h], "wire") for h in ("H1", "H2")}
    vx1 = {h: stats(hosts.ns[h], vx) for h in ("H1", "H2")}
    # encapsulated: the vxlan devices carried the traffic both ways, and so did the wire
    for h in ("H1", "H2"):
        assert vx1[h]["tx"] - vx0[h]["tx"] >= 6 and vx1[h]["rx"] - vx0[h]["rx"] >= 6, (vx0, vx1)
        assert wire1[h]["tx"] - wire0[h]["tx"] >= vx1[h]["tx"] - vx0[h]["tx"]
    # the bridge of H1 learned c2's MAC behind the vxlan port
    learned = json_cmd(["bridge", "-j", "-n", str(hosts.H1.name), "fdb", "show", "br", br])
    assert any(e["mac"] == e2.mac and e["ifname"] == vx for e in learned)
    # same host: the bridge, not the tunnel (6 echoes and replies)
    vx_before = stats(hosts.H1, vx)
    ping(c1, e3.ip or "")
    assert stats(hosts.H1, vx)["tx"] - vx_before["tx"] <= 2     # ARP broadcasts, never the echoes
    # each container's gateway is its own host's bridge (its ARP never crossed the tunnel)
    ping(c1, "172.16.50.1")
    ping(c2, "172.16.50.1")
    for c, h in ((c1, "H1"), (c2, "H2")):
        gw = [n for n in ip_j(c, "neigh", "show", "172.16.50.1")]
        assert gw and gw[0]["lladdr"] == link(hosts.ns[h], br)["address"]

    nets["H1"].remove("ov", force=True)
    nets["H2"].remove("ov", force=True)
    for h in ("H1", "H2"):
        assert_unchanged(before[h], snapshot(hosts.ns[h]))
        assert nets[h].list() == []
    assert [v["ifname"] for v in ip_j(c1, "link", "show")] == ["lo"]


def net_br(nets: Networks, name: str) -> str | None:
    return nets.get(name).bridge


def json_cmd(argv: list[str]) -> Any:
    out = subprocess.run(argv, check=True, capture_output=True, text=True).stdout
    return json.loads(out) if out.strip() else []


def test_overlay_defaults_and_read_back(hosts: Topology) -> None:
    """No vni: one derived from the name (the same on every host); the record says so."""
    nets = hosts.nets["H1"]
    nets.create("blue", driver="overlay", subnet=SUBNET, options={"peers": "198.51.100.2"})
    net = nets.get("blue")
    assert net.config.mtu == 1450 and net.made["vxlan"] == vxlan_name(net.id)
    data = link(hosts.H1, vxlan_name(net.id))["linkinfo"]["info_data"]
    assert data["id"] == default_vni("blue") and data["port"] == 4789
    nets.remove("blue")
    assert {v["ifname"] for v in ip_j(hosts.H1, "link", "show")} == {"lo", "wire"}


@pytest.mark.parametrize("opts, option", [
    ({"vni": "0"}, "-o vni"), ({"vni": "16777216"}, "-o vni"), ({"vni": "x"}, "-o vni"),
    ({"peers": "198.51.100.2,198.51.100.2"}, "-o peers"),
    ({"peers": "198.51.100.1", "local": "198.51.100.1"}, "-o peers"),
    ({"peers": "224.0.0.1"}, "-o peers"), ({"peers": "not-an-ip"}, "-o peers"),
    ({"peers": "2001:db8::2"}, "-o local"),
    ({"peers": "2001:db8::2", "local": "198.51.100.1"}, "-o peers"),
    ({"dstport": "0"}, "-o dstport"), ({"parent": "wire"}, "-o parent"),
])
def test_overlay_bad_options_change_nothing(hosts: Topology, opts: dict[str, str], option: str) -> None:
    nets = hosts.nets["H1"]
    before = settled(hosts.H1)
    with pytest.raises(OptionError) as exc:
        nets.create("ov", driver="overlay", subnet=SUBNET, options=opts)
    assert exc.value.args[0].startswith(option) or option in str(exc.value)
    assert nets.list() == []
    assert_unchanged(before, snapshot(hosts.H1))


def test_overlay_vni_clash_rolls_back(hosts: Topology) -> None:
    """A second network with the same VNI and port: the kernel refuses the vxlan; the
    bridge made before it is gone again and no record stays."""
    nets = hosts.nets["H1"]
    nets.create("a", driver="overlay", subnet=SUBNET, options=overlay_opts("H1"))
    before = settled(hosts.H1)
    with pytest.raises(OSError):
        nets.create("b", driver="overlay", subnet="172.16.51.0/24", options=overlay_opts("H1"))
    assert [n.name for n in nets.list()] == ["a"]
    assert_unchanged(before, snapshot(hosts.H1))
    nets.remove("a")


def test_overlay_cli(hosts: Topology, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """``pynetlink network create -d overlay --vni --peer --local`` on both hosts, containers
    connected by the CLI talk across them; ``rm`` leaves nothing."""
    from pynetlink.cli import main

    def run(host: str, *argv: str) -> tuple[int, str, str]:
        code = main(["-n", str(hosts.ns[host].name), "--state-dir", str(tmp_path / f"cli{host}"), *argv])
        out, err = capsys.readouterr()
        return code, out, err
    before = {h: settled(hosts.ns[h]) for h in ("H1", "H2")}
    for h in ("H1", "H2"):
        other = "H2" if h == "H1" else "H1"
        code, _, err = run(h, "network", "create", "-d", "overlay", "--vni", "4242", "--peer",
                           UNDERLAY[other], "--local", UNDERLAY[h], "--subnet", SUBNET,
                           "--ip-range", RANGES[h], "ov")
        assert code == 0, err
    c1, c2 = hosts.container("c1"), hosts.container("c2")
    code, out, err = run("H1", "network", "connect", "-j", "ov", str(c1.name))
    assert code == 0, err
    ip1 = json.loads(out)[0]["addresses"][0].split("/")[0]
    code, out, err = run("H2", "network", "connect", "-j", "ov", str(c2.name))
    assert code == 0, err
    ip2 = json.loads(out)[0]["addresses"][0].split("/")[0]
    assert (ip1, ip2) == ("172.16.50.2", "172.16.50.128")
    code, out, _ = run("H1", "network", "inspect", "ov")
    (info,) = json.loads(out)
    opts = info["Options"]
    assert info["Driver"] == "overlay"
    assert opts["com.docker.network.driver.overlay.vxlanid_list"] == "4242"
    assert opts["peers"] == UNDERLAY["H2"] and info["Pynetlink"]["MTU"] == 1450
    assert link(hosts.H1, info["Pynetlink"]["Made"]["vxlan"])["linkinfo"]["info_data"]["id"] == 4242
    ping(c1, ip2)
    assert tcp(c2, c1, ip1, 7000) == ip2
    for h in ("H1", "H2"):
        assert run(h, "network", "rm", "-f", "ov")[0] == 0
        assert_unchanged(before[h], snapshot(hosts.ns[h]))


@pytest.mark.parametrize("argv, message", [
    (["-d", "bridge", "--vni", "42"], "--vni: is an option of the overlay driver"),
    (["-d", "overlay", "--vni", "x"], "-o vni: 'x' is not a number"),
    (["-d", "overlay", "--peer", "198.51.100.2", "--peer", "nope"], "-o peers: 'nope' is not an IP"),
    (["-d", "overlay", "--peer", "198.51.100.2", "-o", "peers=198.51.100.3"], "given twice"),
    (["-d", "overlay", "--vxlan-port", "0"], "-o dstport: '0' is not a number in 1-65535"),
])
def test_overlay_cli_mistakes(hosts: Topology, tmp_path: Path, capsys: pytest.CaptureFixture[str],
                              argv: list[str], message: str) -> None:
    from pynetlink.cli import main
    before = settled(hosts.H1)
    code = main(["-n", str(hosts.H1.name), "--state-dir", str(tmp_path), "network", "create",
                 *argv, "--subnet", SUBNET, "ov"])
    assert code == 2 and message in capsys.readouterr().err
    assert_unchanged(before, snapshot(hosts.H1))


def test_overlay_static_remotes_without_flooding(hosts: Topology) -> None:
    """flannel's model: no peers (nothing is flooded between hosts), each host told the
    other's containers (MAC behind the host, IP -> MAC): ARP is answered by the local bridge,
    unicast goes to that host. Without the entries nothing crosses. (An entry added after a
    failed attempt works too, but the kernel drops the first packet to a FAILED neighbour.)"""
    nets = {h: hosts.nets[h] for h in ("H1", "H2")}
    for h, n in nets.items():
        n.create("fl", driver="overlay", subnet=SUBNET, ip_range=RANGES[h],
                 options={"vni": "7", "local": UNDERLAY[h]})
    c1, c2 = hosts.container("c1"), hosts.container("c2")
    e1, e2 = nets["H1"].connect("fl", c1), nets["H2"].connect("fl", c2)
    nets["H1"].add_remotes("fl", [Remote.of(e2, UNDERLAY["H2"])])
    nets["H2"].add_remotes("fl", [Remote.of(e1, UNDERLAY["H1"])])
    vx = nets["H1"].get("fl").made["vxlan"]
    fdb = json_cmd(["bridge", "-j", "-n", str(hosts.H1.name), "fdb", "show", "dev", vx])
    mine = [e for e in fdb if e["mac"] == e2.mac]
    assert any(e.get("dst") == UNDERLAY["H2"] and "self" in e["flags"] for e in mine)   # vxlan FDB
    assert any(e.get("master") == net_br(nets["H1"], "fl") and e["state"] == "static" for e in mine)
    neigh = ip_j(hosts.H1, "neigh", "show", e2.ip or "")
    assert neigh and neigh[0]["lladdr"] == e2.mac and "PERMANENT" in neigh[0]["state"]
    vx0 = stats(hosts.H1, vx)
    ping(c1, e2.ip or "")
    ping(c2, e1.ip or "")
    assert tcp(c1, c2, e2.ip or "", 7000) == e1.ip
    vx1 = stats(hosts.H1, vx)
    assert vx1["tx"] > vx0["tx"] and vx1["rx"] > vx0["rx"]
    assert nets["H1"].get("fl").made["remotes"] == [{"mac": e2.mac, "ip": e2.ip, "host": UNDERLAY["H2"]}]
    with pytest.raises(OptionError, match="outside the subnets"):
        nets["H1"].add_remotes("fl", [Remote("02:42:ac:10:33:02", "172.16.51.2", UNDERLAY["H2"])])
    with pytest.raises(OptionError, match="remote"):
        nets["H1"].add_remotes("fl", [Remote("zz", "172.16.50.200", UNDERLAY["H2"])])
    nets["H1"].remove_remotes("fl", [e2.mac])
    assert ip_j(hosts.H1, "neigh", "show", e2.ip or "") == []
    assert not [e for e in json_cmd(["bridge", "-j", "-n", str(hosts.H1.name), "fdb", "show", "dev", vx])
                if e["mac"] == e2.mac and e.get("state") != "stale"]
    with pytest.raises(NotFound):
        nets["H1"].remove_remotes("fl", [e2.mac])
    assert not reaches(c1, c2, e2.ip or "", 7001)    # no flooding list, no entries: nothing crosses
    for n in nets.values():
        n.remove("fl", force=True)
