"""IP masquerade of CNI containers: one nftables table, per-container set elements.

``inet pynetlink_cni`` holds a POSTROUTING chain with a fixed handful of rules::

    ip saddr . ip daddr @skip4 return      # a container to its own subnet: not NATed
    ip daddr 224.0.0.0/4 return
    ip saddr @masq4 masquerade
    (the same for IPv6 with skip6 / ff00::/8 / masq6)

Adding a container is one transaction adding its address to ``masq4`` and (address, subnet)
to ``skip4``; DEL removes exactly those elements. Both are O(1) whatever the number of
containers, and idempotent. The elements are owned through the address: it is the
container's as long as its IPAM reservation lasts, so DEL and GC find them from the
reservation even without a netns or a prevResult.
"""
from __future__ import annotations

from ..nft.sets import NamedSet, Set
from . import ipnet

TYPE_CHECKING = False       # typing is not imported at run time
if TYPE_CHECKING:      # the rule layer (match, stmt, rule) loads only when the table is made
    from typing import Any, Iterable, Sequence
    from ..nft.rule import Chain, Rule
    from ..nft.ruleset import Nftables, Transaction

TABLE, FAMILY, CHAIN_NAME = "pynetlink_cni", "inet", "postrouting"
SETS = {4: (Set("masq4", "ipv4_addr"), Set("skip4", ("ipv4_addr", "ipv4_addr"), flags="interval")),
        6: (Set("masq6", "ipv6_addr"), Set("skip6", ("ipv6_addr", "ipv6_addr"), flags="interval"))}


def chain() -> Chain:
    from ..nft.rule import Chain
    return Chain(CHAIN_NAME, "nat", "postrouting", 100)


def rules() -> list[Rule]:
    from ..nft import Ip, Ip6, Masquerade, Meta, Return, Rule
    out = []
    for v, field, mcast in ((4, Ip, "224.0.0.0/4"), (6, Ip6, "ff00::/8")):
        masq, skip = SETS[v]
        dep = [Meta.nfproto(f"ipv{v}")]
        out += [Rule(dep + [(field.saddr & field.daddr).in_set(skip.name)], [Return()]),
                Rule(dep + [field.daddr == mcast], [Return()]),
                Rule(dep + [field.saddr.in_set(masq.name)], [Masquerade()], comment="pynetlink cni masquerade")]
    return out


def _ensure(nft: Nftables) -> None:
    """Table, chain, sets and rules, if not already in place: one GETSET of ``skip6``, the last
    object of the one transaction that makes them all (concurrent callers converge: each
    rewrites the chain whole). The bridge plugin sends that transaction prebuilt (masqraw)."""
    if nft.has_set(TABLE, SETS[6][1].name, family=FAMILY):
        return
    table_transaction(nft.transaction()).commit()


def table_transaction(tx: Transaction) -> Transaction:
    """``tx`` with the table, its chain and sets, and the chain's rules (replacing any)."""
    from ..nft.rule import Table
    tx.add_table(Table(TABLE, FAMILY, [chain()], [s for pair in SETS.values() for s in pair]))
    tx.flush(TABLE, CHAIN_NAME, family=FAMILY)
    for r in rules():
        tx.add_rule(TABLE, CHAIN_NAME, r, family=FAMILY)
    return tx


def add(nft: Nftables, addresses: Iterable[str]) -> None:
    """Masquerade the containers' ``addresses`` (CIDR: address/prefix of its subnet)."""
    ifaces = [ipnet.ip_interface(a) for a in addresses]
    if not ifaces:
        return
    _ensure(nft)
    tx = nft.transaction()
    for i in ifaces:
        masq, skip = SETS[i.version]
        tx.add_elements(TABLE, masq, [str(i.ip)], family=FAMILY)
        tx.add_elements(TABLE, skip, [(str(i.ip), str(i.network))], family=FAMILY)
    tx.commit()


def remove(nft: Nftables, addresses: Sequence[str]) -> None:
    """Remove what ``add`` put in for ``addresses``; what is missing is fine."""
    steps: list[tuple[NamedSet, Any]] = []
    for a in addresses:
        i = ipnet.ip_interface(a)
        masq, skip = SETS[i.version]
        steps += [(masq, str(i.ip)), (skip, (str(i.ip), str(i.network)))]
    remove_elements(nft, TABLE, FAMILY, steps)


def remove_elements(nft: Nftables, table: str, family: str, steps: Sequence[tuple[NamedSet, Any]]) -> None:
    """Delete (set, key) elements in one transaction; if some were gone already, the rest one
    by one (a missing element, set or table is fine)."""
    if not steps:
        return
    try:
        tx = nft.transaction()
        for s, key in steps:
            tx.delete_elements(table, s, [key], family=family)
        tx.commit()
    except FileNotFoundError:
        for s, key in steps:
            try:
                nft.transaction().delete_elements(table, s, [key], family=family).commit()
            except FileNotFoundError:
                pass


def masqueraded(nft: Nftables) -> set[str]:
    """The container addresses now masqueraded."""
    out: set[str] = set()
    for v in (4, 6):
        try:
            out |= {str(k) for k in nft.elements(TABLE, SETS[v][0], family=FAMILY)}
        except FileNotFoundError:
            pass
    return out


def gc(nft: Nftables, subnets: Sequence[str], keep: set[str]) -> list[str]:
    """Remove the addresses inside ``subnets`` that are not in ``keep``; returns them."""
    nets = [ipnet.ip_network(s) for s in subnets]
    stale = [(a, n) for a in masqueraded(nft) for n in nets
             if ipnet.ip_address(a) in n and a not in keep]
    remove(nft, [f"{a}/{n.prefixlen}" for a, n in stale])
    return [a for a, _ in stale]
