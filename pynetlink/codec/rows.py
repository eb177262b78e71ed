"""Decoded buffers: a flat row table over the received bytes, read lazily.

``decode()`` fills the table in one C pass (``_native.decode``: the decoder grows its own
columns as rows come, then shrinks them to fit). A ``Rows`` keeps the bytes and columns
(memoryviews over what C filled); values are only turned into Python objects when someone
reads them.
"""
from __future__ import annotations

import bisect
import builtins
import _socket as socket  # the C module: socket.py (and its enums) is ~2 ms of each CNI plugin start
import struct
from array import array

from .. import _native
from .._native import RowTable, ffi, lib
from ..errors import DecodeError
from .schema import Family

try:                        # the C views' helpers (csrc/ext/views.c), built with the codec
    from . import _cview as _cview
except ImportError:         # pragma: no cover - a build without them
    _cview = None  # type: ignore[assignment]

TYPE_CHECKING = False       # typing is not imported at run time
if TYPE_CHECKING:
    from typing import Any, Callable, Iterator, TypeVar
else:
    from .._lighttyping import Any, Callable, TypeVar

R_MSG, R_BADLEN, R_UNKNOWN, R_CONT = lib.PNL_R_MSG, lib.PNL_R_BADLEN, lib.PNL_R_UNKNOWN, lib.PNL_R_CONT
NO_SET = lib.PNL_NO_SET


