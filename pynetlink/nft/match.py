"""What a rule matches: ``Ip.saddr == "172.17.0.0/16"``, ``Meta.oifname != "docker0"``, ...

A ``Field`` compared with a value gives a ``Match``; ``Field(value)`` is ``Field == value``.
Each Match compiles to kernel expressions (``Op``) for a table family, adding the
dependencies nft adds (``meta l4proto tcp`` before ``tcp dport``, ``meta nfproto ipv4``
before ``ip saddr`` in inet tables).
"""
from __future__ import annotations

import ipaddress
import _socket as socket  # the C module: socket.py (and its enums) is ~2 ms of each CNI plugin start
from .._record import record

from .._native import lib
from ..errors import InvalidArgument
from . import validate
from .validate import PROTOCOL_NAMES, PROTOCOLS
from .ops import BE32, DATA_VALUE, STRING, Exprs, Op, be32_shape, data_shape, exprs_of, op

TYPE_CHECKING = False       # typing is not imported at run time
if TYPE_CHECKING:
    from typing import Union
else:
    from .._lighttyping import Union

REG = int(lib.NFT_REG_1)
EQ, NEQ = int(lib.NFT_CMP_EQ), int(lib.NFT_CMP_NEQ)
CT_STATES = {"invalid": 1, "established": 2, "related": 4, "new": 8, "untracked": 64}


class PortRange(tuple[int, int]):
    """An inclusive port range (first, last), first < last."""

    def __new__(cls, lo: int, hi: int) -> "PortRange":
        return super().__new__(cls, (lo, hi))


MatchValue = Union[str, int, ipaddress.IPv4Network, ipaddress.IPv6Network, frozenset[str], "SetRef", PortRange]


@record(frozen=True)
class SetRef:
    """A named set, as the right-hand side of ``field.in_set(name)``."""

    name: str

    def __str__(self) -> str:
        return "@" + self.name


# -- kernel expression builders ---------------------------------------------------------------
# shape ids of the expressions the fast paths write (``Match.flat``); the same shapes ``op`` makes
META_ID = be32_shape("meta", (lib.NFTA_META_KEY, lib.NFTA_META_DREG))
PAYLOAD_ID = be32_shape("payload", (lib.NFTA_PAYLOAD_DREG, lib.NFTA_PAYLOAD_BASE, lib.NFTA_PAYLOAD_OFFSET,
                                    lib.NFTA_PAYLOAD_LEN))


def cmp_id(size: int) -> int:
    """The shape id of a cmp of ``size`` data bytes."""
    return data_shape("cmp", (lib.NFTA_CMP_SREG, lib.NFTA_CMP_OP), lib.NFTA_CMP_DATA, size)


def meta(key: int, reg: int = REG) -> Op:
    return op("meta", (lib.NFTA_META_KEY, BE32, key), (lib.NFTA_META_DREG, BE32, reg))


def payload(base: int, offset: int, length: int, reg: int = REG) -> Op:
    return op("payload", (lib.NFTA_PAYLOAD_DREG, BE32, reg), (lib.NFTA_PAYLOAD_BASE, BE32, base),
              (lib.NFTA_PAYLOAD_OFFSET, BE32, offset), (lib.NFTA_PAYLOAD_LEN, BE32, length))


def cmp(opcode: int, data: bytes) -> Op:
    return op("cmp", (lib.NFTA_CMP_SREG, BE32, REG), (lib.NFTA_CMP_OP, BE32, opcode),
              (lib.NFTA_CMP_DATA, DATA_VALUE, data))


def bitwise(mask: bytes) -> Op:
    return op("bitwise", (lib.NFTA_BITWISE_SREG, BE32, REG), (lib.NFTA_BITWISE_DREG, BE32, REG),
              (lib.NFTA_BITWISE_LEN, BE32, len(mask)), (lib.NFTA_BITWISE_MASK, DATA_VALUE, mask),
              (lib.NFTA_BITWISE_XOR, DATA_VALUE, bytes(len(mask))))


