"""pnl_pluck: plucked columns equal what the row readers give, message by message; bad specs
and inconsistent row tables are refused, never read out of bounds.

Run under AddressSanitizer with tools/asan-tests (more examples: PYNETLINK_FUZZ_EXAMPLES=20000).
Buffers and row tables are handed to C as exact-size copies, so ASan sees a 1-byte overread.
"""
from __future__ import annotations

import errno
import struct
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pynetlink._native import ffi, lib
from pynetlink.codec.rows import ANY_TYPE, NONE, Pluck, Rows, decode, pluck

from ._strategies import FAM, MSG_KNOWN, MSG_NOHDR, MSG_UNKNOWN, encode_ref, exact_buf, examples, message

SETTINGS = dict(deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
TYPES = st.integers(0, 20)
COLUMN = st.one_of(
    st.tuples(st.sampled_from(["hdr", "hdrs"]), st.integers(0, 3), st.sampled_from([1, 2, 4]))
      .filter(lambda c: c[1] + c[2] <= 4),
    st.tuples(st.sampled_from(["hdr", "hdrs"]), st.integers(0, 0), st.just(8)),     # a header packed
    st.tuples(st.sampled_from(["u", "span", "row"]), TYPES),
    st.tuples(st.sampled_from(["u", "span", "row"]), TYPES, TYPES),
    st.just(("type",)))


def reference(rows: Rows, msg_type: int, hdr_len: int, cols: tuple[tuple[Any, ...], ...]) -> list[int]:
    """The columns as the Python readers see them (find/path, get_u, payload offsets)."""
    out: list[int] = []
    for m in rows.messages():
        if not rows.flags(m) & lib.PNL_R_MSG or rows.type(m) != msg_type != ANY_TYPE or rows.type(m) < 16:
            continue
        out.append(m)
        whole = rows.len[m] >= 16 + hdr_len
        for c in cols:
            if c[0] == "type":
                out.append(rows.type(m))
                continue
            if c[0] in ("hdr", "hdrs"):
                if not whole:
                    out.append(NONE)
                    continue
                o = rows.off[m] + 16 + c[1]
                v = int.from_bytes(rows.data[o:o + c[2]], "little", signed=c[0] == "hdrs")
                out.append(v & NONE)
                continue
            r = rows.path(m, *c[1:])
            if r < 0:
                out.append(NONE)
            elif c[0] == "row":
                out.append(r)
            elif c[0] == "span":
                out.append(rows.off[r] << 32 | rows.len[r])
            else:
                out.append(NONE if rows.flags(r) & lib.PNL_R_BADLEN else rows.val[r])
    return out


@settings(max_examples=examples(300), **SETTINGS)
@given(st.lists(message(), min_size=0, max_size=6),
       st.sampled_from([MSG_KNOWN, MSG_NOHDR, MSG_UNKNOWN, ANY_TYPE]),
       st.integers(0, 8), st.lists(COLUMN, max_size=8))
def test_pluck_matches_readers(msgs: list[dict[str, Any]], msg_type: int, hdr_len: int,
                               cols: list[tuple[Any, ...]]) -> None:
    cols = [c for c in cols if c[0] not in ("hdr", "hdrs") or c[1] + c[2] <= hdr_len]
    rows = decode(encode_ref(msgs, 1), FAM)
    spec = Pluck(msg_type, hdr_len, tuple(cols))
    got = pluck(rows, spec)
    assert got.tolist() == reference(rows, msg_type, hdr_len, tuple(cols))
    assert len(got) % spec.width == 0


def raw_pluck(data: bytes, cols: dict[str, list[int]], count: int, cap: int,
              spec: list[int], out_cap: int) -> tuple[int, list[int]]:
    """pnl_pluck on exact-size copies of everything (buffer, each row column, spec, output)."""
    keep = []
    c = ffi.new("struct pnl_rows *")
    for name, ctype in (("off", "uint32_t"), ("len", "uint32_t"), ("tf", "uint32_t"),
                        ("parent", "int32_t"), ("end", "uint32_t"), ("set", "uint32_t"),
                        ("val", "uint64_t"), ("slot", "uint32_t")):
        arr = ffi.new(f"{ctype}[]", max(cap, 1))
        for i, x in enumerate(cols[name][:cap]):
            arr[i] = x
        keep.append(arr)
        setattr(c, name, arr)
    c.cap, c.count = cap, count
    words = ffi.new("uint32_t[]", spec or [0])
    out = ffi.new("uint64_t[]", max(out_cap, 1))
    buf = exact_buf(data)
    rc = lib.pnl_pluck(buf, len(data), c, words, len(spec), out, out_cap)
    return rc, list(out)[:out_cap]


def _rows_of(data: bytes) -> tuple[dict[str, list[int]], int]:
    rows = decode(data, FAM)
    cols = {n: list(getattr(rows, n)[:rows.count]) for n in
            ("off", "len", "tf", "parent", "end", "set", "val", "slot")}
    return cols, rows.count


@settings(max_examples=examples(300), **SETTINGS)
@given(st.lists(message(), min_size=1, max_size=4), st.lists(COLUMN, max_size=6), st.data())
def test_pluck_fuzz_rows(msgs: list[dict[str, Any]], cols: list[tuple[Any, ...]], data: Any) -> None:
    """Row tables with random damage: a result or -EINVAL/-ENOSPC, never an out-of-bounds read."""
    buf = encode_ref(msgs, 1)
    table, count = _rows_of(buf)
    for _ in range(data.draw(st.integers(0, 4))):
        name = data.draw(st.sampled_from(sorted(table)))
        if count:
            i = data.draw(st.integers(0, count - 1))
            table[name][i] = data.draw(st.sampled_from([0, 1, count, count + 1, 0x7FFFFFFF, 0xFFFFFFFF,
                                                        len(buf), len(buf) + 1])) & (
                0x7FFFFFFF if name == "parent" else 0xFFFFFFFF)
    count = data.draw(st.sampled_from([count, max(count - 1, 0), count + 1]))
    cap = max(count, len(table["off"])) if data.draw(st.booleans()) else count
    for name in table:
        table[name] += [0] * (cap - len(table[name]))
    spec = Pluck(data.draw(st.sampled_from([MSG_KNOWN, MSG_NOHDR])), 4,
                 tuple(c for c in cols if c[0] not in ("hdr", "hdrs") or c[1] + c[2] <= 4))
    words = list(spec.words)
    trunc = data.draw(st.integers(0, len(buf)))
    out_cap = data.draw(st.sampled_from([0, spec.width, 4 * spec.width, 64 * spec.width]))
    rc, out = raw_pluck(buf[:trunc], table, count, cap, words, out_cap)
    assert rc >= 0 or rc in (-errno.EINVAL, -errno.ENOSPC)
    if rc >= 0:
        assert rc * spec.width <= out_cap
        for k in range(rc):
            for j, c in enumerate(spec_cols(words)):
                v = out[k * spec.width + 1 + j]
                if c == lib.PNL_P_SPAN and v != NONE:
                    assert (v >> 32) + (v & 0xFFFFFFFF) <= trunc


def spec_cols(words: list[int]) -> list[int]:
    return [words[3 + 2 * j] & 0xFF for j in range(words[1])]


@settings(max_examples=examples(300), **SETTINGS)
@given(st.lists(message(), min_size=0, max_size=3),
       st.lists(st.integers(0, 0xFFFFFFFF) | st.integers(0, 40), max_size=12))
def test_pluck_random_spec(msgs: list[dict[str, Any]], words: list[int]) -> None:
    """Random spec words: refused or answered, never a crash."""
    buf = encode_ref(msgs, 1)
    table, count = _rows_of(buf)
    rc, _ = raw_pluck(buf, table, count, count, words, 32 * 64)
    assert rc >= 0 or rc in (-errno.EINVAL, -errno.ENOSPC)


def test_pluck_spec_checks() -> None:
    buf = encode_ref([{"type": MSG_KNOWN, "flags": 0, "header": b"\x01\x02\x03\x04",
                       "children": []}], 1)
    table, count = _rows_of(buf)
    for words in ([MSG_KNOWN], [MSG_KNOWN, 1, 4, lib.PNL_P_HDR | 3 << 8, 0],   # size 3
                  [MSG_KNOWN, 1, 4, lib.PNL_P_HDR | 4 << 8, 1],                  # past hdr_len
                  [MSG_KNOWN, 1, 4, 9, 0], [MSG_KNOWN, 65, 4] + [lib.PNL_P_U, 1] * 65,
                  [MSG_KNOWN, 2, 4, lib.PNL_P_U, 1]):                            # words short
        assert raw_pluck(buf, table, count, count, words, 64)[0] == -errno.EINVAL
    rc, out = raw_pluck(buf, table, count, count, [MSG_KNOWN, 1, 4, lib.PNL_P_HDRS | 2 << 8, 2], 2)
    assert rc == 1 and out == [0, struct.unpack("<h", b"\x03\x04")[0] & NONE]
    assert raw_pluck(buf, table, count, count, [MSG_KNOWN, 1, 4, lib.PNL_P_HDR | 1 << 8, 0], 1)[0] == -errno.ENOSPC
