"""Named sets and maps, port/address ranges, rule positions and owner tables, live in test
namespaces with `nft -j` (run inside the namespace) as the oracle."""
from __future__ import annotations

import errno
import shutil
from typing import Any

import pytest

from pynetlink.errors import InvalidArgument
from pynetlink.nft import (Accept, Chain, Counter, Dnat, Drop, Fib, Ip, Ip6, Jump, Map, Masquerade, Meta,
                           NatMap, Nftables, Redirect, Return, Rule, Set, Snat, Table, Tcp, Th, Udp, Vmap)
from pynetlink.transport import NetNS

from .test_live import nft_cmd, nft_json, nft_rules

pytestmark = [pytest.mark.root, pytest.mark.kernel("nft_nat"),
              pytest.mark.skipif(shutil.which("nft") is None, reason="needs the nft tool (Debian nftables)")]

SETS = [
    Set("blocked4", "ipv4_addr", {"10.0.0.1", "10.0.0.2"}),
    Set("blocked6", "ipv6_addr", {"2001:db8::1"}),
    Set("nets", "ipv4_addr", {"10.8.0.0/16", "172.16.0.1", "192.168.1.10-192.168.1.20"}, flags="interval"),
    Set("ports", "inet_service", {22, "8000-8100"}, flags="interval"),
    Set("fixed", "inet_service", {80, 443}, flags="constant"),
    Set("ifaces", "ifname", {"eth0", "veth1a2b"}),
    Set("protos", "inet_proto", {"tcp", "udp", 132}),
    Set("svc", ("inet_proto", "inet_service"), {("tcp", 80), ("udp", 53)}),
    Set("hosts_svc", ("ipv4_addr", "inet_proto", "inet_service"), {("10.0.0.1", "tcp", 22)}),
    Set("ranges", ("ipv4_addr", "inet_service"), {("10.0.0.0/8", "80-90"), ("172.16.0.1-172.16.0.9", 22)},
        flags="interval"),
    Map("pub", ("inet_proto", "inet_service"), ("ipv4_addr", "inet_service"),
        {("tcp", 8080): ("172.17.0.2", 80), ("udp", 5353): ("172.17.0.3", 53)}),
    Map("pub6", "inet_service", ("ipv6_addr", "inet_service"), {8080: ("2001:db8:1::2", 80)}),
    Map("to_addr", "inet_service", "ipv4_addr", {25: "172.17.0.9"}),
    Map("vm", "inet_service", "verdict", {22: Accept(), 23: Drop(), 80: Jump("web")}),
    Map("vm_ranges", "inet_service", "verdict", {"8000-8100": Accept(), "8101-8200": Jump("web"), 22: Drop()},
        flags="interval"),
    Map("by_net", ("ipv4_addr", "inet_service"), "ipv4_addr", {("10.0.0.0/8", "80-90"): "172.17.0.2"},
        flags="interval"),
]


def sample() -> Table:
    return Table("t", "inet", [
        Chain("pre", "nat", "prerouting", -100, rules=[
            Rule([Meta.nfproto("ipv4")], [NatMap(Meta.l4proto & Th.dport, "pub")]),
            Rule([Meta.nfproto("ipv6")], [NatMap(Th.dport, "pub6", version=6)]),
            Rule([Meta.nfproto("ipv4"), Tcp.dport(25)], [NatMap(Th.dport, "to_addr", ports=False)])]),
        Chain("filt", "filter", "forward", 0, rules=[
            Rule([Ip.saddr.in_set("blocked4")], [Drop()]),
            Rule([Ip6.daddr.not_in_set("blocked6"), Meta.iifname.in_set("ifaces")], [Accept()]),
            Rule([Ip.daddr.in_set("nets"), Tcp.dport.in_set("ports")], [Counter(), Accept()]),
            Rule([(Meta.l4proto & Th.dport).in_set("svc")], [Accept()]),
            Rule([(Ip.saddr & Meta.l4proto & Th.dport).not_in_set("hosts_svc")], [Return()]),
            Rule([Meta.l4proto.in_set("protos"), Udp.dport.in_set("fixed")], [Accept()]),
            Rule([(Ip.saddr & Tcp.dport).in_set("ranges")], [Drop()]),
            Rule([], [Vmap(Tcp.dport, "vm")])]),
        Chain("web")], SETS)


