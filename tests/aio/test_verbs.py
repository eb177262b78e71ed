"""Every verb family of AsyncHandle against the kernel, `ip -j` (and `bridge -j`) as oracle."""
from __future__ import annotations

import asyncio
import json
import subprocess
from typing import Any

import pytest

from pynetlink import Bridge, BridgePort, ExistsError, InvalidArgument, NetlinkError, NotFoundError, Veth
from pynetlink.aio import AsyncHandle

from ..conftest import ip_json
from .conftest import addresses

pytestmark = [pytest.mark.root, pytest.mark.kernel("veth", "bridge")]


async def _eth(ns: Any) -> AsyncHandle:
    """An open AsyncHandle in ``ns`` with eth0/eth0p up (IPv6 DAD off)."""
    ns.set_sysctl("net.ipv6.conf.all.accept_dad", 0)
    ns.set_sysctl("net.ipv6.conf.default.accept_dad", 0)
    h = await AsyncHandle(ns)
    await h.links.create(Veth("eth0", peer="eth0p"), up=True)
    await h.links.set("eth0p", up=True)
    return h


def test_links(netns: Any, make_netns: Any) -> None:
    other = make_netns("aio-other")

    async def main() -> None:
        async with AsyncHandle(netns.name) as h:
            br = await h.links.create(Bridge("br0"), up=True)
            assert br.name == "br0" and br.kind == "bridge"
            await h.links.create(Veth("v0", peer="v0p", master="br0"))
            await h.links.set("v0", mtu=1400, alias="port zero", up=True)
            got = await h.links.get("v0")
            assert got.mtu == 1400 and got.master == br.index
            assert {v.name for v in await h.links.dump(master="br0")} == {"v0"}
            assert {v.name for v in await h.links.dump(kind="veth")} == {"v0", "v0p"}
            await h.links.set_port("v0", BridgePort(hairpin=True, cost=7))
            port = ip_json(netns.name, "-d", "link", "show", "dev", "v0")[0]["linkinfo"]["info_slave_data"]  # type: ignore[index]
            assert port["hairpin"] is True and port["cost"] == 7
            await h.links.create(Bridge("br9"))
            await h.links.change(Bridge("br9", mtu=1300))
            assert (await h.links.get("br9")).mtu == 1300
            await h.links.set("br9", group=9)
            await h.links.delete_group(9)
            assert not [x for x in ip_json(netns.name, "link", "show") if x["ifname"] == "br9"]  # type: ignore[union-attr,index]
            await h.links.move("v0p", other, name="eth9")
            with pytest.raises(NotFoundError):
                await h.links.get("v0p")
            j = ip_json(netns.name, "-d", "link", "show", "dev", "v0")[0]  # type: ignore[index]
            assert j["mtu"] == 1400 and j["master"] == "br0" and j["ifalias"] == "port zero"
            assert ip_json(other.name, "link", "show", "dev", "eth9")
            await h.links.delete("v0")
            assert not [x for x in ip_json(netns.name, "link", "show") if x["ifname"] == "v0"]  # type: ignore[union-attr]

    asyncio.run(main())


def test_addresses(netns: Any) -> None:
    async def main() -> None:
        h = await _eth(netns)
        try:
            await h.addresses.add("eth0", "198.51.100.7/24")
            await h.addresses.add("eth0", "2001:db8::7/64")
            await h.addresses.replace("eth0", "203.0.113.8/24")
            assert addresses(netns, "eth0") == {"198.51.100.7/24", "203.0.113.8/24"}
            assert "2001:db8::7/64" in addresses(netns, "eth0", "-6")
            with pytest.raises(ExistsError):
                await h.addresses.add("eth0", "198.51.100.7/24")
            await h.addresses.delete("eth0", "198.51.100.7/24")
            assert {a.address for a in await h.addresses.dump("eth0", family=4)} == {"203.0.113.8"}
            assert addresses(netns, "eth0") == {"203.0.113.8/24"}
        finally:
            h.close()

    asyncio.run(main())


def test_routes(netns: Any) -> None:
    async def main() -> None:
        h = await _eth(netns)
        try:
            await h.addresses.add("eth0", "198.51.100.1/24")
            await h.routes.add("203.0.113.0/24", via="198.51.100.2")
            await h.routes.add("172.16.5.0/24", dev="eth0", table=100)
            await h.routes.replace("203.0.113.0/24", via="198.51.100.3")
            got = await h.routes.get("203.0.113.9")
            assert got.via == "198.51.100.3"
            j = ip_json(netns.name, "route", "show", "203.0.113.0/24")
            assert [r["gateway"] for r in j] == ["198.51.100.3"]  # type: ignore[union-attr,index]
            assert [r.dst for r in await h.routes.dump(table=100)] == ["172.16.5.0/24"]
            assert [r["dst"] for r in ip_json(netns.name, "route", "show", "table", "100")] == ["172.16.5.0/24"]  # type: ignore[union-attr,index]
            await h.routes.delete("203.0.113.0/24")
            assert ip_json(netns.name, "route", "show", "203.0.113.0/24") == []
        finally:
            h.close()

    asyncio.run(main())


def test_neighbours_and_fdb(netns: Any) -> None:
    async def main() -> None:
        h = await _eth(netns)
        try:
            await h.neighbours.add("eth0", "172.16.0.50", "02:00:00:00:00:50")
            await h.neighbours.replace("eth0", "172.16.0.50", "02:00:00:00:00:51")
            assert [n.lladdr for n in await h.neighbours.dump("eth0", family=4)] == ["02:00:00:00:00:51"]
            j = ip_json(netns.name, "neigh", "show", "dev", "eth0")
            assert [(x["dst"], x["lladdr"]) for x in j] == [("172.16.0.50", "02:00:00:00:00:51")]  # type: ignore[union-attr,index]
            await h.neighbours.delete("eth0", "172.16.0.50")
            assert ip_json(netns.name, "neigh", "show", "dev", "eth0") == []

            await h.links.create(Bridge("br0"), up=True)
            await h.links.set("eth0", master="br0")
            await h.fdb.add("eth0", "02:00:00:00:aa:01")
            assert [e.lladdr for e in await h.fdb.dump(master="br0") if e.lladdr == "02:00:00:00:aa:01"]
            out = subprocess.run(["bridge", "-j", "-n", netns.name, "fdb", "show", "br", "br0"],
                                 check=True, capture_output=True, text=True).stdout
            assert [e for e in json.loads(out) if e["mac"] == "02:00:00:00:aa:01" and e["state"] == "permanent"]
            await h.fdb.delete("eth0", "02:00:00:00:aa:01")
            assert not [e for e in await h.fdb.dump(master="br0") if e.lladdr == "02:00:00:00:aa:01"]
        finally:
            h.close()

    asyncio.run(main())


def test_errors_with_extack_and_bad_input(netns: Any) -> None:
    async def main() -> None:
        h = await _eth(netns)
        try:
            with pytest.raises(NetlinkError) as exc:
                await h.routes.add("198.51.100.0/24", via="10.99.0.1")
            assert exc.value.operation == "add route" and "Nexthop has invalid gateway" in exc.value.extack
            assert netns.name in exc.value.target
            with pytest.raises(InvalidArgument, match="no such link"):
                await h.addresses.add("nope0", "198.51.100.9/24")
            with pytest.raises(InvalidArgument):
                await h.addresses.add("eth0", "198.51.100.300/24")
            # the socket still serves requests after errors
            await h.addresses.add("eth0", "198.51.100.9/24")
            assert addresses(netns, "eth0") == {"198.51.100.9/24"}
        finally:
            h.close()

    asyncio.run(main())
