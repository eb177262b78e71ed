"""S2: macvlan across two hosts on one LAN, with real traffic."""
from __future__ import annotations

import pytest

from pynetlink.networks import OptionError

from .conftest import Topology
from .lan import LAN, lan_scenario
from .traffic import assert_unchanged, link, snapshot, settled

pytestmark = pytest.mark.kernel("netns", "veth", "bridge", "macvlan")


def test_s2_macvlan_two_hosts(lan: Topology) -> None:
    e1, e2 = lan_scenario(lan, "macvlan", {})
    assert (e1.mac, e2.mac) == ("02:42:ac:10:00:03", "02:42:ac:10:00:04")   # its own MAC each


@pytest.mark.parametrize("mode", ["private", "vepa", "bridge", "passthru", "source"])
def test_macvlan_modes_read_back(lan: Topology, mode: str) -> None:
    nets = lan.nets["H1"]
    before = settled(lan.H1)
    nets.create("m", driver="macvlan", options={"parent": "eth0", "macvlan_mode": mode}, **LAN)
    c = lan.container("m")
    nets.connect("m", c)
    got = link(c, "eth0")
    assert got["linkinfo"]["info_kind"] == "macvlan"
    assert got["linkinfo"]["info_data"]["mode"] == mode
    nets.remove("m", force=True)
    assert_unchanged(before, snapshot(lan.H1))


def test_seed_mistakes_change_nothing(lan: Topology) -> None:
    nets = lan.nets["H1"]
    before = settled(lan.H1)
    bad = [dict(LAN, gateway="172.16.0.254/24"),
           dict(LAN, aux_addresses={"host1": "172.16.0.2", "host2": "172.16.0.2"}),
           dict(LAN, gateway="172.16.1.254"), dict(LAN, ip_range="172.16.1.0/24")]
    for kw in bad:
        with pytest.raises(OptionError):
            nets.create("net01", driver="macvlan", options={"parent": "eth0"}, **kw)
    with pytest.raises(OptionError, match="did you mean 'ipvlan_mode'"):
        nets.create("net01", driver="ipvlan", options={"parent": "eth0", "ipvla_mode": "l2"}, **LAN)
    with pytest.raises(FileNotFoundError, match="parent interface eth9 does not exist"):
        nets.create("net01", driver="macvlan", options={"parent": "eth9"}, **LAN)
    assert nets.list() == []
    assert_unchanged(before, snapshot(lan.H1))
