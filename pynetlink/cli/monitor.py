"""``pynetlink monitor [link|addr|route|neigh|nsid|rule|nexthop|nft ...] [-n NETNS] [-j]``: one line (or one JSON
object) per event, flushed at once, until Ctrl-C (exit status 0)."""
from __future__ import annotations

import argparse
import json
import sys

TYPE_CHECKING = False       # typing is not imported at run time (start-up)
if TYPE_CHECKING:
    from typing import Any, Callable


WHAT = ("link", "addr", "route", "neigh", "nsid", "rule", "nexthop", "nft", "all")
RTNL = ["link", "addr", "route", "neigh", "nsid", "iprule", "nexthop"]


class _What(tuple):  # type: ignore[type-arg]
    """WHAT as argparse choices (offered by completion); argparse checks an empty list too."""

    def __contains__(self, value: object) -> bool:
        return value == [] or tuple.__contains__(self, value)


ALIASES = {"rule": "iprule"}     # monitor words that name another event kind


def _cmd_monitor(args: argparse.Namespace) -> int:
    kinds: list[str] = [ALIASES.get(k, k) for k in map(str, args.what) if k != "all"] or RTNL
    if "all" in args.what:
        kinds = RTNL + ["nft"]
    from ..events import Events          # asyncio and the event decoders: only for this command
    from ..events.text import line
    as_json = bool(getattr(args, "json", False))
    out = sys.stdout
    seen = 0
    try:
        with Events(kinds, netns=args.netns, start_with_current=args.current) as events:
            for e in events:
                out.write((json.dumps(e.to_dict(), default=str) if as_json else line(e)) + "\n")
                out.flush()
                seen += 1
                if args.count and seen >= args.count:
                    break
    except KeyboardInterrupt:
        pass
    return 0


def add_monitor(sub: Any, leaf: Callable[..., argparse.ArgumentParser]) -> None:
    """The ``monitor`` subcommand (``leaf`` adds -n/-j as for every command)."""
    p = leaf(sub, "monitor", _cmd_monitor, "watch changes: one line or JSON object per event "
             "(like ip monitor); Ctrl-C stops")
    p.add_argument("what", nargs="*", default=[], metavar="WHAT", choices=_What(WHAT),
                   help="link, addr, route, neigh, nsid, rule (policy routing), nexthop, nft, all "
                        "(default: every rtnetlink kind)")
    p.add_argument("--current", action="store_true",
                   help="first print every existing object (as new), then the changes")
    p.add_argument("--count", type=int, default=0, metavar="N", help="exit after N events")


__all__ = ["add_monitor"]
