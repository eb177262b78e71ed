"""pynetlink: Linux netlink (rtnetlink, nf_tables) for Python, with a C codec.

    from pynetlink import NetNS, Bridge, Veth

    host, ctr = NetNS.create("host1"), NetNS.create("ctr1")
    with host.handle() as h:
        h.links.create(Bridge("docker0"), up=True)
        h.links.create(Veth("veth1a2b", peer="eth0", peer_netns=ctr, master="docker0"), up=True)

Docker-style networks: ``pynetlink.Networks``; nftables NAT: ``pynetlink.nft``.
"""
from __future__ import annotations

TYPE_CHECKING = False        # not ``typing.TYPE_CHECKING``: importing typing costs ~8 ms (mypy knows the name)
if TYPE_CHECKING:
    from typing import Any

    from ._version import __version__
    from .api.handle import Batch, Handle
    from .api.netns import NetNS
    from .errors import (BatchError, BusyError, DecodeError, DumpInterrupted, ExistsError,
                         InvalidArgument, InvalidRequestError, NetlinkError, NetlinkPermissionError,
                         NetlinkTimeoutError, NotFoundError, NotSupportedError)
    from .networks.manager import Networks
    from .rtnl.addresses import Address, AddressView
    from .rtnl.kinds.bridge import Bridge, BridgeView
    from .rtnl.kinds.dummy import Dummy, DummyView
    from .rtnl.kinds.generic import GenericLink, GenericLinkView
    from .rtnl.kinds.ipvlan import Ipvlan, IpvlanView, Ipvtap
    from .rtnl.kinds.macvlan import Macvlan, MacvlanView, Macvtap
    from .rtnl.kinds.veth import Veth, VethView
    from .rtnl.kinds.vlan import Vlan, VlanView
    from .rtnl.kinds.vxlan import Vxlan, VxlanView
    from .rtnl.link import BridgePort, BridgePortView, Link, LinkView
    from .rtnl.metrics import Metrics
    from .rtnl.neigh import NeighbourView
    from .rtnl.nexthops import NexthopObject, NexthopObjectView
    from .rtnl.request import Outcome
    from .rtnl.routes import Nexthop, NexthopView, Route, RouteView
    from .rtnl.rules import Rule, RuleView

__all__ = ["__version__", "Networks", "Address", "AddressView", "Batch", "BatchError", "Bridge", "BridgePort", "BridgePortView",
           "BridgeView", "BusyError", "DecodeError", "DumpInterrupted", "Dummy", "DummyView",
           "ExistsError", "GenericLink", "GenericLinkView", "Handle", "InvalidArgument",
           "InvalidRequestError", "Ipvlan", "IpvlanView", "Ipvtap", "Link", "LinkView", "Macvlan",
           "MacvlanView", "Macvtap", "NeighbourView", "NetNS", "NetlinkError",
           "NetlinkPermissionError", "NetlinkTimeoutError", "Nexthop", "NexthopView",
           "NotFoundError", "NotSupportedError", "Outcome", "Route", "RouteView", "Veth",
           "VethView", "Vlan", "VlanView", "Vxlan", "VxlanView"]

# PEP 562: nothing above is imported until first used, so ``import pynetlink.cni.skel`` (a CNI
# plugin's VERSION call) costs no more than the skel itself. Each name maps straight to the
# module that defines it (the same modules as the imports above), never to a re-export.
_DEFINED_IN = {
    "_version": ["__version__"],
    "api.handle": ["Batch", "Handle"],
    "api.netns": ["NetNS"],
    "errors": ["BatchError", "BusyError", "DecodeError", "DumpInterrupted", "ExistsError",
               "InvalidArgument", "InvalidRequestError", "NetlinkError", "NetlinkPermissionError",
               "NetlinkTimeoutError", "NotFoundError", "NotSupportedError"],
    "networks.manager": ["Networks"],
    "rtnl.addresses": ["Address", "AddressView"],
    "rtnl.kinds.bridge": ["Bridge", "BridgeView"],
    "rtnl.kinds.dummy": ["Dummy", "DummyView"],
    "rtnl.kinds.generic": ["GenericLink", "GenericLinkView"],
    "rtnl.kinds.ipvlan": ["Ipvlan", "IpvlanView", "Ipvtap"],
    "rtnl.kinds.macvlan": ["Macvlan", "MacvlanView", "Macvtap"],
    "rtnl.kinds.veth": ["Veth", "VethView"],
    "rtnl.kinds.vlan": ["Vlan", "VlanView"],
    "rtnl.kinds.vxlan": ["Vxlan", "VxlanView"],
    "rtnl.link": ["BridgePort", "BridgePortView", "Link", "LinkView"],
    "rtnl.metrics": ["Metrics"],
    "rtnl.neigh": ["NeighbourView"],
    "rtnl.nexthops": ["NexthopObject", "NexthopObjectView"],
    "rtnl.request": ["Outcome"],
    "rtnl.routes": ["Nexthop", "NexthopView", "Route", "RouteView"],
    "rtnl.rules": ["Rule", "RuleView"],
}
_FROM = {name: module for module, names in _DEFINED_IN.items() for name in names}
# policy routing: rules, nexthop objects, route metrics (rtnl/rules.py, nexthops.py, metrics.py)
__all__ += ["Metrics", "NexthopObject", "NexthopObjectView", "Rule", "RuleView"]


def __getattr__(name: str) -> Any:
    from ._importing import import_module     # without importlib (which loads warnings)
    if name in _FROM:
        value = getattr(import_module(f".{_FROM[name]}", __name__), name)
    elif not name.startswith("_") and name.isidentifier():
        try:                                  # ``pynetlink.nft`` etc. without importing it first
            value = import_module(f".{name}", __name__)
        except ModuleNotFoundError as e:
            if e.name != f"{__name__}.{name}":
                raise
            raise AttributeError(f"module {__name__!r} has no attribute {name!r}") from None
    else:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
