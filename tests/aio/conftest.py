"""Fixtures for the asyncio API: namespaces the tests make, `ip -j` as the oracle."""
from __future__ import annotations

import asyncio
import subprocess
from typing import Any


def ip(ns: Any, *args: str) -> None:
    """`ip -n NS ...` (only ever inside the test's own namespace)."""
    subprocess.run(["ip", "-n", ns.name, *args], check=True, capture_output=True, text=True)


def addresses(ns: Any, dev: str, family: str = "-4") -> set[str]:
    """The addresses of ``dev`` as `ip -j addr` lists them ("a.b.c.d/len")."""
    from ..conftest import ip_json
    out = ip_json(ns.name, family, "addr", "show", "dev", dev)
    assert isinstance(out, list)
    return {f"{a['local']}/{a['prefixlen']}" for x in out for a in x["addr_info"]}


class Ticker:
    """``async with Ticker() as t:``: a task counting turns of the loop while the block runs
    (``t.ticks``): proof that the block does not hold the loop."""

    def __init__(self) -> None:
        self.ticks = 0
        self._running = True
        self._task: "asyncio.Task[None] | None" = None

    async def _tick(self) -> None:
        while self._running:
            self.ticks += 1
            await asyncio.sleep(0)

    async def __aenter__(self) -> "Ticker":
        self._task = asyncio.create_task(self._tick())
        await asyncio.sleep(0)
        self.ticks = 0
        return self

    async def __aexit__(self, *exc: object) -> None:
        self._running = False
        assert self._task is not None
        await self._task
