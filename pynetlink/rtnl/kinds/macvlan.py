"""macvlan (and macvtap): modes private, vepa, bridge, passthru, source (+ its MAC list)."""
from __future__ import annotations

from ..._record import record, field

from ..._native import lib
from ...errors import InvalidArgument
from .. import validate as v
from ..link import Link, LinkView, fmt_mac
from ..message import Msg
from ..options import bit, choice, kind_view, option
from ..request import Resolve
from ..validate import LinkRef

MODES = {"private": lib.MACVLAN_MODE_PRIVATE, "vepa": lib.MACVLAN_MODE_VEPA,
         "bridge": lib.MACVLAN_MODE_BRIDGE, "passthru": lib.MACVLAN_MODE_PASSTHRU,
         "source": lib.MACVLAN_MODE_SOURCE}
MODE_NAMES = {n: k for k, n in MODES.items()}
MAC_ACTIONS = {"add": lib.MACVLAN_MACADDR_ADD, "del": lib.MACVLAN_MACADDR_DEL,
               "flush": lib.MACVLAN_MACADDR_FLUSH, "set": lib.MACVLAN_MACADDR_SET}


@record(frozen=True, kw_only=True)
class Macvlan(Link):
    """A macvlan on ``parent``. ``macs`` is the allowed-source list of mode "source"."""

    kind = "macvlan"
    parent: LinkRef
    mode: str | None = option(lib.IFLA_MACVLAN_MODE, choice(MODES, 32))
    nopromisc: bool | None = option(lib.IFLA_MACVLAN_FLAGS, bit(16, lib.MACVLAN_FLAG_NOPROMISC))
    macs: tuple[str, ...] = field(default=())          # mode "source": IFLA_MACVLAN_MACADDR_DATA

    def check(self) -> None:
        t = type(self).__name__
        v.link_ref(self.parent, f"{t}.parent")
        super().check()
        if self.nopromisc is not None:
            if self.nopromisc and (self.mode or "").lower() != "passthru":
                raise InvalidArgument(f"{t}.nopromisc: only valid in mode passthru")
        if not isinstance(self.macs, (tuple, list)):
            raise InvalidArgument(f"{t}.macs: expected a sequence of MAC addresses")
        for mac in self.macs:
            v.mac(mac, f"{t}.macs")
        if self.macs and (self.mode or "").lower() != "source":
            raise InvalidArgument(f"{t}.macs: a MAC list needs mode 'source'")

    def lower(self) -> LinkRef | None:
        return self.parent

    def info_data(self, m: Msg, resolve: Resolve, create: bool) -> None:
        super().info_data(m, resolve, create)
        if self.macs:
            put_macs(m, type(self).__name__, "set", self.macs)


def put_macs(m: Msg, t: str, action: str, macs: tuple[str, ...]) -> None:
    """IFLA_MACVLAN_MACADDR_MODE plus one MACADDR (add, del) or the MACADDR_DATA list (set)."""
    m.u32(lib.IFLA_MACVLAN_MACADDR_MODE, f"{t}.macs_action", MAC_ACTIONS[action])
    if action == "set":
        m.nest(lib.IFLA_MACVLAN_MACADDR_DATA, f"{t}.macs")
        for mac in macs:
            m.binary(lib.IFLA_MACVLAN_MACADDR, f"{t}.macs", v.mac(mac))
        m.end()
    elif action in ("add", "del"):
        (mac,) = macs
        m.binary(lib.IFLA_MACVLAN_MACADDR, f"{t}.mac", v.mac(mac))


@record(frozen=True, kw_only=True)
class Macvtap(Macvlan):
    """A macvtap: a macvlan with a character device."""

    kind = "macvtap"


@kind_view(Macvlan)
class MacvlanView(LinkView):
    """A macvlan as read back: ``parent`` (its ifindex), the ``Macvlan`` options, ``macs``."""

    __slots__ = ()
    KIND_FIELDS = ("parent", "mode", "nopromisc", "macs")

    @property
    def parent(self) -> int | None:
        return self.link

    @property
    def macs(self) -> tuple[str, ...]:
        """The source-mode MAC list."""
        if self._data < 0:
            return ()
        rows = self._rows
        r = rows.find(self._data, lib.IFLA_MACVLAN_MACADDR_DATA)
        if r < 0:
            return ()
        return tuple(fmt_mac(rows.payload(c)) for c in rows.children(r))
