"""Connecting containers (namespaces) to a network, and disconnecting them, in bulk.

The Docker sequence, per container: the link is created directly inside the container
namespace (the veth peer for bridge networks, macvlan/ipvlan on the parent otherwise)
under a temporary name; inside, the per-interface sysctls runtimes set (``arp_notify``,
IPv6 off without an IPv6 subnet), the rename to ``eth0`` (or the name asked for), ``lo``
up, the interface up, its addresses and the default route(s). Host-side links for all containers go out in one batch; each container
gets one batch on a socket opened inside it. A failure undoes everything of the call.
"""
from __future__ import annotations

import errno
import ipaddress
from dataclasses import dataclass, field
from functools import partial
from typing import Any, Callable, Container, Mapping, Sequence

from ..api.handle import Handle
from ..rtnl.kinds.ipvlan import Ipvlan
from ..rtnl.kinds.macvlan import Macvlan
from ..rtnl.kinds.veth import Veth
from ..rtnl.link import BridgePort, Link
from ..rtnl.routes import Route
from ..errors import BatchError
from ..nft import Publish
from ..transport import NetNS, run_in
from ..transport.signals import deferred
from . import host, names, ports
from .context import Ctx, ignore_missing
from .errors import CapacityError, Exists, OptionError
from .ipam import IPAM
from .model import parse_publish, publish_text
from .options import IPAddress, NetworkConfig
from .undo import Undo

BRIDGE_MAX_PORTS = 1023      # the kernel numbers bridge ports 1..1023 (BR_MAX_PORTS, EXFULL)
Progress = Callable[[int, int], None]


@dataclass
class Want:
    """One container to connect: where, as what, with which addresses and ports."""

    container: str                       # as the caller named it
    ns: NetNS
    ep_id: str
    ifname: str
    explicit: dict[int, IPAddress] = field(default_factory=dict)
    publish: tuple[str, ...] = ()
    vlan: int | None = None                         # networks/ports.py
    bandwidth: Mapping[str, Any] | None = None


def attach_many(ctx: Ctx, ipam: IPAM, wants: Sequence[Want], undo: Undo,
                progress: Progress | None = None) -> list[dict[str, Any]]:
    """Connect every container of ``wants``; returns their endpoint records.

    Write-ahead: the endpoints are recorded (``connecting``, with their addresses) before
    the addresses are reserved (under the IPAM lock, once chosen: one save for both) and
    before any link is made, so whatever a kill leaves (a reservation, links) belongs to a
    recorded endpoint that a re-run or a remove finds.
    Each kernel step runs with its undo entry under ``deferred()`` (no Ctrl-C in between).
    """
    cfg = ctx.config
    if cfg.bridged:
        _check_ports(ctx, len(wants))
    eps: list[dict[str, Any]] = []
    for w in wants:
        ep: dict[str, Any] = {"id": w.ep_id, "container": w.container, "netns": w.ns.path,
                              "ifname": w.ifname, "addresses": [], "mac": None, "publish": [],
                              "host_ifname": names.host_veth(w.ep_id) if cfg.bridged else None,
                              "state": "connecting"}
        ctx.endpoints[w.ep_id] = ep
        eps.append(ep)

    ids = [w.ep_id for w in wants]
    mark = ctx.store.mark(ctx.config.name)

    def forget() -> None:
        for w in wants:
            ctx.endpoints.pop(w.ep_id, None)
        ctx.store.restore(ctx.record, ids, mark)      # the journal as it was, if it can be
    def record(addresses: Sequence[tuple[IPAddress, ...]]) -> None:
        for w, ep, got in zip(wants, eps, addresses):
            ep["addresses"] = [f"{a}/{_pool_of(cfg, a).subnet.prefixlen}" for a in got]
            ep["mac"] = names.docker_mac(got) if cfg.driver != "ipvlan" else None
            ep["publish"] = [publish_text(parse_publish(p)) for p in w.publish] if got else []
        ctx.save(ids)
    with deferred():
        undo.push("forget endpoints", forget)        # (restores the journal as it was: saved or not)
        taken = ipam.reserve([(w.ep_id, w.explicit) for w in wants], record)
        undo.push(f"release {len(wants)} address sets", partial(ipam.unreserve, taken))
    _create_links(ctx, wants, eps, undo)
    ports.apply(ctx, wants, eps)                    # undone with the links (ifbs included)
    for i, (w, ep) in enumerate(zip(wants, eps)):
        with deferred():
            if configure(cfg, w.ns, ep, names.temp_ifname(w.ep_id), names.endpoint_mark(ctx.id, w.ep_id)):
                undo.push(f"lo down in {w.container}", partial(_lo_down, w.ns))
        if progress is not None:
            progress(i + 1, len(wants))
    pubs = _publications(cfg, eps)
    if pubs:
        host.note_nat(ctx, undo)
        with deferred():
            ctx.nat.publish(*pubs)
            undo.push("unpublish ports", lambda: _unpublish(ctx, pubs))
    for ep in eps:
        ep["state"] = "connected"
    ctx.save(ids)
    return eps


