"""Events: the event stream of one or several namespaces, as an iterator or an async iterator."""
from __future__ import annotations

import asyncio
import os
import select
import time
from collections import deque
from typing import Any, AsyncIterator, Hashable, Iterable, Iterator, Sequence, Union

from ..codec.schema import Family
from ..codec.specs.nft import NETLINK_NETFILTER, NFT
from ..codec.specs.rtnl import RTNL
from ..errors import InvalidArgument
from ..transport.netns import NetNS
from ..transport.subscribe import Subscriber
from .engine import Engine
from .event import Event
from .kinds import ALIASES as _ALIASES, RTNL_KINDS as _RTNL_KINDS, Kind, NETLINK_ROUTE
from .nft import NFT_KINDS
from .policy import POLICY_ALIASES, POLICY_KINDS

RTNL_KINDS = {**_RTNL_KINDS, **POLICY_KINDS}
ALIASES = {**_ALIASES, **POLICY_ALIASES}

NetnsRef = Union[NetNS, str, int, "os.PathLike[str]", None]
DEFAULT_KINDS = ("link", "address", "route", "neighbour", "nsid")
ALL_KINDS = tuple(RTNL_KINDS) + tuple(NFT_KINDS)
_FAMILIES: dict[int, Family] = {NETLINK_ROUTE: RTNL, NETLINK_NETFILTER: NFT}


def kinds_of(names: Iterable[str]) -> list[Kind]:
    """Kind objects for names ("link", "addr", "nft" = every nftables kind, ...)."""
    if isinstance(names, str):
        names = [names]
    out: dict[str, Kind] = {}
    for raw in names:
        name = ALIASES.get(raw, raw) if isinstance(raw, str) else raw
        if name == "nft":
            group = list(NFT_KINDS)
        elif name in RTNL_KINDS or name in NFT_KINDS:
            group = [name]
        else:
            raise InvalidArgument(f"kinds: unknown event kind {raw!r}; choose from "
                                  f"{', '.join(ALL_KINDS)} or nft")
        for g in group:
            out.setdefault(g, (RTNL_KINDS.get(g) or NFT_KINDS[g])())
    if not out:
        raise InvalidArgument("kinds: name at least one kind")
    # nft elements are dumped per set, after the sets: keep the nft order
    order = {n: i for i, n in enumerate(ALL_KINDS)}
    return sorted(out.values(), key=lambda k: order[k.name])


class _Source:
    """One socket (a protocol in a namespace) and its engine."""

    __slots__ = ("sub", "engine")

    def __init__(self, sub: Subscriber, engine: Engine) -> None:
        self.sub = sub
        self.engine = engine

    def pump(self) -> list[Event]:
        data, overflow = self.sub.receive()
        return self.engine.feed(data, overflow)


