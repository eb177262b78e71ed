"""What a rule does: counters, NAT (masquerade, snat, dnat, redirect) and verdicts."""
from __future__ import annotations

from .._record import record, field

from .._native import lib
from ..errors import InvalidArgument
from . import validate
from .match import Field, lookup, reg_of, same_field
from .ops import BE32, DATA_VALUE, VERDICT_CHAIN, VERDICT_CODE, Attr, Exprs, Op, be32_shape, data_shape, exprs_of, op, \
    shape_id

TYPE_CHECKING = False       # typing is not imported at run time
if TYPE_CHECKING:
    from typing import Optional, Union

PortRange = tuple[int, int]
RANDOM = int(lib.NF_NAT_RANGE_PROTO_RANDOM)
FULLY_RANDOM = int(lib.NF_NAT_RANGE_PROTO_RANDOM_FULLY)
PERSISTENT = int(lib.NF_NAT_RANGE_PERSISTENT)
# flags the kernel adds by itself when registers are given: ignored when decoding
IMPLIED = int(lib.NF_NAT_RANGE_MAP_IPS | lib.NF_NAT_RANGE_PROTO_SPECIFIED)


def immediate(reg: int, data: bytes) -> Op:
    return op("immediate", (lib.NFTA_IMMEDIATE_DREG, BE32, reg), (lib.NFTA_IMMEDIATE_DATA, DATA_VALUE, data))


def verdict(code: int, chain: str | None = None) -> Op:
    if chain is None:
        return op("immediate", (lib.NFTA_IMMEDIATE_DREG, BE32, int(lib.NFT_REG_VERDICT)),
                  (lib.NFTA_IMMEDIATE_DATA, VERDICT_CODE, code))
    return op("immediate", (lib.NFTA_IMMEDIATE_DREG, BE32, int(lib.NFT_REG_VERDICT)),
              (lib.NFTA_IMMEDIATE_DATA, VERDICT_CHAIN, (code, chain)))


def _imm_id(size: int) -> int:
    return data_shape("immediate", (lib.NFTA_IMMEDIATE_DREG,), lib.NFTA_IMMEDIATE_DATA, size)


COUNTER_ID = shape_id("counter", ())
MASQ_ID = shape_id("masq", ())
VERDICT_ID = shape_id("immediate", (Attr(lib.NFTA_IMMEDIATE_DREG, BE32), Attr(lib.NFTA_IMMEDIATE_DATA, VERDICT_CODE)))
VERDICT_CHAIN_ID = shape_id("immediate", (Attr(lib.NFTA_IMMEDIATE_DREG, BE32),
                                          Attr(lib.NFTA_IMMEDIATE_DATA, VERDICT_CHAIN, 4)))
REG_1, REG_2, REG_VERDICT = int(lib.NFT_REG_1), int(lib.NFT_REG_2), int(lib.NFT_REG_VERDICT)
PROTO_SPECIFIED = int(lib.NF_NAT_RANGE_PROTO_SPECIFIED)
_NAT_IDS: dict[tuple[int, int, bool], tuple[int, ...]] = {}


def _addr_range(value: object) -> tuple[validate.Address, validate.Address]:
    """'203.0.113.1', '203.0.113.1-203.0.113.10' or a (first, last) tuple."""
    if isinstance(value, tuple) and len(value) == 2:
        lo_v, hi_v = value
    elif isinstance(value, str) and "-" in value:
        lo_v, _, hi_v = value.partition("-")
    else:
        a = validate.address(value)
        return a, a
    lo, hi = validate.address(str(lo_v).strip()), validate.address(str(hi_v).strip())
    if lo.version != hi.version or int(lo) > int(hi):
        raise InvalidArgument(f"invalid address range {value!r}: first-last of one IP version, first <= last")
    return lo, hi


def _ports(value: Union[int, PortRange, None]) -> Optional[PortRange]:
    return None if value is None else validate.port_range(value)


def _flags(random: bool, fully_random: bool, persistent: bool) -> int:
    return (RANDOM if random else 0) | (FULLY_RANDOM if fully_random else 0) | (PERSISTENT if persistent else 0)


