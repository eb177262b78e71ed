"""Awaitable batches: outcomes per request, phases, BatchError, rollback."""
from __future__ import annotations

import asyncio
from typing import Any

import pytest

from pynetlink import BatchError, Bridge, ExistsError, Veth
from pynetlink.aio import AsyncHandle

from ..conftest import ip_json
from .conftest import addresses

pytestmark = [pytest.mark.root, pytest.mark.kernel("veth", "bridge")]


def test_batch_results_and_phases(netns: Any) -> None:
    async def main() -> None:
        async with AsyncHandle(netns) as h:
            async with h.batch() as b:
                br = b.links.create(Bridge("br0"), up=True)
                veths = [b.links.create(Veth(f"v{i}", peer=f"p{i}", master="br0"), up=True) for i in range(20)]
                adds = [b.addresses.add(f"v{i}", f"198.51.100.{i + 1}/32") for i in range(20)]
            assert br.ok and all(o.ok for o in veths + adds)
            assert b.last == [br, *veths, *adds]
            ports = ip_json(netns.name, "link", "show", "master", "br0")
            assert sorted(x["ifname"] for x in ports) == sorted(f"v{i}" for i in range(20))  # type: ignore[union-attr,index]
            assert addresses(netns, "v7") == {"198.51.100.8/32"}
            # a batch run explicitly, then reused
            b2 = h.batch()
            b2.routes.add("203.0.113.0/24", dev="v0")
            assert [o.ok for o in await b2.run()] == [True]
            assert len(b2) == 0 and await b2.run() == []

    asyncio.run(main())


def test_batch_error_and_rollback(netns: Any) -> None:
    async def main() -> None:
        async with AsyncHandle(netns) as h:
            await h.links.create(Veth("eth0", peer="eth0p"), up=True)
            await h.addresses.add("eth0", "198.51.100.1/24")
            with pytest.raises(BatchError) as exc:
                async with h.batch(rollback=True) as b:
                    b.links.create(Bridge("br1"))
                    b.addresses.add("eth0", "203.0.113.1/24")
                    b.addresses.add("eth0", "198.51.100.1/24")          # exists
            errors = exc.value.results
            assert [e is None for e in errors] == [True, True, False]
            assert isinstance(errors[2], ExistsError) and errors[2].operation == "add address"
            assert len(exc.value.undone) == 2
            assert exc.value.undone[0].startswith("delete address 203.0.113.1/24")
            assert exc.value.undone[1].startswith("delete") and "br1" in exc.value.undone[1]
            assert addresses(netns, "eth0") == {"198.51.100.1/24"}
            assert not [x for x in ip_json(netns.name, "link", "show") if x["ifname"] == "br1"]  # type: ignore[union-attr,index]
            # without rollback the rest stays applied
            with pytest.raises(BatchError):
                async with h.batch() as b:
                    b.addresses.add("eth0", "203.0.113.1/24")
                    b.addresses.add("eth0", "198.51.100.1/24")
            assert addresses(netns, "eth0") == {"198.51.100.1/24", "203.0.113.1/24"}

    asyncio.run(main())


def test_batch_not_sent_when_the_block_raises(netns: Any) -> None:
    async def main() -> None:
        async with AsyncHandle(netns) as h:
            with pytest.raises(RuntimeError):
                async with h.batch() as b:
                    b.links.create(Bridge("br0"))
                    raise RuntimeError("no")
            assert not [x for x in ip_json(netns.name, "link", "show") if x["ifname"] == "br0"]  # type: ignore[union-attr,index]

    asyncio.run(main())
