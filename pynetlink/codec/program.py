"""Request programs: the shape of a message, compiled once; values packed per message.

A ``Program`` lists what one message holds (header, attributes, nests) and compiles to
op bytes for the C encoder plus one ``struct`` format for the values. Encoding a
batch is then one ``struct.pack`` per message and one C call for all of them.
"""
from __future__ import annotations

import builtins
import struct
from .._record import record

from .. import _native
from .._native import ffi, lib
from ..errors import InvalidArgument

TYPE_CHECKING = False       # typing is not imported at run time
if TYPE_CHECKING:
    from typing import Any, Iterable, Sequence

_OP = struct.Struct("=BBHHH")
_ENTRY_HEAD = struct.Struct("=II")
_NLA_F_NESTED = 1 << 15
_INT_FORMATS = {1: "B", 2: "H", 4: "I", 8: "Q"}
_Op = tuple[int, int, int, int, int]      # kind, flags, attribute type, record offset, size


def _align(n: int) -> int:
    return (n + 3) & ~3


@record(frozen=True, init=False)
class Compiled:
    """An immutable, ready-to-use program."""

    prefix: bytes                 # entry head + ops, the same for every message
    record: struct.Struct         # packs the values of one message
    fields: tuple[str, ...]       # field name per op index (for extack offsets)
    var_slots: tuple[int, ...]    # value positions that are variable-length bytes
    max_size: int                 # upper bound of one encoded message
    n_logged: int                 # log entries one message produces
    name: str

    def __init__(self, prefix: bytes, record: struct.Struct, fields: tuple[str, ...],
                 var_slots: tuple[int, ...], max_size: int, n_logged: int, name: str) -> None:
        # set one by one (object.__setattr__), not through self.__dict__: touching __dict__
        # turns the instance's inline attribute values into a dict, and every later read
        # (encode reads five per message) takes the slower dict path: W3 encode ~20% slower.
        # tests/test_record.py keeps this signature equal to the fields
        put = object.__setattr__
        put(self, "prefix", prefix)
        put(self, "record", record)
        put(self, "fields", fields)
        put(self, "var_slots", var_slots)
        put(self, "max_size", max_size)
        put(self, "n_logged", n_logged)
        put(self, "name", name)

    def entry(self, values: Sequence[Any]) -> bytes:
        """One job entry: program prefix + packed values."""
        if self.var_slots:
            values = _expand_var(values, self.var_slots)
        try:
            return self.prefix + self.record.pack(*values)
        except struct.error as exc:
            raise InvalidArgument(f"{self.name}: bad value ({exc})") from None


def _expand_var(values: Sequence[Any], slots: tuple[int, ...]) -> list[Any]:
    out: list[Any] = []
    for i, v in enumerate(values):
        if i in slots:
            out.append(len(v))
        out.append(v)
    return out


