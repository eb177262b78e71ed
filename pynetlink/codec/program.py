"""Request programs: the shape of a message, compiled once; values packed per message.

A ``Program`` lists what one message holds (header, attributes, nests) and compiles to
op bytes for the C encoder plus one ``struct`` format for the values. Encoding a
batch is then one ``struct.pack`` per message and one C call for all of them.
"""
from __future__ import annotations

import builtins
import struct
from .._bounded import Bounded
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


class Many:
    """Values for ``count`` messages of one program (a rows entry: one C call fills the
    program's record ``count`` times): ``base`` the values they share; per message, the
    bytes of the values at ``slots`` (value indexes, fixed-size fields only) in that
    order, back to back in ``rows`` (``count`` rows of those fields' sizes summed)."""

    __slots__ = ("base", "slots", "rows", "count")

    def __init__(self, base: Sequence[Any], slots: Sequence[builtins.int], rows: builtins.bytes,
                 count: builtins.int) -> None:
        self.base, self.slots, self.rows, self.count = base, tuple(slots), rows, count


class Raw:
    """``count`` messages already encoded (``data``: each at a 4-byte boundary), copied by
    encode as they are but for their sequence numbers (a raw entry, PNL_JOB_RAW); a message
    without NLM_F_ACK is complete once sent, and the item's program made ``quiet`` clears it
    on all of them. ``programs``: each message's program, when not all the item's own."""

    __slots__ = ("data", "count", "programs")

    def __init__(self, data: "builtins.bytes | memoryview", count: builtins.int,
                 programs: "Sequence[Compiled] | None" = None) -> None:
        self.data, self.count, self.programs = data, count, programs


_ROWS_HEAD = struct.Struct("=II")
_PATCH = struct.Struct("=HH")
_TOKEN_SIZES = {c: struct.calcsize("=" + c) for c in "BbHhIiQq?"}
_Layout = tuple[list[tuple[builtins.int, builtins.int]], list["str | None"]]
_OFFSETS: Bounded[builtins.int, tuple[Compiled, _Layout]] = Bounded(4096)   # by id (a Compiled hashes all its fields)


def value_offsets(prog: Compiled) -> list[tuple[builtins.int, builtins.int]]:
    """(record offset, size) of each value of ``prog`` (as ``entry`` takes them); a
    variable-length value's size is its maximum, its offset that of its bytes."""
    return _layout(prog)[0]


def _layout(prog: Compiled) -> _Layout:
    """``value_offsets`` and each value's struct code (None: variable-length)."""
    pair = _OFFSETS.get(id(prog))
    if pair is not None and pair[0] is prog:
        return pair[1]
    out: list[tuple[builtins.int, builtins.int]] = []
    codes: list[str | None] = []
    off, fmt, i, var_open = 0, prog.record.format.lstrip("=<>!@"), 0, False
    while i < len(fmt):
        j = i
        while fmt[j].isdigit():
            j += 1
        count, code, i = builtins.int(fmt[i:j] or 1), fmt[j], j + 1
        if code == "x":
            off += count
        elif code == "s":
            if var_open:                 # "H" (the length) then the bytes: one value
                out[-1], codes[-1], var_open = (off, count), None, False
            else:
                out.append((off, count))
                codes.append(f"{count}s")
            off += count
        else:
            for _ in range(count):
                var_open = code == "H" and len(out) in prog.var_slots
                out.append((off, _TOKEN_SIZES[code]))
                codes.append(code)
                off += _TOKEN_SIZES[code]
    _OFFSETS.put(id(prog), (prog, (out, codes)))
    return out, codes


RUN = 8         # consecutive messages of one program from which encode makes one rows entry


def _merged(prog: Compiled, values: list[Sequence[Any]]) -> Many | None:
    """Messages of one program as one ``Many``: the values that differ between them (one
    column each, found at C speed) packed per message; None when a variable-length value
    differs (or the counts do not match: the plain path reports that)."""
    codes = _layout(prog)[1]
    cols = list(zip(*values))
    n = len(values)
    if len(cols) != len(codes) or any(len(v) != len(codes) for v in values):
        return None
    slots = [k for k, col in enumerate(cols) if col.count(col[0]) != n]
    if any(codes[k] is None for k in slots):
        return None
    if not slots:
        return Many(values[0], (), b"", n)
    row = _rows_struct("=" + "".join(codes[k] or "" for k in slots))
    try:
        rows = b"".join(map(row.pack, *[cols[k] for k in slots]))
    except struct.error as exc:
        raise InvalidArgument(f"{prog.name}: bad value ({exc})") from None
    return Many(values[0], slots, rows, n)


_ROW_STRUCTS: Bounded[str, struct.Struct] = Bounded(1024)


