"""Many requests in flight on one socket, several namespaces from one loop, dumps taking turns,
and a loop that keeps running other tasks while a large batch is under way."""
from __future__ import annotations

import asyncio
from typing import Any

import pytest

from pynetlink import Veth
from pynetlink.aio import AsyncHandle

from .conftest import Ticker, addresses

pytestmark = [pytest.mark.root, pytest.mark.kernel("veth")]


def addr(i: int) -> str:
    return f"172.16.{i >> 8}.{i & 255}/32"


def test_thousands_of_concurrent_requests_in_three_namespaces(make_netns: Any) -> None:
    spaces = [make_netns("aio-c") for _ in range(3)]
    n = 1000

    async def main() -> None:
        handles = await asyncio.gather(*[AsyncHandle(ns).open() for ns in spaces])
        try:
            await asyncio.gather(*[h.links.create(Veth("eth0", peer="eth0p"), up=True) for h in handles])
            # every address its own task; all three sockets busy at once
            done = await asyncio.gather(*[h.addresses.add("eth0", addr(i)) for i in range(n) for h in handles])
            assert len(done) == 3 * n
            # dumps from many tasks on one socket take turns (the kernel runs one per socket)
            dumps = await asyncio.gather(*[h.addresses.dump("eth0", family=4) for h in handles for _ in range(5)])
            assert [len(d) for d in dumps] == [n] * 15
            assert all(h.sock.busy == 0 for h in handles)
        finally:
            for h in handles:
                h.close()

    asyncio.run(main())
    want = {addr(i) for i in range(n)}
    for ns in spaces:
        assert addresses(ns, "eth0") == want


def test_requests_and_dumps_interleaved_on_one_socket(netns: Any) -> None:
    async def main() -> None:
        async with AsyncHandle(netns) as h:
            await h.links.create(Veth("eth0", peer="eth0p"), up=True)

            async def adder(k: int) -> None:
                for i in range(k * 100, k * 100 + 100):
                    await h.addresses.add("eth0", addr(i))

            async def dumper() -> list[int]:
                return [len(await h.addresses.dump("eth0", family=4)) for _ in range(20)]

            *_, counts = await asyncio.gather(*[adder(k) for k in range(5)], dumper())
            assert counts == sorted(counts) and all(0 <= c <= 500 for c in counts)
            assert len(await h.addresses.dump("eth0", family=4)) == 500

    asyncio.run(main())
    assert len(addresses(netns, "eth0")) == 500


def test_the_loop_keeps_running_during_a_large_batch(netns: Any) -> None:
    async def main() -> None:
        async with AsyncHandle(netns) as h:
            await h.links.create(Veth("eth0", peer="eth0p"), up=True)
            async with Ticker() as ticker:
                async with h.batch() as b:      # 3,000 requests: 47 chunks of 64
                    for i in range(3000):
                        b.addresses.add("eth0", addr(i))
            # the ticker ran between the chunks (each chunk's replies are awaited on the loop)
            assert ticker.ticks >= 40, ticker.ticks

    asyncio.run(main())
    assert len(addresses(netns, "eth0")) == 3000


def test_a_small_in_flight_limit_queues_requests_in_order(netns: Any) -> None:
    async def main() -> None:
        async with AsyncHandle(netns, inflight=8) as h:
            await h.links.create(Veth("eth0", peer="eth0p"), up=True)
            b = h.batch(chunk=32)                  # a chunk larger than the limit waits for an idle socket
            outs = [b.addresses.add("eth0", addr(i)) for i in range(500, 700)]
            await asyncio.gather(b.run(), *[h.addresses.add("eth0", addr(i)) for i in range(500)])
            assert all(o.ok for o in outs)
            assert h.sock.busy == 0 and h.sock._charged == 0

    asyncio.run(main())
    assert addresses(netns, "eth0") == {addr(i) for i in range(700)}


def test_opening_handles_in_namespaces_does_not_block_the_loop(make_netns: Any,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """Each socket is opened inside its namespace off the loop: every opening waits (on its
    helper thread) until a task on the loop has run 50 more turns, which it could not if the
    opening held the loop. Deterministic: no timing involved."""
    import threading

    import pynetlink.transport.aio as aio_transport
    spaces = [make_netns("aio-o") for _ in range(8)]
    real = aio_transport.NetlinkSocket
    released = threading.Event()
    waited: list[bool] = []

    def opening(*args: Any, **kw: Any) -> Any:
        waited.append(released.wait(timeout=10))
        return real(*args, **kw)

    monkeypatch.setattr(aio_transport, "NetlinkSocket", opening)

    async def release_after_turns() -> None:
        for _ in range(50):
            await asyncio.sleep(0)
        released.set()

    async def main() -> None:
        handles, _ = await asyncio.gather(asyncio.gather(*[AsyncHandle(ns).open() for ns in spaces]),
                                          release_after_turns())
        try:
            names = await asyncio.gather(*[h.links.get(1) for h in handles])
            assert [v.name for v in names] == ["lo"] * 8
            assert [h.sock.netns for h in handles] == spaces
        finally:
            for h in handles:
                h.close()

    asyncio.run(main())
    assert waited == [True] * 8


def test_requests_of_one_turn_keep_their_own_errors(netns: Any) -> None:
    from pynetlink import ExistsError, InvalidArgument

    async def main() -> list[Any]:
        async with AsyncHandle(netns) as h:
            await h.links.create(Veth("eth0", peer="eth0p"), up=True)
            await h.addresses.add("eth0", addr(0))
            # queued in one turn: one exists already, one names a link that does not exist
            return await asyncio.gather(h.addresses.add("eth0", addr(1)), h.addresses.add("eth0", addr(0)),
                                        h.addresses.add("nope0", addr(2)), h.addresses.add("eth0", addr(3)),
                                        return_exceptions=True)

    results = asyncio.run(main())
    assert results[0] is None and results[3] is None
    assert isinstance(results[1], ExistsError) and results[1].operation == "add address"
    assert isinstance(results[2], InvalidArgument) and "nope0" in str(results[2])
    assert addresses(netns, "eth0") == {addr(0), addr(1), addr(3)}
