"""The event stream's C engine (pynetlink.events._engine, csrc/ext/events.c) against the Python
engine on random buffers of address notifications, well-formed and damaged: the same events
(action, key, every field of the view and of the previous view, or the same error) and the
same state; the C engine declines (changing nothing) whatever it does not understand.

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


@st.composite
def buffer(draw: Any) -> bytes:
    clean = draw(st.booleans())
    data = b"".join(draw(st.lists(message(clean), min_size=1, max_size=6)))
    damage = draw(st.sampled_from(["none"] * 6 + ["truncate", "flip"]) if not clean else st.just("none"))
    if damage == "truncate":
        data = data[:draw(st.integers(0, len(data)))]
    elif damage == "flip" and data:
        i = draw(st.integers(0, len(data) - 1))
        data = data[:i] + bytes([data[i] ^ draw(st.integers(1, 255))]) + data[i + 1:]
    return data


def fields(view: Any) -> Any:
    try:
        return fields_of(view)
    except DecodeError:                      # a damaged field: the same in both engines
        return "DecodeError"


def run(chunks: list[bytes], native: bool, netns: str | None) -> list[Any]:
    """What a consumer sees: per buffer its events (every field read) or its error."""
    eng = Engine([kinds.AddressKind()], RTNL, 0, lambda items: 0, netns=netns, load=False)
    eng.native = native
    if not native:
        eng._bulk_kinds = {}                 # the per-message path
    out: list[Any] = []
    for data in chunks:
        try:
            for e in eng.feed(data):
                prev = None if e.previous is None else fields(e.previous)
                out.append((e.kind, e.action, e.key, e.netns, e.origin, fields(e.view), prev))
        except DecodeError:
            out.append("DecodeError")
    out.append({k: fields(v) for k, v in eng.state["address"].items()})
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
