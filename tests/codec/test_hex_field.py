"""A dump's link views read IFLA_ADDRESS as colon-separated hex in C (``_cview.F_HEX``): short
addresses written on the stack, longer ones (over 32 bytes) in a heap buffer; both equal to
``bytes.hex(":")``, an empty one None. Runs under ASan too (tools/asan-tests)."""
from __future__ import annotations

import struct

import pytest

from pynetlink.codec.rows import decode
from pynetlink.codec.specs.rtnl import RTNL
from pynetlink.rtnl import links
from pynetlink.rtnl.link import PLUCK

pytest.importorskip("pynetlink.codec._cview")


def _attr(t: int, payload: bytes) -> bytes:
    return struct.pack("=HH", 4 + len(payload), t) + payload + bytes(-len(payload) % 4)


def _link(index: int, mac: bytes) -> bytes:
    body = struct.pack("=BxHiII", 0, 1, index, 0, 0) + _attr(3, f"hx{index}".encode() + b"\0") + _attr(1, mac)
    return struct.pack("=IHHII", 16 + len(body), 16, 2, 1, 0) + body


@pytest.mark.parametrize("size", [0, 1, 6, 20, 32, 33, 64, 200])
def test_hex_of_every_length(size: int) -> None:
    macs = [bytes((i * 7 + j) & 0xFF for j in range(size)) for i in range(3)]
    data = b"".join(_link(i + 1, m) for i, m in enumerate(macs))
    rows = decode(data, RTNL, PLUCK)
    views = links.views_of(rows, rows.data_messages())
    assert [v.mac for v in views] == [m.hex(":") or None for m in macs]
    assert [v.name for v in views] == ["hx1", "hx2", "hx3"]
