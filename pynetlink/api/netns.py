"""NetNS with ``.handle()``: ``NetNS.create("c1").handle()``, and namespaces made together with
their Handles (``NetNS.create_with_handles``)."""
from __future__ import annotations

import builtins
import os

from ..transport import validate
from ..transport.netns import NetNS as _NetNS, remove_created
from ..transport.signals import deferred
from ..transport.socket import NetlinkSocket, close_made, made_with_socket
from ..codec.specs.rtnl import RTNL
from .handle import NETLINK_ROUTE, Handle

TYPE_CHECKING = False       # typing is not imported at run time
if TYPE_CHECKING:
    from typing import Self, Sequence


class NetNS(_NetNS):
    """A network namespace (see pynetlink.transport.NetNS) that opens Handles inside itself."""

    __slots__ = ()

    def handle(self, *, timeout: float = 30.0) -> Handle:
        """A Handle whose socket lives in this namespace (``timeout``: as Handle's)."""
        return Handle(self, timeout=timeout)

    @classmethod
    def create_with_handles(cls, names: Sequence[str], *,
                            timeout: float = 30.0) -> "builtins.list[tuple[Self, Handle]]":
        """New named namespaces, each with a Handle opened inside it: one (NetNS, Handle) pair
        per name, in order. One helper thread makes every namespace and opens its socket while
        it is there (``NetNS.create(n).handle()`` takes two threads per namespace).

        All or nothing: names and ``timeout`` are checked first; if a namespace or socket
        cannot be made, or the caller is interrupted, the sockets opened are closed, the
        namespaces made are removed, and the error is raised. Close the Handles when done.
        """
        timeout = validate.timeout(timeout)
        pairs = cls._create_many_by(names, made_with_socket(NETLINK_ROUTE), close_made)
        out: builtins.list[tuple[Self, Handle]] = []
        seqs = os.urandom(4 * len(pairs))       # each socket's first sequence number, as NetlinkSocket's
        try:
            for k, (ns, made) in enumerate(pairs):
                seq = 1 + int.from_bytes(seqs[4 * k:4 * k + 4], "little") % ((1 << 30) - 1)
                out.append((ns, Handle._over(ns, NetlinkSocket._adopt(RTNL, ns, made, seq, timeout))))
        except BaseException:
            with deferred():
                remove_created(pairs, close_made)
            raise
        return out
