"""The Docker NAT model in a table this library owns: masquerade, port publishing, teardown.

All rules live in one table (``pynetlink`` by default, family ``ip``), so the host's own
firewall is never touched and ``teardown()`` removes exactly what was made. Each rule
carries a comment naming what it is for; ``unpublish`` deletes by that comment, pinned to
the ruleset generation it read. Every call is one transaction.
"""
from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import Optional, Union

from ..errors import InvalidArgument
from ..transport import NetNS
from . import validate
from .match import Ip, Ip6, Meta, port_field
from .rule import Chain, Rule, Table
from .ruleset import Nftables, Transaction
from .stmt import Dnat, Masquerade

POSTROUTING = Chain("POSTROUTING", "nat", "postrouting", 100)
PREROUTING = Chain("PREROUTING", "nat", "prerouting", -100)
OUTPUT = Chain("OUTPUT", "nat", "output", -100)


@dataclass(frozen=True)
class Publish:
    """``docker run -p [host_addr:]host_port:to_port/proto`` towards container address ``to``."""

    host_port: int
    to: str
    to_port: Optional[int] = None
    proto: str = "tcp"
    host_addr: Optional[str] = None

    def __post_init__(self) -> None:
        validate.port(self.host_port)
        object.__setattr__(self, "to", str(validate.address(self.to)))
        if self.to_port is not None:
            validate.port(self.to_port)
        port_field(self.proto, "dport")
        if self.host_addr is not None:
            object.__setattr__(self, "host_addr", str(validate.address(self.host_addr)))

    @property
    def tag(self) -> str:
        """The comment that names this publication's rules."""
        return f"pynetlink publish {self.proto} {self.host_addr or '*'}:{self.host_port}"

    def rule(self) -> Rule:
        match = [port_field(self.proto, "dport") == self.host_port]
        if self.host_addr is not None:
            addr = ipaddress.ip_address(self.host_addr)
            match.insert(0, (Ip.daddr if addr.version == 4 else Ip6.daddr) == self.host_addr)
        return Rule(match, [Dnat(self.to, self.to_port or self.host_port)], comment=self.tag)


class DockerNat:
    """Masquerade and port publishing for bridge networks, in a table of our own."""

    def __init__(self, nft: Nftables, table: str = "pynetlink", family: str = "ip") -> None:
        self.nft = nft
        self.table = validate.name(table, "table name")
        self.family = validate.family(family)

    def _base(self, tx: Transaction) -> Transaction:
        """Table and base chains (idempotent: adding what exists changes nothing)."""
        return tx.add_table(Table(self.table, self.family, [POSTROUTING, PREROUTING, OUTPUT]))

    def ensure(self) -> None:
        """Create the table and its nat chains if missing."""
        self._base(self.nft.transaction()).commit()

    def masquerade(self, subnet: str, bridge: str) -> Rule:
        """Masquerade ``subnet`` leaving by any interface except ``bridge``."""
        net = validate.network(subnet)
        field = Ip.saddr if net.version == 4 else Ip6.saddr
        rule = Rule([field == str(net), Meta.oifname != validate.ifname(bridge)], [Masquerade()],
                    comment=f"pynetlink masquerade {net} !{bridge}")
        tx = self._base(self.nft.transaction())
        tx.add_rule(self.table, POSTROUTING.name, rule, family=self.family)
        tx.commit()
        return rule

    def unmasquerade(self, subnet: str, bridge: str) -> int:
        net = validate.network(subnet)
        tag = f"pynetlink masquerade {net} !{bridge}"
        return self.nft.delete_rules(self.table, lambda chain, r: r.comment == tag, family=self.family)

    def publish(self, *mappings: Union[Publish, tuple[int, str, int]], local: bool = True) -> None:
        """Publish ports (``Publish`` or ``(host_port, to, to_port)``), all in one transaction.

        With ``local`` the host's own connections to the port are published too (OUTPUT).
        """
        specs = [m if isinstance(m, Publish) else Publish(*m) for m in mappings]
        tags = [s.tag for s in specs]
        if len(set(tags)) != len(tags):
            raise InvalidArgument("publish: the same host port is given twice")
        tx = self._base(self.nft.transaction())
        for s in specs:
            tx.add_rule(self.table, PREROUTING.name, s.rule(), family=self.family)
            if local:
                tx.add_rule(self.table, OUTPUT.name, s.rule(), family=self.family)
        tx.commit()

    def unpublish(self, host_port: int, proto: str = "tcp", host_addr: Optional[str] = None) -> int:
        """Remove one publication's rules; returns how many rules went (0 if none)."""
        tag = Publish(host_port, "0.0.0.0", None, proto, host_addr).tag
        return self.nft.delete_rules(self.table, lambda chain, r: r.comment == tag, family=self.family)

    def published(self) -> list[Rule]:
        """The publication rules currently in PREROUTING."""
        try:
            table = self.nft.table(self.table, family=self.family)
        except FileNotFoundError:
            return []
        return [r for c in table.chains if c.name == PREROUTING.name for r in c.rules
                if (r.comment or "").startswith("pynetlink publish ")]

    def teardown(self) -> None:
        """Delete our table and everything in it (nothing else is touched)."""
        self.nft.delete_table(self.table, family=self.family, missing_ok=True)


def set_forwarding(netns: "NetNS | str", enabled: bool = True, *, ipv6: bool = False) -> None:
    """Turn IPv4 (and with ``ipv6`` also IPv6) forwarding on or off in one namespace only."""
    ns = NetNS.open(netns)
    ns.set_sysctl("net.ipv4.ip_forward", int(enabled))
    if ipv6:
        ns.set_sysctl("net.ipv6.conf.all.forwarding", int(enabled))


def forwarding(netns: "NetNS | str") -> tuple[bool, bool]:
    """(IPv4, IPv6) forwarding of a namespace."""
    ns = NetNS.open(netns)
    return ns.sysctl("net.ipv4.ip_forward") == "1", ns.sysctl("net.ipv6.conf.all.forwarding") == "1"


__all__ = ["DockerNat", "Publish", "set_forwarding", "forwarding"]
