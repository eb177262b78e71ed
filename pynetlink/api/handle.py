"""Handle: one rtnetlink socket bound to a namespace, its verbs, and batches."""
from __future__ import annotations

import errno
import os

from ..codec.specs.rtnl import RTNL
from ..errors import BatchError, NetlinkError
from ..rtnl import validate as v
from ..rtnl.request import Endpoint, Outcome, Request, run, run_flow, run_one
from ..transport.flow import Flow, drive
from ..transport.lifecycle import Closing
from ..transport.netns import NetNS as _NetNS
from ..transport.socket import NetlinkSocket
from .namespaces import VerbNamespaces
from .verbs import Later, Now

TYPE_CHECKING = False       # typing is not imported at run time
if TYPE_CHECKING:
    from typing import Any, Iterator, Sequence

    from ..rtnl.validate import LinkRef
    from .sysctl import Sysctl
    from .tc import Tc

NETLINK_ROUTE = 0


class Handle(Closing, VerbNamespaces[Now]):
    """rtnetlink in one namespace: ``Handle()`` (ours) or ``Handle("ctr1")`` (a NetNS, name,
    path or pid). The socket is opened inside the namespace; the Handle then works from any
    thread (requests are serialised on the socket).

    Verbs: ``h.links``, ``h.addresses``, ``h.routes``, ``h.neighbours``, ``h.fdb``, ``h.rules``,
    ``h.nexthops``, ``h.bridge_vlans`` (and ``h.tc``, ``h.sysctl``); they run at
    once, return views or None, and raise NetlinkError (or InvalidArgument before sending).
    """

    def __init__(self, netns: "_NetNS | str | int | os.PathLike[str] | None" = None, *,
                 timeout: float = 30.0) -> None:
        self.netns = None if netns is None else _NetNS.open(netns)
        self._sock = NetlinkSocket(NETLINK_ROUTE, RTNL, self.netns, timeout=timeout)
        self._open_verbs(self._run, True)

    @classmethod
    def _over(cls, netns: _NetNS, sock: NetlinkSocket) -> "Handle":
        """A Handle on a socket already opened inside ``netns`` (NetNS.create_with_handles)."""
        h = cls.__new__(cls)
        h.netns, h._sock = netns, sock
        h._open_verbs(h._run, True)
        return h

    def _run(self, request: Request) -> Any:
        return run_one(self._sock, request)

    @property
    def tc(self) -> "Tc":
        """Traffic control: bandwidth limits, qdiscs, filters (pynetlink.api.tc)."""
        from .tc import Tc
        return Tc(self)

    @property
    def sysctl(self) -> "Sysctl":
        """net.* sysctls of this namespace as typed values (pynetlink.api.sysctl)."""
        from .sysctl import Sysctl
        return Sysctl(self.netns)

    def attach_many(self, bridge: "LinkRef", containers: "Sequence[tuple[Handle, str]]", *,
                    names: "Sequence[str]", gateway: str | None = None, ifname: str = "eth0") -> None:
        """Docker-style attach: per ``(handle, "172.17.0.2/16")`` of ``containers`` (a Handle
        opened in the container), a veth ``names[k]`` on ``bridge`` with its peer ``ifname``
        in the container; there ``lo`` and the peer up, the address, the default route via
        ``gateway``. All checked before sending; the per-container messages are one template
        filled per container (pynetlink.api.attach). All or nothing: on failure (Ctrl-C included)
        the veths are deleted and the ``lo`` brought up is down again; the error raised is the
        one that failed the call, with any failed rollback step as a note on it."""
        from .attach import attach_many
        attach_many(self, bridge, containers, names=names, gateway=gateway, ifname=ifname)

    def batch(self, *, rollback: bool = False, chunk: int = 64) -> "Batch":
        """Queue requests and send them together on exit (see ``Batch``)."""
        return Batch(self, rollback=rollback, chunk=chunk)

    def run(self, requests: Sequence[Request]) -> list[Outcome[Any]]:
        """Execute rtnl Requests (pynetlink.rtnl) directly; one Outcome each."""
        return run(self._sock, requests)

    def stream(self, request: Request) -> Iterator[Any]:
        """The views of a dump Request (``pynetlink.rtnl.routes.dump(table=None)``), one
        receive buffer at a time, on a socket of its own: memory stays that of one buffer,
        not of the whole dump (see ``pynetlink.rtnl.stream``)."""
        from ..rtnl.stream import stream
        yield from stream(NetlinkSocket(NETLINK_ROUTE, RTNL, self.netns, timeout=self._sock.timeout),
                          request, close=True)

    def close(self) -> None:
        self._sock.close()

    def __repr__(self) -> str:
        return f"Handle({self.netns!r})"


