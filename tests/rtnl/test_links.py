"""Links of every kind: created by pynetlink, read back by pynetlink and by `ip -j -d`."""
from __future__ import annotations

import subprocess
from typing import Any

import pytest

from pynetlink import (BatchError, Bridge, BridgePort, BridgeView, Dummy, GenericLink, GenericLinkView, Handle, InvalidArgument,
                       Ipvlan, LinkView, Macvlan, MacvlanView, NotFoundError, Veth, VethView, Vlan,
                       Vxlan)

from ..conftest import ip_json
from .conftest import ip, ip_link

pytestmark = pytest.mark.root


def info(j: dict[str, Any]) -> dict[str, Any]:
    return j["linkinfo"]["info_data"]  # type: ignore[no-any-return]


# -- bridge ---------------------------------------------------------------------------------
@pytest.mark.kernel("bridge")
def test_bridge_options(h: Handle, netns: Any) -> None:
    spec = Bridge("br0", stp_state=True, forward_delay=4, hello_time=1, max_age=12, ageing_time=120,
                  priority=4096, mcast_snooping=False, group_fwd_mask=0x8, up=True, mtu=1400)
    view = h.links.create(spec)
    for v in (view, h.links.get("br0")):
        assert isinstance(v, BridgeView)
        assert (v.name, v.kind, v.mtu, v.up) == ("br0", "bridge", 1400, True)
        assert (v.stp_state, v.forward_delay, v.hello_time, v.max_age) == (True, 4.0, 1.0, 12.0)
        assert (v.ageing_time, v.priority, v.mcast_snooping, v.group_fwd_mask) == (120.0, 4096, False, 8)
    j = ip_link(netns, "br0")
    d = info(j)
    assert (d["stp_state"], d["forward_delay"], d["hello_time"], d["max_age"]) == (1, 400, 100, 1200)
    assert (d["ageing_time"], d["priority"], d["mcast_snooping"], d["group_fwd_mask"]) == (12000, 4096, 0, "0x8")
    assert j["mtu"] == 1400 and "UP" in j["flags"]


@pytest.mark.kernel("bridge")
def test_bridge_change(h: Handle, netns: Any) -> None:
    h.links.create(Bridge("br0"))
    h.links.change(Bridge("br0", stp_state=True, priority=8192))
    v = h.links.get("br0")
    assert v.stp_state is True and v.priority == 8192
    assert info(ip_link(netns, "br0"))["priority"] == 8192


@pytest.mark.kernel("bridge_vlan_filtering")
def test_bridge_vlan_filtering(h: Handle, netns: Any) -> None:
    v = h.links.create(Bridge("br0", vlan_filtering=True, vlan_protocol="802.1ad"))
    assert v.vlan_filtering is True and v.vlan_protocol == "802.1ad"
    d = info(ip_link(netns, "br0"))
    assert d["vlan_filtering"] == 1 and d["vlan_protocol"] == "802.1ad"


@pytest.mark.kernel("bridge", "veth")
def test_bridge_port_options(h: Handle, netns: Any) -> None:
    h.links.create(Bridge("br0"))
    h.links.create(Veth("p0", peer="p1", master="br0",
                        port=BridgePort(hairpin=True, isolated=True, learning=False, cost=33, priority=7)))
    h.links.set_port("p0", BridgePort(flood=False))
    v = h.links.get("p0")
    port = v.port
    assert port is not None and v.master == h.links.get("br0").index
    assert (port.hairpin, port.isolated, port.learning, port.flood, port.cost, port.priority) == (
        True, True, False, False, 33, 7)
    j = ip_link(netns, "p0")
    sd = j["linkinfo"]["info_slave_data"]
    assert (sd["hairpin"], sd["isolated"], sd["learning"], sd["flood"], sd["cost"], sd["priority"]) == (
        True, True, False, False, 33, 7)
    assert j["master"] == "br0"
    assert [x.name for x in h.links.dump(master="br0")] == ["p0"]


