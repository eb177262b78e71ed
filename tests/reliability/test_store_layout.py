"""The record layout of networks/store.py: the network in NAME.json, its endpoints in the
journal NAME.eps (a connect appends what it changed), and networks.index (the summaries a
new process reads instead of every record). Records of the earlier layout (endpoints inside
NAME.json) are read and migrated; kills in the middle of an append, processes connecting at
once, and a missing, stale or damaged index all leave the records right."""
from __future__ import annotations

import ipaddress
import json
import os
from pathlib import Path
from typing import Any

import pytest

from pynetlink.networks import IPAM, Networks
from pynetlink.networks.ipam import atomic_write
from pynetlink.networks.options import network_config
from pynetlink.networks.store import Store

from . import faulty
from .conftest import Host, state_files
from .test_network_race import forked

SUBNET = "172.23.0.0/24"


def record(name: str, subnet: str, eps: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"config": network_config(name, subnet=subnet).to_dict(), "id": name * 8,
            "made": {"nat": True}, "endpoints": eps or {}, "state": "ready"}


def endpoint(i: int) -> dict[str, Any]:
    return {"id": f"e{i}", "netns": f"/run/netns/x{i}", "ifname": "eth0", "state": "connected"}


def old_layout(store: Store, rec: dict[str, Any]) -> None:
    """Write ``rec`` as the earlier layout did: one file with the endpoints inside."""
    store.net_dir.mkdir(parents=True, exist_ok=True)
    atomic_write(store.path(rec["config"]["name"]), rec)
    store.journal_path(rec["config"]["name"]).unlink(missing_ok=True)


def test_earlier_layout_is_read_then_migrated_by_the_first_save(tmp_path: Path) -> None:
    store = Store(tmp_path)
    old_layout(store, record("n", "172.16.5.0/24", {"e1": endpoint(1), "e2": endpoint(2)}))
    assert Store(tmp_path).summaries()[0]["ifnames"] == {"/run/netns/x1": "eth0", "/run/netns/x2": "eth0"}
    rec = store.load("n")
    assert sorted(rec["endpoints"]) == ["e1", "e2"]
    rec["endpoints"]["e3"] = endpoint(3)
    store.save(rec, ["e3"])                       # asks for an append: the migration writes all
    head = json.loads(store.path("n").read_text())
    assert head["layout"] == 2 and "endpoints" not in head
    assert len(store.journal_path("n").read_text().splitlines()) == 3
    assert Store(tmp_path).load("n") == rec


def test_a_connect_appends_to_the_journal_and_leaves_the_head(tmp_path: Path) -> None:
    store = Store(tmp_path)
    rec = record("n", "172.16.5.0/24")
    store.save(rec)
    head = os.stat(store.path("n"))
    rec = store.load("n")
    for i in range(3):
        rec["endpoints"][f"e{i}"] = endpoint(i)
        store.save(rec, [f"e{i}"])
    del rec["endpoints"]["e1"]
    store.save(rec, ["e1"])
    now = os.stat(store.path("n"))
    assert (now.st_ino, now.st_mtime_ns) == (head.st_ino, head.st_mtime_ns)   # not rewritten
    assert [json.loads(x)[0] for x in store.journal_path("n").read_text().splitlines()] == \
        ["e0", "e1", "e2", "e1"]
    assert Store(tmp_path).load("n") == rec


def test_a_torn_last_line_is_ignored_and_cut_off(tmp_path: Path) -> None:
    store = Store(tmp_path)
    rec = record("n", "172.16.5.0/24", {"e1": endpoint(1)})
    store.save(rec)
    with open(store.journal_path("n"), "a") as f:          # what a SIGKILL mid-append leaves
        f.write('["e2",{"id":"e2","netns":"/run/ne')
    fresh = Store(tmp_path)
    rec = fresh.load("n")
    assert list(rec["endpoints"]) == ["e1"]
    rec["endpoints"]["e3"] = endpoint(3)
    fresh.save(rec, ["e3"])
    assert sorted(Store(tmp_path).load("n")["endpoints"]) == ["e1", "e3"]
    assert all(json.loads(x) for x in store.journal_path("n").read_text().splitlines())


