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
import struct

from ..codec.program import Many
from ..errors import InvalidArgument

TYPE_CHECKING = False       # typing is not imported at run time
if TYPE_CHECKING:
    from typing import Any, Optional, Sequence
    from .messages import Item
    from .nat import Publish
    from .rule import Rule

_PROTO = {"tcp": 6, "udp": 17}
_AF4 = _socket.AF_INET
_KEY = struct.Struct(">BxxxHxx")        # DockerNat's map key: inet_proto . inet_service (4-byte members)
_VALUE = struct.Struct(">4sHxx")        # ... and value: ipv4_addr . inet_service
_ROW = {"proto": "B", "host": "H", "to": "4s", "to_port": "H"}    # a DNAT rule's values, big-endian


class Ports:
    """Publications as columns (IPv4 targets): host ports, packed targets, target ports and
    protocol numbers, one entry per tuple of ``mappings``."""

    __slots__ = ("mappings", "host", "to", "to_port", "proto")

    def __init__(self, mappings: Sequence[tuple[Any, ...]], host: Sequence[int], to: list[bytes],
                 to_port: Sequence[int], proto: Sequence[int]) -> None:
        self.mappings, self.host, self.to, self.to_port, self.proto = mappings, host, to, to_port, proto

    def __len__(self) -> int:
        return len(self.host)

    def elements(self) -> list[tuple[bytes, bytes]]:
        """(key, value) of DockerNat's map element per publication, as the kernel stores them."""
        return list(zip(map(_KEY.pack, self.proto, self.host), map(_VALUE.pack, self.to, self.to_port)))

    def element_lists(self) -> list[bytes]:
        """DockerNat's map elements as element lists of messages (``messages.element_lists``),
        packed from the columns in one pass: no key and value bytes each."""
        from .messages import element_heads, elements_per_list
        head, data_head = element_heads(_KEY.size, _VALUE.size)
        n = len(self.host)
        row = struct.Struct(f">{len(head)}sBxxxHxx{len(data_head)}s4sHxx")
        packed = b"".join(map(row.pack, [head] * n, self.proto, self.host, [data_head] * n, self.to, self.to_port))
        step = elements_per_list(head, data_head, _KEY.size, _VALUE.size)
        return [packed[i * row.size:(i + step) * row.size] for i in range(0, n, step)]

    def rows(self, order: Sequence[str]) -> bytes:
        """Per publication, the columns named in ``order`` packed big-endian, back to back."""
        row = struct.Struct(">" + "".join(_ROW[c] for c in order))
        return b"".join(map(row.pack, *[getattr(self, c) for c in order]))


def _ports_ok(col: Sequence[Any]) -> bool:
    return set(map(type, col)) == {int} and min(col) >= 1 and max(col) <= 65535


def columns(mappings: Sequence[Any]) -> Optional[Ports]:
    """``mappings`` as ``Ports`` when every one is a plain ``(host_port, to, to_port[, proto])``
    tuple with an IPv4 ``to`` in its usual spelling (``to_port`` None: the host port); None
    otherwise (the per-object way then checks them one by one)."""
    if not isinstance(mappings, (list, tuple)):
        return None                     # (a generator: read once, by the per-object way)
    n = len(mappings)
    if not n or set(map(type, mappings)) != {tuple} or len(lens := set(map(len, mappings))) != 1 \
            or lens.pop() not in (3, 4):
        return None
    cols = list(zip(*mappings))
    host, to, to_port = cols[0], cols[1], cols[2]
    if None in to_port:
        to_port = tuple(h if p is None else p for h, p in zip(host, to_port))
    protos = cols[3] if len(cols) == 4 else None
    if not (_ports_ok(host) and _ports_ok(to_port)) or set(map(type, to)) != {str}:
        return None
    if protos is not None and not set(protos) <= _PROTO.keys():
        return None
    try:            # strict (glibc): dotted quads without leading zeros, as ipaddress prints them
        raw = list(map(_socket.inet_pton, [_AF4] * n, to))
    except (OSError, ValueError):
        return None
    proto = [_PROTO[p] for p in protos] if protos is not None else [6] * n
    return Ports(mappings, host, raw, to_port, proto)


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
    made = [msg.add_rule(family, table, chain, dnat_rule(Publish(h, _socket.inet_ntop(_AF4, a), t, "tcp" if pr == 6 else "udp")))
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
        size = struct.calcsize(">" + _ROW[c])
        last[k], off = rows[off:off + size], off + size
    items: list[Item] = []
    if n > 1:
        items.append((prog, Many(base, slots, rows[:(n - 1) * stride], n - 1)))  # type: ignore[arg-type]
    items.append((prog, last))
    return items


__all__ = ["Ports", "columns", "publications", "dnat_rule", "dnat_items"]
