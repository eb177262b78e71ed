"""Link kinds: one module each. Adding a kind = one module + its line in ``VIEWS``."""
from __future__ import annotations

from ..._native import lib
from ...codec.rows import Rows
from ..link import LinkView
from .bridge import Bridge, BridgeView
from .dummy import Dummy, DummyView
from .generic import GenericLink, GenericLinkView
from .ipvlan import Ipvlan, IpvlanView, Ipvtap
from .macvlan import Macvlan, MacvlanView, Macvtap
from .veth import Veth, VethView
from .vlan import Vlan, VlanView
from .vxlan import Vxlan, VxlanView

VIEWS: dict[str, type[LinkView]] = {
    "bridge": BridgeView, "dummy": DummyView, "ipvlan": IpvlanView, "ipvtap": IpvlanView,
    "macvlan": MacvlanView, "macvtap": MacvlanView, "veth": VethView, "vlan": VlanView,
    "vxlan": VxlanView,
}


_LINKINFO, _INFO_KIND = int(lib.IFLA_LINKINFO), int(lib.IFLA_INFO_KIND)


def view_of(rows: Rows, msg: int) -> LinkView:
    """The view class of the message's IFLA_INFO_KIND (LinkView when it has none)."""
    info = rows.find(msg, _LINKINFO)
    kind = rows.get_str(info, _INFO_KIND) if info >= 0 else None
    cls = VIEWS.get(kind, GenericLinkView) if kind else LinkView
    return cls(rows, msg, info)


__all__ = ["Bridge", "BridgeView", "Dummy", "DummyView", "GenericLink", "GenericLinkView", "Ipvlan",
           "IpvlanView", "Ipvtap", "Macvlan", "MacvlanView", "Macvtap", "Veth", "VethView", "Vlan",
           "VlanView", "Vxlan", "VxlanView", "VIEWS", "view_of"]
