"""Fuzzing the Python readers of decoded replies: views and the nftables parsers.

Mutated real replies (and random attributes behind real headers) are decoded; every message
then goes through its reader: every property of its view and ``to_dict()``, or the nftables
rule/chain/set/element parser. Malformed content may only raise DecodeError (never IndexError,
ValueError, struct.error, OSError, ...). Runs under ASan too (tools/asan-tests).
"""
from __future__ import annotations

import struct
from typing import Any, Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pynetlink._native import lib
from pynetlink.codec import Family
from pynetlink.codec.rows import Rows, decode
from pynetlink.codec.specs.rtnl import RTNL
from pynetlink.errors import DecodeError

from ._strategies import examples
from ._vectors import nft_family
from .test_fuzz import CORPUS, SETTINGS, mutated

NFT = nft_family()


def _readers() -> dict[tuple[Family, int], Callable[[Rows, int], Any]]:
    from pynetlink.rtnl.addresses import AddressView
    from pynetlink.rtnl.kinds import view_of
    from pynetlink.rtnl.neigh import NeighbourView
    from pynetlink.rtnl.nexthops import NexthopObjectView
    from pynetlink.rtnl.routes import RouteView
    from pynetlink.rtnl.rules import RuleView

    def view(make: Callable[[Rows, int], Any]) -> Callable[[Rows, int], Any]:
        def read(rows: Rows, m: int) -> Any:
            v = make(rows, m)
            for name in dir(type(v)):
                if isinstance(getattr(type(v), name, None), property):
                    getattr(v, name)
            return v.to_dict()
        return read

    out: dict[tuple[Family, int], Callable[[Rows, int], Any]] = {
        (RTNL, lib.RTM_NEWLINK): view(view_of),
        (RTNL, lib.RTM_NEWADDR): view(AddressView),
        (RTNL, lib.RTM_NEWROUTE): view(RouteView),
        (RTNL, lib.RTM_NEWNEIGH): view(NeighbourView),
        (RTNL, lib.RTM_NEWRULE): view(RuleView),
        (RTNL, lib.RTM_NEWNEXTHOP): view(NexthopObjectView),
    }
    if NFT is not None:
        from pynetlink.nft.ruleset import _assemble, decode_chain, decode_elements_msg, decode_rule, decode_set
        from pynetlink.nft.validate import FAMILIES

        def rule(rows: Rows, m: int) -> Any:
            for fam in FAMILIES:
                r = decode_rule(rows, m, fam)
                r.ops("ip") if fam == "ip" else None
            return r

        def nft_type(name: str) -> int:
            return (lib.NFNL_SUBSYS_NFTABLES << 8) | int(getattr(lib, f"NFT_MSG_{name}"))

        out[(NFT, nft_type("NEWRULE"))] = rule
        out[(NFT, nft_type("NEWCHAIN"))] = decode_chain
        out[(NFT, nft_type("NEWSET"))] = decode_set
        out[(NFT, nft_type("NEWSETELEM"))] = decode_elements_msg
        out[(NFT, nft_type("NEWTABLE"))] = lambda rows, m: _assemble(rows, rows, rows)
    return out


READERS = _readers()


def read_all(data: bytes, fam: Family) -> None:
    try:
        rows = decode(data, fam)
    except DecodeError:
        return
    for m in rows.messages():
        reader = READERS.get((fam, rows.type(m)))
        if reader is None:
            continue
        try:
            reader(rows, m)
        except DecodeError:
            pass


@pytest.mark.skipif(not CORPUS, reason="no test vectors")
def test_every_vector_reads() -> None:
    """The real replies read without any error (the readers are not just refusing)."""
    for data, fam in CORPUS:
        rows = decode(data, fam)
        for m in rows.messages():
            reader = READERS.get((fam, rows.type(m)))
            if reader is not None:
                reader(rows, m)


@settings(max_examples=examples(1500), **SETTINGS)
@given(case=mutated())
def test_mutated_replies_read_or_decode_error(case: tuple[bytes, Family]) -> None:
    read_all(*case)


