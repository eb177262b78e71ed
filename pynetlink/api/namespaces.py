"""The verb namespaces of a Handle, a Batch and an AsyncHandle, declared once, in mode ``M``."""
from __future__ import annotations


from ..rtnl.request import Request
from .bridge_vlan import BridgeVlans
from .routing import Nexthops, Rules
from .verbs import Addresses, Fdb, Links, M, Neighbours, Routes

TYPE_CHECKING = False       # typing is not imported at run time
if TYPE_CHECKING:
    from typing import Any, Callable, Generic
else:
    from .._lighttyping import Generic


class VerbNamespaces(Generic[M]):
    """``links``, ``addresses``, ``routes``, ``neighbours``, ``fdb``, ``rules``, ``nexthops``,
    ``bridge_vlans``:
    what each call returns is decided by ``M`` (``Now``, ``Later`` or ``Async``, api/verbs.py)."""

    links: Links[M]
    addresses: Addresses[M]
    routes: Routes[M]
    neighbours: Neighbours[M]
    fdb: Fdb[M]
    rules: Rules[M]
    nexthops: Nexthops[M]
    bridge_vlans: BridgeVlans[M]

    def _open_verbs(self, submit: Callable[[Request], Any], immediate: bool) -> None:
        """Make every namespace, each handing its Requests to ``submit``."""
        self.links = Links(submit, immediate)
        self.addresses = Addresses(submit, immediate)
        self.routes = Routes(submit, immediate)
        self.neighbours = Neighbours(submit, immediate)
        self.fdb = Fdb(submit, immediate)
        self.rules = Rules(submit, immediate)
        self.nexthops = Nexthops(submit, immediate)
        self.bridge_vlans = BridgeVlans(submit, immediate)
