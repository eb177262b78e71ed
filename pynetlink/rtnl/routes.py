"""IPv4/IPv6 routes: ``Route`` and ``Nexthop`` specs, add/replace/append/delete/get/dump, ``RouteView``."""
from __future__ import annotations

import _socket as socket  # the C module: socket.py (and its enums) is ~2 ms of each CNI plugin start
import struct

from .._record import record

from .._bounded import Bounded
from .. import _native
from .._native import lib
from ..codec import columns
from ..codec.columns import IP, text
from ..codec.program import Many
from ..codec.rows import NONE, Pluck, Rows, ip_text
from ..errors import DecodeError, InvalidArgument
from . import validate as v
from .addresses import SCOPE_NAMES, SCOPES
from .view import InetView, c_fields, make_views
from .message import Msg, Shapes
from .request import MEMO_MAX, Members, Request, Resolve, memo
from .validate import LinkRef

TYPE_CHECKING = False       # typing is not imported at run time
if TYPE_CHECKING:
    import ipaddress
    from dataclasses import KW_ONLY
    from typing import Any, ClassVar, Hashable, Mapping, Sequence, Union
    from .metrics import Metrics
else:
    from .._lighttyping import Union

TABLES = {"main": lib.RT_TABLE_MAIN, "local": lib.RT_TABLE_LOCAL, "default": lib.RT_TABLE_DEFAULT}
TABLE_NAMES = {n: k for k, n in TABLES.items()}
TYPES = {"unicast": lib.RTN_UNICAST, "local": lib.RTN_LOCAL, "broadcast": lib.RTN_BROADCAST,
         "anycast": lib.RTN_ANYCAST, "multicast": lib.RTN_MULTICAST,
         "blackhole": lib.RTN_BLACKHOLE, "unreachable": lib.RTN_UNREACHABLE,
         "prohibit": lib.RTN_PROHIBIT, "throw": lib.RTN_THROW}
TYPE_NAMES = {n: k for k, n in TYPES.items()}
PROTOCOLS = {"unspec": lib.RTPROT_UNSPEC, "redirect": lib.RTPROT_REDIRECT,
             "kernel": lib.RTPROT_KERNEL, "boot": lib.RTPROT_BOOT, "static": lib.RTPROT_STATIC,
             "ra": lib.RTPROT_RA, "dhcp": lib.RTPROT_DHCP, "zebra": lib.RTPROT_ZEBRA,
             "bird": lib.RTPROT_BIRD, "bgp": lib.RTPROT_BGP, "ospf": lib.RTPROT_OSPF,
             "keepalived": lib.RTPROT_KEEPALIVED}
PROTOCOL_NAMES = {n: k for k, n in PROTOCOLS.items()}
NH_FLAGS = {"dead": lib.RTNH_F_DEAD, "pervasive": lib.RTNH_F_PERVASIVE, "onlink": lib.RTNH_F_ONLINK,
            "offload": lib.RTNH_F_OFFLOAD, "linkdown": lib.RTNH_F_LINKDOWN}
_RTM = struct.Struct("=BBBBBBBBI")
_RTNH = struct.Struct("=HBBi")
_RTA = struct.Struct("=HH")
_NOLINK = (lib.RTN_BLACKHOLE, lib.RTN_UNREACHABLE, lib.RTN_PROHIBIT, lib.RTN_THROW)
Table = Union[int, str]
_AF4, _AF6 = socket.AF_INET, socket.AF_INET6
_UNICAST, _MAIN = int(lib.RTN_UNICAST), int(lib.RT_TABLE_MAIN)


@record(frozen=True)
class Nexthop:
    """One path of a multipath route."""

    via: str | None = None
    dev: LinkRef | None = None
    weight: int = 1
    onlink: bool = False

    def __post_init__(self) -> None:
        if self.via is None and self.dev is None:
            raise InvalidArgument("Nexthop: needs via or dev")
        # the packed gateway, kept so that building messages does not parse again
        self.__dict__["_via"] = v.packed_ip(self.via, "Nexthop.via") if self.via is not None else None
        if self.dev is not None:
            v.link_ref(self.dev, "Nexthop.dev")
        v.integer(self.weight, "Nexthop.weight", 1, 256)
        v.boolean(self.onlink, "Nexthop.onlink")


