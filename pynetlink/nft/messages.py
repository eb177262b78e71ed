"""Request programs for nf_tables messages, compiled once per shape and cached.

Each builder returns ``(program, values)`` ready for ``NetlinkSocket.transact``. Flags
follow nft (tables: REQUEST; chains: CREATE; rules: CREATE|APPEND) plus NLM_F_ACK, so every
member of a transaction reports its own result; ``ack=False`` gives nft's exact bytes.
"""
from __future__ import annotations

import struct
from functools import lru_cache

from .._native import lib
from ..codec.program import Compiled, Program
from ..codec.specs.nft import SUBSYS, msg_type
from . import ops as _ops
from .ops import Op
from .sets import VERDICT_TYPE, Element, Map, NamedSet, type_id, type_len
from .validate import FAMILIES

TYPE_CHECKING = False       # typing is not imported at run time
if TYPE_CHECKING:      # rule (match, stmt) is loaded by whoever builds a Chain or Rule
    from typing import Any, Sequence
    from .rule import Chain, Rule
else:
    from .._lighttyping import Any, Sequence

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


def add_table(family: str, name: str, *, ack: bool = True, exist_ok: bool = True, flags: int = 0) -> Item:
    """NEWTABLE; ``flags``: NFT_TABLE_F_OWNER (the table lives as long as this socket), ..."""
    return _table("add", ack, not exist_ok), _head(family) + [name.encode(), flags]


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
    from .rule import HOOKS, POLICIES
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
def _rule(shape: tuple[int, ...], userdata: bool, ack: bool, echo: bool,
          append: bool = True, position: bool = False) -> Compiled:
    p = Program("add rule", msg_type("NEWRULE"),
                _flags(lib.NLM_F_CREATE | (lib.NLM_F_APPEND if append else 0), ack, echo=echo))
    p.fixed("nfgenmsg", "BB2s").string(lib.NFTA_RULE_TABLE, "table", NAME)
    p.string(lib.NFTA_RULE_CHAIN, "chain", NAME)
    if position:
        p.int(lib.NFTA_RULE_POSITION, "position", 8, big_endian=True)
    if userdata:
        p.var(lib.NFTA_RULE_USERDATA, "comment", 256)
    p.nest(lib.NFTA_RULE_EXPRESSIONS, "expressions", nested_flag=True)
    _ops.emit(p, [Op(*_ops.SHAPES[i], ()) for i in shape])
    return p.end().compile()


def add_rule(family: str, table: str, chain: str, rule: Rule, *, ack: bool = True,
             echo: bool = False, append: bool = True, position: int | None = None) -> Item:
    """NEWRULE for ``rule`` in ``table``/``chain`` (program cached per rule shape).

    As nft: ``append`` without ``position`` adds at the end, with it after that handle;
    not ``append``: at the start, or before the ``position`` handle.
    """
    ids, exprs = rule.flat(family)
    userdata = rule.userdata()
    prog = _rule(ids, bool(userdata), ack, echo, append, position is not None)
    values = [FAMILIES[family], 0, b"\0\0", table.encode(), chain.encode()]
    if position is not None:
        values.append(position)
    if userdata:
        values.append(userdata)
    values += exprs
    return prog, values


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


# -- sets -----------------------------------------------------------------------------------------
@lru_cache(maxsize=None)
def _set(is_map: bool, flags: bool, ack: bool, excl: bool, fields: int = 0) -> Compiled:
    p = Program("add set", msg_type("NEWSET"), _flags(lib.NLM_F_CREATE, ack, excl)).fixed("nfgenmsg", "BB2s")
    p.string(lib.NFTA_SET_TABLE, "table", NAME).string(lib.NFTA_SET_NAME, "name", NAME)
    if flags:
        p.int(lib.NFTA_SET_FLAGS, "flags", 4, big_endian=True)
    p.int(lib.NFTA_SET_KEY_TYPE, "key_type", 4, big_endian=True)
    p.int(lib.NFTA_SET_KEY_LEN, "key_len", 4, big_endian=True)
    if is_map:
        p.int(lib.NFTA_SET_DATA_TYPE, "data_type", 4, big_endian=True)
        p.int(lib.NFTA_SET_DATA_LEN, "data_len", 4, big_endian=True)
    p.int(lib.NFTA_SET_ID, "id", 4, big_endian=True)
    if fields:
        p.nest(lib.NFTA_SET_DESC, "desc", nested_flag=True).nest(lib.NFTA_SET_DESC_CONCAT, "concat", nested_flag=True)
        for i in range(fields):
            p.nest(lib.NFTA_LIST_ELEM, f"field{i}", nested_flag=True)
            p.int(lib.NFTA_SET_FIELD_LEN, "len", 4, big_endian=True).end()
        p.end().end()
    p.var(lib.NFTA_SET_USERDATA, "userdata", 32)
    return p.compile()