def test_endpoints_taken_again_under_the_lock_follow_the_files(tmp_path: Path) -> None:
    mine, other = Store(tmp_path), Store(tmp_path)
    mine.save(record("n", "172.16.5.0/24", {"e1": endpoint(1)}))
    with mine.locked():
        first = mine.load("n")
    rec = other.load("n")                             # another process connects e2
    rec["endpoints"]["e2"] = endpoint(2)
    other.save(rec, ["e2"])
    with mine.locked():
        assert sorted(mine.load("n")["endpoints"]) == ["e1", "e2"]
    with pytest.raises(RuntimeError), mine.locked():
        mine.load("n")["endpoints"]["e1"]["state"] = "changed, never saved"
        raise RuntimeError("a failed change")
    with mine.locked():
        assert mine.load("n")["endpoints"]["e1"]["state"] == "connected"
    assert first["endpoints"]["e1"]["state"] == "connected"


def test_a_rolled_back_change_leaves_the_files_as_they_were(tmp_path: Path) -> None:
    store = Store(tmp_path)
    store.save(record("n", "172.16.5.0/24", {"e1": endpoint(1)}))
    before = store.journal_path("n").read_bytes()
    with store.locked():
        rec = store.load("n")
        mark = store.mark("n")
        rec["endpoints"]["e2"] = endpoint(2)
        store.save(rec, ["e2"])
        rec["endpoints"]["e2"]["state"] = "connecting"
        store.save(rec, ["e2"])
        del rec["endpoints"]["e2"]
        store.restore(rec, ["e2"], mark)
    assert store.journal_path("n").read_bytes() == before
    assert Store(tmp_path).summaries()[0]["ifnames"] == {"/run/netns/x1": "eth0"}
    pools = network_config("n", subnet="172.16.5.0/24").pools
    ipam = IPAM("n", pools, tmp_path)
    ipam.allocate("a")
    files = {p.name: p.read_bytes() for p in (tmp_path / "ipam").iterdir()}
    ipam.unreserve(ipam.reserve([("b", {})]))
    assert {p.name: p.read_bytes() for p in (tmp_path / "ipam").iterdir()} == files
    taken = ipam.reserve([("c", {})])
    IPAM("n", pools, tmp_path).allocate("d")                # another allocation in between
    ipam.unreserve(taken)                                    # appended, not cut back
    assert {str(a): o for a, o in ipam.allocations().items()} == {"172.16.5.2": "a", "172.16.5.4": "d"}


def test_the_journal_is_compacted(tmp_path: Path) -> None:
    store = Store(tmp_path)
    rec = record("n", "172.16.5.0/24")
    store.save(rec)
    for i in range(200):                          # connect and disconnect, over and over
        rec["endpoints"]["e"] = endpoint(i)
        store.save(rec, ["e"])
    assert len(store.journal_path("n").read_text().splitlines()) <= 65
    assert Store(tmp_path).load("n")["endpoints"] == {"e": endpoint(199)}


