"""Policy routing rules ("iprule": ``ip monitor rule``; "rule" is nftables') and nexthop objects
("nexthop") as event kinds, with ``RuleView`` / ``NexthopObjectView`` as their views.

What the kernel changes without a notification is found by re-dumps: a nexthop using a link
that goes down or away is removed (``LinkKind.resyncs``), a rule's ``iif``/``oif`` becomes
detached or attached when its device goes or comes, and the routes through a deleted nexthop
go with it.
"""
from __future__ import annotations

from typing import Any, Hashable

from .._native import lib
from ..codec.rows import Rows
from ..rtnl import nexthops, rules
from ..rtnl.nexthops import NexthopObjectView
from ..rtnl.rules import RuleView
from .kinds import _INET, Item, Kind, _no_resolve, _Rtnl


class IpRuleKind(_Rtnl):
    """IPv4 and IPv6 policy routing rules; key: every selector and the action (as the kernel
    tells rules apart): (family, priority, action, table, goto, src, dst, tos, iif, oif,
    fwmark, fwmask, uid_range, sport, dport, ip_proto, l3mdev, suppress_prefixlength,
    suppress_ifgroup, protocol, invert). The detached flags of ``flags`` are state, not key."""

    name = "iprule"
    groups = (int(lib.RTNLGRP_IPV4_RULE), int(lib.RTNLGRP_IPV6_RULE))
    types = {int(lib.RTM_NEWRULE): False, int(lib.RTM_DELRULE): True}
    dump_msgs = staticmethod(lambda: rules.dump().build(_no_resolve))

    def parse(self, rows: Rows, msgs: list[int]) -> list[Item]:
        key_of = self.key_of
        views = (RuleView(rows, m) for m in msgs)
        return [(v._m, key_of(v), v) for v in views if v._header[0] in _INET]

    @staticmethod
    def key_of(v: Any) -> Hashable:
        return (v.family, v.priority, v.action, v.table, v.goto, v.src, v.dst, v.tos, v.iif, v.oif,
                v.fwmark, v.fwmask, v.uid_range, v.sport, v.dport, v.ip_proto, v.l3mdev,
                v.suppress_prefixlength, v.suppress_ifgroup, v.protocol, v.invert)


class NexthopKind(_Rtnl):
    """Nexthop objects and groups; key: the id. ``unbalanced_time`` (a resilient group's clock)
    is not a change."""

    name = "nexthop"
    groups = (int(lib.RTNLGRP_NEXTHOP),)
    types = {int(lib.RTM_NEWNEXTHOP): False, int(lib.RTM_DELNEXTHOP): True}
    volatile = frozenset({"unbalanced_time"})
    plain = False
    dump_msgs = staticmethod(lambda: nexthops.dump().build(_no_resolve))

    def parse(self, rows: Rows, msgs: list[int]) -> list[Item]:
        return [(m, v.id, v) for m, v in zip(msgs, (NexthopObjectView(rows, m) for m in msgs))]

    @staticmethod
    def key_of(v: Any) -> Hashable:
        return int(v.id)

    def resyncs(self, previous: Any, view: Any, deleted: bool) -> tuple[str, ...]:
        # the routes through a deleted nexthop are removed without a notification
        return ("route",) if deleted else ()


POLICY_KINDS: dict[str, type[Kind]] = {k.name: k for k in (IpRuleKind, NexthopKind)}
POLICY_ALIASES = {"ip_rule": "iprule", "iprules": "iprule", "policy_rule": "iprule",
                  "nexthops": "nexthop", "nh": "nexthop"}

__all__ = ["IpRuleKind", "NexthopKind", "POLICY_KINDS", "POLICY_ALIASES"]