def _rows_struct(fmt: str) -> struct.Struct:
    got = _ROW_STRUCTS.get(fmt)
    if got is None:
        got = _ROW_STRUCTS.put(fmt, struct.Struct(fmt))
    return got


_HEADS: Bounded[tuple[builtins.int, builtins.int, tuple[builtins.int, ...]],
               tuple[Compiled, Any, builtins.bytes, builtins.bytes, builtins.int]] = Bounded(1024)


def _rows_entry(prog: Compiled, many: Many) -> builtins.bytes:
    """A rows entry of the job (csrc/pnl.h, PNL_JOB_ROWS). The parts that do not depend on
    the rows are kept for a ``base`` given as a tuple (immutable): a bulk request sent
    again with the same program and base packs only its count and rows."""
    got = _HEADS.get((id(prog), id(many.base), many.slots))
    if got is None or got[0] is not prog or got[1] is not many.base:
        got = (prog, many.base, *_rows_parts(prog, many))
        if type(many.base) is tuple:
            _HEADS.put((id(prog), id(many.base), many.slots), got)
    _, _, head, patches, stride = got
    if many.count < 0 or len(many.rows) != stride * many.count:
        raise InvalidArgument(f"{prog.name}: {len(many.rows)} bytes of rows for {many.count} messages "
                              f"of {stride} bytes each")
    return (head + _ROWS_HEAD.pack(many.count, len(many.slots)) + patches + many.rows
            + bytes(_align(len(many.rows)) - len(many.rows)))


def _rows_parts(prog: Compiled, many: Many) -> tuple[builtins.bytes, builtins.bytes, builtins.int]:
    """A rows entry's head (program and base values), its patches and its row size."""
    offsets = value_offsets(prog)
    try:
        patches = [offsets[i] for i in many.slots]
    except IndexError:
        raise InvalidArgument(f"{prog.name}: no value {max(many.slots)} to fill") from None
    if any(i in prog.var_slots for i in many.slots):
        raise InvalidArgument(f"{prog.name}: a variable-length value cannot be filled per message")
    n_ops, rec_len = _ENTRY_HEAD.unpack_from(prog.prefix)
    return (_ENTRY_HEAD.pack(n_ops | lib.PNL_JOB_ROWS, rec_len) + prog.prefix[_ENTRY_HEAD.size:]
            + prog.entry(many.base)[len(prog.prefix):], b"".join(_PATCH.pack(*pt) for pt in patches),
            sum(size for _, size in patches))


_QUIET: Bounded[builtins.int, tuple[Compiled, Compiled]] = Bounded(4096)    # by id (a Compiled hashes all its fields)


def quiet(prog: Compiled) -> Compiled:
    """``prog`` without NLM_F_ACK, its request complete once sent (PNL_MF_QUIET): for the
    members of an nfnetlink transaction whose last member is acked (the kernel answers a
    quiet member only with its error, before that ack)."""
    pair = _QUIET.get(id(prog))
    if pair is not None and pair[0] is prog:
        return pair[1]
    kind, mflags, msg_type, off, flags = _OP.unpack_from(prog.prefix, _ENTRY_HEAD.size)
    head = _OP.pack(kind, mflags | lib.PNL_MF_QUIET, msg_type, off, flags & ~lib.NLM_F_ACK)
    got = Compiled(prog.prefix[:_ENTRY_HEAD.size] + head + prog.prefix[_ENTRY_HEAD.size + _OP.size:],
                   prog.record, prog.fields, prog.var_slots, prog.max_size, prog.n_logged, prog.name)
    _QUIET.put(id(prog), (prog, got))
    return got


def _expand_var(values: Sequence[Any], slots: tuple[int, ...]) -> list[Any]:
    out = list(values)
    for i in reversed(slots):           # the length before each variable-length value
        out.insert(i, len(out[i]))
    return out


class Packed:
    """A message's values packed once (``packed``): for messages sent again and again with
    the same values (a cached structure); encode copies the record, packs nothing."""

    __slots__ = ("record",)

    def __init__(self, record: builtins.bytes) -> None:
        self.record = record


def packed(prog: Compiled, values: Sequence[Any]) -> Packed:
    """``values`` packed for ``prog`` (checked as ``entry`` does)."""
    return Packed(prog.entry(values)[len(prog.prefix):])


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