def _flag_text(flags: int) -> str:
    names = [n for n, f in (("random", RANDOM), ("fully-random", FULLY_RANDOM), ("persistent", PERSISTENT))
             if flags & f]
    return (" " + ",".join(names)) if names else ""


def _port_text(ports: Optional[PortRange]) -> str:
    if ports is None:
        return ""
    return f":{ports[0]}" if ports[0] == ports[1] else f":{ports[0]}-{ports[1]}"


class Statement:
    """Base of everything a rule does."""

    def ops(self, family: str) -> list[Op]:
        raise NotImplementedError

    def flat(self, family: str) -> Exprs:
        """(shape ids, flat values) of ``ops`` (statements with a fast path write them directly)."""
        return exprs_of(self.ops(family))


@record(frozen=True)
class Counter(Statement):
    """Count packets and bytes (the counts are read back, never compared)."""

    packets: int = field(default=0, compare=False)
    bytes: int = field(default=0, compare=False)

    def ops(self, family: str) -> list[Op]:
        return [op("counter")]

    def flat(self, family: str) -> Exprs:
        return (COUNTER_ID,), [b"counter"]

    def __str__(self) -> str:
        return "counter"


@record(frozen=True)
class Masquerade(Statement):
    """Source NAT to the outgoing interface's address, optionally to a port range."""

    ports: Union[int, PortRange, None] = None
    random: bool = False
    fully_random: bool = False
    persistent: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "ports", _ports(self.ports))

    def ops(self, family: str) -> list[Op]:
        out: list[Op] = []
        items: list[tuple[int, str, int]] = []
        flags = _flags(self.random, self.fully_random, self.persistent)
        if isinstance(self.ports, tuple):
            flags |= int(lib.NF_NAT_RANGE_PROTO_SPECIFIED)
        if flags:
            items.append((lib.NFTA_MASQ_FLAGS, BE32, flags))
        if isinstance(self.ports, tuple):
            out += [immediate(lib.NFT_REG_1, self.ports[0].to_bytes(2, "big")),
                    immediate(lib.NFT_REG_2, self.ports[1].to_bytes(2, "big"))]
            items += [(lib.NFTA_MASQ_REG_PROTO_MIN, BE32, int(lib.NFT_REG_1)),
                      (lib.NFTA_MASQ_REG_PROTO_MAX, BE32, int(lib.NFT_REG_2))]
        return out + [op("masq", *items)]

    def flat(self, family: str) -> Exprs:
        if self.ports is None and not (self.random or self.fully_random or self.persistent):
            return (MASQ_ID,), [b"masq"]
        return exprs_of(self.ops(family))

    def __str__(self) -> str:
        ports = f" to {_port_text(self.ports)}" if isinstance(self.ports, tuple) else ""
        return "masquerade" + ports + _flag_text(_flags(self.random, self.fully_random, self.persistent))


