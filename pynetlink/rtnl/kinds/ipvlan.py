"""ipvlan (and ipvtap): modes l2, l3, l3s; flags bridge, private, vepa."""
from __future__ import annotations

from ..._record import record

from ..._native import lib
from .. import validate as v
from ..link import Link, LinkView
from ..options import choice, kind_view, option
from ..validate import LinkRef

MODES = {"l2": lib.IPVLAN_MODE_L2, "l3": lib.IPVLAN_MODE_L3, "l3s": lib.IPVLAN_MODE_L3S}
FLAGS = {"bridge": 0, "private": lib.IPVLAN_F_PRIVATE, "vepa": lib.IPVLAN_F_VEPA}


@record(frozen=True, kw_only=True)
class Ipvlan(Link):
    """An ipvlan on ``parent``: it shares the parent's MAC address."""

    kind = "ipvlan"
    parent: LinkRef
    mode: str | None = option(lib.IFLA_IPVLAN_MODE, choice(MODES, 16))
    flag: str | None = option(lib.IFLA_IPVLAN_FLAGS, choice(FLAGS, 16))

    def check(self) -> None:
        v.link_ref(self.parent, f"{type(self).__name__}.parent")
        super().check()

    def lower(self) -> LinkRef | None:
        return self.parent


@record(frozen=True, kw_only=True)
class Ipvtap(Ipvlan):
    kind = "ipvtap"


@kind_view(Ipvlan)
class IpvlanView(LinkView):
    """An ipvlan as read back: ``parent`` (its ifindex) and the ``Ipvlan`` options."""

    __slots__ = ()
    KIND_FIELDS = ("parent", "mode", "flag")

    @property
    def parent(self) -> int | None:
        return self.link
