"""The argument parser of every subcommand."""
from __future__ import annotations

import argparse

from .._version import __version__
from .completion import _cmd_completion
from .monitor import add_monitor
from .routing import add_parsers as _add_routing_parsers, route_options
from .cni import add_parser as _add_cni_parser
from .link import add_link_verbs
from .overlay import add_overlay_args
from .bridge import add_parser as _add_bridge_parser
from .sysctl import add_parser as _add_sysctl_parser
from .tc import add_parser as _add_tc_parser
from .network import (
    _cmd_check, _cmd_demo, _cmd_net_connect, _cmd_net_create, _cmd_net_disconnect, _cmd_net_inspect,
    _cmd_net_ls, _cmd_net_rm)
from .inspect import (
    _cmd_addr_change, _cmd_addr_show, _cmd_link_del, _cmd_link_show,
    _cmd_nat_change, _cmd_nat_show, _cmd_netns, _cmd_route_change, _cmd_route_show)

TYPE_CHECKING = False       # typing is not imported at run time (start-up)
if TYPE_CHECKING:
    from typing import Any, Callable


def seconds(text: str) -> float:
    """A number of seconds, finite and not negative (argparse names the option on error)."""
    value = float(text)
    if not 0 <= value < float("inf"):
        raise ValueError(text)
    return value


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


class _Sink:
    """What the parser of a command not being run is built into: every call is taken and
    nothing made (its stub in the list of commands has its name and help only)."""

    def __getattr__(self, name: str) -> Callable[..., "_Sink"]:
        return lambda *a, **kw: self


class _Only:
    """The top-level subparsers, building in full only the command ``only`` names (a stub,
    name and help, for every other one: ``--help`` lists them all)."""

    def __init__(self, sub: Any, only: str) -> None:
        self.sub, self.only = sub, only

    def add_parser(self, name: str, **kw: Any) -> Any:
        if name == self.only:
            return self.sub.add_parser(name, **kw)
        self.sub.add_parser(name, help=kw.get("help"), add_help=False)
        return _Sink()


_LONG_VALUED = ("--netns", "--state-dir", "--ipam-dir")   # the top level's options with a value


def _takes_next(arg: str) -> bool:
    """Whether top-level option ``arg`` takes the next word as its value: ``-n``, a cluster
    ending in it (``-jn``), or a long one, abbreviated or not (``--net``), without ``=``."""
    if arg.startswith("--"):
        return "=" not in arg and len(arg) > 2 and any(o.startswith(arg) for o in _LONG_VALUED)
    return arg.startswith("-") and "n" in arg and arg.index("n") == len(arg) - 1


def command_of(argv: "list[str]") -> "str | None":
    """The command ``argv`` runs (its first word after the top level's options, as argparse
    reads them), if any."""
    it = iter(argv)
    for arg in it:
        if arg == "--":
            return next(it, None)
        if not arg.startswith("-") or arg == "-":
            return arg
        if _takes_next(arg):
            next(it, None)
    return None


