"""Live nf_tables in test namespaces, with `nft -j` (run inside the namespace) as the oracle."""
from __future__ import annotations

import json
import shutil
import subprocess
from typing import Any, Callable

import pytest

from pynetlink.errors import InvalidArgument
from pynetlink.nft import (Accept, Chain, Counter, Ct, Dnat, DockerNat, Drop, GenerationChanged, Goto, Ip,
                           Jump, Masquerade, Meta, Nftables, Publish, Redirect, Rule, Snat, Table, Tcp, Udp)
from pynetlink.transport import NetNS

pytestmark = [pytest.mark.root, pytest.mark.kernel("nft_nat"),
              pytest.mark.skipif(shutil.which("nft") is None, reason="needs the nft tool (Debian nftables)")]


def nft_cmd(ns: NetNS, *args: str, stdin: str | None = None) -> str:
    assert ns.name is not None
    return subprocess.run(["ip", "netns", "exec", ns.name, "nft", *args], input=stdin, check=True,
                          capture_output=True, text=True).stdout


def nft_rules(ns: NetNS) -> list[dict[str, Any]]:
    return [x["rule"] for x in json.loads(nft_cmd(ns, "-j", "list", "ruleset"))["nftables"] if "rule" in x]


POST = [
    (Rule([Ip.saddr("172.17.0.0/16"), Meta.oifname != "docker0"], [Counter(), Masquerade()], comment="docker"),
     [{"match": {"op": "==", "left": {"payload": {"protocol": "ip", "field": "saddr"}},
                 "right": {"prefix": {"addr": "172.17.0.0", "len": 16}}}},
      {"match": {"op": "!=", "left": {"meta": {"key": "oifname"}}, "right": "docker0"}},
      {"counter": {"packets": 0, "bytes": 0}}, {"masquerade": None}]),
    (Rule([Ip.daddr("10.1.0.0/20"), Meta.iifname("veth*"), Meta.l4proto("tcp")],
          [Masquerade((1000, 2000), fully_random=True)]),
     [{"match": {"op": "==", "left": {"payload": {"protocol": "ip", "field": "daddr"}},
                 "right": {"prefix": {"addr": "10.1.0.0", "len": 20}}}},
      {"match": {"op": "==", "left": {"meta": {"key": "iifname"}}, "right": "veth*"}},
      {"match": {"op": "==", "left": {"meta": {"key": "l4proto"}}, "right": "tcp"}},
      {"masquerade": {"port": {"range": [1000, 2000]}, "flags": "fully-random"}}]),
    (Rule([Udp.sport(53), Ip.saddr("10.0.0.1")], [Snat("203.0.113.1", (1024, 2048), random=True, persistent=True)]),
     [{"match": {"op": "==", "left": {"payload": {"protocol": "udp", "field": "sport"}}, "right": 53}},
      {"match": {"op": "==", "left": {"payload": {"protocol": "ip", "field": "saddr"}}, "right": "10.0.0.1"}},
      {"snat": {"family": "ip", "addr": "203.0.113.1", "port": {"range": [1024, 2048]},
                "flags": ["random", "persistent"]}}]),
]
PRE = [
    (Rule([Tcp.dport(8080)], [Dnat("172.17.0.2", 80)]),
     [{"match": {"op": "==", "left": {"payload": {"protocol": "tcp", "field": "dport"}}, "right": 8080}},
      {"dnat": {"family": "ip", "addr": "172.17.0.2", "port": 80}}]),
    (Rule([Ct.state("established", "related")], [Accept()]),
     [{"match": {"op": "in", "left": {"ct": {"key": "state"}}, "right": ["established", "related"]}},
      {"accept": None}]),
    (Rule([Ct.state != "invalid"], [Drop()]),
     [{"match": {"op": "!", "left": {"ct": {"key": "state"}}, "right": "invalid"}}, {"drop": None}]),
    (Rule([Tcp.sport(22)], [Redirect(2222)]),
     [{"match": {"op": "==", "left": {"payload": {"protocol": "tcp", "field": "sport"}}, "right": 22}},
      {"redirect": {"port": 2222}}]),
    (Rule([Meta.l4proto(132)], [Jump("other")]),
     [{"match": {"op": "==", "left": {"meta": {"key": "l4proto"}}, "right": "sctp"}},
      {"jump": {"target": "other"}}]),
    (Rule([Meta.nfproto("ipv4")], [Goto("other")]),
     [{"match": {"op": "==", "left": {"meta": {"key": "nfproto"}}, "right": "ipv4"}},
      {"goto": {"target": "other"}}]),
]


