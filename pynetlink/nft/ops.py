"""Kernel expressions (payload, cmp, meta, nat, ...) as small immutable records.

An ``Op`` is one ``NFTA_LIST_ELEM``: the expression name and its attributes in the order
they are written. Its *shape* (name, attribute types and sizes) decides the request
program; its *values* fill it. Rules made of the same shapes share one compiled program.
"""
from __future__ import annotations

from .._record import record

from .._native import lib
from ..codec.program import Program
from ..codec.rows import Rows
from ..codec.schema import STR
from ..codec.specs.nft import DATA, EXPR, NFT, VERDICT

TYPE_CHECKING = False       # typing is not imported at run time
if TYPE_CHECKING:
    from typing import Any, Union
else:
    from .._lighttyping import Any, Union

# attribute kinds of an Op
BE32 = "be32"       # big-endian u32 (registers, keys, offsets, flags)
DATA_VALUE = "data"  # nest > NFTA_DATA_VALUE: exactly ``size`` bytes
VERDICT_CODE = "verdict"          # nest > NFTA_DATA_VERDICT > NFTA_VERDICT_CODE
VERDICT_CHAIN = "verdict-chain"   # ... and NFTA_VERDICT_CHAIN (jump, goto)
STRING = "str"      # NUL-terminated string (set names)

Value = Union[int, bytes, str, tuple[int, str]]


@record(frozen=True)
class Attr:
    """One attribute of an expression: its number, kind and (for data) size in bytes."""

    type: int
    kind: str
    size: int = 4


@record(frozen=True)
class Op:
    """One kernel expression: ``name`` with attributes ``attrs`` holding ``values``."""

    name: str
    attrs: tuple[Attr, ...]
    values: tuple[Value, ...]

    @property
    def shape(self) -> tuple[str, tuple[Attr, ...]]:
        return (self.name, self.attrs)

    def get(self, attr: int) -> Value | None:
        for a, v in zip(self.attrs, self.values):
            if a.type == attr:
                return v
        return None

    def u32(self, attr: int, default: int = 0) -> int:
        v = self.get(attr)
        return v if isinstance(v, int) else default

    def data(self, attr: int) -> bytes:
        v = self.get(attr)
        return v if isinstance(v, bytes) else b""


def op(name: str, *items: tuple[int, str, Value] | tuple[int, str, Value, int]) -> Op:
    """An Op from (attribute, kind, value[, size]) items; data sizes default to len(value)."""
    attrs: list[Attr] = []
    values: list[Value] = []
    for item in items:
        attr, kind, value = item[0], item[1], item[2]
        if kind == DATA_VALUE:
            assert isinstance(value, bytes)
            size = len(value)
        elif kind == STRING:
            size = 256
        else:
            size = 4
        attrs.append(Attr(attr, kind, size))
        values.append(value)
    return Op(name, tuple(attrs), tuple(values))


# -- shapes as small ints ---------------------------------------------------------------------
# An expression's shape (name and attributes) is interned to an int once; a rule's program is
# cached per tuple of these ints, so the per-rule lookup hashes a few small ints. Matches and
# statements produce (shape ids, flat values) straight away (``flat``); ``Op`` records are
# only built for the forms without such a fast path (and for decoding).
Shape = tuple[str, tuple[Attr, ...]]
SHAPES: list[Shape] = []
_SHAPE_IDS: dict[Shape, int] = {}
Exprs = tuple[tuple[int, ...], list[Any]]


def shape_id(name: str, attrs: tuple[Attr, ...]) -> int:
    """The interned id of an expression shape."""
    key = (name, attrs)
    i = _SHAPE_IDS.get(key)
    if i is None:
        i = _SHAPE_IDS[key] = len(SHAPES)
        SHAPES.append(key)
    return i


_BE32_IDS: dict[tuple[str, tuple[int, ...]], int] = {}
_DATA_IDS: dict[tuple[str, tuple[int, ...], int], int] = {}


def be32_shape(name: str, attrs: tuple[int, ...]) -> int:
    """The id of an expression whose attributes are all big-endian u32 (``attrs``: their types)."""
    key = (name, attrs)
    i = _BE32_IDS.get(key)
    if i is None:
        i = _BE32_IDS[key] = shape_id(name, tuple(Attr(a, BE32) for a in attrs))
    return i


def data_shape(name: str, be32: tuple[int, ...], data: int, size: int) -> int:
    """The id of an expression of u32 attributes ``be32`` then one data attribute of ``size`` bytes."""
    key = (name, be32 + (data,), size)
    i = _DATA_IDS.get(key)
    if i is None:
        i = _DATA_IDS[key] = shape_id(name, tuple(Attr(a, BE32) for a in be32) + (Attr(data, DATA_VALUE, size),))
    return i


