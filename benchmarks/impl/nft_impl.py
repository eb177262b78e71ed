"""W4 (NAT: masquerade for 172.17.0.0/16 plus 200 port publications) with nft and pynetlink.

Two ruleset shapes, each compared with the C floor of the same shape (benchmarks/cfloor/w4.c):

- ``W4`` (one rule per port): in table ``ip pnlb_nat``, ``ip saddr 172.17.0.0/16 oifname !=
  "br0" masquerade`` in a postrouting nat chain and ``tcp dport 8000+i dnat to 172.17.x.y:80``
  in a prerouting nat chain (``nft -f``, one ``nft`` per rule, pynetlink ``Nftables.apply``);
- ``W4-map`` (what ``DockerNat`` makes): the same masquerade, the fixed map rules in
  PREROUTING/OUTPUT and the 200 publications as elements ``tcp . 8000+i : 172.17.x.y . 80`` of
  the map ``published_v4`` (pynetlink ``DockerNat.masquerade`` + ``publish``; ``nft -f`` and one
  ``nft add element`` per port with the same objects).

Everything runs inside the benchmark's host namespace: nft is exec'd there (setns before exec,
as a runtime living in that namespace would run it).
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


def nft_script_map(n: int) -> list[str]:
    """DockerNat's table (family ip, local=True) as nft commands: the same objects and comments."""
    pp, app, to = "inet_proto . inet_service", "ipv4_addr . inet_proto . inet_service", "ipv4_addr . inet_service"
    key, key_addr = "meta l4proto . th dport", "ip daddr . meta l4proto . th dport"
    t = f"ip {TABLE}"
    lines = [f"add table {t}",
             f"add map {t} published_v4 {{ type {pp} : {to} ; }}",
             f"add map {t} published_v4_addr {{ type {app} : {to} ; }}",
             f"add set {t} remote_only_v4 {{ type {pp} ; }}",
             f"add set {t} remote_only_v4_addr {{ type {app} ; }}",
             f"add chain {t} POSTROUTING {{ type nat hook postrouting priority 100 ; }}",
             f"add chain {t} PREROUTING {{ type nat hook prerouting priority -100 ; }}",
             f"add chain {t} OUTPUT {{ type nat hook output priority -100 ; }}",
             f'add rule {t} PREROUTING dnat ip to {key_addr} map @published_v4_addr '
             f'comment "pynetlink publish in v4 by address"',
             f'add rule {t} PREROUTING dnat ip to {key} map @published_v4 comment "pynetlink publish in v4"',
             f'add rule {t} OUTPUT fib daddr type local {key_addr} != @remote_only_v4_addr '
             f'dnat ip to {key_addr} map @published_v4_addr comment "pynetlink publish local v4 by address"',
             f'add rule {t} OUTPUT fib daddr type local {key} != @remote_only_v4 '
             f'dnat ip to {key} map @published_v4 comment "pynetlink publish local v4"',
             f'add rule {t} POSTROUTING ip saddr {SUBNET} oifname != "{BRIDGE}" masquerade '
             f'comment "pynetlink masquerade {SUBNET} !{BRIDGE}"']
    return lines + [f"add element {t} published_v4 {{ tcp . {8000 + i} : {ctr_ip(i)} . 80 }}" for i in range(n)]


def script(case: Case) -> list[str]:
    return nft_script_map(case.n) if case.workload == "W4-map" else nft_script(case.n)


def listed(netns: str) -> list[dict[str, Any]]:
    """``ip netns exec NETNS nft -j list ruleset`` (what an operator would look at)."""
    import json
    out = json.loads(sh(["ip", "netns", "exec", netns, "nft", "-j", "list", "ruleset"]).stdout)
    return [o for o in out["nftables"] if o.get(next(iter(o)), {}).get("table") == TABLE
            or o.get("table", {}).get("name") == TABLE]


def _rules(objs: list[dict[str, Any]], chain: str) -> list[dict[str, Any]]:
    return [o["rule"] for o in objs if "rule" in o and o["rule"]["chain"] == chain]