@record(frozen=True, init=False)
class Route:
    """A route: ``Route("default", via="172.17.0.1")``, ``Route("10.0.0.0/8", dev="eth0")``,
    ``Route("203.0.113.0/24", type="blackhole")``, ``Route(..., nexthops=(Nexthop(...), ...))``,
    ``Route("203.0.113.0/24", nhid=10)`` (a nexthop object), ``metrics={"mtu": 1400}`` (``Metrics``).

    ``family`` (4 or 6) is only needed where nothing else tells (``Route("default",
    type="unreachable", family=6)``). Defaults as ``ip route``: table main, protocol boot,
    scope link for a route through a device without gateway, host for local routes.
    """

    dst: str = "default"
    _: KW_ONLY
    via: str | None = None
    dev: LinkRef | None = None
    table: Table | None = None
    metric: int | None = None
    scope: str | int | None = None
    protocol: str | int | None = None
    src: str | None = None
    type: str = "unicast"
    nexthops: tuple[Nexthop, ...] = ()
    onlink: bool = False
    family: int | None = None
    metrics: Metrics | None = None
    nhid: int | None = None

    def __init__(self, dst: str = "default", *, via: str | None = None, dev: LinkRef | None = None,
                 table: Table | None = None, metric: int | None = None, scope: str | int | None = None,
                 protocol: str | int | None = None, src: str | None = None, type: str = "unicast",
                 nexthops: tuple[Nexthop, ...] = (), onlink: bool = False,
                 family: int | None = None, metrics: Metrics | Mapping[str, Any] | None = None,
                 nhid: int | None = None) -> None:
        # what the dataclass __init__ would do, without a frozen setattr per field (W5 makes
        # thousands); tests/rtnl/test_record.py keeps this signature equal to the fields
        d = self.__dict__
        d["dst"], d["via"], d["dev"], d["table"], d["metric"], d["scope"] = dst, via, dev, table, metric, scope
        d["protocol"], d["src"], d["type"], d["nexthops"], d["onlink"] = protocol, src, type, nexthops, onlink
        d["family"], d["metrics"], d["nhid"] = family, metrics, nhid
        self.__post_init__()

    def __post_init__(self) -> None:
        d = self.__dict__
        nhs, via, dev, family = d["nexthops"], d["via"], d["dev"], d["family"]
        if (type(via) is str and d["dst"] == "default" and dev is None and nhs == () and family is None
                and d["table"] is None and d["metric"] is None and d["scope"] is None and d["protocol"] is None
                and d["src"] is None and d["type"] == "unicast" and d["onlink"] is False and d["metrics"] is None
                and d["nhid"] is None):
            # the default route through a gateway (one per container), every option at its
            # default: only the gateway to check; the general path below would find the same
            gateway = v.packed_ip(via, "Route.via")
            d["_packed"] = pk = _Packed(_AF6 if len(gateway) == 16 else _AF4, 0, None, gateway, None, _UNICAST,
                                        _MAIN, ())
            pk.plain = True
            return
        if not isinstance(nhs, tuple) or (nhs and not all(isinstance(n, Nexthop) for n in nhs)):
            raise InvalidArgument("Route.nexthops: expected a tuple of Nexthop")
        dst = plen = None
        if d["dst"] != "default":
            raw, plen = v.packed_cidr(d["dst"], "Route.dst")
            dst = v.masked(raw, plen)[0] if plen < 8 * len(raw) else raw
        gw = v.packed_ip(via, "Route.via") if via is not None else None
        src = v.packed_ip(d["src"], "Route.src") if d["src"] is not None else None
        addrs = [dst, gw, src, *(n.__dict__["_via"] for n in nhs)] if nhs else [dst, gw, src]
        fam = v.family_of_packed(*addrs)
        if family is not None and v.family(family) != fam and any(addrs):
            raise InvalidArgument(f"Route.family: {family} does not match the addresses")
        if not any(addrs):
            fam = v.family(family) if family is not None else socket.AF_INET
        if dev is not None:
            v.link_ref(dev, "Route.dev")
        table = table_id(d["table"]) if d["table"] is not None else int(lib.RT_TABLE_MAIN)
        if d["metric"] is not None:
            v.integer(d["metric"], "Route.metric", 0, 0xFFFFFFFF)
        if d["scope"] is not None:
            _named(d["scope"], "Route.scope", SCOPES)
        if d["protocol"] is not None:
            _named(d["protocol"], "Route.protocol", PROTOCOLS)
        rtype = d["type"]
        kind = TYPES.get(rtype) if type(rtype) is str else None   # the exact name: no lower()
        if kind is None:
            kind = v.choice(rtype, "Route.type", TYPES)
        if nhs and (via or dev is not None):
            raise InvalidArgument("Route: nexthops exclude via and dev")
        if d["metrics"] is not None:
            from .metrics import Metrics
            d["metrics"] = Metrics.of(d["metrics"])
        if d["nhid"] is not None:
            v.integer(d["nhid"], "Route.nhid", 1, 0xFFFFFFFF)
            if via or dev is not None or nhs:
                raise InvalidArgument("Route.nhid: a route through a nexthop object has no via, dev or nexthops")
        if kind in _NOLINK and (via or dev is not None or nhs):
            raise InvalidArgument(f"Route: a {rtype} route has no gateway or device")
        if type(d["onlink"]) is not bool:
            v.boolean(d["onlink"], "Route.onlink")
        if nhs:
            needs = tuple(r for r in (dev, *(n.dev for n in nhs)) if isinstance(r, str))
        else:
            needs = (dev,) if isinstance(dev, str) else ()
        # what building a message needs, parsed once (the spec is frozen)
        d["_packed"] = _Packed(int(fam), plen or 0, dst, gw, src, int(kind), table, needs)

    @property
    def network(self) -> ipaddress.IPv4Interface | ipaddress.IPv6Interface | None:
        """The destination (None for default)."""
        if self.dst == "default":
            return None
        return v.interface(self.dst, "Route.dst")

    @property
    def af(self) -> int:
        return self._pk.af

    @property
    def _pk(self) -> "_Packed":
        packed: _Packed = self.__dict__["_packed"]
        return packed

    def needs(self) -> tuple[str, ...]:
        return self._pk.needs


