"""nf_tables requests, built with the codec's one builder (``codec.message.Msg``).

Each builder returns ``(program, values)`` ready for ``NetlinkSocket.transact``; programs
are compiled once per message shape. A rule's expressions and a message's set elements go
in as one ``Msg.splice`` each, keyed by their shape ids. Flags
follow nft (tables: REQUEST; chains: CREATE; rules: CREATE|APPEND) plus NLM_F_ACK, so every
member of a transaction reports its own result; ``ack=False`` gives nft's exact bytes.
"""
from __future__ import annotations

import struct

from .._bounded import Bounded
from .._native import lib
from ..codec.message import Msg
from ..codec.program import Compiled, Program, packed
from ..codec.specs.nft import SUBSYS, msg_type
from . import ops as _ops
from .ops import Op
from .sets import VERDICT_TYPE, Element, Map, NamedSet, type_id, type_len
from .validate import FAMILIES

TYPE_CHECKING = False       # typing is not imported at run time
if TYPE_CHECKING:      # rule (match, stmt) is loaded by whoever builds a Chain or Rule
    from typing import Any, Callable, Sequence
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


def _msg(name: str, kind: str, flags: int, family: int | str, *, dump: bool = False,
         reply: bool = False) -> Msg:
    """A message of ``kind`` (NEWTABLE, ...) with its nfgenmsg (``family``: name or number)."""
    fam = FAMILIES[family] if isinstance(family, str) else family
    return Msg(name, msg_type(kind), flags, dump=dump, reply=reply).fixed("nfgenmsg", "BB2s", fam, 0, b"\0\0")


def _memo(key: tuple[Any, ...], make: Callable[[], Item]) -> Item:
    """``make()``, once per ``key`` (plain values: the message's whole input) in this process,
    its values packed once (``codec.program.packed``)."""
    got = _MADE.get(key)
    if got is None:
        prog, values = make()
        made: tuple[Compiled, Any] = (prog, packed(prog, values))
        return _MADE.put(key, made)
    return got


KEPT = 1024                     # entries each cache below keeps (many tables, chains and rules come and go)
_MADE: Bounded[tuple[Any, ...], tuple[Compiled, Any]] = Bounded(KEPT)     # (values: a Packed)


# -- batch framing ------------------------------------------------------------------------------
def batch_begin(genid: int | None = None) -> Item:
    """BATCH_BEGIN; with ``genid`` the kernel refuses the batch (ERESTART) if the ruleset changed."""
    if genid is None:
        return _memo(("begin",), lambda: Msg("batch begin", lib.NFNL_MSG_BATCH_BEGIN, REQ)
                     .fixed("nfgenmsg", "BB2s", 0, 0, RES_ID).item())
    m = Msg("batch begin", lib.NFNL_MSG_BATCH_BEGIN, REQ).fixed("nfgenmsg", "BB2s", 0, 0, RES_ID)
    m.be32(lib.NFNL_BATCH_GENID, "genid", genid)
    return m.item()


def batch_end() -> Item:
    return _memo(("end",), lambda: Msg("batch end", lib.NFNL_MSG_BATCH_END, REQ)
                 .fixed("nfgenmsg", "BB2s", 0, 0, RES_ID).item())


# -- tables -------------------------------------------------------------------------------------


def add_table(family: str, name: str, *, ack: bool = True, exist_ok: bool = True, flags: int = 0) -> Item:
    """NEWTABLE; ``flags``: NFT_TABLE_F_OWNER (the table lives as long as this socket), ..."""
    return _memo(("table", family, name, ack, exist_ok, flags), lambda: (
        _msg("add table", "NEWTABLE", _flags(0, ack, not exist_ok), family)
        .string(lib.NFTA_TABLE_NAME, "name", name, NAME)
        .be32(lib.NFTA_TABLE_FLAGS, "flags", flags).item()))


def delete_table(family: str, name: str, *, ack: bool = True) -> Item:
    return _msg("delete table", "DELTABLE", _flags(0, ack), family).string(
        lib.NFTA_TABLE_NAME, "name", name, NAME).item()


# -- chains -------------------------------------------------------------------------------------
def add_chain(family: str, table: str, chain: Chain, *, ack: bool = True, exist_ok: bool = True) -> Item:
    """NEWCHAIN (without the chain's rules)."""
    return _memo(("chain", family, table, chain.name, chain.type, chain.hook, chain.priority, chain.policy,
                  ack, exist_ok), lambda: _add_chain(family, table, chain, ack, exist_ok))


