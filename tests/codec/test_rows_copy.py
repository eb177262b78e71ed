"""Rows entries whose messages are copies of the first (csrc/encode.c copy_rows): every byte,
request-table entry and offset-log entry equal to encoding each message in full; programs
whose patched values change the layout (big-endian ints, strings) are encoded in full. And
against an oracle outside the codec: copied DNAT rules equal the bytes `nft` itself sent
(shared/vectors); tests/nft/test_bulk.py reads such copies back from the kernel (`nft -j`)."""
from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pynetlink.codec import Program, encode
from pynetlink.codec.program import Many, Raw, quiet, value_offsets

from pynetlink._native import lib
from pynetlink.nft.bulk import dnat_items

from ._strategies import examples
from ._vectors import load_vectors
from .test_bulk import one_by_one

SETTINGS = dict(deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
# a DNAT-like program: strings, nests, a fixed header and data bytes (the patched slots: 2, 6, 8)
NAT = (Program("add rule", 0xa06, 0x605).fixed("nfgenmsg", "BB2s").string(1, "table").string(2, "chain")
       .nest(4, "exprs").nest(1, "e0").bytes(1, "dport", 2).bytes(2, "addr", 4).end()
       .nest(1, "e1").bytes(1, "port", 2).int(3, "flags", 4, big_endian=True).end().end().compile())
NAT_BASE = [2, 0, b"\0\0", b"nat", b"prerouting", b"\0\1", b"\0\0\0\1", b"\0\2", 7]
NAT_SLOTS = (5, 6, 7)
# patched values that move what follows them or are written big-endian: encoded in full
BE = (Program("be", 24, 5).fixed("hdr", "BBBB").int(1, "a", 4, big_endian=True).bytes(2, "b", 4).compile())
STR = (Program("str", 24, 5).fixed("hdr", "BBBB").string(1, "name", 16).bytes(2, "b", 4).compile())


def packed(prog: Any, slots: tuple[int, ...], rows: list[tuple[Any, ...]]) -> bytes:
    """The rows as the record holds the values (ints native: the encoder writes them)."""
    offs = value_offsets(prog)
    out = b""
    for row in rows:
        for slot, value in zip(slots, row):
            size = offs[slot][1]
            if isinstance(value, int):
                out += value.to_bytes(size, "little")
            else:
                out += value.ljust(size, b"\0")
    return out


def tables(enc: Any) -> tuple[bytes, list[tuple[int, ...]], list[tuple[int, int, int]]]:
    status = [(s.error, s.flags, s.req_off, s.req_len) for s in (enc.status[i] for i in range(enc.n))]
    log = [(e.msg, e.off, e.op) for e in (enc.log[i] for i in range(enc.n_log))]
    return enc.tobytes(), status, log


def same(items_many: list[Any], items_each: list[Any], seq: int) -> None:
    a, b = encode(items_many, seq), encode(items_each, seq)
    assert a.n == b.n
    assert tables(a) == tables(b)


@settings(max_examples=examples(120), **SETTINGS)
@given(st.lists(st.tuples(st.binary(min_size=2, max_size=2), st.binary(min_size=4, max_size=4),
                          st.binary(min_size=2, max_size=2)), min_size=1, max_size=30),
       st.integers(0, 2**32 - 1), st.integers(0, 2), st.booleans())
def test_copied_messages_equal_full_ones(rows: list[tuple[Any, ...]], seq: int, around: int, hush: bool) -> None:
    prog = quiet(NAT) if hush else NAT
    plain = [(NAT, NAT_BASE)] * around
    many = Many(NAT_BASE, NAT_SLOTS, packed(prog, NAT_SLOTS, rows), len(rows))
    same(plain + [(prog, many)] + plain, plain + one_by_one(prog, NAT_BASE, NAT_SLOTS, rows) + plain, seq)


@settings(max_examples=examples(80), **SETTINGS)
@given(st.lists(st.tuples(st.integers(0, 2**32 - 1), st.binary(min_size=4, max_size=4)), min_size=1, max_size=20),
       st.lists(st.tuples(st.binary(min_size=0, max_size=15).filter(lambda b: b"\0" not in b),
                          st.binary(min_size=4, max_size=4)), min_size=1, max_size=20))
def test_layout_changing_patches_are_encoded_in_full(be_rows: list[tuple[Any, ...]],
                                                     str_rows: list[tuple[Any, ...]]) -> None:
    base = [1, 2, 3, 4, 0, b"\0" * 4]
    many = Many(base, (4, 5), packed(BE, (4, 5), be_rows), len(be_rows))
    same([(BE, many)], one_by_one(BE, base, (4, 5), be_rows), 9)
    sbase = [1, 2, 3, 4, b"x", b"\0" * 4]
    many = Many(sbase, (4, 5), packed(STR, (4, 5), str_rows), len(str_rows))
    same([(STR, many)], one_by_one(STR, sbase, (4, 5), str_rows), 9)


def test_copied_dnat_rules_equal_the_bytes_nft_sends() -> None:
    """nft 1.0.6's NEWRULE for ``tcp dport 8080 dnat to 172.17.0.2:80`` (vector
    nft.file.batch#7.req, its last rule) against the DNAT rules ``add_dnat_rules`` sends
    (pynetlink.nft.bulk: copies of a template filled in C from the tuples, one raw item)
    whose tuples hold those values, the others other ones. They differ only in what the
    vectors' README lists as varying (the sequence number, zeroed) and in NLM_F_ACK (nft asks
    no ack per rule here; the raw item keeps it on its last message only)."""
    vec = {v["id"]: v for v in load_vectors()}["nft.file.batch#7.req"]
    rule = [m for m in vec["messages"] if m.get("type_name", "").endswith("NFT_MSG_NEWRULE")][-1]
    theirs = bytes.fromhex(vec["normalized_hex"])[rule["offset"]:rule["offset"] + rule["len"]]
    mine = (8080, "172.17.0.2", 80)
    maps = [(9000, "10.9.9.9", 9001), mine, (9002, "10.9.9.8", 9003), mine, (9004, "10.9.9.7", 9005)]
    got = dnat_items("ip", "nat", "PREROUTING", maps)
    assert got is not None and got[1] is None
    items = got[0]
    assert len(items) == 1
    raw: Any = items[0][1]
    assert type(raw) is Raw and raw.count == 5
    enc = encode(items, 1)
    msgs = [bytearray(enc.message(i)) for i in range(enc.n)]
    acked = []
    for m in msgs:
        m[8:12] = bytes(4)                                            # nlmsg_seq
        flags = int.from_bytes(m[6:8], "little")
        acked.append(bool(flags & lib.NLM_F_ACK))
        m[6:8] = (flags & ~lib.NLM_F_ACK).to_bytes(2, "little")
    assert acked == [False, False, False, False, True]
    assert [bytes(m) == theirs for m in msgs] == [False, True, False, True, False]
