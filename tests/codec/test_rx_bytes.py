"""The receive area of a large dump as the bytes it keeps (``_cview.rx_bytes``): cut in place
to what was received (``rx_shrink``), a plain bytes object afterwards; anything but a bytes
object and a size within it refused. Runs under ASan too (tools/asan-tests)."""
from __future__ import annotations

import pytest

from pynetlink._native import ffi
from pynetlink.codec.columns import _cview

pytestmark = pytest.mark.skipif(_cview is None, reason="a build without the C views")


def test_rx_shrink_cuts_in_place_and_refuses_what_is_not_within() -> None:
    b = _cview.rx_bytes(100)
    b_id = id(b)
    assert type(b) is bytes and len(b) == 100
    p = ffi.from_buffer("uint8_t[]", b)
    ffi.memmove(p, b"x" * 40, 40)
    ffi.release(p)
    _cview.rx_shrink(b, 40)
    assert id(b) == b_id and b == b"x" * 40 and len(b) == 40 and hash(b) == hash(b"x" * 40)
    assert b[35:] == b"xxxxx" and b.find(0) == -1
    for bad in ((b, 41), (b, -1), (bytearray(10), 5), ("text", 1)):
        with pytest.raises(ValueError, match="rx_shrink"):
            _cview.rx_shrink(*bad)
    with pytest.raises(ValueError, match="rx_bytes"):
        _cview.rx_bytes(-1)


def test_rx_shrink_to_nothing_and_to_all() -> None:
    b = _cview.rx_bytes(8)
    p = ffi.from_buffer("uint8_t[]", b)
    ffi.memmove(p, b"abcdefgh", 8)
    ffi.release(p)
    _cview.rx_shrink(b, 8)
    assert b == b"abcdefgh"
    _cview.rx_shrink(b, 0)
    assert b == b"" and len(b) == 0
    assert _cview.rx_bytes(0) == b""
