"""pnl_col_text and codec.columns: a column's text made in one C call equals what the row
readers give message by message (strings up to their NUL, decoded with malformed bytes
replaced; addresses as inet_ntop; bytes as hex); spans outside the buffer, bad arguments
and a short output are refused, never read or written out of bounds.

Run under AddressSanitizer with tools/asan-tests: buffer, table and output are handed to C as
exact-size copies.
"""
from __future__ import annotations

import errno
import socket
from array import array
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from pynetlink._native import ffi, lib
from pynetlink.codec import columns
from pynetlink.codec.rows import ANY_TYPE, NONE, Pluck, decode

from ._strategies import FAM, MSG_KNOWN, MSG_NOHDR, encode_ref, exact_buf, examples, message
from .test_pluck import COLUMN, SETTINGS

MODES = (lib.PNL_T_IP, lib.PNL_T_STR, lib.PNL_T_HEX)
# spans mostly inside a short buffer, some anywhere; texts of odd bytes (NUL, invalid UTF-8)
SPAN = st.one_of(st.just(NONE), st.tuples(st.integers(0, 40), st.integers(0, 24)).map(lambda s: s[0] << 32 | s[1]),
                 st.tuples(st.integers(0, 80), st.sampled_from([0, 4, 16, 2**32 - 1])).map(lambda s: s[0] << 32 | s[1]),
                 st.integers(0, 2**64 - 1))
DATA = st.one_of(st.binary(max_size=48),
                 st.lists(st.sampled_from([b"\0", b"a", b"\xe2\x82", b"\xac", b"\xff", b"\xc3\xa9", b"\n"]),
                          max_size=24).map(b"".join))


def one(data: bytes, span: int, mode: int) -> str | None:
    """One row's text as the Python readers make it; None: the span is outside the buffer."""
    if span == NONE:
        return ""
    off, n = span >> 32, span & 0xFFFFFFFF
    inside = off + n <= len(data)
    raw = data[off:off + n]
    if mode == lib.PNL_T_IP:
        if not inside or n not in (4, 16):
            return "!"
        return socket.inet_ntop(socket.AF_INET if n == 4 else socket.AF_INET6, raw)
    if not inside:
        return None
    if mode == lib.PNL_T_STR:
        z = raw.find(0)
        return raw[:z if z >= 0 else n].decode("utf-8", "replace")
    return raw.hex(":")


