"""What every implementation and the runner share: namespaces, subprocesses, measures, C builds.

Safety: everything the benchmarks create lives in named network namespaces called
``pnlb-<pid>-...`` (``PREFIX``). ``cleanup()`` removes every one of them (umount + unlink, as
``ip netns del``); the runner calls it in ``finally``, from ``atexit`` and on SIGINT/SIGTERM,
and removes namespaces left by runs whose process is gone. Nothing is created in the root
namespace, and no command here is run there except ``ip netns add/del`` (which only touch
/run/netns).
"""
from __future__ import annotations

import ctypes
import gc
import hashlib
import os
import re
import resource
import shutil
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

HERE = Path(__file__).resolve().parent
RUN_NETNS = "/run/netns"
MAIN_PID = os.getpid()
PREFIX = f"pnlb-{MAIN_PID}-"
CLONE_NEWNET = 0x40000000
MNT_DETACH = 2
_libc = ctypes.CDLL(None, use_errno=True)


# -- namespaces ---------------------------------------------------------------------------
def ns_path(name: str) -> str:
    return f"{RUN_NETNS}/{name}"


def ours(name: str) -> bool:
    return name.startswith(PREFIX)


def ns_add(name: str) -> str:
    """A named namespace for set-up (untimed), via ``ip netns add``."""
    assert ours(name), name
    sh(["ip", "netns", "add", name])
    return name


def ns_del(name: str) -> None:
    """Remove a named namespace of ours (umount + unlink, what ``ip netns del`` does)."""
    assert ours(name) or name.startswith("pnlb-"), name
    p = ns_path(name).encode()
    _libc.umount2(p, MNT_DETACH)
    try:
        os.unlink(p)
    except FileNotFoundError:
        pass


def ns_list(prefix: str = PREFIX) -> list[str]:
    try:
        return sorted(n for n in os.listdir(RUN_NETNS) if n.startswith(prefix))
    except FileNotFoundError:
        return []


def cleanup(prefix: str = PREFIX) -> int:
    """Delete every namespace with ``prefix``; returns how many (only in the runner's process)."""
    if os.getpid() != MAIN_PID:
        return 0
    names = ns_list(prefix)
    for n in names:
        ns_del(n)
    return len(names)


def cleanup_stale() -> int:
    """Namespaces left by earlier runs whose process no longer exists."""
    count = 0
    for n in ns_list("pnlb-"):
        m = re.match(r"pnlb-(\d+)-", n)
        if m and not os.path.exists(f"/proc/{m.group(1)}"):
            ns_del(n)
            count += 1
    return count


def setns_preexec(name: str) -> Any:
    """A preexec_fn that moves the child into the namespace (a runtime exec'ing in its netns)."""
    path = ns_path(name)

    def enter() -> None:
        fd = os.open(path, os.O_RDONLY)
        if _libc.setns(fd, CLONE_NEWNET) != 0:
            raise OSError(ctypes.get_errno(), "setns", path)
        os.close(fd)

    return enter


def sh(argv: Sequence[str], *, input: str | bytes | None = None, env: dict[str, str] | None = None,
       netns: str | None = None, timeout: float = 300, check: bool = True) -> subprocess.CompletedProcess[bytes]:
    """Run a command (optionally inside one of our namespaces); raise with its stderr on failure."""
    data = input.encode() if isinstance(input, str) else input
    p = subprocess.run(list(argv), input=data, env=env, capture_output=True, timeout=timeout,
                       preexec_fn=setns_preexec(netns) if netns else None)
    if check and p.returncode != 0:
        raise RuntimeError(f"{' '.join(argv[:4])}... exit {p.returncode}: "
                           f"{p.stderr.decode(errors='replace')[-800:]}")
    return p


def ip_batch(netns: str | None, lines: Sequence[str]) -> None:
    """Untimed set-up through ``ip -batch`` inside one of our namespaces."""
    argv = ["ip", "-batch", "-"] if netns is None else ["ip", "-n", netns, "-batch", "-"]
    if netns is not None:
        assert ours(netns)
    sh(argv, input="\n".join(lines) + "\n")


def count_links(netns: str, kind: str | None = None) -> int:
    argv = ["ip", "-n", netns, "-o", "link", "show"] + (["type", kind] if kind else [])
    return len(sh(argv).stdout.splitlines())


def wait_links_gone(netns: str, kind: str = "veth", limit: float = 60.0) -> float:
    """Seconds until ``netns`` has no link of ``kind`` left (asynchronous netns cleanup)."""
    t0 = time.perf_counter()
    while count_links(netns, kind) and time.perf_counter() - t0 < limit:
        time.sleep(0.01)
    return time.perf_counter() - t0


