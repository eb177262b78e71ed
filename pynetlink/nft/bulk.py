"""Many port publications at once: ``(host_port, to, to_port[, proto])`` tuples checked and
packed in bulk, as DNAT rules of one shape or as DockerNat's map elements.

The tuples are read as columns (a few C-speed passes: ``zip``, ``map``, ``min``/``max``,
``inet_pton``), never one object per publication. DNAT rules are one message template (the
program of the first rule, compiled once) filled per rule in C (a codec ``Many``: per rule
only the protocol, the ports and the address differ). Anything the columns cannot take
(an IPv6 address, an odd spelling, a wrong value) goes the per-object way, whose checks and
errors (naming the tuple) are the reference.
"""
from __future__ import annotations

import _socket
from array import array

from .._native import port_rows
from ..codec.program import Many
from ..errors import InvalidArgument
from ._ports import columns as _columns

TYPE_CHECKING = False       # typing is not imported at run time
if TYPE_CHECKING:
    from typing import Any, Optional, Sequence
    from .messages import Item
    from .nat import Publish
    from .rule import Rule

_PROTO = {"tcp": 6, "udp": 17}
_FIELD = {"proto": "p", "host": "h", "to": "a", "to_port": "t"}   # a DNAT rule's values (pnl_port_rows)
_SIZE = {"proto": 1, "host": 2, "to": 4, "to_port": 2}
_KEY = "pzzzhzz"                # DockerNat's map key: inet_proto . inet_service (4-byte members)
_VALUE = "atzz"                 # ... and value: ipv4_addr . inet_service
_ELEMENT = 8                    # bytes of either


class Ports:
    """Publications as columns (IPv4 targets): host ports, packed targets (4 bytes each),
    target ports and protocol numbers, one entry per tuple of ``mappings``."""

    __slots__ = ("mappings", "host", "to", "to_port", "proto", "distinct")

    def __init__(self, mappings: Sequence[tuple[Any, ...]], host: array[int], to: bytes,
                 to_port: array[int], proto: bytes) -> None:
        self.mappings, self.host, self.to, self.to_port, self.proto = mappings, host, to, to_port, proto
        self.distinct: Optional[bool] = None      # unique(), when known already

    def __len__(self) -> int:
        return len(self.host)

    def unique(self) -> bool:
        """Whether no (protocol, host port) is given twice."""
        if self.distinct is not None:
            return self.distinct
        n = len(self.host)
        if self.proto.count(self.proto[0]) == n:
            return len(set(self.host)) == n
        return len(set(zip(self.proto, self.host))) == n

    def pack(self, fmt: str, consts: bytes = b"") -> tuple[bytes, int]:
        """Every publication as a row laid out by ``fmt`` (``pnl_port_rows``: p proto, h host
        port, a target, t target port, z zero, c the next byte of ``consts``), back to back,
        in one C call; and the row size."""
        got = _FORMATS.get(fmt)
        if got is None:
            got = _FORMATS[fmt] = (fmt.encode(), len(fmt) + fmt.count("h") + fmt.count("t") + 3 * fmt.count("a"))
        cfmt, row = got
        return port_rows(cfmt, row, consts, self.proto, self.host, self.to, self.to_port), row

    def elements(self) -> list[tuple[bytes, bytes]]:
        """(key, value) of DockerNat's map element per publication, as the kernel stores them."""
        keys, ks = self.pack(_KEY)
        values, vs = self.pack(_VALUE)
        return [(keys[i * ks:(i + 1) * ks], values[i * vs:(i + 1) * vs]) for i in range(len(self.host))]

    def element_lists(self) -> list[bytes]:
        """DockerNat's map elements as element lists of messages (``messages.element_lists``),
        packed from the columns in one C call: no key and value bytes each."""
        fmt, consts, step = _LIST_LAYOUT or _list_layout()
        packed, size = self.pack(fmt, consts)
        return [packed[i * size:(i + step) * size] for i in range(0, len(self.host), step)]

    def rows(self, order: Sequence[str]) -> bytes:
        """Per publication, the columns named in ``order`` packed big-endian, back to back."""
        return self.pack("".join(_FIELD[c] for c in order))[0]


_FORMATS: dict[str, tuple[bytes, int]] = {}         # pack's format -> (its bytes, the row size)
_LIST_LAYOUT: list[Any] = []                        # element lists: (format, consts, elements per list)


def _list_layout() -> list[Any]:
    """The layout of DockerNat's map elements in an element list (made once)."""
    from .messages import element_heads, elements_per_list
    head, data_head = element_heads(_ELEMENT, _ELEMENT)
    _LIST_LAYOUT[:] = ["c" * len(head) + _KEY + "c" * len(data_head) + _VALUE, head + data_head,
                       elements_per_list(head, data_head, _ELEMENT, _ELEMENT)]
    return _LIST_LAYOUT