def sample(family: str = "inet") -> Table:
    return Table("t", family, [Chain("post", "nat", "postrouting", 100, rules=[r for r, _ in POST]),
                               Chain("pre", "nat", "prerouting", -100, rules=[r for r, _ in PRE]),
                               Chain("other")])


def test_every_rule_type_as_nft_sees_it(netns: NetNS) -> None:
    with Nftables(netns) as nft:
        nft.apply(sample())
        seen = nft_rules(netns)
        assert [r["expr"] for r in seen] == [j for _, j in POST] + [j for _, j in PRE]
        assert seen[0]["comment"] == "docker"
        listed = nft.table("t", family="inet")
        assert listed == sample()                                   # round trip
        assert all(r.handle for c in listed.chains for r in c.rules)


def test_nft_file_decodes_into_the_same_objects(netns: NetNS) -> None:
    nft_cmd(netns, "-f", "-", stdin="""
table ip nat {
  chain POSTROUTING { type nat hook postrouting priority 100; policy accept;
    ip saddr 172.17.0.0/16 oifname != "docker0" masquerade
    oifname "uplink" snat to 198.51.100.1
  }
  chain PREROUTING { type nat hook prerouting priority -100;
    tcp dport 8080 dnat to 172.17.0.2:80
    iifname "uplink" udp dport 5353 counter dnat to 172.17.0.3:53 comment "dns"
  }
}
""")
    want = Table("nat", "ip", [
        Chain("POSTROUTING", "nat", "postrouting", 100, rules=[
            Rule([Ip.saddr("172.17.0.0/16"), Meta.oifname != "docker0"], [Masquerade()]),
            Rule([Meta.oifname("uplink")], [Snat("198.51.100.1")])]),
        Chain("PREROUTING", "nat", "prerouting", -100, rules=[
            Rule([Tcp.dport(8080)], [Dnat("172.17.0.2", 80)]),
            Rule([Meta.iifname("uplink"), Udp.dport(5353)], [Counter(), Dnat("172.17.0.3", 53)], comment="dns")])])
    with Nftables(netns) as nft:
        assert nft.table("nat") == want


def test_failing_transaction_changes_nothing(netns: NetNS) -> None:
    with Nftables(netns) as nft:
        nft.apply(sample())
        before = nft_cmd(netns, "-j", "list", "ruleset")
        gen = nft.generation()
        tx = nft.transaction()
        tx.add_rule("t", "post", Rule([Ip.saddr("172.17.0.0/24"), Meta.oifname != "docker0"], [Masquerade()]),
                    family="inet")
        tx.add_rule("t", "missing", Rule([Ip.saddr("172.17.0.0/24"), Meta.oifname != "docker0"],
                                         [Masquerade()]), family="inet")
        tx.delete_table("t", family="inet")
        with pytest.raises(FileNotFoundError) as info:
            tx.commit()
        assert str(info.value).startswith(
            "add rule t/missing 'ip saddr 172.17.0.0/24 oifname != docker0 masquerade': "
            "No such file or directory [ENOENT]")
        assert getattr(info.value, "field") == "chain"                          # from the kernel's extack offset
        assert nft_cmd(netns, "-j", "list", "ruleset") == before
        assert nft.generation() == gen


