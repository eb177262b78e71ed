"""pnl_decode_pluck over buffers large enough (256 KiB and up) that it reserves its columns
for every message the buffer can hold at once (no step-by-step growth leaving pages behind in
malloc's heap): the same results as pnl_decode_grow + pnl_pluck, at the bound (a buffer of
16-byte messages only), and with a malformed message at its end. Runs under ASan too."""
from __future__ import annotations

import struct

from pynetlink.codec.rows import ANY_TYPE

from .test_fuzz import CORPUS, FAMILIES
from .test_fuzz_lean import lean, same, spec_of

BIG = 300 * 1024
SPECS = (spec_of(ANY_TYPE, 4, [("hdr", 0, 1), ("span", 1), ("u", 4), ("row", 2, 1)]),
         spec_of(24, 12, [("hdr", 0, 8), ("span", 1), ("span", 5), ("u", 4), ("u", 15)]))


def _repeat(fam: object) -> bytes:
    one = b"".join(c[0] for c in CORPUS if c[1] is fam and len(c[0]) % 4 == 0 and c[0][-4:] != bytes(4))
    return one * (BIG // len(one) + 1) if one else b""


def test_large_buffers_as_decode_then_pluck() -> None:
    for fam in FAMILIES:
        data = _repeat(fam)
        if not data:
            continue
        for spec in SPECS:
            same(data, fam, spec)
            same(data + struct.pack("=IHHII", 64, 24, 0, 1, 0) + bytes(8), fam, spec)   # overruns the end


def test_as_many_messages_as_a_large_buffer_holds() -> None:
    """16-byte messages only (NLMSG_NOOP): len / 16 of them, the most the reservation allows."""
    fam = FAMILIES[0]
    n = BIG // 16
    data = struct.pack("=IHHII", 16, 1, 0, 7, 0) * n
    for spec in SPECS:
        same(data, fam, spec)
        rc, t = lean(data, fam, spec)
        assert rc == 0 and t.n_msgs == n and t.n_out == 0       # (types below 16: no data)


def test_a_first_message_larger_than_the_rest() -> None:
    """The reservation is sized from the first message (a dump's are alike): a large first
    one leaves too little room for the rest, which grows as it goes, with the same results."""
    for fam in FAMILIES:
        rest = _repeat(fam)
        if not rest:
            continue
        first = struct.pack("=IHHII", 65536, 1, 0, 7, 0) + bytes(65536 - 16)   # NLMSG_NOOP
        for spec in SPECS:
            same(first + rest, fam, spec)
            same(first + struct.pack("=IHHII", 16, 1, 0, 7, 0) * (BIG // 16), fam, spec)
