"""Side-by-side runner: every workload, every implementation that can do it, in one run.

    python3 -m benchmarks.run                          # default: all workloads, 5 repetitions
    python3 -m benchmarks.run --quick                  # under a minute: small N, 2 repetitions
    python3 -m benchmarks.run --workloads W1,W5 --reps 7 --out benchmarks/results/
    python3 -m benchmarks.run --workloads W1 --curve      # + W1 at N=10..1000 and its PNG

Repetitions alternate implementations (the order rotates each repetition), so slow drifts of
a noisy machine hit all of them alike; we report medians, min-max and the ratio of medians to
the C floor of the same run. Everything happens in namespaces named pnlb-<pid>-..., created
per repetition and always deleted (finally, atexit, SIGINT/SIGTERM). See docs/performance.md.

Teardown (W1, NS) is timed after a pause of ``TEARDOWN_PAUSE`` (50 ms, untimed) that follows
every implementation's run alike. Deleting a namespace is umount2 + unlink for every
implementation, and each umount2 waits for one expedited RCU grace period
(``namespace_unlock`` -> ``synchronize_rcu_expedited``), whose length depends on what the
other CPU is doing: right after a run, the kernel's deferred work of the namespaces just made
is still running. Without the pause an in-process implementation deleted in that wake, while a
subprocess (the C floor) started its deletion only after its own fork and exec, a pause of its
own (benchmarks/nsdel_ab.py with MATRIX=1 measures both orders, with and without a pause).
Even so one grace period's length moves with the other CPU's load (a repetition takes 2.7 to
25 ms for the same 400 system calls), so the teardown table gives, besides the ratio of the
medians, two ratios robust to it: best against best ("× floor (min)": interference only adds
time) and the median over repetitions of each one's ratio to the floor's teardown of the same
repetition ("per rep.": slow drifts of the machine cancel), for every implementation alike.
The JSON has the same two for every run (``ratio_min``, ``ratio_rep`` next to ``ratio``).
"""
from __future__ import annotations

import argparse
import atexit
import gc
import json
import os
import platform
import resource
import shutil
import signal
import statistics
import sys
import tempfile
import time
import traceback
from pathlib import Path
from typing import Any

from . import common, curve, mountns, scale, w3, w6
from .workers import Workers
from .common import (PREFIX, Measure, Timer, build_cfloor, cleanup, cleanup_stale, count_links,
                     ip_batch, netns_alive, ns_add, ns_del, sh, wait_links_gone, wait_netns_settled)
from .impl.base import (BRIDGE, GATEWAY, ROUTE_GW, ROUTE_TABLE, Case, Ctx, Impl, ctr_ip)

ALL = ("W1", "W1S", "NS", "W2", "W3", "W4", "W5", "NETS", "MEM")
# seconds between every run and its timed teardown (module docstring; PNLB_TEARDOWN_PAUSE to compare)
TEARDOWN_PAUSE = float(os.environ.get("PNLB_TEARDOWN_PAUSE", "0.05"))
OPT_IN = ("W6",)       # CNI plugin chains and podman (benchmarks/w6.py, ~15 min): --workloads W6


def implementations() -> list[Impl]:
    from .impl.cfloor import CFloor, CFloorAcks
    from .impl.cni import CniBridge
    from .impl.iproute2 import IpBatch, IpLoop
    from .impl.nft_impl import NftFile, NftLoop, PynetlinkDockerNat, PynetlinkDockerNatSetup, PynetlinkNft
    from .impl.pynetlink_api import (PynetlinkApi, PynetlinkApiAttach, PynetlinkApiEach, PynetlinkApiMany,
                                      PynetlinkApiRange)
    from .impl.pynetlink_impl import Pynetlink
    from .impl.pyroute2_impl import Pyroute2, Pyroute2Batch
    return [CFloor(), CFloorAcks(), PynetlinkApi(), PynetlinkApiEach(), PynetlinkApiMany(), PynetlinkApiAttach(),
            PynetlinkApiRange(), Pynetlink(),
            PynetlinkNft(), PynetlinkDockerNat(), PynetlinkDockerNatSetup(),
            Pyroute2(), Pyroute2Batch(), IpBatch(), IpLoop(), CniBridge(), NftFile(), NftLoop(), *_bulk_nat()]


