"""rtnetlink operations: link kinds, addresses, routes, neighbours.

Every operation is a ``Request`` (rtnl/request.py) built by a function of ``links``,
``addresses``, ``routes`` or ``neigh``; ``request.run`` executes any number of them on one
socket. The object API (pynetlink.api) wraps this in a Handle.
"""
from __future__ import annotations


from .link import BridgePort, BridgePortView, Link, LinkView
from .request import Outcome, Request, run, run_one

TYPE_CHECKING = False       # typing is not imported at run time
if TYPE_CHECKING:
    from typing import Any
    from .kinds import (Bridge, BridgeView, Dummy, DummyView, GenericLink, GenericLinkView, Ipvlan,
                        IpvlanView, Ipvtap, Macvlan, MacvlanView, Macvtap, Veth, VethView, Vlan,
                        VlanView, Vxlan, VxlanView)

__all__ = ["Bridge", "BridgePort", "BridgePortView", "BridgeView", "Dummy", "DummyView",
           "GenericLink", "GenericLinkView", "Ipvlan", "IpvlanView", "Ipvtap", "Link", "LinkView",
           "Macvlan", "MacvlanView", "Macvtap", "Outcome", "Request", "Veth", "VethView", "Vlan",
           "VlanView", "Vxlan", "VxlanView", "run", "run_one"]


def __getattr__(name: str) -> Any:
    """PEP 562: the link kinds (``Bridge``, ``VxlanView``, ...) load on first use (rtnl/kinds)."""
    from .._importing import import_module    # not ``from . import kinds``: that would call this
    return getattr(import_module(".kinds", __name__), name)
