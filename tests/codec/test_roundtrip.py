"""Round trips through the C codec: random message trees -> Program -> encode -> decode.

The encoder's bytes must equal an independent Python encoding of the tree, and the decoder's
rows must be what the schema predicts (types, flags, payloads, values, nesting, index).
Also the encoder's error paths, called through Program and directly through lib.pnl_encode.
"""
from __future__ import annotations

import errno
import struct
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pynetlink._native import ffi, lib
from pynetlink.codec import Program, encode
from pynetlink.codec.rows import Rows, decode
from pynetlink.codec.schema import ARRAY, FLAG, HNEST, NEST, S32, STR, SUB, U64
from pynetlink.errors import InvalidArgument

from ._strategies import (FAM, HDR, MSG_KNOWN, MSG_UNKNOWN, NLA_F_NET_BYTEORDER, SETS, encode_ref, examples,
                          exact_buf, leaf_payload, message, nest_payload, program)

R_NESTED, R_BADLEN, R_UNKNOWN, R_CONT, R_NETBYTE = (
    lib.PNL_R_NESTED, lib.PNL_R_BADLEN, lib.PNL_R_UNKNOWN, lib.PNL_R_CONT, lib.PNL_R_NETBYTE)
MASK = R_NESTED | R_BADLEN | R_UNKNOWN | R_CONT | R_NETBYTE
_NEED = {lib.PNL_K_U8: 1, lib.PNL_K_U16: 2, lib.PNL_K_U32: 4, lib.PNL_K_U64: 4, lib.PNL_K_S32: 4}
SELECT = FAM.selectors["sel"]


# -- what the decoder should make of a tree ---------------------------------------------------
def _leaf(t: int, flags: int, payload: bytes, val: int = 0) -> tuple[Any, ...]:
    return (t, flags, payload, val, None)


def expect_children(nodes: list[dict[str, Any]], set_name: str | None) -> list[tuple[Any, ...]]:
    aset = SETS.get(set_name or "")
    seen: list[tuple[int, bytes]] = []           # the decoder remembers 8 strings per container
    out = []
    for n in nodes:
        t = n["type"] & 0x3FFF
        flags = R_NETBYTE if n["type"] & NLA_F_NET_BYTEORDER else 0
        if n["k"] == "nest" and n["nested"]:
            flags |= R_NESTED
        payload = nest_payload(n) if n["k"] == "nest" else leaf_payload(n)
        a = aset.by_type.get(t) if aset else None
        if a is None:
            out.append(_leaf(t, flags | R_UNKNOWN, payload))
            continue
        if a.kind == STR and len(seen) < 8:
            seen.append((t, payload))
        if a.kind in _NEED:
            need = _NEED[a.kind]
            if len(payload) < need:
                out.append(_leaf(t, flags | R_BADLEN, payload))
                continue
            if a.kind == U64 and len(payload) >= 8:
                need = 8
            v = int.from_bytes(payload[:need], "big" if a.be else "little")
            if a.kind == S32 and v >> 31:
                v = (v - (1 << 32)) & 0xFFFFFFFFFFFFFFFF
            out.append(_leaf(t, flags, payload, v))
        elif a.kind == FLAG:
            out.append(_leaf(t, flags, payload, payload[0] if payload else 0))
        elif a.kind == NEST:
            out.append((t, flags | R_CONT, payload, 0, expect_children(n["children"], a.child)))
        elif a.kind == HNEST:
            assert len(n["header"]) == HDR
            out.append((t, flags | R_CONT, payload, 0, expect_children(n["children"], a.child)))
        elif a.kind == ARRAY:
            elems = [(e["type"] & 0x3FFF, R_CONT | (R_NESTED if e["nested"] else 0),
                      nest_payload(e), 0, expect_children(e["children"], a.child))
                     for e in n["children"]]
            out.append((t, flags | R_CONT, payload, 0, elems))
        elif a.kind == SUB:
            chosen = None
            for st_type, st_payload in seen:
                if st_type == aset[a.extra]:
                    chosen = SELECT.get(st_payload.rstrip(b"\0").decode("latin-1"))
            if chosen is None:
                out.append(_leaf(t, flags, payload))
            else:
                out.append((t, flags | R_CONT, payload, 0, expect_children(n["children"], chosen)))
        else:
            out.append(_leaf(t, flags, payload))
    return out


def expect_message(m: dict[str, Any], seq: int) -> tuple[Any, ...]:
    kids = None if m["type"] == MSG_UNKNOWN else expect_children(
        m["children"], "t" if m["type"] == MSG_KNOWN else "t2")
    return (m["type"], R_UNKNOWN if kids is None else R_CONT, seq, m["flags"], kids)


