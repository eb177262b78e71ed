"""``link``, ``addr``, ``route``, ``netns``, ``nat``: inspection and quick changes."""
from __future__ import annotations

import argparse

from ..errors import InvalidArgument
from .output import EXIT_OK, _json, _log_to_stderr, _table

TYPE_CHECKING = False       # typing is not imported at run time (start-up)
if TYPE_CHECKING:
    from typing import Any


# -- link, addr, route ---------------------------------------------------------------------------
def _handle(args: argparse.Namespace) -> Any:
    from ..api.handle import Handle
    return Handle(args.netns)


def _names(h: Any) -> dict[int, str]:
    return {v.index: v.name for v in h.links.dump()}


_STATS_COLS = ("bytes", "packets", "errors", "dropped")


def _stats(s: Any) -> dict[str, Any] | None:
    """Counters shaped like ``ip -j -s link``'s ``stats64``."""
    if s is None:
        return None
    return {"rx": {"bytes": s.rx_bytes, "packets": s.rx_packets, "errors": s.rx_errors,
                   "dropped": s.rx_dropped, "over_errors": s.rx_over_errors, "multicast": s.multicast},
            "tx": {"bytes": s.tx_bytes, "packets": s.tx_packets, "errors": s.tx_errors,
                   "dropped": s.tx_dropped, "carrier_errors": s.tx_carrier_errors,
                   "collisions": s.collisions}}


def _cmd_link_show(args: argparse.Namespace) -> int:
    from . import ipjson       # not at import: rtnl's views are ~10 ms of --help
    with _handle(args) as h:
        views = [h.links.get(args.name)] if args.name else h.links.dump()
        names = _names(h)
        data = [ipjson.link(v, names) for v in views]
        if getattr(args, "stats", False):
            for d, v in zip(data, views):
                d["stats64"] = _stats(v.stats)
    if args.json:
        _json(data)
    elif getattr(args, "stats", False):
        _table([(d["ifname"], *(d["stats64"][w][k] for w in ("rx", "tx") for k in _STATS_COLS))
                for d in data], ("NAME", *(f"{w}_{k}".upper() for w in ("RX", "TX") for k in _STATS_COLS)))
    else:
        _table([(d["ifindex"], d["ifname"], d.get("linkinfo", {}).get("info_kind"), d["operstate"],
                 d["mtu"], d["address"], d.get("master")) for d in data],
               ("INDEX", "NAME", "KIND", "STATE", "MTU", "MAC", "MASTER"))
    return EXIT_OK


def _cmd_link_del(args: argparse.Namespace) -> int:
    with _handle(args) as h:
        h.links.delete(args.name)
    return EXIT_OK


def _cmd_addr_show(args: argparse.Namespace) -> int:
    from . import ipjson       # not at import: rtnl's views are ~10 ms of --help
    with _handle(args) as h:
        links = [h.links.get(args.dev)] if args.dev else h.links.dump()
        names = {v.index: v.name for v in (links if not args.dev else h.links.dump())}
        addrs = h.addresses.dump(args.dev) if args.dev else h.addresses.dump()
        if args.json:
            _json(ipjson.addresses(links, addrs, names, every_link=True))
            return EXIT_OK
        rows = [a.to_dict() for a in addrs]
    _table([(names.get(a["link"], a["link"]), f"{a['address']}/{a['prefixlen']}", a["scope"],
             ",".join(a["flags"])) for a in rows], ("DEV", "ADDRESS", "SCOPE", "FLAGS"))
    return EXIT_OK


def _cmd_addr_change(args: argparse.Namespace) -> int:
    with _handle(args) as h:
        (h.addresses.add if args.action == "add" else h.addresses.delete)(args.dev, args.address)
    return EXIT_OK


def _cmd_route_show(args: argparse.Namespace) -> int:
    from . import ipjson       # not at import: rtnl's views are ~10 ms of --help
    with _handle(args) as h:
        names = _names(h)
        table: str | int | None = None if args.table == "all" else \
            (int(args.table) if args.table.isdigit() else args.table)
        try:
            found = h.routes.dump(table=table, family=args.family)
        except InvalidArgument as exc:            # the option, not the API's field, is named
            raise InvalidArgument(f"--table {args.table!r}: {str(exc).removeprefix('Route.table: ')}") from None
        data = [ipjson.route(r, names, every_table=table is None) for r in found]
    if args.json:
        _json(data)
    else:
        _table([(d["dst"], d.get("gateway"), d.get("dev"), d.get("protocol"), d.get("scope"),
                 d.get("prefsrc"), d.get("metric")) for d in data],
               ("DESTINATION", "GATEWAY", "DEV", "PROTO", "SCOPE", "SRC", "METRIC"))
    return EXIT_OK


def _cmd_route_change(args: argparse.Namespace) -> int:
    opts = {k: v for k, v in (("via", args.via), ("dev", args.dev), ("metric", args.metric)) if v is not None}
    with _handle(args) as h:
        (h.routes.add if args.action == "add" else h.routes.delete)(args.dst, **opts)
    return EXIT_OK


# -- netns, nat ----------------------------------------------------------------------------------
def _cmd_netns(args: argparse.Namespace) -> int:
    from ..transport import NetNS
    if args.action == "add":
        NetNS.create(args.name)
    elif args.action == "del":
        from ..networks import forget_namespace
        _log_to_stderr()
        NetNS.named(args.name).delete()
        # its networks died with it: their records go (each one logged), addresses are released
        forget_namespace(args.name, state_dir=args.state_dir, ipam_dir=args.ipam_dir)
    elif args.json:
        _json([{"name": n} for n in NetNS.list()])
    else:
        for n in NetNS.list():
            print(n)
    return EXIT_OK


def _nat(args: argparse.Namespace) -> Any:
    from ..nft import DockerNat, Nftables
    return DockerNat(Nftables(args.netns), family="inet")      # the table networks use


def _cmd_nat_show(args: argparse.Namespace) -> int:
    nat = _nat(args)
    try:
        table = nat.nft.table(nat.table, family=nat.family)
    except FileNotFoundError:
        table = None
    chains = [] if table is None else list(table.chains)
    published = nat.published()
    if args.json:
        _json({"table": nat.table, "family": nat.family,
               "rules": [{"chain": c.name, "rule": str(r), "comment": r.comment}
                         for c in chains for r in c.rules],
               "published": [{"host_port": p.host_port, "to": p.to, "to_port": p.to_port,
                              "proto": p.proto, "host_addr": p.host_addr} for p in published]})
    else:
        print(f"table {nat.family} {nat.table}" + ("" if table else " (not present)"))
        if table is not None:
            _table([(c.name, str(r)) for c in chains for r in c.rules], ("CHAIN", "RULE"))
        if published:
            print()
            _table([(f"{p.host_addr or '*'}:{p.host_port}/{p.proto}", f"{p.to}:{p.to_port or p.host_port}")
                    for p in published], ("PUBLISHED", "TO"))
    nat.nft.close()
    return EXIT_OK


def _cmd_nat_change(args: argparse.Namespace) -> int:
    from ..networks import parse_publish
    nat = _nat(args)
    try:
        if args.action == "masquerade":
            nat.masquerade(args.subnet, args.out_not)
        elif args.action == "publish":
            nat.publish(parse_publish(args.spec, args.to))
        elif args.action == "unpublish":
            p = parse_publish(args.spec)
            print(nat.unpublish(p.host_port, p.proto, p.host_addr))
        else:
            nat.teardown()
    finally:
        nat.nft.close()
    return EXIT_OK
