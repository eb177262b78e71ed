"""What every link has: the spec base (``Link``), bridge-port options, and the read-back view.

Kinds (pynetlink/rtnl/kinds/) subclass ``Link`` with their own fields and ``info_data``,
and ``LinkView`` with typed properties over ``IFLA_INFO_DATA``.
"""
from __future__ import annotations

import struct
from .._record import record, replace as record_replace

from .._native import lib
from ..codec.columns import HEX, text
from ..codec.rows import NONE, Pluck, Rows
from ..errors import InvalidArgument
from . import validate as v
from .message import Msg
from .request import Resolve
from .view import MessageView, c_fields
from ..codec.columns import _cview
from .validate import LinkRef, NetnsRef

TYPE_CHECKING = False        # typing is not imported at run time
if TYPE_CHECKING:
    from dataclasses import KW_ONLY
    from typing import Any, ClassVar, Iterator, Sequence
    from .stats import LinkStats

_IFI = struct.Struct("=BxHiII")
OPERSTATES = ("unknown", "notpresent", "down", "lowerlayerdown", "testing", "dormant", "up")
_IFF = {"up": lib.IFF_UP, "broadcast": lib.IFF_BROADCAST, "loopback": lib.IFF_LOOPBACK,
        "pointopoint": lib.IFF_POINTOPOINT, "running": lib.IFF_RUNNING, "noarp": lib.IFF_NOARP,
        "promisc": lib.IFF_PROMISC, "allmulti": lib.IFF_ALLMULTI, "master": lib.IFF_MASTER,
        "slave": lib.IFF_SLAVE, "multicast": lib.IFF_MULTICAST, "lower_up": lib.IFF_LOWER_UP,
        "dormant": lib.IFF_DORMANT}


# attribute types as plain ints, read once (a cffi lib attribute costs a lookup each time)
_LINKINFO, _INFO_DATA, _INFO_KIND = int(lib.IFLA_LINKINFO), int(lib.IFLA_INFO_DATA), int(lib.IFLA_INFO_KIND)
_IFNAME, _OPERSTATE, _MTU = int(lib.IFLA_IFNAME), int(lib.IFLA_OPERSTATE), int(lib.IFLA_MTU)
_ADDRESS, _MASTER, _IFF_UP = int(lib.IFLA_ADDRESS), int(lib.IFLA_MASTER), int(lib.IFF_UP)
_LINK = int(lib.IFLA_LINK)
_FLAG_SETS: dict[int, frozenset[str]] = {}   # (a plain dict, not a Bounded: LinkView.flags reads it in C)
# the columns a dump plucks for its views (offsets into _IFI): _c[1 ...]
PLUCK = Pluck(int(lib.RTM_NEWLINK), _IFI.size, (
    ("hdrs", 4, 4), ("hdr", 8, 4), ("u", _MTU), ("u", _MASTER),             # 1 index, 2 flags, 3 mtu, 4 master
    ("u", _OPERSTATE), ("span", _IFNAME), ("span", _ADDRESS),              # 5 operstate, 6 name, 7 mac
    ("span", _LINKINFO, _INFO_KIND), ("row", _LINKINFO),                   # 8 kind, 9 IFLA_LINKINFO row
    ("row", _LINKINFO, _INFO_DATA), ("u", _LINK)))                         # 10 IFLA_INFO_DATA row, 11 link
# a dump's views share a columns.table of PLUCK with these text slots (made on first use)
T_NAME, T_MAC, T_KIND = PLUCK.width, PLUCK.width + 1, PLUCK.width + 2
TEXTS = 3


def fmt_mac(raw: bytes) -> str:
    return raw.hex(":")


