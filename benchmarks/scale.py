"""Cost in scale (NETS) and memory of a large dump (MEM), for the runner.

NETS: ``Networks.create`` + ``remove`` of one probe network with 0, 10 and 50 networks
existing on the host (the cost should not grow), and one ``connect`` against one
container's share of ``connect_many`` of 150 (the goal: within 2x). Each point alternates
with the others rep by rep; wall and CPU (user + sys of this process) are reported, since
on a loaded machine the wall clock carries other processes' time.

MEM: peak RSS while ``Handle.routes.dump`` lists 100,000 routes, in a fresh subprocess
(``ru_maxrss`` after the dump minus after the imports and the Handle), against the size of
the raw netlink replies (bytes received by a plain socket dumping the same routes, in
another subprocess). The goal: at most 3x.

Everything happens in namespaces ``pnlb-<pid>-...`` (deleted by the runner's cleanup) with
state directories in a temporary directory.
"""
from __future__ import annotations

import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Callable

from .common import PREFIX, ip_batch, ns_add, ns_del, ns_path

EXISTING = (0, 10, 50)
BULK = 150
SINGLES = 5
ROUTES = 100_000


def _timed(fn: Callable[[], object]) -> tuple[float, float]:
    """(wall, CPU) seconds of ``fn()`` in this process."""
    c0, t0 = time.process_time(), time.perf_counter()
    fn()
    return time.perf_counter() - t0, time.process_time() - c0


def _stats(xs: list[float]) -> dict[str, float]:
    return {"median": statistics.median(xs), "min": min(xs), "max": max(xs)}


def run_nets(tmp: Path, log: Callable[[str], None], reps: int) -> dict[str, Any]:
    """Network create+remove with 0/10/50 networks existing; single vs bulk connect."""
    from pynetlink.networks import Networks
    out: dict[str, Any] = {"create_remove": {}, "connect": {}}
    hosts = {k: ns_add(f"{PREFIX}nets{k}") for k in EXISTING}
    try:
        nets = {k: Networks(ns_path(h), state_dir=tempfile.mkdtemp(dir=tmp)) for k, h in hosts.items()}
        for k, n in nets.items():
            for i in range(k):
                n.create(f"n{i}", subnet=f"172.16.{i}.0/24")
        runs: dict[int, list[tuple[float, float]]] = {k: [] for k in EXISTING}
        for rep in range(max(reps, 3) * 3):
            order = EXISTING[rep % 3:] + EXISTING[:rep % 3]
            for k in order:
                n = nets[k]
                runs[k].append(_timed(lambda: (n.create("probe"), n.remove("probe"))))
        for k in EXISTING:
            wall = [w for w, _ in runs[k]]
            cpu = [c for _, c in runs[k]]
            out["create_remove"][k] = {"wall": _stats(wall), "cpu": _stats(cpu)}
            log(f"  NETS create+remove with {k:3} networks: {statistics.median(wall) * 1e3:7.2f} ms wall, "
                f"{statistics.median(cpu) * 1e3:7.2f} ms CPU")
        base = out["create_remove"][0]
        for k in EXISTING[1:]:
            out["create_remove"][k]["ratio_to_0"] = {
                m: out["create_remove"][k][m]["median"] / base[m]["median"] for m in ("wall", "cpu")}
        out["connect"] = _connect(nets[0], tmp, log, reps)
    finally:
        for h in hosts.values():
            ns_del(h)
    return out


def _connect(n: Any, tmp: Path, log: Callable[[str], None], reps: int) -> dict[str, Any]:
    """connect_many of BULK containers, then SINGLES single connects (each rep on a fresh
    network): the per-container share of the bulk against one connect."""
    share_w, share_c, single_w, single_c = [], [], [], []
    for rep in range(max(reps, 2)):
        ctrs = [ns_add(f"{PREFIX}cn{rep}-{i}") for i in range(BULK + SINGLES)]
        try:
            n.create("bulk", subnet="172.17.0.0/16")
            w, c = _timed(lambda: n.connect_many("bulk", [ns_path(x) for x in ctrs[:BULK]]))
            share_w.append(w / BULK)
            share_c.append(c / BULK)
            for x in ctrs[BULK:]:
                w, c = _timed(lambda: n.connect("bulk", ns_path(x)))
                single_w.append(w)
                single_c.append(c)
            n.remove("bulk", force=True)
        finally:
            for x in ctrs:
                ns_del(x)
    res = {"bulk_n": BULK, "share": {"wall": _stats(share_w), "cpu": _stats(share_c)},
           "single": {"wall": _stats(single_w), "cpu": _stats(single_c)}}
    res["ratio"] = {m: res["single"][m]["median"] / res["share"][m]["median"] for m in ("wall", "cpu")}
    log(f"  NETS connect: single {res['single']['wall']['median'] * 1e3:.2f} ms wall / "
        f"{res['single']['cpu']['median'] * 1e3:.2f} ms CPU; share of connect_many({BULK}) "
        f"{res['share']['wall']['median'] * 1e3:.2f} ms / {res['share']['cpu']['median'] * 1e3:.2f} ms; "
        f"ratio {res['ratio']['wall']:.2f}x wall, {res['ratio']['cpu']:.2f}x CPU")
    return res


