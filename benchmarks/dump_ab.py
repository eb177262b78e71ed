"""W2 addresses / routes (/ links) before/after, side by side: the C floor and two pynetlink
trees, alternating round by round, cold as the runner measures them.

    python3 -m benchmarks.dump_ab --tree before=/work/base --tree after=. [--rounds 60] [--cases links]

One namespace with 1,000 IPv4 addresses and one with 1,000 routes, and with ``--cases`` naming
``links`` one with 1,000 veth pairs (as the runner's W2 set-up; names ``pnlb-<pid>-...``,
deleted on the way out). Each tree runs in a process of its own (its
``.venv/bin/python``, the tree first on ``sys.path``), kept for every round and driven through
a pipe; per round and case each tree collects garbage (the runner's modules imported), opens
a ``Handle`` in the namespace, then times the dump and the
runner's reads (``benchmarks.impl.pynetlink_api``), as the runner
does; the C floor (``w2``) times itself. The order of the three rotates every round.
Prints the median, min–max, the ratio of medians to the floor's and the median of the
per-round ratios to the floor of the same round (slow drifts of a shared machine cancel).
"""
from __future__ import annotations

import argparse
import json
import statistics
import subprocess
from pathlib import Path
from typing import Any

from .common import HERE, PREFIX, build_cfloor, cleanup, ip_batch, ns_add, ns_path
from .impl.base import ROUTE_GW, ctr_ip

N = 1000

_CHILD = r"""
import gc, json, sys, time
sys.path.insert(0, sys.argv[1])
import pynetlink
assert pynetlink.__file__.startswith(sys.argv[1]), pynetlink.__file__
from pynetlink import Handle
from benchmarks.impl.pynetlink_api import read_addrs, read_links, read_routes
import benchmarks.run                  # (the runner's modules: what its gc.collect() walks)
for line in sys.stdin:
    case, ns = line.split()
    gc.collect()                       # (before the untimed set-up, as the runner since b1bf7bb)
    h = Handle(ns)
    t0 = time.perf_counter()
    if case == "links":
        n = read_links(h.links.dump())
    elif case == "addrs":
        n = read_addrs(h.addresses.dump(family="ipv4"))
    else:
        n = read_routes(h.routes.dump(table=None, family="ipv4"))
    t1 = time.perf_counter()
    h.close()
    print(json.dumps({"wall": t1 - t0, "count": n}), flush=True)
"""


SETUP = {
    "addrs": lambda: ["link add va type veth peer name vb"] + [f"addr add {ctr_ip(i)}/16 dev va" for i in range(N)],
    "routes": lambda: ["link add va type veth peer name vb", "link set va up", "link set vb up",
                       "addr add 198.51.100.1/24 dev va"] +
                      [f"route add {ctr_ip(i)}/32 via {ROUTE_GW}" for i in range(N)],
    "links": lambda: [f"link add x{i} type veth peer name y{i}" for i in range(N)],
}


def setup(cases: list[str]) -> dict[str, str]:
    spaces = {}
    for case in cases:
        spaces[case] = ns_add(f"{PREFIX}ab-{case}")
        ip_batch(spaces[case], SETUP[case]())
    return spaces


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--tree", action="append", required=True, help="name=path of a pynetlink checkout")
    ap.add_argument("--rounds", type=int, default=60)
    ap.add_argument("--cases", default="addrs,routes", help="of links, addrs, routes (comma-separated)")
    args = ap.parse_args()
    cases = args.cases.split(",")
    trees = dict(t.split("=", 1) for t in args.tree)
    bins = build_cfloor(HERE / "build")
    kids: dict[str, Any] = {}
    got: dict[str, dict[str, list[float]]] = {c: {w: [] for w in ["C floor", *trees]} for c in cases}
    try:
        spaces = setup(cases)
        for name, path in trees.items():
            root = str(Path(path).resolve())
            kids[name] = subprocess.Popen([f"{root}/.venv/bin/python", "-c", _CHILD, root], cwd=root,
                                          stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        ways = ["C floor", *trees]
        for rnd in range(args.rounds):
            k = rnd % len(ways)
            for case, ns in spaces.items():
                for way in ways[k:] + ways[:k]:
                    if way == "C floor":
                        out = subprocess.run([str(bins["w2"]), case, ns_path(ns)], capture_output=True,
                                             check=True).stdout
                        r = json.loads(out)["run"]
                    else:
                        kid = kids[way]
                        kid.stdin.write(f"{case} {ns}\n")
                        kid.stdin.flush()
                        r = json.loads(kid.stdout.readline())
                    if rnd:                             # (the first round warms up)
                        got[case][way].append(r["wall"])
    finally:
        for kid in kids.values():
            kid.stdin.close()
            kid.wait()
        cleanup()
    print("| case | implementation | median | min–max | × floor | per round |\n|---|---|---|---|---|---|")
    for case, per in got.items():
        floors = per["C floor"]
        floor = statistics.median(floors)
        for way, xs in per.items():
            med = statistics.median(xs)
            paired = statistics.median(x / f for x, f in zip(xs, floors))
            print(f"| W2-{case} | {way} | {med * 1e3:.3f} ms | {min(xs) * 1e3:.3f}–{max(xs) * 1e3:.3f} ms "
                  f"| {med / floor:.2f}x | {paired:.2f}x |")


if __name__ == "__main__":
    main()
