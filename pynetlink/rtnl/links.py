"""Link operations as Requests: create, change, set, delete (one or a group), get, dump."""
from __future__ import annotations

import errno

from .._bounded import Bounded
from .._native import lib
from ..codec.columns import _cview, dump_table, text
from ..codec.rows import Rows
from ..codec.specs.rtnl import RTNL
from ..errors import ExistsError, InvalidArgument
from ..transport import NetlinkSocket, NetNS
from . import validate as v
from .kinds import view_class, view_of
from .link import PLUCK, T_KIND, TEXTS, BridgePort, Link, LinkView, check_common, put_common, put_info, put_netns, put_port
from .message import Filled, Msg
from .view import EAGER_MAX, compact, eager
from .request import MEMO_MAX, RTEXT_FILTER_SKIP_STATS, Request, Resolve, getlink_msg, lookup, memo
from .validate import LinkRef, NetnsRef
from .._record import fields as record_fields

TYPE_CHECKING = False       # typing is not imported at run time
if TYPE_CHECKING:
    from typing import Any, Hashable, Sequence

    from ..codec.program import Compiled

NEW, ACK = lib.RTM_NEWLINK, lib.NLM_F_REQUEST | lib.NLM_F_ACK
CREATE = ACK | lib.NLM_F_CREATE | lib.NLM_F_EXCL
NETLINK_ROUTE = 0


def _header(m: Msg, t: str, index: int = 0, up: bool | None = None, promisc: bool | None = None) -> Msg:
    """ifinfomsg: the flags to set (``ifi_flags``) and which of them change (``ifi_change``)."""
    flags = change = 0
    if up is not None:
        change, flags = _UP, _UP if up else 0
    if promisc is not None:
        change |= _PROMISC
        flags |= _PROMISC if promisc else 0
    return m.fixed(f"{t}.header", "BxHiII", 0, 0, index, flags, change)


_UP, _PROMISC = int(lib.IFF_UP), int(lib.IFF_PROMISC)


def _target(m: Msg, t: str, link: LinkRef, resolve: Resolve, up: bool | None = None,
            by_index: bool = False, promisc: bool | None = None) -> Msg:
    """Address an existing link: by ifindex, or by IFLA_IFNAME (no lookup needed)."""
    if isinstance(link, int) or by_index:
        return _header(m, t, resolve(link), up, promisc)
    return _header(m, t, 0, up, promisc).string(lib.IFLA_IFNAME, f"{t}.name", link)


# a dump's view class of each kind's text (IFLA_INFO_KIND, "" for none), as _cview.views
# chooses it from the kind's span column: eager ones, and compact ones for a large dump
_EAGER_KINDS: dict[str, type[LinkView]] = {}
_COMPACT_KINDS: dict[str, type[LinkView]] = {}
_KINDS_MAX = 256            # distinct kind texts kept (the kernel has a few dozen kinds)


def views_of(rows: Rows, msgs: list[int]) -> list[LinkView]:
    """``view_of`` of every message, sharing one ``columns.dump_table`` (one C call; with
    the C views, the views made in one more, each of its kind's class chosen there: up to
    ``EAGER_MAX`` links, ``eager`` classes, their main fields read as they are made)."""
    t: Any = dump_table(rows, PLUCK, TEXTS)
    if _cview is not None and type(t) is _cview.Table:
        final, by = (eager, _EAGER_KINDS) if t.n <= EAGER_MAX else (compact, _COMPACT_KINDS)
        made: list[LinkView] | None = _cview.views((8, by), t, msgs)
        if made is None:                        # a kind not met yet (or other messages)
            kinds = text(t, T_KIND, 8)          # type: ignore[arg-type]  # (a Table indexes as the list)
            if len(by) > _KINDS_MAX:
                by.clear()
            for kind in set(kinds):             # as view_of: no kind and "" alike
                if kind not in by:
                    by[kind] = final(view_class(kind))
            made = _cview.views(list(map(by.__getitem__, kinds)), t, msgs)
        return [view_of(rows, x) for x in msgs] if made is None else made   # (other messages too)
    kinds = text(t, T_KIND, 8)
    if t[0].tolist() != (msgs if type(msgs) is list else list(msgs)):   # other messages too (a lean dump's: an array)
        return [view_of(rows, x) for x in msgs]
    out: list[LinkView] = []
    append = out.append
    for b, (m, kind) in enumerate(zip(msgs, kinds)):
        cls = view_class(kind)
        v = cls.__new__(cls)
        v._rows = rows
        v._m = m
        v._h = None
        v._c = t
        v._b = b
        append(v)
    return out


