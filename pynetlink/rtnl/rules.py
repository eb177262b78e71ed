"""Policy routing rules (``ip rule``): the ``Rule`` spec, add/delete/dump, ``RuleView``."""
from __future__ import annotations

import _socket as socket  # the C module: socket.py (and its enums) is ~2 ms of each CNI plugin start
import struct
from .._record import record

from .._native import lib
from ..codec.rows import Rows
from ..errors import InvalidArgument
from . import validate as v
from .message import Msg
from .request import Request, Resolve
from .routes import PROTOCOL_NAMES, PROTOCOLS, TABLE_NAMES, Table, table_id
from .view import MessageView

TYPE_CHECKING = False       # typing is not imported at run time
if TYPE_CHECKING:
    from dataclasses import KW_ONLY
    from typing import Any, ClassVar

ACTIONS = {"table": lib.FR_ACT_TO_TBL, "goto": lib.FR_ACT_GOTO, "nop": lib.FR_ACT_NOP,
           "blackhole": lib.FR_ACT_BLACKHOLE, "unreachable": lib.FR_ACT_UNREACHABLE,
           "prohibit": lib.FR_ACT_PROHIBIT}
ACTION_NAMES = {n: k for k, n in ACTIONS.items()}
IP_PROTOS = {"tcp": socket.IPPROTO_TCP, "udp": socket.IPPROTO_UDP, "icmp": socket.IPPROTO_ICMP,
             "ipv6-icmp": socket.IPPROTO_ICMPV6, "sctp": socket.IPPROTO_SCTP,
             "gre": socket.IPPROTO_GRE, "esp": socket.IPPROTO_ESP, "ah": socket.IPPROTO_AH}
IP_PROTO_NAMES = {n: k for k, n in IP_PROTOS.items()}
_HDR = struct.Struct("=BBBBBBBBI")           # struct fib_rule_hdr
_U16_PAIR = struct.Struct("=HH")             # struct fib_rule_port_range
_U32_PAIR = struct.Struct("=II")             # struct fib_rule_uid_range
_ACK = lib.NLM_F_REQUEST | lib.NLM_F_ACK
Range = tuple[int, int]


