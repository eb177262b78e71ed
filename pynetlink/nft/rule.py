"""Rules, chains and tables as frozen values; rules compile to kernel expressions and back.

``Rule(match=[Ip.saddr("172.17.0.0/24"), Meta.oifname != "docker0"], stmt=[Masquerade()])``
compiles to the expressions nft would send; ``decompile`` turns listed expressions back
into the same Rule (expressions it does not model become ``Raw`` statements).
"""
from __future__ import annotations

import ipaddress
from .._record import record, field

from .._native import lib
from ..errors import InvalidArgument
from . import validate
from .match import (ADDR_TYPES, CT_STATES, EQ, Fib, NEQ, AddrField, Concat, Ct, Field, Ip, Ip6, Match, Meta, PortField, PortRange,
                    SetRef, Tcp, Th, Udp, reg_of)
from .ops import Exprs, Op
from .sets import NamedSet
from .stmt import (IMPLIED, Counter, Dnat, Masquerade, NatMap, Raw, Redirect, Snat, Statement, Verdict, Vmap)

TYPE_CHECKING = False       # typing is not imported at run time
if TYPE_CHECKING:
    from typing import Optional, Sequence, Union
else:
    from .._lighttyping import Sequence, Union

UDATA_COMMENT = 0                     # NFTNL_UDATA_RULE_COMMENT
HOOKS = {"prerouting": int(lib.NF_INET_PRE_ROUTING), "input": int(lib.NF_INET_LOCAL_IN),
         "forward": int(lib.NF_INET_FORWARD), "output": int(lib.NF_INET_LOCAL_OUT),
         "postrouting": int(lib.NF_INET_POST_ROUTING)}
HOOK_NAMES = {v: k for k, v in HOOKS.items()}
CHAIN_TYPES = ("filter", "nat", "route")
POLICIES = {"accept": int(lib.NF_ACCEPT), "drop": int(lib.NF_DROP)}


@record(frozen=True, init=False)
class Rule:
    """Conditions (all must hold) and statements, with an optional comment."""

    match: Sequence[Match] = ()
    stmt: Sequence[Statement] = ()
    comment: Optional[str] = None
    handle: Optional[int] = field(default=None, compare=False)

    def __init__(self, match: Sequence[Match] = (), stmt: Sequence[Statement] = (),
                 comment: Optional[str] = None, handle: Optional[int] = None) -> None:
        # written out: a ruleset may hold hundreds (the shared record __init__ is ~1 us)
        d = self.__dict__
        d["match"], d["stmt"], d["comment"], d["handle"] = match, stmt, comment, handle
        self.__post_init__()

    def __post_init__(self) -> None:
        d = self.__dict__
        match, stmt = tuple(d["match"]), tuple(d["stmt"])
        for m in match:
            if not isinstance(m, Match):
                raise InvalidArgument(f"rule match: {m!r} is not a condition (write Ip.saddr == '10.0.0.0/8')")
        for s in stmt:
            if not isinstance(s, Statement):
                raise InvalidArgument(f"rule statement: {s!r} is not a statement (Masquerade(), Accept(), ...)")
        if self.comment is not None and (not isinstance(self.comment, str) or len(self.comment.encode()) > 127
                                         or "\0" in self.comment):
            raise InvalidArgument(f"rule comment {self.comment!r}: at most 127 bytes, no NUL")
        d["match"], d["stmt"] = match, stmt

    def ops(self, family: str) -> list[Op]:
        """The kernel expressions of this rule in a table of ``family``."""
        self._check_transport()
        out: list[Op] = []
        for m in self.match:
            out += m.ops(family)
        for s in self.stmt:
            out += s.ops(family)
        return out

    def flat(self, family: str) -> Exprs:
        """(shape ids, flat values) of ``ops(family)``, written without Op records where a
        condition or statement has a fast path; the shape ids key the compiled program."""
        self._check_transport()
        ids: tuple[int, ...] = ()
        vals: list[object] = []
        for m in self.match:
            i, v = m.flat(family)
            ids += i
            vals += v
        for s in self.stmt:
            i, v = s.flat(family)
            ids += i
            vals += v
        return ids, vals

    def _check_transport(self) -> None:
        """As nft: a NAT port (range) needs a transport protocol match before it (checked on
        the first encoding; the rule is frozen, so a pass holds)."""
        d = self.__dict__
        if "_transport_ok" in d:
            return
        for st in self.stmt:
            if getattr(st, "ports", None) is not None and isinstance(st, (Masquerade, Snat, Dnat, Redirect)):
                if not any(_sets_l4proto(m) for m in self.match):
                    raise InvalidArgument(
                        f"rule '{self}': {st}: a port mapping is only valid after a transport protocol "
                        "match (add Meta.l4proto('tcp'), Tcp.dport(...), ...)")
        d["_transport_ok"] = True

    def userdata(self) -> bytes:
        """NFTA_RULE_USERDATA as nft writes it (a comment TLV), or b''."""
        if self.comment is None:
            return b""
        raw = self.comment.encode() + b"\0"
        return bytes([UDATA_COMMENT, len(raw)]) + raw

    def __str__(self) -> str:
        parts = [str(m) for m in self.match] + [str(s) for s in self.stmt]
        if self.comment is not None:
            parts.append(f'comment "{self.comment}"')
        return " ".join(parts)


