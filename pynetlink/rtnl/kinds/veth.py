"""veth: a pair; the peer can be named, sized, addressed and placed in another namespace."""
from __future__ import annotations

from ..._record import record

from ..._native import lib
from ...errors import InvalidArgument
from .. import validate as v
from ..link import Link, LinkView, put_netns
from ..message import Msg
from ..request import Resolve
from ..validate import NetnsRef


@record(frozen=True, kw_only=True)
class Veth(Link):
    """A veth pair. ``peer_netns`` creates the peer inside that namespace in the same
    message (VETH_INFO_PEER carries IFLA_NET_NS_FD), as Docker does."""

    kind = "veth"
    peer: str | None = None
    peer_netns: NetnsRef | None = None
    peer_mtu: int | None = None
    peer_mac: str | None = None

    def check(self) -> None:
        if self.peer is not None:
            v.ifname(self.peer, "Veth.peer")
        if self.peer_netns is not None:
            v.netns_ref(self.peer_netns, "Veth.peer_netns")
        elif self.peer is not None and self.peer == self.name and self.netns is None:
            raise InvalidArgument(f"Veth.peer: both ends are named {self.name!r} in one namespace")
        if self.peer_mtu is not None:
            v.integer(self.peer_mtu, "Veth.peer_mtu", 68, 65535)
        if self.peer_mac is not None:
            v.device_mac(self.peer_mac, "Veth.peer_mac")

    def netns_refs(self) -> tuple[tuple[str, NetnsRef], ...]:
        mine = super().netns_refs()
        return mine if self.peer_netns is None else (*mine, ("Veth.peer_netns", self.peer_netns))

    def created_names(self) -> tuple[str, ...]:
        if self.netns is not None:
            return ()
        if self.peer is not None and self.peer_netns is None:
            return (self.name, self.peer)
        return (self.name,)

    def info_data(self, m: Msg, resolve: Resolve, create: bool) -> None:
        if not create:
            return                      # the kernel cannot change a veth's peer
        m.nest(lib.VETH_INFO_PEER, "Veth.peer_info")
        m.fixed("Veth.peer_header", "BxHiII", 0, 0, 0, 0, 0)
        if self.peer_netns is not None:
            put_netns(m, "Veth.peer_netns", self.peer_netns)
        if self.peer is not None:
            m.string(lib.IFLA_IFNAME, "Veth.peer", self.peer)
        if self.peer_mtu is not None:
            m.u32(lib.IFLA_MTU, "Veth.peer_mtu", self.peer_mtu)
        if self.peer_mac is not None:
            m.binary(lib.IFLA_ADDRESS, "Veth.peer_mac", v.mac(self.peer_mac))
        m.end()


class VethView(LinkView):
    """One end of a pair: ``peer_index`` (and ``link_netnsid`` when the peer is elsewhere)."""

    __slots__ = ()
    KIND_FIELDS = ("peer_index",)

    @property
    def peer_index(self) -> int | None:
        return self.link
