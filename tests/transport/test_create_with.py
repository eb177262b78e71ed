"""Namespaces made together with what lives inside them: ``NetNS.create_many_with`` (transport)
and ``NetNS.create_with_handles`` (api): one helper thread, all or nothing, on the real kernel."""
from __future__ import annotations

import gc
import os
import subprocess
import threading

import pytest

from pynetlink import Handle, NetNS, Veth
from pynetlink.errors import InvalidArgument
from pynetlink.transport import NetNS as TNetNS
from pynetlink.transport.socket import open_raw

from ..conftest import unique_name
from ..reliability import faulty

pytestmark = pytest.mark.root


def ip(*args: str) -> str:
    return subprocess.run(["ip", *args], check=True, capture_output=True, text=True).stdout


def _fds() -> set[str]:
    return set(os.listdir("/proc/self/fd"))


def _netns_inode_of_thread() -> int:
    return os.stat("/proc/thread-self/ns/net").st_ino


def test_inside_runs_in_each_new_namespace_on_one_thread() -> None:
    names = [unique_name("cw") for _ in range(3)]
    seen: list[tuple[int, int]] = []

    def inside(ns: TNetNS) -> int:
        seen.append((threading.get_ident(), _netns_inode_of_thread()))
        return len(seen)

    pairs = TNetNS.create_many_with(names, inside, lambda _: None)
    try:
        assert [ns.name for ns, _ in pairs] == names
        assert [v for _, v in pairs] == [1, 2, 3]
        # each call ran inside the namespace just made, all on one thread, not the caller's
        assert [ino for _, ino in seen] == [ns.inode() for ns, _ in pairs]
        assert len({t for t, _ in seen}) == 1 and seen[0][0] != threading.get_ident()
        assert _netns_inode_of_thread() not in {ino for _, ino in seen}
    finally:
        for ns, _ in pairs:
            ns.delete()


def test_inside_failing_discards_what_was_made_and_removes_the_namespaces() -> None:
    names = [unique_name("cw") for _ in range(3)]
    discarded: list[int] = []

    def inside(ns: TNetNS) -> int:
        if ns.name == names[2]:
            raise OSError(5, "inside failed")
        return names.index(ns.name or "")

    with pytest.raises(OSError, match="inside failed"):
        TNetNS.create_many_with(names, inside, discarded.append)
    assert discarded == [0, 1]
    assert not any(TNetNS.exists(n) for n in names)
    assert not set(names) & set(ip("netns", "list").split())


def test_handles_are_opened_inside_their_namespaces() -> None:
    names = [unique_name("cwh") for _ in range(3)]
    made = NetNS.create_with_handles(names, timeout=5)
    try:
        assert [ns.name for ns, _ in made] == names
        for i, (ns, h) in enumerate(made):
            assert isinstance(ns, NetNS) and isinstance(h, Handle) and h.netns is ns
            h.links.create(Veth(f"cw{i}a", peer=f"cw{i}b"), up=True)
            h.addresses.add(f"cw{i}a", f"198.51.100.{i + 1}/24")
        for i, name in enumerate(names):
            # ip, in that namespace, sees exactly what that Handle made there
            links = ip("-n", name, "-o", "link", "show")
            assert f"cw{i}a@cw{i}b" in links and f"cw{(i + 1) % 3}a" not in links
            assert f"198.51.100.{i + 1}/24" in ip("-n", name, "-4", "-o", "addr", "show", "dev", f"cw{i}a")
        # and each Handle reads back its own namespace only
        assert {v.name for v in made[1][1].links.dump()} == {"lo", "cw1a", "cw1b"}
    finally:
        for ns, h in made:
            h.close()
            ns.delete()


def test_a_name_that_exists_rolls_back_sockets_and_namespaces() -> None:
    taken = NetNS.create(unique_name("cwh"))
    fresh = [unique_name("cwh"), unique_name("cwh")]
    gc.collect()                                # no earlier test's socket closed by a collection meanwhile
    before = _fds()
    try:
        with pytest.raises(FileExistsError):
            NetNS.create_with_handles([*fresh, taken.name or ""])
        assert not any(NetNS.exists(n) for n in fresh)
        assert not _fds() - before              # the two sockets opened were closed
        assert NetNS.exists(taken.name or "")   # the existing one is untouched
    finally:
        taken.delete()


@pytest.mark.parametrize("bad", [0, -1, float("nan"), "5", True])
def test_bad_timeout_is_refused_before_anything_is_made(bad: object) -> None:
    name = unique_name("cwh")
    with pytest.raises(InvalidArgument, match="timeout"):
        NetNS.create_with_handles([name], timeout=bad)  # type: ignore[arg-type]
    assert not NetNS.exists(name)


def test_bad_names_are_refused_before_anything_is_made() -> None:
    ok = unique_name("cwh")
    with pytest.raises(InvalidArgument, match="namespace name"):
        NetNS.create_with_handles([ok, "../etc"])
    with pytest.raises(InvalidArgument, match="twice"):
        NetNS.create_with_handles([ok, ok])
    assert not NetNS.exists(ok)


def test_open_raw_is_a_bound_netlink_socket_of_this_namespace() -> None:
    s = open_raw(0)
    try:
        assert s.getsockname()[0] > 0            # bound: the kernel gave it a port id
    finally:
        s.close()


@pytest.mark.parametrize("k", [1, 2])
def test_ctrl_c_during_create_with_handles_leaves_no_namespace_and_no_socket(k: int) -> None:
    prefix = unique_name("cwi") + "-"
    code = f"""
        import os, time
        from pynetlink import NetNS
        before = set(os.listdir("/proc/self/fd"))
        try:
            NetNS.create_with_handles([{prefix!r} + str(i) for i in range(20)])
        except KeyboardInterrupt:
            time.sleep(0.2)
            print("interrupted", set(os.listdir("/proc/self/fd")) == before)
    """
    try:
        proc = faulty.run(code, fault=f"int@{k}")
        assert proc.stdout == "interrupted True\n", proc.stderr
        assert [n for n in NetNS.list() if n.startswith(prefix)] == []
    finally:
        for n in NetNS.list():
            if n.startswith(prefix):
                NetNS.named(n).delete()