def elems(ns: NetNS, name: str) -> list[Any]:
    for x in nft_json(ns):
        obj: dict[str, Any] = x.get("set") or x.get("map") or {}
        if obj and obj["name"] == name:
            return list(obj.get("elem", []))
    raise KeyError(name)


def test_sets_and_maps_round_trip_and_nft_agrees(netns: NetNS) -> None:
    with Nftables(netns) as nft:
        nft.apply(sample())
        listed = nft.table("t", family="inet")
        assert listed == sample()
        assert all(s.handle for s in listed.sets)
        assert nft.set("t", "pub", family="inet") == next(s for s in SETS if s.name == "pub")
    objs: list[dict[str, Any]] = [x.get("set") or x["map"] for x in nft_json(netns) if "set" in x or "map" in x]
    sets = {o["name"]: o for o in objs}
    assert sets["blocked4"]["type"] == "ipv4_addr" and sorted(sets["blocked4"]["elem"]) == ["10.0.0.1", "10.0.0.2"]
    assert sets["nets"]["flags"] == ["interval"]
    assert sorted(map(str, sets["nets"]["elem"])) == sorted(map(str, [
        {"prefix": {"addr": "10.8.0.0", "len": 16}}, "172.16.0.1",
        {"range": ["192.168.1.10", "192.168.1.20"]}]))
    assert sorted(map(str, sets["ports"]["elem"])) == sorted(map(str, [22, {"range": [8000, 8100]}]))
    assert sets["fixed"]["flags"] == ["constant"]
    assert sorted(sets["ifaces"]["elem"]) == ["eth0", "veth1a2b"]
    assert sorted(sets["protos"]["elem"]) == ["sctp", "tcp", "udp"]
    assert sets["svc"]["type"] == ["inet_proto", "inet_service"]
    assert sorted(map(str, sets["svc"]["elem"])) == sorted(map(str, [{"concat": ["tcp", 80]}, {"concat": ["udp", 53]}]))
    assert sets["ranges"]["flags"] == ["interval"]
    assert sorted(map(str, sets["ranges"]["elem"])) == sorted(map(str, [
        {"concat": [{"prefix": {"addr": "10.0.0.0", "len": 8}}, {"range": [80, 90]}]},
        {"concat": [{"range": ["172.16.0.1", "172.16.0.9"]}, 22]}]))
    assert sets["pub"]["map"] == "ipv4_addr . inet_service"
    assert [{"concat": ["tcp", 8080]}, {"concat": ["172.17.0.2", 80]}] in sets["pub"]["elem"]
    assert sets["pub6"]["elem"] == [[8080, {"concat": ["2001:db8:1::2", 80]}]]
    assert sets["to_addr"]["elem"] == [[25, "172.17.0.9"]]
    assert sorted(map(str, sets["vm_ranges"]["elem"])) == sorted(map(str, [
        [22, {"drop": None}], [{"range": [8000, 8100]}, {"accept": None}],
        [{"range": [8101, 8200]}, {"jump": {"target": "web"}}]]))
    assert sets["by_net"]["elem"] == [[{"concat": [{"prefix": {"addr": "10.0.0.0", "len": 8}}, {"range": [80, 90]}]},
                                       "172.17.0.2"]]
    assert sets["vm"]["map"] == "verdict"
    assert sorted(map(str, sets["vm"]["elem"])) == sorted(map(str, [
        [22, {"accept": None}], [23, {"drop": None}], [80, {"jump": {"target": "web"}}]]))
    rules = {r["handle"]: r["expr"] for r in nft_rules(netns)}
    exprs = [e for r in rules.values() for e in r]
    assert {"match": {"op": "==", "left": {"payload": {"protocol": "ip", "field": "saddr"}},
                      "right": "@blocked4"}} in exprs
    assert {"match": {"op": "!=", "left": {"payload": {"protocol": "ip6", "field": "daddr"}},
                      "right": "@blocked6"}} in exprs
    assert {"match": {"op": "==", "left": {"concat": [{"meta": {"key": "l4proto"}},
                                                      {"payload": {"protocol": "th", "field": "dport"}}]},
                      "right": "@svc"}} in exprs
    assert {"vmap": {"key": {"payload": {"protocol": "tcp", "field": "dport"}}, "data": "@vm"}} in exprs
    assert {"dnat": {"family": "ip", "addr": {"map": {
        "key": {"concat": [{"meta": {"key": "l4proto"}}, {"payload": {"protocol": "th", "field": "dport"}}]},
        "data": "@pub"}}}} in exprs


