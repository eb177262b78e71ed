"""A synthetic schema and random message trees for the round-trip and fuzz tests.

``encode_ref`` is an independent Python encoder of a tree (the C encoder must produce the
same bytes) and ``expect_rows`` predicts what the C decoder makes of them.
"""
from __future__ import annotations

import os
import struct
from typing import Any

from hypothesis import strategies as st

from pynetlink.codec import Program
from pynetlink.codec.schema import (AttrSet, Family, MessageKind, array_of, flag, hnest, nest, raw,
                                    s32, string, sub, u8, u16, u32, u64)

FUZZ_EXAMPLES = int(os.environ.get("PYNETLINK_FUZZ_EXAMPLES", "0"))


def examples(default: int) -> int:
    """max_examples: the default, or more with PYNETLINK_FUZZ_EXAMPLES."""
    return max(default, FUZZ_EXAMPLES)


NLA_F_NESTED, NLA_F_NET_BYTEORDER = 1 << 15, 1 << 14
HDR = 8                                        # the HNEST header of the synthetic set

T = AttrSet("t", "PNLT_", [
    u8("u8", number=1), u16("u16", number=2), u32("u32", number=3), u64("u64", number=4),
    s32("s32", number=5), u16("be16", be=True, number=6), u32("be32", be=True, number=7),
    u64("be64", be=True, number=8), string("str", number=9), raw("raw", number=10),
    flag("flag", number=11), nest("nest", "t", number=12), array_of("array", "t", number=13),
    hnest("hnest", "t", HDR, number=14), string("kind", number=15),
    sub("data", "sel", "kind", number=16), nest("other", "t2", number=17)])
T2 = AttrSet("t2", "PNLT2_", [u32("u32", number=1), string("str", number=2),
                              nest("back", "t", number=3)])
MSG_KNOWN, MSG_UNKNOWN, MSG_NOHDR = 0x700, 0x701, 0x702
MSG_HEADER = 4
FAM = Family("test", [T, T2], {"sel": {"alpha": "t", "beta": "t2"}},
             [MessageKind(MSG_KNOWN, MSG_HEADER, "t"), MessageKind(MSG_NOHDR, 0, "t2")])
SETS = {"t": T, "t2": T2}
UNKNOWN_TYPES = st.integers(20, 0x3FFF)
_SCALAR = {1: (1, False, False), 2: (2, False, False), 3: (4, False, False), 4: (8, False, False),
           5: (4, False, True), 6: (2, True, False), 7: (4, True, False), 8: (8, True, False)}
_T2_SCALAR = {1: (4, False, False)}


def _int_node(draw: Any, t: int, size: int, be: bool, signed: bool) -> dict[str, Any]:
    bits = 8 * size
    lo, hi = (-(1 << (bits - 1)), (1 << (bits - 1)) - 1) if signed else (0, (1 << bits) - 1)
    return {"k": "int", "type": t, "size": size, "be": be, "signed": signed,
            "value": draw(st.integers(lo, hi))}


