"""nftables kinds (group NFNLGRP_NFTABLES): tables, chains, rules, sets, set elements, generation.

Views are the objects the nft layer lists (``Table`` without its chains and sets, ``Chain``
without its rules, ``Rule``, ``Set``/``Map`` without elements, ``Element``); an object it
cannot model is given as the plain attribute dict of its message. Keys start with
(family, table), so deleting a table drops what it held, and deleting a set its elements.
"""
from __future__ import annotations

import struct
from typing import Any, ClassVar, Hashable

from .._native import lib
from ..codec.program import Program
from ..codec.rows import Rows
from ..codec.specs.nft import CHAIN, GEN, NETLINK_NETFILTER, RULE, SET, SETELEM_LIST, TABLE, msg_type
from ..errors import InvalidArgument
from ..nft import messages
from ..nft.rule import Table
from ..nft.ruleset import decode_chain, decode_elements_msg, decode_rule, decode_set
from ..nft.validate import FAMILY_NAMES
from ..rtnl.view import MessageView
from .kinds import DumpItems, Item, Kind, Scope, _all

_ANON_FLAG = int(lib.NFT_SET_ANONYMOUS)


def _family(rows: Rows, m: int) -> str | None:
    return FAMILY_NAMES.get(rows.data[rows.off[m] + 16])


class _Nft(Kind):
    protocol = NETLINK_NETFILTER
    groups = (int(lib.NFNLGRP_NFTABLES),)
    what: ClassVar[str]                      # TABLE, CHAIN, ...

    def __init_subclass__(cls) -> None:
        if hasattr(cls, "what"):
            cls.types = {msg_type("NEW" + cls.what): False, msg_type("DEL" + cls.what): True}

    def dumps(self, state: dict[str, dict[Hashable, Any]]) -> list[tuple[Scope, DumpItems]]:
        return [(_all, [messages.dump(self.what)])]

    def parse(self, rows: Rows, msgs: list[int]) -> list[Item]:
        out: list[Item] = []
        for m in msgs:
            fam = _family(rows, m)
            if fam is None:
                continue
            try:
                got = self.one(rows, m, fam)
            except (InvalidArgument, ValueError, KeyError):
                got = self.raw(rows, m, fam)
            if got is not None:
                out.append((m, got[0], got[1]))
        return out

    def one(self, rows: Rows, m: int, fam: str) -> tuple[Hashable, Any] | None:
        raise NotImplementedError

    def raw(self, rows: Rows, m: int, fam: str) -> tuple[Hashable, Any] | None:
        """An object the nft layer cannot model: its attributes as a dict."""
        return None

    def same(self, a: Any, b: Any) -> bool:
        return bool(a == b)


class TableKind(_Nft):
    name = "table"
    what = "TABLE"
    children = ("chain", "rule", "set", "element")
    plain = False

    def one(self, rows: Rows, m: int, fam: str) -> tuple[Hashable, Any] | None:
        name = rows.get_str(m, TABLE["name"]) or ""
        flags = rows.get_u(m, TABLE["flags"]) or 0
        return (fam, name), Table(name, fam, owner=bool(flags & int(lib.NFT_TABLE_F_OWNER)),
                                  handle=rows.get_u(m, TABLE["handle"]))


class ChainKind(_Nft):
    name = "chain"
    what = "CHAIN"
    children = ("rule",)
    plain = False

    def one(self, rows: Rows, m: int, fam: str) -> tuple[Hashable, Any] | None:
        c = decode_chain(rows, m)
        return (fam, rows.get_str(m, CHAIN["table"]) or "", c.name), c


class RuleKind(_Nft):
    name = "rule"
    what = "RULE"

    def _key(self, rows: Rows, m: int, fam: str) -> Hashable:
        return (fam, rows.get_str(m, RULE["table"]) or "", rows.get_str(m, RULE["chain"]) or "",
                rows.get_u(m, RULE["handle"]))

    def one(self, rows: Rows, m: int, fam: str) -> tuple[Hashable, Any] | None:
        return self._key(rows, m, fam), decode_rule(rows, m, fam)

    def raw(self, rows: Rows, m: int, fam: str) -> tuple[Hashable, Any] | None:
        return self._key(rows, m, fam), rows.tree(m)