def exprs_of(ops: tuple[Op, ...] | list[Op]) -> Exprs:
    """(shape ids, flat values) of Op records (the path for forms without a fast one)."""
    return tuple(shape_id(o.name, o.attrs) for o in ops), values(ops)


# -- encoding ------------------------------------------------------------------------------
def emit(prog: Program, ops: tuple[Op, ...] | list[Op]) -> None:
    """Append NFTA_RULE_EXPRESSIONS' elements for ``ops`` to an open program."""
    for i, o in enumerate(ops):
        path = f"expr{i}.{o.name}"
        prog.nest(lib.NFTA_LIST_ELEM, path, nested_flag=True)
        prog.string(lib.NFTA_EXPR_NAME, "name", 16)
        prog.nest(lib.NFTA_EXPR_DATA, "data", nested_flag=True)
        for a in o.attrs:
            _emit_attr(prog, a)
        prog.end().end()


def _emit_attr(prog: Program, a: Attr) -> None:
    name = f"attr{a.type}"
    if a.kind == BE32:
        prog.int(a.type, name, 4, big_endian=True)
    elif a.kind == STRING:
        prog.string(a.type, name, a.size)
    elif a.kind == DATA_VALUE:
        prog.nest(a.type, name, nested_flag=True).bytes(lib.NFTA_DATA_VALUE, "value", a.size).end()
    else:
        prog.nest(a.type, name, nested_flag=True).nest(lib.NFTA_DATA_VERDICT, "verdict", nested_flag=True)
        prog.int(lib.NFTA_VERDICT_CODE, "code", 4, big_endian=True, signed=True)
        if a.kind == VERDICT_CHAIN:
            prog.string(lib.NFTA_VERDICT_CHAIN, "chain", 256)
        prog.end().end()


def values(ops: tuple[Op, ...] | list[Op]) -> list[Any]:
    """The flat value list ``emit`` expects, in program order."""
    out: list[Any] = []
    for o in ops:
        out.append(o.name.encode())
        for a, v in zip(o.attrs, o.values):
            if a.kind == VERDICT_CHAIN:
                assert isinstance(v, tuple)
                out += [v[0], v[1].encode()]
            elif a.kind == STRING:
                assert isinstance(v, str)
                out.append(v.encode())
            else:
                out.append(v)
    return out


# -- decoding ------------------------------------------------------------------------------
def decode_ops(rows: Rows, expressions: int) -> list[Op]:
    """The Ops of a decoded NFTA_RULE_EXPRESSIONS row (unknown attributes kept as data)."""
    out: list[Op] = []
    for elem in rows.children(expressions):
        name = rows.get_str(elem, EXPR["name"]) or ""
        data = rows.find(elem, EXPR["data"])
        items: list[tuple[int, str, Value] | tuple[int, str, Value, int]] = []
        if data >= 0:
            aset = NFT.set_list[rows.set[data]] if rows.set[data] != lib.PNL_NO_SET else None
            for c in rows.children(data):
                t = rows.type(c)
                a = aset.by_type.get(t) if aset else None
                if a is not None and a.child == "data-attrs":
                    items.append(_decode_data(rows, c, t))
                elif a is not None and a.kind == STR:
                    items.append((t, STRING, rows.str(c)))
                elif rows.len[c] == 4:
                    items.append((t, BE32, int.from_bytes(rows.payload(c), "big")))
                else:
                    items.append((t, DATA_VALUE, rows.payload(c)))
        out.append(op(name, *items))
    return out


def _decode_data(rows: Rows, row: int, t: int) -> tuple[int, str, Value]:
    v = rows.find(row, DATA["value"])
    if v >= 0:
        return (t, DATA_VALUE, rows.payload(v))
    verdict = rows.find(row, DATA["verdict"])
    code = rows.get_u(verdict, VERDICT["code"]) if verdict >= 0 else None
    code = 0 if code is None else (code - (1 << 32) if code >= 1 << 31 else code)
    chain = rows.get_str(verdict, VERDICT["chain"]) if verdict >= 0 else None
    if chain is not None:
        return (t, VERDICT_CHAIN, (code, chain))
    return (t, VERDICT_CODE, code)


__all__ = ["Attr", "Op", "op", "emit", "values", "shape_id", "be32_shape", "data_shape", "exprs_of", "SHAPES",
           "Exprs", "decode_ops", "BE32", "DATA_VALUE", "VERDICT_CODE",
           "VERDICT_CHAIN", "STRING"]