def cmp_range(opcode: str, lo: bytes, hi: bytes) -> list[Op]:
    """``x == lo-hi`` as nft writes it (cmp gte + cmp lte); ``!=`` is one range expression."""
    if opcode == "==":
        return [op("cmp", (lib.NFTA_CMP_SREG, BE32, REG), (lib.NFTA_CMP_OP, BE32, int(lib.NFT_CMP_GTE)),
                   (lib.NFTA_CMP_DATA, DATA_VALUE, lo)),
                op("cmp", (lib.NFTA_CMP_SREG, BE32, REG), (lib.NFTA_CMP_OP, BE32, int(lib.NFT_CMP_LTE)),
                   (lib.NFTA_CMP_DATA, DATA_VALUE, hi))]
    return [op("range", (lib.NFTA_RANGE_SREG, BE32, REG), (lib.NFTA_RANGE_OP, BE32, int(lib.NFT_RANGE_NEQ)),
               (lib.NFTA_RANGE_FROM_DATA, DATA_VALUE, lo), (lib.NFTA_RANGE_TO_DATA, DATA_VALUE, hi))]


def ct(key: int, reg: int = REG) -> Op:
    return op("ct", (lib.NFTA_CT_KEY, BE32, key), (lib.NFTA_CT_DREG, BE32, reg))


def lookup(set_name: str, inverted: bool = False, dreg: int | None = None) -> Op:
    """A set lookup of register 1 (``dreg``: a map's value goes there; 0 = verdict map)."""
    items: list[tuple[int, str, int | str]] = [(lib.NFTA_LOOKUP_SREG, BE32, REG)]
    if dreg is not None:
        items.append((lib.NFTA_LOOKUP_DREG, BE32, dreg))
    items.append((lib.NFTA_LOOKUP_SET, STRING, set_name))
    if inverted:
        items.append((lib.NFTA_LOOKUP_FLAGS, BE32, int(lib.NFT_LOOKUP_F_INV)))
    return op("lookup", *items)


def reg_of(offset: int) -> int:
    """The register nft uses for a concatenation member ``offset`` bytes in (reg 1, then 32-bit ones)."""
    return REG if offset == 0 else int(lib.NFT_REG32_00) + offset // 4


def ifname_bytes(name: str) -> bytes:
    """nft's encoding: 16 NUL-padded bytes, or the bare prefix for a 'name*' wildcard."""
    raw = name.encode()
    return raw[:-1] if raw.endswith(b"*") else raw.ljust(16, b"\0")


# -- fields --------------------------------------------------------------------------------
class Field:
    """Something a packet has (an address, a port, an interface name...)."""

    text: str = ""
    size: int = 4          # bytes the field loads into a register

    def parse(self, value: object) -> MatchValue:
        raise NotImplementedError

    def deps(self, family: str) -> list[Op]:
        """The matches nft puts before this field (``meta l4proto tcp`` before ``tcp dport``)."""
        return []

    def load_into(self, family: str, reg: int) -> list[Op]:
        """The one expression that loads this field into ``reg`` (no dependencies)."""
        raise NotImplementedError

    def load(self, family: str) -> list[Op]:
        """The expressions that load this field into register 1 (with dependencies)."""
        return self.deps(family) + self.load_into(family, REG)

    def encode(self, value: MatchValue) -> bytes:
        raise NotImplementedError

    def match_exprs(self, family: str, opname: str, value: MatchValue) -> Exprs | None:
        """(shape ids, values) of ``self opname value`` written directly, or None (then
        ``Match.ops`` builds them): the fast path of the common forms."""
        return None

    def __eq__(self, value: object) -> "Match":  # type: ignore[override]
        if isinstance(value, Field):            # field vs field (containers, pytest): identity
            return self is value  # type: ignore[return-value]
        return Match(self, "==", self.parse(value))

    def __ne__(self, value: object) -> "Match":  # type: ignore[override]
        if isinstance(value, Field):
            return self is not value  # type: ignore[return-value]
        return Match(self, "!=", self.parse(value))

    def __call__(self, value: object) -> "Match":
        return self == value

    def in_set(self, set_name: str) -> "Match":
        """Match when the field's value is an element of the named set."""
        return Match(self, "in", SetRef(validate.name(set_name, "set name")))

    def not_in_set(self, set_name: str) -> "Match":
        return Match(self, "not in", SetRef(validate.name(set_name, "set name")))

    def __and__(self, other: "Field") -> "Concat":
        """``Meta.l4proto & Th.dport`` is nft's ``meta l4proto . th dport`` (a set or map key)."""
        return Concat(self, other)

    __hash__ = object.__hash__

    def __repr__(self) -> str:
        return f"<{self.text}>"

    def format(self, value: MatchValue) -> str:
        return str(value)


