"""What every asyncio front end shares: a socket of one protocol opened in a namespace
without blocking the loop, awaitable and usable with ``async with``."""
from __future__ import annotations

import os
from typing import Any, Generator, Self

from ..codec.schema import Family
from ..transport.aio import AsyncNetlinkSocket
from ..transport.lifecycle import AsyncClosing
from ..transport.netns import NetNS


class AsyncEndpoint(AsyncClosing):
    """``async with Cls(netns) as x:`` or ``x = await Cls(netns)`` (then ``x.close()``)."""

    protocol: int
    family: Family

    def __init__(self, netns: "NetNS | str | int | os.PathLike[str] | None" = None, *,
                 timeout: float = 30.0, inflight: int = 256) -> None:
        self.netns = None if netns is None else NetNS.open(netns)
        self._timeout = timeout
        self._inflight = inflight
        self._asock: AsyncNetlinkSocket | None = None

    async def open(self) -> Self:
        """Open the socket (once; inside the namespace on a helper thread the loop awaits)."""
        if self._asock is None:
            self._asock = await AsyncNetlinkSocket.open(self.protocol, self.family, self.netns,
                                                        timeout=self._timeout, inflight=self._inflight)
        return self

    def __await__(self) -> Generator[Any, None, Self]:
        return self.open().__await__()

    @property
    def sock(self) -> AsyncNetlinkSocket:
        if self._asock is None:
            raise RuntimeError(f"{type(self).__name__} is not open: use 'async with' or 'await'")
        return self._asock

    def close(self) -> None:
        if self._asock is not None:
            self._asock.close()

    async def __aenter__(self) -> Self:
        return await self.open()

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.netns!r})"
