"""Bulk codec paths (csrc/bulk.c, rows entries of pnl_encode): the same bytes as one entry per
message, every length checked (malformed jobs refused, never a crash), prefixes parsed as
Python parses them.

Run under AddressSanitizer with tools/asan-tests. More examples: PYNETLINK_FUZZ_EXAMPLES=20000.
"""
from __future__ import annotations

import errno
import ipaddress
import socket
import struct

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pynetlink import _native
from pynetlink._native import ffi, lib
from pynetlink.codec import Program, encode
from pynetlink.codec.program import Many, _rows_entry, value_offsets
from pynetlink.errors import InvalidArgument

from ._strategies import examples

SETTINGS = dict(deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
ROUTE = (Program("add route", 24, 0x605).fixed("rtmsg", "BBBBBBBBI")
         .bytes(1, "dst", 4).bytes(5, "gateway", 4).int(6, "priority").compile())
VAR = (Program("with var", 24, 5).fixed("rtmsg", "BBBBBBBBI").var(7, "blob", 40)
       .nest(8, "n").string(3, "name").bytes(1, "dst", 16).end().compile())
BASE = [2, 32, 0, 0, 100, 3, 0, 1, 0, b"\0" * 4, bytes([198, 51, 100, 2]), 7]
VBASE = [10, 64, 0, 0, 100, 3, 0, 1, 0, b"xyz", b"eth0", b"\0" * 16]


def one_by_one(prog: Program, base: list, slots: tuple[int, ...], rows: list[tuple]) -> list:
    out = []
    for row in rows:
        values = list(base)
        for slot, value in zip(slots, row):
            values[slot] = value
        out.append((prog, values))
    return out


def pack(prog: object, slots: tuple[int, ...], rows: list[tuple]) -> bytes:
    offs = value_offsets(prog)  # type: ignore[arg-type]
    out = b""
    for row in rows:
        for slot, value in zip(slots, row):
            size = offs[slot][1]
            out += value.to_bytes(size, "little") if isinstance(value, int) else value
    return out


@settings(max_examples=examples(150), **SETTINGS)
@given(st.lists(st.tuples(st.integers(0, 32), st.binary(min_size=4, max_size=4), st.integers(0, 2**32 - 1)),
                max_size=40),
       st.integers(0, 2**31))
def test_rows_entry_makes_the_messages_of_one_entry_each(rows: list[tuple], seq: int) -> None:
    slots = (1, 9, 11)
    many = encode([(ROUTE, Many(BASE, slots, pack(ROUTE, slots, rows), len(rows)))], seq)
    each = encode(one_by_one(ROUTE, BASE, slots, rows), seq)
    assert many.n == each.n == len(rows)
    assert many.tobytes() == each.tobytes()
    assert [many.status[i].req_off for i in range(many.n)] == [each.status[i].req_off for i in range(each.n)]
    assert many.n_log == each.n_log


@settings(max_examples=examples(80), **SETTINGS)
@given(st.lists(st.tuples(st.integers(0, 128), st.binary(min_size=16, max_size=16)), max_size=12),
       st.integers(0, 3))
def test_rows_entries_between_plain_entries(rows: list[tuple], around: int) -> None:
    slots = (1, 11)
    plain = [(VAR, VBASE)] * around
    mixed = plain + [(VAR, Many(VBASE, slots, pack(VAR, slots, rows), len(rows)))] + plain
    a = encode(mixed, 5)
    b = encode(plain + one_by_one(VAR, VBASE, slots, rows) + plain, 5)
    assert a.tobytes() == b.tobytes() and a.n == b.n


def test_bad_rows_are_refused_in_python() -> None:
    with pytest.raises(InvalidArgument, match="bytes of rows"):
        encode([(ROUTE, Many(BASE, (1, 9), b"\0" * 9, 2))], 1)
    with pytest.raises(InvalidArgument, match="no value"):
        encode([(ROUTE, Many(BASE, (40,), b"", 0))], 1)
    with pytest.raises(InvalidArgument, match="variable-length"):
        encode([(VAR, Many(VBASE, (9,), b"\0" * 40, 1))], 1)


def raw_encode(job: bytes, n_cap: int = 64) -> int:
    """pnl_encode on an exact-size copy of a job (ASan sees a 1-byte overread)."""
    src = ffi.new("uint8_t[]", max(len(job), 1))
    ffi.memmove(src, job, len(job))
    out = ffi.new("uint8_t[]", 1 << 16)
    st_ = ffi.new("struct pnl_status[]", n_cap)
    log = ffi.new("struct pnl_log[]", 256)
    res = ffi.new("struct pnl_enc *")
    return int(lib.pnl_encode(src, len(job), 1, out, 1 << 16, st_, n_cap, log, 256, res))


def test_malformed_rows_entries_are_refused_by_c() -> None:
    good = _rows_entry(ROUTE, Many(BASE, (1, 9), bytes(10), 2))
    assert raw_encode(good) == 0
    n_ops, rec = struct.unpack_from("=II", good)
    tail = 8 + (n_ops & 0xFFFF) * 8 + ((rec + 3) & ~3)
    body, (_, n_patch) = good[:tail], struct.unpack_from("=II", good, tail)
    patches = good[tail + 8:tail + 8 + 4 * n_patch]
    rows = good[tail + 8 + 4 * n_patch:]
    for job in (
        body,                                                            # no rows header
        body + struct.pack("=II", 2, n_patch),                           # no patches
        body + struct.pack("=II", 3, n_patch) + patches + rows,          # rows short
        body + struct.pack("=II", 2**31, n_patch) + patches + rows,      # huge count
        body + struct.pack("=II", 2, n_patch) + struct.pack("=HH", rec - 1, 2) + patches[4:] + rows,  # past record
        body + struct.pack("=II", 2, 0x10000) + patches + rows,          # too many patches
        body + struct.pack("=II", 65, n_patch) + patches + bytes(5 * 65 + 3),   # more than the status table
    ):
        assert raw_encode(job) in (-errno.EINVAL, -errno.ENOSPC)


@settings(max_examples=examples(300), **SETTINGS)
@given(st.binary(max_size=200), st.integers(0, 70))
def test_random_rows_tails_never_crash(tail: bytes, n_rows: int) -> None:
    good = _rows_entry(ROUTE, Many(BASE, (1, 9), b"", 0))
    job = good[:-8] + struct.pack("=II", n_rows, len(tail) // 4 % 5) + tail
    assert raw_encode(job) in (0, -errno.EINVAL, -errno.ENOSPC)


def py_prefix(text: str, af: int) -> tuple[int, bytes] | None:
    addr, slash, plen = text.partition("/")
    try:
        raw = socket.inet_pton(af, addr)
    except (OSError, ValueError):
        return None
    if slash and not (plen.isascii() and plen.isdigit() and 0 < len(plen) <= 3):
        return None
    n = int(plen) if slash else 8 * len(raw)
    if n > 8 * len(raw):
        return None
    net = ipaddress.ip_network((raw, n), strict=False)
    return n, net.network_address.packed


PREFIX = st.one_of(
    st.builds(lambda a, n: f"{ipaddress.IPv4Address(a)}/{n}", st.integers(0, 2**32 - 1), st.integers(0, 40)),
    st.builds(lambda a, n: f"{ipaddress.IPv6Address(a)}/{n}", st.integers(0, 2**128 - 1), st.integers(0, 140)),
    st.builds(lambda a: str(ipaddress.IPv4Address(a)), st.integers(0, 2**32 - 1)),
    st.text(alphabet="0123456789./:abcdef\n\0%x ", max_size=50),
)


@settings(max_examples=examples(300), **SETTINGS)
@given(st.lists(PREFIX, max_size=20), st.sampled_from([socket.AF_INET, socket.AF_INET6]))
def test_prefixes_parse_as_python_does(texts: list[str], af: int) -> None:
    row = 5 if af == socket.AF_INET else 17
    raw = "\n".join(texts).encode()
    data = ffi.new("uint8_t[]", max(len(raw), 1))           # exact size: ASan sees an overread
    ffi.memmove(data, raw, len(raw))
    out = bytearray(len(texts) * row)
    got = lib.pnl_prefixes(ffi.cast("char *", data), len(raw), af, len(texts),
                           ffi.from_buffer(out) if texts else ffi.NULL, len(out))
    assert 0 <= got <= len(texts)
    lines = "\n".join(texts).split("\n")
    for k in range(got):
        want = py_prefix(lines[k], af)
        assert want is not None, lines[k]
        assert out[k * row] == want[0] and bytes(out[k * row + 1:(k + 1) * row]) == want[1]
    if got < len(texts) and len(lines) == len(texts):
        assert py_prefix(lines[got], af) is None or "\0" in lines[got]


def test_prefixes_arguments_checked() -> None:
    assert lib.pnl_prefixes(b"1.2.3.4", 7, 99, 1, ffi.new("uint8_t[]", 5), 5) == -errno.EINVAL
    assert lib.pnl_prefixes(b"1.2.3.4", 7, socket.AF_INET, 2, ffi.new("uint8_t[]", 5), 5) == -errno.EINVAL
    assert _native.prefixes(b"10.1.2.3/8\n10.0.0.1", socket.AF_INET, 2, 5) == (bytearray(b"\x08\n\0\0\0 \n\0\0\x01"), 2)
    assert _native.prefixes(b"10.1.2.3/8\n10.0.0.1\n", socket.AF_INET, 2, 5)[1] == 1   # n lines, no more


def test_status_odd() -> None:
    st_ = ffi.new("struct pnl_status[]", 6)
    done = lib.PNL_ST_DONE | lib.PNL_ST_SENT
    for i, (err, flags) in enumerate([(0, done), (5, done), (0, lib.PNL_ST_SENT), (0, done | lib.PNL_ST_DUMP_INTR),
                                      (0, done | lib.PNL_ST_ACKREQ), (0, 0)]):
        st_[i].error, st_[i].flags = err, flags
    assert _native.status_odd(st_, 6, lib.PNL_ST_DONE) == [1, 2, 3, 5]
    assert _native.status_odd(st_, 0, lib.PNL_ST_DONE) == []
    assert lib.pnl_status_odd(ffi.NULL, 3, 0, ffi.NULL, 0) == -errno.EINVAL


@settings(max_examples=examples(100), **SETTINGS)
@given(st.lists(st.tuples(st.sampled_from(["r", "v"]), st.integers(0, 32), st.binary(min_size=4, max_size=4),
                          st.binary(max_size=40)), max_size=40),
       st.integers(0, 2**31))
def test_runs_of_one_program_encode_as_one_entry_each(spec: list[tuple], seq: int) -> None:
    """encode merges runs of one program (rows entries): the bytes of one encode per message."""
    items = []
    for kind, plen, addr, blob in spec:
        if kind == "r":
            items.append((ROUTE, [*BASE[:1], plen, *BASE[2:9], addr, *BASE[10:]]))
        else:
            items.append((VAR, [*VBASE[:9], blob, b"eth0", addr * 4]))
    got = encode(items, seq)
    want = b"".join(encode([it], seq + k).tobytes() for k, it in enumerate(items))
    assert got.n == len(items) and got.tobytes() == want
    assert got.n_log == sum(encode([it], 0).n_log for it in items)


def test_a_run_with_a_bad_value_is_refused() -> None:
    items = [(ROUTE, list(BASE)) for _ in range(10)]
    items[5][1][11] = -1                         # a u32 priority below 0
    with pytest.raises(InvalidArgument, match="bad value"):
        encode(items, 1)


def test_packed_values_encode_as_their_values() -> None:
    from pynetlink.codec.program import packed, quiet
    items = [(VAR, VBASE), (ROUTE, BASE)]
    want = encode(items, 9).tobytes()
    assert encode([(p, packed(p, v)) for p, v in items], 9).tobytes() == want
    q = encode([(quiet(VAR), packed(VAR, VBASE))], 9)     # a record packed for a program is its twin's too
    assert q.tobytes()[:4] == want[:4] and q.tobytes()[16:q.length] == want[16:q.length]
    assert q.status[0].flags & lib.PNL_ST_QUIET and not q.status[0].flags & lib.PNL_ST_EXPECT
