"""The object API: a Handle per namespace, frozen specs, lazy views."""
from ..rtnl import (Bridge, BridgePort, BridgePortView, BridgeView, Dummy, DummyView, GenericLink,
                    GenericLinkView, Ipvlan, IpvlanView, Ipvtap, Link, LinkView, Macvlan,
                    MacvlanView, Macvtap, Outcome, Veth, VethView, Vlan, VlanView, Vxlan, VxlanView)
from ..rtnl.addresses import Address, AddressView
from ..rtnl.neigh import NeighbourView
from ..rtnl.routes import Nexthop, NexthopView, Route, RouteView
from .handle import Batch, Handle
from .netns import NetNS

__all__ = ["Address", "AddressView", "Batch", "Bridge", "BridgePort", "BridgePortView",
           "BridgeView", "Dummy", "DummyView", "GenericLink", "GenericLinkView", "Handle", "Ipvlan",
           "IpvlanView", "Ipvtap", "Link", "LinkView", "Macvlan", "MacvlanView", "Macvtap",
           "NeighbourView", "NetNS", "Nexthop", "NexthopView", "Outcome", "Route", "RouteView",
           "Veth", "VethView", "Vlan", "VlanView", "Vxlan", "VxlanView"]
