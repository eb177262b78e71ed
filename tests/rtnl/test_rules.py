"""Policy routing rules: made by pynetlink and checked with `ip -j rule`, and back; a rule
steering real pings through a second table."""
from __future__ import annotations

import socket
from typing import Any, Callable

import pytest

from pynetlink import BatchError, ExistsError, Handle, InvalidArgument, NotFoundError, Veth
from pynetlink.rtnl.rules import Rule, RuleView, rule_json
from pynetlink.transport import run_in

from ..conftest import ip_json
from ..networks.traffic import listen
from .conftest import ip

pytestmark = [pytest.mark.root]


def rules_json(ns: Any, family: int = 4) -> list[dict[str, Any]]:
    return ip_json(ns.name, f"-{family}", "rule", "show")  # type: ignore[return-value]


def test_every_selector_v4_matches_ip(h: Handle, netns: Any) -> None:
    h.rules.add(100, src="198.51.100.0/24", dst="203.0.113.0/24", iif="lo", oif="lo", fwmark=0x10,
                fwmask=0xFF, table=1000, uid_range=(100, 200), sport=(1000, 2000), dport=80,
                ip_proto="tcp", tos=0x10, protocol="static")
    h.rules.add(Rule(101, src="172.16.0.0/12", invert=True, goto=200))
    h.rules.add(200, action="blackhole")
    h.rules.add(201, action="unreachable")
    h.rules.add(202, action="prohibit")
    h.rules.add(203, table="main", suppress_prefixlength=0)
    h.rules.add(204, l3mdev=True)
    h.rules.add(205, action="nop")
    h.rules.add(206, fwmark=7, table=70000)                       # > 255: FRA_TABLE
    views = {r.priority: r for r in h.rules.dump(family=4)}
    assert isinstance(views[100], RuleView)
    r = views[100]
    assert (r.src, r.dst, r.iif, r.oif, r.fwmark, r.fwmask, r.table, r.uid_range) == (
        "198.51.100.0/24", "203.0.113.0/24", "lo", "lo", 0x10, 0xFF, 1000, (100, 200))
    assert (r.sport, r.dport, r.ip_proto, r.tos, r.protocol, r.action) == (
        (1000, 2000), (80, 80), "tcp", 0x10, "static", "table")
    assert views[101].invert and (views[101].action, views[101].goto) == ("goto", 200)
    assert [views[p].action for p in (200, 201, 202, 205)] == ["blackhole", "unreachable", "prohibit", "nop"]
    assert views[203].suppress_prefixlength == 0 and views[203].table == 254
    assert views[204].l3mdev and views[204].table is None
    assert views[206].table == 70000
    assert [rule_json(x) for x in h.rules.dump(family=4)] == rules_json(netns)
    oracle = {x["priority"]: x for x in rules_json(netns)}
    assert oracle[206]["table"] == "70000" and oracle[100]["fwmask"] == "0xff"
    assert oracle[101]["goto"] == 200 and "not" in oracle[101]


def test_ipv6_rules_and_family_filter(h: Handle, netns: Any) -> None:
    h.rules.add(300, src="2001:db8::/32", dst="2001:db8:1::/48", table=100)
    h.rules.add(301, family=6, fwmark=3, action="prohibit")
    six = h.rules.dump(family=6)
    assert {r.family for r in six} == {6}
    mine = {r.priority: r for r in six}
    assert (mine[300].src, mine[300].dst, mine[300].table) == ("2001:db8::/32", "2001:db8:1::/48", 100)
    assert mine[301].action == "prohibit" and mine[301].fwmark == 3
    assert [rule_json(x) for x in six] == rules_json(netns, 6)
    assert 300 not in {r.priority for r in h.rules.dump(family=4)}
    both = h.rules.dump()
    assert {r.family for r in both} == {4, 6}


