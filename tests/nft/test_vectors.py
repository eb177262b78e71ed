"""The bytes `nft` sends (shared/vectors, group nft) are what our programs write, and the
kernel's replies (rule echo, rule dumps, errors) decode into our structured form."""
from __future__ import annotations

import json
from typing import Any

import pytest

from pynetlink.codec import decode, encode
from pynetlink.codec.specs.nft import EXTACK, NFT, msg_type
from pynetlink.nft import Chain, Dnat, Ip, Masquerade, Meta, Rule, Snat, Tcp
from pynetlink.nft import messages as M
from pynetlink.nft.ruleset import decode_chain, decode_rule

from ..codec._vectors import VECTORS_FILE

VECTORS = VECTORS_FILE

MASQ = Rule([Ip.saddr("172.17.0.0/16"), Meta.oifname != "docker0"], [Masquerade()])
SNAT = Rule([Meta.oifname("veth0")], [Snat("192.0.2.1")])
DNAT = Rule([Tcp.dport(8080)], [Dnat("172.17.0.2", 80)])
DNAT_ECHO = Rule([Meta.iifname("veth0"), Tcp.dport(8443)], [Dnat("172.17.0.3", 443)])
POST = Chain("POSTROUTING", "nat", "postrouting", 100)
PRE = Chain("PREROUTING", "nat", "prerouting", -100)


@pytest.fixture(scope="module")
def vectors() -> dict[str, dict[str, Any]]:
    with open(VECTORS) as f:
        return {v["id"]: v for v in json.load(f)}


def normalized(vec: dict[str, Any], data: bytes) -> bytes:
    """Our bytes with the vector's volatile ranges zeroed (sequence numbers, handles)."""
    out = bytearray(data)
    for r in vec["volatile"]:
        out[r["offset"]:r["offset"] + r["len"]] = bytes(r["len"])
    return bytes(out)


def batch(*members: M.Item) -> list[M.Item]:
    return [M.batch_begin(), *members, M.batch_end()]


CASES = {
    "nft.add.table#3.req": lambda: batch(M.add_table("ip", "nat", ack=False)),
    "nft.add.chain_postrouting#4.req": lambda: batch(M.add_chain("ip", "nat", POST, ack=False)),
    "nft.add.chain_prerouting#4.req": lambda: batch(M.add_chain("ip", "nat", PRE, ack=False)),
    "nft.add.rule_masquerade#8.req": lambda: batch(M.add_rule("ip", "nat", "POSTROUTING", MASQ, ack=False)),
    "nft.add.rule_dnat_echo#9.req": lambda: batch(
        M.add_rule("ip", "nat", "PREROUTING", DNAT_ECHO, ack=False, echo=True)),
    "nft.delete.rule#8.req": lambda: batch(M.delete_rule("ip", "nat", "POSTROUTING", 2, ack=False)),
    "nft.delete.table#8.req": lambda: batch(M.delete_table("ip", "nat", ack=False)),
    "err.nft.delete_table_missing#8.req": lambda: batch(M.delete_table("ip", "nosuch", ack=False)),
    "err.nft.masquerade_in_filter#9.req": lambda: batch(
        M.add_rule("ip", "filt", "out", Rule([], [Masquerade()]), ack=False)),
    "nft.file.batch#7.req": lambda: batch(
        M.add_table("ip", "nat", ack=False), M.add_chain("ip", "nat", POST, ack=False),
        M.add_rule("ip", "nat", "POSTROUTING", MASQ, ack=False),
        M.add_rule("ip", "nat", "POSTROUTING", SNAT, ack=False),
        M.add_chain("ip", "nat", PRE, ack=False), M.add_rule("ip", "nat", "PREROUTING", DNAT, ack=False)),
}


