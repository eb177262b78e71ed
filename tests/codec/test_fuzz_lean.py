"""pnl_decode_pluck (decode + pluck in one pass, no row table kept) against pnl_decode_grow
followed by pnl_pluck: the same return code, the same plucked columns (rows and spans of the
whole buffer), the same per-message rows, types and sequence numbers, the same row and
index counts; and LeanRows (codec.rows.decode with a pluck spec) reads as Rows does.

Run under AddressSanitizer with tools/asan-tests (buffers are exact-size C copies).
"""
from __future__ import annotations

import errno
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from pynetlink._native import ffi, lib
from pynetlink.codec import Family
from pynetlink.codec.rows import ANY_TYPE, LeanRows, Pluck, Rows, decode, pluck
from pynetlink.errors import DecodeError

from ._strategies import FAM, MSG_KNOWN, MSG_NOHDR, MSG_UNKNOWN, encode_ref, exact_buf, examples, message
from .test_fuzz import CORPUS, FAMILIES, SETTINGS, framed, mutated
from .test_pluck import COLUMN

SPEC_TYPES = st.sampled_from([MSG_KNOWN, MSG_NOHDR, MSG_UNKNOWN, ANY_TYPE])


def lean(data: bytes, fam: Family, spec: Pluck) -> tuple[int, Any]:
    t = ffi.gc(lib.pnl_lean_new(), lib.pnl_lean_free)
    rc = lib.pnl_decode_pluck(exact_buf(data), len(data), fam.cwords, len(fam.words),
                              spec.cwords, len(spec.words), t)
    return rc, t


def same(data: bytes, fam: Family, spec: Pluck) -> None:
    rc, t = lean(data, fam, spec)
    try:
        rows = decode(data, fam)
    except DecodeError as exc:
        assert rc in (-errno.EBADMSG, -errno.EMSGSIZE, -errno.EINVAL), rc
        if rc == -errno.EBADMSG:
            assert exc.offset is not None and t.err_off <= len(data)
        return
    if rc == -errno.EINVAL:                     # a spec pnl_pluck refuses too
        try:
            pluck(rows, spec)
        except OSError as exc:
            assert exc.errno == errno.EINVAL
            return
        raise AssertionError("pnl_decode_pluck refused a spec pnl_pluck takes")
    assert rc == 0, rc
    want = pluck(rows, spec).tolist()
    assert [t.out[i] for i in range(t.out_len)] == want
    assert t.n_out * spec.width == t.out_len
    assert (t.count, t.index_len, t.n_msgs) == (rows.count, len(rows.index), rows.n_msgs)
    msgs = list(rows.messages())
    assert [t.msg_row[i] for i in range(t.n_msgs)] == msgs
    assert [t.msg_tf[i] for i in range(t.n_msgs)] == [rows.tf[m] for m in msgs]
    assert [t.msg_val[i] for i in range(t.n_msgs)] == [rows.val[m] for m in msgs]
    lr = decode(data, fam, spec)
    assert isinstance(lr, LeanRows) and pluck(lr, spec).tolist() == want
    assert list(lr.messages()) == msgs and list(lr.data_messages()) == rows.data_messages()
    assert [(lr.type(m), lr.msg_seq(m), lr.msg_flags(m)) for m in msgs] == \
        [(rows.type(m), rows.msg_seq(m), rows.msg_flags(m)) for m in msgs]
    # the first row column read decodes the table: then everything reads as on Rows
    assert lr.tf.tolist() == rows.tf.tolist() and lr.index.tolist() == rows.index.tolist()
    assert [lr.tree(m) for m in msgs] == [rows.tree(m) for m in msgs]


def spec_of(msg_type: int, hdr_len: int, cols: list[tuple[Any, ...]]) -> Pluck:
    cols = [c for c in cols if c[0] not in ("hdr", "hdrs") or c[1] + c[2] <= hdr_len]
    return Pluck(msg_type, hdr_len, tuple(cols))


@settings(max_examples=examples(400), **SETTINGS)
@given(st.lists(message(), min_size=0, max_size=6), SPEC_TYPES, st.integers(0, 8),
       st.lists(COLUMN, max_size=8))
def test_lean_matches_decode_then_pluck(msgs: list[dict[str, Any]], msg_type: int, hdr_len: int,
                                        cols: list[tuple[Any, ...]]) -> None:
    same(encode_ref(msgs, 1), FAM, spec_of(msg_type, hdr_len, cols))


