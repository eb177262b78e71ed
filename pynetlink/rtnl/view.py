"""The base of every result view: one message of a decoded buffer, read on access."""
from __future__ import annotations

import struct
from typing import Any, ClassVar, Iterable

from ..codec.rows import Rows


class MessageView:
    """A message of a decoded buffer; subclasses name its fixed ``HEADER`` and ``FIELDS``."""

    __slots__ = ("_rows", "_m")
    HEADER: ClassVar[struct.Struct]
    FIELDS: ClassVar[tuple[str, ...]] = ()

    def __init__(self, rows: Rows, msg: int) -> None:
        self._rows = rows
        self._m = msg

    @property
    def _header(self) -> tuple[int, ...]:
        return self.HEADER.unpack(self._rows.header(self._m, self.HEADER.size))

    def _u(self, attr: int) -> int | None:
        return self._rows.get_u(self._m, attr)

    def _ip(self, attr: int) -> str | None:
        r = self._rows.find(self._m, attr)
        return self._rows.ip(r) if r >= 0 else None

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
