"""Verb namespaces (``h.links``, ``h.addresses``, ...), written once for both modes.

Each verb builds an rtnl ``Request`` and hands it to the namespace's ``submit``: a Handle
runs it at once and returns its value (or raises); a Batch queues it and returns the
``Outcome`` that is filled when the batch runs; an AsyncHandle returns an awaitable.

Typing: the namespaces of links, addresses and routes are generic in their *mode* (``Now``,
``Later``, ``Async``); a verb is written once, as a method returning ``Request[V]``, and
``Verb`` tells type checkers what a call returns in each mode (``V``, ``Outcome[V]``,
``Awaitable[V]``).
"""
from __future__ import annotations

from ..errors import InvalidArgument
from ..rtnl import addresses as rtaddr
from ..rtnl import links as rtlink
from ..rtnl import routes as rtroute
from ..rtnl.addresses import Address, AddressView
from ..rtnl.link import BridgePort, Link, LinkView
from ..rtnl.request import Outcome, Request
from ..rtnl.routes import Nexthop, Route, RouteView, Table
from ..rtnl.validate import LinkRef, NetnsRef

CodeType = type((lambda: None).__code__)   # types.CodeType without importing types (plugin start-up)
TYPE_CHECKING = False       # typing is not imported at run time
if TYPE_CHECKING:
    from ..rtnl.metrics import Metrics
    from ..rtnl.neigh import NeighbourView
    from typing import (Any, Awaitable, Callable, Concatenate, Generic, Mapping, ParamSpec, Sequence,
                        TypedDict, TypeVar, Unpack, overload)

    class RouteOptions(TypedDict, total=False):
        """Route's keyword options (``routes.add_many``)."""

        via: str | None
        dev: LinkRef | None
        table: Table | None
        metric: int | None
        scope: str | int | None
        protocol: str | int | None
        src: str | None
        type: str
        nexthops: tuple[Nexthop, ...]
        onlink: bool
        family: int | None
        metrics: Metrics | Mapping[str, Any] | None
        nhid: int | None
else:
    from .._lighttyping import Any, Callable, Generic, ParamSpec, TypeVar, overload
if TYPE_CHECKING:
    from functools import partial as _partial
else:       # the C module: functools.py is kept off the CNI plugin path
    from _functools import partial as _partial

R = TypeVar("R")
T = TypeVar("T")
M = TypeVar("M")
V = TypeVar("V")
P = ParamSpec("P")
Submit = Callable[[Request], R]


class _Verbs(Generic[R]):
    __slots__ = ("_submit", "_immediate")

    def __init__(self, submit: Submit[R], immediate: bool) -> None:
        self._submit = submit
        self._immediate = immediate


class Now:
    """Mode of a Handle's verbs: run at once, return the value (or raise)."""


class Later:
    """Mode of a Batch's verbs: queued, return the request's Outcome."""


class Async:
    """Mode of an AsyncHandle's verbs: return an awaitable of the value."""


class _Moded(_Verbs[Any], Generic[M]):
    """A verb namespace whose calls return what its mode ``M`` says (see ``Verb``)."""

    __slots__ = ()


class Verb(Generic[P, V]):
    """A verb: its method builds the Request; the call submits it in the namespace's mode."""

    def __init__(self, build: Callable[Concatenate[Any, P], Request[V]], what: str = "") -> None:
        self.build = build
        self.__doc__ = build.__doc__
        self.__name__ = build.__name__
        self.what = what or build.__name__       # names the verb in argument errors

    @overload
    def __get__(self, obj: None, owner: type) -> "Verb[P, V]": ...
    @overload
    def __get__(self, obj: _Moded[Now], owner: type) -> Callable[P, V]: ...
    @overload
    def __get__(self, obj: _Moded[Later], owner: type) -> Callable[P, Outcome[V]]: ...
    @overload
    def __get__(self, obj: _Moded[Async], owner: type) -> Callable[P, Awaitable[V]]: ...

    def __get__(self, obj: _Moded[Any] | None, owner: type) -> Any:
        if obj is None:
            return self
        return _partial(self._call, obj)      # made in C: no closure per verb call

    def _call(self, obj: _Moded[Any], /, *args: Any, **kw: Any) -> Any:
        try:
            request = self.build(obj, *args, **kw)
        except TypeError as exc:
            if _bad_arguments(exc):
                raise InvalidArgument(f"{self.what}: {str(exc).split(') ', 1)[-1]}") from None
            raise
        return obj._submit(request)


