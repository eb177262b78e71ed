"""The base of every result view: one message of a decoded buffer, read on access."""
from __future__ import annotations

import struct
from typing import Any, ClassVar, Iterable

from ..codec.rows import Rows


class MessageView:
    """A message of a decoded buffer; subclasses name its fixed ``HEADER`` and ``FIELDS``."""

    __slots__ = ("_rows", "_m", "_h")
    HEADER: ClassVar[struct.Struct]
    FIELDS: ClassVar[tuple[str, ...]] = ()

    def __init__(self, rows: Rows, msg: int) -> None:
        self._rows = rows
        self._m = msg
        self._h: tuple[int, ...] | None = None

    @property
    def _header(self) -> tuple[int, ...]:
        """The fixed header, unpacked once (straight from the buffer, no copy)."""
        h = self._h
        if h is None:
            rows, m, st = self._rows, self._m, self.HEADER
            if rows.len[m] >= 16 + st.size:
                h = st.unpack_from(rows.data, rows.off[m] + 16)
            else:                                   # a short message: the slice raises as before
                h = st.unpack(rows.header(m, st.size))
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