_BYTEORDER = {"ifname": 1}          # nft's BYTEORDER_HOST_ENDIAN; every other type: BIG_ENDIAN (2)


def _byteorder(names: tuple[str, ...] | None) -> int:
    if names is None or len(names) > 1:
        return 0                        # verdicts and concatenations: nft writes 0 too
    return _BYTEORDER.get(names[0], 2)


def set_userdata(s: NamedSet) -> bytes:
    """nft's set userdata TLVs: key (and data) byte order, so `nft list` prints the elements right."""
    out = bytes([0, 4]) + struct.pack("=I", _byteorder(s.key_type))
    if isinstance(s, Map):
        out += bytes([1, 4]) + struct.pack("=I", _byteorder(s.data_type))
    return out


def add_set(family: str, table: str, s: NamedSet, set_id: int, *, ack: bool = True,
            exist_ok: bool = True) -> Item:
    """NEWSET (a map when ``s`` is a Map); elements go in separate NEWSETELEM messages."""
    flags = s.kernel_flags()
    values = _head(family) + [table.encode(), s.name.encode()]
    if flags:
        values.append(flags)
    values += [type_id(s.key_type), type_len(s.key_type)]
    is_map = isinstance(s, Map)
    if isinstance(s, Map):
        dt = s.data_type
        values += [VERDICT_TYPE, 16] if dt is None else [type_id(dt), type_len(dt)]
    fields = s.field_lengths
    values += [set_id, *fields, set_userdata(s)]
    return _set(is_map, bool(flags), ack, not exist_ok, len(fields)), values


@lru_cache(maxsize=None)
def _set_del(ack: bool) -> Compiled:
    return (Program("delete set", msg_type("DELSET"), _flags(0, ack)).fixed("nfgenmsg", "BB2s")
            .string(lib.NFTA_SET_TABLE, "table", NAME).string(lib.NFTA_SET_NAME, "name", NAME).compile())


@lru_cache(maxsize=None)
def _set_get() -> Compiled:
    return (Program("get set", msg_type("GETSET"), REQ | lib.NLM_F_ACK, reply=True).fixed("nfgenmsg", "BB2s")
            .string(lib.NFTA_SET_TABLE, "table", NAME).string(lib.NFTA_SET_NAME, "name", NAME).compile())


def get_set(family: str, table: str, name: str) -> Item:
    """GETSET of one set (its NEWSET reply, or ENOENT)."""
    return _set_get(), _head(family) + [table.encode(), name.encode()]


def delete_set(family: str, table: str, name: str, *, ack: bool = True) -> Item:
    return _set_del(ack), _head(family) + [table.encode(), name.encode()]


ElemShape = tuple[int, str, int, bool, int]   # key size, data kind ('', 'value', 'verdict', 'chain'), data size,
                                              # flags, key_end size
ELEMENTS_PER_MESSAGE = 512