def test_the_index_spares_a_new_process_the_records(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    writer = Store(tmp_path)
    for i in range(5):
        writer.save(record(f"n{i}", f"172.16.{i}.0/24", {"e": endpoint(i)}))
    first = Store(tmp_path)
    with first.locked():                                    # no index yet: parsed
        assert [s["config"]["name"] for s in first.summaries()] == [f"n{i}" for i in range(5)]
    assert not (tmp_path / "networks.index").exists()      # a hold that changed nothing
    with first.locked():
        first.summaries()
        first.save(first.load("n0"))                        # a change: the index is written
    assert (tmp_path / "networks.index").exists()
    loads: list[str] = []
    real = Store.load
    monkeypatch.setattr(Store, "load", lambda self, name: loads.append(name) or real(self, name))
    fresh = Store(tmp_path)
    assert [s["ifnames"] for s in fresh.summaries()] == [{f"/run/netns/x{i}": "eth0"} for i in range(5)]
    assert loads == []                                      # one file read, no record parsed
    rec = writer.load("n2")                                 # another process connects one more
    rec["endpoints"]["f"] = {**endpoint(9), "ifname": "eth1"}
    writer.save(rec, ["f"])
    loads.clear()
    stale = Store(tmp_path)
    with stale.locked():
        assert stale.summaries()[2]["ifnames"] == {"/run/netns/x2": "eth0", "/run/netns/x9": "eth1"}
        stale.save(stale.load("n4"))
    assert loads == ["n2", "n4"]                            # only the changed record (and n4)
    loads.clear()
    assert Store(tmp_path).summaries()[2]["ifnames"]["/run/netns/x9"] == "eth1" and loads == []


def test_a_missing_or_damaged_index_is_rebuilt(tmp_path: Path) -> None:
    writer = Store(tmp_path)
    for i in range(3):
        writer.save(record(f"n{i}", f"172.16.{i}.0/24"))
    index = tmp_path / "networks.index"
    for damage in ("missing", "{", '{"version": 1, "networks": {"n0": {"key": 1}}}', "[]"):
        if damage == "missing":
            index.unlink(missing_ok=True)
        else:
            index.write_text(damage)
        store = Store(tmp_path)
        with store.locked():
            assert [s["config"]["name"] for s in store.summaries()] == ["n0", "n1", "n2"]
            store.save(store.load("n0"))
        assert sorted(json.loads(index.read_text())["networks"]) == ["n0", "n1", "n2"], damage
    writer.delete("n1")                           # gone behind the index's back (no lock)
    store = Store(tmp_path)
    with store.locked():
        assert [s["config"]["name"] for s in store.summaries()] == ["n0", "n2"]
        store.save(store.load("n2"))
    assert sorted(json.loads(index.read_text())["networks"]) == ["n0", "n2"]
    with store.locked():
        store.delete("n0")
        store.delete("n2")
    assert not index.exists() and not list((tmp_path / "networks").iterdir())


def test_ipam_reads_the_earlier_file_and_appends_its_changes(tmp_path: Path) -> None:
    pools = network_config("n", subnet="172.16.5.0/24").pools
    (tmp_path / "ipam").mkdir()
    old = tmp_path / "ipam" / "n.json"
    atomic_write(old, {"network": "n", "allocations": {"172.16.5.2": "a"}, "last": {"0": "172.16.5.2"}})
    before = os.stat(old)
    ipam = IPAM("n", pools, tmp_path)
    assert ipam.allocate("b") == (ipaddress.ip_address("172.16.5.3"),)
    ipam.release("a")
    assert (os.stat(old).st_ino, os.stat(old).st_mtime_ns) == (before.st_ino, before.st_mtime_ns)
    assert [json.loads(x) for x in (tmp_path / "ipam" / "n.log").read_text().splitlines()] == \
        [["a", "172.16.5.3", "b"], ["l", "0", "172.16.5.3"], ["a", "172.16.5.2", None]]
    with open(tmp_path / "ipam" / "n.log", "a") as f:     # a kill mid-append
        f.write('["a","172.16.5.9","c')
    assert IPAM("n", pools, tmp_path).allocations() == {ipaddress.ip_address("172.16.5.3"): "b"}
    for i in range(100):                                  # connect, disconnect, ...
        ipam.allocate(f"x{i}")
        ipam.release(f"x{i}")
    assert len((tmp_path / "ipam" / "n.log").read_text().splitlines()) <= 65
    assert IPAM("n", pools, tmp_path).allocations() == {ipaddress.ip_address("172.16.5.3"): "b"}
    assert ipam.allocate("y") == (ipaddress.ip_address("172.16.5.104"),)    # the cursor kept
    ipam.release_many(["b", "y"])
    ipam.destroy(only_if_empty=True)
    assert list((tmp_path / "ipam").iterdir()) == []


# -- with the kernel ---------------------------------------------------------------------------
kernel = pytest.mark.kernel("netns", "veth", "bridge", "nft_nat")


@kernel
def test_a_network_of_the_earlier_layout_keeps_working(host: Host) -> None:
    a, b = host.container(), host.container()
    host.nets.create("n", subnet=SUBNET)
    ea = host.nets.connect("n", a)
    store = Store(host.state)
    old_layout(store, store.load("n"))            # as the previous version left it
    nets = Networks(host.ns, state_dir=host.state)
    try:
        assert [e.id for e in nets.get("n").endpoints] == [ea.id]
        eb = nets.connect("n", b)
        assert eb.ip != ea.ip
        nets.disconnect("n", a)
        assert [e.id for e in nets.get("n").endpoints] == [eb.id]
        assert "endpoints" not in json.loads(store.path("n").read_text())
        nets.remove("n", force=True)
    finally:
        nets.close()
    assert state_files(host.state) == []


@kernel
def test_a_kill_at_any_append_leaves_the_other_endpoints(host: Host, tmp_path: Path) -> None:
    host.nets.create("n", subnet=SUBNET)
    first = [host.container() for _ in range(3)]
    host.nets.connect_many("n", first)
    late = host.container()
    code = f"""
        from pynetlink.networks import Networks
        n = Networks({host.ns.path!r}, state_dir={str(host.state)!r})
        n.connect("n", {late.path!r}, publish=["8080:80"])
        n.disconnect("n", {late.path!r})
    """
    steps = faulty.steps(code, tmp_path / "steps")
    appends = [k for k, s in enumerate(steps, 1) if s.endswith("append networks/n.eps")]
    assert len(appends) >= 4, steps
    for k in appends:
        proc = faulty.run(code, fault=f"kill@{k}")
        assert proc.returncode == -9, proc.stderr
        nets = Networks(host.ns, state_dir=host.state)
        try:
            eps = {e.netns: e for e in nets.get("n").endpoints}
            assert all(eps[c.path].state == "connected" for c in first), (k, eps)
            ep = nets.connect("n", late, publish=["8080:80"])              # converges
            assert {e.netns for e in nets.get("n").endpoints} == {c.path for c in [*first, late]}
            nets.disconnect("n", late)
            pools = nets.get("n").config.pools
            assert ep.id not in IPAM("n", pools, host.state).allocations().values()
        finally:
            nets.close()
    assert {e.netns for e in host.nets.get("n").endpoints} == {c.path for c in first}
    host.nets.remove("n", force=True)
    assert state_files(host.state) == []


@kernel
def test_processes_connecting_at_once_all_land_in_the_record(host: Host, tmp_path: Path) -> None:
    host.nets.create("n", subnet=SUBNET)
    ctrs = [host.container() for _ in range(8)]

    def job(mine: list[Any]) -> Any:
        def run() -> list[str]:
            n = Networks(host.ns, state_dir=host.state)
            for c in mine:
                n.connect("n", c)
            n.disconnect("n", mine[0])
            n.connect("n", mine[0])
            n.close()
            return []
        return run
    outs = [tmp_path / f"out{i}" for i in range(4)]
    pids = [forked(job(ctrs[2 * i:2 * i + 2]), out) for i, out in enumerate(outs)]
    assert all(os.waitpid(p, 0)[1] == 0 for p in pids)
    net = Networks(host.ns, state_dir=host.state).get("n")
    assert sorted(e.netns for e in net.endpoints) == sorted(c.path for c in ctrs)
    ips = {e.ip for e in net.endpoints}
    assert len(ips) == 8
    held = IPAM("n", net.config.pools, host.state).allocations()
    assert {str(a): o for a, o in held.items()} == {e.ip: e.id for e in net.endpoints}
    assert all(ipaddress.ip_address(ip or "") in ipaddress.ip_network(SUBNET) for ip in ips)
    host.nets.remove("n", force=True)
    assert state_files(host.state) == []