# -- bridge port options (IFLA_INFO_SLAVE_DATA of a link enslaved to a bridge) ----------------
@record(frozen=True, kw_only=True)
class BridgePort:
    """Options of a link as a bridge port (``ip link set X type bridge_slave ...``)."""

    hairpin: bool | None = None
    isolated: bool | None = None
    learning: bool | None = None
    flood: bool | None = None           # unicast flooding
    mcast_flood: bool | None = None
    bcast_flood: bool | None = None
    neigh_suppress: bool | None = None  # ARP/ND answered or kept local, not flooded here (vxlan)
    cost: int | None = None
    priority: int | None = None

    def __post_init__(self) -> None:
        for f in ("hairpin", "isolated", "learning", "flood", "mcast_flood", "bcast_flood",
                  "neigh_suppress"):
            if getattr(self, f) is not None:
                v.boolean(getattr(self, f), f"BridgePort.{f}")
        if self.cost is not None:
            v.integer(self.cost, "BridgePort.cost", 1, 0xFFFFFFFF)
        if self.priority is not None:
            v.integer(self.priority, "BridgePort.priority", 0, 63)

    def encode(self, m: Msg) -> None:
        for attr, f in _PORT_FLAGS:
            val = getattr(self, f)
            if val is not None:
                m.u8(attr, f"BridgePort.{f}", int(val))
        if self.cost is not None:
            m.u32(lib.IFLA_BRPORT_COST, "BridgePort.cost", self.cost)
        if self.priority is not None:
            m.u16(lib.IFLA_BRPORT_PRIORITY, "BridgePort.priority", self.priority)


_PORT_FLAGS = ((lib.IFLA_BRPORT_MODE, "hairpin"), (lib.IFLA_BRPORT_ISOLATED, "isolated"),
               (lib.IFLA_BRPORT_LEARNING, "learning"), (lib.IFLA_BRPORT_UNICAST_FLOOD, "flood"),
               (lib.IFLA_BRPORT_MCAST_FLOOD, "mcast_flood"), (lib.IFLA_BRPORT_BCAST_FLOOD, "bcast_flood"),
               (lib.IFLA_BRPORT_NEIGH_SUPPRESS, "neigh_suppress"))


# -- the spec base ------------------------------------------------------------------------
@record(frozen=True)
class Link:
    """Fields every link has; a kind subclasses this (as vishvananda's LinkAttrs).

    ``netns`` creates the link directly inside that namespace (a NetNS, name, path or pid);
    a ``parent`` is then still looked up here, as the kernel expects. ``port`` applies
    bridge-port options right after creation (needs ``master``).
    """

    kind: ClassVar[str] = ""
    name: str
    _: KW_ONLY
    up: bool = False
    mtu: int | None = None
    mac: str | None = None
    master: LinkRef | None = None
    txqlen: int | None = None
    alias: str | None = None
    group: int | None = None
    netns: NetnsRef | None = None
    port: BridgePort | None = None

    def __post_init__(self) -> None:
        t = type(self).__name__
        v.ifname(self.name, f"{t}.name")
        v.boolean(self.up, f"{t}.up")
        check_common(t, mtu=self.mtu, mac=self.mac, master=self.master, txqlen=self.txqlen,
                     alias=self.alias, group=self.group)
        if self.netns is not None:
            v.netns_ref(self.netns, f"{t}.netns")
            if self.master is not None:
                raise InvalidArgument(f"{t}: master and netns together are not supported "
                                        "(the master would be looked up in the other namespace)")
        if self.port is not None:
            if not isinstance(self.port, BridgePort):
                raise InvalidArgument(f"{t}.port: expected a BridgePort, not {self.port!r}")
            if self.master is None:
                raise InvalidArgument(f"{t}.port: bridge port options need a master")
        self.check()

    # -- what kinds override ------------------------------------------------------------
    def check(self) -> None:
        """Validate the kind's own fields (raise InvalidArgument): its declared options
        (``rtnl.options``); a kind adds what they cannot say."""
        from .options import check_options
        check_options(self)

    def info_kind(self) -> str:
        return self.kind

    def lower(self) -> LinkRef | None:
        """The link this one sits on (IFLA_LINK), looked up in the current namespace."""
        return None

    def info_data(self, m: Msg, resolve: Resolve, create: bool) -> None:
        """Append the kind's IFLA_INFO_DATA attributes: its declared options, in order."""
        from .options import put_options
        put_options(self, m, resolve, create)

    def netns_refs(self) -> tuple[tuple[str, NetnsRef], ...]:
        """(field, namespace) of every other namespace the request names."""
        return () if self.netns is None else ((f"{type(self).__name__}.netns", self.netns),)

    def created_names(self) -> tuple[str, ...]:
        """Names of links this spec makes in the current namespace."""
        return () if self.netns is not None else (self.name,)

    def needs(self) -> tuple[str, ...]:
        lower, master = self.lower(), self.master
        if lower is None:                       # most links: none, or a master by name
            return (master,) if isinstance(master, str) else ()
        return tuple(r for r in (lower, master) if isinstance(r, str))

    def replace(self, **changes: Any) -> "Link":
        return record_replace(self, **changes)


