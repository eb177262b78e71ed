"""The rule and set language without a kernel: rules compile to expressions and decompile back
into equal values (sets, maps, ranges, concatenations, NAT maps), set elements encode as nft
encodes them and decode back, and bad input is refused."""
from __future__ import annotations

import pytest

from pynetlink.codec import decode, encode
from pynetlink.codec.specs.nft import NFT, msg_type
from pynetlink.errors import InvalidArgument
from pynetlink.nft import (Accept, Ct, Dnat, Drop, Fib, Ip, Ip6, Jump, Map, Masquerade, Meta, NatMap, Rule, Set,
                           Snat, Tcp, Th, Udp, Vmap)
from pynetlink.nft import messages as M
from pynetlink.nft.rule import decompile
from pynetlink.nft.ruleset import decode_elements_msg, decode_rule, decode_set
from pynetlink.nft.sets import decode_elements, map_elements, set_elements, type_id, type_len, type_names

RULES = [
    ("ip", Rule([Tcp.dport("8000-8100")], [Accept()])),
    ("ip", Rule([Udp.sport != (1000, 2000), Th.dport(53)], [Drop()])),
    ("inet", Rule([Ip.saddr.in_set("a"), Ip6.daddr.not_in_set("b")], [Accept()])),
    ("inet", Rule([(Ip.saddr & Meta.l4proto & Th.dport).in_set("c"), Meta.iifname.in_set("d")], [Drop()])),
    ("ip6", Rule([(Ip6.daddr & Tcp.dport).not_in_set("e")], [Vmap(Meta.l4proto & Th.dport, "vm")])),
    ("ip", Rule([Fib.daddr_type == "local"], [NatMap(Meta.l4proto & Th.dport, "pub")])),
    ("ip", Rule([], [NatMap(Ip.daddr & Tcp.dport, "pub2", "snat")])),
    ("ip6", Rule([], [NatMap(Ip6.daddr & Meta.l4proto & Th.dport, "pub6", version=6)])),
    ("inet", Rule([Meta.nfproto("ipv6")], [NatMap(Th.dport, "addr6", version=6, ports=False)])),
    ("ip", Rule([Meta.l4proto("udp")], [Snat("203.0.113.1-203.0.113.10", (1024, 2048), random=True)])),
    ("ip6", Rule([Tcp.dport(80)], [Dnat("2001:db8::10-2001:db8::20", 8080)])),
    ("ip", Rule([Ct.state("established"), Tcp.dport.in_set("p")], [Jump("x")])),
]


@pytest.mark.parametrize("family, rule", RULES, ids=[str(r) for _, r in RULES])
def test_rules_decompile_into_equal_values(family: str, rule: Rule) -> None:
    matches, stmts = decompile(rule.ops(family), family)
    assert Rule(matches, stmts) == rule
    # and through the bytes the kernel would get
    rows = decode(encode([M.add_rule(family, "t", "c", rule)], 1).tobytes(), NFT)
    (m,) = list(rows.messages())
    assert decode_rule(rows, m, family) == rule


def test_concatenation_registers_are_nfts() -> None:
    ops = NatMap(Ip6.daddr & Meta.l4proto & Th.dport, "p", version=6).ops("ip6")
    assert [(o.name, o.get(1)) for o in ops[:3]] == [("payload", 1), ("meta", 12), ("payload", 13)]
    assert ops[-1].get(5) == 12                           # port after the 16-byte address: reg32 4
    ops = NatMap(Meta.l4proto & Th.dport, "p").ops("ip")
    assert [(o.name, o.get(1)) for o in ops[:2]] == [("meta", 1), ("payload", 9)]     # as nft: reg 1, reg 9


SETS = [
    Set("a", "ipv4_addr", {"10.0.0.1", "10.0.0.2"}),
    Set("b", "ipv6_addr", {"2001:db8::/48", "2001:db8:1::5", "2001:db8:2::1-2001:db8:2::9"}, flags="interval"),
    Set("c", "inet_service", {1, "1000-2000", 65535}, flags={"interval", "constant"}),
    Set("d", ("ipv4_addr", "inet_proto", "inet_service"), {("10.0.0.1", "tcp", 80), ("10.0.0.2", 17, 53)}),
    Set("e", "ifname", {"eth0", "docker0"}),
    Set("i", ("ipv6_addr", "inet_proto", "inet_service"),
        {("2001:db8::/32", "tcp", "1-1023"), ("2001:db8:1::1-2001:db8:1::9", "udp", 53)}, flags="interval"),
    Set("f", "ether_addr", {"02:42:AC:11:00:02"}),
    Map("m", ("inet_proto", "inet_service"), ("ipv4_addr", "inet_service"), {("tcp", 8080): ("172.17.0.2", 80)}),
    Map("v", "inet_service", "verdict", {22: "accept", 80: Jump("web"), 81: Drop()}),
    Map("w", "ipv6_addr", ("ipv6_addr", "inet_service"),
        {"2001:db8::/64": ("2001:db8:1::2", 80), "ffff::-ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff": ("::1", 1)},
        flags="interval"),
    Map("x", ("inet_proto", "inet_service"), "verdict", {("tcp", "1-1023"): "drop"}, flags="interval"),
]


