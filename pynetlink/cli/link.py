"""``link add`` (every link kind the library has, with its main options) and ``link set``.

    pynetlink link add br0 bridge --stp on --vlan-filtering on
    pynetlink link add v0 veth --peer v1 --peer-netns ns2
    pynetlink link add vx0 vxlan --id 42 --local 198.51.100.1 --dstport 4789 --learning off
    pynetlink link set eth0 up --mtu 1450 --mac 02:00:00:00:00:01 --txqlen 500 --alias uplink

An option of another kind (``--peer`` on a bridge) is refused naming the kinds it is for; an
error about a library field names the option too (``--id (Vxlan.id): ...``).
"""
from __future__ import annotations

import argparse
import re

from ..errors import InvalidArgument
from .output import EXIT_OK

TYPE_CHECKING = False       # typing is not imported at run time (start-up)
if TYPE_CHECKING:
    from typing import Any, Callable

KINDS = ("bridge", "veth", "dummy", "vlan", "macvlan", "macvtap", "ipvlan", "ipvtap", "vxlan")
ON_OFF = ("on", "off")
_SUBVLAN = ("macvlan", "macvtap", "ipvlan", "ipvtap")
# option dest -> the kinds it is for
_FOR: dict[str, tuple[str, ...]] = {
    "peer": ("veth",), "peer_netns": ("veth",), "peer_mtu": ("veth",), "peer_mac": ("veth",),
    "parent": ("vlan", *_SUBVLAN, "vxlan"), "id": ("vlan", "vxlan"), "protocol": ("vlan",),
    "mode": _SUBVLAN, "flag": ("ipvlan", "ipvtap"),
    "remote": ("vxlan",), "mcast_group": ("vxlan",), "local": ("vxlan",), "dstport": ("vxlan",),
    "learning": ("vxlan",), "ttl": ("vxlan",),
    "stp": ("bridge",), "forward_delay": ("bridge",), "hello_time": ("bridge",),
    "max_age": ("bridge",), "ageing_time": ("bridge",), "priority": ("bridge",),
    "vlan_filtering": ("bridge",), "vlan_protocol": ("bridge",), "mcast_snooping": ("bridge",),
}
_FIELD_OPTION = {"stp_state": "--stp", "name": "NAME"}


def add_link_verbs(link: Any, leaf: Callable[..., argparse.ArgumentParser]) -> None:
    """``link add`` and ``link set`` on the ``link`` subparsers (``leaf`` makes one)."""
    p = leaf(link, "add", _cmd_link_add, "create a link", json_out=False)
    p.add_argument("name")
    p.add_argument("type", choices=KINDS)
    _common(p)
    p.add_argument("--up", action="store_true", help="bring it up")
    g = p.add_argument_group("veth")
    g.add_argument("--peer", help="the peer's name")
    g.add_argument("--peer-netns", help="create the peer in this namespace")
    g.add_argument("--peer-mtu", type=int)
    g.add_argument("--peer-mac")
    g = p.add_argument_group("vlan, macvlan, macvtap, ipvlan, ipvtap, vxlan")
    g.add_argument("--parent", help="the link it sits on (vxlan: the underlay device)")
    g.add_argument("--id", type=int, help="vlan: the VLAN id (1-4094); vxlan: the VNI")
    g.add_argument("--protocol", choices=("802.1q", "802.1ad"), help="vlan")
    g.add_argument("--mode", help="macvlan: bridge, private, vepa, passthru, source; "
                                  "ipvlan: l2, l3, l3s")
    g.add_argument("--flag", help="ipvlan: bridge, private, vepa")
    g = p.add_argument_group("vxlan")
    g.add_argument("--remote", help="the unicast peer")
    g.add_argument("--mcast-group", help="a multicast group instead of --remote")
    g.add_argument("--local", help="the local underlay address")
    g.add_argument("--dstport", type=int, help="UDP port (4789 is IANA's; kernel default 8472)")
    g.add_argument("--learning", choices=ON_OFF)
    g.add_argument("--ttl", type=int)
    g = p.add_argument_group("bridge")
    g.add_argument("--stp", choices=ON_OFF)
    g.add_argument("--vlan-filtering", choices=ON_OFF)
    g.add_argument("--vlan-protocol", choices=("802.1q", "802.1ad"))
    g.add_argument("--mcast-snooping", choices=ON_OFF)
    for opt in ("forward-delay", "hello-time", "max-age", "ageing-time"):
        g.add_argument(f"--{opt}", type=float, metavar="SECONDS")
    g.add_argument("--priority", type=int)

    p = leaf(link, "set", _cmd_link_set, "change a link", json_out=False)
    p.add_argument("name")
    p.add_argument("state", nargs="?", choices=("up", "down"))
    _common(p)
    p.add_argument("--rename", metavar="NEWNAME")
    p.add_argument("--nomaster", action="store_true")
    p.add_argument("--promisc", choices=ON_OFF)


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--mtu", type=int)
    p.add_argument("--mac", "--address", dest="mac", help="its MAC address")
    p.add_argument("--master", help="enslave it to this bridge")
    p.add_argument("--txqlen", type=int, help="transmit queue length")
    p.add_argument("--alias", help="its alias (ifalias)")


