"""Many processes allocate from one network's pool while others remove the pool (destroy
when empty) and it is re-created by the next allocation: no address is ever held by two
owners, and no reservation is lost while its owner holds it."""
from __future__ import annotations

import multiprocessing
import time
from pathlib import Path

from pynetlink.networks.ipam import IPAM
from pynetlink.networks.options import network_config

SECONDS = 2.5


def _ipam(state: Path) -> IPAM:
    cfg = network_config("race", subnet="172.18.0.0/26")
    return IPAM("race", cfg.pools, state)


def _allocator(state: Path, tag: str, out: "multiprocessing.Queue[list[str]]") -> None:
    """Allocate, check the store says the address is ours, release; report every violation."""
    ipam, errors, n = _ipam(state), [], 0
    end = time.monotonic() + SECONDS
    while time.monotonic() < end:
        owner = f"{tag}-{n}"
        n += 1
        (addr,) = ipam.allocate(owner)
        holder = ipam.allocations().get(addr)
        if holder != owner:
            errors.append(f"{owner} got {addr}, the store says {holder}")
        ipam.release(owner)
    out.put(errors + [f"done {n}"])


def _remover(state: Path, out: "multiprocessing.Queue[list[str]]") -> None:
    ipam, n = _ipam(state), 0
    end = time.monotonic() + SECONDS
    while time.monotonic() < end:
        ipam.destroy(only_if_empty=True)    # what Networks.remove does to the pool
        n += 1
    out.put([f"done {n}"])


def test_no_double_allocation_while_pools_are_removed(tmp_path: Path) -> None:
    ctx = multiprocessing.get_context("spawn")
    out: multiprocessing.Queue[list[str]] = ctx.Queue()
    procs = [ctx.Process(target=_allocator, args=(tmp_path, f"a{i}", out)) for i in range(5)]
    procs += [ctx.Process(target=_remover, args=(tmp_path, out)) for _ in range(2)]
    for p in procs:
        p.start()
    reports = [out.get(timeout=60) for _ in procs]
    for p in procs:
        p.join(10)
        assert p.exitcode == 0
    errors = [e for r in reports for e in r if not e.startswith("done")]
    rounds = sum(int(e.split()[1]) for r in reports for e in r if e.startswith("done"))
    assert rounds > 200, reports                     # the race really ran
    assert errors == [], f"{len(errors)} violations, e.g. {errors[:5]}"
    assert _ipam(tmp_path).allocations() == {}      # every release arrived