def _sets_l4proto(m: Match) -> bool:
    f = m.field
    if isinstance(f, PortField):
        return f.proto != 0
    return f is Meta.l4proto and m.op == "==" and isinstance(m.value, int)


@record(frozen=True)
class Chain:
    """A chain: a base chain when ``hook`` is set (with ``type``, ``priority``, ``policy``)."""

    name: str
    type: Optional[str] = None
    hook: Optional[str] = None
    priority: int = 0
    policy: Optional[str] = None
    rules: Sequence[Rule] = ()
    handle: Optional[int] = field(default=None, compare=False)

    def __post_init__(self) -> None:
        validate.name(self.name, "chain name")
        if self.hook is None:
            if self.type is not None or self.policy is not None or self.priority:
                raise InvalidArgument(f"chain {self.name}: type, priority and policy need a hook")
        else:
            if self.hook not in HOOKS:
                raise InvalidArgument(f"chain {self.name}: unknown hook {self.hook!r}: use {', '.join(HOOKS)}")
            if self.type is None:
                object.__setattr__(self, "type", "filter")
            if self.type not in CHAIN_TYPES:
                raise InvalidArgument(f"chain {self.name}: unknown type {self.type!r}: use {', '.join(CHAIN_TYPES)}")
            if self.policy is None:
                object.__setattr__(self, "policy", "accept")
            if self.policy not in POLICIES:
                raise InvalidArgument(f"chain {self.name}: policy {self.policy!r}: use accept or drop")
            if isinstance(self.priority, bool) or not isinstance(self.priority, int) or \
                    not -(1 << 31) <= self.priority < 1 << 31:
                raise InvalidArgument(f"chain {self.name}: priority {self.priority!r} is not a 32-bit integer")
        rules = tuple(self.rules)
        for r in rules:
            if not isinstance(r, Rule):
                raise InvalidArgument(f"chain {self.name}: {r!r} is not a Rule")
        object.__setattr__(self, "rules", rules)

    @property
    def base(self) -> bool:
        return self.hook is not None

    def __str__(self) -> str:
        if not self.base:
            return f"chain {self.name}"
        return (f"chain {self.name} {{ type {self.type} hook {self.hook} priority {self.priority}; "
                f"policy {self.policy}; }}")