@st.composite
def attrs_behind_real_headers(draw: Any) -> tuple[bytes, Family]:
    """A real message's fixed header, then random attributes of the types its readers know."""
    keys = list(READERS)
    fam, msg_type = draw(st.sampled_from(keys))
    hdr = {lib.RTM_NEWLINK: 16, lib.RTM_NEWADDR: 8, lib.RTM_NEWROUTE: 12, lib.RTM_NEWNEIGH: 12,
           lib.RTM_NEWRULE: 12, lib.RTM_NEWNEXTHOP: 8}.get(msg_type, 4)
    header = bytearray(draw(st.binary(min_size=hdr, max_size=hdr)))
    if fam is RTNL and msg_type != lib.RTM_NEWLINK:
        header[0] = draw(st.sampled_from([2, 10, 7, 0]))     # AF_INET, AF_INET6, AF_BRIDGE, other
    body = b""
    for _ in range(draw(st.integers(0, 8))):
        t = draw(st.integers(0, 40))
        payload = draw(st.binary(max_size=20))
        if draw(st.booleans()):                            # a nest of random children
            inner = b""
            for _ in range(draw(st.integers(0, 4))):
                p = draw(st.binary(max_size=12))
                inner += struct.pack("=HH", 4 + len(p), draw(st.integers(0, 40))) + p + bytes(-len(p) % 4)
            payload = inner
        body += struct.pack("=HH", 4 + len(payload), t | (0x8000 if draw(st.booleans()) else 0))
        body += payload + bytes(-len(payload) % 4)
    msg = bytes(header) + body
    return struct.pack("=IHHII", 16 + len(msg), msg_type, 0, 1, 0) + msg, fam


@settings(max_examples=examples(1500), **SETTINGS)
@given(case=attrs_behind_real_headers())
def test_random_attributes_read_or_decode_error(case: tuple[bytes, Family]) -> None:
    read_all(*case)


def test_wrong_length_address_is_a_decode_error() -> None:
    """IFA_ADDRESS of 5 bytes: not an address of any family."""
    body = struct.pack("=BBBBI", 2, 24, 0, 0, 1) + struct.pack("=HH", 9, lib.IFA_ADDRESS) + b"\x01" * 5 + bytes(3)
    data = struct.pack("=IHHII", 16 + len(body), lib.RTM_NEWADDR, 0, 1, 0) + body
    from pynetlink.rtnl.addresses import AddressView
    rows = decode(data, RTNL)
    with pytest.raises(DecodeError, match="address"):
        AddressView(rows, 0).address


def _rule_rows(rule: Any) -> tuple[Rows, int]:
    """A NEWRULE message for ``rule`` (as nft lists it back), decoded."""
    from pynetlink._native import ffi
    from pynetlink.codec import encode
    from pynetlink.nft import messages
    enc = encode([messages.add_rule("ip", "t", "c", rule)], 1)
    data = bytes(ffi.buffer(enc.buf, enc.length))
    assert NFT is not None
    rows = decode(data, NFT)
    return rows, next(iter(rows.messages()))


@pytest.mark.skipif(NFT is None, reason="no nftables schema")
def test_empty_comparison_payload_in_a_rule_is_a_decode_error_or_raw() -> None:
    """A cmp expression whose NFTA_DATA_VALUE is empty: the parser must not index past it."""
    from pynetlink.codec.specs.nft import DATA
    from pynetlink.nft import Rule, Tcp
    from pynetlink.nft.ruleset import decode_rule
    rows, m = _rule_rows(Rule([Tcp.dport(80)], []))
    values = [r for r in range(rows.count) if rows.type(r) == DATA["value"] and rows.parent[r] > m]
    assert values
    for r in values:
        rows.len[r] = 0                                    # every data value empty
    try:
        rule = decode_rule(rows, m, "ip")
    except DecodeError:
        return
    text = " ".join(str(x) for x in (*rule.match, *rule.stmt))   # kept raw: no made-up port
    assert "dport 80" not in text
