"""pynetlink through its public API, as users write it (README tour, batches).

``Handle(ns)`` opened once per namespace (in ``setup`` for the host, like pyroute2's IPRoute).
W1 goes in chunks of ``CHUNK`` containers, as the C floor does: ``NetNS.create_with_handles``
makes the chunk's namespaces and opens a Handle in each on one helper thread, one
``host.batch()`` creates the chunk's veths, then one batch per container (lo up, eth0 up,
address, default route). NS: ``NetNS.create_many`` (one helper thread for all).
"""
from __future__ import annotations

from typing import Any, Iterator

from .base import (BRIDGE, GATEWAY, ROUTE_GW, ROUTE_TABLE, Case, Ctx, Impl, ctr_ip, route_dst,
                   veth_name)

API = "pynetlink API (Handle, batch)"
CHUNK = 64          # containers per step, as the C floor (benchmarks/cfloor/nl.h)


def read_links(views: Any) -> int:
    n = 0
    for v in views:
        (v.index, v.flags, v.name, v.mtu, v.master, v.operstate, v.mac, v.kind)
        n += 1
    return n


def read_addrs(views: Any) -> int:
    n = 0
    for v in views:
        (v.family, v.prefixlen, v.scope, v.link, v.address, v.label)
        n += 1
    return n


def read_routes(views: Any) -> int:
    n = 0
    for v in views:
        (v.family, v.dst, v.protocol, v.scope, v.type, v.via, v.dev, v.table)
        n += 1
    return n


def w1_chunks(host: Any, ctx: Ctx, n: int) -> Iterator[tuple[int, list[Any]]]:
    """W1's bridge with its address, then per chunk of ``CHUNK`` containers its first index
    and its (NetNS, Handle) pairs (``NetNS.create_with_handles``), kept for the teardown."""
    from pynetlink import Bridge, NetNS
    host.links.create(Bridge(BRIDGE), up=True)
    host.addresses.add(BRIDGE, f"{GATEWAY}/16")
    ctx.state["ns"] = ctrs = []
    for base in range(0, n, CHUNK):
        made = NetNS.create_with_handles([ctx.ctr(i) for i in range(base, min(n, base + CHUNK))])
        ctrs += [c for c, _ in made]
        yield base, made


class PynetlinkApi(Impl):
    name = "pynetlink"
    workloads = frozenset({"W1", "NS", "W2-links", "W2-addrs", "W2-routes", "W5"})

    def setup(self, case: Case, ctx: Ctx) -> None:
        from pynetlink import Handle
        if case.workload != "NS":
            ctx.state["h"] = Handle(ctx.host)

    def close(self, ctx: Ctx) -> None:
        h = ctx.state.pop("h", None)
        if h is not None:
            h.close()

    def run(self, case: Case, ctx: Ctx) -> dict[str, Any]:
        from pynetlink import NetNS, Veth
        w, n = case.workload, case.n
        if w == "NS":
            ctx.state["ns"] = NetNS.create_many([ctx.ctr(i) for i in range(n)])
            return {"layer": API}
        host = ctx.state["h"]
        if w == "W2-links":
            return {"count": read_links(host.links.dump()), "layer": API}
        if w == "W2-addrs":
            return {"count": read_addrs(host.addresses.dump(family="ipv4")), "layer": API}
        if w == "W2-routes":
            return {"count": read_routes(host.routes.dump(table=None, family="ipv4")), "layer": API}
        if w == "W5":
            with host.batch() as b:
                for i in range(n):
                    b.routes.add(f"{route_dst(i)}/32", via=ROUTE_GW, table=ROUTE_TABLE)
            return {"layer": API}
        for base, made in w1_chunks(host, ctx, n):
            with host.batch() as b:
                for i, (c, _) in enumerate(made, base):
                    b.links.create(Veth(veth_name(i), peer="eth0", peer_netns=c, master=BRIDGE, up=True))
            for i, (_, h) in enumerate(made, base):
                with h, h.batch() as b:
                    b.links.set("lo", up=True)
                    b.links.set("eth0", up=True)
                    b.addresses.add("eth0", f"{ctr_ip(i)}/16")
                    b.routes.add("default", via=GATEWAY)
        return {"layer": API}

    def teardown(self, case: Case, ctx: Ctx) -> None:
        from pynetlink import NetNS
        NetNS.delete_many(ctx.state.pop("ns"))      # umount + unlink each, in one C call
        if case.workload == "W1":
            ctx.state["h"].links.delete(BRIDGE)


