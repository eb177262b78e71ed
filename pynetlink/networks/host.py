"""The host side of a network: bridge, gateway addresses, forwarding, masquerade (bridge
driver) or the parent interface, made on demand when it names a VLAN (macvlan, ipvlan).

``build`` records each step before taking it and pushes its inverse on the undo log (the
step and the push together, with signals deferred: a Ctrl-C never falls between them);
``teardown`` removes exactly what the record and the ownership marks say was made:
host links are deleted by the network's link group in one request.
"""
from __future__ import annotations

import os
from functools import partial
from typing import Any

from ..rtnl.kinds.bridge import Bridge
from ..rtnl.kinds.vlan import Vlan
from ..rtnl.link import LinkView
from ..errors import ExistsError
from ..transport.signals import deferred
from . import names, overlay, ports
from .context import Ctx, ignore_missing
from .errors import NotFound, NotOwned
from .options import BRIDGED
from .undo import Undo

FORWARDING = {4: "net.ipv4.ip_forward", 6: "net.ipv6.conf.all.forwarding"}


def get_link(ctx: Ctx, name: str) -> LinkView | None:
    try:
        view: LinkView = ctx.handle.links.get(name)
        return view
    except FileNotFoundError:
        return None


def build(ctx: Ctx, undo: Undo) -> None:
    """Make the host side of ``ctx``'s network (idempotent over an earlier partial run)."""
    if ctx.config.bridged:
        _bridge(ctx, undo)
        if ctx.config.driver == "overlay":
            overlay.build(ctx, undo)
    else:
        _parent(ctx, undo)


def _bridge(ctx: Ctx, undo: Undo) -> None:
    cfg, h = ctx.config, ctx.handle
    name = cfg.bridge_name or names.bridge_name(ctx.id)
    view = get_link(ctx, name)
    if view is None:
        ctx.note("bridge", name)
        ctx.note("bridge_owned", True)
        # a MAC of its own, as Docker gives docker0: else the bridge takes its lowest port's
        # and changes it whenever ports come and go
        mac = ":".join(f"{b:02x}" for b in bytes([0x02]) + os.urandom(5))
        with deferred():
            h.links.create(Bridge(name, mtu=cfg.mtu, group=ctx.group, mac=mac,
                                  vlan_filtering=True if ports.network_vlan(cfg) else None))
            undo.push(f"delete bridge {name}", ignore_missing(lambda: h.links.delete(name)))
        if not any(p.version == 6 for p in cfg.pools):      # as Docker: no IPv6, not even fe80::
            ctx.set_sysctl(f"net.ipv6.conf.{name.replace('.', '/')}.disable_ipv6", "1")
    elif view.kind != "bridge":
        raise NotOwned(f"{name} exists in {ctx.where()} and is a {view.kind or 'device'}, "
                       "not a bridge; choose another -o bridge_name")
    else:
        ports.check_existing_bridge(cfg, view)
        ctx.note("bridge", name)
        ctx.note("bridge_owned", view.group == ctx.group)
    owned = bool(ctx.made["bridge_owned"])
    h.links.set(name, up=True, alias=names.network_mark(ctx.id) if owned else None)
    ports.setup_bridge(ctx, name)
    addrs = [f"{p.gateway}/{p.subnet.prefixlen}" for p in cfg.pools]
    ctx.note("addresses", addrs)
    for pool, addr in zip(cfg.pools, addrs):
        with deferred():
            try:
                h.addresses.add(name, addr, flags=("nodad",) if pool.version == 6 else ())
            except ExistsError:
                pass
            undo.push(f"delete address {addr}", ignore_missing(partial(h.addresses.delete, name, addr)))
    _forwarding(ctx, undo, {p.version for p in cfg.pools})
    if cfg.internal:
        _internal(ctx, undo, name)
    elif cfg.masquerade:
        # elements of the masquerade sets (nft/masqsets.py): one transaction, no read, whatever
        # the number of networks (records of before carry "masquerade": rules, see teardown)
        pairs = [(str(p.subnet), name) for p in cfg.pools]
        note_nat(ctx, undo)
        ctx.note("masquerade_sets", [s for s, _ in pairs])
        with deferred():
            ctx.masq.add(pairs)                 # an ensure: elements left by an interrupted run stay
            undo.push(f"unmasquerade {', '.join(s for s, _ in pairs)}", partial(ctx.masq.remove, pairs))


def _internal(ctx: Ctx, undo: Undo, bridge: str) -> None:
    """``--internal``: nothing forwarded into or out of the bridge (a FORWARD drop pair in
    the library's table); containers get no default route (attach)."""
    note_nat(ctx, undo)
    ctx.note("isolated", bridge)
    with deferred():          # pushed first: a failure inside may have made the rules
        undo.push(f"unisolate {bridge}", partial(ctx.nat.unisolate, bridge))
        ctx.nat.isolate(bridge)