# -- veth -----------------------------------------------------------------------------------
@pytest.mark.kernel("veth")
def test_veth_peer_in_netns(h: Handle, netns: Any, make_netns: Any) -> None:
    ctr = make_netns("ctr")
    v = h.links.create(Veth("veth1a2b", peer="eth0", peer_netns=ctr, peer_mtu=1450,
                            peer_mac="02:42:ac:11:00:02", mtu=1450))
    assert isinstance(v, VethView) and v.link_netnsid is not None
    with Handle(ctr) as c:
        peer = c.links.get("eth0")
        assert isinstance(peer, VethView)
        assert (peer.mtu, peer.mac, peer.peer_index) == (1450, "02:42:ac:11:00:02", v.index)
        assert v.peer_index == peer.index
    j = ip_json(ctr.name, "-d", "link", "show", "dev", "eth0")[0]  # type: ignore[index]
    assert (j["address"], j["mtu"], j["linkinfo"]["info_kind"]) == ("02:42:ac:11:00:02", 1450, "veth")
    assert ip_link(netns, "veth1a2b")["link_index"] == peer.index


@pytest.mark.kernel("veth")
def test_veth_created_in_target_netns(h: Handle, make_netns: Any) -> None:
    a, b = make_netns("a"), make_netns("b")
    assert h.links.create(Veth("x0", peer="y0", netns=a, peer_netns=b)) is None
    with a.handle() if hasattr(a, "handle") else Handle(a) as ha, Handle(b) as hb:
        assert ha.links.get("x0").kind == "veth"
        assert hb.links.get("y0").kind == "veth"
    with pytest.raises(NotFoundError):
        h.links.get("x0")


# -- macvlan --------------------------------------------------------------------------------
@pytest.mark.kernel("macvlan", "veth")
@pytest.mark.parametrize("mode", ["private", "vepa", "bridge", "passthru", "source"])
def test_macvlan_modes(h: Handle, netns: Any, mode: str) -> None:
    h.links.create(Veth("eth0", peer="eth0p"))
    nopromisc = True if mode == "passthru" else None
    v = h.links.create(Macvlan("mv0", parent="eth0", mode=mode, nopromisc=nopromisc))
    assert isinstance(v, MacvlanView)
    assert (v.mode, v.parent, v.nopromisc) == (mode, h.links.get("eth0").index, bool(nopromisc))
    d = info(ip_link(netns, "mv0"))
    assert d["mode"] == mode
    if nopromisc:
        assert d["nopromisc"] is True


@pytest.mark.kernel("macvlan", "veth")
def test_macvlan_source_mac_list(h: Handle, netns: Any) -> None:
    h.links.create(Veth("eth0", peer="eth0p"))
    macs = ("02:00:00:00:00:01", "02:00:00:00:00:02")
    assert sorted(h.links.create(Macvlan("mv0", parent="eth0", mode="source", macs=macs)).macs) == list(macs)
    h.links.macvlan_macs("mv0", "add", ["02:00:00:00:00:03", "02:00:00:00:00:04"])
    h.links.macvlan_macs("mv0", "del", ["02:00:00:00:00:01"])
    assert set(h.links.get("mv0").macs) == {"02:00:00:00:00:02", "02:00:00:00:00:03", "02:00:00:00:00:04"}
    assert sorted(info(ip_link(netns, "mv0"))["macaddr_data"]) == [
        "02:00:00:00:00:02", "02:00:00:00:00:03", "02:00:00:00:00:04"]
    h.links.macvlan_macs("mv0", "set", ["02:00:00:00:00:09"])
    assert h.links.get("mv0").macs == ("02:00:00:00:00:09",)
    h.links.macvlan_macs("mv0", "flush")
    assert h.links.get("mv0").macs == ()


@pytest.mark.kernel("macvlan", "veth")
def test_macvlan_created_in_target_netns(h: Handle, make_netns: Any) -> None:
    ctr = make_netns("ctr")
    h.links.create(Veth("eth0", peer="eth0p"))
    h.links.create(Macvlan("mvc", parent="eth0", mode="bridge", netns=ctr, mac="02:42:ac:10:00:03"))
    with Handle(ctr) as c:
        v = c.links.get("mvc")
        assert (v.kind, v.mode, v.mac) == ("macvlan", "bridge", "02:42:ac:10:00:03")
        assert v.link_netnsid is not None