class _Packed:
    """What a Route's messages need, checked once: family, prefix length, packed destination
    (masked), gateway and source, type, table, link names to resolve."""

    __slots__ = ('af', 'plen', 'dst', 'via', 'src', 'kind', 'table', 'needs', 'plain')

    def __init__(self, af: int, plen: int, dst: bytes | None, via: bytes | None, src: bytes | None, kind: int,
                 table: int, needs: tuple[str, ...]) -> None:
        (self.af, self.plen, self.dst, self.via, self.src, self.kind, self.table, self.needs) = \
            (af, plen, dst, via, src, kind, table, needs)
        self.plain: bool | None = None     # no option but dst, via, table < 256, type (None: not known yet)


def _named(value: str | int, field: str, table: dict[str, int]) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return v.integer(value, field, 0, 255)
    return int(v.choice(value, field, table))


def table_id(value: Table, field: str = "Route.table") -> int:
    """A routing table by number (1 to 2**32-1) or name (main, local, default)."""
    if type(value) is int and 0 < value <= 0xFFFFFFFF:
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return v.integer(value, field, 1, 0xFFFFFFFF)
    return int(v.choice(value, field, TABLES))


def _default_scope(r: Route, kind: int) -> int:
    if kind == lib.RTN_LOCAL:
        return int(lib.RT_SCOPE_HOST)
    if kind == lib.RTN_UNICAST and r.via is None and not r.nexthops and r.dev is not None:
        return int(lib.RT_SCOPE_LINK)
    return int(lib.RT_SCOPE_UNIVERSE)


def _multipath(r: Route, resolve: Resolve) -> bytes:
    out = []
    for nh in r.nexthops:
        attrs = b""
        gw = nh.__dict__["_via"]
        if gw is not None:
            attrs = _RTA.pack(4 + len(gw), lib.RTA_GATEWAY) + gw
        dev = resolve(nh.dev) if nh.dev is not None else 0
        flags = lib.RTNH_F_ONLINK if nh.onlink else 0
        out.append(_RTNH.pack(_RTNH.size + len(attrs), flags, nh.weight - 1, dev) + attrs)
    return b"".join(out)


