"""The texts a dump's eager views keep across dumps (csrc/ext/views.c ``texts``: IPv4 addresses
and route destinations, by field and index in the dump): a view reads what a view made alone
reads, whatever the dumps before it held at the same places (other addresses, prefix lengths,
IPv6 or malformed lengths, absent attributes; the other fields alike from row to row, or
not), and a dump made again gets the same objects.
Random route and address dumps against the Python readers. Runs under ASan too."""
from __future__ import annotations

import struct
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pynetlink.codec.rows import decode
from pynetlink.codec.specs.rtnl import RTNL
from pynetlink.rtnl import addresses, routes
from pynetlink.rtnl.view import plain

from .test_fuzz import SETTINGS

_cview = pytest.importorskip("pynetlink.codec._cview")

ROUTE = ("family", "dst", "table", "protocol", "scope", "type", "via", "dev")
ADDR = ("family", "prefixlen", "scope", "link", "address", "label", "peer")

# an attribute's payload: mostly IPv4 addresses from a few, some IPv6, some malformed, or absent
addr = st.one_of(st.sampled_from([bytes([10, 0, i, 1]) for i in range(4)] + [bytes([198, 51, 100, 7])]),
                 st.binary(min_size=4, max_size=4), st.binary(min_size=16, max_size=16),
                 st.binary(max_size=20), st.none())
plen = st.sampled_from([0, 8, 24, 32, 33, 128, 255])


def _attr(kind: int, payload: bytes | None) -> bytes:
    if payload is None:
        return b""
    return struct.pack("=HH", 4 + len(payload), kind) + payload + b"\0" * (-len(payload) % 4)


def _msg(kind: int, header: bytes, attrs: bytes, seq: int) -> bytes:
    return struct.pack("=IHHII", 16 + len(header) + len(attrs), kind, 2, seq, 0) + header + attrs


@st.composite
def route_dump(draw: Any) -> bytes:
    out = b""
    for i in range(draw(st.integers(1, 40))):
        same = st.booleans()                # (rows alike, or not, in the plain fields' columns)
        header = struct.pack("=BBBBBBBBI", 2, draw(plen), 0, 0, 254, 3 if draw(same) else 4,
                             0 if draw(same) else 253, 1, 0)
        attrs = (_attr(1, draw(addr)) + _attr(5, draw(addr))
                 + _attr(4, struct.pack("=I", 2 if draw(same) else 3))
                 + (_attr(15, struct.pack("=I", 254 if draw(same) else 100)) if draw(same) else b""))
        out += _msg(24, header, attrs, i)
    return out


@st.composite
def address_dump(draw: Any) -> bytes:
    out = b""
    for i in range(draw(st.integers(1, 40))):
        header = struct.pack("=BBBBI", 2, draw(plen), 0, 0, 2)
        attrs = _attr(2, draw(addr)) + _attr(1, draw(addr)) + _attr(3, b"eth0\0")
        out += _msg(20, header, attrs, i)
    return out


def _read(v: Any, name: str) -> Any:
    try:
        return plain(getattr(v, name))
    except Exception as exc:            # (malformed content: the same error both ways)
        return type(exc)


def _check(data: bytes, request: Any, cls: type, names: tuple[str, ...]) -> list[Any]:
    rows = decode(data, RTNL, request.pluck)
    views = request.parse(rows, rows.data_messages())
    full = decode(data, RTNL)
    for m, v in zip([m for m in full.messages()], views):
        one = cls(full, m)
        for name in names:
            assert _read(v, name) == _read(one, name), (name, m)
    return views


@settings(max_examples=300, **SETTINGS)
@given(route_dump(), route_dump())
def test_route_texts_read_as_made_alone(first: bytes, second: bytes) -> None:
    request = routes.dump(table=None)
    _check(first, request, routes.RouteView, ROUTE)
    _check(second, request, routes.RouteView, ROUTE)         # (other texts at the same places)
    _check(first, request, routes.RouteView, ROUTE)


@settings(max_examples=300, **SETTINGS)
@given(address_dump(), address_dump())
def test_address_texts_read_as_made_alone(first: bytes, second: bytes) -> None:
    request = addresses.dump()
    _check(first, request, addresses.AddressView, ADDR)
    _check(second, request, addresses.AddressView, ADDR)
    _check(first, request, addresses.AddressView, ADDR)


def test_a_dump_made_again_gets_the_same_texts() -> None:
    data = b"".join(_msg(24, struct.pack("=BBBBBBBBI", 2, 32, 0, 0, 254, 3, 0, 1, 0),
                         _attr(1, bytes([10, 1, i, 1])) + _attr(5, bytes([10, 1, 0, 254])), i)
                    for i in range(100))
    request = routes.dump(table=None)
    one = _check(data, request, routes.RouteView, ROUTE)
    two = _check(data, request, routes.RouteView, ROUTE)
    assert [v.dst for v in one] == [f"10.1.{i}.1/32" for i in range(100)]
    assert all(x.dst is y.dst for x, y in zip(one, two))
