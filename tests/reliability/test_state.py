"""Where state lives and what a re-run finds: recorded IPAM directories, reservations that
a kill leaves, temporary files of atomic writes, re-running a completed connect."""
from __future__ import annotations

import ipaddress
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from pynetlink.networks import IPAM, Attach, Exists, Networks
from pynetlink.networks.ipam import atomic_write

from . import faulty
from .conftest import Host, state_files

pytestmark = pytest.mark.kernel("netns", "veth", "bridge", "nft_nat")


def test_the_recorded_ipam_dir_is_used(host: Host, tmp_path: Path) -> None:
    own = tmp_path / "own-ipam"
    Networks(host.ns, state_dir=host.state, ipam_dir=own).create("n", subnet="172.23.0.0/24")
    plain = Networks(host.ns, state_dir=host.state)        # no ipam_dir: the record's is used
    c = host.container()
    ep = plain.connect("n", c)
    pools = plain.get("n").config.pools
    assert IPAM("n", pools, own).allocations() == {ipaddress.ip_address(ep.ip or ""): ep.id}
    assert not (host.state / "ipam").exists()
    plain.remove("n", force=True)
    assert IPAM("n", pools, own).allocations() == {}
    assert state_files(host.state) == [] and list(own.rglob("*.json")) == []


def _connect_code(host: Host, container: str) -> str:
    return f"""
        from pynetlink.networks import Networks
        Networks({host.ns.path!r}, state_dir={str(host.state)!r}).connect("n", {container!r})
    """


def test_kill_between_reservation_and_record_leaks_nothing(host: Host, tmp_path: Path) -> None:
    host.nets.create("n", subnet="172.23.0.0/24")
    c = host.container()
    log = tmp_path / "steps"
    steps = faulty.steps(_connect_code(host, c.path), log)
    host.nets.disconnect("n", c)
    k = next(i for i, s in enumerate(steps, 1) if s.endswith(("write ipam/n.json", "append ipam/n.log")))
    proc = faulty.run(_connect_code(host, c.path), fault=f"kill@{k}")
    assert proc.returncode == -9, proc.stderr
    host.nets.remove("n", force=True)
    assert state_files(host.state) == []                   # the reservation went too
    host.nets.create("n", subnet="172.23.0.0/24")          # a new network of the same name
    assert host.nets.connect("n", c).ip == "172.23.0.2"    # inherits nothing
    host.nets.remove("n", force=True)


def test_temporary_files_of_killed_writers_are_cleaned(tmp_path: Path) -> None:
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True).stdout.strip()
    stale = tmp_path / f".r.json.{dead}.1.tmp"
    stale.write_text("{")                                  # what a SIGKILL mid-write leaves
    young = tmp_path / f".r.json.{dead}.2.tmp"              # maybe of another pid namespace
    young.write_text("{")
    os.utime(stale, (time.time() - 60, time.time() - 60))
    alive = tmp_path / f".r.json.{1}.1.tmp"                 # pid 1 lives: maybe writing now
    alive.write_text("{")
    atomic_write(tmp_path / "r.json", {"a": 1})
    assert json.loads((tmp_path / "r.json").read_text()) == {"a": 1}
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([alive.name, young.name, "r.json"])


def test_rerunning_a_completed_connect_many_reports_the_endpoints(host: Host) -> None:
    host.nets.create("n", subnet="172.23.0.0/24")
    a, b = host.container(), host.container()
    first = host.nets.connect_many("n", [a, Attach(b, ip="172.23.0.9", publish=["8080:80"])])
    again = host.nets.connect_many("n", [a, Attach(b, ip="172.23.0.9", publish=["8080:80"])])
    assert again == first
    c = host.container()
    # one new, two already there (an address and interface name not given are whatever the
    # endpoint has; ports are compared as given: none is not 8080:80)
    mixed = host.nets.connect_many("n", [c, Attach(b.path, publish=["8080:80"]), a])
    assert mixed[1:] == [first[1], first[0]] and mixed[0].ip == "172.23.0.3"
    with pytest.raises(Exists, match=r"already connected .* other options: ip 172.23.0.7"):
        host.nets.connect("n", b, ip="172.23.0.7")
    with pytest.raises(Exists, match="other options: publish 8081:80/tcp"):
        host.nets.connect("n", b, ip="172.23.0.9", publish=["8081:80"])
    with pytest.raises(Exists, match="other options: publish none"):
        host.nets.connect("n", b)
    with pytest.raises(Exists, match="other options: ifname eth1"):
        host.nets.connect("n", a, ifname="eth1")
    assert sorted(e.id for e in host.nets.get("n").endpoints) == sorted(e.id for e in mixed)
    host.nets.remove("n", force=True)
    assert state_files(host.state) == []


def test_a_name_clash_names_the_link_that_exists(host: Host) -> None:
    """A link in the way of a connect is named as it is (not 'pass another ifname', which
    would not help), and nothing is changed."""
    from pynetlink import Bridge, Handle
    from pynetlink.networks import names
    net = host.nets.create("n", subnet="172.23.0.0/24")
    c = host.container()
    squatter = names.host_veth(names.endpoint_id(net.id, c.path))
    with Handle(host.ns) as h:
        h.links.create(Bridge(squatter))
    with pytest.raises(FileExistsError) as info:
        host.nets.connect("n", c)
    notes = " ".join(getattr(info.value, "__notes__", []))
    assert f"{squatter} exists already in namespace {host.ns.name}" in notes
    assert "pass another ifname" not in notes
    assert host.nets.get("n").endpoints == ()
    with Handle(host.ns) as h:
        h.links.delete(squatter)
    assert host.nets.connect("n", c).ip == "172.23.0.2"
    host.nets.remove("n", force=True)


def test_rerunning_a_spread_connect_many_converges(host: Host, monkeypatch: pytest.MonkeyPatch) -> None:
    """Containers connected by an earlier (completed or killed) spread call stay where they
    are; only the others are placed."""
    from pynetlink.networks import attach
    monkeypatch.setattr(attach, "BRIDGE_MAX_PORTS", 3)
    host.nets.create("a", subnet="172.21.0.0/24")
    host.nets.create("b", subnet="172.22.0.0/24")
    ctrs = [host.container() for _ in range(5)]
    first = host.nets.connect_many("a", ctrs[:4], spread=["b"])
    assert host.nets.connect_many("a", ctrs[:4], spread=["b"]) == first
    again = host.nets.connect_many("a", ctrs, spread=["b"])        # one more: on b
    assert again[:4] == first and again[4].ip == "172.22.0.3"
    assert sum(len(host.nets.get(n).endpoints) for n in "ab") == 5
    for n in "ab":
        host.nets.remove(n, force=True)
    assert state_files(host.state) == []


def test_a_failed_write_leaves_no_temporary_file(tmp_path: Path) -> None:
    with pytest.raises(TypeError):
        atomic_write(tmp_path / "r.json", {"a": object()})      # not JSON: fails mid-write
    assert list(tmp_path.iterdir()) == []
