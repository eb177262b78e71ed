"""One Handle used by many threads at once (every reply reaches its own caller), and no fd,
thread or memory growth over thousands of operations (successful and failing)."""
from __future__ import annotations

import gc
import os
import threading
import tracemalloc
from typing import Callable

import pytest

from pynetlink import Bridge, Handle
from pynetlink.networks import Networks
from pynetlink.transport import NetNS, run_in

from .conftest import Host, ipj

pytestmark = pytest.mark.kernel("netns", "veth", "bridge")


def fds() -> int:
    return len(os.listdir("/proc/self/fd"))


def test_eight_threads_on_one_handle(host: Host) -> None:
    errors: list[str] = []
    with Handle(host.ns) as h:
        def work(t: int) -> None:
            try:
                for i in range(12):
                    name = f"br{t}x{i}"
                    h.links.create(Bridge(name, mtu=1000 + 10 * t + i))
                    got = h.links.get(name)
                    if (got.name, got.mtu) != (name, 1000 + 10 * t + i):
                        errors.append(f"{name}: got {got.name} mtu {got.mtu}")
                    h.addresses.add(name, f"172.20.{t}.{i + 1}/32")
                    mine = [a.address for a in h.addresses.dump(name)]
                    if mine != [f"172.20.{t}.{i + 1}"]:
                        errors.append(f"{name}: addresses {mine}")
                    if h.links.get("lo").name != "lo":
                        errors.append("lo crossed")
                    h.links.delete(name)
            except Exception as exc:            # reported, not lost in the thread
                errors.append(repr(exc))
        threads = [threading.Thread(target=work, args=(t,)) for t in range(8)]
        for th in threads:
            th.start()
        for th in threads:
            th.join()
    assert errors == []
    assert [l["ifname"] for l in ipj(host.ns, "link", "show")] == ["lo"]


def bounded(fn: Callable[[int], object], n: int, *, kib: int) -> None:
    """``fn(i)`` ``n`` times after a warm-up: fds and threads as before, traced memory grown
    by less than ``kib`` KiB."""
    for i in range(min(50, n)):
        fn(i)
    gc.collect()          # earlier tests' garbage (a Networks keeps its host Handle) goes now, not mid-count
    before_fd, before_threads = fds(), threading.active_count()
    tracemalloc.start()
    try:
        start = tracemalloc.take_snapshot()
        for i in range(n):
            fn(i)
        grown = sum(s.size_diff for s in tracemalloc.take_snapshot().compare_to(start, "filename"))
    finally:
        tracemalloc.stop()
    assert (fds(), threading.active_count()) == (before_fd, before_threads)
    assert grown < kib * 1024, f"{grown} bytes more after {n} operations"


def test_no_leaks_over_thousands_of_operations(host: Host) -> None:
    ns = host.ns

    def handles(i: int) -> None:
        with Handle(ns) as h:
            assert h.links.get("lo").name == "lo"
    bounded(handles, 2000, kib=256)

    with Handle(ns) as h:
        def failing(i: int) -> None:
            with pytest.raises(FileNotFoundError):
                h.links.get(f"nope{i % 7}")
        bounded(failing, 3000, kib=256)

    bounded(lambda i: run_in(ns.path, os.getpid), 2000, kib=256)

    def namespaces(i: int) -> None:
        (made,) = NetNS.create_many([f"{ns.name}-l{i}"])
        made.delete()
    bounded(namespaces, 300, kib=256)


def test_no_leaks_over_connect_cycles(host: Host) -> None:
    nets: Networks = host.nets
    nets.create("n", subnet="172.23.0.0/24")
    c = host.container()

    def cycle(i: int) -> None:
        nets.connect("n", c, publish=["8080:80"] if i % 2 else ())
        nets.disconnect("n", c)
    bounded(cycle, 80, kib=512)
    nets.remove("n", force=True)
