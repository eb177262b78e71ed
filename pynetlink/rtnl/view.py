"""The base of every result view: one message of a decoded buffer, read on access."""
from __future__ import annotations

import _socket as socket  # the C module: socket.py (and its enums) is ~2 ms of each CNI plugin start
import struct
from array import array

from ..codec.rows import NONE, Pluck, Rows, ip_text, pluck
from ..errors import DecodeError

TYPE_CHECKING = False       # typing is not imported at run time
if TYPE_CHECKING:
    from typing import Any, ClassVar, Iterable, TypeVar
else:
    from .._lighttyping import TypeVar


class MessageView:
    """A message of a decoded buffer; subclasses name its fixed ``HEADER`` and ``FIELDS``.

    Views of a dump share one table of plucked columns (``_c``, this view's at ``_b``: its
    message row, then the columns of the class's ``PLUCK``), filled by one C call for every
    message; a view made alone has none (``_c`` None) and reads the rows.
    """

    __slots__ = ("_rows", "_m", "_h", "_c", "_b")
    HEADER: ClassVar[struct.Struct]
    FIELDS: ClassVar[tuple[str, ...]] = ()

    def __init__(self, rows: Rows, msg: int) -> None:
        self._rows = rows
        self._m = msg
        self._h: tuple[int, ...] | None = None
        self._c: array[int] | memoryview[int] | None = None
        self._b = 0

    @property
    def _header(self) -> tuple[int, ...]:
        """The fixed header, unpacked once (straight from the buffer, no copy)."""
        h = self._h
        if h is None:
            rows, m, st = self._rows, self._m, self.HEADER
            if rows.len[m] < 16 + st.size:
                raise DecodeError(f"{type(self).__name__}: message of {rows.len[m]} bytes is shorter "
                                  f"than its {st.size}-byte header", rows.off[m])
            h = st.unpack_from(rows.data, rows.off[m] + 16)
            self._h = h
        return h

    def _u(self, attr: int) -> int | None:
        return self._rows.get_u(self._m, attr)

    def _ip(self, attr: int) -> str | None:
        return self._rows.get_ip(self._m, attr)

    def fields(self) -> Iterable[str]:
        return self.FIELDS

    def to_dict(self) -> dict[str, Any]:
        """Plain values only (JSON-ready)."""
        return {f: plain(getattr(self, f)) for f in self.fields()}


def columns(rows: Rows, msgs: list[int], spec: Pluck) -> "array[int] | memoryview[int] | None":
    """The plucked columns of exactly ``msgs`` (in order), or None when the buffer holds
    other messages too (then views read the rows one by one)."""
    cols = pluck(rows, spec)
    return cols if cols[::spec.width] == array("Q", msgs) else None     # no list of ints


def make_views(cls: "type[V]", rows: Rows, msgs: list[int], spec: Pluck) -> "list[V]":
    """One ``cls`` view per message, sharing one table of plucked columns."""
    cols = columns(rows, msgs, spec)
    if cols is None:
        return [cls(rows, m) for m in msgs]
    new = cls.__new__
    out = []
    for b, m in zip(range(0, len(cols), spec.width), msgs):
        v = new(cls)
        v._rows, v._m, v._h, v._c, v._b = rows, m, None, cols, b    # m: msgs' own int, no copy
        out.append(v)
    return out


V = TypeVar("V", bound=MessageView)


def span_str(data: bytes, v: int) -> str:
    """A plucked string span as ``Rows.get_str`` reads it (up to the first NUL)."""
    o = v >> 32
    e = o + (v & 0xFFFFFFFF)
    z = data.find(0, o, e)
    return data[o:e if z < 0 else z].decode("utf-8", "replace")


def span_ip(data: bytes, v: int) -> str:
    """A plucked address span as text (DecodeError unless 4 or 16 bytes long)."""
    o = v >> 32
    return ip_text(data[o:o + (v & 0xFFFFFFFF)], o)


def plain(value: Any) -> Any:
    """A JSON-ready form of a view attribute."""
    if hasattr(value, "to_dict"):
        return value.to_dict()
    if isinstance(value, (frozenset, set)):
        return sorted(value)
    if isinstance(value, (list, tuple)):
        return [plain(x) for x in value]
    if isinstance(value, dict):
        return {str(k): plain(x) for k, x in value.items()}
    if isinstance(value, bytes):
        return value.hex()
    return value


class InetView(MessageView):
    """A view of an address or route: the header starts with the address family, and a
    plucked dump holds it in column 0."""

    __slots__ = ()

    @property
    def family(self) -> int:
        """4 or 6."""
        c = self._c
        if c is not None and (f := c[self._b + 1]) != NONE:
            return 4 if f == socket.AF_INET else 6
        return 4 if self._header[0] == socket.AF_INET else 6