@pytest.mark.parametrize("vid", sorted(CASES))
def test_encode_reproduces_nft(vectors: dict[str, dict[str, Any]], vid: str) -> None:
    vec = vectors[vid]
    ours = encode(CASES[vid](), 0).tobytes()
    assert normalized(vec, ours).hex() == vec["normalized_hex"]


def test_request_vectors_decode_back_to_rules(vectors: dict[str, dict[str, Any]]) -> None:
    rows = decode(bytes.fromhex(vectors["nft.file.batch#7.req"]["hex"]), NFT)
    rules = [decode_rule(rows, m, "ip") for m in rows.messages() if rows.type(m) == msg_type("NEWRULE")]
    chains = [decode_chain(rows, m) for m in rows.messages() if rows.type(m) == msg_type("NEWCHAIN")]
    assert rules == [MASQ, SNAT, DNAT]
    assert chains == [POST, PRE]


def test_echo_reply_decodes_to_the_rule(vectors: dict[str, dict[str, Any]]) -> None:
    rows = decode(bytes.fromhex(vectors["nft.add.rule_dnat_echo#9.rep1"]["hex"]), NFT)
    (m,) = list(rows.messages())
    rule = decode_rule(rows, m, "ip")
    assert rule == DNAT_ECHO and rule.handle == 6
    gen = decode(bytes.fromhex(vectors["nft.add.rule_dnat_echo#9.rep2"]["hex"]), NFT)
    (g,) = list(gen.messages())
    assert gen.tree(g) == {"id": 8, "proc-pid": 32706, "proc-name": "nft"}


def test_rule_dump_decodes(vectors: dict[str, dict[str, Any]]) -> None:
    rows = decode(bytes.fromhex(vectors["nft.list.ruleset#7.rep1"]["hex"]), NFT)
    rules = [decode_rule(rows, m, "ip") for m in rows.messages()]
    assert MASQ in rules and SNAT in rules and DNAT in rules
    assert all(r.handle for r in rules)
    assert not any(type(s).__name__ == "Raw" for r in rules for s in r.stmt)


def test_chain_dump_decodes(vectors: dict[str, dict[str, Any]]) -> None:
    rows = decode(bytes.fromhex(vectors["nft.list.ruleset#3.rep1"]["hex"]), NFT)
    assert [decode_chain(rows, m) for m in rows.messages()] == [POST, PRE]


# decoded.md section 11 (err.nft.delete_rule_missing#8.rep1; not in the vectors.json subset)
DELETE_RULE_MISSING_REPLY = (
    "54000000020000020100000011050000feffffff38000000080a010001000000000000000200000008000100"
    "6e61740010000200504f5354524f5554494e47000c000300000000000000270f080002002c000000")


@pytest.mark.parametrize("vid, errno_, offs", [
    ("err.nft.delete_rule_missing#8.rep1", -2, 44),
    ("err.nft.delete_table_missing#8.rep1", -2, 20),
    ("err.nft.masquerade_in_filter#9.rep1", -95, None),
])
def test_error_replies_decode(vectors: dict[str, dict[str, Any]], vid: str, errno_: int,
                              offs: int | None) -> None:
    raw = vectors[vid]["hex"] if vid in vectors else DELETE_RULE_MISSING_REPLY
    rows = decode(bytes.fromhex(raw), NFT)
    (m,) = list(rows.messages())
    assert int.from_bytes(rows.header(m, 4), "little", signed=True) == errno_
    assert rows.get_u(m, EXTACK["offs"]) == offs


def test_extack_offset_names_the_field(vectors: dict[str, dict[str, Any]]) -> None:
    """The kernel's offset (44 -> NFTA_RULE_HANDLE) maps back to our program's field."""
    enc = encode(batch(M.delete_rule("ip", "nat", "POSTROUTING", 9999, ack=False)), 0)
    assert enc.field_at(1, 44) == "handle"
    enc = encode(CASES["err.nft.delete_table_missing#8.req"](), 0)
    assert enc.field_at(1, 20) == "name"
