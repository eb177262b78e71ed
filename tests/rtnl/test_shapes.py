"""Requests filled into a cached program (``rtnl.message.Shapes``, ``links.set(name, up=)``)
encode to the very bytes the message builder makes for them (no kernel needed)."""
from __future__ import annotations

import pytest

from pynetlink._native import lib
from pynetlink.codec.program import encode
from pynetlink.rtnl import addresses, links, routes
from pynetlink.rtnl.addresses import Address
from pynetlink.rtnl.message import Filled, Shapes
from pynetlink.rtnl.routes import Route

def INDEX(ref: object) -> int:
    return ref if isinstance(ref, int) else {"eth0": 7, "lo": 1}[ref]  # type: ignore[index]


def _bytes(msg: object) -> bytes:
    return encode([msg.item()], 1).tobytes()  # type: ignore[attr-defined]


ADDRESSES = [Address("eth0", "172.17.0.2/16"), Address("eth0", "10.1.2.3/8", peer="10.9.9.9"),
             Address("eth0", "2001:db8::5/64"), Address(7, "198.51.100.4/24"),
             Address("eth0", "172.17.0.3/16", label="eth0:1"), Address("eth0", "2001:db8::6/64", flags=("nodad",)),
             Address("eth0", "172.17.0.4/16", valid_lft=60, preferred_lft=30), Address("eth0", "172.17.0.5/16", scope="link"),
             Address("eth0", "172.17.0.6/16", broadcast=True)]
ROUTES = [Route("default", via="172.17.0.1"), Route("default", via="2001:db8::1"),
          Route("203.0.113.0/24", via="198.51.100.2", table=100), Route("203.0.113.7/32", via="198.51.100.2", table=1000),
          Route("203.0.113.0/24", type="blackhole"), Route("203.0.113.0/24", type="local", dev="eth0"),
          Route("203.0.113.0/24", dev="eth0"), Route("10.0.0.0/8", via="198.51.100.2", metric=5, protocol="static"),
          Route("198.51.100.0/24", type="unreachable", table="local"), Route("default", via="172.17.0.1", onlink=True)]


@pytest.mark.parametrize("replace", [False, True])
def test_addresses_filled_as_built(replace: bool) -> None:
    base = lib.NLM_F_REQUEST | lib.NLM_F_ACK | lib.NLM_F_CREATE
    flags = base | (lib.NLM_F_REPLACE if replace else lib.NLM_F_EXCL)
    op = "replace address" if replace else "add address"
    seen_filled = False
    for a in ADDRESSES * 2:                         # the second round takes the cached programs
        fast = addresses.add(a, replace=replace).build(INDEX)[0]
        seen_filled = seen_filled or isinstance(fast, Filled)
        assert _bytes(fast) == _bytes(addresses._msg(a, op, lib.RTM_NEWADDR, flags, INDEX, True)), a
    assert seen_filled


@pytest.mark.parametrize("how", ["add", "replace", "append"])
def test_routes_filled_as_built(how: str) -> None:
    seen_filled = False
    for r in ROUTES * 2:
        fast = routes.add(r, how=how).build(INDEX)[0]
        seen_filled = seen_filled or isinstance(fast, Filled)
        op, flags = routes._HOW[how]
        assert _bytes(fast) == _bytes(routes._msg(r, op, lib.RTM_NEWROUTE, flags, INDEX)), r
    assert seen_filled


def test_link_state_filled_as_built() -> None:
    for link, up in (("eth0", True), ("lo", False), (7, True), ("eth0", None)):
        fast = links.set_attrs(link, up=up).build(INDEX)[0]
        slow = links._target(links.Msg("set link", links.NEW, links.ACK), "Link", link, INDEX, up)
        assert isinstance(fast, Filled) and _bytes(fast) == _bytes(slow)


def test_a_shape_whose_values_disagree_is_never_cached() -> None:
    shapes = Shapes()
    built = links._target(links.Msg("set link", links.NEW, links.ACK), "Link", "eth0", INDEX, True)
    wrong = [0, 0, 0, 0, 0, b"eth0"]                # the flags left out: not what the builder says
    for _ in range(2):
        m = shapes.msg("k", wrong, lambda: built)
        assert m is built
    right = list(built.item()[1])
    shapes.msg("k", right, lambda: built)
    assert isinstance(shapes.msg("k", right, lambda: built), Filled)
