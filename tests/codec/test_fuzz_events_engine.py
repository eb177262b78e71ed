"""The event stream's C engine (pynetlink.events._engine, csrc/ext/events.c) against the Python
engine on random buffers of address notifications, and of address, link, route and
neighbour notifications mixed, well-formed and damaged (unknown and flagged attributes,
wrong lengths, truncated, bytes flipped): the same events (action, key, every field of the
view and of the previous view, or the same error), the same state and the same dumps queued
(a link's changes); the C engine declines (changing nothing) whatever it does not understand.

Run under AddressSanitizer with tools/asan-tests (more examples: PYNETLINK_FUZZ_EXAMPLES=20000):
the C engine also reads every buffer from an exact-size copy, so ASan sees a 1-byte overread.
"""
from __future__ import annotations

import socket
import struct
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pynetlink._native import ffi, lib
from pynetlink.codec.rows import decode
from pynetlink.codec.specs.rtnl import RTNL
from pynetlink.errors import DecodeError
from pynetlink.events import kinds
from pynetlink.events.engine import Engine
from pynetlink.events.event import Event, fields_of

from ._strategies import examples, exact_buf

pytestmark = pytest.mark.skipif(kinds._engine is None, reason="pynetlink.events._engine not built")
SETTINGS = dict(deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
NEW, DEL = int(lib.RTM_NEWADDR), int(lib.RTM_DELADDR)
LOCAL, ADDRESS, LABEL, FLAGS, CACHE = (int(lib.IFA_LOCAL), int(lib.IFA_ADDRESS), int(lib.IFA_LABEL),
                                       int(lib.IFA_FLAGS), int(lib.IFA_CACHEINFO))
V4 = [bytes([198, 51, 100, i]) for i in (1, 2, 3)]
V6 = [bytes(15) + bytes([i]) for i in (1, 2)] + [b"\x20\x01\x0d\xb8" + bytes(11) + b"\x01"]


def attr(t: int, payload: bytes) -> bytes:
    return struct.pack("=HH", 4 + len(payload), t) + payload + bytes(-len(payload) % 4)


ATTR = st.one_of(
    st.builds(lambda t, a: attr(t, a), st.sampled_from([LOCAL, ADDRESS]), st.sampled_from(V4 + V6)),
    st.builds(lambda t, a: attr(t, a), st.sampled_from([LOCAL, ADDRESS]), st.binary(max_size=18)),
    st.builds(lambda s: attr(LABEL, s.encode() + b"\0"), st.sampled_from(["br0", "br0:x", ""])),
    st.builds(lambda f: attr(FLAGS, struct.pack("=I", f)), st.integers(0, 0xFFFF)),
    st.builds(lambda p: attr(CACHE, p), st.sampled_from([bytes(16), b"\xff" * 16, bytes(7)])),
    st.builds(lambda t, p: attr(t, p), st.integers(0, 0xFFFF), st.binary(max_size=8)))


CLEAN_ATTR = st.sampled_from([attr(LABEL, b"br0\0"), attr(FLAGS, struct.pack("=I", 0x80)),
                              attr(CACHE, b"\xff" * 16)])


@st.composite
def message(draw: Any, clean: bool) -> bytes:
    """An address notification (``clean``: one the C engine takes), or something else."""
    if clean:
        t, fam = draw(st.sampled_from([NEW, DEL])), draw(st.sampled_from([socket.AF_INET, socket.AF_INET6]))
        link = draw(st.sampled_from([1, 2]))
    else:
        t = draw(st.sampled_from([NEW] * 8 + [DEL] * 8 + [int(lib.RTM_NEWLINK), int(lib.NLMSG_DONE)]))
        fam = draw(st.sampled_from([socket.AF_INET] * 6 + [socket.AF_INET6] * 4 + [0, 7]))
        link = draw(st.sampled_from([1, 2, 2, 2, 0, -1, 1 << 20]))
    a = V4 if fam == socket.AF_INET else V6
    body = struct.pack("=BBBBi", fam, draw(st.sampled_from([24, 32, 64, 128, 200])), 0, 0, link)
    if clean or draw(st.integers(0, 3)):        # mostly a well-formed address
        body += attr(LOCAL if draw(st.booleans()) else ADDRESS, draw(st.sampled_from(a)))
    if clean:
        body += b"".join(draw(st.lists(CLEAN_ATTR, max_size=2, unique=True)))
    elif not draw(st.integers(0, 2)):
        body += b"".join(draw(st.lists(ATTR, max_size=3)))
    return struct.pack("=IHHII", 16 + len(body), t, 0, 0, 0) + body


def damaged(draw: Any, data: bytes, clean: bool) -> bytes:
    """``data``, or (not ``clean``) sometimes truncated or with one byte flipped."""
    damage = draw(st.sampled_from(["none"] * 6 + ["truncate", "flip"]) if not clean else st.just("none"))
    if damage == "truncate":
        data = data[:draw(st.integers(0, len(data)))]
    elif damage == "flip" and data:
        i = draw(st.integers(0, len(data) - 1))
        data = data[:i] + bytes([data[i] ^ draw(st.integers(1, 255))]) + data[i + 1:]
    return data


@st.composite
def buffer(draw: Any) -> bytes:
    clean = draw(st.booleans())
    return damaged(draw, b"".join(draw(st.lists(message(clean), min_size=1, max_size=6))), clean)


def fields(view: Any) -> Any:
    try:
        return fields_of(view)
    except Exception as exc:                 # a damaged field: the same in both engines
        return type(exc).__name__


def run(chunks: list[bytes], native: bool, netns: str | None, watch: Any = (kinds.AddressKind,)) -> list[Any]:
    """What a consumer sees: per buffer its events (every field read) or its error, and
    the dumps it queued; its states at the end."""
    eng = Engine([k() for k in watch], RTNL, 0, lambda items: 1 << 20, netns=netns, load=False)
    eng.native = native
    if not native:
        eng._bulk_kinds = {}                 # the per-message path
    out: list[Any] = []
    for data in chunks:
        try:
            for e in eng.feed(data):
                prev = None if e.previous is None else fields(e.previous)
                out.append((e.kind, e.action, e.key, e.netns, e.origin, fields(e.view), prev,
                            type(e.view).__name__))
        except DecodeError:
            out.append("DecodeError")
        except Exception as exc:             # what a malformed header does to the Python engine
            out.append(type(exc).__name__)
        out.append(([p.kind.name for p in eng.queue], eng.current and eng.current.kind.name))
    out.append({name: {k: fields(v) for k, v in st.items()} for name, st in eng.state.items()})
    return out


@settings(max_examples=examples(400), **SETTINGS)
@given(st.lists(buffer(), min_size=1, max_size=4), st.sampled_from([None, "c1"]))
def test_c_engine_equals_python(chunks: list[bytes], netns: str | None) -> None:
    assert run(chunks, True, netns) == run(chunks, False, netns)


@settings(max_examples=examples(400), **SETTINGS)
@given(buffer())
def test_c_engine_reads_only_the_buffer(data: bytes) -> None:
    """From an exact-size copy (ASan: no overread); declined means nothing done."""
    exact = ffi.buffer(exact_buf(data), len(data))
    state: dict[Any, Any] = {}
    out: list[Any] = []
    done = kinds.AddressKind().native(exact, state, None, out)
    assert done or (state == {} and out == [])
    if done:                                 # whatever the C engine takes, the codec decodes alike
        rows = decode(data, RTNL)
        assert all(e.view._source[0] is exact for e in out) and len(out) <= rows.n_msgs
        got = [e.view._m for e in out]           # decoded (from the exact copy) when first read
        assert set(got) <= set(rows.messages()) and got == sorted(set(got))
        assert not out or (out[0].view._rows is out[-1].view._rows and out[0].view._rows.n_msgs == rows.n_msgs)


# -- links, routes and neighbours, mixed with addresses -----------------------------------------
NEWLINK, DELLINK = int(lib.RTM_NEWLINK), int(lib.RTM_DELLINK)
NEWROUTE, DELROUTE = int(lib.RTM_NEWROUTE), int(lib.RTM_DELROUTE)
NEWNEIGH, DELNEIGH = int(lib.RTM_NEWNEIGH), int(lib.RTM_DELNEIGH)
IFNAME, LINK, LINKINFO, MTU = int(lib.IFLA_IFNAME), int(lib.IFLA_LINK), int(lib.IFLA_LINKINFO), int(lib.IFLA_MTU)
INFO_KIND, INFO_DATA = int(lib.IFLA_INFO_KIND), int(lib.IFLA_INFO_DATA)
RTA_DST, RTA_TABLE, RTA_PRIORITY, RTA_OIF, RTA_GATEWAY = (int(lib.RTA_DST), int(lib.RTA_TABLE), int(lib.RTA_PRIORITY),
                                                          int(lib.RTA_OIF), int(lib.RTA_GATEWAY))
NDA_DST, NDA_LLADDR = int(lib.NDA_DST), int(lib.NDA_LLADDR)
NESTED = 1 << 15


def u32(t: int, v: int) -> bytes:
    return attr(t, struct.pack("=I", v))


def any_attr(draw: Any) -> bytes:
    """An attribute of any type and content, flagged or not."""
    return attr(draw(st.integers(0, 0xFFFF)), draw(st.binary(max_size=8)))


def link_attrs(draw: Any, clean: bool, strict: bool = False) -> bytes:
    out = []
    if draw(st.integers(0, 5)):
        out.append(attr(IFNAME, draw(st.sampled_from(["br0", "veth0", "eth1", ""] + ([] if clean else ["\xe9t", "a\x01"])))
                        .encode() + b"\0"))
    if draw(st.booleans()):
        out.append(u32(LINK, draw(st.sampled_from([0, 3]))) if clean or draw(st.integers(0, 3))
                   else attr(LINK, draw(st.binary(max_size=6))))
    if draw(st.integers(0, 3)):
        kind = draw(st.sampled_from(["veth", "bridge", "dummy", "vxlan", "foo", ""] + ([] if clean else ["v\xe9"])))
        info = attr(INFO_KIND, kind.encode() + b"\0")
        if draw(st.booleans()):
            info += attr(INFO_DATA | draw(st.sampled_from([0, NESTED])), u32(1, draw(st.integers(0, 9))))
        if not clean and not draw(st.integers(0, 4)):
            info = draw(st.binary(max_size=12))
        out.append(attr(LINKINFO | (0 if strict else draw(st.sampled_from([0, NESTED]))), info))
    out.append(u32(MTU, 1500))
    if not clean:
        out += [any_attr(draw) for _ in range(draw(st.integers(0, 2)))]
    draw(st.randoms()).shuffle(out)
    return b"".join(out)


def route_attrs(draw: Any, fam: int, clean: bool) -> bytes:
    a = V4 if fam == socket.AF_INET else V6
    out = []
    if draw(st.integers(0, 3)):
        out.append(attr(RTA_DST, draw(st.sampled_from(a))) if clean or draw(st.integers(0, 3))
                   else attr(RTA_DST, draw(st.binary(max_size=18))))
    for t in (RTA_TABLE, RTA_PRIORITY):
        if draw(st.booleans()):
            out.append(u32(t, draw(st.sampled_from([254, 255, 1000]))) if clean or draw(st.integers(0, 3))
                       else attr(t, draw(st.binary(max_size=6))))
    out.append(u32(RTA_OIF, 2))
    if draw(st.booleans()):
        out.append(attr(RTA_GATEWAY, a[0]))
    if not clean:
        out += [any_attr(draw) for _ in range(draw(st.integers(0, 2)))]
    draw(st.randoms()).shuffle(out)
    return b"".join(out)


@st.composite
def other_message(draw: Any, clean: bool, strict: bool = False) -> bytes:
    """A link, route or neighbour notification (``clean``: one the C engine takes, unless
    the Python engine leaves it out, or its IFLA_LINKINFO is flagged NLA_F_NESTED, which the
    C engine declines; ``strict``: never flagged), or something close to one."""
    which = draw(st.sampled_from(["link", "route", "neigh"]))
    fam = draw(st.sampled_from([socket.AF_INET, socket.AF_INET6] + ([] if clean else [0, 7])))
    if which == "link":
        t = draw(st.sampled_from([NEWLINK, NEWLINK, DELLINK]))
        family = 0 if clean or draw(st.integers(0, 4)) else 7
        index = draw(st.sampled_from([1, 2, 3] + ([] if clean else [-1])))
        flags = draw(st.sampled_from([0, 1, 0x10001, 0x1003]))
        body = struct.pack("=BxHiII", family, 1, index, flags, 0) + link_attrs(draw, clean, strict)
    elif which == "route":
        t = draw(st.sampled_from([NEWROUTE, DELROUTE]))
        rflags = draw(st.sampled_from([0, 0, 0, int(lib.RTM_F_CLONED)]))
        body = struct.pack("=BBBBBBBBI", fam, draw(st.sampled_from([0, 24, 32, 64, 128])), 0,
                           draw(st.sampled_from([0, 0, 4])), draw(st.sampled_from([254, 255])), 3, 0,
                           draw(st.sampled_from([1, 1, 2])), rflags)
        body += route_attrs(draw, fam, clean)
    else:
        t = draw(st.sampled_from([NEWNEIGH, DELNEIGH]))
        nflags = draw(st.sampled_from([0, 0, 0, int(lib.NTF_PROXY)]))
        body = struct.pack("=BxxxiHBB", fam, draw(st.sampled_from([1, 2])), 2, nflags, 1)
        a = V4 if fam == socket.AF_INET else V6
        if draw(st.integers(0, 4)):
            body += attr(NDA_DST, draw(st.sampled_from(a))) if clean or draw(st.integers(0, 3)) \
                else attr(NDA_DST, draw(st.binary(max_size=18)))
        body += attr(NDA_LLADDR, b"\x02\0\0\0\0\x01")
        if not clean:
            body += b"".join(any_attr(draw) for _ in range(draw(st.integers(0, 2))))
    if not clean and not draw(st.integers(0, 6)):
        body = body[:draw(st.integers(0, 12))]              # a header cut short
    return struct.pack("=IHHII", 16 + len(body), t, 0, 0, 0) + body


@st.composite
def mixed_buffer(draw: Any) -> bytes:
    clean = draw(st.booleans())
    msgs = st.one_of(message(clean), other_message(clean), other_message(clean))
    return damaged(draw, b"".join(draw(st.lists(msgs, min_size=1, max_size=8))), clean)


ALL = (kinds.AddressKind, kinds.LinkKind, kinds.RouteKind, kinds.NeighbourKind)
WATCH = st.sampled_from([ALL, (kinds.LinkKind,), (kinds.RouteKind, kinds.NeighbourKind),
                         (kinds.LinkKind, kinds.AddressKind)])


@settings(max_examples=examples(600), **SETTINGS)
@given(st.lists(mixed_buffer(), min_size=1, max_size=4), st.sampled_from([None, "c1"]), WATCH)
def test_c_engine_equals_python_mixed(chunks: list[bytes], netns: str | None, watch: Any) -> None:
    assert run(chunks, True, netns, watch) == run(chunks, False, netns, watch)


@settings(max_examples=examples(300), **SETTINGS)
@given(st.lists(st.one_of(message(True), other_message(True, strict=True)), min_size=1, max_size=8), WATCH,
       st.sampled_from([None, "c1"]))
def test_c_engine_takes_every_clean_buffer(msgs: list[bytes], watch: Any, netns: str | None) -> None:
    """The clean buffers the differential tests above draw (half of theirs; here without a
    flagged IFLA_LINKINFO) are the C engine's, every one: those tests compare the two engines,
    and would pass too if the C engine declined every buffer to the Python one."""
    eng = Engine([k() for k in watch], RTNL, 0, lambda items: 1 << 20, netns=netns, load=False)
    out: list[Any] = []
    assert eng._native(b"".join(msgs), out)


def test_c_engine_takes_clean_mixed_buffers() -> None:
    """Clean buffers of every kind are the C engine's (not declined to the Python engine)."""
    msgs = [struct.pack("=BxHiII", 0, 1, 3, 1, 0) + attr(IFNAME, b"veth0\0") + u32(LINK, 0)
            + attr(LINKINFO, attr(INFO_KIND, b"veth\0")),
            struct.pack("=BBBBBBBBI", 2, 24, 0, 0, 254, 3, 0, 1, 0) + attr(RTA_DST, V4[0]) + u32(RTA_PRIORITY, 5),
            struct.pack("=BxxxiHBB", 10, 3, 2, 0, 1) + attr(NDA_DST, V6[0]),
            struct.pack("=BBBBi", 2, 24, 0, 0, 3) + attr(LOCAL, V4[0])]
    types = [NEWLINK, NEWROUTE, NEWNEIGH, NEW]
    data = b"".join(struct.pack("=IHHII", 16 + len(b), t, 0, 0, 0) + b for t, b in zip(types, msgs))
    states: tuple[dict[Any, Any], ...] = ({}, {}, {}, {})
    out: list[Any] = []
    assert kinds._engine.events(data, states, None, out) == ("link", "iprule")   # a new veth, no peer yet
    assert [(e.kind, e.action, e.key) for e in out] == [
        ("link", "new", 3), ("route", "new", (4, 254, 1, 0, "198.51.100.1/24", 5)),
        ("neighbour", "new", ("inet6", 3, "::1")), ("address", "new", (4, 3, "198.51.100.1", 24))]
    link, route, nb, _ = (e.view for e in out)
    assert (link.index, link.name, link.kind, link.link, link.up, type(link).__name__) == (3, "veth0", "veth", 0, True, "VethView")
    assert (route.family, route.dst, route.table, route.metric, route.dev, route.type) == (4, "198.51.100.1/24", 254, 5, None, "unicast")
    assert (nb.family, nb.link, nb.ip, nb.lladdr) == ("inet6", 3, "::1", None)
    import gc
    assert not any(gc.is_tracked(x) for e in out for x in (e, e.view, e.key))


@settings(max_examples=examples(300), **SETTINGS)
@given(mixed_buffer())
def test_c_engine_reads_only_the_buffer_mixed(data: bytes) -> None:
    """From an exact-size copy (ASan: no overread); declined means nothing done."""
    exact = ffi.buffer(exact_buf(data), len(data))
    states: tuple[dict[Any, Any], ...] = ({}, {}, {}, {})
    out: list[Any] = []
    done = kinds._engine.events(exact, states, None, out)
    assert done is not None or (states == ({}, {}, {}, {}) and out == [])
    for e in out:
        fields(e.view)


def test_views_are_read_only_and_untracked() -> None:
    import gc
    data = struct.pack("=IHHII", 0, NEW, 0, 0, 0) + struct.pack("=BBBBi", 2, 24, 0, 0, 3) + attr(LOCAL, V4[0])
    data = struct.pack("=I", len(data)) + data[4:]
    eng = Engine([kinds.AddressKind()], RTNL, 0, lambda items: 0, load=False)
    (e,) = eng.feed(data)
    v = e.view
    assert type(v) is kinds.AddressKind.view_type and isinstance(v, kinds.AddressView)
    assert isinstance(e, Event) and e._replace(action="x") == ("address", "x", *e[2:])
    assert repr(e) == "<Event new address (4, 3, '198.51.100.1', 24) (kernel)>"
    assert (v.family, v.address, v.prefixlen, v.link, v.cidr, v.scope) == (4, "198.51.100.1", 24, 3,
                                                                         "198.51.100.1/24", "global")
    assert not gc.is_tracked(v) and not gc.is_tracked(e) and not gc.is_tracked(e.key)
    for name, value in (("address", "x"), ("_rows", None), ("_h", (v,)), ("_c", [])):
        with pytest.raises(AttributeError):
            setattr(v, name, value)
    assert repr(v) == "<AddressView 198.51.100.1/24 link=3>"
    with pytest.raises(TypeError):              # only the engine makes them
        type(v)(v._rows, 0)
    other = tuple.__new__(type(e), e[:3])       # a tuple of another length: freed as such
    assert len(other) == 3 and type(other) is type(e)
    del other
