"""``loads`` and ``dumps`` as ``json``'s, without importing ``json`` on the way that succeeds.

``import json`` compiles regular expressions (``re``, ``enum``): ~2.5 ms of each CNI plugin
process, which reads one JSON document and writes one. This module drives the C scanner
and string encoder of ``_json`` (what ``json`` itself uses) directly; anything it does not
handle the same way (bytes that are not plain UTF-8, a document the scanner rejects, values
other than dict/list/str/int/bool/None) goes to ``json`` itself, so results and errors are
exactly ``json``'s.
"""
from __future__ import annotations

import _json

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

_WS = " \t\n\r"
_NAN = {"NaN": float("nan"), "Infinity": float("inf"), "-Infinity": float("-inf")}


class _Context:
    """What ``_json.make_scanner`` reads from a decoder (``json.JSONDecoder``'s defaults)."""

    strict = True
    object_hook = None
    object_pairs_hook = None
    parse_float = float
    parse_int = int
    parse_constant = _NAN.__getitem__
    memo: dict[str, str] = {}


_scan = _json.make_scanner(_Context())  # type: ignore[arg-type]


def loads(data: bytes | str) -> Any:
    """``json.loads(data)``."""
    try:
        text = data.decode("utf-8") if isinstance(data, (bytes, bytearray)) else data
        if text[:1] == "\ufeff":
            raise ValueError("BOM")
        start = len(text) - len(text.lstrip(_WS))
        obj, end = _scan(text, start)
        if text[end:].strip(_WS):
            raise ValueError("extra data")
        return obj
    except Exception:  # noqa: BLE001 - json decides, with its own message
        import json
        return json.loads(data)


class _Unsupported(Exception):
    pass


def _put(obj: Any, out: list[str], indent: int | None, level: int) -> None:
    if obj is None:
        out.append("null")
    elif obj is True:
        out.append("true")
    elif obj is False:
        out.append("false")
    elif isinstance(obj, str):
        out.append(_json.encode_basestring_ascii(obj))
    elif type(obj) is int:
        out.append(int.__repr__(obj))
    elif isinstance(obj, (list, tuple)):
        if not obj:
            out.append("[]")
            return
        sep = "," if indent is None else ",\n" + " " * (indent * (level + 1))
        out.append("[" if indent is None else "[\n" + " " * (indent * (level + 1)))
        for i, item in enumerate(obj):
            if i:
                out.append(sep if indent is not None else ", ")
            _put(item, out, indent, level + 1)
        out.append("]" if indent is None else "\n" + " " * (indent * level) + "]")
    elif isinstance(obj, dict):
        if not obj:
            out.append("{}")
            return
        sep = ", " if indent is None else ",\n" + " " * (indent * (level + 1))
        out.append("{" if indent is None else "{\n" + " " * (indent * (level + 1)))
        for i, (k, v) in enumerate(obj.items()):
            if not isinstance(k, str):
                raise _Unsupported
            if i:
                out.append(sep)
            out.append(_json.encode_basestring_ascii(k))
            out.append(": ")
            _put(v, out, indent, level + 1)
        out.append("}" if indent is None else "\n" + " " * (indent * level) + "}")
    else:
        raise _Unsupported


def dumps(obj: Any, indent: int | None = None) -> str:
    """``json.dumps(obj, indent=indent)``."""
    out: list[str] = []
    try:
        _put(obj, out, indent, 0)
    except (_Unsupported, RecursionError):
        import json
        return json.dumps(obj, indent=indent)
    return "".join(out)
