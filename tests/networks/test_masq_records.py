"""Masquerade as set elements (nft/masqsets.py) in the networks' records: a record written
before (one DockerNat rule per subnet, ``made["masquerade"]``) is still removed exactly, next
to networks of the set form; packets masqueraded for both."""
from __future__ import annotations

import pytest

from pynetlink.nft import DockerNat, Nftables
from pynetlink.nft.masqsets import MasqueradeSets

from .conftest import Topology
from .traffic import assert_unchanged, masquerading, nft_j, settled, snapshot, tcp

pytestmark = pytest.mark.kernel("netns", "veth", "bridge", "nft_nat")


def test_a_record_of_before_is_removed_exactly(outside: Topology) -> None:
    H, O, nets = outside.H, outside.O, outside.nets["H"]
    before = settled(H)
    old = nets.create("old", subnet="172.30.0.0/24")
    new = nets.create("new", subnet="172.30.1.0/24")
    # "old" as an earlier version left it: a POSTROUTING rule and the record saying so
    with nets.store.locked():
        rec = nets.store.load("old")
        with Nftables(H) as nft:
            MasqueradeSets(nft).remove([("172.30.0.0/24", old.bridge or "")])
            DockerNat(nft, family="inet").masquerade("172.30.0.0/24", old.bridge or "")
        rec["made"]["masquerade"] = rec["made"].pop("masquerade_sets")
        nets.store.save(rec)
    assert masquerading(H) == [f"172.30.0.0/24 !{old.bridge}", f"172.30.1.0/24 !{new.bridge}"]
    c_old, c_new = outside.container(), outside.container()
    nets.connect("old", c_old)
    nets.connect("new", c_new)
    assert tcp(c_old, O, "203.0.113.254", 7601) == "203.0.113.1"
    assert tcp(c_new, O, "203.0.113.254", 7602) == "203.0.113.1"
    nets.remove("old", force=True)
    assert masquerading(H) == [f"172.30.1.0/24 !{new.bridge}"]
    assert tcp(c_new, O, "203.0.113.254", 7603) == "203.0.113.1"
    nets.remove("new", force=True)
    assert not any("table" in x for x in nft_j(H))
    assert_unchanged(before, snapshot(H))