@record(frozen=True)
class Rule:
    """A rule: ``Rule(100, src="198.51.100.0/24", table=100)``, ``Rule(fwmark=1, table="main")``,
    ``Rule(200, action="blackhole")``, ``Rule(src="2001:db8::/32", table=10)``.

    The selectors as ``ip rule``: ``src``/``dst`` (from/to prefixes), ``iif``/``oif`` (interface
    names; they may not exist yet), ``fwmark`` with ``fwmask``, ``tos``, ``uid_range``,
    ``sport``/``dport`` (a port or a (first, last) range), ``ip_proto``, ``l3mdev``, and
    ``invert`` (``not``). The action: ``table`` (a number > 255 too, or main/local/default),
    ``goto`` (a priority), ``action="blackhole"|"unreachable"|"prohibit"|"nop"``;
    ``suppress_prefixlength``/``suppress_ifgroup`` refine a table lookup. ``family`` (4 or 6)
    is only needed where no address tells (default 4). Defaults as ``ip rule``: table main.
    """

    priority: int | None = None
    _: KW_ONLY
    src: str | None = None
    dst: str | None = None
    iif: str | None = None
    oif: str | None = None
    fwmark: int | None = None
    fwmask: int | None = None
    tos: int = 0
    table: Table | None = None
    goto: int | None = None
    action: str | None = None
    uid_range: Range | None = None
    sport: int | Range | None = None
    dport: int | Range | None = None
    ip_proto: str | int | None = None
    l3mdev: bool = False
    suppress_prefixlength: int | None = None
    suppress_ifgroup: int | None = None
    protocol: str | int | None = None
    invert: bool = False
    family: int | None = None

    def __post_init__(self) -> None:
        d = self.__dict__
        if self.priority is not None:
            v.integer(self.priority, "Rule.priority", 0, 0xFFFFFFFF)
        src = v.packed_cidr(self.src, "Rule.src") if self.src is not None else None
        dst = v.packed_cidr(self.dst, "Rule.dst") if self.dst is not None else None
        fam = v.family_of_packed(src and src[0], dst and dst[0])
        if src is None and dst is None:
            fam = v.family(self.family) if self.family is not None else socket.AF_INET
        elif self.family is not None and v.family(self.family) != fam:
            raise InvalidArgument(f"Rule.family: {self.family} does not match the addresses")
        for name in ("iif", "oif"):
            if getattr(self, name) is not None:
                v.ifname(getattr(self, name), f"Rule.{name}")
        for name in ("fwmark", "fwmask", "suppress_prefixlength", "suppress_ifgroup"):
            if getattr(self, name) is not None:
                v.integer(getattr(self, name), f"Rule.{name}", 0, 0xFFFFFFFF)
        if self.fwmask is not None and self.fwmark is None:
            raise InvalidArgument("Rule.fwmask: needs fwmark")
        v.integer(self.tos, "Rule.tos", 0, 255)
        for name in ("l3mdev", "invert"):
            v.boolean(getattr(self, name), f"Rule.{name}")
        table = table_id(self.table, "Rule.table") if self.table is not None else None
        if self.goto is not None:
            v.integer(self.goto, "Rule.goto", 1, 0xFFFFFFFF)
        action = self._action(table)
        if table is None and action == lib.FR_ACT_TO_TBL and not self.l3mdev:
            table = int(lib.RT_TABLE_MAIN)            # as ip rule: a lookup in main
        uids = _range(self.uid_range, "Rule.uid_range", 0xFFFFFFFF)
        sport, dport = _ports(self.sport, "Rule.sport"), _ports(self.dport, "Rule.dport")
        for name, value in (("uid_range", uids), ("sport", sport), ("dport", dport)):
            if isinstance(d[name], list):
                d[name] = value                           # hashable, as the spec is frozen
        d["_packed"] = (fam, src, dst, table, action, uids, sport, dport,
                        _proto(self.ip_proto), _rt_proto(self.protocol))

    def _action(self, table: int | None) -> int:
        given = v.choice(self.action, "Rule.action", ACTIONS) if self.action is not None else None
        if self.goto is not None and given not in (None, lib.FR_ACT_GOTO):
            raise InvalidArgument(f"Rule.goto: excludes action {self.action!r}")
        if table is not None and given not in (None, lib.FR_ACT_TO_TBL):
            raise InvalidArgument(f"Rule.table: excludes action {self.action!r}")
        if self.l3mdev and (table is not None or given not in (None, lib.FR_ACT_TO_TBL)):
            raise InvalidArgument("Rule.l3mdev: the table comes from the l3mdev device; "
                                  "no table or other action")
        if given == lib.FR_ACT_GOTO and self.goto is None:
            raise InvalidArgument("Rule.action: 'goto' needs goto=PRIORITY")
        if given is None:
            given = lib.FR_ACT_GOTO if self.goto is not None else lib.FR_ACT_TO_TBL
        if self.suppress_prefixlength is not None or self.suppress_ifgroup is not None:
            if given != lib.FR_ACT_TO_TBL:
                raise InvalidArgument("Rule.suppress_prefixlength/suppress_ifgroup: only with a table lookup")
        return int(given)

    @property
    def af(self) -> int:
        return int(self.__dict__["_packed"][0])


def _range(value: object, field: str, hi: int) -> Range | None:
    if value is None:
        return None
    if not isinstance(value, (tuple, list)) or len(value) != 2:
        raise InvalidArgument(f"{field}: expected (first, last), not {value!r}")
    lo_, hi_ = (v.integer(x, field, 0, hi) for x in value)
    if lo_ > hi_:
        raise InvalidArgument(f"{field}: first {lo_} is above last {hi_}")
    return lo_, hi_