@lru_cache(maxsize=256)
def _elems(verb: str, shapes: tuple[ElemShape, ...], ack: bool, excl: bool) -> Compiled:
    add = verb == "add"
    kind = {"add": "NEWSETELEM", "delete": "DELSETELEM", "get": "GETSETELEM"}[verb]
    p = Program(f"{verb} elements", msg_type(kind), _flags(lib.NLM_F_CREATE if add else 0, ack, excl),
                reply=verb == "get")
    p.fixed("nfgenmsg", "BB2s")
    p.string(lib.NFTA_SET_ELEM_LIST_TABLE, "table", NAME).string(lib.NFTA_SET_ELEM_LIST_SET, "set", NAME)
    if shapes:
        p.nest(lib.NFTA_SET_ELEM_LIST_ELEMENTS, "elements", nested_flag=True)
        for i, (ksize, dkind, dsize, flags, esize) in enumerate(shapes):
            p.nest(lib.NFTA_LIST_ELEM, f"elem{i}", nested_flag=True)
            p.nest(lib.NFTA_SET_ELEM_KEY, "key", nested_flag=True).bytes(lib.NFTA_DATA_VALUE, "value", ksize).end()
            if esize:
                p.nest(lib.NFTA_SET_ELEM_KEY_END, "key_end", nested_flag=True)
                p.bytes(lib.NFTA_DATA_VALUE, "value", esize).end()
            if dkind == "value":
                p.nest(lib.NFTA_SET_ELEM_DATA, "data", nested_flag=True)
                p.bytes(lib.NFTA_DATA_VALUE, "value", dsize).end()
            elif dkind:
                p.nest(lib.NFTA_SET_ELEM_DATA, "data", nested_flag=True)
                p.nest(lib.NFTA_DATA_VERDICT, "verdict", nested_flag=True)
                p.int(lib.NFTA_VERDICT_CODE, "code", 4, big_endian=True, signed=True)
                if dkind == "chain":
                    p.string(lib.NFTA_VERDICT_CHAIN, "chain", NAME)
                p.end().end()
            if flags:
                p.int(lib.NFTA_SET_ELEM_FLAGS, "flags", 4, big_endian=True)
            p.end()
        p.end()
    return p.compile()


def elements(verb: str, family: str, table: str, set_name: str, elems: Sequence[Element], *,
             ack: bool = True, exist_ok: bool = True) -> list[Item]:
    """NEWSETELEM (``verb`` 'add'), DELSETELEM ('delete') or GETSETELEM ('get': the kernel answers
    with the elements it has, ENOENT if one is missing) messages, at most 512 elements each.

    DELSETELEM without elements flushes the set.
    """
    out: list[Item] = []
    for chunk in _chunks(elems):
        shapes: list[ElemShape] = []
        values: list[Any] = _head(family) + [table.encode(), set_name.encode()]
        for e in chunk:
            values.append(e.key)
            end = len(e.key_end) if e.key_end is not None else 0
            if e.key_end is not None:
                values.append(e.key_end)
            data = e.data if verb == "add" else None
            if isinstance(data, bytes):
                shapes.append((len(e.key), "value", len(data), bool(e.flags), end))
                values.append(data)
            elif isinstance(data, tuple):
                shapes.append((len(e.key), "verdict" if data[1] is None else "chain", 0, bool(e.flags), end))
                values.append(data[0])
                if data[1] is not None:
                    values.append(data[1].encode())
            else:
                shapes.append((len(e.key), "", 0, bool(e.flags), end))
            if e.flags:
                values.append(e.flags)
        out.append((_elems(verb, tuple(shapes), ack, not exist_ok), values))
    return out


@lru_cache(maxsize=256)
def _uniform_elems(verb: str, shape: ElemShape, n: int, ack: bool, excl: bool) -> Compiled:
    return _elems(verb, (shape,) * n, ack, excl)


