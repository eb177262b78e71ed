"""pyroute2 (0.9.x) in its fastest documented ways.

One ``IPRoute`` per namespace, opened once: ``IPRoute(netns=name)`` creates the namespace
if needed and opens the socket inside it (pyroute2 forks a short-lived child for that; the
child's CPU is counted through RUSAGE_CHILDREN). Where pyroute2 has a batch API
(``IPBatch``: messages compiled into one buffer, sent with ``sendto``) the "pyroute2 IPBatch"
variant uses it, sending chunks of 64 messages and reading every ack, as pynetlink and
the C floor do.
"""
from __future__ import annotations

import os
import struct
from typing import Any

from .base import (BRIDGE, GATEWAY, ROUTE_GW, ROUTE_TABLE, Case, Ctx, Impl, ctr_ip, route_dst,
                   veth_name)

_HDR = struct.Struct("=IHHII")
CHUNK = 64


def _available() -> str | None:
    try:
        import pyroute2  # noqa: F401
    except ImportError:
        return "pyroute2 is not installed (pip install '.[bench]')"
    return None


def _acks(ipr: Any, want: int) -> None:
    """Read ``want`` acks (NLMSG_ERROR) off the socket; raise on the first error."""
    while want:
        data = ipr.recv(1 << 20)
        off = 0
        while off + 16 <= len(data):
            length, mtype, _f, _s, _p = _HDR.unpack_from(data, off)
            if mtype == 2:
                want -= 1
                err = struct.unpack_from("=i", data, off + 16)[0]
                if err:
                    raise OSError(-err, "pyroute2 IPBatch request failed")
            off += (length + 3) & ~3 if length else len(data)


def read_links(msgs: Any) -> int:
    n = 0
    for m in msgs:
        (m["index"], m["flags"], m.get("ifname"), m.get("mtu"), m.get("master"), m.get("operstate"),
         m.get("address"), m.get(("linkinfo", "kind")))
        n += 1
    return n


def read_addrs(msgs: Any) -> int:
    n = 0
    for m in msgs:
        (m["family"], m["prefixlen"], m["scope"], m["index"], m.get("local"), m.get("label"),
         m.get("address"))
        n += 1
    return n


def read_routes(msgs: Any) -> int:
    n = 0
    for m in msgs:
        (m["family"], m["dst_len"], m["proto"], m["scope"], m["type"], m.get("dst"),
         m.get("gateway"), m.get("oif"), m.get("table"))
        n += 1
    return n


class Pyroute2(Impl):
    name = "pyroute2"
    workloads = frozenset({"W1", "NS", "W2-links", "W2-addrs", "W2-routes", "W5"})
    batch = False

    def available(self) -> str | None:
        return _available()

    def setup(self, case: Case, ctx: Ctx) -> None:
        from pyroute2 import IPRoute
        if case.workload != "NS":
            ctx.state["ipr"] = IPRoute(netns=ctx.host)

    def close(self, ctx: Ctx) -> None:
        for ipr in ctx.state.pop("ctrs", []):
            ipr.close()
        if "ipr" in ctx.state:
            ctx.state.pop("ipr").close()

    def run(self, case: Case, ctx: Ctx) -> dict[str, Any] | None:
        from pyroute2 import IPRoute, netns
        w = case.workload
        if w == "NS":
            for i in range(case.n):
                netns.create(ctx.ctr(i))
            return None
        ipr = ctx.state["ipr"]
        if w == "W2-links":
            return {"count": read_links(ipr.get_links())}
        if w == "W2-addrs":
            return {"count": read_addrs(ipr.get_addr(family=2))}
        if w == "W2-routes":
            return {"count": read_routes(ipr.get_routes(family=2, table=0))}
        if w == "W5":
            if self.batch:
                self._routes_batch(ipr, case.n)
            else:
                for i in range(case.n):
                    ipr.route("add", dst=f"{route_dst(i)}/32", gateway=ROUTE_GW, table=ROUTE_TABLE)
            return None
        # W1
        ipr.link("add", ifname=BRIDGE, kind="bridge", state="up")
        br = ipr.link_lookup(ifname=BRIDGE)[0]
        ipr.addr("add", index=br, address=GATEWAY, mask=16)
        ctrs = []
        for i in range(case.n):
            ctrs.append(IPRoute(netns=ctx.ctr(i)))         # creates the namespace, opens a socket
        ctx.state["ctrs"] = ctrs
        if self.batch:
            self._veths_batch(ipr, ctx, case.n, br)
        else:
            for i in range(case.n):
                ipr.link("add", ifname=veth_name(i), kind="veth",
                         peer={"ifname": "eth0", "net_ns_fd": ctx.ctr(i)}, master=br, state="up")
        for i, c in enumerate(ctrs):
            c.link("set", index=1, state="up")
            e = c.link_lookup(ifname="eth0")[0]
            c.link("set", index=e, state="up")
            c.addr("add", index=e, address=ctr_ip(i), mask=16)
            c.route("add", dst="0.0.0.0/0", gateway=GATEWAY)
        return None

    def _routes_batch(self, ipr: Any, n: int) -> None:
        from pyroute2 import IPBatch
        ipb = IPBatch()
        for start in range(0, n, CHUNK):
            ipb.reset()
            for i in range(start, min(n, start + CHUNK)):
                ipb.route("add", dst=f"{route_dst(i)}/32", gateway=ROUTE_GW, table=ROUTE_TABLE)
            ipr.sendto(ipb.batch, (0, 0))
            _acks(ipr, min(n, start + CHUNK) - start)

    def _veths_batch(self, ipr: Any, ctx: Ctx, n: int, br: int) -> None:
        from pyroute2 import IPBatch
        ipb = IPBatch()
        for start in range(0, n, CHUNK):
            ipb.reset()
            # IPBatch closes a namespace it opened by name before the batch is sent: pass fds
            fds = [os.open(f"/run/netns/{ctx.ctr(i)}", os.O_RDONLY)
                   for i in range(start, min(n, start + CHUNK))]
            try:
                for k, i in enumerate(range(start, min(n, start + CHUNK))):
                    ipb.link("add", ifname=veth_name(i), kind="veth",
                             peer={"ifname": "eth0", "net_ns_fd": fds[k]}, master=br, state="up")
                ipr.sendto(ipb.batch, (0, 0))
                _acks(ipr, min(n, start + CHUNK) - start)
            finally:
                for fd in fds:
                    os.close(fd)

    def teardown(self, case: Case, ctx: Ctx) -> None:
        from pyroute2 import netns
        for c in ctx.state.pop("ctrs", []):
            c.close()
        for i in range(case.n):
            netns.remove(ctx.ctr(i))
        if case.workload == "W1":
            ipr = ctx.state["ipr"]
            ipr.link("del", index=ipr.link_lookup(ifname=BRIDGE)[0])


class Pyroute2Batch(Pyroute2):
    name = "pyroute2 IPBatch"
    workloads = frozenset({"W1", "W5"})
    batch = True