# -- measures -----------------------------------------------------------------------------
@dataclass
class Measure:
    wall: float
    user: float
    sys: float
    extra: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {"wall": self.wall, "user": self.user, "sys": self.sys, **self.extra}


# Where the runner collects garbage around a measurement: False (the default since 2026-12-08)
# before the implementation's untimed setup, True right before the clock starts (the runs
# before; ``--gc-at-clock``). A full collection walks the runner's whole heap and leaves the
# caches cold for what runs next: at the clock, the in-process implementations paid that
# inside it and the C floor (a fresh process timed from inside) did not.
GC_AT_CLOCK = False


class Timer:
    """Wall clock plus user/system CPU of this process (all threads) and of reaped children.
    ``Timer(collect=False)``: no garbage collection at the start (the caller collected
    before its untimed set-up), unless ``GC_AT_CLOCK``.

    In-process implementations are measured with RUSAGE_SELF (the runner has no other thread
    running meanwhile, so helper threads that enter namespaces are counted); subprocess peers
    with RUSAGE_CHILDREN (children and their own waited-for children, e.g. `sh` -> `ip`).
    Kernel work done later in kernel threads (netns cleanup, RCU callbacks) is in nobody's
    CPU time: that is why W1 teardown also reports the time until the kernel has finished.
    """

    def __init__(self, collect: bool = True) -> None:
        self.collect = collect

    def __enter__(self) -> "Timer":
        if self.collect or GC_AT_CLOCK:
            gc.collect()
        self.s0 = resource.getrusage(resource.RUSAGE_SELF)
        self.c0 = resource.getrusage(resource.RUSAGE_CHILDREN)
        self.t0 = time.perf_counter()
        return self

    def __exit__(self, *exc: object) -> None:
        self.t1 = time.perf_counter()
        s1 = resource.getrusage(resource.RUSAGE_SELF)
        c1 = resource.getrusage(resource.RUSAGE_CHILDREN)
        self.measure = Measure(
            self.t1 - self.t0,
            (s1.ru_utime - self.s0.ru_utime) + (c1.ru_utime - self.c0.ru_utime),
            (s1.ru_stime - self.s0.ru_stime) + (c1.ru_stime - self.c0.ru_stime))


# -- the C floor --------------------------------------------------------------------------
CFLOOR_SRC = HERE / "cfloor"
CFLOOR_PROGRAMS = ("w1", "w2", "w3", "w4", "w5")


def build_cfloor(build_dir: Path) -> dict[str, Path]:
    """gcc -O2 every C floor program into build_dir (rebuilt when a source changes)."""
    build_dir.mkdir(parents=True, exist_ok=True)
    header = (CFLOOR_SRC / "nl.h").read_bytes()
    out = {}
    for prog in CFLOOR_PROGRAMS:
        src = CFLOOR_SRC / f"{prog}.c"
        digest = hashlib.sha256(header + src.read_bytes()).hexdigest()[:16]
        exe = build_dir / f"{prog}-{digest}"
        if not exe.exists():
            cc = shutil.which("gcc") or shutil.which("cc")
            if cc is None:
                raise RuntimeError("the C floor needs gcc")
            sh([cc, "-O2", "-Wall", "-Wno-unused-function", "-o", str(exe), str(src)])
        out[prog] = exe
    return out


def netns_alive() -> int:
    """Network namespaces the kernel still holds (net_namespace slab), -1 if unknown."""
    try:
        with open("/proc/slabinfo") as f:
            for line in f:
                if line.startswith("net_namespace "):
                    return int(line.split()[1])
    except OSError:
        pass
    return -1


def wait_netns_settled(baseline: int, limit: float = 5.0) -> float:
    """Seconds until the kernel has destroyed namespaces back to ``baseline`` (bounded).

    Namespace cleanup runs later in a kernel worker; waiting keeps one measurement's cleanup
    out of the next one. Other processes' namespaces also move the count, so we also stop
    when it has not gone down for 0.3 s, and at ``limit``.
    """
    t0 = time.perf_counter()
    if baseline < 0:
        return 0.0
    last, since = netns_alive(), t0
    while last > baseline and time.perf_counter() - t0 < limit:
        time.sleep(0.01)
        now = netns_alive()
        if now < last:
            last, since = now, time.perf_counter()
        elif time.perf_counter() - since > 0.3:
            break
    return time.perf_counter() - t0
