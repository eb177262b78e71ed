"""Messages as (shape, values): the shape picks a cached compiled Program, values are packed.

A request builder appends typed fields to a ``Msg``; the tuple of field descriptors is the
message's *shape*. The first message of a shape compiles a ``Program``; every later one
only packs its values (``Compiled.entry``), so building hundreds of creates is one dict
lookup and one ``struct.pack`` each.

Field names follow ``Owner.field`` (``Vlan.id``, ``Link.mtu``): the codec logs each
attribute's offset under its path, so a kernel extack offset names the field at fault.
"""
from __future__ import annotations

import errno
import os
import threading

from ..codec.program import Compiled, Program
from ..transport import validate as tv

TYPE_CHECKING = False       # typing is not imported at run time
if TYPE_CHECKING:
    from typing import Any

# (code, attr, name, size): code is the Program method and its options
Op = tuple[str, int, str, int]

_CACHE: dict[tuple[Any, ...], Compiled] = {}
_LOCK = threading.Lock()


class Msg:
    """One request message under construction: a shape and its values."""

    __slots__ = ("head", "ops", "values", "fds")

    def __init__(self, name: str, msg_type: int, flags: int, *, dump: bool = False) -> None:
        self.head = (name, msg_type, flags, dump)
        self.ops: list[Op] = []
        self.values: list[Any] = []
        self.fds: list[int] = []           # opened for this message; closed after the transfer

    # -- fields -------------------------------------------------------------------------
    def fixed(self, name: str, fmt: str, *values: Any) -> "Msg":
        self.ops.append(("fixed:" + fmt, 0, name, 0))
        self.values.extend(values)
        return self

    def u8(self, attr: int, name: str, value: int) -> "Msg":
        return self._int("u8", attr, name, value)

    def u16(self, attr: int, name: str, value: int) -> "Msg":
        return self._int("u16", attr, name, value)

    def be16(self, attr: int, name: str, value: int) -> "Msg":
        return self._int("be16", attr, name, value)

    def u32(self, attr: int, name: str, value: int) -> "Msg":
        return self._int("u32", attr, name, value)

    def be32(self, attr: int, name: str, value: int) -> "Msg":
        return self._int("be32", attr, name, value)

    def s32(self, attr: int, name: str, value: int) -> "Msg":
        return self._int("s32", attr, name, value)

    def u64(self, attr: int, name: str, value: int) -> "Msg":
        return self._int("u64", attr, name, value)

    def _int(self, code: str, attr: int, name: str, value: int) -> "Msg":
        self.ops.append((code, attr, name, 0))
        self.values.append(value)
        return self

    def string(self, attr: int, name: str, value: str, size: int = 16) -> "Msg":
        """A NUL-terminated string of at most ``size - 1`` bytes."""
        self.ops.append(("str", attr, name, size))
        self.values.append(value.encode())
        return self

    def binary(self, attr: int, name: str, value: bytes) -> "Msg":
        """Fixed-size bytes (a MAC, an address, a struct): the size is part of the shape."""
        self.ops.append(("bytes", attr, name, len(value)))
        self.values.append(value)
        return self

    def flag(self, attr: int, name: str) -> "Msg":
        self.ops.append(("flag", attr, name, 0))
        return self

    def nest(self, attr: int, name: str) -> "Msg":
        self.ops.append(("nest", attr, name, 0))
        return self

    def end(self) -> "Msg":
        self.ops.append(("end", 0, "", 0))
        return self

    def netns_fd(self, attr: int, name: str, path: str) -> "Msg":
        """A namespace passed by fd (IFLA_NET_NS_FD): opened now, closed after the transfer."""
        try:
            fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
        except FileNotFoundError:
            raise FileNotFoundError(errno.ENOENT, f"{name}: no such network namespace", path) from None
        try:
            tv.netns_fd(fd, path, name)
        except BaseException:
            os.close(fd)
            raise
        self.fds.append(fd)
        return self.u32(attr, name, fd)

    # -- result -------------------------------------------------------------------------
    def compiled(self) -> Compiled:
        """The Program of this shape (compiled on first use, then cached)."""
        key = (self.head, *self.ops)
        prog = _CACHE.get(key)
        if prog is None:
            prog = _compile(self.head, self.ops)
            with _LOCK:
                prog = _CACHE.setdefault(key, prog)
        return prog

    def item(self) -> tuple[Compiled, list[Any]]:
        return self.compiled(), self.values

    def close_fds(self) -> None:
        while self.fds:
            os.close(self.fds.pop())


def _compile(head: tuple[str, int, int, bool], ops: list[Op]) -> Compiled:
    name, msg_type, flags, dump = head
    p = Program(name, msg_type, flags, dump=dump)
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
        elif code == "flag":
            p.flag(attr, field)
        elif code == "nest":
            p.nest(attr, field)
        elif code == "end":
            p.end()
        else:  # pragma: no cover - a programming error
            raise ValueError(f"unknown op {code}")
    return p.compile()


_INTS = {"u8": (1, False, False), "u16": (2, False, False), "be16": (2, True, False),
         "u32": (4, False, False), "be32": (4, True, False), "s32": (4, False, True),
         "u64": (8, False, False)}


def field_name(path: str) -> str:
    """The innermost ``Owner.field`` of a logged path (``Link.linkinfo.Vlan.data.Vlan.id`` -> ``Vlan.id``)."""
    parts = path.split(".")
    return ".".join(parts[-2:]) if len(parts) > 2 else path


def cache_size() -> int:
    return len(_CACHE)
