"""NetNS with ``.handle()``: ``NetNS.create("c1").handle()``, and namespaces made together with
their Handles (``NetNS.create_with_handles``)."""
from __future__ import annotations

import builtins

from ..transport import validate
from ..transport.netns import NetNS as _NetNS, remove_created
from ..transport.signals import deferred
from ..transport.socket import NetlinkSocket, open_raw
from ..codec.specs.rtnl import RTNL
from .handle import NETLINK_ROUTE, Handle

TYPE_CHECKING = False       # typing is not imported at run time
if TYPE_CHECKING:
    from typing import Self, Sequence
    from _socket import socket


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
        validate.timeout(timeout)
        pairs = cls.create_many_with(names, _open_route, _close)
        out: builtins.list[tuple[Self, Handle]] = []
        try:
            for ns, sock in pairs:
                out.append((ns, Handle._over(ns, NetlinkSocket(NETLINK_ROUTE, RTNL, ns, timeout=timeout,
                                                                sock=sock))))
        except BaseException:
            with deferred():
                remove_created(pairs, _close)
            raise
        return out


def _open_route(_: _NetNS) -> "socket":
    return open_raw(NETLINK_ROUTE)


def _close(sock: "socket") -> None:
    sock.close()
