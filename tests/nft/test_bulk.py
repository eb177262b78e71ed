"""Bulk port publications: ``Transaction.add_dnat_rules`` and DockerNat's tuple form, against the
per-object forms (``Rule``/``Tcp.dport``/``Dnat``, ``Publish``) they must equal byte for byte,
with `nft -j` in the namespace as the oracle; bad input and kernel refusals change nothing."""
from __future__ import annotations

import shutil
from typing import Any

import pytest

from pynetlink.codec.program import Many, Raw, encode, quiet
from pynetlink.errors import ExistsError, InvalidArgument
from pynetlink.nft import Chain, Dnat, DockerNat, Ip, Masquerade, Meta, Nftables, Publish, Rule, Table, Tcp, Udp
from pynetlink.nft.ruleset import members
from pynetlink.transport import NetNS

from .test_live import nft_cmd, nft_map, nft_rules

pytestmark = [pytest.mark.root, pytest.mark.kernel("nft_nat"),
              pytest.mark.skipif(shutil.which("nft") is None, reason="needs the nft tool (Debian nftables)")]

N = 40


def ports(n: int = N) -> list[tuple[int, str, int]]:
    return [(8000 + i, f"172.17.{i // 250}.{2 + i % 250}", 80 + i % 3) for i in range(n)]


def by_objects(pubs: list[Any]) -> list[Rule]:
    """The per-object form of what ``add_dnat_rules`` makes."""
    out = []
    for p in pubs:
        host, to, to_port = p[0], p[1], p[2]
        proto = p[3] if len(p) > 3 else "tcp"
        field = Tcp.dport if proto == "tcp" else Udp.dport
        out.append(Rule([field(host)], [Dnat(to, to_port if to_port is not None else host)]))
    return out


def nat_table(rules: list[Rule] | None = None) -> Table:
    return Table("t", "ip", [Chain("post", "nat", "postrouting", 100, rules=[
        Rule([Ip.saddr("172.17.0.0/16"), Meta.oifname != "br0"], [Masquerade()])]),
        Chain("pre", "nat", "prerouting", -100, rules=rules or [])])


def encoded(nft: Nftables, tx: Any) -> list[bytes]:
    """Every member message of a transaction, as its commit encodes them (sequence numbers
    alike; NLM_F_ACK on the last member only)."""
    enc = encode([(quiet(p), v) for p, v in tx.items[:-1]] + tx.items[-1:], 1)
    return [enc.message(i) for i in range(enc.n)]


MIXED: list[Any] = [(8000, "172.17.0.2", 80), (8001, "172.17.0.3", None, "udp"), (8002, "172.17.0.4", 8002, "tcp"),
                    (65535, "172.17.255.254", 1, "udp")]


@pytest.mark.parametrize("pubs", [ports(), ports(1), MIXED], ids=["tcp", "one", "mixed"])
def test_dnat_rules_equal_the_rule_objects(netns: NetNS, pubs: list[Any]) -> None:
    with Nftables(netns) as nft:
        want = nft.transaction().add_table(nat_table(by_objects(pubs)))
        got = nft.transaction().add_table(nat_table()).add_dnat_rules("t", "pre", pubs)
        assert encoded(nft, got) == encoded(nft, want)            # byte for byte
        want.commit()
        listed = nft_rules(netns)
        nft.delete_table("t")
        got.commit()
        assert nft_rules(netns) == listed
        assert [r["expr"][-1]["dnat"]["port"] for r in listed if r["chain"] == "pre"] == \
            [p[2] if p[2] is not None else p[0] for p in pubs]
        assert nft.table("t") == nat_table(by_objects(pubs))     # read back as the objects


def test_plain_publish_objects_take_the_bulk_form(netns: NetNS) -> None:
    """Publish objects without a host address: the bulk form's bytes, as their tuples."""
    with Nftables(netns) as nft:
        objs = [Publish(*p) for p in MIXED]
        got = nft.transaction().add_table(nat_table()).add_dnat_rules("t", "pre", objs)
        assert any(isinstance(v, (Raw, Many)) for _, v in got.items)         # filled in C
        want = nft.transaction().add_table(nat_table(by_objects(MIXED)))
        assert encoded(nft, got) == encoded(nft, want)
        got.commit()
        assert nft.table("t") == nat_table(by_objects(MIXED))