def _pool_of(cfg: NetworkConfig, a: IPAddress) -> Any:
    return next(p for p in cfg.pools if a in p.subnet)


def _check_ports(ctx: Ctx, adding: int, *, exact: bool = False) -> None:
    """CapacityError when ``adding`` more ports do not fit the bridge. The bridge's ports are
    counted (a dump) only when the record's endpoints say it may be half full: below that the
    kernel's own refusal (EXFULL: ports made by others) is turned into the same error."""
    bridge = ctx.made["bridge"]
    if not exact and len(ctx.endpoints) + adding <= BRIDGE_MAX_PORTS // 2:
        return
    have = len(ctx.handle.links.dump(master=bridge))
    if have + adding > BRIDGE_MAX_PORTS:
        raise CapacityError(
            f"bridge {bridge} of network {ctx.config.name} can hold {BRIDGE_MAX_PORTS} ports "
            f"(a Linux bridge limit, EXFULL) and has {have}: {adding} more do not fit. Connect at "
            f"most {BRIDGE_MAX_PORTS - have} here and spread the rest over other networks "
            "(Networks.connect_many(..., spread=[...]) does that for you)")


def _link_spec(ctx: Ctx, w: Want, ep: dict[str, Any]) -> Link:
    cfg = ctx.config
    tmp = names.temp_ifname(w.ep_id)
    if cfg.bridged:
        return Veth(ep["host_ifname"], peer=tmp, peer_netns=w.ns, master=ctx.made["bridge"],
                    up=True, group=ctx.group, mtu=cfg.mtu, peer_mtu=cfg.mtu, peer_mac=ep["mac"],
                    port=None if cfg.icc else BridgePort(isolated=True))   # enable_icc=false
    assert cfg.parent is not None
    if cfg.driver == "macvlan":
        return Macvlan(tmp, parent=cfg.parent, mode=cfg.mode, netns=w.ns, mac=ep["mac"],
                       mtu=cfg.mtu, group=ctx.group)
    return Ipvlan(tmp, parent=cfg.parent, mode=cfg.mode, flag=cfg.flag, netns=w.ns,
                  mtu=cfg.mtu, group=ctx.group)


def _create_links(ctx: Ctx, wants: Sequence[Want], eps: Sequence[dict[str, Any]], undo: Undo) -> None:
    """One batch on the host: every container's link, created inside its namespace."""
    outcomes = []
    # pushed first: an interruption inside the batch leaves links nobody knows were made;
    # deleting links that were never made is not an error
    undo.push(f"delete {len(eps)} links", lambda: remove_links(ctx, eps))
    try:
        with ctx.handle.batch() as b:
            for w, ep in zip(wants, eps):
                outcomes.append(b.links.create(_link_spec(ctx, w, ep)))
    except BatchError as exc:
        made = [ep for ep, o in zip(eps, outcomes) if o.ok]
        remove_links(ctx, made)
        first = next(e for e in exc.errors)
        bad = next(ep for ep, o in zip(eps, outcomes) if o.error is not None)
        if first.errno == errno.EEXIST:
            first.add_note(_clash(ctx, bad))
        if first.errno == errno.EXFULL:
            _check_ports(ctx, len(eps), exact=True)
            first.add_note(f"bridge {ctx.made.get('bridge')} is full ({BRIDGE_MAX_PORTS} ports)")
        raise first from None


def _clash(ctx: Ctx, ep: dict[str, Any]) -> str:
    """Which name a link create found taken: the host end, or the container's temporary
    name (the final ``ifname`` is checked at the rename, after)."""
    hostend = ep.get("host_ifname")
    if hostend and host.get_link(ctx, hostend) is not None:
        return (f"{hostend} exists already in {ctx.where()}: the host end of container "
                f"{ep['container']}'s link on network {ctx.config.name} has that name; "
                "delete that link (it is not in this network's record)")
    return (f"container {ep['container']} already has an interface named "
            f"{names.temp_ifname(ep['id'])} (the temporary name of its link on network "
            f"{ctx.config.name}); delete it")