class AddrField(Field):
    """An IPv4 or IPv6 source/destination address, compared with a prefix."""

    def __init__(self, version: int, offset: int, text: str) -> None:
        self.version, self.offset, self.text = version, offset, text
        self.size = 4 if version == 4 else 16

    def parse(self, value: object) -> MatchValue:
        net = validate.network(value)
        if net.version != self.version:
            raise InvalidArgument(f"{self.text}: {value} is not an IPv{self.version} prefix")
        return net

    def deps(self, family: str) -> list[Op]:
        return self._dep(family)

    def load_into(self, family: str, reg: int) -> list[Op]:
        return [payload(lib.NFT_PAYLOAD_NETWORK_HEADER, self.offset, self.size, reg)]

    def _dep(self, family: str) -> list[Op]:
        want = "ip" if self.version == 4 else "ip6"
        if family == want:
            return []
        if family != "inet":
            raise InvalidArgument(f"{self.text} cannot match in a table of family {family}")
        proto = lib.NFPROTO_IPV4 if self.version == 4 else lib.NFPROTO_IPV6
        return [meta(lib.NFT_META_NFPROTO), cmp(EQ, bytes([proto]))]

    def match_exprs(self, family: str, opname: str, value: MatchValue) -> Exprs | None:
        if opname not in ("==", "!=") or not isinstance(value, (ipaddress.IPv4Network, ipaddress.IPv6Network)):
            return None
        plen = value.prefixlen
        if plen % 8:
            return None                   # masked: Op path
        want = "ip" if self.version == 4 else "ip6"
        ids: tuple[int, ...] = ()
        vals: list[object] = []
        if family != want:
            if family != "inet":
                return None               # the Op path raises
            ids = (META_ID, cmp_id(1))
            vals = [b"meta", lib.NFT_META_NFPROTO, REG, b"cmp", REG, EQ,
                    bytes([lib.NFPROTO_IPV4 if self.version == 4 else lib.NFPROTO_IPV6])]
        n = plen // 8
        vals += [b"payload", REG, lib.NFT_PAYLOAD_NETWORK_HEADER, self.offset, n,
                 b"cmp", REG, EQ if opname == "==" else NEQ, value.network_address.packed[:n]]
        return ids + (PAYLOAD_ID, cmp_id(n)), vals

    def match_ops(self, family: str, opcode: int, net: ipaddress.IPv4Network | ipaddress.IPv6Network) -> list[Op]:
        # as nft: a byte-aligned prefix loads only its bytes; any other loads all and masks
        nbytes = net.prefixlen // 8 if net.prefixlen % 8 == 0 else self.size
        ops = self._dep(family) + [payload(lib.NFT_PAYLOAD_NETWORK_HEADER, self.offset, nbytes)]
        if net.prefixlen % 8:
            ops.append(bitwise(net.netmask.packed))
        return ops + [cmp(opcode, net.network_address.packed[:nbytes])]

    def encode(self, value: MatchValue) -> bytes:
        assert isinstance(value, (ipaddress.IPv4Network, ipaddress.IPv6Network))
        return value.network_address.packed

    def format(self, value: MatchValue) -> str:
        if isinstance(value, (ipaddress.IPv4Network, ipaddress.IPv6Network)) and \
                value.prefixlen == value.max_prefixlen:
            return str(value.network_address)
        return str(value)


