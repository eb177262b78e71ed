"""pynetlink-host-local as a process: results per version, the Go plugin's on-disk layout,
round robin, requested addresses, GC/CHECK/STATUS, errors, concurrency (also mixed with
the reference /usr/lib/cni/host-local)."""
from __future__ import annotations

import ipaddress
from pathlib import Path
from typing import Any

import pytest

from pynetlink.cni import skel

from .invoke import REFERENCE_DIR, Call, invoke, spawn

GO = REFERENCE_DIR / "host-local"
needs_go = pytest.mark.skipif(not GO.exists(), reason="apt-get install containernetworking-plugins")


def conf(data_dir: Path, version: str = "1.1.0", name: str = "net1", **ipam: Any) -> dict[str, Any]:
    ipam = {"type": "pynetlink-host-local", "dataDir": str(data_dir),
            "ranges": [[{"subnet": "198.51.100.0/24"}]], **ipam}
    return {"cniVersion": version, "name": name, "type": "pynetlink-host-local", "ipam": ipam}


def add(bin_: Path, c: dict[str, Any], cid: str, ifname: str = "eth0", **kw: Any) -> Call:
    return invoke(bin_, "ADD", c, container_id=cid, netns="/run/netns/none", ifname=ifname, **kw)


def dele(bin_: Path, c: dict[str, Any], cid: str, ifname: str = "eth0") -> Call:
    return invoke(bin_, "DEL", c, container_id=cid, ifname=ifname)


def files(data_dir: Path, name: str = "net1") -> dict[str, bytes]:
    d = data_dir / name
    return {p.name: p.read_bytes() for p in sorted(d.iterdir())} if d.exists() else {}


@pytest.fixture
def hl(cni_bin: Path) -> Path:
    return cni_bin / "pynetlink-host-local"


@pytest.mark.parametrize("version", skel.SUPPORTED)
def test_add_result_and_layout(hl: Path, data_dir: Path, version: str) -> None:
    c = conf(data_dir, version, ranges=[[{"subnet": "198.51.100.0/24"}], [{"subnet": "fd00:10::/64"}]],
             routes=[{"dst": "0.0.0.0/0"}, {"dst": "203.0.113.0/24", "gw": "198.51.100.9"}])
    res = add(hl, c, "ctr-a").ok()
    ips = [{"address": "198.51.100.2/24", "gateway": "198.51.100.1"},
           {"address": "fd00:10::2/64", "gateway": "fd00:10::1"}]
    if skel.vtuple(version) < (1, 0, 0):
        ips = [{"version": "4", **ips[0]}, {"version": "6", **ips[1]}]
    assert res == {"cniVersion": version, "ips": ips, "dns": {},
                   "routes": [{"dst": "0.0.0.0/0"}, {"dst": "203.0.113.0/24", "gw": "198.51.100.9"}]}
    assert files(data_dir) == {"198.51.100.2": b"ctr-a\r\neth0", "fd00:10::2": b"ctr-a\r\neth0",
                               "last_reserved_ip.0": b"198.51.100.2", "last_reserved_ip.1": b"fd00:10::2",
                               "lock": b""}
    dele(hl, c, "ctr-a").ok()
    assert set(files(data_dir)) == {"last_reserved_ip.0", "last_reserved_ip.1", "lock"}


def test_round_robin_and_excluded_addresses(hl: Path, data_dir: Path) -> None:
    c = conf(data_dir, ranges=[[{"subnet": "198.51.100.0/29", "gateway": "198.51.100.3"}]])
    got = [add(hl, c, f"c{i}").ok()["ips"][0]["address"] for i in range(4)]
    assert got == ["198.51.100.1/29", "198.51.100.2/29", "198.51.100.4/29", "198.51.100.5/29"]
    dele(hl, c, "c0").ok()
    # after .5 comes .6 (the last before the broadcast .7), then the freed .1, not .5 again
    assert add(hl, c, "c4").ok()["ips"][0]["address"] == "198.51.100.6/29"
    assert add(hl, c, "c5").ok()["ips"][0]["address"] == "198.51.100.1/29"
    before = files(data_dir)
    err = add(hl, c, "c6").error(11)
    assert "no free address" in err["msg"] and files(data_dir) == before


def test_range_start_end_and_several_ranges_in_a_set(hl: Path, data_dir: Path) -> None:
    c = conf(data_dir, ranges=[[{"subnet": "198.51.100.0/24", "rangeStart": "198.51.100.10",
                                 "rangeEnd": "198.51.100.11"}, {"subnet": "203.0.113.0/24",
                                                                  "rangeStart": "203.0.113.50",
                                                                  "rangeEnd": "203.0.113.50"}]])
    got = [add(hl, c, f"c{i}").ok()["ips"][0] for i in range(3)]
    assert [g["address"] for g in got] == ["198.51.100.10/24", "198.51.100.11/24", "203.0.113.50/24"]
    assert got[2]["gateway"] == "203.0.113.1"