def check(case: Case, netns: str) -> dict[str, int]:
    """The first run of every implementation, checked with nft itself; returns what was counted."""
    n, objs = case.n, listed(netns)
    chains = {o["chain"]["name"]: o["chain"] for o in objs if "chain" in o}
    rules = sum(1 for o in objs if "rule" in o)
    masq = [r for r in rules_of(objs) if any("masquerade" in e for e in r["expr"])]
    assert len(masq) == 1, f"{len(masq)} masquerade rules"
    assert {"op": "!=", "left": {"meta": {"key": "oifname"}}, "right": BRIDGE} in \
        [e.get("match") for e in masq[0]["expr"]], "masquerade: no oifname != br0"
    if case.workload == "W4":
        assert {(c["hook"], c["prio"], c["type"]) for c in chains.values()} == \
            {("postrouting", 100, "nat"), ("prerouting", -100, "nat")}, f"chains {chains}"
        pre = _rules(objs, "prerouting")
        assert rules == n + 1 and len(pre) == n, f"{rules} rules, {len(pre)} in prerouting"
        for i in {0, n - 1}:
            e = pre[i]["expr"]
            assert e[0]["match"]["right"] == 8000 + i and e[1]["dnat"] == {"addr": ctr_ip(i), "port": 80}, \
                f"rule {i}: {e}"
        return {"rules": rules}
    assert {(c["name"], c["hook"], c["prio"]) for c in chains.values()} == \
        {("POSTROUTING", "postrouting", 100), ("PREROUTING", "prerouting", -100),
         ("OUTPUT", "output", -100)}, f"chains {chains}"
    assert rules == 5 and len(_rules(objs, "PREROUTING")) == 2 and len(_rules(objs, "OUTPUT")) == 2, \
        f"{rules} rules"
    maps = {o["map"]["name"]: o["map"] for o in objs if "map" in o}
    elems = maps["published_v4"].get("elem", [])
    assert len(elems) == n, f"{len(elems)} elements in published_v4"
    got = {e[0]["concat"][1]: tuple(e[1]["concat"]) for e in elems}
    for i in {0, n - 1}:
        assert got.get(8000 + i) == (ctr_ip(i), 80), f"element {8000 + i}: {got.get(8000 + i)}"
    assert not maps["published_v4_addr"].get("elem"), "published_v4_addr not empty"
    return {"rules": rules, "elements": len(elems)}


