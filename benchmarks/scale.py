"""Cost in scale (NETS) and memory of a large dump (MEM), for the runner.

NETS: ``Networks.create`` + ``remove`` of one probe network with 0, 10 and 50 networks
existing on the host (the cost should not grow), and one ``connect`` against one
container's share of ``connect_many`` of 150 (the goal: within 2x). Each point alternates
with the others rep by rep; wall and CPU (user + sys of this process) are reported, since
on a loaded machine the wall clock carries other processes' time.

MEM: peak RSS while ``Handle.routes.dump`` lists 100,000 routes (as the process's first
route dump, and after the decoder learned the row density of routes) and while
``Handle.stream`` goes through them, each in a fresh subprocess (``VmHWM`` after the
dump minus after the imports and the Handle; not ``ru_maxrss``, which keeps the parent's peak
across fork and exec), against the size of the raw netlink replies
(bytes received by a plain socket dumping the same routes, in another subprocess). The
goal: at most 3x.

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
PER_NET = 2                # containers connected to each existing network
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
    """Network create+remove with 0/10/50 networks existing (each with PER_NET containers),
    by one long-lived ``Networks`` (warm) and by a new one per call, as the command line
    does (fresh); then single vs bulk connect."""
    from pynetlink.networks import Networks
    out: dict[str, Any] = {"create_remove": {}, "connect": {}, "per_net": PER_NET}
    hosts = {k: ns_add(f"{PREFIX}nets{k}") for k in EXISTING}
    ctrs: list[str] = []
    try:
        dirs = {k: tempfile.mkdtemp(dir=tmp) for k in EXISTING}
        nets = {k: Networks(ns_path(h), state_dir=dirs[k]) for k, h in hosts.items()}
        for k, n in nets.items():
            for i in range(k):
                n.create(f"n{i}", subnet=f"172.16.{i}.0/24")
                mine = [ns_add(f"{PREFIX}nets{k}-{i}-{j}") for j in range(PER_NET)]
                ctrs += mine
                n.connect_many(f"n{i}", [ns_path(x) for x in mine])

        def fresh(k: int) -> None:
            n = Networks(ns_path(hosts[k]), state_dir=dirs[k])
            _probe(n)
            getattr(n, "close", lambda: None)()

        runs: dict[tuple[str, int], list[tuple[float, float]]] = {}
        for rep in range(max(reps, 3) * 3):
            order = EXISTING[rep % 3:] + EXISTING[:rep % 3]
            for k in order:
                runs.setdefault(("warm", k), []).append(_timed(lambda: _probe(nets[k])))
                runs.setdefault(("fresh", k), []).append(_timed(lambda: fresh(k)))
        for mode in ("warm", "fresh"):
            res = out["create_remove"][mode] = {}
            for k in EXISTING:
                wall = [w for w, _ in runs[mode, k]]
                cpu = [c for _, c in runs[mode, k]]
                res[k] = {"wall": _stats(wall), "cpu": _stats(cpu)}
                log(f"  NETS create+remove ({mode}) with {k:3} networks: {statistics.median(wall) * 1e3:7.2f} ms "
                    f"wall, {statistics.median(cpu) * 1e3:7.2f} ms CPU")
            for k in EXISTING[1:]:
                res[k]["ratio_to_0"] = {m: res[k][m]["median"] / res[0][m]["median"] for m in ("wall", "cpu")}
        out["connect"] = _connect(nets[0], tmp, log, reps)
    finally:
        for x in [*hosts.values(), *ctrs]:
            ns_del(x)
    return out


def _probe(n: Any) -> None:
    n.create("probe")
    n.remove("probe")


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
    res: dict[str, Any] = {"bulk_n": BULK, "share": {"wall": _stats(share_w), "cpu": _stats(share_c)},
           "single": {"wall": _stats(single_w), "cpu": _stats(single_c)}}
    res["ratio"] = {m: res["single"][m]["median"] / res["share"][m]["median"] for m in ("wall", "cpu")}
    log(f"  NETS connect: single {res['single']['wall']['median'] * 1e3:.2f} ms wall / "
        f"{res['single']['cpu']['median'] * 1e3:.2f} ms CPU; share of connect_many({BULK}) "
        f"{res['share']['wall']['median'] * 1e3:.2f} ms / {res['share']['cpu']['median'] * 1e3:.2f} ms; "
        f"ratio {res['ratio']['wall']:.2f}x wall, {res['ratio']['cpu']:.2f}x CPU")
    return res


# -- memory ------------------------------------------------------------------------------------
_MEASURE = r"""
import json, sys
def hwm():                           # this process's own peak (ru_maxrss keeps the parent's
    with open("/proc/self/status") as f:    # across fork + exec: a big runner inflated the base)
        return next(int(l.split()[1]) for l in f if l.startswith("VmHWM:"))
from pynetlink import Handle
from pynetlink.rtnl import routes
h = Handle(sys.argv[1])
h.links.dump()                       # every lazy import and the socket's buffer of a small reply
if sys.argv[2] != "list":            # one buffer of routes: the decoder learns their row density
    for v in h.stream(routes.dump(table=None, family="ipv4")):
        break
base = hwm()
n = 0
if sys.argv[2].startswith("list"):
    for v in h.routes.dump(table=None, family="ipv4"):
        n += 1
else:
    for v in h.stream(routes.dump(table=None, family="ipv4")):
        n += 1
peak = hwm()
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
               for mode in ("list", "list-warm", "stream")}
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
                  f"Each existing network has {nets['per_net']} containers. warm: one `Networks` for every "
                  "call (a daemon); fresh: a new `Networks` per call (what the command line does).", "",
                  "| networks existing | warm wall | warm CPU | CPU / with 0 | fresh wall | fresh CPU | CPU / with 0 |",
                  "|---|---|---|---|---|---|---|"]
        warm, fresh = nets["create_remove"]["warm"], nets["create_remove"]["fresh"]
        for k in warm:
            lines.append(f"| {k} | {_ms(warm[k]['wall'])} | {_ms(warm[k]['cpu'])} | "
                         f"{_x(warm[k].get('ratio_to_0', {}).get('cpu'))} | {_ms(fresh[k]['wall'])} | "
                         f"{_ms(fresh[k]['cpu'])} | {_x(fresh[k].get('ratio_to_0', {}).get('cpu'))} |")
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
        forms = {"list": "`h.routes.dump()` (a list), the process's first route dump",
                 "list-warm": "`h.routes.dump()` after one buffer of routes was decoded",
                 "stream": "`h.stream(routes.dump())` (per buffer)"}
        for mode, label in forms.items():
            if mode in mem:
                lines.append(f"| {label} | {mem[mode]['rss_growth_bytes'] / 1e6:.1f} MB | {mem[mode]['ratio']:.2f}x |")
        lines += ["", "(0.0 MB: the peak stayed at the level after the imports and the first buffer.)"]
        lines.append("")
    return lines


def _ms(s: dict[str, float]) -> str:
    return f"{s['median'] * 1e3:.2f} ms ({s['min'] * 1e3:.1f}–{s['max'] * 1e3:.1f})"


def _x(v: float | None) -> str:
    return "—" if v is None else f"{v:.2f}x"