def check_common(t: str, *, mtu: object = None, mac: object = None, master: object = None,
                 txqlen: object = None, alias: object = None, group: object = None) -> None:
    if mtu is not None:
        v.integer(mtu, f"{t}.mtu", 68, 65535)
    if mac is not None:
        v.device_mac(mac, f"{t}.mac")
    if master is not None:
        v.link_ref(master, f"{t}.master")
    if txqlen is not None:
        v.integer(txqlen, f"{t}.txqlen", 0, 0xFFFFFFFF)
    if alias is not None:
        v.text(alias, f"{t}.alias", 255)
    if group is not None:
        v.integer(group, f"{t}.group", 0, 0xFFFFFFFF)


def put_common(m: Msg, t: str, resolve: Resolve, *, mtu: int | None = None, mac: str | None = None,
               master: LinkRef | None = None, txqlen: int | None = None, alias: str | None = None,
               group: int | None = None, netns: NetnsRef | None = None) -> None:
    """The IFLA_* attributes shared by create and change, in iproute2's order."""
    if mtu is not None:
        m.u32(lib.IFLA_MTU, f"{t}.mtu", mtu)
    if mac is not None:
        m.binary(lib.IFLA_ADDRESS, f"{t}.mac", v.mac(mac))
    if master is not None:
        m.u32(lib.IFLA_MASTER, f"{t}.master", 0 if master == 0 else resolve(master))
    if txqlen is not None:
        m.u32(lib.IFLA_TXQLEN, f"{t}.txqlen", txqlen)
    if alias is not None:
        m.string(lib.IFLA_IFALIAS, f"{t}.alias", alias, 256)
    if group is not None:
        m.u32(lib.IFLA_GROUP, f"{t}.group", group)
    if netns is not None:
        put_netns(m, t, netns)


def put_netns(m: Msg, t: str, netns: NetnsRef) -> None:
    """IFLA_NET_NS_PID for a pid, else IFLA_NET_NS_FD of the opened namespace file."""
    if isinstance(netns, int):
        m.u32(lib.IFLA_NET_NS_PID, f"{t}.netns", netns)
    else:
        m.netns_fd(lib.IFLA_NET_NS_FD, f"{t}.netns", v.netns_path(netns))


def put_info(m: Msg, spec: Link, resolve: Resolve, create: bool) -> None:
    """IFLA_LINKINFO { KIND, DATA {...} }; an empty DATA nest is left out."""
    t = type(spec).__name__
    m.nest(lib.IFLA_LINKINFO, f"{t}.linkinfo")
    m.string(lib.IFLA_INFO_KIND, f"{t}.kind", spec.info_kind())
    mark = len(m.ops)
    m.nest(lib.IFLA_INFO_DATA, f"{t}.data")
    spec.info_data(m, resolve, create)
    if len(m.ops) == mark + 1:
        m.ops.pop()
    else:
        m.end()
    m.end()


def put_port(m: Msg, port: BridgePort) -> None:
    m.nest(lib.IFLA_LINKINFO, "BridgePort.linkinfo")
    m.string(lib.IFLA_INFO_SLAVE_KIND, "BridgePort.kind", "bridge")
    m.nest(lib.IFLA_INFO_SLAVE_DATA, "BridgePort.data")
    port.encode(m)
    m.end().end()


