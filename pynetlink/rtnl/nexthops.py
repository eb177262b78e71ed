"""Nexthop objects and groups (``ip nexthop``): the ``NexthopObject`` spec, add/replace/delete/
get/dump, ``NexthopObjectView``. Routes use them with ``Route(..., nhid=ID)``."""
from __future__ import annotations

import os
import _socket as socket  # the C module: socket.py (and its enums) is ~2 ms of each CNI plugin start
import struct
from .._record import record

from .._native import lib
from ..codec.rows import Rows
from ..errors import DecodeError, InvalidArgument
from . import validate as v
from .addresses import SCOPE_NAMES
from .message import Msg
from .request import Request, Resolve
from .routes import NH_FLAGS, PROTOCOL_NAMES, PROTOCOLS
from .validate import LinkRef
from .view import MessageView

TYPE_CHECKING = False       # typing is not imported at run time
if TYPE_CHECKING:
    from dataclasses import KW_ONLY
    from typing import Any, ClassVar

GROUP_TYPES = {"mpath": lib.NEXTHOP_GRP_TYPE_MPATH, "resilient": lib.NEXTHOP_GRP_TYPE_RES}
GROUP_TYPE_NAMES = {n: k for k, n in GROUP_TYPES.items()}
_NHMSG = struct.Struct("=BBBBI")              # struct nhmsg
_GRP = struct.Struct("=IBBH")                 # struct nexthop_grp
_ACK = lib.NLM_F_REQUEST | lib.NLM_F_ACK
_HZ = os.sysconf("SC_CLK_TCK")                # the resilient timers are clock_t (USER_HZ)
Member = tuple[int, int]


