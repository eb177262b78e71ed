"""pnl_decode_grow (one pass over a table the decoder grows) against pnl_decode on a table of
exactly the right size: the same return code and the same columns, for random, framed and
mutated buffers and random schemas; the columns _native takes stay valid after the table.

Run under AddressSanitizer with tools/asan-tests (the buffers are exact-size C copies, the
table is malloc'd by C: an overread, overflow or double free aborts).
"""
from __future__ import annotations

import errno
import gc
import struct
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from pynetlink import _native
from pynetlink._native import ffi, lib
from pynetlink.codec import Family
from pynetlink.codec.rows import decode
from pynetlink.codec.specs.rtnl import RTNL

from ._strategies import examples, exact_buf
from .test_fuzz import CORPUS, FAMILIES, SAMPLE, SETTINGS, framed, mutated, mutated_schema, raw_decode

COLUMNS = ("off", "len", "tf", "parent", "end", "set", "val", "slot")
GROW_RC = (0, -errno.EINVAL, -errno.EBADMSG, -errno.EMSGSIZE)


def grow(data: bytes, words: list[int]) -> tuple[int, dict[str, list[int]], Any]:
    """pnl_decode_grow on an exact-size copy: its rc, the columns it filled, the struct."""
    t = ffi.gc(lib.pnl_rows_new(), lib.pnl_rows_free)
    schema = ffi.new("uint32_t[]", words) if words else ffi.NULL
    rc = lib.pnl_decode_grow(exact_buf(data), len(data), schema, len(words), t)
    cols: dict[str, list[int]] = {}
    if rc == 0:
        assert t.parent == ffi.NULL                      # not kept in grow mode
        assert t.cap <= max(t.count, 1) and t.index_cap <= max(t.index_len, 1)   # shrunk to fit
        cols = {n: [getattr(t, n)[i] for i in range(t.count)] for n in COLUMNS if n != "parent"}
        cols["index"] = [t.index[i] for i in range(t.index_len)]
    return rc, cols, t


def fixed(data: bytes, words: list[int]) -> tuple[int, dict[str, list[int]]]:
    """pnl_decode on a table of exactly the size it asks for (what decode did before)."""
    rc, r = raw_decode(data, words, 0, 0)
    if rc == 0:                                          # no rows at all
        return rc, {n: [] for n in COLUMNS + ("index",)}
    if rc != -errno.ENOSPC:
        return rc, {}
    count, index_len = r.count, r.index_len
    cols = {n: ffi.new(f"{'int32_t' if n == 'parent' else 'uint64_t' if n == 'val' else 'uint32_t'}[]",
                       max(count, 1)) for n in COLUMNS}
    index = ffi.new("uint32_t[]", max(index_len, 1))
    c = ffi.new("struct pnl_rows *")
    for n, col in cols.items():
        setattr(c, n, col)
    c.index, c.cap, c.index_cap = index, count, index_len
    schema = ffi.new("uint32_t[]", words)
    rc = lib.pnl_decode(exact_buf(data), len(data), schema, len(words), c)
    out = {n: list(col)[:count] for n, col in cols.items()}
    out["index"] = list(index)[:index_len]
    return rc, out


def same(data: bytes, words: list[int]) -> None:
    rc_g, cols_g, t = grow(data, words)
    rc_f, cols_f = fixed(data, words)
    assert rc_g in GROW_RC
    assert rc_g == rc_f or (rc_f == -errno.ENOSPC and rc_g == 0), (rc_g, rc_f)
    if rc_g == 0:
        parent = cols_f.pop("parent")
        assert cols_g == cols_f
        if rc_g == 0 and words:
            fam = next((f for f in FAMILIES if list(f.words) == words), None)
            if fam is not None:
                assert list(decode(data, fam).parent) == parent     # derived from end[]
    elif rc_g == -errno.EBADMSG:
        assert 0 <= t.err_off <= len(data)


@settings(max_examples=examples(500), **SETTINGS)
@given(data=st.binary(max_size=600), fam=st.sampled_from(FAMILIES))
def test_grow_random_bytes(data: bytes, fam: Family) -> None:
    same(data, list(fam.words))


@settings(max_examples=examples(500), **SETTINGS)
@given(data=framed(), fam=st.sampled_from(FAMILIES))
def test_grow_framed(data: bytes, fam: Family) -> None:
    same(data, list(fam.words))


@settings(max_examples=examples(1000), **SETTINGS)
@given(case=mutated())
def test_grow_mutated_vectors(case: tuple[bytes, Family]) -> None:
    same(case[0], list(case[1].words))


@settings(max_examples=examples(500), **SETTINGS)
@given(words=st.lists(st.integers(0, 0xFFFFFFFF) | st.integers(0, 40), max_size=80),
       data=st.sampled_from([c[0] for c in CORPUS[:60]] or [SAMPLE]))
def test_grow_random_schema(words: list[int], data: bytes) -> None:
    same(data, [lib.PNL_SCHEMA_MAGIC] + words)


@settings(max_examples=examples(300), **SETTINGS)
@given(data=st.data())
def test_grow_mutated_schema(data: st.DataObject) -> None:
    fam, words = mutated_schema(data)
    buf = data.draw(st.sampled_from([c[0] for c in CORPUS if c[1] is fam][:80] or [SAMPLE]))
    same(buf, words)


def test_grow_many_rows() -> None:
    """Buffers far denser than the first guess (one row per 16 bytes): attributes of 4 bytes,
    so every column and the index are regrown several times; the same table as pnl_decode."""
    words = list(RTNL.words)
    for n_attrs in (0, 1, 100, 5000, 60000):
        body = bytes(16) + struct.pack("=HH", 4, lib.IFLA_IFNAME) * n_attrs
        msg = struct.pack("=IHHII", 16 + len(body), lib.RTM_NEWLINK, 0, 1, 0) + body
        data = msg * 8
        rc_g, cols_g, _ = grow(data, words)
        rc_f, cols_f = fixed(data, words)
        assert rc_g == rc_f == 0
        cols_f.pop("parent")
        assert cols_g == cols_f and len(cols_g["off"]) == 8 * (n_attrs + 1)


def test_columns_outlive_their_table() -> None:
    """Each column owns its C memory: kept after the table and the Rows are gone, it still
    reads what the decoder wrote (ASan: no use after free), and goes with its last reference."""
    data, fam = CORPUS[0] if CORPUS else (SAMPLE, FAMILIES[0])
    rows = decode(data, fam)
    off, index, count = rows.off, rows.index, rows.count
    want = off.tolist(), index.tolist()
    del rows
    gc.collect()
    assert (off.tolist(), index.tolist()) == want and len(off) == count


def test_empty_buffer() -> None:
    t = _native.decode(b"", FAMILIES[0].cwords, len(FAMILIES[0].words))
    assert t.count == t.n_msgs == t.index_len == 0 and len(t.off) == 0 and len(t.val) == 0
