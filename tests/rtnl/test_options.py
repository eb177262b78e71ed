"""Link-kind options declared once (rtnl.options): the declaration drives validation, the
encoded IFLA_INFO_DATA and the view. Each spec is encoded as pynetlink sends it, decoded with
the codec as a reply would be, and read back through its kind's view (no kernel needed: the
VM tier checks the same views against the kernel's own replies)."""
from __future__ import annotations

from typing import Any

import pytest

from pynetlink import Bridge, Ipvlan, Macvlan, Vlan, Vxlan
from pynetlink.codec.rows import decode
from pynetlink.codec.specs.rtnl import RTNL
from pynetlink.errors import InvalidArgument
from pynetlink.rtnl import links
from pynetlink.rtnl.kinds import view_of
from pynetlink.rtnl.options import options_of

from .test_vectors import ours

SPECS = [
    Bridge("br0", stp_state=True, forward_delay=4.0, hello_time=2.0, max_age=12.0, ageing_time=300.0,
           priority=4096, vlan_filtering=True, vlan_protocol="802.1ad", mcast_snooping=False, group_fwd_mask=0x8),
    Macvlan("mv0", parent="eth1", mode="passthru", nopromisc=True),
    Ipvlan("ipv0", parent="eth1", mode="l3s", flag="private"),
    Vlan("eth1.7", parent="eth1", id=7, protocol="802.1ad"),
    Vxlan("vx0", id=42, remote="198.51.100.9", local="198.51.100.1", parent="eth1", dstport=4789, learning=False,
          ttl=64),
    Vxlan("vx1", id=7, mcast_group="ff05::9", local="2001:db8::1"),
]
CANON = {"vlan_protocol": str.lower, "protocol": str.lower}
# Vxlan: remote and mcast_group are one attribute (IFLA_VXLAN_GROUP); the view calls it remote
ALIASES = {"mcast_group": "remote"}
INDEX = {"eth1": 3}


def read_back(spec: Any) -> Any:
    data = ours(links.create(spec), INDEX)
    rows = decode(data, RTNL)
    return view_of(rows, next(iter(rows.messages())))


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: type(s).__name__)
def test_every_declared_option_reads_back_as_given(spec: Any) -> None:
    view = read_back(spec)
    names = [n for n, _ in options_of(type(spec))]
    assert names, type(spec).__name__
    for name in names:
        if name in ALIASES and getattr(spec, name) is None:
            continue
        want, got = getattr(spec, name), getattr(view, ALIASES.get(name, name))
        want = INDEX.get(want, want) if isinstance(want, str) and name == "parent" else want
        if name == "remote":
            want = spec.remote or spec.mcast_group
        fix = CANON.get(name, lambda x: x)
        assert (fix(got) if isinstance(got, str) else got) == (fix(want) if isinstance(want, str) else want), name
        assert ALIASES.get(name, name) in view.fields()


@pytest.mark.parametrize("make,message", [
    (lambda: Bridge("br0", priority=70000), "Bridge.priority"),
    (lambda: Bridge("br0", forward_delay=1), "Bridge.forward_delay: 1 is not 2-30 seconds"),
    (lambda: Bridge("br0", vlan_protocol="802.1x"), "Bridge.vlan_protocol"),
    (lambda: Bridge("br0", stp_state="yes"), "Bridge.stp_state"),
    (lambda: Bridge("br0", group_fwd_mask=1), "Bridge.group_fwd_mask: bits 0-2"),
    (lambda: Ipvlan("i0", parent="eth1", mode="l4"), "Ipvlan.mode"),
    (lambda: Macvlan("m0", parent="eth1", mode="bridge", nopromisc=True), "Macvlan.nopromisc"),
    (lambda: Vlan("v0", parent="eth1", id=4095), "Vlan.id"),
    (lambda: Vxlan("x0", id=1 << 24), "Vxlan.id"),
    (lambda: Vxlan("x0", id=1, ttl=256), "Vxlan.ttl"),
])
def test_a_bad_option_is_refused_naming_it(make: Any, message: str) -> None:
    with pytest.raises(InvalidArgument, match=message.replace(".", r"\.")):
        make()


def test_unset_options_are_not_sent() -> None:
    view = read_back(Bridge("br0"))
    assert all(getattr(view, n) is None for n, _ in options_of(Bridge))
