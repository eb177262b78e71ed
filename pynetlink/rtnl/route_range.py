"""``routes.add_range``: routes to ``count`` consecutive prefixes, given as the first one and a
count, with no string per destination: the rows ``add_many`` sends (prefix length, masked
address) are made in one C call (``pnl_prefix_range``); destination texts are made only
for an error or an undo."""
from __future__ import annotations

import _socket as socket
import sys
from array import array
from collections.abc import Sequence

from .._native import prefix_range
from ..errors import InvalidArgument
from . import validate as v
from .request import Request
from .routes import _template, add_rows

TYPE_CHECKING = False       # typing is not imported at run time
if TYPE_CHECKING:
    from typing import Any, Mapping, overload
else:
    from .._lighttyping import overload

MAX_COUNT = 1 << 24         # 16M routes (80 MB of IPv4 rows): a bound on what one call asks


class Prefixes(Sequence[str]):
    """The texts of ``count`` consecutive prefixes of ``plen`` bits from ``first`` (an int),
    each made when asked for."""

    def __init__(self, first: int, count: int, plen: int, size: int) -> None:
        self.first, self.n, self.plen, self.size = first, count, plen, size
        self.step = 1 << (8 * size - plen)

    def __len__(self) -> int:
        return self.n

    @overload
    def __getitem__(self, k: int) -> str: ...
    @overload
    def __getitem__(self, k: slice) -> Sequence[str]: ...

    def __getitem__(self, k: int | slice) -> str | Sequence[str]:
        if isinstance(k, slice):
            return [self[i] for i in range(*k.indices(self.n))]
        if k < 0:
            k += self.n
        if not 0 <= k < self.n:
            raise IndexError(k)
        raw = (self.first + k * self.step).to_bytes(self.size, "big")
        af = socket.AF_INET if self.size == 4 else socket.AF_INET6
        return f"{socket.inet_ntop(af, raw)}/{self.plen}"

    def rows(self) -> bytes:
        """Per prefix, its length and its address (``add_rows``'s rows)."""
        n, size, row = self.n, self.size, 1 + self.size
        out = bytearray(n * row)
        out[0::row] = bytes([self.plen]) * n
        if size == 4 and n:
            addrs = array("I", range(self.first, self.first + n * self.step, self.step))  # 32 bits on Linux
            if sys.byteorder == "little":
                addrs.byteswap()
            packed = addrs.tobytes()
            for j in range(4):
                out[1 + j::row] = packed[j::4]
            return bytes(out)
        return self._rows_slow(out)

    def _rows_slow(self, out: bytearray) -> bytes:
        row = 1 + self.size
        for k in range(self.n):
            at = k * row + 1
            out[at:at + self.size] = (self.first + k * self.step).to_bytes(self.size, "big")
        return bytes(out)


def add_range(first: str, count: int, options: Mapping[str, Any], *, how: str = "add") -> Request[None]:
    """Routes to ``count`` consecutive prefixes from ``first`` ("172.17.0.1/32": that length
    each; host bits masked, as ``add_many`` does), all with ``options`` (Route's): one
    message each, made as ``add_many``'s; errors name the destination, a failure removes
    those added."""
    raw, plen = v.packed_cidr(first, "first")
    n = v.integer(count, "count", 0, MAX_COUNT)
    size = len(raw)
    start = int.from_bytes(v.masked(raw, plen)[0] if plen < 8 * size else raw, "big")
    names = Prefixes(start, n, plen, size)
    if n and start + (n - 1) * names.step >= 1 << (8 * size):
        raise InvalidArgument(f"count: {n} prefixes of /{plen} from {first} go past the last address "
                              f"(at most {((1 << (8 * size)) - start) // names.step})")
    template = _template(names[0] if n else first, options, size)
    rows = prefix_range(start.to_bytes(size, "big"), plen, n)     # in C: ~1 us, not 30 for rows()
    return add_rows(names, rows, template, options, how)