@record(frozen=True)
class _Nat(Statement):
    """snat/dnat to an address and optionally a port (range)."""

    to: Union[str, tuple[str, str]]
    ports: Union[int, PortRange, None] = None
    random: bool = False
    fully_random: bool = False
    persistent: bool = False

    nat_type = 0
    name = ""

    def __init__(self, to: Union[str, tuple[str, str]], ports: Union[int, PortRange, None] = None,
                 random: bool = False, fully_random: bool = False, persistent: bool = False) -> None:
        # written out (Snat and Dnat keep it): one per published port in a rule-per-port ruleset
        d = self.__dict__
        d["to"], d["ports"], d["random"], d["fully_random"], d["persistent"] = \
            to, ports, random, fully_random, persistent
        self.__post_init__()

    def __post_init__(self) -> None:
        d = self.__dict__
        to = d["to"]
        if to.__class__ is str and "-" not in to:          # one address: packed with inet_pton
            version, lo_raw, d["to"] = validate.packed_address(to)
            d["_packed"] = (version, lo_raw, lo_raw)
        else:
            lo, hi = _addr_range(to)
            d["to"] = str(lo) if lo == hi else f"{lo}-{hi}"
            d["_packed"] = (lo.version, lo.packed, hi.packed)
        ports = d["ports"]
        d["ports"] = None if ports is None else validate.port_range(ports)

    @property
    def addresses(self) -> tuple[validate.Address, validate.Address]:
        """The first and last address NAT may choose (the same for one address)."""
        return _addr_range(self.to)

    def ops(self, family: str) -> list[Op]:
        lo, hi = self.addresses
        want = "ip" if lo.version == 4 else "ip6"
        if family not in (want, "inet"):
            raise InvalidArgument(f"{self.name} to {self.to}: an IPv{lo.version} address in a table "
                                  f"of family {family}")
        nfproto = int(lib.NFPROTO_IPV4 if lo.version == 4 else lib.NFPROTO_IPV6)
        out = [immediate(lib.NFT_REG_1, lo.packed)]
        items: list[tuple[int, str, int]] = [(lib.NFTA_NAT_TYPE, BE32, self.nat_type),
                                             (lib.NFTA_NAT_FAMILY, BE32, nfproto),
                                             (lib.NFTA_NAT_REG_ADDR_MIN, BE32, int(lib.NFT_REG_1))]
        reg = int(lib.NFT_REG_2)
        if hi != lo:                      # as nft: the range's end in reg 2, ports after it
            out.append(immediate(reg, hi.packed))
            items.append((lib.NFTA_NAT_REG_ADDR_MAX, BE32, reg))
            reg += 1
        flags = _flags(self.random, self.fully_random, self.persistent)
        if isinstance(self.ports, tuple):
            plo, phi = self.ports
            out.append(immediate(reg, plo.to_bytes(2, "big")))
            items.append((lib.NFTA_NAT_REG_PROTO_MIN, BE32, reg))
            if phi != plo:
                out.append(immediate(reg + 1, phi.to_bytes(2, "big")))
                items.append((lib.NFTA_NAT_REG_PROTO_MAX, BE32, reg + 1))
            flags |= int(lib.NF_NAT_RANGE_PROTO_SPECIFIED)
        if flags:
            items.append((lib.NFTA_NAT_FLAGS, BE32, flags))
        return out + [op("nat", *items)]

    def flat(self, family: str) -> Exprs:
        version, lo, hi = self._packed    # type: ignore[attr-defined]
        if family != ("ip" if version == 4 else "ip6") and family != "inet":
            return exprs_of(self.ops(family))           # raises
        ports = self.ports
        assert ports is None or isinstance(ports, tuple)
        if hi is lo and not (self.random or self.fully_random or self.persistent) and \
                (ports is None or ports[0] == ports[1]):
            # one address, at most one port, no flags: the shape ids depend on the version only
            key = (self.nat_type, version, ports is not None)
            ids = _NAT_IDS.get(key)
            if ids is None:
                ids = _NAT_IDS[key] = self._slow_exprs(family)[0]
            nfproto = lib.NFPROTO_IPV4 if version == 4 else lib.NFPROTO_IPV6
            if ports is None:
                return ids, [b"immediate", REG_1, lo, b"nat", self.nat_type, nfproto, REG_1]
            return ids, [b"immediate", REG_1, lo, b"immediate", REG_2, ports[0].to_bytes(2, "big"),
                         b"nat", self.nat_type, nfproto, REG_1, REG_2, PROTO_SPECIFIED]
        return self._slow_exprs(family)

    def _slow_exprs(self, family: str) -> Exprs:
        version, lo, hi = self._packed    # type: ignore[attr-defined]
        ports = self.ports
        assert ports is None or isinstance(ports, tuple)
        ids = [_imm_id(len(lo))]
        vals: list[object] = [b"immediate", REG_1, lo]
        attrs = [lib.NFTA_NAT_TYPE, lib.NFTA_NAT_FAMILY, lib.NFTA_NAT_REG_ADDR_MIN]
        avals = [self.nat_type, lib.NFPROTO_IPV4 if version == 4 else lib.NFPROTO_IPV6, REG_1]
        reg = REG_2
        if hi != lo:
            ids.append(_imm_id(len(hi)))
            vals += [b"immediate", reg, hi]
            attrs.append(lib.NFTA_NAT_REG_ADDR_MAX)
            avals.append(reg)
            reg += 1
        flags = _flags(self.random, self.fully_random, self.persistent)
        if ports is not None:
            plo, phi = ports
            ids.append(_imm_id(2))
            vals += [b"immediate", reg, plo.to_bytes(2, "big")]
            attrs.append(lib.NFTA_NAT_REG_PROTO_MIN)
            avals.append(reg)
            if phi != plo:
                ids.append(_imm_id(2))
                vals += [b"immediate", reg + 1, phi.to_bytes(2, "big")]
                attrs.append(lib.NFTA_NAT_REG_PROTO_MAX)
                avals.append(reg + 1)
            flags |= PROTO_SPECIFIED
        if flags:
            attrs.append(lib.NFTA_NAT_FLAGS)
            avals.append(flags)
        ids.append(be32_shape("nat", tuple(attrs)))
        vals.append(b"nat")
        return tuple(ids), vals + avals

    def __str__(self) -> str:
        addr = f"[{self.to}]" if ":" in self.to and self.ports and "-" not in self.to else self.to
        ports = _port_text(self.ports) if isinstance(self.ports, tuple) else ""
        return f"{self.name} to {addr}{ports}" + _flag_text(_flags(self.random, self.fully_random, self.persistent))


