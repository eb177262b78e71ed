"""vxlan: VNI, remote peer or multicast group, local address, UDP port, underlay device."""
from __future__ import annotations

import ipaddress
from ..._record import record

from ..._native import lib
from ...errors import InvalidArgument
from .. import validate as v
from ..link import Link, LinkView
from ..message import Msg
from ..request import Resolve
from ..validate import LinkRef

IANA_PORT = 4789


@record(frozen=True, kw_only=True)
class Vxlan(Link):
    """A VXLAN device with VNI ``id``; ``remote`` is a unicast peer, ``mcast_group`` a
    multicast group; ``dstport`` defaults to the kernel's (8472) unless given (4789 is IANA's)."""

    kind = "vxlan"
    id: int
    remote: str | None = None
    mcast_group: str | None = None
    local: str | None = None
    dstport: int | None = None
    parent: LinkRef | None = None
    learning: bool | None = None
    ttl: int | None = None

    def check(self) -> None:
        v.integer(self.id, "Vxlan.id", 0, (1 << 24) - 1)
        addrs = []
        for f in ("remote", "mcast_group", "local"):
            if getattr(self, f) is not None:
                addrs.append(v.ip(getattr(self, f), f"Vxlan.{f}"))
        v.family_of(*addrs)
        if self.remote is not None and self.mcast_group is not None:
            raise InvalidArgument("Vxlan: remote and mcast_group exclude each other")
        if self.mcast_group is not None and not v.ip(self.mcast_group, "Vxlan.mcast_group").is_multicast:
            raise InvalidArgument(f"Vxlan.mcast_group: {self.mcast_group} is not a multicast address")
        if self.dstport is not None:
            v.integer(self.dstport, "Vxlan.dstport", 1, 65535)
        if self.parent is not None:
            v.link_ref(self.parent, "Vxlan.parent")
        if self.learning is not None:
            v.boolean(self.learning, "Vxlan.learning")
        if self.ttl is not None:
            v.integer(self.ttl, "Vxlan.ttl", 0, 255)

    def needs(self) -> tuple[str, ...]:
        extra = (self.parent,) if isinstance(self.parent, str) else ()
        return super().needs() + extra

    def info_data(self, m: Msg, resolve: Resolve, create: bool) -> None:
        if self.parent is not None:
            m.u32(lib.IFLA_VXLAN_LINK, "Vxlan.parent", resolve(self.parent))
        m.u32(lib.IFLA_VXLAN_ID, "Vxlan.id", self.id)
        for f, a4, a6 in (("remote", lib.IFLA_VXLAN_GROUP, lib.IFLA_VXLAN_GROUP6),
                          ("mcast_group", lib.IFLA_VXLAN_GROUP, lib.IFLA_VXLAN_GROUP6),
                          ("local", lib.IFLA_VXLAN_LOCAL, lib.IFLA_VXLAN_LOCAL6)):
            val = getattr(self, f)
            if val is not None:
                addr = ipaddress.ip_address(val)
                m.binary(a4 if addr.version == 4 else a6, f"Vxlan.{f}", addr.packed)
        if self.ttl is not None:
            m.u8(lib.IFLA_VXLAN_TTL, "Vxlan.ttl", self.ttl)
        if self.learning is not None:
            m.u8(lib.IFLA_VXLAN_LEARNING, "Vxlan.learning", int(self.learning))
        if self.dstport is not None:
            m.be16(lib.IFLA_VXLAN_PORT, "Vxlan.dstport", self.dstport)


class VxlanView(LinkView):
    __slots__ = ()
    KIND_FIELDS = ("id", "remote", "local", "dstport", "parent", "learning", "ttl")

    def _addr(self, a4: int, a6: int) -> str | None:
        raw = self._dbytes(a4) or self._dbytes(a6)
        if not raw or not any(raw):
            return None
        return str(ipaddress.ip_address(raw))

    @property
    def id(self) -> int | None:
        return self._d(lib.IFLA_VXLAN_ID)

    @property
    def remote(self) -> str | None:
        """The remote peer or multicast group."""
        return self._addr(lib.IFLA_VXLAN_GROUP, lib.IFLA_VXLAN_GROUP6)

    @property
    def local(self) -> str | None:
        return self._addr(lib.IFLA_VXLAN_LOCAL, lib.IFLA_VXLAN_LOCAL6)

    @property
    def dstport(self) -> int | None:
        raw = self._dbytes(lib.IFLA_VXLAN_PORT)
        return int.from_bytes(raw[:2], "big") if raw and len(raw) >= 2 else None

    @property
    def parent(self) -> int | None:
        return self._d(lib.IFLA_VXLAN_LINK) or None

    @property
    def learning(self) -> bool | None:
        val = self._d(lib.IFLA_VXLAN_LEARNING)
        return None if val is None else bool(val)

    @property
    def ttl(self) -> int | None:
        return self._d(lib.IFLA_VXLAN_TTL)
