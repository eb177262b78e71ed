"""W4 (NAT: masquerade for 172.17.0.0/16 plus 200 port publications) with nft and pynetlink.

The ruleset is Docker's: in table ``ip pnlb_nat``, ``ip saddr 172.17.0.0/16 oifname != "br0"
masquerade`` in a postrouting nat chain and ``tcp dport 8000+i dnat to 172.17.x.y:80`` in a
prerouting nat chain. Everything runs inside the benchmark's host namespace: nft is exec'd
there (setns before exec, as a runtime living in that namespace would run it).
"""
from __future__ import annotations

from typing import Any

from ..common import sh
from .base import BRIDGE, SUBNET, Case, Ctx, Impl, ctr_ip

TABLE = "pnlb_nat"


def nft_script(n: int) -> list[str]:
    lines = [f"add table ip {TABLE}",
             f"add chain ip {TABLE} postrouting {{ type nat hook postrouting priority 100 ; }}",
             f"add chain ip {TABLE} prerouting {{ type nat hook prerouting priority -100 ; }}",
             f'add rule ip {TABLE} postrouting ip saddr {SUBNET} oifname != "{BRIDGE}" masquerade']
    lines += [f"add rule ip {TABLE} prerouting tcp dport {8000 + i} dnat to {ctr_ip(i)}:80"
              for i in range(n)]
    return lines


def count_rules(netns: str) -> int:
    import json
    out = json.loads(sh(["nft", "-j", "list", "table", "ip", TABLE], netns=netns).stdout)
    return sum(1 for o in out["nftables"] if "rule" in o)


class NftFile(Impl):
    name = "nft -f"
    workloads = frozenset({"W4"})

    def setup(self, case: Case, ctx: Ctx) -> None:
        ctx.state["text"] = "\n".join(nft_script(case.n)) + "\n"

    def run(self, case: Case, ctx: Ctx) -> None:
        sh(["nft", "-f", "-"], input=ctx.state["text"], netns=ctx.host)


class NftLoop(Impl):
    name = "nft (one per rule)"
    workloads = frozenset({"W4"})

    def setup(self, case: Case, ctx: Ctx) -> None:
        # a script run by `sh` inside the host namespace; braces/quotes passed as one argument
        lines = ["set -e"] + [f"nft '{x}'" for x in nft_script(case.n)]
        p = ctx.tmp / "nat.sh"
        p.write_text("\n".join(lines) + "\n")
        ctx.state["script"] = str(p)

    def run(self, case: Case, ctx: Ctx) -> None:
        sh(["sh", ctx.state["script"]], netns=ctx.host)


class PynetlinkNft(Impl):
    """pynetlink.nft: the whole table declared, applied in one transaction (``Nftables.apply``)."""

    name = "pynetlink"
    workloads = frozenset({"W4"})

    def setup(self, case: Case, ctx: Ctx) -> None:
        from pynetlink.nft import Nftables
        ctx.state["nft"] = Nftables(ctx.host)

    def close(self, ctx: Ctx) -> None:
        nft = ctx.state.pop("nft", None)
        if nft is not None:
            nft.close()

    def run(self, case: Case, ctx: Ctx) -> dict[str, Any]:
        from pynetlink.nft import Chain, Dnat, Ip, Masquerade, Meta, Rule, Table, Tcp
        table = Table(TABLE, "ip", [
            Chain("postrouting", "nat", "postrouting", 100, rules=[
                Rule([Ip.saddr(SUBNET), Meta.oifname != BRIDGE], [Masquerade()])]),
            Chain("prerouting", "nat", "prerouting", -100, rules=[
                Rule([Tcp.dport(8000 + i)], [Dnat(ctr_ip(i), 80)]) for i in range(case.n)])])
        ctx.state["nft"].apply(table)
        return {"layer": "pynetlink.nft Nftables.apply"}