class PynetlinkApiEach(PynetlinkApi):
    """W1 and NS as the API was used before ``NetNS.create_with_handles``: ``NetNS.create`` per
    container, then ``ctr.handle()`` (two helper threads per container), one host batch for
    every veth. Kept to show, in the same run, what the one-thread form saves."""

    name = "pynetlink create+handle each"   # no comma: --impls splits on commas
    workloads = frozenset({"W1", "NS"})

    def run(self, case: Case, ctx: Ctx) -> dict[str, Any]:
        from pynetlink import Bridge, NetNS, Veth
        n = case.n
        if case.workload == "NS":
            ctx.state["ns"] = [NetNS.create(ctx.ctr(i)) for i in range(n)]
            return {"layer": API}
        host = ctx.state["h"]
        host.links.create(Bridge(BRIDGE), up=True)
        host.addresses.add(BRIDGE, f"{GATEWAY}/16")
        ctx.state["ns"] = ctrs = [NetNS.create(ctx.ctr(i)) for i in range(n)]
        with host.batch() as b:
            for i, c in enumerate(ctrs):
                b.links.create(Veth(veth_name(i), peer="eth0", peer_netns=c, master=BRIDGE), up=True)
        for i, c in enumerate(ctrs):
            with c.handle() as h, h.batch() as b:
                b.links.set("lo", up=True)
                b.links.set("eth0", up=True)
                b.addresses.add("eth0", f"{ctr_ip(i)}/16")
                b.routes.add("default", via=GATEWAY)
        return {"layer": API}


class PynetlinkApiMany(PynetlinkApi):
    """W5 through the bulk verb: ``h.routes.add_many(dsts, via=..., table=...)`` (the options
    checked once, one message shape for every destination)."""

    name = "pynetlink add_many"
    workloads = frozenset({"W5"})

    def run(self, case: Case, ctx: Ctx) -> dict[str, Any]:
        ctx.state["h"].routes.add_many([f"{route_dst(i)}/32" for i in range(case.n)],
                                       via=ROUTE_GW, table=ROUTE_TABLE)
        return {"layer": API + " routes.add_many"}


class PynetlinkApiAttach(PynetlinkApi):
    """W1 through the bulk form ``host.attach_many(bridge, [(handle, address), ...], names=...,
    gateway=...)``: per chunk, the namespaces with their Handles as the batch row, then one call
    (one host batch of veths, one transfer per container filled from one template)."""

    name = "pynetlink attach_many"
    workloads = frozenset({"W1"})

    def run(self, case: Case, ctx: Ctx) -> dict[str, Any]:
        host = ctx.state["h"]
        for base, made in w1_chunks(host, ctx, case.n):
            try:
                host.attach_many(BRIDGE, [(h, f"{ctr_ip(i)}/16") for i, (_, h) in enumerate(made, base)],
                                 names=[veth_name(i) for i in range(base, base + len(made))], gateway=GATEWAY)
            finally:
                for _, h in made:
                    h.close()
        return {"layer": API + " attach_many"}


class PynetlinkApiRange(PynetlinkApi):
    """W5 through ``h.routes.add_range(first, n, via=..., table=...)``: the destinations as the
    first prefix and a count (W5's are consecutive), no string per destination."""

    name = "pynetlink add_range"
    workloads = frozenset({"W5"})

    def run(self, case: Case, ctx: Ctx) -> dict[str, Any]:
        ctx.state["h"].routes.add_range(f"{route_dst(0)}/32", case.n, via=ROUTE_GW, table=ROUTE_TABLE)
        return {"layer": API + " routes.add_range"}
