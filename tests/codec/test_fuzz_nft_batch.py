"""pynetlink.nft._ports.fill with element lists, and .exchange (csrc/ext/nftports.c): DockerNat's
prepared transaction built and sent in C.

``fill`` with a list head is fuzzed against the Python it replaced (``Prepared.items`` of the
nft6 pass: the head, one element list message per ``step`` rows with its lengths set and
NLM_F_ACK on the last only, the end): the same bytes for any parts it takes, ValueError for
parts it does not, never a crash. ``exchange`` checks its batch before anything is sent
(ValueError), and sends nothing when the namespace check fails; its reply handling is
pnl_xfer's (tests/codec/_xfer_harness.py), its kernel side tests/nft/test_prepared.py."""
from __future__ import annotations

import errno
import os
import socket
import struct
from pathlib import Path
from typing import Any, Optional

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pynetlink.nft._ports import exchange, fill

from ._strategies import examples
from .test_fuzz_nft_ports import HDR, _SIZES, _message, _messages, _tuple, fill_reference, message, whole_messages

ACK = 4


def lists_reference(mappings: Any, row: bytes, fields: list[tuple[str, int]], messages: bool, head: bytes,
                    end: bytes, list_head: bytes, step: int) -> Optional[tuple[bytes, bool]]:
    """``fill`` with a list head written plainly (the rows as ``fill`` makes them alone)."""
    got = fill_reference(mappings, row, fields, False)
    if got is None:
        return None
    rows, unique = got
    n, size = len(rows) // len(row), len(row)
    out = bytearray(head)
    for i in range(0, n, step):
        blob = rows[i * size:(i + step) * size]
        h = bytearray(list_head)
        struct.pack_into("=I", h, 0, len(h) + len(blob))
        struct.pack_into("=H", h, len(h) - 4, 4 + len(blob))
        if messages and i + step < n:
            h[6] &= ~ACK & 0xFF
        out += h + blob
    return bytes(out + end), unique


_fields = st.lists(st.tuples(st.sampled_from("phat"), st.integers(0, 30)), max_size=5)


def packed(fields: list[tuple[str, int]]) -> bytes:
    return b"".join(c.encode() + struct.pack("=H", at) for c, at in fields)


def lists(mappings: Any, row: bytes, fields: list[tuple[str, int]], messages: bool, head: bytes, end: bytes,
          list_head: bytes, step: int) -> Optional[tuple[bytes, bool]]:
    """``fill``'s answer with its rows as bytes (a bytearray checked)."""
    got = fill(mappings, row, packed(fields), messages, head, end, list_head, step)
    if got is None:
        return None
    assert type(got[0]) is bytearray
    return bytes(got[0]), got[1]


@settings(max_examples=examples(500), deadline=None)
@given(st.lists(_tuple, max_size=9), st.one_of(_messages, st.binary(max_size=40)),
       st.binary(min_size=1, max_size=36), _fields, st.binary(min_size=16, max_size=40),
       st.integers(-1, 5), st.one_of(_message, st.binary(max_size=24)), st.booleans())
def test_fuzzed_lists_are_the_reference(mappings: Any, head: bytes, row: bytes, fields: list[tuple[str, int]],
                                        list_head: bytes, step: int, end: bytes, messages: bool) -> None:
    ok = (len(list_head) >= 20 and len(list_head) % 4 == 0 and len(row) % 4 == 0
          and 1 <= step <= (0xFFFF - 4) // len(row) and all(at + _SIZES[c] <= len(row) for c, at in fields)
          and (not messages or (whole_messages(head) >= 0 and whole_messages(end) >= 0)))
    if not ok:
        with pytest.raises(ValueError):
            fill(mappings, row, packed(fields), messages, head, end, list_head, step)
        return
    assert lists(mappings, row, fields, messages, head, end, list_head, step) == \
        lists_reference(mappings, row, fields, messages, head, end, list_head, step)


@settings(max_examples=examples(100), deadline=None)
@given(st.lists(st.tuples(st.integers(1, 65535), st.builds(lambda *q: ".".join(map(str, q)),
                                                          *[st.integers(0, 255)] * 4),
                          st.integers(1, 65535), st.sampled_from(["tcp", "udp"])),
                min_size=1, max_size=1200, unique_by=lambda t: (t[0], t[3])),
       st.integers(1, 600))