class Events:
    """Changes of ``kinds`` in ``netns`` (one namespace or a list; None = ours), as typed events.

    ``start_with_current=True`` first reports every existing object as "new" (origin
    "current"), then the changes, with no gap and no duplicate between the two. Without it
    the state is loaded silently and only later changes are reported. Either way the stream
    tracks every object, so a "new" of a known object is "changed" and an overflow is
    repaired by re-dumping and reporting the difference (docs/events.md).

    ``with Events(...)`` (and ``async with``) returns once the first state is loaded (within
    ``timeout``), so every change made after it is reported; without ``with``, call
    ``sync()`` first for the same. ``rcvbuf`` sizes each socket's receive buffer (with
    ``SO_RCVBUFFORCE`` unless ``force_rcvbuf=False``).

    Sync: ``for e in events`` (forever), ``events.get(timeout)``, ``events.iter(timeout)``.
    Async: ``async for e in events``, ``await events.aget(timeout)``; both wait for the
    sockets with ``loop.add_reader`` (no thread) and lose nothing when cancelled.
    """

    def __init__(self, kinds: Iterable[str] = DEFAULT_KINDS, *,
                 netns: "NetnsRef | Sequence[NetnsRef]" = None, start_with_current: bool = False,
                 rcvbuf: int = 4 << 20, force_rcvbuf: bool = True, timeout: float = 30.0) -> None:
        chosen = kinds_of(kinds)
        self.timeout = timeout
        spaces: list[NetnsRef] = (list(netns) if isinstance(netns, (list, tuple)) else [netns])  # type: ignore[list-item]
        self._sources: list[_Source] = []
        self._pending: deque[Event] = deque()
        self._by_fd: dict[int, _Source] = {}
        try:
            for ref in spaces:
                ns = None if ref is None else NetNS.open(ref)
                label = None if ns is None else (ns.name or ns.path)
                for proto in (NETLINK_ROUTE, NETLINK_NETFILTER):
                    mine = [k for k in chosen if k.protocol == proto]
                    if not mine:
                        continue
                    groups = sorted({g for k in mine for g in k.groups})
                    sub = Subscriber(proto, groups, ns, rcvbuf=rcvbuf, force=force_rcvbuf)
                    src = _Source(sub, None)  # type: ignore[arg-type]
                    self._sources.append(src)
                    src.engine = Engine(mine, _FAMILIES[proto], sub.portid, sub.send, netns=label,
                                        start_with_current=start_with_current)
                    self._by_fd[sub.fileno()] = src
        except BaseException:
            self.close()
            raise
        self._poll = select.poll()
        for fd in self._by_fd:
            self._poll.register(fd, select.POLLIN)

    # -- lifecycle ------------------------------------------------------------------------
    def close(self) -> None:
        for s in self._sources:
            s.sub.close()

    @property
    def closed(self) -> bool:
        return all(s.sub.closed for s in self._sources)

    def __enter__(self) -> "Events":
        """Waits until the first state is loaded: every change after ``with`` is reported."""
        try:
            if not self.sync(self.timeout):
                raise TimeoutError(f"{self!r}: the current state was not read within {self.timeout:g} s")
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    async def __aenter__(self) -> "Events":
        """``__enter__`` on the running loop."""
        try:
            if not await self.async_sync(self.timeout):
                raise TimeoutError(f"{self!r}: the current state was not read within {self.timeout:g} s")
        except BaseException:
            self.close()
            raise
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.close()

    # -- state ----------------------------------------------------------------------------
    @property
    def ready(self) -> bool:
        """The first state of every kind is loaded (events after it are changes)."""
        return all(s.engine.ready for s in self._sources)

    @property
    def resyncs(self) -> int:
        """How many overflows were repaired by a re-dump."""
        return sum(s.engine.resyncs for s in self._sources)

    def state(self, kind: str, netns: NetnsRef = None) -> dict[Hashable, Any]:
        """What the stream knows of ``kind`` (key -> view), including events not yet taken;
        ``netns`` picks one of several namespaces (by name or path)."""
        name = ALIASES.get(kind, kind)
        want = None if netns is None else (netns.name or netns.path if isinstance(netns, NetNS) else str(netns))
        for s in self._sources:
            e = s.engine
            if name in e.state and (want is None or e.netns == want or
                                    (e.netns is not None and e.netns.endswith("/" + want))):
                return dict(e.state[name])
        raise InvalidArgument(f"kind {kind!r}{'' if want is None else ' in ' + want} is not watched")

    def sync(self, timeout: float | None = None) -> bool:
        """Read until the first state of every kind is loaded; False if ``timeout`` ran out."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while not self.ready:
            if not self._wait(deadline):
                return False
        return True

    def clear(self) -> None:
        """Drop the events read but not taken yet (the state keeps their effect)."""
        self._pending.clear()

    # -- sync -----------------------------------------------------------------------------
    def _pump(self, src: _Source) -> None:
        self._pending.extend(src.pump())

    def _pump_all(self) -> None:
        for s in self._sources:
            if not s.sub.closed:
                self._pump(s)

    def _wait(self, deadline: float | None) -> bool:
        """Wait for data on any socket and read it; False when the deadline passed first."""
        ms = -1 if deadline is None else max(0, int((deadline - time.monotonic()) * 1000 + 0.999))
        ready = self._poll.poll(ms)
        for fd, _ in ready:
            self._pump(self._by_fd[fd])
        return bool(ready) or deadline is None or time.monotonic() < deadline

    def get(self, timeout: float | None = None) -> Event | None:
        """The next event, or None after ``timeout`` seconds without one."""
        deadline = None if timeout is None else time.monotonic() + timeout
        pending = self._pending
        while not pending:
            if self.closed:
                raise ValueError("the event stream is closed")
            if not self._wait(deadline):
                return None
        return pending.popleft()

    def iter(self, timeout: float | None = None) -> Iterator[Event]:
        """Events until ``timeout`` seconds pass without one (forever with None)."""
        while (e := self.get(timeout)) is not None:
            yield e

    def __iter__(self) -> Iterator[Event]:
        return self.iter(None)

    # -- async ----------------------------------------------------------------------------
    async def _await_readable(self, timeout: float | None) -> None:
        loop = asyncio.get_running_loop()
        fut: asyncio.Future[None] = loop.create_future()

        def wake() -> None:
            if not fut.done():
                fut.set_result(None)

        fds = [s.sub.fileno() for s in self._sources if not s.sub.closed]
        for fd in fds:
            loop.add_reader(fd, wake)
        timer = None if timeout is None else loop.call_later(max(0.0, timeout), wake)
        try:
            await fut
        finally:
            for fd in fds:
                loop.remove_reader(fd)
            if timer is not None:
                timer.cancel()

    async def aget(self, timeout: float | None = None) -> Event | None:
        """The next event, or None after ``timeout`` seconds without one (awaits with
        ``loop.add_reader``; a cancelled wait has read nothing, so nothing is lost)."""
        loop = asyncio.get_running_loop()
        deadline = None if timeout is None else loop.time() + timeout
        pending = self._pending
        while not pending:
            if self.closed:
                raise ValueError("the event stream is closed")
            left = None if deadline is None else deadline - loop.time()
            if left is not None and left <= 0:
                return None
            await self._await_readable(left)
            self._pump_all()
        return pending.popleft()

    async def async_sync(self, timeout: float | None = None) -> bool:
        """``sync`` for a running event loop."""
        loop = asyncio.get_running_loop()
        deadline = None if timeout is None else loop.time() + timeout
        while not self.ready:
            left = None if deadline is None else deadline - loop.time()
            if left is not None and left <= 0:
                return False
            await self._await_readable(left)
            self._pump_all()
        return True

    async def aiter(self, timeout: float | None = None) -> AsyncIterator[Event]:
        """Events until ``timeout`` seconds pass without one (forever with None)."""
        while (e := await self.aget(timeout)) is not None:
            yield e

    def __aiter__(self) -> AsyncIterator[Event]:
        return self.aiter(None)

    def __repr__(self) -> str:
        what = sorted({n for s in self._sources for n in s.engine.by_name})
        where = sorted({s.engine.netns or "." for s in self._sources})
        return f"Events({what}, netns={where})"


__all__ = ["Events", "DEFAULT_KINDS", "ALL_KINDS", "kinds_of"]
