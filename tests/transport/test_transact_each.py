"""``transact_each``: one encoded batch spread over sockets in different namespaces, sent in
one C call (``pnl_xfer_each``), on the real kernel: each request goes to its own socket, one
Result per request in order, a refused request does not stop the other sockets' requests."""
from __future__ import annotations

import errno
import subprocess
from typing import Any

import pytest

from pynetlink import NetNS
from pynetlink._native import Transfer
from pynetlink.errors import NetlinkError
from pynetlink.rtnl import links as rtlink
from pynetlink.transport.socket import transact_each

from ..conftest import unique_name

pytestmark = pytest.mark.root


def _up(name: str, index: int) -> Any:
    """The (program, values) of "set link ``name`` up", its link resolved to ``index``."""
    return rtlink.set_attrs(name, up=True).build(lambda _: index)[0].item()


def _lo_up(ns: NetNS) -> bool:
    out = subprocess.run(["ip", "-n", ns.name or "", "-o", "link", "show", "lo"], check=True,
                         capture_output=True, text=True).stdout
    return "<LOOPBACK,UP" in out


@pytest.fixture
def three() -> Any:
    made = NetNS.create_with_handles([unique_name("txe") for _ in range(3)])
    yield made
    for ns, h in made:
        h.close()
        ns.delete()


def test_each_sockets_requests_reach_its_own_namespace(three: Any) -> None:
    socks = [h._sock for _, h in three]
    # lo up in the first and the third namespace only; the second gets a link it lacks (999)
    items = [_up("lo", 1), _up("nosuch", 999), _up("lo", 1)]
    reply = transact_each(socks, items, [0, 1, 2, 3],
                          labels=lambda i: ("set link", f"#{i}"))
    errors = [r.error for r in reply.results]
    assert errors[0] is None and errors[2] is None
    assert isinstance(errors[1], NetlinkError) and errors[1].errno == errno.ENODEV
    assert errors[1].target == "#1"
    assert [_lo_up(ns) for ns, _ in three] == [True, False, True]
    with pytest.raises(NetlinkError) as exc:
        reply.check()
    assert exc.value.errno == errno.ENODEV


def test_a_socket_may_carry_none_or_several_requests_and_the_area_grows(
        three: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    import pynetlink._native as native
    grown: list[int] = []
    real = native._area
    monkeypatch.setattr(native, "_area", lambda old, cap: grown.append(cap) or real(old, cap))
    socks = [h._sock for _, h in three]
    # room for one receive of 64 KiB (the least pnl_xfer asks) and 16 bytes: once the first
    # error reply is kept the area must grow, and the call goes on where it stopped
    socks[0]._area = Transfer(65536 + 16)
    grown.clear()
    items = [_up("nosuch", 999), _up("lo", 1), _up("lo", 1), _up("nosuch", 999), _up("lo", 1)]
    reply = transact_each(socks, items, [0, 3, 3, 5])
    assert [r.error is None for r in reply.results] == [False, True, True, False, True]
    assert [r.error.errno for r in reply.results if r.error is not None] == [errno.ENODEV] * 2
    assert [_lo_up(ns) for ns, _ in three] == [True, False, True]
    assert grown[0] == 2 * (65536 + 16)        # grown during the call
    assert socks[0]._area.cap == 65536 + 16    # and back to its size after it


def test_a_closed_socket_is_refused_before_anything_is_sent(three: Any) -> None:
    socks = [h._sock for _, h in three]
    socks[2].close()
    with pytest.raises(NetlinkError) as exc:
        transact_each(socks, [_up("lo", 1)] * 3, [0, 1, 2, 3], labels=lambda i: ("set link", f"lo #{i}"))
    assert exc.value.errno == errno.EBADF and exc.value.target == "lo #2"
    assert not any(_lo_up(ns) for ns, _ in three)
    assert all(not s._lock.locked() for s in socks)    # every lock taken was released


def test_boundaries_that_do_not_fit_the_sockets_are_refused(three: Any) -> None:
    socks = [h._sock for _, h in three]
    for first in ([0, 1, 3], [0, 1, 2, 3, 3], [1, 1, 2, 3], [0, 2, 1, 3], [0, 1, 2, 2]):
        with pytest.raises((ValueError, NetlinkError, OSError)):
            transact_each(socks, [_up("lo", 1)] * 3, first)
    assert not any(_lo_up(ns) for ns, _ in three)
    assert all(not s._lock.locked() for s in socks)


def test_the_batch_numbers_follow_every_sockets_own_and_move_them_on(three: Any) -> None:
    """A late reply to a socket's earlier request can never match the batch's: its sequence
    numbers start past every socket's counter, and every counter moves past them."""
    socks = [h._sock for _, h in three]
    socks[1]._seq = 5000                        # (as if it had sent 5,000 requests before)
    before = max(s._seq for s in socks)
    reply = transact_each(socks, [_up("lo", 1)] * 3, [0, 1, 2, 3])
    assert all(r.error is None for r in reply.results)
    assert [s._seq for s in socks] == [before + 3] * 3
    assert [_lo_up(ns) for ns, _ in three] == [True] * 3
    # the sockets in the other order (locked in one order whatever the caller's): the same
    reply = transact_each(socks[::-1], [_up("lo", 1)] * 3, [0, 1, 2, 3])
    assert all(r.error is None for r in reply.results)
    assert [s._seq for s in socks] == [before + 6] * 3