def _bulk_nat() -> list[Impl]:
    """W4 through the bulk forms (``add_dnat_rules``; ``DockerNat.setup`` with tuples)."""
    from .impl.nft_impl import (PynetlinkDockerNatTuples, PynetlinkDockerNatTuplesReady, PynetlinkNftBulk,
                                PynetlinkNftBulkReady)
    return [PynetlinkNftBulk(), PynetlinkDockerNatTuples(), PynetlinkNftBulkReady(), PynetlinkDockerNatTuplesReady()]


def cases(workloads: list[str], quick: bool) -> list[tuple[Case, frozenset[str] | None]]:
    """(case, allowed implementation names or None for all)."""
    n1 = 50 if quick else 200
    scale = (50, 100, 200) if quick else (100, 500, 1000)
    n2 = 200 if quick else 1000
    out: list[tuple[Case, frozenset[str] | None]] = []
    for w in workloads:
        if w == "W1":
            out.append((Case("W1", n1), None))
        elif w == "W1S":
            for n in scale:
                out.append((Case("W1", n), frozenset({"C floor", "pynetlink", "pynetlink attach_many", "pynetlink codec", "ip -batch"})))
        elif w == "NS":
            out.append((Case("NS", n1), None))
        elif w == "W2":
            out += [(Case(f"W2-{k}", n2), None) for k in ("links", "addrs", "routes")]
        elif w == "W4":        # one rule per port; DockerNat's shape (a map of N elements)
            out += [(Case("W4", 200), None), (Case("W4-map", 200), None)]
        elif w == "W5":
            out.append((Case("W5", n2), None))
    return out


# -- per-case set-up (untimed) ------------------------------------------------------------------
def shared_setup(case: Case) -> str | None:
    """W2: one namespace with the objects to dump, shared by every implementation."""
    w, n = case.workload, case.n
    if not w.startswith("W2-"):
        return None
    ns = ns_add(f"{PREFIX}d-{w[3:]}")
    warm = {"W2-links": "link", "W2-addrs": "addr", "W2-routes": "route"}[w]
    if w == "W2-links":
        ip_batch(ns, [f"link add x{i} type veth peer name y{i}" for i in range(n)])
    elif w == "W2-addrs":
        ip_batch(ns, ["link add va type veth peer name vb"] +
                 [f"addr add {ctr_ip(i)}/16 dev va" for i in range(n)])
    else:
        ip_batch(ns, ["link add va type veth peer name vb", "link set va up", "link set vb up",
                      "addr add 198.51.100.1/24 dev va"] +
                 [f"route add {ctr_ip(i)}/32 via {ROUTE_GW}" for i in range(n)])
    sh(["ip", "-n", ns, warm, "show"])          # one untimed dump first: no cold-cache penalty
    return ns


def run_setup(case: Case, tag: str) -> str:
    """A fresh host namespace for one measurement."""
    host = ns_add(f"{PREFIX}{tag}-H")
    if case.workload == "W5":
        ip_batch(host, ["link add va type veth peer name vb", "link set va up", "link set vb up",
                        "addr add 198.51.100.1/24 dev va"])
    return host