class MetaField(Field):
    """Packet metadata: interface names, layer 4 protocol, network protocol."""

    def __init__(self, key: int, text: str, kind: str) -> None:
        self.key, self.text, self.kind = key, text, kind
        self.size = {"ifname": 16, "l4proto": 1, "nfproto": 1}[kind]

    def parse(self, value: object) -> MatchValue:
        if self.kind == "ifname":
            return validate.ifname(value)  # type: ignore[arg-type]
        if self.kind == "l4proto":
            return _protocol(value)
        if value in ("ipv4", "ipv6"):
            return str(value)
        raise InvalidArgument(f"{self.text}: expected 'ipv4' or 'ipv6', not {value!r}")

    def load_into(self, family: str, reg: int) -> list[Op]:
        return [meta(self.key, reg)]

    def match_exprs(self, family: str, opname: str, value: MatchValue) -> Exprs | None:
        if opname not in ("==", "!=") or not isinstance(value, (str, int)):
            return None
        data = self.encode(value)
        return ((META_ID, cmp_id(len(data))),
                [b"meta", self.key, REG, b"cmp", REG, EQ if opname == "==" else NEQ, data])

    def encode(self, value: MatchValue) -> bytes:
        if self.kind == "ifname":
            assert isinstance(value, str)
            return ifname_bytes(value)
        if self.kind == "l4proto":
            assert isinstance(value, int)
            return bytes([value])
        return bytes([lib.NFPROTO_IPV4 if value == "ipv4" else lib.NFPROTO_IPV6])

    def format(self, value: MatchValue) -> str:
        if self.kind == "l4proto" and isinstance(value, int):
            return PROTOCOL_NAMES.get(value, str(value))
        return str(value)


class PortField(Field):
    """A TCP or UDP source/destination port (``th``: any transport header, no protocol check).

    The value is a port, or a range: ``Tcp.dport((8000, 8100))`` or ``Tcp.dport("8000-8100")``.
    """

    size = 2

    def __init__(self, proto: int, offset: int, text: str) -> None:
        self.proto, self.offset, self.text = proto, offset, text
        # the fast path of "port ==/!= N": shape ids and every value but the port's bytes
        dep_ids: tuple[int, ...] = (META_ID, cmp_id(1)) if proto else ()
        dep: list[object] = [b"meta", lib.NFT_META_L4PROTO, REG, b"cmp", REG, EQ, bytes([proto])] if proto else []
        load = dep + [b"payload", REG, lib.NFT_PAYLOAD_TRANSPORT_HEADER, offset, 2, b"cmp", REG]
        self._fast = {o: (dep_ids + (PAYLOAD_ID, cmp_id(2)), load + [code]) for o, code in (("==", EQ), ("!=", NEQ))}

    def parse(self, value: object) -> MatchValue:
        if isinstance(value, str) and "-" in value:
            lo, _, hi = value.partition("-")
            try:
                value = (int(lo), int(hi))
            except ValueError:
                raise InvalidArgument(f"{self.text}: invalid port range {value!r}: write 8000-8100") from None
        if isinstance(value, tuple):
            lo_, hi_ = validate.port_range(value)
            if lo_ == hi_:
                return lo_
            if lo_ == 1 and hi_ == 65535:
                raise InvalidArgument(f"{self.text}: {lo_}-{hi_} matches every port: leave the match out")
            return PortRange(lo_, hi_)
        return validate.port(value)

    def deps(self, family: str) -> list[Op]:
        return [meta(lib.NFT_META_L4PROTO), cmp(EQ, bytes([self.proto]))] if self.proto else []

    def match_exprs(self, family: str, opname: str, value: MatchValue) -> Exprs | None:
        fast = self._fast.get(opname)
        if fast is None or value.__class__ is not int:
            return None
        assert isinstance(value, int)
        return fast[0], fast[1] + [value.to_bytes(2, "big")]

    def load_into(self, family: str, reg: int) -> list[Op]:
        return [payload(lib.NFT_PAYLOAD_TRANSPORT_HEADER, self.offset, 2, reg)]

    def encode(self, value: MatchValue) -> bytes:
        assert isinstance(value, int)
        return value.to_bytes(2, "big")

    def format(self, value: MatchValue) -> str:
        return f"{value[0]}-{value[1]}" if isinstance(value, PortRange) else str(value)


class CtStateField(Field):
    """The connection tracking state: ``Ct.state("established", "related")``."""

    text = "ct state"

    def parse(self, value: object) -> MatchValue:
        names = {value} if isinstance(value, str) else set(value)  # type: ignore[call-overload]
        bad = sorted(n for n in names if n not in CT_STATES)
        if not names or bad:
            raise InvalidArgument(f"ct state: unknown state(s) {bad or '(none)'}: use {', '.join(CT_STATES)}")
        return frozenset(names)

    def __call__(self, *states: str) -> "Match":  # type: ignore[override]
        return Match(self, "==", self.parse(states))

    def load_into(self, family: str, reg: int) -> list[Op]:
        return [ct(lib.NFT_CT_STATE, reg)]

    def encode(self, value: MatchValue) -> bytes:
        assert isinstance(value, frozenset)
        return sum(CT_STATES[n] for n in value).to_bytes(4, "little")

    def format(self, value: MatchValue) -> str:
        assert isinstance(value, frozenset)
        return ",".join(sorted(value, key=lambda n: CT_STATES[n]))


