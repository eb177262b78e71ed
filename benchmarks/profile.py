"""Where pynetlink's time goes in one workload: cProfile of the in-process implementation.

    python3 -m benchmarks.profile W1 200        # also NS, W5; prints the top functions
    python3 -m benchmarks.profile W5 1000 "pynetlink add_many"   # another implementation (W4: "pynetlink",
                                                # W4-map: "pynetlink DockerNat.setup", codec: "pynetlink codec")

Runs once inside namespaces of its own (pnlb-<pid>-...), always removed. Wall/CPU split:
the summary line gives wall, user and system time of the run (system ~ kernel work on our
behalf), cProfile shows where the Python side spends its part.
"""
from __future__ import annotations

import cProfile
import os
import pstats
import sys
import tempfile
from pathlib import Path

from .common import PREFIX, Timer, cleanup
from .impl.base import Case, Ctx
from .impl.pynetlink_api import PynetlinkApi
from .run import implementations, run_setup


def main() -> None:
    workload = sys.argv[1] if len(sys.argv) > 1 else "W1"
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 200
    case = Case(workload, n)
    name = sys.argv[3] if len(sys.argv) > 3 else None
    impl = PynetlinkApi() if name is None else next(
        i for i in implementations() if i.name == name and workload in i.workloads)
    try:
        ctx = Ctx(host=run_setup(case, "prof"), ctr_prefix=f"{PREFIX}prof-c",
                  tmp=Path(tempfile.mkdtemp()), bins={})
        impl.setup(case, ctx)
        prof = cProfile.Profile()
        with Timer() as t:
            prof.enable()
            impl.run(case, ctx)
            prof.disable()
        m = t.measure
        print(f"{case.key}: wall {m.wall * 1e3:.1f} ms, user {m.user * 1e3:.1f} ms, sys {m.sys * 1e3:.1f} ms")
        pstats.Stats(prof).sort_stats("tottime").print_stats(int(os.environ.get("PROFILE_TOP", "18")))
        if case.has_teardown:
            impl.teardown(case, ctx)
        impl.close(ctx)
    finally:
        cleanup()


if __name__ == "__main__":
    main()