def test_kernel_refusal_names_the_rule(netns: NetNS) -> None:
    with Nftables(netns) as nft:
        nft.apply(Table("filt", "ip", [Chain("out", "filter", "output", 0)]))
        with pytest.raises(OSError) as info:
            nft.add_rule("filt", "out", Rule([], [Masquerade()]))
        assert "add rule filt/out 'masquerade'" in str(info.value)


def test_bad_input_refused_before_sending() -> None:
    for bad in (lambda: Ip.saddr("172.17.0.1/16"), lambda: Ip.saddr("300.1.1.1"), lambda: Tcp.dport(0),
                lambda: Tcp.dport(70000), lambda: Meta.oifname("a" * 16), lambda: Table("t", "arp"),
                lambda: Chain("c", "nat", "sideways"), lambda: Dnat("172.17.0.2/24"),
                lambda: Ip.saddr("2001:db8::/32"), lambda: Publish(8080, "172.17.0.2", proto="sctp"),
                lambda: Table("bad name"), lambda: Rule(["ip saddr 1.2.3.4"])):  # type: ignore[list-item]
        with pytest.raises(InvalidArgument):
            bad()


def nft_json(ns: NetNS) -> list[dict[str, Any]]:
    return list(json.loads(nft_cmd(ns, "-j", "list", "ruleset"))["nftables"])


def nft_map(ns: NetNS, name: str) -> dict[str, Any]:
    (m,) = [x.get("map") or x["set"] for x in nft_json(ns)
            if (x.get("map") or x.get("set") or {}).get("name") == name]
    return dict(m)


def test_docker_nat_publish_200_atomically_and_unpublish(netns: NetNS) -> None:
    with Nftables(netns) as nft:
        nat = DockerNat(nft, table="pnl")
        nat.masquerade("172.17.0.0/24", "docker0")
        handles = [r["handle"] for r in nft_rules(netns)]
        gen = nft.generation()
        nat.publish(*[Publish(10000 + i, f"172.17.0.{2 + i % 200}", 80) for i in range(200)])
        assert nft.generation() == gen + 1                          # one transaction
        assert [r["handle"] for r in nft_rules(netns)] == handles   # no rule churn: elements only
        assert len(nat.published()) == 200
        pub = nft_map(netns, "published_v4")                        # nft's view: 200 elements of one map
        assert pub["type"] == ["inet_proto", "inet_service"] and pub["map"] == "ipv4_addr . inet_service"
        assert len(pub["elem"]) == 200
        assert pub["elem"][0] == [{"concat": ["tcp", 10000]}, {"concat": ["172.17.0.2", 80]}] or \
            [{"concat": ["tcp", 10000]}, {"concat": ["172.17.0.2", 80]}] in pub["elem"]
        rules = nft_rules(netns)                                    # a fixed handful of rules, not 400
        assert len([r for r in rules if r["chain"] == "PREROUTING"]) == 2
        assert len([r for r in rules if r["chain"] == "OUTPUT"]) == 2
        # one bad mapping: nothing of the 200 lands
        gen = nft.generation()
        with pytest.raises(InvalidArgument):
            nat.publish(*[(20000 + i, "172.17.0.2", 80) for i in range(199)], (30000, "172.17.0.2/24", 80))
        assert nft.generation() == gen
        # a port already published elsewhere: refused by the kernel, nothing changes
        with pytest.raises(FileExistsError):
            nat.publish((20000, "172.17.0.3", 80), (10001, "172.17.0.9", 80))
        assert nft.generation() == gen
        assert nat.unpublish(10005) == 1
        assert len(nat.published()) == 199
        assert Publish(10005, "172.17.0.7", 80) not in nat.published()
        assert nat.unpublish(10005) == 0
        assert len(nft_map(netns, "published_v4")["elem"]) == 199
        nft.apply(Table("host", "ip", [Chain("input", "filter", "input", 0)]))   # the host's own
        nat.teardown()
        tables = [x["table"]["name"] for x in json.loads(nft_cmd(netns, "-j", "list", "tables"))["nftables"]
                  if "table" in x]
        assert tables == ["host"]