def columns(mappings: Sequence[Any]) -> Optional[Ports]:
    """``mappings`` as ``Ports`` when every one is a plain ``(host_port, to, to_port[, proto])``
    tuple with an IPv4 ``to`` in its usual spelling (``to_port`` None: the host port); None
    otherwise (the per-object way then checks them one by one). Read in C from the tuples
    themselves (``_ports.columns``: one pass, no object per tuple)."""
    got = _columns(mappings)
    if got is None:
        return None
    host, to, to_port, proto, unique = got
    ports = Ports(mappings, array("H"), to, array("H"), proto)
    ports.host.frombytes(host)
    ports.to_port.frombytes(to_port)
    ports.distinct = unique
    return ports


def publications(mappings: Sequence[Any], what: str) -> list[Publish]:
    """``mappings`` (``Publish`` or tuples of its arguments) as ``Publish`` objects; a bad one
    raises naming its position and value."""
    from .nat import Publish
    out: list[Publish] = []
    for k, m in enumerate(mappings):
        if isinstance(m, Publish):
            out.append(m)
            continue
        try:
            out.append(Publish(*m))
        except InvalidArgument as exc:
            raise InvalidArgument(f"{what}[{k}] {m!r}: {exc}") from None
        except TypeError:
            raise InvalidArgument(f"{what}[{k}]: expected (host_port, to, to_port[, proto[, host_addr]]), "
                                  f"not {m!r}") from None
    return out


def dnat_rule(p: Publish) -> Rule:
    """``[ip daddr <host_addr>] <proto> dport <host_port> dnat to <to>:<to_port>`` (no comment):
    one publication as a rule."""
    from .match import Ip, Ip6, port_field
    from .rule import Rule
    from .stmt import Dnat
    match = [port_field(p.proto, "dport") == p.host_port]
    if p.host_addr is not None:
        match.insert(0, (Ip.daddr if p.version == 4 else Ip6.daddr) == p.host_addr)
    return Rule(match, [Dnat(p.to, p.to_port or p.host_port)])


_SAMPLES = ((6, 1, b"\0\0\0\1", 2), (17, 3, b"\0\0\0\2", 4))    # two rules differing in every column
_NAMES = ("proto", "host", "to", "to_port")
_TEMPLATES: dict[tuple[str, str, str], tuple[Item, list[int], list[str]]] = {}


def _template(family: str, table: str, chain: str) -> tuple[Item, list[int], list[str]]:
    """The NEWRULE of a DNAT rule in ``table``/``chain``, the value indexes that differ per
    rule and which column each holds (found by encoding two sample rules)."""
    from . import messages as msg
    from .nat import Publish
    got = _TEMPLATES.get((family, table, chain))
    if got is not None:
        return got
    made = [msg.add_rule(family, table, chain, dnat_rule(Publish(h, _socket.inet_ntop(_socket.AF_INET, a), t, "tcp" if pr == 6 else "udp")))
            for pr, h, a, t in _SAMPLES]
    (prog, first), (prog2, second) = made
    assert prog is prog2, "a DNAT rule's shape depends on its values"
    slots = [k for k, (x, y) in enumerate(zip(first, second)) if x != y]
    packed = [(bytes([pr]), h.to_bytes(2, "big"), a, t.to_bytes(2, "big")) for pr, h, a, t in _SAMPLES]
    order = [_NAMES[packed[0].index(first[k])] for k in slots]
    assert sorted(order) == sorted(_NAMES) and all(second[k] == packed[1][_NAMES.index(c)]
                                                   for k, c in zip(slots, order)), "unexpected DNAT rule layout"
    got = ((prog, first), slots, order)
    if len(_TEMPLATES) >= 256:
        _TEMPLATES.clear()
    _TEMPLATES[(family, table, chain)] = got
    return got


def dnat_items(family: str, table: str, chain: str, ports: Ports) -> list[Item]:
    """The NEWRULE messages of ``ports`` as DNAT rules: the first ``n - 1`` as one ``Many``
    (one C call fills them), the last one plain (the one a transaction's ack is asked of)."""
    (prog, base), slots, order = _template(family, table, chain)
    rows = ports.rows(order)
    n = len(ports)
    stride = len(rows) // n
    last = list(base)
    off = (n - 1) * stride
    for k, c in zip(slots, order):
        size = _SIZE[c]
        last[k], off = rows[off:off + size], off + size
    items: list[Item] = []
    if n > 1:
        items.append((prog, Many(base, slots, rows[:(n - 1) * stride], n - 1)))  # type: ignore[arg-type]
    items.append((prog, last))
    return items


__all__ = ["Ports", "columns", "publications", "dnat_rule", "dnat_items"]