def test_dnat_rules_of_other_forms_go_one_by_one(netns: NetNS) -> None:
    """A host address, IPv6 in an ip6 table: the per-object way, same rules."""
    with Nftables(netns) as nft:
        pubs = [Publish(8080, "172.17.0.2", 80), (8081, "172.17.0.3", 81, "tcp", "198.51.100.1")]
        nft.apply(Table("t", "ip", [Chain("pre", "nat", "prerouting", -100)]))
        nft.transaction().add_dnat_rules("t", "pre", pubs).commit()
        rules = nft.rules("t", "pre")
        assert [str(r) for r in rules] == ["tcp dport 8080 dnat to 172.17.0.2:80",
                                           "ip daddr 198.51.100.1 tcp dport 8081 dnat to 172.17.0.3:81"]
        nft.apply(Table("t6", "ip6", [Chain("pre", "nat", "prerouting", -100)]))
        nft.transaction().add_dnat_rules("t6", "pre", [(8080, "2001:db8::2", 80)], family="ip6").commit()
        assert [str(r) for r in nft.rules("t6", "pre", family="ip6")] == ["tcp dport 8080 dnat to [2001:db8::2]:80"]


BAD: list[tuple[Any, str]] = [
    ([(0, "172.17.0.2", 80)], r"add_dnat_rules\[0\] .*port 0"),
    ([(8000, "172.17.0.2", 80), (70000, "172.17.0.3", 80)], r"add_dnat_rules\[1\] .*port 70000"),
    ([(8000, "172.17.0.2", 80), (True, "172.17.0.3", 80)], r"add_dnat_rules\[1\] .*port True"),
    ([(8000, "172.17.0.2", 80), ("8001", "172.17.0.3", 80)], r"add_dnat_rules\[1\] .*port '8001'"),
    ([(8000, "172.17.0.256", 80)], r"add_dnat_rules\[0\] .*172\.17\.0\.256"),
    ([(8000, "172.17.0.2/32", 80)], r"add_dnat_rules\[0\] .*172\.17\.0\.2/32"),
    ([(8000, None, 80)], r"add_dnat_rules\[0\] .*None"),
    ([(8000, "172.17.0.2", 0)], r"add_dnat_rules\[0\] .*port 0"),
    ([(8000, "172.17.0.2", 80.0)], r"add_dnat_rules\[0\] .*port 80\.0"),
    ([(8000, "172.17.0.2", 80, "sctp")], r"add_dnat_rules\[0\] .*sctp"),
    ([(8000, "172.17.0.2", 80), 8001], r"add_dnat_rules\[1\]: expected \(host_port, to, to_port"),
    ([(8000,)], r"add_dnat_rules\[0\]: expected"),
    ("8000", r"add_dnat_rules: expected a list"),
]


@pytest.mark.parametrize("pubs,message", BAD)
def test_bad_publications_name_the_tuple_and_change_nothing(netns: NetNS, pubs: Any, message: str) -> None:
    with Nftables(netns) as nft:
        nft.apply(nat_table())
        before = nft_cmd(netns, "-j", "list", "ruleset")
        tx = nft.transaction().add_dnat_rules("t", "pre", ports(3))
        with pytest.raises(InvalidArgument, match=message):
            tx.add_dnat_rules("t", "pre", pubs)
        assert sum(members(v) for _, v in tx.items) == 3   # the bad call added nothing to the transaction
        with pytest.raises(InvalidArgument, match="table name"):
            nft.transaction().add_dnat_rules("bad name", "pre", ports(3))
        with pytest.raises(InvalidArgument, match="table family"):
            nft.transaction().add_dnat_rules("t", "pre", ports(3), family="arp")
        assert nft_cmd(netns, "-j", "list", "ruleset") == before


def test_refused_bulk_rules_roll_back_and_name_the_rule(netns: NetNS) -> None:
    with Nftables(netns) as nft:
        nft.apply(nat_table())
        before = nft_cmd(netns, "-j", "list", "ruleset")
        gen = nft.generation()
        tx = nft.transaction().add_dnat_rules("t", "pre", ports())
        tx.add_dnat_rules("t", "missing", [(9000, "172.17.0.9", 90), (9001, "172.17.0.10", 91)])
        with pytest.raises(FileNotFoundError) as info:
            tx.commit()
        assert str(info.value).startswith("add rule t/missing 'tcp dport 9000 dnat to 172.17.0.9:90'")
        assert f"the transaction of {N + 2} changes was not applied" in "".join(info.value.__notes__)
        assert nft_cmd(netns, "-j", "list", "ruleset") == before
        assert nft.generation() == gen
        # a filter chain refuses DNAT: the kernel's refusal of a middle rule names that rule
        nft.apply(Table("f", "ip", [Chain("out", "filter", "output", 0)]))
        tx = nft.transaction().add_dnat_rules("t", "pre", ports(5)).add_dnat_rules("f", "out", ports(20)[10:])
        with pytest.raises(OSError) as info2:
            tx.commit()
        assert "add rule f/out 'tcp dport 8010 dnat to 172.17.0.12:81'" in str(info2.value)
        assert len([r for r in nft_rules(netns) if r["chain"] == "pre"]) == 0