@record(frozen=True, init=False)
class Snat(_Nat):
    """Source NAT to ``to`` (and a port or port range)."""

    nat_type = int(lib.NFT_NAT_SNAT)
    name = "snat"


@record(frozen=True, init=False)
class Dnat(_Nat):
    """Destination NAT to ``to`` (and a port): port publishing."""

    nat_type = int(lib.NFT_NAT_DNAT)
    name = "dnat"


@record(frozen=True)
class Redirect(Statement):
    """Redirect to the local machine, optionally to another port."""

    ports: Union[int, PortRange, None] = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "ports", _ports(self.ports))

    def ops(self, family: str) -> list[Op]:
        if not isinstance(self.ports, tuple):
            return [op("redir")]
        lo, hi = self.ports
        out = [immediate(lib.NFT_REG_1, lo.to_bytes(2, "big"))]
        items = [(lib.NFTA_REDIR_REG_PROTO_MIN, BE32, int(lib.NFT_REG_1))]
        if hi != lo:
            out.append(immediate(lib.NFT_REG_2, hi.to_bytes(2, "big")))
            items.append((lib.NFTA_REDIR_REG_PROTO_MAX, BE32, int(lib.NFT_REG_2)))
        items.append((lib.NFTA_REDIR_FLAGS, BE32, int(lib.NF_NAT_RANGE_PROTO_SPECIFIED)))
        return out + [op("redir", *items)]

    def __str__(self) -> str:
        return "redirect" + (f" to {_port_text(self.ports)}" if isinstance(self.ports, tuple) else "")


@record(frozen=True)
class Verdict(Statement):
    """accept, drop, return; jump/goto a chain (use the helpers Accept(), Jump("chain")...)."""

    kind: str
    chain: Optional[str] = None

    CODES = {"accept": int(lib.NF_ACCEPT), "drop": int(lib.NF_DROP), "return": int(lib.NFT_RETURN),
             "continue": int(lib.NFT_CONTINUE), "jump": int(lib.NFT_JUMP), "goto": int(lib.NFT_GOTO)}

    def __post_init__(self) -> None:
        if self.kind not in self.CODES:
            raise InvalidArgument(f"unknown verdict {self.kind!r}: use {', '.join(self.CODES)}")
        if (self.kind in ("jump", "goto")) != (self.chain is not None):
            raise InvalidArgument(f"{self.kind}: a chain name is needed for jump and goto only")
        if self.chain is not None:
            validate.name(self.chain, "chain name")

    def ops(self, family: str) -> list[Op]:
        return [verdict(self.CODES[self.kind], self.chain)]

    def flat(self, family: str) -> Exprs:
        if self.chain is None:
            return (VERDICT_ID,), [b"immediate", REG_VERDICT, self.CODES[self.kind]]
        return (VERDICT_CHAIN_ID,), [b"immediate", REG_VERDICT, self.CODES[self.kind], self.chain.encode()]

    def __str__(self) -> str:
        return self.kind if self.chain is None else f"{self.kind} {self.chain}"


