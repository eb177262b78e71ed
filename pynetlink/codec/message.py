"""The one request builder: a message as (shape, values), for every protocol.

rtnetlink, nf_tables and the capability check all build requests with ``Msg``: a builder
appends typed fields; the tuple of field descriptors is the message's *shape*. The first
message of a shape compiles a ``Program``; every later one only packs its values
(``Compiled.entry``), so building hundreds of creates is one dict lookup and one
``struct.pack`` each. A part with many fields whose layout is already known by a small key
(the expressions of an nf_tables rule, the elements of a set message) goes in as one
``splice`` field: its emitter writes it into the program the first time that key is seen.

Field names follow ``Owner.field`` (``Vlan.id``, ``Link.mtu``): the codec logs each
attribute's offset under its path, so a kernel extack offset names the field at fault.
"""
from __future__ import annotations

import _thread   # not threading: it imports functools and collections (~2 ms of each CNI plugin start)

from .program import Compiled, Program

TYPE_CHECKING = False       # typing is not imported at run time
if TYPE_CHECKING:
    from typing import Any, Callable, Hashable, Iterable, Self
else:
    from .._lighttyping import Any, Callable

# (code, attr, name, size): code is the Program method and its options (size: a splice's key)
Op = tuple[str, int, str, Any]
Emitter = Callable[[Program, Any], None]


class Msg:
    """One request message under construction: a shape and its values."""

    __slots__ = ("head", "ops", "values", "fds")

    def __init__(self, name: str, msg_type: int, flags: int, *, dump: bool = False,
                 reply: bool = False) -> None:
        self.head = (name, msg_type, flags, dump, reply)
        self.ops: list[Op] = []
        self.values: list[Any] = []
        self.fds: list[int] = []           # opened for this message; closed after the transfer

    # -- fields -------------------------------------------------------------------------
    def fixed(self, name: str, fmt: str, *values: Any) -> Self:
        """A fixed header (ifinfomsg, nfgenmsg, ...) as a struct format and its values."""
        self.ops.append(("fixed:" + fmt, 0, name, 0))
        self.values.extend(values)
        return self

    def u8(self, attr: int, name: str, value: int) -> Self:
        return self._int("u8", attr, name, value)

    def u16(self, attr: int, name: str, value: int) -> Self:
        return self._int("u16", attr, name, value)

    def be16(self, attr: int, name: str, value: int) -> Self:
        return self._int("be16", attr, name, value)

    def u32(self, attr: int, name: str, value: int) -> Self:
        return self._int("u32", attr, name, value)

    def be32(self, attr: int, name: str, value: int) -> Self:
        return self._int("be32", attr, name, value)

    def sbe32(self, attr: int, name: str, value: int) -> Self:
        """A signed big-endian 32-bit integer (nf_tables priorities and verdicts)."""
        return self._int("sbe32", attr, name, value)

    def s32(self, attr: int, name: str, value: int) -> Self:
        return self._int("s32", attr, name, value)

    def u64(self, attr: int, name: str, value: int) -> Self:
        return self._int("u64", attr, name, value)

    def be64(self, attr: int, name: str, value: int) -> Self:
        return self._int("be64", attr, name, value)

    def _int(self, code: str, attr: int, name: str, value: int) -> Self:
        self.ops.append((code, attr, name, 0))
        self.values.append(value)
        return self

    def string(self, attr: int, name: str, value: str | bytes, size: int = 16) -> Self:
        """A NUL-terminated string of at most ``size - 1`` bytes."""
        self.ops.append(("str", attr, name, size))
        self.values.append(value.encode() if isinstance(value, str) else value)
        return self

    def binary(self, attr: int, name: str, value: bytes) -> Self:
        """Fixed-size bytes (a MAC, an address, a struct): the size is part of the shape."""
        self.ops.append(("bytes", attr, name, len(value)))
        self.values.append(value)
        return self

    def var(self, attr: int, name: str, value: bytes, max_size: int) -> Self:
        """Variable-length bytes of at most ``max_size`` (only the bound is in the shape)."""
        self.ops.append(("var", attr, name, max_size))
        self.values.append(value)
        return self

    def flag(self, attr: int, name: str) -> Self:
        self.ops.append(("flag", attr, name, 0))
        return self

    def nest(self, attr: int, name: str, *, nested: bool = False) -> Self:
        """Open a nest (``nested``: with NLA_F_NESTED, as nf_tables wants); ``end`` closes it."""
        self.ops.append(("nested" if nested else "nest", attr, name, 0))
        return self

    def end(self) -> Self:
        self.ops.append(("end", 0, "", 0))
        return self

    def splice(self, name: str, emit: Emitter, key: Hashable, values: Iterable[Any]) -> Self:
        """A part whose layout ``key`` fully decides: ``emit(program, key)`` writes it once per
        shape; ``values`` fill it, in the order its fields were written."""
        self.ops.append(("splice", 0, name, (emit, key)))
        self.values.extend(values)
        return self

    # -- result -------------------------------------------------------------------------
    def compiled(self) -> Compiled:
        """The Program of this shape (compiled on first use, then cached)."""
        return _CACHE.get((self.head, *self.ops))

    def item(self) -> tuple[Compiled, list[Any]]:
        return self.compiled(), self.values


class _Programs:
    """Compiled programs by message shape, shared by all threads (a compile is pure)."""

    def __init__(self) -> None:
        self._lock = _thread.allocate_lock()
        self._by_shape: dict[tuple[Any, ...], Compiled] = {}

    def get(self, key: tuple[Any, ...]) -> Compiled:
        prog = self._by_shape.get(key)
        if prog is None:
            prog = _compile(key[0], key[1:])
            with self._lock:
                prog = self._by_shape.setdefault(key, prog)
        return prog

    def __len__(self) -> int:
        return len(self._by_shape)


_CACHE = _Programs()


def _compile(head: tuple[str, int, int, bool, bool], ops: Iterable[Op]) -> Compiled:
    name, msg_type, flags, dump, reply = head
    p = Program(name, msg_type, flags, dump=dump, reply=reply)
    for code, attr, field, size in ops:
        if code.startswith("fixed:"):
            p.fixed(field, code[6:])
        elif code in _INTS:
            width, be, signed = _INTS[code]
            p.int(attr, field, width, big_endian=be, signed=signed)
        elif code == "str":
            p.string(attr, field, size)
        elif code == "bytes":
            p.bytes(attr, field, size)
        elif code == "var":
            p.var(attr, field, size)
        elif code == "flag":
            p.flag(attr, field)
        elif code in ("nest", "nested"):
            p.nest(attr, field, nested_flag=code == "nested")
        elif code == "end":
            p.end()
        elif code == "splice":
            emit, key = size
            emit(p, key)
        else:  # pragma: no cover - a programming error
            raise ValueError(f"unknown op {code}")
    return p.compile()


_INTS = {"u8": (1, False, False), "u16": (2, False, False), "be16": (2, True, False),
         "u32": (4, False, False), "be32": (4, True, False), "sbe32": (4, True, True),
         "s32": (4, False, True), "u64": (8, False, False), "be64": (8, True, False)}


def field_name(path: str) -> str:
    """The innermost ``Owner.field`` of a logged path (``Link.linkinfo.Vlan.data.Vlan.id`` -> ``Vlan.id``)."""
    parts = path.split(".")
    return ".".join(parts[-2:]) if len(parts) > 2 else path


def cache_size() -> int:
    """How many message shapes have been compiled."""
    return len(_CACHE)