@record(frozen=True)
class Table:
    """A table of one family (ip, ip6, inet) with its chains (and their rules)."""

    name: str
    family: str = "ip"
    chains: Sequence[Chain] = ()
    sets: Sequence[NamedSet] = ()
    owner: bool = False
    handle: Optional[int] = field(default=None, compare=False)

    def __post_init__(self) -> None:
        validate.name(self.name, "table name")
        validate.family(self.family)
        chains = tuple(self.chains)
        for c in chains:
            if not isinstance(c, Chain):
                raise InvalidArgument(f"table {self.name}: {c!r} is not a Chain")
        sets = tuple(self.sets)
        for st in sets:
            if not isinstance(st, NamedSet):
                raise InvalidArgument(f"table {self.name}: {st!r} is not a Set or Map")
        names = [x.name for x in sets]
        if len(set(names)) != len(names):
            raise InvalidArgument(f"table {self.name}: two sets or maps of the same name")
        object.__setattr__(self, "chains", chains)
        object.__setattr__(self, "sets", tuple(sorted(sets, key=lambda x: x.name)))

    def chain(self, name: str) -> Chain:
        for c in self.chains:
            if c.name == name:
                return c
        raise KeyError(name)

    def set(self, name: str) -> NamedSet:
        """A set or map of this table by name."""
        for st in self.sets:
            if st.name == name:
                return st
        raise KeyError(name)

    @property
    def flags(self) -> int:
        """NFTA_TABLE_FLAGS."""
        return int(lib.NFT_TABLE_F_OWNER) if self.owner else 0

    def __str__(self) -> str:
        return f"table {self.family} {self.name}"


# -- from kernel expressions back to rules ----------------------------------------------------
_ADDR_FIELDS: dict[tuple[int, int], AddrField] = {
    (4, 12): Ip.saddr, (4, 16): Ip.daddr, (6, 8): Ip6.saddr, (6, 24): Ip6.daddr}
_PORT_FIELDS = {(6, 0): Tcp.sport, (6, 2): Tcp.dport, (17, 0): Udp.sport, (17, 2): Udp.dport}
_META_FIELDS = {f.key: f for f in (Meta.iifname, Meta.oifname, Meta.l4proto, Meta.nfproto)}


