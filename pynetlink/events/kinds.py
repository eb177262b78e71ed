"""What the stream watches: one ``Kind`` per object type (its groups, messages, identity, dump).

A kind turns the messages of one decoded buffer into ``(message row, key, view)`` items
(``parse``; views of one type are made together, sharing one table of plucked columns),
says which dumps list every object of it (``dumps``) and when two views of one object are
the same state (``same``: fields that change on their own, such as lifetimes, are left out).
"""
from __future__ import annotations

import socket
import struct
from array import array
from itertools import repeat
from typing import Any, Callable, ClassVar, Hashable, Iterable, Sequence

from .._native import decodes, ffi, lib
from ..codec import schema
from ..codec.program import Compiled
from ..codec.rows import ANY_TYPE, Pluck, Rows, decode
from ..codec.specs.rtnl import NETNS, RTNL
from ..rtnl import addresses, links, neigh, routes
from ..rtnl.message import Msg
from ..rtnl.request import dumplink_msg
from ..rtnl.addresses import AddressView
from ..rtnl.kinds import view_class
from ..rtnl.view import MessageView
from .event import CHANGED, DELETED, KERNEL, NEW, Event, fields_of

try:                                # the C hot path (csrc/ext/events.c), built with the codec
    from . import _engine
except ImportError:                 # pragma: no cover - a build without it runs the Python path
    _engine = None  # type: ignore[assignment]

Item = tuple[int, Hashable, Any]                     # message row, key, view
Batch = tuple[list[int], list[Hashable], list[Any]]  # message types, keys, views
DumpItems = list[tuple[Compiled, Sequence[Any]]]
Scope = Callable[[Hashable], bool]
NETLINK_ROUTE = 0
_INET = (socket.AF_INET, socket.AF_INET6)
_AF_INET = int(socket.AF_INET)


def _no_resolve(ref: object) -> int:
    raise AssertionError(f"a dump needs no link ({ref!r})")


def _dump_items(msgs: Iterable[Msg]) -> DumpItems:
    return [m.item() for m in msgs]


def _all(key: Hashable) -> bool:
    return True


class Kind:
    """One object type of one protocol."""

    name: ClassVar[str]
    protocol: ClassVar[int] = NETLINK_ROUTE
    groups: ClassVar[tuple[int, ...]]
    types: ClassVar[dict[int, bool]]                 # message type -> is a deletion
    volatile: ClassVar[frozenset[str]] = frozenset()
    children: ClassVar[tuple[str, ...]] = ()         # kinds whose keys start with this kind's key
    plain: ClassVar[bool] = True                     # no children, ``resyncs`` always ()
    c_kind: ClassVar[int | None] = None              # its index in the C engine (_engine.events' states)

    def parse(self, rows: Rows, msgs: list[int]) -> list[Item]:
        raise NotImplementedError

    def native(self, data: bytes, state: dict[Hashable, Any], netns: str | None, out: list[Any]) -> bool:
        """The C engine on this kind alone, for a received buffer of its notifications only
        (no dump in flight), not decoded yet: the events appended to ``out``, ``state``
        updated; False when it declined (nothing done). (``Engine`` runs the C engine on
        every kind it knows at once: ``c_kind``.)"""
        return False

    def batch(self, rows: Rows) -> Batch | None:
        """Every message of ``rows`` when all are of this kind (else None): their types,
        keys and views, in order, made in bulk (the engine's fast path)."""
        return None

    @staticmethod
    def key_of(view: Any) -> Hashable:
        """The key of a view (as ``parse`` makes it)."""
        raise NotImplementedError

    def dumps(self, state: dict[str, dict[Hashable, Any]]) -> list[tuple[Scope, DumpItems]]:
        """The dumps that list every object of this kind, each with the keys it covers."""
        raise NotImplementedError

    def same(self, a: Any, b: Any) -> bool:
        vol = self.volatile
        fa, fb = fields_of(a), fields_of(b)
        return all(fa.get(k) == v for k, v in fb.items() if k not in vol) and \
            all(k in fb or k in vol for k in fa)

    def resyncs(self, previous: Any, view: Any, deleted: bool) -> tuple[str, ...]:
        """The kinds this change may have changed without a notification (to dump again)."""
        return ()