def _on(value: str | None) -> bool | None:
    return None if value is None else value == "on"


def _need(value: Any, option: str, kind: str) -> Any:
    if value is None:
        raise InvalidArgument(f"{option} is needed for a {kind} link")
    return value


def _check_applies(args: argparse.Namespace) -> None:
    for dest, kinds in _FOR.items():
        if getattr(args, dest) is not None and args.type not in kinds:
            raise InvalidArgument(f"--{dest.replace('_', '-')}: applies to {', '.join(kinds)} "
                                  f"links, not {args.type}")


def link_spec(args: argparse.Namespace) -> Any:
    """The library's spec for ``link add`` (InvalidArgument names the option)."""
    from .. import api
    _check_applies(args)
    t, name = args.type, args.name
    kw: dict[str, Any] = {"mtu": args.mtu, "mac": args.mac, "master": args.master,
                          "txqlen": args.txqlen, "alias": args.alias, "up": bool(args.up)}
    if t == "bridge":
        return api.Bridge(name, stp_state=_on(args.stp), vlan_filtering=_on(args.vlan_filtering),
                          vlan_protocol=args.vlan_protocol, mcast_snooping=_on(args.mcast_snooping),
                          forward_delay=args.forward_delay, hello_time=args.hello_time,
                          max_age=args.max_age, ageing_time=args.ageing_time,
                          priority=args.priority, **kw)
    if t == "veth":
        return api.Veth(name, peer=args.peer, peer_netns=args.peer_netns, peer_mtu=args.peer_mtu,
                        peer_mac=args.peer_mac, **kw)
    if t == "dummy":
        return api.Dummy(name, **kw)
    if t == "vxlan":
        return api.Vxlan(name, id=_need(args.id, "--id", t), remote=args.remote,
                         mcast_group=args.mcast_group, local=args.local, dstport=args.dstport,
                         parent=args.parent, learning=_on(args.learning), ttl=args.ttl, **kw)
    parent = _need(args.parent, "--parent", t)
    if t == "vlan":
        return api.Vlan(name, parent=parent, id=_need(args.id, "--id", t), protocol=args.protocol, **kw)
    if t in ("macvlan", "macvtap"):
        return (api.Macvlan if t == "macvlan" else api.Macvtap)(name, parent=parent, mode=args.mode, **kw)
    return (api.Ipvlan if t == "ipvlan" else api.Ipvtap)(name, parent=parent, mode=args.mode,
                                                         flag=args.flag, **kw)


def as_option(exc: InvalidArgument, renamed: dict[str, str] | None = None) -> InvalidArgument:
    """``Vxlan.id: ...`` -> ``--id (Vxlan.id): ...`` (the option the user typed, first)."""
    text = str(exc)
    m = re.match(r"[A-Z][A-Za-z]*\.([a-z_]+): ", text)
    if m is None:
        return exc
    field = m.group(1)
    option = {**_FIELD_OPTION, **(renamed or {})}.get(field, "--" + field.replace("_", "-"))
    return InvalidArgument(f"{option} ({text[:m.end() - 2]}): {text[m.end():]}")


def _cmd_link_add(args: argparse.Namespace) -> int:
    from ..api import Handle
    try:
        spec = link_spec(args)
    except InvalidArgument as exc:
        raise as_option(exc) from None
    with Handle(args.netns) as h:
        h.links.create(spec)
    return EXIT_OK


def _cmd_link_set(args: argparse.Namespace) -> int:
    from ..api import Handle
    up = {"up": True, "down": False, None: None}[args.state]
    with Handle(args.netns) as h:
        try:
            h.links.set(args.name, up=up, mtu=args.mtu, mac=args.mac, name=args.rename,
                        master=args.master, nomaster=args.nomaster, alias=args.alias,
                        txqlen=args.txqlen, promisc=_on(args.promisc))
        except InvalidArgument as exc:
            raise as_option(exc, {"name": "--rename", "link": "NAME"}) from None
    return EXIT_OK
