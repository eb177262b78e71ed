"""System calls of one W1 (or NS) run: the C floor against a pynetlink implementation, each
under ``strace -f -c`` (counts and time per call; strace slows everything, so read the counts,
not the times). The pynetlink side runs in this process; strace attaches (``-p``, all threads,
and the helper threads started later) only around ``run`` and ``teardown``.

    python3 -m benchmarks.syscalls W1 200 "pynetlink attach_many"   # summaries in $OUT/w1k-strace-*
    TRACER=perf python3 -m benchmarks.syscalls NS 200 pynetlink     # perf trace -s: times per call,
                                                                    # but not of threads started later
"""
from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from .common import HERE, PREFIX, build_cfloor, cleanup
from .impl.base import Case, Ctx
from .run import implementations, run_setup


def traced(out: str, argv: list[str] | None = None) -> subprocess.Popen[bytes]:
    cmd = (["perf", "trace", "-s", "-o", out] if os.environ.get("TRACER") == "perf"
           else ["strace", "-f", "-c", "-o", out])
    cmd += argv if argv is not None else ["-p", str(os.getpid())]
    p = subprocess.Popen(cmd, stderr=subprocess.DEVNULL)
    if argv is None:
        time.sleep(0.5)          # attached
    return p


def main() -> None:
    workload, n = sys.argv[1], int(sys.argv[2])
    name = sys.argv[3] if len(sys.argv) > 3 else "pynetlink attach_many"
    outdir = os.environ.get("OUT", "/tmp")
    case = Case(workload, n)
    bins = build_cfloor(HERE / "build")
    impl = next(i for i in implementations() if i.name == name and workload in i.workloads)
    try:
        for who in ("floor", "py"):
            ctx = Ctx(host=run_setup(case, who), ctr_prefix=f"{PREFIX}{who}-c", tmp=Path(tempfile.mkdtemp()),
                      bins=bins)
            for phase in ("run", "teardown"):
                out = f"{outdir}/w1k-strace-{workload}-{who}-{phase}.txt"
                if who == "floor":
                    verb = {("W1", "run"): "attach", ("W1", "teardown"): "teardown",
                            ("NS", "run"): "nsadd", ("NS", "teardown"): "nsdel"}[workload, phase]
                    args = [ctx.host_path] if workload == "W1" else []
                    traced(out, [str(bins["w1"]), verb, *args, ctx.ctr_prefix, str(n)]).wait()
                else:
                    if phase == "run":
                        impl.setup(case, ctx)
                    p = traced(out)
                    getattr(impl, phase)(case, ctx)
                    time.sleep(0.2)
                    p.send_signal(2)
                    p.wait()
                    if phase == "teardown":
                        impl.close(ctx)
                print(out)
    finally:
        cleanup()


if __name__ == "__main__":
    main()