ADDR_TYPES = {"unicast": 1, "local": 2, "broadcast": 3, "anycast": 4, "multicast": 5, "blackhole": 6,
              "unreachable": 7, "prohibit": 8}


class FibField(Field):
    """The route type of the packet's destination: ``Fib.daddr_type == "local"`` (nft: ``fib daddr type local``)."""

    text = "fib daddr type"

    def parse(self, value: object) -> MatchValue:
        if value not in ADDR_TYPES:
            raise InvalidArgument(f"fib daddr type: unknown type {value!r}: use {', '.join(ADDR_TYPES)}")
        return str(value)

    def load_into(self, family: str, reg: int) -> list[Op]:
        return [op("fib", (lib.NFTA_FIB_DREG, BE32, reg), (lib.NFTA_FIB_RESULT, BE32, int(lib.NFT_FIB_RESULT_ADDRTYPE)),
                   (lib.NFTA_FIB_FLAGS, BE32, int(lib.NFTA_FIB_F_DADDR)))]

    def encode(self, value: MatchValue) -> bytes:
        return ADDR_TYPES[str(value)].to_bytes(4, "little")


class Fib:
    """Routing lookups."""

    daddr_type = FibField()


def _protocol(value: object) -> int:
    if isinstance(value, str) and value in PROTOCOLS:
        return PROTOCOLS[value]
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= 255:
        return value
    raise InvalidArgument(f"invalid protocol {value!r}: use {', '.join(PROTOCOLS)} or a number 0-255")


# -- matches -------------------------------------------------------------------------------
@record(frozen=True, eq=False, init=False)
class Match:
    """``field op value``: one condition of a rule."""

    field: Field
    op: str
    value: MatchValue

    def __init__(self, field: Field, op: str, value: MatchValue) -> None:
        # written out: a ruleset makes one per condition (the shared record __init__ is ~1 us)
        d = self.__dict__
        d["field"], d["op"], d["value"] = field, op, value

    def __eq__(self, other: object) -> bool:
        return (isinstance(other, Match) and same_field(self.field, other.field) and self.op == other.op
                and self.value == other.value)

    def __hash__(self) -> int:
        return hash((self.field.text, self.op, self.value))

    def flat(self, family: str) -> Exprs:
        """(shape ids, flat values) of this condition: what ``ops`` gives, without Op records."""
        out = self.field.match_exprs(family, self.op, self.value)
        return out if out is not None else exprs_of(self.ops(family))

    def ops(self, family: str) -> list[Op]:
        """The kernel expressions of this condition in a table of ``family``."""
        f = self.field
        if isinstance(self.value, SetRef):
            return f.load(family) + [lookup(self.value.name, self.op == "not in")]
        if isinstance(self.value, PortRange):
            return f.load(family) + cmp_range(self.op, self.value[0].to_bytes(2, "big"),
                                               self.value[1].to_bytes(2, "big"))
        if isinstance(f, AddrField):
            assert isinstance(self.value, (ipaddress.IPv4Network, ipaddress.IPv6Network))
            return f.match_ops(family, EQ if self.op == "==" else NEQ, self.value)
        if isinstance(f, CtStateField):
            mask = f.encode(self.value)
            return f.load(family) + [bitwise(mask), cmp(NEQ if self.op == "==" else EQ, bytes(4))]
        return f.load(family) + [cmp(EQ if self.op == "==" else NEQ, f.encode(self.value))]

    def __str__(self) -> str:
        op = "" if self.op == "==" else self.op + " "
        if isinstance(self.value, SetRef):          # as nft prints it: "ip saddr @s", "ip saddr != @s"
            return f"{self.field.text} {'!= ' if self.op == 'not in' else ''}{self.value}"
        return f"{self.field.text} {op}{self.field.format(self.value)}"

    def __repr__(self) -> str:
        return f"Match({self})"


class Ip:
    """IPv4 header fields."""

    saddr = AddrField(4, 12, "ip saddr")
    daddr = AddrField(4, 16, "ip daddr")