def test_many_tuples_in_lists_of_step(mappings: list[tuple[Any, ...]], step: int) -> None:
    """Long lists (the u16 list attribute's limit, lists of one to hundreds of rows)."""
    head, end = message(0x10, 1, bytes(4)), message(0x11, 1, bytes(4))
    list_head = message(0xa0c, 1 | ACK, bytes(12))[:16] + bytes(4) + struct.pack("=HH", 4, 0x8003)
    row, fields = bytes(36), [("p", 16), ("h", 20), ("a", 28), ("t", 32)]
    step = min(step, (0xFFFF - 4) // len(row))
    got = lists(mappings, row, fields, True, head, end, list_head, step)
    assert got is not None and got[1] is True
    assert got == lists_reference(mappings, row, fields, True, head, end, list_head, step)
    assert whole_messages(got[0]) == 2 + -(-len(mappings) // step)


def test_a_repeated_port_and_odd_tuples() -> None:
    head, end = message(0x10, 1, bytes(4)), message(0x11, 1, bytes(4))
    parts = (bytes(8), b"h\x00\x00", True, head, end, message(1, ACK, bytes(4)), 8)
    assert fill([(1, "1.2.3.4", 2), (1, "1.2.3.5", 3)], *parts)[1] is False      # type: ignore[index]
    assert fill([(1, "1.2.3.4", 2), (1, "1.2.3.5", 3, "udp")], *parts) is None    # (widths differ)
    assert fill([(1, "1.2.3.4", 2, "tcp"), (1, "1.2.3.5", 3, "udp")], *parts)[1] is True  # type: ignore[index]
    for bad in ([], None, [(1, "1.2.3.04", 2)], [(1, "1.2.3.4", 0)]):
        assert fill(bad, *parts) is None, bad
    for args in (parts[:-1], (bytearray(8), *parts[1:]), (*parts[:-1], 1.0), (*parts[:-1], True),
                 (*parts[:-2], None, 8), (*parts, 1)):
        with pytest.raises(TypeError):          # a list head without its step, not bytes, a step not an int
            fill([(1, "1.2.3.4", 2)], *args)    # type: ignore[call-overload]
    with pytest.raises(ValueError):             # a step past any size
        fill([(1, "1.2.3.4", 2)], *parts[:-1], 1 << 70)


def test_lists_with_messages_take_whole_messages_around_them() -> None:
    """With messages, head and end must be whole messages (without, any bytes), and the list
    head holds a message header and its list attribute's (20 bytes, 4-aligned)."""
    head, end, lh = message(0x10, 1, bytes(4)), message(0x11, 1, bytes(4)), message(1, ACK, bytes(4))
    one = [(1, "1.2.3.4", 2)]
    for h, e, list_head in ((head[:-4], end, lh), (head, end + b"x", lh), (head, end, lh[:16]),
                            (head, end, lh + b"xy")):
        with pytest.raises(ValueError):
            fill(one, bytes(8), b"h\x00\x00", True, h, e, list_head, 8)
    got = fill(one, bytes(8), b"h\x00\x00", False, b"ab", b"c", lh, 8)
    assert got is not None and got[0] == b"ab" + struct.pack("=I", 28) + lh[4:-4] + b"\x0c\x00" + lh[-2:] + \
        b"\0\1" + bytes(6) + b"c"


def transaction(members: int = 2, ack_last: bool = True) -> bytearray:
    out = message(0x10, 1, bytes(4))
    for i in range(members):
        out += message(0xa00, 1 | (ACK if ack_last and i == members - 1 else 0), bytes(8))
    return bytearray(out + message(0x11, 1, bytes(4)))


@settings(max_examples=examples(500), deadline=None)
@given(st.one_of(st.binary(max_size=80), st.lists(_message, max_size=5).map(b"".join)))
def test_exchange_refuses_what_is_not_a_whole_transaction(data: bytes) -> None:
    """Anything but messages back to back (three or more, the last member acked) is refused
    before anything is sent: ValueError, never a crash (the fd is no socket: a send fails)."""
    n = whole_messages(data)
    r, w = os.pipe()
    try:
        members_ok = n >= 3 and _last_member_acked(data)
        if members_ok:
            with pytest.raises(OSError):            # (sent: a pipe is no socket)
                exchange(w, bytearray(data), 1, 1000, None)
        else:
            with pytest.raises(ValueError):
                exchange(w, bytearray(data), 1, 1000, None)
    finally:
        os.close(r)
        os.close(w)


def _last_member_acked(data: bytes) -> bool:
    at, flags = 0, []
    while at < len(data):
        length, _, f, _, _ = HDR.unpack_from(data, at)
        flags.append(f)
        at += (length + 3) & ~3
    return bool(flags[-2] & ACK)


def test_exchange_numbers_the_messages_and_checks_its_arguments() -> None:
    a, b = socket.socketpair(socket.AF_UNIX, socket.SOCK_DGRAM)
    with a, b:
        data = transaction(3)
        with pytest.raises(OSError) as got:            # a netlink address on a unix socket
            exchange(a.fileno(), data, 0x7FFFFFFE, 1000, None)
        assert got.value.errno == errno.EINVAL
        assert [HDR.unpack_from(data, at)[3] for at in (0, 20, 44, 68, 92)] == \
            [0x7FFFFFFE, 0x7FFFFFFF, 0x80000000, 0x80000001, 0x80000002]
        for args in ((a.fileno(), bytes(data), 1, 1000, None), (a.fileno(), data, 1, 1000),
                     ("3", data, 1, 1000, None), (a.fileno(), data, 1.0, 1000, None)):
            with pytest.raises(TypeError):
                exchange(*args)
        for args in ((-1, data, 1, 1000, None), (a.fileno(), data, 1 << 33, 1000, None),
                     (a.fileno(), data, 0, 1000, None), (a.fileno(), transaction(2, ack_last=False), 1, 1000, None)):
            with pytest.raises(ValueError):
                exchange(*args)


def test_exchange_sends_nothing_once_the_namespace_file_is_another(tmp_path: Path) -> None:
    f = tmp_path / "ns"
    f.write_bytes(b"")
    st_ = os.stat(f)
    a, b = socket.socketpair(socket.AF_UNIX, socket.SOCK_DGRAM)
    with a, b:
        for ns in ((str(f), st_.st_dev, st_.st_ino + 1), (str(tmp_path / "gone"), st_.st_dev, st_.st_ino)):
            assert exchange(a.fileno(), transaction(), 1, 1000, ns) is None
        with pytest.raises(OSError):                   # the same file: sent (and refused by the unix socket)
            exchange(a.fileno(), transaction(), 1, 1000, (str(f), st_.st_dev, st_.st_ino))
        with pytest.raises(TypeError):
            exchange(a.fileno(), transaction(), 1, 1000, (str(f), st_.st_dev))  # type: ignore[arg-type]


def test_the_reference_by_hand() -> None:
    """(the reference itself, checked by hand: one list of two rows, acked)"""
    head, end = message(0x10, 1, bytes(4)), message(0x11, 1, bytes(4))
    lh = message(0xa0c, ACK, bytes(4))[:16] + bytes(4) + struct.pack("=HH", 4, 3)
    mappings = [(1, "1.2.3.4", 2), (3, "5.6.7.8", 4)]
    got = lists_reference(mappings, bytes(4), [("h", 0)], True, head, end, lh, 8)
    assert got is not None and HDR.unpack_from(got[0], 20)[0] == len(lh) + 8 and \
        HDR.unpack_from(got[0], 20)[2] & ACK and got[0][20 + len(lh):20 + len(lh) + 8] == b"\0\1\0\0\0\3\0\0"
    assert lists(mappings, bytes(4), [("h", 0)], True, head, end, lh, 8) == got


def test_exchange_checks_the_namespace_file_before_anything() -> None:
    """The namespace check (csrc/netns.c's pnl_same_file): a file gone sends nothing (None), a
    stat that fails otherwise is an OSError with its errno; neither reads the batch or uses the fd."""
    assert exchange(0, bytearray(), 1, 1000, ("/nonexistent-pnl-ns-file", 1, 1)) is None
    with pytest.raises(OSError) as got:
        exchange(0, bytearray(), 1, 1000, ("/dev/null/not-a-dir", 1, 1))
    assert got.value.errno == errno.ENOTDIR