def test_nft_made_sets_decode_into_the_same_objects(netns: NetNS) -> None:
    nft_cmd(netns, "-f", "-", stdin="""
table ip nat {
  set blocked { type ipv4_addr; flags interval; elements = { 10.0.0.0/8, 198.51.100.7 } }
  set svc { type inet_proto . inet_service; elements = { tcp . 80, udp . 53 } }
  set r { type ipv4_addr . inet_proto . inet_service; flags interval; elements = { 10.0.0.0/8 . tcp . 80-90 } }
  map pub { type inet_proto . inet_service : ipv4_addr . inet_service; elements = { tcp . 8080 : 172.17.0.2 . 80 } }
  map vm { type inet_service : verdict; elements = { 22 : accept, 23 : drop } }
  chain PREROUTING { type nat hook prerouting priority -100;
    ip saddr @blocked drop
    ip saddr != @blocked meta l4proto . th dport @svc accept
    tcp dport vmap @vm
    tcp dport 8000-8100 accept
    udp dport != 1000-2000 accept
    dnat to meta l4proto . th dport map @pub
  }
  chain OUTPUT { type nat hook output priority -100;
    fib daddr type local dnat to meta l4proto . th dport map @pub
  }
}
""")
    want = Table("nat", "ip", [
        Chain("PREROUTING", "nat", "prerouting", -100, rules=[
            Rule([Ip.saddr.in_set("blocked")], [Drop()]),
            Rule([Ip.saddr.not_in_set("blocked"), (Meta.l4proto & Th.dport).in_set("svc")], [Accept()]),
            Rule([], [Vmap(Tcp.dport, "vm")]),
            Rule([Tcp.dport("8000-8100")], [Accept()]),
            Rule([Udp.dport != (1000, 2000)], [Accept()]),
            Rule([], [NatMap(Meta.l4proto & Th.dport, "pub")])]),
        Chain("OUTPUT", "nat", "output", -100, rules=[
            Rule([Fib.daddr_type == "local"], [NatMap(Meta.l4proto & Th.dport, "pub")])])],
        [Set("blocked", "ipv4_addr", {"10.0.0.0/8", "198.51.100.7"}, flags="interval"),
         Set("svc", ("inet_proto", "inet_service"), {("tcp", 80), ("udp", 53)}),
         Set("r", ("ipv4_addr", "inet_proto", "inet_service"), {("10.0.0.0/8", "tcp", "80-90")}, flags="interval"),
         Map("pub", ("inet_proto", "inet_service"), ("ipv4_addr", "inet_service"), {("tcp", 8080): ("172.17.0.2", 80)}),
         Map("vm", "inet_service", "verdict", {22: "accept", 23: "drop"})])
    with Nftables(netns) as nft:
        assert nft.table("nat") == want


