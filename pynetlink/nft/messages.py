"""Request programs for nf_tables messages, compiled once per shape and cached.

Each builder returns ``(program, values)`` ready for ``NetlinkSocket.transact``. Flags
follow nft (tables: REQUEST; chains: CREATE; rules: CREATE|APPEND) plus NLM_F_ACK, so every
member of a transaction reports its own result; ``ack=False`` gives nft's exact bytes.
"""
from __future__ import annotations

from functools import lru_cache
from typing import Any, Sequence

from .._native import lib
from ..codec.program import Compiled, Program
from ..codec.specs.nft import SUBSYS, msg_type
from . import ops as _ops
from .ops import Attr, Op
from .rule import HOOKS, POLICIES, Chain, Rule
from .validate import FAMILIES

Item = tuple[Compiled, Sequence[Any]]
NAME = 256                      # NFT_NAME_MAXLEN
REQ = int(lib.NLM_F_REQUEST)
RES_ID = SUBSYS.to_bytes(2, "big")


def _flags(base: int, ack: bool, excl: bool = False, echo: bool = False) -> int:
    return (REQ | base | (lib.NLM_F_ACK if ack else 0) | (lib.NLM_F_EXCL if excl else 0)
            | (lib.NLM_F_ECHO if echo else 0))


def _head(family: str) -> list[Any]:
    return [FAMILIES[family], 0, b"\0\0"]


# -- batch framing ------------------------------------------------------------------------------
@lru_cache(maxsize=None)
def _batch(kind: int, with_genid: bool) -> Compiled:
    p = Program("batch begin" if kind == lib.NFNL_MSG_BATCH_BEGIN else "batch end", kind, REQ)
    p.fixed("nfgenmsg", "BB2s")
    if with_genid:
        p.int(lib.NFNL_BATCH_GENID, "genid", 4, big_endian=True)
    return p.compile()


def batch_begin(genid: int | None = None) -> Item:
    """BATCH_BEGIN; with ``genid`` the kernel refuses the batch (ERESTART) if the ruleset changed."""
    values: list[Any] = [0, 0, RES_ID]
    if genid is not None:
        values.append(genid)
    return _batch(int(lib.NFNL_MSG_BATCH_BEGIN), genid is not None), values


def batch_end() -> Item:
    return _batch(int(lib.NFNL_MSG_BATCH_END), False), [0, 0, RES_ID]


# -- tables -------------------------------------------------------------------------------------
@lru_cache(maxsize=None)
def _table(verb: str, ack: bool, excl: bool) -> Compiled:
    p = Program(f"{verb} table", msg_type("NEWTABLE" if verb == "add" else "DELTABLE"), _flags(0, ack, excl))
    p.fixed("nfgenmsg", "BB2s").string(lib.NFTA_TABLE_NAME, "name", NAME)
    if verb == "add":
        p.int(lib.NFTA_TABLE_FLAGS, "flags", 4, big_endian=True)
    return p.compile()


def add_table(family: str, name: str, *, ack: bool = True, exist_ok: bool = True) -> Item:
    return _table("add", ack, not exist_ok), _head(family) + [name.encode(), 0]


def delete_table(family: str, name: str, *, ack: bool = True) -> Item:
    return _table("delete", ack, False), _head(family) + [name.encode()]


# -- chains -------------------------------------------------------------------------------------
@lru_cache(maxsize=None)
def _chain(base: bool, policy: bool, ack: bool, excl: bool) -> Compiled:
    p = Program("add chain", msg_type("NEWCHAIN"), _flags(lib.NLM_F_CREATE, ack, excl))
    p.fixed("nfgenmsg", "BB2s").string(lib.NFTA_CHAIN_TABLE, "table", NAME)
    p.string(lib.NFTA_CHAIN_NAME, "name", NAME)
    if base:
        p.string(lib.NFTA_CHAIN_TYPE, "type", 16)
        p.nest(lib.NFTA_CHAIN_HOOK, "hook", nested_flag=True)
        p.int(lib.NFTA_HOOK_HOOKNUM, "hooknum", 4, big_endian=True)
        p.int(lib.NFTA_HOOK_PRIORITY, "priority", 4, big_endian=True, signed=True).end()
    if policy:
        p.int(lib.NFTA_CHAIN_POLICY, "policy", 4, big_endian=True)
    return p.compile()


