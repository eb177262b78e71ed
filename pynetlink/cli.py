"""The ``pynetlink`` command (also ``python -m pynetlink``). Never imported by the library.

    pynetlink demo                                  the main job: scenario S1 with real packets
    pynetlink check                                 what this kernel and these privileges allow
    pynetlink network create|rm|ls|inspect|connect|disconnect    Docker's option language
    pynetlink link|addr|route|netns|nat             inspection and quick changes (-j: JSON)

``-n NETNS`` works in that namespace (as ``ip -n``); for ``network`` it is the host.
Exit status: 0 success, 1 the kernel or the system refused, 2 bad input (nothing changed),
130 interrupted.
"""
from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from typing import Any, Callable, Sequence

from .errors import BatchError, InvalidArgument

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130


# -- output helpers ------------------------------------------------------------------------------
def _table(rows: Sequence[Sequence[Any]], header: Sequence[str]) -> None:
    cells = [[str(c) if c is not None else "-" for c in r] for r in [header, *rows]]
    widths = [max(len(r[i]) for r in cells) for i in range(len(header))]
    for r in cells:
        print("  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip())


def _json(data: Any) -> None:
    print(json.dumps(data, indent=2, default=str))


class Progress:
    """``label  120/500 [#####.....]`` on a terminal's stderr; silent elsewhere."""

    def __init__(self, label: str, stream: Any = None) -> None:
        self.label = label
        self.stream = stream or sys.stderr
        self.live = hasattr(self.stream, "isatty") and self.stream.isatty()

    def __call__(self, done: int, total: int) -> None:
        if not self.live or total <= 1:
            return
        width = 30
        fill = width * done // total
        self.stream.write(f"\r{self.label} {done}/{total} [{'#' * fill}{'.' * (width - fill)}]")
        if done >= total:
            self.stream.write("\n")
        self.stream.flush()


class _Stderr(logging.Handler):
    """The library's warnings (e.g. stale network records dropped) as ``pynetlink: ...``."""

    def emit(self, record: logging.LogRecord) -> None:
        print(f"pynetlink: {record.getMessage()}", file=sys.stderr)


def _log_to_stderr() -> None:
    logger = logging.getLogger("pynetlink")
    if not any(isinstance(h, _Stderr) for h in logger.handlers):
        logger.addHandler(_Stderr(logging.WARNING))


# -- check, demo ---------------------------------------------------------------------------------
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


def _cmd_demo(args: argparse.Namespace) -> int:
    from .networks.demo import run_demo
    say: Callable[[str], None] = (lambda s: None) if args.json else print
    if not args.json:
        print(f"pynetlink demo: scenario S1 (docker0 bridge, {args.containers} containers, "
              "masquerade, a published port) in throwaway namespaces")
    res = run_demo(args.containers, say, args.pause)
    if args.json:
        _json(res.to_dict())
    else:
        print("timings (ms): " + ", ".join(f"{k} {v:.1f}" for k, v in res.timings.items()))
        print("cleanup: " + ("every namespace deleted" if not res.leftovers
                             else f"LEFT BEHIND: {', '.join(res.leftovers)}"))
        n_ok = sum(p["ok"] for p in res.proofs)
        print(f"{'OK' if res.ok else 'FAILED'}: {n_ok} of {len(res.proofs)} proofs passed")
    return EXIT_OK if res.ok else EXIT_FAILED


# -- network -------------------------------------------------------------------------------------
def _networks(args: argparse.Namespace) -> Any:
    from .networks import Networks
    return Networks(args.netns, state_dir=args.state_dir, ipam_dir=args.ipam_dir)


def _cmd_net_create(args: argparse.Namespace) -> int:
    net = _networks(args).create(args.name, driver=args.driver, options=args.opt,
                                 subnet=args.subnet, gateway=args.gateway, ip_range=args.ip_range,
                                 aux_addresses=args.aux_address)
    print(net.id)
    return EXIT_OK


def _cmd_net_rm(args: argparse.Namespace) -> int:
    nets = _networks(args)
    for name in args.names:
        nets.remove(name, force=args.force)
        print(name)
    return EXIT_OK


def _cmd_net_ls(args: argparse.Namespace) -> int:
    nets = _networks(args).list()
    if args.json:
        _json([n.to_dict() for n in nets])
        return EXIT_OK
    rows = [(n.id, n.name, n.driver, ",".join(str(p.subnet) for p in n.config.pools),
             ",".join(str(p.gateway) for p in n.config.pools), n.bridge or n.config.parent,
             len(n.endpoints), n.state) for n in nets]
    _table(rows, ("NETWORK ID", "NAME", "DRIVER", "SUBNET", "GATEWAY", "DEVICE", "CONTAINERS", "STATE"))
    return EXIT_OK


def _cmd_net_inspect(args: argparse.Namespace) -> int:
    nets = _networks(args)
    _json([nets.get(n).to_dict() for n in args.names])
    return EXIT_OK


def _cmd_net_connect(args: argparse.Namespace) -> int:
    from .networks import Attach, OptionError
    if len(args.containers) > 1 and (args.ip or args.ifname):
        raise OptionError("--ip", "--ip and --ifname apply to one container; connect them one by one")
    items = [Attach(_ns_ref(c), args.ip or None, args.ifname, args.publish) for c in args.containers]
    eps = _networks(args).connect_many(args.network, items,
                                       progress=Progress(f"connecting to {args.network}"))
    if args.json:
        _json([e.to_dict() for e in eps])
    else:
        _table([(e.container, e.ifname, " ".join(e.addresses), e.mac, e.host_ifname,
                 " ".join(e.publish)) for e in eps],
               ("CONTAINER", "IFNAME", "ADDRESSES", "MAC", "HOST VETH", "PUBLISHED"))
    return EXIT_OK


def _cmd_net_disconnect(args: argparse.Namespace) -> int:
    _networks(args).disconnect_many(args.network, [_ns_ref(c) for c in args.containers])
    return EXIT_OK


def _ns_ref(text: str) -> str | int:
    """A container namespace: a pid (digits), a path, or a name."""
    return int(text) if text.isdigit() else text


# -- link, addr, route ---------------------------------------------------------------------------
def _handle(args: argparse.Namespace) -> Any:
    from .api import Handle
    return Handle(args.netns)


def _names(h: Any) -> dict[int, str]:
    return {v.index: v.name for v in h.links.dump()}


def _ip_link(v: Any, names: dict[int, str]) -> dict[str, Any]:
    """A link shaped like ``ip -j link`` output."""
    out: dict[str, Any] = {"ifindex": v.index, "ifname": v.name,
                           "flags": sorted(f.upper() for f in v.flags), "mtu": v.mtu,
                           "operstate": v.operstate.upper(), "group": v.group, "txqlen": v.txqlen,
                           "address": v.mac}
    if v.master:
        out["master"] = names.get(v.master, v.master)
    if v.kind:
        out["linkinfo"] = {"info_kind": v.kind}
    if v.alias:
        out["ifalias"] = v.alias
    return out


def _cmd_link_show(args: argparse.Namespace) -> int:
    with _handle(args) as h:
        views = [h.links.get(args.name)] if args.name else h.links.dump()
        names = _names(h)
        data = [_ip_link(v, names) for v in views]
    if args.json:
        _json(data)
    else:
        _table([(d["ifindex"], d["ifname"], d.get("linkinfo", {}).get("info_kind"), d["operstate"],
                 d["mtu"], d["address"], d.get("master")) for d in data],
               ("INDEX", "NAME", "KIND", "STATE", "MTU", "MAC", "MASTER"))
    return EXIT_OK


def _cmd_link_add(args: argparse.Namespace) -> int:
    from . import api
    kw: dict[str, Any] = {"mtu": args.mtu, "master": args.master}
    kinds: dict[str, Callable[[], Any]] = {
        "bridge": lambda: api.Bridge(args.name, **kw),
        "veth": lambda: api.Veth(args.name, peer=args.peer, peer_netns=args.peer_netns, **kw),
        "dummy": lambda: api.Dummy(args.name, **kw),
        "vlan": lambda: api.Vlan(args.name, parent=_need(args.parent, "--parent"),
                                 id=int(_need(args.id, "--id")), **kw),
        "macvlan": lambda: api.Macvlan(args.name, parent=_need(args.parent, "--parent"),
                                       mode=args.mode, **kw),
        "ipvlan": lambda: api.Ipvlan(args.name, parent=_need(args.parent, "--parent"),
                                     mode=args.mode, **kw),
    }
    with _handle(args) as h:
        h.links.create(kinds[args.type](), up=args.up or None)
    return EXIT_OK


def _need(value: Any, option: str) -> Any:
    if value is None:
        raise InvalidArgument(f"{option} is needed for this link type")
    return value


def _cmd_link_set(args: argparse.Namespace) -> int:
    up = {"up": True, "down": False, None: None}[args.state]
    with _handle(args) as h:
        h.links.set(args.name, up=up, mtu=args.mtu, name=args.rename, master=args.master,
                    nomaster=args.nomaster, alias=args.alias)
    return EXIT_OK


def _cmd_link_del(args: argparse.Namespace) -> int:
    with _handle(args) as h:
        h.links.delete(args.name)
    return EXIT_OK


def _cmd_addr_show(args: argparse.Namespace) -> int:
    with _handle(args) as h:
        names = _names(h)
        addrs = h.addresses.dump(args.dev) if args.dev else h.addresses.dump()
        rows = [a.to_dict() for a in addrs]
    if args.json:
        by_link: dict[int, dict[str, Any]] = {}
        for a in rows:
            entry = by_link.setdefault(a["link"], {"ifindex": a["link"],
                                                   "ifname": names.get(a["link"]), "addr_info": []})
            entry["addr_info"].append({"family": "inet6" if a["family"] == 6 else "inet",
                                       "local": a["address"], "prefixlen": a["prefixlen"],
                                       "scope": a["scope"], **({"label": a["label"]} if a["label"] else {})})
        _json(list(by_link.values()))
    else:
        _table([(names.get(a["link"], a["link"]), f"{a['address']}/{a['prefixlen']}", a["scope"],
                 ",".join(a["flags"])) for a in rows], ("DEV", "ADDRESS", "SCOPE", "FLAGS"))
    return EXIT_OK


def _cmd_addr_change(args: argparse.Namespace) -> int:
    with _handle(args) as h:
        (h.addresses.add if args.action == "add" else h.addresses.delete)(args.dev, args.address)
    return EXIT_OK


def _cmd_route_show(args: argparse.Namespace) -> int:
    with _handle(args) as h:
        names = _names(h)
        table: str | int | None = None if args.table == "all" else \
            (int(args.table) if args.table.isdigit() else args.table)
        routes = [r.to_dict() for r in h.routes.dump(table=table, family=args.family)]
    data = []
    for r in routes:
        d: dict[str, Any] = {"dst": r["dst"]}
        if r.get("via"):
            d["gateway"] = r["via"]
        if r.get("dev"):
            d["dev"] = names.get(r["dev"], r["dev"])
        for k in ("protocol", "scope", "metric", "table", "type"):
            if r.get(k) not in (None, "unicast", 254, "main"):
                d[k] = r[k]
        if r.get("src"):
            d["prefsrc"] = r["src"]
        data.append(d)
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
    from .transport import NetNS
    if args.action == "add":
        NetNS.create(args.name)
    elif args.action == "del":
        from .networks import forget_namespace
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
    from .nft import DockerNat, Nftables
    return DockerNat(Nftables(args.netns))


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
    from .networks import parse_publish
    nat = _nat(args)
    try:
        if args.action == "masquerade":
            nat.masquerade(args.subnet, args.out_not)
        elif args.action == "publish":
            nat.publish(parse_publish(args.spec, args.to))
        elif args.action == "unpublish":
            p = parse_publish(args.spec, "0.0.0.0")
            print(nat.unpublish(p.host_port, p.proto, p.host_addr))
        else:
            nat.teardown()
    finally:
        nat.nft.close()
    return EXIT_OK


# -- the parser ----------------------------------------------------------------------------------
def _common(p: argparse.ArgumentParser, json_out: bool = True) -> None:
    p.add_argument("-n", "--netns", default=argparse.SUPPRESS,
                   help="work in this network namespace (name, path or pid); for network: the host")
    if json_out:
        p.add_argument("-j", "--json", action="store_true", default=argparse.SUPPRESS,
                       help="JSON output")
    p.add_argument("--state-dir", default=argparse.SUPPRESS, help=argparse.SUPPRESS)
    p.add_argument("--ipam-dir", default=argparse.SUPPRESS, help=argparse.SUPPRESS)


def _leaf(sub: Any, name: str, func: Callable[[argparse.Namespace], int], help: str,
          json_out: bool = True, **kw: Any) -> argparse.ArgumentParser:
    p: argparse.ArgumentParser = sub.add_parser(name, help=help, description=help, **kw)
    _common(p, json_out)
    p.set_defaults(func=func)
    return p


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="pynetlink", description="Linux netlink without iproute2: container networks, "
        "links, addresses, routes, namespaces, NAT.",
        epilog="Start with: pynetlink demo")
    parser.add_argument("-n", "--netns", default=None,
                        help="work in this network namespace (name, path or pid); for network: the host")
    parser.add_argument("-j", "--json", action="store_true", help="JSON output")
    parser.add_argument("--state-dir", default=None,
                        help="where network records live (default /run/pynetlink, per host namespace)")
    parser.add_argument("--ipam-dir", default=None,
                        help="where address allocations live (default: the state dir)")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    check = _leaf(sub, "check", _cmd_check, "what this kernel and these privileges allow (probed)")
    check.set_defaults(netns=None)
    demo = _leaf(sub, "demo", _cmd_demo, "build scenario S1 in throwaway namespaces, prove it "
                 "with real packets, tear it down")
    demo.add_argument("--containers", type=int, default=3, help="how many containers (default 3)")
    demo.add_argument("--pause", type=float, default=0.0, metavar="SECONDS",
                      help="wait before the teardown, to look around")

    net = sub.add_parser("network", help="Docker-style networks: create, rm, ls, inspect, "
                         "connect, disconnect").add_subparsers(dest="verb", required=True, metavar="VERB")
    p = _leaf(net, "create", _cmd_net_create, "create a network", json_out=False)
    p.add_argument("-d", "--driver", default="bridge", help="bridge (default), macvlan or ipvlan")
    p.add_argument("-o", "--opt", action="append", default=[], metavar="KEY=VALUE",
                   help="driver option: parent, macvlan_mode, ipvlan_mode, ipvlan_flag, "
                        "bridge_name, mtu, masquerade")
    p.add_argument("--subnet", action="append", default=[], help="subnet in CIDR (repeatable)")
    p.add_argument("--gateway", action="append", default=[], help="gateway address, no prefix")
    p.add_argument("--ip-range", action="append", default=[], help="allocate from this CIDR")
    p.add_argument("--aux-address", action="append", default=[], metavar="NAME=IP",
                   help="an address containers never get (repeatable)")
    p.add_argument("name")
    p = _leaf(net, "rm", _cmd_net_rm, "remove networks and everything they made", json_out=False)
    p.add_argument("-f", "--force", action="store_true", help="disconnect containers first")
    p.add_argument("names", nargs="+", metavar="NETWORK")
    _leaf(net, "ls", _cmd_net_ls, "list networks")
    p = _leaf(net, "inspect", _cmd_net_inspect, "networks as JSON", json_out=False)
    p.add_argument("names", nargs="+", metavar="NETWORK")
    p = _leaf(net, "connect", _cmd_net_connect, "connect containers (namespaces: name, path "
              "or pid) to a network; many at once go in one batch")
    p.add_argument("--ip", action="append", default=[], help="the container's address (IPv4 and/or IPv6)")
    p.add_argument("--ifname", help="interface name inside (default eth0, eth1, ...)")
    p.add_argument("-p", "--publish", action="append", default=[], metavar="[IP:]PORT:PORT[/PROTO]",
                   help="publish a port (bridge networks)")
    p.add_argument("network")
    p.add_argument("containers", nargs="+", metavar="CONTAINER")
    p = _leaf(net, "disconnect", _cmd_net_disconnect, "disconnect containers", json_out=False)
    p.add_argument("network")
    p.add_argument("containers", nargs="+", metavar="CONTAINER")

    link = sub.add_parser("link", help="links: show, add, set, del").add_subparsers(
        dest="verb", metavar="VERB")
    for name in ("show", "ls"):
        p = _leaf(link, name, _cmd_link_show, "show links")
        p.add_argument("name", nargs="?")
    p = _leaf(link, "add", _cmd_link_add, "create a link", json_out=False)
    p.add_argument("name")
    p.add_argument("type", choices=("bridge", "veth", "dummy", "vlan", "macvlan", "ipvlan"))
    p.add_argument("--peer", help="veth: the peer's name")
    p.add_argument("--peer-netns", help="veth: create the peer in this namespace")
    p.add_argument("--parent", help="vlan, macvlan, ipvlan: the parent link")
    p.add_argument("--id", help="vlan: the VLAN id")
    p.add_argument("--mode", help="macvlan/ipvlan mode")
    p.add_argument("--mtu", type=int)
    p.add_argument("--master")
    p.add_argument("--up", action="store_true")
    p = _leaf(link, "set", _cmd_link_set, "change a link", json_out=False)
    p.add_argument("name")
    p.add_argument("state", nargs="?", choices=("up", "down"))
    p.add_argument("--mtu", type=int)
    p.add_argument("--rename", metavar="NEWNAME")
    p.add_argument("--master")
    p.add_argument("--nomaster", action="store_true")
    p.add_argument("--alias")
    p = _leaf(link, "del", _cmd_link_del, "delete a link", json_out=False)
    p.add_argument("name")

    addr = sub.add_parser("addr", help="addresses: show, add, del").add_subparsers(
        dest="verb", metavar="VERB")
    for name in ("show", "ls"):
        p = _leaf(addr, name, _cmd_addr_show, "show addresses")
        p.add_argument("dev", nargs="?")
    for action in ("add", "del"):
        p = _leaf(addr, action, _cmd_addr_change, f"{action} an address", json_out=False)
        p.add_argument("address", help="with prefix, e.g. 172.17.0.2/24")
        p.add_argument("dev")
        p.set_defaults(action=action)

    route = sub.add_parser("route", help="routes: show, add, del").add_subparsers(
        dest="verb", metavar="VERB")
    for name in ("show", "ls"):
        p = _leaf(route, name, _cmd_route_show, "show routes")
        p.add_argument("--table", default="main", help="main (default), local, a number, or all")
        p.add_argument("-4", dest="family", action="store_const", const=4)
        p.add_argument("-6", dest="family", action="store_const", const=6)
    for action in ("add", "del"):
        p = _leaf(route, action, _cmd_route_change, f"{action} a route", json_out=False)
        p.add_argument("dst", help="'default' or a CIDR")
        p.add_argument("--via")
        p.add_argument("--dev")
        p.add_argument("--metric", type=int)
        p.set_defaults(action=action)

    ns = sub.add_parser("netns", help="network namespaces: ls, add, del").add_subparsers(
        dest="verb", metavar="VERB")
    _leaf(ns, "ls", _cmd_netns, "list named namespaces").set_defaults(action="ls")
    for action in ("add", "del"):
        p = _leaf(ns, action, _cmd_netns, f"{action} a named namespace", json_out=False)
        p.add_argument("name")
        p.set_defaults(action=action)

    nat = sub.add_parser("nat", help="NAT in the library's own nftables table").add_subparsers(
        dest="verb", metavar="VERB")
    for name in ("show", "ls"):
        _leaf(nat, name, _cmd_nat_show, "show the table's rules and published ports")
    p = _leaf(nat, "masquerade", _cmd_nat_change, "masquerade a subnet", json_out=False)
    p.add_argument("subnet")
    p.add_argument("--out-not", required=True, metavar="IFACE", help="except leaving by this link")
    p.set_defaults(action="masquerade")
    p = _leaf(nat, "publish", _cmd_nat_change, "publish a port", json_out=False)
    p.add_argument("spec", metavar="[IP:]PORT:PORT[/PROTO]")
    p.add_argument("to", metavar="ADDRESS", help="the container address")
    p.set_defaults(action="publish")
    p = _leaf(nat, "unpublish", _cmd_nat_change, "remove a published port", json_out=False)
    p.add_argument("spec", metavar="[IP:]PORT[/PROTO]")
    p.set_defaults(action="unpublish")
    _leaf(nat, "flush", _cmd_nat_change, "delete the whole table", json_out=False).set_defaults(
        action="flush")
    return parser


