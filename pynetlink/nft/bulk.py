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
from array import array

from .._bounded import Bounded
from .._native import port_rows
from ..codec.program import Compiled, Raw, encode
from ..errors import InvalidArgument
from ._ports import columns as _columns, fill as _fill

TYPE_CHECKING = False       # typing is not imported at run time
if TYPE_CHECKING:
    from typing import Any, Optional, Sequence
    from .messages import Item
    from .nat import Publish
    from .rule import Rule

_PROTO = {"tcp": 6, "udp": 17}
_FIELD = {"proto": "p", "host": "h", "to": "a", "to_port": "t"}   # a DNAT rule's values (pnl_port_rows)
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


def plain(mappings: Sequence[Any]) -> Sequence[Any]:
    """``mappings`` (an iterable read once) with each plain ``Publish`` (IPv4, no host
    address) as the tuple of its checked values, so that the column forms take them too.
    As given when the first is a tuple (the column forms read those themselves; one that is
    not a tuple sends the whole list the per-object way), or when one is neither such a
    ``Publish`` nor a tuple."""
    if type(mappings) not in (list, tuple):
        if isinstance(mappings, (str, bytes)) or not hasattr(mappings, "__iter__"):
            return mappings                 # (the per-object way says what is wrong)
        mappings = list(mappings)           # a generator: read once
    if not mappings or type(mappings[0]) is tuple:
        return mappings
    from .nat import Publish
    out: list[Any] = []
    for m in mappings:
        if type(m) is Publish:
            if m.host_addr is not None or m.version != 4:
                return mappings
            m = (m.host_port, m.to, m.to_port, m.proto)
        elif type(m) is not tuple:
            return mappings
        out.append(m)
    return out


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


# two rules differing in every column (protocol, host port, target, target port), each value's
# bytes distinct from anything else in the message (found there by search)
_SAMPLES = ((17, 0xA1B2, "193.194.195.196", 0xD1D2), (6, 0xE2E3, "241.242.243.244", 0x9394))
_TEMPLATES: Bounded[tuple[str, str, str], tuple[Compiled, bytes, bytes]] = Bounded(256)


def _template(family: str, table: str, chain: str) -> tuple[Compiled, bytes, bytes]:
    """The NEWRULE of a DNAT rule in ``table``/``chain`` as bytes (padded to 4) and where its
    protocol, host port, target and target port are (``_ports.fill``'s fields: the letter
    and the u16 offset), found in two sample rules' bytes."""
    from . import messages as msg
    from .nat import Publish
    got = _TEMPLATES.get((family, table, chain))
    if got is not None:
        return got
    made = [msg.add_rule(family, table, chain, dnat_rule(Publish(h, a, t, "udp" if pr == 17 else "tcp")))
            for pr, h, a, t in _SAMPLES]
    assert made[0][0] is made[1][0], "a DNAT rule's shape depends on its values"
    one, two = (encode([m], 0).tobytes() for m in made)
    fields, patched = b"", bytearray(one)
    for c, k, size in (("h", 1, 2), ("a", 2, 4), ("t", 3, 2)):
        mine, theirs = (_value_bytes(c, sample[k]) for sample in _SAMPLES)
        at = one.find(mine)
        assert at >= 0 and one.find(mine, at + 1) < 0 and len(mine) == size, f"DNAT template: {c} not found once"
        fields += c.encode() + _OFFSET.pack(at)
        patched[at:at + size] = theirs
    differ = [k for k, (x, y) in enumerate(zip(patched, two)) if x != y]
    assert len(one) == len(two) and len(differ) == 1 and (one[differ[0]], two[differ[0]]) == (17, 6), \
        "unexpected DNAT rule layout"
    got = (made[0][0], one + bytes(-len(one) % 4), fields + b"p" + _OFFSET.pack(differ[0]))
    return _TEMPLATES.put((family, table, chain), got)


_OFFSET = struct.Struct("=H")


def _value_bytes(c: str, v: Any) -> bytes:
    """A sample's value as the message holds it (ports big-endian, addresses packed)."""
    return _socket.inet_aton(v) if c == "a" else int(v).to_bytes(2, "big")


def dnat_items(family: str, table: str, chain: str, mappings: Sequence[Any],
               frame: Optional[tuple[bytes, bytes]] = None) -> Optional[tuple[list[Item], Optional[bytearray]]]:
    """The NEWRULE messages of ``mappings`` as DNAT rules, made in C from the tuples (one copy
    of the template each, its values set; NLM_F_ACK on the last only: a transaction's ack),
    as one raw item; None when one is not a plain IPv4 publication (``columns``). With
    ``frame`` (head, tail: whole messages), also the transaction head + rules + tail as one
    bytearray, the rules written once (the raw item's bytes are a view of it); else None."""
    prog, template, fields = _template(family, table, chain)
    if frame is None:
        got = _fill(mappings, template, fields, True)
        return None if got is None else ([(prog, Raw(got[0], len(mappings)))], None)  # type: ignore[list-item]
    framed = _fill(mappings, template, fields, True, *frame)
    if framed is None:
        return None
    whole = framed[0]
    data = memoryview(whole)[len(frame[0]):len(whole) - len(frame[1])]
    return [(prog, Raw(data, len(mappings)))], whole  # type: ignore[list-item]


__all__ = ["Ports", "columns", "publications", "dnat_rule", "dnat_items"]