def test_legacy_flat_config(hl: Path, data_dir: Path) -> None:
    c = conf(data_dir, ranges=None, subnet="198.51.100.0/24", rangeStart="198.51.100.100",
             gateway="198.51.100.254")
    res = add(hl, c, "c1").ok()
    assert res["ips"] == [{"address": "198.51.100.100/24", "gateway": "198.51.100.254"}]


@pytest.mark.parametrize("how", ["cni_args", "runtime_config", "args"])
def test_requested_address(hl: Path, data_dir: Path, how: str) -> None:
    c = conf(data_dir, ranges=[[{"subnet": "198.51.100.0/24"}], [{"subnet": "fd00:10::/64"}]])
    kw: dict[str, Any] = {}
    if how == "cni_args":
        kw["args"] = "IgnoreUnknown=1;IP=198.51.100.77,fd00:10::77;K8S_POD_NAME=x"
    elif how == "runtime_config":
        c["runtimeConfig"] = {"ips": ["198.51.100.77/24", "fd00:10::77/64"]}
    else:
        c["args"] = {"cni": {"ips": ["198.51.100.77", "fd00:10::77"]}}
    res = add(hl, c, "c1", **kw).ok()
    assert [ip["address"] for ip in res["ips"]] == ["198.51.100.77/24", "fd00:10::77/64"]
    assert files(data_dir)["last_reserved_ip.0"] == b"198.51.100.77"
    # the same address again: refused, nothing reserved for c2
    before = files(data_dir)
    err = add(hl, c, "c2", **kw).error(7)
    assert "already reserved" in err["msg"] and files(data_dir) == before


@pytest.mark.parametrize("ip,words", [("203.0.113.5", "not in any range"), ("198.51.100.1", "gateway"),
                                      ("bogus", "not an IP address")])
def test_bad_requested_address(hl: Path, data_dir: Path, ip: str, words: str) -> None:
    err = add(hl, conf(data_dir), "c1", args=f"IP={ip}").error(7)
    assert words in err["msg"]
    assert not any(ipaddress_like(n) for n in files(data_dir))


def ipaddress_like(name: str) -> bool:
    try:
        ipaddress.ip_address(name)
        return True
    except ValueError:
        return False


@pytest.mark.parametrize("ipam,words", [
    ({"ranges": [[{"subnet": "198.51.100.0/33"}]]}, "not a subnet"),
    ({"ranges": [[{"subnet": "198.51.100.7/24"}]]}, "host bits"),
    ({"ranges": [[{"subnet": "198.51.100.0/31"}]]}, "too small"),
    ({"ranges": [[{"subnet": "198.51.100.0/24", "gateway": "203.0.113.1"}]]}, "not in subnet"),
    ({"ranges": [[{"subnet": "198.51.100.0/24", "rangeStart": "198.51.100.9", "rangeEnd": "198.51.100.3"}]]},
     "after rangeEnd"),
    ({"ranges": [[{"subnet": "198.51.100.0/24"}, {"subnet": "fd00::/64"}]]}, "mixes"),
    ({"ranges": [[{"subnet": "198.51.100.0/24"}, {"subnet": "198.51.100.0/25"}]]}, "overlap"),
    ({"ranges": [[{"subnet": "198.51.100.0/24"}], [{"subnet": "198.51.100.128/25"}]]}, "range sets 0 and 1 overlap"),
    ({"ranges": []}, "no IP ranges"),
    ({"ranges": [{"subnet": "198.51.100.0/24"}]}, "list of range sets"),
    ({"routes": [{"dst": "nowhere"}]}, "routes[0].dst"),
])
def test_bad_config_is_code_7_and_touches_nothing(hl: Path, data_dir: Path, ipam: dict[str, Any],
                                                   words: str) -> None:
    err = add(hl, conf(data_dir, **ipam), "c1").error(7)
    assert words in err["msg"], err
    assert list(data_dir.iterdir()) == []


def test_del_is_idempotent_and_releases_only_its_own(hl: Path, data_dir: Path) -> None:
    c = conf(data_dir)
    dele(hl, c, "never-added").ok()
    add(hl, c, "c1").ok()
    add(hl, c, "c1", ifname="net1").ok()
    dele(hl, c, "c1").ok()
    dele(hl, c, "c1").ok()
    assert files(data_dir)["198.51.100.3"] == b"c1\r\nnet1"
    assert "198.51.100.2" not in files(data_dir)


