"""VXLAN FDB entries (``bridge fdb append ... self dst``) and the ``neigh_suppress`` port flag,
checked against ``bridge -j fdb`` and ``ip -j -d link``."""
from __future__ import annotations

import json
import subprocess
from typing import Any

import pytest

from pynetlink import Bridge, BridgePort, Handle, Vxlan
from pynetlink.errors import ExistsError, InvalidArgument
from pynetlink.rtnl import neigh

from .conftest import ip_link

pytestmark = pytest.mark.kernel("bridge", "vxlan")
ZERO = "00:00:00:00:00:00"


def bridge_fdb(ns: Any, dev: str) -> list[dict[str, Any]]:
    out = subprocess.run(["bridge", "-j", "-n", ns.name, "fdb", "show", "dev", dev], check=True,
                         capture_output=True, text=True).stdout
    return json.loads(out) if out.strip() else []


def test_fdb_append_builds_a_flooding_list(h: Handle, netns: Any) -> None:
    h.links.create(Vxlan("vx0", id=42, local="198.51.100.1", dstport=4789, learning=False))
    h.fdb.append("vx0", ZERO, dst="198.51.100.2")
    h.fdb.append("vx0", ZERO, dst="198.51.100.3")
    with pytest.raises(ExistsError):                   # add (not append) of a second one
        h.fdb.add("vx0", ZERO, master=False, dst="198.51.100.4")
    h.fdb.add("vx0", "02:00:00:00:00:07", master=False, dst="198.51.100.2")   # one container
    ours = {(e.lladdr, e.ip) for e in h.fdb.dump("vx0") if e.ip}
    want = {(ZERO, "198.51.100.2"), (ZERO, "198.51.100.3"), ("02:00:00:00:00:07", "198.51.100.2")}
    assert ours == want
    oracle = {(e["mac"], e.get("dst")) for e in bridge_fdb(netns, "vx0") if e.get("dst")}
    assert oracle == want
    assert all("self" in e["flags"] for e in bridge_fdb(netns, "vx0") if e.get("dst"))
    h.fdb.delete("vx0", ZERO, master=False, dst="198.51.100.3")
    assert {(e["mac"], e.get("dst")) for e in bridge_fdb(netns, "vx0") if e.get("dst")} == \
        want - {(ZERO, "198.51.100.3")}


def test_fdb_replace_and_append_exclude_each_other() -> None:
    with pytest.raises(InvalidArgument, match="replace and append"):
        neigh.fdb_add("vx0", ZERO, master=False, dst="198.51.100.2", replace=True, append=True)


def test_neigh_suppress_port_flag(h: Handle, netns: Any) -> None:
    h.links.create(Bridge("br0"))
    h.links.create(Vxlan("vx0", id=7, dstport=4789, master="br0", port=BridgePort(neigh_suppress=True)))
    assert ip_link(netns, "vx0")["linkinfo"]["info_slave_data"]["neigh_suppress"] is True
    port = h.links.get("vx0").port
    assert port is not None and port.neigh_suppress is True
    h.links.set_port("vx0", BridgePort(neigh_suppress=False))
    assert ip_link(netns, "vx0")["linkinfo"]["info_slave_data"]["neigh_suppress"] is False
    with pytest.raises(InvalidArgument, match="BridgePort.neigh_suppress"):
        BridgePort(neigh_suppress="yes")  # type: ignore[arg-type]
