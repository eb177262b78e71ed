"""MEM before/after, side by side: the runner's MEM measure (benchmarks/scale.py) for two
pynetlink trees, alternating rep by rep, against one namespace of 100,000 routes.

``python3 -m benchmarks.mem_ab --tree before=/path/a --tree after=/path/b [--reps 5]`` (root):
makes a namespace ``pnlb-<pid>-memab`` with the routes (ip -batch, untimed), measures the raw
replies once, then per rep and tree runs scale.py's measuring script in a fresh process with
that tree first on ``sys.path`` (the order swapped every rep), list and stream forms. Reports
peak RSS growth (MB and × raw replies) min / median / max, and the after/before ratio.
The namespace is deleted at the end, also on failure.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path
from typing import Any

from . import scale
from .common import PREFIX, ip_batch, ns_add, ns_del, ns_path


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python3 -m benchmarks.mem_ab", description=__doc__.split("\n\n")[0])
    ap.add_argument("--tree", action="append", required=True, help="name=path of a tree holding pynetlink/")
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--routes", type=int, default=scale.ROUTES)
    ap.add_argument("--out", default="", help="stem of the .json/.md results")
    args = ap.parse_args(argv)
    trees = [t.split("=", 1) for t in args.tree]
    modes = ("list", "stream")
    for _, path in trees:                # byte-compiled first, as installed: compiling at import
        subprocess.run([sys.executable, "-m", "compileall", "-q", os.path.join(path, "pynetlink")],
                       check=True)       # would raise the baseline's high-water mark
    ns = ns_add(f"{PREFIX}memab")
    runs: dict[str, dict[str, list[int]]] = {name: {m: [] for m in modes} for name, _ in trees}
    try:
        lines = ["link add va type veth peer name vb", "link set va up", "link set vb up",
                 "addr add 198.51.100.1/24 dev va"]
        lines += [f"route add 172.{16 + (i >> 16)}.{i >> 8 & 255}.{i & 255}/32 via 198.51.100.2"
                  for i in range(args.routes)]
        for k in range(0, len(lines), 20_000):
            ip_batch(ns, lines[k:k + 20_000])
        raw = json.loads(subprocess.run(["ip", "netns", "exec", ns, sys.executable, "-c", scale._RAW],
                                        check=True, capture_output=True, timeout=300).stdout)["raw_bytes"]
        for rep in range(args.reps):
            for name, path in (trees if rep % 2 == 0 else trees[::-1]):
                env = dict(os.environ, PYTHONPATH=os.path.abspath(path))
                for mode in modes:
                    g = json.loads(subprocess.run([sys.executable, "-c", scale._MEASURE, ns_path(ns), mode],
                                                  check=True, capture_output=True, timeout=300, env=env,
                                                  cwd="/").stdout)     # not a checkout's pynetlink
                    assert g["routes"] >= args.routes, g
                    print(name, mode, g, flush=True)
                    runs[name][mode].append((g["peak_kib"] - g["base_kib"]) * 1024)
                print(f"rep {rep + 1} {name}: " + ", ".join(
                    f"{m} {runs[name][m][-1] / 1e6:.1f} MB ({runs[name][m][-1] / raw:.2f}x)" for m in modes), flush=True)
    finally:
        ns_del(ns)
    base = trees[0][0]
    summary: dict[str, Any] = {"raw_bytes": raw, "routes": args.routes, "reps": args.reps, "trees": {}}
    lines = [f"MEM: peak RSS growth while dumping {args.routes:,} routes; raw replies {raw / 1e6:.2f} MB; "
             f"{args.reps} reps per tree, alternating", "",
             "| form | tree | MB min / median / max | × raw replies (median) | × " + base + " |", "|---|---|---|---|---|"]
    for mode in modes:
        for name, _ in trees:
            xs = runs[name][mode]
            med = statistics.median(xs)
            summary["trees"].setdefault(name, {})[mode] = {"min": min(xs), "median": med, "max": max(xs), "all": xs}
            lines.append(f"| {mode} | {name} | {min(xs) / 1e6:.1f} / {med / 1e6:.1f} / {max(xs) / 1e6:.1f} | "
                         f"{med / raw:.2f}x | {med / max(statistics.median(runs[base][mode]), 1):.2f} |")
    print("\n".join(lines))
    if args.out:
        Path(args.out + ".json").write_text(json.dumps(summary, indent=1))
        Path(args.out + ".md").write_text("\n".join(lines) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