@st.composite
def node(draw: Any, set_name: str | None, depth: int, budget: list[int]) -> dict[str, Any]:
    """One attribute of a container whose children belong to ``set_name`` (None: opaque)."""
    aset = SETS.get(set_name or "")
    choices = ["int", "str", "bytes", "flag", "badint"]
    if budget[0] > 0 and depth < 6:
        choices += ["rawnest"]
        if set_name == "t":
            choices += ["nest", "array", "hnest", "other", "sub"]
        if set_name == "t2":
            choices += ["nest"]
    k = draw(st.sampled_from(choices))
    netbyte = NLA_F_NET_BYTEORDER if draw(st.integers(0, 7)) == 0 else 0
    known = aset is not None and draw(st.booleans())
    if k == "int":
        if known and set_name == "t":
            t = draw(st.sampled_from(sorted(_SCALAR)))
            return _int_node(draw, t | netbyte, *_SCALAR[t])
        if known:
            return _int_node(draw, 1 | netbyte, *_T2_SCALAR[1])
        size = draw(st.sampled_from([1, 2, 4, 8]))
        return _int_node(draw, draw(UNKNOWN_TYPES) | netbyte, size, draw(st.booleans()),
                         draw(st.booleans()))
    if k == "badint":                  # a scalar type written with another size
        t = draw(st.sampled_from(sorted(_SCALAR))) if set_name == "t" else draw(UNKNOWN_TYPES)
        return _int_node(draw, t, draw(st.sampled_from([1, 2, 4, 8])), draw(st.booleans()), False)
    if k == "str":
        t = (draw(st.sampled_from([9, 15])) if set_name == "t" else 2) if known else draw(UNKNOWN_TYPES)
        text = draw(st.binary(max_size=24).map(lambda b: b.replace(b"\0", b"x")))
        if t == 15 and draw(st.booleans()):
            text = draw(st.sampled_from([b"alpha", b"beta", b"gamma"]))
        return {"k": "str", "type": t | netbyte, "text": text, "nul": draw(st.booleans()),
                "size": draw(st.integers(max(len(text), 1), 40))}
    if k == "bytes":
        t = 10 if known and set_name == "t" else draw(UNKNOWN_TYPES)
        data = draw(st.binary(max_size=40))
        return {"k": "bytes", "type": t | netbyte, "data": data, "var": draw(st.booleans()),
                "max": draw(st.integers(max(len(data), 1), 48))}
    if k == "flag":
        return {"k": "flag", "type": (11 if known and set_name == "t" else draw(UNKNOWN_TYPES)) | netbyte}
    budget[0] -= 1
    nested = draw(st.booleans())
    if k in ("nest", "other"):
        if set_name == "t2":
            t, child = 3, "t"
        else:
            t, child = (12, "t") if k == "nest" else (17, "t2")
        return {"k": "nest", "type": t, "nested": nested, "header": b"", "set": child,
                "children": draw(children(child, depth + 1, budget))}
    if k == "rawnest":                 # a nest the schema does not know: decoded as raw bytes
        return {"k": "nest", "type": draw(UNKNOWN_TYPES), "nested": nested,
                "header": draw(st.binary(max_size=6)), "set": None,
                "children": draw(children(None, depth + 1, budget))}
    if k == "hnest":
        return {"k": "nest", "type": 14, "nested": nested, "header": draw(st.binary(min_size=HDR, max_size=HDR)),
                "set": "t", "children": draw(children("t", depth + 1, budget))}
    if k == "array":
        n = draw(st.integers(0, 3))
        elems = [{"k": "nest", "type": i + draw(st.integers(0, 1)), "nested": draw(st.booleans()),
                  "header": b"", "set": "t", "children": draw(children("t", depth + 2, budget))}
                 for i in range(n)]
        return {"k": "nest", "type": 13, "nested": nested, "header": b"", "set": "#array",
                "children": elems}
    # sub: whichever set an earlier kind string selects (or none), its children are of types
    # neither set knows, so they decode the same way (as raw rows) in every case
    return {"k": "nest", "type": 16, "nested": nested, "header": b"", "set": "#sub",
            "children": draw(children(None, depth + 1, budget))}


@st.composite
def children(draw: Any, set_name: str | None, depth: int, budget: list[int]) -> list[dict[str, Any]]:
    n = draw(st.integers(0, 4 if budget[0] > 0 else 2))
    return [draw(node(set_name, depth, budget)) for _ in range(n)]


