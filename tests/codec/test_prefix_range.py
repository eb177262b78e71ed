"""pnl_prefix_range (csrc/bulk.c), add_range's rows: the rows ``Prefixes.rows`` makes in
Python (prefix length, then the address), for IPv4 and IPv6, any length, carries across
bytes; past the last address it refuses (ERANGE), bad arguments EINVAL, never a crash.

Run under AddressSanitizer with tools/asan-tests. More examples: PYNETLINK_FUZZ_EXAMPLES=20000.
"""
from __future__ import annotations

import errno

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pynetlink._native import ffi, lib, prefix_range
from pynetlink.rtnl.route_range import Prefixes

from ._strategies import examples

SETTINGS = dict(deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def ranges(draw: st.DrawFn) -> tuple[int, int, int, int]:
    """(size, plen, first, count) that stay within the address space."""
    size = draw(st.sampled_from([4, 16]))
    plen = draw(st.integers(1, 8 * size))
    step = 1 << (8 * size - plen)
    slots = 1 << plen
    k = draw(st.integers(0, slots - 1))
    count = draw(st.integers(0, min(300, slots - k)))
    return size, plen, k * step, count


@settings(max_examples=examples(400), **SETTINGS)
@given(ranges())
def test_the_rows_of_python(r: tuple[int, int, int, int]) -> None:
    size, plen, first, count = r
    assert prefix_range(first.to_bytes(size, "big"), plen, count) == Prefixes(first, count, plen, size).rows()


@pytest.mark.parametrize("first, plen, count, last", [
    ("172.17.0.250", 32, 10, "172.17.1.3"),            # carry into the next byte
    ("10.255.255.255", 32, 2, "11.0.0.0"),             # into the first byte
    ("10.0.0.0", 9, 3, "11.0.0.0"),                    # a step that is not a whole byte
    ("2001:db8:ffff:ffff::", 64, 2, "2001:db9::"),
])
def test_carries(first: str, plen: int, count: int, last: str) -> None:
    import ipaddress
    a, z = ipaddress.ip_address(first), ipaddress.ip_address(last)
    rows = prefix_range(a.packed, plen, count)
    row = 1 + len(a.packed)
    assert len(rows) == count * row and rows[0] == plen and rows[1:row] == a.packed
    assert rows[-row] == plen and rows[-row + 1:] == z.packed


@pytest.mark.parametrize("first, plen, count", [
    (b"\xff\xff\xff\xf0", 32, 17),                     # 17 from .240: one past 255.255.255.255
    (b"\x80\0\0\0", 1, 2),
    (b"\0\0\0\0", 0, 2),                               # /0: there is only one
    (b"\xff" * 16, 128, 2),
])
def test_past_the_last_address(first: bytes, plen: int, count: int) -> None:
    with pytest.raises(OSError) as e:
        prefix_range(first, plen, count)
    assert e.value.errno == errno.ERANGE
    assert prefix_range(first, plen, count - 1)        # one fewer fits


def test_bad_arguments_are_refused() -> None:
    out = ffi.new("uint8_t[]", 64)
    assert lib.pnl_prefix_range(b"\0" * 8, 8, 64, 1, out, 64) == -errno.EINVAL      # size 8
    assert lib.pnl_prefix_range(b"\0" * 4, 4, 33, 1, out, 64) == -errno.EINVAL      # /33
    assert lib.pnl_prefix_range(b"\0" * 4, 4, 32, 13, out, 64) == -errno.EINVAL     # 13 rows > 64 bytes
    assert lib.pnl_prefix_range(ffi.NULL, 4, 32, 1, out, 64) == -errno.EINVAL
    assert lib.pnl_prefix_range(b"\0" * 4, 4, 32, 1, ffi.NULL, 64) == -errno.EINVAL
    assert lib.pnl_prefix_range(b"\0" * 4, 4, 32, 0, ffi.NULL, 0) == 0
