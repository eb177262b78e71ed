"""iproute2 as a script would use it: ``ip -batch`` (few processes), or one ``ip`` per step.

Every command names one of our namespaces (``ip -n NS``) or only touches /run/netns
(``ip netns add/del``); nothing runs in the root namespace. Scripts and batch texts are
generated in ``setup`` (untimed); ``run`` only executes them.
"""
from __future__ import annotations

import json
from typing import Any

from ..common import sh
from .base import (BRIDGE, GATEWAY, ROUTE_GW, ROUTE_TABLE, Case, Ctx, Impl, ctr_ip, route_dst,
                   veth_name)


def _host_lines(ctx: Ctx, n: int) -> list[str]:
    lines = [f"link add {BRIDGE} type bridge", f"link set {BRIDGE} up",
             f"addr add {GATEWAY}/16 dev {BRIDGE}"]
    for i in range(n):
        lines += [f"link add {veth_name(i)} type veth peer name eth0 netns {ctx.ctr(i)}",
                  f"link set {veth_name(i)} master {BRIDGE} up"]
    return lines


def _ctr_lines(i: int) -> list[str]:
    return ["link set lo up", "link set eth0 up", f"addr add {ctr_ip(i)}/16 dev eth0",
            f"route add default via {GATEWAY}"]


def read_json_objects(workload: str, data: bytes) -> int:
    """Decode ``ip -j`` output and read every object's main fields (as W2 asks)."""
    objs: list[Any] = json.loads(data)
    n = 0
    if workload == "W2-links":
        for o in objs:
            li = o.get("linkinfo") or {}
            (o["ifindex"], o["ifname"], o["flags"], o["mtu"], o.get("master"), o.get("operstate"),
             o.get("address"), li.get("info_kind"))
            n += 1
    elif workload == "W2-addrs":
        for o in objs:
            for a in o.get("addr_info", ()):
                (o["ifindex"], a["family"], a["local"], a["prefixlen"], a.get("label"), a.get("scope"))
                n += 1
    else:
        for o in objs:
            (o["dst"], o.get("gateway"), o.get("dev"), o.get("protocol"), o.get("scope"),
             o.get("type"), o.get("table"))
            n += 1
    return n


_DUMP_ARGS = {"W2-links": ["-d", "-j", "link", "show"], "W2-addrs": ["-j", "-4", "addr", "show"],
              "W2-routes": ["-j", "-4", "route", "show", "table", "all"]}


class IpBatch(Impl):
    name = "ip -batch"
    workloads = frozenset({"W1", "NS", "W2-links", "W2-addrs", "W2-routes", "W5"})

    def setup(self, case: Case, ctx: Ctx) -> None:
        n, s = case.n, ctx.state
        if case.workload in ("W1", "NS"):
            s["ns"] = "".join(f"netns add {ctx.ctr(i)}\n" for i in range(n))
            s["host"] = "\n".join(_host_lines(ctx, n)) + "\n"
            s["ctr"] = ["\n".join(_ctr_lines(i)) + "\n" for i in range(n)]
            s["del"] = "".join(f"netns del {ctx.ctr(i)}\n" for i in range(n))
        elif case.workload == "W5":
            s["routes"] = "".join(f"route add {route_dst(i)}/32 via {ROUTE_GW} table {ROUTE_TABLE}\n"
                                  for i in range(n))

    def run(self, case: Case, ctx: Ctx) -> dict[str, Any] | None:
        s, w = ctx.state, case.workload
        if w in ("W1", "NS"):
            sh(["ip", "-batch", "-"], input=s["ns"])
            if w == "W1":
                sh(["ip", "-n", ctx.host, "-batch", "-"], input=s["host"])
                for i in range(case.n):
                    sh(["ip", "-n", ctx.ctr(i), "-batch", "-"], input=s["ctr"][i])
        elif w == "W5":
            sh(["ip", "-n", ctx.host, "-batch", "-"], input=s["routes"])
        else:
            out = sh(["ip", "-n", ctx.host, *_DUMP_ARGS[w]]).stdout
            return {"count": read_json_objects(w, out)}
        return None

    def teardown(self, case: Case, ctx: Ctx) -> None:
        text = ctx.state["del"] + (f"link del {BRIDGE}\n" if case.workload == "W1" else "")
        sh(["ip", "-n", ctx.host, "-batch", "-"], input=text)


class IpLoop(Impl):
    """A shell script with one ``ip`` command per step (what most scripts do)."""

    name = "ip (one per step)"
    workloads = frozenset({"W1", "NS", "W5"})

    def setup(self, case: Case, ctx: Ctx) -> None:
        n, H = case.n, ctx.host
        lines: list[str] = ["set -e"]
        down: list[str] = ["set -e"]
        if case.workload in ("W1", "NS"):
            if case.workload == "W1":
                lines += [f"ip -n {H} {x}" for x in _host_lines(ctx, 0)]
            for i in range(n):
                c = ctx.ctr(i)
                lines.append(f"ip netns add {c}")
                if case.workload == "W1":
                    lines += [f"ip -n {H} link add {veth_name(i)} type veth peer name eth0 netns {c}",
                              f"ip -n {H} link set {veth_name(i)} master {BRIDGE} up"]
                    lines += [f"ip -n {c} {x}" for x in _ctr_lines(i)]
                down.append(f"ip netns del {c}")
            if case.workload == "W1":
                down.append(f"ip -n {H} link del {BRIDGE}")
        elif case.workload == "W5":
            lines += [f"ip -n {H} route add {route_dst(i)}/32 via {ROUTE_GW} table {ROUTE_TABLE}"
                      for i in range(n)]
        up_sh, down_sh = ctx.tmp / "up.sh", ctx.tmp / "down.sh"
        up_sh.write_text("\n".join(lines) + "\n")
        down_sh.write_text("\n".join(down) + "\n")
        ctx.state["up"], ctx.state["down"] = str(up_sh), str(down_sh)

    def run(self, case: Case, ctx: Ctx) -> None:
        sh(["sh", ctx.state["up"]])

    def teardown(self, case: Case, ctx: Ctx) -> None:
        sh(["sh", ctx.state["down"]])
