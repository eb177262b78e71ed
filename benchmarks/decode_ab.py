"""Decode before/after, side by side: two pynetlink trees, alternating, in fresh processes.

``python3 -m benchmarks.decode_ab --tree before=/path/a --tree after=/path/b [--routes FILE]``
puts each tree first on ``sys.path`` in its own subprocess, rep after rep (the order swapped
every rep), and times W3's decodes (``benchmarks/w3.py``: the 1,000-link dump into rows, and
into objects whose main fields are read) and, given a captured route dump (raw netlink
replies, e.g. 100,000 routes), its decode into rows and into ``RouteView``s with fields read,
both through the full row table and as ``Handle.routes.dump`` decodes it (a tree with
``decode(..., pluck)``: decode + pluck in one pass, no table).
Per case: wall and CPU (user + sys) per message, median of the iterations of each rep; the
summary gives min / median / max over reps and the after/before ratio of the medians.
No kernel, no root.
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

HERE = Path(__file__).resolve().parent

_CHILD = r"""
import json, sys, time
sys.path.insert(0, sys.argv[1])
sys.path.insert(1, sys.argv[2])          # the benchmarks package (the tree under test first)
import pynetlink
assert pynetlink.__file__.startswith(sys.argv[1]), pynetlink.__file__
from benchmarks import w3
from pynetlink.codec import decode
from pynetlink.codec.specs.rtnl import RTNL

def per_msg(fn, n, budget):
    fn()
    walls, cpus = [], []
    t_end = time.perf_counter() + budget
    while len(walls) < 3 or (time.perf_counter() < t_end and len(walls) < 200):
        w0, c0 = time.perf_counter_ns(), time.process_time_ns()
        fn()
        walls.append((time.perf_counter_ns() - w0) / n)
        cpus.append((time.process_time_ns() - c0) / n)
    walls.sort(); cpus.sort()
    return {"wall": walls[len(walls) // 2], "cpu": cpus[len(cpus) // 2], "iterations": len(walls)}

out = {"decode links (rows)": per_msg(w3.pynetlink_decode_rows(), w3.N, float(sys.argv[4])),
       "decode links + read fields": per_msg(w3.pynetlink_decode_read(), w3.N, float(sys.argv[4]))}
if sys.argv[3]:
    from pynetlink.rtnl.routes import RouteView, _PLUCK
    from pynetlink.rtnl.view import make_views
    data = open(sys.argv[3], "rb").read()
    n = decode(data, RTNL).n_msgs
    out["decode routes (rows)"] = per_msg(lambda: decode(data, RTNL), n, float(sys.argv[4]))

    def views():
        rows = decode(data, RTNL)
        msgs = [m for m in rows.messages() if rows.tf[m] & 0xFFFF == 24]
        for v in make_views(RouteView, rows, msgs, _PLUCK):
            v.dst, v.via, v.dev, v.table
    out["decode routes + views + read fields"] = per_msg(views, n, float(sys.argv[4]))
    import inspect
    lean = "pluck" in inspect.signature(decode).parameters

    def dump_path():                     # what Handle.routes.dump decodes: lean when the tree has it
        rows = decode(data, RTNL, _PLUCK) if lean else decode(data, RTNL)
        msgs = rows.data_messages() if lean else [m for m in rows.messages() if rows.tf[m] & 0xFFFF == 24]
        for v in make_views(RouteView, rows, msgs, _PLUCK):
            v.dst, v.via, v.dev, v.table
    out["routes as the list dump decodes them + views + read fields"] = per_msg(dump_path, n, float(sys.argv[4]))
print(json.dumps(out))
"""


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python3 -m benchmarks.decode_ab", description=__doc__.split("\n\n")[0])
    ap.add_argument("--tree", action="append", required=True, help="name=path of a tree holding pynetlink/")
    ap.add_argument("--routes", default="", help="a captured route dump (raw replies) to decode too")
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--budget", type=float, default=1.0, help="seconds per case and rep")
    ap.add_argument("--out", default="", help="stem of the .json/.md results")
    args = ap.parse_args(argv)
    trees = [t.split("=", 1) for t in args.tree]
    runs: dict[str, list[dict[str, Any]]] = {name: [] for name, _ in trees}
    for rep in range(args.reps):
        for name, path in (trees if rep % 2 == 0 else trees[::-1]):
            res = subprocess.run([sys.executable, "-c", _CHILD, os.path.abspath(path), str(HERE.parent),
                                  args.routes, str(args.budget)], check=True, capture_output=True, text=True)
            runs[name].append(json.loads(res.stdout))
            print(f"rep {rep + 1} {name}: " + ", ".join(f"{k} {v['wall']:.0f} ns" for k, v in runs[name][-1].items()),
                  flush=True)
    summary: dict[str, Any] = {}
    for case in runs[trees[0][0]][0]:
        summary[case] = {}
        for name, _ in trees:
            summary[case][name] = {m: {"min": min(r[case][m] for r in runs[name]),
                                       "median": statistics.median(r[case][m] for r in runs[name]),
                                       "max": max(r[case][m] for r in runs[name])} for m in ("wall", "cpu")}
    base = trees[0][0]
    lines = ["| case | tree | wall ns/msg min / median / max | CPU ns/msg min / median / max | "
             f"× {base} (wall, CPU) |", "|---|---|---|---|---|"]
    for case, per in summary.items():
        for name, _ in trees:
            s = per[name]
            ratio = "/".join(f"{s[m]['median'] / per[base][m]['median']:.2f}" for m in ("wall", "cpu"))
            lines.append(f"| {case} | {name} | " + " | ".join(
                f"{s[m]['min']:.0f} / {s[m]['median']:.0f} / {s[m]['max']:.0f}" for m in ("wall", "cpu"))
                + f" | {ratio} |")
    print("\n".join(lines))
    if args.out:
        Path(args.out + ".json").write_text(json.dumps({"reps": args.reps, "runs": runs, "summary": summary}, indent=1))
        Path(args.out + ".md").write_text("\n".join(lines) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