class BatchBase(VerbNamespaces[Later]):
    """What the blocking Batch and the asyncio one (pynetlink.aio) share: the verbs that
    queue, and the run as a flow (transport.flow) of the socket ``sock``."""

    def __init__(self, sock: Endpoint, *, rollback: bool = False, chunk: int = 64) -> None:
        self._sock = sock
        self.rollback = rollback if rollback is False else v.boolean(rollback, "rollback")
        self.chunk = chunk if chunk == 64 and type(chunk) is int else v.integer(chunk, "chunk", 1, 0xFFFF)
        self.requests: list[Request] = []
        self.results: list[Outcome[Any]] = []
        self._open_verbs(self._queue, False)
        self.last: list[Outcome[Any]] = []    # the outcomes of the last run, also when it raised

    def _queue(self, request: Request) -> Outcome[Any]:
        out: Outcome[Any] = Outcome(request.operation, request.target)
        self.requests.append(request)
        self.results.append(out)
        return out

    def __len__(self) -> int:
        return len(self.requests)

    def flow(self) -> Flow[list[Outcome[Any]]]:
        """Send everything queued; raise BatchError if any request failed."""
        requests, results = self.requests, self.results
        self.requests, self.results, self.last = [], [], results
        if not requests:
            return results
        yield from run_flow(self._sock, requests, results, chunk=self.chunk)
        for o in results:                   # (Outcome.ok, without a call per request)
            if not o.done or o.error is not None:
                break
        else:
            return results
        undone = (yield from self._undo(requests, results)) if self.rollback else []
        raise BatchError([_as_error(o) for o in results], undone,
                         f"batch of {len(requests)}")

    def _undo(self, requests: list[Request], results: list[Outcome[Any]]) -> Flow[list[str]]:
        inverse = [r.undo for r, o in zip(reversed(requests), reversed(results))
                   if o.ok and r.undo is not None]
        if not inverse:
            return []
        done = yield from run_flow(self._sock, inverse)
        return [f"{o.operation} {o.target}" for o in done if o.ok]


class Batch(BatchBase):
    """Requests queued by the same verbs (``b.links.create(...)``), sent on ``run()`` or exit.

    Hundreds of requests go out in a few sends (see pynetlink.rtnl.request for phases).
    Each verb returns its ``Outcome``; ``results`` lists them in order. rtnetlink is not
    atomic: each request succeeds or fails alone, and on failure ``BatchError`` carries one
    entry per request. With ``rollback=True`` the creations and additions that succeeded are
    undone first (in reverse order) and listed in ``BatchError.undone``.
    """

    def __init__(self, handle: Handle, *, rollback: bool = False, chunk: int = 64) -> None:
        super().__init__(handle._sock, rollback=rollback, chunk=chunk)
        self.handle = handle

    def run(self) -> list[Outcome[Any]]:
        """Send everything queued; raise BatchError if any request failed."""
        return drive(self.handle._sock, self.flow())

    def __enter__(self) -> "Batch":
        return self

    def __exit__(self, exc_type: object, *exc: object) -> None:
        if exc_type is None:
            self.run()


def _as_error(o: Outcome[Any]) -> NetlinkError | None:
    if o.error is None:
        return None
    if isinstance(o.error, NetlinkError):
        return o.error
    err = getattr(o.error, "errno", None) or errno.EIO
    return NetlinkError.from_errno(int(err), o.operation, o.target, str(o.error))
