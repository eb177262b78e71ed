"""``pynetlink sysctl get|set``: net.* sysctls of a namespace (``-n``)."""
from __future__ import annotations

import argparse

from .inspect import _handle
from .output import EXIT_OK, _json

TYPE_CHECKING = False       # typing is not imported at run time (start-up)
if TYPE_CHECKING:
    from typing import Any, Callable


def _cmd_sysctl(args: argparse.Namespace) -> int:
    from ..api.sysctl import typed
    with _handle(args) as h:
        if args.action == "set":
            h.sysctl.set(args.key, typed(" ".join(args.value)))
            return EXIT_OK
        values = {k: h.sysctl.get(k) for k in args.keys}
    if args.json:
        _json(values)
    else:
        for k, v in values.items():
            print(f"{k} = {' '.join(map(str, v)) if isinstance(v, tuple) else v}")
    return EXIT_OK


def add_parser(sub: Any, leaf: Callable[..., argparse.ArgumentParser]) -> None:
    sc = sub.add_parser("sysctl", help="net.* sysctls of a namespace: get, set").add_subparsers(
        dest="verb", required=True, metavar="VERB")
    p = leaf(sc, "get", _cmd_sysctl, "read sysctls (net.ipv4.ip_forward ...)")
    p.add_argument("keys", nargs="+", metavar="KEY")
    p.set_defaults(action="get")
    p = leaf(sc, "set", _cmd_sysctl, "write one sysctl in this namespace only", json_out=False)
    p.add_argument("key")
    p.add_argument("value", nargs="+", help="an integer, integers (a range) or text")
    p.set_defaults(action="set")