def _msg(r: Route, op: str, msg_type: int, flags: int, resolve: Resolve, delete: bool = False) -> Msg:
    pk = r._pk
    kind, table = pk.kind, pk.table
    if delete:
        proto = _named(r.protocol, "protocol", PROTOCOLS) if r.protocol is not None else 0
        scope = _named(r.scope, "scope", SCOPES) if r.scope is not None else lib.RT_SCOPE_NOWHERE
        kind = kind if kind != lib.RTN_UNICAST else 0
    else:
        proto = _named(r.protocol, "protocol", PROTOCOLS) if r.protocol is not None else lib.RTPROT_BOOT
        scope = _named(r.scope, "scope", SCOPES) if r.scope is not None else _default_scope(r, kind)
    m = Msg(op, msg_type, flags).fixed(
        "Route.header", "BBBBBBBBI", pk.af, pk.plen, 0, 0,
        table if table < 256 else lib.RT_TABLE_UNSPEC, proto, scope, kind,
        lib.RTNH_F_ONLINK if r.onlink else 0)
    if table >= 256:
        m.u32(lib.RTA_TABLE, "Route.table", table)
    if pk.dst is not None:
        m.binary(lib.RTA_DST, "Route.dst", pk.dst)
    if pk.src is not None:
        m.binary(lib.RTA_PREFSRC, "Route.src", pk.src)
    if pk.via is not None:
        m.binary(lib.RTA_GATEWAY, "Route.via", pk.via)
    if r.dev is not None:
        m.u32(lib.RTA_OIF, "Route.dev", resolve(r.dev))
    if r.metric is not None:
        m.u32(lib.RTA_PRIORITY, "Route.metric", r.metric)
    if r.nexthops:
        m.binary(lib.RTA_MULTIPATH, "Route.nexthops", _multipath(r, resolve))
    if r.nhid is not None:
        m.u32(lib.RTA_NH_ID, "Route.nhid", r.nhid)
    if r.metrics is not None and not delete:
        r.metrics.encode(m)
    return m


def _spec(r: object) -> Route:
    if not isinstance(r, Route):
        raise InvalidArgument(f"expected a Route, not {r!r}")
    return r


def add(route: Route, *, how: str = "add") -> Request[None]:
    """RTM_NEWROUTE: ``how`` is add (EXCL), replace (REPLACE) or append (APPEND: another path)."""
    r = _spec(route)
    if how not in _HOW:
        raise InvalidArgument(f"how: expected add, replace or append, not {how!r}")
    op, flags = _HOW[how]
    return Request(op, r.dst, lambda res: [_add_msg(r, op, flags, res)],
                   needs=r._pk.needs, undo=(lambda: delete(r)) if how == "add" else None)


_SHAPES = Shapes()
_BOOT, _UNIVERSE, _HOST, _LOCAL = (int(lib.RTPROT_BOOT), int(lib.RT_SCOPE_UNIVERSE), int(lib.RT_SCOPE_HOST),
                                   int(lib.RTN_LOCAL))


def _add_msg(r: Route, op: str, flags: int, resolve: Resolve) -> Msg:
    """``_msg`` of an add; a route with a destination and/or gateway and no other option
    (a container's default route, W5's routes) is filled into its shape's program directly."""
    pk = r._pk
    if pk.plain is None:
        pk.plain = not (pk.table >= 256 or pk.src is not None or r.dev is not None or r.metric is not None
                        or r.nexthops or r.nhid is not None or r.metrics is not None or r.protocol is not None
                        or r.scope is not None or r.onlink)
    if not pk.plain:
        return _msg(r, op, lib.RTM_NEWROUTE, flags, resolve)
    kind = pk.kind
    values: list[Any] = [pk.af, pk.plen, 0, 0, pk.table, _BOOT, _HOST if kind == _LOCAL else _UNIVERSE, kind, 0]
    if pk.dst is not None:
        values.append(pk.dst)
    if pk.via is not None:
        values.append(pk.via)
    return _SHAPES.msg((op, flags, pk.af, pk.dst is not None, pk.via is not None), values,
                       lambda: _msg(r, op, lib.RTM_NEWROUTE, flags, resolve))


_HOW = {how: (f"{how} route", lib.NLM_F_REQUEST | lib.NLM_F_ACK | lib.NLM_F_CREATE | extra)
        for how, extra in (("add", lib.NLM_F_EXCL), ("replace", lib.NLM_F_REPLACE),
                           ("append", lib.NLM_F_APPEND))}


class _Bulk(Msg):
    """Messages whose program and values are known: one per destination of ``add_many``
    (their values a codec ``Many``: the template's, each row a length and an address)."""

    __slots__ = ("_item", "count")
    fds: list[int] = []            # (never holds any: shadows Msg's slot)

    def __init__(self, item: tuple[Any, Any], count: int) -> None:   # (no Msg.__init__: nothing to build)
        self._item, self.count = item, count

    def item(self) -> tuple[Any, Any]:
        return self._item