def reference(data: bytes, cols: list[int], width: int, a: int, b: int, mode: int) -> list[str] | None:
    out = []
    for r in range(len(cols) // width):
        span = cols[r * width + a]
        if span == NONE and b < width:
            span = cols[r * width + b]
        text = one(data, span, mode)
        if text is None:
            return None
        out.append(text)
    return out


def raw(data: bytes, cols: list[int], n: int, width: int, a: int, b: int, mode: int,
        cap: int | None) -> tuple[int, bytes]:
    """pnl_col_text on exact-size copies; cap None: measure (out NULL)."""
    c = ffi.new("uint64_t[]", max(len(cols), 1))
    for i, v in enumerate(cols):
        c[i] = v
    out = ffi.NULL if cap is None else ffi.new("char[]", max(cap, 1))
    buf = exact_buf(data) if data else ffi.NULL
    rc = lib.pnl_col_text(buf, len(data), c, n, width, a, b, mode, out, cap or 0)
    return rc, (ffi.unpack(out, max(rc, 0)) if cap is not None else b"")


@settings(max_examples=examples(400), **SETTINGS)
@given(DATA, st.integers(1, 4), st.lists(SPAN, max_size=20), st.sampled_from(MODES), st.data())
def test_col_text_matches_readers(data: bytes, width: int, spans: list[int], mode: int, draw: Any) -> None:
    rows = len(spans) // width
    cols = spans[:rows * width]
    a = draw.draw(st.integers(0, width - 1))
    b = draw.draw(st.integers(0, width + 1))
    want = reference(data, cols, width, a, b, mode)
    need, _ = raw(data, cols, rows, width, a, b, mode, None)
    if want is None:                        # a string or hex span outside the buffer
        assert need == -errno.EINVAL
        assert raw(data, cols, rows, width, a, b, mode, 4096)[0] == -errno.EINVAL
        return
    rc, got = raw(data, cols, rows, width, a, b, mode, need)
    assert rc == need == len(got)
    assert got.count(b"\0") == rows and (not rows or got.endswith(b"\0"))
    assert got.decode("utf-8", "replace").split("\0")[:-1] == want
    if rows:
        assert raw(data, cols, rows, width, a, b, mode, need - 1)[0] == -errno.ENOSPC
        from pynetlink._native import col_texts
        assert col_texts(data, array("Q", cols), width, a, b if b < width else -1, mode) == want


def test_col_text_refuses_bad_arguments() -> None:
    four = b"\0\1\2\3"
    for width, a, mode in ((0, 0, lib.PNL_T_STR), (2, 2, lib.PNL_T_STR), (1, 0, 3), (1, 0, 0xFFFFFFFF)):
        assert raw(four, [4], 1, width, a, 9, mode, 64)[0] == -errno.EINVAL
    out = ffi.new("char[]", 8)
    assert lib.pnl_col_text(ffi.NULL, 0, ffi.NULL, 1, 1, 0, 1, lib.PNL_T_STR, out, 8) == -errno.EINVAL
    assert lib.pnl_col_text(ffi.NULL, 4, ffi.NULL, 0, 1, 0, 1, lib.PNL_T_STR, out, 8) == -errno.EINVAL
    assert lib.pnl_col_text(exact_buf(four), 4, ffi.new("uint64_t[]", [4]), 1, 1, 0, 1, lib.PNL_T_STR,
                            ffi.NULL, 8) == -errno.EINVAL       # no output but a capacity
    assert raw(b"", [], 0, 1, 0, 1, lib.PNL_T_STR, 0) == (0, b"")
    assert raw(four, [4, NONE, 1 << 32 | 2, 0], 4, 1, 0, 1, lib.PNL_T_HEX, 64) == (
        20, b"00:01:02:03\x00\x0001:02\x00\x00")


def test_col_text_examples() -> None:
    data = b"eth0\0junk" + b"\xc6\x33\x64\x07" + b"\x02\x42\xac\x11\x00\x02"
    cols = [4, 9, NONE, 9 << 32 | 4, 13 << 32 | 6]     # "eth0", "eth0\0junk", absent, ip, mac
    assert raw(data, cols[:3], 3, 1, 0, 1, lib.PNL_T_STR, 64) == (11, b"eth0\0eth0\0\0")
    assert raw(data, cols[3:4], 1, 1, 0, 1, lib.PNL_T_IP, 64) == (13, b"198.51.100.7\0")
    assert raw(data, cols[4:], 1, 1, 0, 1, lib.PNL_T_HEX, 64) == (18, b"02:42:ac:11:00:02\0")
    assert raw(data, [NONE, 9 << 32 | 4], 1, 2, 0, 1, lib.PNL_T_IP, 64) == (13, b"198.51.100.7\0")


@settings(max_examples=examples(200), **SETTINGS)
@given(st.lists(message(), min_size=0, max_size=6), st.sampled_from([MSG_KNOWN, MSG_NOHDR, ANY_TYPE]),
       st.lists(COLUMN, max_size=6), st.data())
def test_columns_table_matches_readers(msgs: list[dict[str, Any]], msg_type: int,
                                       cols: list[tuple[Any, ...]], draw: Any) -> None:
    """columns.table / text / ints over decoded messages equal the plucked columns and the
    texts the row readers give for them."""
    cols = [c for c in cols if c[0] not in ("hdr", "hdrs") or c[1] + c[2] <= 4]
    data = encode_ref(msgs, 1)
    rows = decode(data, FAM)
    spec = Pluck(msg_type, 4, tuple(cols))
    t = columns.table(rows, spec, 2)
    w = spec.width
    assert len(t) == w + 3 and t[w] is None and t[w + 1] is None
    flat = [x for k in range(len(t[0])) for x in (t[j][k] for j in range(w))]
    from pynetlink.codec.rows import pluck
    assert flat == pluck(rows, spec).tolist()
    for j, c in enumerate(cols, 1):
        got = columns.ints(t, j, signed=c[0] == "hdrs")
        assert got == [None if x == NONE else x - (1 << 64) if c[0] == "hdrs" and x >> 63 else x for x in t[j]]
        if c[0] != "span":
            continue
        mode = draw.draw(st.sampled_from(MODES))
        assert columns.text(t, w, j, mode) == [one(data, x, mode) for x in t[j]]
        assert t[w] == [one(data, x, mode) for x in t[j]]


def test_columns_strings_of_real_names() -> None:
    """Names with UTF-8, truncated sequences, NULs and none at all read as get_str reads them."""
    names = [b"eth0", "na\u00efve".encode(), b"bad\xe2\x82", b"x\0tail", b"", b"\xff\xfe", b"\xe2\x82"]
    msgs = [{"type": MSG_KNOWN, "flags": 0, "header": b"\0" * 4,
             "children": [{"k": "str", "type": 9, "text": n, "size": len(n), "nul": i % 2 == 0}]}
            for i, n in enumerate(names)]
    msgs.append({"type": MSG_KNOWN, "flags": 0, "header": b"\0" * 4, "children": []})
    rows = decode(encode_ref(msgs, 1), FAM)
    t = columns.table(rows, Pluck(MSG_KNOWN, 4, (("span", 9),)), 1)
    want = [rows.get_str(m, 9) for m in t[0]]
    assert want[-1] is None and want[1] == "na\u00efve" and want[3] == "x"
    assert columns.text(t, 2, 1) == [w or "" for w in want]
    assert columns.ints(t, 1)[-1] is None
