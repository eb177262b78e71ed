"""Fuzzing the C decoder and reply parser: rows or DecodeError, never anything else, never a crash.

Run under AddressSanitizer with tools/asan-tests. More examples: PYNETLINK_FUZZ_EXAMPLES=20000.
Inputs: random bytes, random bytes behind a valid header, mutated real vectors (bit flips,
truncations, length fields set to 0/3/4/huge, insertions, deletions), random and mutated
schemas given to lib.pnl_decode, and scripted kernel replies fed to pnl_xfer (no socket: see
_xfer_harness.py).
"""
from __future__ import annotations

import errno
import struct
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pynetlink._native import ffi, lib
from pynetlink.codec import Family, encode
from pynetlink.codec.rows import Rows, decode
from pynetlink.codec.specs.rtnl import RTNL
from pynetlink.errors import DecodeError

from ._strategies import FAM, encode_ref, exact_buf, examples, message
from ._vectors import family_for, load_vectors, nft_family

FAMILIES = [f for f in (RTNL, FAM, nft_family()) if f is not None]
SETTINGS = dict(deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def check_rows(rows: Rows) -> None:
    """Every row lies inside the buffer and its parent; the tree views work."""
    n = len(rows.data)
    for i in range(rows.count):
        assert i < rows.end[i] <= rows.count
        assert rows.off[i] + rows.len[i] <= n
        p = rows.parent[i]
        if p >= 0:
            assert p < i and rows.end[i] <= rows.end[p]
            assert rows.off[p] <= rows.off[i] and rows.off[i] + rows.len[i] <= rows.off[p] + rows.len[p]
    for m in rows.messages():
        rows.tree(m)
        for c in rows.children(m):
            rows.find(m, rows.type(c))


def exact_decode(data: bytes, words: Any) -> int:
    """pnl_decode on an exact-size copy of ``data``: a Python bytes object has a spare NUL
    byte (and small ones live in pymalloc arenas), so only this lets ASan see a 1-byte overread."""
    cap, index_cap = 8, 8
    while True:
        rc, r = raw_decode(data, list(words), cap, index_cap)
        if rc != -errno.ENOSPC:
            return rc
        cap, index_cap = max(cap, r.count), max(index_cap, r.index_len)


def decode_or_error(data: bytes, fam: Family) -> Rows | None:
    rc = exact_decode(data, fam.words)
    assert rc in (0, -errno.EBADMSG)
    try:
        rows = decode(data, fam)
    except DecodeError as exc:
        assert exc.offset is not None and 0 <= exc.offset <= len(data)
        assert rc == -errno.EBADMSG
        return None
    assert rc == 0
    check_rows(rows)
    return rows


@settings(max_examples=examples(1000), **SETTINGS)
@given(data=st.binary(max_size=600), fam=st.sampled_from(FAMILIES))
def test_random_bytes(data: bytes, fam: Family) -> None:
    decode_or_error(data, fam)


@st.composite
def framed(draw: Any) -> bytes:
    """Messages with believable nlmsghdrs around random payloads (gets past the first check)."""
    fam = draw(st.sampled_from(FAMILIES))
    types = sorted(fam.messages) + [draw(st.integers(0, 0xFFFF))]
    out = b""
    for _ in range(draw(st.integers(1, 3))):
        body = draw(st.binary(max_size=300))
        out += struct.pack("=IHHII", 16 + len(body), draw(st.sampled_from(types)),
                           draw(st.integers(0, 0xFFFF)), 0, 0) + body
        out += bytes(-len(out) % 4)
    return out


@settings(max_examples=examples(1000), **SETTINGS)
@given(data=framed(), fam=st.sampled_from(FAMILIES))
def test_framed_random_payload(data: bytes, fam: Family) -> None:
    decode_or_error(data, fam)


def _corpus() -> list[tuple[bytes, Family]]:
    out = []
    for e in load_vectors():
        fam = family_for(e)
        if fam is not None:
            out.append((bytes.fromhex(e["hex"]), fam))
    return out


CORPUS = _corpus()


def _length_fields(data: bytes, fam: Family) -> list[tuple[int, int]]:
    """(offset, size) of every nlmsg_len and nla_len in a decodable buffer."""
    rows = decode(data, fam)
    fields = []
    for i in range(rows.count):
        if rows.parent[i] < 0:
            fields.append((rows.off[i], 4))
        else:
            fields.append((rows.off[i] - 4, 2))
    return fields


@st.composite
def mutated(draw: Any) -> tuple[bytes, Family]:
    data, fam = draw(st.sampled_from(CORPUS or [(encode_ref([draw(message())], 1), FAM)]))
    buf = bytearray(data)
    fields = _length_fields(data, fam)
    for _ in range(draw(st.integers(1, 4))):
        if not buf:
            break
        how = draw(st.sampled_from(["flip", "length", "length", "truncate", "insert", "delete", "byte"]))
        i = draw(st.integers(0, len(buf) - 1))
        if how == "flip":
            buf[i] ^= 1 << draw(st.integers(0, 7))
        elif how == "byte":
            buf[i] = draw(st.integers(0, 255))
        elif how == "length" and fields:
            off, size = draw(st.sampled_from(fields))
            if off + size <= len(buf):
                v = draw(st.sampled_from([0, 1, 3, 4, 5, 15, 16, 17, 0xFFFF, 0xFFFFFFFF,
                                          len(buf) - off, len(buf) - off + 1,
                                          draw(st.integers(0, 0xFFFF))]))
                buf[off:off + size] = (v & (0xFFFF if size == 2 else 0xFFFFFFFF)).to_bytes(size, "little")
        elif how == "truncate":
            del buf[i:]
        elif how == "insert":
            buf[i:i] = draw(st.binary(min_size=1, max_size=12))
        else:
            del buf[i:i + draw(st.integers(1, 12))]
    return bytes(buf), fam


@settings(max_examples=examples(2000), **SETTINGS)
@given(case=mutated())
def test_mutated_vectors(case: tuple[bytes, Family]) -> None:
    data, fam = case
    decode_or_error(data, fam)


def test_every_vector_exact_buffer() -> None:
    """Each real vector, decoded from a buffer of exactly its size (see exact_decode)."""
    for data, fam in CORPUS:
        assert exact_decode(data, fam.words) == 0


def test_every_truncation_of_every_vector() -> None:
    """Deterministic: each vector cut at every 4th byte (and its last 3) decodes or fails cleanly."""
    for data, fam in CORPUS[:: max(1, len(CORPUS) // 150)]:
        cuts = set(range(0, len(data), 4)) | {len(data) - 1, len(data) - 2, len(data) - 3}
        for cut in sorted(c for c in cuts if c >= 0):
            decode_or_error(data[:cut], fam)


def test_decode_error_offsets() -> None:
    """A clear error: DecodeError (a ValueError) with the offset of the bad length."""
    good = struct.pack("=IHHII", 28, lib.RTM_NEWLINK, 0, 0, 0) + bytes(16)
    with pytest.raises(DecodeError, match="at byte 0") as ei:
        decode(good[:20], RTNL)                          # nlmsg_len past the end
    assert isinstance(ei.value, ValueError) and ei.value.offset == 0
    msg = struct.pack("=IHHII", 40, lib.RTM_NEWLINK, 0, 0, 0) + bytes(16) + struct.pack("=HH", 3, 3) + bytes(4)
    with pytest.raises(DecodeError) as ei:
        decode(msg, RTNL)                                # nla_len 3 < 4
    assert ei.value.offset == 32
    msg = struct.pack("=IHHII", 40, lib.RTM_NEWLINK, 0, 0, 0) + bytes(16) + struct.pack("=HH", 12, 3) + bytes(4)
    with pytest.raises(DecodeError) as ei:
        decode(msg, RTNL)                                # nla_len past the message
    assert ei.value.offset == 32
    with pytest.raises(DecodeError):
        decode(b"\x01" + bytes(15), RTNL)                # nlmsg_len 1
    # trailing zero padding is not an error; a short header is not a message
    assert decode(good + bytes(8), RTNL).n_msgs == 1
    rows = decode(struct.pack("=IHHII", 20, lib.RTM_NEWLINK, 0, 0, 0) + bytes(4), RTNL)
    assert rows.flags(0) & lib.PNL_R_BADLEN and rows.n_msgs == 1


# -- malformed schemas --------------------------------------------------------------------------
def raw_decode(data: bytes, words: list[int], cap: int = 64, index_cap: int = 128) -> tuple[int, Any]:
    cols = {name: ffi.new(f"{t}[]", cap + 1) for name, t in (
        ("off", "uint32_t"), ("len", "uint32_t"), ("tf", "uint32_t"), ("parent", "int32_t"),
        ("end", "uint32_t"), ("set", "uint32_t"), ("val", "uint64_t"), ("slot", "uint32_t"))}
    index = ffi.new("uint32_t[]", index_cap + 1)
    for col in cols.values():
        col[cap] = 0x5A5A5A5A
    index[index_cap] = 0x5A5A5A5A
    r = ffi.new("struct pnl_rows *")
    for name, col in cols.items():
        setattr(r, name, col)
    r.index, r.cap, r.index_cap = index, cap, index_cap
    schema = ffi.new("uint32_t[]", words) if words else ffi.NULL
    buf = exact_buf(data)
    rc = lib.pnl_decode(buf, len(data), schema, len(words), r)
    assert all(col[cap] == 0x5A5A5A5A for col in cols.values()), "wrote past cap"
    assert index[index_cap] == 0x5A5A5A5A, "wrote past index_cap"
    if rc == 0:
        for i in range(r.count):
            assert cols["off"][i] + cols["len"][i] <= len(data)
    return rc, r


ALLOWED = (0, -errno.EINVAL, -errno.EBADMSG, -errno.ENOSPC, -errno.EMSGSIZE)
SAMPLE = CORPUS[0][0] if CORPUS else encode_ref([{"type": 0x700, "flags": 0, "header": bytes(4),
                                                   "children": []}], 1)


@settings(max_examples=examples(1000), **SETTINGS)
@given(words=st.lists(st.integers(0, 0xFFFFFFFF) | st.integers(0, 40), max_size=80),
       magic=st.booleans(), data=st.sampled_from([c[0] for c in CORPUS[:60]] or [SAMPLE]))
def test_random_schema(words: list[int], magic: bool, data: bytes) -> None:
    if magic:
        words = [lib.PNL_SCHEMA_MAGIC] + words
    rc, _ = raw_decode(data, words)
    assert rc in ALLOWED


def mutated_schema(data: st.DataObject) -> tuple[Family, list[int]]:
    """A family and its schema words with a few set to edge values, maybe cut short."""
    fam = data.draw(st.sampled_from(FAMILIES))
    words = list(fam.words)
    for _ in range(data.draw(st.integers(1, 6))):
        i = data.draw(st.integers(0, len(words) - 1))
        words[i] = data.draw(st.sampled_from([0, 1, 2, 0xFFFF, 0x10000, 0xFFFFFFFF, len(words),
                                              len(words) - 1, data.draw(st.integers(0, 0xFFFFFFFF))]))
    if data.draw(st.booleans()):
        words = words[:data.draw(st.integers(0, len(words)))]
    return fam, words


@settings(max_examples=examples(1000), **SETTINGS)
@given(data=st.data())
def test_mutated_schema(data: st.DataObject) -> None:
    fam, words = mutated_schema(data)
    buf = data.draw(st.sampled_from([c[0] for c in CORPUS if c[1] is fam][:80] or [SAMPLE]))
    rc, _ = raw_decode(buf, words, cap=data.draw(st.integers(0, 400)),
                       index_cap=data.draw(st.integers(0, 3000)))
    assert rc in ALLOWED


# -- the reply parser of pnl_xfer, fed scripted datagrams -----------------------------------------
@pytest.fixture(scope="module")
def harness(tmp_path_factory: pytest.TempPathFactory) -> Any:
    from ._xfer_harness import build
    mod = build(tmp_path_factory.mktemp("xfer"))
    if mod is None:
        pytest.skip("no C compiler for the pnl_xfer harness")
    return mod


def _requests(seq: int):
    from pynetlink.codec import Program
    ack = Program("set", lib.RTM_NEWLINK, lib.NLM_F_REQUEST | lib.NLM_F_ACK).fixed("h", "16s").compile()
    dump = Program("dump", lib.RTM_GETLINK, lib.NLM_F_REQUEST | lib.NLM_F_DUMP, dump=True) \
        .fixed("h", "16s").compile()
    plain = Program("get", lib.RTM_GETLINK, lib.NLM_F_REQUEST, reply=True).fixed("h", "16s").compile()
    silent = Program("batch", 0x10, lib.NLM_F_REQUEST).fixed("h", "4s").compile()
    return encode([(ack, (bytes(16),)), (dump, (bytes(16),)), (plain, (bytes(16),)),
                   (silent, (bytes(4),)), (ack, (bytes(16),))], seq)


def run_xfer(h: Any, enc: Any, dgrams: list[tuple[int, bytes]], data_cap: int = 70000) -> tuple[int, Any, bytes]:
    script = b"".join(struct.pack("=II", len(d), pid) + d for pid, d in dgrams)
    sbuf = exact_buf(script)
    h.lib.harness_load(sbuf, len(script))
    req = exact_buf(enc.tobytes())
    st_ = h.ffi.new("struct pnl_status[]", enc.n)
    for i in range(enc.n):              # the request table pnl_encode made
        h.ffi.memmove(h.ffi.addressof(st_, i), ffi.buffer(ffi.addressof(enc.status, i)),
                      ffi.sizeof("struct pnl_status"))
    x = h.ffi.new("struct pnl_xfer *")
    data = h.ffi.new("uint8_t[]", data_cap)
    x.data, x.data_cap, x.timeout_ms = data, data_cap, 1
    keep = [data]
    while True:
        rc = h.lib.harness_xfer(req, len(enc.tobytes()), enc.seq_first, st_, enc.n, x)
        assert x.data_len <= x.data_cap
        if rc != h.lib.PNL_XF_NEED_SPACE:
            break
        bigger = h.ffi.new("uint8_t[]", x.data_cap * 2)
        h.ffi.memmove(bigger, x.data, x.data_len)
        keep.append(bigger)
        x.data, x.data_cap = bigger, x.data_cap * 2
    kept = bytes(h.ffi.buffer(x.data, x.data_len))
    for i in range(enc.n):
        s = st_[i]
        if s.ext_msg_len:
            assert s.ext_msg_off + s.ext_msg_len <= x.data_len, "extack text outside the kept data"
        assert s.error >= 0
    return rc, st_, kept


def _msg(mtype: int, flags: int, seq: int, body: bytes, pid: int = 0) -> bytes:
    m = struct.pack("=IHHII", 16 + len(body), mtype, flags, seq, pid) + body
    return m + bytes(-len(m) % 4)


def _tlv(t: int, payload: bytes) -> bytes:
    return struct.pack("=HH", 4 + len(payload), t) + payload + bytes(-len(payload) % 4)


def test_xfer_harness_happy_path(harness: Any) -> None:
    enc = _requests(100)
    req = [enc.message(i) for i in range(enc.n)]
    ack0 = _msg(2, lib.NLM_F_CAPPED, 100, struct.pack("=i", 0) + req[0][:16])
    link = _msg(lib.RTM_NEWLINK, lib.NLM_F_MULTI, 101, bytes(16) + _tlv(3, b"lo\0"))
    done = _msg(3, lib.NLM_F_MULTI, 101, struct.pack("=i", 0))
    reply = _msg(lib.RTM_NEWLINK, 0, 102, bytes(16) + _tlv(3, b"eth0\0"))
    err = _msg(2, lib.NLM_F_ACK_TLVS, 104, struct.pack("=i", -22) + req[4]
               + _tlv(1, b"bad value\0") + _tlv(2, struct.pack("=I", 16)))
    rc, st_, kept = run_xfer(harness, enc, [(0, ack0 + link + done), (0, reply), (5, reply), (0, err)])
    assert rc == 0
    assert [st_[i].error for i in range(5)] == [0, 0, 0, 0, 22]
    assert [st_[i].n_data for i in range(5)] == [0, 1, 1, 0, 0]
    s = st_[4]
    assert kept[s.ext_msg_off:s.ext_msg_off + s.ext_msg_len] == b"bad value" and s.ext_offs == 16
    rows = decode(kept, RTNL)
    assert rows.n_msgs == 3                  # link, reply, error (acks and done dropped)


def test_xfer_extack_past_unaligned_end(harness: Any) -> None:
    """Regression: an error whose nlmsg_len is not a multiple of 4, followed by more bytes.

    parse_extack stepped past the message end by the alignment and then read the rest of the
    datagram (and beyond it) as TLVs, because `end - tlv` wrapped around."""
    enc = _requests(7)
    req0 = enc.message(0)
    body = struct.pack("=i", -22) + req0[:16] + struct.pack("=HH", 5, 9) + b"x"   # TLV ends at 41
    err = struct.pack("=IHHII", 16 + len(body), 2, lib.NLM_F_ACK_TLVS | lib.NLM_F_CAPPED, 7, 0) + body
    err += bytes(-len(err) % 4)
    # what follows fills the receive area: an extack text with no NUL that runs past its end
    cap = 65536
    tail = struct.pack("=HH", 0xFFFF, 1) + b"A" * (cap - len(err) - 4)
    rc, st_, kept = run_xfer(harness, enc, [(0, err + tail)], data_cap=cap)
    s = st_[0]
    assert s.error == 22 and s.ext_msg_len == 0 and s.ext_offs == 0xFFFFFFFF


@st.composite
def replies(draw: Any, seq: int, reqs: list[bytes]) -> list[tuple[int, bytes]]:
    out = []
    for _ in range(draw(st.integers(0, 6))):
        dgram = b""
        for _ in range(draw(st.integers(1, 4))):
            i = draw(st.integers(0, len(reqs)))
            s = (seq + i) & 0xFFFFFFFF
            kind = draw(st.sampled_from(["ack", "err", "done", "data", "random"]))
            if kind == "ack":
                m = _msg(2, lib.NLM_F_CAPPED, s, struct.pack("=i", 0) + reqs[i % len(reqs)][:16])
            elif kind == "err":
                tlvs = b"".join(_tlv(draw(st.integers(0, 6)), draw(st.binary(max_size=24)))
                                for _ in range(draw(st.integers(0, 3))))
                echo = reqs[i % len(reqs)] if draw(st.booleans()) else reqs[i % len(reqs)][:16]
                flags = lib.NLM_F_ACK_TLVS | (lib.NLM_F_CAPPED if len(echo) == 16 else 0)
                m = _msg(2, flags, s, struct.pack("=i", -draw(st.integers(1, 200))) + echo + tlvs)
            elif kind == "done":
                m = _msg(3, lib.NLM_F_MULTI | draw(st.sampled_from([0, lib.NLM_F_DUMP_INTR])), s,
                         struct.pack("=i", draw(st.sampled_from([0, 0, -5]))))
            elif kind == "data":
                m = _msg(lib.RTM_NEWLINK, lib.NLM_F_MULTI, s, bytes(16) + draw(st.binary(max_size=40)))
            else:
                m = draw(st.binary(max_size=60))
            dgram += m
        buf = bytearray(dgram)
        for _ in range(draw(st.integers(0, 3))):          # mutations
            if not buf:
                break
            j = draw(st.integers(0, len(buf) - 1))
            how = draw(st.sampled_from(["flip", "len16", "len32", "cut"]))
            if how == "flip":
                buf[j] ^= 1 << draw(st.integers(0, 7))
            elif how == "len16":
                buf[j:j + 2] = struct.pack("=H", draw(st.sampled_from([0, 3, 4, 5, 0xFFFF])))[:len(buf) - j]
            elif how == "len32":
                buf[j:j + 4] = struct.pack("=I", draw(st.sampled_from([0, 15, 16, 17, 36, 0xFFFFFFFF])))[:len(buf) - j]
            else:
                del buf[j:]
        out.append((draw(st.sampled_from([0, 0, 0, 1234])), bytes(buf)))
    return out


@settings(max_examples=examples(1000), **SETTINGS)
@given(data=st.data())
def test_xfer_reply_parser(harness: Any, data: st.DataObject) -> None:
    seq = data.draw(st.sampled_from([1, 0xFFFFFFFE, 12345]))
    enc = _requests(seq)
    reqs = [enc.message(i) for i in range(enc.n)]
    dgrams = data.draw(replies(seq, reqs))
    rc, st_, kept = run_xfer(harness, enc, dgrams, data_cap=data.draw(st.sampled_from([65536, 65600, 70000])))
    assert rc in (0, -errno.ETIMEDOUT, -errno.EBADMSG, -errno.EMSGSIZE)
    if rc == 0:
        assert all(st_[i].flags & lib.PNL_ST_DONE for i in range(enc.n))
    decode_or_error(kept, RTNL)
