"""Masquerade of many bridge networks as set elements, not one rule each.

``DockerNat.masquerade`` ensures one rule per subnet (found by its comment: a read of the
chain first, and a listing that grows with the networks). Here the chain ``MASQUERADE``
(nat, postrouting, priority 100) of the library's table holds a fixed pair of rules per IP
version, and a network is two set elements::

    ip saddr . oifname @masq_bridge_v4 return    # leaving by its own bridge: left as it is
    ip saddr @masq_v4 masquerade                 # leaving by any other interface

so ``(subnet, bridge)`` is masqueraded leaving by any interface but ``bridge``, as
``DockerNat.masquerade(subnet, bridge)`` does, for subnets that do not overlap (the interval
sets refuse an overlapping one: ExistsError). Adding or removing a network is one
transaction of elements, with no read, whatever the number of networks; an instance that
has not written the chain yet writes it (and the sets) in the same transaction, idempotently
(the chain is ours: flushed and rewritten).
"""
from __future__ import annotations

import errno
from typing import Any, Sequence

from ..errors import InvalidArgument, NetlinkError
from . import validate
from .match import Ip, Ip6, Meta
from .rule import Chain, Rule, Table
from .ruleset import Nftables, Transaction
from .sets import Set
from .stmt import Masquerade, Return

MASQUERADE = Chain("MASQUERADE", "nat", "postrouting", 100)
_ADDR = {4: "ipv4_addr", 6: "ipv6_addr"}
_SETS = {v: (Set(f"masq_v{v}", _ADDR[v], flags={"interval"}),
             Set(f"masq_bridge_v{v}", (_ADDR[v], "ifname"), flags={"interval"})) for v in (4, 6)}


class MasqueradeSets:
    """The masquerade elements of bridge networks in ``table`` (family ``inet``: both versions)."""

    def __init__(self, nft: Nftables, table: str = "pynetlink", family: str = "inet") -> None:
        self.nft = nft
        self.table = validate.name(table, "table name")
        self.family = validate.family(family)
        self.versions = {"ip": (4,), "ip6": (6,), "inet": (4, 6)}[self.family]
        self._ready = False          # the chain, its rules and the sets written by this instance

    @staticmethod
    def sets(version: int) -> tuple[Set, Set]:
        """(subnets, subnet . bridge) of one IP version, empty."""
        return _SETS[version]

    def rules(self) -> list[Rule]:
        out = []
        for v in self.versions:
            subnets, own = self.sets(v)
            saddr = Ip.saddr if v == 4 else Ip6.saddr
            dep = [Meta.nfproto("ipv4" if v == 4 else "ipv6")] if self.family == "inet" else []
            out += [Rule(dep + [(saddr & Meta.oifname).in_set(own.name)], [Return()],
                         comment=f"pynetlink masquerade v{v}: not out of its own bridge"),
                    Rule(dep + [saddr.in_set(subnets.name)], [Masquerade()],
                         comment=f"pynetlink masquerade v{v}")]
        return out

    def _structure(self, tx: Transaction) -> None:
        sets = [s for v in self.versions for s in self.sets(v)]
        tx.add_table(Table(self.table, self.family, [MASQUERADE], sets), exist_ok=True)
        tx.flush(self.table, MASQUERADE.name, family=self.family)
        for r in self.rules():
            tx.add_rule(self.table, MASQUERADE.name, r, family=self.family)

    def _elements(self, pairs: Sequence[tuple[str, str]]) -> dict[int, tuple[list[str], list[tuple[str, str]]]]:
        """Per IP version: the subnets and the (subnet, bridge) keys."""
        out: dict[int, tuple[list[str], list[tuple[str, str]]]] = {}
        for subnet, bridge in pairs:
            net = validate.network(subnet)
            if net.version not in self.versions:
                raise InvalidArgument(f"masquerade {net}: IPv{net.version} in a table of family "
                                      f"{self.family}")
            subnets, keys = out.setdefault(net.version, ([], []))
            subnets.append(str(net))
            keys.append((str(net), validate.ifname(bridge)))
        return out

    def add(self, pairs: Sequence[tuple[str, str]]) -> None:
        """Masquerade each ``(subnet, bridge)`` (an ensure: elements there already stay)."""
        per = self._elements(pairs)
        for attempt in range(2):
            tx = self.nft.transaction()
            if not self._ready:
                self._structure(tx)
            for v, (subnets, keys) in per.items():
                s, own = self.sets(v)
                tx.add_elements(self.table, s, subnets, family=self.family)
                tx.add_elements(self.table, own, keys, family=self.family)
            try:
                tx.commit()
            except FileNotFoundError:           # our table went meanwhile: once more, whole
                if not self._ready or attempt:
                    raise
                self._ready = False
                continue
            self._ready = True
            return

    def remove(self, pairs: Sequence[tuple[str, str]]) -> None:
        """Stop masquerading each ``(subnet, bridge)``: their elements deleted in one
        transaction (those missing, or a missing table, are no error)."""
        per = self._elements(pairs)
        items: list[tuple[Set, list[Any]]] = []
        for v, (subnets, keys) in per.items():
            s, own = self.sets(v)
            items += [(s, [k]) for k in subnets] + [(own, [k]) for k in keys]
        tx = self.nft.transaction()
        for s, ks in items:
            tx.delete_elements(self.table, s, ks, family=self.family)
        try:
            tx.commit()
            return
        except FileNotFoundError:
            pass
        for s, ks in items:                 # one is missing: each of the others on its own
            try:
                self.nft.transaction().delete_elements(self.table, s, ks, family=self.family).commit()
            except NetlinkError as exc:
                if exc.errno != errno.ENOENT:
                    raise

    def forget(self) -> None:
        """The table was deleted: the next ``add`` writes the chain and sets again."""
        self._ready = False