def test_rules_made_by_ip_are_read(h: Handle, netns: Any) -> None:
    ip(netns, "rule", "add", "pref", "50", "from", "172.16.1.0/24", "fwmark", "0x5/0xf",
       "ipproto", "udp", "dport", "53-54", "uidrange", "1-2", "lookup", "77")
    ip(netns, "-6", "rule", "add", "pref", "51", "not", "to", "2001:db8::/64", "unreachable")
    v4 = {r.priority: r for r in h.rules.dump(family=4)}[50]
    assert (v4.src, v4.fwmark, v4.fwmask, v4.ip_proto, v4.dport, v4.uid_range, v4.table) == (
        "172.16.1.0/24", 5, 0xF, "udp", (53, 54), (1, 2), 77)
    v6 = {r.priority: r for r in h.rules.dump(family=6)}[51]
    assert (v6.dst, v6.invert, v6.action) == ("2001:db8::/64", True, "unreachable")
    ip(netns, "rule", "add", "pref", "52", "iif", "nosuchdev", "oif", "nosuchdev2", "lookup", "5")
    h.rules.add(53, iif="alsonone", table=5)
    mine = {r.priority: r for r in h.rules.dump(family=4)}
    assert (mine[52].iif, mine[52].oif, mine[53].iif) == ("nosuchdev", "nosuchdev2", "alsonone")
    assert [rule_json(x) for x in mine.values()] == rules_json(netns)


def test_delete_and_duplicate(h: Handle, netns: Any) -> None:
    h.rules.add(100, fwmark=1, table=100)
    with pytest.raises(ExistsError) as exc:
        h.rules.add(100, fwmark=1, table=100)
    assert exc.value.operation == "add rule" and "pref 100" in str(exc.value)
    h.rules.add(Rule(110, src="2001:db8::/64", table=100))
    h.rules.delete(100)
    h.rules.delete(Rule(110, family=6))
    assert 100 not in {x["priority"] for x in rules_json(netns)}
    assert 110 not in {x["priority"] for x in rules_json(netns, 6)}
    with pytest.raises(NotFoundError) as nf:
        h.rules.delete(100)
    assert nf.value.operation == "delete rule" and nf.value.errno == 2


@pytest.mark.parametrize("options, field", [
    ({"priority": -1}, "Rule.priority"), ({"src": "198.51.100.0/33"}, "Rule.src"),
    ({"src": "198.51.100.0/24", "dst": "2001:db8::/64"}, "mixed"),
    ({"src": "198.51.100.0/24", "family": 6}, "Rule.family"),
    ({"iif": "x" * 16}, "Rule.iif"), ({"fwmark": 2 ** 32}, "Rule.fwmark"),
    ({"fwmask": 3}, "Rule.fwmask"), ({"table": "nosuch"}, "Rule.table"), ({"table": 0}, "Rule.table"),
    ({"action": "jump"}, "Rule.action"), ({"table": 5, "action": "blackhole"}, "Rule.table"),
    ({"goto": 5, "action": "nop"}, "Rule.goto"), ({"l3mdev": True, "table": 5}, "Rule.l3mdev"),
    ({"uid_range": (5, 1)}, "Rule.uid_range"), ({"sport": 0}, "Rule.sport"),
    ({"dport": (1, 70000)}, "Rule.dport"), ({"ip_proto": "nosuch"}, "Rule.ip_proto"),
    ({"tos": 256}, "Rule.tos"), ({"invert": 1}, "Rule.invert"), ({"protocol": "x"}, "Rule.protocol"),
    ({"action": "goto"}, "Rule.action"), ({"action": "prohibit", "suppress_prefixlength": 0},
                                            "suppress_prefixlength"),
    ({"nosuch": 1}, "rule options"),
])
def test_bad_values_rejected_nothing_changed(h: Handle, netns: Any, options: dict[str, Any],
                                             field: str) -> None:
    before = rules_json(netns) + rules_json(netns, 6)
    with pytest.raises(InvalidArgument, match=field):
        h.rules.add(**options)
    assert rules_json(netns) + rules_json(netns, 6) == before


