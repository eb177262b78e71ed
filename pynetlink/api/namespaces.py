"""The verb namespaces of a Handle, a Batch and an AsyncHandle, declared once, in mode ``M``."""
from __future__ import annotations


from ..rtnl.request import Request
from .verbs import Addresses, Fdb, Links, M, Neighbours, Routes

TYPE_CHECKING = False       # typing is not imported at run time
if TYPE_CHECKING:
    from typing import Any, Callable, Generic

    from .bridge_vlan import BridgeVlans
    from .routing import Nexthops, Rules
else:
    from .._lighttyping import Generic


class VerbNamespaces(Generic[M]):
    """``links``, ``addresses``, ``routes``, ``neighbours``, ``fdb``, ``rules``, ``nexthops``,
    ``bridge_vlans``:
    what each call returns is decided by ``M`` (``Now``, ``Later`` or ``Async``, api/verbs.py).
    ``rules``, ``nexthops`` and ``bridge_vlans`` are made on first use (their modules load then:
    a process that never uses them, e.g. a CNI plugin, does not import them)."""

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
        self._verbs_submit = (submit, immediate)

    if not TYPE_CHECKING:      # type checkers see the declared attributes above
        def __getattr__(self, name: str) -> Any:
            """``rules``, ``nexthops``, ``bridge_vlans``: made on first use, then kept."""
            if name in ("rules", "nexthops") and "_verbs_submit" in self.__dict__:
                from . import routing
                cls = routing.Rules if name == "rules" else routing.Nexthops
            elif name == "bridge_vlans" and "_verbs_submit" in self.__dict__:
                from .bridge_vlan import BridgeVlans as cls
            else:
                raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")
            made = cls(*self.__dict__["_verbs_submit"])
            setattr(self, name, made)
            return made
