"""Test helpers: the shared test vectors (shared/vectors) and the families that decode them.

The vectors live in the repository, ``tests/data/vectors`` (copied from shared/vectors, with its
README on which bytes vary); $PYNETLINK_VECTORS points at another copy. Nothing here opens a socket.
"""
from __future__ import annotations

import importlib
import importlib.util
import json
import os
import re
import struct
from functools import lru_cache
from pathlib import Path
from typing import Any

from pynetlink._native import lib
from pynetlink.codec import Family
from pynetlink.codec.rows import Rows
from pynetlink.codec.schema import c_name
from pynetlink.codec.specs.rtnl import RTNL

REPO = Path(__file__).resolve().parents[2]


def vectors_dir() -> Path | None:
    env = os.environ.get("PYNETLINK_VECTORS")
    d = Path(env) if env else REPO / "tests" / "data" / "vectors"
    return d if (d / "vectors.json").is_file() else None


VECTORS_DIR = vectors_dir()
VECTORS_FILE = (VECTORS_DIR or REPO / "tests" / "data" / "vectors") / "vectors.json"
NO_VECTORS = (f"test vectors not found in {REPO / 'tests' / 'data' / 'vectors'} "
              "(or $PYNETLINK_VECTORS)")


@lru_cache(maxsize=None)
def load_vectors() -> tuple[dict[str, Any], ...]:
    if VECTORS_DIR is None:
        return ()
    return tuple(json.loads((VECTORS_DIR / "vectors.json").read_text()))


@lru_cache(maxsize=None)
def nft_family() -> Family | None:
    """The nf_tables Family from pynetlink.codec.specs.nft, if that module exists yet."""
    if importlib.util.find_spec("pynetlink.codec.specs.nft") is None:
        return None
    mod = importlib.import_module("pynetlink.codec.specs.nft")
    for name in ("NFT", "NFTABLES", "NFNL", "FAMILY"):
        if isinstance(getattr(mod, name, None), Family):
            return getattr(mod, name)
    fams = [v for v in vars(mod).values() if isinstance(v, Family)]
    return fams[0] if fams else None


NFT_MISSING = "pynetlink/codec/specs/nft.py (the nf_tables schema) does not exist yet"


def family_for(entry: dict[str, Any]) -> Family | None:
    return RTNL if entry["family"] == "rtnetlink" else nft_family()


def real_messages(entry: dict[str, Any]) -> list[dict[str, Any]]:
    """The entry's netlink messages (without the {"padding": n} pseudo entries)."""
    return [m for m in entry["messages"] if "type" in m]


def vector_params(direction: str | None = None) -> list[Any]:
    """pytest params over the vectors; nfnetlink ones skipped while there is no nft schema."""
    import pytest
    out = []
    for e in load_vectors():
        if direction and e["direction"] != direction:
            continue
        marks = []
        if e["family"] == "nfnetlink" and nft_family() is None:
            marks.append(pytest.mark.skip(reason=NFT_MISSING))
        out.append(pytest.param(e, id=e["id"], marks=marks))
    return out


def attr_name(rows: Rows, row: int) -> str:
    """The UAPI name of an attribute row (IFLA_IFNAME), from its set's prefix; '' if unknown."""
    parent = rows.parent[row]
    s = rows.set[parent]
    if s == lib.PNL_NO_SET:
        return ""
    aset = rows.family.set_list[s]
    a = aset.by_type.get(rows.type(row))
    return c_name(aset.prefix, a.name) if a else ""


def msg_errno(rows: Rows, m: int) -> int:
    return struct.unpack("=i", rows.header(m, 4))[0]


# -- decoded.md: the annotated decodes ------------------------------------------------------
_SECTION = re.compile(r"^#### `([^`]+)` \((request|reply), (\d+) bytes", re.M)
_HEX = re.compile(r"^[0-9a-f]{4}  ((?:[0-9a-f]{2} ?)+)$", re.M)
_ATTR = re.compile(r"^( *)@([0-9a-f]{4})  nla_len=(\d+) +nla_type=(\d+) +(\S+)(.*?)(?:\|.*)?$")
_MSG = re.compile(r"^@([0-9a-f]{4})  nlmsghdr len=(\d+) type=0x([0-9a-f]+) (\S+) flags=0x([0-9a-f]+)")


@lru_cache(maxsize=None)
def annotated() -> dict[str, dict[str, Any]]:
    """id -> {bytes, messages: [(off, len, type, name)], attrs: [(indent, off, nla_len, type, name, rest)]}."""
    if VECTORS_DIR is None or not (VECTORS_DIR / "decoded.md").is_file():
        return {}
    text = (VECTORS_DIR / "decoded.md").read_text()
    out: dict[str, dict[str, Any]] = {}
    heads = list(_SECTION.finditer(text))
    for i, h in enumerate(heads):
        body = text[h.end(): heads[i + 1].start() if i + 1 < len(heads) else len(text)]
        blocks = body.split("```")
        if len(blocks) < 4:
            continue
        hexblock, annot = blocks[1], blocks[3]
        data = bytes.fromhex("".join(m.group(1) for m in _HEX.finditer(hexblock)).replace(" ", ""))
        assert len(data) == int(h.group(3)), h.group(1)
        msgs, attrs = [], []
        for line in annot.splitlines():
            if m := _MSG.match(line):
                msgs.append((int(m.group(1), 16), int(m.group(2)), int(m.group(3), 16), m.group(4)))
            elif a := _ATTR.match(line):
                attrs.append((len(a.group(1)), int(a.group(2), 16), int(a.group(3)), int(a.group(4)),
                              a.group(5), a.group(6)))
        out[h.group(1)] = {"id": h.group(1), "direction": h.group(2), "bytes": data,
                           "messages": msgs, "attrs": attrs,
                           "family": "nfnetlink" if h.group(1).startswith(("nft.", "err.nft.")) else "rtnetlink"}
    return out


def names_match(rows: Rows, row: int, uapi: str) -> bool:
    """Does attribute ``row`` carry the UAPI name ``uapi`` (as the vectors name it)?

    Our names are YNL's; prefix + YNL name is the UAPI name except where YNL renamed an
    attribute (nf_tables' "num" is NFTA_HOOK_HOOKNUM): then the UAPI number must agree."""
    ours = attr_name(rows, row)
    if ours == uapi:
        return True
    if ours and hasattr(lib, ours):
        return False
    return getattr(lib, uapi, None) == rows.type(row)
