"""Protocol descriptions: the kernel's YNL attribute sets plus what YNL does not cover yet."""
from __future__ import annotations

from ..._record import replace

from ..._native import lib
from ..schema import (ARRAY, FLAG, NEST, RAW, S32, STR, SUB, U8, U16, U32, U64, Attr, AttrSet, Family,
                      MessageKind, raw, string, tables_key, u32)

TYPE_CHECKING = False       # typing is not imported at run time
if TYPE_CHECKING:
    from typing import Any, Iterable, Mapping

_KINDS = {"u8": U8, "u16": U16, "u32": U32, "u64": U64, "uint": U64, "s32": S32, "sint": S32,
          "string": STR, "flag": FLAG, "nest": NEST, "indexed-array": ARRAY, "sub-message": SUB}


def ynl_sets(spec: str, names: Iterable[str] | None = None, rename: dict[str, str] | None = None,
             fixes: Mapping[str, Mapping[str, Mapping[str, Any]]] | None = None) -> list[AttrSet]:
    """AttrSets of one YNL spec (numbers resolved from the UAPI headers, YNL's as fallback).

    ``fixes[set][attr]`` corrects what the spec gets wrong about the kernel (e.g. a missing
    big-endian byte order); each fix is documented where it is given.
    """
    from ._ynl import SETS
    rename = rename or {}
    fixes = fixes or {}
    out = []
    for set_name, (prefix, rows) in SETS[spec].items():
        if names is not None and set_name not in names:
            continue
        fix = fixes.get(set_name, {})
        attrs = [_attr(row, rename) for row in rows]
        attrs = [replace(a, **fix[a.name]) if a.name in fix else a for a in attrs]
        out.append(AttrSet(rename.get(set_name, set_name), prefix, attrs))
    return out


def _attr(row: tuple[Any, ...], rename: dict[str, str]) -> Attr:
    name, ynl_type, child, selector, big_endian, number = row
    kind = _KINDS.get(ynl_type, RAW)
    child = (rename.get(child) or child) if child else ""
    extra: Any = selector or 0
    if kind in (NEST, ARRAY, SUB) and not child:
        kind = RAW
    return Attr(name, kind, child, extra, big_endian, ynl_number=number)


def extack_set() -> AttrSet:
    """The extended-ack TLVs of NLMSG_ERROR and NLMSG_DONE (every netlink family has them)."""
    return AttrSet("extack-attrs", "NLMSGERR_ATTR_", [string("msg"), u32("offs"), raw("cookie"),
                                                      raw("policy"), u32("miss-type"), u32("miss-nest")])


def control_messages() -> list[MessageKind]:
    """NLMSG_ERROR and NLMSG_DONE, read with extack_set() (the error header is sized in C)."""
    return [MessageKind(lib.NLMSG_ERROR, 4, "extack-attrs"), MessageKind(lib.NLMSG_DONE, 4, "extack-attrs")]


def submsgs(spec: str) -> dict[str, dict[str, str]]:
    from ._ynl import SUBMSGS
    return {k: dict(v) for k, v in SUBMSGS[spec].items()}


def frozen(name: str) -> Family | None:
    """Family ``name`` ("RTNL", "NFT") from the generated ``_tables.py`` (``tools/gen_tables.py``):
    the builders' result as constants, nothing computed at import. None when the compiled codec's
    constants differ from those it was generated with (the caller then builds the family);
    tests/codec/test_tables.py checks it equals what the builders make."""
    try:
        from . import _tables
    except ImportError:         # not generated yet (tools/gen_tables.py)
        return None
    if _tables.KEY != tables_key():
        return None
    return Family.frozen(getattr(_tables, name))