def _composed(options: Callable[Concatenate[Any, P], T], make: Callable[[T], Request[V]],
              what: str) -> Verb[P, V]:
    """A verb whose parameters are those of ``options`` (which makes a spec of them) and
    whose request ``make`` builds from that spec: verbs sharing parameters write them once.
    ``what`` names them in argument errors ("route options: ...")."""
    def build(self: Any, /, *args: P.args, **kw: P.kwargs) -> Request[V]:
        return make(options(self, *args, **kw))
    return Verb(build, what)


def _bad_arguments(exc: TypeError) -> bool:
    """Whether a TypeError is a verb called with an unknown or missing argument: raised by
    the call itself, in a frame of this module's forwarders, not inside a verb's body."""
    tb = exc.__traceback__
    while tb is not None and tb.tb_next is not None:
        tb = tb.tb_next
    return tb is not None and tb.tb_frame.f_code in _FORWARDERS


class Links(_Moded[M]):
    """Links: create, change, set, move, delete, get, dump."""

    __slots__ = ()

    @Verb
    def create(self, spec: Link, *, up: bool | None = None) -> Request[LinkView | None]:
        """Create a link from a spec (``Bridge``, ``Veth``, ``Macvlan``...).

        Run at once it returns the new link's view (None when created in another namespace).
        """
        if up is not None and spec.up is not up:      # a copy (validated again) only when it differs
            spec = spec.replace(up=up)
        return rtlink.create(spec, fetch=self._immediate)

    @Verb
    def change(self, spec: Link) -> Request[None]:
        """Apply a spec's options (kind-specific ones included) to the existing link of its name."""
        return rtlink.change(spec)

    @Verb
    def set(self, link: LinkRef, *, up: bool | None = None, mtu: int | None = None,
            mac: str | None = None, name: str | None = None, master: LinkRef | None = None,
            nomaster: bool = False, alias: str | None = None, txqlen: int | None = None,
            group: int | None = None, netns: NetnsRef | None = None,
            promisc: bool | None = None) -> Request[None]:
        """``ip link set``: state, MTU, MAC, rename, master/nomaster, alias, txqueuelen, group,
        netns, promiscuous mode."""
        return rtlink.set_attrs(link, up=up, mtu=mtu, mac=mac, name=name, master=master,
                                nomaster=nomaster, alias=alias, txqlen=txqlen, group=group,
                                netns=netns, promisc=promisc)

    @Verb
    def set_port(self, link: LinkRef, port: BridgePort) -> Request[None]:
        """Bridge-port options (hairpin, isolated, learning, flood, cost, priority)."""
        return rtlink.set_port(link, port)

    @Verb
    def macvlan_macs(self, link: LinkRef, action: str, macs: Sequence[str] = (), *,
                     kind: str = "macvlan") -> Request[None]:
        """The MAC list of a source-mode macvlan: action 'set', 'add', 'del' or 'flush'."""
        return rtlink.macvlan_macs(link, action, macs, kind)

    @Verb
    def move(self, link: LinkRef, netns: NetnsRef, *, name: str | None = None) -> Request[None]:
        """Move to a namespace (NetNS, name, path, or pid), optionally renaming."""
        return rtlink.move(link, netns, name=name)

    @Verb
    def delete(self, link: LinkRef) -> Request[None]:
        return rtlink.delete(link)

    @Verb
    def delete_group(self, group: int) -> Request[None]:
        """Delete every link of ``group`` in one request."""
        return rtlink.delete_group(group)

    @Verb
    def get(self, link: LinkRef) -> Request[LinkView]:
        """One link's view; NotFoundError when it does not exist."""
        return rtlink.get(link)

    @Verb
    def dump(self, *, kind: str | None = None, master: LinkRef | None = None) -> Request[list[LinkView]]:
        """Views of all links (or of one kind, or the ports of one master)."""
        return rtlink.dump(kind=kind, master=master)


def _address_options(self: Any, link: LinkRef | Address, address: str | None = None, *,
                     peer: str | None = None, broadcast: str | bool | None = None,
                     label: str | None = None, scope: str | int | None = None,
                     flags: tuple[str, ...] = (), valid_lft: int | None = None,
                     preferred_lft: int | None = None) -> Address:
    """The parameters of ``add`` and ``replace``: a link and an address with Address's
    options, or an Address."""
    if address is not None and not isinstance(link, Address):   # the common case: no dict of options
        return Address(link, address, peer=peer, broadcast=broadcast, label=label, scope=scope, flags=flags,
                       valid_lft=valid_lft, preferred_lft=preferred_lft)
    return _address(link, address, _given(_address_options, dict(
        peer=peer, broadcast=broadcast, label=label, scope=scope, flags=flags, valid_lft=valid_lft,
        preferred_lft=preferred_lft)))