def test_second_add_of_one_attachment_is_refused(hl: Path, data_dir: Path) -> None:
    c = conf(data_dir)
    add(hl, c, "c1").ok()
    assert "duplicate" in add(hl, c, "c1").error(7)["msg"]


def test_check(hl: Path, data_dir: Path) -> None:
    c = conf(data_dir)
    add(hl, c, "c1").ok()
    kw = dict(container_id="c1", netns="/run/netns/none", ifname="eth0")
    invoke(hl, "CHECK", c, **kw).ok()
    dele(hl, c, "c1").ok()
    assert "no address reserved" in invoke(hl, "CHECK", c, **kw).error()["msg"]


def test_gc_keeps_valid_attachments_only(hl: Path, data_dir: Path) -> None:
    c = conf(data_dir)
    for cid in ("keep", "drop1", "drop2"):
        add(hl, c, cid).ok()
    (data_dir / "net1" / "198.51.100.200").write_text("legacy-id")      # an old-format file
    (data_dir / "net1" / ".reserve.999999").write_text("killed\r\neth0")  # aside-file of a killed ADD
    gc = dict(c, **{"cni.dev/valid-attachments": [{"containerID": "keep", "ifname": "eth0"}]})
    invoke(hl, "GC", gc).ok()
    left = {k: v for k, v in files(data_dir).items() if ipaddress_like(k)}
    assert left == {"198.51.100.2": b"keep\r\neth0"}
    assert not (data_dir / "net1" / ".reserve.999999").exists()


def test_status(hl: Path, data_dir: Path) -> None:
    c = conf(data_dir, ranges=[[{"subnet": "198.51.100.0/30"}]])
    invoke(hl, "STATUS", c).ok()
    add(hl, c, "c1").ok()
    err = invoke(hl, "STATUS", c).error(50)
    assert "no free address" in err["msg"]


def test_unwritable_data_dir_is_an_io_error(hl: Path, tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    err = add(hl, conf(blocker), "c1").error(5)
    assert str(blocker) in err["msg"]


def _concurrent(hl: Path, c: dict[str, Any], n: int, go_every: int = 0) -> list[str]:
    procs = []
    for i in range(n):
        exe = GO if go_every and i % go_every == 0 else hl
        procs.append(spawn(exe, "ADD", c, container_id=f"par{i}", netns="/run/netns/none", ifname="eth0",
                           path=[REFERENCE_DIR]))
    results = [Call.of(p, "ADD").ok() for p in procs]
    return [r["ips"][0]["address"] for r in results]


def test_40_concurrent_adds_never_share_an_address(hl: Path, data_dir: Path) -> None:
    c = conf(data_dir)
    got = _concurrent(hl, c, 40)
    assert len(set(got)) == 40
    owners = {k: v for k, v in files(data_dir).items() if ipaddress_like(k)}
    assert sorted(owners.values()) == sorted(f"par{i}\r\neth0".encode() for i in range(40))
    procs = [spawn(hl, "DEL", c, container_id=f"par{i}", ifname="eth0") for i in range(40)]
    for p in procs:
        Call.of(p, "DEL").ok()
    assert not any(ipaddress_like(k) for k in files(data_dir))


@needs_go
def test_concurrent_with_the_go_plugin_on_one_store(hl: Path, data_dir: Path) -> None:
    c = conf(data_dir, "1.0.0")               # Debian's Go plugins (1.1.1) stop at 1.0.0
    c["ipam"]["type"] = "host-local"
    got = _concurrent(hl, c, 40, go_every=2)
    assert len(set(got)) == 40
    assert len([k for k in files(data_dir) if ipaddress_like(k)]) == 40


@needs_go
def test_go_and_pynetlink_read_each_others_reservations(hl: Path, data_dir: Path) -> None:
    c = conf(data_dir, "1.0.0")
    go = invoke(GO, "ADD", c, container_id="byGo", netns="/run/netns/none", ifname="eth0", path=[REFERENCE_DIR])
    assert go.ok()["ips"][0]["address"] == "198.51.100.2/24"
    assert add(hl, c, "byPy").ok()["ips"][0]["address"] == "198.51.100.3/24"   # Go's last_reserved_ip
    assert files(data_dir)["198.51.100.2"] == files(data_dir)["198.51.100.3"].replace(b"byPy", b"byGo")
    dele(hl, c, "byGo").ok()
    invoke(GO, "DEL", c, container_id="byPy", ifname="eth0", path=[REFERENCE_DIR]).ok()
    assert not any(ipaddress_like(k) for k in files(data_dir))
    assert files(data_dir)["last_reserved_ip.0"] == b"198.51.100.3"