class Rows:
    """The row table of one buffer: messages, their attributes, nested attributes."""

    __slots__ = ("data", "family", "count", "n_msgs", "off", "len", "tf", "_parent", "end",
                 "set", "val", "slot", "index", "max_type", "columns", "msg_rows", "msg_tf", "_plucked")

    def __init__(self, data: bytes, family: Family, table: RowTable) -> None:
        self.data = data
        self.family = family
        self.max_type = family.max_types     # per attribute set: the highest indexed type
        self.columns = table
        self.count = table.count
        self.n_msgs = table.n_msgs
        self.off = table.off
        self.len = table.len
        self.tf = table.tf
        self._parent: array[int] | None = None
        self.end = table.end
        self.set = table.set
        self.val = table.val
        self.slot = table.slot
        self.index = table.index

    # -- structure ---------------------------------------------------------------------
    @property
    def parent(self) -> "array[int]":
        """Each row's parent row (-1 for messages): derived from ``end`` on first use (the
        decoder does not keep it; readers go down the tree, not up)."""
        p = self._parent
        if p is None:
            p = array("i", [-1]) * self.count
            end = self.end
            stack: list[int] = []
            for i in range(self.count):
                while stack and end[stack[-1]] <= i:
                    stack.pop()
                if stack:
                    p[i] = stack[-1]
                stack.append(i)
            self._parent = p
        return p

    def messages(self) -> Iterator[int]:
        i, end, n = 0, self.end, self.count
        while i < n:
            yield i
            i = end[i]

    def data_messages(self) -> list[int]:
        """The rows of every data message (type >= NLMSG_MIN_TYPE: not NLMSG_ERROR/DONE), in
        order: one C pass."""
        return pluck(self, _DATA).tolist()

    def children(self, row: int) -> Iterator[int]:
        i, stop, end = row + 1, self.end[row], self.end
        while i < stop:
            yield i
            i = end[i]

    def find(self, row: int, attr: int) -> int:
        """The first child of ``row`` with type ``attr``, or -1 (O(1) through the index)."""
        slot = self.slot[row]
        if not slot or attr > self.max_type[self.set[row]]:
            # no index, or a type past the schema's (kept as an unknown row): scan
            for c in self.children(row):
                if self.tf[c] & 0xFFFF == attr:
                    return c
            return -1
        return self.index[slot - 1 + attr] - 1

    def path(self, row: int, *attrs: int) -> int:
        for a in attrs:
            if row < 0:
                return -1
            row = self.find(row, a)
        return row

    # -- values ------------------------------------------------------------------------
    def type(self, row: int) -> int:
        return self.tf[row] & 0xFFFF

    def flags(self, row: int) -> int:
        return self.tf[row] >> 16

    def msg_seq(self, row: int) -> int:
        return self.val[row] & 0xFFFFFFFF

    def msg_flags(self, row: int) -> int:
        return self.val[row] >> 32

    def payload(self, row: int) -> bytes:
        o = self.off[row]
        return self.data[o:o + self.len[row]]

    def header(self, row: int, size: int) -> bytes:
        """The fixed header of message ``row`` (after its nlmsghdr)."""
        o = self.off[row] + 16
        return self.data[o:o + size]

    def u(self, row: int) -> int:
        return self.val[row]

    def s(self, row: int) -> int:
        v = self.val[row]
        return v - (1 << 64) if v >> 63 else v

    def str(self, row: int) -> str:
        o = self.off[row]
        e = o + self.len[row]
        z = self.data.find(0, o, e)
        return self.data[o:e if z < 0 else z].decode("utf-8", "replace")

    def ip(self, row: int) -> builtins.str:
        o, n = self.off[row], self.len[row]
        return ip_text(self.data[o:o + n], o)

    def mac(self, row: int) -> builtins.str:
        return ":".join(f"{x:02x}" for x in self.payload(row))

    # optional lookups: a value or None when the attribute is absent (find()'s indexed
    # case inlined: views make millions of these calls)
    def get_u(self, row: int, attr: int) -> int | None:
        slot = self.slot[row]
        if slot and attr <= self.max_type[self.set[row]]:
            r = self.index[slot - 1 + attr] - 1
        else:
            r = self.find(row, attr)
        return None if r < 0 or self.tf[r] >> 16 & R_BADLEN else self.val[r]

    def get_str(self, row: int, attr: int) -> builtins.str | None:
        slot = self.slot[row]
        if slot and attr <= self.max_type[self.set[row]]:
            r = self.index[slot - 1 + attr] - 1
        else:
            r = self.find(row, attr)
        return None if r < 0 else self.str(r)

    def get_ip(self, row: int, attr: int) -> builtins.str | None:
        """An address attribute as text (IPv6 when 16 bytes long, else IPv4), or None."""
        slot = self.slot[row]
        if slot and attr <= self.max_type[self.set[row]]:
            r = self.index[slot - 1 + attr] - 1
        else:
            r = self.find(row, attr)
        return None if r < 0 else self.ip(r)

    def get_bytes(self, row: int, attr: int) -> bytes | None:
        r = self.find(row, attr)
        return None if r < 0 else self.payload(r)

    def tree(self, row: int) -> dict[builtins.str, object]:
        """A plain dict of a message or nest (names from the schema, raw bytes for unknowns)."""
        fam = self.family
        s = self.set[row]
        aset = fam.set_list[s] if s != NO_SET else None
        out: dict[builtins.str, object] = {}
        for c in self.children(row):
            t = self.tf[c] & 0xFFFF
            a = aset.by_type.get(t) if aset else None
            name = a.name if a else f"attr_{t}"
            if self.tf[c] >> 16 & R_CONT:
                value: object = self.tree(c)
            elif a is None or self.tf[c] >> 16 & R_BADLEN:
                value = self.payload(c)
            elif a.kind in (lib.PNL_K_U8, lib.PNL_K_U16, lib.PNL_K_U32, lib.PNL_K_U64):
                value = self.val[c]
            elif a.kind == lib.PNL_K_S32:
                value = self.s(c)
            elif a.kind == lib.PNL_K_STR:
                value = self.str(c)
            elif a.kind == lib.PNL_K_FLAG:
                value = self.val[c] if self.len[c] else True
            else:
                value = self.payload(c)
            if name in out:
                prev = out[name]
                out[name] = (prev if isinstance(prev, list) else [prev]) + [value]
            else:
                out[name] = value
        return out


def ip_text(raw: bytes, offset: int | None = None) -> builtins.str:
    """An address attribute as text: 4 bytes IPv4, 16 bytes IPv6, anything else malformed."""
    n = len(raw)
    if n == 4:
        return socket.inet_ntop(socket.AF_INET, raw)
    if n == 16:
        return socket.inet_ntop(socket.AF_INET6, raw)
    raise DecodeError(f"address attribute of {n} bytes (expected 4 or 16)", offset)


# what reading malformed content raises in Python (a short slice, a bad enum value, a value
# a validating constructor refuses); TypeError and AttributeError stay bugs
MALFORMED = (IndexError, KeyError, ValueError, struct.error, OverflowError)
F = TypeVar("F", bound=Callable[..., Any])