class Addresses(_Moded[M]):
    """Addresses: add, replace, delete, dump. ``add("eth0", "172.17.0.2/24")`` or ``add(Address(...))``;
    the keyword options are Address's."""

    __slots__ = ()

    add = _composed(_address_options, rtaddr.add, "address options")
    replace = _composed(_address_options, lambda a: rtaddr.add(a, replace=True), "address options")

    @Verb
    def delete(self, link: LinkRef | Address, address: str | None = None) -> Request[None]:
        return rtaddr.delete(_address(link, address, {}))

    @Verb
    def dump(self, link: LinkRef | None = None, *, family: object = None) -> Request[list[AddressView]]:
        """Views of the addresses (of one link, of one family: 4 or 6)."""
        return rtaddr.dump(link=link, family=family)


def _given(options_of: Callable[..., Any], options: dict[str, Any]) -> dict[str, Any]:
    """The keyword options that differ from their defaults in ``options_of``."""
    defaults = options_of.__kwdefaults__ or {}
    return {k: v for k, v in options.items() if k not in defaults or v != defaults[k]}


def _address(link: LinkRef | Address, address: str | None, options: dict[str, Any]) -> Address:
    if isinstance(link, Address):
        if address is not None or options:
            raise InvalidArgument("pass either an Address or link, address and options")
        return link
    if address is None:
        raise InvalidArgument("missing the address (e.g. '172.17.0.2/24')")
    try:
        return Address(link, address, **options)
    except TypeError as exc:
        raise InvalidArgument(f"address options: {exc}") from None


def _route_options(self: Any, route: str | Route = "default", *, via: str | None = None,
                   dev: LinkRef | None = None, table: Table | None = None, metric: int | None = None,
                   scope: str | int | None = None, protocol: str | int | None = None,
                   src: str | None = None, type: str = "unicast", nexthops: Sequence[Nexthop] = (),
                   onlink: bool = False, family: int | None = None,
                   metrics: Metrics | Mapping[str, Any] | None = None, nhid: int | None = None) -> Route:
    """The parameters of ``add``, ``replace``, ``append`` and ``delete``: a destination with
    Route's options, or a Route."""
    if not isinstance(route, Route):        # the common case: no dict of options
        return Route(route, via=via, dev=dev, table=table, metric=metric, scope=scope, protocol=protocol,
                     src=src, type=type, nexthops=tuple(nexthops), onlink=onlink, family=family,
                     metrics=metrics, nhid=nhid)
    return _route(route, _given(_route_options, dict(
        via=via, dev=dev, table=table, metric=metric, scope=scope, protocol=protocol, src=src,
        type=type, nexthops=tuple(nexthops), onlink=onlink, family=family, metrics=metrics,
        nhid=nhid)))


class Routes(_Moded[M]):
    """Routes: add, replace, append, delete, get, dump. ``add("default", via="172.17.0.1")``;
    the keyword options are Route's."""

    __slots__ = ()

    add = _composed(_route_options, rtroute.add, "route options")
    replace = _composed(_route_options, lambda r: rtroute.add(r, how="replace"), "route options")
    append = _composed(_route_options, lambda r: rtroute.add(r, how="append"), "route options")
    delete = _composed(_route_options, rtroute.delete, "route options")

    @Verb
    def add_many(self, dsts: Sequence[str], **options: Unpack[RouteOptions]) -> Request[None]:
        """A route to each destination, all with the same options (Route's):
        ``add_many(["172.17.1.0/24", ...], via="198.51.100.2", table=100)``. The options are
        checked once, the messages sent together; if one fails, those added are deleted again
        and its error names the destination (all or nothing)."""
        return rtroute.add_many(dsts, options)

    @Verb
    def add_range(self, first: str, count: int, **options: Unpack[RouteOptions]) -> Request[None]:
        """A route to each of ``count`` consecutive prefixes from ``first``, of its length:
        ``add_range("172.17.0.1/32", 1000, via="198.51.100.2", table=100)`` adds 172.17.0.1
        to 172.17.3.232. As ``add_many`` (options checked once, all or nothing, errors name
        the destination), without a string per destination."""
        from ..rtnl.route_range import add_range    # loaded on first use (not by a CNI plugin)
        return add_range(first, count, options)

    @Verb
    def get(self, dst: str, *, src: str | None = None, dev: LinkRef | None = None,
            iif: LinkRef | None = None, mark: int | None = None) -> Request[RouteView]:
        """The route the kernel picks for ``dst`` (``ip route get``)."""
        return rtroute.get(dst, src=src, dev=dev, iif=iif, mark=mark)

    @Verb
    def dump(self, *, table: Table | None = "main", family: object = None) -> Request[list[RouteView]]:
        """Views of one table's routes (``table=None``: every table)."""
        return rtroute.dump(table=table, family=family)


