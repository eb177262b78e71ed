"""NETS before/after, side by side: two pynetlink trees, alternating, in fresh processes.

``python3 -m benchmarks.nets_ab --tree before=/path/a --tree after=/path/b --rounds 4``
runs the runner's NETS workload (``benchmarks/scale.py``: network create+remove with 0, 10
and 50 networks existing, warm and fresh; a single connect against one container's share of
``connect_many(150)``) once per round in each tree, each tree first on ``sys.path`` in its
own subprocess, the order swapped every round. Each round's figure is that run's median (of
its repetitions); the summary gives min / median / max over rounds of those medians, wall
and CPU (user + sys of the process), and the ratios the goals are stated in (CPU at 50 / at
0; single / share). Namespaces are ``pnlb-<child pid>-...``, deleted by each child.
"""
from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent

_CHILD = r"""
import json, sys, tempfile
sys.path.insert(0, sys.argv[1])
import pynetlink
assert pynetlink.__file__.startswith(sys.argv[1]), pynetlink.__file__
from pathlib import Path
from benchmarks import common, scale
try:
    with tempfile.TemporaryDirectory() as tmp:
        out = scale.run_nets(Path(tmp), lambda s: print(s, file=sys.stderr), int(sys.argv[2]))
finally:
    common.cleanup()
print(json.dumps(out))
"""


def _figures(res: dict[str, Any]) -> dict[str, float]:
    """One run's medians (ms) and ratios, flat."""
    out: dict[str, float] = {}
    for mode, points in res["create_remove"].items():
        for k, p in points.items():
            for m in ("wall", "cpu"):
                out[f"{mode} {k} {m}"] = p[m]["median"] * 1e3
        for m in ("wall", "cpu"):
            out[f"{mode} 50/0 {m}"] = points["50"][m]["median"] / points["0"][m]["median"]
    c = res["connect"]
    for m in ("wall", "cpu"):
        out[f"single {m}"] = c["single"][m]["median"] * 1e3
        out[f"share {m}"] = c["share"][m]["median"] * 1e3
        out[f"single/share {m}"] = c["ratio"][m]
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--tree", action="append", required=True, help="NAME=PATH (two)")
    ap.add_argument("--rounds", type=int, default=4)
    ap.add_argument("--reps", type=int, default=3, help="run_nets repetitions per round")
    ap.add_argument("--name", default="nets-ab", help="results/NAME.{json,md}")
    args = ap.parse_args()
    trees = [t.split("=", 1) for t in args.tree]
    runs: dict[str, list[dict[str, float]]] = {name: [] for name, _ in trees}
    for r in range(args.rounds):
        for name, path in (trees if r % 2 == 0 else trees[::-1]):
            proc = subprocess.run([sys.executable, "-c", _CHILD, path, str(args.reps)], cwd=path,
                                  capture_output=True, text=True, timeout=1800)
            if proc.returncode:
                sys.exit(f"{name} failed:\n{proc.stderr}")
            runs[name].append(_figures(json.loads(proc.stdout.splitlines()[-1])))
            f = runs[name][-1]
            print(f"round {r + 1} {name}: warm 50/0 CPU {f['warm 50/0 cpu']:.2f}x, fresh 50/0 CPU "
                  f"{f['fresh 50/0 cpu']:.2f}x, single/share {f['single/share wall']:.2f}x wall "
                  f"{f['single/share cpu']:.2f}x CPU", flush=True)
    summary = {name: {k: {"min": min(v[k] for v in vs), "median": statistics.median(v[k] for v in vs),
                          "max": max(v[k] for v in vs)} for k in vs[0]} for name, vs in runs.items()}
    res = HERE / "results"
    (res / f"{args.name}.json").write_text(json.dumps({"trees": dict(trees), "rounds": args.rounds,
                                                       "reps": args.reps, "runs": runs,
                                                       "summary": summary}, indent=1))
    lines = [f"# NETS side by side ({args.rounds} rounds, alternating; each figure a run's median)", "",
             "| figure | " + " | ".join(f"{n} min / median / max" for n, _ in trees) + " |",
             "|---|" + "---|" * len(trees)]
    for k in summary[trees[0][0]]:
        unit = "x" if "/" in k else " ms"
        lines.append(f"| {k} | " + " | ".join(
            f"{summary[n][k]['min']:.2f} / **{summary[n][k]['median']:.2f}** / {summary[n][k]['max']:.2f}{unit}"
            for n, _ in trees) + " |")
    (res / f"{args.name}.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
