"""Policy routing rules ("iprule") and nexthop objects ("nexthop") as events: `ip rule` and
`ip nexthop` (other processes) change the test's namespace; the stream reports typed events
whose views match `ip -j rule` / `ip -j nexthop`, repairs an overflow, and finds the changes
the kernel makes without notifying (nexthops of a link that goes down, detached rules)."""
from __future__ import annotations

import subprocess
from typing import Any, Hashable

import pytest

from pynetlink import Handle
from pynetlink.events import Events
from pynetlink.events.policy import IpRuleKind, NexthopKind
from pynetlink.rtnl.nexthops import NexthopObjectView, nexthop_json
from pynetlink.rtnl.rules import RuleView, rule_json

from ..conftest import ip_json
from .helpers import Consumer, comparable, ip, until

pytestmark = [pytest.mark.root, pytest.mark.kernel("veth")]


def _veth(ns: Any, addr: str = "198.51.100.1/24") -> None:
    ip(ns, "link", "set", "lo", "up")            # a blackhole nexthop uses lo
    ip(ns, "link", "add", "va", "type", "veth", "peer", "name", "vb")
    ip(ns, "link", "set", "va", "up")
    ip(ns, "link", "set", "vb", "up")
    ip(ns, "address", "add", addr, "dev", "va")


def _names(ns: Any) -> dict[int, str]:
    with Handle(ns) as h:
        return {link.index: link.name for link in h.links.dump()}


def test_rules_v4_and_v6(netns: Any) -> None:
    with Events(["iprule"], netns=netns, start_with_current=True) as ev:
        first = [e for e in ev.iter(0.3)]
        assert {(e.view.family, e.view.priority) for e in first} >= {(4, 0), (4, 32766), (4, 32767), (6, 0)}
        assert all(e.origin == "current" and e.kind == "iprule" for e in first)
        ip(netns, "rule", "add", "pref", "100", "from", "198.51.100.0/24", "fwmark", "0x10/0xff", "table", "100")
        e = until(ev, lambda e: e.action == "new" and e.view.priority == 100)
        v = e.view
        assert isinstance(v, RuleView) and e.origin == "kernel" and e.previous is None
        assert (v.family, v.src, v.fwmark, v.fwmask, v.table, v.action) == (4, "198.51.100.0/24", 0x10, 0xFF, 100, "table")
        assert e.key == IpRuleKind.key_of(v) and e.key in ev.state("iprule")
        oracle = [r for r in ip_json(netns.name, "rule", "show") if r["priority"] == 100]  # type: ignore[union-attr]
        assert [rule_json(v)] == oracle
        ip(netns, "-6", "rule", "add", "pref", "200", "to", "2001:db8::/32", "ipproto", "tcp", "dport", "443",
           "blackhole")
        e = until(ev, lambda e: e.action == "new" and e.view.family == 6)
        assert (e.view.priority, e.view.dst, e.view.ip_proto, e.view.dport, e.view.action) == \
            (200, "2001:db8::/32", "tcp", (443, 443), "blackhole")
        # the same priority, another table: another rule
        ip(netns, "rule", "add", "pref", "100", "from", "198.51.100.0/24", "fwmark", "0x10/0xff", "table", "101")
        e2 = until(ev, lambda e: e.action == "new" and e.view.table == 101)
        assert e2.key != e.key
        ip(netns, "rule", "del", "pref", "100", "table", "100")
        e = until(ev, lambda e: e.action == "deleted")
        assert e.view.table == 100 and e.previous is not None
        assert [r.table for r in ev.state("iprule").values() if r.priority == 100] == [101]