class _Rtnl(Kind):
    dump_msgs: ClassVar[Callable[[], list[Msg]]]

    def dumps(self, state: dict[str, dict[Hashable, Any]]) -> list[tuple[Scope, DumpItems]]:
        return [(_all, _dump_items(type(self).dump_msgs()))]  # pyright: ignore[reportAttributeAccessIssue]


_UP_MASK = int(lib.IFF_UP | lib.IFF_LOWER_UP)


class LinkKind(_Rtnl):
    """Links (RTM_NEWLINK / RTM_DELLINK of family AF_UNSPEC; bridge-port messages are left out)."""

    name = "link"
    groups = (int(lib.RTNLGRP_LINK),)
    types = {int(lib.RTM_NEWLINK): False, int(lib.RTM_DELLINK): True}
    plain = False
    c_kind = 1
    dump_msgs = staticmethod(lambda: [dumplink_msg()])

    def parse(self, rows: Rows, msgs: list[int]) -> list[Item]:
        out: list[Item] = []
        for m, view in zip(msgs, links.views_of(rows, msgs)):
            if rows.data[rows.off[m] + 16] == 0:         # ifi_family: AF_BRIDGE ones describe ports
                out.append((m, view.index, view))
        return out

    @staticmethod
    def key_of(view: Any) -> Hashable:
        return int(view.index)

    def resyncs(self, previous: Any, view: Any, deleted: bool) -> tuple[str, ...]:
        # IPv4 routes of a link that goes down are flushed, and RTNH_F_LINKDOWN set or cleared
        # with the carrier, without a notification; a new veth is announced before its peer
        # is set (IFLA_LINK 0), and the peer is never announced
        # (nexthops through a link that goes down are removed, and rules naming a link
        # attached or detached, silently too: events/policy.py)
        if deleted:
            return ("route", "neighbour", "nexthop", "iprule")
        if previous is None:
            return ("link", "iprule") if view.link == 0 and view.kind == "veth" else ("iprule",)
        if (previous._header[3] & _UP_MASK) != (view._header[3] & _UP_MASK):
            return ("route", "nexthop")
        return ("iprule",) if previous.name != view.name else ()


def twin(spec: Pluck, msg_type: int) -> Pluck:
    """The same columns plucked from messages of another type (RTM_DELADDR as RTM_NEWADDR)."""
    p = Pluck.__new__(Pluck)
    p.words = array("I", spec.words)
    p.words[0] = msg_type
    p.msg_type, p.width = msg_type, spec.width
    p.cwords = ffi.from_buffer("uint32_t[]", p.words)
    return p