def reading(what: builtins.str) -> Callable[[F], F]:
    """Decorate a reader of decoded replies: malformed content raises DecodeError naming
    ``what``, never IndexError/ValueError/struct.error (DecodeError itself passes through)."""
    def wrap(fn: F) -> F:
        def guarded(*args: Any, **kw: Any) -> Any:
            try:
                return fn(*args, **kw)
            except DecodeError:
                raise
            except MALFORMED as exc:
                raise DecodeError(f"malformed {what} in a reply: {exc}") from exc
        # functools.wraps by hand (functools with collections is ~2 ms of each CNI plugin start)
        for name in ("__module__", "__name__", "__qualname__", "__doc__"):
            setattr(guarded, name, getattr(fn, name))
        guarded.__dict__.update(fn.__dict__)
        guarded.__wrapped__ = fn  # type: ignore[attr-defined]
        return guarded  # type: ignore[return-value]
    return wrap


NONE = 0xFFFFFFFFFFFFFFFF          # a plucked column's "absent" (lib.PNL_P_NONE)
P_HDR, P_HDRS, P_U, P_SPAN, P_ROW, P_TYPE = 1, 2, 3, 4, 5, 6
ANY_TYPE = 0                        # a Pluck of every message type >= NLMSG_MIN_TYPE


class Pluck:
    """A compiled pluck spec: which columns ``pluck`` fills for every message of one type.

    Columns are ``("hdr", offset, size)`` / ``("hdrs", offset, size)`` (an unsigned / signed
    little-endian field of 1, 2, 4 or 8 bytes of the fixed header, absent unless the message
    holds all ``hdr_len`` bytes of it; eight bytes of 0xff read as absent too), ``("u", attr)`` / ``("u", attr, child)`` (a
    decoded attribute value, as ``Rows.get_u``) and ``("span", attr[, child])`` (an
    attribute's payload as ``offset << 32 | length``), ``("row", attr[, child])`` (its
    row) and ``("type",)`` (the message's nlmsg_type); absent values are ``NONE``.
    ``msg_type`` ``ANY_TYPE`` plucks every message (not NLMSG_DONE / NLMSG_ERROR).
    ``last_size``: the bytes of the last replies a socket decoded with this spec (what the
    next dump's receive area is sized from).
    """

    __slots__ = ("msg_type", "width", "words", "cwords", "last_size")

    def __init__(self, msg_type: int, hdr_len: int,
                 cols: "tuple[tuple[builtins.str | int, ...], ...]") -> None:
        words = [msg_type, len(cols), hdr_len]
        ops = {"hdr": P_HDR, "hdrs": P_HDRS, "u": P_U, "span": P_SPAN, "row": P_ROW, "type": P_TYPE}
        for name, *args in cols:
            op = ops[builtins.str(name)]
            if op == P_TYPE:                # ("type",): the message's type, no argument
                words += [op, 0]
                continue
            arg, *rest = args
            if op in (P_HDR, P_HDRS):
                words += [op | int(rest[0]) << 8, int(arg)]
            else:
                child = int(rest[0]) + 1 if rest else 0
                words += [op, int(arg) | child << 16]
        self.msg_type = msg_type
        self.width = len(cols) + 1
        self.words = array("I", words)
        self.cwords = ffi.from_buffer("uint32_t[]", self.words)
        self.last_size = 0


_DATA = Pluck(ANY_TYPE, 0, ())        # the rows of a buffer's data messages


def pluck(rows: Rows, spec: Pluck) -> "array[int] | memoryview[int]":
    """Every ``spec.msg_type`` message of ``rows``: its row, then its columns (one C call).

    The result is flat: message k's row is ``out[k * spec.width]``, column j
    ``out[k * spec.width + 1 + j]``.
    """
    if type(rows) is LeanRows and rows._plucked[0] is spec:
        return rows._plucked[1]
    return _native.pluck(rows.data, rows.columns, spec.cwords, len(spec.words), spec.width)


