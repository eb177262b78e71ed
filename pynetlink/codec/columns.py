"""A decoded buffer read by columns: every message of one type plucked in one C call, and a
column's text (names, addresses, MACs) made for every message in one more, on first use.

A table is a plain list (views index it on every field read): ``t[0]`` the message rows,
``t[j]`` plucked column ``j`` of the ``Pluck`` (one array each, ``NONE`` when absent), then
``texts`` slots (None until ``text`` fills one), last the source it is made from.
"""
from __future__ import annotations

from .. import _native
from .._native import lib
from .rows import NONE, Pluck, Rows, pluck

TYPE_CHECKING = False       # typing is not imported at run time
if TYPE_CHECKING:
    from typing import Any

try:                        # dump views read in C (csrc/ext/views.c), built with the codec
    from . import _cview as _cview
except ImportError:         # pragma: no cover - a build without it reads the list in Python
    _cview = None  # type: ignore[assignment]

STR, IP, HEX = int(lib.PNL_T_STR), int(lib.PNL_T_IP), int(lib.PNL_T_HEX)


def table(rows: Rows, spec: Pluck, texts: int = 0) -> "list[Any]":
    """The columns of every ``spec.msg_type`` message of ``rows``, with ``texts`` empty
    text slots (at ``spec.width`` and after)."""
    flat = pluck(rows, spec)
    w = spec.width
    t: list[Any] = [flat[j::w] for j in range(w)]
    t += [None] * texts
    t.append((rows.data, flat, w))
    return t


def dump_table(rows: Rows, spec: Pluck, texts: int = 0) -> "Any":
    """What a dump's views share: ``table``'s list, or with the C views a ``_cview.Table``
    indexed alike (the plucked array kept whole, a column sliced from it on first use) whose
    fields ``_cview.Field`` descriptors read in C."""
    if _cview is None:
        return table(rows, spec, texts)
    return _cview.Table(rows, rows.data, pluck(rows, spec), spec.width, texts)


def text(t: "list[Any]", slot: int, col: int, mode: int = STR, fallback: int = -1) -> list[str]:
    """Text slot ``slot`` of table ``t``, made now from span column ``col`` (column
    ``fallback`` where that is absent) for every message, and kept: ``STR`` the payload up
    to its first NUL, decoded as UTF-8 (malformed bytes replaced); ``IP`` the address ("!"
    unless 4 or 16 bytes long); ``HEX`` the bytes as hex pairs joined by ":". "" where
    absent (check the column to tell an absent string from an empty one)."""
    data, flat, w = t[-1]
    s = t[slot] = _native.col_texts(data, flat, w, col, fallback, mode)
    return s


def ints(t: "list[Any]", col: int, signed: bool = False) -> "list[int | None]":
    """Column ``col`` as a list of ints (None where absent; a ``signed`` header field as
    a negative int where its sign bit is set)."""
    c = t[col]
    out: list[int | None] = c.tolist()
    if c and max(c) >> 63:                  # absent, or negative
        out = [None if x == NONE else x - (1 << 64) if signed and x >> 63 else x for x in c]
    return out


__all__ = ["table", "dump_table", "text", "ints", "STR", "IP", "HEX"]
