"""pynetlink-bridge exec'd as a runtime does, in a throwaway host namespace: results per
version, real traffic, masquerade seen at the far end, CNI_ARGS, DEL in every "already gone"
case, SIGKILL during ADD, 30 concurrent ADD/DEL processes, bad configs changing nothing,
CHECK, STATUS, GC, a foreign IPAM exec'd from CNI_PATH."""
from __future__ import annotations

import ipaddress
import os
import signal
import subprocess
import time
from pathlib import Path
from typing import Any, Callable

import pytest

from pynetlink.cni import skel
from pynetlink.cni.bridge import host_veth_name

from . import traffic
from .bridgeenv import SUBNET, Env, conf, name_of
from .invoke import REFERENCE_DIR, Call, invoke, nft_json, ns_json, spawn

@pytest.mark.parametrize("version", skel.SUPPORTED)
def test_add_check_del_per_version(env: Env, container: Callable[[], str], version: str) -> None:
    ctr = container()
    c = conf(env.data_dir, version)
    res = env.add(c, ctr, "c1").ok()
    veth = host_veth_name("net1", "c1", "eth0")
    assert res["cniVersion"] == version
    assert [i["name"] for i in res["interfaces"]] == ["cni0", veth, "eth0"]
    assert res["interfaces"][2]["sandbox"] == ctr
    ip = {"address": "198.51.100.2/24", "gateway": "198.51.100.1", "interface": 2}
    if skel.vtuple(version) < (1, 0, 0):
        ip = {"version": "4", **ip}
    assert res["ips"] == [ip]
    assert res["routes"] == [{"dst": "0.0.0.0/0"}]
    assert ("mtu" in res["interfaces"][2]) == (version == "1.1.0")
    # the kernel agrees (ip -j as the oracle)
    link = next(x for x in ns_json(name_of(ctr), "addr") if x["ifname"] == "eth0")
    assert link["address"] == res["interfaces"][2]["mac"] and link["operstate"] in ("UP", "UNKNOWN")
    assert ("198.51.100.2", 24) in [(a["local"], a["prefixlen"]) for a in link["addr_info"]]
    routes = ns_json(name_of(ctr), "route")
    assert {"dst": "default", "gateway": "198.51.100.1"}.items() <= routes[0].items()
    br = next(x for x in ns_json(env.host, "addr") if x["ifname"] == "cni0")
    assert ("198.51.100.1", 24) in [(a["local"], a["prefixlen"]) for a in br["addr_info"]]
    assert next(x for x in ns_json(env.host, "link") if x["ifname"] == veth)["master"] == "cni0"
    assert env.masqueraded() == {"198.51.100.2"}
    assert traffic.ping(name_of(ctr), "198.51.100.1")
    if version != "0.3.0" and version != "0.3.1":
        env.call("CHECK", dict(c, prevResult=res), ctr, "c1", "eth0").ok()
    env.dele(dict(c, prevResult=res), ctr, "c1").ok()
    assert veth not in env.host_links() and env.reservations() == {} and env.masqueraded() == set()
    assert [x["ifname"] for x in ns_json(name_of(ctr), "link")] == ["lo"]


def test_masquerade_rewrites_the_source_at_the_far_end(env: Env, container: Callable[[], str],
                                                        make_netns: Callable[..., Any]) -> None:
    outside = make_netns("out").name
    traffic.uplink(env.host, outside)
    ctr = container()
    env.add(conf(env.data_dir, isDefaultGateway=True), ctr, "c1").ok()
    for proto in ("tcp", "udp"):
        assert traffic.exchange(outside, name_of(ctr), proto, "203.0.113.2", 7000) == "203.0.113.1"
    env.dele(conf(env.data_dir), ctr, "c1").ok()
    # without ipMasq the far end sees the container's own address (given a route back)
    ctr2 = container()
    c = conf(env.data_dir, ipMasq=False, isDefaultGateway=True)
    own = env.add(c, ctr2, "c2").ok()["ips"][0]["address"].split("/")[0]
    subprocess.run(["ip", "-n", outside, "route", "add", SUBNET, "via", "203.0.113.1"], check=True)
    assert traffic.exchange(outside, name_of(ctr2), "tcp", "203.0.113.2", 7001) == own
    env.dele(c, ctr2, "c2").ok()


