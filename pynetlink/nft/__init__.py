"""nftables over nfnetlink: tables, chains, rules and NAT, changed in atomic transactions.

```python
from pynetlink.nft import Nftables, Table, Chain, Rule, Ip, Meta, Tcp, Counter, Masquerade, Dnat
nat = Table("nat", "ip", [
    Chain("POSTROUTING", "nat", "postrouting", 100, rules=[
        Rule([Ip.saddr("172.17.0.0/16"), Meta.oifname != "docker0"], [Counter(), Masquerade()])]),
    Chain("PREROUTING", "nat", "prerouting", -100, rules=[
        Rule([Tcp.dport(8080)], [Dnat("172.17.0.2", 80)])])])
with Nftables("ctr1") as nft:          # a namespace name, path or NetNS; None = ours
    nft.apply(nat)                     # one transaction
    assert nft.table("nat") == nat     # listed back into the same objects
```
"""
from __future__ import annotations

TYPE_CHECKING = False        # not ``typing.TYPE_CHECKING``: the package itself imports nothing
if TYPE_CHECKING:
    from typing import Any

    from .match import Concat, Ct, Fib, Field, Ip, Ip6, Match, Meta, PortRange, SetRef, Tcp, Th, Udp
    from .nat import DockerNat, Publish, forwarding, set_forwarding
    from .rule import Chain, Rule, Table
    from .ruleset import GenerationChanged, Nftables, Ruleset, Transaction
    from .sets import Map, NamedSet, Set
    from .stmt import (Accept, Counter, Dnat, Drop, Goto, Jump, Masquerade, NatMap, Raw, Redirect, Return, Snat,
                       Statement, Verdict, Vmap)

__all__ = ["Nftables", "Transaction", "Ruleset", "GenerationChanged", "Table", "Chain", "Rule",
           "Match", "Field", "SetRef", "Ip", "Ip6", "Meta", "Tcp", "Udp", "Ct", "Statement", "Counter",
           "Masquerade", "Snat", "Dnat", "Redirect", "Verdict", "Accept", "Drop", "Return", "Jump",
           "Goto", "Raw", "DockerNat", "Publish", "set_forwarding", "forwarding", "Set", "Map", "NamedSet", "Th",
           "Concat", "PortRange", "NatMap", "Vmap", "Fib"]

# PEP 562: a name's module is imported on first use, so ``pynetlink.nft.ruleset`` with sets and
# elements (a CNI plugin's masquerade) loads without the rule layer (match, stmt, rule, nat).
_FROM = {**dict.fromkeys(["Concat", "Ct", "Fib", "Field", "Ip", "Ip6", "Match", "Meta", "PortRange", "SetRef",
                          "Tcp", "Th", "Udp"], "match"),
         **dict.fromkeys(["DockerNat", "Publish", "forwarding", "set_forwarding"], "nat"),
         **dict.fromkeys(["Chain", "Rule", "Table"], "rule"),
         **dict.fromkeys(["GenerationChanged", "Nftables", "Ruleset", "Transaction"], "ruleset"),
         **dict.fromkeys(["Map", "NamedSet", "Set"], "sets"),
         **dict.fromkeys(["Accept", "Counter", "Dnat", "Drop", "Goto", "Jump", "Masquerade", "NatMap", "Raw",
                          "Redirect", "Return", "Snat", "Statement", "Verdict", "Vmap"], "stmt")}


def __getattr__(name: str) -> Any:
    if name not in _FROM:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from .._importing import import_module
    value = getattr(import_module(f".{_FROM[name]}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
