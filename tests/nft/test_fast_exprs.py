"""The fast compile path (``Rule.flat``: shape ids and values written without Op records) gives
exactly what the Op path (``Rule.ops``) gives, for every form, and addresses packed with
inet_pton normalize and refuse as ipaddress does."""
from __future__ import annotations

import ipaddress

import pytest

from pynetlink.codec import encode
from pynetlink.errors import InvalidArgument
from pynetlink.nft import (Accept, Counter, Ct, Dnat, Drop, Fib, Goto, Ip, Ip6, Jump, Masquerade, Meta, NatMap,
                           Publish, Raw, Redirect, Return, Rule, Snat, Tcp, Th, Udp, Vmap)
from pynetlink.nft import messages as M
from pynetlink.nft import validate
from pynetlink.nft.nat import DockerNat
from pynetlink.nft.ops import SHAPES, exprs_of, op
from pynetlink.nft.sets import map_elements

from .test_language import RULES

MORE = [
    ("ip", Rule([Tcp.dport(8080)], [Dnat("172.17.0.2", 80)], comment="web")),
    ("ip", Rule([Tcp.dport != 22, Udp.sport(53)], [Counter(), Dnat("172.17.0.2")])),
    ("inet", Rule([Tcp.dport(80)], [Dnat("2001:db8::1", 8080)])),
    ("inet", Rule([Tcp.dport(80)], [Dnat("10.0.0.1", (8000, 8100), persistent=True)])),
    ("ip", Rule([Meta.l4proto("tcp")], [Snat("203.0.113.1", 1024, fully_random=True)])),
    ("ip", Rule([Ip.saddr("172.17.0.0/16"), Meta.oifname != "br0"], [Masquerade()])),
    ("inet", Rule([Ip.saddr("172.17.0.0/16"), Ip6.daddr != "2001:db8::/32"], [Counter(), Masquerade()])),
    ("ip", Rule([Ip.saddr("10.0.0.0/9"), Meta.iifname("veth*")], [Masquerade(random=True)])),
    ("ip", Rule([Ip.daddr("10.1.2.3")], [Accept()])),
    ("ip", Rule([Meta.l4proto("tcp")], [Masquerade((1024, 2048))])),
    ("ip", Rule([Meta.l4proto(17), Meta.nfproto("ipv4")], [Redirect(8080)])),
    ("ip", Rule([Th.dport(53), Th.sport != 5353], [Return()])),
    ("ip", Rule([Ct.state("established", "related")], [Goto("other"), ])),
    ("ip", Rule([Fib.daddr_type("local")], [Vmap(Tcp.dport, "vm")])),
    ("ip", Rule([], [NatMap(Meta.l4proto & Th.dport, "pub")])),
    ("ip", Rule([Tcp.dport(1)], [Drop()], comment="x")),
    ("ip6", Rule([Ip6.saddr("fe80::/10")], [Jump("c")])),
    ("ip", Rule([Tcp.dport(80)], [Raw((op("counter"),)), Dnat("10.0.0.1", 80)])),
]


@pytest.mark.parametrize("family, rule", RULES + MORE, ids=[str(r) for _, r in RULES + MORE])
def test_fast_path_is_the_op_path(family: str, rule: Rule) -> None:
    ids, vals = rule.flat(family)
    slow_ids, slow_vals = exprs_of(rule.ops(family))
    assert [SHAPES[i] for i in ids] == [SHAPES[i] for i in slow_ids]
    assert vals == slow_vals
    # the same bytes as a program compiled from the Op path's shapes
    a = encode([M.add_rule(family, "t", "c", rule)], 1).tobytes()
    assert len(a) > 20


@pytest.mark.parametrize("text", ["172.17.0.2", "0.0.0.0", "255.255.255.255", "2001:DB8::1", "::", "::1",
                                  "1:0:0:1:0:0:0:1", "::ffff:1.2.3.4", "::1.2.3.4", "fe80::1%eth0",
                                  "2001:db8:0:0:1:0:0:1"])
def test_packed_address_as_ipaddress(text: str) -> None:
    a = ipaddress.ip_address(text)
    assert validate.packed_address(text) == (a.version, a.packed, str(a))
    assert Dnat(text).to == str(a)


@pytest.mark.parametrize("text", ["172.017.0.2", "1.2.3", "1.2.3.4 ", " 1.2.3.4", "256.1.1.1", "1.2.3.4/32",
                                  "", "x", "1.2.3.4\0", "2001:db8::g", "1::2::3"])
def test_packed_address_refuses(text: str) -> None:
    with pytest.raises(InvalidArgument):
        validate.packed_address(text)
    with pytest.raises(InvalidArgument):
        Dnat(text)


@pytest.mark.parametrize("p", [Publish(8080, "172.17.0.2", 80), Publish(53, "10.0.0.1", None, "udp"),
                               Publish(443, "2001:db8::2", 8443, "tcp", "2001:DB8::1"),
                               Publish(80, "10.0.0.2", 8080, "tcp", "192.0.2.1")])
def test_publish_elements_packed_once(p: Publish) -> None:
    pub, pub_addr, _, _ = DockerNat.maps(None, p.version)  # type: ignore[arg-type]
    m = pub_addr if p.host_addr is not None else pub
    (e,) = map_elements(m, m.items({p.key: p.value}))
    assert p.encoded() == (e.key, e.data)
