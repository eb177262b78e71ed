"""Attribute sets and message families, compiled into the decoder's schema words.

Names follow the kernel's YNL specs (shared/specs/kernel-ynl); numbers come from the
UAPI headers through the compiled codec, never typed in by hand. An attribute whose
name the installed headers lack may carry an explicit ``number`` from the YNL spec.
"""
from __future__ import annotations

from _collections_abc import Mapping, Sequence   # collections.abc without the collections package
from array import array
from .._record import record

from .._native import ffi, lib

TYPE_CHECKING = False       # typing is not imported at run time
if TYPE_CHECKING:
    from typing import Any, Iterable, Iterator, Self

RAW, U8, U16, U32 = lib.PNL_K_RAW, lib.PNL_K_U8, lib.PNL_K_U16, lib.PNL_K_U32
U64, STR = lib.PNL_K_U64, lib.PNL_K_STR
NEST, ARRAY, SUB, HNEST, FLAG, S32 = lib.PNL_K_NEST, lib.PNL_K_ARRAY, lib.PNL_K_SUB, lib.PNL_K_HNEST, lib.PNL_K_FLAG, lib.PNL_K_S32
SCALARS = frozenset({U8, U16, U32, U64, S32})
SIZES = {U8: 1, U16: 2, U32: 4, U64: 8, S32: 4}


@record(frozen=True)
class Attr:
    """One attribute of a set: its name, how to read it, and where nests lead."""

    name: str
    kind: int = RAW
    child: str = ""            # attribute set (NEST, ARRAY, HNEST) or selector (SUB)
    extra: Any = 0             # fixed header bytes (HNEST) or selecting attribute name (SUB)
    be: bool = False           # big endian scalar
    number: int | None = None  # fixed number (a set the UAPI headers do not name)
    ynl_number: int | None = None  # YNL's number: used where the headers lack the name

    def __init__(self, name: str, kind: int = RAW, child: str = "", extra: Any = 0, be: bool = False,
                 number: int | None = None, ynl_number: int | None = None) -> None:
        # hand-written: ~550 are made when the rtnetlink tables load (tests/test_record.py
        # keeps this signature equal to the fields)
        d = self.__dict__
        d["name"], d["kind"], d["child"], d["extra"] = name, kind, child, extra
        d["be"], d["number"], d["ynl_number"] = be, number, ynl_number


def u8(name: str, **kw: Any) -> Attr: return Attr(name, U8, **kw)
def u16(name: str, **kw: Any) -> Attr: return Attr(name, U16, **kw)
def u32(name: str, **kw: Any) -> Attr: return Attr(name, U32, **kw)
def u64(name: str, **kw: Any) -> Attr: return Attr(name, U64, **kw)
def s32(name: str, **kw: Any) -> Attr: return Attr(name, S32, **kw)
def string(name: str, **kw: Any) -> Attr: return Attr(name, STR, **kw)
def raw(name: str, **kw: Any) -> Attr: return Attr(name, RAW, **kw)
def flag(name: str, **kw: Any) -> Attr: return Attr(name, FLAG, **kw)
def nest(name: str, child: str, **kw: Any) -> Attr: return Attr(name, NEST, child, **kw)
def array_of(name: str, child: str, **kw: Any) -> Attr: return Attr(name, ARRAY, child, **kw)
def hnest(name: str, child: str, header: int, **kw: Any) -> Attr: return Attr(name, HNEST, child, header, **kw)
def sub(name: str, selector: str, by: str, **kw: Any) -> Attr: return Attr(name, SUB, selector, by, **kw)


def c_name(prefix: str, name: str) -> str:
    return prefix + name.upper().replace("-", "_")


class AttrSet:
    """A set of attributes sharing one number space (IFLA_*, IFLA_BR_*, NFTA_RULE_*...)."""

    def __init__(self, name: str, prefix: str, attrs: Iterable[Attr]) -> None:
        self.name = name
        self.prefix = prefix
        self.attrs: dict[str, Attr] = {}
        self.types: dict[str, int] = {}
        self.by_type: dict[int, Attr] = {}
        attrs = list(attrs)
        headers = {a.name: getattr(lib, c_name(prefix, a.name), None) if prefix else None for a in attrs}
        # YNL's implicit numbering is only trusted where it agrees with every header number of the
        # set (some spec copies leave out pad attributes, shifting every number after them)
        self.ynl_trusted = all(h is None or a.ynl_number is None or int(h) == a.ynl_number
                               for a, h in zip(attrs, headers.values()))
        for a in attrs:
            number = a.number if a.number is not None else headers[a.name]
            if number is None and self.ynl_trusted:
                number = a.ynl_number
            if number is None or int(number) in self.by_type:
                continue
            self.attrs[a.name] = a
            self.types[a.name] = int(number)
            self.by_type[int(number)] = a
        self.max_type = max(self.by_type, default=0)

    @classmethod
    def resolved(cls, name: str, prefix: str, ynl_trusted: bool, rows: Iterable[tuple[Any, ...]]) -> Self:
        """A set whose numbers are already resolved: rows of Attr fields + the number (Family.tables)."""
        self = cls.__new__(cls)
        self.name, self.prefix, self.ynl_trusted = name, prefix, ynl_trusted
        self.attrs, self.types, self.by_type = {}, {}, {}
        for row in rows:
            a = Attr(*row[:7])
            self.attrs[a.name] = self.by_type[row[7]] = a
            self.types[a.name] = row[7]
        self.max_type = max(self.by_type, default=0)
        return self

    def __getitem__(self, name: str) -> int:
        return self.types[name]

    def __repr__(self) -> str:
        return f"AttrSet({self.name!r}, {len(self.attrs)} attrs)"


