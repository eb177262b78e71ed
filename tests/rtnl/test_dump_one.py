"""``run_one`` of a dump (``request._dump_one``: no phases, no outcomes) gives what ``run``
gives for the same request: the same views, the same errors, with the namespace in the label;
a dump request of several messages still goes through ``run``. Against the kernel, in the
test's own namespace."""
from __future__ import annotations

import errno
from typing import Any

import pytest

from pynetlink import Handle, NetlinkError
from pynetlink.rtnl import addresses, links, request, routes

pytestmark = pytest.mark.root

ROUTE = ("family", "dst", "table", "protocol", "scope", "type", "via", "dev")
ADDR = ("family", "prefixlen", "scope", "link", "address", "label")


def _fields(views: list[Any], names: tuple[str, ...]) -> list[tuple[Any, ...]]:
    return sorted(tuple(getattr(v, n) for n in names) for v in views)


@pytest.mark.kernel("veth")
def test_a_dump_reads_as_run_reads_it(wired: Handle) -> None:
    sock = wired._sock
    for req, names in ((lambda: routes.dump(table=None, family="ipv4"), ROUTE),
                       (lambda: addresses.dump(family="ipv4"), ADDR)):
        fast = request.run_one(sock, req())
        slow = request.run(sock, [req()])[0].result()
        assert fast and _fields(fast, names) == _fields(slow, names)
    assert "198.51.100.1" in [a.address for a in request.run_one(sock, addresses.dump(family="ipv4"))]
    assert [x.name for x in request.run_one(sock, links.dump())] == \
        [x.name for x in request.run(sock, [links.dump()])[0].result()]


def test_two_messages_go_through_run(h: Handle) -> None:
    one = addresses.dump(family="ipv4")
    both = request.Request("dump addresses", "twice", lambda r: one.build(r) + one.build(r),
                           parse=lambda rows, msgs: len(msgs), dump=True)
    assert request.run_one(h._sock, both) == request.run(h._sock, [both])[0].result()


def test_a_dump_error_names_the_operation(h: Handle) -> None:
    h.close()
    with pytest.raises(NetlinkError) as info:
        request.run_one(h._sock, routes.dump())
    assert info.value.errno == errno.EBADF and "dump routes" in str(info.value)