# -- ipvlan ---------------------------------------------------------------------------------
@pytest.mark.kernel("ipvlan", "veth")
@pytest.mark.parametrize("mode", ["l2", "l3", "l3s"])
@pytest.mark.parametrize("flag", ["bridge", "private", "vepa"])
def test_ipvlan_modes_and_flags(h: Handle, netns: Any, mode: str, flag: str) -> None:
    parent = h.links.create(Veth("eth0", peer="eth0p"))
    v = h.links.create(Ipvlan("ipv0", parent="eth0", mode=mode, flag=flag))
    assert (v.kind, v.mode, v.flag, v.parent) == ("ipvlan", mode, flag, parent.index)
    assert v.mac == parent.mac
    d = info(ip_link(netns, "ipv0"))
    assert d["mode"] == mode
    assert d.get(flag) is True, d


# -- vlan -----------------------------------------------------------------------------------
@pytest.mark.kernel("vlan", "veth")
def test_vlan_8021q_flags_and_qos(h: Handle, netns: Any) -> None:
    h.links.create(Veth("eth0", peer="eth0p"))
    spec = Vlan("eth0.30", parent="eth0", id=30, reorder_hdr=False, gvrp=True, loose_binding=True,
                ingress_qos={1: 2, 3: 4}, egress_qos={5: 6})
    v = h.links.create(spec)
    for view in (v, h.links.get("eth0.30")):
        assert (view.id, view.protocol, view.reorder_hdr, view.gvrp, view.loose_binding) == (
            30, "802.1Q", False, True, True)
        assert view.ingress_qos == {1: 2, 3: 4} and view.egress_qos == {5: 6}
    d = info(ip_link(netns, "eth0.30"))
    assert (d["protocol"], d["id"]) == ("802.1Q", 30)
    assert set(d["flags"]) == {"GVRP", "LOOSE_BINDING"}


@pytest.mark.kernel("vlan_8021ad", "veth")
def test_vlan_8021ad(h: Handle, netns: Any) -> None:
    h.links.create(Veth("eth0", peer="eth0p"))
    v = h.links.create(Vlan("eth0.100", parent="eth0", id=100, protocol="802.1ad"))
    assert (v.id, v.protocol) == (100, "802.1ad")
    assert info(ip_link(netns, "eth0.100"))["protocol"] == "802.1ad"


# -- vxlan, dummy, generic ------------------------------------------------------------------
@pytest.mark.kernel("vxlan", "veth")
def test_vxlan(h: Handle, netns: Any) -> None:
    h.links.create(Veth("eth1", peer="eth1p"))
    v = h.links.create(Vxlan("vx43", id=43, dstport=4789, parent="eth1", learning=False,
                             remote="198.51.100.9", local="198.51.100.1", ttl=10))
    assert (v.id, v.dstport, v.learning, v.remote, v.local, v.ttl) == (
        43, 4789, False, "198.51.100.9", "198.51.100.1", 10)
    assert v.parent == h.links.get("eth1").index
    d = info(ip_link(netns, "vx43"))
    assert (d["id"], d["port"], d["learning"], d["remote"], d["local"], d["link"]) == (
        43, 4789, False, "198.51.100.9", "198.51.100.1", "eth1")


@pytest.mark.kernel("dummy")
def test_dummy(h: Handle, netns: Any) -> None:
    v = h.links.create(Dummy("d0", mtu=9000, up=True))
    assert (v.kind, v.mtu, v.up) == ("dummy", 9000, True)
    assert ip_link(netns, "d0")["linkinfo"]["info_kind"] == "dummy"


@pytest.mark.kernel("bridge")
def test_generic_kind_and_raw_data(h: Handle) -> None:
    v = h.links.create(GenericLink("gb0", type="bridge"))
    assert v.kind == "bridge"
    lo = h.links.get("lo")
    assert type(lo) is LinkView and lo.kind is None and "loopback" in lo.flags
    from pynetlink.rtnl.kinds import KINDS, VIEWS
    saved = KINDS.pop("bridge"), VIEWS.pop("bridge", None)
    try:
        g = h.links.get("gb0")
        assert isinstance(g, GenericLinkView) and g.data is not None and "stp-state" in g.data
    finally:
        KINDS["bridge"] = saved[0]
        if saved[1] is not None:
            VIEWS["bridge"] = saved[1]


