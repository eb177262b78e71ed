"""``network create -d overlay``: ``--vni``, ``--peer``, ``--local``, ``--vxlan-port`` are
short for the driver's ``-o vni=``, ``-o peers=``, ``-o local=``, ``-o dstport=``."""
from __future__ import annotations

import argparse


def add_overlay_args(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("overlay driver (VXLAN between hosts)")
    g.add_argument("--vni", help="the VXLAN network id, 1-16777215 (default: from the name)")
    g.add_argument("--peer", action="append", default=[], metavar="IP",
                   help="another host's underlay address (repeatable)")
    g.add_argument("--local", metavar="IP", help="this host's underlay address")
    g.add_argument("--vxlan-port", metavar="PORT", help="UDP port (default 4789)")


def overlay_options(args: argparse.Namespace) -> list[str]:
    """``-o`` options plus the overlay flags given as ``KEY=VALUE``; the flags need ``-d overlay``."""
    from ..networks import OptionError
    flags = [(flag, key, v) for flag, key, v in (
        ("--vni", "vni", args.vni), ("--peer", "peers", ",".join(args.peer)),
        ("--local", "local", args.local), ("--vxlan-port", "dstport", args.vxlan_port)) if v]
    if flags and args.driver != "overlay":
        raise OptionError(flags[0][0], f"is an option of the overlay driver (-d overlay), "
                                       f"not {args.driver}")
    return [*args.opt, *(f"{key}={value}" for _, key, value in flags)]