def test_two_containers_talk_over_the_bridge(env: Env, container: Callable[[], str]) -> None:
    a, b = container(), container()
    c = conf(env.data_dir, hairpinMode=True, mtu=1400)
    ra = env.add(c, a, "ca").ok()
    env.add(c, b, "cb").ok()
    assert ra["interfaces"][2]["mtu"] == 1400
    assert next(x for x in ns_json(env.host, "link") if x["ifname"] == "cni0")["mtu"] == 1400
    assert traffic.exchange(name_of(a), name_of(b), "tcp", "198.51.100.2", 7002) == "198.51.100.3"
    out = subprocess.run(["bridge", "-n", env.host, "-j", "-d", "link", "show", "dev",
                          host_veth_name("net1", "ca", "eth0")], capture_output=True, text=True, check=True).stdout
    assert '"hairpin":true' in out.replace(" ", "")
    env.dele(c, a, "ca").ok()
    env.dele(c, b, "cb").ok()


def test_promisc_mode_puts_the_bridge_in_promiscuous_mode(env: Env, container: Callable[[], str]) -> None:
    ctr = container()
    c = conf(env.data_dir, promiscMode=True)
    env.add(c, ctr, "c1").ok()
    br = next(x for x in ns_json(env.host, "link") if x["ifname"] == "cni0")
    assert "PROMISC" in br["flags"] and "UP" in br["flags"]
    env.dele(c, ctr, "c1").ok()


def test_cni_args_ip_and_mac(env: Env, container: Callable[[], str]) -> None:
    ctr = container()
    c = conf(env.data_dir)
    res = env.add(c, ctr, "c1", args="IgnoreUnknown=1;IP=198.51.100.50;MAC=02:42:c6:33:64:32;K8S_POD_NAME=p").ok()
    assert res["ips"][0]["address"] == "198.51.100.50/24"
    assert res["interfaces"][2]["mac"] == "02:42:c6:33:64:32"
    link = next(x for x in ns_json(name_of(ctr), "link") if x["ifname"] == "eth0")
    assert link["address"] == "02:42:c6:33:64:32"
    err = env.add(c, container(), "c2", args="FOO=1").error(4)
    assert "FOO" in err["msg"] and "IgnoreUnknown" in err["details"]
    env.dele(c, ctr, "c1").ok()


@pytest.mark.parametrize("case", ["netns_gone", "empty_netns", "iface_gone", "twice", "never_added",
                                  "reservation_gone"])
def test_del_never_fails_on_what_is_gone(env: Env, make_netns: Callable[..., Any], case: str) -> None:
    ns = make_netns("ctr")
    c = conf(env.data_dir)
    if case != "never_added":
        env.add(c, ns.path, "c1").ok()
    netns = ns.path
    if case == "netns_gone":
        ns.delete()
    elif case == "empty_netns":
        netns = ""
    elif case == "iface_gone":
        subprocess.run(["ip", "-n", ns.name, "link", "del", "eth0"], check=True)
    elif case == "reservation_gone":
        for f in (env.data_dir / "net1").glob("198.*"):
            f.unlink()
    env.dele(c, netns, "c1").ok()
    env.dele(c, netns, "c1").ok()
    assert host_veth_name("net1", "c1", "eth0") not in env.host_links()
    assert env.reservations() == {}
    if case != "reservation_gone":         # without reservation nor prevResult the address is unknown
        assert env.masqueraded() == set()


