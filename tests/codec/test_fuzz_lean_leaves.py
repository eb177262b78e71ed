"""pnl_decode_pluck's walk of a message whose attributes are all leaves (decode.c
``leaf_msg``: what route and address dumps are made of) against pnl_decode_grow followed by
pnl_pluck, with the real rtnetlink schema and the route and address dumps' pluck specs:
messages of random leaves (any length, repeated, unknown types, NLA_F_* bits), some with a
container (RTA_MULTIPATH, RTA_METRICS: the full walk), short headers, and the same buffers
mutated (lengths, bytes, truncation). The same return code, columns, rows and counts.

Run under AddressSanitizer with tools/asan-tests (buffers are exact-size C copies).
"""
from __future__ import annotations

import struct
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from pynetlink._native import lib
from pynetlink.codec.specs.rtnl import RTNL
from pynetlink.rtnl import addresses, routes

from ._strategies import examples
from .test_fuzz import SETTINGS
from .test_fuzz_lean import same

NLA_F_NESTED, NLA_F_NET_BYTEORDER = 1 << 15, 1 << 14
ROUTE, ADDR = int(lib.RTM_NEWROUTE), int(lib.RTM_NEWADDR)
SPECS = {ROUTE: routes._PLUCK, ADDR: addresses._PLUCK}
HDR = {ROUTE: 12, ADDR: 8}                  # rtmsg, ifaddrmsg
LEAVES = {ROUTE: [int(lib.RTA_DST), int(lib.RTA_GATEWAY), int(lib.RTA_OIF), int(lib.RTA_TABLE),
                  int(lib.RTA_PRIORITY), int(lib.RTA_PREFSRC), int(lib.RTA_PREF)],
          ADDR: [int(lib.IFA_ADDRESS), int(lib.IFA_LOCAL), int(lib.IFA_LABEL), int(lib.IFA_FLAGS),
                 int(lib.IFA_BROADCAST)]}
NESTS = {ROUTE: [int(lib.RTA_MULTIPATH), int(lib.RTA_METRICS)], ADDR: []}


def attr(t: int, payload: bytes) -> bytes:
    a = struct.pack("=HH", 4 + len(payload), t) + payload
    return a + bytes(-len(a) % 4)


@st.composite
def message(draw: Any, kind: int) -> bytes:
    hdr = draw(st.binary(min_size=HDR[kind], max_size=HDR[kind]))
    if draw(st.integers(0, 9)) == 0:
        hdr = hdr[:draw(st.integers(0, HDR[kind]))]      # shorter than its header
    body = b""
    for _ in range(draw(st.integers(0, 7))):
        choice = draw(st.integers(0, 19))
        if choice == 0 and NESTS[kind]:                   # a container: the full walk
            inner = attr(draw(st.integers(1, 4)), draw(st.binary(max_size=8)))
            body += attr(draw(st.sampled_from(NESTS[kind])) | NLA_F_NESTED, inner)
            continue
        t = draw(st.sampled_from(LEAVES[kind])) if choice < 16 else draw(st.integers(0, 0x3FFF))
        t |= draw(st.sampled_from([0, 0, 0, NLA_F_NET_BYTEORDER, NLA_F_NESTED]))
        n = draw(st.sampled_from([0, 1, 2, 3, 4, 4, 4, 8, 16, 16, draw(st.integers(0, 40))]))
        body += attr(t, draw(st.binary(min_size=n, max_size=n)))
    if draw(st.integers(0, 15)) == 0:
        body += draw(st.binary(min_size=1, max_size=3))  # a tail shorter than an attribute
    msg = struct.pack("=IHHII", 16 + len(hdr) + len(body), kind, 2, draw(st.integers(0, 9)), 0) + hdr + body
    return msg + bytes(-len(msg) % 4)


@st.composite
def dump(draw: Any) -> tuple[bytes, int]:
    kind = draw(st.sampled_from([ROUTE, ADDR]))
    msgs = draw(st.lists(message(kind), min_size=0, max_size=8))
    if draw(st.integers(0, 9)) == 0:
        other = ADDR if kind == ROUTE else ROUTE
        msgs.insert(draw(st.integers(0, len(msgs))), draw(message(other)))
    return b"".join(msgs), kind


@st.composite
def mutated(draw: Any) -> tuple[bytes, int]:
    data, kind = draw(dump())
    buf = bytearray(data)
    for _ in range(draw(st.integers(1, 4))):
        if not buf:
            break
        i = draw(st.integers(0, len(buf) - 1))
        how = draw(st.sampled_from(["byte", "byte", "truncate", "delete", "insert"]))
        if how == "byte":
            buf[i] = draw(st.integers(0, 255))
        elif how == "truncate":
            del buf[i:]
        elif how == "delete":
            del buf[i:i + draw(st.integers(1, 8))]
        else:
            buf[i:i] = draw(st.binary(min_size=1, max_size=8))
    return bytes(buf), kind


@settings(max_examples=examples(600), **SETTINGS)
@given(dump())
def test_leaf_messages_match_decode_then_pluck(d: tuple[bytes, int]) -> None:
    data, kind = d
    same(data, RTNL, SPECS[kind])


@settings(max_examples=examples(600), **SETTINGS)
@given(mutated())
def test_mutated_leaf_messages_match_decode_then_pluck(d: tuple[bytes, int]) -> None:
    data, kind = d
    same(data, RTNL, SPECS[kind])


def test_a_route_dump_is_all_leaves() -> None:
    """The messages a plain route dump holds go through the leaf walk and read as the full
    walk reads them (a known case, not left to chance)."""
    m = [struct.pack("=BBBBBBBBI", 2, 32, 0, 0, 254, 4, 0, 1, 0)
         + attr(int(lib.RTA_TABLE), struct.pack("=I", 254)) + attr(int(lib.RTA_DST), bytes([10, 0, 0, i]))
         + attr(int(lib.RTA_GATEWAY), bytes([198, 51, 100, 2])) + attr(int(lib.RTA_OIF), struct.pack("=I", 2))
         for i in range(3)]
    data = b"".join(struct.pack("=IHHII", 16 + len(b), ROUTE, 2, 1, 0) + b for b in m)
    same(data, RTNL, SPECS[ROUTE])
