"""Start-up of pynetlink's entry points (issue 14), side by side with ``ip link``.

    python3 -m benchmarks.startup [--reps 15] [--out results/startup.json]

Each command runs as a fresh process, repetitions alternate the commands (the order
rotates), the tree byte-compiled first (as an installed wheel has it). Wall time: median and
min–max. Then each pynetlink command once more per repetition under ``-X importtime``: the
sum of the modules' self times (minimum per module over the repetitions) and the module
count, and the largest modules. Commands: the bare interpreter, ``import pynetlink``,
``pynetlink --help``, ``pynetlink link ls`` (in a throwaway namespace holding a few links),
a CNI plugin's VERSION, and ``ip link`` in the same namespace for reference.
Goals (issue 14): ``import pynetlink`` < 40 ms, ``--help`` and ``link ls`` < 100 ms.
"""
from __future__ import annotations

import argparse
import compileall
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from .common import PREFIX, cleanup, ip_batch, ns_add, ns_del

ROOT = Path(__file__).resolve().parent.parent
GOALS_MS = {"import pynetlink": 40.0, "pynetlink --help": 100.0, "pynetlink link ls": 100.0}


def commands(ns: str) -> dict[str, list[str]]:
    py = sys.executable
    cli = [py, "-c", "import sys; from pynetlink_cli import main; sys.exit(main())"]
    return {
        "python -c pass": [py, "-c", "pass"],
        "import pynetlink": [py, "-c", "import pynetlink"],
        "pynetlink --help": [*cli, "--help"],
        "pynetlink link ls": [*cli, "-n", ns, "link", "ls"],
        "CNI plugin VERSION (python -I -S)": [py, "-I", "-S", "-c", f"import sys; sys.path[:0] = [{str(ROOT)!r}]; "
                                              "from pynetlink.cni.skel import run; run('pynetlink-bridge', "
                                              "fast_exit=True)"],
        "ip link (reference)": ["ip", "-n", ns, "link", "show"],
    }


def env() -> dict[str, str]:
    e = {**os.environ, "PYTHONPATH": str(ROOT), "CNI_COMMAND": "VERSION"}
    e.pop("PYTHONDONTWRITEBYTECODE", None)
    return e


def importtime(argv: list[str], e: dict[str, str]) -> dict[str, int]:
    p = subprocess.run([argv[0], "-X", "importtime", *argv[1:]], capture_output=True, text=True, env=e,
                       input='{"cniVersion": "1.0.0"}')
    out: dict[str, int] = {}
    for line in p.stderr.splitlines():
        if line.startswith("import time:") and "self [us]" not in line:
            a, _, name = line[len("import time:"):].split("|")
            out[name.strip()] = int(a)
    return out


def run(reps: int, log: Any = print) -> dict[str, Any]:
    compileall.compile_dir(str(ROOT / "pynetlink"), quiet=1)
    compileall.compile_dir(str(ROOT / "pynetlink_cli"), quiet=1)
    ns = ns_add(f"{PREFIX}st")
    try:
        ip_batch(ns, ["link add pnlst0 type veth peer name pnlst1", "link add pnlstbr type bridge"])
        cmds = commands(ns)
        e = env()
        names = list(cmds)
        times: dict[str, list[float]] = {n: [] for n in names}
        best: dict[str, dict[str, int]] = {n: {} for n in names if n.startswith(("import", "pynetlink"))}
        for rep in range(reps + 1):                 # rep 0 warms the page cache: not counted
            k = rep % len(names)
            for n in names[k:] + names[:k]:
                t0 = time.perf_counter()
                p = subprocess.run(cmds[n], capture_output=True, env=e, input=b'{"cniVersion": "1.0.0"}')
                t = time.perf_counter() - t0
                if p.returncode != 0:
                    raise RuntimeError(f"{n}: rc {p.returncode}: {p.stderr.decode()[-400:]}")
                if rep:
                    times[n].append(t)
            for n in best:
                for mod, us in importtime(cmds[n], e).items():
                    best[n][mod] = min(best[n].get(mod, us), us)
        out: dict[str, Any] = {"reps": reps}
        for n in names:
            v = times[n]
            r: dict[str, Any] = {"median": statistics.median(v), "min": min(v), "max": max(v)}
            if n in best:
                ours = {m: us for m, us in best[n].items() if m.startswith("pynetlink")}
                r.update(imports_ms=sum(best[n].values()) / 1e3, modules=len(best[n]),
                         pynetlink_ms=sum(ours.values()) / 1e3, pynetlink_modules=len(ours),
                         top={m: us / 1e3 for m, us in sorted(best[n].items(), key=lambda kv: -kv[1])[:8]})
            if n in GOALS_MS:
                r["goal_ms"] = GOALS_MS[n]
                r["met"] = r["median"] * 1e3 < GOALS_MS[n]
            out[n] = r
            log(f"  start-up {n:36} {r['median'] * 1e3:6.1f} ms ({r['min'] * 1e3:.1f}-{r['max'] * 1e3:.1f})"
                + (f"; imports {r['imports_ms']:.1f} ms in {r['modules']} modules" if "imports_ms" in r else ""))
        return out
    finally:
        ns_del(ns)


def markdown(res: dict[str, Any]) -> list[str]:
    lines = ["## Start-up (fresh process each, byte-compiled; median, min–max)", "",
             "| command | wall | imports (`-X importtime`) | modules | goal |", "|---|---|---|---|---|"]
    for n, r in res.items():
        if not isinstance(r, dict):
            continue
        imp = f"{r['imports_ms']:.1f} ms (pynetlink {r['pynetlink_ms']:.1f})" if "imports_ms" in r else ""
        goal = (f"< {r['goal_ms']:.0f} ms: **{'met' if r['met'] else 'missed'}**") if "goal_ms" in r else ""
        lines.append(f"| {n} | {r['median'] * 1e3:.1f} ms ({r['min'] * 1e3:.1f}–{r['max'] * 1e3:.1f}) | {imp} | "
                     f"{r.get('modules', '')} | {goal} |")
    return lines + [""]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python3 -m benchmarks.startup", description=__doc__.split("\n\n")[0])
    ap.add_argument("--reps", type=int, default=15)
    ap.add_argument("--out", default=None, help="write the JSON here")
    args = ap.parse_args(argv)
    if os.geteuid() != 0:
        print("needs root (a throwaway namespace for link ls)", file=sys.stderr)
        return 2
    try:
        res = run(args.reps)
    finally:
        cleanup()
    print("\n".join(markdown(res)))
    if args.out:
        Path(args.out).write_text(json.dumps(res, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