def _add_chain(family: str, table: str, chain: Chain, ack: bool, exist_ok: bool) -> Item:
    from .rule import HOOKS, POLICIES
    m = (_msg("add chain", "NEWCHAIN", _flags(lib.NLM_F_CREATE, ack, not exist_ok), family)
         .string(lib.NFTA_CHAIN_TABLE, "table", table, NAME)
         .string(lib.NFTA_CHAIN_NAME, "name", chain.name, NAME))
    if chain.base:
        assert chain.type is not None and chain.hook is not None
        m.string(lib.NFTA_CHAIN_TYPE, "type", chain.type, 16)
        m.nest(lib.NFTA_CHAIN_HOOK, "hook", nested=True)
        m.be32(lib.NFTA_HOOK_HOOKNUM, "hooknum", HOOKS[chain.hook])
        m.sbe32(lib.NFTA_HOOK_PRIORITY, "priority", chain.priority).end()
        if chain.policy != "accept":
            assert chain.policy is not None
            m.be32(lib.NFTA_CHAIN_POLICY, "policy", POLICIES[chain.policy])
    return m.item()


def delete_chain(family: str, table: str, chain: str, *, ack: bool = True) -> Item:
    return (_msg("delete chain", "DELCHAIN", _flags(0, ack), family)
            .string(lib.NFTA_CHAIN_TABLE, "table", table, NAME)
            .string(lib.NFTA_CHAIN_NAME, "name", chain, NAME).item())


# -- rules --------------------------------------------------------------------------------------
def _emit_exprs(p: Program, shape: tuple[int, ...]) -> None:
    _ops.emit(p, [Op(*_ops.SHAPES[i], ()) for i in shape])


def add_rule(family: str, table: str, chain: str, rule: Rule, *, ack: bool = True,
             echo: bool = False, append: bool = True, position: int | None = None) -> Item:
    """NEWRULE for ``rule`` in ``table``/``chain`` (program cached per rule shape).

    As nft: ``append`` without ``position`` adds at the end, with it after that handle;
    not ``append``: at the start, or before the ``position`` handle.
    """
    if rule.comment is not None:               # (no shape template: its program and values kept per
        mine = (id(rule), family, table, chain, ack, echo, append, position)    # Rule object, immutable)
        got = _BY_RULE.get(mine)
        if got is not None and got[0] is rule:
            return got[1]
        item = _add_rule(family, table, chain, rule, ack, echo, append, position)
        _BY_RULE.put(mine, (rule, (item[0], packed(*item))))
        return item
    return _add_rule(family, table, chain, rule, ack, echo, append, position)


def _add_rule(family: str, table: str, chain: str, rule: Rule, ack: bool, echo: bool, append: bool,
              position: int | None) -> Item:
    ids, exprs = rule.flat(family)
    userdata = rule.userdata()
    key = (family, table, chain, ack, echo, append, ids)
    if position is None and not userdata:
        template = _RULES.get(key)             # a rule of a shape seen in this chain: its program
        if template is not None:               # and the values before its expressions
            return template[0], template[1] + exprs
    m = (_msg("add rule", "NEWRULE",
              _flags(lib.NLM_F_CREATE | (lib.NLM_F_APPEND if append else 0), ack, echo=echo), family)
         .string(lib.NFTA_RULE_TABLE, "table", table, NAME)
         .string(lib.NFTA_RULE_CHAIN, "chain", chain, NAME))
    if position is not None:
        m.be64(lib.NFTA_RULE_POSITION, "position", position)
    if userdata:
        m.var(lib.NFTA_RULE_USERDATA, "comment", userdata, 256)
    m.nest(lib.NFTA_RULE_EXPRESSIONS, "expressions", nested=True)
    prog, values = m.splice("expressions", _emit_exprs, ids, exprs).end().item()
    if position is None and not userdata:
        _RULES.put(key, (prog, values[:len(values) - len(exprs)]))
    return prog, values


# (family, table, chain, ack, echo, append, shape ids) -> (program, values before the expressions)
_RULES: Bounded[tuple[Any, ...], tuple[Compiled, list[Any]]] = Bounded(KEPT)
# (id of a Rule with a comment, family, table, chain, ack, echo, append, position) -> (the Rule,
# its item, values packed)
_BY_RULE: Bounded[tuple[Any, ...], tuple[Rule, tuple[Compiled, Any]]] = Bounded(KEPT)


