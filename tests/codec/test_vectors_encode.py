"""The encoder reproduces the real request bytes (iproute2, nft) for the same content.

Each request vector is decoded, a Program is built from its row structure alone (fixed
headers, leaves, strings with or without NUL, nests with their NLA_F_NESTED bit, nests that
start with a fixed header), encoded at the vector's sequence number, and compared with the
vector: byte for byte where the vector's sequence numbers are consecutive (as the encoder
assigns them), and always after zeroing the volatile ranges (``normalized_hex``).
"""
from __future__ import annotations

import struct
from typing import Any

import pytest

from pynetlink._native import lib
from pynetlink.codec import Compiled, Program, encode
from pynetlink.codec.rows import R_CONT, Rows, decode
from pynetlink.codec.schema import FLAG, RAW, S32, SCALARS, SIZES, STR, U64

from ._vectors import family_for, real_messages, vector_params


NLA_F_NESTED, NLA_F_NET_BYTEORDER = 1 << 15, 1 << 14


def _attr_type(rows: Rows, row: int) -> int:
    t = rows.type(row)
    if rows.flags(row) & lib.PNL_R_NESTED:
        t |= NLA_F_NESTED
    if rows.flags(row) & lib.PNL_R_NETBYTE:
        t |= NLA_F_NET_BYTEORDER
    return t


class _Builder:
    """Rows of one message -> (Program, values): a test helper, not library code."""

    def __init__(self, rows: Rows, m: int) -> None:
        self.rows = rows
        self.values: list[Any] = []
        flags = rows.msg_flags(m)
        self.prog = Program(f"msg@{rows.off[m]}", rows.type(m), flags,
                            dump=bool(flags & lib.NLM_F_DUMP == lib.NLM_F_DUMP))
        self.n = 0
        start = rows.off[m] + 16
        end = rows.off[m] + rows.len[m]
        if rows.flags(m) & R_CONT:
            self.container(m, start, end)
        elif end > start:                        # unknown type or short: all of it as header
            self.fixed(rows.data[start:end])

    def name(self) -> str:
        self.n += 1
        return f"f{self.n}"

    def fixed(self, header: bytes) -> None:
        self.prog.fixed(self.name(), f"{len(header)}s")
        self.values.append(header)

    def container(self, row: int, start: int, end: int) -> None:
        """Children of ``row`` (payload [start, end)): a fixed header before the first child."""
        rows = self.rows
        kids = list(rows.children(row))
        first = rows.off[kids[0]] - 4 if kids else end
        if first > start:
            self.fixed(rows.data[start:first])
        last = start
        for c in kids:
            self.attr(c)
            last = rows.off[c] + rows.len[c]
        # children tile the container up to alignment (nothing else to reproduce)
        assert (end - last) < 4 and not any(rows.data[last:end]) or not kids

    def attr(self, c: int) -> None:
        rows, prog = self.rows, self.prog
        t = _attr_type(rows, c)
        payload = rows.payload(c)
        if rows.flags(c) & R_CONT:
            prog.nest(t & 0x3FFF | t & NLA_F_NET_BYTEORDER, self.name(),
                      nested_flag=bool(t & NLA_F_NESTED))
            self.container(c, rows.off[c], rows.off[c] + rows.len[c])
            prog.end()
            return
        p = rows.parent[c]
        s = rows.set[p]
        a = None
        if s != lib.PNL_NO_SET and not rows.flags(c) & lib.PNL_R_UNKNOWN:
            a = rows.family.set_list[s].by_type.get(rows.type(c))
        kind = a.kind if a else RAW
        if kind == STR and 0 not in payload[:-1]:
            nul = payload[-1:] == b"\0"
            text = payload[:-1] if nul else payload
            prog.string(t, self.name(), max(len(text), 1), nul=nul)
            self.values.append(text)
        elif kind in SCALARS and not rows.flags(c) & lib.PNL_R_BADLEN and (
                len(payload) == SIZES[kind] or (kind == U64 and len(payload) == 4)):
            prog.int(t, self.name(), len(payload), big_endian=a.be, signed=kind == S32)
            self.values.append(rows.s(c) if kind == S32 else rows.u(c))
        elif kind == FLAG and not payload:
            prog.flag(t, self.name())
        elif rows.flags(c) & lib.PNL_R_UNKNOWN:
            prog.var(t, self.name(), max(len(payload), 1))      # PNL_OP_VAR
            self.values.append(payload)
        else:
            prog.bytes(t, self.name(), len(payload))            # PNL_OP_ATTR
            self.values.append(payload)

    def build(self) -> tuple[Compiled, tuple[Any, ...]]:
        return self.prog.compile(), tuple(self.values)


def programs_for(rows: Rows) -> list[tuple[Compiled, tuple[Any, ...]]]:
    return [_Builder(rows, m).build() for m in rows.messages()]


def _zero(buf: bytearray, ranges: list[dict[str, Any]]) -> bytes:
    for r in ranges:
        if r["offset"] < len(buf):
            buf[r["offset"]:r["offset"] + r["len"]] = bytes(r["len"])
    return bytes(buf)


@pytest.mark.parametrize("entry", vector_params("request"))
def test_encoder_reproduces_request(entry: dict[str, Any]) -> None:
    fam = family_for(entry)
    assert fam is not None
    raw = bytes.fromhex(entry["hex"])
    rows = decode(raw, fam)
    msgs = real_messages(entry)
    covered = msgs[-1]["offset"] + msgs[-1]["len"]
    assert not any(raw[covered:]), "only zero padding after the last message"

    items = programs_for(rows)
    seq0 = msgs[0]["seq"]
    enc = encode(items, seq0)
    out = enc.tobytes()
    assert enc.n == len(msgs)
    for i, vm in enumerate(msgs):                       # the request table
        assert enc.status[i].req_off == vm["offset"]
        assert enc.status[i].req_len == vm["len"]
    # volatile ranges (seq, fds, ifindexes...) compared through normalization
    normalized = bytes.fromhex(entry["normalized_hex"])[:covered]
    assert _zero(bytearray(out), entry["volatile"]) == normalized
    # and byte for byte, with the vector's own seqs where the encoder can assign them
    if [vm["seq"] for vm in msgs] == [(seq0 + i) & 0xFFFFFFFF for i in range(len(msgs))]:
        assert out == raw[:covered]
    else:
        patched = bytearray(out)
        for vm in msgs:
            struct.pack_into("=I", patched, vm["offset"] + 8, vm["seq"])
        assert bytes(patched) == raw[:covered]


def test_encoder_log_maps_extack_offset() -> None:
    """The name-too-long request: the kernel's offset 32 is the IFLA_IFNAME op in our log."""
    from ._vectors import load_vectors
    entry = next((e for e in load_vectors() if e["id"] == "err.link.name_too_long#2.req"), None)
    if entry is None:
        pytest.skip("vector not in this corpus")
    rows = decode(bytes.fromhex(entry["hex"]), family_for(entry))
    enc = encode(programs_for(rows), 1)
    assert enc.field_at(0, 32) == "f2"          # f1 = ifinfomsg, f2 = IFLA_IFNAME
    assert enc.field_at(0, 16) == "f1"
    assert enc.field_at(0, 33) == ""
