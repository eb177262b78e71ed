"""The overlay driver: one subnet over several hosts, carried in VXLAN between static peers
(Docker's overlay without swarm, flannel's vxlan backend without etcd).

On each host the network is a bridge (gateway address, forwarding, masquerade: as the bridge
driver) plus a VXLAN device enslaved to it: VNI, local underlay address, UDP port (4789),
learning off. Its FDB holds the all-zeros MAC once per peer (``bridge fdb append``), so
broadcast, unknown unicast and multicast go to every peer; the bridge learns which MACs sit
behind the VXLAN port. The port has ``neigh_suppress`` on: ARP for the gateway (the same
address on every host) and gratuitous ARP stay on their host, so each container uses its own
host's gateway. Containers plug in by veth as on a bridge network. Each host hands out
addresses from its own ``--ip-range`` of the shared subnet (or explicit ``--ip``)::

    nets.create("ov", driver="overlay", subnet="172.16.50.0/24", ip_range="172.16.50.0/25",
                options={"vni": "42", "local": "198.51.100.1", "peers": "198.51.100.2"})
"""
from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from functools import partial
from typing import Mapping, Sequence

from ..api import BridgePort, Vxlan
from ..errors import InvalidArgument
from ..rtnl import validate
from ..transport.signals import deferred
from . import names
from .context import Ctx, ignore_missing
from .errors import NotFound, NotOwned, OptionError
from .model import Endpoint
from .undo import Undo

PORT = 4789                       # IANA's VXLAN port (Docker's); the kernel's default is 8472
ZERO_MAC = "00:00:00:00:00:00"
OVERHEAD = {4: 50, 6: 70}        # outer Ethernet-less IP + UDP + VXLAN + inner Ethernet


@dataclass(frozen=True)
class Overlay:
    """The VXLAN side of an overlay network, from its checked ``-o`` options."""

    vni: int
    peers: tuple[str, ...]
    local: str | None
    dstport: int

    @property
    def version(self) -> int:
        """The underlay's IP version (4 when nothing says)."""
        first = self.local or (self.peers[0] if self.peers else None)
        return ipaddress.ip_address(first).version if first else 4


def default_vni(name: str) -> int:
    """A VNI from the network's name (1..2**24-1): hosts agree on it without telling."""
    return int(names.network_id(name)[:6], 16) or 1


def parse(name: str, opts: Mapping[str, str]) -> Overlay:
    """The overlay options (``vni``, ``peers``, ``local``, ``dstport``), checked."""
    vni = _int(opts["vni"], "-o vni", 1, (1 << 24) - 1) if "vni" in opts else default_vni(name)
    port = _int(opts["dstport"], "-o dstport", 1, 65535) if "dstport" in opts else PORT
    local = _underlay(opts["local"], "-o local") if "local" in opts else None
    peers: list[str] = []
    for text in filter(None, (p.strip() for p in opts.get("peers", "").split(","))):
        ip = _underlay(text, "-o peers")
        if ip in peers:
            raise OptionError("-o peers", f"peer {ip} is listed twice")
        if ip == local:
            raise OptionError("-o peers", f"{ip} is this host's own -o local address")
        peers.append(ip)
    found = {ipaddress.ip_address(a).version for a in [*peers, *([local] if local else [])]}
    if len(found) > 1:
        raise OptionError("-o peers", "the peers and the local address mix IPv4 and IPv6")
    if found == {6} and local is None:
        raise OptionError("-o local", "IPv6 peers need this host's IPv6 underlay address "
                                      "(-o local=ADDRESS)")
    return Overlay(vni, tuple(peers), local, port)


def overlay_mtu(name: str, opts: Mapping[str, str], mtu: int | None) -> int:
    """Check the overlay's options; its MTU: ``mtu`` if given, else 1500 less VXLAN's
    overhead (1450 over IPv4, as Docker), so containers never send what the tunnel drops."""
    ov = parse(name, opts)
    return mtu if mtu is not None else 1500 - OVERHEAD[ov.version]


def overlay_of(ctx: Ctx) -> Overlay:
    cfg = ctx.config
    return parse(cfg.name, dict(cfg.options))


def vxlan_name(net_id: str) -> str:
    return f"vx-{net_id}"


def _int(text: str, option: str, low: int, high: int) -> int:
    if not (text.isascii() and text.strip().isdigit()) or not low <= int(text) <= high:
        raise OptionError(option, f"{text!r} is not a number in {low}-{high}")
    return int(text)


def _underlay(text: str, option: str) -> str:
    try:
        ip = ipaddress.ip_address(text.strip())
    except ValueError:
        raise OptionError(option, f"{text!r} is not an IP address") from None
    if ip.is_multicast or ip.is_unspecified or ip.is_loopback:
        raise OptionError(option, f"{ip} is not a unicast address of a host")
    return str(ip)