@record(frozen=True)
class NexthopObject:
    """A nexthop object: ``NexthopObject(1, via="198.51.100.2", dev="eth0")``,
    ``NexthopObject(2, blackhole=True)``, ``NexthopObject(3, via="198.51.100.9", fdb=True)``, or a
    group ``NexthopObject(10, group=(1, (2, 3)))`` (ids, or (id, weight) with weight 1-256);
    ``group_type="resilient"`` with ``buckets``, ``idle_timer``, ``unbalanced_timer`` (seconds).
    ``family`` (4 or 6) is only needed where no gateway tells (default 4; groups have none).
    """

    id: int
    _: KW_ONLY
    via: str | None = None
    dev: LinkRef | None = None
    blackhole: bool = False
    fdb: bool = False
    onlink: bool = False
    group: tuple[int | Member, ...] = ()
    group_type: str = "mpath"
    buckets: int | None = None
    idle_timer: int | None = None
    unbalanced_timer: int | None = None
    protocol: str | int | None = None
    family: int | None = None

    def __post_init__(self) -> None:
        d = self.__dict__
        v.integer(self.id, "NexthopObject.id", 1, 0xFFFFFFFF)
        gw = v.packed_ip(self.via, "NexthopObject.via") if self.via is not None else None
        if self.dev is not None:
            v.link_ref(self.dev, "NexthopObject.dev")
        for name in ("blackhole", "fdb", "onlink"):
            v.boolean(getattr(self, name), f"NexthopObject.{name}")
        members = _members(self.group)
        gtype = int(v.choice(self.group_type, "NexthopObject.group_type", GROUP_TYPES))
        for name, hi in (("buckets", 0xFFFF), ("idle_timer", 0xFFFFFFFF // _HZ),
                         ("unbalanced_timer", 0xFFFFFFFF // _HZ)):
            if getattr(self, name) is not None:
                v.integer(getattr(self, name), f"NexthopObject.{name}", 1 if name == "buckets" else 0, hi)
                if gtype != lib.NEXTHOP_GRP_TYPE_RES:
                    raise InvalidArgument(f"NexthopObject.{name}: only for group_type='resilient'")
        if self.protocol is not None and not isinstance(self.protocol, int):
            v.choice(self.protocol, "NexthopObject.protocol", PROTOCOLS)
        elif self.protocol is not None:
            v.integer(self.protocol, "NexthopObject.protocol", 0, 255)
        if members:
            if gw is not None or self.dev is not None or self.blackhole or self.onlink:
                raise InvalidArgument("NexthopObject.group: a group has no via, dev, blackhole or onlink")
            fam = int(socket.AF_UNSPEC)
        else:
            if gtype != lib.NEXTHOP_GRP_TYPE_MPATH:
                raise InvalidArgument("NexthopObject.group_type: only for a group")
            if self.blackhole and (gw is not None or self.dev is not None or self.fdb):
                raise InvalidArgument("NexthopObject.blackhole: excludes via, dev and fdb")
            if self.fdb and self.dev is not None:
                raise InvalidArgument("NexthopObject.fdb: excludes dev")
            if not self.blackhole and gw is None and self.dev is None:
                raise InvalidArgument("NexthopObject: needs via, dev, blackhole or group")
            if self.fdb and gw is None:
                raise InvalidArgument("NexthopObject.fdb: needs via")
            fam = v.family_of_packed(gw)
            if gw is None:
                fam = v.family(self.family) if self.family is not None else socket.AF_INET
            elif self.family is not None and v.family(self.family) != fam:
                raise InvalidArgument(f"NexthopObject.family: {self.family} does not match via")
        d["group"] = members                          # normalised: (id, weight) pairs
        d["_packed"] = (fam, gw, members, gtype)

    def needs(self) -> tuple[str, ...]:
        return (self.dev,) if isinstance(self.dev, str) else ()


def _members(group: object) -> tuple[Member, ...]:
    if not isinstance(group, (tuple, list)):
        raise InvalidArgument(f"NexthopObject.group: expected ids or (id, weight) pairs, not {group!r}")
    out = []
    for g in group:
        nid, weight = (g, 1) if not isinstance(g, (tuple, list)) else (tuple(g) + (None,))[:2]
        out.append((v.integer(nid, "NexthopObject.group", 1, 0xFFFFFFFF),
                    v.integer(weight, "NexthopObject.group weight", 1, 256)))
    v.unique([n for n, _ in out], "NexthopObject.group")
    return tuple(out)


def _spec(nh: object) -> NexthopObject:
    if not isinstance(nh, NexthopObject):
        raise InvalidArgument(f"expected a NexthopObject, not {nh!r}")
    return nh


def _head(m: Msg, fam: int, flags: int = 0, protocol: int = 0) -> Msg:
    return m.fixed("Nexthop.header", "BBBBI", fam, 0, protocol, 0, flags)


def _msg(n: NexthopObject, op: str, flags: int, resolve: Resolve) -> Msg:
    fam, gw, members, gtype = n.__dict__["_packed"]
    proto = 0 if n.protocol is None else (
        n.protocol if isinstance(n.protocol, int) else int(PROTOCOLS[n.protocol.lower()]))
    m = _head(Msg(op, lib.RTM_NEWNEXTHOP, flags), fam, lib.RTNH_F_ONLINK if n.onlink else 0, proto)
    m.u32(lib.NHA_ID, "Nexthop.id", n.id)
    if members:
        m.binary(lib.NHA_GROUP, "Nexthop.group", b"".join(_GRP.pack(i, w - 1, 0, 0) for i, w in members))
        m.u16(lib.NHA_GROUP_TYPE, "Nexthop.group_type", gtype)
        if gtype == lib.NEXTHOP_GRP_TYPE_RES and (n.buckets, n.idle_timer, n.unbalanced_timer) != (None,) * 3:
            m.nest(lib.NHA_RES_GROUP | lib.NLA_F_NESTED, "Nexthop.resilient")   # the kernel wants the flag
            if n.buckets is not None:
                m.u16(lib.NHA_RES_GROUP_BUCKETS, "Nexthop.buckets", n.buckets)
            if n.idle_timer is not None:
                m.u32(lib.NHA_RES_GROUP_IDLE_TIMER, "Nexthop.idle_timer", n.idle_timer * _HZ)
            if n.unbalanced_timer is not None:
                m.u32(lib.NHA_RES_GROUP_UNBALANCED_TIMER, "Nexthop.unbalanced_timer",
                      n.unbalanced_timer * _HZ)
            m.end()
        return m
    if n.blackhole:
        m.flag(lib.NHA_BLACKHOLE, "Nexthop.blackhole")
    if n.dev is not None:
        m.u32(lib.NHA_OIF, "Nexthop.dev", resolve(n.dev))
    if gw is not None:
        m.binary(lib.NHA_GATEWAY, "Nexthop.via", gw)
    if n.fdb:
        m.flag(lib.NHA_FDB, "Nexthop.fdb")
    return m


def add(nexthop: NexthopObject, *, replace: bool = False) -> Request[None]:
    """RTM_NEWNEXTHOP (``ip nexthop add|replace``)."""
    n = _spec(nexthop)
    op = "replace nexthop" if replace else "add nexthop"
    flags = _ACK | lib.NLM_F_CREATE | (lib.NLM_F_REPLACE if replace else lib.NLM_F_EXCL)
    return Request(op, f"id {n.id}", lambda res: [_msg(n, op, flags, res)], needs=n.needs(),
                   undo=None if replace else (lambda: delete(n.id)))


def _by_id(op: str, msg_type: int, nid: object) -> tuple[int, Request]:
    i = v.integer(nid, "id", 1, 0xFFFFFFFF)

    def build(resolve: Resolve) -> list[Msg]:
        return [_head(Msg(op, msg_type, _ACK), socket.AF_UNSPEC).u32(lib.NHA_ID, "Nexthop.id", i)]

    return i, Request(op, f"id {i}", build)


def delete(nid: int) -> Request[None]:
    """RTM_DELNEXTHOP by id (routes through it go with it)."""
    return _by_id("delete nexthop", lib.RTM_DELNEXTHOP, nid)[1]


def get(nid: int) -> Request[NexthopObjectView]:
    """One nexthop object's view; NotFoundError when no object has this id."""
    _, req = _by_id("get nexthop", lib.RTM_GETNEXTHOP, nid)
    req.parse = lambda rows, msgs: NexthopObjectView(rows, msgs[0]) if msgs else None
    return req


def dump(*, family: object = None, dev: LinkRef | None = None, groups: bool = False) -> Request[list[NexthopObjectView]]:
    """Views of the nexthop objects (of one family: groups have none; using one device; or
    only the groups)."""
    fam = v.family(family)
    if dev is not None:
        dev = v.link_ref(dev, "dev")
    v.boolean(groups, "groups")

    def build(resolve: Resolve) -> list[Msg]:
        m = _head(Msg("dump nexthops", lib.RTM_GETNEXTHOP, lib.NLM_F_REQUEST | lib.NLM_F_DUMP, dump=True),
                  socket.AF_UNSPEC)
        if dev is not None:
            m.u32(lib.NHA_OIF, "Nexthop.dev", resolve(dev))
        if groups:
            m.flag(lib.NHA_GROUPS, "Nexthop.groups")
        return [m]

    def parse(rows: Rows, msgs: list[int]) -> list[NexthopObjectView]:
        views = [NexthopObjectView(rows, m) for m in msgs]
        return views if fam == socket.AF_UNSPEC else [n for n in views if n._header[0] == fam]

    return Request("dump nexthops", "all", build, parse=parse, dump=True,
                   needs=(dev,) if isinstance(dev, str) else ())


class NexthopObjectView(MessageView):
    """A nexthop object as the kernel reported it (``group``: (id, weight) pairs)."""

    __slots__ = ()
    HEADER = _NHMSG
    FIELDS: ClassVar[tuple[str, ...]] = (
        "id", "family", "via", "dev", "blackhole", "fdb", "group", "group_type", "buckets",
        "idle_timer", "unbalanced_timer", "unbalanced_time", "scope", "protocol", "flags")

    @property
    def id(self) -> int:
        return self._u(lib.NHA_ID) or 0

    @property
    def family(self) -> int | None:
        """4, 6, or None (a group)."""
        f = self._header[0]
        return 4 if f == socket.AF_INET else 6 if f == socket.AF_INET6 else None

    @property
    def via(self) -> str | None:
        return self._ip(lib.NHA_GATEWAY)

    @property
    def dev(self) -> int | None:
        return self._u(lib.NHA_OIF)

    @property
    def blackhole(self) -> bool:
        return self._rows.find(self._m, lib.NHA_BLACKHOLE) >= 0

    @property
    def fdb(self) -> bool:
        return self._rows.find(self._m, lib.NHA_FDB) >= 0

    @property
    def group(self) -> list[Member]:
        raw = self._rows.get_bytes(self._m, lib.NHA_GROUP) or b""
        if len(raw) % _GRP.size:
            raise DecodeError(f"NHA_GROUP of {len(raw)} bytes is not a whole number of entries")
        return [(i, w + 1) for i, w, _, _ in _GRP.iter_unpack(raw)]

    @property
    def group_type(self) -> str | None:
        if not self.group:
            return None
        t = self._u(lib.NHA_GROUP_TYPE) or 0
        return GROUP_TYPE_NAMES.get(t) or str(t)

    def _res(self, attr: int) -> int | None:
        row = self._rows.find(self._m, lib.NHA_RES_GROUP)
        return None if row < 0 else self._rows.get_u(row, attr)

    @property
    def buckets(self) -> int | None:
        return self._res(lib.NHA_RES_GROUP_BUCKETS)

    @property
    def idle_timer(self) -> int | None:
        """Seconds."""
        t = self._res(lib.NHA_RES_GROUP_IDLE_TIMER)
        return None if t is None else t // _HZ

    @property
    def unbalanced_timer(self) -> int | None:
        """Seconds."""
        t = self._res(lib.NHA_RES_GROUP_UNBALANCED_TIMER)
        return None if t is None else t // _HZ

    @property
    def unbalanced_time(self) -> int | None:
        """Seconds the group has been unbalanced."""
        t = self._res(lib.NHA_RES_GROUP_UNBALANCED_TIME)
        return None if t is None else t // _HZ

    @property
    def scope(self) -> str:
        s = self._header[1]
        return SCOPE_NAMES.get(s) or str(s)

    @property
    def protocol(self) -> str:
        p = self._header[2]
        return PROTOCOL_NAMES.get(p) or str(p)

    @property
    def flags(self) -> frozenset[str]:
        f = self._header[4]
        return frozenset(n for n, bit in NH_FLAGS.items() if f & bit)

    def __repr__(self) -> str:
        return f"<NexthopObjectView id={self.id} via={self.via} dev={self.dev} group={self.group}>"


def nexthop_json(n: NexthopObjectView, names: dict[int, str]) -> dict[str, Any]:
    """A nexthop shaped like one entry of ``ip -j nexthop`` (``names``: ifindex -> name)."""
    out: dict[str, Any] = {"id": n.id}
    group = n.group
    if group:
        out["group"] = [{"id": i, "weight": w} if w != 1 else {"id": i} for i, w in group]
        if n.group_type == "resilient":
            out["type"] = "resilient"
            out["resilient_args"] = {"buckets": n.buckets, "idle_timer": n.idle_timer,
                                     "unbalanced_timer": n.unbalanced_timer,
                                     "unbalanced_time": n.unbalanced_time}
    if n.via is not None:
        out["gateway"] = n.via
    if n.dev is not None:
        out["dev"] = names.get(n.dev, str(n.dev))
    if n.blackhole:
        out["blackhole"] = None
    if n.scope != "global":                         # as ip without -d
        out["scope"] = n.scope
    if n.protocol != "unspec":
        out["protocol"] = n.protocol
    out["flags"] = sorted(n.flags)
    if n.fdb:
        out["fdb"] = None
    return out