class AddressKind(_Rtnl):
    """IPv4 and IPv6 addresses; key: (4 or 6, ifindex, address text, prefix length)."""

    name = "address"
    groups = (int(lib.RTNLGRP_IPV4_IFADDR), int(lib.RTNLGRP_IPV6_IFADDR))
    types = {int(lib.RTM_NEWADDR): False, int(lib.RTM_DELADDR): True}
    volatile = frozenset({"valid_lft", "preferred_lft"})
    # the columns rtnl/addresses.py plucks for its views, for one message type; _ANY: for
    # every message of a buffer, with its type last (key_of() reads the same through the
    # view; the tests compare)
    _specs = {int(lib.RTM_NEWADDR): addresses._PLUCK,
              int(lib.RTM_DELADDR): twin(addresses._PLUCK, int(lib.RTM_DELADDR))}
    _ANY = Pluck(ANY_TYPE, addresses._IFA.size, addresses.PLUCK_COLS + (("type",),))
    _TYPE = len(addresses.PLUCK_COLS) + 1
    dump_msgs = staticmethod(lambda: addresses.dump().build(_no_resolve))
    # the views the C engine makes: AddressView whose family, address, prefixlen and link are slots
    c_kind = 0
    view_type: ClassVar[type[AddressView] | None] = None
    if _engine is not None:
        view_type = _engine.view_type(AddressView, 0)

    def native(self, data: bytes, state: dict[Hashable, Any], netns: str | None, out: list[Any]) -> bool:
        return _engine is not None and _engine.events(data, (state, None, None, None), netns, out) is not None

    @staticmethod
    def key_of(v: Any) -> Hashable:
        return (v.family, v.link, v.address, v.prefixlen)

    @classmethod
    def _keys(cls, t: list[Any], views: list[Any]) -> list[Hashable]:
        """The keys of a table's views: in bulk from its columns (key_of() per view when a
        message is short or its address malformed: that raises DecodeError)."""
        fams, links, texts = t[addresses._FAM], t[addresses._LINK], addresses.address_texts(t)
        n = len(fams)
        if not n or max(links) >> 31 or "!" in texts:       # an ifindex is 1 .. 2**31-1
            return [cls.key_of(v) for v in views]
        if fams.count(_AF_INET) == n:
            f46: Iterable[int] = repeat(4, n)
        else:
            f46 = [4 if f == _AF_INET else 6 for f in fams]
        return list(zip(f46, links, texts, t[addresses._PLEN]))

    def parse(self, rows: Rows, msgs: list[int]) -> list[Item]:
        t = addresses.table(rows, self._specs[rows.tf[msgs[0]] & 0xFFFF])
        if t[0].tolist() != msgs:
            key_of = self.key_of
            return [(m, key_of(v), v) for m, v in zip(msgs, (AddressView(rows, m) for m in msgs))]
        views = addresses.views(rows, t)
        return list(zip(msgs, self._keys(t, views), views))

    def batch(self, rows: Rows) -> Batch | None:
        t = addresses.table(rows, self._ANY)
        if len(t[0]) != rows.n_msgs or not self.types.keys() >= set(t[self._TYPE]):
            return None                         # NLMSG_DONE / ERROR, or other kinds' messages
        views = addresses.views(rows, t)
        return t[self._TYPE], self._keys(t, views), views


_RTM_F_CLONED = int(lib.RTM_F_CLONED)


class RouteKind(_Rtnl):
    """IPv4 and IPv6 routes of every table (cached clones left out);
    key: (family, table, type, tos, dst, metric)."""

    name = "route"
    groups = (int(lib.RTNLGRP_IPV4_ROUTE), int(lib.RTNLGRP_IPV6_ROUTE))
    types = {int(lib.RTM_NEWROUTE): False, int(lib.RTM_DELROUTE): True}
    volatile = frozenset({"expires"})
    c_kind = 2
    view_type: ClassVar[type[routes.RouteView] | None] = None
    if _engine is not None:         # RouteView whose family, dst, table and metric are slots
        view_type = _engine.view_type(routes.RouteView, 2)
    _parse = staticmethod(routes.dump(table=None).parse or (lambda r, m: []))
    dump_msgs = staticmethod(lambda: routes.dump(table=None).build(_no_resolve))

    def parse(self, rows: Rows, msgs: list[int]) -> list[Item]:
        out: list[Item] = []
        for m, v in zip(msgs, self._parse(rows, msgs)):
            h = v._header
            if h[0] in _INET and not h[8] & _RTM_F_CLONED:
                out.append((m, self.key_of(v), v))
        return out

    @staticmethod
    def key_of(v: Any) -> Hashable:
        h = v._header
        return (v.family, v.table, h[7], h[3], v.dst, v.metric)


_NTF_PROXY = int(lib.NTF_PROXY)


class NeighbourKind(_Rtnl):
    """ARP and NDP entries (bridge FDB and proxy entries left out); key: (family, ifindex, ip)."""

    name = "neighbour"
    groups = (int(lib.RTNLGRP_NEIGH),)
    types = {int(lib.RTM_NEWNEIGH): False, int(lib.RTM_DELNEIGH): True}
    c_kind = 3
    view_type: ClassVar[type[neigh.NeighbourView] | None] = None
    if _engine is not None:         # NeighbourView whose family, link and ip are slots
        view_type = _engine.view_type(neigh.NeighbourView, 3)
    dump_msgs = staticmethod(lambda: neigh.dump().build(_no_resolve))

    def parse(self, rows: Rows, msgs: list[int]) -> list[Item]:
        out: list[Item] = []
        for m in msgs:
            v = neigh.NeighbourView(rows, m)
            h = v._header
            if h[0] in _INET and not h[3] & _NTF_PROXY:
                out.append((m, (v.family, h[1], v.ip), v))
        return out

    @staticmethod
    def key_of(v: Any) -> Hashable:
        return (v.family, v.link, v.ip)