def _prefix_rows(names: list[str], af: int) -> bytes:
    """Per destination, its prefix length and its address masked to it (``add_many``'s
    rows): parsed in one C call; what that does not take (``default``, other spellings,
    bad input) is looked at here, one at a time."""
    size = 4 if af == socket.AF_INET else 16
    row, n, done = 1 + size, len(names), 0
    out = bytearray()
    while done < n:
        rest = names[done:]
        text = "\n".join(rest)
        got = 0
        if text.count("\n") == len(rest) - 1:     # no destination holds a newline
            rows, got = _native.prefixes(text.encode("utf-8", "replace"), af, len(rest), row)
            out += memoryview(rows)[:got * row]
        done += got
        if done < n:
            out += _prefix_row(names[done], done, af, size)
            done += 1
    return bytes(out)


def _prefix_row(d: str, k: int, af: int, size: int) -> bytes:
    if d == "default":
        return bytes(1 + size)
    raw, plen = v.packed_cidr(d, f"dsts[{k}]")
    if len(raw) != size:
        raise InvalidArgument(f"dsts[{k}]: {d!r} is not of the family of the others "
                              f"(IPv{4 if size == 4 else 6})")
    return bytes([plen]) + (v.masked(raw, plen)[0] if plen < 8 * size else raw)


def add_many(dsts: Sequence[str], options: Mapping[str, Any], *, how: str = "add") -> Request[None]:
    """One RTM_NEWROUTE per destination, all with the same ``options`` (Route's keywords):
    the options are checked once, on a template Route; the destinations parsed in one C
    call and the messages made in one more (the template's program filled with each
    destination; ``default`` as 0.0.0.0/0 or ::/0). If one fails, the others that were
    added are deleted again (``Members``); errors name the destination."""
    if isinstance(dsts, (str, bytes)) or not hasattr(dsts, "__len__"):
        raise InvalidArgument(f"dsts: expected a list of destinations, not {dsts!r}")
    if how not in _HOW:
        raise InvalidArgument(f"how: expected add, replace or append, not {how!r}")
    names = list(dsts)
    if not set(map(type, names)) <= {str}:
        k, d = next((k, d) for k, d in enumerate(names) if type(d) is not str)
        raise InvalidArgument(f"dsts[{k}]: expected a destination ('172.17.0.0/16'), not {d!r}")
    template = _template(next((d for d in names if d != "default"), "default"), options)
    return add_rows(names, _prefix_rows(names, template._pk.af), template, options, how)


_PLAIN = (str, int, bool, type(None))
_TEMPLATES: Bounded[tuple[Any, ...], Route] = Bounded(256)   # add_many/add_range templates by options (bounded)
_BULK: Bounded[tuple[int, str], tuple[Route, Any, tuple[Any, ...], tuple[int, ...]]] = Bounded(256)   # by id(template)


def _template(dst: str, options: Mapping[str, Any], size: int | None = None) -> Route:
    """A Route of ``options`` to ``dst`` (a bulk request's template: its destination is
    replaced per message). Kept per options, family and default-or-not when every option
    is a plain value, so a bulk call with the same options checks them once per process
    (a Route is immutable; a ``dst`` the parser refuses is never looked up). ``size``: the
    length of ``dst``'s address when the caller parsed it already."""
    key: tuple[Any, ...] | None = None
    for x in options.values():
        if type(x) not in _PLAIN:
            break
    else:
        if size is None:
            try:
                size = 0 if dst == "default" else len(v.packed_cidr(dst, "dst")[0])
            except InvalidArgument:
                size = -1
        if size >= 0:
            key = (size, *options.items())
            got = _TEMPLATES.get(key)
            if got is not None:
                return got
    try:
        route = Route(dst, **options)
    except TypeError as exc:
        raise InvalidArgument(f"route options: {exc}") from None
    if key is not None:
        _TEMPLATES.put(key, route)
    return route


def _bulk_shape(template: Route, op: str, flags: int, resolve: Resolve) -> tuple[Any, tuple[Any, ...], tuple[int, ...]]:
    """``add_rows``' program, its base values (a tuple: encode keeps the packed rows-entry
    head of an unchanged base) and the slots each row fills; made once per template when
    nothing in it is resolved by name."""
    got = _BULK.get((id(template), op))
    if got is not None and got[0] is template:
        return got[1], got[2], got[3]
    pk = template._pk
    prog, values = _msg(template, op, lib.RTM_NEWROUTE, flags, resolve).item()
    base = tuple(values)
    slots = (1,) if pk.dst is None else (1, base.index(pk.dst))   # RTA_DST precedes source and gateway
    if not pk.needs:
        _BULK.put((id(template), op), (template, prog, base, slots))
    return prog, base, slots


