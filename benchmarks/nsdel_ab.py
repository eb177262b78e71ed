"""NS deletion in one process, alternating: the C floor (``w1 nsdel``), ``NetNS.delete()`` per
namespace, and ``NetNS.delete_many``; 200 namespaces each time, made by ``NetNS.create_many``
(names pnlb-<pid>-..., deleted by each round, and by ``cleanup`` on the way out).

    python3 -m benchmarks.nsdel_ab          # REPS=15 for more rounds
"""
from __future__ import annotations

import json
import os
import statistics
import subprocess
import time

from .common import HERE, PREFIX, build_cfloor, cleanup, netns_alive, wait_netns_settled

N = 200
WAYS = ("C floor", "delete() each", "delete_many")


def main() -> None:
    from pynetlink import NetNS
    bins = build_cfloor(HERE / "build")
    got: dict[str, list[float]] = {w: [] for w in WAYS}
    try:
        for rep in range(int(os.environ.get("REPS", "12"))):
            k = rep % len(WAYS)
            for way in WAYS[k:] + WAYS[:k]:
                prefix = f"{PREFIX}x{rep}{WAYS.index(way)}-"
                base = netns_alive()
                spaces = NetNS.create_many([f"{prefix}{i}" for i in range(N)])
                time.sleep(0.05)
                if way == "C floor":
                    out = subprocess.run([str(bins["w1"]), "nsdel", prefix, str(N)], capture_output=True,
                                         check=True).stdout
                    got[way].append(json.loads(out)["run"]["wall"])
                else:
                    t0 = time.perf_counter()
                    if way == "delete_many":
                        NetNS.delete_many(spaces)
                    else:
                        for ns in spaces:
                            ns.delete()
                    got[way].append(time.perf_counter() - t0)
                wait_netns_settled(base)
    finally:
        cleanup()
    floor = statistics.median(got["C floor"])
    print("| implementation | median | min–max | × floor |\n|---|---|---|---|")
    for way, xs in got.items():
        med = statistics.median(xs)
        print(f"| {way} | {med * 1e3:.2f} ms | {min(xs) * 1e3:.2f}–{max(xs) * 1e3:.2f} ms | {med / floor:.2f}x |")


if __name__ == "__main__":
    main()
