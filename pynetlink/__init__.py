"""pynetlink: Linux netlink (rtnetlink, nf_tables) for Python, with a C codec.

    from pynetlink import NetNS, Bridge, Veth

    host, ctr = NetNS.create("host1"), NetNS.create("ctr1")
    with host.handle() as h:
        h.links.create(Bridge("docker0"), up=True)
        h.links.create(Veth("veth1a2b", peer="eth0", peer_netns=ctr, master="docker0"), up=True)

Docker-style networks: ``pynetlink.Networks``; nftables NAT: ``pynetlink.nft``.
"""
from ._version import __version__
from .api import (Address, AddressView, Batch, Bridge, BridgePort, BridgePortView, BridgeView, Dummy,
                  DummyView, GenericLink, GenericLinkView, Handle, Ipvlan, IpvlanView, Ipvtap, Link,
                  LinkView, Macvlan, MacvlanView, Macvtap, NeighbourView, NetNS, Nexthop, NexthopView,
                  Outcome, Route, RouteView, Veth, VethView, Vlan, VlanView, Vxlan, VxlanView)
from .networks import Networks
from .errors import (BatchError, BusyError, DecodeError, DumpInterrupted, ExistsError,
                     InvalidArgument, InvalidRequestError, NetlinkError, NetlinkPermissionError,
                     NetlinkTimeoutError, NotFoundError, NotSupportedError)

__all__ = ["__version__", "Networks", "Address", "AddressView", "Batch", "BatchError", "Bridge", "BridgePort", "BridgePortView",
           "BridgeView", "BusyError", "DecodeError", "DumpInterrupted", "Dummy", "DummyView",
           "ExistsError", "GenericLink", "GenericLinkView", "Handle", "InvalidArgument",
           "InvalidRequestError", "Ipvlan", "IpvlanView", "Ipvtap", "Link", "LinkView", "Macvlan",
           "MacvlanView", "Macvtap", "NeighbourView", "NetNS", "NetlinkError",
           "NetlinkPermissionError", "NetlinkTimeoutError", "Nexthop", "NexthopView",
           "NotFoundError", "NotSupportedError", "Outcome", "Route", "RouteView", "Veth",
           "VethView", "Vlan", "VlanView", "Vxlan", "VxlanView"]
