"""The C side of the bulk publications (csrc/ports.c: addresses parsed, rows packed) and the
memoized messages (tables, chains, rules with a comment, element list heads): malformed
input is refused without a crash, memoized messages equal freshly built ones, and the same
memoized messages reused across tables and namespaces make what `nft -j` lists."""
from __future__ import annotations

import random
import shutil
import socket
import struct
from typing import Any

import pytest

from pynetlink._native import ffi, lib
from pynetlink.codec.program import encode
from pynetlink.errors import InvalidArgument
from pynetlink.nft import Chain, Ip, Masquerade, Meta, Nftables, Publish, Rule, Table
from pynetlink.nft import bulk
from pynetlink.nft import messages as msg

from .test_live import nft_rules

EINVAL = -22
_PROTO = {"tcp": 6, "udp": 17}


def rows(fmt: bytes, consts: bytes, n: int, cols: int | None = None, cap: int | None = None) -> int:
    m = n if cols is None else cols
    out = bytearray(64 * n if cap is None else cap)
    host = ffi.new("uint16_t[]", max(m, 1))
    to_port = ffi.new("uint16_t[]", max(m, 1))
    return int(lib.pnl_port_rows(fmt, consts, len(consts), n, bytes(max(m, 1)), host, bytes(4 * max(m, 1)),
                                 to_port, ffi.from_buffer(out), len(out)))


def test_port_rows_refuses_bad_formats_and_short_output() -> None:
    assert rows(b"phat", b"", 3) == 9
    assert rows(b"cczp", b"ab", 3) == 4
    assert rows(b"px", b"", 3) == EINVAL                    # an unknown field
    assert rows(b"cc", b"a", 3) == EINVAL                   # consts shorter than the format
    assert rows(b"c", b"ab", 3) == EINVAL                   # ... or longer
    assert rows(b"", b"", 3) == EINVAL                      # an empty row
    assert rows(b"a" * 129, b"", 1) == EINVAL               # past the row template (512 bytes)
    assert rows(b"phat", b"", 3, cap=26) == EINVAL          # out too small for 3 rows of 9
    assert int(lib.pnl_port_rows(b"h", b"", 0, 1, ffi.NULL, ffi.NULL, ffi.NULL, ffi.NULL,
                                 ffi.new("uint8_t[]", 8), 8)) == EINVAL      # a column missing


def reference(pubs: list[tuple[Any, ...]]) -> tuple[bytes, list[tuple[bytes, bytes]]]:
    """DNAT rows (proto, host, to, to_port) and map (key, value) pairs packed with struct."""
    proto = [_PROTO[p[3]] if len(p) > 3 else 6 for p in pubs]
    to_port = [p[0] if p[2] is None else p[2] for p in pubs]
    raw = [socket.inet_aton(p[1]) for p in pubs]
    dnat = b"".join(struct.pack(">BH4sH", pr, p[0], a, t) for pr, p, a, t in zip(proto, pubs, raw, to_port))
    pairs = [(struct.pack(">BxxxHxx", pr, p[0]), struct.pack(">4sHxx", a, t))
             for pr, p, a, t in zip(proto, pubs, raw, to_port)]
    return dnat, pairs


@pytest.mark.parametrize("n", [1, 2, 199, 600])
def test_columns_pack_what_struct_packs(n: int) -> None:
    rnd = random.Random(n)
    pubs: list[tuple[Any, ...]] = [
        (rnd.randint(1, 65535), ".".join(str(rnd.randint(0, 255)) for _ in range(4)),
         rnd.choice([None, rnd.randint(1, 65535)]), rnd.choice(["tcp", "udp"])) for _ in range(n)]
    cols = bulk.columns(pubs)
    assert cols is not None
    dnat, pairs = reference(pubs)
    assert cols.rows(["proto", "host", "to", "to_port"]) == dnat
    assert cols.elements() == pairs
    assert cols.element_lists() == [b"".join(msg.element_heads(8, 8)[0] + k + msg.element_heads(8, 8)[1] + v
                                             for k, v in pairs[i:i + 512]) for i in range(0, n, 512)]
    assert cols.unique() == (len({(p[3], p[0]) for p in pubs}) == n)


@pytest.mark.parametrize("bad", [
    (0, "172.17.0.2", 80), (65536, "172.17.0.2", 80), (-1, "172.17.0.2", 80), (True, "172.17.0.2", 80),
    (8000, "172.17.0.2", 0), (8000, "172.17.0.2", 1.5), (8000, "172.17.0.02", 80), (8000, "172.17.0.2\n", 80),
    (8000, "172.17.0.2\x00", 80), (8000, "172.17.0", 80), (8000, "", 80), (8000, b"172.17.0.2", 80),
    (8000, "172.17.0.2 ", 80), (8000, "\u0661.2.3.4", 80), (8000, "172.17.0.2", 80, "sctp"),
], ids=repr)
def test_columns_leave_what_publish_refuses_to_the_per_object_way(bad: tuple[Any, ...]) -> None:
    """A tuple the columns do not take goes one by one, where ``Publish`` names what is wrong."""
    assert bulk.columns([(8000, "172.17.0.3", 80), bad]) is None
    with pytest.raises(InvalidArgument):
        Publish(*bad)


