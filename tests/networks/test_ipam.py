"""IPAM: never the gateway, aux, network or broadcast address; shared across processes."""
from __future__ import annotations

import ipaddress
import multiprocessing
from pathlib import Path

import pytest

from pynetlink.networks.errors import AddressInUse, OptionError, PoolExhausted
from pynetlink.networks.ipam import IPAM
from pynetlink.networks.options import network_config

A = ipaddress.ip_address


def s2(tmp_path: Path, **kw: object) -> IPAM:
    args: dict[str, object] = dict(driver="macvlan", options=["parent=eth0"], subnet="172.16.0.0/24",
                                   gateway="172.16.0.254", ip_range="172.16.0.0/24",
                                   aux_addresses=["host1=172.16.0.1", "host2=172.16.0.2"])
    args.update(kw)
    cfg = network_config("net01", **args)  # type: ignore[arg-type]
    return IPAM("net01", cfg.pools, tmp_path)


def test_allocation_skips_reserved(tmp_path: Path) -> None:
    ipam = s2(tmp_path)
    got = [ipam.allocate(f"c{i}")[0] for i in range(251)]
    assert got[0] == A("172.16.0.3")
    reserved = {A("172.16.0.0"), A("172.16.0.1"), A("172.16.0.2"), A("172.16.0.254"), A("172.16.0.255")}
    assert not reserved & set(got) and len(set(got)) == 251
    with pytest.raises(PoolExhausted, match="no free address"):
        ipam.allocate("one-too-many")


def test_idempotent_and_explicit(tmp_path: Path) -> None:
    ipam = s2(tmp_path)
    assert ipam.allocate("web01", {0: A("172.16.0.3")}) == (A("172.16.0.3"),)
    assert ipam.allocate("web01") == (A("172.16.0.3"),)          # asking again: same address
    assert ipam.allocate("auto") == (A("172.16.0.4"),)
    with pytest.raises(AddressInUse, match="already allocated to web01"):
        ipam.allocate("web02", {0: A("172.16.0.3")})
    with pytest.raises(OptionError, match="reserved"):
        ipam.allocate("web02", {0: A("172.16.0.254")})
    assert ipam.owned("web02") == ()                              # the failures took nothing


def test_round_robin_and_release(tmp_path: Path) -> None:
    ipam = s2(tmp_path, ip_range="172.16.0.0/29")     # .3 .4 .5 .6 usable (.0 .1 .2 reserved, .7 in subnet)
    a = ipam.allocate("a")[0]
    b = ipam.allocate("b")[0]
    assert (a, b) == (A("172.16.0.3"), A("172.16.0.4"))
    assert ipam.release("a") == (a,)
    assert ipam.allocate("c")[0] == A("172.16.0.5")   # not the freed .3 at once
    assert ipam.release("nobody") == ()


def test_ip_range_respected(tmp_path: Path) -> None:
    ipam = s2(tmp_path, ip_range="172.16.0.128/26")
    got = {ipam.allocate(f"c{i}")[0] for i in range(64)}
    assert got == set(ipaddress.ip_network("172.16.0.128/26"))
    with pytest.raises(PoolExhausted):
        ipam.allocate("x")


def test_dual_stack(tmp_path: Path) -> None:
    cfg = network_config("n6", subnet=["172.18.0.0/24", "fd00:18::/64"])
    ipam = IPAM("n6", cfg.pools, tmp_path)
    assert ipam.allocate("c") == (A("172.18.0.2"), A("fd00:18::2"))
    assert ipam.owned("c") == (A("172.18.0.2"), A("fd00:18::2"))


def test_allocate_many_all_or_nothing(tmp_path: Path) -> None:
    ipam = s2(tmp_path, ip_range="172.16.0.0/29")
    with pytest.raises(PoolExhausted):
        ipam.allocate_many([(f"c{i}", {}) for i in range(6)])
    assert ipam.allocations() == {}
    assert len(ipam.allocate_many([(f"c{i}", {}) for i in range(4)])) == 4


def _worker(args: tuple[str, int, int]) -> list[str]:
    state, n, task = args            # owners per task: a pool worker may run two tasks
    ipam = s2(Path(state))
    return [str(ipam.allocate(f"p{task}-{i}")[0]) for i in range(n)]


def test_processes_share_the_store(tmp_path: Path) -> None:
    with multiprocessing.get_context("fork").Pool(4) as pool:
        results = pool.map(_worker, [(str(tmp_path), 20, t) for t in range(4)])
    flat = [ip for r in results for ip in r]
    assert len(flat) == 80 and len(set(flat)) == 80
    assert len(s2(tmp_path).allocations()) == 80


def test_destroy(tmp_path: Path) -> None:
    ipam = s2(tmp_path)
    ipam.allocate("a")
    ipam.destroy()
    assert list((tmp_path / "ipam").iterdir()) == []


def test_unreserve_restores_the_cursor(tmp_path: Path) -> None:
    ipam = s2(tmp_path, ip_range="172.16.0.0/28")
    assert ipam.allocate("a") == (A("172.16.0.3"),)
    taken = ipam.reserve([("b", {}), ("c", {})])
    assert taken.addresses == ((A("172.16.0.4"),), (A("172.16.0.5"),))
    ipam.unreserve(taken)                                  # a rolled-back connect
    assert set(ipam.allocations().values()) == {"a"}
    assert ipam.allocate("d") == (A("172.16.0.4"),)        # what b would have got
    # the cursor moved on since (another allocation in between): left where it is
    taken = ipam.reserve([("e", {})])
    assert ipam.allocate("f") == (A("172.16.0.6"),)
    ipam.unreserve(taken)
    assert ipam.allocate("g") == (A("172.16.0.7"),)
    # from a fresh store: no cursor before, none after
    fresh = s2(tmp_path / "fresh")
    first = fresh.reserve([("x", {})])
    fresh.unreserve(first)
    assert fresh.allocate("y") == (A("172.16.0.3"),)
    # explicit addresses do not move the cursor; unreserve still frees them
    taken = fresh.reserve([("z", {0: A("172.16.0.9")})])
    fresh.unreserve(taken)
    assert fresh.owned("z") == () and fresh.allocate("w") == (A("172.16.0.4"),)
