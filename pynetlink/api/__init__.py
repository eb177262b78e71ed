"""The object API: a Handle per namespace, frozen specs, lazy views."""
from __future__ import annotations


from ..rtnl.link import BridgePort, BridgePortView, Link, LinkView
from ..rtnl.request import Outcome
from ..rtnl.addresses import Address, AddressView
from ..rtnl.routes import Nexthop, NexthopView, Route, RouteView
from .handle import Batch, Handle
from .netns import NetNS

TYPE_CHECKING = False       # typing is not imported at run time
if TYPE_CHECKING:
    from typing import Any
    from ..rtnl.metrics import Metrics
    from ..rtnl.neigh import NeighbourView
    from ..rtnl.nexthops import NexthopObject, NexthopObjectView
    from ..rtnl.rules import Rule, RuleView
    from ..rtnl.kinds import (Bridge, BridgeView, Dummy, DummyView, GenericLink, GenericLinkView, Ipvlan,
                              IpvlanView, Ipvtap, Macvlan, MacvlanView, Macvtap, Veth, VethView, Vlan,
                              VlanView, Vxlan, VxlanView)

__all__ = ["Address", "AddressView", "Batch", "Bridge", "BridgePort", "BridgePortView",
           "BridgeView", "Dummy", "DummyView", "GenericLink", "GenericLinkView", "Handle", "Ipvlan",
           "IpvlanView", "Ipvtap", "Link", "LinkView", "Macvlan", "MacvlanView", "Macvtap",
           "NeighbourView", "NetNS", "Nexthop", "NexthopView", "Outcome", "Route", "RouteView",
           "Veth", "VethView", "Vlan", "VlanView", "Vxlan", "VxlanView"]
__all__ += ["Metrics", "NexthopObject", "NexthopObjectView", "Rule", "RuleView"]


_LAZY = {"NexthopObject": "nexthops", "NexthopObjectView": "nexthops", "Rule": "rules", "RuleView": "rules",
         "NeighbourView": "neigh", "Metrics": "metrics"}


def __getattr__(name: str) -> Any:
    """PEP 562: the link kinds (``Bridge``, ``Veth``, ...) load on first use, from the
    module of rtnl/kinds that defines each; rules', nexthop objects', neighbours' and
    route metrics' names from theirs."""
    from .._importing import import_module
    if name in _LAZY:
        return getattr(import_module(f"pynetlink.rtnl.{_LAZY[name]}"), name)
    from ..rtnl import kinds
    return getattr(kinds, name)