# -- common options on any link ---------------------------------------------------------------
@pytest.mark.kernel("veth", "bridge")
def test_set_common_options(h: Handle, netns: Any) -> None:
    h.links.create(Veth("v0", peer="v1"))
    h.links.create(Bridge("br0"))
    h.links.set("v0", up=True, mtu=1280, mac="02:00:00:00:0a:01", alias="uplink", txqlen=500,
                group=7, master="br0")
    v = h.links.get("v0")
    assert (v.up, v.mtu, v.mac, v.alias, v.txqlen, v.group) == (
        True, 1280, "02:00:00:00:0a:01", "uplink", 500, 7)
    assert v.master == h.links.get("br0").index
    j = ip_link(netns, "v0")
    assert (j["mtu"], j["address"], j["ifalias"], j["txqlen"], j["group"], j["master"]) == (
        1280, "02:00:00:00:0a:01", "uplink", 500, "7", "br0")
    h.links.set("v0", nomaster=True, up=False, name="renamed")
    v = h.links.get("renamed")
    assert v.master is None and not v.up
    assert "master" not in ip_link(netns, "renamed")
    h.links.delete("renamed")
    with pytest.raises(NotFoundError):
        h.links.get("v1")


def test_set_promisc_changes_only_that_flag(h: Handle, netns: Any) -> None:
    h.links.create(Bridge("brp"), up=True)
    h.links.set("brp", promisc=True)
    assert "PROMISC" in ip_link(netns, "brp")["flags"] and "UP" in ip_link(netns, "brp")["flags"]
    assert "promisc" in h.links.get("brp").flags
    h.links.set("brp", promisc=False)
    flags = ip_link(netns, "brp")["flags"]
    assert "PROMISC" not in flags and "UP" in flags          # up left as it was
    with pytest.raises(InvalidArgument, match="promisc"):
        h.links.set("brp", promisc="yes")  # type: ignore[arg-type]


@pytest.mark.kernel("veth")
@pytest.mark.parametrize("how", ["name", "path", "NetNS", "fd", "pid"])
def test_move_to_netns(h: Handle, make_netns: Any, how: str) -> None:
    import os
    import subprocess
    target = make_netns("tgt")
    h.links.create(Veth("m0", peer="m1"))
    proc = None
    fd = None
    try:
        if how == "name":
            ref: Any = target.name
        elif how == "path":
            ref = target.path
        elif how == "NetNS":
            ref = target
        elif how == "fd":
            from pynetlink.transport import NetNS
            fd = os.open(target.path, os.O_RDONLY)
            ref = NetNS.from_fd(fd)
        else:
            proc = subprocess.Popen(["ip", "netns", "exec", target.name, "sleep", "30"])
            import time
            for _ in range(100):
                if os.readlink(f"/proc/{proc.pid}/ns/net") == os.readlink(target.path) if False else \
                        os.stat(f"/proc/{proc.pid}/ns/net").st_ino == os.stat(target.path).st_ino:
                    break
                time.sleep(0.02)
            ref = proc.pid
        h.links.set("m0", netns=ref)
        with Handle(target) as t:
            assert t.links.get("m0").kind == "veth"
        with pytest.raises(NotFoundError):
            h.links.get("m0")
    finally:
        if fd is not None:
            os.close(fd)
        if proc is not None:
            proc.kill()
            proc.wait()


@pytest.mark.kernel("veth")
def test_delete_group_in_one_request(h: Handle, netns: Any) -> None:
    with h.batch() as b:
        for i in range(10):
            b.links.create(Veth(f"g{i}", peer=f"gp{i}", group=42))
        b.links.create(Veth("keep", peer="keepp"))
    h.links.delete_group(42)
    names = {x.name for x in h.links.dump()}
    assert names == {"lo", "keep", "keepp"}
    assert {x["ifname"] for x in ip_json(netns.name, "link", "show")} == names  # type: ignore[union-attr]


def test_teardown_by_deleting_namespace(make_netns: Any) -> None:
    ns = make_netns("gone")
    with Handle(ns) as hh:
        hh.links.create(Veth("a0", peer="a1"))
    ns.delete()
    from pynetlink.transport import NetNS
    assert ns.name not in NetNS.list()