def verify(case: Case, ctx: Ctx, result: Any) -> None:
    """Check the first run of every implementation did what the workload asks."""
    w, n = case.workload, case.n
    if w == "W1":
        assert count_links(ctx.host, "veth") == n, "host side: wrong number of veths"
        enslaved = len(sh(["ip", "-n", ctx.host, "-o", "link", "show", "master", BRIDGE]).stdout.splitlines())
        assert enslaved == n, f"{enslaved} of {n} veths on {BRIDGE}"
        assert GATEWAY in sh(["ip", "-n", ctx.host, "-4", "-o", "addr", "show", "dev", BRIDGE]).stdout.decode()
        for i in {0, n - 1}:
            c = ctx.ctr(i)
            addrs = sh(["ip", "-n", c, "-4", "-o", "addr", "show", "dev", "eth0"]).stdout.decode()
            assert ctr_ip(i) + "/16" in addrs, f"{c}: eth0 has {addrs!r}"
            route = sh(["ip", "-n", c, "route", "show", "default"]).stdout.decode()
            assert f"via {GATEWAY}" in route, f"{c}: default route {route!r}"
            links = sh(["ip", "-n", c, "-o", "link", "show", "up"]).stdout.decode()
            assert "lo:" in links and "eth0@" in links, f"{c}: links up {links!r}"
    elif w == "NS":
        assert len(common.ns_list(ctx.ctr_prefix)) == n
    elif w == "W5":
        got = len(sh(["ip", "-n", ctx.host, "route", "show", "table", str(ROUTE_TABLE)]).stdout.splitlines())
        assert got == n, f"{got} routes in table {ROUTE_TABLE}"
    elif w in ("W4", "W4-map"):
        from .impl.nft_impl import check
        check(case, ctx.host)
    elif w.startswith("W2-"):
        assert isinstance(result, dict) and "count" in result, "no object count"


def summarize(values: list[float]) -> dict[str, float]:
    return {"median": statistics.median(values), "min": min(values), "max": max(values)}


# -- the main loop ------------------------------------------------------------------------------
def measure_one(impl: Impl, case: Case, ctx: Ctx, rep: int, check: bool) -> dict[str, Any]:
    """One measurement of ``impl`` (in its worker, or in the runner with ``--one-process``):
    garbage collected, the untimed set-up, the timed run (checked when ``check``), then the
    timed teardown where the workload has one; ``impl.close`` always."""
    try:
        gc.collect()            # (before the set-up, not at the clock: common.GC_AT_CLOCK)
        impl.setup(case, ctx)
        with Timer(collect=False) as t:
            out = impl.run(case, ctx)
        m = out if isinstance(out, Measure) else t.measure
        if isinstance(out, Measure):
            m.extra["outer_wall"] = t.measure.wall
        elif isinstance(out, dict):
            m.extra.update(out)
        if check:
            verify(case, ctx, m.extra if isinstance(out, Measure) else out)
        got: dict[str, Any] = {"run": {**m.as_dict(), "rep": rep}}
        if case.has_teardown:
            gc.collect()
            time.sleep(TEARDOWN_PAUSE)
            with Timer(collect=False) as t:
                out = impl.teardown(case, ctx)
            td = out if isinstance(out, Measure) else t.measure
            settle = wait_links_gone(ctx.host) if case.workload == "W1" else 0.0
            got["teardown"] = {**td.as_dict(), "rep": rep}
            got["settled"] = t.measure.wall + settle
        return got
    finally:
        try:
            impl.close(ctx)
        except Exception:
            pass


