"""pnl_ip_text: the addresses of a plucked table as text, equal to inet_ntop() per row; spans
outside the buffer or of another length give "!", never a read out of bounds; bad arguments
and a short output are refused.

Run under AddressSanitizer with tools/asan-tests: buffer, table and output are handed to C as
exact-size copies.
"""
from __future__ import annotations

import errno
import socket

from hypothesis import given, settings
from hypothesis import strategies as st

from pynetlink._native import ffi, lib
from pynetlink.codec.rows import NONE, ip_texts

from ._strategies import examples
from .test_pluck import SETTINGS

SPAN = st.one_of(st.just(NONE), st.tuples(st.integers(0, 80), st.sampled_from([0, 1, 4, 5, 15, 16, 17, 2**32 - 1]))
                 .map(lambda s: s[0] << 32 | s[1]), st.integers(0, 2**64 - 1))


def reference(data: bytes, cols: list[int], width: int, a: int, b: int) -> list[str]:
    out = []
    for r in range(len(cols) // width):
        span = cols[r * width + a]
        if span == NONE and b < width:
            span = cols[r * width + b]
        if span == NONE:
            out.append("")
            continue
        off, n = span >> 32, span & 0xFFFFFFFF
        if off + n > len(data) or n not in (4, 16):
            out.append("!")
        else:
            out.append(socket.inet_ntop(socket.AF_INET if n == 4 else socket.AF_INET6, data[off:off + n]))
    return out


def raw(data: bytes, cols: list[int], n: int, width: int, a: int, b: int, cap: int) -> tuple[int, bytes]:
    buf = ffi.new("uint8_t[]", max(len(data), 1))
    ffi.memmove(buf, data, len(data))
    c = ffi.new("uint64_t[]", max(len(cols), 1))
    for i, v in enumerate(cols):
        c[i] = v
    out = ffi.new("char[]", max(cap, 1))
    rc = lib.pnl_ip_text(buf if data else ffi.NULL, len(data), c, n, width, a, b, out, cap)
    return rc, ffi.unpack(out, max(rc, 0))


@settings(max_examples=examples(300), **SETTINGS)
@given(st.binary(max_size=64), st.integers(1, 4), st.lists(SPAN, max_size=24), st.data())
def test_ip_text_matches_inet_ntop(data: bytes, width: int, spans: list[int], draw: st.DataObject) -> None:
    rows = len(spans) // width
    cols = spans[:rows * width]
    a = draw.draw(st.integers(0, width - 1))
    b = draw.draw(st.integers(0, width + 1))
    want = reference(data, cols, width, a, b)
    rc, got = raw(data, cols, rows, width, a, b, rows * lib.PNL_IP_TEXT_MAX)
    assert rc == len(got) and got.decode("ascii").split("\n")[:-1] == want
    if rows:
        from array import array
        assert ip_texts(data, array("Q", cols), width, a, b if b < width else -1) == want
        short, _ = raw(data, cols, rows, width, a, b, rc - 1)
        assert short == -errno.ENOSPC


def test_ip_text_refuses_bad_arguments() -> None:
    for width, a in ((0, 0), (2, 2)):
        assert raw(b"\0" * 4, [4], 1, width, a, 9, 64)[0] == -errno.EINVAL
    assert lib.pnl_ip_text(ffi.NULL, 0, ffi.NULL, 1, 1, 0, 1, ffi.new("char[]", 8), 8) == -errno.EINVAL
    assert raw(b"", [], 0, 1, 0, 1, 0) == (0, b"")