def add_chain(family: str, table: str, chain: Chain, *, ack: bool = True, exist_ok: bool = True) -> Item:
    values = _head(family) + [table.encode(), chain.name.encode()]
    policy = chain.base and chain.policy != "accept"
    if chain.base:
        assert chain.type is not None and chain.hook is not None
        values += [chain.type.encode(), HOOKS[chain.hook], chain.priority]
    if policy:
        assert chain.policy is not None
        values.append(POLICIES[chain.policy])
    return _chain(chain.base, policy, ack, not exist_ok), values


@lru_cache(maxsize=None)
def _chain_del(ack: bool) -> Compiled:
    return (Program("delete chain", msg_type("DELCHAIN"), _flags(0, ack)).fixed("nfgenmsg", "BB2s")
            .string(lib.NFTA_CHAIN_TABLE, "table", NAME).string(lib.NFTA_CHAIN_NAME, "name", NAME).compile())


def delete_chain(family: str, table: str, chain: str, *, ack: bool = True) -> Item:
    return _chain_del(ack), _head(family) + [table.encode(), chain.encode()]


# -- rules --------------------------------------------------------------------------------------
@lru_cache(maxsize=4096)
def _rule(shape: tuple[tuple[str, tuple[Attr, ...]], ...], userdata: bool, ack: bool, echo: bool) -> Compiled:
    p = Program("add rule", msg_type("NEWRULE"), _flags(lib.NLM_F_CREATE | lib.NLM_F_APPEND, ack, echo=echo))
    p.fixed("nfgenmsg", "BB2s").string(lib.NFTA_RULE_TABLE, "table", NAME)
    p.string(lib.NFTA_RULE_CHAIN, "chain", NAME)
    if userdata:
        p.var(lib.NFTA_RULE_USERDATA, "comment", 256)
    p.nest(lib.NFTA_RULE_EXPRESSIONS, "expressions", nested_flag=True)
    _ops.emit(p, [Op(name, attrs, ()) for name, attrs in shape])
    return p.end().compile()


def add_rule(family: str, table: str, chain: str, rule: Rule, *, ack: bool = True,
             echo: bool = False) -> Item:
    """NEWRULE appending ``rule`` to ``table``/``chain`` (program cached per rule shape)."""
    exprs = rule.ops(family)
    userdata = rule.userdata()
    prog = _rule(tuple(o.shape for o in exprs), bool(userdata), ack, echo)
    values = _head(family) + [table.encode(), chain.encode()]
    if userdata:
        values.append(userdata)
    return prog, values + _ops.values(exprs)


@lru_cache(maxsize=None)
def _rule_del(chain: bool, handle: bool, ack: bool) -> Compiled:
    p = Program("delete rule", msg_type("DELRULE"), _flags(0, ack)).fixed("nfgenmsg", "BB2s")
    p.string(lib.NFTA_RULE_TABLE, "table", NAME)
    if chain:
        p.string(lib.NFTA_RULE_CHAIN, "chain", NAME)
    if handle:
        p.int(lib.NFTA_RULE_HANDLE, "handle", 8, big_endian=True)
    return p.compile()


def delete_rule(family: str, table: str, chain: str, handle: int, *, ack: bool = True) -> Item:
    return _rule_del(True, True, ack), _head(family) + [table.encode(), chain.encode(), handle]


def flush(family: str, table: str, chain: str | None = None, *, ack: bool = True) -> Item:
    """DELRULE without a handle: every rule of the table (or of one chain)."""
    values = _head(family) + [table.encode()] + ([chain.encode()] if chain is not None else [])
    return _rule_del(chain is not None, False, ack), values


# -- reads --------------------------------------------------------------------------------------
@lru_cache(maxsize=None)
def _dump(what: str) -> Compiled:
    return (Program(f"list {what.lower()}s", msg_type("GET" + what), REQ | lib.NLM_F_DUMP, dump=True)
            .fixed("nfgenmsg", "BB2s").compile())


def dump(what: str, family: int = 0) -> Item:
    """A dump of TABLE, CHAIN or RULE objects (family 0: all families)."""
    return _dump(what), [family, 0, b"\0\0"]


@lru_cache(maxsize=None)
def _getgen() -> Compiled:
    return Program("get generation", msg_type("GETGEN"), REQ, reply=True).fixed("nfgenmsg", "BB2s").compile()


def get_generation() -> Item:
    return _getgen(), [0, 0, b"\0\0"]


__all__ = ["Item", "batch_begin", "batch_end", "add_table", "delete_table", "add_chain", "delete_chain",
           "add_rule", "delete_rule", "flush", "dump", "get_generation"]