@pytest.mark.parametrize("s", SETS, ids=[s.name for s in SETS])
def test_sets_encode_and_decode_back(s: Set | Map) -> None:
    elems = map_elements(s, s.items()) if isinstance(s, Map) else set_elements(s, s.keys())
    assert decode_elements(s, elems) == s.elements
    items = [M.add_set("inet", "t", s, 1), *M.elements("add", "inet", "t", s.name, elems)]
    rows = decode(encode(items, 1).tobytes(), NFT)
    msgs = list(rows.messages())
    assert decode_set(rows, msgs[0]) == type(s)(**{**s.__dict__, "elements": type(s.elements)()})
    listed = [e for m in msgs[1:] for e in decode_elements_msg(rows, m)]
    assert decode_elements(s, listed) == s.elements
    assert rows.type(msgs[1]) == msg_type("NEWSETELEM")


def test_type_ids_as_nft() -> None:
    assert (type_id(("inet_proto", "inet_service")), type_len(("inet_proto", "inet_service"))) == (781, 8)
    assert (type_id(("ipv4_addr", "inet_service")), type_len(("ipv4_addr", "inet_service"))) == (461, 8)
    assert type_names(781, 8) == ("inet_proto", "inet_service") and type_names(781, 6) is None
    assert type_names(41, 16) == ("ifname",)


def test_interval_elements_as_nft() -> None:
    s = Set("s", "ipv4_addr", {"10.0.0.0/8", "172.16.0.1", "255.255.255.0/24"}, flags="interval")
    raw = [(e.key.hex(), e.flags) for e in set_elements(s, s.keys())]
    # start, end one past the last (flag INTERVAL_END); nothing after the top of the range
    assert raw == [("0a000000", 0), ("0b000000", 1), ("ac100001", 0), ("ac100002", 1), ("ffffff00", 0)]


def test_many_elements_split_into_messages() -> None:
    m = Map("m", ("ifname", "ipv6_addr"), ("ipv6_addr", "inet_service"),
            {(f"e{i}", "2001:db8::1"): ("2001:db8::2", 1 + i) for i in range(2000)})
    items = M.elements("add", "inet", "t", "m", map_elements(m, m.items()))
    assert len(items) > 1
    rows = decode(encode(items, 1).tobytes(), NFT)
    listed = [e for msg in rows.messages() for e in decode_elements_msg(rows, msg)]
    assert decode_elements(m, listed) == m.elements


def test_equivalent_spellings_decompile_to_nfts() -> None:
    """``meta l4proto tcp`` + ``ip daddr . th dport`` is the same bytes as ``ip daddr . tcp dport``."""
    rule = Rule([Meta.l4proto("tcp")], [NatMap(Ip.daddr & Th.dport, "m")])
    assert Rule(*decompile(rule.ops("ip"), "ip")) == Rule([], [NatMap(Ip.daddr & Tcp.dport, "m")])


def test_refused_before_sending() -> None:
    for bad in (lambda: Rule([Ip.saddr("10.0.0.0/8")], [Masquerade((1, 2))]).ops("ip"),
                lambda: Rule([], [NatMap(Th.dport, "m", version=6)]).ops("ip"),
                lambda: Rule([], [Snat("2001:db8::1-2001:db8::2")]).ops("ip"),
                lambda: Snat("203.0.113.9-203.0.113.1"), lambda: Snat("203.0.113.1-2001:db8::1"),
                lambda: (Ip.saddr & Th.dport) == 1, lambda: Fib.daddr_type("nowhere"),
                lambda: NatMap("th dport", "m"),  # type: ignore[arg-type]
                lambda: Tcp.dport("a-b")):
        with pytest.raises(InvalidArgument):
            bad()