@settings(max_examples=examples(400), **SETTINGS)
@given(data=framed(), fam=st.sampled_from(FAMILIES), msg_type=st.integers(0, 0xFFFF) | SPEC_TYPES,
       hdr_len=st.integers(0, 16), cols=st.lists(COLUMN, max_size=6))
def test_lean_framed(data: bytes, fam: Family, msg_type: int, hdr_len: int, cols: list[tuple[Any, ...]]) -> None:
    same(data, fam, spec_of(msg_type, hdr_len, cols))


@settings(max_examples=examples(800), **SETTINGS)
@given(case=mutated(), msg_type=SPEC_TYPES | st.sampled_from([16, 20, 24]), cols=st.lists(COLUMN, max_size=6))
def test_lean_mutated_vectors(case: tuple[bytes, Family], msg_type: int, cols: list[tuple[Any, ...]]) -> None:
    same(case[0], case[1], spec_of(msg_type, 4, cols))


def _dump_specs() -> list[Pluck]:
    """What Handle's link, address and route dumps decode with (a walk that only counts the
    top-level attributes none of their columns reads: csrc/decode.c plain_run)."""
    from pynetlink.rtnl import addresses, link, routes
    return [link.PLUCK, addresses._PLUCK, routes._PLUCK]


@settings(max_examples=examples(800), **SETTINGS)
@given(case=mutated(), k=st.integers(0, 2))
def test_lean_mutated_vectors_dump_specs(case: tuple[bytes, Family], k: int) -> None:
    same(case[0], case[1], _dump_specs()[k])


def test_lean_vectors_whole() -> None:
    """Every real vector of a family, back to back in one buffer, with a routes-like spec."""
    for fam in FAMILIES:
        data = b"".join(c[0] for c in CORPUS if c[1] is fam and len(c[0]) % 4 == 0
                        and c[0][-4:] != bytes(4))
        for spec in (spec_of(ANY_TYPE, 4, [("hdr", 0, 1), ("span", 1), ("u", 4), ("row", 2, 1)]),
                     spec_of(16, 16, [("hdrs", 4, 4), ("span", 3), ("type",)]), *_dump_specs()):
            same(data, fam, spec)


def test_lean_bad_spec_and_schema() -> None:
    data = CORPUS[0][0] if CORPUS else encode_ref([], 1)
    fam = CORPUS[0][1] if CORPUS else FAM
    bad = ffi.new("uint32_t[]", [16, 70, 0])            # more columns than pnl_pluck takes
    t = ffi.gc(lib.pnl_lean_new(), lib.pnl_lean_free)
    assert lib.pnl_decode_pluck(exact_buf(data), len(data), fam.cwords, len(fam.words), bad, 3, t) == -errno.EINVAL
    spec = spec_of(16, 0, [])
    assert lib.pnl_decode_pluck(exact_buf(data), len(data), ffi.new("uint32_t[]", [1, 2, 3, 4]), 4,
                                spec.cwords, len(spec.words), t) == -errno.EINVAL
    assert lib.pnl_decode_pluck(exact_buf(data), len(data), fam.cwords, len(fam.words), spec.cwords,
                                len(spec.words), ffi.NULL) == -errno.EINVAL


def test_lean_columns_outlive_the_rows() -> None:
    """The plucked columns and message rows own their C memory (no use after free)."""
    fam = FAMILIES[0]
    data = b"".join(c[0] for c in CORPUS if c[1] is fam and len(c[0]) % 4 == 0 and c[0][-4:] != bytes(4))
    spec = spec_of(ANY_TYPE, 0, [("span", 3), ("u", 4)])
    lr = decode(data, fam, spec)
    cols, msgs = pluck(lr, spec), lr.msg_rows
    want = cols.tolist(), msgs.tolist()
    del lr
    assert (cols.tolist(), msgs.tolist()) == want


def test_rows_data_messages() -> None:
    """Rows.data_messages skips NLMSG_ERROR / NLMSG_DONE, as the transport's walk did."""
    import struct
    done = struct.pack("=IHHII", 20, lib.NLMSG_DONE, 2, 1, 0) + bytes(4)
    msg = encode_ref([{"type": MSG_KNOWN, "flags": 0, "header": bytes(4), "children": []}], 1)
    rows: Rows = decode(msg + done + msg, FAM)
    assert rows.data_messages() == [m for m in rows.messages() if rows.type(m) != lib.NLMSG_DONE]
