"""``pynetlink tc``: bandwidth set|show|clear, qdisc ls, filter ls (traffic control)."""
from __future__ import annotations

import argparse

from .inspect import _handle
from .output import EXIT_OK, _json, _table

TYPE_CHECKING = False       # typing is not imported at run time (start-up)
if TYPE_CHECKING:
    from typing import Any, Callable
    Leaf = Callable[..., argparse.ArgumentParser]


def _cmd_bandwidth(args: argparse.Namespace) -> int:
    with _handle(args) as h:
        if args.action == "set":
            bw = h.tc.set_bandwidth(args.dev, ingress_rate=args.ingress_rate,
                                    ingress_burst=args.ingress_burst, egress_rate=args.egress_rate,
                                    egress_burst=args.egress_burst, latency=args.latency)
        elif args.action == "clear":
            h.tc.clear_bandwidth(args.dev)
            return EXIT_OK
        else:
            bw = h.tc.bandwidth(args.dev)
    if args.action == "show" or args.json:
        data = bw.to_dict()
        if args.json:
            _json(data)
        else:
            _table([(d, data[f"{d}_rate"], data[f"{d}_burst"]) for d in ("ingress", "egress")],
                   ("DIRECTION", "RATE(bit/s)", "BURST(bytes)"))
    return EXIT_OK


def _cmd_qdisc_ls(args: argparse.Namespace) -> int:
    with _handle(args) as h:
        names = {v.index: v.name for v in h.links.dump()}
        data = [dict(q.to_dict(), dev=names.get(q.link, q.link)) for q in h.tc.qdiscs(args.dev)]
    if args.json:
        _json(data)
    else:
        _table([(d["dev"], d["kind"], d["handle"], d["parent"], d["rate"], d["burst"], d["limit"])
                for d in data], ("DEV", "KIND", "HANDLE", "PARENT", "RATE", "BURST", "LIMIT"))
    return EXIT_OK


def _cmd_filter_ls(args: argparse.Namespace) -> int:
    with _handle(args) as h:
        names = {v.index: v.name for v in h.links.dump()}
        data = []
        for f in h.tc.filters(args.dev, args.parent):
            d = f.to_dict()
            d["actions"] = [dict(a, dev=names.get(a["ifindex"], a["ifindex"])) if "ifindex" in a else a
                            for a in d["actions"]]
            data.append(dict(d, dev=names.get(f.link, f.link)))
    if args.json:
        _json(data)
    else:
        _table([(d["dev"], d["kind"], d["handle"], d["parent"], d["prio"],
                 "; ".join(f"{a['kind']} {a.get('action', '')} {a.get('dev', '')}".strip()
                           for a in d["actions"]) or None) for d in data],
               ("DEV", "KIND", "HANDLE", "PARENT", "PRIO", "ACTIONS"))
    return EXIT_OK


def add_parser(sub: Any, leaf: Leaf) -> None:
    tc = sub.add_parser("tc", help="traffic control: bandwidth limits, qdiscs, filters").add_subparsers(
        dest="verb", required=True, metavar="VERB")
    bw = tc.add_parser("bandwidth", help="rate limits of a link (tbf; ingress through an ifb)"
                       ).add_subparsers(dest="action", required=True, metavar="ACTION")
    p = leaf(bw, "set", _cmd_bandwidth, "limit what DEV receives (ingress) and sends (egress); "
             "rates in bit/s or as tc writes them (8mbit), bursts in bytes (32kb)")
    p.add_argument("dev")
    p.add_argument("--ingress-rate")
    p.add_argument("--ingress-burst")
    p.add_argument("--egress-rate")
    p.add_argument("--egress-burst")
    p.add_argument("--latency", type=float, default=0.025, metavar="SECONDS",
                   help="how long a packet may queue (default 0.025)")
    p.set_defaults(action="set")
    for action, text in (("show", "the limits of DEV"), ("clear", "remove the limits of DEV")):
        p = leaf(bw, action, _cmd_bandwidth, text, json_out=action == "show")
        p.add_argument("dev")
        p.set_defaults(action=action)
    qd = tc.add_parser("qdisc", help="queueing disciplines").add_subparsers(
        dest="action", required=True, metavar="ACTION")
    for name in ("ls", "show"):
        leaf(qd, name, _cmd_qdisc_ls, "list qdiscs").add_argument("dev", nargs="?")
    fl = tc.add_parser("filter", help="filters").add_subparsers(dest="action", required=True,
                                                                metavar="ACTION")
    for name in ("ls", "show"):
        p = leaf(fl, name, _cmd_filter_ls, "list the filters of a link's qdisc")
        p.add_argument("dev")
        p.add_argument("--parent", default="ingress", choices=("ingress", "root"))