def measure_case(case: Case, impls: list[Impl], reps: int, bins: dict[str, Path], tmp: Path,
                 log: Any, workers: Workers | None = None, index: dict[int, int] | None = None
                 ) -> dict[str, Any]:
    """Every repetition of ``case`` for ``impls``, alternated; each measurement in the
    implementation's worker (``index``: its number there) or, without ``workers``, here."""
    res: dict[str, Any] = {"case": case.key, "workload": case.workload, "n": case.n, "impls": {}}
    for impl in impls:
        res["impls"][impl.name] = {"runs": [], "teardown": [], "settled": [], "errors": [],
                                   "extra": {}}
    shared = shared_setup(case)
    failed: set[str] = set()
    try:
        for rep in range(reps):
            k = rep % len(impls)
            for impl in impls[k:] + impls[:k]:
                if impl.name in failed:
                    continue
                r = res["impls"][impl.name]
                tag = f"{rep}{abs(hash(impl.name)) % 1000:03d}"
                baseline = netns_alive()
                ctx = Ctx(host=shared or "", ctr_prefix=f"{PREFIX}{tag}-c", tmp=Path(tempfile.mkdtemp(dir=tmp)),
                          bins=bins)
                try:
                    if shared is None:
                        ctx.host = run_setup(case, tag)
                    got = (workers.call((index or {})[id(impl)], case, ctx, rep, rep < len(impls))
                           if workers else measure_one(impl, case, ctx, rep, rep < len(impls)))
                    if "error" in got:
                        raise RuntimeError(got["error"])
                    r["runs"].append(got["run"])
                    if "teardown" in got:
                        r["teardown"].append(got["teardown"])
                        r["settled"].append(got["settled"])
                    log(f"  {case.key:16} rep {rep} {impl.name:22} {got['run']['wall'] * 1e3:9.2f} ms")
                except Exception as exc:  # recorded; the implementation sits out the rest
                    failed.add(impl.name)
                    r["errors"].append(f"{type(exc).__name__}: {exc}")
                    log(f"  {case.key:16} rep {rep} {impl.name:22} FAILED: {exc}")
                    if os.environ.get("PNLB_DEBUG"):
                        traceback.print_exc()
                finally:
                    for name in common.ns_list(ctx.ctr_prefix):
                        ns_del(name)
                    if shared is None and ctx.host:
                        ns_del(ctx.host)
                    shutil.rmtree(ctx.tmp, ignore_errors=True)
                    wait_netns_settled(baseline)
    finally:
        if shared:
            ns_del(shared)
    floor = res["impls"].get("C floor", {}).get("runs") or res["impls"].get("nft -f", {}).get("runs")
    floor_name = "C floor" if res["impls"].get("C floor", {}).get("runs") else "nft -f"
    fmed = statistics.median(x["wall"] for x in floor) if floor else None
    fmin = min(x["wall"] for x in floor) if floor else None
    frep = {x.get("rep"): x["wall"] for x in floor or ()}
    ftd = res["impls"].get(floor_name, {}).get("teardown") or []
    ftd_med = statistics.median(x["wall"] for x in ftd) if ftd else None
    ftd_min = min((x["wall"] for x in ftd), default=None)
    ftd_rep = {x["rep"]: x["wall"] for x in ftd}
    fset = res["impls"].get(floor_name, {}).get("settled") or []
    fset_med = statistics.median(fset) if fset else None
    res["floor"] = floor_name if fmed else None
    for r in res["impls"].values():
        if r["runs"]:
            r["wall"] = summarize([x["wall"] for x in r["runs"]])
            r["user"] = statistics.median(x["user"] for x in r["runs"])
            r["sys"] = statistics.median(x["sys"] for x in r["runs"])
            r["ratio"] = r["wall"]["median"] / fmed if fmed else None
            # in the JSON only: best against best, and the median of per-repetition ratios
            r["ratio_min"] = r["wall"]["min"] / fmin if fmin else None
            reps_r = [x["wall"] / frep[x.get("rep")] for x in r["runs"] if frep.get(x.get("rep"))]
            r["ratio_rep"] = statistics.median(reps_r) if reps_r else None
            counts = {x.get("count") for x in r["runs"] if x.get("count") is not None}
            if counts:
                r["extra"]["count"] = sorted(counts)
        if r["teardown"]:
            r["teardown_wall"] = summarize([x["wall"] for x in r["teardown"]])
            r["teardown_ratio"] = r["teardown_wall"]["median"] / ftd_med if ftd_med else None
            # robust to the kernel's spread (module docstring): best against best, and each
            # repetition against the floor's of the same repetition (median of those ratios)
            r["teardown_min_ratio"] = r["teardown_wall"]["min"] / ftd_min if ftd_min else None
            pairs = [x["wall"] / ftd_rep[x["rep"]] for x in r["teardown"] if ftd_rep.get(x["rep"])]
            r["teardown_rep_ratio"] = statistics.median(pairs) if pairs else None
            r["settled_wall"] = summarize(r["settled"])
            r["settled_ratio"] = r["settled_wall"]["median"] / fset_med if fset_med else None
    return res


