"""Fuzzing the readers of tc, bridge VLAN and link statistics replies: random attributes
behind real headers go through every property and ``to_dict()``; malformed content may only
raise DecodeError."""
from __future__ import annotations

import struct
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from pynetlink._native import lib
from pynetlink.codec.rows import decode
from pynetlink.codec.specs.rtnl import RTNL
from pynetlink.errors import DecodeError
from pynetlink.rtnl.bridge_vlan import BridgeVlanView, parse_af_spec
from pynetlink.rtnl.kinds import view_of
from pynetlink.rtnl.stats import LinkStats
from pynetlink.rtnl.tc import FilterView, QdiscView


def attr(t: int, payload: bytes) -> bytes:
    return struct.pack("=HH", 4 + len(payload), t) + payload + bytes(-len(payload) % 4)


def read_all(v: Any) -> None:
    for name in dir(type(v)):
        if isinstance(getattr(type(v), name, None), property):
            getattr(v, name)
    v.to_dict()


payloads = st.binary(max_size=80)
TC_KINDS = st.sampled_from([b"tbf\0", b"u32\0", b"ingress\0", b"x\0", b""])


def nested(kind: bytes, inner: list[tuple[int, bytes]]) -> bytes:
    """TCA_KIND, then TCA_OPTIONS holding ``inner`` (a u32 action list goes one level deeper)."""
    opts = b"".join(attr(t, p) for t, p in inner)
    act = attr(1, attr(lib.TCA_ACT_KIND, b"mirred\0") + attr(lib.TCA_ACT_OPTIONS, opts))
    return attr(lib.TCA_KIND, kind) + attr(lib.TCA_OPTIONS, opts + attr(lib.TCA_U32_ACT, act))


@settings(max_examples=300, deadline=None)
@given(TC_KINDS, st.lists(st.tuples(st.integers(0, 12), payloads), max_size=5),
       st.sampled_from([lib.RTM_NEWQDISC, lib.RTM_NEWTFILTER]))
def test_tc_views(kind: bytes, inner: list[tuple[int, bytes]], msg_type: int) -> None:
    body = struct.pack("=BxxxiIII", 0, 2, 0x10000, 0xFFFFFFFF, 0x10300) + nested(kind, inner)
    data = struct.pack("=IHHII", 16 + len(body), msg_type, 0, 1, 0) + body
    try:
        rows = decode(data, RTNL)
    except DecodeError:
        return
    for m in rows.messages():
        try:
            read_all((QdiscView if msg_type == lib.RTM_NEWQDISC else FilterView)(rows, m))
        except DecodeError:
            pass


@settings(max_examples=300, deadline=None)
@given(payloads, payloads)
def test_bridge_vlan_and_stats_views(af_spec: bytes, stats: bytes) -> None:
    body = struct.pack("=BxHiII", 7, 1, 3, 0, 0) + attr(lib.IFLA_IFNAME, b"p0\0") + \
        attr(lib.IFLA_AF_SPEC, af_spec) + attr(lib.IFLA_STATS64, stats)
    data = struct.pack("=IHHII", 16 + len(body), lib.RTM_NEWLINK, 0, 1, 0) + body
    rows = decode(data, RTNL)
    for m in rows.messages():
        for v in (BridgeVlanView(rows, m), view_of(rows, m)):
            try:
                read_all(v)
            except DecodeError:
                pass
        try:
            view_of(rows, m).stats
        except DecodeError:
            pass


@given(st.binary(max_size=300))
def test_af_spec_and_stats_parsers(raw: bytes) -> None:
    for fn in (parse_af_spec, LinkStats.from_bytes):
        try:
            fn(raw)
        except DecodeError:
            pass