@st.composite
def message(draw: Any) -> dict[str, Any]:
    budget = [draw(st.integers(0, 12))]
    mtype = draw(st.sampled_from([MSG_KNOWN, MSG_UNKNOWN, MSG_NOHDR]))
    set_name = {MSG_KNOWN: "t", MSG_NOHDR: "t2", MSG_UNKNOWN: None}[mtype]
    header = draw(st.binary(min_size=MSG_HEADER, max_size=MSG_HEADER)) if mtype != MSG_NOHDR else b""
    kids = draw(children(set_name, 0, budget))
    if mtype == MSG_KNOWN and draw(st.booleans()):   # a sub-message with its selector first
        kind = draw(st.sampled_from([b"alpha", b"beta", b"delta"]))
        kids = [{"k": "str", "type": 15, "text": kind, "nul": draw(st.booleans()), "size": 8},
                {"k": "nest", "type": 16, "nested": False, "header": b"", "set": "#sub",
                 "children": draw(children({b"alpha": "t", b"beta": "t2"}.get(kind), 1, budget))}] + kids
    return {"type": mtype, "flags": draw(st.integers(0, 0xFFFF)), "header": header, "children": kids}


# -- Program building -------------------------------------------------------------------------
def program(msg: dict[str, Any]):
    p = Program("rt", msg["type"], msg["flags"])
    values: list[Any] = []
    if msg["header"]:
        p.fixed("hdr", f"{len(msg['header'])}s")
        values.append(msg["header"])
    for c in msg["children"]:
        _prog_node(p, c, values)
    return p.compile(), tuple(values)


def _prog_node(p: Program, n: dict[str, Any], values: list[Any]) -> None:
    k = n["k"]
    if k == "int":
        p.int(n["type"], "i", n["size"], big_endian=n["be"], signed=n["signed"])
        values.append(n["value"])
    elif k == "str":
        p.string(n["type"], "s", n["size"], nul=n["nul"])
        values.append(n["text"])
    elif k == "bytes":
        if n["var"]:
            p.var(n["type"], "v", n["max"])
        else:
            p.bytes(n["type"], "b", len(n["data"]))
        values.append(n["data"])
    elif k == "flag":
        p.flag(n["type"], "f")
    else:
        p.nest(n["type"], "n", nested_flag=n["nested"])
        if n["header"]:
            p.fixed("h", f"{len(n['header'])}s")
            values.append(n["header"])
        for c in n["children"]:
            _prog_node(p, c, values)
        p.end()


# -- the reference encoder --------------------------------------------------------------------
def _pad(b: bytes) -> bytes:
    return b + bytes(-len(b) % 4)


def _attr(t: int, payload: bytes) -> bytes:
    return _pad(struct.pack("=HH", 4 + len(payload), t) + payload)


def leaf_payload(n: dict[str, Any]) -> bytes:
    k = n["k"]
    if k == "int":
        fmt = {1: "b", 2: "h", 4: "i", 8: "q"}[n["size"]]
        fmt = fmt if n["signed"] else fmt.upper()
        return struct.pack((">" if n["be"] else "<") + fmt, n["value"])
    if k == "str":
        text = n["text"][:n["size"]]
        return text + b"\0" if n["nul"] else text
    if k == "bytes":
        return n["data"]
    return b""


def nest_payload(n: dict[str, Any]) -> bytes:
    return _pad(n["header"]) + b"".join(encode_node(c) for c in n["children"])


def encode_node(n: dict[str, Any]) -> bytes:
    if n["k"] != "nest":
        return _attr(n["type"], leaf_payload(n))
    t = n["type"] | (NLA_F_NESTED if n["nested"] else 0)
    body = nest_payload(n)
    return struct.pack("=HH", 4 + len(body), t) + body


def encode_ref(msgs: list[dict[str, Any]], seq_first: int) -> bytes:
    out = b""
    for i, m in enumerate(msgs):
        body = _pad(m["header"]) + b"".join(encode_node(c) for c in m["children"])
        out += struct.pack("=IHHII", 16 + len(body), m["type"], m["flags"],
                           (seq_first + i) & 0xFFFFFFFF, 0) + body
    return out


def exact_buf(data: bytes) -> Any:
    """A C buffer of exactly len(data) bytes, so ASan sees any overread (ffi.new with a bytes
    initializer adds a NUL; a Python bytes object has one too)."""
    from pynetlink._native import ffi
    buf = ffi.new("uint8_t[]", max(len(data), 1))
    ffi.memmove(buf, data, len(data))
    return buf
