"""Our encoder against iproute2's own requests (shared/vectors): same bytes, attribute by attribute.

Differences we allow, and why:
- nlmsg_seq (ours comes from the socket);
- NLM_F_ACK: every pynetlink request asks for an ack (policy), `ip route get` does not;
- IFLA_INFO_KIND: iproute2 writes it without a NUL; pynetlink NUL-terminates it, as the kernel
  does in its replies and as IFLA_IFNAME always is (the kernel accepts both). The vectors are
  rewritten to the NUL form before comparing;
- fds (IFLA_NET_NS_FD) and ifindexes are whatever the test passes.
"""
from __future__ import annotations

import json
import struct

import pytest

from pynetlink import Address, Bridge, Ipvlan, Macvlan, Route, Veth, Vlan, Vxlan
from pynetlink.codec.program import encode
from pynetlink.rtnl import addresses, links, routes
from pynetlink.rtnl.message import Msg
from pynetlink.rtnl.request import Request

from ..codec._vectors import VECTORS_FILE

VECTORS = VECTORS_FILE
IFLA_LINKINFO, NLM_F_ACK = 18, 4

# From shared/vectors/decoded.md §1: `ip -n vec link add veth2 type veth peer name eth0 netns vec-c1`
# (the corpus subset lacks this exchange; decoded.md keeps its bytes). fd 4, seq 0x6b0aed2c.
VETH_PEER_NETNS = bytes.fromhex(
    "64000000100005062ced0a6b0000000000000000000000000000000000000000"
    "0a00030076657468320000003800120008000100766574682c00020028000100"
    "0000000000000000000000000000000008001c00040000000900030065746830"
    "00000000")
# decoded.md §2: `ip -n vec link add mv-bridge link eth1 type macvlan mode bridge` (eth1 = 10)
MACVLAN_BRIDGE = bytes.fromhex(
    "54000000100005062ded0a6b0000000000000000000000000000000000000000"
    "080005000a0000000e0003006d762d6272696467650000001c0012000b0001006d6163766c616e00"
    "0c0002000800010004000000")


def vector(vid: str) -> bytes:
    with open(VECTORS) as f:
        for e in json.load(f):
            if e["id"] == vid:
                return bytes.fromhex(e["hex"])
    raise LookupError(f"vector {vid} is not in {VECTORS}")


def with_kind_nul(msg: bytes) -> bytes:
    """Rewrite IFLA_LINKINFO's first child (IFLA_INFO_KIND) NUL-terminated; fix the lengths."""
    pos = 32
    while pos < len(msg):
        ln, typ = struct.unpack_from("=HH", msg, pos)
        if typ == IFLA_LINKINFO:
            k = pos + 4
            klen, ktype = struct.unpack_from("=HH", msg, k)
            kind = msg[k + 4:k + klen].rstrip(b"\0")
            old = (klen + 3) & ~3
            new_attr = struct.pack("=HH", len(kind) + 5, ktype) + kind + b"\0"
            new_attr += bytes(-len(new_attr) % 4)
            delta = len(new_attr) - old
            out = bytearray(msg[:k] + new_attr + msg[k + old:])
            struct.pack_into("=H", out, pos, ln + delta)
            struct.pack_into("=I", out, 0, len(out))
            return bytes(out)
        pos += (ln + 3) & ~3
    return msg


def ours(request: Request, index: dict[str, int] | None = None, fd: int | None = None) -> bytes:
    """The bytes pynetlink sends for a request (names resolved from ``index``)."""
    msgs = request.build(lambda ref: ref if isinstance(ref, int) else (index or {})[ref])
    try:
        enc = encode([m.item() for m in msgs], 0)
        out = bytearray(enc.message(0))
    finally:
        for m in msgs:
            m.close_fds()
    return bytes(out)


def same(mine: bytes, theirs: bytes, *, ack_added: bool = False) -> None:
    theirs = bytearray(theirs)
    theirs[8:12] = mine[8:12]                                  # seq
    if ack_added:
        flags = struct.unpack_from("=H", theirs, 6)[0] | NLM_F_ACK
        struct.pack_into("=H", theirs, 6, flags)
    assert mine.hex() == bytes(theirs).hex()


def patch_u32(msg: bytes, needle: bytes, value: int) -> bytes:
    """Set the u32 payload of the attribute whose 4-byte header is ``needle``."""
    i = msg.index(needle)
    return msg[:i + 4] + struct.pack("=I", value) + msg[i + 8:]