def build(ctx: Ctx, undo: Undo) -> None:
    """The VXLAN device on the network's bridge (made already), its flooding list, up."""
    from .host import get_link               # host builds the bridge, then calls this
    ov, h = overlay_of(ctx), ctx.handle
    name = vxlan_name(ctx.id)
    view = get_link(ctx, name)
    if view is None:
        ctx.note("vxlan", name)
        with deferred():
            h.links.create(Vxlan(name, id=ov.vni, local=ov.local, dstport=ov.dstport,
                                 learning=False, mtu=ctx.config.mtu, group=ctx.group,
                                 master=ctx.made["bridge"], port=BridgePort(neigh_suppress=True)))
            undo.push(f"delete vxlan {name}", ignore_missing(lambda: h.links.delete(name)))
    elif view.group != ctx.group:
        raise NotOwned(f"{name} exists in {ctx.where()} and is not this network's; delete it")
    else:
        ctx.note("vxlan", name)            # ours, from an interrupted run
    have = {e.ip for e in h.fdb.dump(name) if e.lladdr == ZERO_MAC}
    for peer in ov.peers:
        if peer not in have:
            h.fdb.append(name, ZERO_MAC, dst=peer)
    try:                     # a bridge port needs no IPv6 of its own: none of its RS/MLD crosses
        ctx.set_sysctl(f"net.ipv6.conf.{name}.disable_ipv6", "1")
    except FileNotFoundError:          # a kernel without IPv6
        pass
    h.links.set(name, up=True, alias=names.network_mark(ctx.id))


@dataclass(frozen=True)
class Remote:
    """A container on another host: its MAC, its address in the overlay, and that host's
    underlay address (flannel's per-container entries)."""

    mac: str
    ip: str
    host: str

    @classmethod
    def of(cls, endpoint: Endpoint, host: str) -> "Remote":
        """The entry for ``endpoint``, connected on the host at underlay address ``host``."""
        if not endpoint.mac or not endpoint.ip:
            raise OptionError("endpoint", f"{endpoint.container} has no MAC or IPv4 address")
        return cls(endpoint.mac, endpoint.ip, host)


def add_remotes(ctx: Ctx, remotes: Sequence[Remote]) -> None:
    """Static entries for containers on other hosts: the MAC behind its host in the VXLAN
    FDB and on the VXLAN port in the bridge's, the IP -> MAC neighbour on the bridge. Unicast
    to them goes to that host only, and (``neigh_suppress``) the bridge answers ARP for them
    itself: with them no flooding is needed (a network without peers, as flannel)."""
    cfg, h = ctx.config, ctx.handle
    if cfg.driver != "overlay":
        raise OptionError("network", f"{cfg.name} is a {cfg.driver} network, not overlay")
    version = overlay_of(ctx).version
    for r in remotes:
        try:
            validate.mac(r.mac, "mac")
            ipaddress.ip_address(r.ip)
        except (InvalidArgument, ValueError) as exc:
            raise OptionError("remote", f"{r}: {exc}") from None
        if ipaddress.ip_address(_underlay(r.host, "host")).version != version:
            raise OptionError("host", f"{r.host} is not an IPv{version} address like the underlay's")
        if not any(ipaddress.ip_address(r.ip) in p.subnet for p in cfg.pools):
            raise OptionError("ip", f"{r.ip} is outside the subnets of network {cfg.name}")
    known = {d["mac"]: d for d in ctx.made.get("remotes", [])}
    ctx.note("remotes", list({**known, **{r.mac: vars(r) for r in remotes}}.values()))
    vx, bridge = ctx.made["vxlan"], ctx.made["bridge"]
    with Undo() as undo:
        for r in remotes:
            old = known.get(r.mac)
            undo.push(f"remote {r.mac}", partial(_restore, ctx, r, old))
            h.fdb.add(vx, r.mac, master=False, dst=r.host, replace=True)
            h.fdb.add(vx, r.mac, master=True, state="static", replace=True)
            h.neighbours.replace(bridge, r.ip, r.mac)
        undo.commit()


def _restore(ctx: Ctx, r: Remote, old: Mapping[str, str] | None) -> None:
    _drop(ctx, r)
    if old is not None:
        add_remotes(ctx, [Remote(**old)])
    else:
        ctx.note("remotes", [d for d in ctx.made.get("remotes", []) if d["mac"] != r.mac])


def remove_remotes(ctx: Ctx, macs: Sequence[str]) -> None:
    """Take the entries of ``add_remotes`` away again (unknown MACs are an error)."""
    known = {d["mac"]: d for d in ctx.made.get("remotes", [])}
    missing = [m for m in macs if m not in known]
    if missing:
        raise NotFound(f"network {ctx.config.name} has no remote {', '.join(missing)}")
    for m in macs:
        _drop(ctx, Remote(**known[m]))
    ctx.note("remotes", [d for d in known.values() if d["mac"] not in macs])


def _drop(ctx: Ctx, r: Remote) -> None:
    h, vx = ctx.handle, ctx.made["vxlan"]
    ignore_missing(partial(h.neighbours.delete, ctx.made["bridge"], r.ip))()
    ignore_missing(partial(h.fdb.delete, vx, r.mac, master=True))()
    ignore_missing(partial(h.fdb.delete, vx, r.mac, master=False, dst=r.host))()