def test_del_without_reservation_uses_prev_result(env: Env, container: Callable[[], str]) -> None:
    ctr = container()
    c = conf(env.data_dir)
    res = env.add(c, ctr, "c1").ok()
    for f in (env.data_dir / "net1").glob("198.*"):
        f.unlink()
    env.dele(dict(c, prevResult=res), "", "c1").ok()
    assert env.masqueraded() == set()


def killed_add(env: Env, c: dict[str, Any], ctr: str, delay: float) -> None:
    """An ADD of c1 SIGKILLed after ``delay`` seconds."""
    proc = spawn(env.exe, "ADD", c, **env.kw(ctr, "c1", "eth0"))
    time.sleep(delay)
    os.kill(proc.pid, signal.SIGKILL)
    proc.communicate()


@pytest.mark.parametrize("delay", [0.03, 0.09, 0.15, 0.22, 0.3, 0.45])
def test_sigkill_during_add_then_del_and_add_converge(env: Env, container: Callable[[], str],
                                                       delay: float) -> None:
    ctr = container()
    c = conf(env.data_dir)
    killed_add(env, c, ctr, delay)
    env.dele(c, "", "c1").ok()               # as containerd after the container died: no netns
    assert host_veth_name("net1", "c1", "eth0") not in env.host_links()
    assert env.reservations() == {} and env.masqueraded() == set()
    assert [x["ifname"] for x in ns_json(name_of(ctr), "link")] == ["lo"]
    res = env.add(c, ctr, "c1").ok()         # and a new ADD works
    assert traffic.ping(name_of(ctr), res["ips"][0]["gateway"])
    env.dele(c, ctr, "c1").ok()


@pytest.mark.parametrize("delay", [0.1, 0.2, 0.35])
def test_sigkill_then_add_again_without_del(env: Env, container: Callable[[], str], delay: float) -> None:
    """A runtime retrying the ADD (no DEL between) converges: same address, one veth."""
    ctr = container()
    c = conf(env.data_dir)
    killed_add(env, c, ctr, delay)
    held = env.reservations()
    res = env.add(c, ctr, "c1").ok()     # a leftover veth (and its container end) is replaced
    assert list(env.reservations()) == [res["ips"][0]["address"].split("/")[0]]
    assert not held or list(held) == list(env.reservations())
    assert traffic.ping(name_of(ctr), "198.51.100.1")
    env.dele(c, ctr, "c1").ok()
    assert env.reservations() == {} and env.masqueraded() == set()


def test_30_concurrent_adds_and_dels(env: Env, make_netns: Callable[..., Any]) -> None:
    n = 30
    nss = [make_netns("par") for _ in range(n)]
    c = conf(env.data_dir)
    procs = [spawn(env.exe, "ADD", c, **env.kw(ns.path, f"par{i}", "eth0")) for i, ns in enumerate(nss)]
    results = [Call.of(p, "ADD", timeout=120).ok() for p in procs]
    addrs = [r["ips"][0]["address"] for r in results]
    assert len(set(addrs)) == n
    assert sorted(env.reservations().values()) == sorted(f"par{i}\r\neth0".encode() for i in range(n))
    assert env.masqueraded() == {a.split("/")[0] for a in addrs}
    ports = [x for x in ns_json(env.host, "link") if x.get("master") == "cni0"]
    assert len(ports) == n
    for ns, a in zip(nss[:3], addrs[:3]):
        got = next(x for x in ns_json(ns.name, "addr") if x["ifname"] == "eth0")["addr_info"]
        assert a.split("/")[0] in [i["local"] for i in got]
    procs = [spawn(env.exe, "DEL", c, **env.kw(ns.path, f"par{i}", "eth0")) for i, ns in enumerate(nss)]
    for p in procs:
        Call.of(p, "DEL", timeout=120).ok()
    assert env.reservations() == {} and env.masqueraded() == set()
    assert not [x for x in ns_json(env.host, "link") if x.get("master") == "cni0"]