def add_rows(names: Sequence[str], rows: bytes, template: Route, options: Mapping[str, Any],
             how: str = "add") -> Request[None]:
    """``add_many``'s request once its destinations are rows (per destination its prefix
    length and its masked address: ``_prefix_rows``) and ``names`` (their text, for errors
    and the undo); ``template`` is a Route of ``options`` to one of them."""
    pk = template._pk
    op, flags = _HOW[how]

    def build(resolve: Resolve) -> list[Msg]:
        if not names:
            return []
        prog, base, slots = _bulk_shape(template, op, flags, resolve)
        # every destination default: the template's message each time (its length 0 per row)
        many = Many(base, slots, bytes(len(names)) if pk.dst is None else rows, len(names))
        return [_Bulk((prog, many), len(names))]

    def undo(ok: list[int]) -> Request[None]:
        routes = [Route(names[k], **options) for k in ok]
        return Request("delete route", f"{len(routes)} routes", lambda res: [
            _msg(r, "delete route", lib.RTM_DELROUTE, lib.NLM_F_REQUEST | lib.NLM_F_ACK, res, delete=True)
            for r in routes], needs=pk.needs)

    return Request(op, f"{len(names)} routes", build, needs=pk.needs,
                   undo=lambda: undo(list(range(len(names)))), members=Members(names, undo))


def delete(route: Route) -> Request[None]:
    r = _spec(route)
    flags = lib.NLM_F_REQUEST | lib.NLM_F_ACK
    return Request("delete route", r.dst,
                   lambda res: [_msg(r, "delete route", lib.RTM_DELROUTE, flags, res, delete=True)],
                   needs=r.needs())


def get(dst: str, *, src: str | None = None, dev: LinkRef | None = None,
        iif: LinkRef | None = None, mark: int | None = None) -> Request[RouteView]:
    """The route the kernel would use for ``dst`` (``ip route get``)."""
    addr = v.ip(dst, "dst")
    srca = v.ip(src, "src") if src is not None else None
    fam = v.family_of(addr, srca)
    if dev is not None:
        v.link_ref(dev, "dev")
    if iif is not None:
        v.link_ref(iif, "iif")
    if mark is not None:
        v.integer(mark, "mark", 0, 0xFFFFFFFF)

    def build(resolve: Resolve) -> list[Msg]:
        m = Msg("get route", lib.RTM_GETROUTE, lib.NLM_F_REQUEST | lib.NLM_F_ACK).fixed(
            "Route.header", "BBBBBBBBI", fam, addr.max_prefixlen, srca.max_prefixlen if srca else 0,
            0, 0, 0, 0, 0, lib.RTM_F_LOOKUP_TABLE if fam == socket.AF_INET else 0)  # v4: report the table
        m.binary(lib.RTA_DST, "Route.dst", addr.packed)
        if srca is not None:
            m.binary(lib.RTA_SRC, "Route.src", srca.packed)
        if iif is not None:
            m.u32(lib.RTA_IIF, "Route.iif", resolve(iif))
        if dev is not None:
            m.u32(lib.RTA_OIF, "Route.dev", resolve(dev))
        if mark is not None:
            m.u32(lib.RTA_MARK, "Route.mark", mark)
        return [m]

    def parse(rows: Rows, msgs: list[int]) -> RouteView | None:
        return RouteView(rows, msgs[0]) if msgs else None

    needs = tuple(x for x in (dev, iif) if isinstance(x, str))
    return Request("get route", dst, build, needs=needs, parse=parse)


def dump(*, table: Table | None = "main", family: object = None) -> Request[list[RouteView]]:
    """Routes of one table (default main; ``table=None`` for all), optionally one family."""
    return memo(_DUMPS, _dump, table, family)


_DUMPS: "Bounded[Hashable, Request[list[RouteView]]]" = Bounded(MEMO_MAX)