def configure(cfg: NetworkConfig, ns: NetNS, ep: dict[str, Any], tmp: str, mark: str) -> bool:
    """Inside the container: sysctls, the rename to the final name, lo and the interface up,
    addresses, default routes. True when this brought ``lo`` up."""
    ifname = ep["ifname"]
    ifaces = [ipaddress.ip_interface(a) for a in ep["addresses"]]
    has_v6 = any(i.version == 6 for i in ifaces)

    def inside() -> bool:
        _write(f"net/ipv4/conf/{tmp}/arp_notify", "1")
        _write(f"net/ipv6/conf/{tmp}/disable_ipv6", "0" if has_v6 else "1")
        if has_v6:
            _write(f"net/ipv6/conf/{tmp}/accept_ra", "0")
        with Handle() as h:
            try:                           # alone first: a clash must not touch the other link
                h.links.set(tmp, name=ifname, alias=mark)
            except FileExistsError:
                raise Exists(f"container {ep['container']} already has an interface named "
                             f"{ifname}: pass another ifname") from None
            lo_was_up = bool(h.links.get("lo").up)
            routed = {r.family for r in h.routes.dump() if r.dst == "default"}
            _inside_batch(h, ifname, ifaces, cfg, routed)
            return not lo_was_up

    return run_in(ns.path, inside)


def _lo_down(ns: NetNS) -> None:
    """Undo 'lo up' in a fresh namespace: down again, without the 127.0.0.1 it got."""
    def inside() -> None:
        with Handle() as h:
            h.links.set("lo", up=False)
            ignore_missing(partial(h.addresses.delete, "lo", "127.0.0.1/8"))()
    run_in(ns.path, inside)


def _inside_batch(h: Handle, ifname: str, ifaces: list[Any], cfg: NetworkConfig,
                  routed: Container[int] = ()) -> None:
    """lo and the interface up, its addresses, the default route of each family that has
    none yet (``routed``: a container on several networks keeps the first one's gateway, as
    Docker gives one network the default route)."""
    with h.batch() as b:
        b.links.set("lo", up=True)
        b.links.set(ifname, up=True)
        for i in ifaces:
            b.addresses.add(ifname, str(i), flags=("nodad",) if i.version == 6 else ())
        for i in ifaces:
            if i.version in routed or cfg.internal:        # --internal: no route out
                continue
            pool = next(p for p in cfg.pools if i.ip in p.subnet)
            if cfg.driver == "ipvlan" and cfg.mode in ("l3", "l3s"):
                b.routes.add(Route("default", dev=ifname, family=i.version))
            else:
                b.routes.add(Route("default", via=str(pool.gateway)))


def _write(path: str, value: str) -> None:
    try:
        with open(f"/proc/sys/{path}", "w") as f:
            f.write(value)
    except FileNotFoundError:   # IPv6 disabled in this kernel
        if "ipv6" not in path:
            raise


def remove_links(ctx: Ctx, eps: Sequence[dict[str, Any]]) -> None:
    """Delete the endpoints' links (those carrying the network's group): host veths in one
    group delete, others in their netns."""
    if ctx.config.bridged:
        doomed = names.doomed_group(ctx.id)
        wanted = {ep[k] for ep in eps for k in ("host_ifname", "ifb") if ep.get(k)}
        # only links in the network's group (or already moved to its doomed group by a run
        # that was killed): a link of that name someone else made stays
        ours = (ctx.group, doomed)
        hosts = [v.name for v in ctx.handle.links.dump() if v.name in wanted and v.group in ours] \
            if wanted else []
        if hosts:
            try:
                with ctx.handle.batch() as b:
                    for name in hosts:
                        b.links.set(name, group=doomed)
            except BatchError as exc:
                for e in exc.errors:
                    if e.errno not in (errno.ENODEV, errno.ENOENT):
                        raise
            ignore_missing(lambda: ctx.handle.links.delete_group(doomed))()
        return
    for ep in eps:
        _delete_inside(ep["netns"], (ep["ifname"], names.temp_ifname(ep["id"])), ctx.group)


