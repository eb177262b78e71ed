"""NS deletion in one process, alternating: the C floor (``w1 nsdel``), ``NetNS.delete()`` per
namespace, ``NetNS.delete_many``, and its C call on one thread only (``threads=1``: no helper
threads however slow the umounts); 200 namespaces each time, made by ``NetNS.create_many``
(names pnlb-<pid>-..., deleted by each round, and by ``cleanup`` on the way out).

    python3 -m benchmarks.nsdel_ab          # REPS=15 for more rounds
    BUSY=1 python3 -m benchmarks.nsdel_ab   # with a busy loop (nice 19) running meanwhile
    MATRIX=1 python3 -m benchmarks.nsdel_ab # who makes x who deletes x a pause before deleting

``MATRIX=1``: the namespaces made by the floor (``w1 nsadd``, a process of its own, as in the
runner) or by ``NetNS.create_many`` (in this process, as in the runner), deleted by the floor
(``w1 nsdel``) or by ``NetNS.delete_many``, right after they were made (as the runner's
teardown) or after a pause of ``GAP`` seconds (0.2); every combination in every round, the
order rotating.
"""
from __future__ import annotations

import json
import os
import statistics
import subprocess
import time
from typing import Any

from .common import HERE, PREFIX, build_cfloor, cleanup, netns_alive, wait_netns_settled

N = 200
MNT_DETACH, UMOUNT_NOFOLLOW = 2, 8
WAYS = ("C floor", "delete() each", "delete_many", "one thread")


def main() -> None:
    from pynetlink import NetNS, _native
    bins = build_cfloor(HERE / "build")
    got: dict[str, list[float]] = {w: [] for w in WAYS}
    busy = _busy() if os.environ.get("BUSY") else None
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
                    elif way == "one thread":
                        _native.netns_del_many([ns.path for ns in spaces], MNT_DETACH | UMOUNT_NOFOLLOW, threads=1)
                    else:
                        for ns in spaces:
                            ns.delete()
                    got[way].append(time.perf_counter() - t0)
                wait_netns_settled(base)
    finally:
        if busy is not None:
            busy.kill()
            busy.wait()
        cleanup()
    floor = statistics.median(got["C floor"])
    print("| implementation | median | min–max | × floor |\n|---|---|---|---|")
    for way, xs in got.items():
        med = statistics.median(xs)
        print(f"| {way} | {med * 1e3:.2f} ms | {min(xs) * 1e3:.2f}–{max(xs) * 1e3:.2f} ms | {med / floor:.2f}x |")


def _busy() -> "subprocess.Popen[bytes]":
    """A busy loop on another CPU at the lowest priority: every umount2's grace period then
    waits for it (the slow case delete_many's helper threads are for)."""
    import sys
    return subprocess.Popen([sys.executable, "-c", "import os\nos.nice(19)\nwhile True: pass"])


def _make(maker: str, prefix: str, bins: dict[str, Any]) -> list[Any]:
    from pynetlink import NetNS
    names = [f"{prefix}{i}" for i in range(N)]
    if maker == "floor":
        subprocess.run([str(bins["w1"]), "nsadd", prefix, str(N)], capture_output=True, check=True)
        return [NetNS.named(n) for n in names]
    return NetNS.create_many(names)


def _delete(deleter: str, prefix: str, spaces: list[Any], bins: dict[str, Any]) -> float:
    from pynetlink import NetNS
    if deleter == "floor":
        out = subprocess.run([str(bins["w1"]), "nsdel", prefix, str(N)], capture_output=True, check=True).stdout
        return float(json.loads(out)["run"]["wall"])
    t0 = time.perf_counter()
    NetNS.delete_many(spaces)
    return time.perf_counter() - t0


def matrix() -> None:
    bins = build_cfloor(HERE / "build")
    gap = float(os.environ.get("GAP", "0.2"))
    combos = [(m, d, g) for m in ("floor", "create_many") for d in ("floor", "delete_many") for g in (0.0, gap)]
    got: dict[tuple[str, str, float], list[float]] = {c: [] for c in combos}
    try:
        for rep in range(int(os.environ.get("REPS", "10"))):
            k = rep % len(combos)
            for c in combos[k:] + combos[:k]:
                maker, deleter, pause = c
                prefix = f"{PREFIX}m{rep}{combos.index(c)}-"
                base = netns_alive()
                spaces = _make(maker, prefix, bins)
                if pause:
                    time.sleep(pause)
                got[c].append(_delete(deleter, prefix, spaces, bins))
                wait_netns_settled(base)
    finally:
        cleanup()
    print("| made by | deleted by | pause | median | min–max |\n|---|---|---|---|---|")
    for (maker, deleter, pause), xs in got.items():
        print(f"| {maker} | {deleter} | {pause:g} s | {statistics.median(xs) * 1e3:.2f} ms | "
              f"{min(xs) * 1e3:.2f}–{max(xs) * 1e3:.2f} ms |")


if __name__ == "__main__":
    matrix() if os.environ.get("MATRIX") else main()
