"""Schemas with large and sparse attribute type numbers, fuzzed together with message bytes.

The decoder sizes its per-container index by the set's max type (up to 0xffff): the index
length must be counted without wrapping, and a reply whose index would grow past the codec's
limit is refused (DecodeError), never written out of bounds. Runs under ASan (tools/asan-tests).
"""
from __future__ import annotations

import errno
import struct
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from pynetlink._native import lib

from ._strategies import examples
from .test_fuzz import SETTINGS, raw_decode

MSG_TYPE = 0x700
K_NEST, K_U32, K_STR, K_RAW = lib.PNL_K_NEST, lib.PNL_K_U32, lib.PNL_K_STR, lib.PNL_K_RAW
ALLOWED = (0, -errno.EINVAL, -errno.EBADMSG, -errno.ENOSPC, -errno.EMSGSIZE)


def schema(sets: list[dict[int, tuple[int, int]]], max_types: list[int]) -> list[int]:
    """One message type (4-byte header, root set 0); set k has max type ``max_types[k]`` and
    entries {type: (kind, child)}; every other type is a gap."""
    head = [lib.PNL_SCHEMA_MAGIC, 1, len(sets), 0, MSG_TYPE, 4, 0, 0]
    offsets, body = [], []
    base = len(head) + len(sets)
    for entries, mx in zip(sets, max_types):
        offsets.append(base + len(body))
        body.append(mx)
        for t in range(mx + 1):
            kind, child = entries.get(t, (K_RAW, 0))
            aflags = 0 if t in entries else lib.PNL_AF_UNNAMED
            body += [kind | aflags << 8, child]
    return head + offsets + body


def attr(t: int, payload: bytes) -> bytes:
    n = 4 + len(payload)
    return struct.pack("=HH", n, t) + payload + bytes(-n % 4)


def message(attrs: bytes) -> bytes:
    return struct.pack("=IHHII", 16 + 4 + len(attrs), MSG_TYPE, 0, 1, 0) + bytes(4) + attrs


def full_decode(data: bytes, words: list[int]) -> tuple[int, Any]:
    """Decode with the row and index space the decoder asks for (as rows.decode does)."""
    cap, index_cap = 16, 16
    while True:
        rc, r = raw_decode(data, words, cap, index_cap)
        if rc != -errno.ENOSPC:
            return rc, r
        if r.count <= cap and r.index_len <= index_cap:
            return rc, r
        cap, index_cap = max(cap, r.count), max(index_cap, r.index_len)


def test_index_length_does_not_wrap() -> None:
    """65,537 empty nests of a set with max type 0xffff need 2^32 + 2^16 index entries: the
    32-bit count used to wrap and the decoder then cleared memory far past the index."""
    words = schema([{0x3FFF: (K_NEST, 0)}], [0xFFFF])      # 0x3fff: the highest type (NLA_TYPE_MASK)
    nest = attr(0x3FFF | 0x8000, b"")
    data = message(nest * 65537)
    rc, r = raw_decode(data, words, cap=70000, index_cap=1024)
    assert rc == -errno.EMSGSIZE
    assert r.err_off < len(data)


@st.composite
def sparse_schema(draw: Any) -> tuple[list[int], list[int], list[int]]:
    """2-4 sets whose max types are large (up to 0xffff) and whose known types are few."""
    n = draw(st.integers(1, 4))
    max_types = [draw(st.sampled_from([0, 1, 7, 255, 256, 4095, 0x7FFF, 0xFFFE, 0xFFFF])) for _ in range(n)]
    sets: list[dict[int, tuple[int, int]]] = []
    for mx in max_types:
        types = draw(st.lists(st.integers(0, mx), max_size=6, unique=True))
        sets.append({t: (draw(st.sampled_from([K_NEST, K_U32, K_STR, K_RAW])), draw(st.integers(0, n)))
                     for t in types})
    used = sorted({t for s in sets for t in s} | {0, 1})
    return schema(sets, max_types), max_types, used


@st.composite
def attrs_of(draw: Any, types: list[int], depth: int = 0) -> bytes:
    out = b""
    for _ in range(draw(st.integers(0, 6))):
        t = draw(st.sampled_from(types) | st.integers(0, 0xFFFF))
        if depth < 3 and draw(st.booleans()):
            payload = draw(attrs_of(types, depth + 1))
        else:
            payload = draw(st.binary(max_size=12))
        out += attr(t | draw(st.sampled_from([0, 0x8000])), payload)
    return out


@settings(max_examples=examples(400), **SETTINGS)
@given(data=st.data())
def test_sparse_large_schemas_and_messages(data: st.DataObject) -> None:
    words, _max_types, used = data.draw(sparse_schema())
    body = data.draw(attrs_of(used))
    msg = message(body)
    if data.draw(st.booleans()):                       # damage the bytes too
        cut = data.draw(st.integers(0, len(msg)))
        msg = msg[:cut] + data.draw(st.binary(max_size=8)) + msg[cut:]
    rc, r = full_decode(msg, words)
    assert rc in ALLOWED
    if rc == 0:
        assert r.index_len <= lib.PNL_INDEX_MAX