class Ip6:
    """IPv6 header fields."""

    saddr = AddrField(6, 8, "ip6 saddr")
    daddr = AddrField(6, 24, "ip6 daddr")


class Meta:
    """Packet metadata."""

    iifname = MetaField(int(lib.NFT_META_IIFNAME), "iifname", "ifname")
    oifname = MetaField(int(lib.NFT_META_OIFNAME), "oifname", "ifname")
    l4proto = MetaField(int(lib.NFT_META_L4PROTO), "meta l4proto", "l4proto")
    nfproto = MetaField(int(lib.NFT_META_NFPROTO), "meta nfproto", "nfproto")


class Tcp:
    """TCP header fields."""

    sport = PortField(socket.IPPROTO_TCP, 0, "tcp sport")
    dport = PortField(socket.IPPROTO_TCP, 2, "tcp dport")


class Udp:
    """UDP header fields."""

    sport = PortField(socket.IPPROTO_UDP, 0, "udp sport")
    dport = PortField(socket.IPPROTO_UDP, 2, "udp dport")


class Th:
    """Ports of any transport header (TCP, UDP, SCTP...): nft's ``th``; no protocol check."""

    sport = PortField(0, 0, "th sport")
    dport = PortField(0, 2, "th dport")


class Ct:
    """Connection tracking."""

    state = CtStateField()


class Concat(Field):
    """Fields joined into one set/map key: ``Meta.l4proto & Th.dport`` (nft: ``meta l4proto . th dport``).

    Dependencies of every member come first, then each member is loaded into its own
    32-bit register slot, as nft does.
    """

    fields: tuple[Field, ...]

    def __init__(self, *fields: Field) -> None:
        flat: list[Field] = []
        for f in fields:
            if isinstance(f, Concat):
                flat += f.fields
            elif isinstance(f, (Field,)) and not isinstance(f, CtStateField):
                flat.append(f)
            else:
                raise InvalidArgument(f"{f!r} cannot be part of a concatenation")
        if len(flat) < 2:
            raise InvalidArgument("a concatenation needs two fields or more")
        self.fields = tuple(flat)
        self.text = " . ".join(f.text for f in flat)
        self.size = sum((f.size + 3) & ~3 for f in flat)
        if self.size > 64:
            raise InvalidArgument(f"{self.text}: a key of {self.size} bytes is longer than the 64 registers hold")

    def parse(self, value: object) -> MatchValue:
        raise InvalidArgument(f"{self.text}: a concatenation is compared with a set: use .in_set(name)")

    def deps(self, family: str) -> list[Op]:
        out: list[Op] = []
        for f in self.fields:
            for d in f.deps(family):
                if d not in out:
                    out.append(d)
        return out

    def load_into(self, family: str, reg: int) -> list[Op]:
        assert reg == REG
        out: list[Op] = []
        offset = 0
        for f in self.fields:
            out += f.load_into(family, reg_of(offset))
            offset += (f.size + 3) & ~3
        return out

    def __eq__(self, other: object) -> "Match":  # type: ignore[override]
        if isinstance(other, Concat):
            return self.fields == other.fields  # type: ignore[return-value]
        return Field.__eq__(self, other)

    def __ne__(self, other: object) -> "Match":  # type: ignore[override]
        if isinstance(other, Concat):
            return self.fields != other.fields  # type: ignore[return-value]
        return Field.__ne__(self, other)

    def __hash__(self) -> int:
        return hash(self.fields)


def same_field(a: Field, b: Field) -> bool:
    return a.fields == b.fields if isinstance(a, Concat) and isinstance(b, Concat) else a is b


def port_field(proto: str, which: str) -> PortField:
    """``Tcp.dport`` from ('tcp', 'dport'), for helpers that take a protocol name."""
    holder = {"tcp": Tcp, "udp": Udp}.get(proto)
    if holder is None or which not in ("sport", "dport"):
        raise InvalidArgument(f"invalid protocol {proto!r}: use 'tcp' or 'udp'")
    f = getattr(holder, which)
    assert isinstance(f, PortField)
    return f


__all__ = ["Field", "Match", "SetRef", "Ip", "Ip6", "Meta", "Tcp", "Udp", "Th", "Ct", "Concat", "PortRange",
           "port_field", "reg_of", "lookup", "Fib", "ADDR_TYPES",
           "PROTOCOLS", "CT_STATES"]
