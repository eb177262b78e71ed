"""Verb namespaces (``h.links``, ``h.addresses``, ...), written once for both modes.

Each verb builds an rtnl ``Request`` and hands it to the namespace's ``submit``: a Handle
runs it at once and returns its value (or raises); a Batch queues it and returns the
``Outcome`` that is filled when the batch runs.
"""
from __future__ import annotations


from ..errors import InvalidArgument
from ..rtnl import addresses as rtaddr
from ..rtnl import links as rtlink
from ..rtnl import neigh as rtneigh
from ..rtnl import routes as rtroute
from ..rtnl.addresses import Address
from ..rtnl.link import BridgePort, Link
from ..rtnl.request import Request
from ..rtnl.routes import Route, Table
from ..rtnl.validate import LinkRef, NetnsRef

TYPE_CHECKING = False       # typing is not imported at run time
if TYPE_CHECKING:
    from typing import Any, Callable, Generic, Sequence, TypeVar
else:
    from .._lighttyping import Callable, Generic, TypeVar

R = TypeVar("R")
Submit = Callable[[Request], R]


class _Verbs(Generic[R]):
    __slots__ = ("_submit", "_immediate")

    def __init__(self, submit: Submit[R], immediate: bool) -> None:
        self._submit = submit
        self._immediate = immediate


class Links(_Verbs[R]):
    """Links: create, change, set, move, delete, get, dump."""

    __slots__ = ()

    def create(self, spec: Link, *, up: bool | None = None) -> R:
        """Create a link from a spec (``Bridge``, ``Veth``, ``Macvlan``...).

        Run at once it returns the new link's view (None when created in another namespace).
        """
        if up is not None:
            spec = spec.replace(up=up)
        return self._submit(rtlink.create(spec, fetch=self._immediate))

    def change(self, spec: Link) -> R:
        """Apply a spec's options (kind-specific ones included) to the existing link of its name."""
        return self._submit(rtlink.change(spec))

    def set(self, link: LinkRef, *, up: bool | None = None, mtu: int | None = None,
            mac: str | None = None, name: str | None = None, master: LinkRef | None = None,
            nomaster: bool = False, alias: str | None = None, txqlen: int | None = None,
            group: int | None = None, netns: NetnsRef | None = None, promisc: bool | None = None) -> R:
        """``ip link set``: state, MTU, MAC, rename, master/nomaster, alias, txqueuelen, group,
        netns, promiscuous mode."""
        return self._submit(rtlink.set_attrs(link, up=up, mtu=mtu, mac=mac, name=name, master=master,
                                             nomaster=nomaster, alias=alias, txqlen=txqlen,
                                             group=group, netns=netns, promisc=promisc))

    def set_port(self, link: LinkRef, port: BridgePort) -> R:
        """Bridge-port options (hairpin, isolated, learning, flood, cost, priority)."""
        return self._submit(rtlink.set_port(link, port))

    def macvlan_macs(self, link: LinkRef, action: str, macs: Sequence[str] = (), *,
                     kind: str = "macvlan") -> R:
        """The MAC list of a source-mode macvlan: action 'set', 'add', 'del' or 'flush'."""
        return self._submit(rtlink.macvlan_macs(link, action, macs, kind))

    def move(self, link: LinkRef, netns: NetnsRef, *, name: str | None = None) -> R:
        """Move to a namespace (NetNS, name, path, or pid), optionally renaming."""
        return self._submit(rtlink.move(link, netns, name=name))

    def delete(self, link: LinkRef) -> R:
        return self._submit(rtlink.delete(link))

    def delete_group(self, group: int) -> R:
        """Delete every link of ``group`` in one request."""
        return self._submit(rtlink.delete_group(group))

    def get(self, link: LinkRef) -> R:
        """One link's view; NotFoundError when it does not exist."""
        return self._submit(rtlink.get(link))

    def dump(self, *, kind: str | None = None, master: LinkRef | None = None) -> R:
        """Views of all links (or of one kind, or the ports of one master)."""
        return self._submit(rtlink.dump(kind=kind, master=master))