BAD = [
    ("unknown_ipam", lambda c: c["ipam"].update(type="no-such-ipam"), 7, "no-such-ipam"),
    ("bad_subnet", lambda c: c["ipam"].update(ranges=[[{"subnet": "198.51.100.0/40"}]]), 7, "not a subnet"),
    ("gateway_outside", lambda c: c["ipam"].update(ranges=[[{"subnet": SUBNET, "gateway": "203.0.113.1"}]]), 7,
     "not in subnet"),
    ("exhausted", lambda c: c["ipam"].update(ranges=[[{"subnet": SUBNET, "rangeStart": "198.51.100.9",
                                                        "rangeEnd": "198.51.100.9"}]]), 11, "no free address"),
    ("version", lambda c: c.update(cniVersion="0.2.0"), 1, "incompatible"),
    ("bad_mtu", lambda c: c.update(mtu=10), 7, "mtu"),
    ("vlan", lambda c: c.update(vlan=30), 2, "vlan"),
    ("bad_bool", lambda c: c.update(isGateway="yes"), 7, "isGateway"),
]


@pytest.mark.parametrize("case,edit,code,words", BAD, ids=[b[0] for b in BAD])
def test_bad_config_changes_nothing(env: Env, container: Callable[[], str], case: str,
                                    edit: Callable[[dict[str, Any]], None], code: int, words: str) -> None:
    ctr = container()
    if case == "exhausted":
        c0 = conf(env.data_dir)
        edit(c0)
        env.add(c0, container(), "first").ok()
    before, files_before = traffic.state(env.host), sorted(p.name for p in env.data_dir.rglob("*"))
    c = conf(env.data_dir)
    edit(c)
    err = env.add(c, ctr, "c1").error(code)
    assert words in err["msg"], err
    assert traffic.state(env.host) == before
    assert sorted(p.name for p in env.data_dir.rglob("*")) == files_before
    assert [x["ifname"] for x in ns_json(name_of(ctr), "link")] == ["lo"]


def test_malformed_json_changes_nothing(env: Env, container: Callable[[], str]) -> None:
    ctr = container()
    before = traffic.state(env.host)
    err = invoke(env.exe, "ADD", '{"cniVersion": "1.0.0", "name": ', **env.kw(ctr, "c1", "eth0")).error(6)
    assert "JSON" in err["msg"]
    assert traffic.state(env.host) == before and list(env.data_dir.iterdir()) == []


def test_existing_interface_is_refused_and_rolled_back(env: Env, container: Callable[[], str]) -> None:
    ctr = container()
    c = conf(env.data_dir)
    subprocess.run(["ip", "-n", name_of(ctr), "link", "add", "eth0", "type", "veth", "peer", "name", "x0"],
                   check=True)
    err = env.add(c, ctr, "c1").error(4)
    assert "already has an interface named eth0" in err["msg"]
    assert env.reservations() == {} and env.masqueraded() == set()
    assert host_veth_name("net1", "c1", "eth0") not in env.host_links()


def test_check_finds_what_is_missing(env: Env, container: Callable[[], str]) -> None:
    ctr = container()
    c = conf(env.data_dir, isDefaultGateway=True)
    res = env.add(c, ctr, "c1").ok()
    cc = dict(c, prevResult=res)
    env.call("CHECK", cc, ctr, "c1", "eth0").ok()
    subprocess.run(["ip", "-n", name_of(ctr), "route", "del", "default"], check=True)
    assert "lacks the route" in env.call("CHECK", cc, ctr, "c1", "eth0").error()["msg"]
    subprocess.run(["ip", "-n", name_of(ctr), "addr", "flush", "dev", "eth0"], check=True)
    assert "lacks the address" in env.call("CHECK", cc, ctr, "c1", "eth0").error()["msg"]
    env.dele(cc, ctr, "c1").ok()
    assert "no address reserved" in env.call("CHECK", cc, ctr, "c1", "eth0").error()["msg"]