def _rule_del(family: str, table: str, chain: str | None, handle: int | None, ack: bool) -> Msg:
    m = _msg("delete rule", "DELRULE", _flags(0, ack), family).string(lib.NFTA_RULE_TABLE, "table", table, NAME)
    if chain is not None:
        m.string(lib.NFTA_RULE_CHAIN, "chain", chain, NAME)
    if handle is not None:
        m.be64(lib.NFTA_RULE_HANDLE, "handle", handle)
    return m


def delete_rule(family: str, table: str, chain: str, handle: int, *, ack: bool = True) -> Item:
    return _rule_del(family, table, chain, handle, ack).item()


def flush(family: str, table: str, chain: str | None = None, *, ack: bool = True) -> Item:
    """DELRULE without a handle: every rule of the table (or of one chain)."""
    return _rule_del(family, table, chain, None, ack).item()


# -- sets -----------------------------------------------------------------------------------------
_BYTEORDER = {"ifname": 1}          # nft's BYTEORDER_HOST_ENDIAN; every other type: BIG_ENDIAN (2)


def _byteorder(names: tuple[str, ...] | None) -> int:
    if not names or len(names) > 1:
        return 0                        # verdicts and concatenations: nft writes 0 too
    return _BYTEORDER.get(next(iter(names)), 2)


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
    m = (_msg("add set", "NEWSET", _flags(lib.NLM_F_CREATE, ack, not exist_ok), family)
         .string(lib.NFTA_SET_TABLE, "table", table, NAME).string(lib.NFTA_SET_NAME, "name", s.name, NAME))
    if flags:
        m.be32(lib.NFTA_SET_FLAGS, "flags", flags)
    m.be32(lib.NFTA_SET_KEY_TYPE, "key_type", type_id(s.key_type))
    m.be32(lib.NFTA_SET_KEY_LEN, "key_len", type_len(s.key_type))
    if isinstance(s, Map):
        dt = s.data_type
        m.be32(lib.NFTA_SET_DATA_TYPE, "data_type", VERDICT_TYPE if dt is None else type_id(dt))
        m.be32(lib.NFTA_SET_DATA_LEN, "data_len", 16 if dt is None else type_len(dt))
    m.be32(lib.NFTA_SET_ID, "id", set_id)
    if s.field_lengths:
        m.nest(lib.NFTA_SET_DESC, "desc", nested=True).nest(lib.NFTA_SET_DESC_CONCAT, "concat", nested=True)
        for i, n in enumerate(s.field_lengths):
            m.nest(lib.NFTA_LIST_ELEM, f"field{i}", nested=True).be32(lib.NFTA_SET_FIELD_LEN, "len", n).end()
        m.end().end()
    return m.var(lib.NFTA_SET_USERDATA, "userdata", set_userdata(s), 32).item()


def _set_msg(verb: str, kind: str, flags: int, family: str, table: str, name: str) -> Item:
    return (_msg(f"{verb} set", kind, flags, family, reply=verb == "get")
            .string(lib.NFTA_SET_TABLE, "table", table, NAME).string(lib.NFTA_SET_NAME, "name", name, NAME)
            .item())


def get_set(family: str, table: str, name: str) -> Item:
    """GETSET of one set (its NEWSET reply, or ENOENT)."""
    return _set_msg("get", "GETSET", REQ | lib.NLM_F_ACK, family, table, name)


def delete_set(family: str, table: str, name: str, *, ack: bool = True) -> Item:
    return _set_msg("delete", "DELSET", _flags(0, ack), family, table, name)


ElemShape = tuple[int, str, int, bool, int]   # key size, data kind ('', 'value', 'verdict', 'chain'), data size,
                                              # flags, key_end size
ELEMENTS_PER_MESSAGE = 512


def _emit_elems(p: Program, shapes: tuple[ElemShape, ...]) -> None:
    """NFTA_SET_ELEM_LIST_ELEMENTS for elements of these shapes (nothing when there are none)."""
    if not shapes:
        return
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


def _emit_uniform(p: Program, key: tuple[ElemShape, int]) -> None:
    shape, n = key
    _emit_elems(p, (shape,) * n)


