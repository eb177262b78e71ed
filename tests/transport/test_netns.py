"""Named namespaces: made by pynetlink, seen by `ip netns`, and the reverse."""
from __future__ import annotations

import os
import subprocess

import pytest

from pynetlink.codec.specs.rtnl import LINK, RTNL
from pynetlink.errors import InvalidArgument
from pynetlink.transport import NetlinkSocket, NetNS

from ..conftest import unique_name
from .programs import DUMP_LINKS, IFINFO

pytestmark = pytest.mark.root


def ip(*args: str) -> str:
    return subprocess.run(["ip", *args], check=True, capture_output=True, text=True).stdout


def test_created_namespace_is_seen_and_usable_by_ip(netns: NetNS) -> None:
    assert netns.name in ip("netns", "list").split()
    assert "lo" in ip("-n", netns.name, "-o", "link", "show")
    assert netns.name in NetNS.list()


def test_namespace_made_by_ip_is_seen_by_pynetlink() -> None:
    name = unique_name("ipmade")
    subprocess.run(["ip", "netns", "add", name], check=True)
    try:
        assert name in NetNS.list()
        ns = NetNS.open(name)
        # a link made by ip inside it is what a socket opened inside it sees
        subprocess.run(["ip", "-n", name, "link", "add", "made0", "type", "bridge"], check=True)
        with NetlinkSocket(0, RTNL, ns) as s:
            reply = s.dump(DUMP_LINKS, IFINFO)
            names = {reply.rows.get_str(m, LINK["ifname"]) for m in reply.results[0].messages}
        assert names == {"lo", "made0"}
    finally:
        subprocess.run(["ip", "netns", "del", name], check=True)
    assert name not in NetNS.list()


def test_delete_removes_it_for_ip_too(make_netns) -> None:  # type: ignore[no-untyped-def]
    ns = make_netns()
    ns.delete()
    assert ns.name not in ip("netns", "list").split()
    with pytest.raises(FileNotFoundError):
        ns.delete()


def test_delete_touches_only_its_own_file(tmp_path, netns: NetNS) -> None:  # type: ignore[no-untyped-def]
    """delete() removes /run/netns/NAME of a valid NAME only: a NetNS built with another
    path, or a name that climbs out, is refused; a symlink in /run/netns is not followed."""
    victim = tmp_path / "victim"
    victim.write_text("keep")
    for path, name in ((str(victim), "victim"), (f"/run/netns/../..{victim}", f"../..{victim}"),
                       (f"/run/netns/{netns.name}", "other")):
        with pytest.raises(InvalidArgument):
            NetNS(path, name).delete()
    link = NetNS.named(unique_name("lnk"))
    os.symlink(netns.path, link.path)
    try:
        link.delete()                   # the symlink goes; the namespace it points at stays
        assert not os.path.lexists(link.path)
    finally:
        if os.path.lexists(link.path):
            os.unlink(link.path)
    assert victim.read_text() == "keep"
    assert netns.name in ip("netns", "list").split()
    assert "lo" in ip("-n", netns.name, "-o", "link", "show")


def test_create_twice_is_file_exists(netns: NetNS) -> None:
    with pytest.raises(FileExistsError):
        NetNS.create(netns.name)


def test_namespaces_are_distinct_and_caller_stays_put(make_netns) -> None:  # type: ignore[no-untyped-def]
    before = os.stat("/proc/thread-self/ns/net").st_ino
    a, b = make_netns("a"), make_netns("b")
    assert a.inode() != b.inode()
    assert os.stat("/proc/thread-self/ns/net").st_ino == before
    inside = a.run(lambda: os.stat("/proc/thread-self/ns/net").st_ino)
    assert inside == a.inode() != before
    assert os.stat("/proc/thread-self/ns/net").st_ino == before


@pytest.mark.parametrize("bad", ["", ".", "..", "../etc", "a/b", "x" * 256, "-lead", "sp ace", "nul\0"])
def test_bad_names_are_refused_before_anything_happens(bad: str) -> None:
    before = set(NetNS.list())
    with pytest.raises(InvalidArgument):
        NetNS.create(bad)
    made = set(NetNS.list()) - before        # other processes may add theirs meanwhile
    assert bad not in made and os.path.basename(bad) not in made


def test_open_by_name_path_pid_and_fd(netns: NetNS) -> None:
    assert NetNS.open(netns.name) == netns
    assert NetNS.open(netns.path) == netns
    assert NetNS.open(os.getpid()) == NetNS.current()
    fd = os.open(netns.path, os.O_RDONLY)
    try:
        assert NetNS.from_fd(fd) == netns
    finally:
        os.close(fd)
    with pytest.raises(FileNotFoundError):
        NetNS.open(unique_name("missing"))


def test_sysctl_is_per_namespace(make_netns) -> None:  # type: ignore[no-untyped-def]
    a, b = make_netns("a"), make_netns("b")
    root_before = open("/proc/sys/net/ipv4/ip_forward").read().strip()
    a.set_sysctl("net.ipv4.ip_forward", 1)
    assert a.sysctl("net.ipv4.ip_forward") == "1"
    assert b.sysctl("net.ipv4.ip_forward") == "0"
    assert open("/proc/sys/net/ipv4/ip_forward").read().strip() == root_before
    # the oracle agrees
    out = subprocess.run(["ip", "netns", "exec", a.name, "cat", "/proc/sys/net/ipv4/ip_forward"],
                         check=True, capture_output=True, text=True).stdout.strip()
    assert out == "1"


@pytest.mark.parametrize("bad", ["kernel.hostname", "net.ipv4/../../x", "net..ipv4", "net.ipv4.ip_forward;rm"])
def test_bad_sysctl_keys_are_refused(netns: NetNS, bad: str) -> None:
    with pytest.raises(InvalidArgument):
        netns.set_sysctl(bad, 1)


def test_create_many_all_or_nothing() -> None:
    names = [unique_name("many") for _ in range(5)]
    spaces = NetNS.create_many(names)
    try:
        assert set(names) <= set(ip("netns", "list").split())
        assert len({ns.inode() for ns in spaces}) == 5
        # one name already exists: the ones made before it are removed again
        fresh = [unique_name("many"), unique_name("many"), names[2]]
        with pytest.raises(FileExistsError):
            NetNS.create_many(fresh)
        assert not NetNS.exists(fresh[0]) and not NetNS.exists(fresh[1])
        with pytest.raises(InvalidArgument):
            NetNS.create_many([fresh[0], fresh[0]])
        assert not NetNS.exists(fresh[0])
    finally:
        for ns in spaces:
            ns.delete()