# -- reverse: made by ip, decoded by pynetlink --------------------------------------------------
@pytest.mark.kernel("bridge", "veth", "macvlan", "vxlan")
def test_decode_links_made_by_ip(h: Handle, netns: Any) -> None:
    ip(netns, "link", "add", "br9", "type", "bridge", "stp_state", "1", "forward_delay", "500",
       "priority", "100")
    ip(netns, "link", "add", "ve0", "mtu", "1300", "type", "veth", "peer", "name", "ve1")
    ip(netns, "link", "set", "ve0", "master", "br9")
    ip(netns, "link", "set", "ve0", "type", "bridge_slave", "cost", "77", "hairpin", "on")
    ip(netns, "link", "add", "mvx", "link", "ve1", "type", "macvlan", "mode", "vepa")
    ip(netns, "link", "add", "vx9", "type", "vxlan", "id", "99", "dstport", "4789", "remote", "203.0.113.7")
    ip(netns, "link", "set", "ve1", "alias", "the peer", "group", "5")
    views = {v.name: v for v in h.links.dump()}
    br, ve0, ve1, mv, vx = (views[n] for n in ("br9", "ve0", "ve1", "mvx", "vx9"))
    assert isinstance(br, BridgeView) and (br.stp_state, br.forward_delay, br.priority) == (True, 5.0, 100)
    assert ve0.mtu == 1300 and ve0.master == br.index and ve0.port is not None
    assert (ve0.port.cost, ve0.port.hairpin) == (77, True)
    assert (ve1.alias, ve1.group, ve1.peer_index) == ("the peer", 5, ve0.index)  # type: ignore[attr-defined]
    assert (mv.mode, mv.parent) == ("vepa", ve1.index)  # type: ignore[attr-defined]
    assert (vx.id, vx.dstport, vx.remote) == (99, 4789, "203.0.113.7")  # type: ignore[attr-defined]
    assert [v.name for v in h.links.dump(kind="macvlan")] == ["mvx"]
    oracle = {j["ifname"]: j for j in ip_json(netns.name, "link", "show")}  # type: ignore[union-attr]
    for name, v in views.items():
        assert oracle[name]["ifindex"] == v.index and oracle[name]["mtu"] == v.mtu
        assert oracle[name].get("address") == v.mac
    d = ve0.to_dict()
    import json
    assert json.loads(json.dumps(d))["port"]["cost"] == 77


def test_alias_given_at_creation_is_set(netns: Any) -> None:
    """The kernel ignores IFLA_IFALIAS in a create: the library sets it right after."""
    from pynetlink import Bridge, Handle, InvalidArgument, Veth
    with Handle(netns) as h:
        view = h.links.create(Bridge("bra", alias="the docker bridge"))
        assert view is not None and view.alias == "the docker bridge"
        with pytest.raises(InvalidArgument):
            h.links.create(Veth("vea", peer="veb", netns=netns, alias="x"))
        assert {link.name for link in h.links.dump()} == {"lo", "bra"}
    (link,) = [x for x in ip_json(netns.name, "link", "show") if x["ifname"] == "bra"]
    assert link["ifalias"] == "the docker bridge"


def test_failed_create_leaves_the_existing_link_of_that_name_alone(h: Handle, netns: Any) -> None:
    """alias= and port= are applied after the create (the kernel ignores them in it), only
    when the create succeeded: a create refused with EEXIST changes nothing of the link that
    has the name already."""
    h.links.create(Bridge("brx", alias="original"))
    h.links.create(Veth("vx", peer="vy", master="brx"))
    with pytest.raises(FileExistsError):
        h.links.create(Bridge("brx", alias="replaced"))
    with pytest.raises(FileExistsError):
        h.links.create(Veth("vx", peer="vz", master="brx", port=BridgePort(hairpin=True)))
    b = h.batch()
    refused = b.links.create(Bridge("brx", alias="again"))
    ok = b.links.create(Bridge("bry", alias="new one"))
    with pytest.raises(BatchError):
        b.run()
    assert isinstance(refused.error, FileExistsError)
    assert ip_link(netns, "brx")["ifalias"] == "original"
    out = subprocess.run(["bridge", "-n", netns.name, "-j", "-d", "link", "show", "dev", "vx"],
                         capture_output=True, text=True, check=True).stdout
    assert '"hairpin":false' in out.replace(" ", "")
    assert ok.ok and ip_link(netns, "bry")["ifalias"] == "new one"