class _Reader:
    """A cursor over a rule's expressions that recognises what ``Rule.ops`` writes."""

    def __init__(self, ops: Sequence[Op], family: str) -> None:
        self.ops, self.family, self.i = list(ops), family, 0
        self.matches: list[Match] = []
        self.stmts: list[Statement] = []
        self.regs: dict[int, tuple[int, bytes]] = {}      # register -> (op index, data)

    def at(self, k: int, name: str) -> Optional[Op]:
        j = self.i + k
        return self.ops[j] if j < len(self.ops) and self.ops[j].name == name else None

    def run(self) -> tuple[list[Match], list[Statement]]:
        while self.i < len(self.ops):
            n = self._step()
            if n == 0:
                self._raw(self.i, self.i + 1)
                n = 1
            self.i += n
        for j, _ in sorted(self.regs.values()):
            self.stmts.append(Raw((self.ops[j],)))
        return self.matches, self.stmts

    def _raw(self, a: int, b: int) -> None:
        self.stmts.append(Raw(tuple(self.ops[a:b])))

    def _step(self) -> int:
        o = self.ops[self.i]
        try:
            if o.name in ("meta", "payload", "ct"):
                n = self._keyed()
                if n:
                    return n
            handler = getattr(self, "_" + o.name, None)
            return handler(o) if handler is not None else 0
        except (KeyError, ValueError, InvalidArgument, AssertionError):
            return 0

    def _keyed(self) -> int:
        """[deps] loads lookup [nat]: a set match, a verdict map or a NAT map (a key of 1+ fields)."""
        j = self.i
        nfproto = l4proto = 0
        while j + 1 < len(self.ops) and self.ops[j].name == "meta" and self.ops[j + 1].name == "cmp":
            mkey, c = self.ops[j].u32(lib.NFTA_META_KEY), self.ops[j + 1]
            if c.u32(lib.NFTA_CMP_OP) != EQ or mkey not in (lib.NFT_META_NFPROTO, lib.NFT_META_L4PROTO):
                break
            if mkey == lib.NFT_META_NFPROTO:
                nfproto = c.data(lib.NFTA_CMP_DATA)[0]
            else:
                l4proto = c.data(lib.NFTA_CMP_DATA)[0]
            j += 2
        fields: list[Field] = []
        offset = 0
        while j < len(self.ops) and self.ops[j].name in ("meta", "payload", "ct"):
            o = self.ops[j]
            dreg = o.u32(lib.NFTA_META_DREG if o.name == "meta" else
                         lib.NFTA_PAYLOAD_DREG if o.name == "payload" else lib.NFTA_CT_DREG)
            if _reg32(dreg) != _reg32(reg_of(offset)):
                return 0
            f = self._field(o, nfproto, l4proto)
            if f is None:
                return 0
            fields.append(f)
            offset += (f.size + 3) & ~3
            j += 1
        lk = self.ops[j] if j < len(self.ops) and self.ops[j].name == "lookup" else None
        if not fields or lk is None or lk.u32(lib.NFTA_LOOKUP_SREG) != lib.NFT_REG_1:
            return 0
        key: Field = fields[0] if len(fields) == 1 else Concat(*fields)
        # the dependencies we skipped must be exactly the ones the key adds again
        if _dep_sig(key.deps(self.family)) != _dep_sig(self.ops[self.i:j - len(fields)]):
            return 0
        name = lk.get(lib.NFTA_LOOKUP_SET)
        assert isinstance(name, str)
        dreg_v = lk.get(lib.NFTA_LOOKUP_DREG)
        if dreg_v is None:
            inv = lk.u32(lib.NFTA_LOOKUP_FLAGS) & lib.NFT_LOOKUP_F_INV
            self.matches.append(Match(key, "not in" if inv else "in", SetRef(name)))
            return j + 1 - self.i
        dreg = int(dreg_v) if isinstance(dreg_v, int) else -1
        if dreg == lib.NFT_REG_VERDICT:
            self.stmts.append(Vmap(key, name))
            return j + 1 - self.i
        nat = self.ops[j + 1] if j + 1 < len(self.ops) and self.ops[j + 1].name == "nat" else None
        if nat is None or dreg != lib.NFT_REG_1 or nat.u32(lib.NFTA_NAT_REG_ADDR_MIN) != dreg or \
                nat.u32(lib.NFTA_NAT_REG_ADDR_MAX, dreg) != dreg or nat.u32(lib.NFTA_NAT_FLAGS) & ~IMPLIED:
            return 0
        version = 4 if nat.u32(lib.NFTA_NAT_FAMILY) == lib.NFPROTO_IPV4 else 6
        preg = nat.u32(lib.NFTA_NAT_REG_PROTO_MIN)
        if preg and (_reg32(preg) != _reg32(reg_of(4 if version == 4 else 16)) or
                     nat.u32(lib.NFTA_NAT_REG_PROTO_MAX, preg) != preg):
            return 0
        kind = "snat" if nat.u32(lib.NFTA_NAT_TYPE) == lib.NFT_NAT_SNAT else "dnat"
        self.stmts.append(NatMap(key, name, kind, version, bool(preg)))
        return j + 2 - self.i

    def _field(self, o: Op, nfproto: int, l4proto: int) -> Optional[Field]:
        if o.name == "meta":
            return _META_FIELDS.get(o.u32(lib.NFTA_META_KEY))
        if o.name == "ct":
            return None
        base, off, length = (o.u32(lib.NFTA_PAYLOAD_BASE), o.u32(lib.NFTA_PAYLOAD_OFFSET),
                             o.u32(lib.NFTA_PAYLOAD_LEN))
        if base == lib.NFT_PAYLOAD_NETWORK_HEADER:
            if self.family == "inet" and not nfproto:
                return None
            version = 6 if self.family == "ip6" or nfproto == lib.NFPROTO_IPV6 else 4
            f = _ADDR_FIELDS.get((version, off))
            return f if f is not None and length == f.size else None
        if base == lib.NFT_PAYLOAD_TRANSPORT_HEADER and length == 2:
            return _PORT_FIELDS.get((l4proto, off)) if l4proto else {0: Th.sport, 2: Th.dport}.get(off)
        return None

    def _match(self, f: Field, opcode: int, value: object) -> None:
        self.matches.append(Match(f, "==" if opcode == EQ else "!=", value))  # type: ignore[arg-type]

    def _meta(self, o: Op) -> int:
        c = self.at(1, "cmp")
        if c is None:
            return 0
        key, opcode, data = o.u32(lib.NFTA_META_KEY), c.u32(lib.NFTA_CMP_OP), c.data(lib.NFTA_CMP_DATA)
        nxt = self.at(2, "payload")
        if opcode == EQ and nxt is not None and key in (lib.NFT_META_NFPROTO, lib.NFT_META_L4PROTO):
            base = nxt.u32(lib.NFTA_PAYLOAD_BASE)
            n = 0
            if key == lib.NFT_META_NFPROTO and base == lib.NFT_PAYLOAD_NETWORK_HEADER:
                n = self._payload(nxt, nfproto=data[0], skip=2)
            elif key == lib.NFT_META_L4PROTO and base == lib.NFT_PAYLOAD_TRANSPORT_HEADER:
                n = self._payload(nxt, l4proto=data[0], skip=2)
            if n:
                return 2 + n
        f = _META_FIELDS[key]
        if f.kind == "ifname":
            name = data.rstrip(b"\0").decode() if len(data) == 16 else data.decode() + "*"
            self._match(f, opcode, name)
        elif f.kind == "l4proto":
            self._match(f, opcode, data[0])
        else:
            self._match(f, opcode, "ipv4" if data[0] == lib.NFPROTO_IPV4 else "ipv6")
        return 2

    def _payload(self, o: Op, nfproto: int = 0, l4proto: int = 0, skip: int = 0) -> int:
        base, off, length = (o.u32(lib.NFTA_PAYLOAD_BASE), o.u32(lib.NFTA_PAYLOAD_OFFSET),
                             o.u32(lib.NFTA_PAYLOAD_LEN))
        k = skip + 1
        mask = None
        if self.at(k, "bitwise") is not None:
            mask = self.ops[self.i + k].data(lib.NFTA_BITWISE_MASK)
            k += 1
        test = self.at(k, "cmp") or self.at(k, "lookup") or self.at(k, "range")
        if test is None:
            return 0
        if base == lib.NFT_PAYLOAD_NETWORK_HEADER:
            version = 6 if self.family == "ip6" or nfproto == lib.NFPROTO_IPV6 else 4
            if self.family == "inet" and not nfproto:
                return 0
            f: Field = _ADDR_FIELDS[(version, off)]
        elif base == lib.NFT_PAYLOAD_TRANSPORT_HEADER and length == 2 and mask is None:
            f = _PORT_FIELDS[(l4proto, off)] if l4proto else {0: Th.sport, 2: Th.dport}[off]
        else:
            return 0
        if test.name == "range":
            if test.u32(lib.NFTA_RANGE_OP) != lib.NFT_RANGE_NEQ or not isinstance(f, PortField):
                return 0
            lo, hi = (int.from_bytes(test.data(a), "big") for a in (lib.NFTA_RANGE_FROM_DATA, lib.NFTA_RANGE_TO_DATA))
            self.matches.append(Match(f, "!=", PortRange(lo, hi)))
            return k + 1 - skip
        hi_cmp = self.at(k + 1, "cmp")
        if test.name == "cmp" and test.u32(lib.NFTA_CMP_OP) == lib.NFT_CMP_GTE and hi_cmp is not None \
                and hi_cmp.u32(lib.NFTA_CMP_OP) == lib.NFT_CMP_LTE and isinstance(f, PortField):
            lo, hi = (int.from_bytes(c.data(lib.NFTA_CMP_DATA), "big") for c in (test, hi_cmp))
            self.matches.append(Match(f, "==", PortRange(lo, hi)))
            return k + 2 - skip
        if test.name == "lookup":
            if test.get(lib.NFTA_LOOKUP_DREG) is not None:
                return 0                  # a map lookup: _keyed reads it
            inv = test.u32(lib.NFTA_LOOKUP_FLAGS) & lib.NFT_LOOKUP_F_INV
            name = test.get(lib.NFTA_LOOKUP_SET)
            assert isinstance(name, str)
            self.matches.append(Match(f, "not in" if inv else "in", SetRef(name)))
            return k + 1 - skip
        data, opcode = test.data(lib.NFTA_CMP_DATA), test.u32(lib.NFTA_CMP_OP)
        if isinstance(f, AddrField):
            prefix = sum(bin(b).count("1") for b in mask) if mask is not None else 8 * length
            raw = data.ljust(f.size, b"\0")
            net = ipaddress.ip_network((raw if version == 4 else int.from_bytes(raw, "big"), prefix))
            self._match(f, opcode, net)
        else:
            self._match(f, opcode, int.from_bytes(data, "big"))
        return k + 1 - skip

    def _ct(self, o: Op) -> int:
        b, c = self.at(1, "bitwise"), self.at(2, "cmp")
        if o.u32(lib.NFTA_CT_KEY) != lib.NFT_CT_STATE or b is None or c is None:
            return 0
        bits = int.from_bytes(b.data(lib.NFTA_BITWISE_MASK), "little")
        states = frozenset(n for n, v in CT_STATES.items() if bits & v)
        if c.data(lib.NFTA_CMP_DATA) != bytes(4) or sum(CT_STATES[n] for n in states) != bits:
            return 0
        self.matches.append(Match(Ct.state, "==" if c.u32(lib.NFTA_CMP_OP) == NEQ else "!=", states))
        return 3

    def _fib(self, o: Op) -> int:
        c = self.at(1, "cmp")
        if c is None or o.u32(lib.NFTA_FIB_RESULT) != lib.NFT_FIB_RESULT_ADDRTYPE or \
                o.u32(lib.NFTA_FIB_FLAGS) != lib.NFTA_FIB_F_DADDR:
            return 0
        value = int.from_bytes(c.data(lib.NFTA_CMP_DATA), "little")
        names = {v: k for k, v in ADDR_TYPES.items()}
        self._match(Fib.daddr_type, c.u32(lib.NFTA_CMP_OP), names[value])
        return 2

    def _counter(self, o: Op) -> int:
        self.stmts.append(Counter(int.from_bytes(o.data(lib.NFTA_COUNTER_PACKETS), "big"),
                                  int.from_bytes(o.data(lib.NFTA_COUNTER_BYTES), "big")))
        return 1

    def _immediate(self, o: Op) -> int:
        reg = o.u32(lib.NFTA_IMMEDIATE_DREG)
        v = o.get(lib.NFTA_IMMEDIATE_DATA)
        if reg == lib.NFT_REG_VERDICT:
            code, chain = v if isinstance(v, tuple) else (v, None)
            kind = {c: k for k, c in Verdict.CODES.items()}[code]   # type: ignore[index]
            self.stmts.append(Verdict(kind, chain))
        else:
            assert isinstance(v, bytes)
            self.regs[reg] = (self.i, v)
        return 1

    def _reg(self, reg: int) -> bytes:
        return self.regs.pop(reg)[1]

    def _ports(self, o: Op, lo_attr: int, hi_attr: int) -> Optional[tuple[int, int]]:
        lo_reg, hi_reg = o.u32(lo_attr), o.u32(hi_attr)
        if not lo_reg:
            return None
        lo = int.from_bytes(self._reg(lo_reg), "big")
        hi = int.from_bytes(self._reg(hi_reg), "big") if hi_reg and hi_reg != lo_reg else lo
        return (lo, hi)

    def _flags(self, flags: int) -> dict[str, bool]:
        return {"random": bool(flags & lib.NF_NAT_RANGE_PROTO_RANDOM),
                "fully_random": bool(flags & lib.NF_NAT_RANGE_PROTO_RANDOM_FULLY),
                "persistent": bool(flags & lib.NF_NAT_RANGE_PERSISTENT)}

    def _nat(self, o: Op) -> int:
        flags = o.u32(lib.NFTA_NAT_FLAGS) & ~IMPLIED
        addr_reg = o.u32(lib.NFTA_NAT_REG_ADDR_MIN)
        if not addr_reg or addr_reg not in self.regs:
            return 0
        max_reg = o.u32(lib.NFTA_NAT_REG_ADDR_MAX, addr_reg)
        addr = str(ipaddress.ip_address(self._reg(addr_reg)))
        if max_reg != addr_reg:
            addr += "-" + str(ipaddress.ip_address(self._reg(max_reg)))
        ports = self._ports(o, lib.NFTA_NAT_REG_PROTO_MIN, lib.NFTA_NAT_REG_PROTO_MAX)
        cls = Snat if o.u32(lib.NFTA_NAT_TYPE) == lib.NFT_NAT_SNAT else Dnat
        self.stmts.append(cls(addr, ports, **self._flags(flags)))
        return 1

    def _masq(self, o: Op) -> int:
        ports = self._ports(o, lib.NFTA_MASQ_REG_PROTO_MIN, lib.NFTA_MASQ_REG_PROTO_MAX)
        self.stmts.append(Masquerade(ports, **self._flags(o.u32(lib.NFTA_MASQ_FLAGS) & ~IMPLIED)))
        return 1

    def _redir(self, o: Op) -> int:
        self.stmts.append(Redirect(self._ports(o, lib.NFTA_REDIR_REG_PROTO_MIN, lib.NFTA_REDIR_REG_PROTO_MAX)))
        return 1