def run_w3(bins: dict[str, Path], tmp: Path, log: Any, budget: float) -> dict[str, Any]:
    out: dict[str, Any] = {}
    fixture = tmp / "links1000.bin"
    fixture.write_bytes(w3.links_dump())
    enc = json.loads(sh([str(bins["w3"]), "encode", str(w3.N), "2000"]).stdout)
    dec = json.loads(sh([str(bins["w3"]), "decode", str(fixture), "500"]).stdout)
    out["C floor"] = {"encode": {"median": enc["ns_per_msg"]},
                      "decode + read fields": {"median": dec["ns_per_msg"]}}
    for impl, cs in w3.CASES.items():
        out[impl] = {}
        for name, make in cs.items():
            try:
                out[impl][name] = w3.per_message_ns(make(), budget=budget if impl == "pynetlink" else budget / 2,
                                                    max_iter=200 if impl == "pynetlink" else 5)
                log(f"  W3 {impl:10} {name:32} {out[impl][name]['median']:10.1f} ns/msg")
            except Exception as exc:
                out[impl][name] = {"error": f"{type(exc).__name__}: {exc}"}
                log(f"  W3 {impl:10} {name:32} FAILED: {exc}")
    return out


# -- output -------------------------------------------------------------------------------------
def fmt_t(s: float) -> str:
    return f"{s * 1e3:.1f} ms" if s >= 0.01 else f"{s * 1e3:.2f} ms"


def fmt_r(x: float | None) -> str:
    return "—" if x is None else f"{x:.2f}x"


