"""``pynetlink bridge vlan add|del|ls``: VLANs of bridge ports (``bridge vlan``)."""
from __future__ import annotations

import argparse

from ..errors import InvalidArgument
from .inspect import _handle
from .output import EXIT_OK, _json, _table

TYPE_CHECKING = False       # typing is not imported at run time (start-up)
if TYPE_CHECKING:
    from typing import Any, Callable


def _vids(text: str) -> tuple[int, int | None]:
    lo, _, hi = text.partition("-")
    try:
        return int(lo), (int(hi) if hi else None)
    except ValueError:
        raise InvalidArgument(f"vid: expected a VLAN id or a range (10 or 10-20), not {text!r}") from None


def _cmd_vlan_change(args: argparse.Namespace) -> int:
    vid, end = _vids(args.vid)
    with _handle(args) as h:
        if args.action == "add":
            h.bridge_vlans.add(args.dev, vid, end=end, pvid=args.pvid, untagged=args.untagged,
                               master=not args.self)
        else:
            h.bridge_vlans.delete(args.dev, vid, end=end, master=not args.self)
    return EXIT_OK


def _cmd_vlan_ls(args: argparse.Namespace) -> int:
    with _handle(args) as h:
        data = [x.to_dict() for x in h.bridge_vlans.dump(args.dev)]
    if args.json:
        _json(data)
    else:
        rows = []
        for d in data:
            for r in d["vlans"]:
                flags = [f for f in ("pvid", "untagged") if r[f]]
                vids = str(r["vid"]) if r["vid"] == r["end"] else f"{r['vid']}-{r['end']}"
                rows.append((d["name"], vids, " ".join(flags) or None))
        _table(rows, ("DEV", "VLAN", "FLAGS"))
    return EXIT_OK


def add_parser(sub: Any, leaf: Callable[..., argparse.ArgumentParser]) -> None:
    br = sub.add_parser("bridge", help="bridge port VLANs").add_subparsers(
        dest="verb", required=True, metavar="VERB")
    vl = br.add_parser("vlan", help="VLANs of bridge ports: add, del, ls").add_subparsers(
        dest="action", required=True, metavar="ACTION")
    for action in ("add", "del"):
        p = leaf(vl, action, _cmd_vlan_change, f"{action} a VLAN (or a range) of a port", json_out=False)
        p.add_argument("dev")
        p.add_argument("vid", help="a VLAN id (1-4094) or a range: 10-20")
        if action == "add":
            p.add_argument("--pvid", action="store_true", help="untagged frames in join this VLAN")
            p.add_argument("--untagged", action="store_true", help="frames leave the port untagged")
        p.add_argument("--self", action="store_true", help="the device's own entry (the bridge itself)")
        p.set_defaults(action=action)
    for name in ("ls", "show"):
        leaf(vl, name, _cmd_vlan_ls, "VLANs of every port, or of one").add_argument("dev", nargs="?")