def _ports(value: object, field: str) -> Range | None:
    if isinstance(value, int) and not isinstance(value, bool):
        p = v.integer(value, field, 1, 0xFFFF)
        return p, p
    r = _range(value, field, 0xFFFF)
    if r is not None and r[0] == 0:
        raise InvalidArgument(f"{field}: ports start at 1")
    return r


def _proto(value: str | int | None) -> int | None:
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        return v.integer(value, "Rule.ip_proto", 1, 255)
    return int(v.choice(value, "Rule.ip_proto", IP_PROTOS))


def _rt_proto(value: str | int | None) -> int | None:
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        return v.integer(value, "Rule.protocol", 0, 255)
    return int(v.choice(value, "Rule.protocol", PROTOCOLS))


def _spec(rule: object) -> Rule:
    if not isinstance(rule, Rule):
        raise InvalidArgument(f"expected a Rule, not {rule!r}")
    return rule


def _msg(r: Rule, op: str, msg_type: int, flags: int, delete: bool = False) -> Msg:
    fam, src, dst, table, action, uids, sport, dport, proto, rtproto = r.__dict__["_packed"]
    if delete and r.action is None and r.goto is None and r.table is None:
        action, table = 0, None                        # match any action, as ip rule del
    m = Msg(op, msg_type, flags).fixed(
        "Rule.header", "BBBBBBBBI", fam, dst[1] if dst else 0, src[1] if src else 0, r.tos,
        table if table is not None and table < 256 else 0, 0, 0, action,
        lib.FIB_RULE_INVERT if r.invert else 0)
    if table is not None and table >= 256:
        m.u32(lib.FRA_TABLE, "Rule.table", table)
    optional = (
        ("u32", lib.FRA_PRIORITY, "priority", r.priority),
        ("binary", lib.FRA_SRC, "src", src and v.masked(*src)[0]),
        ("binary", lib.FRA_DST, "dst", dst and v.masked(*dst)[0]),
        ("string", lib.FRA_IIFNAME, "iif", r.iif), ("string", lib.FRA_OIFNAME, "oif", r.oif),
        ("u32", lib.FRA_FWMARK, "fwmark", r.fwmark), ("u32", lib.FRA_FWMASK, "fwmask", r.fwmask),
        ("u32", lib.FRA_GOTO, "goto", r.goto),
        ("u32", lib.FRA_SUPPRESS_PREFIXLEN, "suppress_prefixlength", r.suppress_prefixlength),
        ("u32", lib.FRA_SUPPRESS_IFGROUP, "suppress_ifgroup", r.suppress_ifgroup),
        ("u8", lib.FRA_L3MDEV, "l3mdev", 1 if r.l3mdev else None),
        ("binary", lib.FRA_UID_RANGE, "uid_range", uids and _U32_PAIR.pack(*uids)),
        ("u8", lib.FRA_PROTOCOL, "protocol", rtproto), ("u8", lib.FRA_IP_PROTO, "ip_proto", proto),
        ("binary", lib.FRA_SPORT_RANGE, "sport", sport and _U16_PAIR.pack(*sport)),
        ("binary", lib.FRA_DPORT_RANGE, "dport", dport and _U16_PAIR.pack(*dport)))
    for method, attr, name, value in optional:
        if value is not None:
            getattr(m, method)(attr, f"Rule.{name}", value)
    return m


def _target(r: Rule) -> str:
    return f"pref {r.priority}" if r.priority is not None else f"from {r.src or 'all'}"


def add(rule: Rule) -> Request[None]:
    """RTM_NEWRULE (``ip rule add``): EEXIST when an equal rule exists."""
    r = _spec(rule)
    flags = _ACK | lib.NLM_F_CREATE | lib.NLM_F_EXCL
    return Request("add rule", _target(r), lambda res: [_msg(r, "add rule", lib.RTM_NEWRULE, flags)],
                   undo=lambda: delete(r))


