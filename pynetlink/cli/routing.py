"""``rule`` and ``nexthop`` (policy routing, as ``ip rule`` / ``ip nexthop``), and the options
``route add|del`` takes for tables, nexthop objects and metrics."""
from __future__ import annotations

import argparse

from ..errors import InvalidArgument
from .inspect import _handle, _names
from .output import EXIT_OK, _json, _table

TYPE_CHECKING = False       # typing is not imported at run time (start-up)
if TYPE_CHECKING:
    from typing import Any, Callable
    Leaf = Callable[..., argparse.ArgumentParser]
_INT_METRICS = ("mtu", "advmss", "window", "rtt", "rttvar", "initcwnd", "initrwnd", "hoplimit",
                "ssthresh", "cwnd", "reordering", "rto_min")


def number(text: str) -> int:
    """An integer in decimal or 0x hex (argparse names the option on error)."""
    return int(text, 0)


def _table_arg(text: str) -> int | str:
    return int(text) if text.isdigit() else text


def _family(p: argparse.ArgumentParser) -> None:
    p.add_argument("-4", dest="family", action="store_const", const=4, help="IPv4 (default)")
    p.add_argument("-6", dest="family", action="store_const", const=6, help="IPv6")


def _name_or_number(text: str | None) -> int | str | None:
    """A protocol given by name or number."""
    return int(text) if text is not None and text.isdigit() else text


def _range(text: str | None, option: str) -> tuple[int, int] | None:
    """``N`` or ``N-M`` as (first, last)."""
    if text is None:
        return None
    first, _, last = text.partition("-")
    try:
        return int(first), int(last or first)
    except ValueError:
        raise InvalidArgument(f"{option}: expected N or N-M, not {text!r}") from None


# -- route add|del options ---------------------------------------------------------------------
def route_options(p: argparse.ArgumentParser) -> None:
    """``--table``, ``--nexthop`` (an object id), ``--type``, ``--src``, the metrics (``--mtu`` ...,
    or ``--metrics mtu=1400,initcwnd=10,lock=mtu,features=ecn``); runs ``_cmd_route_change``."""
    p.add_argument("--table", type=_table_arg, help="main (default), local, default, or a number")
    p.add_argument("--nexthop", type=number, metavar="ID", help="through this nexthop object")
    p.add_argument("--type", help="unicast (default), blackhole, unreachable, prohibit, throw, local")
    p.add_argument("--src", help="preferred source address")
    for name in _INT_METRICS:
        p.add_argument("--" + name.replace("_", "-"), dest="m_" + name, type=number, metavar="N",
                       help=f"metric {name}" + (" (ms)" if name in ("rtt", "rttvar", "rto_min") else ""))
    p.add_argument("--metrics", metavar="K=V,...", help="metrics: " + ", ".join(_INT_METRICS) +
                   ", quickack=0|1, cc_algo=NAME, features=ecn, lock=mtu+advmss")
    p.set_defaults(func=_cmd_route_change)


def _metrics(args: argparse.Namespace) -> dict[str, Any] | None:
    out: dict[str, Any] = {n: getattr(args, "m_" + n) for n in _INT_METRICS
                           if getattr(args, "m_" + n, None) is not None}
    for item in filter(None, (args.metrics or "").split(",")):
        key, eq, value = item.partition("=")
        if not eq:
            raise InvalidArgument(f"--metrics: expected KEY=VALUE, not {item!r}")
        key = key.strip().replace("-", "_")
        if key in ("features", "lock"):
            out[key] = tuple(value.split("+"))
        elif key == "cc_algo":
            out[key] = value
        elif key == "quickack":
            out[key] = value not in ("0", "off", "no")
        else:
            try:
                out[key] = int(value, 0)
            except ValueError:
                raise InvalidArgument(f"--metrics {key}: expected a number, not {value!r}") from None
    return out or None


def _cmd_route_change(args: argparse.Namespace) -> int:
    opts = {k: v for k, v in (("via", args.via), ("dev", args.dev), ("metric", args.metric),
                              ("table", args.table), ("nhid", args.nexthop), ("type", args.type),
                              ("src", args.src), ("metrics", _metrics(args))) if v is not None}
    with _handle(args) as h:
        (h.routes.add if args.action == "add" else h.routes.delete)(args.dst, **opts)
    return EXIT_OK