def test_columns_take_ipv4_only_and_whole_lists() -> None:
    assert bulk.columns([(8000, "2001:db8::1", 80)]) is None         # IPv6: per object
    assert bulk.columns(iter([(8000, "172.17.0.2", 80)])) is None     # a generator: read once
    assert bulk.columns([(8000, "172.17.0.2", 80), (8001, "172.17.0.3")]) is None
    cols = bulk.columns([(8000, "172.17.0.2", None)])
    assert cols is not None and list(cols.to_port) == [8000]


def test_memoized_messages_equal_fresh_ones() -> None:
    """Tables, chains, rules with a comment and element list heads, built again from the
    memo, encode to the bytes a fresh build makes (memos cleared in between)."""
    post = Chain("POSTROUTING", "nat", "postrouting", 100)
    rule = Rule([Ip.saddr("172.17.0.0/16"), Meta.oifname != "br0"], [Masquerade()], comment="masq")

    def build() -> bytes:
        items = [msg.add_table("ip", "t", exist_ok=False), msg.add_chain("ip", "t", post),
                 msg.add_chain("ip", "t", Chain("x")), msg.add_rule("ip", "t", "POSTROUTING", rule),
                 msg.add_rule("ip", "u", "POSTROUTING", rule), *msg.element_lists("add", "ip", "t", "s", [b"\1" * 36])]
        return encode(items, 5).tobytes()
    first, again = build(), build()
    for memo in (msg._MADE, msg._BY_RULE, msg._LISTS):
        memo.clear()
    assert first == again == build()
    # different inputs, different messages (no key collision)
    assert encode([msg.add_table("ip", "t")], 1).tobytes() != encode([msg.add_table("ip", "t", exist_ok=False)], 1).tobytes()
    assert encode([msg.add_rule("ip", "t", "a", rule)], 1).tobytes() != encode([msg.add_rule("ip", "t", "b", rule)], 1).tobytes()


@pytest.mark.root
@pytest.mark.kernel("nft_nat")
@pytest.mark.skipif(shutil.which("nft") is None, reason="needs the nft tool (Debian nftables)")
def test_memoized_messages_make_each_table_in_each_namespace(make_netns: Any) -> None:
    """One Rule object (with a comment) and the same chains in two tables of two namespaces,
    twice: every table lists its own rules and chains (`nft -j`), none another's."""
    rule = Rule([Ip.saddr("172.17.0.0/16"), Meta.oifname != "br0"], [Masquerade()], comment="masq here")
    one, two = make_netns(), make_netns()
    for _ in range(2):
        for ns in (one, two):
            with Nftables(ns) as nft:
                for name in ("a", "b"):
                    nft.apply(Table(name, "ip", [Chain("post", "nat", "postrouting", 100, rules=[rule]),
                                                 Chain("pre", "nat", "prerouting", -100)]))
                    nft.transaction().add_dnat_rules(name, "pre", [(8000, "172.17.0.2", 80)]).commit()
                got = sorted((r["table"], r["chain"], r.get("comment")) for r in nft_rules(ns))
                assert got == [("a", "post", "masq here"), ("a", "pre", None),
                               ("b", "post", "masq here"), ("b", "pre", None)]
                assert nft.table("a") == Table(
                    "a", "ip", [Chain("post", "nat", "postrouting", 100, rules=[rule]),
                                Chain("pre", "nat", "prerouting", -100, rules=[
                                    bulk.dnat_rule(Publish(8000, "172.17.0.2", 80))])])
                nft.delete_table("a")
                nft.delete_table("b")


def test_native_gateways_check_their_columns() -> None:
    """``_native.port_rows`` refuses columns of different lengths before C reads any (it reads ``len(host)`` of each)."""
    from array import array

    from pynetlink import _native
    host, port = array("H", [1, 2]), array("H", [3, 4])
    assert _native.port_rows(b"pht", 5, b"", b"\6\21", host, bytes(8), port) == bytes.fromhex("0600010003" "1100020004")
    for bad in ((b"\6", host, bytes(8), port), (b"\6\6", host, bytes(4), port), (b"\6\6", host, bytes(9), port),
                (b"\6\6", host, bytes(8), array("H", [3]))):
        with pytest.raises(ValueError):
            _native.port_rows(b"pht", 5, b"", *bad)
    with pytest.raises(ValueError):
        _native.port_rows(b"pht", 6, b"", b"\6\6", host, bytes(8), port)         # the row is 5 bytes