def ip_texts(data: bytes, cols: "array[int] | memoryview[int]", width: int, col_a: int, col_b: int = -1) -> list[builtins.str]:
    """Per row of a plucked table, the address in span column ``col_a`` (``col_b`` when
    that is absent) as text, in one C call: "" when both are absent, "!" when the span is
    neither 4 nor 16 bytes long (``span_ip`` on it raises DecodeError)."""
    return _native.ip_texts(data, cols, width, col_a, col_b)


class LeanRows(Rows):
    """The rows of a buffer decoded with a pluck spec (``decode(..., pluck=spec)``): the
    table of every row is not kept, only each message's row and type, and the
    spec's plucked columns (``pluck(rows, spec)`` returns them). The first read of a row
    column (``off``, ``tf``, ``end``, ...) decodes the table then, once, and the object
    becomes a plain ``Rows`` (same slots: no hook on any attribute, before or after)."""

    __slots__ = ()

    def __init__(self, data: bytes, family: Family, lean: _native.LeanTable, spec: Pluck) -> None:
        self.data = data
        self.family = family
        self.max_type = family.max_types
        self.count = lean.count
        self.n_msgs = lean.n_msgs
        self._parent = None
        self.msg_rows, self.msg_tf = lean.msg_row, lean.msg_tf
        self._plucked = (spec, lean.plucked)

    def _materialize(self) -> None:
        """Decode the table now: fill Rows' slots, then be a Rows."""
        fam = self.family
        table = _native.decode(self.data, fam.cwords, len(fam.words))
        for name in _TABLE_COLUMNS:
            _SLOT[name].__set__(self, table if name == "columns" else getattr(table, name))
        object.__setattr__(self, "__class__", Rows)

    def messages(self) -> Iterator[int]:
        return iter(self.msg_rows.tolist())

    def data_messages(self) -> list[int]:
        """As ``Rows.data_messages``; with the C views an ``array("I")`` (one C pass, no
        int per message: what a large route dump's parse reads)."""
        if _cview is not None:
            out = array("I")
            out.frombytes(_cview.data_rows(self.msg_rows, self.msg_tf))
            return out  # type: ignore[return-value]
        tf = self.msg_tf
        return [m for i, m in enumerate(self.msg_rows) if tf[i] & 0xFFFF >= 16]   # NLMSG_MIN_TYPE

    def type(self, row: int) -> int:
        i = _message_at(self, row)
        return self.msg_tf[i] & 0xFFFF if i >= 0 else Rows.type(self, row)



_TABLE_COLUMNS = ("columns", "off", "len", "tf", "end", "set", "val", "slot", "index")
_SLOT = {name: Rows.__dict__[name] for name in _TABLE_COLUMNS}     # Rows' member descriptors


def _lazy_column(name: builtins.str) -> property:
    def get(self: LeanRows) -> Any:
        self._materialize()
        return _SLOT[name].__get__(self, Rows)
    return property(get, doc=f"Rows.{name}, the table decoded on first use")


for _name in _TABLE_COLUMNS:
    setattr(LeanRows, _name, _lazy_column(_name))


def _message_at(rows: LeanRows, row: int) -> int:
    """The index of the message whose row is ``row``, or -1 (not a message row)."""
    i = bisect.bisect_left(rows.msg_rows, row)
    return i if i < rows.n_msgs and rows.msg_rows[i] == row else -1


def decode(data: bytes, family: Family, pluck: "Pluck | None" = None) -> Rows:
    """Decode a whole receive buffer: one C pass, into a table sized exactly for it; with
    a ``pluck`` spec, that spec's columns instead and no table until a row is read
    (``LeanRows``: what a large dump's views need, in a fraction of the memory)."""
    if pluck is not None:
        lean = _native.decode_pluck(data, family.cwords, len(family.words), pluck.cwords, len(pluck.words))
        return LeanRows(data, family, lean, pluck)
    if not data:            # a batch answered by acks alone (they are not kept): no C pass
        return Rows(data, family, _empty_table(family))
    return Rows(data, family, _native.decode(data, family.cwords, len(family.words)))


_EMPTY: list[Any] = []


def _empty_table(family: Family) -> Any:
    """The row table of no data, made once and shared (nothing writes to a table)."""
    if not _EMPTY:
        _EMPTY.append(_native.decode(b"", family.cwords, len(family.words)))
    return _EMPTY[0]