# -- rule ----------------------------------------------------------------------------------------
def _rule_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--priority", "--pref", type=number, dest="priority", metavar="N")
    p.add_argument("--from", dest="src", metavar="PREFIX", help="source prefix")
    p.add_argument("--to", dest="dst", metavar="PREFIX", help="destination prefix")
    p.add_argument("--iif", help="incoming interface name")
    p.add_argument("--oif", help="outgoing interface name")
    p.add_argument("--fwmark", metavar="MARK[/MASK]", help="firewall mark (and mask), 0x hex ok")
    p.add_argument("--tos", type=number, default=0)
    p.add_argument("--table", "--lookup", dest="table", type=_table_arg,
                   help="look up this table: main, local, default, or a number")
    p.add_argument("--goto", type=number, metavar="PRIORITY", help="jump to the rule of this priority")
    p.add_argument("--action", choices=("blackhole", "unreachable", "prohibit", "nop"))
    p.add_argument("--uidrange", metavar="N-M")
    p.add_argument("--sport", metavar="N[-M]")
    p.add_argument("--dport", metavar="N[-M]")
    p.add_argument("--ipproto", metavar="PROTO", help="tcp, udp, icmp, ... or a number")
    p.add_argument("--l3mdev", action="store_true", help="the table of the l3mdev (VRF) device")
    p.add_argument("--suppress-prefixlength", type=number, metavar="N")
    p.add_argument("--protocol", help="who installed the rule: static, boot, ... or a number")
    p.add_argument("--not", dest="invert", action="store_true", help="invert the selectors")
    _family(p)


def _rule(args: argparse.Namespace) -> Any:
    from ..rtnl.rules import Rule
    mark = mask = None
    if args.fwmark is not None:
        m, _, k = args.fwmark.partition("/")
        try:
            mark, mask = int(m, 0), int(k, 0) if k else None
        except ValueError:
            raise InvalidArgument(f"--fwmark: expected MARK[/MASK], not {args.fwmark!r}") from None
    ports = {k: _range(getattr(args, k), "--" + k) for k in ("sport", "dport")}
    return Rule(args.priority, src=args.src, dst=args.dst, iif=args.iif, oif=args.oif, fwmark=mark,
                fwmask=mask, tos=args.tos, table=args.table, goto=args.goto, action=args.action,
                uid_range=_range(args.uidrange, "--uidrange"), sport=ports["sport"],
                dport=ports["dport"], ip_proto=_name_or_number(args.ipproto), l3mdev=args.l3mdev,
                suppress_prefixlength=args.suppress_prefixlength, protocol=_name_or_number(args.protocol),
                invert=args.invert, family=args.family)


def _cmd_rule_change(args: argparse.Namespace) -> int:
    rule = _rule(args)
    with _handle(args) as h:
        (h.rules.add if args.action_verb == "add" else h.rules.delete)(rule)
    return EXIT_OK


def _cmd_rule_show(args: argparse.Namespace) -> int:
    from ..rtnl.rules import rule_json
    with _handle(args) as h:
        data = [rule_json(r) for r in h.rules.dump(family=getattr(args, "family", None) or 4)]
    if getattr(args, "json", False):
        _json(data)
        return EXIT_OK
    skip = {"priority", "src", "srclen", "dst", "dstlen"}
    _table([(d["priority"], _pfx(d, "src"), _pfx(d, "dst"),
             " ".join(f"{k} {v}" if v is not None else k for k, v in d.items() if k not in skip))
            for d in data], ("PRIORITY", "FROM", "TO", "ACTION"))
    return EXIT_OK


def _pfx(d: dict[str, Any], key: str) -> str:
    if key not in d:
        return "all"
    return f"{d[key]}/{d[key + 'len']}" if key + "len" in d else str(d[key])


# -- nexthop -------------------------------------------------------------------------------------
def _group(text: str | None) -> tuple[tuple[int, int], ...]:
    """``ip nexthop``'s group syntax: ``ID[,WEIGHT][/ID[,WEIGHT]...]``."""
    if not text:
        return ()
    out = []
    for part in text.split("/"):
        nid, _, weight = part.partition(",")
        try:
            out.append((int(nid), int(weight or 1)))
        except ValueError:
            raise InvalidArgument(f"--group: expected ID[,WEIGHT][/ID[,WEIGHT]...], not {text!r}") from None
    return tuple(out)