@record(frozen=True)
class MessageKind:
    msg_type: int
    header: int                 # fixed header bytes after nlmsghdr
    root: str                   # attribute set of the top level


class _SetList(Sequence[AttrSet]):
    """A frozen family's attribute sets by index, each made on first use."""

    def __init__(self, rows: tuple[tuple[Any, ...], ...]) -> None:
        self._rows = rows
        self._made: list[AttrSet | None] = [None] * len(rows)

    def __len__(self) -> int:
        return len(self._rows)

    def __getitem__(self, i: Any) -> Any:     # int -> AttrSet (slices are not needed)
        made = self._made[i]
        if made is None:
            made = self._made[i] = AttrSet.resolved(*self._rows[i])
        return made


class _SetMap(Mapping[str, AttrSet]):
    """A frozen family's attribute sets by name (through its _SetList)."""

    def __init__(self, ids: dict[str, int], sets: _SetList) -> None:
        self._ids, self._sets = ids, sets

    def __getitem__(self, name: str) -> AttrSet:
        return self._sets[self._ids[name]]        # type: ignore[no-any-return]

    def __iter__(self) -> Iterator[str]:
        return iter(self._ids)

    def __len__(self) -> int:
        return len(self._ids)


def tables_key() -> tuple[int, ...]:
    """The codec constants a family's schema words are made of (Family.tables depends on them)."""
    return (lib.PNL_SCHEMA_MAGIC, RAW, U8, U16, U32, U64, STR, NEST, ARRAY, SUB, HNEST, FLAG, S32,
            lib.PNL_AF_BE, lib.PNL_AF_UNNAMED)


class Family:
    """Everything the decoder needs for one netlink protocol (rtnetlink, nf_tables)."""

    sets: Mapping[str, AttrSet]
    set_list: Sequence[AttrSet]
    messages: dict[int, MessageKind]

    def __init__(self, name: str, sets: Iterable[AttrSet], selectors: dict[str, dict[str, str]],
                 messages: Iterable[MessageKind]) -> None:
        self.name = name
        self.sets = {s.name: s for s in sets}
        self.set_ids: dict[str, int] = {n: i for i, n in enumerate(self.sets)}
        self.set_list = list(self.sets.values())
        self.selectors = selectors
        self.sel_ids: dict[str, int] = {n: i for i, n in enumerate(selectors)}
        self.messages = {m.msg_type: m for m in messages}
        self.max_types = tuple(s.max_type for s in self.set_list)   # per set: its highest type
        self.words = self._compile()
        self.cwords = ffi.from_buffer("uint32_t[]", self.words)

    def tables(self) -> tuple[Any, ...]:
        """This family as plain constants: what ``Family.frozen`` takes (specs/_tables.py holds them)."""
        sets = tuple((s.name, s.prefix, s.ynl_trusted,
                      tuple((a.name, a.kind, a.child, a.extra, a.be, a.number, a.ynl_number, s.types[a.name])
                            for a in s.attrs.values()))
                     for s in self.set_list)
        selectors = tuple((n, tuple(sel.items())) for n, sel in self.selectors.items())
        messages = tuple((m.msg_type, m.header, m.root) for m in self.messages.values())
        return (self.name, sets, selectors, messages, self.max_types, self.words.tobytes())

    @classmethod
    def frozen(cls, tables: tuple[Any, ...]) -> Family:
        """The family ``tables()`` describes, its attribute sets made on first use."""
        self = cls.__new__(cls)
        self.name, sets, selectors, messages, self.max_types, words = tables
        self.set_ids = {row[0]: i for i, row in enumerate(sets)}
        self.set_list = _SetList(sets)
        self.sets = _SetMap(self.set_ids, self.set_list)
        self.selectors = {n: dict(sel) for n, sel in selectors}
        self.sel_ids = {n: i for i, n in enumerate(self.selectors)}
        self.messages = {m[0]: MessageKind(*m) for m in messages}
        self.words = array("I")
        self.words.frombytes(words)
        self.cwords = ffi.from_buffer("uint32_t[]", self.words)
        return self

    def _compile(self) -> "array[int]":
        msgs = list(self.messages.values())
        head = [lib.PNL_SCHEMA_MAGIC, len(msgs), len(self.set_list), len(self.selectors)]
        for m in msgs:
            head += [m.msg_type, m.header, self.set_ids[m.root], 0]
        body: list[int] = []
        base = len(head) + len(self.set_list) + len(self.selectors)
        set_offs, sel_offs = [], []
        for s in self.set_list:
            set_offs.append(base + len(body))
            body.append(s.max_type)
            for t in range(s.max_type + 1):
                a = s.by_type.get(t)
                body += self._entry(s, a) if a else [RAW | (lib.PNL_AF_UNNAMED << 8), 0]
        for sel in self.selectors.values():
            sel_offs.append(base + len(body))
            body.append(len(sel))
            for key, set_name in sel.items():
                raw_key = key.encode()
                padded = raw_key + bytes(-len(raw_key) % 4)
                body += [self.set_ids[set_name], len(raw_key)]
                body += list(array("I", padded))
        return array("I", head + set_offs + sel_offs + body)

    def _entry(self, s: AttrSet, a: Attr) -> list[int]:
        w0 = a.kind | ((lib.PNL_AF_BE if a.be else 0) << 8) | (SIZES.get(a.kind, 0) << 16)
        if a.kind in (NEST, ARRAY, HNEST):
            child = self.set_ids[a.child]
            extra = int(a.extra)
        elif a.kind == SUB:
            child = self.sel_ids[a.child]
            extra = s.types[a.extra]
        else:
            child = extra = 0
        return [w0, child | (extra << 16)]

    def set_named(self, name: str) -> AttrSet:
        return self.sets[name]
