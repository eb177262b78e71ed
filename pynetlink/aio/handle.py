"""AsyncHandle: the asyncio counterpart of ``pynetlink.Handle`` (same verbs, same objects).

The verbs are pynetlink.api's own (``Links``, ``Addresses``, ...): each builds the same rtnl
``Request`` and hands it to a submit function that here returns an awaitable; requests run
as the same flow (``rtnl.request.run_flow``) on an ``AsyncNetlinkSocket``.
"""
from __future__ import annotations

import asyncio
import os
from typing import Any, Awaitable, Sequence

from ..api.bridge_vlan import BridgeVlans
from ..api.handle import BatchBase
from ..api.routing import Nexthops, Rules
from ..api.verbs import Addresses, Fdb, Links, Neighbours, Routes
from ..codec.specs.rtnl import RTNL
from ..errors import InvalidArgument
from ..rtnl.request import Outcome, Request, run_flow
from ..transport.aio import adrive
from ..transport.netns import NetNS
from .base import AsyncEndpoint

NETLINK_ROUTE = 0


class AsyncHandle(AsyncEndpoint):
    """rtnetlink in one namespace, on the running event loop.

    ``async with AsyncHandle("ctr1") as h:`` or ``h = await AsyncHandle("ctr1")`` (then
    ``h.close()``). The socket is opened inside the namespace on a short-lived helper
    thread that the loop awaits. Verbs: ``await h.links.create(...)``, ``h.addresses``,
    ``h.routes``, ``h.neighbours``, ``h.fdb``, ``h.rules``, ``h.nexthops``; any number of tasks may await requests on one
    handle at once (matched by sequence number; dumps take turns).
    """

    protocol = NETLINK_ROUTE
    family = RTNL

    def __init__(self, netns: "NetNS | str | int | os.PathLike[str] | None" = None, *,
                 timeout: float = 30.0, inflight: int = 256) -> None:
        super().__init__(netns, timeout=timeout, inflight=inflight)
        self._queued: list[tuple[Request, asyncio.Future[Any]]] = []
        self._senders: set[asyncio.Task[None]] = set()
        self.links: Links[Awaitable[Any]] = Links(self._run, True)
        self.addresses: Addresses[Awaitable[Any]] = Addresses(self._run, True)
        self.routes: Routes[Awaitable[Any]] = Routes(self._run, True)
        self.neighbours: Neighbours[Awaitable[Any]] = Neighbours(self._run, True)
        self.fdb: Fdb[Awaitable[Any]] = Fdb(self._run, True)
        self.rules: Rules[Awaitable[Any]] = Rules(self._run, True)
        self.nexthops: Nexthops[Awaitable[Any]] = Nexthops(self._run, True)
        self.bridge_vlans: BridgeVlans[Awaitable[Any]] = BridgeVlans(self._run, True)

    async def _run(self, request: Request) -> Any:
        return await self._enqueue(request)

    def _enqueue(self, request: Request) -> "asyncio.Future[Any]":
        """Queue one verb's request. The requests of every task queued during one turn of the
        loop go out together (one transfer, in the order queued; each has its own sequence
        number, reply, value or error); a request whose task is cancelled before that is not
        sent."""
        self.sock                                     # raises when not open
        loop = asyncio.get_running_loop()
        if not self._queued:
            loop.call_soon(self._flush)
        fut: asyncio.Future[Any] = loop.create_future()
        self._queued.append((request, fut))
        return fut

    def _flush(self) -> None:
        queued = [q for q in self._queued if not q[1].done()]
        self._queued = []
        if queued:
            task = asyncio.ensure_future(self._send(queued))
            self._senders.add(task)
            task.add_done_callback(self._senders.discard)

    async def _send(self, queued: list[tuple[Request, "asyncio.Future[Any]"]]) -> None:
        sock = self.sock
        try:
            outcomes = await adrive(sock, run_flow(sock, [r for r, _ in queued]))
        except InvalidArgument as exc:                # bad input of one: nothing was sent
            if len(queued) == 1:
                _settle(queued[0][1], exc, None)
            else:
                await asyncio.gather(*[self._send([q]) for q in queued])
            return
        except asyncio.CancelledError:               # the loop is shutting down
            for _, fut in queued:
                fut.cancel()
            raise
        except Exception as exc:
            for _, fut in queued:
                _settle(fut, exc, None)
            return
        for (_, fut), out in zip(queued, outcomes):
            _settle(fut, out.error, out.value)

    def batch(self, *, rollback: bool = False, chunk: int = 64) -> "AsyncBatch":
        """Queue requests and send them together: ``async with h.batch() as b:`` (see AsyncBatch)."""
        return AsyncBatch(self, rollback=rollback, chunk=chunk)

    async def run(self, requests: Sequence[Request]) -> list[Outcome[Any]]:
        """Execute rtnl Requests (pynetlink.rtnl) directly; one Outcome each."""
        sock = self.sock
        return await adrive(sock, run_flow(sock, requests))


def _settle(fut: "asyncio.Future[Any]", error: BaseException | None, value: Any) -> None:
    if fut.done():                                    # its task was cancelled
        return
    if error is not None:
        fut.set_exception(error)
    else:
        fut.set_result(value)


class AsyncBatch(BatchBase):
    """``pynetlink.Batch`` on the event loop: ``async with h.batch() as b:`` queues with the
    same verbs (each returns its ``Outcome``) and sends on exit, or ``await b.run()``.

    Failure: ``BatchError`` as for the blocking Batch (with ``rollback=True`` the successful
    creations and additions are undone first). Cancellation of the task running the batch:
    CancelledError propagates after the outcomes are recorded in ``b.last`` (and in the
    Outcomes the verbs returned): ``done`` and ``ok``: applied; ``done`` with ``error``:
    refused by the kernel; not ``done``: never sent, nothing applied (or a dump cut off).
    No rollback is attempted on cancellation.
    """

    def __init__(self, handle: AsyncHandle, *, rollback: bool = False, chunk: int = 64) -> None:
        super().__init__(handle.sock, rollback=rollback, chunk=chunk)
        self.handle = handle

    async def run(self) -> list[Outcome[Any]]:
        """Send everything queued; raise BatchError if any request failed."""
        return await adrive(self.handle.sock, self.flow())

    async def __aenter__(self) -> "AsyncBatch":
        return self

    async def __aexit__(self, exc_type: object, *exc: object) -> None:
        if exc_type is None:
            await self.run()


__all__ = ["AsyncBatch", "AsyncHandle"]