def test_status(env: Env) -> None:
    c = conf(env.data_dir, ipam={"ranges": [[{"subnet": "198.51.100.0/30"}]]})
    env.call("STATUS", c).ok()
    (env.data_dir / "net1").mkdir(exist_ok=True)
    (env.data_dir / "net1" / "198.51.100.2").write_text("x\r\neth0")
    assert env.call("STATUS", c).error(50)["code"] == 50


def test_gc_removes_attachments_not_listed(env: Env, container: Callable[[], str]) -> None:
    keep, drop = container(), container()
    c = conf(env.data_dir)
    env.add(c, keep, "keep").ok()
    env.add(c, drop, "drop").ok()
    env.call("GC", dict(c, **{"cni.dev/valid-attachments": [{"containerID": "keep", "ifname": "eth0"}]})).ok()
    assert list(env.reservations().values()) == [b"keep\r\neth0"]
    assert env.masqueraded() == {"198.51.100.2"}
    env.dele(c, keep, "keep").ok()


@pytest.mark.skipif(not (REFERENCE_DIR / "host-local").exists(), reason="no reference host-local")
def test_foreign_ipam_is_executed_from_cni_path(env: Env, container: Callable[[], str]) -> None:
    ctr = container()
    c = conf(env.data_dir, "1.0.0", ipam={"type": "host-local"})
    res = env.add(c, ctr, "c1").ok()
    assert res["ips"][0]["address"] == "198.51.100.2/24"
    assert env.reservations() == {"198.51.100.2": b"c1\r\neth0"}          # written by the Go plugin
    assert traffic.ping(name_of(ctr), "198.51.100.1")
    env.dele(c, "", "c1").ok()
    assert env.reservations() == {} and env.masqueraded() == set()


def test_ipv6_and_dual_stack(env: Env, container: Callable[[], str]) -> None:
    ctr = container()
    c = conf(env.data_dir, isDefaultGateway=True,
             ipam={"ranges": [[{"subnet": SUBNET}], [{"subnet": "fd00:cafe::/64"}]], "routes": []})
    res = env.add(c, ctr, "c1").ok()
    assert [ip["address"] for ip in res["ips"]] == ["198.51.100.2/24", "fd00:cafe::2/64"]
    assert {r["dst"] for r in res["routes"]} == {"0.0.0.0/0", "::/0"}
    assert traffic.ping(name_of(ctr), "fd00:cafe::1")
    v6 = [r for r in ns_json(name_of(ctr), "-6", "route") if r["dst"] == "default"]
    assert v6 and v6[0]["gateway"] == "fd00:cafe::1"
    assert str(ipaddress.ip_address("fd00:cafe::2")) in {
        e for x in nft_json(env.host) if (s := x.get("set")) and s["name"] == "masq6" for e in s.get("elem", [])}
    env.dele(c, ctr, "c1").ok()


def test_missing_netns_is_code_4_and_rolled_back(env: Env) -> None:
    c = conf(env.data_dir)
    err = env.add(c, "/run/netns/pnl-no-such-ns", "c1").error(4)
    assert "CNI_NETNS" in err["msg"]
    assert env.reservations() == {} and env.masqueraded() == set()
    assert host_veth_name("net1", "c1", "eth0") not in env.host_links()


@pytest.mark.parametrize("how", ["cni_args", "runtime_config"])
def test_bad_mac_is_refused(env: Env, container: Callable[[], str], how: str) -> None:
    ctr = container()
    c = conf(env.data_dir)
    if how == "cni_args":
        err = env.add(c, ctr, "c1", args="MAC=01:00:5e:00:00:01").error(4)
    else:
        err = env.add(dict(c, runtimeConfig={"mac": "zz:00:00:00:00:01"}), ctr, "c1").error(7)
    assert "MAC" in err["msg"] or "mac" in err["msg"]
    assert env.reservations() == {}