def test_failing_batch_rolls_back(h: Handle, netns: Any) -> None:
    h.rules.add(150, fwmark=9, table=9)
    before = rules_json(netns)
    with pytest.raises(BatchError) as exc:
        with h.batch(rollback=True) as b:
            first = b.rules.add(140, src="198.51.100.0/24", table=10)
            b.rules.add(141, family=6, action="blackhole")
            dup = b.rules.add(150, fwmark=9, table=9)
    assert first.ok and isinstance(dup.error, ExistsError)
    assert [u.split(" in netns")[0] for u in exc.value.undone] == ["delete rule pref 141",
                                                                   "delete rule pref 140"]
    assert rules_json(netns) == before
    assert 141 not in {x["priority"] for x in rules_json(netns, 6)}


@pytest.mark.kernel("veth")
def test_fwmark_and_source_rules_steer_pings(make_netns: Callable[..., Any]) -> None:
    """Client A reaches 172.16.9.9 (on B's lo) only through a second table: its main table
    blackholes the address, table 100 routes it over the second wire (a2-b2)."""
    a, b = make_netns("rA"), make_netns("rB")
    with Handle(a) as ha, Handle(b) as hb:
        for n in (1, 2):
            ha.links.create(Veth(f"a{n}", peer=f"b{n}", peer_netns=b, up=True))
            hb.links.set(f"b{n}", up=True)
        hb.links.set("lo", up=True)
        ha.addresses.add("a1", "198.51.100.1/24")
        ha.addresses.add("a2", "203.0.113.1/24")
        hb.addresses.add("b1", "198.51.100.2/24")
        hb.addresses.add("b2", "203.0.113.2/24")
        hb.addresses.add("lo", "172.16.9.9/32")
        ha.routes.add("172.16.9.9/32", type="blackhole")
        ha.routes.add("172.16.9.9/32", via="203.0.113.2", table=100)

        assert dial(a, b) is None                            # main: blackhole
        ha.rules.add(1000, fwmark=1, table=100)
        assert dial(a, b, mark=1) == "203.0.113.1" and dial(a, b) is None
        ha.rules.delete(1000)
        assert dial(a, b, mark=1) is None
        ha.rules.add(1001, src="203.0.113.1/32", table=100)
        assert dial(a, b, src="203.0.113.1") == "203.0.113.1" and dial(a, b) is None
        stats = ip_json(b.name, "-s", "link", "show", "b2")[0]["stats64"]["rx"]  # type: ignore[index]
        assert stats["packets"] >= 4


def dial(client: Any, server: Any, *, mark: int | None = None, src: str | None = None) -> str | None:
    """A TCP connection from ``client`` to 172.16.9.9:7000 in ``server`` (with a socket mark, from
    a source address): the source address the server saw, or None when it did not get through."""
    lst = listen(server, 7000)
    try:
        def connect() -> socket.socket:
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            if mark is not None:
                s.setsockopt(socket.SOL_SOCKET, socket.SO_MARK, mark)
            if src is not None:
                s.bind((src, 0))
            s.settimeout(2)
            try:
                s.connect(("172.16.9.9", 7000))
            except BaseException:
                s.close()
                raise
            return s
        try:
            c = run_in(client.path, connect)
        except OSError:
            return None
        with c:
            conn, peer = lst.accept()
            conn.close()
        return str(peer[0])
    finally:
        lst.close()


def test_specs_are_normalised_and_hashable() -> None:
    from pynetlink import NexthopObject
    r = Rule(5, uid_range=[1, 2], sport=[3, 4], table=3)
    assert (r.uid_range, r.sport) == ((1, 2), (3, 4)) and r == Rule(5, uid_range=(1, 2), sport=(3, 4), table=3)
    assert len({r, Rule(5, uid_range=(1, 2), sport=(3, 4), table=3)}) == 1
    n = NexthopObject(1, group=[1, [2, 3]])
    assert n.group == ((1, 1), (2, 3)) and hash(n) == hash(NexthopObject(1, group=((1, 1), (2, 3))))