def build_parser(only: "str | None" = None) -> argparse.ArgumentParser:
    """The whole parser; with ``only``, that command's in full and the others' stubs (what
    one run needs: a start-up of the command line builds ~5 parsers, not ~70; ``""``: stubs
    only, for ``--help`` and errors)."""
    parser = argparse.ArgumentParser(
        prog="pynetlink", description="Linux netlink without iproute2: container networks, "
        "links, addresses, routes, namespaces, NAT.",
        epilog="Start with: pynetlink demo")
    parser.add_argument("-n", "--netns", default=None,
                        help="work in this network namespace (name, path or pid); for network: the host")
    parser.add_argument("-j", "--json", action="store_true", help="JSON output")
    parser.add_argument("-V", "--version", action="version", version=f"pynetlink {__version__}")
    parser.add_argument("--state-dir", default=None,
                        help="where network records live (default /run/pynetlink, per host namespace)")
    parser.add_argument("--ipam-dir", default=None,
                        help="where address allocations live (default: the state dir)")
    sub: Any = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    if only is not None:
        sub = _Only(sub, only)

    p = sub.add_parser("completion", help="print a shell completion script (eval \"$(pynetlink "
                       "completion bash)\")", description="print a shell completion script")
    p.add_argument("shell", choices=("bash", "zsh"), help="zsh: after 'autoload -U bashcompinit && bashcompinit'")
    p.set_defaults(func=_cmd_completion, netns=None)
    check = _leaf(sub, "check", _cmd_check, "what this kernel and these privileges allow (probed)")
    check.set_defaults(netns=None)
    demo = _leaf(sub, "demo", _cmd_demo, "build scenario S1 in throwaway namespaces, prove it "
                 "with real packets, tear it down")
    demo.add_argument("--containers", type=int, default=3, help="how many containers (default 3)")
    demo.add_argument("--pause", type=seconds, default=0.0, metavar="SECONDS",
                      help="wait before the teardown, to look around")

    net = sub.add_parser("network", help="Docker-style networks: create, rm, ls, inspect, "
                         "connect, disconnect").add_subparsers(dest="verb", required=True, metavar="VERB")
    p = _leaf(net, "create", _cmd_net_create, "create a network", json_out=False)
    p.add_argument("-d", "--driver", default="bridge", help="bridge (default), macvlan, ipvlan or overlay")
    p.add_argument("-o", "--opt", action="append", default=[], metavar="KEY=VALUE",
                   help="driver option: parent, macvlan_mode, ipvlan_mode, ipvlan_flag, "
                        "bridge_name, mtu, masquerade, enable_icc, host_binding_ipv4, vlan; overlay: vni, peers, local, dstport (Docker's "
                        "com.docker.network.* names too)")
    p.add_argument("--ipv6", action="store_true", default=None,
                   help="enable IPv6 (a unique local /64 unless an IPv6 --subnet is given)")
    p.add_argument("--internal", action="store_true",
                   help="no masquerade, no route out: containers reach each other and the gateway only")
    p.add_argument("--label", action="append", default=[], metavar="KEY=VALUE",
                   help="a label (repeatable), shown by inspect, matched by ls --filter label=")
    p.add_argument("--subnet", action="append", default=[], help="subnet in CIDR (repeatable)")
    p.add_argument("--gateway", action="append", default=[], help="gateway address, no prefix")
    p.add_argument("--ip-range", action="append", default=[], help="allocate from this CIDR")
    p.add_argument("--aux-address", action="append", default=[], metavar="NAME=IP",
                   help="an address containers never get (repeatable)")
    add_overlay_args(p)
    p.add_argument("name")
    p = _leaf(net, "rm", _cmd_net_rm, "remove networks and everything they made", json_out=False)
    p.add_argument("-f", "--force", action="store_true", help="disconnect containers first")
    p.add_argument("names", nargs="+", metavar="NETWORK")
    p = _leaf(net, "ls", _cmd_net_ls, "list networks")
    p.add_argument("-f", "--filter", action="append", default=[], metavar="KEY=VALUE",
                   help="name=, driver=, label=KEY or label=KEY=VALUE (repeatable: all must match)")
    p = _leaf(net, "inspect", _cmd_net_inspect, "networks as JSON", json_out=False)
    p.add_argument("names", nargs="+", metavar="NETWORK")
    p = _leaf(net, "connect", _cmd_net_connect, "connect containers (namespaces: name, path "
              "or pid) to a network; many at once go in one batch")
    p.add_argument("--ip", action="append", default=[], help="the container's address (IPv4 and/or IPv6)")
    p.add_argument("--ifname", help="interface name inside (default eth0, eth1, ...)")
    p.add_argument("-p", "--publish", action="append", default=[], metavar="[IP:]PORT:PORT[/PROTO]",
                   help="publish a port (bridge networks)")
    p.add_argument("--vlan", type=int, help="the container's VLAN (networks made with -o vlan=N)")
    for k in ("ingress-rate", "ingress-burst", "egress-rate", "egress-burst"):
        p.add_argument(f"--{k}", help="bandwidth limit of the container (8mbit, 32kb; docs/shaping.md)")
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
        p.add_argument("-s", "--stats", action="store_true", help="with counters (ip -s)")
    add_link_verbs(link, _leaf)
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
        route_options(p)

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
    add_monitor(sub, _leaf)
    _add_routing_parsers(sub, _leaf)
    _add_cni_parser(sub)
    _add_bridge_parser(sub, _leaf)
    _add_tc_parser(sub, _leaf)
    _add_sysctl_parser(sub, _leaf)
    return parser