def pairs(verb: str, family: str, table: str, set_name: str, elems: Sequence[tuple[bytes, bytes | None]], *,
          ack: bool = True, exist_ok: bool = True) -> list[Item]:
    """What ``elements`` gives for plain elements (key bytes, data bytes or None; no flags, no
    key_end, all of one key size and one data size), without Element records: the program is
    cached per (shape, count)."""
    if not elems:
        return []
    k0, d0 = elems[0]
    ksize, dsize = len(k0), (len(d0) if d0 is not None else -1)
    for k, d in elems:
        if len(k) != ksize or (len(d) if d is not None else -1) != dsize:
            return elements(verb, family, table, set_name, [Element(k, d) for k, d in elems], ack=ack,
                            exist_ok=exist_ok)
    with_data = dsize >= 0 and verb == "add"
    shape: ElemShape = (ksize, "value", dsize, False, 0) if with_data else (ksize, "", 0, False, 0)
    per = 2 * ksize + 8 + max(dsize, 0)
    step = max(1, min(ELEMENTS_PER_MESSAGE, ELEMENT_BYTES_PER_MESSAGE // per))
    head = _head(family) + [table.encode(), set_name.encode()]
    out: list[Item] = []
    for start in range(0, len(elems), step):
        chunk = elems[start:start + step]
        values = list(head)
        if with_data:
            for k, d in chunk:
                values += (k, d)
        else:
            values += [k for k, _ in chunk]
        out.append((_uniform_elems(verb, shape, len(chunk), ack, not exist_ok), values))
    return out


def _chunks(elems: Sequence[Element]) -> list[Sequence[Element]]:
    """At most 512 elements and ~48 KiB of values per message (a program's record is < 64 KiB)."""
    out: list[Sequence[Element]] = []
    start, size = 0, 0
    for i, e in enumerate(elems):
        n = 2 * len(e.key) + 8 + (len(e.data) if isinstance(e.data, bytes) else 260 if e.data else 0)
        if i > start and (i - start >= ELEMENTS_PER_MESSAGE or size + n > ELEMENT_BYTES_PER_MESSAGE):
            out.append(elems[start:i])
            start, size = i, 0
        size += n
    out.append(elems[start:])
    return out


ELEMENT_BYTES_PER_MESSAGE = 48 * 1024


@lru_cache(maxsize=None)
def _elem_dump() -> Compiled:
    return (Program("list elements", msg_type("GETSETELEM"), REQ | lib.NLM_F_DUMP, dump=True)
            .fixed("nfgenmsg", "BB2s").string(lib.NFTA_SET_ELEM_LIST_TABLE, "table", NAME)
            .string(lib.NFTA_SET_ELEM_LIST_SET, "set", NAME).compile())


def dump_elements(family: str, table: str, set_name: str) -> Item:
    return _elem_dump(), _head(family) + [table.encode(), set_name.encode()]


# -- reads --------------------------------------------------------------------------------------
@lru_cache(maxsize=None)
def _dump(what: str) -> Compiled:
    return (Program(f"list {what.lower()}s", msg_type("GET" + what), REQ | lib.NLM_F_DUMP, dump=True)
            .fixed("nfgenmsg", "BB2s").compile())


def dump(what: str, family: int = 0) -> Item:
    """A dump of TABLE, CHAIN, RULE or SET objects (family 0: all families)."""
    return _dump(what), [family, 0, b"\0\0"]


@lru_cache(maxsize=None)
def _rule_dump(chain: bool) -> Compiled:
    p = (Program("list rules", msg_type("GETRULE"), REQ | lib.NLM_F_DUMP, dump=True).fixed("nfgenmsg", "BB2s")
         .string(lib.NFTA_RULE_TABLE, "table", NAME))
    if chain:
        p.string(lib.NFTA_RULE_CHAIN, "chain", NAME)
    return p.compile()


def dump_rules(family: str, table: str, chain: str | None = None) -> Item:
    """A dump of one table's (or one chain's) rules only (the kernel filters)."""
    return _rule_dump(chain is not None), _head(family) + [table.encode()] + ([chain.encode()] if chain else [])


@lru_cache(maxsize=None)
def _getgen() -> Compiled:
    return Program("get generation", msg_type("GETGEN"), REQ, reply=True).fixed("nfgenmsg", "BB2s").compile()


def get_generation() -> Item:
    return _getgen(), [0, 0, b"\0\0"]


__all__ = ["Item", "batch_begin", "batch_end", "add_table", "delete_table", "add_chain", "delete_chain",
           "add_rule", "delete_rule", "flush", "dump", "get_generation", "add_set", "delete_set", "elements", "pairs",
           "get_set", "dump_rules", "dump_elements"]
