"""Raw job entries (PNL_JOB_RAW, codec ``Raw``): messages already encoded, copied by the
encoder with their sequence numbers; malformed ones (a length that does not fit, a count
that does not match) are refused with InvalidArgument, never read past (fuzzed; run under
ASan by tools/asan-tests)."""
from __future__ import annotations

import os
import struct

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pynetlink._native import lib
from pynetlink.codec import Program, encode
from pynetlink.codec.program import Raw, quiet
from pynetlink.errors import InvalidArgument

PROG = Program("raw test", 0x10, lib.NLM_F_REQUEST | lib.NLM_F_ACK).compile()
HDR = struct.Struct("=IHHII")
EXAMPLES = int(os.environ.get("PYNETLINK_FUZZ_EXAMPLES", "300"))


def message(body: bytes, flags: int, kind: int = 0x10) -> bytes:
    """One message (padded to 4), sequence number 0."""
    m = HDR.pack(HDR.size + len(body), kind, flags, 0, 0) + body
    return m + bytes(-len(m) % 4)


def test_raw_messages_are_copied_with_their_sequence_numbers() -> None:
    acked = lib.NLM_F_REQUEST | lib.NLM_F_ACK
    msgs = [message(b"abc", lib.NLM_F_REQUEST), message(b"", lib.NLM_F_REQUEST), message(b"12345678", acked)]
    plain = (PROG, [])
    enc = encode([plain, (PROG, Raw(b"".join(msgs), 3)), plain], 100)
    assert enc.n == 5
    for i, m in enumerate(msgs):
        got = enc.message(i + 1)
        length, kind, flags, seq, pid = HDR.unpack_from(got)
        assert seq == 101 + i and got[16:] == m[16:length] and (kind, flags) == (0x10, HDR.unpack_from(m)[2])
    flags = [int(enc.status[i].flags) for i in range(5)]
    assert [bool(f & lib.PNL_ST_QUIET) for f in flags] == [False, True, True, False, False]
    assert [bool(f & lib.PNL_ST_ACKREQ) for f in flags] == [True, False, False, True, True]
    # made quiet (a transaction's member before the last): no NLM_F_ACK on any of them
    enc = encode([(quiet(PROG), Raw(b"".join(msgs), 3))], 1)
    assert not any(HDR.unpack_from(enc.message(i))[2] & lib.NLM_F_ACK for i in range(3))


@pytest.mark.parametrize("data,count", [
    (message(b"", 1), 2),                                   # fewer messages than said
    (message(b"", 1) * 2, 1),                               # more
    (b"", 0),                                               # nothing
    (HDR.pack(15, 0x10, 1, 0, 0), 1),                       # shorter than a header
    (HDR.pack(64, 0x10, 1, 0, 0) + bytes(4), 1),            # longer than what is there
    (b"\x10\x00\x00", 1),                                   # a header cut short
])
def test_malformed_raw_entries_are_refused(data: bytes, count: int) -> None:
    with pytest.raises(InvalidArgument):
        encode([(PROG, Raw(data, count))], 1)


@settings(max_examples=EXAMPLES, deadline=None)
@given(st.lists(st.one_of(st.binary(min_size=0, max_size=40).map(lambda b: message(b, 1)),
                          st.binary(min_size=0, max_size=40)), min_size=1, max_size=6),
       st.integers(0, 8))
def test_fuzzed_raw_entries_encode_or_refuse(parts: list[bytes], count: int) -> None:
    data = b"".join(parts)
    try:
        enc = encode([(PROG, Raw(data, count))], 7)
    except InvalidArgument:
        return
    assert enc.n == count
    at = 0
    for i in range(count):                  # what it made is the input, message by message
        length = HDR.unpack_from(data, at)[0]
        got = enc.message(i)
        assert len(got) == length and got[16:] == data[at + 16:at + length]
        at += (length + 3) & ~3