def markdown(results: dict[str, Any]) -> str:
    lines = [f"# Benchmark results ({results['when']}, {results['machine']['cpus']} CPUs, "
             f"kernel {results['machine']['kernel']}, reps {results['reps']})", "",
             "Median wall time, min–max, ratio of medians to the C floor of the same run "
             "(to `nft -f` when the C floor was not run), median user and system CPU. "
             "W4: one rule per port; W4-map: DockerNat's ruleset (a map of N elements). "
             f"Garbage collected {results.get('gc', 'at the clock')} of every measurement. "
             f"Implementations measured in {results.get('isolation', 'one process')}. "
             f"/run/netns on {results.get('netns_dir', 'the machine file system')}.", ""]
    for c in results["cases"]:
        lines += [f"## {c['case']}", "",
                  "| implementation | median | min–max | × floor | user | sys |",
                  "|---|---|---|---|---|---|"]
        for name, r in c["impls"].items():
            if r["runs"]:
                w = r["wall"]
                lines.append(f"| {name} | {fmt_t(w['median'])} | {fmt_t(w['min'])}–{fmt_t(w['max'])} | "
                             f"{fmt_r(r['ratio'])} | {fmt_t(r['user'])} | {fmt_t(r['sys'])} |")
            elif r["errors"]:
                lines.append(f"| {name} | failed: {r['errors'][0][:120]} | | | | |")
        if any(r.get("teardown_wall") for r in c["impls"].values()):
            lines += ["", "| teardown | calls median | × floor | min | × floor (min) | × floor (per rep.) "
                      "| until the kernel is done | × floor |", "|---|---|---|---|---|---|---|---|"]
            for name, r in c["impls"].items():
                if r.get("teardown_wall"):
                    lines.append(f"| {name} | {fmt_t(r['teardown_wall']['median'])} | "
                                 f"{fmt_r(r['teardown_ratio'])} | {fmt_t(r['teardown_wall']['min'])} | "
                                 f"{fmt_r(r.get('teardown_min_ratio'))} | {fmt_r(r.get('teardown_rep_ratio'))} | "
                                 f"{fmt_t(r['settled_wall']['median'])} | {fmt_r(r['settled_ratio'])} |")
        lines.append("")
    w1 = [c for c in results["cases"] if c["workload"] == "W1"]
    if len(w1) > 1:
        lines += ["## W1 per container (median wall / N)", "", "| N | " + " | ".join(
            sorted({n for c in w1 for n, r in c["impls"].items() if r["runs"]})) + " |"]
        names = sorted({n for c in w1 for n, r in c["impls"].items() if r["runs"]})
        lines.append("|---" * (len(names) + 1) + "|")
        for c in sorted(w1, key=lambda c: c["n"]):
            cells = []
            for n in names:
                r = c["impls"].get(n)
                cells.append(f"{r['wall']['median'] / c['n'] * 1e3:.2f} ms" if r and r["runs"] else "")
            lines.append(f"| {c['n']} | " + " | ".join(cells) + " |")
        lines.append("")
    if results.get("w3"):
        lines += ["## W3 codec, ns per message (batch of 1,000; median)", "",
                  "| implementation | operation | ns/msg | × C floor |", "|---|---|---|---|"]
        cf = results["w3"].get("C floor", {})
        for impl, ops in results["w3"].items():
            for op, v in ops.items():
                if "median" in v:
                    base = cf.get("encode" if op.startswith("encode") else "decode + read fields", {}).get("median")
                    lines.append(f"| {impl} | {op} | {v['median']:.0f} | "
                                 f"{fmt_r(v['median'] / base if base else None)} |")
                else:
                    lines.append(f"| {impl} | {op} | failed: {v.get('error', '')[:100]} | |")
        lines.append("")
    if results.get("w6"):
        lines += w6.markdown(results["w6"])
    lines += scale.markdown(results.get("nets"), results.get("mem"))
    if results.get("curve"):
        lines += curve.markdown(results["curve"])
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python3 -m benchmarks.run", description=__doc__.split("\n\n")[0])
    ap.add_argument("--workloads", default=",".join(ALL),
                    help=f"comma-separated, from {','.join(ALL + OPT_IN)} (W1S: W1 at N=100,500,1000; "
                    "W6 only when named)")
    ap.add_argument("--impls", default="", help="only these implementations (comma-separated names)")
    ap.add_argument("--reps", type=int, default=None, help="repetitions (default 5, --quick 2)")
    ap.add_argument("--quick", action="store_true", help="small N, 2 repetitions: under a minute")
    ap.add_argument("--out", default=str(common.HERE / "results"), help="directory for JSON + markdown")
    ap.add_argument("--name", default=None, help="file name stem (default: timestamp)")
    ap.add_argument("--curve", action="store_true",
                    help=f"W1 at N={','.join(map(str, curve.SIZES))} (C floor, pynetlink) and the "
                    "cost-per-container curve as a PNG (needs matplotlib: the bench extra)")
    ap.add_argument("--gc-at-clock", action="store_true",
                    help="collect garbage right before each clock starts, as the runs before "
                    "2026-12-08 did (default: before each untimed set-up)")
    ap.add_argument("--one-process", action="store_true",
                    help="measure every implementation in the runner's own process, as the runs "
                    "before 2026-12-08 did (default: a worker process per implementation)")
    ap.add_argument("--netns-tmpfs", action="store_true", default=True,
                    help="(the default) measure W1/W1S/NS/W2/W4/W5 (and --curve) with /run/netns on a "
                    "tmpfs of the runner's own, in a private mount namespace (benchmarks/mountns.py); "
                    "W3, NETS, MEM and W6 run in the machine's mount namespace as always")
    ap.add_argument("--machine-netns-dir", dest="netns_tmpfs", action="store_false",
                    help="measure with the machine's /run/netns, as the runs before 2026-12-08 did")
    args = ap.parse_args(argv)
    common.GC_AT_CLOCK = args.gc_at_clock
    if os.geteuid() != 0:
        print("the runner needs root (it creates network namespaces); W3 alone: "
              "python3 -m pytest benchmarks/ --benchmark-only", file=sys.stderr)
        return 2
    reps = args.reps or (2 if args.quick else 5)
    if not 1 <= reps <= 50:
        ap.error("--reps must be 1..50")
    workloads = [w.strip() for w in args.workloads.split(",") if w.strip()]
    bad = [w for w in workloads if w not in ALL + OPT_IN]
    if bad:
        ap.error(f"unknown workloads {bad}")
    only = {x.strip() for x in args.impls.split(",") if x.strip()}

    main_pid = os.getpid()

    def stop(signum: int, _frame: Any) -> None:
        if os.getpid() != main_pid:      # a forked child (pyroute2 forks to enter namespaces)
            os._exit(128 + signum)
        raise KeyboardInterrupt(f"signal {signum}")

    signal.signal(signal.SIGTERM, stop)
    atexit.register(cleanup)
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 65536), hard))
    stale = cleanup_stale()
    tmp = Path(tempfile.mkdtemp(prefix="pnlb-"))
    log = lambda s: print(s, flush=True)  # noqa: E731
    if stale:
        log(f"removed {stale} namespaces left by an earlier run")
    t_start = time.perf_counter()
    results: dict[str, Any] = {
        "when": time.strftime("%Y-%m-%d %H:%M:%S"), "reps": reps, "quick": args.quick,
        "gc": "at the clock" if args.gc_at_clock else "before the set-up",
        "isolation": "one process" if args.one_process else "a process per implementation",
        "netns_dir": mountns.netns_dir_fs(),
        "machine": {"cpus": os.cpu_count(), "kernel": platform.release(),
                    "python": platform.python_version(), "ip": sh(["ip", "-V"]).stdout.decode().strip()},
        "cases": []}
    try:
        import pyroute2
        results["machine"]["pyroute2"] = pyroute2.__version__
    except Exception:
        pass
    workers: Workers | None = None
    try:
        bins = build_cfloor(common.HERE / "build")
        impls = [i for i in implementations() if not only or i.name in only]
        for i in impls:
            why = i.available()
            if why:
                log(f"skipping {i.name}: {why}")
        impls = [i for i in impls if i.available() is None]
        index = {id(i): k for k, i in enumerate(impls)}
        if not args.one_process:
            workers = Workers(lambda k, *a: measure_one(impls[k], *a))
        todo = cases([w for w in workloads if w not in ("W3", "NETS", "MEM")], args.quick)
        if args.curve:
            todo += [c for c in curve.cases() if c[0].key not in {x.key for x, _ in todo}]
        # before any worker is forked or subprocess started: they all inherit it
        private = mountns.enter() if args.netns_tmpfs and todo else None
        if private:
            results["netns_dir"] = f"{mountns.netns_dir_fs()} (a private mount namespace)"
            log(f"/run/netns: {results['netns_dir']}")
        try:
            for case, allowed in todo:
                these = [i for i in impls if i.supports(case) and (allowed is None or i.name in allowed)]
                if not these:
                    continue
                log(f"{case.key}: {', '.join(i.name for i in these)}")
                # dumps and namespace deletion are short (the floor's deletion of 200 namespaces:
                # 2.2-8 ms, its own spread wider than the differences): three times the repetitions
                r = reps * 3 if case.workload.startswith("W2-") or case.workload == "NS" else reps
                results["cases"].append(measure_case(case, these, r, bins, tmp, log, workers, index))
        finally:
            if private and os.getpid() == main_pid:
                # the workers live in the private namespace; its namespaces are deleted there
                if workers:
                    workers.close()
                    workers = None
                cleanup()
                private.leave()
        if "W3" in workloads:
            log("W3: codec only")
            results["w3"] = run_w3(bins, tmp, log, budget=0.3 if args.quick else 1.0)
        if "NETS" in workloads:
            log("NETS: network create/remove with networks existing; single vs bulk connect")
            results["nets"] = scale.run_nets(tmp, log, reps)
        if "MEM" in workloads:
            log("MEM: peak RSS of a dump of 100,000 routes")
            results["mem"] = scale.run_mem(log)
        if "W6" in workloads:
            log("W6: CNI plugin chains, VERSION, podman run --rm")
            results["w6"] = w6.run(tmp, log, quick=args.quick, reps=args.reps)
    except KeyboardInterrupt:
        log("interrupted: cleaning up")
        return 130
    finally:
        if os.getpid() != main_pid:
            os._exit(1)
        if workers:
            workers.close()
        removed = cleanup()
        shutil.rmtree(tmp, ignore_errors=True)
        if removed:
            log(f"removed {removed} namespaces")
    results["seconds"] = time.perf_counter() - t_start
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    stem = args.name or time.strftime("%Y%m%d-%H%M%S")
    if args.curve:
        results["curve"] = curve.draw(results, out / f"{stem}-w1-curve.png", log)
    (out / f"{stem}.json").write_text(json.dumps(results, indent=1))
    (out / f"{stem}.md").write_text(markdown(results))
    log(markdown(results))
    log(f"written {out / stem}.json and .md in {results['seconds']:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