def test_docker_nat_tuples_equal_publish_objects(make_netns: Any) -> None:
    a, b = make_netns("a"), make_netns("b")
    pubs: list[Any] = ports(200) + [(9000, "172.17.9.9", None, "udp")]
    with Nftables(a) as na, Nftables(b) as nb:
        assert DockerNat(na, table="pnl").setup(masquerade=[("172.17.0.0/16", "br0")],
                                               publish=[Publish(*p) for p in pubs]) is True
        assert DockerNat(nb, table="pnl").setup(masquerade=[("172.17.0.0/16", "br0")], publish=pubs) is True
        assert nft_cmd(a, "-j", "list", "ruleset") == nft_cmd(b, "-j", "list", "ruleset")
        assert len(nft_map(b, "published_v4")["elem"]) == 201
        # publish (local=False: the remote_only set too) and the same through objects
        DockerNat(na, table="pnl").publish(*[Publish(*p) for p in ports(250)[200:]], local=False)
        DockerNat(nb, table="pnl").publish(*ports(250)[200:], local=False)
        assert nft_cmd(a, "-j", "list", "ruleset") == nft_cmd(b, "-j", "list", "ruleset")
        assert len(nft_map(b, "remote_only_v4").get("elem", [])) == 50
        assert DockerNat(nb, table="pnl").published()[-2:] == DockerNat(na, table="pnl").published()[-2:]


def test_docker_nat_bad_tuples_change_nothing(netns: NetNS) -> None:
    with Nftables(netns) as nft:
        nat = DockerNat(nft, table="pnl")
        nat.setup(masquerade=[("172.17.0.0/16", "br0")], publish=ports(10))
        before = nft_cmd(netns, "-j", "list", "ruleset")
        for bad, message in [([(8100, "172.17.0.2", 80), (8101, "172.17.0.300", 80)], r"publish\[1\]"),
                             ([(8100, "172.17.0.2", 80), (8100, "172.17.0.3", 81)], "given twice"),
                             ([(8100, "172.17.0.2", 80, "icmp")], r"publish\[0\] .*icmp"),
                             ([(8100, "172.17.0.2", -1)], r"publish\[0\] .*port -1")]:
            with pytest.raises(InvalidArgument, match=message):
                nat.publish(*bad)
        with pytest.raises(ExistsError, match=r"tcp/8003 is already published \(to 172.17.0.5:80\)"):
            nat.publish((8100, "172.17.0.2", 80), (8003, "172.17.0.9", 80))
        assert nft_cmd(netns, "-j", "list", "ruleset") == before
        with Nftables(netns) as other, pytest.raises(InvalidArgument, match="IPv4 in a table of family ip6"):
            DockerNat(other, table="six", family="ip6").publish((8000, "172.17.0.2", 80))


@pytest.mark.parametrize("n", [1, 200, 513, 2000])
@pytest.mark.parametrize("sizes", [(8, 8), (12, None), (4, 16), (2, 4), (8, 6)])
def test_element_lists_made_as_bytes_equal_the_program(n: int, sizes: tuple[int, int | None]) -> None:
    """``pairs``' element lists (as joined bytes when sizes are 4-byte aligned, else through
    the per-element program) equal ``elements``' messages, chunking included."""
    from pynetlink.nft import messages as msg
    from pynetlink.nft.sets import Element
    ksize, dsize = sizes
    pairs = [(bytes([i % 251]) * ksize, None if dsize is None else bytes([i % 13]) * dsize) for i in range(n)]
    for verb in ("add", "delete"):
        got = msg.pairs(verb, "ip", "t", "s", pairs, exist_ok=False)
        want = msg.elements(verb, "ip", "t", "s", [Element(k, d) for k, d in pairs], exist_ok=False)
        assert encode(got, 7).tobytes() == encode(want, 7).tobytes()