# -- the view -----------------------------------------------------------------------------
class LinkView(MessageView):
    """A link as the kernel reported it; attributes are read from the rows on access (in a
    dump: from the views' shared ``columns.table``, ``_c``, at index ``_b`` of each column)."""

    __slots__ = ()
    HEADER = _IFI
    FIELDS: ClassVar[tuple[str, ...]] = (
        "index", "name", "kind", "up", "operstate", "mtu", "mac", "master", "link", "link_netnsid",
        "txqlen", "alias", "group", "flags", "port")
    KIND_FIELDS: ClassVar[tuple[str, ...]] = ()

    def __init__(self, rows: Rows, msg: int, info: int | None = None) -> None:
        """``info``: the IFLA_LINKINFO row as the caller found it (view_of; found again
        when read: a view has no slot for it, so a dump's views can be compact)."""
        self._rows = rows
        self._m = msg
        self._h = None
        self._c = None
        self._b = 0

    def _row_of(self, col: int) -> int:
        """Row column ``col`` of a dump's table (-1: absent)."""
        r: int = self._c[col][self._b]
        return -1 if r == NONE else r

    @property
    def _info(self) -> int:
        """The IFLA_LINKINFO row, -1 without one (a dump's: from its table)."""
        if self._c is not None:
            return self._row_of(9)
        return self._rows.find(self._m, _LINKINFO)

    @property
    def _data(self) -> int:
        """The IFLA_INFO_DATA row, -1 without one (a dump's: from its table)."""
        if self._c is not None:
            return self._row_of(10)
        info = self._info
        return self._rows.find(info, _INFO_DATA) if info >= 0 else -1

    def _d(self, attr: int) -> int | None:
        """A scalar of IFLA_INFO_DATA."""
        d = self._data
        return self._rows.get_u(d, attr) if d >= 0 else None

    def _dbytes(self, attr: int) -> bytes | None:
        d = self._data
        return self._rows.get_bytes(d, attr) if d >= 0 else None

    @property
    def index(self) -> int:
        c: Any = self._c
        i: int
        if c is not None and (i := c[1][self._b]) != NONE:
            return i - (1 << 64) if i >> 63 else i
        return self._header[2]

    @property
    def name(self) -> str:
        c: Any = self._c
        if c is not None:
            return (c[T_NAME] or text(c, T_NAME, 6))[self._b]
        return self._rows.get_str(self._m, _IFNAME) or ""

    @property
    def kind(self) -> str | None:
        """IFLA_INFO_KIND, or None for links without one (lo, physical NICs)."""
        c: Any = self._c
        if c is not None:
            k: str = (c[T_KIND] or text(c, T_KIND, 8))[self._b]
            return None if not k and c[8][self._b] == NONE else k
        info = self._info
        return self._rows.get_str(info, _INFO_KIND) if info >= 0 else None

    @property
    def flags(self) -> frozenset[str]:
        c: Any = self._c
        if c is None or (f := c[2][self._b]) == NONE:
            f = self._header[3]
        names = _FLAG_SETS.get(f)
        if names is None:
            names = frozenset(n for n, bit in _IFF.items() if f & bit)
            if len(_FLAG_SETS) < 4096:                  # a handful of distinct values in practice
                _FLAG_SETS[f] = names
        return names

    @property
    def up(self) -> bool:
        c: Any = self._c
        if c is None or (f := c[2][self._b]) == NONE:
            f = self._header[3]
        return bool(f & _IFF_UP)

    @property
    def operstate(self) -> str:
        c: Any = self._c
        if c is not None:
            v = c[5][self._b]
            return OPERSTATES[v] if v < 7 else "unknown"       # NONE included
        s = self._rows.get_u(self._m, _OPERSTATE)
        return OPERSTATES[s] if s is not None and s < len(OPERSTATES) else "unknown"

    @property
    def mtu(self) -> int | None:
        c: Any = self._c
        if c is not None:
            v = c[3][self._b]
            return None if v == NONE else v
        return self._rows.get_u(self._m, _MTU)

    @property
    def mac(self) -> str | None:
        c: Any = self._c
        if c is not None:
            return (c[T_MAC] or text(c, T_MAC, 7, HEX))[self._b] or None
        raw = self._rows.get_bytes(self._m, _ADDRESS)
        return raw.hex(":") if raw else None

    @property
    def master(self) -> int | None:
        """ifindex of the master (bridge), or None."""
        c: Any = self._c
        if c is not None:
            v = c[4][self._b]
            return None if v == NONE else v or None
        return self._rows.get_u(self._m, _MASTER) or None

    @property
    def link(self) -> int | None:
        """IFLA_LINK: the parent (macvlan, vlan...) or veth peer ifindex, maybe in another netns."""
        c: Any = self._c
        if c is not None:
            v = c[11][self._b]
            return None if v == NONE else v
        return self._u(_LINK)

    @property
    def link_netnsid(self) -> int | None:
        """nsid (as seen from here) of the namespace ``link`` lives in, when not this one."""
        r = self._rows.find(self._m, lib.IFLA_LINK_NETNSID)
        return None if r < 0 else self._rows.s(r)

    @property
    def txqlen(self) -> int | None:
        return self._u(lib.IFLA_TXQLEN)

    @property
    def alias(self) -> str | None:
        return self._rows.get_str(self._m, lib.IFLA_IFALIAS) or None

    @property
    def group(self) -> int | None:
        return self._u(lib.IFLA_GROUP)

    @property
    def port(self) -> "BridgePortView | None":
        """Bridge-port options when enslaved to a bridge."""
        info = self._info
        if info < 0 or self._rows.get_str(info, lib.IFLA_INFO_SLAVE_KIND) != "bridge":
            return None
        r = self._rows.find(info, lib.IFLA_INFO_SLAVE_DATA)
        return BridgePortView(self._rows, r) if r >= 0 else None

    @property
    def stats(self) -> "LinkStats | None":
        """IFLA_STATS64 counters (``rx_bytes``, ``tx_packets``...; the kernel sends them with
        every link), None when absent. Not part of ``to_dict()`` (``ip -s`` shows them apart)."""
        r = self._rows.find(self._m, lib.IFLA_STATS64)
        if r < 0:
            return None
        from .stats import LinkStats
        return LinkStats.from_bytes(self._rows.payload(r), self._rows.off[r])

    @property
    def raw(self) -> dict[str, object]:
        """Every attribute as a plain dict (names from the kernel's YNL spec)."""
        return self._rows.tree(self._m)

    def fields(self) -> Iterator[str]:
        yield from self.FIELDS
        yield from self.KIND_FIELDS

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.index}: {self.name} kind={self.kind}>"


