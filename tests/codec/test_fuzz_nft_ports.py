"""pynetlink.nft._ports (csrc/ext/nftports.c): the caller's publication tuples read in C.

Fuzzed against a plain-Python reading of the same rule (what nft/bulk.py's columns did in
Python before): anything, well-formed or not, gives that reference's columns or None (the
per-object way), never a crash; a duplicate (protocol, host port) is found."""
from __future__ import annotations

import socket
import struct
from array import array
from typing import Any, Optional

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pynetlink.nft._ports import columns, fill

_PROTO = {"tcp": 6, "udp": 17}


def reference(mappings: Any) -> Optional[tuple[bytes, bytes, bytes, bytes, bool]]:
    """What the C side must answer, written plainly."""
    if type(mappings) not in (list, tuple) or not mappings:
        return None
    if any(type(m) is not tuple for m in mappings) or len({len(m) for m in mappings}) != 1:
        return None
    if len(mappings[0]) not in (3, 4):
        return None
    host, to, to_port, proto = array("H"), b"", array("H"), b""
    for m in mappings:
        h, a, t = m[0], m[1], m[2]
        t = h if t is None else t
        if type(h) is not int or type(t) is not int or not (0 < h < 65536 and 0 < t < 65536):
            return None
        if type(a) is not str or not a.isascii() or "\0" in a:
            return None
        try:
            raw = socket.inet_pton(socket.AF_INET, a)
        except OSError:
            return None
        p = m[3] if len(m) == 4 else "tcp"
        if type(p) is not str or p not in _PROTO:
            return None
        host.append(h)
        to_port.append(t)
        to += raw
        proto += bytes([_PROTO[p]])
    unique = len(set(zip(proto, host))) == len(host)
    return host.tobytes(), to, to_port.tobytes(), proto, unique


def test_plain_tuples_as_columns() -> None:
    got = columns([(8000, "172.17.0.2", 80, "tcp"), (8001, "10.0.0.1", None, "udp")])
    assert got == (struct.pack("=HH", 8000, 8001), bytes([172, 17, 0, 2, 10, 0, 0, 1]),
                   struct.pack("=HH", 80, 8001), b"\x06\x11", True)
    assert columns(((53, "1.2.3.4", 53, "udp"), (53, "1.2.3.5", 53, "tcp")))[-1] is True   # type: ignore[index]
    assert columns([(53, "1.2.3.4", 53, "udp"), (53, "1.2.3.5", 54, "udp")])[-1] is False  # type: ignore[index]


def test_what_is_not_plainly_a_publication_is_left_to_the_per_object_way() -> None:
    for bad in ([], (), None, "x", iter([(1, "1.2.3.4", 1)]), [[1, "1.2.3.4", 1]],
                [(1, "1.2.3.4", 1), (1, "1.2.3.4")], [(1, "1.2.3.4")], [(1, "1.2.3.4", 1, "tcp", None)],
                [(0, "1.2.3.4", 1)], [(65536, "1.2.3.4", 1)], [(True, "1.2.3.4", 1)], [(1, "1.2.3.4", 1.0)],
                [(1, "01.2.3.4", 1)], [(1, "1.2.3.4 ", 1)], [(1, "1.2.3.4\0", 1)], [(1, "::1", 1)],
                [(1, "255.255.255.2555", 1)], [(1, "\u0661.2.3.4", 1)], [(1, b"1.2.3.4", 1)],
                [(1, "1.2.3.4", 1, "sctp")], [(1, "1.2.3.4", 1, b"tcp")], [(2 ** 70, "1.2.3.4", 1)]):
        assert columns(bad) is None, bad


_scalar = st.one_of(st.integers(-2, 70000), st.none(), st.booleans(), st.floats(allow_nan=False),
                    st.sampled_from(["tcp", "udp", "sctp", "1.2.3.4", "172.17.0.2", "01.2.3.4", "1.2.3", ""]),
                    st.text(max_size=20), st.binary(max_size=6),
                    st.builds(lambda *q: ".".join(map(str, q)), *[st.integers(0, 300)] * 4))
_tuple = st.one_of(st.tuples(st.integers(1, 65535), st.builds(lambda *q: ".".join(map(str, q)),
                                                              *[st.integers(0, 255)] * 4),
                             st.one_of(st.none(), st.integers(1, 65535)), st.sampled_from(["tcp", "udp"])),
                   st.lists(_scalar, min_size=0, max_size=5).map(tuple))


@settings(max_examples=400, deadline=None)
@given(st.one_of(st.lists(_tuple, max_size=12), st.lists(_tuple, max_size=12).map(tuple), _scalar))
def test_fuzzed_input_reads_as_the_reference(mappings: Any) -> None:
    assert columns(mappings) == reference(mappings)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(1, 65535), st.builds(lambda *q: ".".join(map(str, q)),
                                                          *[st.integers(0, 255)] * 4),
                          st.one_of(st.none(), st.integers(1, 65535))), min_size=1, max_size=300))
def test_well_formed_lists_always_read(mappings: list[tuple[Any, ...]]) -> None:
    got = columns(mappings)
    assert got is not None and got == reference(mappings)


@settings(max_examples=2000, deadline=None)
@given(st.text(alphabet="0123456789.", min_size=0, max_size=17))
def test_addresses_read_as_inet_pton_reads_them(text: str) -> None:
    """The C reader's dotted quads: exactly what inet_pton takes (no leading zeros, 0..255)."""
    got = columns([(1, text, 1)])
    try:
        want: Optional[bytes] = socket.inet_pton(socket.AF_INET, text)
    except OSError:
        want = None
    assert (got[1] if got is not None else None) == want