def test_elements_change_atomically(netns: NetNS) -> None:
    svc = Set("svc", ("inet_proto", "inet_service"))
    pub = Map("pub", "inet_service", ("ipv4_addr", "inet_service"))
    with Nftables(netns) as nft:
        nft.apply(Table("t", "ip", sets=[svc, pub]))
        with nft.transaction() as tx:
            tx.add_elements("t", svc, [("tcp", 80), ("tcp", 443)])
            tx.add_elements("t", pub, {8080: ("172.17.0.2", 80), 8443: ("172.17.0.2", 443)})
        assert nft.set("t", "svc").elements == {("tcp", 80), ("tcp", 443)}
        with nft.transaction() as tx:
            tx.delete_elements("t", svc, [("tcp", 80)])
            tx.add_elements("t", svc, [("udp", 53)])
            tx.delete_elements("t", pub, [8080])
        assert nft.set("t", "svc").elements == {("tcp", 443), ("udp", 53)}
        assert nft.set("t", "pub").elements == {8443: ("172.17.0.2", 443)}
        assert nft.elements("t", pub) == {8443: ("172.17.0.2", 443)}      # one set's dump only
        assert nft.has_element("t", svc, ("udp", 53)) and not nft.has_element("t", svc, ("udp", 54))
        assert nft.has_element("t", pub, 8443) and not nft.has_element("t", pub, 8080)
        with pytest.raises(FileNotFoundError):
            nft.has_element("t", Set("nosuch", "inet_service"), 80)
        before, gen = nft_cmd(netns, "-j", "list", "ruleset"), nft.generation()
        tx = nft.transaction()
        tx.add_elements("t", svc, [("tcp", 22)])
        tx.delete_elements("t", pub, [9999])                     # not there: the whole change fails
        with pytest.raises(FileNotFoundError) as info:
            tx.commit()
        assert "delete elements ip t/pub" in str(info.value)
        assert nft_cmd(netns, "-j", "list", "ruleset") == before and nft.generation() == gen
        with pytest.raises(FileExistsError):                    # same key, other value
            nft.add_elements("t", pub, {8443: ("172.17.0.3", 443)})
        ranges = Map("r", "inet_service", "verdict", {"1000-1999": "accept", "2000-2999": "drop"}, flags="interval")
        nft.add_set("t", ranges)
        nft.delete_elements("t", ranges, ["1000-1999"])            # start and end element; 2000's start stays
        assert nft.set("t", "r").elements == {"2000-2999": Drop()}
        nft.flush_set("t", "svc")
        assert nft.set("t", "svc").elements == frozenset()
        assert elems(netns, "svc") == []


def test_set_in_use_cannot_go_and_sets_can_be_deleted(netns: NetNS) -> None:
    s = Set("s", "ipv4_addr", {"10.0.0.1"})
    with Nftables(netns) as nft:
        nft.apply(Table("t", "ip", [Chain("c", rules=[Rule([Ip.saddr.in_set("s")], [Drop()])])], [s]))
        with pytest.raises(OSError) as info:
            nft.delete_set("t", "s")
        assert info.value.errno == errno.EBUSY
        nft.flush("t")
        nft.delete_set("t", "s")
        assert nft.table("t").sets == ()
        with pytest.raises(InvalidArgument):
            nft.add_elements("t", s, ["10.0.0.0/8"])              # a prefix in a set without interval


def test_bad_sets_refused_before_sending() -> None:
    for bad in (lambda: Set("s", "ipv5_addr"), lambda: Set("s", "ipv4_addr", {"2001:db8::1"}),
                lambda: Set("s", "ipv4_addr", flags="dynamic"), lambda: Set("s", ("ipv4_addr",), {"10.0.0.0/8"}),
                lambda: Set("s", ("ipv4_addr", "inet_service"), {"10.0.0.1"}),
                lambda: Set("s", ("inet_proto", "ifname"), flags="interval"),
                lambda: Set("s", ("ipv4_addr", "inet_proto"), {("10.0.0.0/8", "tcp-udp")}, flags="interval"),
                lambda: Set("s", "inet_proto", {"tcp", 256}), lambda: Set("s", "inet_service", {0}),
                lambda: Map("m", "inet_service", "verdict", {22: "jump"}),
                lambda: Map("m", "inet_service", ("ipv4_addr", "inet_service"), {22: "10.0.0.1"}),
                lambda: Set("bad name", "ipv4_addr"), lambda: Table("t", sets=[Set("a", "ifname"), Set("a", "ifname")]),
                lambda: Set("s", "ifname", {"eth*"}), lambda: Tcp.dport("80-70"), lambda: Tcp.dport((1, 65535))):
        with pytest.raises(InvalidArgument):
            bad()


