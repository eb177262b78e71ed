"""Where W1's CPU goes in the kernel: the C floor against a pynetlink implementation, sampled
system-wide by ``perf record -a -g`` (2 kHz) and kept to the samples of the implementation's
process inside its run. Milliseconds per container by kernel path (inclusive), alternating runs
(pynetlink warmed up by a small run first); ``spin``: spinning on locks other processes hold,
``rest``: the kernel time without ``ext4 inode`` and ``spin``:

    python3 -m benchmarks.kprof 1000 2                       # N, rounds ("pynetlink attach_many")
    python3 -m benchmarks.kprof 100 2 "pynetlink codec"

CPU samples hold up on a loaded machine better than wall times (they leave out waits for the
CPU and for locks held by other processes, though not spinning on them). ``ext4 inode`` is the
namespace's mount point file created in /run/netns when that is an ext4 without a journal (this
VM's root file system): ext4 then passes over every inode freed in the last 5 s (35 s while its
inode table block is unwritten) before reusing one, so each file costs in proportion to recent
deletions (the previous run's teardown, other processes), not to what the implementation does.
Needs perf and root; runs in namespaces of its own (pnlb-<pid>-...), always removed.
"""
from __future__ import annotations

import collections
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from .common import HERE, PREFIX, build_cfloor, cleanup, netns_alive, wait_links_gone, wait_netns_settled
from .impl.base import Case, Ctx
from .run import implementations, run_setup

HZ = 2000
PATHS = {                                   # column: kernel function (inclusive)
    "unshare": "__x64_sys_unshare", "ext4 inode": "__ext4_new_inode", "netlink": "netlink_sendmsg",
    "veth": "veth_newlink", "bridge port": "br_add_if", "mount": "__x64_sys_mount",
}
# spinning on a lock another process holds (RTNL and others shared with whatever else runs)
SPIN = ("mutex_spin_on_owner", "rwsem_spin_on_owner", "osq_lock", "native_queued_spin_lock_slowpath")
_HEAD = re.compile(r"\s*(\d+)/\d+\s+([\d.]+):")


def record(who: str, n: int, name: str, data: str | None) -> tuple[int, float, float]:
    """One W1 run of the floor (who="floor") or of implementation ``name`` under perf (none
    when ``data`` is None: a warm-up): the process id and the monotonic clock's start and end
    of its run."""
    case = Case("W1", n)
    bins = build_cfloor(HERE / "build")
    impl = next(i for i in implementations() if i.name == name and "W1" in i.workloads)
    baseline = netns_alive()
    ctx = Ctx(host=run_setup(case, who), ctr_prefix=f"{PREFIX}{who}-c", tmp=Path(tempfile.mkdtemp()), bins=bins)
    try:
        perf = None if data is None else subprocess.Popen(
            ["perf", "record", "-q", "-a", "-g", "-k", "mono", "-F", str(HZ), "-o", data], stderr=subprocess.DEVNULL)
        time.sleep(1.0)                     # recording
        if who == "floor":
            t0 = time.clock_gettime(time.CLOCK_MONOTONIC)
            argv = [str(bins["w1"]), "attach", ctx.host_path, ctx.ctr_prefix, str(n)]
            child = subprocess.Popen(argv, stdout=subprocess.DEVNULL)
            if child.wait():
                raise RuntimeError(f"{argv[0]} attach failed")
            t1, pid = time.clock_gettime(time.CLOCK_MONOTONIC), child.pid
        else:
            impl.setup(case, ctx)
            t0 = time.clock_gettime(time.CLOCK_MONOTONIC)
            impl.run(case, ctx)
            t1, pid = time.clock_gettime(time.CLOCK_MONOTONIC), os.getpid()
        if perf is not None:
            perf.send_signal(signal.SIGINT)
            perf.wait()
        if who == "floor":
            subprocess.run([str(bins["w1"]), "teardown", ctx.host_path, ctx.ctr_prefix, str(n)],
                           stdout=subprocess.DEVNULL, check=True)
        else:
            impl.teardown(case, ctx)
            impl.close(ctx)
        wait_links_gone(ctx.host)
    finally:
        cleanup()
        wait_netns_settled(baseline)
        shutil.rmtree(ctx.tmp, ignore_errors=True)
    return pid, t0, t1


def samples(data: str, pid: int, t0: float, t1: float) -> tuple[collections.Counter[str], int, int]:
    """Kernel functions (each counted once per sample it is on the stack of) and the user and
    kernel sample counts of process ``pid`` between t0 and t1."""
    out = subprocess.run(["perf", "script", "-i", data, "-F", "pid,tid,time,ip,sym"],
                         capture_output=True, text=True, check=True).stdout
    funcs: collections.Counter[str] = collections.Counter()
    user = kernel = 0
    for block in out.split("\n\n"):
        lines = block.strip().splitlines()
        m = _HEAD.search(lines[0]) if lines else None
        if m is None or int(m[1]) != pid or not t0 <= float(m[2]) <= t1:
            continue
        frames = [line.split()[1].split("+")[0] for line in lines[1:] if len(line.split()) > 1]
        if not frames:
            continue
        if int(lines[1].split()[0], 16) < 1 << 63:     # a user-space address on top
            user += 1
        else:
            kernel += 1
            funcs.update(set(frames))
    return funcs, user, kernel


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 2
    name = sys.argv[3] if len(sys.argv) > 3 else "pynetlink attach_many"
    ms = 1e3 / HZ / n
    print(f"W1 N={n}, ms per container (CPU samples at {HZ} Hz)")
    print(f"{'run':8} {'wall':>7} {'user':>6} {'kernel':>7} " + " ".join(f"{c:>11}" for c in PATHS)
          + f" {'spin':>6} {'rest':>6}")
    record("py", 8, name, None)            # imports and first calls, not measured
    with tempfile.TemporaryDirectory() as tmp:
        for r in range(rounds):
            for who in (("floor", "py") if r % 2 == 0 else ("py", "floor")):
                data = f"{tmp}/{who}{r}.data"
                pid, t0, t1 = record(who, n, name, data)
                funcs, user, kernel = samples(data, pid, t0, t1)
                cols = [funcs[f] * ms for f in PATHS.values()]
                spin = sum(funcs[f] for f in SPIN)
                print(f"{who + str(r):8} {(t1 - t0) * 1e3 / n:7.3f} {user * ms:6.3f} {kernel * ms:7.3f} "
                      + " ".join(f"{c:11.3f}" for c in cols)
                      + f" {spin * ms:6.3f} {(kernel - funcs[PATHS['ext4 inode']] - spin) * ms:6.3f}", flush=True)
                os.unlink(data)


if __name__ == "__main__":
    main()