def Accept() -> Verdict:
    return Verdict("accept")


def Drop() -> Verdict:
    return Verdict("drop")


def Return() -> Verdict:
    return Verdict("return")


def Jump(chain: str) -> Verdict:
    return Verdict("jump", chain)


def Goto(chain: str) -> Verdict:
    return Verdict("goto", chain)


@record(frozen=True, eq=False)
class NatMap(Statement):
    """``dnat ip to <key> map @name``: the address and port come from a map keyed by ``key``.

    The map's data is ``ipv4_addr . inet_service`` (``ipv6_addr . inet_service`` for
    ``version=6``); with ``ports=False`` only an address. One rule serves every
    element: publishing a port is one element, not one rule.
    """

    key: Field
    map: str
    kind: str = "dnat"
    version: int = 4
    ports: bool = True

    def __post_init__(self) -> None:
        if not isinstance(self.key, Field):
            raise InvalidArgument(f"{self.kind} map: key {self.key!r} is not a field (Th.dport, Meta.l4proto & Th.dport)")
        validate.name(self.map, "map name")
        if self.kind not in ("dnat", "snat") or self.version not in (4, 6):
            raise InvalidArgument(f"nat map: kind dnat/snat and version 4/6, not {self.kind}/{self.version}")

    def ops(self, family: str) -> list[Op]:
        want = "ip" if self.version == 4 else "ip6"
        if family not in (want, "inet"):
            raise InvalidArgument(f"{self}: IPv{self.version} addresses in a table of family {family}")
        size = 4 if self.version == 4 else 16
        items: list[tuple[int, str, int]] = [
            (lib.NFTA_NAT_TYPE, BE32, int(lib.NFT_NAT_DNAT if self.kind == "dnat" else lib.NFT_NAT_SNAT)),
            (lib.NFTA_NAT_FAMILY, BE32, int(lib.NFPROTO_IPV4 if self.version == 4 else lib.NFPROTO_IPV6)),
            (lib.NFTA_NAT_REG_ADDR_MIN, BE32, int(lib.NFT_REG_1))]
        if self.ports:
            items.append((lib.NFTA_NAT_REG_PROTO_MIN, BE32, reg_of(size)))
        return self.key.load(family) + [lookup(self.map, dreg=int(lib.NFT_REG_1)), op("nat", *items)]

    def __eq__(self, other: object) -> bool:
        return (isinstance(other, NatMap) and same_field(self.key, other.key) and
                (self.map, self.kind, self.version, self.ports) == (other.map, other.kind, other.version, other.ports))

    def __hash__(self) -> int:
        return hash((self.key.text, self.map, self.kind))

    def __str__(self) -> str:
        return f"{self.kind} {'ip' if self.version == 4 else 'ip6'} to {self.key.text} map @{self.map}"


@record(frozen=True, eq=False)
class Vmap(Statement):
    """``<key> vmap @name``: the verdict comes from a verdict map."""

    key: Field
    map: str

    def __post_init__(self) -> None:
        if not isinstance(self.key, Field):
            raise InvalidArgument(f"vmap: key {self.key!r} is not a field")
        validate.name(self.map, "map name")

    def ops(self, family: str) -> list[Op]:
        return self.key.load(family) + [lookup(self.map, dreg=int(lib.NFT_REG_VERDICT))]

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Vmap) and same_field(self.key, other.key) and self.map == other.map

    def __hash__(self) -> int:
        return hash((self.key.text, self.map))

    def __str__(self) -> str:
        return f"{self.key.text} vmap @{self.map}"


@record(frozen=True)
class Raw(Statement):
    """Kernel expressions this library does not model, kept as they came (and re-sent as is)."""

    exprs: tuple[Op, ...]

    def ops(self, family: str) -> list[Op]:
        return list(self.exprs)

    def __str__(self) -> str:
        return " ".join(f"[{o.name}]" for o in self.exprs)


__all__ = ["Statement", "Counter", "Masquerade", "Snat", "Dnat", "Redirect", "Verdict", "Accept", "Drop",
           "Return", "Jump", "Goto", "Raw", "NatMap", "Vmap", "immediate", "verdict"]
