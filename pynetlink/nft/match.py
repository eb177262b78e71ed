"""What a rule matches: ``Ip.saddr == "172.17.0.0/16"``, ``Meta.oifname != "docker0"``, ...

A ``Field`` compared with a value gives a ``Match``; ``Field(value)`` is ``Field == value``.
Each Match compiles to kernel expressions (``Op``) for a table family, adding the
dependencies nft adds (``meta l4proto tcp`` before ``tcp dport``, ``meta nfproto ipv4``
before ``ip saddr`` in inet tables).
"""
from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from typing import Union

from .._native import lib
from ..errors import InvalidArgument
from . import validate
from .ops import BE32, DATA_VALUE, STRING, Op, op

REG = int(lib.NFT_REG_1)
EQ, NEQ = int(lib.NFT_CMP_EQ), int(lib.NFT_CMP_NEQ)
PROTOCOLS = {"tcp": socket.IPPROTO_TCP, "udp": socket.IPPROTO_UDP, "icmp": socket.IPPROTO_ICMP,
             "icmpv6": socket.IPPROTO_ICMPV6, "sctp": 132}
PROTOCOL_NAMES = {v: k for k, v in PROTOCOLS.items()}
CT_STATES = {"invalid": 1, "established": 2, "related": 4, "new": 8, "untracked": 64}
MatchValue = Union[str, int, ipaddress.IPv4Network, ipaddress.IPv6Network, frozenset[str], "SetRef"]


@dataclass(frozen=True)
class SetRef:
    """A named set, as the right-hand side of ``field.in_set(name)``."""

    name: str

    def __str__(self) -> str:
        return "@" + self.name


# -- kernel expression builders ---------------------------------------------------------------
def meta(key: int) -> Op:
    return op("meta", (lib.NFTA_META_KEY, BE32, key), (lib.NFTA_META_DREG, BE32, REG))


def payload(base: int, offset: int, length: int) -> Op:
    return op("payload", (lib.NFTA_PAYLOAD_DREG, BE32, REG), (lib.NFTA_PAYLOAD_BASE, BE32, base),
              (lib.NFTA_PAYLOAD_OFFSET, BE32, offset), (lib.NFTA_PAYLOAD_LEN, BE32, length))


def cmp(opcode: int, data: bytes) -> Op:
    return op("cmp", (lib.NFTA_CMP_SREG, BE32, REG), (lib.NFTA_CMP_OP, BE32, opcode),
              (lib.NFTA_CMP_DATA, DATA_VALUE, data))


def bitwise(mask: bytes) -> Op:
    return op("bitwise", (lib.NFTA_BITWISE_SREG, BE32, REG), (lib.NFTA_BITWISE_DREG, BE32, REG),
              (lib.NFTA_BITWISE_LEN, BE32, len(mask)), (lib.NFTA_BITWISE_MASK, DATA_VALUE, mask),
              (lib.NFTA_BITWISE_XOR, DATA_VALUE, bytes(len(mask))))


def ct(key: int) -> Op:
    return op("ct", (lib.NFTA_CT_KEY, BE32, key), (lib.NFTA_CT_DREG, BE32, REG))


def lookup(set_name: str, inverted: bool = False) -> Op:
    items: list[tuple[int, str, int | str]] = [(lib.NFTA_LOOKUP_SREG, BE32, REG),
                                                (lib.NFTA_LOOKUP_SET, STRING, set_name)]
    if inverted:
        items.append((lib.NFTA_LOOKUP_FLAGS, BE32, int(lib.NFT_LOOKUP_F_INV)))
    return op("lookup", *items)


def ifname_bytes(name: str) -> bytes:
    """nft's encoding: 16 NUL-padded bytes, or the bare prefix for a 'name*' wildcard."""
    raw = name.encode()
    return raw[:-1] if raw.endswith(b"*") else raw.ljust(16, b"\0")