def test_docker_nat_structure_is_made_once(netns: NetNS) -> None:
    with Nftables(netns) as nft:
        DockerNat(nft, table="pnl").publish((8080, "172.17.0.2", 80))
        handles = [r["handle"] for r in nft_rules(netns)]
        again = DockerNat(nft, table="pnl")                         # a new instance finds it in place
        again.publish((8081, "172.17.0.2", 81))
        assert [r["handle"] for r in nft_rules(netns)] == handles
        nft.delete_table("pnl")                                     # someone removes our table
        again.publish((8082, "172.17.0.2", 82))                     # made again, then published
        assert again.published() == [Publish(8082, "172.17.0.2", 82)]
        nft.flush("pnl", "PREROUTING")                              # someone breaks our rules
        third = DockerNat(nft, table="pnl")
        third.ensure()
        assert len([r for r in nft_rules(netns) if r["chain"] == "PREROUTING"]) == 2
        assert third.published() == [Publish(8082, "172.17.0.2", 82)]   # elements kept


def test_docker_nat_host_addr_and_remote_only(netns: NetNS) -> None:
    with Nftables(netns) as nft:
        nat = DockerNat(nft, table="pnl", family="inet")
        nat.publish(Publish(8080, "172.17.0.2", 80, host_addr="203.0.113.1"),
                    Publish(53, "172.17.0.3", proto="udp"),
                    Publish(8443, "2001:db8:1::2", 443))
        nat.publish((9000, "172.17.0.4", 9001), local=False)
        assert nat.published() == sorted([
            Publish(8080, "172.17.0.2", 80, host_addr="203.0.113.1"), Publish(53, "172.17.0.3", 53, "udp"),
            Publish(8443, "2001:db8:1::2", 443), Publish(9000, "172.17.0.4", 9001)],
            key=lambda p: (p.proto, p.host_port, p.host_addr or ""))
        assert nft_map(netns, "published_v4_addr")["elem"] == [
            [{"concat": ["203.0.113.1", "tcp", 8080]}, {"concat": ["172.17.0.2", 80]}]]
        assert nft_map(netns, "published_v6")["elem"] == [[{"concat": ["tcp", 8443]}, {"concat": ["2001:db8:1::2", 443]}]]
        assert nft_map(netns, "remote_only_v4")["elem"] == [{"concat": ["tcp", 9000]}]
        assert nat.unpublish(9000) == 1
        assert "elem" not in nft_map(netns, "remote_only_v4")
        assert nat.unpublish(8080) == 0                             # published for one address only
        assert nat.unpublish(8080, host_addr="203.0.113.1") == 1
        with pytest.raises(InvalidArgument):                        # v6 container in an ip table
            DockerNat(nft, table="pnl4").publish((1, "2001:db8::2", 2))


def test_generation_guard(netns: NetNS) -> None:
    with Nftables(netns) as nft:
        nft.apply(sample())
        gen = nft.generation()
        nft.flush("t", "pre", family="inet")                        # someone else changes the ruleset
        tx = nft.transaction(genid=gen).delete_table("t", family="inet")
        with pytest.raises(GenerationChanged):
            tx.commit()
        assert ("inet", "t") in nft.ruleset()
        assert nft.table("t", family="inet").chain("pre").rules == ()


def test_forwarding_per_namespace(make_netns: Callable[..., NetNS]) -> None:
    from pynetlink.nft import forwarding, set_forwarding
    a, b = make_netns("fa"), make_netns("fb")
    set_forwarding(a, ipv6=True)
    assert forwarding(a) == (True, True)
    assert forwarding(b) == (False, False)