def _forwarding(ctx: Ctx, undo: Undo, versions: set[int]) -> None:
    before: dict[str, str] = dict(ctx.made.get("forwarding", {}))
    for v in sorted(versions):
        key = FORWARDING[v]
        now = ctx.sysctl(key)
        if now != "1":
            before.setdefault(key, now)
            ctx.note("forwarding", before)
            with deferred():
                ctx.set_sysctl(key, "1")
                undo.push(f"restore {key}={now}", partial(ctx.set_sysctl, key, now))


def _parent(ctx: Ctx, undo: Undo) -> None:
    cfg, h = ctx.config, ctx.handle
    parent = cfg.parent
    assert parent is not None
    view = get_link(ctx, parent)
    vlan = cfg.vlan
    if view is not None:
        if vlan is not None and view.group == ctx.group:
            ctx.note("vlan_parent", parent)            # ours, from an interrupted run
            h.links.set(parent, up=True)
        return
    if vlan is None:
        raise NotFound(f"parent interface {parent} does not exist in {ctx.where()} "
                       f"(links: {_link_names(ctx)})")
    lower, vid = vlan
    if get_link(ctx, lower) is None:
        raise NotFound(f"{lower}, the link under VLAN parent {parent}, does not exist in "
                       f"{ctx.where()} (links: {_link_names(ctx)})")
    ctx.note("vlan_parent", parent)
    with deferred():
        h.links.create(Vlan(parent, parent=lower, id=vid, up=True, group=ctx.group))
        undo.push(f"delete VLAN {parent}", ignore_missing(lambda: h.links.delete(parent)))
    h.links.set(parent, alias=names.network_mark(ctx.id))


def _link_names(ctx: Ctx) -> str:
    return ", ".join(v.name for v in ctx.handle.links.dump())


def teardown(ctx: Ctx, others: list[dict[str, Any]]) -> None:
    """Remove what the network made on the host; ``others`` are the host's other records
    (or their summaries, see ``Store.summaries``)."""
    made, h = ctx.made, ctx.handle
    bridge = str(made.get("bridge") or "")
    for s in made.get("masquerade", []):          # a record of before: one rule per subnet
        ctx.nat.unmasquerade(s, bridge)
    if made.get("masquerade_sets"):
        ctx.masq.remove([(s, bridge) for s in made["masquerade_sets"]])
    if made.get("isolated"):
        ctx.nat.unisolate(str(made["isolated"]))
    if bridge and not made.get("bridge_owned"):
        for addr in made.get("addresses", []):
            ignore_missing(partial(h.addresses.delete, bridge, addr))()
    ignore_missing(lambda: h.links.delete_group(ctx.group))()
    # a link the record names still carrying the mark (none expected); by name, not by a
    # dump of every link of the host (its cost would grow with the other networks' links)
    for name in {str(made.get("bridge") or ""), str(made.get("vlan_parent") or "")} - {""}:
        view = get_link(ctx, name)
        if view is not None and (view.group == ctx.group or (view.alias or "") == names.network_mark(ctx.id)):
            ignore_missing(partial(h.links.delete, view.name))()
    _hand_over_forwarding(ctx, others)
    if made.get("nat"):
        drop_nat_unless_used(ctx, others)


def note_nat(ctx: Ctx, undo: Undo) -> None:
    """The network uses the library's nftables table from now on (recorded first); undone,
    the table goes if no other network of the host uses it."""
    if not ctx.made.get("nat"):
        ctx.note("nat", True)
        undo.push("drop the nat table if unused", lambda: drop_nat_unless_used(
            ctx, [r for r in ctx.store.summaries() if r["config"]["name"] != ctx.config.name]))


def drop_nat_unless_used(ctx: Ctx, others: list[dict[str, Any]]) -> None:
    """Delete the library's table when no other record (``others``) uses it."""
    if not any(o.get("made", {}).get("nat") for o in others):
        ctx.nat.teardown()                # the last network using the library's table
        ctx.nat_dropped()


def _hand_over_forwarding(ctx: Ctx, others: list[dict[str, Any]]) -> None:
    """Restore the forwarding sysctls we changed, unless another bridge network still needs
    them: then that network inherits the values to restore (``others`` may be summaries:
    the heir's whole record is loaded to be changed)."""
    before: dict[str, str] = dict(ctx.made.get("forwarding", {}))
    if not before:
        return
    heir = next((o for o in others if o.get("config", {}).get("driver") in BRIDGED), None)
    if heir is None:
        for key, value in before.items():
            ctx.set_sysctl(key, value)
        return
    heir = ctx.store.load(heir["config"]["name"])
    made = heir.setdefault("made", {})
    made["forwarding"] = {**before, **made.get("forwarding", {})}
    ctx.store.save(heir)


