"""The async form: ``async for`` over the same stream, awaiting with loop.add_reader (no
thread), several namespaces from one loop, and cancellation that loses nothing."""
from __future__ import annotations

import asyncio
import subprocess
import threading
from typing import Any, Callable

from pynetlink.events import Event, Events

from .helpers import ip


async def _until(ev: Events, pred: Callable[[Event], bool], timeout: float = 5.0) -> Event:
    async def first() -> Event:
        async for e in ev:
            if pred(e):
                return e
        raise AssertionError("stream ended")
    return await asyncio.wait_for(first(), timeout)


async def _actor(*cmd: str) -> None:
    """`ip` run by another process while the loop keeps serving the stream."""
    proc = await asyncio.create_subprocess_exec(*cmd, stderr=subprocess.PIPE)
    _, err = await proc.communicate()
    assert proc.returncode == 0, err


def test_async_link_and_address_events(netns: Any) -> None:
    async def main() -> None:
        async with Events(["link", "address"], netns=netns, start_with_current=True) as ev:
            first = await _until(ev, lambda e: e.kind == "link" and e.view.name == "lo")
            assert first.origin == "current" and first.action == "new"
            await _actor("ip", "-n", netns.name, "link", "add", "br9", "type", "bridge")
            e = await _until(ev, lambda e: e.kind == "link" and e.action == "new")
            assert e.view.name == "br9" and e.view.kind == "bridge" and e.origin == "kernel"
            index = e.view.index
            await _actor("ip", "-n", netns.name, "addr", "add", "203.0.113.5/24", "dev", "br9")
            e = await _until(ev, lambda e: e.kind == "address")
            assert (e.action, e.view.address, e.view.link) == ("new", "203.0.113.5", index)
            others = [t.name for t in threading.enumerate()
                      if t is not threading.main_thread() and "waitpid" not in t.name]
            assert others == [], "no thread serves the stream (asyncio-waitpid-*: asyncio's child watcher)"
    asyncio.run(main())


def test_cancelled_waits_lose_nothing(netns: Any) -> None:
    async def main() -> None:
        async with Events(["link"], netns=netns) as ev:
            assert await ev.async_sync(5)
            names: list[str] = []
            for i in range(5):                       # cancel a waiting aget() again and again
                task = asyncio.create_task(ev.aget())
                await asyncio.sleep(0)
                if i == 2:
                    await _actor("ip", "-n", netns.name, "link", "add", "c0", "type", "bridge")
                    await _actor("ip", "-n", netns.name, "link", "add", "c1", "type", "bridge")
                task.cancel()
                try:
                    got = await task
                except asyncio.CancelledError:
                    got = None
                if got is not None:                  # it completed before the cancel landed
                    names.append(got.view.name)
            while (e := await ev.aget(1.0)) is not None:
                if e.action == "new":
                    names.append(e.view.name)
            assert names == ["c0", "c1"]
    asyncio.run(main())


def test_two_namespaces_from_one_loop(make_netns: Callable[..., Any]) -> None:
    a, b = make_netns("a"), make_netns("b")

    async def main() -> None:
        async with Events(["link"], netns=[a, b]) as both, Events(["address"], netns=b) as addrs:
            assert await both.async_sync(5) and await addrs.async_sync(5)
            await _actor("ip", "-n", a.name, "link", "add", "xa", "type", "bridge")
            await _actor("ip", "-n", b.name, "link", "add", "xb", "type", "bridge")
            await _actor("ip", "-n", b.name, "addr", "add", "198.51.100.3/24", "dev", "xb")
            seen = {}
            while len(seen) < 2:
                e = await asyncio.wait_for(both.aget(), 5)
                assert e is not None
                if e.action == "new":
                    seen[e.netns] = e.view.name
            assert seen == {a.name: "xa", b.name: "xb"}
            e2 = await asyncio.wait_for(addrs.aget(), 5)     # a second stream on the same loop
            assert e2 is not None and e2.view.address == "198.51.100.3" and e2.netns == b.name
            assert set(both.state("link", a.name)) != set() and len(both.state("link", b.name)) == 2
    asyncio.run(main())


def test_sync_iterator_over_two_namespaces(make_netns: Callable[..., Any]) -> None:
    a, b = make_netns("a"), make_netns("b")
    with Events(["link"], netns=[a, b], start_with_current=True) as ev:
        current = [e for e in ev.iter(0.3)]
        assert sorted(e.netns for e in current) == sorted([a.name, b.name])   # lo in each
        ip(a, "link", "add", "ya", "type", "bridge")
        ip(b, "link", "add", "yb", "type", "bridge")
        got = {e.netns: e.view.name for e in ev.iter(0.5) if e.action == "new"}
        assert got == {a.name: "ya", b.name: "yb"}
