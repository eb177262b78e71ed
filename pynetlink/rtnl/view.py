"""The base of every result view: one message of a decoded buffer, read on access."""
from __future__ import annotations

import _socket as socket  # the C module: socket.py (and its enums) is ~2 ms of each CNI plugin start
import struct

from ..codec.columns import _cview
from ..codec.rows import NONE, Rows
from ..errors import DecodeError

TYPE_CHECKING = False       # typing is not imported at run time
if TYPE_CHECKING:
    from typing import Any, ClassVar, Iterable, TypeVar
else:
    from .._lighttyping import TypeVar


if TYPE_CHECKING:
    from ..codec._cview import View as _Base
elif _cview is not None:
    _Base = _cview.View
else:                       # pragma: no cover - a build without the C views
    class _Base:
        __slots__ = ("_rows", "_m", "_h", "_c", "_b")


class MessageView(_Base):
    """A message of a decoded buffer; subclasses name its fixed ``HEADER`` and ``FIELDS``.

    Views of a dump share one ``columns.dump_table`` (``_c``: the message rows, the columns
    of the class's ``PLUCK``, its text slots; this view's values at index ``_b`` of each),
    filled by one C call for every message; a view made alone has none (``_c`` None) and
    reads the rows. With the C views (``_cview``) the slots are the C base's and the hot
    fields ``c_fields`` descriptors, which read the table in C (the properties below them
    are what they fall back to: a view made alone, a short message, a malformed address).
    """

    __slots__ = ()
    _rows: Rows
    _m: int
    _h: tuple[int, ...] | None
    _c: Any
    _b: int
    HEADER: ClassVar[struct.Struct]
    FIELDS: ClassVar[tuple[str, ...]] = ()

    def __init__(self, rows: Rows, msg: int) -> None:
        self._rows = rows
        self._m = msg
        self._h = None
        self._c = None
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

    def __getstate__(self) -> tuple[None, dict[str, Any]]:
        """Every slot, the C base's included (``copy.copy`` of a view, as with plain slots)."""
        import copyreg                      # (not imported by the CLI's start otherwise)
        names = ("_rows", "_m", "_h", "_c", "_b", *copyreg._slotnames(type(self)))  # type: ignore[attr-defined]
        return None, {n: getattr(self, n) for n in dict.fromkeys(names) if hasattr(self, n)}

    def fields(self) -> Iterable[str]:
        return self.FIELDS

    def to_dict(self) -> dict[str, Any]:
        """Plain values only (JSON-ready)."""
        return {f: plain(getattr(self, f)) for f in self.fields()}


_COMPACT: "dict[type, Any]" = {}


def compact(cls: type) -> Any:
    """``cls``'s final subtype for a dump's views (``_cview.compact``): its instances are
    not tracked by the garbage collector (32 bytes a view instead of 48; nothing they refer
    to can refer back to them); ``isinstance(v, cls)`` holds, ``type(v) is cls`` does not."""
    t = _COMPACT.get(cls)
    if t is None:
        t = _COMPACT[cls] = _cview.compact(cls, Rows)
    return t


EAGER_MAX = 4096      # a dump's views of up to this many messages (a table) are eager


def eager(cls: type) -> Any:
    """``compact(cls)`` with a slot per field ``c_fields`` gave ``cls`` (its own and its
    bases'), filled when the views are made: a read is a plain slot, as fast as CPython
    reads an attribute. What a small dump's views are made of (8 more bytes a field and the
    fields' values); a view whose fields need the Python reader is a ``compact(cls)``."""
    t = _EAGER.get(cls)
    if t is None:
        fields: dict[str, Any] = {}
        for k in cls.__mro__:
            for name, obj in vars(k).items():
                if type(obj) is _cview.Field and name not in fields:
                    fields[name] = obj
        t = _EAGER[cls] = _cview.compact(cls, Rows, tuple(fields.items()), compact(cls))
        t.__reduce_ex__ = _reduce_eager
        t.__new__ = staticmethod(_new_compact)
    return t


def _new_compact(cls: type, *args: Any, **kw: Any) -> Any:
    """``eager(c)(rows, msg)``: a view made alone has no table to fill its slots from, so it
    is a ``compact(c)`` view."""
    base: Any = cls.__base__
    return compact(base)(*args, **kw)


_EAGER: "dict[type, Any]" = {}


def _reduce_eager(self: "MessageView", protocol: int) -> "tuple[Any, ...]":
    """copy of an eager view: a ``compact`` view of the same message (its slots read-only)."""
    import copyreg
    base: Any = type(self).__base__
    return copyreg.__newobj__, (compact(base),), self.__getstate__()  # type: ignore[attr-defined]


def make_views(cls: "type[V]", rows: Rows, msgs: list[int], t: Any) -> "list[V]":
    """One view per message, sharing ``columns.table`` ``t`` of ``rows`` (with the C views of
    ``eager(cls)`` up to ``EAGER_MAX`` messages, else of ``compact(cls)``); ``cls`` views
    reading the rows when the table holds other messages than ``msgs``."""
    if _cview is not None and type(t) is _cview.Table:
        made: list[V] | None = _cview.views(eager(cls) if t.n <= EAGER_MAX else compact(cls), t, msgs)
        return [cls(rows, m) for m in msgs] if made is None else made
    if t[0].tolist() != (msgs if type(msgs) is list else list(msgs)):    # a lean dump's: an array
        return [cls(rows, m) for m in msgs]
    new = cls.__new__
    out: list[V] = []
    append = out.append
    for b, m in enumerate(msgs):              # one store per slot: no tuple built and unpacked
        v = new(cls)
        v._rows = rows
        v._m = m
        v._h = None
        v._c = t
        v._b = b
        append(v)
    return out


V = TypeVar("V", bound=MessageView)


def c_fields(cls: type, **specs: "tuple[Any, ...] | dict[str, Any]") -> None:
    """Replace properties of ``cls`` by ``_cview.Field`` descriptors reading a dump's table
    in C: ``name=(op, col[, col2[, arg[, default[, mask]]]])`` or the same as keywords (and
    ``byte``: of a packed header column); ops: ``_cview.F_*``. Each falls back to the
    property it replaces. Nothing without the C views."""
    if _cview is None:
        return
    for name, spec in specs.items():
        prop = cls.__dict__[name]
        setattr(cls, name, _cview.Field(prop, **spec) if isinstance(spec, dict) else _cview.Field(prop, *spec))


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
        if c is not None and (f := c[1][self._b]) != NONE:     # (a route's: its packed header)
            return 4 if f & 0xFF == socket.AF_INET else 6
        return 4 if self._header[0] == socket.AF_INET else 6


if _cview is not None:
    c_fields(InetView, family={"op": _cview.F_FAMILY, "col": 1, "byte": 0})

