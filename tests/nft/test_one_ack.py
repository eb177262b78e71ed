"""A transaction asks one ack (its last member's): the other members are quiet, the kernel
answers them only with their errors. Every failing member is still reported (the first
raised, the others noted), nothing is changed, and the socket is usable afterwards."""
from __future__ import annotations

import json
import shutil
import subprocess
from typing import Any

import pytest

from pynetlink.nft import Chain, Dnat, Nftables, Rule, Table, Tcp
from pynetlink.transport import NetNS

pytestmark = [pytest.mark.root, pytest.mark.kernel("nft_nat"),
              pytest.mark.skipif(shutil.which("nft") is None, reason="needs the nft tool (Debian nftables)")]


def ruleset(ns: NetNS) -> Any:
    out = subprocess.run(["ip", "netns", "exec", str(ns.name), "nft", "-j", "list", "ruleset"],
                         check=True, capture_output=True, text=True).stdout
    return json.loads(out)["nftables"]


def dnat(i: int) -> Rule:
    return Rule([Tcp.dport(8000 + i)], [Dnat(f"172.17.0.{i + 2}", 80)])


def table() -> Table:
    return Table("q", "ip", [Chain("pre", "nat", "prerouting", -100, rules=[dnat(i) for i in range(50)])])


def test_the_members_are_applied(netns: NetNS) -> None:
    with Nftables(netns) as nft:
        nft.apply(table())
        assert nft.table("q") == table()
        rules = [o["rule"] for o in ruleset(netns) if "rule" in o]
        assert len(rules) == 50 and rules[49]["expr"][1]["dnat"] == {"addr": "172.17.0.51", "port": 80}


@pytest.mark.parametrize("bad", [(10,), (10, 30), (49,), (0, 49)])
def test_every_failing_member_is_reported_and_nothing_changes(netns: NetNS, bad: tuple[int, ...]) -> None:
    with Nftables(netns) as nft:
        nft.apply(Table("q", "ip", [Chain("pre", "nat", "prerouting", -100)]))
        before, gen = ruleset(netns), nft.generation()
        tx = nft.transaction()
        for i in range(50):
            tx.add_rule("q", "missing" if i in bad else "pre", dnat(i))
        with pytest.raises(FileNotFoundError) as info:
            tx.commit()
        err = info.value
        assert str(err).startswith(f"add rule q/missing 'tcp dport {8000 + bad[0]} dnat to 172.17.0.{bad[0] + 2}:80'")
        assert getattr(err, "field") == "chain"
        notes = getattr(err, "__notes__", [])
        assert "the transaction of 50 changes was not applied (nothing changed)" in notes
        also = [n for n in notes if n.startswith("also: ")]
        assert len(also) == len(bad) - 1
        for note, i in zip(also, bad[1:]):
            assert note.startswith(f"also: add rule q/missing 'tcp dport {8000 + i} dnat") and "[ENOENT]" in note
        assert ruleset(netns) == before and nft.generation() == gen
        nft.add_rule("q", "pre", dnat(7))                      # the socket goes on: no stale replies
        assert [r["expr"][0]["match"]["right"] for r in (o["rule"] for o in ruleset(netns) if "rule" in o)] == [8007]
