"""Dump views (one columns.table per reply, text made per column in one C call) read exactly
what views made alone read from the rows: every field of every link, address and route of
the real replies, of mutated ones and of random attributes behind real headers (the same
value, or DecodeError on both sides).

Runs under ASan too (tools/asan-tests).
"""
from __future__ import annotations

from typing import Any, Callable

import pytest
from hypothesis import given, settings

from pynetlink._native import lib
from pynetlink.codec import Family
from pynetlink.codec.rows import Rows, decode
from pynetlink.codec.specs.rtnl import RTNL
from pynetlink.errors import DecodeError
from pynetlink.rtnl import addresses, links, routes
from pynetlink.rtnl.kinds import view_of
from pynetlink.rtnl.view import plain

from ._strategies import examples
from .test_fuzz import CORPUS, SETTINGS, mutated
from .test_fuzz_views import attrs_behind_real_headers

# message type: (the dump's parse, the view of one message made alone)
DUMPS: dict[int, tuple[Any, Callable[[Rows, int], Any]]] = {
    lib.RTM_NEWLINK: (links.views_of, view_of),
    lib.RTM_NEWADDR: (addresses.dump().parse, addresses.AddressView),
    lib.RTM_NEWROUTE: (routes.dump(table=None).parse, routes.RouteView),
}


def fields(v: Any) -> list[str]:
    """Every public field, and the derived ones the table feeds."""
    return [*v.fields(), *(x for x in ("up", "cidr") if hasattr(type(v), x))]


def read(v: Any, name: str) -> Any:
    try:
        return plain(getattr(v, name))       # nested views (port, nexthops) as plain values
    except DecodeError:
        return DecodeError


def compare(data: bytes, fam: Family) -> int:
    """Compare both ways of reading every message a dump would make views of; how many."""
    if fam is not RTNL:
        return 0
    try:
        rows = decode(data, fam)
    except DecodeError:
        return 0
    n = 0
    for msg_type, (parse, alone) in DUMPS.items():
        msgs = [m for m in rows.messages() if rows.type(m) == msg_type]
        if not msgs:
            continue
        dumped = parse(rows, msgs)
        if msg_type == lib.RTM_NEWADDR or msg_type == lib.RTM_NEWROUTE:
            assert len(dumped) == len(msgs)      # the route dump of table None filters nothing
        for m, v in zip(msgs, dumped):
            one = alone(rows, m)
            assert type(v) is type(one) or type(v).__base__ is type(one)    # routes, addresses: compact
            for name in fields(one):
                assert read(v, name) == read(one, name), (name, m)
            n += 1
    return n


@pytest.mark.skipif(not CORPUS, reason="no test vectors")
def test_real_replies_read_alike() -> None:
    assert sum(compare(data, fam) for data, fam in CORPUS) > 20


@pytest.mark.skipif(not CORPUS, reason="no test vectors")
def test_one_dump_of_every_kind_reads_from_its_table() -> None:
    """The dump path really is the table path (not the rows fallback)."""
    data = next((d for d, f in CORPUS if f is RTNL and any(
        decode(d, f).type(m) == lib.RTM_NEWLINK for m in decode(d, f).messages())), None)
    if data is None:
        pytest.fail("no link dump among the vectors")
    rows = decode(data, RTNL)
    msgs = [m for m in rows.messages() if rows.type(m) == lib.RTM_NEWLINK]
    views = links.views_of(rows, msgs)
    assert views and all(v._c is views[0]._c for v in views)


@settings(max_examples=examples(800), **SETTINGS)
@given(case=mutated())
def test_mutated_replies_read_alike(case: tuple[bytes, Family]) -> None:
    compare(*case)


@settings(max_examples=examples(800), **SETTINGS)
@given(case=attrs_behind_real_headers())
def test_random_attributes_read_alike(case: tuple[bytes, Family]) -> None:
    compare(*case)