def _delete_inside(path: str, ifnames: tuple[str, ...], group: int) -> None:
    def inside() -> None:
        with Handle() as h:
            for view in h.links.dump():
                if view.name in ifnames and view.group == group:
                    ignore_missing(partial(h.links.delete, view.name))()
    try:
        run_in(path, inside)
    except FileNotFoundError:      # the namespace is gone, and its links with it
        pass


def remove_orphan(net_id: str, ep: dict[str, Any]) -> bool:
    """The container side of an endpoint whose host namespace is gone (its network's record
    is stale). Usually nothing is left: a veth dies with its host end, a macvlan/ipvlan with
    its parent. If the old host namespace lives on unnamed (a process holds it), or is still
    being torn down by the kernel, the link is deleted here, but only if the namespace at
    ``ep["netns"]`` is the very one connected (its identity gives the endpoint id) and the
    link carries the endpoint's mark or temporary name. True when a link was deleted."""
    path = ep.get("netns")
    try:
        if not path or names.endpoint_id(net_id, path) != ep.get("id"):
            return False
    except OSError:                 # the container namespace is gone too
        return False
    mark, tmp = names.endpoint_mark(net_id, ep["id"]), names.temp_ifname(ep["id"])

    def inside() -> bool:
        deleted = False
        with Handle() as h:
            for view in h.links.dump():
                if view.alias == mark or view.name == tmp:
                    ignore_missing(partial(h.links.delete, view.name))()
                    deleted = True
        return deleted
    try:
        return run_in(path, inside)
    except FileNotFoundError:
        return False


def _unpublish(ctx: Ctx, pubs: Sequence[Publish]) -> None:
    for p in pubs:
        ctx.nat.unpublish(p.host_port, p.proto, p.host_addr)


def _publications(cfg: NetworkConfig, eps: Sequence[dict[str, Any]]) -> list[Publish]:
    """The endpoints' ports as map elements, as Docker publishes them: each port to the
    container's address of each IP version (IPv4 and IPv6), or only of the version of a
    host address given; without one, IPv4 ports go to ``host_binding_ipv4`` if the network
    has one (and then IPv6 is not published, as Docker binds that address only)."""
    out = []
    for ep in eps:
        if not ep.get("publish"):
            continue
        addrs = [ipaddress.ip_interface(a).ip for a in ep["addresses"]]
        for text in ep.get("publish", ()):
            spec, host, version = _host_side(cfg, text)
            out += [Publish(spec.host_port, str(a), spec.to_port, spec.proto, host)
                    for a in addrs if version in (None, a.version)]
    return out


def _host_side(cfg: NetworkConfig, text: str) -> tuple[Publish, str | None, int | None]:
    """A port's spec, its host address (given, or the network's ``host_binding_ipv4``) and
    that address's IP version (None: any host address, every version)."""
    spec = parse_publish(text)
    host = spec.host_addr or cfg.host_binding_ipv4
    return spec, host, ipaddress.ip_address(host).version if host else None


def check_publish(cfg: NetworkConfig, container: str, texts: Sequence[str]) -> None:
    """Refuse (before anything changes) a port whose host address is of an IP version the
    network gives its containers no address of."""
    versions = {p.version for p in cfg.pools}
    for text in texts:
        version = _host_side(cfg, text)[2]
        if version is not None and version not in versions:
            raise OptionError("--publish", f"{text}: container {container} would have no IPv{version} "
                                           f"address on network {cfg.name}")


def clean_stale(ctx: Ctx, eps: Sequence[dict[str, Any]]) -> None:
    """What interrupted connects left (ports, links); their addresses stay theirs."""
    _unpublish(ctx, _publications(ctx.config, eps))
    remove_links(ctx, eps)


def detach_many(ctx: Ctx, ipam: IPAM, eps: Sequence[dict[str, Any]]) -> None:
    """Disconnect endpoints: their ports, links and addresses go; records are dropped.
    The endpoints are marked ``disconnecting`` first, so a connect after an interrupted
    disconnect redoes them instead of taking them for connected."""
    ids = [ep["id"] for ep in eps]
    for ep in eps:
        ep["state"] = "disconnecting"
    ctx.save(ids)
    _unpublish(ctx, _publications(ctx.config, eps))
    remove_links(ctx, eps)
    ipam.release_many([ep["id"] for ep in eps])
    for ep in eps:
        ctx.endpoints.pop(ep["id"], None)
    ctx.save(ids)