_ELEM_KINDS = {"add": "NEWSETELEM", "delete": "DELSETELEM", "get": "GETSETELEM"}


def _elems_msg(verb: str, family: str, table: str, set_name: str, ack: bool, excl: bool) -> Msg:
    flags = _flags(lib.NLM_F_CREATE if verb == "add" else 0, ack, excl)
    return (_msg(f"{verb} elements", _ELEM_KINDS[verb], flags, family, reply=verb == "get")
            .string(lib.NFTA_SET_ELEM_LIST_TABLE, "table", table, NAME)
            .string(lib.NFTA_SET_ELEM_LIST_SET, "set", set_name, NAME))


def elements(verb: str, family: str, table: str, set_name: str, elems: Sequence[Element], *,
             ack: bool = True, exist_ok: bool = True) -> list[Item]:
    """NEWSETELEM (``verb`` 'add'), DELSETELEM ('delete') or GETSETELEM ('get': the kernel answers
    with the elements it has, ENOENT if one is missing) messages, at most 512 elements each.

    DELSETELEM without elements flushes the set.
    """
    out: list[Item] = []
    for chunk in _chunks(elems):
        shapes: list[ElemShape] = []
        values: list[Any] = []
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
        m = _elems_msg(verb, family, table, set_name, ack, not exist_ok)
        out.append(m.splice("elements", _emit_elems, tuple(shapes), values).item())
    return out