def test_nexthops_groups_and_silent_removals(netns: Any) -> None:
    _veth(netns)
    with Events(["link", "nexthop", "route"], netns=netns) as ev:
        ip(netns, "nexthop", "add", "id", "1", "via", "198.51.100.2", "dev", "va")
        ip(netns, "nexthop", "add", "id", "2", "via", "198.51.100.3", "dev", "va")
        ip(netns, "nexthop", "add", "id", "3", "blackhole")
        ip(netns, "nexthop", "add", "id", "10", "group", "1/2,5")
        e = until(ev, lambda e: e.kind == "nexthop" and e.key == 10)
        v = e.view
        assert isinstance(v, NexthopObjectView) and e.action == "new"
        assert v.group == [(1, 1), (2, 5)] and v.group_type == "mpath" and v.family is None
        names = _names(netns)
        got = {k: nexthop_json(x, names) for k, x in ev.state("nexthop").items()}
        assert got == {n["id"]: n for n in ip_json(netns.name, "nexthop", "show")}  # type: ignore[union-attr]
        ip(netns, "route", "add", "203.0.113.0/24", "nhid", "10")
        until(ev, lambda e: e.kind == "route" and e.view.dst == "203.0.113.0/24")
        # a member deleted: the group shrinks (notified), the route through it changes (a re-dump)
        ip(netns, "nexthop", "del", "id", "1")
        e = until(ev, lambda e: e.kind == "nexthop" and e.key == 1)
        assert e.action == "deleted" and e.view.via == "198.51.100.2"
        e = until(ev, lambda e: e.kind == "nexthop" and e.key == 10)
        assert e.action == "changed" and e.changes["group"] == ([[1, 1], [2, 5]], [[2, 5]])
        # the link goes down: the kernel removes nexthop 2 and the group without a word
        ip(netns, "link", "set", "va", "down")
        gone = {until(ev, lambda e: e.kind == "nexthop" and e.action == "deleted").key for _ in range(2)}
        assert gone == {2, 10}
        assert set(ev.state("nexthop")) == {3} == {n["id"] for n in ip_json(netns.name, "nexthop", "show")}  # type: ignore[union-attr]


def test_a_detached_rule_is_attached_when_its_link_comes(netns: Any) -> None:
    with Events(["link", "iprule"], netns=netns) as ev:
        ip(netns, "rule", "add", "pref", "300", "iif", "foo", "table", "300")
        e = until(ev, lambda e: e.kind == "iprule" and e.action == "new")
        assert e.view.iif == "foo" and "iif_detached" in rule_json(e.view)
        ip(netns, "link", "add", "foo", "type", "bridge")
        e = until(ev, lambda e: e.kind == "iprule")
        assert e.action == "changed" and e.origin == "resync" and "iif_detached" not in rule_json(e.view)
        assert "flags" in e.changes
        ip(netns, "link", "del", "foo")
        e = until(ev, lambda e: e.kind == "iprule")
        assert e.action == "changed" and "iif_detached" in rule_json(e.view)


def _kernel(ns: Any) -> dict[str, dict[Hashable, dict[str, Any]]]:
    with Handle(ns) as h:
        return {"iprule": {IpRuleKind.key_of(r): comparable(r) for r in h.rules.dump()},
                "nexthop": {NexthopKind.key_of(n): comparable(n) for n in h.nexthops.dump()}}


def _changes() -> tuple[list[str], list[str]]:
    """(for ip -batch, for ip -6 -batch)."""
    lines = [f"rule add pref {1000 + i} from 172.16.{i // 250}.{i % 250}/32 table {100 + i % 7}" for i in range(900)]
    lines += [f"rule del pref {1000 + i} from 172.16.{i // 250}.{i % 250}/32 table {100 + i % 7}"
              for i in range(0, 900, 3)]
    lines += [f"nexthop add id {i} via 198.51.100.{i % 250 + 2} dev va" for i in range(1, 500)]
    lines += [f"nexthop add id {1000 + i} group {i}/{i + 1}" for i in range(1, 400, 2)]
    lines += [f"nexthop del id {i}" for i in range(1, 300, 4)]
    lines += [f"nexthop replace id {i} via 198.51.100.1 dev va" for i in range(2, 300, 4)]
    return lines, [f"rule add pref {5000 + i} to 2001:db8:{i:x}::/48 fwmark {i} table 200" for i in range(300)]


def test_overflow_is_repaired_by_a_redump(netns: Any) -> None:
    _veth(netns)
    with Events(["iprule", "nexthop"], netns=netns, start_with_current=True, rcvbuf=4096,
                force_rcvbuf=False) as ev:
        c = Consumer()
        for e in ev.iter(0.3):
            c.apply(e)
        before = ev.resyncs
        for fam, lines in zip(([], ["-6"]), _changes()):                 # nobody reads meanwhile
            subprocess.run(["ip", *fam, "-n", netns.name, "-batch", "-"], input="\n".join(lines) + "\n",
                           check=True, capture_output=True, text=True)
        for e in ev.iter(1.0):
            c.apply(e)
        assert ev.resyncs > before, "the kernel must have dropped notifications (ENOBUFS)"
        want = _kernel(netns)
        for kind in ("iprule", "nexthop"):
            assert c.of(kind, netns.name) == want[kind], kind
        assert len(want["iprule"]) > 800 and len(want["nexthop"]) > 500