class SetKind(_Nft):
    name = "set"
    what = "SET"
    children = ("element",)
    plain = False

    def one(self, rows: Rows, m: int, fam: str) -> tuple[Hashable, Any] | None:
        name = rows.get_str(m, SET["name"]) or ""
        if name.startswith("__") or (rows.get_u(m, SET["flags"]) or 0) & _ANON_FLAG:
            return None                           # anonymous sets belong to their rule
        key = (fam, rows.get_str(m, SET["table"]) or "", name)
        s = decode_set(rows, m)
        return key, (s if s is not None else rows.tree(m))


def _prefix(parent: tuple[Any, ...]) -> Scope:
    n = len(parent)
    return lambda k: isinstance(k, tuple) and k[:n] == parent


class ElementKind(_Nft):
    """Elements of named sets and maps; key: (family, table, set, key bytes, key_end bytes)."""

    name = "element"
    what = "SETELEM"

    def dumps(self, state: dict[str, dict[Hashable, Any]]) -> list[tuple[Scope, DumpItems]]:
        out: list[tuple[Scope, DumpItems]] = []
        for key in state.get("set", {}):
            assert isinstance(key, tuple)
            fam, table, name = key
            out.append((_prefix(key), [messages.dump_elements(fam, table, name)]))
        return out

    def parse(self, rows: Rows, msgs: list[int]) -> list[Item]:
        out: list[Item] = []
        for m in msgs:
            fam = _family(rows, m)
            name = rows.get_str(m, SETELEM_LIST["set"]) or ""
            if fam is None or name.startswith("__"):
                continue
            table = rows.get_str(m, SETELEM_LIST["table"]) or ""
            for e in decode_elements_msg(rows, m):
                out.append((m, (fam, table, name, e.key, e.key_end), e))
        return out


_NFGEN = struct.Struct("=BBH")


class GenerationView(MessageView):
    """The ruleset generation a commit made, and who committed it."""

    __slots__ = ()
    HEADER = _NFGEN
    FIELDS: ClassVar[tuple[str, ...]] = ("id", "pid", "process")

    @property
    def id(self) -> int | None:
        return self._rows.get_u(self._m, GEN["id"])

    @property
    def pid(self) -> int | None:
        return self._rows.get_u(self._m, GEN["proc-pid"])

    @property
    def process(self) -> str | None:
        return self._rows.get_str(self._m, GEN["proc-name"])

    def __repr__(self) -> str:
        return f"<GenerationView {self.id} by {self.process}[{self.pid}]>"


_GETGEN = Program("get generation", msg_type("GETGEN"), int(lib.NLM_F_REQUEST | lib.NLM_F_ACK),
                  reply=True).fixed("nfgenmsg", "BB2s").compile()


class GenerationKind(_Nft):
    """The ruleset generation (NEWGEN, sent after every commit); one object, key "generation"."""

    name = "generation"
    types = {msg_type("NEWGEN"): False}

    def dumps(self, state: dict[str, dict[Hashable, Any]]) -> list[tuple[Scope, DumpItems]]:
        return [(_all, [(_GETGEN, [0, 0, b"\0\0"])])]

    def parse(self, rows: Rows, msgs: list[int]) -> list[Item]:
        return [(m, "generation", GenerationView(rows, m)) for m in msgs]

    def same(self, a: Any, b: Any) -> bool:
        return bool(a.id == b.id)


NFT_KINDS: dict[str, type[Kind]] = {k.name: k for k in (TableKind, ChainKind, RuleKind, SetKind, ElementKind,
                                                         GenerationKind)}

__all__ = ["NFT_KINDS", "GenerationView", "TableKind", "ChainKind", "RuleKind", "SetKind", "ElementKind",
           "GenerationKind"]