def _reg32(reg: int) -> int:
    """A register as a 32-bit slot index (the kernel lists aligned 32-bit registers as 128-bit ones)."""
    return (reg - int(lib.NFT_REG32_00)) if reg >= lib.NFT_REG32_00 else (reg - 1) * 4


def _dep_sig(ops: Sequence[Op]) -> list[tuple[int, bytes]]:
    return [(ops[k].u32(lib.NFTA_META_KEY), ops[k + 1].data(lib.NFTA_CMP_DATA)) for k in range(0, len(ops) - 1, 2)]


def decompile(ops: Sequence[Op], family: str) -> tuple[list[Match], list[Statement]]:
    """Matches and statements from a rule's kernel expressions."""
    return _Reader(ops, family).run()


def comment_of(userdata: Optional[bytes]) -> Optional[str]:
    """The comment in nft's rule userdata TLVs, if any."""
    raw = userdata or b""
    i = 0
    while i + 2 <= len(raw):
        t, n = raw[i], raw[i + 1]
        if t == UDATA_COMMENT:
            return raw[i + 2:i + 2 + n].split(b"\0", 1)[0].decode("utf-8", "replace")
        i += 2 + n
    return None


RuleLike = Union[Rule, Sequence[Union[Match, Statement]]]

__all__ = ["Rule", "Chain", "Table", "NamedSet", "decompile", "comment_of", "HOOKS", "HOOK_NAMES", "POLICIES",
           "CHAIN_TYPES"]