def test_mac_from_runtime_config(env: Env, container: Callable[[], str]) -> None:
    ctr = container()
    c = dict(conf(env.data_dir), capabilities={"mac": True}, runtimeConfig={"mac": "02:00:00:aa:bb:cc"})
    assert env.add(c, ctr, "c1").ok()["interfaces"][2]["mac"] == "02:00:00:aa:bb:cc"
    env.dele(c, ctr, "c1").ok()


def test_force_address(env: Env, container: Callable[[], str]) -> None:
    subprocess.run(["ip", "-n", env.host, "link", "add", "cni0", "type", "bridge"], check=True)
    subprocess.run(["ip", "-n", env.host, "addr", "add", "198.51.100.254/24", "dev", "cni0"], check=True)
    ctr = container()
    c = conf(env.data_dir)
    err = env.add(c, ctr, "c1").error(7)
    assert "already has the address 198.51.100.254/24" in err["msg"] and "forceAddress" in err["details"]
    assert env.reservations() == {}
    env.add(dict(c, forceAddress=True), ctr, "c1").ok()
    br = next(x for x in ns_json(env.host, "addr") if x["ifname"] == "cni0")
    assert [(a["local"], a["prefixlen"]) for a in br["addr_info"] if a["family"] == "inet"] == [("198.51.100.1", 24)]
    env.dele(c, ctr, "c1").ok()


def test_existing_non_bridge_is_refused(env: Env, container: Callable[[], str]) -> None:
    subprocess.run(["ip", "-n", env.host, "link", "add", "cni0", "type", "veth", "peer", "name", "cni0p"], check=True)
    err = env.add(conf(env.data_dir), container(), "c1").error(7)
    assert "not a bridge" in err["msg"] and env.reservations() == {}


def test_a_veth_of_another_attachment_is_never_deleted(env: Env, container: Callable[[], str]) -> None:
    """The host veth name is a hash: on a collision the other attachment's link (its alias
    says whose it is) survives our ADD and DEL."""
    name = host_veth_name("net1", "c1", "eth0")
    subprocess.run(["ip", "-n", env.host, "link", "add", name, "type", "veth", "peer", "name", "otherp"], check=True)
    subprocess.run(["ip", "-n", env.host, "link", "set", name, "alias", "pynetlink-cni net1/other/eth0"], check=True)
    ctr = container()
    c = conf(env.data_dir)
    err = env.add(c, ctr, "c1").error(999)
    assert "another attachment" in err["msg"]
    env.dele(c, ctr, "c1").ok()
    assert name in env.host_links() and env.reservations() == {}


def test_drop_in_under_the_reference_names(host: str, data_dir: Path, container: Callable[[], str],
                                           tmp_path: Path) -> None:
    """``install --names reference``: a config written for the Go plugins (type bridge, ipam
    host-local) runs pynetlink's, the IPAM in-process (its executable is recognised)."""
    from pynetlink.cni.install import install
    bindir = tmp_path / "ref"
    install(bindir, names="reference")
    (bindir / "host-local").chmod(0o644)          # not executable: only in-process can work
    ctr = container()
    c = {"cniVersion": "1.0.0", "name": "net1", "type": "bridge", "bridge": "cni0", "isGateway": True,
         "ipam": {"type": "host-local", "dataDir": str(data_dir), "ranges": [[{"subnet": SUBNET}]]}}
    kw = dict(host=host, netns=ctr, container_id="c1", ifname="eth0", path=[bindir])
    res = invoke(bindir / "bridge", "ADD", c, **kw).ok()
    assert res["interfaces"][1]["name"] == host_veth_name("net1", "c1", "eth0")       # ours, not Go's
    assert (data_dir / "net1" / "198.51.100.2").read_bytes() == b"c1\r\neth0"
    invoke(bindir / "bridge", "DEL", c, **kw).ok()
    assert not (data_dir / "net1" / "198.51.100.2").exists()