def test_port_and_address_ranges_as_nft_sees_them(netns: NetNS) -> None:
    t = Table("t", "ip", [
        Chain("post", "nat", "postrouting", 100, rules=[
            Rule([Tcp.dport((8000, 8100))], [Snat("203.0.113.1-203.0.113.10")]),
            Rule([Udp.sport != "1000-2000"], [Snat(("203.0.113.20", "203.0.113.29"), (1024, 65535))]),
            Rule([Meta.l4proto("tcp")], [Masquerade((30000, 40000))])]),
        Chain("pre", "nat", "prerouting", -100, rules=[
            Rule([Tcp.dport("9000-9009")], [Dnat("172.17.0.10-172.17.0.12", 80)])])])
    with Nftables(netns) as nft:
        nft.apply(t)
        assert nft.table("t") == t
    exprs = [r["expr"] for r in nft_rules(netns)]     # (nft's JSON leaves the family out of ranges)
    assert exprs[0] == [
        {"match": {"op": "==", "left": {"payload": {"protocol": "tcp", "field": "dport"}},
                   "right": {"range": [8000, 8100]}}},
        {"snat": {"addr": {"range": ["203.0.113.1", "203.0.113.10"]}}}]
    assert exprs[1] == [
        {"match": {"op": "!=", "left": {"payload": {"protocol": "udp", "field": "sport"}},
                   "right": {"range": [1000, 2000]}}},
        {"snat": {"addr": {"range": ["203.0.113.20", "203.0.113.29"]},
                  "port": {"range": [1024, 65535]}}}]
    assert exprs[2][-1] == {"masquerade": {"port": {"range": [30000, 40000]}}}
    assert exprs[3][-1] == {"dnat": {"addr": {"range": ["172.17.0.10", "172.17.0.12"]}, "port": 80}}


def test_port_mapping_needs_a_transport_match(netns: NetNS) -> None:
    with Nftables(netns) as nft:
        nft.apply(Table("t", "ip", [Chain("post", "nat", "postrouting", 100),
                                    Chain("pre", "nat", "prerouting", -100)]))
        gen = nft.generation()
        for chain, rule in (("post", Rule([Ip.saddr("172.17.0.0/16")], [Masquerade((1000, 2000))])),
                            ("post", Rule([Meta.oifname("eth0")], [Snat("203.0.113.1", 1024)])),
                            ("pre", Rule([Ip.daddr("203.0.113.1")], [Dnat("172.17.0.2", 80)])),
                            ("pre", Rule([Th.dport(80)], [Redirect(8080)])),
                            ("pre", Rule([Meta.l4proto != "tcp"], [Redirect(8080)]))):
            with pytest.raises(InvalidArgument, match="transport protocol match"):
                nft.add_rule("t", chain, rule)
        assert nft.generation() == gen                               # nothing was sent
        nft.add_rule("t", "pre", Rule([Meta.l4proto("udp"), Ip.daddr("203.0.113.1")], [Dnat("172.17.0.2", 53)]))


def test_insert_rules_by_position(netns: NetNS) -> None:
    def r(c: str) -> Rule:
        return Rule([], [Counter()], comment=c)

    with Nftables(netns) as nft:
        nft.apply(Table("t", "ip", [Chain("c", rules=[r("a"), r("b")])]))
        a, b = nft.table("t").chain("c").rules
        with nft.transaction() as tx:
            tx.insert_rule("t", "c", r("first"))                    # at the start
            tx.insert_rule("t", "c", r("before b"), before=b.handle)
            tx.add_rule("t", "c", r("after a"), after=a.handle)
            tx.add_rule("t", "c", r("last"))
        assert [x.comment for x in nft.table("t").chain("c").rules] == ["first", "a", "after a", "before b", "b",
                                                                       "last"]
        assert [x["comment"] for x in nft_rules(netns)] == ["first", "a", "after a", "before b", "b", "last"]
        nft.insert_rule("t", "c", r("top"))
        assert nft.table("t").chain("c").rules[0].comment == "top"
        with pytest.raises(FileNotFoundError):
            nft.insert_rule("t", "c", r("x"), before=99999)
        with pytest.raises(InvalidArgument):
            nft.transaction().add_rule("t", "c", r("x"), after=0)


def test_owner_table_lives_with_its_socket(netns: NetNS) -> None:
    owned = Table("mine", "ip", [Chain("post", "nat", "postrouting", 100, rules=[
        Rule([Ip.saddr("172.17.0.0/16")], [Masquerade()])])], owner=True)
    with Nftables(netns) as owner:
        try:
            owner.apply(owned)
        except OSError as exc:
            if exc.errno in (errno.EOPNOTSUPP, errno.EINVAL):
                pytest.skip(f"kernel lacks NFT_TABLE_F_OWNER: {exc}")
            raise
        with Nftables(netns) as other:
            listed = other.table("mine")
            assert listed == owned and listed.owner
            with pytest.raises(PermissionError):                     # only the owner may change it
                other.delete_table("mine")
        assert "mine" in nft_cmd(netns, "list", "tables")
    assert "mine" not in nft_cmd(netns, "list", "tables")            # gone with the owner's socket