def delete(rule: Rule) -> Request[None]:
    """RTM_DELRULE (``ip rule del``): the first rule matching what the spec gives."""
    r = _spec(rule)
    return Request("delete rule", _target(r),
                   lambda res: [_msg(r, "delete rule", lib.RTM_DELRULE, _ACK, delete=True)])


def dump(*, family: object = None) -> Request[list[RuleView]]:
    """Views of the IPv4 and IPv6 rules (or one family's), in the kernel's order (priority)."""
    fam = v.family(family)

    def build(resolve: Resolve) -> list[Msg]:
        m = Msg("dump rules", lib.RTM_GETRULE, lib.NLM_F_REQUEST | lib.NLM_F_DUMP, dump=True)
        return [m.fixed("Rule.header", "BBBBBBBBI", fam, 0, 0, 0, 0, 0, 0, 0, 0)]

    def parse(rows: Rows, msgs: list[int]) -> list[RuleView]:
        views = [RuleView(rows, m) for m in msgs]
        return [r for r in views if r._header[0] in (socket.AF_INET, socket.AF_INET6)]

    return Request("dump rules", "all" if fam == socket.AF_UNSPEC else f"family {family}", build,
                   parse=parse, dump=True)


class RuleView(MessageView):
    """A rule as the kernel reported it (``src``/``dst`` None: all; ``table`` a number)."""

    __slots__ = ()
    HEADER = _HDR
    FIELDS: ClassVar[tuple[str, ...]] = (
        "family", "priority", "src", "dst", "iif", "oif", "fwmark", "fwmask", "tos", "table", "action",
        "goto", "uid_range", "sport", "dport", "ip_proto", "l3mdev", "suppress_prefixlength",
        "suppress_ifgroup", "protocol", "invert", "flags")

    @property
    def family(self) -> int:
        return 4 if self._header[0] == socket.AF_INET else 6

    @property
    def priority(self) -> int:
        return self._u(lib.FRA_PRIORITY) or 0

    def _prefix(self, attr: int, plen: int) -> str | None:
        addr = self._ip(attr)
        return None if addr is None else f"{addr}/{plen}"

    @property
    def src(self) -> str | None:
        return self._prefix(lib.FRA_SRC, self._header[2])

    @property
    def dst(self) -> str | None:
        return self._prefix(lib.FRA_DST, self._header[1])

    @property
    def iif(self) -> str | None:
        return self._rows.get_str(self._m, lib.FRA_IIFNAME)

    @property
    def oif(self) -> str | None:
        return self._rows.get_str(self._m, lib.FRA_OIFNAME)

    @property
    def fwmark(self) -> int | None:
        return self._u(lib.FRA_FWMARK)

    @property
    def fwmask(self) -> int | None:
        return self._u(lib.FRA_FWMASK)

    @property
    def tos(self) -> int:
        return self._header[3]

    @property
    def table(self) -> int | None:
        """The table looked up (None for other actions)."""
        t = self._u(lib.FRA_TABLE)
        t = self._header[4] if t is None else t
        return t or None

    @property
    def table_name(self) -> str | None:
        t = self.table
        return None if t is None else TABLE_NAMES.get(t, str(t))

    @property
    def action(self) -> str:
        a = self._header[7]
        return ACTION_NAMES.get(a) or str(a)

    @property
    def goto(self) -> int | None:
        return self._u(lib.FRA_GOTO)

    def _pair(self, attr: int, st: struct.Struct) -> Range | None:
        raw = self._rows.get_bytes(self._m, attr)
        if raw is None or len(raw) < st.size:
            return None
        a, b = st.unpack_from(raw)
        return int(a), int(b)

    @property
    def uid_range(self) -> Range | None:
        return self._pair(lib.FRA_UID_RANGE, _U32_PAIR)

    @property
    def sport(self) -> Range | None:
        return self._pair(lib.FRA_SPORT_RANGE, _U16_PAIR)

    @property
    def dport(self) -> Range | None:
        return self._pair(lib.FRA_DPORT_RANGE, _U16_PAIR)

    @property
    def ip_proto(self) -> str | int | None:
        p = self._u(lib.FRA_IP_PROTO)
        return None if not p else IP_PROTO_NAMES.get(p, p)

    @property
    def l3mdev(self) -> bool:
        return bool(self._u(lib.FRA_L3MDEV))

    @property
    def suppress_prefixlength(self) -> int | None:
        s = self._u(lib.FRA_SUPPRESS_PREFIXLEN)
        return None if s is None or s == 0xFFFFFFFF else s

    @property
    def suppress_ifgroup(self) -> int | None:
        s = self._u(lib.FRA_SUPPRESS_IFGROUP)
        return None if s is None or s == 0xFFFFFFFF else s

    @property
    def protocol(self) -> str:
        p = self._u(lib.FRA_PROTOCOL) or 0
        return PROTOCOL_NAMES.get(p) or str(p)

    @property
    def invert(self) -> bool:
        return bool(self._header[8] & lib.FIB_RULE_INVERT)

    @property
    def flags(self) -> int:
        return int(self._header[8])

    def __repr__(self) -> str:
        return f"<RuleView {self.priority}: from {self.src or 'all'} {self.action} {self.table or ''}>"