@pytest.mark.skipif(not (REFERENCE_DIR / "static").exists(), reason="no reference static IPAM")
def test_del_with_foreign_ipam_and_no_prev_result_reads_the_container(env: Env, container: Callable[[], str]) -> None:
    """With an IPAM whose store we cannot read (static), DEL finds the masqueraded address on
    the container's interface."""
    ctr = container()
    c = conf(env.data_dir, "1.0.0", ipam={"type": "static", "addresses": [{"address": "198.51.100.77/24",
                                                                           "gateway": "198.51.100.1"}]})
    del c["ipam"]["ranges"], c["ipam"]["dataDir"]
    env.add(c, ctr, "c1").ok()
    assert env.masqueraded() == {"198.51.100.77"}
    env.dele(c, ctr, "c1").ok()
    assert env.masqueraded() == set()


def test_concurrent_adds_and_dels_mixed(env: Env, make_netns: Callable[..., Any]) -> None:
    """15 DELs of running containers at the same time as 15 ADDs of new ones: afterwards exactly
    the new ones hold addresses, masquerade elements and bridge ports (no update lost)."""
    n = 15
    old = [make_netns("old") for _ in range(n)]
    new = [make_netns("new") for _ in range(n)]
    c = conf(env.data_dir)
    for p in [spawn(env.exe, "ADD", c, **env.kw(ns.path, f"old{i}", "eth0")) for i, ns in enumerate(old)]:
        Call.of(p, "ADD", timeout=120).ok()
    procs = []
    for i in range(n):
        procs.append(("DEL", spawn(env.exe, "DEL", c, **env.kw(old[i].path, f"old{i}", "eth0"))))
        procs.append(("ADD", spawn(env.exe, "ADD", c, **env.kw(new[i].path, f"new{i}", "eth0"))))
    results = [Call.of(p, cmd, timeout=120).ok() for cmd, p in procs]
    addrs = {r["ips"][0]["address"].split("/")[0] for r in results if r}
    assert len(addrs) == n
    assert sorted(env.reservations().values()) == sorted(f"new{i}\r\neth0".encode() for i in range(n))
    assert env.masqueraded() == addrs
    ports = {x["ifname"] for x in ns_json(env.host, "link") if x.get("master") == "cni0"}
    assert ports == {host_veth_name("net1", f"new{i}", "eth0") for i in range(n)}
    for p in [spawn(env.exe, "DEL", c, **env.kw(ns.path, f"new{i}", "eth0")) for i, ns in enumerate(new)]:
        Call.of(p, "DEL", timeout=120).ok()
    assert env.reservations() == {} and env.masqueraded() == set()


def test_dns_from_the_config_or_the_ipam(env: Env, container: Callable[[], str], tmp_path: Path) -> None:
    resolv = tmp_path / "resolv.conf"
    resolv.write_text("nameserver 198.51.100.53\nsearch example.test\n")
    c = conf(env.data_dir, ipam={"resolvConf": str(resolv)})
    a = container()
    assert env.add(c, a, "c1").ok()["dns"] == {"nameservers": ["198.51.100.53"], "search": ["example.test"]}
    b = container()
    c2 = dict(c, dns={"nameservers": ["203.0.113.53"]})
    assert env.add(c2, b, "c2").ok()["dns"] == {"nameservers": ["203.0.113.53"]}
    env.dele(c, a, "c1").ok()
    env.dele(c2, b, "c2").ok()


def test_del_with_a_config_add_would_refuse_still_cleans_up(env: Env, container: Callable[[], str]) -> None:
    """The config changed (or broke) between ADD and DEL: DEL still removes the veth, the NAT
    elements (found on the container's interface) and the reservation (found by dataDir)."""
    ctr = container()
    c = conf(env.data_dir)
    env.add(c, ctr, "c1").ok()
    broken = conf(env.data_dir, promiscMode=True, mtu="big", ipam={"ranges": [[{"subnet": "nonsense"}]]})
    env.dele(broken, ctr, "c1").ok()
    assert host_veth_name("net1", "c1", "eth0") not in env.host_links()
    assert env.reservations() == {} and env.masqueraded() == set()
