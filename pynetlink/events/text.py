"""One line of text per event, in the spirit of ``ip monitor``: ``new address 2: inet 198.51.100.7/24 ...``."""
from __future__ import annotations

from typing import Any, Callable

from ..rtnl.rules import rule_json
from .event import CHANGED, Event


def _link(v: Any) -> str:
    flags = ",".join(sorted(f.upper() for f in v.flags))
    kind = f" kind {v.kind}" if v.kind else ""
    master = f" master {v.master}" if v.master else ""
    return f"{v.index}: {v.name} <{flags}> mtu {v.mtu} state {v.operstate.upper()}{master}{kind}"


def _address(v: Any) -> str:
    fam = "inet" if v.family == 4 else "inet6"
    flags = "".join(f" {f}" for f in sorted(v.flags))
    return f"{v.link}: {fam} {v.cidr} scope {v.scope}{flags}"


def _route(v: Any) -> str:
    parts = [v.dst if v.type == "unicast" else f"{v.type} {v.dst}"]
    if v.via:
        parts.append(f"via {v.via}")
    if v.dev is not None:
        parts.append(f"dev {v.dev}")
    if v.table != 254:
        parts.append(f"table {v.table}")
    parts.append(f"proto {v.protocol} scope {v.scope}")
    if v.metric is not None:
        parts.append(f"metric {v.metric}")
    return " ".join(parts)


def _neighbour(v: Any) -> str:
    ll = f" lladdr {v.lladdr}" if v.lladdr else ""
    return f"{v.ip} dev {v.link}{ll} {' '.join(sorted(v.state)).upper()}"


def _iprule(v: Any) -> str:
    """As ``ip rule``: ``100: from 198.51.100.0/24 fwmark 0x10 lookup 100``."""
    d = rule_json(v)
    words = [f"{d.pop('priority')}:"] + (["not"] if d.pop("not", 0) is None else [])
    for key, word in (("src", "from"), ("dst", "to")):
        if key in d:
            plen = d.pop(key + "len", None)
            words.append(f"{word} {d.pop(key)}" + ("" if plen is None else f"/{plen}"))
    words += [("lookup" if k == "table" else k) + ("" if x is None else f" {x}") for k, x in d.items()]
    return " ".join(words)


def _nexthop(v: Any) -> str:
    """As ``ip nexthop``: ``id 1 via 198.51.100.2 dev 3 scope link``, ``id 10 group 1/2,5``."""
    words = [f"id {v.id}"]
    if v.group:
        words.append("group " + "/".join(f"{i}" + (f",{w}" if w != 1 else "") for i, w in v.group))
        if v.group_type != "mpath":
            words.append(f"type {v.group_type}")
    words += [f"{k} {x}" for k, x in (("via", v.via), ("dev", v.dev)) if x is not None]
    words += [k for k in ("blackhole", "fdb") if getattr(v, k)]
    if v.scope != "global":
        words.append(f"scope {v.scope}")
    if v.protocol != "unspec":
        words.append(f"proto {v.protocol}")
    return " ".join(words + sorted(v.flags))


def _nft(e: Event) -> str:
    key: tuple[Any, ...] = e.key if isinstance(e.key, tuple) else (e.key,)
    v = e.view
    if e.kind == "rule":
        fam, table, chain, handle = key
        return f"{fam} {table} {chain} handle {handle}: {v}"
    if e.kind == "element":
        fam, table, name, k, k_end = key
        data = getattr(v, "data", None)
        val = f" : {data.hex() if isinstance(data, bytes) else data}" if data is not None else ""
        return f"{fam} {table} {name} {k.hex()}{'-' + k_end.hex() if k_end else ''}{val}"
    if e.kind == "generation":
        return f"{v.id} by {v.process}[{v.pid}]"
    return " ".join(str(x) for x in key)


_LINES: dict[str, Callable[[Any], str]] = {"link": _link, "address": _address, "route": _route,
                                            "neighbour": _neighbour, "nsid": lambda v: str(v.nsid),
                                            "iprule": _iprule, "nexthop": _nexthop}


def line(e: Event) -> str:
    """``<action> <kind> <object>[ (changes)][ netns NAME]``."""
    fmt = _LINES.get(e.kind)
    text = fmt(e.view) if fmt is not None else _nft(e)
    if e.action == CHANGED and e.previous is not None and e.kind in _LINES:
        ch = e.changes
        if ch:
            text += " (" + ", ".join(f"{k} {_short(a)} -> {_short(b)}" for k, (a, b) in ch.items()) + ")"
    where = f" netns {e.netns}" if e.netns else ""
    origin = f" [{e.origin}]" if e.origin != "kernel" else ""
    return f"{e.action} {e.kind} {text}{where}{origin}"


def _short(value: Any) -> str:
    if isinstance(value, list):
        return ",".join(str(x) for x in value)
    return str(value)


__all__ = ["line"]