def pairs(verb: str, family: str, table: str, set_name: str, elems: Sequence[tuple[bytes, bytes | None]], *,
          ack: bool = True, exist_ok: bool = True) -> list[Item]:
    """What ``elements`` gives for plain elements (key bytes, data bytes or None; no flags, no
    key_end, all of one key size and one data size), without Element records: the program is
    cached per (shape, count)."""
    if not elems:
        return []
    k0, d0 = elems[0]
    ksize, dsize = len(k0), (len(d0) if d0 is not None else -1)
    keys, datas = zip(*elems)
    if set(map(len, keys)) != {ksize} or (
            (None in datas or set(map(len, datas)) != {dsize}) if d0 is not None
            else datas.count(None) != len(datas)):
        return elements(verb, family, table, set_name, [Element(k, d) for k, d in elems], ack=ack,
                        exist_ok=exist_ok)
    with_data = dsize >= 0 and verb == "add"
    if ksize % 4 == 0 and (not with_data or dsize % 4 == 0) and ksize <= 64 and dsize <= 64:
        return _blobs(verb, family, table, set_name, keys, datas if with_data else None, ack, exist_ok)
    shape: ElemShape = (ksize, "value", dsize, False, 0) if with_data else (ksize, "", 0, False, 0)
    per = 2 * ksize + 8 + max(dsize, 0)
    step = max(1, min(ELEMENTS_PER_MESSAGE, ELEMENT_BYTES_PER_MESSAGE // per))
    out: list[Item] = []
    for start in range(0, len(elems), step):
        chunk = elems[start:start + step]
        values: list[Any] = [x for pair in chunk for x in pair] if with_data else [k for k, _ in chunk]
        m = _elems_msg(verb, family, table, set_name, ack, not exist_ok)
        out.append(m.splice("elements", _emit_uniform, (shape, len(chunk)), values).item())
    return out


_NESTED = 0x8000                 # NLA_F_NESTED
_ATTR = struct.Struct("=HH")
BLOB_BYTES = 60000               # the element list of one message, as one attribute (< 64 KiB)


def element_heads(ksize: int, dsize: int | None) -> tuple[bytes, bytes]:
    """The attribute headers of one element with a key of ``ksize`` bytes (and data of
    ``dsize``), both multiples of 4: (before the key, between key and data)."""
    key_head = _ATTR.pack(4 + 4 + ksize, lib.NFTA_SET_ELEM_KEY | _NESTED) + _ATTR.pack(4 + ksize, lib.NFTA_DATA_VALUE)
    size = 4 + len(key_head) + ksize
    data_head = b""
    if dsize is not None:
        data_head = _ATTR.pack(4 + 4 + dsize, lib.NFTA_SET_ELEM_DATA | _NESTED) + _ATTR.pack(4 + dsize, lib.NFTA_DATA_VALUE)
        size += len(data_head) + dsize
    return _ATTR.pack(size, lib.NFTA_LIST_ELEM | _NESTED) + key_head, data_head


def element_lists(verb: str, family: str, table: str, set_name: str, blobs: Sequence[bytes], *,
                  ack: bool = True, exist_ok: bool = True) -> list[Item]:
    """One NEWSETELEM/DELSETELEM per element list already made as bytes (``element_heads``
    around each key and data; at most 512 elements and 60,000 bytes each)."""
    out: list[Item] = []
    for blob in blobs:
        bound = min(65531, max(1024, 1 << (len(blob) - 1).bit_length()))    # a few program shapes
        key = (verb, family, table, set_name, ack, exist_ok, bound)
        got = _LISTS.get(key)               # the program and the values before the list
        if got is None:
            m = _elems_msg(verb, family, table, set_name, ack, not exist_ok)
            prog, values = m.var(lib.NFTA_SET_ELEM_LIST_ELEMENTS | _NESTED, "elements", blob, bound).item()
            got = _LISTS.put(key, (prog, list(values[:-1])))
        out.append((got[0], [*got[1], blob]))
    return out


# (verb, family, table, set, ack, exist_ok, bound) -> (program, values before the element list)
_LISTS: Bounded[tuple[Any, ...], tuple[Compiled, list[Any]]] = Bounded(KEPT)


def elements_per_list(head: bytes, data_head: bytes, ksize: int, dsize: int) -> int:
    """How many elements one message's list takes (at most 512, at most 60,000 bytes)."""
    return min(ELEMENTS_PER_MESSAGE, BLOB_BYTES // (len(head) + ksize + len(data_head) + max(dsize, 0)))


def _blobs(verb: str, family: str, table: str, set_name: str, keys: Sequence[bytes],
           datas: Sequence[bytes] | None, ack: bool, exist_ok: bool) -> list[Item]:
    """``pairs``' messages with each one's element list made as bytes, not as a program: every
    element is the same nest of attributes (key and data of fixed, 4-byte aligned sizes) around
    its key and data, so the list is those headers and values packed in one pass. The bytes
    are those of the per-element program."""
    ksize = len(keys[0])
    dsize = len(datas[0]) if datas is not None else None
    head, data_head = element_heads(ksize, dsize)
    step = elements_per_list(head, data_head, ksize, dsize or 0)
    n = len(keys)
    if datas is None:
        blobs = [head + head.join(keys[i:i + step]) for i in range(0, n, step)]
    else:
        row = struct.Struct(f"={len(head)}s{ksize}s{len(data_head)}s{dsize}s")
        heads, data_heads = [head] * n, [data_head] * n
        packed = b"".join(map(row.pack, heads, keys, data_heads, datas))
        blobs = [packed[i * row.size:(i + step) * row.size] for i in range(0, n, step)]
    return element_lists(verb, family, table, set_name, blobs, ack=ack, exist_ok=exist_ok)


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


def dump_elements(family: str, table: str, set_name: str) -> Item:
    return (_msg("list elements", "GETSETELEM", REQ | lib.NLM_F_DUMP, family, dump=True)
            .string(lib.NFTA_SET_ELEM_LIST_TABLE, "table", table, NAME)
            .string(lib.NFTA_SET_ELEM_LIST_SET, "set", set_name, NAME).item())


# -- reads --------------------------------------------------------------------------------------
def dump(what: str, family: int = 0) -> Item:
    """A dump of TABLE, CHAIN, RULE or SET objects (family 0: all families)."""
    return _msg(f"list {what.lower()}s", "GET" + what, REQ | lib.NLM_F_DUMP, family, dump=True).item()


def dump_rules(family: str, table: str, chain: str | None = None) -> Item:
    """A dump of one table's (or one chain's) rules only (the kernel filters)."""
    m = (_msg("list rules", "GETRULE", REQ | lib.NLM_F_DUMP, family, dump=True)
         .string(lib.NFTA_RULE_TABLE, "table", table, NAME))
    if chain:
        m.string(lib.NFTA_RULE_CHAIN, "chain", chain, NAME)
    return m.item()


def get_generation() -> Item:
    return _msg("get generation", "GETGEN", REQ, 0, reply=True).item()


__all__ = ["Item", "batch_begin", "batch_end", "add_table", "delete_table", "add_chain", "delete_chain",
           "add_rule", "delete_rule", "flush", "dump", "get_generation", "add_set", "delete_set", "elements", "pairs",
           "get_set", "dump_rules", "dump_elements"]