def _route(route: str | Route, options: dict[str, Any]) -> Route:
    if isinstance(route, Route):
        if options:
            raise InvalidArgument("pass either a Route or a destination and options")
        return route
    try:
        return Route(route, **options)
    except TypeError as exc:
        raise InvalidArgument(f"route options: {exc}") from None


class Neighbours(_Moded[M]):
    """ARP/NDP entries: add, replace, delete, dump."""

    __slots__ = ()

    @Verb
    def add(self, link: LinkRef, ip: str, lladdr: str, *, state: str = "permanent",
            router: bool = False) -> Request[None]:
        from ..rtnl import neigh as rtneigh    # loaded on first use (not by a CNI plugin)
        return rtneigh.add(link, ip, lladdr, state=state, router=router)

    @Verb
    def replace(self, link: LinkRef, ip: str, lladdr: str, *, state: str = "permanent",
                router: bool = False) -> Request[None]:
        from ..rtnl import neigh as rtneigh    # loaded on first use (not by a CNI plugin)
        return rtneigh.add(link, ip, lladdr, state=state, router=router, replace=True)

    @Verb
    def delete(self, link: LinkRef, ip: str) -> Request[None]:
        from ..rtnl import neigh as rtneigh    # loaded on first use (not by a CNI plugin)
        return rtneigh.delete(link, ip)

    @Verb
    def dump(self, link: LinkRef | None = None, *, family: object = None) -> Request[list[NeighbourView]]:
        from ..rtnl import neigh as rtneigh    # loaded on first use (not by a CNI plugin)
        return rtneigh.dump(link=link, family=family)


class Fdb(_Moded[M]):
    """Bridge forwarding database entries: add, delete, dump."""

    __slots__ = ()

    @Verb
    def add(self, link: LinkRef, mac: str, *, master: bool = True, state: str = "permanent",
            vlan: int | None = None, dst: str | None = None, replace: bool = False) -> Request[None]:
        from ..rtnl import neigh as rtneigh    # loaded on first use (not by a CNI plugin)
        return rtneigh.fdb_add(link, mac, master=master, state=state, vlan=vlan, dst=dst,
                               replace=replace)

    @Verb
    def append(self, link: LinkRef, mac: str, *, master: bool = False, state: str = "permanent",
               dst: str) -> Request[None]:
        """One more destination for ``mac`` (``bridge fdb append``; vxlan flooding lists)."""
        from ..rtnl import neigh as rtneigh    # loaded on first use (not by a CNI plugin)
        return rtneigh.fdb_add(link, mac, master=master, state=state, dst=dst, append=True)

    @Verb
    def delete(self, link: LinkRef, mac: str, *, master: bool = True, vlan: int | None = None,
               dst: str | None = None) -> Request[None]:
        from ..rtnl import neigh as rtneigh    # loaded on first use (not by a CNI plugin)
        return rtneigh.fdb_delete(link, mac, master=master, vlan=vlan, dst=dst)

    @Verb
    def dump(self, link: LinkRef | None = None, *, master: LinkRef | None = None) -> Request[list[NeighbourView]]:
        from ..rtnl import neigh as rtneigh    # loaded on first use (not by a CNI plugin)
        return rtneigh.fdb_dump(link=link, master=master)


# the frames that forward a verb's arguments (Verb's ``call``, ``_composed``'s ``build``): a
# TypeError raised there is the caller's argument mistake
_FORWARDERS = frozenset([Verb._call.__code__, *(c for c in _composed.__code__.co_consts if isinstance(c, CodeType))])

__all__ = ["Addresses", "Fdb", "Links", "Neighbours", "Routes"]