def _first_view(rows: Rows, msgs: list[int]) -> LinkView | None:
    return view_of(rows, msgs[-1]) if msgs else None


def create(spec: Link, *, fetch: bool = False) -> Request[LinkView | None]:
    """RTM_NEWLINK with CREATE|EXCL; ``fetch`` adds a pipelined get of the new link."""
    if not isinstance(spec, Link):
        raise InvalidArgument(f"expected a link spec (Bridge, Veth, ...), not {spec!r}")
    t = type(spec).__name__
    fetch = fetch and spec.netns is None
    if spec.alias is not None and spec.netns is not None:
        raise InvalidArgument(f"{t}.alias: the kernel ignores an alias at creation and this socket cannot "
                              "set it afterwards in another namespace; set it from a handle there")
    for field, ref in spec.netns_refs():
        v.netns_exists(ref, field)

    def build(resolve: Resolve) -> list[Msg]:
        m = _header(Msg(f"create {spec.info_kind()}", NEW, CREATE), t, 0, spec.up or None)
        lower = spec.lower()
        if lower is not None:
            m.u32(lib.IFLA_LINK, f"{t}.parent", resolve(lower))
        m.string(lib.IFLA_IFNAME, f"{t}.name", spec.name)
        put_common(m, t, resolve, mtu=spec.mtu, mac=spec.mac, master=spec.master,
                   txqlen=spec.txqlen, group=spec.group, netns=spec.netns)
        put_info(m, spec, resolve, True)
        return [m] if after else [m, *fetched()]

    def fetched() -> list[Msg]:
        return [getlink_msg(spec.name)] if fetch else []

    def then(resolve: Resolve) -> list[Msg]:
        """What the kernel ignores in a create, sent once the create succeeded (by name: a
        refused create must not change the existing link of that name)."""
        msgs = []
        if spec.alias is not None:
            alias = _target(Msg("set alias", NEW, ACK), t, spec.name, resolve)
            put_common(alias, t, resolve, alias=spec.alias)
            msgs.append(alias)
        if spec.port is not None:
            msgs.append(put_port_msg(spec.name, spec.port, resolve))
        return msgs + fetched()

    after = spec.alias is not None or spec.port is not None
    name = spec.name
    undo = (lambda: delete(name)) if spec.netns is None else None
    return Request(f"create {spec.info_kind()}", spec.name, build, needs=spec.needs(),
                   creates=spec.created_names(), parse=_first_view if fetch else None, undo=undo,
                   hints=lambda: _create_hints(spec), then=then if after else None)


def _create_hints(spec: Link) -> dict[int, str]:
    names = " or ".join(repr(n) for n in (spec.name, getattr(spec, "peer", None)) if n)
    where = " in the target namespace" if spec.netns is not None else ""
    # the kernel also answers EOPNOTSUPP for an option it was built without (vlan_filtering)
    base = {f.name for f in record_fields(Link)} | {"peer", "peer_netns", "parent", "type"}
    given = [f.name for f in record_fields(spec)
             if f.name not in base and getattr(spec, f.name) not in (None, (), {})]
    lacks = f", or lacks an option given ({', '.join(given)})" if given else ""
    return {errno.EEXIST: f"a link named {names} already exists{where}",
            errno.EOPNOTSUPP: f"this kernel has no {spec.info_kind()!r} link kind (not built or "
                              f"its module not loaded){lacks}; `pynetlink check` lists what it supports"}


