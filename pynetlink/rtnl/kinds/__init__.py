"""Link kinds: one module each, imported on first use. Adding a kind = one module + its line in
``KINDS`` and ``_FROM`` (a bridge plugin that only makes bridges and veths loads just those two)."""
from __future__ import annotations

from ..._importing import import_module

from ..._native import lib
from ...codec.rows import Rows
from ..link import LinkView

TYPE_CHECKING = False       # typing is not imported at run time
if TYPE_CHECKING:
    from typing import Any
    from .bridge import Bridge, BridgeView
    from .dummy import Dummy, DummyView
    from .generic import GenericLink, GenericLinkView
    from .ipvlan import Ipvlan, IpvlanView, Ipvtap
    from .macvlan import Macvlan, MacvlanView, Macvtap
    from .veth import Veth, VethView
    from .vlan import Vlan, VlanView
    from .vxlan import Vxlan, VxlanView

# IFLA_INFO_KIND -> (module, view class); its view class is imported the first time one is seen
KINDS: dict[str, tuple[str, str]] = {
    "bridge": ("bridge", "BridgeView"), "dummy": ("dummy", "DummyView"), "ipvlan": ("ipvlan", "IpvlanView"),
    "ipvtap": ("ipvlan", "IpvlanView"), "macvlan": ("macvlan", "MacvlanView"), "macvtap": ("macvlan", "MacvlanView"),
    "veth": ("veth", "VethView"), "vlan": ("vlan", "VlanView"), "vxlan": ("vxlan", "VxlanView"),
}
VIEWS: dict[str, type[LinkView]] = {}           # the view classes of ``KINDS`` loaded so far

_LINKINFO, _INFO_KIND = int(lib.IFLA_LINKINFO), int(lib.IFLA_INFO_KIND)


def view_class(kind: str | None) -> type[LinkView]:
    """The view class of an IFLA_INFO_KIND: its kind's, GenericLinkView for an unknown kind,
    LinkView for none."""
    if not kind:
        return LinkView
    cls = VIEWS.get(kind)
    if cls is None:
        module, name = KINDS.get(kind, ("generic", "GenericLinkView"))
        cls = getattr(import_module(f".{module}", __name__), name)
        if kind in KINDS:
            VIEWS[kind] = cls
    return cls


def view_of(rows: Rows, msg: int) -> LinkView:
    """The view class of the message's IFLA_INFO_KIND (LinkView when it has none)."""
    info = rows.find(msg, _LINKINFO)
    kind = rows.get_str(info, _INFO_KIND) if info >= 0 else None
    return view_class(kind)(rows, msg, info)


_FROM = {"Bridge": "bridge", "BridgeView": "bridge", "Dummy": "dummy", "DummyView": "dummy",
         "GenericLink": "generic", "GenericLinkView": "generic", "Ipvlan": "ipvlan", "IpvlanView": "ipvlan",
         "Ipvtap": "ipvlan", "Macvlan": "macvlan", "MacvlanView": "macvlan", "Macvtap": "macvlan",
         "Veth": "veth", "VethView": "veth", "Vlan": "vlan", "VlanView": "vlan", "Vxlan": "vxlan",
         "VxlanView": "vxlan"}


def __getattr__(name: str) -> Any:
    """PEP 562: ``from pynetlink.rtnl.kinds import Vxlan`` imports the vxlan module then."""
    if name in _FROM:
        return getattr(import_module(f".{_FROM[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["Bridge", "BridgeView", "Dummy", "DummyView", "GenericLink", "GenericLinkView", "Ipvlan",
           "IpvlanView", "Ipvtap", "Macvlan", "MacvlanView", "Macvtap", "Veth", "VethView", "Vlan",
           "VlanView", "Vxlan", "VxlanView", "KINDS", "VIEWS", "view_class", "view_of"]
