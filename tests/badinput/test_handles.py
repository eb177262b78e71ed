"""Handles at their edges: closed, namespace deleted, odd timeouts; NetNS identity."""
from __future__ import annotations

import errno
import os
from typing import Any

import pytest

from pynetlink import Bridge, Handle, NetlinkError, NetNS
from pynetlink.nft import Nftables

from ..conftest import unique_name

pytestmark = pytest.mark.root


def test_closed_handle_says_so(netns: Any) -> None:
    h = Handle(netns)
    h.close()
    h.close()                                   # idempotent
    with pytest.raises(NetlinkError) as info:
        h.links.dump()
    assert info.value.errno == errno.EBADF
    assert "closed" in str(info.value) and "dump links" in str(info.value)


def test_handle_of_a_deleted_namespace_refuses(make_netns: Any) -> None:
    ns = make_netns()
    h = Handle(ns)
    h.links.create(Bridge("br0"))
    ns.delete()
    with pytest.raises(NetlinkError) as info:
        h.links.create(Bridge("br1"))
    assert info.value.errno == errno.ENOENT
    assert ns.name in str(info.value) and "deleted" in str(info.value)
    again = NetNS.create(ns.name)               # the same name, another namespace
    try:
        with pytest.raises(NetlinkError, match="deleted .or replaced."):
            h.links.dump()
        with pytest.raises(NetlinkError, match="deleted .or replaced."):
            h.routes.dump(table=None)          # (a dump encoded once per socket: checked alike)
        with Handle(again) as fresh:
            assert [link.name for link in fresh.links.dump()] == ["lo"]
    finally:
        h.close()
        again.delete()


def test_handle_made_with_its_namespace_refuses_alike() -> None:
    """A Handle whose socket was made in C with its namespace (create_with_handles) dumps,
    and refuses once the name is deleted and taken by another namespace."""
    (ns, h), = NetNS.create_with_handles([unique_name("hw")])
    again = None
    try:
        assert [r.dst for r in h.routes.dump(table=None)] == []     # (a prepared dump)
        assert [link.name for link in h.links.dump()] == ["lo"]
        ns.delete()
        again = NetNS.create(ns.name)
        with pytest.raises(NetlinkError, match="deleted .or replaced."):
            h.routes.dump(table=None)
        with pytest.raises(NetlinkError, match="deleted .or replaced."):
            h.links.dump()
    finally:
        h.close()
        (again or ns).delete()


def test_nftables_of_a_deleted_namespace_refuses(make_netns: Any) -> None:
    ns = make_netns()
    nft = Nftables(ns)
    ns.delete()
    with pytest.raises(NetlinkError, match="deleted"):
        nft.ruleset()
    nft.close()


@pytest.mark.parametrize("timeout", [0.001, 0.005])
def test_a_few_milliseconds_is_a_real_limit(netns: Any, timeout: float) -> None:
    """A timeout of a few ms is kept (rounded up to whole ms, never turned into 0 or the
    default): the socket says so, and a quick kernel answers within it."""
    with Handle(netns, timeout=timeout) as h:
        assert h._sock.timeout == timeout
        assert [link.name for link in h.links.dump()] == ["lo"]


def test_netns_equality_and_hashing_agree(make_netns: Any) -> None:
    a = make_netns()
    fd = os.open(a.path, os.O_RDONLY)
    try:
        same = [a, NetNS.open(a.name), NetNS.open(a.path), NetNS.from_fd(fd)]
        assert len(set(same)) == 1
        assert {x: 1 for x in same} == {a: 1}
        other = make_netns()
        assert len({a, other, NetNS.open(other.name)}) == 2
        missing = NetNS.named(unique_name("never"))
        assert missing == NetNS.named(missing.name) and hash(missing) == hash(NetNS.named(missing.name))
        assert missing != a
    finally:
        os.close(fd)
