"""AsyncNftables and AsyncDockerNat against the kernel, `nft -j` (inside the namespace) as oracle."""
from __future__ import annotations

import asyncio
import json
import shutil
import subprocess
from typing import Any

import pytest

from pynetlink import NetlinkError
from pynetlink.aio import AsyncDockerNat, AsyncNftables
from pynetlink.nft import Chain, Counter, Dnat, Ip, Masquerade, Meta, Publish, Rule, Set, Table, Tcp

pytestmark = [pytest.mark.root, pytest.mark.kernel("nft_nat"),
              pytest.mark.skipif(shutil.which("nft") is None, reason="needs the nft tool (Debian nftables)")]


def nft_j(ns: Any) -> list[dict[str, Any]]:
    out = subprocess.run(["ip", "netns", "exec", ns.name, "nft", "-j", "list", "ruleset"], check=True,
                         capture_output=True, text=True).stdout
    return json.loads(out)["nftables"]  # type: ignore[no-any-return]


def test_tables_rules_sets_and_transactions(netns: Any) -> None:
    nat = Table("nat", "ip", [
        Chain("POSTROUTING", "nat", "postrouting", 100, rules=[
            Rule([Ip.saddr("172.17.0.0/16"), Meta.oifname != "docker0"], [Counter(), Masquerade()])]),
        Chain("PREROUTING", "nat", "prerouting", -100, rules=[Rule([Tcp.dport(8080)], [Dnat("172.17.0.2", 80)])])])

    async def main() -> None:
        async with AsyncNftables(netns) as nft:
            gen = await nft.generation()
            await nft.apply(nat)
            assert await nft.table("nat") == nat
            assert await nft.generation() > gen
            await nft.add_rule("nat", "PREROUTING", Rule([Tcp.dport(8081)], [Dnat("172.17.0.3", 81)]))
            rules = await nft.rules("nat", "PREROUTING")
            assert rules[1] == Rule([Tcp.dport(8081)], [Dnat("172.17.0.3", 81)]) and rules[1].handle
            s = Set("blocked", ("ipv4_addr",))
            async with nft.transaction() as tx:
                tx.add_set("nat", s)
                tx.add_elements("nat", s, ["198.51.100.1", "198.51.100.2"])
            assert await nft.elements("nat", s) == frozenset({"198.51.100.1", "198.51.100.2"})
            assert await nft.has_element("nat", s, "198.51.100.2")
            assert not await nft.has_element("nat", s, "198.51.100.3")
            deleted = await nft.delete_rules("nat", lambda chain, r: chain == "PREROUTING")
            assert deleted == 2
            # a transaction the kernel refuses: nothing applied, error with operation and extack
            with pytest.raises(NetlinkError) as exc:
                tx = nft.transaction()
                tx.add_rule("nat", "NOCHAIN", Rule([Tcp.dport(1)], [Counter()]))
                await tx.commit()
            assert exc.value.operation == "add rule" and exc.value.errno is not None

    asyncio.run(main())
    objs = nft_j(netns)
    rules = [o["rule"] for o in objs if "rule" in o]
    assert [r["chain"] for r in rules] == ["POSTROUTING"]
    assert [o["set"]["name"] for o in objs if "set" in o] == ["blocked"]


def test_docker_nat(netns: Any) -> None:
    async def main() -> list[Publish]:
        async with AsyncNftables(netns) as nft:
            nat = AsyncDockerNat(nft)
            assert await nat.masquerade("172.17.0.0/16", "docker0") is True
            assert await nat.masquerade("172.17.0.0/16", "docker0") is False
            # publications from concurrent tasks on one socket
            await asyncio.gather(*[nat.publish(Publish(8000 + i, f"172.17.0.{i + 2}", 80)) for i in range(20)])
            assert await nat.unpublish(8000) == 1
            got: list[Publish] = await nat.published()
            assert await nat.unmasquerade("172.17.0.0/16", "docker0") == 1
            return got

    got = asyncio.run(main())
    assert sorted(p.host_port for p in got) == list(range(8001, 8020))
    objs = nft_j(netns)
    elems = [o["map"] for o in objs if "map" in o and o["map"]["name"] == "published_v4"][0]["elem"]
    assert len(elems) == 19
    assert not [o for o in objs if "rule" in o and o["rule"]["chain"] == "POSTROUTING"]

    async def teardown() -> None:
        async with AsyncNftables(netns) as nft:
            await AsyncDockerNat(nft).teardown()

    asyncio.run(teardown())
    assert not [o for o in nft_j(netns) if "table" in o]
