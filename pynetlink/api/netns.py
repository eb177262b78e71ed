"""NetNS with ``.handle()``: ``NetNS.create("c1").handle()``."""
from __future__ import annotations


from ..transport.netns import NetNS as _NetNS
from .handle import Handle

TYPE_CHECKING = False       # typing is not imported at run time
if TYPE_CHECKING:
    pass


class NetNS(_NetNS):
    """A network namespace (see pynetlink.transport.NetNS) that opens Handles inside itself."""

    __slots__ = ()

    def handle(self, *, timeout: float = 30.0) -> Handle:
        """A Handle whose socket lives in this namespace (``timeout``: as Handle's)."""
        return Handle(self, timeout=timeout)