# -- fields --------------------------------------------------------------------------------
class Field:
    """Something a packet has (an address, a port, an interface name...)."""

    text: str = ""

    def parse(self, value: object) -> MatchValue:
        raise NotImplementedError

    def load(self, family: str) -> list[Op]:
        """The expressions that load this field into register 1 (with dependencies)."""
        raise NotImplementedError

    def encode(self, value: MatchValue) -> bytes:
        raise NotImplementedError

    def __eq__(self, value: object) -> "Match":  # type: ignore[override]
        return Match(self, "==", self.parse(value))

    def __ne__(self, value: object) -> "Match":  # type: ignore[override]
        return Match(self, "!=", self.parse(value))

    def __call__(self, value: object) -> "Match":
        return self == value

    def in_set(self, set_name: str) -> "Match":
        """Match when the field's value is an element of the named set."""
        return Match(self, "in", SetRef(validate.name(set_name, "set name")))

    def not_in_set(self, set_name: str) -> "Match":
        return Match(self, "not in", SetRef(validate.name(set_name, "set name")))

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

    def load(self, family: str) -> list[Op]:
        return self._dep(family) + [payload(lib.NFT_PAYLOAD_NETWORK_HEADER, self.offset, self.size)]

    def _dep(self, family: str) -> list[Op]:
        want = "ip" if self.version == 4 else "ip6"
        if family == want:
            return []
        if family != "inet":
            raise InvalidArgument(f"{self.text} cannot match in a table of family {family}")
        proto = lib.NFPROTO_IPV4 if self.version == 4 else lib.NFPROTO_IPV6
        return [meta(lib.NFT_META_NFPROTO), cmp(EQ, bytes([proto]))]

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

    def parse(self, value: object) -> MatchValue:
        if self.kind == "ifname":
            return validate.ifname(value)  # type: ignore[arg-type]
        if self.kind == "l4proto":
            return _protocol(value)
        if value in ("ipv4", "ipv6"):
            return str(value)
        raise InvalidArgument(f"{self.text}: expected 'ipv4' or 'ipv6', not {value!r}")

    def load(self, family: str) -> list[Op]:
        return [meta(self.key)]

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
    """A TCP or UDP source/destination port."""

    def __init__(self, proto: int, offset: int, text: str) -> None:
        self.proto, self.offset, self.text = proto, offset, text

    def parse(self, value: object) -> MatchValue:
        return validate.port(value)

    def load(self, family: str) -> list[Op]:
        return [meta(lib.NFT_META_L4PROTO), cmp(EQ, bytes([self.proto])),
                payload(lib.NFT_PAYLOAD_TRANSPORT_HEADER, self.offset, 2)]

    def encode(self, value: MatchValue) -> bytes:
        assert isinstance(value, int)
        return value.to_bytes(2, "big")


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

    def load(self, family: str) -> list[Op]:
        return [ct(lib.NFT_CT_STATE)]

    def encode(self, value: MatchValue) -> bytes:
        assert isinstance(value, frozenset)
        return sum(CT_STATES[n] for n in value).to_bytes(4, "little")

    def format(self, value: MatchValue) -> str:
        assert isinstance(value, frozenset)
        return ",".join(sorted(value, key=lambda n: CT_STATES[n]))


def _protocol(value: object) -> int:
    if isinstance(value, str) and value in PROTOCOLS:
        return PROTOCOLS[value]
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= 255:
        return value
    raise InvalidArgument(f"invalid protocol {value!r}: use {', '.join(PROTOCOLS)} or a number 0-255")


# -- matches -------------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class Match:
    """``field op value``: one condition of a rule."""

    field: Field
    op: str
    value: MatchValue

    def __eq__(self, other: object) -> bool:
        return (isinstance(other, Match) and self.field is other.field and self.op == other.op
                and self.value == other.value)

    def __hash__(self) -> int:
        return hash((id(self.field), self.op, self.value))

    def ops(self, family: str) -> list[Op]:
        """The kernel expressions of this condition in a table of ``family``."""
        f = self.field
        if isinstance(self.value, SetRef):
            return f.load(family) + [lookup(self.value.name, self.op == "not in")]
        if isinstance(f, AddrField):
            assert isinstance(self.value, (ipaddress.IPv4Network, ipaddress.IPv6Network))
            return f.match_ops(family, EQ if self.op == "==" else NEQ, self.value)
        if isinstance(f, CtStateField):
            mask = f.encode(self.value)
            return f.load(family) + [bitwise(mask), cmp(NEQ if self.op == "==" else EQ, bytes(4))]
        return f.load(family) + [cmp(EQ if self.op == "==" else NEQ, f.encode(self.value))]

    def __str__(self) -> str:
        op = "" if self.op == "==" else self.op + " "
        if isinstance(self.value, SetRef):
            return f"{self.field.text} {op}{self.value}"
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


class Ct:
    """Connection tracking."""

    state = CtStateField()


def port_field(proto: str, which: str) -> PortField:
    """``Tcp.dport`` from ('tcp', 'dport'), for helpers that take a protocol name."""
    holder = {"tcp": Tcp, "udp": Udp}.get(proto)
    if holder is None or which not in ("sport", "dport"):
        raise InvalidArgument(f"invalid protocol {proto!r}: use 'tcp' or 'udp'")
    f = getattr(holder, which)
    assert isinstance(f, PortField)
    return f


__all__ = ["Field", "Match", "SetRef", "Ip", "Ip6", "Meta", "Tcp", "Udp", "Ct", "port_field",
           "PROTOCOLS", "CT_STATES"]