def rules_of(objs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [o["rule"] for o in objs if "rule" in o]


class NftFile(Impl):
    name = "nft -f"
    workloads = frozenset({"W4", "W4-map"})

    def setup(self, case: Case, ctx: Ctx) -> None:
        ctx.state["text"] = "\n".join(script(case)) + "\n"

    def run(self, case: Case, ctx: Ctx) -> None:
        sh(["nft", "-f", "-"], input=ctx.state["text"], netns=ctx.host)


class NftLoop(Impl):
    """One ``nft`` per command: per rule (W4), per map element (W4-map)."""

    name = "nft (one per rule)"
    workloads = frozenset({"W4", "W4-map"})

    def setup(self, case: Case, ctx: Ctx) -> None:
        # a script run by `sh` inside the host namespace; braces/quotes passed as one argument
        lines = ["set -e"] + [f"nft '{x}'" for x in script(case)]
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


class PynetlinkDockerNat(Impl):
    """pynetlink.nft.DockerNat as a runtime uses it: ``masquerade()``, then ``publish()`` of all
    N ports in one call (``local=True``, the default: one element each in ``published_v4``).

    A fresh ``DockerNat`` (the first call checks the structure: one rule dump, then the table,
    maps, chains, rules and masquerade in one transaction; ``publish`` is a second transaction
    with one NEWSETELEM). The ``Nftables`` socket is opened untimed, as for every implementation.
    """

    name = "pynetlink DockerNat"
    workloads = frozenset({"W4-map"})

    def setup(self, case: Case, ctx: Ctx) -> None:
        from pynetlink.nft import Nftables
        ctx.state["nft"] = Nftables(ctx.host)

    close = PynetlinkNft.close

    def run(self, case: Case, ctx: Ctx) -> dict[str, Any]:
        from pynetlink.nft import DockerNat, Publish
        nat = DockerNat(ctx.state["nft"], table=TABLE)
        nat.masquerade(SUBNET, BRIDGE)
        nat.publish(*[Publish(8000 + i, ctr_ip(i), 80) for i in range(case.n)])
        return {"layer": "pynetlink.nft DockerNat masquerade + publish"}


class PynetlinkDockerNatSetup(PynetlinkDockerNat):
    """The same through ``DockerNat.setup(masquerade=..., publish=...)``: on a fresh host one
    transaction (structure, masquerade and the N elements; the table created exclusively)."""

    name = "pynetlink DockerNat.setup"

    def run(self, case: Case, ctx: Ctx) -> dict[str, Any]:
        from pynetlink.nft import DockerNat, Publish
        DockerNat(ctx.state["nft"], table=TABLE).setup(
            masquerade=[(SUBNET, BRIDGE)], publish=[Publish(8000 + i, ctr_ip(i), 80) for i in range(case.n)])
        return {"layer": "pynetlink.nft DockerNat.setup"}


class PynetlinkNftBulk(PynetlinkNft):
    """W4 rules through the bulk form: one transaction with the table (masquerade rule, both
    chains) and ``tx.add_dnat_rules(table, "prerouting", [(8000 + i, ctr, 80), ...])`` (the
    tuples checked as columns, one DNAT rule template filled per port in C); the same
    messages as ``Nftables.apply`` of the Rule objects."""

    name = "pynetlink add_dnat_rules"

    def run(self, case: Case, ctx: Ctx) -> dict[str, Any]:
        from pynetlink.nft import Chain, Ip, Masquerade, Meta, Rule, Table
        with ctx.state["nft"].transaction() as tx:
            tx.add_table(Table(TABLE, "ip", [
                Chain("postrouting", "nat", "postrouting", 100, rules=[
                    Rule([Ip.saddr(SUBNET), Meta.oifname != BRIDGE], [Masquerade()])]),
                Chain("prerouting", "nat", "prerouting", -100)]))
            tx.add_dnat_rules(TABLE, "prerouting", ctx.state.get("pubs") or publications(case.n))
        return {"layer": "pynetlink.nft Transaction.add_dnat_rules"}


def publications(n: int) -> list[tuple[int, str, int]]:
    """W4's N port publications as the bulk forms take them: (8000 + i, 172.17.x.y, 80)."""
    return [(8000 + i, ctr_ip(i), 80) for i in range(n)]


class PynetlinkNftBulkReady(PynetlinkNftBulk):
    """``add_dnat_rules`` with the caller's tuples made before the clock (in ``setup``), as a
    runtime holds its port list already: the library's own cost. (The C floor has its values
    as constants; making 200 address strings in Python costs ~50-60 µs, a third of the map
    form's whole floor.) The plain row keeps making them inside the timed call."""

    name = "pynetlink add_dnat_rules (tuples ready)"

    def setup(self, case: Case, ctx: Ctx) -> None:
        super().setup(case, ctx)
        ctx.state["pubs"] = publications(case.n)


class PynetlinkDockerNatTuples(PynetlinkDockerNat):
    """``DockerNat.setup`` with the publications as plain ``(host_port, to, to_port)`` tuples
    (checked as columns, packed without a ``Publish`` each): the same transaction."""

    name = "pynetlink DockerNat.setup tuples"

    def run(self, case: Case, ctx: Ctx) -> dict[str, Any]:
        from pynetlink.nft import DockerNat
        DockerNat(ctx.state["nft"], table=TABLE).setup(
            masquerade=[(SUBNET, BRIDGE)], publish=ctx.state.get("pubs") or publications(case.n))
        return {"layer": "pynetlink.nft DockerNat.setup (tuples)"}


class PynetlinkDockerNatTuplesReady(PynetlinkDockerNatTuples):
    """``DockerNat.setup`` with the tuples made before the clock (see PynetlinkNftBulkReady)."""

    name = "pynetlink DockerNat.setup tuples (ready)"

    def setup(self, case: Case, ctx: Ctx) -> None:
        super().setup(case, ctx)
        ctx.state["pubs"] = publications(case.n)