def encode(items: Iterable[tuple[Compiled, "Sequence[Any] | Many | Packed | Raw"]], seq_first: builtins.int) -> Encoded:
    """Encode every (program, values) into one buffer, sequence numbers from ``seq_first``;
    values given as ``Many`` make that many messages (one per row), as ``Packed`` are copied,
    as ``Raw`` are messages copied as they are."""
    seq = items if isinstance(items, list) else list(items)
    if len(seq) == 1:                     # one request (a dump)
        prog, one = seq[0]
        if not isinstance(one, (Many, Packed, Raw)):
            return _encoded(prog.entry(one), seq_first, prog.max_size, prog.n_logged, [prog])
    programs: list[Compiled] = []
    parts: "list[bytes | memoryview]" = []
    size = 0
    n_log = 0
    i, n_items = 0, len(seq)
    plain_until = 0                       # the end of a run that could not be merged
    while i < n_items:
        prog, values = seq[i]
        stop = i + 1
        if i >= plain_until and not isinstance(values, (Many, Packed, Raw)) and n_items - i >= RUN:
            while stop < n_items and seq[stop][0] is prog and not isinstance(seq[stop][1], (Many, Packed, Raw)):
                stop += 1
            if stop - i >= RUN:           # a run of one program: one rows entry if it can be
                values = _merged(prog, [v for _, v in seq[i:stop]]) or values  # type: ignore[misc]
            if not isinstance(values, Many):
                plain_until, stop = stop, i + 1     # its members encoded one by one, not rescanned
        if isinstance(values, Raw):       # messages as they are (their count known)
            quiet_flag = lib.PNL_JOB_QUIET if _OP.unpack_from(prog.prefix, _ENTRY_HEAD.size)[1] & lib.PNL_MF_QUIET else 0
            data = values.data
            parts += (_ENTRY_HEAD.pack(lib.PNL_JOB_RAW | quiet_flag, len(data)), data,
                      bytes(_align(len(data)) - len(data)))    # (joined once, below)
            programs += values.programs or [prog] * values.count
            size += _align(len(data))
        elif isinstance(values, Many):    # one rows entry: count messages of one program
            parts.append(_rows_entry(prog, values))
            programs += [prog] * values.count
            size += prog.max_size * values.count
            n_log += prog.n_logged * values.count
        else:                             # (Packed: packed before, the record as it is)
            programs.append(prog)
            parts.append(prog.prefix + values.record if isinstance(values, Packed) else prog.entry(values))
            size += prog.max_size
            n_log += prog.n_logged
        i = stop
    return _encoded(b"".join(parts), seq_first, size, n_log, programs)


def _encoded(job: bytes, seq_first: builtins.int, size: builtins.int, n_log: builtins.int,
             programs: list[Compiled]) -> Encoded:
    """``pnl_encode`` of a job of one entry per program (an InvalidArgument naming the
    program it refused)."""
    n = len(programs)
    try:
        res = _native.encode(job, seq_first, size, n, n_log)
    except _native.EncodeFailure as exc:
        where = programs[exc.entry].name if exc.entry < n else "?"
        raise InvalidArgument(f"cannot encode {where} (entry {exc.entry}, op {exc.op}): "
                              f"rc {exc.rc}") from None
    return Encoded(res.buf, res.length, res.status, n, res.log, res.n_log,
                   seq_first & 0xFFFFFFFF, programs)


class Prepared:
    """One request (``items``: its one (program, values)) encoded once into buffers it keeps:
    ``at(seq)`` encodes the same job again in place under sequence number ``seq`` (one C
    call rewriting the message and its status entry), without packing it again: a request
    sent again and again, as a dump. The ``Encoded`` it returns is the same object each
    time: its owner serialises ``at``, the transfer and the reading of the status table
    (``NetlinkSocket.dump_prepared`` borrows it from the store all sockets share, one dump at
    a time, and holds its socket's lock over all three)."""

    __slots__ = ("items", "_job", "_cjob", "_enc", "_res", "_out", "_cap", "_log_cap")

    def __init__(self, prog: Compiled, values: Sequence[Any]) -> None:
        self.items = [(prog, values)]
        self._job = prog.entry(values)
        self._cjob = ffi.from_buffer(self._job)
        try:
            self._res = _native.encode(self._job, 0, prog.max_size, 1, prog.n_logged)
        except _native.EncodeFailure as exc:
            raise InvalidArgument(f"cannot encode {prog.name} (op {exc.op}): rc {exc.rc}") from None
        r = self._res
        self._enc = Encoded(r.buf, r.length, r.status, 1, r.log, r.n_log, 0, [prog])
        self._out = ffi.new("struct pnl_enc *")
        self._cap, self._log_cap = prog.max_size, prog.n_logged

    def at(self, seq: builtins.int) -> Encoded:
        seq &= 0xFFFFFFFF
        _native.encode_again(self._cjob, len(self._job), seq, self._res, self._cap, self._log_cap, self._out)
        enc = self._enc
        enc.seq_first = seq
        return enc
