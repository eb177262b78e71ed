"""ipvlan (and ipvtap): modes l2, l3, l3s; flags bridge, private, vepa."""
from __future__ import annotations

from ..._record import record

from ..._native import lib
from .. import validate as v
from ..link import Link, LinkView
from ..message import Msg
from ..request import Resolve
from ..validate import LinkRef

MODES = {"l2": lib.IPVLAN_MODE_L2, "l3": lib.IPVLAN_MODE_L3, "l3s": lib.IPVLAN_MODE_L3S}
FLAGS = {"bridge": 0, "private": lib.IPVLAN_F_PRIVATE, "vepa": lib.IPVLAN_F_VEPA}
MODE_NAMES = {n: k for k, n in MODES.items()}
FLAG_NAMES = {n: k for k, n in FLAGS.items()}


@record(frozen=True, kw_only=True)
class Ipvlan(Link):
    """An ipvlan on ``parent``: it shares the parent's MAC address."""

    kind = "ipvlan"
    parent: LinkRef
    mode: str | None = None
    flag: str | None = None

    def check(self) -> None:
        t = type(self).__name__
        v.link_ref(self.parent, f"{t}.parent")
        if self.mode is not None:
            v.choice(self.mode, f"{t}.mode", MODES)
        if self.flag is not None:
            v.choice(self.flag, f"{t}.flag", FLAGS)

    def lower(self) -> LinkRef | None:
        return self.parent

    def info_data(self, m: Msg, resolve: Resolve, create: bool) -> None:
        t = type(self).__name__
        if self.mode is not None:
            m.u16(lib.IFLA_IPVLAN_MODE, f"{t}.mode", MODES[self.mode.lower()])
        if self.flag is not None:
            m.u16(lib.IFLA_IPVLAN_FLAGS, f"{t}.flag", FLAGS[self.flag.lower()])


@record(frozen=True, kw_only=True)
class Ipvtap(Ipvlan):
    kind = "ipvtap"


class IpvlanView(LinkView):
    __slots__ = ()
    KIND_FIELDS = ("parent", "mode", "flag")

    @property
    def parent(self) -> int | None:
        return self.link

    @property
    def mode(self) -> str | None:
        val = self._d(lib.IFLA_IPVLAN_MODE)
        return None if val is None else MODE_NAMES.get(val, str(val))

    @property
    def flag(self) -> str | None:
        val = self._d(lib.IFLA_IPVLAN_FLAGS)
        return None if val is None else FLAG_NAMES.get(val, str(val))