def rule_json(r: RuleView, table_names: dict[int, str] | None = None) -> dict[str, Any]:
    """A rule shaped like one entry of ``ip -j rule``."""
    names = TABLE_NAMES if table_names is None else table_names
    out: dict[str, Any] = {"priority": r.priority}
    if r.invert:
        out["not"] = None
    for key, pfx in (("src", r.src), ("dst", r.dst)):
        if pfx is None:
            if key == "src":
                out["src"] = "all"
            continue
        addr, plen = pfx.split("/")
        out[key] = addr
        if int(plen) != (32 if r.family == 4 else 128):
            out[key + "len"] = int(plen)
    if r.tos:
        out["tos"] = hex(r.tos)
    if r.fwmark is not None or r.fwmask is not None:
        out["fwmark"] = hex(r.fwmark or 0)
        if r.fwmask is not None and r.fwmask != 0xFFFFFFFF:
            out["fwmask"] = hex(r.fwmask)
    for key, detached in (("iif", lib.FIB_RULE_IIF_DETACHED), ("oif", lib.FIB_RULE_OIF_DETACHED)):
        if getattr(r, key):
            out[key] = getattr(r, key)
            if r.flags & detached:                     # no such device (yet)
                out[key + "_detached"] = None
    if r.uid_range is not None:
        out["uid_start"], out["uid_end"] = r.uid_range
    if r.ip_proto is not None:
        out["ipproto"] = r.ip_proto
    for key, rng in (("sport", r.sport), ("dport", r.dport)):
        if rng is not None:
            if rng[0] == rng[1]:
                out[key] = rng[0]
            else:
                out[key + "_start"], out[key + "_end"] = rng
    if r.l3mdev:
        out["l3mdev"] = None
    elif r.action == "table" and r.table is not None:
        out["table"] = names.get(r.table, str(r.table))
    if r.suppress_prefixlength is not None:
        out["suppress_prefixlen"] = r.suppress_prefixlength
    if r.suppress_ifgroup is not None:
        out["suppress_ifgroup"] = r.suppress_ifgroup
    if r.action == "goto":
        out["goto"] = r.goto
    elif r.action == "nop":
        out["nop"] = None
    elif r.action not in ("table",):
        out["action"] = r.action
    if r.protocol not in ("unspec", "kernel"):       # as ip without -d
        out["protocol"] = r.protocol
    return out