@pytest.mark.parametrize("n", [1, 200, 513, 1500])
def test_publication_columns_pack_the_elements_publish_objects_make(n: int) -> None:
    """DockerNat's element lists packed from the tuple columns equal those of the Publish
    objects' (key, value) pairs, chunking included."""
    from pynetlink.nft import bulk
    from pynetlink.nft import messages as msg
    pubs = [(8000 + i, f"172.17.{i // 250}.{2 + i % 250}", 80 + i % 7, "udp" if i % 3 else "tcp") for i in range(n)]
    cols = bulk.columns(pubs)
    assert cols is not None
    got = msg.element_lists("add", "ip", "t", "published_v4", cols.element_lists(), exist_ok=False)
    want = msg.pairs("add", "ip", "t", "published_v4", [Publish(*p).encoded() for p in pubs], exist_ok=False)
    assert encode(got, 3).tobytes() == encode(want, 3).tobytes()


def test_async_bulk_forms(netns: NetNS) -> None:
    """The same flows on the asyncio front end: add_dnat_rules and the tuple form of setup."""
    import asyncio

    from pynetlink.aio import AsyncDockerNat, AsyncNftables

    async def main() -> str:
        async with AsyncNftables(netns) as nft:
            await nft.transaction().add_table(nat_table()).add_dnat_rules("t", "pre", ports()).commit()
            with pytest.raises(FileNotFoundError) as info:
                await nft.transaction().add_dnat_rules("t", "missing", ports(2)).commit()
            await AsyncDockerNat(nft, table="pnl").setup(masquerade=[("172.17.0.0/16", "br0")], publish=ports())
            return str(info.value)
    assert asyncio.run(main()).startswith("add rule t/missing 'tcp dport 8000 dnat to 172.17.0.2:80'")
    assert [r["expr"][-1]["dnat"] for r in nft_rules(netns) if r["chain"] == "pre"] == \
        [{"addr": to, "port": port} for _, to, port in ports()]
    assert len(nft_map(netns, "published_v4")["elem"]) == N


def test_publications_from_a_generator(netns: NetNS) -> None:
    with Nftables(netns) as nft:
        assert DockerNat(nft, table="pnl").setup(publish=(p for p in ports(5))) is True  # type: ignore[arg-type]
        assert len(nft_map(netns, "published_v4")["elem"]) == 5


def _members(whole: bytes) -> list[bytes]:
    """The messages of a transaction's bytes, BATCH_BEGIN and END left out, sequence numbers zeroed."""
    out, at = [], 0
    while at < len(whole):
        length = int.from_bytes(whole[at:at + 4], "little")
        out.append(whole[at:at + 8] + bytes(4) + whole[at + 12:at + length])
        at += (length + 3) & ~3
    return out[1:-1]


def test_bulk_rules_go_whole_and_a_refusal_goes_the_general_way(netns: NetNS) -> None:
    """``add_dnat_rules`` writes the whole transaction once (its items before, the rules,
    BATCH_END): commit sends those bytes, the general path's messages; a refused one is sent
    again the general way, whose error names the rule; items added after, a pinned generation
    or earlier bulk items: the general way from the start."""
    with Nftables(netns) as nft:
        tx = nft.transaction().add_table(nat_table()).add_dnat_rules("t", "pre", ports())
        assert tx._whole is not None and tx._whole[1] == len(tx.items)
        assert _members(bytes(tx._whole[0])) == [m[:8] + bytes(4) + m[12:] for m in encoded(nft, tx)]
        tx.commit()
        assert tx._whole is None and not tx.items
        assert nft.table("t") == nat_table(by_objects(ports()))
        before = nft_cmd(netns, "-j", "list", "ruleset")
        tx = nft.transaction().add_dnat_rules("t", "missing", ports(2))
        assert tx._whole is not None
        with pytest.raises(FileNotFoundError) as info:
            tx.commit()
        assert str(info.value).startswith("add rule t/missing 'tcp dport 8000 dnat to 172.17.0.2:80'")
        assert nft_cmd(netns, "-j", "list", "ruleset") == before
        tx = nft.transaction().add_dnat_rules("t", "pre", ports(2)).add_dnat_rules("t", "pre", ports(3)[2:])
        assert tx._whole is None                    # (an earlier bulk item: not framed again)
        tx = nft.transaction(genid=nft.generation()).add_dnat_rules("t", "pre", ports(2))
        assert tx._whole is None
        tx = nft.transaction().add_dnat_rules("t", "pre", [(9000, "172.17.0.9", 90)]).delete_table("t")
        assert tx._whole is not None and tx._whole[1] != len(tx.items)
        tx.commit()                                 # the items added after went too
        assert ("ip", "t") not in nft.ruleset()
