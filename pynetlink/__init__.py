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
    from .api import (Address, AddressView, Batch, Bridge, BridgePort, BridgePortView, BridgeView, Dummy,
                      DummyView, GenericLink, GenericLinkView, Handle, Ipvlan, IpvlanView, Ipvtap, Link,
                      LinkView, Macvlan, MacvlanView, Macvtap, NeighbourView, NetNS, Nexthop, NexthopView,
                      Outcome, Route, RouteView, Veth, VethView, Vlan, VlanView, Vxlan, VxlanView)
    from .api import (Metrics as Metrics, NexthopObject as NexthopObject,
                      NexthopObjectView as NexthopObjectView, Rule as Rule, RuleView as RuleView)
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

# PEP 562: nothing above is imported until first used, so ``import pynetlink.cni.skel`` (a CNI
# plugin's VERSION call) costs no more than the skel itself.
_FROM = {"__version__": "_version",
         **dict.fromkeys(["Address", "AddressView", "Batch", "Bridge", "BridgePort", "BridgePortView",
                          "BridgeView", "Dummy", "DummyView", "GenericLink", "GenericLinkView", "Handle",
                          "Ipvlan", "IpvlanView", "Ipvtap", "Link", "LinkView", "Macvlan", "MacvlanView",
                          "Macvtap", "NeighbourView", "NetNS", "Nexthop", "NexthopView", "Outcome", "Route",
                          "RouteView", "Veth", "VethView", "Vlan", "VlanView", "Vxlan", "VxlanView"], "api"),
         "Networks": "networks",
         **dict.fromkeys(["BatchError", "BusyError", "DecodeError", "DumpInterrupted", "ExistsError",
                          "InvalidArgument", "InvalidRequestError", "NetlinkError", "NetlinkPermissionError",
                          "NetlinkTimeoutError", "NotFoundError", "NotSupportedError"], "errors")}
# policy routing: rules, nexthop objects, route metrics (rtnl/rules.py, nexthops.py, metrics.py)
_ROUTING = ["Metrics", "NexthopObject", "NexthopObjectView", "Rule", "RuleView"]
__all__ += _ROUTING
_FROM.update(dict.fromkeys(_ROUTING, "api"))


def __getattr__(name: str) -> Any:
    import importlib
    if name in _FROM:
        value = getattr(importlib.import_module(f".{_FROM[name]}", __name__), name)
    elif not name.startswith("_") and name.isidentifier():
        try:                                  # ``pynetlink.nft`` etc. without importing it first
            value = importlib.import_module(f".{name}", __name__)
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