class Addresses(_Verbs[R]):
    """Addresses: add, replace, delete, dump. ``add("eth0", "172.17.0.2/24")`` or ``add(Address(...))``."""

    __slots__ = ()

    def add(self, link: LinkRef | Address, address: str | None = None, **options: Any) -> R:
        return self._submit(rtaddr.add(_address(link, address, options)))

    def replace(self, link: LinkRef | Address, address: str | None = None, **options: Any) -> R:
        return self._submit(rtaddr.add(_address(link, address, options), replace=True))

    def delete(self, link: LinkRef | Address, address: str | None = None) -> R:
        return self._submit(rtaddr.delete(_address(link, address, {})))

    def dump(self, link: LinkRef | None = None, *, family: object = None) -> R:
        """Views of the addresses (of one link, of one family: 4 or 6)."""
        return self._submit(rtaddr.dump(link=link, family=family))


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


class Routes(_Verbs[R]):
    """Routes: add, replace, append, delete, get, dump. ``add("default", via="172.17.0.1")``."""

    __slots__ = ()

    def add(self, route: str | Route = "default", **options: Any) -> R:
        return self._submit(rtroute.add(_route(route, options)))

    def replace(self, route: str | Route = "default", **options: Any) -> R:
        return self._submit(rtroute.add(_route(route, options), how="replace"))

    def append(self, route: str | Route = "default", **options: Any) -> R:
        return self._submit(rtroute.add(_route(route, options), how="append"))

    def delete(self, route: str | Route = "default", **options: Any) -> R:
        return self._submit(rtroute.delete(_route(route, options)))

    def get(self, dst: str, *, src: str | None = None, dev: LinkRef | None = None,
            iif: LinkRef | None = None, mark: int | None = None) -> R:
        """The route the kernel picks for ``dst`` (``ip route get``)."""
        return self._submit(rtroute.get(dst, src=src, dev=dev, iif=iif, mark=mark))

    def dump(self, *, table: Table | None = "main", family: object = None) -> R:
        """Views of one table's routes (``table=None``: every table)."""
        return self._submit(rtroute.dump(table=table, family=family))


def _route(route: str | Route, options: dict[str, Any]) -> Route:
    if isinstance(route, Route):
        if options:
            raise InvalidArgument("pass either a Route or a destination and options")
        return route
    if "nexthops" in options:
        options["nexthops"] = tuple(options["nexthops"])
    try:
        return Route(route, **options)
    except TypeError as exc:
        raise InvalidArgument(f"route options: {exc}") from None


class Neighbours(_Verbs[R]):
    """ARP/NDP entries: add, replace, delete, dump."""

    __slots__ = ()

    def add(self, link: LinkRef, ip: str, lladdr: str, *, state: str = "permanent",
            router: bool = False) -> R:
        return self._submit(rtneigh.add(link, ip, lladdr, state=state, router=router))

    def replace(self, link: LinkRef, ip: str, lladdr: str, *, state: str = "permanent",
                router: bool = False) -> R:
        return self._submit(rtneigh.add(link, ip, lladdr, state=state, router=router, replace=True))

    def delete(self, link: LinkRef, ip: str) -> R:
        return self._submit(rtneigh.delete(link, ip))

    def dump(self, link: LinkRef | None = None, *, family: object = None) -> R:
        return self._submit(rtneigh.dump(link=link, family=family))


class Fdb(_Verbs[R]):
    """Bridge forwarding database entries: add, delete, dump."""

    __slots__ = ()

    def add(self, link: LinkRef, mac: str, *, master: bool = True, state: str = "permanent",
            vlan: int | None = None, dst: str | None = None, replace: bool = False) -> R:
        return self._submit(rtneigh.fdb_add(link, mac, master=master, state=state, vlan=vlan, dst=dst,
                                            replace=replace))

    def append(self, link: LinkRef, mac: str, *, master: bool = False, state: str = "permanent",
               dst: str) -> R:
        """One more destination for ``mac`` (``bridge fdb append``; vxlan flooding lists)."""
        return self._submit(rtneigh.fdb_add(link, mac, master=master, state=state, dst=dst, append=True))

    def delete(self, link: LinkRef, mac: str, *, master: bool = True, vlan: int | None = None,
               dst: str | None = None) -> R:
        return self._submit(rtneigh.fdb_delete(link, mac, master=master, vlan=vlan, dst=dst))

    def dump(self, link: LinkRef | None = None, *, master: LinkRef | None = None) -> R:
        return self._submit(rtneigh.fdb_dump(link=link, master=master))


__all__ = ["Addresses", "Fdb", "Links", "Neighbours", "Routes"]