def test_veth_peer_in_netns_matches_iproute2() -> None:
    path = "/proc/self/ns/net"          # any namespace file: only the fd number goes on the wire
    req = links.create(Veth("veth2", peer="eth0", peer_netns=path))
    mine = ours(req)
    theirs = with_kind_nul(VETH_PEER_NETNS)
    # the fd is ours: put iproute2's value (4) into our copy at IFLA_NET_NS_FD
    mine = patch_u32(mine, bytes.fromhex("08001c00"), 4)
    same(mine, theirs)


def test_veth_matches_iproute2() -> None:
    same(ours(links.create(Veth("veth0", peer="veth1"))), with_kind_nul(vector("link.add.veth#2.req")))


def test_macvlan_bridge_matches_iproute2() -> None:
    mine = ours(links.create(Macvlan("mv-bridge", parent="eth1", mode="bridge")), {"eth1": 10})
    same(mine, with_kind_nul(MACVLAN_BRIDGE))


def test_macvlan_source_matches_iproute2() -> None:
    mine = ours(links.create(Macvlan("mv-source", parent="eth1", mode="source")), {"eth1": 10})
    same(mine, with_kind_nul(vector("link.add.macvlan_source#3.req")))


def test_macvlan_macaddr_add_matches_iproute2() -> None:
    mine = ours(links.macvlan_macs(16, "add", ["02:00:00:00:00:aa"]))
    same(mine, with_kind_nul(vector("link.set.macvlan_macaddr#3.req")))


def test_ipvlan_l3_matches_iproute2() -> None:
    mine = ours(links.create(Ipvlan("ipvl-l3-brid", parent="eth1", mode="l3", flag="bridge")),
                {"eth1": 10})
    same(mine, with_kind_nul(vector("link.add.ipvlan_l3_bridge#3.req")))


def test_vlan_matches_iproute2() -> None:
    mine = ours(links.create(Vlan("eth1.10", parent="eth1", id=10)), {"eth1": 10})
    same(mine, with_kind_nul(vector("link.add.vlan10#3.req")))


def test_vlan_8021ad_matches_iproute2() -> None:
    mine = ours(links.create(Vlan("eth1.100", parent="eth1", id=100, protocol="802.1ad")),
                {"eth1": 10})
    same(mine, with_kind_nul(vector("link.add.vlan_8021ad#3.req")))


def test_vxlan_matches_iproute2() -> None:
    spec = Vxlan("vxlan43", id=43, dstport=4789, parent="eth1", learning=False)
    same(ours(links.create(spec), {"eth1": 10}), with_kind_nul(vector("link.add.vxlan43#3.req")))


def test_address_v4_matches_iproute2() -> None:
    a = Address(7, "192.0.2.1/24", broadcast="192.0.2.255", label="veth0:web")
    same(ours(addresses.add(a)), vector("addr.add.v4#2.req"))


def test_address_v6_matches_iproute2() -> None:
    same(ours(addresses.add(Address(7, "2001:db8:0:1::1/64"))), vector("addr.add.v6#2.req"))


@pytest.mark.parametrize("vid,route", [
    ("route.add.default#1.req", Route("default", via="192.0.2.254")),
    ("route.add.dev#2.req", Route("203.0.113.0/24", dev=7)),
    ("route.add.table#1.req", Route("198.51.100.0/24", via="192.0.2.254", table=100)),
    ("route.add.metric#1.req", Route("203.0.113.128/25", via="192.0.2.253", metric=200)),
])
def test_route_matches_iproute2(vid: str, route: Route) -> None:
    same(ours(routes.add(route)), vector(vid))


def test_route_get_matches_iproute2() -> None:
    same(ours(routes.get("203.0.113.5")), vector("route.get.v4#1.req"), ack_added=True)


def test_bridge_encodes_seconds_as_clock_t() -> None:
    mine = ours(links.create(Bridge("br0", stp_state=True, forward_delay=4)))
    assert struct.pack("=HHI", 8, 1, 400) in mine      # IFLA_BR_FORWARD_DELAY = 400 (1/100 s)


def test_programs_are_cached_per_shape() -> None:
    from pynetlink.codec.message import cache_size
    reqs = [links.create(Veth(f"v{i}", peer=f"p{i}")) for i in range(3)]
    first = reqs[0].build(lambda r: 0)[0]
    n = cache_size()
    prog = first.compiled()
    assert cache_size() == n
    assert all(r.build(lambda x: 0)[0].compiled() is prog for r in reqs)
    other = links.create(Veth("v9", peer="p9", mtu=1400)).build(lambda r: 0)[0]
    assert other.compiled() is not prog


def test_msg_shapes_need_no_kernel() -> None:
    m = Msg("x", 16, 5).fixed("h", "BxHiII", 0, 0, 0, 0, 0).u32(4, "Link.mtu", 1500)
    assert m.compiled().fields[-1] == "Link.mtu"
