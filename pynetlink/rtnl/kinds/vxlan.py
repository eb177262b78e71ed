"""vxlan: VNI, remote peer or multicast group, local address, UDP port, underlay device."""
from __future__ import annotations

from ..._record import record

from ..._native import lib
from ...errors import InvalidArgument
from .. import validate as v
from ..link import Link, LinkView
from ..options import address, be16, boolean, ifindex, integer, kind_view, option
from ..validate import LinkRef

IANA_PORT = 4789


@record(frozen=True, kw_only=True)
class Vxlan(Link):
    """A VXLAN device with VNI ``id``; ``remote`` is a unicast peer, ``mcast_group`` a
    multicast group; ``dstport`` defaults to the kernel's (8472) unless given (4789 is IANA's)."""

    kind = "vxlan"
    # declared in the order iproute2 sends them (tests/rtnl/test_vectors.py)
    parent: LinkRef | None = option(lib.IFLA_VXLAN_LINK, ifindex())
    id: int = option(lib.IFLA_VXLAN_ID, integer(32, 0, (1 << 24) - 1), required=True)
    remote: str | None = option(lib.IFLA_VXLAN_GROUP, address(lib.IFLA_VXLAN_GROUP6))
    mcast_group: str | None = option(lib.IFLA_VXLAN_GROUP, address(lib.IFLA_VXLAN_GROUP6))
    local: str | None = option(lib.IFLA_VXLAN_LOCAL, address(lib.IFLA_VXLAN_LOCAL6))
    ttl: int | None = option(lib.IFLA_VXLAN_TTL, integer(8))
    learning: bool | None = option(lib.IFLA_VXLAN_LEARNING, boolean(8))
    dstport: int | None = option(lib.IFLA_VXLAN_PORT, be16(1, 65535))

    def check(self) -> None:
        super().check()
        addrs = []
        for f in ("remote", "mcast_group", "local"):
            if getattr(self, f) is not None:
                addrs.append(v.ip(getattr(self, f), f"Vxlan.{f}"))
        v.family_of(*addrs)
        if self.remote is not None and self.mcast_group is not None:
            raise InvalidArgument("Vxlan: remote and mcast_group exclude each other")
        if self.mcast_group is not None and not v.ip(self.mcast_group, "Vxlan.mcast_group").is_multicast:
            raise InvalidArgument(f"Vxlan.mcast_group: {self.mcast_group} is not a multicast address")

    def needs(self) -> tuple[str, ...]:
        extra = (self.parent,) if isinstance(self.parent, str) else ()
        return super().needs() + extra


@kind_view(Vxlan)
class VxlanView(LinkView):
    """A VXLAN as read back: the ``Vxlan`` options, ``remote``, ``local``, ``parent``."""

    __slots__ = ()
    KIND_FIELDS = ("id", "remote", "local", "dstport", "parent", "learning", "ttl")
