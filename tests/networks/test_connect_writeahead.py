"""A connect records its endpoints with their addresses in one save, under the IPAM lock,
before it reserves them: a kill right after that save (nothing reserved, no link made)
leaves an endpoint that a re-run finishes and a remove cleans, as a kill at any later step."""
from __future__ import annotations

import pytest

from pynetlink import Handle
from pynetlink.networks import Networks
from pynetlink.networks import journal
from pynetlink.networks.ipam import IPAM

from .conftest import Topology
from .test_interrupted import killed_during
from .traffic import assert_unchanged, settled, snapshot, tcp

pytestmark = pytest.mark.kernel("netns", "veth", "bridge", "nft_nat")


def _ipam(nets: Networks) -> IPAM:
    net = nets.get("n")
    return IPAM("n", net.config.pools, nets.ipam_dir)


def _reserved(ipam: IPAM) -> int:
    """Addresses the IPAM's files hold, read without its lock (the first save is made
    while the connect holds it)."""
    try:
        rows, _ = journal.read_rows(ipam.log_path)
    except FileNotFoundError:
        return 0
    held: dict[str, str] = {}
    for kind, addr, owner in rows:
        if kind == "a":
            if owner is None:
                held.pop(addr, None)
            else:
                held[addr] = owner
    return len(held)


def test_one_save_before_the_reservation(outside: Topology) -> None:
    nets = outside.nets["H"]
    nets.create("n", subnet="172.23.0.0/24")
    ipam = _ipam(nets)
    saves: list[tuple[list[str], int]] = []         # per save: endpoint states, addresses reserved
    orig = nets.store.save

    def save(record: dict, endpoints: list[str] | None = None) -> None:
        eps = list(record.get("endpoints", {}).values())
        assert all(ep["addresses"] for ep in eps)                   # recorded with its addresses
        saves.append(([ep["state"] for ep in eps], _reserved(ipam)))
        orig(record, endpoints)
    nets.store.save = save                                          # type: ignore[method-assign]
    try:
        e = nets.connect("n", outside.container())
    finally:
        del nets.store.save
    assert saves == [(["connecting"], 0), (["connected"], 1)]      # two saves; the first before the reservation
    assert [str(a) for a in ipam.allocations()] == [e.ip]
    nets.remove("n", force=True)
    assert ipam.allocations() == {}


def test_killed_after_the_record_before_the_reservation(outside: Topology) -> None:
    nets = outside.nets["H"]
    before = settled(outside.H)
    nets.create("n", subnet="172.23.0.0/24")
    ipam, bridge = _ipam(nets), nets.get("n").bridge
    c = outside.container()
    killed_during("pynetlink.networks.store:Store.save", f'nets.connect("n", {c.name!r})', nets)
    (ep,) = nets.get("n").endpoints
    assert ep.state == "connecting" and ep.ip == "172.23.0.2"
    assert ipam.allocations() == {}                                 # recorded, not reserved
    with Handle(outside.H) as h:
        assert h.links.dump(master=bridge) == []                     # and no link made
    e = nets.connect("n", c)                                        # the re-run finishes it
    assert e.state == "connected" and e.ip == "172.23.0.2"
    assert {str(a): o for a, o in ipam.allocations().items()} == {"172.23.0.2": e.id}
    assert tcp(c, outside.O, "203.0.113.254", 7041) == "203.0.113.1"
    nets.remove("n", force=True)
    assert_unchanged(before, snapshot(outside.H))
    assert ipam.allocations() == {}