class Program:
    """Builder of a message shape; ``compile()`` freezes it."""

    def __init__(self, name: str, msg_type: builtins.int, flags: builtins.int, *, dump: bool = False,
                 reply: bool = False) -> None:
        mflags = (lib.PNL_MF_DUMP if dump else 0) | (lib.PNL_MF_REPLY if reply else 0)
        self.name = name
        self._ops: list[_Op] = [(lib.PNL_OP_MSG, mflags, msg_type, 0, flags)]
        self._fields: list[str] = ["header"]
        self._fmt: list[str] = []
        self._rec = 0
        self._open: list[str] = []
        self._var: list[builtins.int] = []
        self._nvalues = 0
        self._max = 16

    def _slot(self, fmt: str) -> int:
        off = self._rec
        self._fmt.append(fmt)
        self._rec += struct.calcsize("=" + fmt)
        if self._rec > 0xFFFF:
            raise ValueError(f"{self.name}: record too large")
        return off

    def _path(self, name: str) -> str:
        return ".".join([*self._open, name])

    def fixed(self, name: str, fmt: str) -> "Program":
        """A fixed header (struct ifinfomsg, rtmsg, nfgenmsg...) as a struct format."""
        size = struct.calcsize("=" + fmt)
        off = self._slot(fmt)
        self._nvalues += len(struct.unpack("=" + fmt, bytes(size)))
        self._ops.append((lib.PNL_OP_FIXED, 0, 0, off, size))
        self._fields.append(self._path(name))
        self._max += _align(size)
        return self

    def int(self, attr: builtins.int, name: str, size: builtins.int = 4, *, big_endian: bool = False,
            signed: bool = False) -> "Program":
        fmt = _INT_FORMATS[size]
        off = self._slot(fmt.lower() if signed else fmt)
        self._nvalues += 1
        self._ops.append((lib.PNL_OP_ATTR, lib.PNL_OPF_BE if big_endian else 0, attr, off, size))
        self._fields.append(self._path(name))
        self._max += 4 + _align(size)
        return self

    def bytes(self, attr: builtins.int, name: str, size: builtins.int) -> "Program":
        """A fixed-size binary attribute (a MAC, an IPv4/IPv6 address)."""
        off = self._slot(f"{size}s")
        self._nvalues += 1
        self._ops.append((lib.PNL_OP_ATTR, 0, attr, off, size))
        self._fields.append(self._path(name))
        self._max += 4 + _align(size)
        return self

    def flag(self, attr: builtins.int, name: str) -> "Program":
        self._ops.append((lib.PNL_OP_ATTR, 0, attr, 0, 0))
        self._fields.append(self._path(name))
        self._max += 4
        return self

    def string(self, attr: builtins.int, name: str, size: builtins.int = 16, *, nul: bool = True) -> "Program":
        """A string of at most ``size`` bytes (the value is bytes)."""
        off = self._slot(f"{size}s")
        self._nvalues += 1
        self._ops.append((lib.PNL_OP_STR, 0 if nul else lib.PNL_OPF_NONUL, attr, off, size))
        self._fields.append(self._path(name))
        self._max += 4 + _align(size + 1)
        return self

    def var(self, attr: builtins.int, name: str, max_size: builtins.int) -> "Program":
        """Variable-length bytes, at most ``max_size`` (the value is bytes)."""
        self._var.append(self._nvalues)
        off = self._slot(f"H{max_size}s")
        self._nvalues += 1
        self._ops.append((lib.PNL_OP_VAR, 0, attr, off, max_size))
        self._fields.append(self._path(name))
        self._max += 4 + _align(max_size)
        return self

    def nest(self, attr: builtins.int, name: str, *, nested_flag: bool = False) -> "Program":
        self._ops.append((lib.PNL_OP_NEST, 0, attr | (_NLA_F_NESTED if nested_flag else 0), 0, 0))
        self._fields.append(self._path(name))
        self._open.append(name)
        self._max += 4
        return self

    def end(self) -> "Program":
        if not self._open:
            raise ValueError(f"{self.name}: end() without nest()")
        self._open.pop()
        self._ops.append((lib.PNL_OP_END, 0, 0, 0, 0))
        self._fields.append("")
        return self

    def compile(self) -> Compiled:
        if self._open:
            raise ValueError(f"{self.name}: unclosed nest {self._open[-1]}")
        fmt = "=" + "".join(self._fmt)
        pad = _align(self._rec) - self._rec
        record = struct.Struct(fmt + "x" * pad)
        prefix = _ENTRY_HEAD.pack(len(self._ops), self._rec) + b"".join(_OP.pack(*op) for op in self._ops)
        logged = sum(1 for op in self._ops if op[0] not in (lib.PNL_OP_MSG, lib.PNL_OP_END))
        return Compiled(prefix, record, tuple(self._fields), tuple(self._var), self._max,
                        logged, self.name)


@record(init=False)
class Encoded:
    """A batch encoded into one buffer, with its request table and offset log."""

    buf: Any                      # uint8_t[] (cffi)
    length: builtins.int
    status: Any                   # struct pnl_status[]
    n: builtins.int
    log: Any                      # struct pnl_log[]
    n_log: builtins.int
    seq_first: builtins.int
    programs: list[Compiled]

    def __init__(self, buf: Any, length: builtins.int, status: Any, n: builtins.int, log: Any,
                 n_log: builtins.int, seq_first: builtins.int, programs: list[Compiled]) -> None:
        # one per transfer, read by the transfer and the reply (attributes kept inline: see
        # Compiled); tests/test_record.py keeps this signature equal to the fields
        self.buf, self.length, self.status, self.n, self.log = buf, length, status, n, log
        self.n_log, self.seq_first, self.programs = n_log, seq_first, programs

    def field_at(self, msg: builtins.int, offset: builtins.int) -> str:
        """The field a kernel extack offset points at, or ''."""
        best = ""
        for i in range(self.n_log):
            e = self.log[i]
            if e.msg == msg and e.off == offset:
                return str(self.programs[msg].fields[e.op])
        return best

    def message(self, i: builtins.int) -> bytes:
        st = self.status[i]
        return bytes(ffi.buffer(self.buf + st.req_off, st.req_len))

    def tobytes(self) -> bytes:
        return bytes(ffi.buffer(self.buf, self.length))


def encode(items: Iterable[tuple[Compiled, Sequence[Any]]], seq_first: builtins.int) -> Encoded:
    """Encode every (program, values) into one buffer, sequence numbers from ``seq_first``."""
    programs: list[Compiled] = []
    parts: list[bytes] = []
    size = 0
    n_log = 0
    for prog, values in items:
        programs.append(prog)
        parts.append(prog.entry(values))
        size += prog.max_size
        n_log += prog.n_logged
    n = len(programs)
    try:
        res = _native.encode(b"".join(parts), seq_first, size, n, n_log)
    except _native.EncodeFailure as exc:
        where = programs[exc.entry].name if exc.entry < n else "?"
        raise InvalidArgument(f"cannot encode {where} (entry {exc.entry}, op {exc.op}): "
                              f"rc {exc.rc}") from None
    return Encoded(res.buf, res.length, res.status, n, res.log, res.n_log,
                   seq_first & 0xFFFFFFFF, programs)
