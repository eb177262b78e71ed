"""asyncio request throughput (issue 13): pynetlink.aio against the blocking API and pyroute2's
AsyncIPRoute, on W1 (attach N containers) and W5 (1,000 routes into one table).

    python3 -m benchmarks.aio [--reps 5] [--w1 200] [--w5 1000] [--out benchmarks/results]

Every repetition runs every implementation once (order rotating), each in fresh namespaces
named ``pnla-<pid>-…`` (made untimed, deleted afterwards, also on failure). Timed: the work
only; a handle on the host namespace is opened untimed first (a long-running program has one).
Sockets of containers are part of the work. Medians and ratios to the blocking API are
printed as Markdown and written with every repetition as JSON.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Awaitable, Callable

from pynetlink import Bridge, Handle, NetNS, Veth
from pynetlink.aio import AsyncHandle

from .impl.base import BRIDGE, GATEWAY, ROUTE_GW, ROUTE_TABLE, ctr_ip, route_dst, veth_name

PREFIX = f"pnla-{os.getpid()}-"
GW_ADDR = "198.51.100.1/24"


class Env:
    """The namespaces of one measurement: the host (with the route gateway's subnet) and containers."""

    def __init__(self, tag: str, n: int) -> None:
        self.host = NetNS.create(f"{PREFIX}{tag}-h")
        self.ctr_names = [f"{PREFIX}{tag}-c{i}" for i in range(n)]
        with Handle(self.host) as h:
            h.links.create(Veth("gw0", peer="gw0p"), up=True)
            h.links.set("gw0p", up=True)
            h.addresses.add("gw0", GW_ADDR)

    def delete(self) -> None:
        for name in [self.host.name or "", *self.ctr_names]:
            if NetNS.exists(name):
                NetNS.named(name).delete()


# -- W5 ---------------------------------------------------------------------------------------------
def w5_sync(env: Env, n: int, batch: bool) -> float:
    with Handle(env.host) as h:
        t = time.perf_counter()
        with h.batch() as b:
            target = b if batch else h            # one batch, or one call (and transfer) each
            for i in range(n):
                target.routes.add(f"{route_dst(i)}/32", via=ROUTE_GW, table=ROUTE_TABLE)
        return time.perf_counter() - t


async def w5_aio(env: Env, n: int, batch: bool) -> float:
    async with AsyncHandle(env.host) as h:
        t = time.perf_counter()
        async with h.batch() as b:
            if batch:
                for i in range(n):
                    b.routes.add(f"{route_dst(i)}/32", via=ROUTE_GW, table=ROUTE_TABLE)
            else:                                 # one task per route
                await asyncio.gather(*[h.routes.add(f"{route_dst(i)}/32", via=ROUTE_GW, table=ROUTE_TABLE)
                                       for i in range(n)])
        return time.perf_counter() - t


async def w5_pyroute2(env: Env, n: int) -> float:
    from pyroute2 import AsyncIPRoute  # type: ignore[import-untyped]
    async with AsyncIPRoute(netns=env.host.name) as ipr:
        t = time.perf_counter()
        await asyncio.gather(*[ipr.route("add", dst=f"{route_dst(i)}/32", gateway=ROUTE_GW, table=ROUTE_TABLE)
                               for i in range(n)])
        return time.perf_counter() - t


# -- W1 ---------------------------------------------------------------------------------------------
def w1_sync(env: Env, n: int) -> float:
    with Handle(env.host) as host:
        t = time.perf_counter()
        host.links.create(Bridge(BRIDGE), up=True)
        host.addresses.add(BRIDGE, f"{GATEWAY}/16")
        ctrs = [NetNS.create(name) for name in env.ctr_names[:n]]
        with host.batch() as b:
            for i, c in enumerate(ctrs):
                b.links.create(Veth(veth_name(i), peer="eth0", peer_netns=c, master=BRIDGE), up=True)
        for i, c in enumerate(ctrs):
            with Handle(c) as h, h.batch() as b:
                b.links.set("lo", up=True)
                b.links.set("eth0", up=True)
                b.addresses.add("eth0", f"{ctr_ip(i)}/16")
                b.routes.add("default", via=GATEWAY)
        return time.perf_counter() - t


async def w1_aio(env: Env, n: int) -> float:
    async with AsyncHandle(env.host) as host:
        t = time.perf_counter()
        await host.links.create(Bridge(BRIDGE), up=True)
        await host.addresses.add(BRIDGE, f"{GATEWAY}/16")
        names = env.ctr_names[:n]
        ctrs = await asyncio.to_thread(NetNS.create_many, names)
        async with host.batch() as b:
            for i, c in enumerate(ctrs):
                b.links.create(Veth(veth_name(i), peer="eth0", peer_netns=c, master=BRIDGE), up=True)

        async def container(i: int, c: Any) -> None:
            async with AsyncHandle(c) as h, h.batch() as b:
                b.links.set("lo", up=True)
                b.links.set("eth0", up=True)
                b.addresses.add("eth0", f"{ctr_ip(i)}/16")
                b.routes.add("default", via=GATEWAY)
        await asyncio.gather(*[container(i, c) for i, c in enumerate(ctrs)])
        return time.perf_counter() - t


async def w1_pyroute2(env: Env, n: int) -> float:
    from pyroute2 import AsyncIPRoute
    async with AsyncIPRoute(netns=env.host.name) as ipr:
        t = time.perf_counter()
        await ipr.link("add", ifname=BRIDGE, kind="bridge", state="up")
        br = (await ipr.link_lookup(ifname=BRIDGE))[0]
        await ipr.addr("add", index=br, address=GATEWAY, mask=16)
        names = env.ctr_names[:n]
        ctrs = [AsyncIPRoute(netns=name) for name in names]       # creates the namespaces
        for c in ctrs:
            await c.setup_endpoint()
        await asyncio.gather(*[ipr.link("add", ifname=veth_name(i), kind="veth", state="up", master=br,
                                        peer={"ifname": "eth0", "net_ns_fd": name})
                               for i, name in enumerate(names)])

        async def container(i: int, c: Any) -> None:
            await c.link("set", index=1, state="up")
            e = (await c.link_lookup(ifname="eth0"))[0]
            await c.link("set", index=e, state="up")
            await c.addr("add", index=e, address=ctr_ip(i), mask=16)
            await c.route("add", dst="0.0.0.0/0", gateway=GATEWAY)
        await asyncio.gather(*[container(i, c) for i, c in enumerate(ctrs)])
        elapsed = time.perf_counter() - t
        for c in ctrs:
            c.close()
        return elapsed


Run = Callable[[Env, int], "float | Awaitable[float]"]
CASES: dict[str, dict[str, Run]] = {
    "W5": {"blocking API, one batch": lambda env, n: w5_sync(env, n, True),
           "asyncio API, one batch": lambda env, n: w5_aio(env, n, True),
           "blocking API, one call each": lambda env, n: w5_sync(env, n, False),
           "asyncio API, one task each": lambda env, n: w5_aio(env, n, False),
           "pyroute2 AsyncIPRoute, one task each": w5_pyroute2},
    "W1": {"blocking API": w1_sync, "asyncio API": w1_aio, "pyroute2 AsyncIPRoute": w1_pyroute2},
}
BASELINE = {"W5": {"asyncio API, one batch": "blocking API, one batch",
                   "asyncio API, one task each": "blocking API, one call each"},
            "W1": {"asyncio API": "blocking API"}}


def measure(fn: Run, env: Env, n: int) -> float:
    out = fn(env, n)
    if asyncio.iscoroutine(out):
        return float(asyncio.run(out))
    assert isinstance(out, float)
    return out


def check(workload: str, env: Env, n: int) -> None:
    """The first repetition of each implementation: the kernel holds what it should."""
    def ip_j(ns: str, *args: str) -> Any:
        return json.loads(subprocess.run(["ip", "-j", "-n", ns, *args], check=True, capture_output=True,
                                         text=True).stdout or "[]")
    host = env.host.name or ""
    if workload == "W5":
        assert len(ip_j(host, "route", "show", "table", str(ROUTE_TABLE))) == n
    else:
        assert len(ip_j(host, "link", "show", "master", BRIDGE)) == n
        for i in (0, n - 1):
            routes = ip_j(env.ctr_names[i], "route", "show", "default")
            assert routes and routes[0]["gateway"] == GATEWAY


def table(times: dict[str, dict[str, list[float]]], sizes: dict[str, int], reps: int) -> str:
    """Markdown: per workload, median and range of each implementation, and its ratio to the
    blocking API's median and (less sensitive to a loaded machine) to its minimum."""
    lines = []
    for w, measured in times.items():
        lines += [f"**{w}, N={sizes[w]}** ({reps} repetitions)", "",
                  "| implementation | median | min–max | × blocking (median) | × blocking (min) |",
                  "|---|---|---|---|---|"]
        for name, vals in measured.items():
            med = statistics.median(vals)
            base = BASELINE[w].get(name)
            ratio = f"{med / statistics.median(measured[base]):.2f}x" if base else ""
            low = f"{min(vals) / min(measured[base]):.2f}x" if base else ""
            lines.append(f"| {name} | {med * 1e3:.1f} ms | {min(vals) * 1e3:.1f}–{max(vals) * 1e3:.1f} ms "
                         f"| {ratio} | {low} |")
        lines.append("")
    return "\n".join(lines)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--w1", type=int, default=200)
    ap.add_argument("--w5", type=int, default=1000)
    ap.add_argument("--out", type=Path, default=Path(__file__).parent / "results")
    args = ap.parse_args()
    sizes = {"W1": args.w1, "W5": args.w5}
    times: dict[str, dict[str, list[float]]] = {w: {k: [] for k in c} for w, c in CASES.items()}
    for rep in range(args.reps):
        for w, impls in CASES.items():
            names = list(impls)
            order = names[rep % len(names):] + names[:rep % len(names)]
            for k, name in enumerate(order):
                env = Env(f"{w}{rep}{k}", sizes[w] if w == "W1" else 0)
                try:
                    times[w][name].append(measure(impls[name], env, sizes[w]))
                    if rep == 0:
                        check(w, env, sizes[w])
                finally:
                    env.delete()
                time.sleep(0.2)                  # let the kernel finish tearing down
        print(f"repetition {rep + 1}/{args.reps} done", file=sys.stderr)
    text = table(times, sizes, args.reps)
    print(text)
    args.out.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    (args.out / f"aio-{stamp}.md").write_text(text + "\n")
    (args.out / f"aio-{stamp}.json").write_text(json.dumps({"sizes": sizes, "times": times}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