def _cmd_nexthop_change(args: argparse.Namespace) -> int:
    from ..rtnl.nexthops import NexthopObject
    with _handle(args) as h:
        if args.action_verb == "del":
            h.nexthops.delete(args.id)
            return EXIT_OK
        nh = NexthopObject(args.id, via=args.via, dev=args.dev, blackhole=args.blackhole, fdb=args.fdb,
                           onlink=args.onlink, group=_group(args.group), group_type=args.type,
                           buckets=args.buckets, idle_timer=args.idle_timer,
                           unbalanced_timer=args.unbalanced_timer,
                           protocol=_name_or_number(args.protocol),
                           family=args.family)
        (h.nexthops.replace if args.action_verb == "replace" else h.nexthops.add)(nh)
    return EXIT_OK


def _cmd_nexthop_show(args: argparse.Namespace) -> int:
    from ..rtnl.nexthops import nexthop_json
    with _handle(args) as h:
        names = _names(h)
        if getattr(args, "id", None) is not None:
            views = [h.nexthops.get(args.id)]
        else:
            views = h.nexthops.dump(family=getattr(args, "family", None),
                                    groups=getattr(args, "groups", False))
        data = [nexthop_json(n, names) for n in views]
    if getattr(args, "json", False):
        _json(data)
        return EXIT_OK
    _table([(d["id"], d.get("gateway"), d.get("dev"),
             "/".join(f"{g['id']},{g.get('weight', 1)}" for g in d.get("group", [])) or None,
             " ".join(k for k in ("blackhole", "fdb") if k in d) or None) for d in data],
           ("ID", "GATEWAY", "DEV", "GROUP", "FLAGS"))
    return EXIT_OK


def add_parsers(sub: Any, leaf: Leaf) -> None:
    """The ``rule`` and ``nexthop`` subcommands."""
    rule = sub.add_parser("rule", help="policy routing rules: ls, add, del").add_subparsers(
        dest="verb", metavar="VERB")
    for name in ("ls", "show"):
        _family(leaf(rule, name, _cmd_rule_show, "show rules (as ip -j rule; -6: IPv6)"))
    for verb in ("add", "del"):
        p = leaf(rule, verb, _cmd_rule_change, "add a rule" if verb == "add" else
                 "delete the first rule matching the options", json_out=False)
        _rule_options(p)
        p.set_defaults(action_verb=verb)

    nh = sub.add_parser("nexthop", help="nexthop objects and groups: ls, add, replace, del").add_subparsers(
        dest="verb", metavar="VERB")
    for name in ("ls", "show"):
        p = leaf(nh, name, _cmd_nexthop_show, "show nexthop objects (as ip -j nexthop)")
        p.add_argument("id", nargs="?", type=number)
        p.add_argument("--groups", action="store_true", help="only groups")
        _family(p)
    for verb in ("add", "replace"):
        p = leaf(nh, verb, _cmd_nexthop_change, f"{verb} a nexthop object", json_out=False)
        p.add_argument("id", type=number)
        p.add_argument("--via", help="gateway address")
        p.add_argument("--dev")
        p.add_argument("--blackhole", action="store_true")
        p.add_argument("--fdb", action="store_true", help="for bridge/VXLAN FDB entries")
        p.add_argument("--onlink", action="store_true")
        p.add_argument("--group", metavar="ID[,WEIGHT][/ID[,WEIGHT]...]")
        p.add_argument("--type", choices=("mpath", "resilient"), default="mpath", help="group type")
        p.add_argument("--buckets", type=number)
        p.add_argument("--idle-timer", type=number, metavar="SECONDS")
        p.add_argument("--unbalanced-timer", type=number, metavar="SECONDS")
        p.add_argument("--protocol")
        _family(p)
        p.set_defaults(action_verb=verb)
    p = leaf(nh, "del", _cmd_nexthop_change, "delete a nexthop object", json_out=False)
    p.add_argument("id", type=number)
    p.set_defaults(action_verb="del")