_DEFAULT_VERB = {"link": _cmd_link_show, "addr": _cmd_addr_show, "route": _cmd_route_show,
                 "netns": _cmd_netns, "nat": _cmd_nat_show}


def _defaults(args: argparse.Namespace) -> None:
    """Bare ``pynetlink link`` means ``link show`` (as ``ip link``)."""
    if getattr(args, "func", None) is None:
        args.func = _DEFAULT_VERB[args.command]
        for k, v in (("name", None), ("dev", None), ("table", "main"), ("family", None),
                     ("action", "ls")):
            if not hasattr(args, k):
                setattr(args, k, v)


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    _defaults(args)
    _log_to_stderr()
    try:
        return int(args.func(args))
    except KeyboardInterrupt:
        print("pynetlink: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except (InvalidArgument, ValueError) as exc:
        _error(exc)
        return EXIT_USAGE
    except BatchError as exc:
        _error(exc)
        return EXIT_FAILED
    except OSError as exc:
        _error(exc)
        return EXIT_FAILED


def _error(exc: BaseException) -> None:
    text = str(exc) if not isinstance(exc, OSError) or exc.strerror is None else str(exc.strerror)
    if isinstance(exc, OSError) and exc.filename and str(exc.filename) not in text:
        text += f": {exc.filename}"
    print(f"pynetlink: error: {text}", file=sys.stderr)
    for note in getattr(exc, "__notes__", ()):
        print(f"  {note}", file=sys.stderr)


if __name__ == "__main__":
    sys.exit(main())
