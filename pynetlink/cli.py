"""The ``pynetlink`` command (also ``python -m pynetlink``). Never imported by the library."""
from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Sequence


def _cmd_check(args: argparse.Namespace) -> int:
    from .check import report
    probes, caps = report()
    if args.json:
        print(json.dumps({"kernel": os.uname().release, "capabilities": caps,
                          "features": [p.to_dict() for p in probes]}, indent=2))
    else:
        print(f"pynetlink check: kernel {os.uname().release}, "
              + ", ".join(f"{c} {'yes' if ok else 'NO'}" for c, ok in caps.items()))
        width = max(len(p.what) for p in probes)
        for p in probes:
            print(f"  {'ok     ' if p.ok else 'missing'}  {p.what:<{width}}  {p.reason}")
        n_ok = sum(p.ok for p in probes)
        print(f"{n_ok} of {len(probes)} features available"
              + ("" if n_ok == len(probes) else "; missing ones run in the VM tier (docs/testing.md)"))
    netns = next((p for p in probes if p.name == "netns"), None)
    return 0 if netns is not None and netns.ok else 2


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="pynetlink", description="Linux netlink without iproute2.")
    sub = parser.add_subparsers(dest="command", required=True)
    check = sub.add_parser("check", help="what this kernel and these privileges allow (probed)")
    check.add_argument("-j", "--json", action="store_true", help="JSON output")
    check.set_defaults(func=_cmd_check)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args))
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except OSError as exc:
        print(f"pynetlink: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