_SIZES = {"p": 1, "h": 2, "a": 4, "t": 2}


def fill_reference(mappings: Any, template: bytes, fields: list[tuple[str, int]], messages: bool) -> Any:
    """``fill`` written plainly: the rows, or None (as ``columns``)."""
    cols = reference(mappings)
    if cols is None:
        return None
    host, to, to_port, proto, unique = cols
    n = len(proto)
    hosts, ports = array("H", host), array("H", to_port)
    out = bytearray()
    for k in range(n):
        row = bytearray(template)
        for c, at in fields:
            row[at:at + _SIZES[c]] = {"p": bytes([proto[k]]), "h": hosts[k].to_bytes(2, "big"),
                                      "a": to[4 * k:4 * k + 4], "t": ports[k].to_bytes(2, "big")}[c]
        if messages and k + 1 < n:
            row[6] &= ~4 & 0xFF
        out += row
    return bytes(out), unique


@settings(max_examples=600, deadline=None)
@given(st.one_of(st.lists(_tuple, max_size=6), _scalar), st.binary(min_size=0, max_size=40),
       st.lists(st.tuples(st.sampled_from("phatx"), st.integers(0, 70)), max_size=5), st.booleans())
def test_fuzzed_fill_writes_what_the_reference_writes(mappings: Any, template: bytes,
                                                      fields: list[tuple[str, int]], messages: bool) -> None:
    """Any template and fields: refused (ValueError) unless every field fits and a message
    template holds one message (its nlmsg_len, padded, the row); else the reference's rows."""
    packed = b"".join(c.encode() + struct.pack("=H", at) for c, at in fields)
    ok = 0 < len(template) <= 65536 and all(c in _SIZES and at + _SIZES[c] <= len(template) for c, at in fields)
    if messages:
        ok = ok and len(template) >= 16 and len(template) % 4 == 0 and \
            (struct.unpack_from("=I", template)[0] + 3) & ~3 == len(template) and struct.unpack_from("=I", template)[0] >= 16
    if not ok:
        with pytest.raises(ValueError):
            fill(mappings, template, packed, messages)
        return
    assert fill(mappings, template, packed, messages) == fill_reference(mappings, template, fields, messages)


def test_fill_of_a_message_template_keeps_the_ack_on_the_last() -> None:
    msg = struct.pack("=IHHII", 20, 16, 5, 0, 0) + bytes(4)
    rows, unique = fill([(1, "1.2.3.4", 2), (3, "5.6.7.8", 4)], msg, b"h\x10\x00", True)  # type: ignore[misc]
    assert unique and [rows[6] & 4, rows[26] & 4] == [0, 4] and rows[16:18] == b"\0\1" and rows[36:38] == b"\0\3"
    with pytest.raises(ValueError):
        fill([(1, "1.2.3.4", 2)], msg[:-4] + bytes(8), b"", True)       # nlmsg_len is not the row


HDR = struct.Struct("=IHHII")


def message(kind: int, flags: int, body: bytes, seq: int = 0) -> bytes:
    data = HDR.pack(HDR.size + len(body), kind, flags, seq, 0) + body
    return data + bytes(-len(data) % 4)


def whole_messages(data: bytes) -> int:
    """How many messages fill ``data`` exactly (4-aligned), -1 if they do not."""
    at = count = 0
    if len(data) % 4:
        return -1
    while at < len(data):
        if len(data) - at < HDR.size:
            return -1
        length = HDR.unpack_from(data, at)[0]
        if length < HDR.size or length > len(data) - at:
            return -1
        at += (length + 3) & ~3
        count += 1
    return count


_message = st.builds(message, st.integers(0, 0xFFFF), st.integers(0, 0xFFFF), st.binary(max_size=24))
_messages = st.lists(_message, max_size=4).map(b"".join)


@settings(max_examples=400, deadline=None)
@given(st.one_of(st.lists(_tuple, max_size=6), _scalar), st.binary(min_size=0, max_size=40),
       st.lists(st.tuples(st.sampled_from("phatx"), st.integers(0, 70)), max_size=5), st.booleans(),
       st.one_of(_messages, st.binary(max_size=24)), st.one_of(_messages, st.binary(max_size=24)))
def test_fuzzed_fill_with_head_and_tail_writes_them_around_the_rows(
        mappings: Any, template: bytes, fields: list[tuple[str, int]], messages: bool, head: bytes,
        tail: bytes) -> None:
    """With head and tail: a bytearray of head, the rows ``fill`` makes alone, tail (or what
    fill alone answers: None, ValueError); with messages, head and tail must be whole messages
    (ValueError if not)."""
    packed = b"".join(c.encode() + struct.pack("=H", at) for c, at in fields)
    try:
        alone = fill(mappings, template, packed, messages)
    except ValueError:
        with pytest.raises(ValueError):
            fill(mappings, template, packed, messages, head, tail)
        return
    if messages and (whole_messages(head) < 0 or whole_messages(tail) < 0):
        with pytest.raises(ValueError):
            fill(mappings, template, packed, messages, head, tail)
        return
    got = fill(mappings, template, packed, messages, head, tail)
    if alone is None:
        assert got is None
        return
    assert got is not None and type(got[0]) is bytearray
    assert got == (bytearray(head + alone[0] + tail), alone[1])


def test_fill_takes_head_and_tail_together() -> None:
    with pytest.raises((ValueError, TypeError)):
        fill([(1, "1.2.3.4", 2)], b"abcd", b"", False, b"head")       # type: ignore[call-overload]