_RTGEN = struct.Struct("=Bxxx")
_NSID = NETNS["nsid"]


class NsidView(MessageView):
    """A namespace id: ``nsid`` is how this namespace names another (``ip netns list-id``)."""

    __slots__ = ()
    HEADER = _RTGEN
    FIELDS: ClassVar[tuple[str, ...]] = ("nsid",)

    @property
    def nsid(self) -> int | None:
        r = self._rows.find(self._m, _NSID)
        return None if r < 0 else self._rows.s(r)

    def __repr__(self) -> str:
        return f"<NsidView {self.nsid}>"


def _nsid_dump() -> list[Msg]:
    return [Msg("dump nsids", lib.RTM_GETNSID, lib.NLM_F_REQUEST | lib.NLM_F_DUMP, dump=True)
            .fixed("Nsid.header", "Bxxx", 0)]


class NsidKind(_Rtnl):
    """Namespace ids (RTM_NEWNSID / RTM_DELNSID); key: the nsid."""

    name = "nsid"
    groups = (int(lib.RTNLGRP_NSID),)
    types = {int(lib.RTM_NEWNSID): False, int(lib.RTM_DELNSID): True}
    dump_msgs = staticmethod(_nsid_dump)

    def parse(self, rows: Rows, msgs: list[int]) -> list[Item]:
        out: list[Item] = []
        for m in msgs:
            v = NsidView(rows, m)
            if v.nsid is not None:
                out.append((m, v.nsid, v))
        return out

    @staticmethod
    def key_of(v: Any) -> Hashable:
        return int(v.nsid)


_LINK_VIEWS: dict[type[Any], type[Any]] = {}


def _link_view(kind: str) -> type[Any]:
    """The C engine's view type of a link of IFLA_INFO_KIND ``kind`` ("" for none): its
    view class's subtype whose index and name are slots (one per class)."""
    cls = view_class(kind or None)
    t = _LINK_VIEWS.get(cls)
    if t is None:
        assert _engine is not None
        t = _LINK_VIEWS[cls] = _engine.view_type(cls, 1)
    return t


def _descends(kind: type[Kind]) -> bytes:
    """1 at each top-level attribute type of ``kind``'s messages that the decoder descends
    into (a nest: the C engine has such a buffer decoded before it takes it)."""
    (msg_type, *_) = kind.types
    attrs = RTNL.sets[RTNL.messages[msg_type].root].by_type
    return bytes(int(t in attrs and attrs[t].kind in _NESTS) for t in range(max(attrs, default=0) + 1))


_NESTS = (schema.NEST, schema.ARRAY, schema.HNEST, schema.SUB)
def _decodes(data: Any) -> bool:
    """The codec decodes ``data`` (one pass that keeps nothing: it only checks)."""
    return decodes(data, RTNL.cwords, len(RTNL.words))


if _engine is not None:
    _engine.setup(Event, ("address", "link", "route", "neighbour"), NEW, CHANGED, DELETED, KERNEL,
                  lambda data: decode(data, RTNL), _decodes, _link_view,
                  tuple(_descends(k) for k in (AddressKind, LinkKind, RouteKind, NeighbourKind)))


RTNL_KINDS: dict[str, type[Kind]] = {k.name: k for k in (LinkKind, AddressKind, RouteKind, NeighbourKind,
                                                          NsidKind)}
ALIASES = {"addr": "address", "neigh": "neighbour", "neighbor": "neighbour", "links": "link",
           "addresses": "address", "routes": "route", "neighbours": "neighbour", "nsids": "nsid"}

__all__ = ["Kind", "Item", "LinkKind", "AddressKind", "RouteKind", "NeighbourKind", "NsidKind", "NsidView",
           "RTNL_KINDS", "ALIASES"]