def actual(rows: Rows, row: int) -> tuple[Any, ...]:
    kids = [actual(rows, c) for c in rows.children(row)] if rows.flags(row) & R_CONT else None
    return (rows.type(row), rows.flags(row) & MASK, rows.payload(row), rows.u(row), kids)


def actual_message(rows: Rows, m: int) -> tuple[Any, ...]:
    kids = [actual(rows, c) for c in rows.children(m)] if rows.flags(m) & R_CONT else None
    return (rows.type(m), rows.flags(m) & (R_CONT | R_UNKNOWN), rows.msg_seq(m), rows.msg_flags(m), kids)


def check_index(rows: Rows) -> None:
    """find() returns the first child of each type, and -1 for types not present."""
    for r in range(rows.count):
        if not rows.flags(r) & R_CONT:
            continue
        first: dict[int, int] = {}
        for c in rows.children(r):
            first.setdefault(rows.type(c), c)
        for t, c in first.items():
            assert rows.find(r, t) == c
        s = rows.set[r]
        if s != lib.PNL_NO_SET:
            for t in range(FAM.set_list[s].max_type + 2):
                if t not in first:
                    assert rows.find(r, t) == -1


@settings(max_examples=examples(400), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(msgs=st.lists(message(), min_size=1, max_size=4), seq=st.integers(0, 0xFFFFFFFF))
def test_roundtrip(msgs: list[dict[str, Any]], seq: int) -> None:
    enc = encode([program(m) for m in msgs], seq)
    data = enc.tobytes()
    assert data == encode_ref(msgs, seq)
    assert enc.n == len(msgs)
    rows = decode(data, FAM)
    assert rows.n_msgs == len(msgs)
    got = [actual_message(rows, m) for m in rows.messages()]
    assert got == [expect_message(m, (seq + i) & 0xFFFFFFFF) for i, m in enumerate(msgs)]
    check_index(rows)
    for m in rows.messages():
        rows.tree(m)
    # request table and per-message bytes
    off = 0
    for i in range(enc.n):
        st_ = enc.status[i]
        assert st_.req_off == off
        assert struct.unpack_from("=I", data, off)[0] == st_.req_len
        assert st_.flags & lib.PNL_ST_ACKREQ == (lib.PNL_ST_ACKREQ if msgs[i]["flags"] & lib.NLM_F_ACK else 0)
        off += st_.req_len


def test_array_element_keeps_nested_flag() -> None:
    """Regression: elements of an indexed array keep NLA_F_NESTED / NLA_F_NET_BYTEORDER."""
    p = (Program("a", 0x700, 1).fixed("h", "I").nest(13, "arr")
         .nest(1, "e1", nested_flag=True).int(3, "x").end()
         .nest(2 | NLA_F_NET_BYTEORDER, "e2").end().end().compile())
    rows = decode(encode([(p, (0, 7))], 1).tobytes(), FAM)
    arr = rows.find(0, 13)
    e1, e2 = rows.children(arr)
    assert rows.flags(e1) & MASK == R_CONT | R_NESTED
    assert rows.flags(e2) & MASK == R_CONT | R_NETBYTE
    assert rows.get_u(e1, 3) == 7


# -- encoder error paths ----------------------------------------------------------------------
def test_unclosed_nest_rejected_at_compile() -> None:
    with pytest.raises(ValueError, match="unclosed nest"):
        Program("p", 0x700, 1).nest(12, "a").int(3, "x").compile()
    with pytest.raises(ValueError, match="end"):
        Program("p", 0x700, 1).end()


def test_record_too_large() -> None:
    with pytest.raises(ValueError, match="record too large"):
        Program("p", 0x700, 1).bytes(10, "a", 40000).bytes(10, "b", 30000)


def test_attribute_too_large_for_nla_len() -> None:
    p = Program("p", 0x700, 1).bytes(10, "a", 0xFFFC).compile()
    with pytest.raises(InvalidArgument, match="entry 0, op 1"):
        encode([(p, (bytes(0xFFFC),))], 1)
    p = Program("p", 0x700, 1).bytes(10, "a", 0xFFFB).compile()    # 4 + 0xfffb fits
    assert len(encode([(p, (bytes(0xFFFB),))], 1).tobytes()) == 16 + 4 + 0xFFFC


def test_nest_too_large_for_nla_len() -> None:
    p = Program("p", 0x700, 1).nest(12, "n").bytes(10, "a", 30000).bytes(10, "b", 30000)
    for _ in range(1400):
        p.flag(11, "f")                     # 4 bytes each, nothing in the record
    with pytest.raises(InvalidArgument, match="op 1404"):          # the END
        encode([(p.end().compile(), (b"", b""))], 1)


def test_too_deep() -> None:
    p = Program("p", 0x700, 1)
    for _ in range(lib.PNL_MAX_DEPTH):
        p.nest(12, "n")
    for _ in range(lib.PNL_MAX_DEPTH):
        p.end()
    assert len(encode([(p.compile(), ())], 1).tobytes()) == 16 + 4 * lib.PNL_MAX_DEPTH
    p = Program("p", 0x700, 1)
    for _ in range(lib.PNL_MAX_DEPTH + 1):
        p.nest(12, "n")
    for _ in range(lib.PNL_MAX_DEPTH + 1):
        p.end()
    with pytest.raises(InvalidArgument):
        encode([(p.compile(), ())], 1)
    # what the encoder allows at most, the decoder refuses past its own depth limit
    deep = b"".join(struct.pack("=HH", 4 * (16 - i), 12) for i in range(16))
    from pynetlink.errors import DecodeError
    with pytest.raises(DecodeError):
        decode(struct.pack("=IHHII", 16 + 4 + len(deep), 0x700, 0, 0, 0) + bytes(4) + deep, FAM)


def test_bad_values() -> None:
    p = Program("p", 0x700, 1).int(3, "x", 2).compile()
    with pytest.raises(InvalidArgument):
        encode([(p, (70000,))], 1)
    with pytest.raises(InvalidArgument):
        encode([(p, ())], 1)


def test_var_longer_than_max() -> None:
    p = Program("p", 0x700, 1).var(10, "v", 4).compile()
    assert encode([(p, (b"abcd",))], 1).tobytes()[16:] == b"\x08\x00\x0a\x00abcd"
    # struct truncates the bytes to 4, but the length word says 5: the C side refuses it
    with pytest.raises(InvalidArgument):
        encode([(p, (b"abcde",))], 1)


# -- pnl_encode called directly -----------------------------------------------------------------
CANARY = 64


def raw_encode(job: bytes, out_cap: int, st_cap: int = 8, log_cap: int = 64,
               seq: int = 1) -> tuple[int, Any, bytes]:
    """pnl_encode with guard bytes after every buffer; returns (rc, res, output)."""
    out = ffi.new("uint8_t[]", out_cap + CANARY)
    ffi.memmove(out + out_cap, b"\xa5" * CANARY, CANARY)
    st = ffi.new("struct pnl_status[]", st_cap + 2)
    log = ffi.new("struct pnl_log[]", log_cap + 2)
    for i in (st_cap, st_cap + 1):
        st[i].req_off = 0xA5A5A5A5
    for i in (log_cap, log_cap + 1):
        log[i].msg = 0xA5A5A5A5
    res = ffi.new("struct pnl_enc *")
    jb = exact_buf(job) if job else ffi.NULL     # exact size: ASan sees overreads
    rc = lib.pnl_encode(jb, len(job), seq, out, out_cap, st, st_cap, log, log_cap, res)
    assert bytes(ffi.buffer(out + out_cap, CANARY)) == b"\xa5" * CANARY, "wrote past out_cap"
    assert all(st[i].req_off == 0xA5A5A5A5 for i in (st_cap, st_cap + 1)), "wrote past st_cap"
    assert all(log[i].msg == 0xA5A5A5A5 for i in (log_cap, log_cap + 1)), "wrote past log_cap"
    return rc, res, bytes(ffi.buffer(out, min(out_cap, res.out_len)))


def _sample_job() -> bytes:
    p = (Program("veth", 16, 0x605).fixed("ifinfomsg", "BxHiII").string(3, "name")
         .nest(18, "linkinfo").string(1, "kind", nul=False).nest(2, "data").nest(1, "peer")
         .fixed("peer", "BxHiII").string(3, "peer_name").end().end().end()
         .int(4, "mtu").var(1, "addr", 6).flag(11, "f").compile())
    return p.entry((0, 0, 0, 0, 0, b"va", b"veth", 0, 0, 0, 0, 0, b"vb", 1500, b"\x02" * 6))


@settings(max_examples=examples(1000), deadline=None)
@given(job=st.binary(max_size=200), cap=st.integers(0, 300))
def test_encode_garbage_job(job: bytes, cap: int) -> None:
    rc, res, _ = raw_encode(job, cap)
    assert rc in (0, -errno.EINVAL, -errno.ENOSPC)


@settings(max_examples=examples(1000), deadline=None)
@given(data=st.data())
def test_encode_mutated_job(data: st.DataObject) -> None:
    job = bytearray(_sample_job() * data.draw(st.integers(1, 3)))
    for _ in range(data.draw(st.integers(1, 6))):
        how = data.draw(st.sampled_from(["flip", "word", "cut", "insert"]))
        i = data.draw(st.integers(0, len(job) - 1))
        if how == "flip":
            job[i] ^= 1 << data.draw(st.integers(0, 7))
        elif how == "word":
            v = data.draw(st.sampled_from([0, 1, 3, 4, 0xFF, 0xFFFF, 0x10000, 0xFFFFFFFF,
                                           data.draw(st.integers(0, 0xFFFFFFFF))]))
            job[i:i + 4] = struct.pack("=I", v)[:len(job) - i]
        elif how == "cut":
            del job[i:]
            if not job:
                break
        else:
            job[i:i] = data.draw(st.binary(min_size=1, max_size=8))
    rc, res, _ = raw_encode(bytes(job), data.draw(st.integers(0, 400)), st_cap=data.draw(st.integers(0, 4)))
    assert rc in (0, -errno.EINVAL, -errno.ENOSPC)


def test_encode_enospc_sizing() -> None:
    job = _sample_job() * 3
    rc, res, _ = raw_encode(job, 0, log_cap=0)
    assert rc == -errno.ENOSPC
    need, n_log = res.out_len, res.n_log
    assert res.n_msgs == 3 and n_log == 3 * 11
    rc, res, short = raw_encode(job, need - 1, log_cap=n_log)
    assert rc == -errno.ENOSPC and res.out_len == need
    rc, res, full = raw_encode(job, need, log_cap=n_log - 1)
    assert rc == -errno.ENOSPC and res.n_log == n_log
    rc, res, full = raw_encode(job, need, log_cap=n_log)
    assert rc == 0 and res.out_len == need
    # a short buffer holds everything before the last (4-byte flag) attribute that did not fit
    assert short[:need - 4] == full[:need - 4] and short[need - 4:] == bytes(3)
    rc, res, _ = raw_encode(job, need, st_cap=2, log_cap=n_log)
    assert rc == -errno.ENOSPC                                  # 3 messages, 2 status rows
    # out and log may be NULL with zero capacity: a sizing pass
    res = ffi.new("struct pnl_enc *")
    rc = lib.pnl_encode(ffi.from_buffer(job), len(job), 1, ffi.NULL, 0, ffi.NULL, 0, ffi.NULL, 0, res)
    assert rc == -errno.ENOSPC and res.out_len == need


def test_encode_bad_entries() -> None:
    good = _sample_job()
    n_ops = struct.unpack_from("=I", good)[0]
    bad_head = bytearray(good)
    bad_head[8] = lib.PNL_OP_END                    # first op must be PNL_OP_MSG
    bad_op = bytearray(good)
    bad_op[8 + 8 * 2] = 99                          # unknown op
    oob = bytearray(good)
    struct.pack_into("=H", oob, 8 + 8 * 1 + 4, 0xFFF0)   # FIXED at an offset past the record
    end_first = bytearray(good)
    end_first[8 + 8 * 1] = lib.PNL_OP_END           # END without NEST
    for job, op in ((bad_head, 0), (bad_op, 2), (oob, 1), (end_first, 1)):
        rc, res, _ = raw_encode(bytes(job), 4096)
        assert rc == -errno.EINVAL and (res.err_entry, res.err_op) == (0, op)
    rc, res, _ = raw_encode(good + bad_op, 4096)
    assert rc == -errno.EINVAL and (res.err_entry, res.err_op) == (1, 2)
    rc, res, _ = raw_encode(good[:-1], 4096)        # record cut short
    assert rc == -errno.EINVAL and res.err_op == 0xFFFFFFFF
    rc, res, _ = raw_encode(struct.pack("=II", 0xFFFFFFFF, 0), 4096)
    assert rc == -errno.EINVAL
    rc, res, _ = raw_encode(struct.pack("=II", 0, 0), 4096)   # an entry with no ops
    assert rc == -errno.EINVAL
    assert n_ops == 15


def test_decode_sizes_row_table_exactly() -> None:
    """Many empty attributes (a row per 4 bytes): the table is measured first, then holds
    exactly the rows the buffer needs."""
    body = struct.pack("=HH", 4, 30) * 3000
    rows = decode(struct.pack("=IHHII", 20 + len(body), 0x700, 0, 5, 0) + bytes(4) + body, FAM)
    assert rows.count == 3001 and rows.n_msgs == 1 and rows.msg_seq(0) == 5
    assert len(rows.off) == len(rows.val) == 3001
