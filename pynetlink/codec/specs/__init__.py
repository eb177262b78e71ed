"""Protocol descriptions: the kernel's YNL attribute sets plus what YNL does not cover yet."""
from __future__ import annotations

from typing import Any, Iterable

from ..schema import (ARRAY, FLAG, NEST, RAW, S32, STR, SUB, U8, U16, U32, U64, Attr, AttrSet)
from ._ynl import SETS, SUBMSGS

_KINDS = {"u8": U8, "u16": U16, "u32": U32, "u64": U64, "uint": U64, "s32": S32, "sint": S32,
          "string": STR, "flag": FLAG, "nest": NEST, "indexed-array": ARRAY, "sub-message": SUB}


def ynl_sets(spec: str, names: Iterable[str] | None = None, rename: dict[str, str] | None = None) -> list[AttrSet]:
    """AttrSets of one YNL spec (numbers resolved from the UAPI headers, YNL's as fallback)."""
    rename = rename or {}
    out = []
    for set_name, (prefix, rows) in SETS[spec].items():
        if names is not None and set_name not in names:
            continue
        attrs = [_attr(row, rename) for row in rows]
        out.append(AttrSet(rename.get(set_name, set_name), prefix, attrs))
    return out


def _attr(row: tuple[Any, ...], rename: dict[str, str]) -> Attr:
    name, ynl_type, child, selector, big_endian, number = row
    kind = _KINDS.get(ynl_type, RAW)
    child = rename.get(child, child) if child else ""
    extra: Any = selector or 0
    if kind in (NEST, ARRAY, SUB) and not child:
        kind = RAW
    return Attr(name, kind, child, extra, big_endian, ynl_number=number)


def submsgs(spec: str) -> dict[str, dict[str, str]]:
    return {k: dict(v) for k, v in SUBMSGS[spec].items()}
