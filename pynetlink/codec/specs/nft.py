"""nf_tables over nfnetlink (NETLINK_NETFILTER): tables, chains, rules, sets, generations.

Every message carries a 4-byte ``struct nfgenmsg``; every integer attribute is big endian.
Expressions (``NFTA_EXPR_DATA``) are sub-messages chosen by their sibling ``NFTA_EXPR_NAME``.
"""
from __future__ import annotations

from ..._native import lib
from ..schema import AttrSet, Family, MessageKind, nest, u32, u64
from . import control_messages, extack_set, frozen, submsgs, ynl_sets

NFGENMSG = 4
NETLINK_NETFILTER = 12
SUBSYS = int(lib.NFNL_SUBSYS_NFTABLES)


def _extra_sets() -> list[AttrSet]:
    """Expressions YNL does not describe yet (names as in <linux/netfilter/nf_tables.h>)."""
    return [
        AttrSet("expr-masq-attrs", "NFTA_MASQ_", [
            u32("flags", be=True), u32("reg-proto-min", be=True), u32("reg-proto-max", be=True)]),
        AttrSet("expr-redir-attrs", "NFTA_REDIR_", [
            u32("reg-proto-min", be=True), u32("reg-proto-max", be=True), u32("flags", be=True)]),
        AttrSet("expr-range-attrs", "NFTA_RANGE_", [
            u32("sreg", be=True), u32("op", be=True), nest("from-data", "data-attrs"),
            nest("to-data", "data-attrs")]),
        # YNL leaves the counters' byte order out: the kernel writes them big endian
        AttrSet("expr-counter-attrs", "NFTA_COUNTER_", [u64("bytes", be=True), u64("packets", be=True)]),
        extack_set(),
    ]


_EXPR_OPS_EXTRA = {"masq": "expr-masq-attrs", "redir": "expr-redir-attrs", "range": "expr-range-attrs"}

# message kind -> attribute set of its top level
_ROOTS = {"TABLE": "table-attrs", "CHAIN": "chain-attrs", "RULE": "rule-attrs", "SET": "set-attrs",
          "SETELEM": "setelem-list-attrs", "GEN": "gen-attrs", "OBJ": "obj-attrs"}


def msg_type(name: str) -> int:
    """The nlmsg_type of an nf_tables message, e.g. ``msg_type("NEWRULE")``."""
    return SUBSYS << 8 | int(getattr(lib, "NFT_MSG_" + name))


def _messages() -> list[MessageKind]:
    out = []
    for obj, root in _ROOTS.items():
        for verb in ("NEW", "GET", "DEL"):
            if hasattr(lib, f"NFT_MSG_{verb}{obj}"):
                out.append(MessageKind(msg_type(verb + obj), NFGENMSG, root))
    out.append(MessageKind(int(lib.NFNL_MSG_BATCH_BEGIN), NFGENMSG, "batch-attrs"))
    out.append(MessageKind(int(lib.NFNL_MSG_BATCH_END), NFGENMSG, "batch-attrs"))
    return out + control_messages()


def build() -> Family:
    """nf_tables' family from the YNL spec, the sets above and the headers (what _tables.py freezes)."""
    extra = _extra_sets()
    replaced = {s.name for s in extra}
    sub = submsgs("nftables")
    return Family(
        "nf_tables",
        [s for s in ynl_sets("nftables") if s.name not in replaced] + extra,
        {"expr-ops": {**sub["expr-ops"], **_EXPR_OPS_EXTRA}, "obj-data": sub["obj-data"]},
        _messages(),
    )


NFT = frozen("NFT") or build()

TABLE = NFT.sets["table-attrs"]
CHAIN = NFT.sets["chain-attrs"]
HOOK = NFT.sets["nft-hook-attrs"]
RULE = NFT.sets["rule-attrs"]
EXPR = NFT.sets["expr-attrs"]
SET = NFT.sets["set-attrs"]
SETELEM_LIST = NFT.sets["setelem-list-attrs"]
SETELEM = NFT.sets["setelem-attrs"]
SETELEM_LIST_ELEM = NFT.sets["setelem-list-elem-attrs"]
SET_DESC = NFT.sets["set-desc-attrs"]
DATA = NFT.sets["data-attrs"]
VERDICT = NFT.sets["verdict-attrs"]
GEN = NFT.sets["gen-attrs"]
EXTACK = NFT.sets["extack-attrs"]

__all__ = ["NFT", "NFGENMSG", "NETLINK_NETFILTER", "SUBSYS", "msg_type", "TABLE", "CHAIN", "HOOK",
           "RULE", "EXPR", "SET", "SETELEM_LIST", "SETELEM", "SETELEM_LIST_ELEM", "SET_DESC", "DATA",
           "VERDICT", "GEN", "EXTACK"]