def change(spec: Link) -> Request[None]:
    """Apply a spec's options to the existing link of that name (kind data included)."""
    if not isinstance(spec, Link):
        raise InvalidArgument(f"expected a link spec (Bridge, Veth, ...), not {spec!r}")
    if spec.netns is not None:
        raise InvalidArgument("change: use set(link, netns=...) to move a link")
    t = type(spec).__name__

    def build(resolve: Resolve) -> list[Msg]:
        m = _target(Msg(f"change {spec.info_kind()}", NEW, ACK), t, spec.name, resolve, spec.up)
        put_common(m, t, resolve, mtu=spec.mtu, mac=spec.mac, master=spec.master,
                   txqlen=spec.txqlen, alias=spec.alias, group=spec.group)
        put_info(m, spec, resolve, False)
        msgs = [m]
        if spec.port is not None:
            msgs.append(put_port_msg(spec.name, spec.port, resolve))
        return msgs

    needs = tuple(n for n in (spec.master,) if isinstance(n, str))
    return Request(f"change {spec.info_kind()}", spec.name, build, needs=needs)


def put_port_msg(link: LinkRef, port: BridgePort, resolve: Resolve) -> Msg:
    m = _target(Msg("set bridge port", NEW, ACK), "BridgePort", link, resolve)
    put_port(m, port)
    return m


def set_attrs(link: LinkRef, *, up: bool | None = None, mtu: int | None = None, mac: str | None = None,
        name: str | None = None, master: LinkRef | None = None, nomaster: bool = False,
        alias: str | None = None, txqlen: int | None = None, group: int | None = None,
        netns: NetnsRef | None = None, promisc: bool | None = None) -> Request[None]:
    """Change common options of an existing link (``ip link set``)."""
    if (mtu is None and mac is None and name is None and master is None and not nomaster and alias is None
            and txqlen is None and group is None and netns is None and promisc is None):
        return _set_state(link, up)
    link = v.link_ref(link, "link")
    if up is not None:
        v.boolean(up, "Link.up")
    if promisc is not None:
        v.boolean(promisc, "Link.promisc")
    check_common("Link", mtu=mtu, mac=mac, master=master, txqlen=txqlen, alias=alias, group=group)
    if name is not None:
        v.ifname(name, "Link.name")
    if master is not None and nomaster:
        raise InvalidArgument("set: master and nomaster exclude each other")
    if netns is not None:
        netns = v.netns_ref(netns, "Link.netns")
        v.netns_exists(netns, "Link.netns")
    rename = name is not None
    if netns is not None and name is not None:
        _name_free_in(netns, name, "set link", str(link))
    needs = tuple(n for n in (master, link if rename else None) if isinstance(n, str))

    def build(resolve: Resolve) -> list[Msg]:
        msgs = []
        state = up
        if rename and up is False:
            # the kernel renames before it applies flags, and kernels before 6.x refuse to
            # rename a link that is up (EBUSY): take it down first
            msgs.append(_target(Msg("set link", NEW, ACK), "Link", link, resolve, False, by_index=True))
            state = None
        m = _target(Msg("set link", NEW, ACK), "Link", link, resolve, state, by_index=rename, promisc=promisc)
        if rename:
            m.string(lib.IFLA_IFNAME, "Link.name", name or "")
        put_common(m, "Link", resolve, mtu=mtu, mac=mac, master=0 if nomaster else master,
                   txqlen=txqlen, alias=alias, group=group, netns=netns)
        return msgs + [m]

    creates = (name,) if name is not None and netns is None else ()
    hints: dict[int, str] = {}
    if name is not None:
        hints[errno.EEXIST] = f"cannot rename {link!r} to {name!r}: a link named {name!r} already exists" + (
            " in the target namespace" if netns is not None else "")
    if mac is not None:
        hints[errno.EADDRNOTAVAIL] = f"the kernel refused MAC {v.mac(mac, 'Link.mac').hex(':')} for {link!r}"
    return Request("set link", str(link), build, needs=needs, creates=creates, hints=hints)


