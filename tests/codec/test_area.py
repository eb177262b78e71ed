"""pnl_area: the receive area of a blocking transfer, grown and shrunk keeping its bytes
(realloc: small blocks from malloc's heap, large ones mapped and grown by mremap)."""
from __future__ import annotations

from pynetlink._native import Transfer, _area, ffi, lib


def _fill(p: object, n: int, seed: int) -> bytes:
    data = bytes((seed + i * 7) & 0xFF for i in range(n))
    ffi.memmove(p, data, n)
    return data


def test_area_keeps_its_bytes_across_every_size_class() -> None:
    p = lib.pnl_area(ffi.NULL, 4096)
    assert p != ffi.NULL
    want = _fill(p, 4096, 1)
    for size in (300_000, 2 << 20, 8 << 20):         # heap or mapped, then grown
        p = lib.pnl_area(p, size)
        assert p != ffi.NULL
        assert bytes(ffi.buffer(p, len(want))) == want
        ffi.memmove(ffi.cast("uint8_t *", p) + size - 4096, b"\xab" * 4096, 4096)   # all of it writable
    p = lib.pnl_area(p, 1000)                         # shrunk: the first bytes kept
    assert bytes(ffi.buffer(p, 1000)) == want[:1000]
    lib.pnl_area_free(p)


def test_area_of_zero_bytes_is_a_valid_block() -> None:
    p = lib.pnl_area(ffi.NULL, 0)
    assert p != ffi.NULL
    lib.pnl_area_free(p)


def test_transfer_area_grows_keeping_its_bytes() -> None:
    t = Transfer(cap=65536)
    first = _fill(t.data, 65536, 3)
    for cap in (1 << 17, 1 << 21):                    # as Transfer.run grows it
        t.data, t.cap = _area(t.data, cap), cap
        assert bytes(ffi.buffer(t.data, 65536)) == first