def _dump(table: Table | None, family: object) -> Request[list[RouteView]]:
    fam = v.family(family)
    tid = table_id(table) if table is not None else None

    def build(resolve: Resolve) -> list[Msg]:
        m = Msg("dump routes", lib.RTM_GETROUTE, lib.NLM_F_REQUEST | lib.NLM_F_DUMP, dump=True)
        m.fixed("Route.header", "BBBBBBBBI", fam, 0, 0, 0, 0, 0, 0, 0, 0)
        if tid is not None:
            m.u32(lib.RTA_TABLE, "Route.table", tid)
        return [m]

    def parse(rows: Rows, msgs: list[int]) -> list[RouteView]:
        views = make_views(RouteView, rows, msgs, columns.dump_table(rows, _PLUCK, 2))
        return views if tid is None else [r for r in views if r.table == tid]

    return Request("dump routes", str(table or "all"), build, parse=parse, dump=True, pluck=_PLUCK,
                   key=("dump routes", fam, tid))


class NexthopView:
    """One path of a multipath route."""

    __slots__ = ("via", "dev", "weight", "flags")

    def __init__(self, via: str | None, dev: int, weight: int, flags: frozenset[str]) -> None:
        self.via, self.dev, self.weight, self.flags = via, dev, weight, flags

    def to_dict(self) -> dict[str, Any]:
        return {"via": self.via, "dev": self.dev, "weight": self.weight, "flags": sorted(self.flags)}

    def __repr__(self) -> str:
        return f"<NexthopView via={self.via} dev={self.dev} weight={self.weight}>"


# attribute types as plain ints for the view (a cffi lib attribute costs a lookup each time)
_RTA_DST = int(lib.RTA_DST)
_RTA_GATEWAY = int(lib.RTA_GATEWAY)
_RTA_OIF = int(lib.RTA_OIF)
_RTA_TABLE = int(lib.RTA_TABLE)
_RTA_PRIORITY = int(lib.RTA_PRIORITY)
_RTA_PREFSRC = int(lib.RTA_PREFSRC)
# the columns a dump plucks for its views: _c[1 ...]; the fixed header packed in one column
# (one byte each: family, dst_len, src_len, tos, table, protocol, scope, type; NONE when short)
_PLUCK = Pluck(int(lib.RTM_NEWROUTE), _RTM.size, (
    ("hdr", 0, 8), ("span", _RTA_DST), ("span", _RTA_GATEWAY),        # 1 header, 2 dst, 3 via
    ("u", _RTA_OIF), ("u", _RTA_TABLE)))                                # 4 dev, 5 table
T_DST, T_VIA = _PLUCK.width, _PLUCK.width + 1                      # text slots (made on first use)
_DST_LEN, _TABLE, _PROTOCOL, _SCOPE, _TYPE = 1, 4, 5, 6, 7         # bytes of the packed header


def _hb(c: Any, b: int, k: int) -> int:
    """Byte ``k`` of view ``b``'s packed header in table ``c`` (NONE when absent)."""
    h: int = c[1][b]
    return NONE if h == NONE else h >> 8 * k & 0xFF


def _dsts(c: list[Any]) -> list[str | None]:
    """Every ``dst`` of a dump's table, made at once and kept (None where the view reads
    its rows instead: a short message, or an address neither 4 nor 16 bytes long)."""
    out: list[str | None] = [
        None if h == NONE or a == "!" else f"{a}/{p}" if a else "default" if p == 0 else f"None/{p}"
        for a, h in zip(text(c, T_DST, 2, IP), c[1]) for p in (h >> 8 & 0xFF,)]
    c[T_DST] = out
    return out
_RTA_MULTIPATH = int(lib.RTA_MULTIPATH)
_RTA_NH_ID = int(lib.RTA_NH_ID)
_RTA_METRICS = int(lib.RTA_METRICS)