def _set_state(link: LinkRef, up: bool | None) -> Request[None]:
    """``set(link, up=...)`` alone (every container brings lo and eth0 up): the message is
    one of two fixed shapes (by name, by index), filled with its values when the request is
    made; no builder."""
    link = v.link_ref(link, "link")
    flags = change = 0
    if up is not None:
        change = lib.IFF_UP
        flags = lib.IFF_UP if v.boolean(up, "Link.up") else 0
    if type(link) is str:
        item = (_state_program(True), [0, 0, 0, flags, change, link.encode()])
    else:
        item = (_state_program(False), [0, 0, link, flags, change])
    return Request("set link", str(link), lambda _: [Filled(item)])


_STATE_PROGRAMS: dict[bool, Compiled] = {}


def _state_program(by_name: bool) -> Compiled:
    """The program of a state-only RTM_NEWLINK (by IFLA_IFNAME, or by index), the shape
    ``_target`` builds."""
    prog = _STATE_PROGRAMS.get(by_name)
    if prog is None:
        m = _header(Msg("set link", NEW, ACK), "Link", 0)
        if by_name:
            m.string(lib.IFLA_IFNAME, "Link.name", "")
        prog = _STATE_PROGRAMS[by_name] = m.compiled()
    return prog


def _name_free_in(netns: NetnsRef, name: str, operation: str, target: str) -> None:
    """ExistsError when the target namespace has a link named ``name``: the kernel moves a
    link first and only then refuses the rename, so the request would move it anyway."""
    ns = NetNS.from_pid(netns) if isinstance(netns, int) else NetNS.open(netns)
    with NetlinkSocket(NETLINK_ROUTE, RTNL, ns) as sock:
        if lookup(sock, [name]):
            raise ExistsError(errno.EEXIST, operation, target,
                              f"a link named {name!r} already exists in the target namespace "
                              "(nothing was sent)")


def set_port(link: LinkRef, port: BridgePort) -> Request[None]:
    """Bridge-port options of an enslaved link."""
    link = v.link_ref(link, "link")
    if not isinstance(port, BridgePort):
        raise InvalidArgument(f"set_port: expected a BridgePort, not {port!r}")
    return Request("set bridge port", str(link), lambda r: [put_port_msg(link, port, r)])


def macvlan_macs(link: LinkRef, action: str, macs: Sequence[str] = (), kind: str = "macvlan") -> Request[None]:
    """Change the source-mode MAC list: 'set' (replace), 'add', 'del' (one message per MAC), 'flush'."""
    from .kinds.macvlan import MAC_ACTIONS, put_macs
    link = v.link_ref(link, "link")
    v.choice(action, "action", MAC_ACTIONS)
    action = action.lower()
    if isinstance(macs, str):
        macs = (macs,)
    for x in macs:
        v.mac(x, "macs")
    macs = v.unique(macs, "macs")
    if action == "flush" and macs:
        raise InvalidArgument("macvlan_macs: 'flush' takes no addresses")
    if action in ("add", "del") and not macs:
        raise InvalidArgument(f"macvlan_macs: '{action}' needs at least one address")

    def one(resolve: Resolve, group: tuple[str, ...]) -> Msg:
        m = _target(Msg(f"macvlan macs {action}", NEW, ACK), "Macvlan", link, resolve)
        m.nest(lib.IFLA_LINKINFO, "Macvlan.linkinfo").string(lib.IFLA_INFO_KIND, "Macvlan.kind", kind)
        m.nest(lib.IFLA_INFO_DATA, "Macvlan.data")
        put_macs(m, "Macvlan", action, group)
        return m.end().end()

    def build(resolve: Resolve) -> list[Msg]:
        if action in ("add", "del"):
            return [one(resolve, (x,)) for x in macs]
        return [one(resolve, tuple(macs))]

    return Request(f"macvlan macs {action}", str(link), build)


