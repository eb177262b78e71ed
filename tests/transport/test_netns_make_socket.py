"""``NetNS.create_with_handles``'s one C call per namespace (``pnl_netns_make_socket``): the
namespace, its mount, and a socket inside it as ``open_raw`` makes one; failures undo it all."""
from __future__ import annotations

import errno
import fcntl
import os
import socket

import pytest

from pynetlink import NetNS
from pynetlink.transport import NetNS as TNetNS
from pynetlink.transport.socket import SOL_NETLINK, close_made, made_with_socket

from ..conftest import unique_name

pytestmark = pytest.mark.root

NETLINK_EXT_ACK, NETLINK_CAP_ACK, NETLINK_GET_STRICT_CHK = 11, 10, 12
SIOCGSKNS = 0x894C          # <linux/sockios.h>: an fd of the socket's network namespace


def _nsfs_dev() -> int:
    return os.stat("/proc/self/ns/net").st_dev


def test_each_socket_is_bound_inside_its_namespace_with_open_raws_options() -> None:
    names = [unique_name("cms") for _ in range(2)]
    made = NetNS.create_with_handles(names)
    try:
        for ns, h in made:
            st = os.stat(ns.path)
            assert st.st_dev == _nsfs_dev()                 # a mounted namespace
            s = h._sock._sock
            nsfd = fcntl.ioctl(s.fileno(), SIOCGSKNS)       # the socket lives in that namespace
            try:
                assert os.fstat(nsfd).st_ino == st.st_ino
            finally:
                os.close(nsfd)
            assert s.getsockname()[0] > 0                   # bound: the kernel gave it a port id
            assert [s.getsockopt(SOL_NETLINK, o) for o in
                    (NETLINK_EXT_ACK, NETLINK_CAP_ACK, NETLINK_GET_STRICT_CHK)] == [1, 1, 1]
            assert s.getsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF) >= 4 << 20
            assert h._sock._sndbuf == s.getsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF) >= 1 << 20
            assert fcntl.fcntl(s.fileno(), fcntl.F_GETFD) & fcntl.FD_CLOEXEC
            assert h._sock._named == (st.st_dev, st.st_ino)
            assert 1 <= h._sock._seq < 1 << 30
            assert [v.name for v in h.links.dump()] == ["lo"]
    finally:
        for ns, h in made:
            h.close()
            ns.delete()


def test_an_empty_file_left_at_the_mount_point_is_taken_over() -> None:
    name = unique_name("cms")
    path = f"/run/netns/{name}"
    os.makedirs("/run/netns", exist_ok=True)
    os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_RDONLY, 0))   # as a process killed before its mount
    try:
        [(ns, h)] = NetNS.create_with_handles([name])
        h.close()
        assert os.stat(path).st_dev == _nsfs_dev()
    finally:
        NetNS.named(name).delete()


def test_a_failing_socket_removes_its_namespace_and_those_made_before() -> None:
    names = [unique_name("cms") for _ in range(2)]
    before = set(os.listdir("/proc/self/fd"))
    with pytest.raises(OSError, match="netlink socket") as exc:
        TNetNS._create_many_by(names, made_with_socket(40), close_made)    # no netlink protocol 40
    assert exc.value.errno == errno.EPROTONOSUPPORT
    assert not any(TNetNS.exists(n) for n in names)
    assert not set(os.listdir("/proc/self/fd")) - before


def test_a_mounted_namespace_is_not_taken_over() -> None:
    taken = NetNS.create(unique_name("cms"))
    fresh = unique_name("cms")
    try:
        with pytest.raises(FileExistsError) as exc:
            NetNS.create_with_handles([fresh, taken.name or ""])
        assert exc.value.filename == taken.name
        assert not NetNS.exists(fresh)
        assert os.stat(taken.path).st_dev == _nsfs_dev()    # untouched
    finally:
        taken.delete()