# -- memory ------------------------------------------------------------------------------------
_MEASURE = r"""
import json, resource, sys
from pynetlink import Handle
from pynetlink.rtnl import routes
h = Handle(sys.argv[1])
h.links.dump()                       # every lazy import and the socket's buffer of a small reply
for v in h.stream(routes.dump(table=None, family="ipv4")):
    break
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
n = 0
if sys.argv[2] == "list":
    for v in h.routes.dump(table=None, family="ipv4"):
        n += 1
else:
    for v in h.stream(routes.dump(table=None, family="ipv4")):
        n += 1
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"routes": n, "base_kib": base, "peak_kib": peak}))
"""

_RAW = r"""
import json, socket, struct, sys
s = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, socket.NETLINK_ROUTE)
s.bind((0, 0))
RTM_GETROUTE, NLM_F_REQUEST, NLM_F_DUMP = 26, 1, 0x300
body = struct.pack("BBBBBBBBI", 2, 0, 0, 0, 0, 0, 0, 0, 0)           # struct rtmsg, AF_INET
s.send(struct.pack("IHHII", 16 + len(body), RTM_GETROUTE, NLM_F_REQUEST | NLM_F_DUMP, 1, 0) + body)
total = 0
done = False
while not done:
    data = s.recv(1 << 20)
    total += len(data)
    off = 0
    while off + 16 <= len(data):
        length, typ = struct.unpack_from("IH", data, off)
        if typ in (2, 3):        # NLMSG_ERROR, NLMSG_DONE
            done = True
        off += (length + 3) & ~3
print(json.dumps({"raw_bytes": total}))
"""


def run_mem(log: Callable[[str], None], routes: int = ROUTES) -> dict[str, Any]:
    """Peak RSS of a dump of ``routes`` routes against the raw replies' size."""
    ns = ns_add(f"{PREFIX}mem")
    try:
        lines = ["link add va type veth peer name vb", "link set va up", "link set vb up",
                 "addr add 198.51.100.1/24 dev va"]
        lines += [f"route add 172.{16 + (i >> 16)}.{i >> 8 & 255}.{i & 255}/32 via 198.51.100.2"
                  for i in range(routes)]
        for k in range(0, len(lines), 20_000):        # set-up through ip -batch, untimed
            ip_batch(ns, lines[k:k + 20_000])
        raw = json.loads(subprocess.run(["ip", "netns", "exec", ns, sys.executable, "-c", _RAW],
                                        check=True, capture_output=True, timeout=300).stdout)
        got = {mode: json.loads(subprocess.run([sys.executable, "-c", _MEASURE, ns_path(ns), mode], check=True,
                                               capture_output=True, timeout=300).stdout)
               for mode in ("list", "stream")}
    finally:
        ns_del(ns)
    out: dict[str, Any] = {"routes": got["list"]["routes"], "raw_bytes": raw["raw_bytes"], "goal": 3.0}
    for mode, g in got.items():
        rss = (g["peak_kib"] - g["base_kib"]) * 1024
        out[mode] = {"routes": g["routes"], "rss_growth_bytes": rss, "ratio": rss / raw["raw_bytes"]}
        log(f"  MEM {g['routes']} routes ({mode}): raw replies {raw['raw_bytes'] / 1e6:.1f} MB, peak RSS "
            f"growth {rss / 1e6:.1f} MB ({rss / raw['raw_bytes']:.2f}x, goal <= 3x)")
    return out


def markdown(nets: dict[str, Any] | None, mem: dict[str, Any] | None) -> list[str]:
    lines: list[str] = []
    if nets:
        lines += ["## NETS: network create+remove with networks existing (median, min–max)", "",
                  "| networks existing | wall | CPU | wall / with 0 | CPU / with 0 |", "|---|---|---|---|---|"]
        for k, r in nets["create_remove"].items():
            rat = r.get("ratio_to_0", {})
            lines.append(f"| {k} | {_ms(r['wall'])} | {_ms(r['cpu'])} | "
                         f"{_x(rat.get('wall'))} | {_x(rat.get('cpu'))} |")
        c = nets["connect"]
        lines += ["", f"Single connect against one container's share of connect_many({c['bulk_n']}):", "",
                  "| | wall | CPU |", "|---|---|---|",
                  f"| single connect | {_ms(c['single']['wall'])} | {_ms(c['single']['cpu'])} |",
                  f"| share of connect_many | {_ms(c['share']['wall'])} | {_ms(c['share']['cpu'])} |",
                  f"| ratio (goal <= 2x) | {c['ratio']['wall']:.2f}x | {c['ratio']['cpu']:.2f}x |", ""]
    if mem:
        lines += ["## MEM: peak RSS while dumping routes", "",
                  f"{mem['routes']:,} routes, raw netlink replies {mem['raw_bytes'] / 1e6:.1f} MB "
                  f"(goal: peak RSS growth <= {mem['goal']:.0f}x that):", "",
                  "| form | peak RSS growth | × raw replies |", "|---|---|---|"]
        forms = {"list": "`h.routes.dump()` (a list)", "stream": "`h.stream(routes.dump())` (per buffer)"}
        for mode, label in forms.items():
            if mode in mem:
                lines.append(f"| {label} | {mem[mode]['rss_growth_bytes'] / 1e6:.1f} MB | {mem[mode]['ratio']:.2f}x |")
        lines.append("")
    return lines


def _ms(s: dict[str, float]) -> str:
    return f"{s['median'] * 1e3:.2f} ms ({s['min'] * 1e3:.1f}–{s['max'] * 1e3:.1f})"


def _x(v: float | None) -> str:
    return "—" if v is None else f"{v:.2f}x"