def delete(link: LinkRef) -> Request[None]:
    link = v.link_ref(link, "link")

    def build(resolve: Resolve) -> list[Msg]:
        return [_target(Msg("delete link", lib.RTM_DELLINK, ACK), "Link", link, resolve)]

    return Request("delete link", str(link), build)


def delete_group(group: int) -> Request[None]:
    """Delete every link of a group in one request (IFLA_GROUP; group 0 is refused)."""
    v.integer(group, "group", 1, 0xFFFFFFFF)

    def build(resolve: Resolve) -> list[Msg]:
        m = _header(Msg("delete link group", lib.RTM_DELLINK, ACK), "Link")
        return [m.u32(lib.IFLA_GROUP, "Link.group", group)]

    return Request("delete link group", str(group), build)


def move(link: LinkRef, netns: NetnsRef, *, name: str | None = None) -> Request[None]:
    """Move a link to another namespace (by NetNS, name, path or pid), optionally renaming it."""
    link = v.link_ref(link, "link")
    netns = v.netns_ref(netns, "netns")
    v.netns_exists(netns, "netns")
    if name is not None:
        v.ifname(name, "Link.name")
        _name_free_in(netns, name, "move link", str(link))

    def build(resolve: Resolve) -> list[Msg]:
        m = _target(Msg("move link", NEW, ACK), "Link", link, resolve, by_index=name is not None)
        if name is not None:
            m.string(lib.IFLA_IFNAME, "Link.name", name)
        put_netns(m, "Link.netns", netns)
        return [m]

    needs = (link,) if name is not None and isinstance(link, str) else ()
    moved = name if name is not None else link
    return Request("move link", str(link), build, needs=needs,
                   hints={errno.EEXIST: f"a link named {moved!r} already exists in the target namespace"})


def get(link: LinkRef) -> Request[LinkView]:
    link = v.link_ref(link, "link")

    def build(resolve: Resolve) -> list[Msg]:
        if isinstance(link, int):
            m = _header(Msg("get link", lib.RTM_GETLINK, ACK), "Link", link)
            return [m.u32(lib.IFLA_EXT_MASK, "Link.ext_mask", RTEXT_FILTER_SKIP_STATS)]
        return [getlink_msg(link)]

    return Request("get link", str(link), build, parse=_first_view)


def dump(*, kind: str | None = None, master: LinkRef | None = None) -> Request[list[LinkView]]:
    """All links, optionally only one kind or the ports of one master (filtered by the kernel)."""
    return memo(_DUMPS, _dump, kind, master)


_DUMPS: "Bounded[Hashable, Request[list[LinkView]]]" = Bounded(MEMO_MAX)


def _dump(kind: str | None, master: LinkRef | None) -> Request[list[LinkView]]:
    """``dump``'s Request (kept by ``memo``; without a master's name to look up, keyed: built
    and encoded once for every socket, as address and route dumps)."""
    if master is not None:
        master = v.link_ref(master, "master")
    if kind is not None and (not isinstance(kind, str) or not kind.isidentifier()):
        raise InvalidArgument(f"kind: invalid link kind {kind!r}")

    def build(resolve: Resolve) -> list[Msg]:
        m = _header(Msg("dump links", lib.RTM_GETLINK, lib.NLM_F_REQUEST | lib.NLM_F_DUMP, dump=True),
                    "Link")
        m.u32(lib.IFLA_EXT_MASK, "Link.ext_mask", RTEXT_FILTER_SKIP_STATS)
        if master is not None:
            m.u32(lib.IFLA_MASTER, "Link.master", resolve(master))
        if kind is not None:
            m.nest(lib.IFLA_LINKINFO, "Link.linkinfo").string(lib.IFLA_INFO_KIND, "Link.kind", kind).end()
        return [m]

    def parse(rows: Rows, msgs: list[int]) -> list[LinkView]:
        return views_of(rows, msgs)

    needs = (master,) if isinstance(master, str) else ()
    return Request("dump links", kind or "", build, needs=needs, parse=parse, dump=True, pluck=PLUCK,
                   key=None if needs else ("dump links", kind, master))