if _cview is not None:
    _F = _cview
    c_fields(LinkView, index=(_F.F_SINT, 1), name=(_F.F_STR, 6, -1, ""), kind=(_F.F_STR, 8, -1, None),
             flags=(_F.F_CACHED, 2, -1, _FLAG_SETS), up=(_F.F_BIT, 2, -1, None, None, int(_IFF_UP)),
             operstate=(_F.F_INDEX, 5, -1, OPERSTATES, "unknown"), mtu=(_F.F_OPT, 3),
             mac=(_F.F_HEX, 7), master=(_F.F_NONZERO, 4), link=(_F.F_OPT, 11))


class BridgePortView:
    """IFLA_BRPORT_* of an enslaved link."""

    __slots__ = ("_rows", "_r")
    FIELDS = ("state", "hairpin", "isolated", "learning", "flood", "mcast_flood", "bcast_flood",
              "neigh_suppress", "cost", "priority")
    STATES = ("disabled", "listening", "learning", "forwarding", "blocking")

    def __init__(self, rows: Rows, row: int) -> None:
        self._rows = rows
        self._r = row

    def _flag(self, attr: int) -> bool | None:
        raw = self._rows.get_bytes(self._r, attr)
        return bool(raw[0]) if raw else None

    @property
    def state(self) -> str | None:
        s = self._rows.get_u(self._r, lib.IFLA_BRPORT_STATE)
        return None if s is None else (self.STATES[s] if s < len(self.STATES) else str(s))

    hairpin = property(lambda self: self._flag(lib.IFLA_BRPORT_MODE))
    isolated = property(lambda self: self._flag(lib.IFLA_BRPORT_ISOLATED))
    learning = property(lambda self: self._flag(lib.IFLA_BRPORT_LEARNING))
    flood = property(lambda self: self._flag(lib.IFLA_BRPORT_UNICAST_FLOOD))
    mcast_flood = property(lambda self: self._flag(lib.IFLA_BRPORT_MCAST_FLOOD))
    bcast_flood = property(lambda self: self._flag(lib.IFLA_BRPORT_BCAST_FLOOD))
    neigh_suppress = property(lambda self: self._flag(lib.IFLA_BRPORT_NEIGH_SUPPRESS))

    @property
    def cost(self) -> int | None:
        return self._rows.get_u(self._r, lib.IFLA_BRPORT_COST)

    @property
    def priority(self) -> int | None:
        return self._rows.get_u(self._r, lib.IFLA_BRPORT_PRIORITY)

    def to_dict(self) -> dict[str, Any]:
        return {f: getattr(self, f) for f in self.FIELDS}

    def __repr__(self) -> str:
        return f"<BridgePortView {self.to_dict()}>"


def header_fields(rows: Rows, msg: int) -> Sequence[int]:
    return _IFI.unpack(rows.header(msg, _IFI.size))