class RouteView(InetView):
    """A route as the kernel reported it."""

    __slots__ = ()
    HEADER = _RTM
    FIELDS: ClassVar[tuple[str, ...]] = (
        "family", "dst", "table", "type", "protocol", "scope", "via", "dev", "metric", "src",
        "nexthops", "flags", "nhid", "metrics")

    @property
    def dst(self) -> str:
        """"default" or a prefix ("10.0.0.0/8", "198.51.100.7/32")."""
        c: Any = self._c
        if c is not None and (d := (c[T_DST] or _dsts(c))[self._b]) is not None:
            return d
        plen = self._header[1]
        text = self._rows.get_ip(self._m, _RTA_DST)
        if text is None and plen == 0:
            return "default"
        return f"{text}/{plen}"

    @property
    def table(self) -> int:
        c: Any = self._c
        h: int
        if c is not None and (h := _hb(c, self._b, _TABLE)) != NONE:
            v: int = c[5][self._b]
            return h if v == NONE else v
        t = self._rows.get_u(self._m, _RTA_TABLE)
        return self._header[4] if t is None else t

    @property
    def protocol(self) -> str:
        c: Any = self._c
        if c is None or (p := _hb(c, self._b, _PROTOCOL)) == NONE:
            p = self._header[5]
        return PROTOCOL_NAMES.get(p) or str(p)

    @property
    def scope(self) -> str:
        c: Any = self._c
        if c is None or (s := _hb(c, self._b, _SCOPE)) == NONE:
            s = self._header[6]
        return SCOPE_NAMES.get(s) or str(s)

    @property
    def type(self) -> str:
        c: Any = self._c
        if c is None or (t := _hb(c, self._b, _TYPE)) == NONE:
            t = self._header[7]
        return TYPE_NAMES.get(t) or str(t)

    @property
    def flags(self) -> frozenset[str]:
        f = self._header[8]
        return frozenset(n for n, bit in NH_FLAGS.items() if f & bit)

    @property
    def via(self) -> str | None:
        c: Any = self._c
        if c is not None and (a := (c[T_VIA] or text(c, T_VIA, 3, IP))[self._b]) != "!":
            return a or None
        return self._rows.get_ip(self._m, _RTA_GATEWAY)

    @property
    def dev(self) -> int | None:
        """ifindex of the output device."""
        c: Any = self._c
        if c is not None:
            d = c[4][self._b]
            return None if d == NONE else d
        return self._rows.get_u(self._m, _RTA_OIF)

    @property
    def metric(self) -> int | None:
        return self._rows.get_u(self._m, _RTA_PRIORITY)

    @property
    def src(self) -> str | None:
        """The preferred source address (RTA_PREFSRC)."""
        return self._rows.get_ip(self._m, _RTA_PREFSRC)

    @property
    def nexthops(self) -> list[NexthopView]:
        raw = self._rows.get_bytes(self._m, _RTA_MULTIPATH)
        out: list[NexthopView] = []
        pos = 0
        while raw and pos + _RTNH.size <= len(raw):
            ln, fl, hops, dev = _RTNH.unpack_from(raw, pos)
            if ln < _RTNH.size or ln > len(raw) - pos:
                raise DecodeError(f"RTA_MULTIPATH: nexthop of {ln} bytes at {pos} (of {len(raw)})")
            via = None
            apos = pos + _RTNH.size
            while apos + 4 <= pos + ln:                 # the few attributes of one nexthop
                alen, atype = _RTA.unpack_from(raw, apos)
                if alen < 4 or alen > pos + ln - apos:
                    raise DecodeError(f"RTA_MULTIPATH: attribute of {alen} bytes at {apos} overruns its nexthop")
                if atype == _RTA_GATEWAY:
                    via = ip_text(raw[apos + 4:apos + alen])
                apos += (alen + 3) & ~3
            out.append(NexthopView(via, dev, hops + 1,
                                   frozenset(n for n, bit in NH_FLAGS.items() if fl & bit)))
            pos += (ln + 3) & ~3
        return out

    @property
    def nhid(self) -> int | None:
        """The nexthop object the route goes through (RTA_NH_ID)."""
        return self._rows.get_u(self._m, _RTA_NH_ID)

    @property
    def metrics(self) -> Metrics | None:
        """RTA_METRICS, typed (None when the route has none)."""
        row = self._rows.find(self._m, _RTA_METRICS)
        if row < 0:
            return None
        from .metrics import Metrics
        return Metrics.decode(self._rows, row)

    def __repr__(self) -> str:
        return f"<RouteView {self.dst} via={self.via} dev={self.dev} table={self.table}>"


if columns._cview is not None:
    _F = columns._cview
    c_fields(RouteView, dst={"op": _F.F_DST, "col": 2, "col2": 1, "byte": _DST_LEN},
             table={"op": _F.F_TABLE, "col": 1, "col2": 5, "byte": _TABLE},
             protocol={"op": _F.F_NAMED, "col": 1, "arg": PROTOCOL_NAMES, "byte": _PROTOCOL},
             scope={"op": _F.F_NAMED, "col": 1, "arg": SCOPE_NAMES, "byte": _SCOPE},
             type={"op": _F.F_NAMED, "col": 1, "arg": TYPE_NAMES, "byte": _TYPE},
             via=(_F.F_IP, 3, -1, None), dev=(_F.F_OPT, 4))
